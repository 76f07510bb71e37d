/* What IMAP commands change through the index: flags (STORE), EXPUNGE, COPY and MOVE, and STATUS counts. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "imap/imap_index.h"
#include "imap/imap_index_priv.h"
#include "imap/imap_uidlist.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "mail/mime.h"
#include "store/maildir.h"
#include "store/quota.h"
#include "store/scan.h"

static int
subfd(const struct scan_dir *d, int sub)
{
	return sub == SCAN_CUR ? d->curfd : d->newfd;
}

/* Quota counts every folder but Trash (docs/store.md, as Courier and vpopmail count). */
static void
quota_change(const char *root, const char *dir, int64_t bytes, int64_t count)
{
	const char	*e;

	if (count == 0 || strcmp(dir, ".Trash") == 0)
		return;
	if (quota_record(root, bytes, count, &e) == -1)
		log_msg(LOG_WARNING, "imap quota root=%s: %s", root, e);
}

/* The flags of a file name, every letter kept. */
static void
name_flags(const char *name, struct maildir_flags *f)
{
	struct maildir_name	 mn;

	maildir_flags_clear(f);
	if (maildir_name_parse(name, strlen(name), &mn) == 0)
		*f = mn.flags;
}

/*
 * The letters of keyword names in folder path, new ones given free letters
 * and the file rewritten. Returns the mask, or -1 with errno ENOSPC when
 * a name has no letter left (all 26 used).
 */
int64_t
idb_keyword_mask(const char *path, const char *const *names, size_t n, int create,
    struct keywords *kw, int *changed, const char **errstr)
{
	uint32_t	 mask = 0;
	size_t		 i;
	int		 idx, slot;

	*changed = 0;
	for (i = 0; i < n; i++) {
		if ((idx = keywords_find(kw, names[i], strlen(names[i]))) == -1) {
			if (!create)
				continue;
			for (slot = 0; slot < KEYWORDS_MAX; slot++)
				if (kw->name[slot] == NULL)
					break;
			if (slot == KEYWORDS_MAX) {
				*errstr = "no more keywords in this mailbox";
				errno = ENOSPC;
				return -1;
			}
			kw->name[slot] = xstrdup(names[i]);
			idx = slot;
			*changed = 1;
		}
		mask |= 1U << idx;
	}
	if (*changed && keywords_write(path, kw, errstr) == -1)
		return -1;
	return mask;
}

static void
copy_keywords(struct keywords *dst, const struct keywords *src)
{
	int	 i;

	for (i = 0; i < KEYWORDS_MAX; i++)
		dst->name[i] = src->name[i] ? xstrdup(src->name[i]) : NULL;
}

static int
open_folder(struct idb *db, const char *root, const char *dir, int durable,
    struct scan_dir *d, struct idb_folder_row *r, char **path,
    const char **errstr)
{
	int	 rc, saved;

	*path = idb_path(root, dir);
	if (scan_dir_open(d, *path, errstr) == -1) {
		saved = errno;
		x_free(path);
		errno = saved;
		return -1;
	}
	if (idb_begin(db, durable, errstr) == -1)
		goto fail;
	if ((rc = idb_folder_row(db, dir, r, errstr)) != 1) {
		if (rc == 0) {
			*errstr = "the folder is not in the index";
			errno = ENOENT;
		}
		idb_rollback(db);
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	scan_dir_close(d);
	x_free(path);
	errno = saved;
	return -1;
}

int
idb_store(struct idb *db, const char *root, const char *dir,
    const struct idb_store *req, struct idb_delta *delta, const char **errstr)
{
	struct scan_dir		 d;
	struct idb_folder_row	 r;
	struct keywords		 kw;
	struct maildir_flags	 f;
	struct imsg		 m;
	char			*path, out[MAILDIR_NAME_MAX + 1];
	const char		*serr;
	int64_t			 mask = 0;
	uint64_t		 newmod;
	uint8_t			 nsys;
	uint32_t		 nkw;
	size_t			 i;
	int			 rc, kwchanged = 0, touched = 0, saved;

	memset(delta, 0, sizeof(*delta));
	memset(&kw, 0, sizeof(kw));
	if (open_folder(db, root, dir, 0, &d, &r, &path, errstr) == -1)
		return -1;
	keywords_read(path, &kw);
	if (req->nkw > 0 && (mask = idb_keyword_mask(path, req->kw, req->nkw,
	    req->op != IDB_STORE_REMOVE, &kw, &kwchanged, errstr)) == -1)
		goto fail;
	if (kwchanged) {
		copy_keywords(&delta->kw, &kw);
		delta->kw_changed = 1;
	}
	newmod = r.f.modseq + 1;
	for (i = 0; i < req->n; i++) {
		if ((rc = idb_msg_by_uid(db, r.f.id, req->uids[i], &m,
		    errstr)) == -1)
			goto fail;
		if (rc == 0)
			continue;	/* expunged meanwhile */
		if (req->unchangedsince_set && m.modseq > req->unchangedsince) {
			idb_delta_modified(delta, m.uid);
			free(m.name);
			continue;
		}
		switch (req->op) {
		case IDB_STORE_SET:
			/* Passed has no IMAP flag: setting flags keeps it. */
			nsys = (uint8_t)(req->sys | (m.sys & MAILDIR_F_PASSED));
			nkw = (uint32_t)mask;
			break;
		case IDB_STORE_ADD:
			nsys = (uint8_t)(m.sys | req->sys);
			nkw = m.kw | (uint32_t)mask;
			break;
		default:
			nsys = (uint8_t)(m.sys & ~req->sys);
			nkw = m.kw & ~(uint32_t)mask;
			break;
		}
		if (nsys == m.sys && nkw == m.kw) {
			free(m.name);
			continue;
		}
		name_flags(m.name, &f);
		maildir_flags_set_sys(&f, nsys);
		maildir_flags_set_keywords(&f, nkw);
		if (scan_set_flags(&d, m.sub, m.name, &f, out, sizeof(out),
		    &serr) == -1) {
			free(m.name);
			if (errno == ENOENT)
				continue;	/* another program expunged it */
			*errstr = serr;
			goto fail;
		}
		free(m.name);
		m.name = out;
		m.sub = SCAN_CUR;
		idb_name_flags(out, &m.sys, &m.kw);
		m.modseq = newmod;
		if (idb_msg_rename(db, r.f.id, &m, errstr) == -1)
			goto fail;
		idb_delta_changed(delta, &m);
		touched = 1;
	}
	if (touched) {
		r.f.modseq = newmod;
		if (idb_folder_update(db, &r.f, errstr) == -1)
			goto fail;
	}
	if (idb_commit(db, errstr) == -1)
		goto fail;
	delta->modseq = r.f.modseq;
	delta->uidnext = r.f.uidnext;
	delta->uidvalidity = r.f.uidvalidity;
	keywords_free(&kw);
	scan_dir_close(&d);
	free(path);
	return 0;
fail:
	saved = errno;
	idb_rollback(db);
	keywords_free(&kw);
	scan_dir_close(&d);
	free(path);
	idb_delta_free(delta);
	errno = saved ? saved : EIO;
	return -1;
}

/* Rows of a folder (all, or of uids) whose names carry T. */
static int
deleted_rows(struct idb *db, int64_t folder, const uint32_t *uids, size_t n,
    struct imsg **out, size_t *nout, const char **errstr)
{
	sqlite3_stmt	*st;
	struct imsg	 m;
	size_t		 i;
	int		 rc;

	*out = NULL;
	*nout = 0;
	if (uids != NULL) {
		for (i = 0; i < n; i++) {
			if ((rc = idb_msg_by_uid(db, folder, uids[i], &m,
			    errstr)) == -1)
				return -1;
			if (rc == 0)
				continue;
			if (!(m.sys & MAILDIR_F_DELETED)) {
				free(m.name);
				continue;
			}
			*out = xreallocarray(*out, *nout + 1, sizeof(**out));
			(*out)[(*nout)++] = m;
		}
		return 0;
	}
	st = idb_st(db, ST_MSG_BY_UID_ALL);
	sqlite3_bind_int64(st, 1, folder);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char	*name = (const char *)sqlite3_column_text(st, 1);

		memset(&m, 0, sizeof(m));
		idb_name_flags(name, &m.sys, &m.kw);
		if (!(m.sys & MAILDIR_F_DELETED))
			continue;
		m.uid = (uint32_t)sqlite3_column_int64(st, 0);
		m.name = xstrdup(name);
		m.sub = (uint8_t)sqlite3_column_int(st, 2);
		m.size = (uint64_t)sqlite3_column_int64(st, 4);
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[(*nout)++] = m;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return idb_fail(db, "messages", errstr);
	return 0;
}

int
idb_expunge(struct idb *db, const char *root, const char *dir,
    const uint32_t *uids, size_t n, struct idb_delta *delta,
    const char **errstr)
{
	struct scan_dir		 d;
	struct idb_folder_row	 r;
	struct imsg		*v = NULL;
	char			*path;
	const char		*serr;
	size_t			 nv = 0, i;
	int64_t			 bytes = 0, count = 0;
	uint64_t		 newmod;
	int			 saved;

	memset(delta, 0, sizeof(*delta));
	if (open_folder(db, root, dir, 0, &d, &r, &path, errstr) == -1)
		return -1;
	if (deleted_rows(db, r.f.id, uids, n, &v, &nv, errstr) == -1)
		goto fail;
	newmod = r.f.modseq + 1;
	for (i = 0; i < nv; i++) {
		if (scan_expunge(&d, v[i].sub, v[i].name, 0, &serr) == -1) {
			*errstr = serr;
			goto fail;
		}
		if (idb_msg_expunge(db, r.f.id, v[i].uid, newmod, errstr) == -1)
			goto fail;
		idb_delta_expunged(delta, v[i].uid);
		bytes -= (int64_t)v[i].size;
		count--;
	}
	/* Expunged messages stay expunged when the machine crashes now. */
	if (nv > 0 && scan_sync(&d, &serr) == -1) {
		*errstr = serr;
		goto fail;
	}
	if (nv > 0) {
		r.f.modseq = newmod;
		if (idb_folder_update(db, &r.f, errstr) == -1)
			goto fail;
	}
	if (idb_commit(db, errstr) == -1)
		goto fail;
	quota_change(root, dir, bytes, count);
	delta->modseq = r.f.modseq;
	delta->uidnext = r.f.uidnext;
	delta->uidvalidity = r.f.uidvalidity;
	imsg_free_array(v, nv);
	scan_dir_close(&d);
	free(path);
	return 0;
fail:
	saved = errno;
	idb_rollback(db);
	imsg_free_array(v, nv);
	scan_dir_close(&d);
	free(path);
	idb_delta_free(delta);
	errno = saved ? saved : EIO;
	return -1;
}

/* ---- COPY and MOVE ---- */

static int
copy_cache(struct idb *db, int64_t from, uint32_t uid, int64_t to,
    uint32_t newuid, const char **errstr)
{
	static const enum idb_stmt copy[] = { ST_CACHE_COPY,
	    ST_CACHE_COPY_BODY };
	sqlite3_stmt	*st;
	size_t		 i;

	for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		st = idb_st(db, copy[i]);
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, uid);
		sqlite3_bind_int64(st, 3, to);
		sqlite3_bind_int64(st, 4, newuid);
		if (idb_exec(db, copy[i], errstr) == -1)
			return -1;
	}
	return 0;
}

/* One message into the target: a link, else a copy of its bytes. */
static int
copy_one(struct scan_dir *sd, struct imsg *m, const char *topath,
    const struct maildir_add *add, char *out, size_t outlen,
    const char **errstr)
{
	char		 now[MAILDIR_NAME_MAX + 1];
	enum scan_sub	 sub;
	int		 fd, rc, tries;

	for (tries = 0; tries < 2; tries++) {
		if (maildir_add_link(subfd(sd, m->sub), m->name, topath, add, out,
		    outlen, errstr) == 0)
			return 0;
		if (errno != ENOENT)
			break;
		/* Renamed by another program since the index saw it. */
		if ((rc = scan_locate(sd, m->name, now, sizeof(now))) == -1)
			return -1;
		free(m->name);
		m->name = xstrdup(now);
		m->sub = (uint8_t)rc;
	}
	if (errno != EXDEV && errno != EPERM && errno != EMLINK)
		return -1;
	if ((fd = scan_open_msg(sd, m->sub, m->name, now, sizeof(now), &sub,
	    errstr)) == -1)
		return -1;
	rc = maildir_add_fd(topath, fd, 0, (size_t)m->size, add, out, outlen,
	    errstr);
	close(fd);
	return rc;
}

int
idb_copy(struct idb *db, const char *root, const char *dir,
    const uint32_t *uids, size_t n, const char *todir, int move,
    struct idb_delta *delta, const char **errstr)
{
	struct scan_dir		 sd, dd;
	struct idb_folder_row	 sr, dr;
	struct uidlist		 imp;
	struct keywords		 skw, dkw;
	struct maildir_add	 add;
	struct maildir_flags	 f;
	struct imsg		 m, *added = NULL;
	char			*spath = NULL, *dpath = NULL,
				 out[MAILDIR_NAME_MAX + 1];
	const char		*names[KEYWORDS_MAX], *serr;
	uint64_t		 bytes = 0, smod, dmod;
	size_t			 i, nadded = 0, nn;
	int			 rc, k, same = strcmp(dir, todir) == 0, saved;
	int			 dopen = 0, kwch = 0, kwany = 0;
	int64_t			 dmask;
	struct quota		 q;

	memset(delta, 0, sizeof(*delta));
	memset(&imp, 0, sizeof(imp));
	memset(&skw, 0, sizeof(skw));
	memset(&dkw, 0, sizeof(dkw));
	if (open_folder(db, root, dir, 1, &sd, &sr, &spath, errstr) == -1)
		return -1;
	dpath = idb_path(root, todir);
	if (same) {
		dd = sd;
		dr = sr;
	} else {
		if (scan_dir_open(&dd, dpath, errstr) == -1)
			goto fail;
		dopen = 1;
		if (idb_folder_open(db, dpath, todir, &dr, &imp, errstr) == -1)
			goto fail;
	}
	keywords_read(spath, &skw);
	keywords_read(dpath, &dkw);
	if (!move && strcmp(todir, ".Trash") != 0) {
		for (i = 0; i < n; i++) {
			if ((rc = idb_msg_by_uid(db, sr.f.id, uids[i], &m,
			    errstr)) == -1)
				goto fail;
			if (rc == 1) {
				bytes += m.size;
				free(m.name);
			}
		}
		if (quota_check(root, NULL, 0, bytes, n, &q, errstr) ==
		    QUOTA_OVER) {
			*errstr = "over quota";
			errno = EDQUOT;
			goto fail;
		}
	}
	smod = sr.f.modseq + 1;
	dmod = (same ? smod : dr.f.modseq + 1);
	added = xcalloc(n + 1, sizeof(*added));
	bytes = 0;
	for (i = 0; i < n; i++) {
		if ((rc = idb_msg_by_uid(db, sr.f.id, uids[i], &m, errstr)) == -1)
			goto fail;
		if (rc == 0) {
			idb_delta_uid(delta, 0);
			continue;
		}
		/* Keywords travel by name: letters are per folder. */
		name_flags(m.name, &f);
		for (k = 0, nn = 0; k < KEYWORDS_MAX; k++)
			if ((m.kw & (1U << k)) && skw.name[k] != NULL)
				names[nn++] = skw.name[k];
		if ((dmask = idb_keyword_mask(dpath, names, nn, 1, &dkw, &kwch,
		    &serr)) == -1)
			dmask = 0;	/* no letter left there: the keyword stays behind */
		kwany |= kwch;
		maildir_flags_set_keywords(&f, (uint32_t)dmask);
		memset(&add, 0, sizeof(add));
		add.flags = &f;
		add.date = (time_t)m.idate;
		add.vsize = m.vsize ? m.vsize : MAILDIR_NOSIZE;
		if (move)
			rc = scan_move(&sd, m.sub, m.name, &dd, &f, out,
			    sizeof(out), &serr);
		else
			rc = copy_one(&sd, &m, dpath, &add, out, sizeof(out),
			    &serr);
		if (rc == -1) {
			free(m.name);
			if (errno == ENOENT) {
				idb_delta_uid(delta, 0);
				continue;	/* expunged by another program */
			}
			*errstr = serr;
			goto fail;
		}
		/* Before anything else can fail: undone if the command fails. */
		added[nadded].name = xstrdup(out);
		added[nadded].sub = m.sub;
		if (move && idb_msg_expunge(db, sr.f.id, m.uid, smod,
		    errstr) == -1) {
			free(m.name);
			nadded++;
			goto fail;
		}
		if (move)
			idb_delta_expunged(delta, m.uid);
		if (dr.f.uidnext == UINT32_MAX) {
			free(m.name);
			nadded++;
			*errstr = "UIDs exhausted";
			goto fail;
		}
		{
			char	*keep = added[nadded].name;

			added[nadded] = m;
			added[nadded].name = keep;
		}
		added[nadded].uid = dr.f.uidnext++;
		added[nadded].sub = SCAN_CUR;
		added[nadded].modseq = dmod;
		idb_name_flags(out, &added[nadded].sys, &added[nadded].kw);
		free(m.name);
		if (idb_msg_insert(db, dr.f.id, out, strcspn(out, ":"),
		    &added[nadded], errstr) == -1 ||
		    copy_cache(db, sr.f.id, uids[i], dr.f.id, added[nadded].uid,
		    errstr) == -1) {
			nadded++;
			goto fail;
		}
		idb_delta_uid(delta, added[nadded].uid);
		idb_delta_added(delta, &added[nadded]);
		bytes += added[nadded].size;
		nadded++;
	}
	if (kwany) {
		copy_keywords(&delta->kw, &dkw);
		delta->kw_changed = 1;
	}
	if (idb_uidlist_add(db, dpath, &dr, added, nadded, errstr) == -1)
		goto fail;
	if (nadded > 0)
		dr.f.modseq = dmod;
	if (!same && move && delta->nexpunged > 0)
		sr.f.modseq = smod;
	if (!same && idb_folder_update(db, &sr.f, errstr) == -1)
		goto fail;
	if (idb_folder_update(db, &dr.f, errstr) == -1 ||
	    idb_commit(db, errstr) == -1)
		goto fail;
	if (!move)
		quota_change(root, todir, (int64_t)bytes, (int64_t)nadded);
	else if ((strcmp(dir, ".Trash") == 0) != (strcmp(todir, ".Trash") == 0)) {
		/* Into or out of Trash changes what counts. */
		if (strcmp(todir, ".Trash") == 0)
			quota_change(root, dir, -(int64_t)bytes, -(int64_t)nadded);
		else
			quota_change(root, todir, (int64_t)bytes, (int64_t)nadded);
	}
	delta->modseq = same ? dr.f.modseq : sr.f.modseq;
	delta->uidnext = same ? dr.f.uidnext : sr.f.uidnext;
	delta->uidvalidity = dr.f.uidvalidity;
	delta->to_modseq = dr.f.modseq;
	delta->to_uidnext = dr.f.uidnext;
	imsg_free_array(added, nadded);
	keywords_free(&skw);
	keywords_free(&dkw);
	uidlist_free(&imp);
	if (dopen)
		scan_dir_close(&dd);
	scan_dir_close(&sd);
	free(spath);
	free(dpath);
	return 0;
fail:
	saved = errno;
	idb_rollback(db);
	/* RFC 3501 6.4.7: a failed COPY leaves the target as it was; a MOVE puts back. */
	for (i = 0; i < nadded; i++) {
		if (move)
			(void)scan_move(&dd, SCAN_CUR, added[i].name, &sd, NULL,
			    out, sizeof(out), &serr);
		else
			(void)scan_expunge(&dd, SCAN_CUR, added[i].name, 0,
			    &serr);
	}
	imsg_free_array(added, nadded);
	keywords_free(&skw);
	keywords_free(&dkw);
	uidlist_free(&imp);
	if (dopen)
		scan_dir_close(&dd);
	scan_dir_close(&sd);
	free(spath);
	free(dpath);
	idb_delta_free(delta);
	errno = saved ? saved : EIO;
	return -1;
}

/* ---- STATUS ---- */

/* RFC822.SIZE of a file: its octets plus one CR for each bare LF. */
static int
file_vsize(int dirfd, const char *name, uint64_t *vsize)
{
	struct stat	 st;
	void		*p;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		close(fd);
		*vsize = 0;
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	*vsize = mime_vsize(p, 0, (uint64_t)st.st_size);
	munmap(p, (size_t)st.st_size);
	return 0;
}

static int
fill_vsizes(struct idb *db, const char *root, const char *dir, int64_t folder,
    const char **errstr)
{
	struct scan_dir	 d;
	sqlite3_stmt	*st;
	struct {
		uint32_t	 uid;
		uint8_t		 sub;
		char		*name;
	}		*v = NULL;
	size_t		 n = 0, i;
	uint64_t	 vs;
	char		*path = idb_path(root, dir);
	int		 rc;

	if (scan_dir_open(&d, path, errstr) == -1) {
		free(path);
		return -1;
	}
	free(path);
	st = idb_st(db, ST_MSG_NOVSIZE);
	sqlite3_bind_int64(st, 1, folder);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].uid = (uint32_t)sqlite3_column_int64(st, 0);
		v[n].name = xstrdup((const char *)sqlite3_column_text(st, 1));
		v[n].sub = (uint8_t)sqlite3_column_int(st, 2);
		n++;
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : idb_fail(db, "messages", errstr);
	if (rc == 0 && n > 0 && (rc = idb_begin(db, 0, errstr)) == 0) {
		for (i = 0; i < n && rc == 0; i++) {
			if (file_vsize(subfd(&d, v[i].sub), v[i].name, &vs) == -1 ||
			    vs == 0)
				continue;
			st = idb_st(db, ST_MSG_VSIZE);
			sqlite3_bind_int64(st, 1, folder);
			sqlite3_bind_int64(st, 2, v[i].uid);
			sqlite3_bind_int64(st, 3, (int64_t)vs);
			rc = idb_exec(db, ST_MSG_VSIZE, errstr);
		}
		if (rc == 0)
			rc = idb_commit(db, errstr);
		else
			idb_rollback(db);
	}
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	scan_dir_close(&d);
	return rc;
}

static int
count(struct idb *db, const struct idb_folder *f, struct idb_status *s,
    uint64_t *unknown, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_COUNT);
	int		 rc;

	sqlite3_bind_int64(st, 1, f->id);
	sqlite3_bind_int64(st, 2, f->recent);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->messages = (uint32_t)sqlite3_column_int64(st, 0);
		s->unseen = (uint32_t)sqlite3_column_int64(st, 1);
		s->deleted = (uint32_t)sqlite3_column_int64(st, 2);
		s->recent = (uint32_t)sqlite3_column_int64(st, 3);
		s->size = (uint64_t)sqlite3_column_int64(st, 4);
		*unknown = (uint64_t)sqlite3_column_int64(st, 5);
		s->deleted_size = (uint64_t)sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return idb_fail(db, "status", errstr);
	return 0;
}

int
idb_status(struct idb *db, const char *root, const char *dir, int flags,
    struct idb_status *s, const char **errstr)
{
	struct idb_sync		 sy;
	struct idb_folder	 f;
	uint64_t		 unknown = 0;
	int			 rc;

	memset(s, 0, sizeof(*s));
	memset(&sy, 0, sizeof(sy));
	if ((flags & IDB_STATUS_NOSYNC) &&
	    (rc = idb_folder_get(db, dir, &f, errstr)) != 0) {
		if (rc == -1)
			return -1;
	} else {
		/* A full sync of a folder no view has open is safe: nobody holds its old state. */
		if (idb_sync(db, root, dir, 0, &sy, errstr) == -1)
			return -1;
		f = sy.f;
	}
	s->uidnext = f.uidnext;
	s->uidvalidity = f.uidvalidity;
	s->modseq = f.modseq;
	if (count(db, &f, s, &unknown, errstr) == -1)
		goto fail;
	if ((flags & IDB_STATUS_SIZE) && unknown > 0) {
		if (fill_vsizes(db, root, dir, f.id, errstr) == -1 ||
		    count(db, &f, s, &unknown, errstr) == -1)
			goto fail;
	}
	idb_sync_free(&sy);
	return 0;
fail:
	idb_sync_free(&sy);
	return -1;
}
