/* The terminals of the IMAP grammar: atoms, strings and literals, numbers, sequence sets, dates, flags, mailbox names. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_parse.h"
#include "mail/imap_parse_priv.h"

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* ATOM-CHAR: CHAR but atom-specials "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]". */
static bool
atom_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

static bool
astring_char(int c)
{
	return atom_char(c) || c == ']';
}

/* A literal8 starts "~{"; "~" alone is an atom character. */
static bool
at_literal(const struct pctx *c)
{
	int	 ch = ip_peek(c);

	return ch == '{' || (ch == '~' && c->pos + 1 < c->len &&
	    c->s[c->pos + 1] == '{');
}

bool
ip_utf8(const struct pctx *c)
{
	return (c->opts->enabled &
	    (IMAP_ENA_UTF8_ACCEPT | IMAP_ENA_IMAP4REV2)) != 0;
}

bool
ip_rev2(const struct pctx *c)
{
	return (c->opts->enabled & IMAP_ENA_IMAP4REV2) != 0;
}

bool
ip_cap(const struct pctx *c, uint64_t cap)
{
	return (c->opts->caps & cap) != 0;
}

int
ip_peek(const struct pctx *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

bool
ip_at_end(const struct pctx *c)
{
	return c->pos >= c->len;
}

bool
ip_accept(struct pctx *c, char ch)
{
	if (ip_peek(c) != (unsigned char)ch)
		return false;
	c->pos++;
	return true;
}

int
ip_expect(struct pctx *c, char ch, const char *what)
{
	if (ip_accept(c, ch))
		return 0;
	if (ip_at_end(c))
		return ip_fail(c, "Missing %s", what);
	return ip_fail(c, "Expected %s", what);
}

int
ip_sp(struct pctx *c)
{
	if (ip_at_end(c))
		return ip_fail(c, "Missing argument");
	if (!ip_accept(c, ' '))
		return ip_fail_tok(c, "Expected a space before");
	if (ip_at_end(c))
		return ip_fail(c, "Missing argument after a space");
	if (ip_peek(c) == ' ')
		return ip_fail(c, "Arguments are separated by one space");
	return 0;
}

int
ip_end(struct pctx *c)
{
	if (ip_at_end(c))
		return 0;
	if (ip_peek(c) == ' ')
		return ip_fail(c, c->pos + 1 == c->len ?
		    "Trailing space" : "Too many arguments");
	return ip_fail_tok(c, "Unexpected characters:");
}

int
ip_atom(struct pctx *c, struct span *sp)
{
	sp->p = c->s + c->pos;
	while (c->pos < c->len && atom_char((unsigned char)c->s[c->pos]))
		c->pos++;
	sp->n = (size_t)(c->s + c->pos - sp->p);
	if (sp->n == 0) {
		if (ip_at_end(c))
			return ip_fail(c, "Missing argument");
		return ip_fail_tok(c, "Expected an atom, not");
	}
	return 0;
}

void
ip_word(struct pctx *c, struct span *sp)
{
	sp->p = c->s + c->pos;
	while (c->pos < c->len && atom_char((unsigned char)c->s[c->pos]) &&
	    c->s[c->pos] != '[')
		c->pos++;
	sp->n = (size_t)(c->s + c->pos - sp->p);
}

bool
ip_is(struct span sp, const char *word)
{
	return sp.n == strlen(word) && strncasecmp(sp.p, word, sp.n) == 0;
}

int
ip_keyword(struct pctx *c, struct span *sp, const char *what)
{
	char	 prefix[64];

	ip_word(c, sp);
	if (sp->n > 0)
		return 0;
	if (ip_at_end(c))
		return ip_fail(c, "Missing %s", what);
	snprintf(prefix, sizeof(prefix), "Invalid %s:", what);
	return ip_fail_tok(c, prefix);
}

static int
digits(struct pctx *c, uint64_t max, uint64_t *v)
{
	uint64_t	 n = 0;
	size_t		 start = c->pos;
	bool		 big = false;

	while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
		unsigned	 d = (unsigned)(c->s[c->pos] - '0');

		if (n > (max - d) / 10)
			big = true;
		else
			n = n * 10 + d;
		c->pos++;
	}
	if (c->pos == start) {
		if (ip_at_end(c))
			return ip_fail(c, "Missing number");
		return ip_fail_tok(c, "Expected a number, not");
	}
	if (big)
		return ip_fail(c, "Number out of range: %.*s",
		    (int)(c->pos - start > 30 ? 30 : c->pos - start),
		    c->s + start);
	*v = n;
	return 0;
}

/* A number must stand alone: "12x" is no number. */
static int
number_end(struct pctx *c)
{
	int	 ch = ip_peek(c);

	if (ch == -1 || ch == ' ' || ch == ')')
		return 0;
	return ip_fail_tok(c, "Expected a number, not");
}

int
ip_number(struct pctx *c, uint64_t max, uint64_t *v)
{
	if (digits(c, max, v) == -1 || number_end(c) == -1)
		return -1;
	return 0;
}

int
ip_nz_number(struct pctx *c, uint64_t max, uint64_t *v)
{
	if (ip_number(c, max, v) == -1)
		return -1;
	if (*v == 0)
		return ip_fail(c, "Zero is not allowed here");
	return 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t	 v;
	size_t		 len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		v = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		v = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		v = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (len == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	*cp = v;
	return len;
}

bool
ip_valid_utf8(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, l;
	uint32_t		 cp;

	while (i < n) {
		if ((l = utf8_seq(p + i, n - i, &cp)) == 0)
			return false;
		i += l;
	}
	return true;
}

static int
quoted(struct pctx *c, unsigned flags, struct imap_str *out)
{
	size_t	 start = ++c->pos, n = 0, i;
	char	*d;
	bool	 high = false;

	/* First pass: find the end and check; second: copy unescaped. */
	for (i = start; ; i++) {
		unsigned char	 ch;

		if (i >= c->len)
			return ip_fail(c, "Unterminated quoted string");
		ch = (unsigned char)c->s[i];
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (i + 1 >= c->len || (c->s[i + 1] != '"' &&
			    c->s[i + 1] != '\\'))
				return ip_fail(c, "Only \\\" and \\\\ may be "
				    "escaped in a quoted string");
			i++;
		} else if (ch == '\r' || ch == '\n' || ch == '\0')
			return ip_fail(c, "CR, LF or NUL in a quoted string");
		else if (ch >= 0x80) {
			if ((flags & S_NO_8BIT) || !ip_utf8(c))
				return ip_fail(c, "8-bit characters in a quoted "
				    "string (use a literal)");
			high = true;
		}
		n++;
	}
	d = ip_alloc(c, n + 1, 1);
	if (d == NULL)
		return -1;
	n = 0;
	for (i = start; c->s[i] != '"'; i++) {
		if (c->s[i] == '\\')
			i++;
		d[n++] = c->s[i];
	}
	d[n] = '\0';
	c->pos = i + 1;
	if (high && !ip_valid_utf8(d, n))
		return ip_fail(c, "Invalid UTF-8 in a quoted string");
	out->p = d;
	out->len = n;
	out->kind = IMAP_STR_QUOTED;
	out->eightbit = high;
	return 0;
}

/*
 * "{" number ["+"] "}" CRLF and the data, or "~{" ... for literal8. The
 * reader recorded each literal where its data starts; the next one in
 * order must be at this very place.
 */
static int
literal(struct pctx *c, unsigned flags, struct imap_str *out,
    const struct imap_lit **litp)
{
	const struct imap_lit	*l;
	uint64_t		 size = 0;
	bool			 binary = false, plus = false;
	char			*d;

	if (ip_accept(c, '~')) {
		binary = true;
		if (ip_peek(c) != '{')
			return ip_fail(c, "Expected a literal8 after \"~\"");
	}
	c->pos++;	/* "{" */
	if (digits(c, NUMBER64_MAX, &size) == -1)
		return -1;
	plus = ip_accept(c, '+');
	if (!ip_accept(c, '}') || !ip_accept(c, '\r') || !ip_accept(c, '\n'))
		return ip_fail(c, "Malformed literal");
	if (c->nextlit >= c->nlits || c->lits[c->nextlit].off != c->pos ||
	    c->lits[c->nextlit].size != size)
		return ip_fail(c, "Malformed literal");
	l = &c->lits[c->nextlit++];
	if (binary && !(flags & S_LITERAL8))
		return ip_fail(c, "A literal8 is not allowed here");
	if (binary && !(flags & S_UTF8DATA) && !ip_cap(c, IMAP_CAP_BINARY))
		return ip_fail(c, "literal8 needs the BINARY extension");
	if (plus && !ip_cap(c, IMAP_CAP_LITERAL_PLUS | IMAP_CAP_LITERAL_MINUS |
	    IMAP_CAP_IMAP4REV2))
		return ip_fail(c, "Non-synchronizing literals are not offered");
	if (c->prefix && l->pending) {
		c->pending = true;
		return -1;
	}
	if (litp != NULL)
		*litp = l;
	out->kind = binary ? IMAP_STR_LITERAL8 : IMAP_STR_LITERAL;
	if (!binary && l->nul)
		return ip_fail(c, "NUL in a literal (use literal8)");
	if (l->streamed) {
		/* Only APPEND data streams; the caller checks litp. */
		if (litp == NULL)
			return ip_fail(c, "Malformed literal");
		out->p = NULL;
		out->len = (size_t)size;
		out->eightbit = false;
		return 0;
	}
	if (size > c->len - c->pos)
		return ip_fail(c, "Malformed literal");
	if (litp != NULL) {
		/* Message data is not copied. */
		out->p = c->s + c->pos;
		out->len = (size_t)size;
		out->eightbit = false;
		c->pos += (size_t)size;
		return 0;
	}
	if ((d = ip_strdup(c, c->s + c->pos, (size_t)size)) == NULL)
		return -1;
	out->p = d;
	out->len = (size_t)size;
	out->eightbit = false;
	for (size_t i = 0; i < out->len; i++)
		if ((unsigned char)d[i] >= 0x80) {
			out->eightbit = true;
			break;
		}
	c->pos += (size_t)size;
	if (out->eightbit && (flags & S_NO_8BIT))
		return ip_fail(c, "8-bit characters are not allowed here");
	return 0;
}

int
ip_message_literal(struct pctx *c, unsigned flags, struct imap_str *out,
    const struct imap_lit **lit)
{
	return literal(c, flags | S_LITERAL8, out, lit);
}

int
ip_string(struct pctx *c, unsigned flags, struct imap_str *out)
{
	int	 ch = ip_peek(c);

	if (ch == '"')
		return quoted(c, flags, out);
	if (at_literal(c))
		return literal(c, flags, out, NULL);
	if (ch == -1)
		return ip_fail(c, "Missing string");
	return ip_fail_tok(c, "Expected a string, not");
}

int
ip_astring(struct pctx *c, unsigned flags, struct imap_str *out)
{
	size_t	 start = c->pos;
	char	*d;
	int	 ch = ip_peek(c);

	if (ch == '"' || at_literal(c))
		return ip_string(c, flags, out);
	while (c->pos < c->len && astring_char((unsigned char)c->s[c->pos]))
		c->pos++;
	if (c->pos == start) {
		if (ch == -1)
			return ip_fail(c, "Missing argument");
		return ip_fail_tok(c, "Expected an atom or a string, not");
	}
	if ((d = ip_strdup(c, c->s + start, c->pos - start)) == NULL)
		return -1;
	out->p = d;
	out->len = c->pos - start;
	out->kind = IMAP_STR_ATOM;
	out->eightbit = false;
	return 0;
}

static bool
at_nil(const struct pctx *c)
{
	if (c->len - c->pos < 3 || strncasecmp(c->s + c->pos, "NIL", 3) != 0)
		return false;
	return c->pos + 3 == c->len || c->s[c->pos + 3] == ' ' ||
	    c->s[c->pos + 3] == ')';
}

int
ip_nstring(struct pctx *c, unsigned flags, struct imap_str *out)
{
	if (at_nil(c)) {
		c->pos += 3;
		out->p = NULL;
		out->len = 0;
		out->kind = IMAP_STR_NIL;
		out->eightbit = false;
		return 0;
	}
	return ip_string(c, flags, out);
}

/*
 * A name in UTF-8 (RFC 6855 3, RFC 9051 5.1): no C0 or C1 controls, no
 * LINE or PARAGRAPH SEPARATOR. In modified UTF-7, 7-bit printable only.
 */
static int
check_name(struct pctx *c, const struct imap_str *s, bool utf8)
{
	const unsigned char	*p = (const unsigned char *)s->p;
	size_t			 i = 0, l;
	uint32_t		 cp;

	while (i < s->len) {
		if (p[i] >= 0x80 && !utf8)
			return ip_fail(c, "8-bit characters in a mailbox name "
			    "(use modified UTF-7)");
		if ((l = utf8_seq(p + i, s->len - i, &cp)) == 0)
			return ip_fail(c, "Invalid UTF-8 in a mailbox name");
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029)
			return ip_fail(c, "Control characters in a mailbox "
			    "name");
		i += l;
	}
	return 0;
}

int
ip_mailbox(struct pctx *c, struct imap_mailbox *m)
{
	memset(m, 0, sizeof(*m));
	if (ip_astring(c, 0, &m->name) == -1)
		return -1;
	m->utf8 = ip_utf8(c);
	if (check_name(c, &m->name, m->utf8) == -1)
		return -1;
	m->inbox = m->name.len == 5 && strncasecmp(m->name.p, "INBOX", 5) == 0;
	return 0;
}

/* list-mailbox = 1*list-char / string; list-char adds "%", "*" and "]". */
int
ip_list_mailbox(struct pctx *c, struct imap_str *out)
{
	size_t	 start = c->pos;
	int	 ch = ip_peek(c);

	if (ch == '"' || at_literal(c)) {
		if (ip_string(c, 0, out) == -1)
			return -1;
	} else {
		char	*d;

		while (c->pos < c->len && (astring_char(ch = (unsigned char)
		    c->s[c->pos]) || ch == '%' || ch == '*'))
			c->pos++;
		if (c->pos == start) {
			if (ip_at_end(c))
				return ip_fail(c, "Missing mailbox pattern");
			return ip_fail_tok(c, "Expected a mailbox pattern, "
			    "not");
		}
		if ((d = ip_strdup(c, c->s + start, c->pos - start)) == NULL)
			return -1;
		out->p = d;
		out->len = c->pos - start;
		out->kind = IMAP_STR_ATOM;
		out->eightbit = false;
	}
	return check_name(c, out, ip_utf8(c));
}

/* seq-number = nz-number / "*" */
static int
seq_number(struct pctx *c, unsigned flags, uint32_t *v)
{
	uint64_t	 n;

	if (ip_accept(c, '*')) {
		if (flags & Q_NO_STAR)
			return ip_fail(c, "\"*\" is not allowed in this set");
		*v = IMAP_SEQ_STAR;
		return 0;
	}
	if (ip_peek(c) < '0' || ip_peek(c) > '9')
		return ip_fail_tok(c, "Invalid sequence set:");
	if (digits(c, NUMBER_MAX, &n) == -1)
		return -1;
	if (n == 0)
		return ip_fail(c, "Invalid sequence set: numbers start at 1");
	*v = (uint32_t)n;
	return 0;
}

int
ip_seqset(struct pctx *c, unsigned flags, struct imap_seqset *set)
{
	struct imap_seq_range	*r = NULL;
	size_t			 n = 0, cap = 0;
	int			 ch;

	memset(set, 0, sizeof(*set));
	if (ip_peek(c) == '$') {
		if (!(flags & Q_SAVED))
			return ip_fail(c, "\"$\" needs the SEARCHRES extension");
		c->pos++;
		set->saved = true;
	} else {
		for (;;) {
			uint32_t	 a, b;

			if (seq_number(c, flags, &a) == -1)
				return -1;
			b = a;
			if (ip_accept(c, ':') && seq_number(c, flags, &b) == -1)
				return -1;
			if (n == cap && (r = ip_grow(c, r, n, &cap,
			    sizeof(*r))) == NULL)
				return -1;
			r[n].first = a;
			r[n].last = b;
			n++;
			if (!ip_accept(c, ','))
				break;
		}
	}
	ch = ip_peek(c);
	if (ch != -1 && ch != ' ' && ch != ')')
		return ip_fail_tok(c, ch == '$' || ch == ',' ?
		    "\"$\" stands alone, not in a set:" : "Invalid sequence set:");
	set->r = r;
	set->n = n;
	return 0;
}

static int
month(struct pctx *c, int *mon)
{
	int	 i;

	if (c->len - c->pos >= 3)
		for (i = 0; i < 12; i++)
			if (strncasecmp(c->s + c->pos, months[i], 3) == 0) {
				*mon = i + 1;
				c->pos += 3;
				return 0;
			}
	return ip_fail(c, "Invalid date: bad month");
}

static int
days_in(int year, int mon)
{
	static const int	 d[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mon == 2 && ((year % 4 == 0 && year % 100 != 0) ||
	    year % 400 == 0))
		return 29;
	return d[mon - 1];
}

/* n digits exactly. */
static int
fixed(struct pctx *c, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		int	 ch = ip_peek(c);

		if (ch < '0' || ch > '9')
			return -1;
		*v = *v * 10 + (ch - '0');
		c->pos++;
	}
	return 0;
}

/* date-text = date-day "-" date-month "-" date-year; date-day = 1*2DIGIT */
static int
date_text(struct pctx *c, struct imap_date *d)
{
	int	 ch;

	if (fixed(c, 1, &d->day) == -1)
		return ip_fail(c, "Invalid date");
	if ((ch = ip_peek(c)) >= '0' && ch <= '9') {
		d->day = d->day * 10 + (ch - '0');
		c->pos++;
	}
	if (!ip_accept(c, '-') || month(c, &d->mon) == -1 ||
	    !ip_accept(c, '-') || fixed(c, 4, &d->year) == -1)
		return ip_fail(c, "Invalid date (dd-Mon-yyyy)");
	if (d->day < 1 || d->day > days_in(d->year, d->mon))
		return ip_fail(c, "Invalid date: no such day");
	return 0;
}

int
ip_date(struct pctx *c, struct imap_date *d)
{
	bool	 q = ip_accept(c, '"');

	if (date_text(c, d) == -1)
		return -1;
	if (q && !ip_accept(c, '"'))
		return ip_fail(c, "Invalid date: missing closing quote");
	return number_end(c) == -1 ? ip_fail(c, "Invalid date") : 0;
}

/*
 * date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time
 * SP zone DQUOTE; date-day-fixed = (SP DIGIT) / 2DIGIT.
 */
int
ip_datetime(struct pctx *c, struct imap_datetime *t)
{
	int	 zh, zm;
	char	 sign;

	if (!ip_accept(c, '"'))
		return ip_fail(c, "Expected a quoted date-time");
	if (ip_accept(c, ' ')) {
		if (fixed(c, 1, &t->day) == -1)
			return ip_fail(c, "Invalid date-time");
	} else if (fixed(c, 2, &t->day) == -1)
		return ip_fail(c, "Invalid date-time: day is 2 digits or SP "
		    "and 1");
	if (!ip_accept(c, '-') || month(c, &t->mon) == -1 ||
	    !ip_accept(c, '-') || fixed(c, 4, &t->year) == -1 ||
	    !ip_accept(c, ' ') || fixed(c, 2, &t->hour) == -1 ||
	    !ip_accept(c, ':') || fixed(c, 2, &t->min) == -1 ||
	    !ip_accept(c, ':') || fixed(c, 2, &t->sec) == -1 ||
	    !ip_accept(c, ' '))
		return ip_fail(c, "Invalid date-time "
		    "(\"dd-Mon-yyyy hh:mm:ss +zzzz\")");
	sign = (char)ip_peek(c);
	if (sign != '+' && sign != '-')
		return ip_fail(c, "Invalid date-time: bad zone");
	c->pos++;
	if (fixed(c, 2, &zh) == -1 || fixed(c, 2, &zm) == -1 ||
	    !ip_accept(c, '"'))
		return ip_fail(c, "Invalid date-time: bad zone");
	if (t->day < 1 || t->day > days_in(t->year, t->mon))
		return ip_fail(c, "Invalid date-time: no such day");
	if (t->hour > 23 || t->min > 59 || t->sec > 60 || zm > 59)
		return ip_fail(c, "Invalid date-time: bad time");
	t->zone = (zh * 60 + zm) * (sign == '-' ? -1 : 1);
	return number_end(c) == -1 ? ip_fail(c, "Invalid date-time") : 0;
}

int
ip_flag_keyword(struct pctx *c, struct imap_str *out)
{
	struct span	 sp;
	char		*d;

	if (ip_atom(c, &sp) == -1)
		return -1;
	if ((d = ip_strdup(c, sp.p, sp.n)) == NULL)
		return -1;
	out->p = d;
	out->len = sp.n;
	out->kind = IMAP_STR_ATOM;
	out->eightbit = false;
	return 0;
}

static const struct {
	const char	*name;
	unsigned	 bit;
} sysflags[] = {
	{ "\\Answered", IMAP_FLAG_ANSWERED },
	{ "\\Flagged", IMAP_FLAG_FLAGGED },
	{ "\\Deleted", IMAP_FLAG_DELETED },
	{ "\\Seen", IMAP_FLAG_SEEN },
	{ "\\Draft", IMAP_FLAG_DRAFT },
};

int
ip_flag(struct pctx *c, struct imap_flags *f, size_t *cap)
{
	struct imap_str	*kw;
	struct span	 sp;
	size_t		 i;

	if (ip_accept(c, '\\')) {
		if (ip_peek(c) == '*')
			return ip_fail(c, "\\* is not a flag a client can set");
		if (ip_atom(c, &sp) == -1)
			return -1;
		for (i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++)
			if (sp.n == strlen(sysflags[i].name) - 1 &&
			    strncasecmp(sp.p, sysflags[i].name + 1, sp.n) == 0) {
				f->sys |= sysflags[i].bit;
				return 0;
			}
		if (ip_is(sp, "Recent"))
			return ip_fail(c, "\\Recent cannot be set by a client");
		return ip_fail(c, "Unknown system flag \\%.*s",
		    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
	}
	if (f->nkw == *cap && (f->kw = ip_grow(c, (void *)f->kw, f->nkw, cap,
	    sizeof(*f->kw))) == NULL)
		return -1;
	kw = (struct imap_str *)&f->kw[f->nkw];
	if (ip_flag_keyword(c, kw) == -1)
		return -1;
	f->nkw++;
	return 0;
}

/* flag-list = "(" [flag *(SP flag)] ")" */
int
ip_flag_list(struct pctx *c, struct imap_flags *f)
{
	size_t	 cap = 0;

	memset(f, 0, sizeof(*f));
	if (ip_expect(c, '(', "flag list") == -1)
		return -1;
	if (ip_accept(c, ')'))
		return 0;
	for (;;) {
		if (ip_flag(c, f, &cap) == -1)
			return -1;
		if (ip_accept(c, ')'))
			return 0;
		if (ip_peek(c) != ' ')
			return ip_fail(c, "Unterminated flag list");
		if (ip_sp(c) == -1)
			return -1;
	}
}
