/* RFC 5321 mailboxes, with RFC 6531 UTF-8: parsing, checking, formatting. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "lib/utf8.h"
#include "mail/addr.h"

#define LABEL_MAX	63	/* RFC 1035 2.3.4 */

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static int
is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

size_t
addr_utf8_len(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned char		 lo = 0x80, hi = 0xbf;
	size_t			 need, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 1;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		if (p[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n <= need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need + 1;
}

/*
 * Length of a non-ASCII character at s when utf8 is allowed, else 0 with
 * errstr saying why.
 */
static size_t
nonascii(const char *s, size_t n, int utf8, const char **errstr)
{
	size_t	 l;

	if (!utf8) {
		*errstr = "non-ASCII character without SMTPUTF8";
		return 0;
	}
	if ((l = addr_utf8_len(s, n)) == 0) {
		*errstr = "invalid UTF-8 in address";
		return 0;
	}
	/*
	 * C1 controls (U+0085, U+009B ...), line separators and the marks
	 * that reorder text are well-formed UTF-8 but would reach logs,
	 * Return-Path and mail clients as terminal escapes or a forged look.
	 */
	if (utf8_safe_len(s, l) == 0) {
		*errstr = "control or invisible character in address";
		return 0;
	}
	return l;
}

/* True when s[0..n) is a Dot-string: atoms (atext or UTF-8) joined by single dots. */
static int
is_dot_string(const char *s, size_t n, int utf8)
{
	const char	*e;
	size_t		 i, l;
	int		 atom = 0;

	for (i = 0; i < n; i += l) {
		l = 1;
		if (s[i] == '.') {
			if (!atom)
				return 0;
			atom = 0;
		} else if ((unsigned char)s[i] >= 0x80) {
			if ((l = nonascii(s + i, n - i, utf8, &e)) == 0)
				return 0;
			atom = 1;
		} else if (is_atext((unsigned char)s[i]))
			atom = 1;
		else
			return 0;
	}
	return atom;
}

static int
check_literal(const char *d, size_t len, const char **errstr)
{
	char		 tmp[INET6_ADDRSTRLEN + 1];
	unsigned char	 bin[sizeof(struct in6_addr)];
	const char	*in;
	size_t		 inlen;
	int		 af = AF_INET;

	if (len < 3 || d[len - 1] != ']') {
		*errstr = "unterminated address literal";
		return -1;
	}
	in = d + 1;
	inlen = len - 2;
	if (inlen >= 5 && strncasecmp(in, "IPv6:", 5) == 0) {
		af = AF_INET6;
		in += 5;
		inlen -= 5;
	} else if (memchr(in, ':', inlen) != NULL) {
		*errstr = "unsupported address literal";
		return -1;
	}
	if (inlen >= sizeof(tmp))
		goto fail;
	memcpy(tmp, in, inlen);
	tmp[inlen] = '\0';
	if (inet_pton(af, tmp, bin) != 1)
		goto fail;
	return 0;
fail:
	*errstr = af == AF_INET ? "invalid IPv4 address literal" :
	    "invalid IPv6 address literal";
	return -1;
}

int
addr_domain_check(const char *d, size_t len, int utf8, const char **errstr)
{
	size_t	 i, l, label = 0;

	if (len == 0) {
		*errstr = "empty domain";
		return -1;
	}
	if (len > ADDR_DOMAIN_MAX) {
		*errstr = "domain too long";
		return -1;
	}
	if (d[0] == '[')
		return check_literal(d, len, errstr);
	for (i = 0; i < len; i += l) {
		l = 1;
		if (d[i] == '.') {
			if (label == 0) {
				*errstr = "empty domain label";
				return -1;
			}
			if (d[i - 1] == '-') {
				*errstr = "domain label ends with a hyphen";
				return -1;
			}
			label = 0;
			continue;
		}
		if ((unsigned char)d[i] >= 0x80) {
			if ((l = nonascii(d + i, len - i, utf8, errstr)) == 0)
				return -1;
		} else if (d[i] == '-') {
			if (label == 0) {
				*errstr = "domain label starts with a hyphen";
				return -1;
			}
		} else if (!is_alnum((unsigned char)d[i])) {
			*errstr = "invalid character in domain";
			return -1;
		}
		label += l;
		if (label > LABEL_MAX) {
			*errstr = "domain label too long";
			return -1;
		}
	}
	if (label == 0) {
		*errstr = "trailing dot in domain";
		return -1;
	}
	if (d[len - 1] == '-') {
		*errstr = "domain label ends with a hyphen";
		return -1;
	}
	return 0;
}

/*
 * Quoted-string (RFC 5321 4.1.2, RFC 6531 3.3): returns the length
 * including both quotes, and the unescaped content in dec (at most
 * ADDR_LOCAL_MAX octets, which the quoted form exceeds first).
 */
static size_t
parse_quoted(const char *s, int utf8, char *dec, size_t *declen,
    const char **errstr)
{
	size_t	 i = 1, l, o = 0;

	for (;;) {
		unsigned char	 c = (unsigned char)s[i];

		if (c == '\0') {
			*errstr = "unterminated quoted string";
			return 0;
		}
		if (c == '"')
			break;
		l = 1;
		if (c == '\\') {
			c = (unsigned char)s[i + 1];
			if (c < 32 || c > 126) {
				*errstr = "invalid quoted pair in local part";
				return 0;
			}
			i++;
		} else if (c >= 0x80) {
			if ((l = nonascii(s + i, strlen(s + i), utf8,
			    errstr)) == 0)
				return 0;
		} else if (c < 32 || c == 127) {
			*errstr = "invalid character in quoted string";
			return 0;
		}
		/* The closing quote cannot come before i + l. */
		if (i + l + 1 > ADDR_LOCAL_MAX) {
			*errstr = "local part too long";
			return 0;
		}
		/* o < i, so dec has room. */
		memcpy(dec + o, s + i, l);
		o += l;
		i += l;
	}
	*declen = o;
	return i + 1;
}

int
addr_parse(struct mailaddr *a, const char *s, int utf8, const char **errstr)
{
	char		 dec[ADDR_LOCAL_MAX + 1];
	const char	*dom;
	size_t		 slen, llen, dlen, declen = 0, i, l;
	int		 quoted = 0, atom = 0;

	a->local[0] = a->domain[0] = '\0';
	slen = strlen(s);
	if (slen > ADDR_PATH_MAX) {
		*errstr = "address too long";
		return -1;
	}
	if (s[0] == '"') {
		quoted = 1;
		if ((llen = parse_quoted(s, utf8, dec, &declen, errstr)) == 0)
			return -1;
		if (s[llen] != '@') {
			*errstr = s[llen] == '\0' ? "missing domain" :
			    "invalid character after quoted string";
			return -1;
		}
	} else {
		for (i = 0; s[i] != '@'; i += l) {
			unsigned char	 c = (unsigned char)s[i];

			l = 1;
			if (c == '\0') {
				*errstr = "missing domain";
				return -1;
			}
			if (c == '.') {
				if (!atom) {
					*errstr = "misplaced dot in local part";
					return -1;
				}
				atom = 0;
				continue;
			}
			if (c >= 0x80) {
				if ((l = nonascii(s + i, slen - i, utf8,
				    errstr)) == 0)
					return -1;
			} else if (!is_atext(c)) {
				*errstr = "invalid character in local part";
				return -1;
			}
			atom = 1;
		}
		llen = i;
		if (llen == 0) {
			*errstr = "empty local part";
			return -1;
		}
		if (!atom) {
			*errstr = "misplaced dot in local part";
			return -1;
		}
	}
	if (llen > ADDR_LOCAL_MAX) {
		*errstr = "local part too long";
		return -1;
	}
	dom = s + llen + 1;
	dlen = slen - llen - 1;
	if (dlen == 0) {
		*errstr = "missing domain";
		return -1;
	}
	if (addr_domain_check(dom, dlen, utf8, errstr) == -1)
		return -1;

	if (quoted && is_dot_string(dec, declen, utf8)) {
		memcpy(a->local, dec, declen);
		a->local[declen] = '\0';
	} else {
		memcpy(a->local, s, llen);
		a->local[llen] = '\0';
	}
	memcpy(a->domain, dom, dlen);
	a->domain[dlen] = '\0';
	addr_lower(a->domain);
	if (strncmp(a->domain, "[ipv6:", 6) == 0)
		memcpy(a->domain + 1, "IPv6", 4);
	return 0;
}

void
addr_format(const struct mailaddr *a, char *dst, size_t dstlen)
{
	if (a->domain[0] == '\0')
		(void)snprintf(dst, dstlen, "%s", a->local);
	else
		(void)snprintf(dst, dstlen, "%s@%s", a->local, a->domain);
}

void
addr_strip_subaddr(struct mailaddr *a, char delim)
{
	char	*p;

	if (delim == '\0' || a->local[0] == '"')
		return;
	if ((p = strchr(a->local, delim)) == NULL || p == a->local ||
	    p[-1] == '.')
		return;
	*p = '\0';
}

void
addr_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

int
addr_is_utf8(const struct mailaddr *a)
{
	const char	*p;

	for (p = a->local; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	for (p = a->domain; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}
