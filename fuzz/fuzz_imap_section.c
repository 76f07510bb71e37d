/* libFuzzer target: FETCH body items (BODY, BINARY, BINARY.SIZE, partials, RFC822*) over hostile MIME, with their invariants. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/imap_parse.h"
#include "mail/mime.h"
#include "imap/section.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Reads s whole with chunks of the given size; checks the octets add up to
 * section_length and equal the reference (when given).
 */
static void
read_all(struct section *s, size_t chunk, struct buf *out, const struct buf *ref)
{
	char	 c[4096];
	size_t	 n, total = 0;

	out->len = 0;
	while ((n = section_read(s, c, chunk)) > 0) {
		if (n > chunk)
			abort();
		total += n;
		if (buf_add(out, c, n) == -1)
			abort();
	}
	if (total != section_length(s))
		abort();
	if (ref != NULL && (ref->len != out->len || (out->len > 0 &&
	    memcmp(ref->data, out->data, out->len) != 0)))
		abort();
}

static void
item(const char *msg, size_t len, const struct mime_tree *t,
    const struct imap_fetch_body *f, struct buf *a, struct buf *b)
{
	struct section		*s;
	struct imap_fetch_body	 g;
	enum imap_code		 code;
	const char		*err;
	uint64_t		 total;

	if ((s = section_open(f, msg, len, t, &code, &err)) == NULL) {
		if (code != IMAP_CODE_UNKNOWN_CTE || f->kind == IMAP_FB_BODY)
			abort();
		return;
	}
	read_all(s, 4096, a, NULL);
	section_free(&s);
	total = a->len;
	/* The same in small chunks; then a window of it. */
	s = section_open(f, msg, len, t, &code, &err);
	read_all(s, 7, b, a);
	section_free(&s);
	g = *f;
	g.partial = true;
	g.offset = total ? (uint64_t)len % (total + 2) : 0;
	g.count = 1 + (uint64_t)len % 37;
	s = section_open(&g, msg, len, t, &code, &err);
	if (s == NULL)
		abort();
	read_all(s, 5, b, NULL);
	if (g.offset >= total ? b->len != 0 : (b->len != (g.count < total -
	    g.offset ? g.count : total - g.offset) || (b->len > 0 &&
	    memcmp(b->data, a->data + g.offset, b->len) != 0)))
		abort();
	section_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*msg = (const char *)data;
	struct mime_tree	*t;
	struct imap_fetch_body	 f;
	struct section		*s;
	struct buf		 a, b;
	uint32_t		 path[4];
	unsigned		 i, k;

	if ((t = mime_parse(msg, size)) == NULL)
		return 0;
	buf_init(&a, 0);
	buf_init(&b, 0);
	memset(&f, 0, sizeof(f));
	/* The whole message, then parts named by the first octets. */
	for (k = 0; k < 3; k++) {
		f.kind = (uint8_t)k;
		f.nparts = 0;
		f.text = IMAP_SECTION_NONE;
		item(msg, size, t, &f, &a, &b);
	}
	for (i = 0; i + 2 < size && i < 12; i += 3) {
		path[0] = data[i] % 4 + 1;
		path[1] = data[i + 1] % 3 + 1;
		path[2] = data[i + 2] % 3 + 1;
		f.part = path;
		f.nparts = 1 + data[i] % 3;
		f.kind = (uint8_t)(data[i + 1] % 3);
		f.text = f.kind == IMAP_FB_BODY ? (uint8_t)(data[i + 2] % 5) :
		    IMAP_SECTION_NONE;
		item(msg, size, t, &f, &a, &b);
	}
	for (k = 0; k < 3; k++) {
		static const unsigned items[] = { IMAP_FETCH_RFC822,
		    IMAP_FETCH_RFC822_HEADER, IMAP_FETCH_RFC822_TEXT };

		s = section_open_rfc822(items[k], msg, size, t);
		read_all(s, 4096, &a, NULL);
		section_free(&s);
	}
	/* RFC822 is the message in CRLF form: RFC822.SIZE octets. */
	s = section_open_rfc822(IMAP_FETCH_RFC822, msg, size, t);
	if (section_length(s) != t->vsize)
		abort();
	section_free(&s);
	buf_free(&a);
	buf_free(&b);
	mime_free(&t);
	return 0;
}
