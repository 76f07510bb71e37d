/* The base subject of RFC 5256 2.1, which SORT SUBJECT and THREAD compare. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "imap/sort.h"

struct subj {
	const char	*s;
	size_t		 b, e;		/* what is left: s[b..e) */
	bool		 reply;
};

static bool
prefix(const struct subj *x, size_t i, const char *w)
{
	size_t	 n = strlen(w);

	return x->e - i >= n && strncasecmp(x->s + i, w, n) == 0;
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP at i: returns its end, or 0 when none. */
static size_t
blob(const struct subj *x, size_t i)
{
	if (i >= x->e || x->s[i] != '[')
		return 0;
	for (i++; i < x->e && x->s[i] != '[' && x->s[i] != ']'; i++)
		;
	if (i >= x->e || x->s[i] != ']')
		return 0;
	for (i++; i < x->e && x->s[i] == ' '; i++)
		;
	return i;
}

/* subj-leader's first form, *subj-blob subj-refwd, at b: its end, or 0. */
static size_t
refwd(const struct subj *x)
{
	size_t	 i = x->b, j;

	while ((j = blob(x, i)) != 0)
		i = j;
	if (prefix(x, i, "re"))
		i += 2;
	else if (prefix(x, i, "fwd"))
		i += 3;
	else if (prefix(x, i, "fw"))
		i += 2;
	else
		return 0;
	for (; i < x->e && x->s[i] == ' '; i++)
		;
	if ((j = blob(x, i)) != 0)
		i = j;
	if (i >= x->e || x->s[i] != ':')
		return 0;
	return i + 1;
}

/* Step 2: trailing blanks and "(fwd)". */
static void
trailers(struct subj *x)
{
	for (;;) {
		if (x->e > x->b && x->s[x->e - 1] == ' ')
			x->e--;
		else if (x->e - x->b >= 5 &&
		    strncasecmp(x->s + x->e - 5, "(fwd)", 5) == 0) {
			x->e -= 5;
			x->reply = true;
		} else
			return;
	}
}

/* Steps 3 to 5: leaders, and a leading blob that is not all there is. */
static void
leaders(struct subj *x)
{
	size_t	 j;
	bool	 changed;

	do {
		changed = false;
		for (;;) {
			if (x->b < x->e && x->s[x->b] == ' ')
				x->b++;
			else if ((j = refwd(x)) != 0) {
				x->b = j;
				x->reply = true;
			} else
				break;
			changed = true;
		}
		if ((j = blob(x, x->b)) != 0 && j < x->e) {
			x->b = j;
			changed = true;
		}
	} while (changed);
}

int
sort_base_subject(struct buf *out, const char *s, size_t len, bool *reply)
{
	struct subj	 x;
	struct buf	 norm;
	size_t		 i, start;
	int		 r;

	/* Step 1 (after decoding): blanks and line ends one space. */
	buf_init(&norm, 0);
	for (i = 0; i < len; i++) {
		char	 c = s[i];

		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (c == ' ' && norm.len > 0 && norm.data[norm.len - 1] == ' ')
			continue;
		if (buf_addc(&norm, c) == -1) {
			buf_free(&norm);
			return -1;
		}
	}
	memset(&x, 0, sizeof(x));
	x.s = norm.data ? norm.data : "";
	x.e = norm.len;
	for (;;) {
		trailers(&x);
		leaders(&x);
		/* Step 6: a "[fwd: ... ]" wrapper, then again from step 2. */
		if (prefix(&x, x.b, "[fwd:") && x.e - x.b >= 6 &&
		    x.s[x.e - 1] == ']') {
			x.b += 5;
			x.e--;
			x.reply = true;
			continue;
		}
		break;
	}
	start = out->len;
	r = buf_add(out, x.s + x.b, x.e - x.b);
	if (r == 0)
		for (i = start; i < out->len; i++)
			if (out->data[i] >= 'a' && out->data[i] <= 'z')
				out->data[i] -= 'a' - 'A';
	if (reply != NULL)
		*reply = x.reply;
	buf_free(&norm);
	return r;
}
