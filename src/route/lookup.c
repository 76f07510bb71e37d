/* Table lookups by role: domains, mail addresses, network addresses, regexes (route/lookup.h). */
#include <sys/socket.h>

#include <netinet/in.h>
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/table.h"
#include "conf/table_priv.h"
#include "lib/map.h"
#include "lib/xalloc.h"
#include "route/lookup.h"

int
table_pattern_domain(const char *pattern, const char *domain)
{
	size_t	 plen, dlen;

	if (pattern[0] == '*' && pattern[1] == '.') {
		/* "*.example.org" covers the subdomains, not example.org itself. */
		plen = strlen(pattern + 1);
		dlen = strlen(domain);
		return dlen > plen &&
		    strcasecmp(domain + dlen - plen, pattern + 1) == 0;
	}
	return strcasecmp(pattern, domain) == 0;
}

/* Membership of s, folded to lowercase, among the folded keys. */
static int
fold_has(const struct table *t, const char *prefix, const char *s)
{
	char	 small[256], *fold;
	size_t	 plen = strlen(prefix), len = strlen(s), i;
	int	 found;

	fold = plen + len < sizeof(small) ? small : xmalloc(plen + len + 1);
	memcpy(fold, prefix, plen);
	for (i = 0; i <= len; i++)
		fold[plen + i] = (char)tolower((unsigned char)s[i]);
	found = map_has(t->cache->fold, fold);
	if (fold != small)
		free(fold);
	return found;
}

int
table_match_domain(const struct table *t, const char *domain)
{
	const char	*p;

	if (*domain == '\0')
		return 0;
	if (fold_has(t, "", domain))
		return 1;
	for (p = strchr(domain + 1, '.'); p != NULL; p = strchr(p + 1, '.'))
		if (fold_has(t, "*", p))
			return 1;
	return 0;
}

/* Splits at the last '@'; no '@' gives an empty domain. */
static void
split_addr(const char *addr, const char **user, size_t *ulen, const char **domain)
{
	const char	*at = strrchr(addr, '@');

	*user = addr;
	if (at == NULL) {
		*ulen = strlen(addr);
		*domain = "";
	} else {
		*ulen = (size_t)(at - addr);
		*domain = at + 1;
	}
}

int
table_pattern_mailaddr(const char *pattern, const char *addr, char delim)
{
	const char	*puser, *pdom, *auser, *adom, *tag;
	size_t		 pulen, aulen;

	split_addr(pattern, &puser, &pulen, &pdom);
	split_addr(addr, &auser, &aulen, &adom);
	if (pulen == 0 && *pdom == '\0')
		return 1;	/* "@" catches all */
	if (*pdom != '\0' && !table_pattern_domain(pdom, adom))
		return 0;
	if (pulen == 0)
		return 1;
	/* A pattern without a tag matches the address with its tag removed. */
	if (delim && memchr(puser, delim, pulen) == NULL &&
	    (tag = memchr(auser, delim, aulen)) != NULL && tag != auser)
		aulen = (size_t)(tag - auser);
	return pulen == aulen && strncasecmp(puser, auser, pulen) == 0;
}

int
table_match_mailaddr_delim(const struct table *t, const char *addr, char delim)
{
	size_t	 i;

	for (i = 0; i < t->cache->nkeys; i++)
		if (table_pattern_mailaddr(t->cache->keys[i], addr, delim))
			return 1;
	return 0;
}

int
table_match_mailaddr(const struct table *t, const char *addr)
{
	return table_match_mailaddr_delim(t, addr, '+');
}

/* Client address as a netaddr; IPv4-mapped IPv6 counts as IPv4. */
static int
sockaddr_to_netaddr(const struct sockaddr *sa, struct netaddr *na)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(na, 0, sizeof(*na));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		na->family = AF_INET;
		memcpy(na->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		na->bits = 32;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, mapped, 12) == 0) {
			na->family = AF_INET;
			memcpy(na->addr, a + 12, 4);
			na->bits = 32;
		} else {
			na->family = AF_INET6;
			memcpy(na->addr, a, 16);
			na->bits = 128;
		}
		return 0;
	}
	return -1;
}

static int
netaddr_contains(const struct netaddr *net, const struct netaddr *a)
{
	unsigned	 full = net->bits / 8, rest = net->bits % 8;
	uint8_t		 mask;

	if (net->family != a->family)
		return 0;
	if (memcmp(net->addr, a->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (a->addr[full] & mask);
}

int
table_pattern_netaddr(const char *pattern, const struct sockaddr *sa)
{
	struct netaddr	 net, a;

	if (table_parse_netaddr(pattern, &net) == -1 || sockaddr_to_netaddr(sa, &a) == -1)
		return 0;
	return netaddr_contains(&net, &a);
}

int
table_match_netaddr(const struct table *t, const struct sockaddr *sa)
{
	struct netaddr	 a;
	size_t		 i;

	if (sockaddr_to_netaddr(sa, &a) == -1)
		return 0;
	for (i = 0; i < t->cache->nnets; i++)
		if (netaddr_contains(&t->cache->nets[i], &a))
			return 1;
	return 0;
}

int
table_match_regex(const struct table *t, const char *s)
{
	size_t	 i;
	int	 err;

	for (i = 0; i < t->cache->nkeys; i++)
		if (table_regex_ready(t->cache, i, &err) == 0 &&
		    regexec(&t->cache->re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

int
table_pattern_regex(const char *pattern, const char *s)
{
	regex_t	 re;
	int	 r;

	if (table_regcomp(&re, pattern) != 0)
		return 0;
	r = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return r;
}
