/* The messages of one folder: new/ and cur/ listed without reading bodies; moves, flags, expunges. */
#ifndef TEGAMI_SCAN_H
#define TEGAMI_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "mail/maildir_name.h"

/*
 * Other programs (mutt, Dovecot, Courier, a second tegami session) may
 * rename or remove files at any moment: every operation that names a file
 * which is no longer there looks for the message again by its base name
 * (the part before ':', which never changes) with one rescan of the
 * folder, and works on what it finds.
 *
 * Functions are reentrant; one scan_dir may be used by several threads,
 * one struct scan by one thread at a time.
 */

enum scan_sub {
	SCAN_NEW,
	SCAN_CUR,
};

/* An open folder: the Maildir of the root (INBOX) or of a Maildir++ folder. */
struct scan_dir {
	int	 fd;
	int	 newfd;
	int	 curfd;
};

struct scan_entry {
	const char		*name;		/* the file name, in the scan's storage */
	uint64_t		 size;		/* S=, else the file's size */
	uint64_t		 vsize;		/* W=, else SCAN_NOSIZE */
	int64_t			 mtime;		/* when the file was stat'ed, else -1 */
	struct maildir_flags	 flags;		/* from ":2,"; empty in new/ as a rule */
	uint16_t		 base_len;	/* name[0..base_len): the base (POP3 UIDL) */
	uint8_t			 sub;		/* enum scan_sub */
};

#define SCAN_NOSIZE	UINT64_MAX

struct scan_chunk;

/* A listing, sorted by base name: one entry per base. */
struct scan {
	struct scan_entry	*v;
	size_t			 n;
	size_t			 skipped;	/* names that are not messages, and vanished files */
	size_t			 dups;		/* bases seen twice (one kept: cur/ first) */
	size_t			 stats;		/* files stat'ed */
	size_t			 cap;		/* private */
	struct scan_chunk	*chunks;	/* private */
};

/* Stat every message: mtime for the IMAP internal date (costs one stat each). */
#define SCAN_MTIME	0x01

/* 0, or -1 with errno (ENOENT: no such folder) and errstr. */
int	 scan_dir_open(struct scan_dir *, const char *path, const char **errstr);
void	 scan_dir_close(struct scan_dir *);

/*
 * Reads new/ and then cur/ once each. A file is stat'ed only when its name
 * has no S= (or with SCAN_MTIME). Dot files are ignored; other names that
 * are not message names are counted in skipped. When cur/ changed while it
 * was read (its mtime or ctime moved), it is read again, twice at most, so
 * a message renamed by another program meanwhile is not missed. A message
 * found in both (moved from new/ to cur/ while listing) is kept once, from
 * cur/. The listing is sorted by base name, which for names tegami and
 * Dovecot make is the order of delivery within a second.
 */
int	 scan_list(struct scan_dir *, int flags, struct scan *, const char **errstr);
void	 scan_free(struct scan *);
/* The entry with this base name, or NULL. */
const struct scan_entry *scan_find(const struct scan *, const char *base, size_t len);

/*
 * Where the message with the base of name is now: one rescan of cur/, then
 * new/. Writes its file name to out and returns its subdirectory, or -1
 * with errno ENOENT when it is gone.
 */
int	 scan_locate(struct scan_dir *, const char *name, char *out, size_t outlen);

/*
 * new/NAME to cur/BASE:2,FLAGS, keeping any flags the name has (IMAP
 * SELECT, which ends "\Recent"). Not fsync'd: lost in a crash, the message
 * is simply in new/ again. When another program moved it first, its
 * current name is returned. The name in cur/ goes to out.
 */
int	 scan_to_cur(struct scan_dir *, const char *name, char *out, size_t outlen,
	    const char **errstr);

/*
 * Gives the message exactly these flags: a rename within cur/ (from new/
 * when it is still there). No rename when nothing changes. Not fsync'd
 * (scan_sync does that for a batch): a flag change lost in a crash costs
 * nothing else. The new name goes to out.
 */
int	 scan_set_flags(struct scan_dir *, enum scan_sub, const char *name,
	    const struct maildir_flags *, char *out, size_t outlen,
	    const char **errstr);

/*
 * Removes the message; one that is already gone is not an error. With
 * sync, the directory is fsync'd after the unlink (give it for the last
 * of a batch).
 */
int	 scan_expunge(struct scan_dir *, enum scan_sub, const char *name, int sync,
	    const char **errstr);

/*
 * Opens the message for reading; name may be the whole file name or its
 * base alone (a POP3 UIDL). Returns the descriptor, the current file name
 * in out and its subdirectory in *sub.
 */
int	 scan_open_msg(struct scan_dir *, enum scan_sub, const char *name,
	    char *out, size_t outlen, enum scan_sub *sub, const char **errstr);

/*
 * IMAP MOVE within one Maildir++ tree: renames the message into to's
 * cur/ with these flags (NULL: the ones it has), never over an existing
 * file, then fsyncs to's cur/ and the source directory. The name in to's
 * cur/ goes to out.
 */
int	 scan_move(struct scan_dir *from, enum scan_sub, const char *name,
	    struct scan_dir *to, const struct maildir_flags *, char *out,
	    size_t outlen, const char **errstr);

/* fsyncs new/ and cur/: after a batch of flag changes or expunges. */
int	 scan_sync(struct scan_dir *, const char **errstr);

#endif
