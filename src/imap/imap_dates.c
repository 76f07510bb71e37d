/* Internal dates found the first time a command needs them, not at the first SELECT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/*
 * A folder indexed for the first time leaves its messages undated
 * (idb_sync): a stat of each of 100,000 files is most of that SELECT's
 * time, and few commands need the dates. Those that do wait here once
 * for a job that finds them and writes them to the index.
 */

static int
keys_need_dates(const struct imap_search_key *k)
{
	for (; k != NULL; k = k->next)
		switch (k->op) {
		case IMAP_SK_BEFORE:
		case IMAP_SK_ON:
		case IMAP_SK_SINCE:
		case IMAP_SK_YOUNGER:
		case IMAP_SK_OLDER:
			return 1;
		case IMAP_SK_NOT:
		case IMAP_SK_AND:
		case IMAP_SK_OR:
			/* NOT's key, AND's list, OR's two: sub and what follows it. */
			if (keys_need_dates(k->u.sub))
				return 1;
			break;
		default:
			break;
		}
	return 0;
}

int
imap_cmd_needs_dates(const struct imap_request *req)
{
	size_t	 i;

	switch (req->id) {
	case IMAP_CMD_FETCH:
		return (req->u.fetch.items & IMAP_FETCH_INTERNALDATE) != 0;
	case IMAP_CMD_SEARCH:
		return keys_need_dates(req->u.search.keys);
	case IMAP_CMD_SORT:
		/* DATE falls back to the internal date (RFC 5256 2.2). */
		for (i = 0; i < req->u.sort.ncrit; i++)
			if (req->u.sort.crit[i].key == IMAP_SORT_ARRIVAL ||
			    req->u.sort.crit[i].key == IMAP_SORT_DATE)
				return 1;
		return keys_need_dates(req->u.sort.search.keys);
	case IMAP_CMD_THREAD:
		/* Threads are ordered by sent date, else the internal date. */
		return 1;
	case IMAP_CMD_COPY:
	case IMAP_CMD_MOVE:
		/* The copy keeps the date. */
		return 1;
	default:
		return 0;
	}
}

struct dates_job {
	struct imap_session	*s;
	struct imap_view	*v;
	imap_cmd_fn		 then;
	char			*root, *dir;
	int64_t			 folder;
	struct idb_date		*d;
	size_t			 n;
	int			 rc;
	char			 err[256];
};

static void
dates_work(struct idb *db, void *arg)
{
	struct dates_job	*j = arg;
	const char		*e = NULL;

	if (db == NULL) {
		j->rc = -1;
		snprintf(j->err, sizeof(j->err), "no index");
		return;
	}
	if ((j->rc = idb_dates(db, j->root, j->dir, j->folder, j->d, j->n,
	    &e)) == -1)
		snprintf(j->err, sizeof(j->err), "%s", e ? e : "failed");
}

static void
dates_done(void *arg)
{
	struct dates_job	*j = arg;
	struct imap_view	*v = j->v;
	struct imap_session	*s = j->s;
	imap_cmd_fn		 then = j->then;
	ssize_t			 x;
	size_t			 i;

	/* The dates hold in memory even if the index could not take them. */
	for (i = 0; i < j->n; i++)
		if ((x = imap_view_find_uid(v, j->d[i].uid)) != -1 &&
		    v->msgs[x].idate == IDB_UNDATED)
			v->msgs[x].idate = j->d[i].idate;
	if (j->rc == -1)
		log_msg(LOG_WARNING, "imap root=%s folder=%s: internal dates not"
		    " kept in the index: %s", j->root, j->dir[0] ? j->dir :
		    "INBOX", j->err);
	for (i = 0; i < j->n; i++)
		free(j->d[i].name);
	free(j->d);
	free(j->root);
	free(j->dir);
	free(j);
	imap_view_unref(v);
	if (imap_session_release(s))
		return;
	imap_run_dated(s, then);
}

void
imap_run_dated(struct imap_session *s, imap_cmd_fn then)
{
	struct imap_view	*v = s->view;
	struct dates_job	*j;
	size_t			 i, n = 0;

	if (v != NULL && v->loaded && !v->dated) {
		for (i = 0; i < v->n; i++)
			if (v->msgs[i].idate == IDB_UNDATED)
				n++;
		v->dated = n == 0;
	}
	if (v == NULL || !v->loaded || v->dated) {
		then(s, s->req);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->v = v;
	j->then = then;
	j->root = xstrdup(v->user->root);
	j->dir = xstrdup(v->dir);
	j->folder = v->folder_id;
	j->d = xcalloc(n, sizeof(*j->d));
	for (i = 0; i < v->n; i++)
		if (v->msgs[i].idate == IDB_UNDATED) {
			j->d[j->n].uid = v->msgs[i].uid;
			j->d[j->n].sub = v->msgs[i].sub;
			j->d[j->n].name = xstrdup(v->msgs[i].name);
			j->n++;
		}
	imap_view_ref(v);
	imap_session_hold(s);
	imap_job(v->user, dates_work, dates_done, j);
}
