/* Tables of table(5): file and inline lists and mappings, and the lookups each role needs. */
#ifndef TEGAMI_TABLE_H
#define TEGAMI_TABLE_H

#include <sys/socket.h>
#include <stddef.h>

struct map;

enum table_backend {
	TABLE_FILE,		/* table NAME file:/path or table NAME /path */
	TABLE_INLINE_LIST,	/* table NAME { a, b } */
	TABLE_INLINE_MAP,	/* table NAME { k = v, ... } */
};

struct table {
	char			*name;
	enum table_backend	 backend;
	char			*path;		/* TABLE_FILE */
	const char		*conf_file;	/* where it was declared */
	int			 conf_line;
	/*
	 * Entries: key -> value. A list entry has value NULL. Keys are kept as
	 * written; lookups that are case-insensitive by role fold both sides.
	 */
	struct map		*entries;
	size_t			 nentries;
};

/*
 * Loads (or reloads) a file table. On error returns -1 and sets *errstr to
 * "PATH:LINE: message" (static storage); the old entries are then kept.
 */
int	 table_load(struct table *, const char **errstr);
void	 table_free(struct table *);

/* Mapping lookup, exact key, case-sensitive: value or NULL. */
const char *table_get(const struct table *, const char *key);
/* Mapping lookup with the key folded to lowercase (aliases, virtual, creds). */
const char *table_get_fold(const struct table *, const char *key);
/* List membership, exact. */
int	 table_has(const struct table *, const char *value);
/* Domain list: exact (case-insensitive) or "*.example.org" wildcard. */
int	 table_match_domain(const struct table *, const char *domain);
/* Mailaddr list: "user", "@domain", "user@domain", "user@*.domain". */
int	 table_match_mailaddr(const struct table *, const char *addr);
/* Netaddr list: exact addresses or CIDR, "ipv6:" prefix accepted. */
int	 table_match_netaddr(const struct table *, const struct sockaddr *);
/* Regex list: any entry (POSIX extended) matches the string. */
int	 table_match_regex(const struct table *, const char *);

/* Iterates entries in file order; returns 0 at the end. *iter starts at 0. */
int	 table_iter(const struct table *, size_t *iter, const char **key, const char **value);

#endif
