/* Message rows of the IMAP index, the UID list kept beside them, and the deltas handed to views. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "imap/imap_index.h"
#include "imap/imap_index_priv.h"
#include "imap/imap_uidlist.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "store/scan.h"

static int64_t
row_flags(const struct imsg *m)
{
	return (int64_t)m->sys | ((int64_t)m->kw << 8);
}

/* The mtime of a message file, or -1. */
static int64_t
file_mtime(const struct scan_dir *d, int sub, const char *name)
{
	struct stat	 st;

	if (fstatat(sub == SCAN_CUR ? d->curfd : d->newfd, name, &st,
	    AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return st.st_mtime;
}

int
idb_dates(struct idb *db, const char *root, const char *dir, int64_t folder,
    struct idb_date *v, size_t n, const char **errstr)
{
	struct scan_dir	 d;
	struct imsg	 m;
	sqlite3_stmt	*q;
	char		*path = idb_path(root, dir);
	size_t		 i;
	int		 rc;

	rc = scan_dir_open(&d, path, errstr);
	free(path);
	if (rc == -1)
		return -1;
	for (i = 0; i < n; i++) {
		v[i].idate = file_mtime(&d, v[i].sub, v[i].name);
		/* Renamed since the caller looked (moved to cur/, new flags): the index knows. */
		if (v[i].idate == -1 && idb_msg_by_uid(db, folder, v[i].uid, &m,
		    errstr) == 1) {
			v[i].idate = file_mtime(&d, m.sub, m.name);
			free(m.name);
		}
		if (v[i].idate == -1 && (v[i].idate = maildir_name_time(v[i].name)) == -1)
			v[i].idate = time(NULL);
		/* The one value that means "not known": a second off, in 1969. */
		if (v[i].idate == IDB_UNDATED)
			v[i].idate = 0;
	}
	scan_dir_close(&d);
	if ((rc = idb_begin(db, 0, errstr)) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		q = idb_st(db, ST_MSG_IDATE);
		sqlite3_bind_int64(q, 1, folder);
		sqlite3_bind_int64(q, 2, v[i].uid);
		sqlite3_bind_int64(q, 3, v[i].idate);
		rc = idb_exec(db, ST_MSG_IDATE, errstr);
	}
	if (rc == 0)
		return idb_commit(db, errstr);
	idb_rollback(db);
	return -1;
}

int
idb_msg_insert(struct idb *db, int64_t folder, const char *base, size_t baselen,
    const struct imsg *m, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_INS);

	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, m->uid);
	sqlite3_bind_text(st, 3, base, (int)baselen, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->name + baselen, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, m->sub);
	sqlite3_bind_int64(st, 6, row_flags(m));
	sqlite3_bind_int64(st, 7, (int64_t)m->modseq);
	sqlite3_bind_int64(st, 8, (int64_t)m->size);
	sqlite3_bind_int64(st, 9, (int64_t)m->vsize);
	sqlite3_bind_int64(st, 10, m->idate);
	return idb_exec(db, ST_MSG_INS, errstr);
}

int
idb_msg_rename(struct idb *db, int64_t folder, const struct imsg *m,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_NAME);

	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, m->uid);
	/* A new name of the same base: its flags part. */
	sqlite3_bind_text(st, 3, m->name + strcspn(m->name, ":"), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 4, m->sub);
	sqlite3_bind_int64(st, 5, row_flags(m));
	sqlite3_bind_int64(st, 6, (int64_t)m->modseq);
	return idb_exec(db, ST_MSG_NAME, errstr);
}

int
idb_msg_expunge(struct idb *db, int64_t folder, uint32_t uid, uint64_t modseq,
    const char **errstr)
{
	sqlite3_stmt	*st;

	st = idb_st(db, ST_MSG_DEL);
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	if (idb_exec(db, ST_MSG_DEL, errstr) == -1)
		return -1;
	st = idb_st(db, ST_CACHE_DEL);
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	if (idb_exec(db, ST_CACHE_DEL, errstr) == -1)
		return -1;
	st = idb_st(db, ST_CACHE_DEL_BODY);
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	if (idb_exec(db, ST_CACHE_DEL_BODY, errstr) == -1)
		return -1;
	st = idb_st(db, ST_EXP_INS);
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, (int64_t)modseq);
	return idb_exec(db, ST_EXP_INS, errstr);
}

/* Columns name, sub, modseq, size, vsize, idate from col on. */
static void
row_to_msg(sqlite3_stmt *st, int col, struct imsg *m)
{
	m->name = xstrdup((const char *)sqlite3_column_text(st, col));
	m->sub = (uint8_t)sqlite3_column_int(st, col + 1);
	m->modseq = (uint64_t)sqlite3_column_int64(st, col + 2);
	m->size = (uint64_t)sqlite3_column_int64(st, col + 3);
	m->vsize = (uint64_t)sqlite3_column_int64(st, col + 4);
	m->idate = sqlite3_column_int64(st, col + 5);
	idb_name_flags(m->name, &m->sys, &m->kw);
}

int
idb_msg_by_uid(struct idb *db, int64_t folder, uint32_t uid, struct imsg *m,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_UID);
	int		 rc;

	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(m, 0, sizeof(*m));
		m->uid = uid;
		row_to_msg(st, 1, m);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return idb_fail(db, "message", errstr);
}

int
idb_msg_by_base(struct idb *db, int64_t folder, const char *base, size_t len,
    struct imsg *m, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_BASE);
	int		 rc;

	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_text(st, 2, base, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(m, 0, sizeof(*m));
		m->uid = (uint32_t)sqlite3_column_int64(st, 0);
		row_to_msg(st, 1, m);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return idb_fail(db, "message", errstr);
}

/* ---- dovecot-uidlist ---- */

static size_t
base_of(const char *name)
{
	return strcspn(name, ":");
}

void
idb_uidlist_write(const char *path, uint32_t uidvalidity, uint32_t uidnext,
    const struct imsg *m, size_t nm, struct uidlist_stamp *s)
{
	struct uidlist_entry	*e = xcalloc(nm + 1, sizeof(*e));
	const char		*werr;
	size_t			 i, n = 0;

	/* Bases point into the names, which outlive the write. */
	for (i = 0; i < nm; i++) {
		size_t	 bl = base_of(m[i].name);

		if (bl > UINT16_MAX)
			continue;
		e[n].uid = m[i].uid;
		e[n].len = (uint16_t)bl;
		e[n].base = m[i].name;
		n++;
	}
	if (uidlist_write(path, uidvalidity, uidnext, e, n, s, &werr) == -1) {
		/* A backup of the index, not the index: try again next time. */
		log_msg(LOG_WARNING, "imap uidlist path=%s: %s", path, werr);
		memset(s, 0, sizeof(*s));
	}
	free(e);
}

int
idb_uidlist_rewrite(struct idb *db, const char *path, struct idb_folder_row *r,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_BY_UID_ALL);
	struct imsg	*m = NULL;
	size_t		 n = 0, cap = 0;
	int		 rc;

	sqlite3_bind_int64(st, 1, r->f.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			m = xreallocarray(m, cap, sizeof(*m));
		}
		memset(&m[n], 0, sizeof(*m));
		m[n].uid = (uint32_t)sqlite3_column_int64(st, 0);
		m[n].name = xstrdup((const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		idb_uidlist_write(path, r->f.uidvalidity, r->f.uidnext, m, n,
		    &r->stamp);
	imsg_free_array(m, n);
	if (rc != SQLITE_DONE)
		return idb_fail(db, "uidlist", errstr);
	return idb_folder_stamp(db, r->f.id, &r->stamp, errstr);
}

int
idb_uidlist_add(struct idb *db, const char *path, struct idb_folder_row *r,
    const struct imsg *m, size_t n, const char **errstr)
{
	struct uidlist_entry	*e;
	struct uidlist_stamp	 now, s;
	const char		*werr;
	size_t			 i;
	int			 rc = 0;

	if (n == 0)
		return 0;
	uidlist_stamp(path, &now);
	if (r->stamp.ino == 0 || !uidlist_stamp_equal(&now, &r->stamp))
		return idb_uidlist_rewrite(db, path, r, errstr);
	e = xcalloc(n, sizeof(*e));
	for (i = 0; i < n; i++) {
		size_t	 bl = base_of(m[i].name);

		e[i].uid = m[i].uid;
		e[i].len = (uint16_t)(bl > UINT16_MAX ? 0 : bl);
		e[i].base = m[i].name;
	}
	if (uidlist_append(path, r->f.uidvalidity, r->f.uidnext, e, n, &s,
	    &werr) == -1) {
		log_msg(LOG_WARNING, "imap uidlist path=%s: %s", path, werr);
		memset(&s, 0, sizeof(s));
	}
	free(e);
	r->stamp = s;
	rc = idb_folder_stamp(db, r->f.id, &s, errstr);
	return rc;
}

int
idb_folder_open(struct idb *db, const char *path, const char *dir,
    struct idb_folder_row *r, struct uidlist *imported, const char **errstr)
{
	struct uidlist_stamp	 s;
	const char		*rerr;
	int			 rc;

	memset(imported, 0, sizeof(*imported));
	if ((rc = idb_folder_row(db, dir, r, errstr)) != 0)
		return rc;
	memset(r, 0, sizeof(*r));
	/* A user moved from Dovecot keeps UIDVALIDITY and UIDs. */
	if (uidlist_read(path, imported, &s, &rerr) == 1) {
		r->f.uidvalidity = imported->uidvalidity;
		r->f.uidnext = imported->uidnext;
		r->f.recent = imported->uidnext;
		r->stamp = s;
		idb_note_uidvalidity(db, r->f.uidvalidity);
	} else {
		uidlist_free(imported);
		if ((r->f.uidvalidity = idb_new_uidvalidity(db, errstr)) == 0)
			return -1;
		r->f.uidnext = 1;
		r->f.recent = 1;
	}
	/*
	 * With UIDVALIDITY kept, a client may hold MODSEQs of the index that
	 * was lost (or Dovecot's): CONDSTORE and QRESYNC need them never to go
	 * back. Counting on from the clock in microseconds stays above them,
	 * as no folder changes a million times a second.
	 */
	if (r->stamp.ino != 0) {
		struct timespec	 ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r->f.modseq = (uint64_t)ts.tv_sec * 1000000 +
		    (uint64_t)ts.tv_nsec / 1000;
	} else
		r->f.modseq = 1;
	if (idb_folder_insert(db, dir, &r->f, errstr) == -1) {
		uidlist_free(imported);
		return -1;
	}
	if (r->stamp.ino != 0 && idb_folder_stamp(db, r->f.id, &r->stamp,
	    errstr) == -1) {
		uidlist_free(imported);
		return -1;
	}
	return 2;
}

/* ---- deltas ---- */

void
idb_delta_free(struct idb_delta *d)
{
	free(d->expunged);
	imsg_free_array(d->changed, d->nchanged);
	imsg_free_array(d->added, d->nadded);
	keywords_free(&d->kw);
	free(d->modified);
	free(d->uids);
	memset(d, 0, sizeof(*d));
}

static void
push_u32(uint32_t **v, size_t *n, uint32_t x)
{
	/* Grows in powers of two: the count is the capacity's only record. */
	if ((*n & (*n - 1)) == 0)
		*v = xreallocarray(*v, *n ? *n * 2 : 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

static void
push_msg(struct imsg **v, size_t *n, const struct imsg *m)
{
	if ((*n & (*n - 1)) == 0)
		*v = xreallocarray(*v, *n ? *n * 2 : 1, sizeof(**v));
	(*v)[*n] = *m;
	(*v)[*n].name = xstrdup(m->name);
	(*n)++;
}

void
idb_delta_expunged(struct idb_delta *d, uint32_t uid)
{
	push_u32(&d->expunged, &d->nexpunged, uid);
}

void
idb_delta_changed(struct idb_delta *d, const struct imsg *m)
{
	push_msg(&d->changed, &d->nchanged, m);
}

void
idb_delta_added(struct idb_delta *d, const struct imsg *m)
{
	push_msg(&d->added, &d->nadded, m);
}

void
idb_delta_uid(struct idb_delta *d, uint32_t uid)
{
	push_u32(&d->uids, &d->nuids, uid);
}

void
idb_delta_modified(struct idb_delta *d, uint32_t uid)
{
	push_u32(&d->modified, &d->nmodified, uid);
}
