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
 */
int	 addr_parse(struct mailaddr *, const char *s, int utf8, const char **errstr);
/* Writes "local@domain" (or "local" when the domain is empty). */
void	 addr_format(const struct mailaddr *, char *dst, size_t dstlen);
/* Removes "+tag" (delim and what follows) from the local part; delim 0 does nothing. */
void	 addr_strip_subaddr(struct mailaddr *, char delim);
/* ASCII lowercase in place. */
void	 addr_lower(char *);

#endif
