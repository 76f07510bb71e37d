/* DATA stream decoder: strict CRLF lines, dot-unstuffing and the one true end marker. */
#include <stdint.h>
#include <string.h>

#include "mail/dot.h"

/*
 * Where the previous input left off. Only CRLF "." CRLF ends the data:
 * every other line ending is an error and never puts the decoder at the
 * beginning of a line, so "\n.\n", "\r.\r" or "\n.\r\n" can never be taken
 * for the end (the SMTP smuggling defence).
 */
enum {
	ST_BOL,		/* at the beginning of a line */
	ST_TEXT,	/* inside a line */
	ST_CR,		/* after a CR inside a line, held back until LF */
	ST_DOT,		/* after a leading dot (never part of the output) */
	ST_DOTCR,	/* after a leading ".\r" */
	ST_DONE,	/* after the end marker */
};

#define CONTENT_MAX	(DOT_LINE_MAX - 2)	/* octets before the CRLF */

struct out {
	int	(*fn)(void *, const char *, size_t);
	void	*arg;
};

static void
fail(struct dot *d, enum dot_error e)
{
	if (d->error == DOT_OK)
		d->error = e;
}

/*
 * Writes message bytes. A run that crosses max_size is cut at the limit, so
 * what comes out does not depend on how the input was split.
 */
static void
emit(struct dot *d, const struct out *o, const char *p, size_t n)
{
	size_t	 room = d->max_size - d->size;
	int	 big = 0;

	if (n == 0 || d->error != DOT_OK)
		return;
	if (n > room) {
		n = room;
		big = 1;
	}
	if (n > 0 && o->fn(o->arg, p, n) == -1) {
		fail(d, DOT_ERR_WRITE);
		return;
	}
	d->size += n;
	if (big)
		fail(d, DOT_ERR_TOO_BIG);
}

/*
 * Checks n octets of line content: returns how many precede the first
 * offence (a NUL, or the octet that makes the line too long), and notes
 * 8-bit data. The NUL and high-bit tests look at eight octets at a time.
 */
static size_t
content(struct dot *d, const char *p, size_t n, enum dot_error *why)
{
	const uint64_t	 lo = 0x0101010101010101ULL, hi = 0x8080808080808080ULL;
	size_t		 i = 0, lim = n;
	uint64_t	 w;

	*why = DOT_OK;
	if (d->linelen + n > CONTENT_MAX) {
		lim = d->linelen >= CONTENT_MAX ? 0 : CONTENT_MAX - d->linelen;
		*why = DOT_ERR_LINE_TOO_LONG;
	}
	/* eightbit covers all content, even past an error: split-independent. */
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w & hi)
			d->eightbit = 1;
		if (((w - lo) & ~w & hi) != 0)
			break;
	}
	for (; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			d->eightbit = 1;
		if (p[i] == '\0')
			break;
	}
	if (i < lim) {
		lim = i;
		*why = DOT_ERR_NUL;
	}
	/* Past a NUL the rest of the line still counts for eightbit. */
	for (i++; i < n && !d->eightbit; i++)
		if ((unsigned char)p[i] >= 0x80)
			d->eightbit = 1;
	d->linelen = d->linelen + n > CONTENT_MAX ? CONTENT_MAX + 1 :
	    d->linelen + n;
	return lim;
}

/*
 * Line content [p, p + n): written unless it holds an offence, in which
 * case what precedes the offence is written and the error set.
 */
static void
text(struct dot *d, const struct out *o, const char **run, const char *p,
    size_t n)
{
	enum dot_error	 why;
	size_t		 ok;

	ok = content(d, p, n, &why);
	if (why != DOT_OK) {
		emit(d, o, *run, (size_t)(p + ok - *run));
		fail(d, why);
	}
}

void
dot_init(struct dot *d, size_t max_size)
{
	memset(d, 0, sizeof(*d));
	d->state = ST_BOL;
	d->max_size = max_size ? max_size : SIZE_MAX;
}

enum dot_status
dot_feed(struct dot *d, const char *in, size_t len, size_t *consumed,
    int (*fn)(void *, const char *, size_t), void *arg)
{
	struct out	 o = { fn, arg };
	const char	*p = in, *end = in + len, *run = in, *nl, *cr, *stop;

	if (d->state == ST_DONE) {
		if (consumed)
			*consumed = 0;
		return DOT_END;
	}
	while (p < end) {
		switch (d->state) {
		case ST_BOL:
			d->linelen = 0;
			if (*p == '.') {
				emit(d, &o, run, (size_t)(p - run));
				run = ++p;
				d->state = ST_DOT;
				continue;
			}
			break;
		case ST_DOT:
			if (*p == '\r') {
				run = ++p;
				d->state = ST_DOTCR;
				continue;
			}
			break;
		case ST_DOTCR:
			if (*p == '\n') {
				d->state = ST_DONE;
				if (consumed)
					*consumed = (size_t)(p + 1 - in);
				return DOT_END;
			}
			/* The held CR is bare; the error means it is never written. */
			fail(d, DOT_ERR_BARE_CR);
			break;
		case ST_CR:
			if (*p == '\n') {
				/* The CR held back from the previous input. */
				emit(d, &o, "\r", 1);
				run = p++;
				d->state = ST_BOL;
				continue;
			}
			fail(d, DOT_ERR_BARE_CR);
			break;
		}
		d->state = ST_TEXT;

		/* Inside a line: find where it ends. */
		nl = memchr(p, '\n', (size_t)(end - p));
		stop = nl ? nl : end;
		cr = memchr(p, '\r', (size_t)(stop - p));
		if (cr != NULL && cr + 1 == nl) {
			text(d, &o, &run, p, (size_t)(cr - p));
			p = nl + 1;
			d->state = ST_BOL;
		} else if (cr != NULL && cr + 1 == end) {
			/* CR at the end of the input: wait to see an LF. */
			text(d, &o, &run, p, (size_t)(cr - p));
			emit(d, &o, run, (size_t)(cr - run));
			run = p = end;
			d->state = ST_CR;
		} else if (cr != NULL) {
			text(d, &o, &run, p, (size_t)(cr - p));
			emit(d, &o, run, (size_t)(cr - run));
			fail(d, DOT_ERR_BARE_CR);
			p = cr + 1;
		} else if (nl != NULL) {
			text(d, &o, &run, p, (size_t)(nl - p));
			emit(d, &o, run, (size_t)(nl - run));
			fail(d, DOT_ERR_BARE_LF);
			p = nl + 1;
		} else {
			text(d, &o, &run, p, (size_t)(end - p));
			p = end;
		}
	}
	emit(d, &o, run, (size_t)(p - run));
	if (consumed)
		*consumed = len;
	return DOT_MORE;
}

const char *
dot_strerror(enum dot_error e)
{
	switch (e) {
	case DOT_OK:
		return "no error";
	case DOT_ERR_BARE_LF:
		return "bare LF in message (CRLF line ends required)";
	case DOT_ERR_BARE_CR:
		return "bare CR in message (CRLF line ends required)";
	case DOT_ERR_LINE_TOO_LONG:
		return "message line longer than 1000 octets";
	case DOT_ERR_TOO_BIG:
		return "message too big";
	case DOT_ERR_NUL:
		return "NUL octet in message";
	case DOT_ERR_WRITE:
		return "error writing message";
	}
	return "unknown error";
}
