/* Search text: what a person reads in a message, as UTF-8, whatever charset and encoding it came in. */
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mail/mime.h"
#include "mail/mime_charset.h"
#include "mail/mime_decode.h"
#include "mail/mime_header.h"
#include "mail/mime_text.h"

int
mime_text_header(struct buf *out, const char *msg, const struct mime_tree *t,
    uint32_t idx, const char *name)
{
	const struct mime_part	*p;
	struct mime_hdr		 h;
	struct mime_field	 f;

	if (idx >= t->nparts)
		return 0;
	p = &t->parts[idx];
	mime_hdr_init(&h, msg + p->hdr_off, (size_t)(p->body_off - p->hdr_off));
	while (mime_hdr_next(&h, &f)) {
		if (f.nocolon || f.namelen == 0 ||
		    (name != NULL && !mime_field_is(&f, name)))
			continue;
		if (buf_add(out, f.name, f.namelen) == -1 ||
		    buf_add(out, ": ", 2) == -1)
			return -1;
		mime_words_decode(f.value, f.valuelen, out);
		if (buf_addc(out, '\n') == -1)
			return -1;
	}
	return 0;
}

/* The charset parameter of a part, NUL-terminated in cs, or "" when none. */
static void
charset(const struct mime_tree *t, const struct mime_part *p, char *cs,
    size_t cslen)
{
	uint32_t	 i;

	cs[0] = '\0';
	for (i = 0; i < p->nparams; i++) {
		const struct mime_kv	*kv = &t->kv[p->params + i];

		if (kv->klen == 7 && strncasecmp(t->strs + kv->koff, "charset",
		    7) == 0 && kv->vlen < cslen) {
			memcpy(cs, t->strs + kv->voff, kv->vlen);
			cs[kv->vlen] = '\0';
			return;
		}
	}
}

int
mime_text_body(struct buf *out, const char *msg, const struct mime_tree *t,
    uint32_t idx, int *malformed)
{
	const struct mime_part	*p;
	struct mime_decoder	 d;
	struct buf		 raw;
	const char		*cte;
	size_t			 ctelen;
	char			 cs[64];
	int			 r = 0;

	if (idx >= t->nparts)
		return 0;
	p = &t->parts[idx];
	if (p->kind != MIME_LEAF || !mime_is(t, p, "text", NULL))
		return 0;
	cte = mime_str(t, p->cte, &ctelen);
	mime_decoder_init(&d, mime_cte_kind(cte, ctelen));
	buf_init(&raw, out->max);
	if (mime_decoder_feed(&d, msg + p->body_off,
	    (size_t)(p->body_end - p->body_off), &raw) == -1 ||
	    mime_decoder_end(&d, &raw) == -1)
		r = -1;
	if (malformed != NULL && d.malformed)
		*malformed = 1;
	charset(t, p, cs, sizeof(cs));
	if (r == 0)
		(void)mime_charset_to_utf8(cs, raw.data ? raw.data : "", raw.len,
		    out);
	buf_free(&raw);
	return r;
}

int
mime_text_search(struct buf *out, const char *msg, const struct mime_tree *t,
    int what)
{
	uint32_t	 i;

	for (i = 0; i < t->nparts; i++) {
		const struct mime_part	*p = &t->parts[i];

		if ((what & MIME_TEXT_HEADERS) && p->env != MIME_NONE &&
		    (mime_text_header(out, msg, t, i, NULL) == -1 ||
		    buf_addc(out, '\n') == -1))
			return -1;
		if ((what & MIME_TEXT_BODIES) && p->kind == MIME_LEAF &&
		    (mime_text_body(out, msg, t, i, NULL) == -1 ||
		    buf_addc(out, '\n') == -1))
			return -1;
	}
	return 0;
}
