/* The RFC5322.From domain for DMARC (RFC 7489 6.6.1): one From field, one mailbox, its domain. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "mail/dmarc.h"

#define FIELD_MAX	16384	/* a From field longer than this is malformed */
#define COMMENT_DEPTH	32

enum tok_type {
	T_END,
	T_ATOM,			/* atext run (RFC 6532: UTF-8 too) */
	T_QSTR,			/* quoted-string */
	T_DLIT,			/* domain-literal */
	T_SPECIAL,		/* < > : ; @ , . */
	T_ERR,
};

struct tok {
	enum tok_type	 type;
	char		 c;		/* T_SPECIAL */
	size_t		 off, len;	/* T_ATOM: the text in the value */
};

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips whitespace and (nested) comments; -1 on an unterminated one. */
static int
skip_cfws(const char *s, size_t len, size_t *i)
{
	int	 depth;

	for (;;) {
		while (*i < len && is_ws(s[*i]))
			(*i)++;
		if (*i >= len || s[*i] != '(')
			return 0;
		depth = 0;
		while (*i < len) {
			if (s[*i] == '\\' && *i + 1 < len)
				(*i)++;
			else if (s[*i] == '(') {
				if (++depth > COMMENT_DEPTH)
					return -1;
			} else if (s[*i] == ')' && --depth == 0)
				break;
			(*i)++;
		}
		if (*i >= len)
			return -1;
		(*i)++;
	}
}

/* Reads the next token at *i. */
static void
next(const char *s, size_t len, size_t *i, struct tok *t)
{
	unsigned char	 c;
	char		 close;

	memset(t, 0, sizeof(*t));
	if (skip_cfws(s, len, i) == -1) {
		t->type = T_ERR;
		return;
	}
	if (*i >= len) {
		t->type = T_END;
		return;
	}
	c = (unsigned char)s[*i];
	if (c == '"' || c == '[') {
		close = c == '"' ? '"' : ']';
		t->type = c == '"' ? T_QSTR : T_DLIT;
		for ((*i)++; *i < len && s[*i] != close; (*i)++) {
			if (s[*i] == '\\' && *i + 1 < len)
				(*i)++;
			else if (c == '[' && s[*i] == '[')
				break;
		}
		if (*i >= len || s[*i] != close)
			t->type = T_ERR;
		else
			(*i)++;
		return;
	}
	if (strchr("<>:;@,.", c) != NULL) {
		t->type = T_SPECIAL;
		t->c = (char)c;
		(*i)++;
		return;
	}
	if (c < 0x20 || c == 0x7f || strchr(")]\\", c) != NULL) {
		t->type = T_ERR;
		return;
	}
	t->type = T_ATOM;
	t->off = *i;
	while (*i < len) {
		c = (unsigned char)s[*i];
		if (c < 0x21 || c == 0x7f || strchr("()<>[]:;@\\,.\"", c) != NULL)
			break;
		(*i)++;
	}
	t->len = *i - t->off;
}

static int
is_special(const struct tok *t, char c)
{
	return t->type == T_SPECIAL && t->c == c;
}

/*
 * One mailbox in t[0..n): display-name and angle-addr, or addr-spec. Its
 * domain goes to dom (lowercased); 1 for a domain name, 0 for a domain
 * literal, -1 when it is no mailbox.
 */
static int
mailbox(const char *s, const struct tok *t, size_t n, char *dom, size_t domlen)
{
	size_t	 a = 0, b = n, i, at, o = 0;

	for (i = 0; i < n; i++)
		if (is_special(&t[i], '<'))
			break;
	if (i < n) {
		/*
		 * name-addr: the display name is words and (obs-phrase) dots;
		 * an unquoted "@" there is common enough to let pass, since the
		 * domain that counts is the angle-addr's either way.
		 */
		for (a = 0; a < i; a++)
			if (t[a].type != T_ATOM && t[a].type != T_QSTR &&
			    !is_special(&t[a], '.') && !is_special(&t[a], '@'))
				return -1;
		if (n < 2 || !is_special(&t[n - 1], '>'))
			return -1;
		a = i + 1;
		b = n - 1;
		/* obs-route: "@a,@b:" before the address. */
		for (i = a; i < b; i++)
			if (is_special(&t[i], ':'))
				a = i + 1;
	}
	/* addr-spec = local-part "@" domain */
	for (at = b, i = a; i < b; i++)
		if (is_special(&t[i], '@'))
			at = i;
	if (at == b || at == a || at + 1 >= b)
		return -1;
	for (i = a; i < at; i++)
		if (t[i].type != T_ATOM && t[i].type != T_QSTR && !is_special(&t[i], '.'))
			return -1;
	if (t[at + 1].type == T_DLIT)
		return at + 2 == b ? 0 : -1;
	/* dot-atom (or obs-domain): atoms joined by single dots */
	for (i = at + 1; i < b; i++) {
		int	 want_atom = (i - at - 1) % 2 == 0;

		if (want_atom ? t[i].type != T_ATOM : !is_special(&t[i], '.'))
			return -1;
		if (want_atom) {
			if (o + t[i].len + 1 >= domlen)
				return -1;
			memcpy(dom + o, s + t[i].off, t[i].len);
			o += t[i].len;
		} else
			dom[o++] = '.';
	}
	if ((b - at - 1) % 2 == 0)	/* ends in a dot */
		return -1;
	dom[o] = '\0';
	for (i = 0; i < o; i++)
		if (dom[i] >= 'A' && dom[i] <= 'Z')
			dom[i] = (char)(dom[i] + 32);
	return o <= DMARC_DOMAIN_MAX ? 1 : -1;
}

/*
 * The mailboxes of a From value (mailbox-list, or RFC 6854's address-list
 * with groups): how many, and the domain of the first.
 */
static enum dmarc_from_status
parse_value(const char *s, size_t len, char *domain, size_t domainlen)
{
	struct tok		*t;
	size_t			 n = 0, i, start, count = 0, cap = len + 1;
	int			 angle = 0, group = 0, r, literal = 0;
	enum dmarc_from_status	 st = DMARC_FROM_OK;
	char			 dom[DMARC_DOMAIN_MAX + 2];

	t = xreallocarray(NULL, cap, sizeof(*t));
	for (i = 0;;) {
		next(s, len, &i, &t[n]);
		if (t[n].type == T_ERR) {
			st = DMARC_FROM_MALFORMED;
			goto done;
		}
		if (t[n++].type == T_END)
			break;
	}
	/* Elements end at "," outside angle brackets, at a group's ":" and ";". */
	for (i = 0, start = 0; i < n; i++) {
		if (is_special(&t[i], '<'))
			angle++;
		else if (is_special(&t[i], '>'))
			angle--;
		if (angle < 0 || angle > 1) {
			st = DMARC_FROM_MALFORMED;
			goto done;
		}
		if (angle == 1 || !(t[i].type == T_END || is_special(&t[i], ',') ||
		    is_special(&t[i], ':') || is_special(&t[i], ';')))
			continue;
		if (is_special(&t[i], ':')) {
			/* display-name ":" opens a group; its name is no mailbox. */
			if (group || i == start) {
				st = DMARC_FROM_MALFORMED;
				goto done;
			}
			group = 1;
			start = i + 1;
			continue;
		}
		if (is_special(&t[i], ';')) {
			if (!group) {
				st = DMARC_FROM_MALFORMED;
				goto done;
			}
			group = 0;
		}
		if (i > start) {	/* empty elements are obs-mbox-list */
			r = mailbox(s, t + start, i - start, dom, sizeof(dom));
			if (r == -1) {
				st = DMARC_FROM_MALFORMED;
				goto done;
			}
			if (count++ == 0) {
				literal = r == 0;
				if (!literal && strlen(dom) < domainlen)
					memcpy(domain, dom, strlen(dom) + 1);
			}
		}
		start = i + 1;
	}
	if (angle != 0 || group)
		st = DMARC_FROM_MALFORMED;
	else if (count == 0)
		st = DMARC_FROM_NO_ADDRESS;
	else if (count > 1)
		st = DMARC_FROM_MULTIPLE_ADDRESSES;
	else if (literal)
		st = DMARC_FROM_MALFORMED;
done:
	free(t);
	return st;
}

/* The end of the field starting at off: past its last continuation line. */
static size_t
field_end(const char *h, size_t len, size_t off)
{
	const char	*nl;

	for (;;) {
		nl = memchr(h + off, '\n', len - off);
		if (nl == NULL)
			return len;
		off = (size_t)(nl - h) + 1;
		if (off >= len || (h[off] != ' ' && h[off] != '\t'))
			return off;
	}
}

enum dmarc_from_status
dmarc_from_domain(const char *hdr, size_t len, char *domain, size_t domainlen)
{
	size_t		 off, end, i, vstart = 0, vend = 0, nfrom = 0;
	char		 dom[DMARC_DOMAIN_MAX + 2];
	enum dmarc_from_status st;

	if (domainlen > 0)
		domain[0] = '\0';
	if (len > DMARC_FROM_HEADER_MAX)
		return DMARC_FROM_MALFORMED;
	for (off = 0; off < len; off = end) {
		/* The empty line ends the header section. */
		if (hdr[off] == '\n' || (hdr[off] == '\r' && off + 1 < len &&
		    hdr[off + 1] == '\n'))
			break;
		end = field_end(hdr, len, off);
		/* field-name, then optional WSP (obs-optional), then ":" */
		for (i = off; i < end && hdr[i] != ':' && hdr[i] != ' ' &&
		    hdr[i] != '\t' && (unsigned char)hdr[i] > 0x20; i++)
			;
		if (i - off != 4 || strncasecmp(hdr + off, "from", 4) != 0)
			continue;
		while (i < end && (hdr[i] == ' ' || hdr[i] == '\t'))
			i++;
		if (i >= end || hdr[i] != ':')
			continue;
		if (++nfrom == 1) {
			vstart = i + 1;
			vend = end;
		}
	}
	if (nfrom == 0)
		return DMARC_FROM_MISSING;
	if (nfrom > 1)
		return DMARC_FROM_MULTIPLE_FIELDS;
	if (vend - vstart > FIELD_MAX)
		return DMARC_FROM_MALFORMED;
	st = parse_value(hdr + vstart, vend - vstart, dom, sizeof(dom));
	if (st == DMARC_FROM_OK) {
		if (strlen(dom) >= domainlen)
			return DMARC_FROM_MALFORMED;
		memcpy(domain, dom, strlen(dom) + 1);
	}
	return st;
}

const char *
dmarc_from_status_text(enum dmarc_from_status st)
{
	switch (st) {
	case DMARC_FROM_OK:
		return "one From address";
	case DMARC_FROM_MISSING:
		return "no From field";
	case DMARC_FROM_MULTIPLE_FIELDS:
		return "several From fields";
	case DMARC_FROM_MULTIPLE_ADDRESSES:
		return "several From addresses";
	case DMARC_FROM_NO_ADDRESS:
		return "no address in the From field";
	case DMARC_FROM_MALFORMED:
		return "malformed From field";
	}
	return "malformed From field";
}
