/* The importers: another server's accounts and configuration taken over, with a report of what could not be. */
#ifndef TEGAMI_IMPORT_H
#define TEGAMI_IMPORT_H

#include <sys/types.h>

#include <stddef.h>

#include "ctl/admin.h"
#include "lib/buf.h"

struct import {
	const char	*prog;		/* "tegamictl import vpopmail" */
	const char	*conf_path;
	int		 dry_run;
	int		 copy_mail;	/* vpopmail: copy Maildirs even when they could stay */
	const char	*out_dir;	/* qmail, postfix: where the new configuration goes */
	unsigned	 done, skipped;
};

/* "  + what was done" (or would be, with --dry-run) */
void	 imp_did(struct import *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* "  ! not carried over: why" */
void	 imp_skip(struct import *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The closing summary; the exit status (0: done, even with things not carried over). */
int	 imp_summary(struct import *);

/*
 * Reads a file of the tree being imported: a regular file, not followed
 * through a symbolic link (the tree may be hostile), at most max octets.
 * 0 with out filled, 1 when it does not exist, -1 with errstr.
 */
int	 imp_read(const char *path, size_t max, struct buf *out, const char **errstr);
/* The lines of a qmail control file (comments and blanks dropped), lowercased when fold. */
char	**imp_lines(const char *path, int fold, size_t *n);
void	 imp_lines_free(char **, size_t);

/* ---- a new configuration written by the qmail and postfix importers (import_conf.c) ---- */
#define GEN_TABLES_MAX	32

struct gen_table {
	char		*name;
	struct buf	 text;
	mode_t		 mode;
};

struct gen {
	char		*hostname;
	char		*listen;		/* "any" */
	char		*cert, *key;		/* NULL: a self-signed one is made */
	int		 submission, smtps;	/* listeners on 587 and 465 */
	int		 submission_tls_require;
	int		 local_maildir;		/* "local" action: maildir, else mbox */
	struct buf	 globals, filters, actions, matches;
	char		*inbound_filter;	/* filter name on port 25, or NULL */
	struct gen_table tables[GEN_TABLES_MAX];
	size_t		 ntables;
};

void	 gen_init(struct gen *);
void	 gen_free(struct gen *);
/* Declares "table NAME file:DIR/NAME" and returns its content to fill; NULL when too many. */
struct buf *gen_table(struct gen *, const char *name, mode_t mode);
/*
 * Writes DIR/tegami.conf, the tables and (when no cert was given) a
 * self-signed certificate, never over an existing file; with dry_run,
 * prints them instead. 0, or 1 after a message.
 */
int	 gen_write(struct gen *, struct import *);

/* ---- the importers ---- */
int	 import_vpopmail(struct import *, const char *dir);
int	 import_dovecot(struct import *, const char *file);
int	 import_qmail(struct import *, const char *dir);
int	 import_postfix(struct import *, const char *dir);

/* Made by tegamictl init as well (init.c). */
int	 init_make_cert(const char *host, const char *crt_path, const char *key_path);

#endif
