/* Header fields, unfolding, Content-Type/-Disposition parameters and RFC 2231 sections. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/digits.h"
#include "lib/buf.h"
#include "mail/mime_charset.h"
#include "mail/mime_header.h"

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

void
mime_hdr_init(struct mime_hdr *h, const char *hdr, size_t len)
{
	h->p = hdr;
	h->end = hdr + len;
}

/* Past the line end of the line starting at p (or end). */
static const char *
line_after(const char *p, const char *end)
{
	const char	*nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

/* The line end that closes [s, e): 0, 1 (LF) or 2 (CRLF) octets. */
static size_t
eol_len(const char *s, const char *e)
{
	if (e > s && e[-1] == '\n')
		return e - 1 > s && e[-2] == '\r' ? 2 : 1;
	return 0;
}

int
mime_hdr_next(struct mime_hdr *h, struct mime_field *f)
{
	const char	*p = h->p, *e, *colon, *n;

	if (p >= h->end || *p == '\n' || (*p == '\r' && p + 1 < h->end &&
	    p[1] == '\n') || (*p == '\r' && p + 1 == h->end))
		return 0;
	/* The field: its first line and every line that starts with a blank. */
	e = line_after(p, h->end);
	while (e < h->end && IS_WSP(*e))
		e = line_after(e, h->end);
	memset(f, 0, sizeof(*f));
	f->start = p;
	f->end = e;
	h->p = e;
	if (IS_WSP(*p)) {
		/* Continuation lines without a field before them. */
		f->name = p;
		f->value = p;
		f->valuelen = (size_t)(e - p) - eol_len(p, e);
		return 1;
	}
	n = line_after(p, e);
	colon = memchr(p, ':', (size_t)(n - p));
	if (colon == NULL) {
		f->name = p;
		f->namelen = (size_t)(e - p) - eol_len(p, e);
		f->value = e;
		f->nocolon = 1;
		return 1;
	}
	f->name = p;
	f->namelen = (size_t)(colon - p);
	/* "Subject :" is the obsolete syntax of RFC 5322 4.5. */
	while (f->namelen > 0 && IS_WSP(p[f->namelen - 1]))
		f->namelen--;
	/*
	 * The blanks after the colon go; when nothing else is on that line
	 * only the first one does (Dovecot's rule: "X:   \n\tv" is
	 * "  \n\tv").
	 */
	p = colon + 1;
	{
		const char	*q = p;

		while (q < e && IS_WSP(*q))
			q++;
		if (q < e && *q != '\r' && *q != '\n')
			p = q;
		else if (p < e && IS_WSP(*p))
			p++;
	}
	f->value = p;
	f->valuelen = (size_t)(e - p) - eol_len(p, e);
	if ((size_t)(e - p) < eol_len(p, e))
		f->valuelen = 0;
	return 1;
}

int
mime_field_is(const struct mime_field *f, const char *name)
{
	size_t	 n = strlen(name);

	return !f->nocolon && f->namelen == n &&
	    strncasecmp(f->name, name, n) == 0;
}

void
mime_unfold(struct buf *out, const char *v, size_t len)
{
	size_t	 i, s = 0;

	for (i = 0; i < len; i++) {
		if (v[i] != '\r' && v[i] != '\n')
			continue;
		if (i > s)
			(void)buf_add(out, v + s, i - s);
		s = i + 1;
	}
	if (len > s)
		(void)buf_add(out, v + s, len - s);
}

int
mime_hdr_get(const char *hdr, size_t len, const char *name, int last,
    struct buf *out)
{
	struct mime_hdr		 h;
	struct mime_field	 f, found;
	int			 have = 0;

	mime_hdr_init(&h, hdr, len);
	while (mime_hdr_next(&h, &f)) {
		if (!mime_field_is(&f, name))
			continue;
		found = f;
		have = 1;
		if (!last)
			break;
	}
	if (have)
		mime_unfold(out, found.value, found.valuelen);
	return have;
}

size_t
mime_skip_cfws(const char *s, size_t len, size_t i)
{
	size_t	 depth;

	while (i < len) {
		if (IS_WSP(s[i]) || s[i] == '\r' || s[i] == '\n') {
			i++;
			continue;
		}
		if (s[i] != '(')
			break;
		/* A comment, nested, with quoted pairs; unterminated runs to the end. */
		for (depth = 0; i < len; i++) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && --depth == 0) {
				i++;
				break;
			}
		}
	}
	return i;
}

/* RFC 2045 token octets: not a tspecial, space or control. 8-bit is let through. */
static int
is_tchar(unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static size_t
token_len(const char *s, size_t len, size_t i)
{
	size_t	 st = i;

	while (i < len && is_tchar((unsigned char)s[i]))
		i++;
	return i - st;
}

/* Appends s[0..n) to the arena; *off gets where. -1 when the arena is full. */
static int
arena_add(struct buf *a, const char *s, size_t n, uint32_t *off)
{
	if (a->len > UINT32_MAX - n)
		return -1;
	*off = (uint32_t)a->len;
	return buf_add(a, s, n);
}

/* Copies arena[off..off+n) to the arena's end: the source may move when the arena grows. */
static int
arena_dup(struct buf *a, uint32_t off, uint32_t n, uint32_t *newoff)
{
	char	*tmp;
	int	 r;

	if (n == 0) {
		*newoff = (uint32_t)a->len;
		return 0;
	}
	if ((tmp = malloc(n)) == NULL)
		return -1;
	memcpy(tmp, a->data + off, n);
	r = arena_add(a, tmp, n, newoff);
	free(tmp);
	return r;
}

/*
 * A quoted string starting at s[i] == '"': unquoted into the arena.
 * Returns the index past the closing quote, or 0 when it is unterminated.
 * Line ends inside (folding) are dropped.
 */
static size_t
quoted(const char *s, size_t len, size_t i, struct buf *arena, uint32_t *off,
    uint32_t *vlen, int *full)
{
	size_t	 start = arena->len, j;

	*off = (uint32_t)arena->len;
	for (j = i + 1; j < len; j++) {
		if (s[j] == '"')
			break;
		if (s[j] == '\\' && j + 1 < len)
			j++;
		else if (s[j] == '\r' || s[j] == '\n')
			continue;
		if (buf_addc(arena, s[j]) == -1) {
			*full = 1;
			return 0;
		}
	}
	if (j >= len) {
		arena->len = start;
		return 0;
	}
	*vlen = (uint32_t)(arena->len - start);
	return j + 1;
}

/*
 * The parameters after the first ";" at or after i. Dovecot's rules,
 * which the RFC leaves open: an attribute may be empty ("=x"), a value
 * may be empty ("a="), an attribute without "=" is dropped, and so is one
 * whose quoted value is not closed (which ends the list).
 */
static int
params(const char *s, size_t len, size_t i, struct buf *arena,
    struct mime_params *p)
{
	struct mime_kv	 kv;
	size_t		 n, j;
	int		 full = 0;

	for (;;) {
		i = mime_skip_cfws(s, len, i);
		if (i >= len)
			return 0;
		if (s[i] != ';') {
			/* Junk between parameters: skip to the next ";". */
			while (i < len && s[i] != ';')
				i++;
			continue;
		}
		i = mime_skip_cfws(s, len, i + 1);
		n = token_len(s, len, i);
		memset(&kv, 0, sizeof(kv));
		if (arena_add(arena, s + i, n, &kv.koff) == -1)
			return -1;
		kv.klen = (uint32_t)n;
		i = mime_skip_cfws(s, len, i + n);
		if (i >= len)
			return 0;
		if (s[i] != '=') {
			/*
			 * No "=": Dovecot goes on at the first ";" after the
			 * octet that should have been "=", so "k; c=v; d=w"
			 * loses c=v as well.
			 */
			for (i++; i < len && s[i] != ';'; i++)
				;
			continue;
		}
		i = mime_skip_cfws(s, len, i + 1);
		if (i < len && s[i] == '"') {
			j = quoted(s, len, i, arena, &kv.voff, &kv.vlen, &full);
			if (full)
				return -1;
			if (j == 0)
				return 0;
			i = j;
		} else {
			n = token_len(s, len, i);
			if (arena_add(arena, s + i, n, &kv.voff) == -1)
				return -1;
			kv.vlen = (uint32_t)n;
			i += n;
		}
		if (p->n < MIME_MAX_PARAMS)
			p->kv[p->n++] = kv;
	}
}

int
mime_ctype_parse(const char *v, size_t len, struct buf *arena,
    struct mime_kv *ts, struct mime_params *p)
{
	size_t	 i, n;

	memset(ts, 0, sizeof(*ts));
	p->n = 0;
	i = mime_skip_cfws(v, len, 0);
	n = token_len(v, len, i);
	if (arena_add(arena, v + i, n, &ts->koff) == -1)
		return -1;
	ts->klen = (uint32_t)n;
	if (n == 0) {
		ts->voff = ts->koff;
		return 0;
	}
	i = mime_skip_cfws(v, len, i + n);
	ts->voff = (uint32_t)arena->len;
	if (i >= len)
		return 0;	/* "text": a type alone */
	if (v[i] == '/') {
		i = mime_skip_cfws(v, len, i + 1);
		n = token_len(v, len, i);
		if (arena_add(arena, v + i, n, &ts->voff) == -1)
			return -1;
		ts->vlen = (uint32_t)n;
		i = mime_skip_cfws(v, len, i + n);
		if (i >= len || v[i] == ';')
			return params(v, len, i, arena, p);
	}
	/* "text; x=y", "text/plain junk": not a content type at all. */
	ts->klen = ts->vlen = 0;
	return 0;
}

int
mime_disp_parse(const char *v, size_t len, struct buf *arena,
    struct mime_kv *type, struct mime_params *p)
{
	size_t	 i, n;

	memset(type, 0, sizeof(*type));
	p->n = 0;
	i = mime_skip_cfws(v, len, 0);
	n = token_len(v, len, i);
	if (arena_add(arena, v + i, n, &type->koff) == -1)
		return -1;
	type->klen = (uint32_t)n;
	return params(v, len, i + n, arena, p);
}

int
mime_token_only(const char *v, size_t len, size_t *off, size_t *toklen)
{
	size_t	 i, n;

	i = mime_skip_cfws(v, len, 0);
	n = token_len(v, len, i);
	if (n == 0 || mime_skip_cfws(v, len, i + n) != len)
		return 0;
	*off = i;
	*toklen = n;
	return 1;
}

int
mime_lang_parse(const char *v, size_t len, struct buf *arena,
    struct mime_params *p)
{
	struct mime_kv	 kv;
	size_t		 i = 0, n;

	p->n = 0;
	for (;;) {
		i = mime_skip_cfws(v, len, i);
		if (i >= len)
			return 0;
		if (v[i] == ',') {
			i++;
			continue;
		}
		n = token_len(v, len, i);
		if (n == 0)
			return 0;	/* junk ends the list (Dovecot) */
		memset(&kv, 0, sizeof(kv));
		if (arena_add(arena, v + i, n, &kv.koff) == -1)
			return -1;
		kv.klen = (uint32_t)n;
		if (p->n < MIME_MAX_PARAMS)
			p->kv[p->n++] = kv;
		i = mime_skip_cfws(v, len, i + n);
		if (i < len && v[i] != ',')
			return 0;	/* "en continuation": "en" */
	}
}

/* A starred attribute split: base name, section number (-1: none), extended. */
struct star {
	struct mime_kv	 kv;
	uint32_t	 baselen;
	long		 section;
	int		 ext;
	size_t		 order;
};

static int
star_cmp(const char *arena, const struct star *x, const struct star *y)
{
	size_t			 n = x->baselen < y->baselen ? x->baselen : y->baselen;
	int			 c;

	c = strncasecmp(arena + x->kv.koff, arena + y->kv.koff, n);
	if (c == 0 && x->baselen != y->baselen)
		c = x->baselen < y->baselen ? -1 : 1;
	if (c == 0 && x->section != y->section)
		c = x->section < y->section ? -1 : 1;
	if (c == 0)
		c = x->order < y->order ? -1 : x->order > y->order;
	return c;
}

/* An insertion sort: at most MIME_MAX_PARAMS entries, and no global for qsort's comparator. */
static void
star_sort(const char *arena, struct star *s, size_t n)
{
	struct star	 t;
	size_t		 i, j;

	for (i = 1; i < n; i++) {
		t = s[i];
		for (j = i; j > 0 && star_cmp(arena, &s[j - 1], &t) > 0; j--)
			s[j] = s[j - 1];
		s[j] = t;
	}
}

/* Splits "name*", "name*3" or "name*3*"; 0 when the attribute has no star. */
static int
star_split(const char *k, uint32_t klen, struct star *s)
{
	const char	*st = memchr(k, '*', klen);
	size_t		 i;
	long		 sec = 0;

	if (st == NULL)
		return 0;
	s->baselen = (uint32_t)(st - k);
	i = s->baselen + 1;
	s->section = -1;
	s->ext = 0;
	if (i == klen) {
		s->ext = 1;
		return 1;
	}
	if (k[i] < '0' || k[i] > '9')
		return 0;
	for (; i < klen && k[i] >= '0' && k[i] <= '9'; i++)
		if ((sec = sec * 10 + (k[i] - '0')) > 100000)
			return 0;
	if (i < klen && k[i] == '*' && i + 1 == klen)
		s->ext = 1;
	else if (i != klen)
		return 0;
	s->section = sec;
	return 1;
}

/* Appends arena[off..off+n) with "%" written "%25" (a plain section joined to an extended value). */
static int
arena_dup_pct(struct buf *a, uint32_t off, uint32_t n)
{
	uint32_t	 k, st, o;

	for (k = st = 0; k < n; k++) {
		if (a->data[off + k] != '%')
			continue;
		if (arena_dup(a, off + st, k - st, &o) == -1 ||
		    buf_add(a, "%25", 3) == -1)
			return -1;
		st = k + 1;
	}
	return arena_dup(a, off + st, n - st, &o);
}

/* A starred key written back from its parts: base*N or base*N*. */
static int
star_key(struct buf *arena, const struct star *s, struct mime_kv *kv)
{
	if (arena_dup(arena, s->kv.koff, s->baselen, &kv->koff) == -1 ||
	    buf_addf(arena, "*%ld%s", s->section, s->ext ? "*" : "") == -1)
		return -1;
	kv->klen = (uint32_t)(arena->len - kv->koff);
	kv->voff = s->kv.voff;
	kv->vlen = s->kv.vlen;
	return 0;
}

int
mime_params_2231(struct buf *arena, struct mime_params *p)
{
	struct star	 stars[MIME_MAX_PARAMS];
	struct mime_kv	 out[MIME_MAX_PARAMS], kv;
	size_t		 n = 0, ns = 0, i, j, k;
	long		 last = 0;
	int		 any_ext;

	for (i = 0; i < p->n; i++) {
		struct star	 s;

		memset(&s, 0, sizeof(s));
		if (star_split(arena->data + p->kv[i].koff, p->kv[i].klen, &s)) {
			/*
			 * "name*" has no number: Dovecot gives it the number of
			 * the starred parameter before it (0 for the first).
			 */
			if (s.section < 0)
				s.section = last;
			last = s.section;
			s.kv = p->kv[i];
			s.order = i;
			stars[ns++] = s;
		} else
			out[n++] = p->kv[i];
	}
	if (ns == 0)
		return 0;
	star_sort(arena->data, stars, ns);
	for (i = 0; i < ns; i = j) {
		int	 run = stars[i].section == 0;

		/* The group of one base name. */
		any_ext = stars[i].ext;
		for (j = i + 1; j < ns && stars[j].baselen == stars[i].baselen &&
		    strncasecmp(arena->data + stars[j].kv.koff,
		    arena->data + stars[i].kv.koff, stars[i].baselen) == 0; j++) {
			if (stars[j].section != (long)(j - i))
				run = 0;
			any_ext |= stars[j].ext;
		}
		if (!run) {
			/* A gap or a repeat: apart, under keys written back. */
			for (k = i; k < j; k++)
				if (star_key(arena, &stars[k], &out[n++]) == -1)
					return -1;
			continue;
		}
		/*
		 * Sections 0..n-1: one value, extended ("name*") when any
		 * section is; then a plain section 0 gets an empty
		 * charset'language' and plain sections their "%" escaped.
		 */
		memset(&kv, 0, sizeof(kv));
		if (arena_dup(arena, stars[i].kv.koff, stars[i].baselen,
		    &kv.koff) == -1)
			return -1;
		if (any_ext && buf_addc(arena, '*') == -1)
			return -1;
		kv.klen = (uint32_t)(arena->len - kv.koff);
		kv.voff = (uint32_t)arena->len;
		if (any_ext && !stars[i].ext && buf_add(arena, "''", 2) == -1)
			return -1;
		for (k = i; k < j; k++) {
			uint32_t	 off;

			if ((any_ext && !stars[k].ext ? arena_dup_pct(arena,
			    stars[k].kv.voff, stars[k].kv.vlen) :
			    arena_dup(arena, stars[k].kv.voff, stars[k].kv.vlen,
			    &off)) == -1)
				return -1;
		}
		kv.vlen = (uint32_t)(arena->len - kv.voff);
		out[n++] = kv;
	}
	memcpy(p->kv, out, n * sizeof(out[0]));
	p->n = n;
	return 0;
}


/* %XX-decodes an RFC 2231 value (after charset'lang') and converts it to UTF-8. */
static void
ext_value(const char *v, size_t len, int has_charset, struct buf *out)
{
	struct buf	 raw;
	const char	*q1 = NULL, *q2 = NULL;
	char		 cs[64];
	size_t		 i;
	int		 h, l;

	buf_init(&raw, 0);
	cs[0] = '\0';
	if (has_charset && (q1 = memchr(v, '\'', len)) != NULL &&
	    (q2 = memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - v))) != NULL) {
		if ((size_t)(q1 - v) < sizeof(cs)) {
			memcpy(cs, v, (size_t)(q1 - v));
			cs[q1 - v] = '\0';
		}
		len -= (size_t)(q2 + 1 - v);
		v = q2 + 1;
	}
	for (i = 0; i < len; i++) {
		if (v[i] == '%' && i + 2 < len && (h = hex_value(v[i + 1])) >= 0 &&
		    (l = hex_value(v[i + 2])) >= 0) {
			(void)buf_addc(&raw, (char)(h * 16 + l));
			i += 2;
		} else
			(void)buf_addc(&raw, v[i]);
	}
	mime_charset_to_utf8(cs[0] ? cs : NULL, raw.data ? raw.data : "",
	    raw.len, out);
	buf_free(&raw);
}

int
mime_param_utf8(const char *arena, const struct mime_kv *kv, size_t n,
    const char *name, struct buf *out)
{
	struct star	 secs[MIME_MAX_PARAMS];
	size_t		 i, ns = 0, nlen = strlen(name);
	struct buf	 joined;
	int		 first_ext = 0;

	for (i = 0; i < n; i++) {
		const char	*k = arena + kv[i].koff;

		if (kv[i].klen == nlen && strncasecmp(k, name, nlen) == 0) {
			mime_words_decode(arena + kv[i].voff, kv[i].vlen, out);
			return 1;
		}
		if (kv[i].klen == nlen + 1 && strncasecmp(k, name, nlen) == 0 &&
		    k[nlen] == '*') {
			ext_value(arena + kv[i].voff, kv[i].vlen, 1, out);
			return 1;
		}
	}
	/* Sections left apart (a gap): join what there is, in order. */
	for (i = 0; i < n; i++) {
		struct star	 s;

		memset(&s, 0, sizeof(s));
		if (!star_split(arena + kv[i].koff, kv[i].klen, &s) ||
		    s.baselen != nlen || s.section < 0 ||
		    strncasecmp(arena + kv[i].koff, name, nlen) != 0)
			continue;
		s.kv = kv[i];
		s.order = i;
		secs[ns++] = s;
	}
	if (ns == 0)
		return 0;
	star_sort(arena, secs, ns);
	buf_init(&joined, 0);
	for (i = 0; i < ns; i++) {
		if (i == 0)
			first_ext = secs[0].section == 0 && secs[0].ext;
		(void)buf_add(&joined, arena + secs[i].kv.voff, secs[i].kv.vlen);
	}
	if (first_ext)
		ext_value(joined.data ? joined.data : "", joined.len, 1, out);
	else
		(void)buf_add(out, joined.data ? joined.data : "", joined.len);
	buf_free(&joined);
	return 1;
}
