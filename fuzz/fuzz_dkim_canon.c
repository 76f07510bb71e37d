/* libFuzzer target: DKIM body canonicalization fed in input-driven chunks must equal one whole feed; header canonicalization invariants. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/dkim_canon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct result {
	struct buf	 out;
	unsigned char	 md[32];
	uint64_t	 len;
};

static void
tap(void *arg, const char *p, size_t n)
{
	if (n == 0 || buf_add(arg, p, n) == -1)
		abort();
}

/*
 * Canonicalizes body[0..len) in chunks whose sizes come from sizes[] (cycled;
 * none: all at once). Every chunk lives in its own allocation, so ASan sees
 * any read past it.
 */
static void
run(struct result *r, enum dkim_canon c, uint64_t limit, const uint8_t *body,
    size_t len, const uint8_t *sizes, size_t nsizes)
{
	struct dkim_body	 b;
	size_t			 off = 0, n, k = 0;
	char			*chunk;
	int			 last_empty = 0;

	buf_init(&r->out, 0);
	if (dkim_body_init(&b, c, limit) == -1)
		abort();
	b.tap = tap;
	b.tap_arg = &r->out;
	while (off < len) {
		n = nsizes ? sizes[k++ % nsizes] : len;
		if (n > len - off)
			n = len - off;
		/* Empty feeds are allowed, but never twice in a row. */
		if (n == 0 && last_empty)
			n = 1;
		last_empty = n == 0;
		if ((chunk = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(chunk, body + off, n);
		if (dkim_body_update(&b, chunk, n) == -1)
			abort();
		free(chunk);
		off += n;
	}
	if (dkim_body_final(&b, r->md) == -1)
		abort();
	r->len = b.len;
	dkim_body_free(&b);
}

static int
same(const struct result *a, const struct result *b)
{
	return a->len == b->len && a->out.len == b->out.len &&
	    (a->out.len == 0 || memcmp(a->out.data, b->out.data,
	    a->out.len) == 0) && memcmp(a->md, b->md, 32) == 0;
}

/* What every canonical body looks like. */
static void
check_form(const struct result *r, enum dkim_canon c, uint64_t limit)
{
	const char	*p = r->out.data;
	size_t		 n = r->out.len, i;
	unsigned char	 md[32];

	if (limit == UINT64_MAX && r->len != n)
		abort();
	if (n > limit)
		abort();
	/* The hash is of exactly the octets that were tapped. */
	if (EVP_Digest(n ? p : "", n, md, NULL, EVP_sha256(), NULL) != 1 ||
	    memcmp(md, r->md, 32) != 0)
		abort();
	if (limit != UINT64_MAX)
		return;
	/* Non-empty bodies end with one CRLF, never with an empty line. */
	if (n > 0 && (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n'))
		abort();
	if (n >= 4 && memcmp(p + n - 4, "\r\n\r\n", 4) == 0)
		abort();
	if (c == DKIM_CANON_SIMPLE && n == 0)
		abort();
	for (i = 0; i < n; i++) {
		/* Every LF is the end of a CRLF. */
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			abort();
		if (c == DKIM_CANON_RELAXED) {
			if (p[i] == '\t')
				abort();
			if (p[i] == ' ' && i + 1 < n && (p[i + 1] == ' ' ||
			    (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')))
				abort();
		}
	}
}

/*
 * The body canonicalization of RFC 6376 3.4.3 and 3.4.4 done the plain way,
 * on the whole body at once, to compare with the streaming one: lines end
 * at LF (a CR before it belongs to the line end); relaxed turns runs of
 * SP/HTAB into one SP and drops it at line ends; empty lines at the end go;
 * a last line without its line end gets one; simple makes nothing a CRLF.
 */
static void
reference(struct buf *out, enum dkim_canon c, const uint8_t *body, size_t len)
{
	size_t	 i = 0, end, j, empty = 0;
	int	 wsp;

	buf_init(out, 0);
	while (i < len) {
		const uint8_t	*nl = memchr(body + i, '\n', len - i);
		struct buf	 line;

		end = nl ? (size_t)(nl - body) : len;
		j = nl && end > i && body[end - 1] == '\r' ? end - 1 : end;
		buf_init(&line, 0);
		for (wsp = 0; i < j; i++) {
			if (c == DKIM_CANON_RELAXED && (body[i] == ' ' ||
			    body[i] == '\t')) {
				wsp = 1;
				continue;
			}
			if (wsp)
				(void)buf_addc(&line, ' ');
			wsp = 0;
			(void)buf_addc(&line, (char)body[i]);
		}
		i = nl ? end + 1 : len;
		if (line.len == 0 && !(c == DKIM_CANON_SIMPLE && wsp)) {
			empty++;
			buf_free(&line);
			continue;
		}
		for (; empty > 0; empty--)
			(void)buf_add(out, "\r\n", 2);
		(void)buf_add(out, line.data, line.len);
		(void)buf_add(out, "\r\n", 2);
		buf_free(&line);
	}
	if (c == DKIM_CANON_SIMPLE && out->len == 0)
		(void)buf_add(out, "\r\n", 2);
}

/* Relaxed header canonicalization is idempotent and lowercases the name. */
static void
check_header(const uint8_t *data, size_t size)
{
	struct buf	 a, b;
	const char	*s = (const char *)data, *colon;
	size_t		 nlen;

	colon = memchr(s, ':', size);
	nlen = colon ? (size_t)(colon - s) : size / 2;
	buf_init(&a, 0);
	buf_init(&b, 0);
	if (dkim_canon_header(&a, DKIM_CANON_RELAXED, s, nlen, s + nlen +
	    (colon ? 1 : 0), size - nlen - (colon ? 1 : 0), 0) == -1 ||
	    dkim_canon_header(&b, DKIM_CANON_SIMPLE, s, nlen, s + nlen,
	    size - nlen, 1) == -1)
		abort();
	colon = memchr(a.data, ':', a.len);
	/* The value is after the first colon of the output when the name had none. */
	if (colon != NULL && memchr(s, ':', nlen) == NULL) {
		size_t	 n2 = (size_t)(colon - a.data), i;

		for (i = 0; i < n2; i++)
			if (a.data[i] >= 'A' && a.data[i] <= 'Z')
				abort();
		buf_reset(&b);
		if (dkim_canon_header(&b, DKIM_CANON_RELAXED, a.data, n2,
		    colon + 1, a.len - n2 - 1, 0) == -1 || b.len != a.len ||
		    memcmp(a.data, b.data, a.len) != 0)
			abort();
	}
	buf_free(&a);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result	 whole, split, lf;
	const uint8_t	*sizes, *body;
	size_t		 nsizes, len, i, k;
	enum dkim_canon	 c;
	uint64_t	 limit;
	uint8_t		*crlf;

	/* data[0]: canon and chunk count; data[1]: l= (0xff none); then sizes, body. */
	if (size < 2)
		return 0;
	c = data[0] & 1 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	nsizes = (data[0] >> 1) % 16;
	limit = data[1] == 0xff ? UINT64_MAX : data[1];
	if (size - 2 < nsizes)
		return 0;
	sizes = data + 2;
	body = sizes + nsizes;
	len = size - 2 - nsizes;
	if (nsizes == 0) {
		sizes = (const uint8_t *)"\001";
		nsizes = 1;
	}
	run(&whole, c, limit, body, len, NULL, 0);
	run(&split, c, limit, body, len, sizes, nsizes);
	if (!same(&whole, &split))
		abort();
	check_form(&whole, c, limit);
	{
		struct buf	 ref;
		size_t		 n;

		reference(&ref, c, body, len);
		n = limit < ref.len ? (size_t)limit : ref.len;
		if (whole.len != ref.len || whole.out.len != n ||
		    (n > 0 && memcmp(whole.out.data, ref.data, n) != 0))
			abort();
		buf_free(&ref);
	}

	/* LF line ends canonicalize as CRLF ones. */
	if ((crlf = malloc(len * 2 + 1)) == NULL)
		abort();
	for (i = k = 0; i < len; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			crlf[k++] = '\r';
		crlf[k++] = body[i];
	}
	run(&lf, c, limit, crlf, k, sizes, nsizes);
	if (!same(&whole, &lf))
		abort();
	free(crlf);
	buf_free(&whole.out);
	buf_free(&split.out);
	buf_free(&lf.out);

	check_header(body, len);
	return 0;
}
