/* The per-user IMAP index: an SQLite cache beside the Maildir of UIDs, MODSEQs, sizes and parsed headers. */
#ifndef TEGAMI_IMAP_INDEX_H
#define TEGAMI_IMAP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "imap/imap_uidlist.h"
#include "lib/buf.h"

/*
 * One database per Maildir root, ROOT/tegami-index.sqlite (WAL mode), for
 * every folder of the user. It holds per folder UIDVALIDITY, UIDNEXT,
 * HIGHESTMODSEQ and the first UID no session has seen (\Recent); per
 * message its base name (the key: it never changes), current file name,
 * UID, MODSEQ, sizes and internal date; and, filled as messages are
 * fetched, ENVELOPE, BODYSTRUCTURE, BODY, the search fields and the MIME
 * tree. The Maildir stays the truth: every function that reads a folder
 * takes its flags from the file names, and a missing, corrupt or old
 * database is removed and built again, taking UIDs from dovecot-uidlist.
 *
 * Every function blocks (SQLite, readdir, rename, fsync) and runs on a
 * worker thread; one struct idb is used by one thread at a time (the
 * user's job queue in imap_user.c serialises them). Each write is one
 * transaction: after a crash of the process a change is all there or not
 * at all. Transactions that hand out UIDs are synchronous=FULL, so no UID
 * a client saw is ever handed out again; the others NORMAL (flag changes
 * live in file names, which a crash may lose too).
 */
#define IDB_FILE	"tegami-index.sqlite"

struct idb;

/* A message as views keep it in memory. */
struct imsg {
	uint32_t	 uid;
	uint32_t	 kw;		/* keyword letters a-z as bits 0-25 */
	uint8_t		 sys;		/* MAILDIR_F_* of the name */
	uint8_t		 sub;		/* SCAN_NEW or SCAN_CUR */
	uint64_t	 modseq;
	uint64_t	 size;		/* octets of the file */
	uint64_t	 vsize;		/* RFC822.SIZE (CRLF); 0 when not known yet */
	int64_t		 idate;		/* internal date: the file's mtime, or IDB_UNDATED */
	char		*name;		/* the current file name */
};

void	 imsg_free_array(struct imsg *, size_t);

/*
 * The internal date of a message not stat'ed yet: a folder indexed for
 * the first time leaves them so (idb_sync), and idb_dates finds them once
 * a command needs them (INTERNALDATE, a date key, SORT, COPY).
 */
#define IDB_UNDATED	(-1)

struct idb_folder {
	int64_t		 id;
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint64_t	 modseq;	/* HIGHESTMODSEQ */
	uint32_t	 recent;	/* first UID no session has seen */
};

/*
 * Opens (creating) the database of root. A file that is not a database
 * of this schema is removed first. -1 with errstr when it cannot be made.
 */
int	 idb_open(const char *root, struct idb **, const char **errstr);
void	 idb_close(struct idb **);
/* Set once SQLite reported the file corrupt: the owner removes and reopens it. */
int	 idb_broken(const struct idb *);
/* Removes the database files of root (after idb_close). */
void	 idb_remove(const char *root);

/*
 * A read transaction around many lookups (a FETCH step, a SEARCH): one
 * lock and snapshot, not one per statement. idb_cache_put inside it
 * writes in it (committed by idb_read_end); nothing else that writes may
 * run until idb_read_end.
 */
int	 idb_read_begin(struct idb *, const char **errstr);
void	 idb_read_end(struct idb *);

/* ---- reading and syncing a folder ---- */

#define IDB_LOAD	0x01	/* return the messages */
#define IDB_TO_CUR	0x02	/* move new/ to cur/ (SELECT, not EXAMINE) */
#define IDB_RESCAN	0x04	/* read the directories even when they look unchanged */

struct idb_sync {
	struct idb_folder f;
	struct imsg	*msgs;		/* IDB_LOAD: ascending UIDs */
	size_t		 n;
	struct keywords	 kw;		/* the folder's dovecot-keywords */
	int		 scanned;	/* the directories were read */
	int		 checkpoint;	/* left for idb_checkpoint: run it soon */
	size_t		 added, removed, changed;
};

/*
 * Brings the index of folder dir ("" for INBOX, ".a.b") in line with its
 * Maildir: new files get UIDs (from dovecot-uidlist when the index had no
 * such folder; else UIDNEXT on), vanished ones are expunged (HIGHESTMODSEQ
 * raised), changed flags in names raise the message's MODSEQ. The
 * directories are read only when their mtimes moved since the last sync
 * (or IDB_RESCAN). ENOENT: no such folder. Free with idb_sync_free.
 */
int	 idb_sync(struct idb *, const char *root, const char *dir, int flags,
	    struct idb_sync *, const char **errstr);
void	 idb_sync_free(struct idb_sync *);
/* Copies what the WAL holds into the database, as far as no reader needs it. */
void	 idb_checkpoint(struct idb *);

/* A message of a folder whose internal date idb_dates finds. */
struct idb_date {
	uint32_t	 uid;
	uint8_t		 sub;
	char		*name;
	int64_t		 idate;		/* set by idb_dates */
};

/*
 * Finds the mtimes of folder dir's messages in v and writes them to the
 * index. A file no longer there (renamed or expunged by another program
 * meanwhile) gets the time in its name, else now.
 */
int	 idb_dates(struct idb *, const char *root, const char *dir,
	    int64_t folder, struct idb_date *v, size_t n, const char **errstr);

/* ---- incremental changes (inotify) ---- */

/* A file that appeared (name set) or vanished (name of what vanished) in new/ or cur/. */
struct idb_event {
	char		*name;
	uint8_t		 sub;
	uint8_t		 gone;
};

/* What changed in a folder: applied to a view in this order. */
struct idb_delta {
	uint64_t	 modseq;	/* HIGHESTMODSEQ after */
	uint32_t	 uidnext;
	uint32_t	*expunged;	/* ascending */
	size_t		 nexpunged;
	struct imsg	*changed;	/* new names, flags, MODSEQ of known UIDs (ascending) */
	size_t		 nchanged;
	struct imsg	*added;		/* new messages (ascending UIDs) */
	size_t		 nadded;
	struct keywords	 kw;		/* set when kw_changed */
	int		 kw_changed;
	uint32_t	*modified;	/* STORE UNCHANGEDSINCE: refused (ascending) */
	size_t		 nmodified;
	uint32_t	*uids;		/* COPY/MOVE/APPEND: the new UIDs, in the order asked */
	size_t		 nuids;
	uint32_t	 uidvalidity;	/* of the folder the UIDs are in */
	/* COPY, MOVE: added are the target's, which then has these. */
	uint64_t	 to_modseq;
	uint32_t	 to_uidnext;
};

void	 idb_delta_free(struct idb_delta *);
/* Building one (records and names are copied). */
void	 idb_delta_expunged(struct idb_delta *, uint32_t uid);
void	 idb_delta_changed(struct idb_delta *, const struct imsg *);
void	 idb_delta_added(struct idb_delta *, const struct imsg *);
void	 idb_delta_uid(struct idb_delta *, uint32_t uid);
void	 idb_delta_modified(struct idb_delta *, uint32_t uid);

/*
 * Applies what inotify saw (in order): files that appeared get a UID or a
 * new name (and flags), files that vanished without reappearing are
 * expunged once a check finds no file by that name. IDB_TO_CUR moves new
 * messages to cur/.
 */
int	 idb_events(struct idb *, const char *root, const char *dir, int flags,
	    const struct idb_event *, size_t n, struct idb_delta *,
	    const char **errstr);

/* ---- changes made by IMAP commands ---- */

enum idb_store_op { IDB_STORE_SET, IDB_STORE_ADD, IDB_STORE_REMOVE };

struct idb_store {
	const uint32_t	*uids;		/* ascending */
	size_t		 n;
	enum idb_store_op op;
	unsigned	 sys;		/* MAILDIR_F_* */
	const char *const *kw;		/* keyword names */
	size_t		 nkw;
	int		 unchangedsince_set;
	uint64_t	 unchangedsince;
};

/*
 * STORE: each message's flags from its file name, changed as asked, the
 * file renamed and its MODSEQ raised; new keywords get letters (ENOSPC
 * with all 26 in use). Messages whose MODSEQ is above unchangedsince are
 * left alone and listed in modified.
 */
int	 idb_store(struct idb *, const char *root, const char *dir,
	    const struct idb_store *, struct idb_delta *, const char **errstr);

/*
 * EXPUNGE: removes the messages flagged \Deleted, of uids only when given
 * (UID EXPUNGE), the last unlink followed by an fsync of the directory.
 * Quota usage is lowered.
 */
int	 idb_expunge(struct idb *, const char *root, const char *dir,
	    const uint32_t *uids, size_t n, struct idb_delta *, const char **errstr);

/*
 * COPY (move 0) or MOVE (move 1) of uids from dir to todir: hard links
 * (copies where links fail) or renames, keywords carried over by name, the
 * target's new UIDs in delta->uids (source order) and its UIDVALIDITY; for
 * MOVE the sources are expunged in delta->expunged. ENOENT: no target
 * (TRYCREATE); EDQUOT: over quota.
 */
int	 idb_copy(struct idb *, const char *root, const char *dir,
	    const uint32_t *uids, size_t n, const char *todir, int move,
	    struct idb_delta *, const char **errstr);

/*
 * Messages just written into dir (APPEND): their file names in order; UIDs
 * in delta->uids, and the records in delta->added.
 */
int	 idb_add(struct idb *, const char *root, const char *dir,
	    char *const *names, size_t n, struct idb_delta *, const char **errstr);

/* Records that sessions saw every UID below uid (\Recent). */
int	 idb_set_recent(struct idb *, int64_t folder, uint32_t uid,
	    const char **errstr);

/* UIDs expunged with a MODSEQ above modseq (QRESYNC), ascending. */
int	 idb_vanished(struct idb *, int64_t folder, uint64_t modseq,
	    uint32_t **uids, size_t *n, const char **errstr);

/* ---- folders ---- */

/* The index forgets a folder and its children (after DELETE; before a new CREATE). */
int	 idb_folder_forget(struct idb *, const char *dir, int children,
	    const char **errstr);
/* RENAME: folder from and its children take the new names. */
int	 idb_folder_rename(struct idb *, const char *from, const char *to,
	    const char **errstr);

/* STATUS of a folder not open in memory: counts from the index after a sync. */
struct idb_status {
	uint32_t	 messages, recent, unseen, deleted;
	uint32_t	 uidnext, uidvalidity;
	uint64_t	 modseq;
	uint64_t	 size;		/* sum of RFC822.SIZE */
	uint64_t	 deleted_size;
};
#define IDB_STATUS_SIZE		0x01	/* compute unknown RFC822.SIZEs (reads files) */
/* The folder is open in a view, which inotify keeps current: no directory is read. */
#define IDB_STATUS_NOSYNC	0x02
int	 idb_status(struct idb *, const char *root, const char *dir, int flags,
	    struct idb_status *, const char **errstr);

/* ---- the cache of parsed messages ---- */

enum idb_cache_item {
	IDB_C_ENVELOPE,
	IDB_C_BODYSTRUCTURE,
	IDB_C_BODY,
	IDB_C_FIELDS,		/* search_fields_build */
	IDB_C_MIME,		/* mime_serialize */
	IDB_C_N
};

struct idb_cached {
	struct buf	 item[IDB_C_N];
	int		 have;		/* every item is there */
	uint64_t	 vsize;
};

void	 idb_cached_free(struct idb_cached *);
/* The cached items of a message: have 0 when none. */
int	 idb_cache_get(struct idb *, int64_t folder, uint32_t uid,
	    struct idb_cached *, const char **errstr);
/*
 * One of the small items (IDB_C_ENVELOPE, IDB_C_FIELDS) appended to out:
 * 1, or 0 when the message has none. Cheapest when asked in ascending
 * UIDs inside idb_read_begin's transaction (a cursor walks the rows).
 */
int	 idb_cache_head(struct idb *, int64_t folder, uint32_t uid,
	    enum idb_cache_item, struct buf *out, const char **errstr);
/* Stores every item (parsed from the file by the caller) and the message's RFC822.SIZE. */
int	 idb_cache_put(struct idb *, int64_t folder, uint32_t uid,
	    const struct idb_cached *, const char **errstr);

/*
 * Parses a message into every cached item; msg is the whole file. The
 * caller stores it with idb_cache_put. 0, or -1 when too big for memory.
 */
int	 idb_cache_build(const char *msg, size_t len, struct idb_cached *);

/*
 * ENVELOPE and the search fields only, from the message's header (its
 * body is not read): what FETCH ENVELOPE and SEARCH need, several times
 * cheaper than idb_cache_build. vsize is left 0 (not known). Stored with
 * idb_cache_put_head; the other items are built when first asked
 * (idb_cache_get has none for the message until then).
 */
int	 idb_cache_build_head(const char *msg, size_t len, struct idb_cached *);
int	 idb_cache_put_head(struct idb *, int64_t folder, uint32_t uid,
	    const struct idb_cached *, const char **errstr);

/* The folder row of dir, or 0 when the index has none. */
int	 idb_folder_get(struct idb *, const char *dir, struct idb_folder *,
	    const char **errstr);

/* The folder's Maildir path: root for "", root/dir otherwise (caller frees). */
char	*idb_path(const char *root, const char *dir);

/*
 * The letters of keyword names in the folder at path (its dovecot-keywords
 * in kw, read by the caller), new names given free letters and the file
 * rewritten when create. The mask, or -1 with errno ENOSPC when no letter
 * is left.
 */
int64_t	 idb_keyword_mask(const char *path, const char *const *names, size_t n,
	    int create, struct keywords *kw, int *changed, const char **errstr);

/* A file's flags as the index keeps them: MAILDIR_F_* and keyword letters. */
void	 idb_name_flags(const char *name, uint8_t *sys, uint32_t *kw);

#endif
