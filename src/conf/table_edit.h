/* Editing a file table in place: one entry at a time, every other line kept as written, the file replaced atomically. */
#ifndef TEGAMI_TABLE_EDIT_H
#define TEGAMI_TABLE_EDIT_H

#include <sys/types.h>

#include <stddef.h>

struct map;

/*
 * Where the key and the value of one table(5) line are, as table_load()
 * reads it: a '#' at the start or after blank space starts a comment,
 * trailing blanks are not part of the value, the key is the first word
 * (or what comes before a ':' in it, unless the word is an address
 * literal), then the value after blanks, a lone ':' between blanks, or
 * the ':' itself.
 */
struct table_edit_parts {
	size_t	 key_off, key_len;
	size_t	 val_off, val_len;	/* val_len 0: a list entry */
	char	 sep;			/* ':' for "key:value", ' ' otherwise */
};

/*
 * Splits line[0..len) (no newline; a trailing '\r' is ignored). Returns 1
 * for an entry with *parts filled in, 0 for a blank or comment line, -1 for
 * a line table_load() refuses (a key or value missing around ':', a NUL).
 */
int	 table_edit_split(const char *line, size_t len, struct table_edit_parts *);

/* Hard limits, those of table_load(). */
#define TABLE_EDIT_LINE_MAX	(64 * 1024)
#define TABLE_EDIT_FILE_MAX	((size_t)256 * 1024 * 1024)

/* A file table read for editing; the directory is locked until table_edit_close(). */
struct table_edit {
	char	*path;
	char	**lines;		/* without their newlines */
	size_t	 nlines, caplines;
	mode_t	 mode;			/* kept for the new file */
	uid_t	 uid;
	gid_t	 gid;
	int	 exists;		/* the file was there */
	int	 changed;
	int	 lockfd;		/* private: the slot of its directory's lock */
	/* The last entry table_edit_set wrote (a batch brings it into memory). */
	char	*last_key, *last_value;
	/* Folded key -> index + 1 of its first line; rebuilt after a removal. */
	struct map *index;
	int	 index_stale;
	char	 style;			/* separator of new entries, once known */
};

/*
 * Reads path and takes an exclusive flock(2) on its directory, so that two
 * editors (tegamictl and the daemon's rehash writer) do not lose each
 * other's change; tables of one directory open at once in this process
 * share the lock (at most 8 directories). A missing file is an empty table that commit creates
 * with new_mode (0600 for credentials). -1 with errstr (static, per
 * thread) when the file cannot be read, is over TABLE_EDIT_FILE_MAX, holds
 * a NUL or a line over TABLE_EDIT_LINE_MAX.
 */
int	 table_edit_open(struct table_edit *, const char *path, mode_t new_mode,
	    const char **errstr);
void	 table_edit_close(struct table_edit *);

/* Index of the first entry whose key equals key ignoring case, or -1. */
long	 table_edit_find(const struct table_edit *, const char *key);
/* The key and value (NULL for a list entry) of entry i; caller frees. */
char	*table_edit_key(const struct table_edit *, size_t i);
char	*table_edit_value(const struct table_edit *, size_t i);

/*
 * Whether a key or value may be written into a line: no control
 * characters, a key without blanks, ':' or a leading '#', a value whose
 * '#' never follows a blank (it would start a comment) and that has no
 * leading or trailing blanks. 0, or -1 with errstr.
 */
int	 table_edit_check(const char *key, const char *value, const char **errstr);

/*
 * Sets key to value (NULL: a list entry). The first entry of key keeps its
 * place and separator, its duplicates are removed; a new key goes at the
 * end in the style most entries of the file use ("key:value" or
 * "key<TAB>value"). 0, or -1 with errstr.
 */
int	 table_edit_set(struct table_edit *, const char *key, const char *value,
	    const char **errstr);
/* Removes every entry of key; the number removed. */
size_t	 table_edit_del(struct table_edit *, const char *key);

/*
 * Writes the table beside the old file (same owner when permitted, same
 * mode), fsyncs it, renames it over the old one and fsyncs the directory.
 * Nothing is written when nothing changed. 0, or -1 with errstr; on error
 * the old file is untouched.
 */
int	 table_edit_commit(struct table_edit *, const char **errstr);

/* A bcrypt hash fit for table_edit_rehash: "$2b$NN$" and 53 characters of its alphabet. */
int	 table_edit_is_bcrypt(const char *);

/*
 * The rehash writer of the credentials file (the parent, on the auth
 * process's request): replaces the hash of key's entry with new_hash, a
 * bcrypt hash, if the entry's whole value is still old_value (the value
 * the password was checked against; anything else means the admin changed
 * it meanwhile). Everything else of the line stays: its separator, the
 * passwd-file fields after the hash, a comment. A Dovecot scheme prefix
 * ({MD5-CRYPT}, {PLAIN}, ...) becomes {BLF-CRYPT}; a bare hash stays bare.
 * Returns 1 when replaced, 0 when there was nothing to do (no such key,
 * the value changed, already bcrypt), -1 with errstr.
 */
int	 table_edit_rehash(const char *path, const char *key,
	    const char *old_value, const char *new_hash, const char **errstr);

#endif
