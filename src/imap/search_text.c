/* The text BODY and TEXT search: text parts decoded to UTF-8 and folded, through buffers reused from message to message. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mail/mime.h"
#include "mail/mime_charset.h"
#include "mail/mime_decode.h"
#include "mail/mime_text.h"
#include "imap/search_fold.h"
#include "imap/search_job.h"

/* The charset parameter of a part, NUL-terminated in cs; "" when none or too long. */
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

/* ASCII without escape sequences: the same in any charset mail uses. */
static bool
plain_ascii(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == 0x1b)
			return false;
	return true;
}

/* One text leaf: transfer encoding undone, charset to UTF-8 (mime_text_body's rules), folded. */
static int
body(struct search_scratch *sc, const char *msg, const struct mime_tree *t,
    const struct mime_part *p, struct buf *out)
{
	struct mime_decoder	 d;
	const char		*cte, *text;
	size_t			 ctelen, len;
	enum mime_cte		 kind;
	char			 cs[64];

	cte = mime_str(t, p->cte, &ctelen);
	kind = mime_cte_kind(cte, ctelen);
	if (kind == MIME_CTE_BASE64 || kind == MIME_CTE_QP) {
		sc->raw.len = 0;
		mime_decoder_init(&d, kind);
		(void)mime_decoder_feed(&d, msg + p->body_off,
		    (size_t)(p->body_end - p->body_off), &sc->raw);
		(void)mime_decoder_end(&d, &sc->raw);
		text = sc->raw.data ? sc->raw.data : "";
		len = sc->raw.len;
	} else {
		text = msg + p->body_off;
		len = (size_t)(p->body_end - p->body_off);
	}
	charset(t, p, cs, sizeof(cs));
	if (!plain_ascii(text, len)) {
		sc->utf.len = 0;
		(void)mime_charset_to_utf8(cs, text, len, &sc->utf);
		text = sc->utf.data ? sc->utf.data : "";
		len = sc->utf.len;
	}
	return search_fold(out, text, len);
}

int
search_text_fold(struct buf *out, struct search_scratch *sc, const char *msg,
    const struct mime_tree *t, int what)
{
	uint32_t	 i;

	for (i = 0; i < t->nparts; i++) {
		const struct mime_part	*p = &t->parts[i];

		if ((what & MIME_TEXT_HEADERS) && p->env != MIME_NONE) {
			sc->utf.len = 0;
			if (mime_text_header(&sc->utf, msg, t, i, NULL) == -1 ||
			    search_fold(out, sc->utf.data ? sc->utf.data : "",
			    sc->utf.len) == -1 || buf_addc(out, '\n') == -1)
				return -1;
		}
		if ((what & MIME_TEXT_BODIES) && p->kind == MIME_LEAF &&
		    mime_is(t, p, "text", NULL) &&
		    (body(sc, msg, t, p, out) == -1 || buf_addc(out, '\n') == -1))
			return -1;
	}
	return 0;
}
