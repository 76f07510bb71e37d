/* Keeping the index in line with a folder's Maildir: full syncs after a readdir, incremental ones from inotify. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "imap/imap_index.h"
#include "imap/imap_index_priv.h"
#include "imap/imap_uidlist.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "store/scan.h"

/* Messages added by one sync from which its commit leaves the checkpoint for later. */
#define IDB_CHECKPOINT_LATER	10000

/* A directory changed within this long may change again in the same tick of its mtime. */
#define MTIME_SETTLE_NS	(1000LL * 1000 * 1000)

static int64_t
dir_mtime(int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return -1;
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static int64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
subfd(const struct scan_dir *d, int sub)
{
	return sub == SCAN_CUR ? d->curfd : d->newfd;
}

static size_t
base_len(const char *name)
{
	return strcspn(name, ":");
}

static int
cmp_base(const char *a, size_t alen, const char *b, size_t blen)
{
	int	 c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

void
idb_sync_free(struct idb_sync *s)
{
	imsg_free_array(s->msgs, s->n);
	keywords_free(&s->kw);
	memset(s, 0, sizeof(*s));
}

/*
 * A new file's record from its listing: sizes from its name (or the stat
 * the listing made), flags from its name, the internal date from its
 * mtime. The file is stat'ed for the date when dated or when its arrival
 * order needs the mtime (a name without "SECONDS."); otherwise the record
 * is IDB_UNDATED, and idb_dates finds the mtime when a command asks.
 */
static int
listed_record(const struct scan_dir *d, const struct scan_entry *e, int dated,
    struct imsg *m)
{
	struct stat	 st;

	memset(m, 0, sizeof(*m));
	m->sub = e->sub;
	m->size = e->size;
	m->vsize = e->vsize == SCAN_NOSIZE ? 0 : e->vsize;
	m->idate = e->mtime >= 0 ? e->mtime : IDB_UNDATED;
	if (m->idate == IDB_UNDATED && (dated || maildir_name_time(e->name) == -1)) {
		if (fstatat(subfd(d, e->sub), e->name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			return -1;
		m->idate = st.st_mtime;
	}
	m->sys = (uint8_t)maildir_flags_sys(&e->flags);
	m->kw = maildir_flags_keywords(&e->flags);
	m->name = (char *)e->name;
	return 0;
}

/* A new file an event named: stat'ed, so dated. */
static int
new_record(const struct scan_dir *d, const char *name, int sub, struct imsg *m)
{
	struct maildir_name	 mn;
	struct scan_entry	 e;
	struct stat		 st;

	if (maildir_name_parse(name, strlen(name), &mn) == -1 ||
	    fstatat(subfd(d, sub), name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	memset(&e, 0, sizeof(e));
	e.name = name;
	e.sub = (uint8_t)sub;
	e.flags = mn.flags;
	e.size = mn.has_size ? mn.size : (uint64_t)st.st_size;
	e.vsize = mn.has_vsize ? mn.vsize : SCAN_NOSIZE;
	e.mtime = st.st_mtime;
	return listed_record(d, &e, 1, m);
}

/* ---- full sync ---- */

struct dbrow {
	uint32_t	 uid;
	uint8_t		 sub;
	uint64_t	 modseq;
	char		*name;
};

static void
dbrows_free(struct dbrow *r, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(r[i].name);
	free(r);
}

static int
load_by_base(struct idb *db, int64_t folder, struct dbrow **out, size_t *n,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_BY_BASE_ALL);
	size_t		 cap = 0;
	int		 rc;

	*out = NULL;
	*n = 0;
	sqlite3_bind_int64(st, 1, folder);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		(*out)[*n].uid = (uint32_t)sqlite3_column_int64(st, 0);
		(*out)[*n].name = xstrdup((const char *)sqlite3_column_text(st, 2));
		(*out)[*n].sub = (uint8_t)sqlite3_column_int(st, 3);
		(*out)[*n].modseq = (uint64_t)sqlite3_column_int64(st, 4);
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		dbrows_free(*out, *n);
		*out = NULL;
		return idb_fail(db, "messages", errstr);
	}
	return 0;
}

/* Imported uidlist entries in base order, for lookups (qsort_r: workers sort at once). */
static int
cmp_import(const void *a, const void *b, void *arg)
{
	const struct uidlist		*l = arg;
	const struct uidlist_entry	*x = &l->v[*(const size_t *)a];
	const struct uidlist_entry	*y = &l->v[*(const size_t *)b];

	return cmp_base(x->base, x->len, y->base, y->len);
}

static uint32_t
import_uid(const struct uidlist *l, const size_t *order, const char *base,
    size_t len)
{
	size_t	 lo = 0, hi = l->n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = cmp_base(base, len, l->v[order[mid]].base,
		    l->v[order[mid]].len);
		if (c == 0)
			return l->v[order[mid]].uid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * Arrival order of new files, for their UIDs: names of tegami, Dovecot
 * and qmail start "SECONDS." and often carry "M<usec>" and "Q<n>" or
 * "_<n>", which do not sort as text ("M99999" comes after "M123456").
 * Names without them go by the file's mtime.
 */
struct arrival {
	int64_t		 sec, usec, n;
};

static int64_t
num_after(const char *s, size_t len, char c, int64_t dflt)
{
	const char	*p = memchr(s, c, len);
	int64_t		 v = 0;
	int		 digits = 0;

	if (p == NULL)
		return dflt;
	for (p++; p < s + len && *p >= '0' && *p <= '9' && digits < 18; p++) {
		v = v * 10 + (*p - '0');
		digits++;
	}
	return digits ? v : dflt;
}

static void
arrival_of(const struct imsg *m, struct arrival *a)
{
	const char	*n = m->name, *uniq, *dot;
	size_t		 bl = base_len(n), ul;

	if ((a->sec = maildir_name_time(n)) == -1) {
		a->sec = m->idate;
		a->usec = a->n = 0;
		return;
	}
	/* Only the part before the host: "TIME.M1P2Q3.host". */
	uniq = (const char *)memchr(n, '.', bl) + 1;
	dot = memchr(uniq, '.', bl - (size_t)(uniq - n));
	ul = dot ? (size_t)(dot - uniq) : bl - (size_t)(uniq - n);
	a->usec = num_after(uniq, ul, 'M', 0);
	a->n = num_after(uniq, ul, 'Q', num_after(uniq, ul, '_', 0));
}

/* A record's arrival, worked out once, not in every comparison; and where the record is. */
struct arrival_key {
	struct arrival	 a;
	const char	*name;
	size_t		 i;
};

static int
cmp_arrival(const void *pa, const void *pb)
{
	const struct arrival_key	*x = pa, *y = pb;

	if (x->a.sec != y->a.sec)
		return x->a.sec < y->a.sec ? -1 : 1;
	if (x->a.usec != y->a.usec)
		return x->a.usec < y->a.usec ? -1 : 1;
	if (x->a.n != y->a.n)
		return x->a.n < y->a.n ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
sort_arrival(struct imsg *v, size_t n)
{
	struct arrival_key	*k = xcalloc(n, sizeof(*k));
	struct imsg		*w;
	size_t			 i;
	int			 sorted = 1;

	for (i = 0; i < n; i++) {
		arrival_of(&v[i], &k[i].a);
		k[i].name = v[i].name;
		k[i].i = i;
		if (i > 0 && sorted && cmp_arrival(&k[i - 1], &k[i]) > 0)
			sorted = 0;
	}
	/* Listed by name, names of one program mostly come in arrival order already. */
	if (!sorted) {
		qsort(k, n, sizeof(*k), cmp_arrival);
		w = xcalloc(n, sizeof(*w));
		for (i = 0; i < n; i++)
			w[i] = v[k[i].i];
		memcpy(v, w, n * sizeof(*v));
		free(w);
	}
	free(k);
}

static int
cmp_uid(const void *a, const void *b)
{
	const struct imsg	*x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/*
 * What a folder's first index does beside its inserts: the messages for
 * the caller (IDB_LOAD) and a new dovecot-uidlist. With many messages it
 * runs on a thread of its own while this one inserts the rows, which take
 * most of the time (100,000 messages: about 50 ms of copies and 60 of
 * file writes behind 190 of inserts).
 */
struct first_index {
	const struct imsg	*nw;		/* ascending UIDs */
	size_t			 n;
	int			 load, list;
	const char		*path;
	uint32_t		 uidvalidity, uidnext;
	struct imsg		*msgs;		/* load: copies of nw */
	struct uidlist_stamp	 stamp;		/* list */
};

#define FIRST_INDEX_THREAD	10000

static void *
first_index_side(void *arg)
{
	struct first_index	*fi = arg;
	size_t			 k;

	if (fi->load) {
		fi->msgs = xcalloc(fi->n, sizeof(*fi->msgs));
		for (k = 0; k < fi->n; k++) {
			fi->msgs[k] = fi->nw[k];
			fi->msgs[k].name = xstrdup(fi->nw[k].name);
		}
	}
	if (fi->list)
		idb_uidlist_write(fi->path, fi->uidvalidity, fi->uidnext,
		    fi->nw, fi->n, &fi->stamp);
	return NULL;
}

/*
 * Reads the folder and brings the rows in line. fresh: the folder row was
 * just made, imp the dovecot-uidlist found for it. load: the caller
 * wants the messages (IDB_LOAD), which a new folder gives here.
 */
static int
sync_scan(struct idb *db, struct scan_dir *d, const char *path,
    struct idb_folder_row *r, int fresh, struct uidlist *imp, int load,
    struct idb_sync *out, int *durable, const char **errstr)
{
	struct scan		 sc;
	struct dbrow		*rows = NULL;
	struct imsg		*nw = NULL, m;
	size_t			 nrows = 0, nnew = 0, i = 0, j = 0, k, *order = NULL;
	uint64_t		 newmod = r->f.modseq + 1;
	struct first_index	 fi;
	pthread_t		 tid;
	int			 touched = 0, rc = -1, rc_ins = 0, side;
	uint8_t			 osys;
	uint32_t		 okw;

	/*
	 * A folder indexed for the first time leaves its messages undated:
	 * a stat of every file would be most of a first SELECT's time.
	 */
	if (scan_list(d, 0, &sc, errstr) == -1)
		return -1;
	if (load_by_base(db, r->f.id, &rows, &nrows, errstr) == -1)
		goto done;
	nw = xcalloc(sc.n + 1, sizeof(*nw));
	while (i < sc.n || j < nrows) {
		const struct scan_entry	*e = i < sc.n ? &sc.v[i] : NULL;
		int			 c;

		if (e != NULL && j < nrows)
			c = cmp_base(e->name, e->base_len, rows[j].name,
			    base_len(rows[j].name));
		else
			c = e != NULL ? -1 : 1;
		if (c < 0) {
			if (listed_record(d, e, !fresh, &nw[nnew]) == 0)
				nnew++;
			i++;
			continue;
		}
		if (c > 0) {
			/* Gone while nobody watched: another program expunged it. */
			if (idb_msg_expunge(db, r->f.id, rows[j].uid, newmod,
			    errstr) == -1)
				goto done;
			out->removed++;
			touched = 1;
			j++;
			continue;
		}
		if (strcmp(e->name, rows[j].name) != 0 || e->sub != rows[j].sub) {
			idb_name_flags(rows[j].name, &osys, &okw);
			memset(&m, 0, sizeof(m));
			m.uid = rows[j].uid;
			m.name = (char *)e->name;
			m.sub = e->sub;
			m.modseq = rows[j].modseq;
			idb_name_flags(m.name, &m.sys, &m.kw);
			if (m.sys != osys || m.kw != okw) {
				m.modseq = newmod;
				touched = 1;
			}
			if (idb_msg_rename(db, r->f.id, &m, errstr) == -1)
				goto done;
			out->changed++;
		}
		i++;
		j++;
	}

	/* UIDs: Dovecot's where its list had the message, then UIDNEXT on. */
	if (fresh && imp->n > 0) {
		order = xcalloc(imp->n, sizeof(*order));
		for (k = 0; k < imp->n; k++)
			order[k] = k;
		qsort_r(order, imp->n, sizeof(*order), cmp_import, imp);
	}
	for (k = 0; k < nnew; k++)
		if (order != NULL)
			nw[k].uid = import_uid(imp, order, nw[k].name,
			    base_len(nw[k].name));
	if (nnew > 1)
		sort_arrival(nw, nnew);
	for (k = 0; k < nnew; k++) {
		if (nw[k].uid != 0)
			continue;
		if (r->f.uidnext == UINT32_MAX) {
			*errstr = "UIDs exhausted";
			goto done;
		}
		nw[k].uid = r->f.uidnext++;
	}
	/* Rows go in in UID order, the order of the table's key. */
	for (k = 1; k < nnew && nw[k - 1].uid < nw[k].uid; k++)
		;
	if (k < nnew)
		qsort(nw, nnew, sizeof(*nw), cmp_uid);
	for (k = 0; k < nnew; k++)
		nw[k].modseq = newmod;
	/* A folder new to the index: what its rows would load is here already. */
	memset(&fi, 0, sizeof(fi));
	fi.nw = nw;
	fi.n = nnew;
	fi.load = load && nrows == 0 && nnew > 0;
	/* No list was there: one now, even for an empty folder (it keeps UIDVALIDITY). */
	fi.list = fresh && imp->version == 0 && nrows == 0;
	fi.path = path;
	fi.uidvalidity = r->f.uidvalidity;
	fi.uidnext = r->f.uidnext;
	side = nnew >= FIRST_INDEX_THREAD && (fi.load || fi.list) &&
	    pthread_create(&tid, NULL, first_index_side, &fi) == 0;
	for (k = 0; k < nnew && rc_ins == 0; k++)
		rc_ins = idb_msg_insert(db, r->f.id, nw[k].name,
		    base_len(nw[k].name), &nw[k], errstr);
	if (side)
		pthread_join(tid, NULL);
	else
		(void)first_index_side(&fi);
	if (fi.load) {
		out->msgs = fi.msgs;
		out->n = nnew;
	}
	if (rc_ins == -1)
		goto done;
	if (nnew > 0) {
		touched = 1;
		*durable = 1;
		out->added = nnew;
	}
	if (fi.list) {
		r->stamp = fi.stamp;
		if (idb_folder_stamp(db, r->f.id, &fi.stamp, errstr) == -1)
			goto done;
	} else if (fresh && imp->version == 0) {
		if (idb_uidlist_rewrite(db, path, r, errstr) == -1)
			goto done;
	} else if (nnew > 0) {
		/* The imported ones are in the file already; the rest go after. */
		size_t	 o = 0;

		qsort(nw, nnew, sizeof(*nw), cmp_uid);
		for (k = 0; k < nnew; k++)
			if (order == NULL || import_uid(imp, order, nw[k].name,
			    base_len(nw[k].name)) == 0)
				nw[o++] = nw[k];
		if (idb_uidlist_add(db, path, r, nw, o, errstr) == -1)
			goto done;
	}
	if (touched)
		r->f.modseq = newmod;
	rc = 0;
done:
	free(order);
	free(nw);	/* names point into the scan */
	dbrows_free(rows, nrows);
	scan_free(&sc);
	return rc;
}

static int	load_by_uid(struct idb *, int64_t, struct imsg **, size_t *,
		    const char **);

/* Moves the loaded messages still in new/ to cur/, their records too. */
static int
loaded_to_cur(struct idb *db, struct scan_dir *d, struct idb_folder_row *r,
    struct imsg *v, size_t n, size_t *moved, const char **errstr)
{
	char		 out[MAILDIR_NAME_MAX + 1];
	const char	*merr;
	size_t		 i;

	*moved = 0;
	for (i = 0; i < n; i++) {
		if (v[i].sub != SCAN_NEW)
			continue;
		if (scan_to_cur(d, v[i].name, out, sizeof(out), &merr) == -1)
			continue;	/* gone: inotify or the next sync says so */
		free(v[i].name);
		v[i].name = xstrdup(out);
		v[i].sub = SCAN_CUR;
		idb_name_flags(v[i].name, &v[i].sys, &v[i].kw);
		if (idb_msg_rename(db, r->f.id, &v[i], errstr) == -1)
			return -1;
		(*moved)++;
	}
	return 0;
}

/* Moves the messages still in new/ to cur/ (SELECT). Returns how many moved. */
static int
sync_to_cur(struct idb *db, struct scan_dir *d, struct idb_folder_row *r,
    size_t *moved, const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_BY_UID_ALL);
	struct imsg	*v = NULL;
	size_t		 n = 0;
	int		 rc;

	*moved = 0;
	sqlite3_bind_int64(st, 1, r->f.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 2) != SCAN_NEW)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		v[n].uid = (uint32_t)sqlite3_column_int64(st, 0);
		v[n].name = xstrdup((const char *)sqlite3_column_text(st, 1));
		v[n].modseq = (uint64_t)sqlite3_column_int64(st, 3);
		v[n].sub = SCAN_NEW;
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		imsg_free_array(v, n);
		return idb_fail(db, "messages", errstr);
	}
	rc = loaded_to_cur(db, d, r, v, n, moved, errstr);
	imsg_free_array(v, n);
	return rc;
}

static int
load_by_uid(struct idb *db, int64_t folder, struct imsg **out, size_t *n,
    const char **errstr)
{
	sqlite3_stmt	*st = idb_st(db, ST_MSG_BY_UID_ALL);
	size_t		 cap = 0;
	struct imsg	*m;
	int64_t		 fl;
	int		 rc;

	*out = NULL;
	*n = 0;
	sqlite3_bind_int64(st, 1, folder);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		m = &(*out)[(*n)++];
		memset(m, 0, sizeof(*m));
		m->uid = (uint32_t)sqlite3_column_int64(st, 0);
		m->name = xstrdup((const char *)sqlite3_column_text(st, 1));
		m->sub = (uint8_t)sqlite3_column_int(st, 2);
		m->modseq = (uint64_t)sqlite3_column_int64(st, 3);
		m->size = (uint64_t)sqlite3_column_int64(st, 4);
		m->vsize = (uint64_t)sqlite3_column_int64(st, 5);
		m->idate = sqlite3_column_int64(st, 6);
		/* The name's flags, stored with it (row_flags): not parsed again. */
		fl = sqlite3_column_int64(st, 7);
		m->sys = (uint8_t)(fl & 0xff);
		m->kw = (uint32_t)(fl >> 8);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		imsg_free_array(*out, *n);
		*out = NULL;
		*n = 0;
		return idb_fail(db, "messages", errstr);
	}
	return 0;
}

int
idb_sync(struct idb *db, const char *root, const char *dir, int flags,
    struct idb_sync *out, const char **errstr)
{
	struct scan_dir		 d;
	struct idb_folder_row	 r;
	struct uidlist		 imp;
	struct idb_folder	 f0;
	char			*path = idb_path(root, dir);
	int64_t			 n0, c0, n1, c1, rn, rc_, now;
	size_t			 moved = 0;
	int			 created, durable = 0, consistent = 1, saved;

	memset(out, 0, sizeof(*out));
	memset(&imp, 0, sizeof(imp));
	if (scan_dir_open(&d, path, errstr) == -1) {
		saved = errno;
		free(path);
		errno = saved;
		return -1;
	}
	n0 = dir_mtime(d.newfd);
	c0 = dir_mtime(d.curfd);
	if (idb_begin(db, 1, errstr) == -1)
		goto fail;
	if ((created = idb_folder_open(db, path, dir, &r, &imp, errstr)) == -1)
		goto fail;
	f0 = r.f;
	if ((flags & IDB_RESCAN) || created == 2 || r.new_mtime == 0 ||
	    r.new_mtime != n0 || r.cur_mtime != c0) {
		if (sync_scan(db, &d, path, &r, created == 2, &imp,
		    flags & IDB_LOAD, out, &durable, errstr) == -1)
			goto fail;
		out->scanned = 1;
		n1 = dir_mtime(d.newfd);
		c1 = dir_mtime(d.curfd);
		consistent = n1 == n0 && c1 == c0;
	}
	/* One walk of the rows: loaded, then what is in new/ moved in the copy too. */
	if ((flags & IDB_LOAD) && out->msgs == NULL &&
	    load_by_uid(db, r.f.id, &out->msgs, &out->n, errstr) == -1)
		goto fail;
	if ((flags & IDB_TO_CUR) && ((flags & IDB_LOAD) ? loaded_to_cur(db, &d,
	    &r, out->msgs, out->n, &moved, errstr) : sync_to_cur(db, &d, &r,
	    &moved, errstr)) == -1)
		goto fail;
	/*
	 * What the next sync compares with: the mtimes the rows stand for, or
	 * 0 (read again) when the directories changed while being read or
	 * so recently that a change in the same tick would not show.
	 */
	now = now_ns();
	if (!consistent)
		rn = rc_ = 0;
	else if (moved > 0) {
		/* Our own renames; the view that asked for them watches the folder. */
		rn = dir_mtime(d.newfd);
		rc_ = dir_mtime(d.curfd);
	} else if (n0 > now - MTIME_SETTLE_NS || c0 > now - MTIME_SETTLE_NS)
		rn = rc_ = 0;
	else {
		rn = n0;
		rc_ = c0;
	}
	if ((rn != r.new_mtime || rc_ != r.cur_mtime) &&
	    idb_folder_mtimes(db, r.f.id, rn, rc_, errstr) == -1)
		goto fail;
	if ((r.f.uidnext != f0.uidnext || r.f.modseq != f0.modseq) &&
	    idb_folder_update(db, &r.f, errstr) == -1)
		goto fail;
	/* A folder's first index: more pages than a checkpoint should hold up. */
	out->checkpoint = out->added >= IDB_CHECKPOINT_LATER;
	if ((out->checkpoint ? idb_commit_big(db, errstr) :
	    idb_commit(db, errstr)) == -1)
		goto fail;
	keywords_read(path, &out->kw);
	out->f = r.f;
	uidlist_free(&imp);
	scan_dir_close(&d);
	free(path);
	return 0;
fail:
	saved = errno;
	idb_rollback(db);
	uidlist_free(&imp);
	scan_dir_close(&d);
	free(path);
	idb_sync_free(out);
	errno = saved ? saved : EIO;
	return -1;
}

/* ---- incremental ---- */

/* By base, then in the order the events came. */
static int
cmp_event(const void *a, const void *b, void *arg)
{
	const struct idb_event	*ev = arg;
	size_t			 x = *(const size_t *)a, y = *(const size_t *)b;
	const char		*nx = ev[x].name, *ny = ev[y].name;
	int			 c;

	c = cmp_base(nx, base_len(nx), ny, base_len(ny));
	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* New records by the index of their first event (kept in modseq until UIDs are given). */
static int
cmp_first_event(const void *a, const void *b)
{
	const struct imsg	*x = a, *y = b;

	return x->modseq < y->modseq ? -1 : x->modseq > y->modseq;
}

static int
exists_at(const struct scan_dir *d, int sub, const char *name)
{
	return faccessat(subfd(d, sub), name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
idb_events(struct idb *db, const char *root, const char *dir, int flags,
    const struct idb_event *ev, size_t n, struct idb_delta *delta,
    const char **errstr)
{
	struct scan_dir		 d;
	struct idb_folder_row	 r;
	struct uidlist		 imp;
	char			*path = idb_path(root, dir);
	size_t			*order = NULL, g, h, k, nnew = 0;
	struct imsg		*nw = NULL, m;
	uint64_t		 newmod;
	int			 touched = 0, saved, found;
	char			 moved[MAILDIR_NAME_MAX + 1];
	const char		*merr;

	memset(delta, 0, sizeof(*delta));
	memset(&imp, 0, sizeof(imp));
	if (scan_dir_open(&d, path, errstr) == -1) {
		saved = errno;
		free(path);
		errno = saved;
		return -1;
	}
	if (idb_begin(db, 1, errstr) == -1)
		goto fail;
	if (idb_folder_open(db, path, dir, &r, &imp, errstr) == -1)
		goto fail;
	newmod = r.f.modseq + 1;
	order = xcalloc(n + 1, sizeof(*order));
	for (k = 0; k < n; k++)
		order[k] = k;
	qsort_r(order, n, sizeof(*order), cmp_event, (void *)ev);
	nw = xcalloc(n + 1, sizeof(*nw));
	for (g = 0; g < n; g = h) {
		const struct idb_event	*last = NULL;
		const char		*bn = ev[order[g]].name;
		size_t			 bl = base_len(bn);

		for (h = g; h < n && cmp_base(bn, bl, ev[order[h]].name,
		    base_len(ev[order[h]].name)) == 0; h++)
			;
		/* The newest appearance that is still there is where it is now. */
		for (k = h; k > g; k--) {
			const struct idb_event	*e = &ev[order[k - 1]];

			if (!e->gone && exists_at(&d, e->sub, e->name)) {
				last = e;
				break;
			}
		}
		if ((found = idb_msg_by_base(db, r.f.id, bn, bl, &m,
		    errstr)) == -1)
			goto fail;
		if (last != NULL && found && (flags & IDB_TO_CUR) &&
		    last->sub == SCAN_NEW && scan_to_cur(&d, last->name, moved,
		    sizeof(moved), &merr) == 0) {
			/* SELECT of a folder whose new/ still held it: no flag changes. */
			free(m.name);
			m.name = xstrdup(moved);
			m.sub = SCAN_CUR;
			idb_name_flags(m.name, &m.sys, &m.kw);
			if (idb_msg_rename(db, r.f.id, &m, errstr) == -1) {
				free(m.name);
				goto fail;
			}
			idb_delta_changed(delta, &m);
			free(m.name);
		} else if (last != NULL && found) {
			if (strcmp(m.name, last->name) != 0 || m.sub != last->sub) {
				uint8_t		 osys = m.sys;
				uint32_t	 okw = m.kw;

				free(m.name);
				m.name = xstrdup(last->name);
				m.sub = last->sub;
				idb_name_flags(m.name, &m.sys, &m.kw);
				if (m.sys != osys || m.kw != okw) {
					m.modseq = newmod;
					touched = 1;
				}
				if (idb_msg_rename(db, r.f.id, &m, errstr) == -1) {
					free(m.name);
					goto fail;
				}
				idb_delta_changed(delta, &m);
			}
			free(m.name);
		} else if (last != NULL) {
			if (new_record(&d, last->name, last->sub,
			    &nw[nnew]) == 0) {
				nw[nnew].name = xstrdup(last->name);
				/* The order inotify saw them in: the order of arrival. */
				nw[nnew].modseq = order[g];
				nnew++;
			}
		} else if (found) {
			if (!exists_at(&d, m.sub, m.name)) {
				if (idb_msg_expunge(db, r.f.id, m.uid, newmod,
				    errstr) == -1) {
					free(m.name);
					goto fail;
				}
				idb_delta_expunged(delta, m.uid);
				touched = 1;
			}
			free(m.name);
		}
	}
	if (nnew > 1)
		qsort(nw, nnew, sizeof(*nw), cmp_first_event);
	for (k = 0; k < nnew; k++) {
		if (r.f.uidnext == UINT32_MAX) {
			*errstr = "UIDs exhausted";
			goto fail;
		}
		nw[k].uid = r.f.uidnext++;
		nw[k].modseq = newmod;
		if ((flags & IDB_TO_CUR) && nw[k].sub == SCAN_NEW &&
		    scan_to_cur(&d, nw[k].name, moved, sizeof(moved), &merr) == 0) {
			free(nw[k].name);
			nw[k].name = xstrdup(moved);
			nw[k].sub = SCAN_CUR;
			idb_name_flags(nw[k].name, &nw[k].sys, &nw[k].kw);
		}
		if (idb_msg_insert(db, r.f.id, nw[k].name, base_len(nw[k].name),
		    &nw[k], errstr) == -1)
			goto fail;
		idb_delta_added(delta, &nw[k]);
		touched = 1;
	}
	if (idb_uidlist_add(db, path, &r, nw, nnew, errstr) == -1)
		goto fail;
	if (touched)
		r.f.modseq = newmod;
	if (idb_folder_update(db, &r.f, errstr) == -1 ||
	    idb_commit(db, errstr) == -1)
		goto fail;
	if (delta->nexpunged > 1)
		qsort(delta->expunged, delta->nexpunged, sizeof(uint32_t),
		    cmp_u32);
	if (delta->nchanged > 1)
		qsort(delta->changed, delta->nchanged, sizeof(struct imsg),
		    cmp_uid);
	delta->modseq = r.f.modseq;
	delta->uidnext = r.f.uidnext;
	delta->uidvalidity = r.f.uidvalidity;
	/* Another program may have named keywords. */
	keywords_read(path, &delta->kw);
	delta->kw_changed = 1;
	imsg_free_array(nw, nnew);
	free(order);
	uidlist_free(&imp);
	scan_dir_close(&d);
	free(path);
	return 0;
fail:
	saved = errno;
	idb_rollback(db);
	imsg_free_array(nw, nnew);
	free(order);
	uidlist_free(&imp);
	scan_dir_close(&d);
	free(path);
	idb_delta_free(delta);
	errno = saved ? saved : EIO;
	return -1;
}

int
idb_add(struct idb *db, const char *root, const char *dir, char *const *names,
    size_t n, struct idb_delta *delta, const char **errstr)
{
	struct idb_event	*ev;
	struct idb_folder	 f;
	struct imsg		 m;
	size_t			 i;
	int			 rc;

	ev = xcalloc(n + 1, sizeof(*ev));
	for (i = 0; i < n; i++) {
		ev[i].name = names[i];
		/* APPEND with flags writes into cur/, without into new/. */
		ev[i].sub = strchr(names[i], ':') != NULL ? SCAN_CUR : SCAN_NEW;
	}
	rc = idb_events(db, root, dir, 0, ev, n, delta, errstr);
	free(ev);
	if (rc == -1)
		return -1;
	if (idb_folder_get(db, dir, &f, errstr) != 1)
		return -1;
	for (i = 0; i < n; i++) {
		/* Already known when inotify's job came first. */
		rc = idb_msg_by_base(db, f.id, names[i], base_len(names[i]), &m,
		    errstr);
		if (rc == -1)
			return -1;
		idb_delta_uid(delta, rc == 1 ? m.uid : 0);
		if (rc == 1)
			free(m.name);
	}
	return 0;
}
