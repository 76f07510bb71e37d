/* Internals shared by the table loader and the table lookups. */
#ifndef TEGAMI_TABLE_PRIV_H
#define TEGAMI_TABLE_PRIV_H

#include <sys/socket.h>

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

struct map;

struct netaddr {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];
	unsigned	 bits;		/* prefix length */
};

enum re_state { RE_UNCOMPILED, RE_OK, RE_BAD };

struct table_cache {
	struct map	*fold;		/* lowercased key -> value (first of duplicates) */
	char		**keys;		/* entry keys in file order */
	size_t		 nkeys, capkeys;
	struct netaddr	*nets;		/* entries that parse as addresses or CIDR */
	size_t		 nnets, capnets;
	/* Compiled on first use; lookups run in one thread per process. */
	regex_t		*re;
	enum re_state	*re_state;
	size_t		 nre;
};

/* Parses "1.2.3.4", "::1", "ipv6:::1", "10.0.0.0/8"; 0 or -1. */
int	 table_parse_netaddr(const char *, struct netaddr *);
void	 table_cache_free(struct table_cache *);
/*
 * regcomp(3) with the tables' flags (extended, case-insensitive, no
 * submatches), refusing with REG_ESPACE the patterns whose compilation
 * would take memory exponential in their length.
 */
int	 table_regcomp(regex_t *, const char *);

#endif
