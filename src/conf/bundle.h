/* The files a configuration was read from, carried to running processes so that they reload without reading anything. */
#ifndef TEGAMI_BUNDLE_H
#define TEGAMI_BUNDLE_H

#include <stddef.h>

enum bundle_kind {
	BUNDLE_CONF,		/* the configuration file and its includes */
	BUNDLE_TABLE,		/* a file table */
	BUNDLE_PEM,		/* a certificate chain, a private key, a CA file */
	BUNDLE_META,		/* facts the parent found: "hostname" */
};

struct bundle_file {
	enum bundle_kind kind;
	char		*path;
	char		*data;		/* NUL-terminated */
	size_t		 len;
	int		 withheld;	/* a secret this process may not hold: present, empty */
};

struct bundle {
	struct bundle_file *files;
	size_t		 nfiles;
};

/* The server name the parent found (/etc/mailname, the host name), for children. */
#define BUNDLE_META_HOSTNAME	"meta:hostname"
/* A certificate chain, key or CA file at most. */
#define CONF_PEM_MAX		((size_t)4 * 1024 * 1024)

/* Hard bounds on what a process accepts as a bundle. */
#define BUNDLE_FILES_MAX	4096
#define BUNDLE_SIZE_MAX		((size_t)1024 * 1024 * 1024)

struct bundle	*bundle_new(void);
/* Wipes every file's bytes (keys and password hashes travel in bundles) and frees. */
void		 bundle_free(struct bundle *);
struct bundle	*bundle_copy(const struct bundle *);
/* Adds a copy of data under path, replacing a file of that path. */
void		 bundle_put(struct bundle *, enum bundle_kind, const char *path,
		    const char *data, size_t len);
const struct bundle_file *bundle_get(const struct bundle *, const char *path);

/*
 * Writes the bundle into a new sealed memory file and returns its fd. keep
 * (may be NULL: everything) says which files the receiver may have; the
 * others travel as withheld: their path, no bytes. -1 with errno.
 */
int		 bundle_to_fd(const struct bundle *,
		    int (*keep)(const struct bundle_file *, void *), void *arg);
/* Reads what bundle_to_fd wrote. NULL with errstr (static) on a malformed bundle. */
struct bundle	*bundle_from_fd(int fd, const char **errstr);
/* The same from memory (tests, fuzzing). */
struct bundle	*bundle_from_buffer(const char *, size_t, const char **errstr);

#endif
