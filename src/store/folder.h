/* Maildir++ folders of one Maildir root: IMAP names and directories, list, create, delete, rename, subscriptions. */
#ifndef TEGAMI_FOLDER_H
#define TEGAMI_FOLDER_H

#include <stddef.h>

/*
 * The layout Courier and Dovecot's Maildir++ use, with '/' as the IMAP
 * hierarchy separator: INBOX is the root Maildir itself, folder "a/b" is
 * the directory ".a.b" in the root, one level below it, each level stored
 * in modified UTF-7 ("Entwürfe" is ".Entw&APw-rfe"). A folder has its own
 * cur/ new/ tmp/ and an empty "maildirfolder" file. Parents need not
 * exist: ".a.b" alone is a folder "a/b" under a name "a" that is not one.
 *
 * Names are refused, in both directions, when they could not be told
 * apart from another folder or would leave the root: an empty name or
 * level ("a//b", "/a", "a/"), a '.' in a level (it is the separator on
 * disk: "a.b" would be read back as "a/b", and ".." would climb out),
 * control characters, invalid UTF-8 or non-canonical modified UTF-7, more
 * than FOLDER_DEPTH_MAX levels, a name over FOLDER_NAME_MAX bytes or a
 * directory name over FOLDER_DIR_MAX (one file name). "INBOX" is
 * case-insensitive as a whole name and as the first level ("inbox/x" is
 * ".INBOX.x"), as RFC 3501 5.1 asks.
 *
 * Functions are reentrant. Errors are -1 with errno set (ENOENT no such
 * folder, EEXIST it exists, ENOTEMPTY it holds messages, EINVAL a name
 * refused) and errstr.
 */
#define FOLDER_NAME_MAX		512	/* bytes of an IMAP name, in UTF-8 */
#define FOLDER_DIR_MAX		255	/* bytes of ".a.b" */
#define FOLDER_DEPTH_MAX	16	/* levels */

/* IMAP name to directory name: "" for INBOX, else ".a.b". */
int	 folder_dir(const char *name, char *dir, size_t dirlen, const char **errstr);
/* Directory name ("" or ".a.b") to IMAP name. */
int	 folder_name(const char *dir, char *name, size_t namelen, const char **errstr);
/* The folder's Maildir: root for INBOX, root/.a.b for a/b (caller frees); NULL if refused. */
char	*folder_path(const char *root, const char *name, const char **errstr);

struct folder {
	char	*name;		/* IMAP name, UTF-8 */
	char	*dir;		/* "" or ".a.b" */
};

struct folder_list {
	struct folder	*v;
	size_t		 n;
	size_t		 skipped;	/* dot directories whose names are not folder names */
};

/*
 * Every ".NAME" directory of root whose name maps to a folder name, INBOX
 * (the root) first, the rest sorted by name. Directories are not checked
 * for cur/: a folder a crash left half made is still listed (and deleted).
 */
int	 folder_list(const char *root, struct folder_list *, const char **errstr);
void	 folder_list_free(struct folder_list *);

/*
 * Creates folder name: cur/ new/ tmp/ and maildirfolder are made in a
 * directory under root/tmp/, fsync'd, then renamed into place (never over
 * an existing folder) and the root fsync'd, so other readers see no folder
 * or a whole one. The root must exist. IMAP's wildcards '*' and '%' are
 * refused in names created here. One that a crash left half built under
 * tmp/ is removed by a later create or delete once an hour old.
 */
int	 folder_create(const char *root, const char *name, const char **errstr);

/* Delete the messages too (IMAP DELETE); without it, a folder with messages is ENOTEMPTY. */
#define FOLDER_DELETE_MESSAGES	0x01

/*
 * Deletes one folder: renamed under root/tmp/ (and the root fsync'd), so
 * it vanishes at once for every reader, then removed. Its children stay
 * (".a.b" is not inside ".a"), which is what Dovecot does and RFC 3501
 * asks for: "a" is then a name with children but no folder of its own.
 * INBOX cannot be deleted. Leftovers of a delete a crash interrupted are
 * removed by the next delete.
 */
int	 folder_delete(const char *root, const char *name, int flags,
	    const char **errstr);

/*
 * Renames folder from and its children (IMAP RENAME): every directory
 * ".from" and ".from.*" becomes ".to" and ".to.*"; none may exist yet
 * (EEXIST before anything moves). A name cannot move under itself.
 * Renaming INBOX is RFC 3501's special case: a new folder "to" is created
 * and every message of INBOX (new/ and cur/) is moved into it by rename,
 * leaving INBOX empty; INBOX's children (".INBOX.x") are not touched.
 * Subscriptions are not changed (RFC 3501 leaves them to the client).
 */
int	 folder_rename(const char *root, const char *from, const char *to,
	    const char **errstr);

/*
 * Subscriptions: the file "subscriptions" in the root, as Dovecot keeps it
 * for Maildir++: one folder per line, written as its directory name
 * without the leading dot ("a.b", "Entw&APw-rfe", "INBOX" for the inbox).
 * Dovecot 2.3's version 2 form ("V\t2\n\n" first, the levels of a name
 * separated by tabs) is read too and kept when found. Lines that are not
 * folder names are kept as they are but not returned. The file is
 * rewritten under Dovecot's lock name (subscriptions.lock: created
 * exclusively, written, fsync'd and renamed over the file), so tegami and
 * Dovecot exclude each other.
 */
#define FOLDER_SUBS_MAX		(1024 * 1024)	/* bytes of the file */

/* The subscribed names (IMAP, UTF-8), without duplicates; caller frees with folder_names_free. */
int	 folder_subscriptions(const char *root, char ***names, size_t *n,
	    const char **errstr);
void	 folder_names_free(char **, size_t);
/* Adds (on) or removes name; the folder need not exist. */
int	 folder_subscribe(const char *root, const char *name, int on,
	    const char **errstr);
/*
 * Parses the text of a subscriptions file (pure): appends the IMAP names
 * to *names. Returns the format version (1 or 2), or -1 when the text is
 * over FOLDER_SUBS_MAX.
 */
int	 folder_subs_parse(const char *text, size_t len, char ***names, size_t *n);

/* The RFC 6154 attribute of one of the folders below ("\Sent"), or NULL. */
const char *folder_special_use(const char *name);

/*
 * A new user's Maildir: the root (created if missing) and the folders
 * Drafts, Sent, Trash, Junk and Archive, each created if missing and
 * subscribed, with INBOX. For `tegamictl user add` and the IMAP server's
 * first login. Running it again changes nothing.
 */
int	 folder_create_defaults(const char *root, const char **errstr);

#endif
