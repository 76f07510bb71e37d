/* The SQLite index of a user's Maildir: schema, statements, folder rows, and the cache of parsed messages. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "imap/imap_index.h"
#include "imap/imap_index_priv.h"
#include "imap/search_fields.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/imap_bodystructure.h"
#include "mail/imap_envelope.h"
#include "mail/maildir_name.h"
#include "mail/mime.h"

/*
 * Version 3 (2 kept the whole file name beside the base, 1 had one cache
 * table). A database of another version is removed and built again (it
 * is a cache): change SCHEMA_VERSION with the schema.
 */
#define SCHEMA_VERSION	3

/* Enough for the cache of a few hundred thousand messages; address space only. */
#define IDB_MMAP_SIZE	"1073741824"

/* SQLite's default: a commit checkpoints once the WAL holds this many pages. */
#define IDB_WAL_AUTOCHECKPOINT	1000

static const char schema[] =
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;"
	"CREATE TABLE folder("
	"  id INTEGER PRIMARY KEY,"
	"  dir TEXT NOT NULL UNIQUE,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uidnext INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  recent INTEGER NOT NULL,"
	"  new_mtime INTEGER NOT NULL DEFAULT 0,"
	"  cur_mtime INTEGER NOT NULL DEFAULT 0,"
	"  ul_ino INTEGER NOT NULL DEFAULT 0,"
	"  ul_size INTEGER NOT NULL DEFAULT 0,"
	"  ul_mtime INTEGER NOT NULL DEFAULT 0);"
	/* Kept small, so a folder's rows load quickly; parsed data is in cache. */
	"CREATE TABLE msg("
	"  folder INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  base TEXT NOT NULL,"
	/* The file name is base || info: the flags part (":2,S") alone is kept. */
	"  info TEXT NOT NULL,"
	"  sub INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  vsize INTEGER NOT NULL,"
	"  idate INTEGER NOT NULL,"
	"  PRIMARY KEY(folder, uid)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX msg_base ON msg(folder, base);"
	/*
	 * What FETCH ENVELOPE and SEARCH read of every message, apart from
	 * the bigger parse of its parts, so that walking a folder's rows
	 * in UID order reads little (ST_CACHE_SCAN, idb_cache_head).
	 */
	"CREATE TABLE cache("
	"  folder INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  envelope BLOB NOT NULL, fields BLOB NOT NULL,"
	"  PRIMARY KEY(folder, uid)) WITHOUT ROWID;"
	"CREATE TABLE cache_body("
	"  folder INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  bodystructure BLOB, body BLOB, mime BLOB,"
	"  UNIQUE(folder, uid));"
	"CREATE TABLE expunged("
	"  folder INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  PRIMARY KEY(folder, uid)) WITHOUT ROWID;";

static const char *const sql[ST_N] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SYNC_FULL] = "PRAGMA synchronous=FULL",
	[ST_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
	[ST_META_GET] = "SELECT v FROM meta WHERE k=?1",
	[ST_META_SET] = "INSERT OR REPLACE INTO meta(k, v) VALUES(?1, ?2)",
	[ST_FOLDER_GET] = "SELECT id, uidvalidity, uidnext, modseq, recent,"
	    " new_mtime, cur_mtime, ul_ino, ul_size, ul_mtime"
	    " FROM folder WHERE dir=?1",
	[ST_FOLDER_INS] = "INSERT INTO folder(dir, uidvalidity, uidnext,"
	    " modseq, recent) VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_FOLDER_UPD] = "UPDATE folder SET uidnext=?2, modseq=?3 WHERE id=?1",
	[ST_FOLDER_MTIMES] = "UPDATE folder SET new_mtime=?2, cur_mtime=?3"
	    " WHERE id=?1",
	[ST_FOLDER_STAMP] = "UPDATE folder SET ul_ino=?2, ul_size=?3,"
	    " ul_mtime=?4 WHERE id=?1",
	[ST_FOLDER_RECENT] = "UPDATE folder SET recent=?2 WHERE id=?1",
	[ST_FOLDER_DEL] = "DELETE FROM folder WHERE id=?1",
	[ST_FOLDER_LIKE] = "SELECT id, dir FROM folder WHERE dir=?1 OR"
	    " substr(dir, 1, length(?1) + 1)=?1 || '.'",
	[ST_FOLDER_SETDIR] = "UPDATE folder SET dir=?2 WHERE id=?1",
	[ST_MSG_BY_BASE_ALL] = "SELECT uid, base, base || info, sub, modseq,"
	    " size, vsize, idate FROM msg WHERE folder=?1 ORDER BY base",
	[ST_MSG_BY_UID_ALL] = "SELECT uid, base || info, sub, modseq, size,"
	    " vsize, idate, flags FROM msg WHERE folder=?1 ORDER BY uid",
	[ST_MSG_BASE] = "SELECT uid, base || info, sub, modseq, size, vsize,"
	    " idate FROM msg WHERE folder=?1 AND base=?2",
	[ST_MSG_UID] = "SELECT base, base || info, sub, modseq, size, vsize,"
	    " idate FROM msg WHERE folder=?1 AND uid=?2",
	[ST_MSG_INS] = "INSERT INTO msg(folder, uid, base, info, sub, flags,"
	    " modseq, size, vsize, idate) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?10)",
	[ST_MSG_NAME] = "UPDATE msg SET info=?3, sub=?4, flags=?5, modseq=?6"
	    " WHERE folder=?1 AND uid=?2",
	[ST_MSG_VSIZE] = "UPDATE msg SET vsize=?3 WHERE folder=?1 AND uid=?2",
	[ST_MSG_IDATE] = "UPDATE msg SET idate=?3 WHERE folder=?1 AND uid=?2",
	[ST_MSG_DEL] = "DELETE FROM msg WHERE folder=?1 AND uid=?2",
	[ST_MSG_COUNT] = "SELECT count(*), coalesce(sum((flags & 16) = 0), 0),"
	    " coalesce(sum((flags & 32) != 0), 0),"
	    " coalesce(sum(uid >= ?2), 0),"
	    " coalesce(sum(vsize), 0), coalesce(sum(vsize = 0), 0),"
	    " coalesce(sum(CASE WHEN flags & 32 THEN vsize ELSE 0 END), 0)"
	    " FROM msg WHERE folder=?1",
	[ST_MSG_NOVSIZE] = "SELECT uid, base || info, sub FROM msg WHERE folder=?1"
	    " AND vsize=0",
	[ST_MSG_DEL_FOLDER] = "DELETE FROM msg WHERE folder=?1",
	[ST_EXP_INS] = "INSERT OR REPLACE INTO expunged(folder, uid, modseq)"
	    " VALUES(?1, ?2, ?3)",
	[ST_EXP_SINCE] = "SELECT uid FROM expunged WHERE folder=?1 AND"
	    " modseq>?2 ORDER BY uid",
	[ST_EXP_DEL_FOLDER] = "DELETE FROM expunged WHERE folder=?1",
	[ST_CACHE_GET] = "SELECT c.envelope, b.bodystructure, b.body, c.fields,"
	    " b.mime FROM cache c JOIN cache_body b ON b.folder=c.folder AND"
	    " b.uid=c.uid WHERE c.folder=?1 AND c.uid=?2",
	[ST_CACHE_PUT] = "INSERT OR REPLACE INTO cache(folder, uid, envelope,"
	    " fields) VALUES(?1, ?2, ?3, ?4)",
	[ST_CACHE_PUT_BODY] = "INSERT OR REPLACE INTO cache_body(folder, uid,"
	    " bodystructure, body, mime) VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_CACHE_DEL] = "DELETE FROM cache WHERE folder=?1 AND uid=?2",
	[ST_CACHE_DEL_BODY] = "DELETE FROM cache_body WHERE folder=?1 AND"
	    " uid=?2",
	[ST_CACHE_DEL_FOLDER] = "DELETE FROM cache WHERE folder=?1",
	[ST_CACHE_DEL_FOLDER_BODY] = "DELETE FROM cache_body WHERE folder=?1",
	[ST_CACHE_COPY] = "INSERT OR REPLACE INTO cache(folder, uid, envelope,"
	    " fields) SELECT ?3, ?4, envelope, fields FROM cache WHERE"
	    " folder=?1 AND uid=?2",
	[ST_CACHE_COPY_BODY] = "INSERT OR REPLACE INTO cache_body(folder, uid,"
	    " bodystructure, body, mime) SELECT ?3, ?4, bodystructure, body,"
	    " mime FROM cache_body WHERE folder=?1 AND uid=?2",
	[ST_CACHE_SCAN] = "SELECT uid, envelope, fields FROM cache WHERE"
	    " folder=?1 AND uid>=?2 ORDER BY uid",
};

void
imsg_free_array(struct imsg *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

char *
idb_path(const char *root, const char *dir)
{
	if (dir[0] == '\0')
		return xstrdup(root);
	return xasprintf("%s/%s", root, dir);
}

void
idb_name_flags(const char *name, uint8_t *sys, uint32_t *kw)
{
	struct maildir_name	 mn;

	*sys = 0;
	*kw = 0;
	if (maildir_name_parse(name, strlen(name), &mn) == -1)
		return;
	*sys = (uint8_t)maildir_flags_sys(&mn.flags);
	*kw = maildir_flags_keywords(&mn.flags);
}

/* ---- errors ---- */

int
idb_fail(struct idb *db, const char *what, const char **errstr)
{
	int	 rc = sqlite3_errcode(db->db);

	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		db->broken = 1;
	snprintf(db->err, sizeof(db->err), "index: %s: %s", what,
	    sqlite3_errmsg(db->db));
	*errstr = db->err;
	return -1;
}

int
idb_broken(const struct idb *db)
{
	return db->broken;
}

sqlite3_stmt *
idb_st(struct idb *db, enum idb_stmt s)
{
	sqlite3_stmt	*st = db->st[s];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a statement (its parameters bound after idb_st) without rows; 0 or -1. */
int
idb_exec(struct idb *db, enum idb_stmt s, const char **errstr)
{
	sqlite3_stmt	*st = db->st[s];
	int		 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return idb_fail(db, sql[s], errstr);
	return 0;
}

/*
 * SQLite sets the safety level outside transactions only, so a
 * transaction that may hand out UIDs says so when it begins.
 */
int
idb_begin(struct idb *db, int durable, const char **errstr)
{
	if (durable != db->full) {
		if (idb_exec(db, durable ? ST_SYNC_FULL : ST_SYNC_NORMAL,
		    errstr) == -1)
			return -1;
		db->full = durable;
	}
	return idb_exec(db, ST_BEGIN, errstr);
}

int
idb_commit(struct idb *db, const char **errstr)
{
	int	 rc;

	if ((rc = idb_exec(db, ST_COMMIT, errstr)) == -1)
		idb_rollback(db);
	return rc;
}

/*
 * A commit of many pages leaves them in the WAL: SQLite would copy them
 * into the database at once (a checkpoint, about as long as the commit),
 * and the command that waits for this commit need not wait for that too.
 * idb_checkpoint does it later.
 */
int
idb_commit_big(struct idb *db, const char **errstr)
{
	int	 rc;

	sqlite3_wal_autocheckpoint(db->db, 0);
	rc = idb_commit(db, errstr);
	sqlite3_wal_autocheckpoint(db->db, IDB_WAL_AUTOCHECKPOINT);
	return rc;
}

void
idb_checkpoint(struct idb *db)
{
	(void)sqlite3_wal_checkpoint_v2(db->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
}

void
idb_rollback(struct idb *db)
{
	const char	*e;

	if (!sqlite3_get_autocommit(db->db))
		(void)idb_exec(db, ST_ROLLBACK, &e);
}

/*
 * Outside a transaction every statement takes and drops SQLite's locks
 * and checks the file (fcntl, fstat: most of a cached FETCH's time), so
 * many lookups share one deferred transaction.
 */
int
idb_read_begin(struct idb *db, const char **errstr)
{
	if (db->full) {
		if (idb_exec(db, ST_SYNC_NORMAL, errstr) == -1)
			return -1;
		db->full = 0;
	}
	return idb_exec(db, ST_BEGIN_READ, errstr);
}

void
idb_scan_reset(struct idb *db)
{
	if (db->scan_on)
		sqlite3_reset(db->st[ST_CACHE_SCAN]);
	db->scan_on = 0;
}

void
idb_read_end(struct idb *db)
{
	const char	*e;

	idb_scan_reset(db);
	if (sqlite3_get_autocommit(db->db))
		return;
	if (idb_exec(db, ST_COMMIT, &e) == -1)
		idb_rollback(db);
}

/* ---- opening ---- */

void
idb_remove(const char *root)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	size_t	 i;
	char	*p;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		p = xasprintf("%s/" IDB_FILE "%s", root, sfx[i]);
		(void)unlink(p);
		free(p);
	}
}

static int
exec_plain(sqlite3 *db, const char *text)
{
	return sqlite3_exec(db, text, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* 1 when the file holds this schema version, 0 when it is empty, -1 otherwise. */
static int
schema_state(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int		 rc, ver = -1, tables = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		tables = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (tables == 0)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k='version'", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ver = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return ver == SCHEMA_VERSION ? 1 : -1;
}

static int
open_file(const char *root, struct idb *db)
{
	char	*path = xasprintf("%s/" IDB_FILE, root);
	int	 rc, state;

	rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	free(path);
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db->db, 10000);
	if (exec_plain(db->db, "PRAGMA journal_mode=WAL") == -1 ||
	    exec_plain(db->db, "PRAGMA synchronous=NORMAL") == -1)
		return -1;
	/* Cached rows are read from the mapping, not copied by pread. */
	(void)exec_plain(db->db, "PRAGMA mmap_size=" IDB_MMAP_SIZE);
	if ((state = schema_state(db->db)) == -1)
		return -1;
	if (state == 0) {
		char	*v = xasprintf("INSERT INTO meta(k, v) VALUES('version',"
		    " %d)", SCHEMA_VERSION);

		rc = exec_plain(db->db, "BEGIN") == 0 &&
		    exec_plain(db->db, schema) == 0 &&
		    exec_plain(db->db, v) == 0 &&
		    exec_plain(db->db, "COMMIT") == 0 ? 0 : -1;
		free(v);
		if (rc == -1)
			return -1;
	}
	for (int i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(db->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->st[i], NULL) != SQLITE_OK)
			return -1;
	return 0;
}

static void
close_file(struct idb *db)
{
	int	 i;

	for (i = 0; i < ST_N; i++) {
		sqlite3_finalize(db->st[i]);
		db->st[i] = NULL;
	}
	if (db->db != NULL)
		sqlite3_close_v2(db->db);
	db->db = NULL;
}

int
idb_open(const char *root, struct idb **out, const char **errstr)
{
	struct idb	*db = xcalloc(1, sizeof(*db));
	int		 tries;

	for (tries = 0; tries < 2; tries++) {
		char	*path = xasprintf("%s/" IDB_FILE, root);
		int	 fd;

		/* The index holds headers: only the owner reads it (SQLite gives its other files this mode). */
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) != -1)
			close(fd);
		free(path);
		if (open_file(root, db) == 0) {
			*out = db;
			return 0;
		}
		snprintf(db->err, sizeof(db->err), "index: %s",
		    db->db ? sqlite3_errmsg(db->db) : "cannot open");
		close_file(db);
		/* Not ours, another version or damaged: it is a cache, start again. */
		log_msg(LOG_WARNING, "imap index root=%s rebuilding: %s", root,
		    db->err);
		idb_remove(root);
	}
	*errstr = "index: cannot create the database";
	free(db);
	return -1;
}

void
idb_close(struct idb **pdb)
{
	if (*pdb == NULL)
		return;
	close_file(*pdb);
	x_free(pdb);
}

/* ---- meta and folders ---- */

static int64_t
meta_get(struct idb *db, const char *k, int64_t dflt)
{
	sqlite3_stmt	*st = idb_st(db, ST_META_GET);
	int64_t		 v = dflt;

	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static int
meta_set(struct idb *db, const char *k, int64_t v, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_META_SET);

	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return idb_exec(db, ST_META_SET, errstr);
}

/*
 * A UIDVALIDITY no folder of this index had: the clock, and above every
 * value given before (a folder deleted and made again must not get its
 * old one back, RFC 3501 2.3.1.1).
 */
uint32_t
idb_new_uidvalidity(struct idb *db, const char **errstr)
{
	int64_t		 last = meta_get(db, "uidvalidity", 0);
	uint32_t	 v = (uint32_t)time(NULL);

	if ((int64_t)v <= last)
		v = (uint32_t)(last + 1);
	if (v == 0)
		v = 1;
	if (meta_set(db, "uidvalidity", v, errstr) == -1)
		return 0;
	return v;
}

/* Also given a value: remember it as given (an imported uidlist's). */
void
idb_note_uidvalidity(struct idb *db, uint32_t v)
{
	const char	*e;

	if ((int64_t)v > meta_get(db, "uidvalidity", 0))
		(void)meta_set(db, "uidvalidity", v, &e);
}

int
idb_folder_row(struct idb *db, const char *dir, struct idb_folder_row *r,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_FOLDER_GET);
	int		 rc;

	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return idb_fail(db, "folder", errstr);
	}
	r->f.id = sqlite3_column_int64(st, 0);
	r->f.uidvalidity = (uint32_t)sqlite3_column_int64(st, 1);
	r->f.uidnext = (uint32_t)sqlite3_column_int64(st, 2);
	r->f.modseq = (uint64_t)sqlite3_column_int64(st, 3);
	r->f.recent = (uint32_t)sqlite3_column_int64(st, 4);
	r->new_mtime = sqlite3_column_int64(st, 5);
	r->cur_mtime = sqlite3_column_int64(st, 6);
	r->stamp.ino = sqlite3_column_int64(st, 7);
	r->stamp.size = sqlite3_column_int64(st, 8);
	r->stamp.mtime_ns = sqlite3_column_int64(st, 9);
	sqlite3_reset(st);
	return 1;
}

int
idb_folder_get(struct idb *db, const char *dir, struct idb_folder *f,
    const char **errstr)
{
	struct idb_folder_row	 r;
	int			 rc;

	if ((rc = idb_folder_row(db, dir, &r, errstr)) == 1)
		*f = r.f;
	return rc;
}

int
idb_folder_insert(struct idb *db, const char *dir, struct idb_folder *f,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_FOLDER_INS);

	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f->uidvalidity);
	sqlite3_bind_int64(st, 3, f->uidnext);
	sqlite3_bind_int64(st, 4, (int64_t)f->modseq);
	sqlite3_bind_int64(st, 5, f->recent);
	if (idb_exec(db, ST_FOLDER_INS, errstr) == -1)
		return -1;
	f->id = sqlite3_last_insert_rowid(db->db);
	return 0;
}

int
idb_folder_update(struct idb *db, const struct idb_folder *f,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_FOLDER_UPD);

	sqlite3_bind_int64(st, 1, f->id);
	sqlite3_bind_int64(st, 2, f->uidnext);
	sqlite3_bind_int64(st, 3, (int64_t)f->modseq);
	return idb_exec(db, ST_FOLDER_UPD, errstr);
}

int
idb_folder_stamp(struct idb *db, int64_t id, const struct uidlist_stamp *s,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_FOLDER_STAMP);

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, s->ino);
	sqlite3_bind_int64(st, 3, s->size);
	sqlite3_bind_int64(st, 4, s->mtime_ns);
	return idb_exec(db, ST_FOLDER_STAMP, errstr);
}

int
idb_folder_mtimes(struct idb *db, int64_t id, int64_t new_mtime,
    int64_t cur_mtime, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_FOLDER_MTIMES);

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, new_mtime);
	sqlite3_bind_int64(st, 3, cur_mtime);
	return idb_exec(db, ST_FOLDER_MTIMES, errstr);
}

int
idb_set_recent(struct idb *db, int64_t folder, uint32_t uid,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_FOLDER_RECENT);

	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	return idb_exec(db, ST_FOLDER_RECENT, errstr);
}

/* Removes one folder's rows of every table. */
static int
forget_id(struct idb *db, int64_t id, const char **errstr)
{
	static const enum idb_stmt del[] = { ST_MSG_DEL_FOLDER,
	    ST_CACHE_DEL_FOLDER, ST_CACHE_DEL_FOLDER_BODY, ST_EXP_DEL_FOLDER,
	    ST_FOLDER_DEL };
	size_t	 i;

	for (i = 0; i < sizeof(del) / sizeof(del[0]); i++) {
		sqlite3_bind_int64(idb_st(db, del[i]), 1, id);
		if (idb_exec(db, del[i], errstr) == -1)
			return -1;
	}
	return 0;
}

struct folder_ids {
	int64_t	*id;
	char	**dir;
	size_t	 n;
};

static void
folder_ids_free(struct folder_ids *f)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		free(f->dir[i]);
	free(f->dir);
	free(f->id);
	memset(f, 0, sizeof(*f));
}

/* dir and every ".dir.*". */
static int
folder_family(struct idb *db, const char *dir, struct folder_ids *out,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_FOLDER_LIKE);
	int		 rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->id = xreallocarray(out->id, out->n + 1, sizeof(*out->id));
		out->dir = xreallocarray(out->dir, out->n + 1,
		    sizeof(*out->dir));
		out->id[out->n] = sqlite3_column_int64(st, 0);
		out->dir[out->n] = xstrdup((const char *)
		    sqlite3_column_text(st, 1));
		out->n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		folder_ids_free(out);
		return idb_fail(db, "folders", errstr);
	}
	return 0;
}

int
idb_folder_forget(struct idb *db, const char *dir, int children,
    const char **errstr)
{
	struct folder_ids	 f;
	size_t			 i;

	if (idb_begin(db, 0, errstr) == -1)
		return -1;
	if (folder_family(db, dir, &f, errstr) == -1)
		goto fail;
	for (i = 0; i < f.n; i++) {
		if (!children && strcmp(f.dir[i], dir) != 0)
			continue;
		if (forget_id(db, f.id[i], errstr) == -1) {
			folder_ids_free(&f);
			goto fail;
		}
	}
	folder_ids_free(&f);
	return idb_commit(db, errstr);
fail:
	idb_rollback(db);
	return -1;
}

int
idb_folder_rename(struct idb *db, const char *from, const char *to,
    const char **errstr)
{
	struct folder_ids	 f, clash;
	size_t			 i, flen = strlen(from);
	sqlite3_stmt		*st;
	char			*nd;

	if (idb_begin(db, 0, errstr) == -1)
		return -1;
	/* Rows a crash or another program left under the new names go first. */
	if (folder_family(db, to, &clash, errstr) == -1)
		goto fail;
	for (i = 0; i < clash.n; i++)
		if (forget_id(db, clash.id[i], errstr) == -1) {
			folder_ids_free(&clash);
			goto fail;
		}
	folder_ids_free(&clash);
	if (folder_family(db, from, &f, errstr) == -1)
		goto fail;
	for (i = 0; i < f.n; i++) {
		nd = xasprintf("%s%s", to, f.dir[i] + flen);
		st = idb_st(db, ST_FOLDER_SETDIR);
		sqlite3_bind_int64(st, 1, f.id[i]);
		sqlite3_bind_text(st, 2, nd, -1, SQLITE_TRANSIENT);
		free(nd);
		if (idb_exec(db, ST_FOLDER_SETDIR, errstr) == -1) {
			folder_ids_free(&f);
			goto fail;
		}
	}
	folder_ids_free(&f);
	return idb_commit(db, errstr);
fail:
	idb_rollback(db);
	return -1;
}

int
idb_vanished(struct idb *db, int64_t folder, uint64_t modseq, uint32_t **uids,
    size_t *n, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_EXP_SINCE);
	size_t		 cap = 0;
	int		 rc;

	*uids = NULL;
	*n = 0;
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, (int64_t)modseq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*uids = xreallocarray(*uids, cap, sizeof(**uids));
		}
		(*uids)[(*n)++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		x_free(uids);
		*n = 0;
		return idb_fail(db, "expunged", errstr);
	}
	return 0;
}

/* ---- the cache ---- */

void
idb_cached_free(struct idb_cached *c)
{
	int	 i;

	for (i = 0; i < IDB_C_N; i++)
		buf_free(&c->item[i]);
	c->have = 0;
}

int
idb_cache_get(struct idb *db, int64_t folder, uint32_t uid,
    struct idb_cached *c, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_CACHE_GET);
	int		 rc, i;

	for (i = 0; i < IDB_C_N; i++)
		buf_init(&c->item[i], 0);
	c->have = 0;
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->have = 1;
		for (i = 0; i < IDB_C_N; i++) {
			const void	*p = sqlite3_column_blob(st, i);
			int		 len = sqlite3_column_bytes(st, i);

			if (p == NULL) {
				c->have = 0;
				break;
			}
			buf_add(&c->item[i], p, (size_t)len);
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return idb_fail(db, "cache", errstr);
	/* The search fields are another module's: an old version is rebuilt. */
	if (c->have && !search_fields_current(c->item[IDB_C_FIELDS].data,
	    c->item[IDB_C_FIELDS].len))
		c->have = 0;
	return 0;
}

/* An empty item is an empty blob, not NULL (which would mean none). */
static const void *
blob_of(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

/*
 * The cursor walks the folder's rows in UID order: callers ask in that
 * order (a FETCH, a SEARCH), so most lookups are one step, not a search
 * of the tree. Asked further back or much further on, it seeks again.
 */
#define SCAN_SKIP	16

static int
scan_seek(struct idb *db, int64_t folder, uint32_t uid, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_CACHE_SCAN);
	int		 rc;

	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	db->scan_on = 1;
	db->scan_folder = folder;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db->scan_uid = (uint32_t)sqlite3_column_int64(st, 0);
		return 1;
	}
	idb_scan_reset(db);
	if (rc != SQLITE_DONE)
		return idb_fail(db, "cache", errstr);
	return 0;
}

int
idb_cache_head(struct idb *db, int64_t folder, uint32_t uid,
    enum idb_cache_item item, struct buf *out, const char **errstr)
{
	sqlite3_stmt	*st = db->st[ST_CACHE_SCAN];
	int		 rc, steps = 0, col;
	const void	*p;

	if (item == IDB_C_ENVELOPE)
		col = 1;
	else if (item == IDB_C_FIELDS)
		col = 2;
	else {
		*errstr = "index: not a head item";
		return -1;
	}
	if (!db->scan_on || db->scan_folder != folder || uid < db->scan_uid) {
		if ((rc = scan_seek(db, folder, uid, errstr)) != 1)
			return rc;
	}
	while (db->scan_uid < uid) {
		if (++steps > SCAN_SKIP) {
			if ((rc = scan_seek(db, folder, uid, errstr)) != 1)
				return rc;
			break;
		}
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			idb_scan_reset(db);
			return rc == SQLITE_DONE ? 0 :
			    idb_fail(db, "cache", errstr);
		}
		db->scan_uid = (uint32_t)sqlite3_column_int64(st, 0);
	}
	if (db->scan_uid != uid)
		return 0;
	p = sqlite3_column_blob(st, col);
	rc = sqlite3_column_bytes(st, col);
	if (p != NULL && rc > 0)
		buf_add(out, p, (size_t)rc);
	rc = p != NULL || sqlite3_column_type(st, col) == SQLITE_BLOB;
	/* Outside a transaction the cursor would hold a read lock. */
	if (sqlite3_get_autocommit(db->db))
		idb_scan_reset(db);
	return rc;
}

/* The parts in each of the two cache tables, in their columns' order from ?3. */
static const int cache_head[] = { IDB_C_ENVELOPE, IDB_C_FIELDS };
static const int cache_body[] = { IDB_C_BODYSTRUCTURE, IDB_C_BODY, IDB_C_MIME };

/* One row of a cache table: folder, uid, then the parts items names. */
static int
put_items(struct idb *db, enum idb_stmt id, int64_t folder, uint32_t uid,
    const struct idb_cached *c, const int *items, int n, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, id);
	int		 i;

	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	for (i = 0; i < n; i++)
		sqlite3_bind_blob(st, 3 + i, blob_of(&c->item[items[i]]),
		    (int)c->item[items[i]].len, SQLITE_STATIC);
	return idb_exec(db, id, errstr);
}

int
idb_cache_put(struct idb *db, int64_t folder, uint32_t uid,
    const struct idb_cached *c, const char **errstr)
{
	sqlite3_stmt	*st;
	int		 own = sqlite3_get_autocommit(db->db);

	idb_scan_reset(db);
	if (own && idb_begin(db, 0, errstr) == -1)
		return -1;
	if (put_items(db, ST_CACHE_PUT, folder, uid, c, cache_head, 2,
	    errstr) == -1 || put_items(db, ST_CACHE_PUT_BODY, folder, uid, c,
	    cache_body, 3, errstr) == -1)
		goto fail;
	if (c->vsize > 0) {
		st = idb_st(db, ST_MSG_VSIZE);
		sqlite3_bind_int64(st, 1, folder);
		sqlite3_bind_int64(st, 2, uid);
		sqlite3_bind_int64(st, 3, (int64_t)c->vsize);
		if (idb_exec(db, ST_MSG_VSIZE, errstr) == -1)
			goto fail;
	}
	return own ? idb_commit(db, errstr) : 0;
fail:
	/* Inside idb_read_begin's transaction only the statement failed. */
	if (own)
		idb_rollback(db);
	return -1;
}

int
idb_cache_put_head(struct idb *db, int64_t folder, uint32_t uid,
    const struct idb_cached *c, const char **errstr)
{
	int	 own = sqlite3_get_autocommit(db->db);

	idb_scan_reset(db);
	if (own && idb_begin(db, 0, errstr) == -1)
		return -1;
	if (put_items(db, ST_CACHE_PUT, folder, uid, c, cache_head, 2,
	    errstr) == -1) {
		if (own)
			idb_rollback(db);
		return -1;
	}
	return own ? idb_commit(db, errstr) : 0;
}

/* Octets up to and with the blank line ending the header; all when none does. */
static size_t
header_len(const char *msg, size_t len)
{
	const char	*p = msg, *end = msg + len, *q;

	if (len > 0 && msg[0] == '\n')
		return 1;
	if (len > 1 && msg[0] == '\r' && msg[1] == '\n')
		return 2;
	while ((q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = q + 1;
		if (p < end && *p == '\n')
			return (size_t)(p + 1 - msg);
		if (end - p > 1 && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - msg);
	}
	return len;
}

int
idb_cache_build_head(const char *msg, size_t len, struct idb_cached *c)
{
	struct mime_tree	*t;
	size_t			 hl = header_len(msg, len);
	int			 i, rc = 0;

	for (i = 0; i < IDB_C_N; i++)
		buf_init(&c->item[i], 0);
	c->have = 0;
	c->vsize = 0;
	if ((t = mime_parse(msg, hl)) == NULL)
		return -1;
	if (imap_envelope(&c->item[IDB_C_ENVELOPE], t, 0) == -1 ||
	    search_fields_build(&c->item[IDB_C_FIELDS], msg, hl, t) == -1)
		rc = -1;
	mime_free(&t);
	if (rc == 0)
		c->have = 1;
	else
		idb_cached_free(c);
	return rc;
}

int
idb_cache_build(const char *msg, size_t len, struct idb_cached *c)
{
	struct mime_tree	*t;
	int			 i, rc = 0;

	for (i = 0; i < IDB_C_N; i++)
		buf_init(&c->item[i], 0);
	c->have = 0;
	if ((t = mime_parse(msg, len)) == NULL)
		return -1;
	if (imap_envelope(&c->item[IDB_C_ENVELOPE], t, 0) == -1 ||
	    imap_bodystructure(&c->item[IDB_C_BODYSTRUCTURE], t, 0, 1) == -1 ||
	    imap_bodystructure(&c->item[IDB_C_BODY], t, 0, 0) == -1 ||
	    search_fields_build(&c->item[IDB_C_FIELDS], msg, len, t) == -1 ||
	    mime_serialize(t, &c->item[IDB_C_MIME]) == -1)
		rc = -1;
	c->vsize = t->vsize;
	mime_free(&t);
	if (rc == 0)
		c->have = 1;
	else
		idb_cached_free(c);
	return rc;
}
