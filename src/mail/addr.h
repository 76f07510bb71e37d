/* Mail addresses: parsing and checking of RFC 5321 paths, splitting, folding. */
#ifndef TEGAMI_ADDR_H
#define TEGAMI_ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256	/* RFC 5321 4.5.3.1.3, brackets excluded */

struct mailaddr {
	char	local[ADDR_LOCAL_MAX + 1];	/* as given (quoted local parts unquoted) */
	char	domain[ADDR_DOMAIN_MAX + 1];	/* lowercased; "" when none */
};

/*
 * Parses "local@domain" (no brackets). utf8 allows UTF-8 in both parts
 * (SMTPUTF8). Accepts dot-atom and quoted-string local parts, domains and
 * address literals ([1.2.3.4], [IPv6:...]). Returns 0 or -1 with errstr.
 *
 * A quoted local part whose content is a plain dot-atom ("john.doe") is
 * stored unquoted; any other stays quoted exactly as given, so that
 * addr_format() gives back a valid path. An IPv6 literal is stored as
 * "[IPv6:" + the address lowercased + "]". errstr is static text.
 */
int	 addr_parse(struct mailaddr *, const char *s, int utf8, const char **errstr);
/* Writes "local@domain" (or "local" when the domain is empty). */
void	 addr_format(const struct mailaddr *, char *dst, size_t dstlen);
/*
 * Removes "+tag" (delim and what follows) from the local part; delim 0 does
 * nothing. A quoted local part is left alone, and so is one that would
 * become empty or end in a dot ("+tag", "a.+tag").
 */
void	 addr_strip_subaddr(struct mailaddr *, char delim);
/* ASCII lowercase in place. */
void	 addr_lower(char *);

/*
 * Checks a domain or address literal of len octets (RFC 5321 Domain /
 * address-literal, RFC 6531 U-labels when utf8). Returns 0 or -1 with errstr.
 */
int	 addr_domain_check(const char *, size_t len, int utf8, const char **errstr);
/* 1 when the local part or the domain holds a non-ASCII octet. */
int	 addr_is_utf8(const struct mailaddr *);
/*
 * Length of the valid UTF-8 sequence at s (at most n octets): 1 for ASCII,
 * 2-4 for a well-formed multi-octet sequence (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), 0 when invalid or truncated.
 */
size_t	 addr_utf8_len(const char *s, size_t n);

#endif
