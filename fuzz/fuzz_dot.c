/* libFuzzer target: dot_feed, where input-driven chunking must give what one whole feed gives. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dot.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct result {
	enum dot_status	 status;
	size_t		 consumed;
	struct dot	 d;
	char		*out;
	size_t		 len, cap;
};

static int
collect(void *arg, const char *p, size_t n)
{
	struct result	*r = arg;

	if (n == 0 || n > r->cap - r->len)
		abort();	/* never empty; never more than was fed */
	memcpy(r->out + r->len, p, n);
	r->len += n;
	return 0;
}

/*
 * Feeds body[0..len) in chunks whose sizes come from sizes[] (cycled; 0
 * means the whole input at once). Every chunk lives in its own allocation,
 * so ASan sees any read past it.
 */
static void
run(struct result *r, const uint8_t *body, size_t len, const uint8_t *sizes,
    size_t nsizes, size_t max)
{
	size_t	 off = 0, n, used, k = 0;
	char	*chunk;
	int	 last_empty = 0;

	memset(r, 0, sizeof(*r));
	r->cap = len;
	r->out = malloc(len ? len : 1);
	if (r->out == NULL)
		abort();
	dot_init(&r->d, max);
	r->status = DOT_MORE;
	do {
		n = nsizes ? sizes[k++ % nsizes] : len;
		if (n > len - off)
			n = len - off;
		/* Empty feeds are allowed, but never twice in a row. */
		if (n == 0 && last_empty && off < len)
			n = 1;
		last_empty = n == 0;
		if ((chunk = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(chunk, body + off, n);
		r->status = dot_feed(&r->d, chunk, n, &used, collect, r);
		free(chunk);
		if (used > n || (r->status == DOT_MORE && used != n))
			abort();
		off += used;
	} while (r->status == DOT_MORE && off < len);
	r->consumed = off;
	if (r->d.size != r->len || r->d.size > r->d.max_size)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result	 whole, split;
	const uint8_t	*sizes, *body;
	size_t		 nsizes, len, max;

	/* data[0]: how many chunk sizes follow; data[1]: a size limit, 0 none. */
	if (size < 2)
		return 0;
	nsizes = data[0] % 16;
	max = data[1] < 128 ? 0 : (size_t)(data[1] - 127) * 8;
	if (size - 2 < nsizes)
		return 0;
	sizes = data + 2;
	body = sizes + nsizes;
	len = size - 2 - nsizes;
	if (nsizes == 0) {
		sizes = (const uint8_t *)"\001";
		nsizes = 1;
	}

	run(&whole, body, len, NULL, 0, max);
	run(&split, body, len, sizes, nsizes, max);
	if (whole.status != split.status || whole.consumed != split.consumed ||
	    whole.d.error != split.d.error ||
	    whole.d.eightbit != split.d.eightbit ||
	    whole.len != split.len ||
	    (whole.len && memcmp(whole.out, split.out, whole.len) != 0))
		abort();
	/* The end marker is only ever CRLF "." CRLF, or "." CRLF at the start. */
	if (whole.status == DOT_END) {
		size_t	 c = whole.consumed;

		if (c < 3 || memcmp(body + c - 3, ".\r\n", 3) != 0 ||
		    (c > 3 && (c < 5 || memcmp(body + c - 5, "\r\n", 2) != 0)))
			abort();
	}
	/* Without an error the output has no bare CR or LF. */
	if (whole.d.error == DOT_OK) {
		size_t	 i;

		for (i = 0; i < whole.len; i++)
			if ((whole.out[i] == '\r' && (i + 1 >= whole.len ||
			    whole.out[i + 1] != '\n')) || (whole.out[i] == '\n' &&
			    (i == 0 || whole.out[i - 1] != '\r')) ||
			    whole.out[i] == '\0')
				abort();
	}
	free(whole.out);
	free(split.out);
	return 0;
}
