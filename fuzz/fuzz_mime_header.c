/* libFuzzer target: RFC 2047 words, RFC 2231 parameters, address lists, dates and the IMAP string forms. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/imap_string.h"
#include "mail/mime_addr.h"
#include "mail/mime_charset.h"
#include "mail/mime_date.h"
#include "mail/mime_decode.h"
#include "mail/mime_header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Decoding in one piece and in two gives the same octets and verdict. */
static void
decoder(enum mime_cte cte, const char *in, size_t len)
{
	struct mime_decoder	 a, b;
	struct buf		 x, y;
	size_t			 cut = len ? (unsigned char)in[0] % (len + 1) : 0;

	buf_init(&x, 0);
	buf_init(&y, 0);
	mime_decoder_init(&a, cte);
	mime_decoder_init(&b, cte);
	if (mime_decoder_feed(&a, in, len, &x) == -1 ||
	    mime_decoder_end(&a, &x) == -1 ||
	    mime_decoder_feed(&b, in, cut, &y) == -1 ||
	    mime_decoder_feed(&b, in + cut, len - cut, &y) == -1 ||
	    mime_decoder_end(&b, &y) == -1)
		abort();
	if (x.len != y.len || (x.len && memcmp(x.data, y.data, x.len) != 0) ||
	    a.malformed != b.malformed)
		abort();
	buf_free(&x);
	buf_free(&y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*s = (const char *)data;
	struct buf		 out, arena;
	struct mime_addrlist	 l;
	struct mime_params	*p;
	struct mime_kv		 ts;
	time_t			 t;
	int			 tz;
	size_t			 i;

	buf_init(&out, 0);
	buf_init(&arena, 0);
	mime_words_decode(s, size, &out);
	if (!mime_utf8_valid(out.data ? out.data : "", out.len))
		abort();
	out.len = 0;
	if (imap_string_for_humans(&out, s, size) == -1 ||
	    imap_nstring(&out, s, size) == -1 ||
	    imap_nstring_nolf(&out, s, size) == -1)
		abort();

	memset(&l, 0, sizeof(l));
	mime_addr_parse(s, size, &l);
	for (i = 0; i < l.n; i++)
		if (l.a[i].group && l.a[i].host != NULL)
			abort();
	mime_addrlist_free(&l);

	if ((p = malloc(sizeof(*p))) == NULL)
		abort();
	if (mime_ctype_parse(s, size, &arena, &ts, p) == 0 &&
	    mime_params_2231(&arena, p) == 0) {
		if (p->n > MIME_MAX_PARAMS)
			abort();
		for (i = 0; i < p->n; i++)
			if ((size_t)p->kv[i].koff + p->kv[i].klen > arena.len ||
			    (size_t)p->kv[i].voff + p->kv[i].vlen > arena.len)
				abort();
		out.len = 0;
		(void)mime_param_utf8(arena.data, p->kv, p->n, "name", &out);
		(void)mime_param_utf8(arena.data, p->kv, p->n, "filename", &out);
	}
	free(p);

	(void)mime_date_parse(s, size, &t, &tz);
	if (mime_date_parse(s, size, &t, &tz) == 0 && (tz < -24 * 60 ||
	    tz > 24 * 60))
		abort();

	decoder(MIME_CTE_BASE64, s, size);
	decoder(MIME_CTE_QP, s, size);
	buf_free(&out);
	buf_free(&arena);
	return 0;
}
