/* libFuzzer target: mime_parse, the cache round trip, ENVELOPE/BODYSTRUCTURE, sections and CRLF output, with their invariants. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/imap_bodystructure.h"
#include "mail/imap_envelope.h"
#include "mail/mime.h"
#include "mail/mime_text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
appendf(void *arg, const char *p, size_t n)
{
	if (n == 0)
		abort();
	return buf_add(arg, p, n);
}

static void
structure(const struct mime_tree *t, struct buf *out)
{
	if (imap_envelope(out, t, 0) == -1 ||
	    imap_bodystructure(out, t, 0, 1) == -1 ||
	    imap_bodystructure(out, t, 0, 0) == -1)
		abort();
}

/* Every part inside its parent's body, inside the message, sizes consistent. */
static void
check_parts(const struct mime_tree *t, const char *msg, size_t len)
{
	uint32_t	 i;

	for (i = 0; i < t->nparts; i++) {
		const struct mime_part	*p = &t->parts[i];

		if (p->hdr_off > p->body_off || p->body_off > p->body_end ||
		    p->body_end > len)
			abort();
		if (p->hdr_vsize != mime_vsize(msg, p->hdr_off, p->body_off) ||
		    p->body_vsize != mime_vsize(msg, p->body_off, p->body_end) ||
		    p->hdr_vsize < p->body_off - p->hdr_off ||
		    p->body_vsize < p->body_end - p->body_off)
			abort();
		if (p->depth >= MIME_MAX_DEPTH)
			abort();
		if (p->parent != MIME_NONE) {
			const struct mime_part	*pp = &t->parts[p->parent];

			if (p->hdr_off < pp->body_off || p->body_end > pp->body_end)
				abort();
		}
	}
	if (t->nparts > MIME_MAX_PARTS + 1 || t->vsize != mime_vsize(msg, 0, len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*msg = (const char *)data;
	struct mime_tree	*t, *u, *t2;
	struct buf		 s1, s2, e1, e2, w, part;
	const char		*err;
	uint64_t		 start, end, voff, vlen;
	struct mime_section	 sec;
	uint32_t		 i;

	if ((t = mime_parse(msg, size)) == NULL)
		abort();
	check_parts(t, msg, size);
	buf_init(&s1, 0);
	buf_init(&s2, 0);
	buf_init(&e1, 0);
	buf_init(&e2, 0);
	buf_init(&w, 0);
	buf_init(&part, 0);
	/* Deterministic: the same input gives the same tree. */
	if ((t2 = mime_parse(msg, size)) == NULL || mime_serialize(t, &s1) == -1 ||
	    mime_serialize(t2, &s2) == -1 || s1.len != s2.len ||
	    memcmp(s1.data, s2.data, s1.len) != 0)
		abort();
	mime_free(&t2);
	/* The cache round trip gives back the same answers. */
	if ((u = mime_unserialize(s1.data, s1.len, size, &err)) == NULL)
		abort();
	structure(t, &e1);
	structure(u, &e2);
	if (e1.len != e2.len || memcmp(e1.data, e2.data, e1.len) != 0)
		abort();
	s2.len = 0;
	if (mime_serialize(u, &s2) == -1 || s1.len != s2.len ||
	    memcmp(s1.data, s2.data, s1.len) != 0)
		abort();
	mime_free(&u);
	/* A damaged cache entry is refused or consistent, never trusted blindly. */
	if (s1.len > 20) {
		s1.data[size % (s1.len - 8)] ^= 0x5a;
		if ((u = mime_unserialize(s1.data, s1.len, size, &err)) != NULL) {
			e2.len = 0;
			structure(u, &e2);
			mime_free(&u);
		}
	}
	/* CRLF output: the whole is vsize long, any window is a slice of it. */
	for (i = 0; i < t->nparts && i < 8; i++) {
		const struct mime_part	*p = &t->parts[i];

		w.len = part.len = 0;
		if (mime_crlf_write(msg, p->body_off, p->body_end, 0, UINT64_MAX,
		    appendf, &part) == -1 || part.len != p->body_vsize)
			abort();
		voff = size ? data[i % size] % (part.len + 2) : 0;
		vlen = size ? data[(i + 1) % size] % 50 : 0;
		if (mime_crlf_write(msg, p->body_off, p->body_end, voff, vlen,
		    appendf, &w) == -1)
			abort();
		if (voff >= part.len ? w.len != 0 :
		    (w.len != (vlen < part.len - voff ? vlen : part.len - voff) ||
		    (w.len > 0 && memcmp(w.data, part.data + voff, w.len) != 0)))
			abort();
	}
	/* Sections named by the input's first octets. */
	for (i = 0; i + 1 < size && i < 6; i += 2) {
		char	 spec[16];
		int	 n;

		n = snprintf(spec, sizeof(spec), "%u.%u", data[i] % 4 + 1,
		    data[i + 1] % 4 + 1);
		if (mime_section_parse(spec, (size_t)n, &sec, &err) == -1)
			abort();
		if (mime_section_find(t, &sec, &start, &end) &&
		    (start > end || end > size))
			abort();
	}
	w.len = 0;
	(void)mime_text_search(&w, msg, t, MIME_TEXT_HEADERS | MIME_TEXT_BODIES);
	mime_free(&t);
	buf_free(&s1);
	buf_free(&s2);
	buf_free(&e1);
	buf_free(&e2);
	buf_free(&w);
	buf_free(&part);
	return 0;
}
