/* Internals of the IMAP index shared by imap_index*.c. */
#ifndef TEGAMI_IMAP_INDEX_PRIV_H
#define TEGAMI_IMAP_INDEX_PRIV_H

#include <stdint.h>

#include <sqlite3.h>

#include "imap/imap_index.h"
#include "imap/imap_uidlist.h"

enum idb_stmt {
	ST_BEGIN, ST_BEGIN_READ, ST_COMMIT, ST_ROLLBACK, ST_SYNC_FULL, ST_SYNC_NORMAL,
	ST_META_GET, ST_META_SET,
	ST_FOLDER_GET, ST_FOLDER_INS, ST_FOLDER_UPD, ST_FOLDER_MTIMES,
	ST_FOLDER_STAMP, ST_FOLDER_RECENT, ST_FOLDER_DEL, ST_FOLDER_LIKE,
	ST_FOLDER_SETDIR,
	ST_MSG_BY_BASE_ALL, ST_MSG_BY_UID_ALL, ST_MSG_BASE, ST_MSG_UID,
	ST_MSG_INS, ST_MSG_NAME, ST_MSG_VSIZE, ST_MSG_IDATE, ST_MSG_DEL, ST_MSG_COUNT,
	ST_MSG_NOVSIZE, ST_MSG_DEL_FOLDER,
	ST_EXP_INS, ST_EXP_SINCE, ST_EXP_DEL_FOLDER,
	ST_CACHE_GET, ST_CACHE_PUT, ST_CACHE_PUT_BODY, ST_CACHE_DEL,
	ST_CACHE_DEL_BODY, ST_CACHE_DEL_FOLDER, ST_CACHE_DEL_FOLDER_BODY,
	ST_CACHE_COPY, ST_CACHE_COPY_BODY, ST_CACHE_SCAN,
	ST_N
};

struct idb {
	sqlite3		*db;
	sqlite3_stmt	*st[ST_N];
	int		 broken;
	int		 full;		/* synchronous=FULL now */
	/* ST_CACHE_SCAN stands on (scan_folder, scan_uid); idb_cache_head */
	int		 scan_on;
	int64_t		 scan_folder;
	uint32_t	 scan_uid;
	char		 err[256];
};

struct idb_folder_row {
	struct idb_folder	 f;
	int64_t			 new_mtime, cur_mtime;
	struct uidlist_stamp	 stamp;
};

int		 idb_fail(struct idb *, const char *what, const char **errstr);
sqlite3_stmt	*idb_st(struct idb *, enum idb_stmt);
int		 idb_exec(struct idb *, enum idb_stmt, const char **errstr);
/* durable: synchronous=FULL, for transactions that may hand out UIDs. */
int		 idb_begin(struct idb *, int durable, const char **errstr);
int		 idb_commit(struct idb *, const char **errstr);
/* A commit that leaves the copy into the database to idb_checkpoint. */
int		 idb_commit_big(struct idb *, const char **errstr);
/* Lets go of the cursor of idb_cache_head (before writes to cache, commits). */
void		 idb_scan_reset(struct idb *);
void		 idb_rollback(struct idb *);

uint32_t	 idb_new_uidvalidity(struct idb *, const char **errstr);
void		 idb_note_uidvalidity(struct idb *, uint32_t);
int		 idb_folder_row(struct idb *, const char *dir,
		    struct idb_folder_row *, const char **errstr);
int		 idb_folder_insert(struct idb *, const char *dir,
		    struct idb_folder *, const char **errstr);
int		 idb_folder_update(struct idb *, const struct idb_folder *,
		    const char **errstr);
int		 idb_folder_stamp(struct idb *, int64_t id,
		    const struct uidlist_stamp *, const char **errstr);
int		 idb_folder_mtimes(struct idb *, int64_t id, int64_t new_mtime,
		    int64_t cur_mtime, const char **errstr);

/* Message rows. */
int		 idb_msg_insert(struct idb *, int64_t folder, const char *base,
		    size_t baselen, const struct imsg *, const char **errstr);
int		 idb_msg_rename(struct idb *, int64_t folder, const struct imsg *,
		    const char **errstr);
/* Deletes the row (and its cache) and records the UID as expunged at modseq. */
int		 idb_msg_expunge(struct idb *, int64_t folder, uint32_t uid,
		    uint64_t modseq, const char **errstr);
/* 1 with the row, 0 when none. m->name is malloc'ed. */
int		 idb_msg_by_uid(struct idb *, int64_t folder, uint32_t uid,
		    struct imsg *, const char **errstr);
int		 idb_msg_by_base(struct idb *, int64_t folder, const char *base,
		    size_t len, struct imsg *, const char **errstr);

/*
 * UIDs for new messages of a folder, written to dovecot-uidlist before
 * the transaction that records them commits (appended, or the whole file
 * when its stamp is not the one the index last wrote).
 */
int		 idb_uidlist_add(struct idb *, const char *path,
		    struct idb_folder_row *, const struct imsg *, size_t n,
		    const char **errstr);
/* Rewrites dovecot-uidlist from the index's rows. */
int		 idb_uidlist_rewrite(struct idb *, const char *path,
		    struct idb_folder_row *, const char **errstr);
/*
 * Writes dovecot-uidlist whole from m (every message of the folder,
 * ascending UIDs); s gets its stamp, zeroed when it could not be written
 * (logged). Touches no database: any thread may run it.
 */
void		 idb_uidlist_write(const char *path, uint32_t uidvalidity,
		    uint32_t uidnext, const struct imsg *m, size_t n,
		    struct uidlist_stamp *s);


/* The folder row for dir, made when missing (dovecot-uidlist read for it). */
int		 idb_folder_open(struct idb *, const char *path, const char *dir,
		    struct idb_folder_row *, struct uidlist *imported,
		    const char **errstr);

#endif
