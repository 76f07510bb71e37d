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
	/* Compiled on first use, under a lock: lookups run on worker threads too. */
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
/* Compiles entry i of the cache if it is not yet; 0 when usable, else -1 with *err. */
int	 table_regex_ready(struct table_cache *, size_t i, int *err);

#endif
