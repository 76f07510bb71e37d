/* Tables of table(5): file and inline lists and mappings, and the lookups each role needs. */
#ifndef TEGAMI_TABLE_H
#define TEGAMI_TABLE_H

#include <sys/socket.h>
#include <stddef.h>

struct map;
struct table_cache;

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
	struct table_cache	*cache;		/* private: folded keys, netaddrs, regexes */
};

/* Hard limits of a file table. */
#define TABLE_LINE_MAX		(64 * 1024)
#define TABLE_FILE_MAX		((size_t)256 * 1024 * 1024)

/* A new empty table; path is for TABLE_FILE (may be NULL otherwise). */
struct table *table_new(const char *name, enum table_backend, const char *path);
/*
 * Adds one entry (value NULL for a list entry) to an inline table. The
 * first of duplicate keys wins, as in a file. Returns 0, or -1 with errstr
 * when the key is empty.
 */
int	 table_add(struct table *, const char *key, const char *value,
	    const char **errstr);
/*
 * Replaces the content with the table(5) text in data (which need not be
 * NUL-terminated). Errors are "NAME:LINE: message" where NAME is t->path,
 * else t->name. On error the old content is kept.
 */
int	 table_load_buffer(struct table *, const char *data, size_t len,
	    const char **errstr);
/*
 * Compiles every entry as a regex now (they are otherwise compiled on first
 * use and cached). -1 with errstr naming the bad entry.
 */
int	 table_check_regex(const struct table *, const char **errstr);

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
/* Iterates entries in file order; returns 0 at the end. *iter starts at 0. */
int	 table_iter(const struct table *, size_t *iter, const char **key, const char **value);

#endif
