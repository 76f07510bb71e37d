/* BODY and BODYSTRUCTURE: one recursive writer over the part tree. */
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mail/imap_bodystructure.h"
#include "mail/imap_envelope.h"
#include "mail/imap_string.h"
#include "mail/mime.h"

#define EMPTY_TEXT	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"

static int
s(struct buf *out, const struct mime_tree *t, struct mime_str str)
{
	const char	*v;
	size_t		 len;

	v = mime_str(t, str, &len);
	return imap_nstring(out, v, len);
}

static int
key_is(const struct mime_tree *t, const struct mime_kv *kv, const char *want)
{
	size_t	 n = strlen(want);

	return kv->klen == n && strncasecmp(t->strs + kv->koff, want, n) == 0;
}

/* "(" key value ... ")" or NIL; add_charset appends the us-ascii default. */
static int
params(struct buf *out, const struct mime_tree *t, uint32_t first, uint32_t n,
    int add_charset)
{
	uint32_t	 i;
	int		 have = 0;

	for (i = 0; i < n && add_charset; i++)
		if (key_is(t, &t->kv[first + i], "charset"))
			add_charset = 0;
	if (n == 0 && !add_charset)
		return buf_add(out, "NIL", 3);
	if (buf_addc(out, '(') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		const struct mime_kv	*kv = &t->kv[first + i];

		if ((have++ && buf_addc(out, ' ') == -1) ||
		    imap_nstring(out, t->strs + kv->koff, kv->klen) == -1 ||
		    buf_addc(out, ' ') == -1 ||
		    imap_nstring(out, t->strs + kv->voff, kv->vlen) == -1)
			return -1;
	}
	if (add_charset && buf_adds(out, have ? " \"charset\" \"us-ascii\"" :
	    "\"charset\" \"us-ascii\"") == -1)
		return -1;
	return buf_addc(out, ')');
}

/* disposition, language, location: the extension data both kinds share. */
static int
ext_common(struct buf *out, const struct mime_tree *t, const struct mime_part *p)
{
	uint32_t	 i;

	if (buf_addc(out, ' ') == -1)
		return -1;
	if (p->disp.off == MIME_NONE) {
		if (buf_add(out, "NIL", 3) == -1)
			return -1;
	} else if (buf_addc(out, '(') == -1 || s(out, t, p->disp) == -1 ||
	    buf_addc(out, ' ') == -1 ||
	    params(out, t, p->dparams, p->ndparams, 0) == -1 ||
	    buf_addc(out, ')') == -1)
		return -1;
	if (buf_addc(out, ' ') == -1)
		return -1;
	if (p->nlangs == MIME_NONE || p->nlangs == 0) {
		if (buf_add(out, "NIL", 3) == -1)
			return -1;
	} else {
		if (buf_addc(out, '(') == -1)
			return -1;
		for (i = 0; i < p->nlangs; i++) {
			const struct mime_kv	*kv = &t->kv[p->langs + i];

			if ((i > 0 && buf_addc(out, ' ') == -1) ||
			    imap_nstring(out, t->strs + kv->koff, kv->klen) == -1)
				return -1;
		}
		if (buf_addc(out, ')') == -1)
			return -1;
	}
	if (buf_addc(out, ' ') == -1)
		return -1;
	return s(out, t, p->loc);
}

static int write_part(struct buf *, const struct mime_tree *, uint32_t, int);

static int
str_is(const struct mime_tree *t, struct mime_str s, const char *want)
{
	size_t	 n = strlen(want);

	return s.off != MIME_NONE && s.len == n &&
	    strncasecmp(t->strs + s.off, want, n) == 0;
}

/*
 * A message that is plain 7-bit text and nothing more: text/plain, no
 * parameter but charset=us-ascii, no other Content-* field but a 7bit
 * encoding. Dovecot writes its structure in a fixed form (lower case
 * whatever the header says), so tegami does too.
 */
static int
plain_7bit(const struct mime_tree *t, const struct mime_part *p)
{
	const struct mime_kv	*kv;

	if (p->kind != MIME_LEAF || !str_is(t, p->type, "text") ||
	    !str_is(t, p->subtype, "plain"))
		return 0;
	if (p->nparams > 1)
		return 0;
	if (p->nparams == 1) {
		kv = &t->kv[p->params];
		if (kv->klen != 7 || strncasecmp(t->strs + kv->koff, "charset", 7) != 0 ||
		    kv->vlen != 8 || strncasecmp(t->strs + kv->voff, "us-ascii", 8) != 0)
			return 0;
	}
	if (p->id.off != MIME_NONE || p->desc.off != MIME_NONE ||
	    (p->cte.off != MIME_NONE && !str_is(t, p->cte, "7bit")) ||
	    p->md5.off != MIME_NONE || p->disp.off != MIME_NONE ||
	    p->loc.off != MIME_NONE || (p->nlangs != MIME_NONE && p->nlangs > 0))
		return 0;
	return 1;
}

static int
multipart(struct buf *out, const struct mime_tree *t, const struct mime_part *p,
    int ext)
{
	uint32_t	 c;

	if (buf_addc(out, '(') == -1)
		return -1;
	if (p->child == MIME_NONE) {
		/* RFC 3501 has no empty multipart: one empty text part stands in. */
		if (buf_adds(out, EMPTY_TEXT) == -1 ||
		    (ext && buf_adds(out, " NIL NIL NIL NIL") == -1) ||
		    buf_addc(out, ')') == -1)
			return -1;
	}
	for (c = p->child; c != MIME_NONE; c = t->parts[c].next)
		if (write_part(out, t, c, ext) == -1)
			return -1;
	if (buf_addc(out, ' ') == -1 || s(out, t, p->subtype) == -1)
		return -1;
	if (ext && (buf_addc(out, ' ') == -1 ||
	    params(out, t, p->params, p->nparams, 0) == -1 ||
	    ext_common(out, t, p) == -1))
		return -1;
	return buf_addc(out, ')');
}

static int
write_part(struct buf *out, const struct mime_tree *t, uint32_t idx, int ext)
{
	const struct mime_part	*p = &t->parts[idx];
	int			 text, opaque;

	if (p->kind == MIME_MULTIPART)
		return multipart(out, t, p, ext);
	if (idx == 0 && plain_7bit(t, p))
		return buf_addf(out, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		    "\"7bit\" %llu %llu%s)", (unsigned long long)p->body_vsize,
		    (unsigned long long)p->body_lines, ext ? " NIL NIL NIL NIL" : "");
	opaque = p->kind == MIME_LEAF && (mime_is(t, p, "multipart", NULL) ||
	    mime_is(t, p, "message", "rfc822") || mime_is(t, p, "message", "global"));
	text = !opaque && mime_is(t, p, "text", NULL);
	if (buf_addc(out, '(') == -1)
		return -1;
	if (opaque) {
		if (buf_adds(out, "\"application\" \"octet-stream\"") == -1)
			return -1;
	} else if (p->kind == MIME_MESSAGE) {
		/* Dovecot writes these two in lower case, whatever the field says. */
		if (buf_adds(out, mime_is(t, p, "message", "rfc822") ?
		    "\"message\" \"rfc822\"" : "\"message\" \"global\"") == -1)
			return -1;
	} else if (s(out, t, p->type) == -1 || buf_addc(out, ' ') == -1 ||
	    s(out, t, p->subtype) == -1)
		return -1;
	if (buf_addc(out, ' ') == -1 ||
	    params(out, t, p->params, p->nparams, text) == -1 ||
	    buf_addc(out, ' ') == -1 || s(out, t, p->id) == -1 ||
	    buf_addc(out, ' ') == -1 || s(out, t, p->desc) == -1 ||
	    buf_addc(out, ' ') == -1)
		return -1;
	if (p->cte.off == MIME_NONE) {
		if (buf_add(out, "\"7bit\"", 6) == -1)
			return -1;
	} else if (s(out, t, p->cte) == -1)
		return -1;
	if (buf_addf(out, " %llu", (unsigned long long)p->body_vsize) == -1)
		return -1;
	if (p->kind == MIME_MESSAGE) {
		if (buf_addc(out, ' ') == -1 ||
		    imap_envelope(out, t, p->child) == -1 ||
		    buf_addc(out, ' ') == -1 ||
		    write_part(out, t, p->child, ext) == -1 ||
		    buf_addf(out, " %llu", (unsigned long long)p->body_lines) == -1)
			return -1;
	} else if (text && buf_addf(out, " %llu",
	    (unsigned long long)p->body_lines) == -1)
		return -1;
	if (ext && (buf_addc(out, ' ') == -1 || s(out, t, p->md5) == -1 ||
	    ext_common(out, t, p) == -1))
		return -1;
	return buf_addc(out, ')');
}

int
imap_bodystructure(struct buf *out, const struct mime_tree *t, uint32_t idx,
    int ext)
{
	if (idx >= t->nparts)
		return -1;
	return write_part(out, t, idx, ext);
}
