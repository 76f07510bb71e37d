/* tegamictl's administration commands: domains, users and aliases in the tables the configuration names by role. */
#ifndef TEGAMI_ADMIN_H
#define TEGAMI_ADMIN_H

#include <stdint.h>
#include <stdio.h>

#include "ctl/i18n.h"

struct action;
struct conf;
struct table;

/* ---- command-line options (admin_opt.c) ---- */
struct admin_opt {
	const char	*name;		/* "password-stdin" for --password-stdin; "h" for -h */
	int		 has_arg;
	const char	**value;	/* set to the argument, when has_arg */
	int		*flag;		/* set to 1, when not */
};

/*
 * Parses argv[0..argc) against opts: "--name", "--name=value", "--name
 * value", "-x" for one-letter names; "--" ends the options. Positional
 * arguments are moved to the front of argv and counted in *npos. -h and
 * --help set *help. -1 after a one-line error on stderr.
 */
int	 admin_getopt(const char *prog, int argc, char **argv,
	    const struct admin_opt *opts, int *help, int *npos);

/* "PROG: message\n" on stderr, the message translated; returns 1 (the exit status). */
int	 admin_fail(const char *prog, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The usage line, on stdout for -h (returns 0), else as the error (returns 1). */
int	 admin_usage(const char *prog, const char *usage, int help);

/* ---- the configuration and its tables by role (admin.c) ---- */
struct admin {
	const char	*prog;		/* "tegamictl user add", "vadduser" */
	const char	*conf_path;
	struct conf	*conf;
	/* Chosen with --table, else by role; NULL until admin_table() finds it. */
	struct table	*domains, *virtual, *creds, *senders;
	const char	*want_domains, *want_virtual, *want_creds;
	int		 no_senders;	/* no listener has senders <T>: nothing to keep */
	int		 batch;		/* admin_batch_begin: one write per file */
	char		 account[64];	/* admin_account()'s answer, once counted */
	struct table_edit *edits[4];	/* the files open in a batch, by role */
	const struct action *action;	/* the maildir action of the virtual table */
	int		 json;
	int		 quiet;		/* no "tegamid reloaded" lines (importers) */
	int		 no_daemon;	/* files only: the importers reload at the end */
};

enum admin_role { ADMIN_DOMAINS, ADMIN_VIRTUAL, ADMIN_CREDS, ADMIN_SENDERS };

/*
 * The senders <T> of the submission listeners, kept with the users (each
 * may send as itself), or NULL: with *none set when no listener has one,
 * else after an error message.
 */
struct table *admin_senders(struct admin *, int *none);

/* Loads the configuration; 1 after an error message. */
int	 admin_open(struct admin *, const char *prog, const char *conf_path);
void	 admin_close(struct admin *);
/*
 * The table of a role (the one --table named, or the one the rules give
 * it); NULL after an error.
 */
struct table *admin_table(struct admin *, enum admin_role);
/*
 * Reloads a table from its file in this process (so that routing here sees
 * the edit), then asks a running tegamid to reload it too. A daemon that is
 * not running is said and is no error. 0, or 1 after a message.
 */
int	 admin_reload(struct admin *, struct table *);
/*
 * The file of a role's table, opened for editing (table_edit.h); NULL after
 * a message. admin_edit_commit writes it (atomically), closes it and loads
 * it again here; admin_edit_abort drops the changes. In a batch (the
 * importers), the file stays open: commit only brings the entry just set
 * into the table in memory, and admin_batch_end writes every file once.
 */
struct table_edit;
struct table_edit *admin_edit_open(struct admin *, enum admin_role);
int	 admin_edit_commit(struct admin *, enum admin_role, struct table_edit *);
void	 admin_edit_abort(struct admin *, struct table_edit *);
void	 admin_batch_begin(struct admin *);
int	 admin_batch_end(struct admin *);
/* Splits an alias value "a@x, b@y" into its targets (malloc'ed, free with admin_targets_free). */
char	**admin_targets(const char *value, int *n);
void	 admin_targets_free(char **, int);
/* 1 when a virtual-table value names an account (a user), not addresses. */
int	 admin_is_account(const char *value);
/* Prints s as a JSON string. */
void	 admin_json_str(FILE *, const char *s);

/* Asks tegamid over the control socket: 0 done, 1 not running, -1 failed (msg set). */
int	 admin_update_daemon(const char *conf_path, const char *table, char *msg,
	    size_t msglen);

/* An address as the tables keep it: checked and lowercased into dst. 0 or -1 with errstr. */
int	 admin_address(const char *in, char *dst, size_t dstlen, const char **errstr);
/* A domain name checked and lowercased. */
int	 admin_domain(const char *in, char *dst, size_t dstlen, const char **errstr);
/* Whether the domains table holds domain. */
int	 admin_has_domain(struct admin *, const char *domain);

/*
 * The account that owns the mail tree for new users: --account, else the
 * account most entries of the virtual table map to, else "vmail" as root
 * (when it exists) or the running user. Static storage.
 */
const char *admin_account(struct admin *, const char *given);

/*
 * A password: from the first line of stdin (--password-stdin), else asked
 * twice on the terminal. 0, or 1 after a message. dst holds PASSWORD_MAX.
 */
int	 admin_password(const char *prog, int from_stdin, char *dst, size_t dstlen);
/* A bcrypt hash of password with the configuration's auth-cost. */
int	 admin_hash(struct admin *, const char *password, char *dst, size_t dstlen);

/* ---- Maildirs (admin_mailbox.c) ---- */
/*
 * Where the Maildir of a user of the virtual table is, and its account:
 * routed as the daemon routes a login. malloc'ed; 1 after a message.
 */
int	 admin_maildir(struct admin *, const char *address, char **path,
	    char **account);
/*
 * Where the Maildir of address would be if it were a user of account: it
 * is routed with the entry added to the virtual table in memory only.
 * *path malloc'ed; 1 after a message.
 */
int	 admin_maildir_predict(struct admin *, const char *address,
	    const char *account, char **path);
/*
 * Creates the Maildir with (folders) its default folders (Drafts, Sent,
 * Trash, Junk, Archive) or (!folders) just cur/ new/ tmp/, owned by
 * account: as root, the missing parents are given to it and the Maildir is
 * made by a child running as it. With set_quota, writes maildirsize
 * (quota_bytes 0 removes the limit). 0, or 1 after a message.
 */
int	 admin_maildir_create(struct admin *, const char *path, const char *account,
	    uint64_t quota_bytes, int set_quota, int folders);
/* Removes the Maildir and, when then empty, its parent directory. 0, or 1. */
int	 admin_maildir_remove(struct admin *, const char *path);

struct admin_usage {
	uint64_t	 bytes, count;		/* what the Maildir holds */
	uint64_t	 limit_bytes, limit_count;	/* 0: none */
	int		 has_maildir;
};
/* The usage (every folder but Trash, as Maildir++ counts) and the quota in force. */
int	 admin_maildir_usage(struct admin *, const char *path, struct admin_usage *);

/* "52428800" -> 52428800, "50M", "1G", "none" -> 0. -1 when invalid. */
int	 admin_parse_size(const char *, uint64_t *);
/* "50.0 MiB" */
void	 admin_format_size(uint64_t, char *dst, size_t dstlen);

/* ---- the commands: argv[0] is the subcommand ("add"); exit status ---- */
int	 admin_domain_cmd(const char *conf, int argc, char **argv);
int	 admin_user_cmd(const char *conf, int argc, char **argv);
int	 admin_alias_cmd(const char *conf, int argc, char **argv);

/* One step of a command, callable by the vpopmail spellings and the importers. */
struct admin_user_spec {
	const char	*address;
	const char	*password;	/* clear, hashed here; or */
	const char	*hash;		/* a stored hash kept as it is */
	const char	*account;	/* NULL: admin_account() */
	uint64_t	 quota;		/* bytes, when set_quota */
	int		 set_quota;
	int		 no_maildir;	/* the Maildir exists already (imports) */
	int		 no_login;	/* no credentials entry: mail only */
};
int	 admin_domain_add(struct admin *, const char *domain);
int	 admin_user_add(struct admin *, const struct admin_user_spec *);
/* Reloads the virtual, credentials and senders tables (here and in tegamid). */
int	 admin_reload_users(struct admin *);
int	 admin_user_del(struct admin *, const char *address, int purge);
int	 admin_user_passwd(struct admin *, const char *address, const char *password,
	    const char *hash);
int	 admin_user_show(struct admin *, const char *address);
int	 admin_alias_add(struct admin *, const char *address, char **targets, int n);
int	 admin_alias_del(struct admin *, const char *address, char **targets, int n);
int	 admin_alias_show(struct admin *, const char *address_or_domain);

/* ---- the vpopmail spellings (vpopmail.c) ---- */
/* 1 when name is one of vadddomain, vadduser, vdeluser, vpasswd, vuserinfo, valias. */
int	 vpopmail_is_command(const char *name);
int	 vpopmail_main(const char *name, const char *conf, int argc, char **argv);

#endif
