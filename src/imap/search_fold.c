/* i;unicode-casemap: titlecase and NFKD through generated tables, ASCII on a fast path. */
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/utf8.h"
#include "imap/search_fold.h"
#include "imap/search_fold_priv.h"

/* Combining marks held for canonical ordering; a longer run is written as it comes. */
#define MARKS_MAX	32

struct fold {
	struct buf	*out;
	uint32_t	 mark[MARKS_MAX];
	uint8_t		 ccc[MARKS_MAX];
	int		 nmarks;
	int		 err;
};

static const struct fold_map *
lookup(uint32_t cp)
{
	uint32_t	 lo, hi, mid;

	if (cp >= 0x110000)
		return NULL;
	lo = search_fold_pages[cp >> 8];
	hi = search_fold_pages[(cp >> 8) + 1];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (search_fold_maps[mid].cp == cp)
			return &search_fold_maps[mid];
		if (search_fold_maps[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint8_t
ccc_of(uint32_t cp)
{
	uint32_t	 lo = 0, hi = search_fold_nccc, mid;

	/* Every combining mark is at U+0300 or above. */
	if (cp < 0x300)
		return 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < search_fold_ccc[mid].first)
			hi = mid;
		else if (cp > search_fold_ccc[mid].last)
			lo = mid + 1;
		else
			return search_fold_ccc[mid].ccc;
	}
	return 0;
}

static void
put_cp(struct fold *f, uint32_t cp)
{
	char	 u[4];
	size_t	 n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (buf_add(f->out, u, n) == -1)
		f->err = 1;
}

/* The held marks, stably sorted by combining class (they are few). */
static void
flush(struct fold *f)
{
	int	 i, j;

	for (i = 1; i < f->nmarks; i++) {
		uint32_t	 m = f->mark[i];
		uint8_t		 c = f->ccc[i];

		for (j = i; j > 0 && f->ccc[j - 1] > c; j--) {
			f->mark[j] = f->mark[j - 1];
			f->ccc[j] = f->ccc[j - 1];
		}
		f->mark[j] = m;
		f->ccc[j] = c;
	}
	for (i = 0; i < f->nmarks; i++)
		put_cp(f, f->mark[i]);
	f->nmarks = 0;
}

/* One code point of the final decomposition. */
static void
emit(struct fold *f, uint32_t cp)
{
	uint8_t	 c = ccc_of(cp);

	if (c == 0) {
		if (f->nmarks > 0)
			flush(f);
		put_cp(f, cp);
		return;
	}
	if (f->nmarks == MARKS_MAX)
		flush(f);
	f->mark[f->nmarks] = cp;
	f->ccc[f->nmarks++] = c;
}

/* Hangul syllables: the algorithmic decomposition of Unicode 3.12. */
static void
hangul(struct fold *f, uint32_t cp)
{
	uint32_t	 s = cp - 0xac00;

	emit(f, 0x1100 + s / (21 * 28));
	emit(f, 0x1161 + s % (21 * 28) / 28);
	if (s % 28 != 0)
		emit(f, 0x11a7 + s % 28);
}

int
search_fold(struct buf *out, const char *s, size_t len)
{
	static const char	 upper[128] =
	    "\0\1\2\3\4\5\6\7\10\11\12\13\14\15\16\17"
	    "\20\21\22\23\24\25\26\27\30\31\32\33\34\35\36\37"
	    " !\"#$%&'()*+,-./0123456789:;<=>?"
	    "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_"
	    "`ABCDEFGHIJKLMNOPQRSTUVWXYZ{|}~\177";
	struct fold		 f;
	const struct fold_map	*m;
	uint32_t		 cp, k;
	size_t			 i = 0, n, start;

	memset(&f, 0, sizeof(f));
	f.out = out;
	while (i < len && !f.err) {
		if ((unsigned char)s[i] < 0x80) {
			if (f.nmarks > 0)
				flush(&f);
			/* A run of ASCII: one grow, then a table per octet. */
			for (start = i; i < len && (unsigned char)s[i] < 0x80; i++)
				;
			if (buf_add(out, s + start, i - start) == -1)
				return -1;
			for (k = 0; k < i - start; k++)
				out->data[out->len - (i - start) + k] =
				    upper[(unsigned char)s[start + k]];
			continue;
		}
		if ((n = utf8_len(s + i, len - i, &cp)) == 0) {
			if (f.nmarks > 0)
				flush(&f);
			if (buf_addc(out, s[i]) == -1)
				return -1;
			i++;
			continue;
		}
		i += n;
		if (cp >= 0xac00 && cp <= 0xd7a3)
			hangul(&f, cp);
		else if ((m = lookup(cp)) != NULL)
			for (k = 0; k < m->len; k++)
				emit(&f, search_fold_pool[m->off + k]);
		else
			emit(&f, cp);
	}
	if (f.nmarks > 0)
		flush(&f);
	return f.err ? -1 : 0;
}

const char *
search_fold_version(void)
{
	return search_fold_unicode;
}
