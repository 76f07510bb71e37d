/* FETCH body items as a list of segments (raw octets in CRLF form, built bytes, decoded bodies) read in chunks. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/imap_write.h"
#include "mail/mime.h"
#include "mail/mime_decode.h"
#include "mail/mime_header.h"
#include "imap/section.h"

/*
 * What Dovecot answers, which clients know (checked against Dovecot 2.3,
 * tests/data/imapsection/README):
 * - BODY: octets in CRLF form; a NUL, which no literal may carry, goes out
 *   as 0x80.
 * - BINARY of a leaf: its body decoded (base64 as the octets it encodes,
 *   quoted-printable with hard line breaks as CRLF), or in CRLF form for
 *   7bit, 8bit and binary. BINARY of a multipart or message/rfc822 part,
 *   and BINARY[] of the message: every base64 and quoted-printable leaf
 *   inside decoded, its Content-Transfer-Encoding fields taken out and
 *   "Content-Transfer-Encoding: binary" added at the end of its header.
 *   A leaf of unknown encoding makes NO [UNKNOWN-CTE]. literal8 ("~{n}")
 *   when something was decoded, the data holds a NUL, or for BINARY[].
 * - A part that does not exist is an empty literal.
 * Where Dovecot refuses malformed base64 or quoted-printable (NO [PARSE],
 * or an internal error), the decoding here is lenient as mail readers
 * are (mime_decode.h), so the client gets what it would decode itself.
 */

enum seg_kind { SEG_RAW, SEG_BYTES, SEG_DECODE };

struct seg {
	uint8_t		 kind;
	uint8_t		 cte;		/* SEG_DECODE */
	uint64_t	 a, b;		/* raw range; SEG_BYTES: offsets into bytes */
	uint64_t	 size;		/* octets it gives */
};

/* A reader of raw octets in CRLF form, resumable. */
struct raw {
	uint64_t	 pos, end;
	bool		 lfpend;	/* the CR of a bare LF went out, its LF not */
	bool		 nul80;		/* NUL as 0x80 (BODY) */
};

struct section {
	struct buf	 head;		/* "BODY[1]<0>", "RFC822.TEXT", ... */
	bool		 size_only;	/* BINARY.SIZE */
	bool		 literal8;
	bool		 seen;
	const char	*msg;
	struct seg	*segs;
	size_t		 nsegs, cap;
	struct buf	 bytes;		/* SEG_BYTES */
	uint64_t	 total;		/* all segments */
	uint64_t	 length;	/* what is sent: the partial window */

	/* reading */
	uint64_t	 left;		/* octets still to give */
	size_t		 cur;		/* segment */
	uint64_t	 skip;		/* octets of segment cur to skip first */
	bool		 started;	/* segment cur set up */
	struct raw	 raw;
	uint64_t	 boff;		/* SEG_BYTES */
	struct mime_decoder dec;
	struct raw	 din;		/* SEG_DECODE: its input */
	bool		 dend;		/* the decoder was ended */
	struct buf	 dout;
	size_t		 doff;

	/* building */
	uint64_t	 bcur;		/* raw octets up to here are covered */
	bool		 unknown_cte;
	bool		 decoded;	/* a base64 or quoted-printable body */
	bool		 nul_seen;	/* the data holds a NUL */
};

/* --- raw octets ----------------------------------------------------------- */

static void
raw_init(struct raw *r, const char *msg, uint64_t a, uint64_t b, uint64_t voff,
    bool nul80)
{
	uint64_t	 vat;

	memset(r, 0, sizeof(*r));
	r->end = b;
	r->nul80 = nul80;
	r->pos = voff == 0 ? a : mime_crlf_seek(msg, a, b, voff, &vat);
	if (voff > 0 && r->pos < b && vat + 1 == voff)
		r->lfpend = true;
}

static size_t
raw_read(struct raw *r, const char *msg, char *dst, size_t room)
{
	const char	*p, *lf;
	size_t		 n = 0, run, i;

	while (n < room) {
		if (r->lfpend) {
			dst[n++] = '\n';
			r->lfpend = false;
			r->pos++;
			continue;
		}
		if (r->pos >= r->end)
			break;
		p = msg + r->pos;
		run = r->end - r->pos < room - n ? (size_t)(r->end - r->pos) :
		    room - n;
		if ((lf = memchr(p, '\n', run)) != NULL)
			run = (size_t)(lf - p);
		memcpy(dst + n, p, run);
		if (r->nul80)
			for (i = n; i < n + run; i++)
				if (dst[i] == '\0')
					dst[i] = (char)0x80;
		n += run;
		r->pos += run;
		if (lf == NULL || n == room)
			continue;
		/* At a LF: after a CR it goes as it is, alone it becomes CRLF. */
		if (r->pos > 0 && msg[r->pos - 1] == '\r') {
			dst[n++] = '\n';
			r->pos++;
		} else {
			dst[n++] = '\r';
			r->lfpend = true;
		}
	}
	return n;
}

/* --- segments --------------------------------------------------------- */

static struct seg *
seg_add(struct section *s, enum seg_kind kind)
{
	struct seg	*g;

	if (s->nsegs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->segs = xreallocarray(s->segs, s->cap, sizeof(*s->segs));
	}
	g = &s->segs[s->nsegs++];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	return g;
}

static void
add_raw(struct section *s, uint64_t a, uint64_t b)
{
	struct seg	*g;

	if (b <= a)
		return;
	g = seg_add(s, SEG_RAW);
	g->a = a;
	g->b = b;
	g->size = mime_vsize(s->msg, a, b);
	if (memchr(s->msg + a, '\0', (size_t)(b - a)) != NULL)
		s->nul_seen = true;
}

static void
add_bytes(struct section *s, const char *p, size_t n)
{
	struct seg	*g;

	if (n == 0)
		return;
	g = seg_add(s, SEG_BYTES);
	g->a = s->bytes.len;
	(void)buf_add(&s->bytes, p, n);
	g->b = s->bytes.len;
	g->size = g->b - g->a;
}

/* The decoded size: one pass through the decoder, output dropped. */
static uint64_t
decoded_size(struct section *s, const struct seg *g, bool *nul)
{
	struct mime_decoder	 d;
	struct raw		 r;
	struct buf		 out;
	char			 in[16384];
	size_t			 n;
	uint64_t		 size = 0;

	mime_decoder_init(&d, g->cte);
	raw_init(&r, s->msg, g->a, g->b, 0, false);
	buf_init(&out, 0);
	for (;;) {
		n = raw_read(&r, s->msg, in, sizeof(in));
		out.len = 0;
		if (n == 0)
			(void)mime_decoder_end(&d, &out);
		else
			(void)mime_decoder_feed(&d, in, n, &out);
		if (out.len > 0 && memchr(out.data, '\0', out.len) != NULL)
			*nul = true;
		size += out.len;
		if (n == 0)
			break;
	}
	buf_free(&out);
	return size;
}

static void
add_decode(struct section *s, uint64_t a, uint64_t b, enum mime_cte cte)
{
	struct seg	*g;
	bool		 nul = false;

	g = seg_add(s, SEG_DECODE);
	g->a = a;
	g->b = b;
	g->cte = (uint8_t)cte;
	g->size = decoded_size(s, g, &nul);
	s->decoded = true;
	if (nul)
		s->nul_seen = true;
}

static void
cover_to(struct section *s, uint64_t x)
{
	if (x > s->bcur) {
		add_raw(s, s->bcur, x);
		s->bcur = x;
	}
}

/*
 * The encoding BINARY decodes: the last Content-Transfer-Encoding field of
 * the part's header, MIME-Version or not (as Dovecot decodes; its
 * BODYSTRUCTURE shows the first valid one); one that is not a single token
 * is unknown.
 */
static enum mime_cte
part_cte(const struct section *s, const struct mime_part *p)
{
	struct mime_hdr		 h;
	struct mime_field	 f, last;
	size_t			 off, n;
	bool			 have = false;

	mime_hdr_init(&h, s->msg + p->hdr_off, (size_t)(p->body_off - p->hdr_off));
	while (mime_hdr_next(&h, &f))
		if (!f.nocolon && mime_field_is(&f, "Content-Transfer-Encoding")) {
			last = f;
			have = true;
		}
	if (!have)
		return MIME_CTE_7BIT;
	if (!mime_token_only(last.value, last.valuelen, &off, &n))
		return MIME_CTE_UNKNOWN;
	return mime_cte_kind(last.value + off, n);
}

/* A decoded leaf's header: its CTE fields out, "binary" at its end. */
static void
rewrite_header(struct section *s, const struct mime_part *p)
{
	static const char	 field[] = "Content-Transfer-Encoding: binary\r\n";
	struct mime_hdr		 h;
	struct mime_field	 f;
	uint64_t		 last = p->hdr_off;

	mime_hdr_init(&h, s->msg + p->hdr_off, (size_t)(p->body_off - p->hdr_off));
	while (mime_hdr_next(&h, &f)) {
		uint64_t	 st = (uint64_t)(f.start - s->msg);
		uint64_t	 en = (uint64_t)(f.end - s->msg);

		if (!f.nocolon && mime_field_is(&f, "Content-Transfer-Encoding")) {
			cover_to(s, st);
			s->bcur = en;
		}
		last = en;
	}
	cover_to(s, last);
	add_bytes(s, field, sizeof(field) - 1);
}

/*
 * BINARY's conversion of part idx: decoded leaves, the rest as it is.
 * header: the part's own header is in the range. An explicit stack, since
 * parts nest up to MIME_MAX_DEPTH and siblings are many.
 */
static void
convert(struct section *s, const struct mime_tree *t, uint32_t idx, bool header)
{
	const struct mime_part	*p;
	uint32_t		*stack, k, c, i;
	size_t			 ns = 0;
	enum mime_cte		 cte;

	stack = xreallocarray(NULL, t->nparts + 1, sizeof(*stack));
	stack[ns++] = idx;
	while (ns > 0 && !s->unknown_cte) {
		k = stack[--ns];
		p = &t->parts[k];
		if (p->kind != MIME_LEAF) {
			/* The children, first on top. */
			ns += p->nchildren;
			for (i = 0, c = p->child; c != MIME_NONE && i < p->nchildren;
			    c = t->parts[c].next, i++)
				stack[ns - 1 - i] = c;
			continue;
		}
		cte = part_cte(s, p);
		if (cte == MIME_CTE_UNKNOWN)
			s->unknown_cte = true;
		else if (cte == MIME_CTE_BASE64 || cte == MIME_CTE_QP) {
			if (k != idx || header)
				rewrite_header(s, p);
			cover_to(s, p->body_off);
			add_decode(s, p->body_off, p->body_end, cte);
			s->bcur = p->body_end;
		}
	}
	free(stack);
}

/* --- finding the part ---------------------------------------------------- */

/*
 * The part a section path names, the way mime_section_find has it (a
 * part that is not multipart is its own part 1; below message/rfc822 are
 * the parts of its message). *part: MIME_NONE for the message itself
 * (empty path); *msg: the message whose HEADER and TEXT the path names.
 * Returns 0 when there is no such part.
 */
static int
resolve(const struct mime_tree *t, const uint32_t *path, size_t n,
    uint32_t *part, uint32_t *msg)
{
	const struct mime_part	*m = &t->parts[0], *p = NULL, *c;
	size_t			 i;
	bool			 self = false;

	for (i = 0; i < n; i++) {
		uint32_t	 k = path[i];

		if (p != NULL && p->kind == MIME_MESSAGE) {
			if (p->child == MIME_NONE)
				return 0;
			m = &t->parts[p->child];
			p = NULL;
		}
		c = NULL;
		if (k == 0)
			return 0;
		if (p == NULL) {
			if (m->kind == MIME_MULTIPART)
				c = mime_child(t, m, k - 1);
			else if (k == 1) {
				c = m;
				self = true;
				goto next;
			}
		} else if (p->kind == MIME_MULTIPART)
			c = mime_child(t, p, k - 1);
		else if (!self && k == 1) {
			self = true;
			c = p;
			goto next;
		}
		self = false;
 next:
		if ((p = c) == NULL)
			return 0;
	}
	*part = p == NULL ? MIME_NONE : (uint32_t)(p - t->parts);
	*msg = (uint32_t)(m - t->parts);
	return 1;
}

/* HEADER.FIELDS [.NOT] of the header msg[a..b), in CRLF form, then the blank line. */
static void
fields(struct section *s, uint64_t a, uint64_t b, const struct imap_fetch_body *f)
{
	struct mime_hdr		 h;
	struct mime_field	 fl;
	struct raw		 r;
	char			 chunk[4096];
	size_t			 i, n;
	bool			 match, want = f->text == IMAP_SECTION_HEADER_FIELDS;
	struct buf		*out = &s->bytes;
	size_t			 start = out->len;

	mime_hdr_init(&h, s->msg + a, (size_t)(b - a));
	while (mime_hdr_next(&h, &fl)) {
		match = false;
		for (i = 0; i < f->nfields && !fl.nocolon && !match; i++)
			match = fl.namelen > 0 && fl.namelen == f->fields[i].len &&
			    strncasecmp(fl.name, f->fields[i].p, fl.namelen) == 0;
		if (match != want)
			continue;
		raw_init(&r, s->msg, (uint64_t)(fl.start - s->msg),
		    (uint64_t)(fl.end - s->msg), 0, true);
		while ((n = raw_read(&r, s->msg, chunk, sizeof(chunk))) > 0)
			(void)buf_add(out, chunk, n);
		if (fl.end[-1] != '\n')
			(void)buf_add(out, "\r\n", 2);
	}
	(void)buf_add(out, "\r\n", 2);
	{
		struct seg	*g = seg_add(s, SEG_BYTES);

		g->a = start;
		g->b = out->len;
		g->size = g->b - g->a;
	}
}

/* --- opening ------------------------------------------------------------- */

static struct section *
section_new(const char *msg)
{
	struct section	*s = xcalloc(1, sizeof(*s));

	s->msg = msg;
	buf_init(&s->head, 0);
	buf_init(&s->bytes, 0);
	buf_init(&s->dout, 0);
	return s;
}

static void
window(struct section *s, bool partial, uint64_t off, uint64_t count)
{
	size_t	 i;

	for (i = 0; i < s->nsegs; i++)
		s->total += s->segs[i].size;
	s->length = s->total;
	s->skip = 0;
	if (partial) {
		if (off >= s->total)
			s->length = 0;
		else
			s->length = count < s->total - off ? count : s->total - off;
		s->skip = off;
	}
	s->left = s->length;
	/* Whole segments before the window are passed over. */
	for (s->cur = 0; s->cur < s->nsegs && s->left > 0 &&
	    s->skip >= s->segs[s->cur].size; s->cur++)
		s->skip -= s->segs[s->cur].size;
}

static void
body_item(struct section *s, const struct imap_fetch_body *f,
    const struct mime_tree *t)
{
	uint32_t		 part, m;
	const struct mime_part	*p, *mp;

	if (!resolve(t, f->part, f->nparts, &part, &m))
		return;
	p = part == MIME_NONE ? NULL : &t->parts[part];
	if (p != NULL) {
		if (f->text == IMAP_SECTION_NONE) {
			add_raw(s, p->body_off, p->body_end);
			return;
		}
		if (f->text == IMAP_SECTION_MIME) {
			add_raw(s, p->hdr_off, p->body_off);
			return;
		}
		/* HEADER and TEXT of a part: its embedded message's. */
		if (p->kind != MIME_MESSAGE || p->child == MIME_NONE)
			return;
		m = p->child;
	}
	mp = &t->parts[m];
	switch (f->text) {
	case IMAP_SECTION_NONE:
		add_raw(s, mp->hdr_off, mp->body_end);
		break;
	case IMAP_SECTION_TEXT:
		add_raw(s, mp->body_off, mp->body_end);
		break;
	case IMAP_SECTION_HEADER:
		add_raw(s, mp->hdr_off, mp->body_off);
		break;
	case IMAP_SECTION_HEADER_FIELDS:
	case IMAP_SECTION_HEADER_FIELDS_NOT:
		fields(s, mp->hdr_off, mp->body_off, f);
		break;
	default:
		break;
	}
}

static void
binary_item(struct section *s, const struct imap_fetch_body *f,
    const struct mime_tree *t)
{
	uint32_t		 part, m;
	const struct mime_part	*p;
	enum mime_cte		 cte;

	if (!resolve(t, f->part, f->nparts, &part, &m))
		return;
	if (part == MIME_NONE) {
		/* BINARY[]: the whole message converted; literal8 always, as Dovecot. */
		s->bcur = t->parts[0].hdr_off;
		convert(s, t, 0, true);
		cover_to(s, t->parts[0].body_end);
		s->decoded = true;
		return;
	}
	p = &t->parts[part];
	if (p->kind == MIME_LEAF) {
		cte = part_cte(s, p);
		if (cte == MIME_CTE_UNKNOWN)
			s->unknown_cte = true;
		else if (cte == MIME_CTE_BASE64 || cte == MIME_CTE_QP)
			add_decode(s, p->body_off, p->body_end, cte);
		else
			add_raw(s, p->body_off, p->body_end);
		return;
	}
	if (p->kind == MIME_MESSAGE) {
		if (p->child == MIME_NONE) {
			add_raw(s, p->body_off, p->body_end);
			return;
		}
		s->bcur = p->body_off;
		convert(s, t, p->child, true);
	} else {
		s->bcur = p->body_off;
		convert(s, t, part, false);
	}
	cover_to(s, p->body_end);
}

/* The item's name, header field names upper case as Dovecot answers them. */
static int
head(struct section *s, const struct imap_fetch_body *f)
{
	struct imap_fetch_body	 g = *f;
	struct imap_str		*names = NULL;
	char			*up;
	size_t			 i, k;
	int			 r;

	if (f->nfields > 0) {
		names = xcalloc(f->nfields, sizeof(*names));
		for (i = 0; i < f->nfields; i++) {
			names[i] = f->fields[i];
			up = xstrndup(f->fields[i].p ? f->fields[i].p : "",
			    f->fields[i].len);
			for (k = 0; k < f->fields[i].len; k++)
				if (up[k] >= 'a' && up[k] <= 'z')
					up[k] -= 'a' - 'A';
			names[i].p = up;
		}
		g.fields = names;
	}
	r = imap_write_section(&s->head, &g);
	for (i = 0; i < f->nfields; i++)
		free((char *)names[i].p);
	free(names);
	return r;
}

struct section *
section_open(const struct imap_fetch_body *f, const char *msg, size_t len,
    const struct mime_tree *t, enum imap_code *code, const char **errstr)
{
	struct section	*s = section_new(msg);

	(void)len;
	if (head(s, f) == -1) {
		*code = IMAP_CODE_SERVERBUG;
		*errstr = "Section name too long";
		section_free(&s);
		return NULL;
	}
	if (f->kind == IMAP_FB_BODY) {
		s->seen = !f->peek;
		body_item(s, f, t);
		/* A NUL cannot go in a literal: BODY sends 0x80 for it. */
		s->nul_seen = false;
	} else {
		s->seen = f->kind == IMAP_FB_BINARY && !f->peek;
		s->size_only = f->kind == IMAP_FB_BINARY_SIZE;
		binary_item(s, f, t);
		if (s->unknown_cte) {
			*code = IMAP_CODE_UNKNOWN_CTE;
			*errstr = "Unknown Content-Transfer-Encoding";
			section_free(&s);
			return NULL;
		}
		s->literal8 = s->decoded || s->nul_seen;
	}
	window(s, f->partial && !s->size_only, f->offset, f->count);
	return s;
}

struct section *
section_open_rfc822(unsigned item, const char *msg, size_t len,
    const struct mime_tree *t)
{
	struct section		*s;
	const struct mime_part	*p = &t->parts[0];

	(void)len;
	if (item != IMAP_FETCH_RFC822 && item != IMAP_FETCH_RFC822_HEADER &&
	    item != IMAP_FETCH_RFC822_TEXT)
		return NULL;
	s = section_new(msg);
	switch (item) {
	case IMAP_FETCH_RFC822:
		(void)buf_adds(&s->head, "RFC822");
		add_raw(s, p->hdr_off, p->body_end);
		s->seen = true;
		break;
	case IMAP_FETCH_RFC822_HEADER:
		(void)buf_adds(&s->head, "RFC822.HEADER");
		add_raw(s, p->hdr_off, p->body_off);
		break;
	default:
		(void)buf_adds(&s->head, "RFC822.TEXT");
		add_raw(s, p->body_off, p->body_end);
		s->seen = true;
		break;
	}
	window(s, false, 0, 0);
	return s;
}

/* --- writing --------------------------------------------------------------- */

int
section_write_head(const struct section *s, struct buf *out)
{
	if (buf_add(out, s->head.data, s->head.len) == -1)
		return -1;
	if (s->size_only)
		return buf_addf(out, " %llu", (unsigned long long)s->total);
	return buf_addf(out, " %s{%llu}\r\n", s->literal8 ? "~" : "",
	    (unsigned long long)s->length);
}

uint64_t
section_length(const struct section *s)
{
	return s->size_only ? 0 : s->length;
}

bool
section_sets_seen(const struct section *s)
{
	return s->seen;
}

/* Sets up segment cur, passing over s->skip of its octets. */
static void
seg_start(struct section *s)
{
	const struct seg	*g = &s->segs[s->cur];
	char			 junk[4096];
	size_t			 n;

	s->started = true;
	switch (g->kind) {
	case SEG_RAW:
		raw_init(&s->raw, s->msg, g->a, g->b, s->skip, true);
		s->raw.nul80 = !s->literal8;
		break;
	case SEG_BYTES:
		s->boff = g->a + s->skip;
		break;
	case SEG_DECODE:
		mime_decoder_init(&s->dec, g->cte);
		raw_init(&s->din, s->msg, g->a, g->b, 0, false);
		s->dend = false;
		s->dout.len = 0;
		s->doff = 0;
		s->skip += 0;
		break;
	}
	if (g->kind == SEG_DECODE) {
		/* Decoded octets before the window are made and dropped. */
		while (s->skip > 0) {
			uint64_t	 avail;

			if (s->doff == s->dout.len) {
				s->dout.len = 0;
				s->doff = 0;
				if (s->dend)
					break;
				n = raw_read(&s->din, s->msg, junk, sizeof(junk));
				if (n == 0) {
					(void)mime_decoder_end(&s->dec, &s->dout);
					s->dend = true;
				} else
					(void)mime_decoder_feed(&s->dec, junk, n,
					    &s->dout);
				continue;
			}
			avail = s->dout.len - s->doff;
			if (avail > s->skip)
				avail = s->skip;
			s->doff += (size_t)avail;
			s->skip -= avail;
		}
	}
	s->skip = 0;
}

static size_t
seg_read(struct section *s, char *dst, size_t room)
{
	const struct seg	*g = &s->segs[s->cur];
	char			 in[8192];
	size_t			 n;

	switch (g->kind) {
	case SEG_RAW:
		return raw_read(&s->raw, s->msg, dst, room);
	case SEG_BYTES:
		n = g->b - s->boff < room ? (size_t)(g->b - s->boff) : room;
		memcpy(dst, s->bytes.data + s->boff, n);
		s->boff += n;
		return n;
	default:
		while (s->doff == s->dout.len) {
			s->dout.len = 0;
			s->doff = 0;
			if (s->dend)
				return 0;
			n = raw_read(&s->din, s->msg, in, sizeof(in));
			if (n == 0) {
				(void)mime_decoder_end(&s->dec, &s->dout);
				s->dend = true;
			} else
				(void)mime_decoder_feed(&s->dec, in, n, &s->dout);
		}
		n = s->dout.len - s->doff < room ? s->dout.len - s->doff : room;
		memcpy(dst, s->dout.data + s->doff, n);
		s->doff += n;
		return n;
	}
}

size_t
section_read(struct section *s, char *dst, size_t room)
{
	size_t	 n = 0, k;

	if (s->size_only)
		return 0;
	while (n < room && s->left > 0 && s->cur < s->nsegs) {
		if (!s->started)
			seg_start(s);
		k = seg_read(s, dst + n, room - n < s->left ? room - n :
		    (size_t)s->left);
		if (k == 0) {
			s->cur++;
			s->started = false;
			continue;
		}
		n += k;
		s->left -= k;
	}
	return n;
}

int
section_write(struct section *s, struct buf *out)
{
	char	 chunk[16384];
	size_t	 n;

	if (section_write_head(s, out) == -1)
		return -1;
	while ((n = section_read(s, chunk, sizeof(chunk))) > 0)
		if (buf_add(out, chunk, n) == -1)
			return -1;
	return 0;
}

void
section_free(struct section **sp)
{
	struct section	*s = *sp;

	if (s == NULL)
		return;
	buf_free(&s->head);
	buf_free(&s->bytes);
	buf_free(&s->dout);
	free(s->segs);
	free(s);
	*sp = NULL;
}
