/* A lenient RFC 5322 address-list parser giving ENVELOPE's (name adl mailbox host) and group markers. */
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/mime_addr.h"

struct lex {
	const char	*s;
	size_t		 len, i;
	struct buf	 comment;	/* the last comment seen, unquoted */
	int		 have_comment;
	int		 stop;		/* an error Dovecot does not recover from */
};

static int
is_special(char c)
{
	return strchr("()<>@,;:\\\".[]", c) != NULL;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips blanks and comments, keeping the text of the last comment. */
static void
cfws(struct lex *x)
{
	size_t	 depth;

	while (x->i < x->len) {
		if (is_ws(x->s[x->i])) {
			x->i++;
			continue;
		}
		if (x->s[x->i] != '(')
			return;
		x->comment.len = 0;
		x->have_comment = 1;
		for (depth = 0; x->i < x->len; x->i++) {
			char	 c = x->s[x->i];

			if (c == '\\' && x->i + 1 < x->len) {
				(void)buf_addc(&x->comment, x->s[++x->i]);
				continue;
			}
			if (c == '(' && depth++ == 0)
				continue;
			if (c == ')' && --depth == 0) {
				x->i++;
				break;
			}
			if (c != '\r' && c != '\n')
				(void)buf_addc(&x->comment, c);
		}
	}
}

/* A quoted string at x->i, unquoted onto out. 0, or -1 when unterminated. */
static int
quoted(struct lex *x, struct buf *out)
{
	for (x->i++; x->i < x->len; x->i++) {
		char	 c = x->s[x->i];

		if (c == '"') {
			x->i++;
			return 0;
		}
		if (c == '\\' && x->i + 1 < x->len)
			c = x->s[++x->i];
		else if (c == '\r' || c == '\n')
			continue;
		(void)buf_addc(out, c);
	}
	return -1;
}

/* An atom (dot: '.' allowed too, as in obs-phrase and dot-atom). Returns its length. */
static size_t
atom(struct lex *x, int dot, struct buf *out)
{
	size_t	 st = x->i;

	while (x->i < x->len && !is_ws(x->s[x->i]) &&
	    (!is_special(x->s[x->i]) || (dot && x->s[x->i] == '.')) &&
	    (unsigned char)x->s[x->i] >= 0x20 && x->s[x->i] != 0x7f)
		x->i++;
	(void)buf_add(out, x->s + st, x->i - st);
	return x->i - st;
}

/*
 * A phrase: words joined by one space. Sets *words and *quoted_seen.
 * Stops before anything that is not a word.
 */
static void
phrase(struct lex *x, struct buf *out, int *words, int *quoted_seen)
{
	*words = 0;
	*quoted_seen = 0;
	for (;;) {
		size_t	 before = out->len;

		cfws(x);
		if (x->i >= x->len)
			return;
		if (*words > 0)
			(void)buf_addc(out, ' ');
		if (x->s[x->i] == '"') {
			*quoted_seen = 1;
			(void)quoted(x, out);
		} else if (atom(x, 1, out) == 0) {
			out->len = before;
			if (out->data)
				out->data[out->len] = '\0';
			return;
		}
		(*words)++;
	}
}

static char *
dup_buf(const struct buf *b)
{
	return xstrndup(b->data ? b->data : "", b->len);
}

static void
add(struct mime_addrlist *l, const struct mime_addr *a)
{
	if (l->n >= MIME_ADDR_MAX) {
		free(a->name);
		free(a->route);
		free(a->mailbox);
		free(a->host);
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->a = xreallocarray(l->a, l->cap, sizeof(*l->a));
	}
	l->a[l->n++] = *a;
}

/* local-part: words (atoms or quoted strings) joined by dots (obs-local-part allows blanks around them). */
static void
local_part(struct lex *x, struct buf *out)
{
	int	 word = 0;

	for (;;) {
		cfws(x);
		if (x->i >= x->len)
			return;
		if (x->s[x->i] == '.') {
			(void)buf_addc(out, '.');
			x->i++;
			word = 0;
			continue;
		}
		if (word)
			return;
		if (x->s[x->i] == '"') {
			if (quoted(x, out) == -1)
				return;
		} else if (atom(x, 0, out) == 0)
			return;
		word = 1;
	}
}

/* domain: dot-atom or [literal]. */
static void
domain(struct lex *x, struct buf *out)
{
	cfws(x);
	if (x->i < x->len && x->s[x->i] == '[') {
		size_t	 st = x->i;

		while (x->i < x->len && x->s[x->i] != ']')
			x->i++;
		if (x->i < x->len)
			x->i++;
		(void)buf_add(out, x->s + st, x->i - st);
		return;
	}
	for (int word = 0;;) {
		cfws(x);
		if (x->i < x->len && x->s[x->i] == '.') {
			(void)buf_addc(out, '.');
			x->i++;
			word = 0;
			continue;
		}
		if (word || x->i >= x->len || atom(x, 0, out) == 0)
			return;
		word = 1;
	}
}

/* addr-spec into a: local "@" domain, either side may be missing. */
static void
addr_spec(struct lex *x, struct mime_addr *a)
{
	struct buf	 lp, dom;

	buf_init(&lp, 0);
	buf_init(&dom, 0);
	local_part(x, &lp);
	cfws(x);
	if (x->i < x->len && x->s[x->i] == '@') {
		x->i++;
		domain(x, &dom);
	}
	if (lp.len > 0)
		a->mailbox = dup_buf(&lp);
	if (dom.len > 0)
		a->host = dup_buf(&dom);
	if (a->mailbox == NULL || a->host == NULL)
		a->missing = 1;
	buf_free(&lp);
	buf_free(&dom);
}

/* "<" [route ":"] addr-spec ">" at x->i. */
static void
angle(struct lex *x, struct mime_addr *a)
{
	struct buf	 route;
	size_t		 at;

	x->i++;
	cfws(x);
	if (x->i < x->len && x->s[x->i] == '@') {
		/* obs-route: "@a,@b:" */
		buf_init(&route, 0);
		while (x->i < x->len && x->s[x->i] != ':' && x->s[x->i] != '>') {
			if (x->s[x->i] == '(') {
				cfws(x);
				continue;
			}
			if (!is_ws(x->s[x->i]))
				(void)buf_addc(&route, x->s[x->i]);
			x->i++;
		}
		if (x->i < x->len && x->s[x->i] == ':') {
			x->i++;
			a->route = dup_buf(&route);
		}
		buf_free(&route);
	}
	at = x->i;
	addr_spec(x, a);
	at = memchr(x->s + at, '@', x->i - at) != NULL;
	cfws(x);
	if (x->i < x->len && x->s[x->i] == '>')
		x->i++;
	/*
	 * A route before an address with "@" but no local part or domain:
	 * Dovecot writes SYNTAX_ERROR as the host and reads no further.
	 */
	if (a->route != NULL && at && (a->mailbox == NULL || a->host == NULL)) {
		free(a->host);
		a->host = xstrdup("SYNTAX_ERROR");
		x->stop = 1;
	}
}

/* One mailbox (name-addr or addr-spec) at x->i. */
static void
mailbox(struct lex *x, struct mime_addrlist *l)
{
	struct mime_addr	 a;
	struct buf		 ph;
	size_t			 st = x->i;
	int			 words, q;

	memset(&a, 0, sizeof(a));
	buf_init(&ph, 0);
	x->have_comment = 0;
	phrase(x, &ph, &words, &q);
	cfws(x);
	if (x->i < x->len && x->s[x->i] == '<') {
		if (ph.len > 0)
			a.name = dup_buf(&ph);
		angle(x, &a);
	} else if (words > 1) {
		/* Words and no "<": a display name without address (Dovecot). */
		a.name = dup_buf(&ph);
		a.missing = 1;
	} else {
		x->i = st;
		x->have_comment = 0;
		addr_spec(x, &a);
		cfws(x);
		if (x->have_comment && x->comment.len > 0) {
			free(a.name);
			a.name = dup_buf(&x->comment);
		} else if (q && a.host == NULL) {
			/* "Name Only": a quoted word alone is a name. */
			a.name = dup_buf(&ph);
			x_free(&a.mailbox);
		}
	}
	buf_free(&ph);
	add(l, &a);
}

void
mime_addr_parse(const char *v, size_t len, struct mime_addrlist *l)
{
	struct lex		 x;
	struct mime_addr	 g;
	struct buf		 ph;
	size_t			 st;
	int			 words, q;

	memset(&x, 0, sizeof(x));
	x.s = v;
	x.len = len;
	buf_init(&x.comment, 0);
	buf_init(&ph, 0);
	for (;;) {
		cfws(&x);
		if (x.i >= x.len)
			break;
		/* A group is a phrase and a colon. */
		st = x.i;
		ph.len = 0;
		phrase(&x, &ph, &words, &q);
		cfws(&x);
		/* A group may have no name (Dovecot writes ""). */
		if (x.i < x.len && x.s[x.i] == ':') {
			x.i++;
			memset(&g, 0, sizeof(g));
			g.group = 1;
			g.mailbox = dup_buf(&ph);
			add(l, &g);
			for (;;) {
				cfws(&x);
				if (x.i >= x.len)
					break;
				if (x.s[x.i] == ';') {
					x.i++;
					break;
				}
				mailbox(&x, l);
				if (x.stop)
					break;
				cfws(&x);
				if (x.i < x.len && x.s[x.i] == ',') {
					x.i++;
					continue;
				}
				if (x.i < x.len && x.s[x.i] == ';')
					x.i++;
				break;
			}
			if (x.stop)
				break;
			memset(&g, 0, sizeof(g));
			g.group = 1;
			add(l, &g);
		} else {
			x.i = st;
			mailbox(&x, l);
		}
		if (x.stop)
			break;
		cfws(&x);
		if (x.i >= x.len || x.s[x.i] != ',')
			break;
		x.i++;
	}
	buf_free(&ph);
	buf_free(&x.comment);
}

void
mime_addrlist_free(struct mime_addrlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++) {
		free(l->a[i].name);
		free(l->a[i].route);
		free(l->a[i].mailbox);
		free(l->a[i].host);
	}
	free(l->a);
	memset(l, 0, sizeof(*l));
}
