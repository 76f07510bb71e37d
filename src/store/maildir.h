/* Writing messages into a Maildir: delivery into new/, and adding with flags and a date (APPEND, COPY). */
#ifndef TEGAMI_STORE_MAILDIR_H
#define TEGAMI_STORE_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "mail/deliver.h"
#include "mail/maildir_name.h"

/*
 * Every function here is reentrant (deliveries run on worker threads);
 * errstr texts come from errstr_sys, private to the calling thread.
 * Durable steps go through src/lib/dio.h, so they are crash points in the
 * test build; docs/store.md says what a crash at each one leaves.
 */

/*
 * Creates path/{cur,new,tmp} (and path itself, parents included) if missing,
 * mode 0700, owned by the running account.
 */
int	 maildir_create(const char *path, const char **errstr);

/*
 * Writes header (the added Return-Path/Delivered-To lines) followed by len
 * bytes of msgfd from offset into a new message in the Maildir at path, named
 * TIME.M<usec>P<pid>Q<seq>.HOST,S=<size>,W=<size with CRLF>. When folder is not NULL (".Junk")
 * it is a Maildir++ subfolder, created if missing. On success the name is
 * written to name_out (if not NULL). errstr says what failed; ENOSPC, EDQUOT
 * and EIO are TEMPFAIL, a path that cannot be a Maildir is PERMFAIL.
 * Steps, each a crash point: write (header, if any), copy (if len > 0),
 * fsync, close, link tmp/ -> new/, fsync_dir new/ (docs/queue.md).
 */
enum deliver_result maildir_deliver(const char *path, const char *folder,
	    const char *header, size_t headerlen, int msgfd, off_t offset,
	    size_t len, char *name_out, size_t name_outlen, const char **errstr);

/* A size field left out of a name. */
#define MAILDIR_NOSIZE	UINT64_MAX

/*
 * A new unique base name from this process's clock, pid, counter and host
 * name: TIME.M<usec>P<pid>Q<n>.HOST[,S=size][,W=vsize]. Returns its length,
 * or -1 when dstlen is too small.
 */
int	 maildir_unique(char *dst, size_t dstlen, uint64_t size, uint64_t vsize);

/* How a message is added by an IMAP client (APPEND, COPY, MOVE across trees). */
struct maildir_add {
	/* NULL: into new/, unseen, as a delivery. Else into cur/ as BASE:2,FLAGS. */
	const struct maildir_flags	*flags;
	/* The file's mtime: the IMAP internal date. (time_t)-1 leaves the time of writing. */
	time_t				 date;
	/* The size with CRLF line ends, written as W=; MAILDIR_NOSIZE leaves it out. */
	uint64_t			 vsize;
};

/*
 * A message being written into dir/tmp/ (dir is the Maildir of the folder:
 * the root for INBOX, root/.NAME for the others). The folder must exist:
 * ENOENT is the IMAP client's [TRYCREATE].
 */
struct maildir_tmp {
	int	 fd;		/* write the message here, with dio_write */
	int	 dirfd;		/* private */
	int	 tmpfd;		/* private */
	char	 name[MAILDIR_NAME_MAX + 1];	/* private: the name in tmp/ */
};

/* 0, or -1 with errno and errstr; on -1 nothing is left to abort. */
int	 maildir_tmp_open(struct maildir_tmp *, const char *dir, const char **errstr);
/*
 * Makes what was written durable and visible: the size taken from the
 * file, futimens(date), fsync, close, link into cur/ (BASE,S=size[,W=]:2,
 * FLAGS) or new/, unlink from tmp/, fsync of cur/ or new/. Writes the new
 * file name to name_out. Returns 0, or -1 with errno (ENOSPC and EDQUOT are
 * the client's [OVERQUOTA]) and nothing left behind; either way the
 * maildir_tmp is finished.
 */
int	 maildir_tmp_commit(struct maildir_tmp *, const struct maildir_add *,
	    char *name_out, size_t name_outlen, const char **errstr);
/* Removes the file from tmp/ and closes everything. */
void	 maildir_tmp_abort(struct maildir_tmp *);

/*
 * Adds len bytes of fd from off (another message, read with pread) to the
 * folder at dir: open, copy, commit.
 */
int	 maildir_add_fd(const char *dir, int fd, off_t off, size_t len,
	    const struct maildir_add *, char *name_out, size_t name_outlen,
	    const char **errstr);

/*
 * COPY without copying the bytes: a hard link of srcdirfd/srcname into
 * dir/cur/ (or new/) under a new unique base with the source's S= and W=.
 * The date is the source's (one inode has one mtime), so add->date is
 * ignored. Fails with EXDEV, EPERM or EMLINK where links are not possible:
 * the caller then uses maildir_add_fd.
 */
int	 maildir_add_link(int srcdirfd, const char *srcname, const char *dir,
	    const struct maildir_add *, char *name_out, size_t name_outlen,
	    const char **errstr);

/* Files in tmp/ older than this are what a crash left (the Maildir spec's 36 hours). */
#define MAILDIR_TMP_STALE	(36 * 60 * 60)

/*
 * Removes the regular files in dir/tmp/ last changed before now -
 * MAILDIR_TMP_STALE: deliveries and APPENDs a crash interrupted before
 * their link. Returns how many went, or -1 with errstr.
 */
long	 maildir_clean_tmp(const char *dir, time_t now, const char **errstr);

/*
 * renameat that never replaces an existing file (RENAME_NOREPLACE, or a
 * check just before on file systems without it): two names for one
 * message, or two folders in one place, are never silently made one.
 * EEXIST when to exists.
 */
int	 maildir_rename_excl(int fromdir, const char *from, int todir,
	    const char *to);

#endif
