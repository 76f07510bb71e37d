/* Shared views of a folder: one message list per (user, folder) for every session that selects it, kept current by jobs and inotify. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "store/folder.h"
#include "store/scan.h"

/*
 * A view is what the index says of a folder, in memory, once for all the
 * sessions of the process that selected it: 100,000 messages cost about
 * 12 MB once, and an idle session nothing but its own few numbers (what
 * it was told: the highest UID, the MODSEQ of the last flags, expunges
 * not yet told).
 *
 * Every change reaches a view through a job's delta (imap_view_apply),
 * in the order the user's jobs ran, so the view is always the index as of
 * the last job done. inotify events are held while a job of the user
 * runs and given to the next job only after that, filtered against the
 * view: the renames and unlinks the engine made itself are then already
 * there and cost nothing.
 */

static size_t
base_len(const char *name)
{
	return strcspn(name, ":");
}

static uint32_t
hash_base(const char *s, size_t len)
{
	uint32_t	 h = 2166136261u;

	while (len-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static void
hash_insert(struct imap_view *v, size_t idx)
{
	const char	*name = v->msgs[idx].name;
	size_t		 mask = v->hashcap - 1, i;

	i = hash_base(name, base_len(name)) & mask;
	while (v->hash[i] != 0)
		i = (i + 1) & mask;
	v->hash[i] = (uint32_t)idx + 1;
}

static void
hash_build(struct imap_view *v)
{
	size_t	 cap = 64, i;

	while (cap < v->n * 2 + 2)
		cap *= 2;
	if (cap != v->hashcap) {
		free(v->hash);
		v->hash = xcalloc(cap, sizeof(*v->hash));
		v->hashcap = cap;
	} else
		memset(v->hash, 0, cap * sizeof(*v->hash));
	for (i = 0; i < v->n; i++)
		hash_insert(v, i);
	v->hash_ok = 1;
}

/*
 * Only inotify events need the hash: SELECT of a big folder does not pay
 * for it, the first event after does.
 */
static void
hash_rebuild(struct imap_view *v)
{
	v->hash_ok = 0;
}

/* The index of the message with the base of name, or -1. */
static ssize_t
find_base(struct imap_view *v, const char *name)
{
	size_t	 bl = base_len(name), mask, i;

	if (!v->hash_ok)
		hash_build(v);
	mask = v->hashcap - 1;
	for (i = hash_base(name, bl) & mask; v->hash[i] != 0; i = (i + 1) & mask) {
		const char	*m = v->msgs[v->hash[i] - 1].name;

		if (base_len(m) == bl && memcmp(m, name, bl) == 0)
			return (ssize_t)v->hash[i] - 1;
	}
	return -1;
}

ssize_t
imap_view_find_uid(const struct imap_view *v, uint32_t uid)
{
	size_t	 lo = 0, hi = v->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v->msgs[mid].uid == uid)
			return (ssize_t)mid;
		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

size_t
imap_view_upper(const struct imap_view *v, uint32_t uid)
{
	size_t	 lo = 0, hi = v->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v->msgs[mid].uid <= uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct imap_view *
imap_view_find(struct imap_user *u, const char *dir)
{
	struct imap_view	*v;

	TAILQ_FOREACH(v, &u->views, entry)
		if (strcmp(v->dir, dir) == 0 && !v->gone)
			return v;
	return NULL;
}

/* One more reference; a lingering view is taken back as it was left. */
void
imap_view_ref(struct imap_view *v)
{
	if (v->lingering) {
		evtimer_del(v->linger);
		v->lingering = 0;
	}
	v->expired = 0;
	v->refs++;
}

size_t
imap_view_kwnames(const struct imap_view *v, const char **names, uint32_t *bits)
{
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < KEYWORDS_MAX; i++)
		if (v->kw.name[i] != NULL) {
			names[n] = v->kw.name[i];
			if (bits != NULL)
				bits[n] = 1U << i;
			n++;
		}
	return n;
}

/* ---- the first sync ---- */

struct load_job {
	struct imap_view	*v;
	char			*root, *dir;
	int			 flags;
	struct idb_sync		 s;
	int			 rc;
	char			 err[256];
};

static void
load_work(struct idb *db, void *arg)
{
	struct load_job	*j = arg;
	const char	*e = NULL;

	if (db == NULL) {
		j->rc = -1;
		snprintf(j->err, sizeof(j->err), "%s", j->v->user->db_error ?
		    j->v->user->db_error : "no index");
		return;
	}
	if ((j->rc = idb_sync(db, j->root, j->dir, j->flags | IDB_LOAD, &j->s,
	    &e)) == -1)
		snprintf(j->err, sizeof(j->err), "%s", e ? e : "sync failed");
}

static void
checkpoint_work(struct idb *db, void *arg)
{
	if (db != NULL)
		idb_checkpoint(db);
}

static void
checkpoint_done(void *arg)
{
}

static void
load_done(void *arg)
{
	struct load_job		*j = arg;
	struct imap_view	*v = j->v;
	struct imap_session	*s;

	if (j->rc == 0) {
		v->msgs = j->s.msgs;
		v->n = v->cap = j->s.n;
		j->s.msgs = NULL;
		j->s.n = 0;
		v->kw = j->s.kw;
		memset(&j->s.kw, 0, sizeof(j->s.kw));
		v->folder_id = j->s.f.id;
		v->uidvalidity = j->s.f.uidvalidity;
		v->uidnext = j->s.f.uidnext;
		v->modseq = j->s.f.modseq;
		v->recent = j->s.f.recent;
		hash_rebuild(v);
		v->loaded = 1;
		/* After the SELECT's answer, not before it. */
		if (j->s.checkpoint)
			imap_job(v->user, checkpoint_work, checkpoint_done,
			    NULL);
	} else {
		v->failed = 1;
		v->error = xstrdup(j->err);
		log_msg(LOG_WARNING, "imap root=%s folder=%s cannot be read: %s",
		    v->user->root, v->dir[0] ? v->dir : "INBOX", j->err);
	}
	while ((s = TAILQ_FIRST(&v->waiting)) != NULL) {
		TAILQ_REMOVE(&v->waiting, s, ventry);
		s->waiting_view = 0;
		imap_session_view_ready(s);
	}
	idb_sync_free(&j->s);
	free(j->root);
	free(j->dir);
	free(j);
	imap_view_unref(v);
}

struct imap_view *
imap_view_get(struct imap_user *u, const char *dir, const char *name)
{
	struct imap_view	*v;
	struct load_job		*j;
	char			*path;

	if ((v = imap_view_find(u, dir)) != NULL) {
		imap_view_ref(v);
		return v;
	}
	v = xcalloc(1, sizeof(*v));
	v->user = u;
	imap_user_ref(u);
	v->dir = xstrdup(dir);
	v->name = xstrdup(name);
	v->refs = 1;
	v->wd_new = v->wd_cur = -1;
	TAILQ_INIT(&v->sessions);
	TAILQ_INIT(&v->waiting);
	TAILQ_INSERT_TAIL(&u->views, v, entry);
	/* Watches first: nothing that happens after the sync reads the folder is missed. */
	path = idb_path(u->root, dir);
	if (imap_notify_add(v, path) == -1)
		log_msg(LOG_WARNING, "imap root=%s folder=%s: no inotify watch,"
		    " changes by others show at the next SELECT", u->root,
		    dir[0] ? dir : "INBOX");
	free(path);
	j = xcalloc(1, sizeof(*j));
	j->v = v;
	j->root = xstrdup(u->root);
	j->dir = xstrdup(dir);
	v->refs++;
	imap_job(u, load_work, load_done, j);
	return v;
}

/* ---- the last session left ---- */

struct close_job {
	char	*root, *dir;
};

/* A sync with nothing to load records the directories' mtimes: the next SELECT reads no directory. */
static void
close_work(struct idb *db, void *arg)
{
	struct close_job	*j = arg;
	struct idb_sync		 s;
	const char		*e;

	if (db != NULL && idb_sync(db, j->root, j->dir, 0, &s, &e) == 0)
		idb_sync_free(&s);
}

static void
close_done(void *arg)
{
	struct close_job	*j = arg;

	free(j->root);
	free(j->dir);
	free(j);
}

static void
view_free(struct imap_view *v, int record)
{
	struct imap_user	*u = v->user;
	struct close_job	*j;

	imap_notify_remove(v);
	TAILQ_REMOVE(&u->views, v, entry);
	if (record && v->loaded && !v->gone) {
		j = xcalloc(1, sizeof(*j));
		j->root = xstrdup(u->root);
		j->dir = xstrdup(v->dir);
		imap_job(u, close_work, close_done, j);
	}
	if (v->linger != NULL)
		event_free(v->linger);
	imsg_free_array(v->msgs, v->n);
	for (size_t i = 0; i < v->nev; i++)
		free(v->ev[i].name);
	free(v->ev);
	free(v->hash);
	keywords_free(&v->kw);
	free(v->error);
	free(v->name);
	free(v->dir);
	free(v);
	imap_user_unref(u);
}

static void
linger_end(evutil_socket_t fd, short ev, void *arg)
{
	struct imap_view	*v = arg;

	(void)fd;
	(void)ev;
	v->lingering = 0;
	/* An inotify job still holds it: freed when that job lets go. */
	if (v->refs > 0) {
		v->expired = 1;
		return;
	}
	view_free(v, 1);
}

void
imap_view_unref(struct imap_view *v)
{
	struct timeval	 tv = { VIEW_LINGER_SECS, 0 };

	if (--v->refs > 0)
		return;
	/*
	 * A job for inotify events took it while it lingered: the time it was
	 * given goes on (a folder that keeps receiving mail is not kept for
	 * ever).
	 */
	if (v->lingering)
		return;
	/* Kept for the next SELECT while inotify keeps it current (see VIEW_LINGER_SECS). */
	if (v->loaded && !v->failed && !v->gone && !v->expired) {
		if (v->linger == NULL &&
		    (v->linger = evtimer_new(imap_base(), linger_end, v)) == NULL)
			fatalx("imap: evtimer_new");
		v->lingering = 1;
		evtimer_add(v->linger, &tv);
		return;
	}
	view_free(v, 1);
}

void
imap_view_drop_lingering(struct imap_user *u)
{
	struct imap_view	*v, *next;

	/* A view holds the user: keep it while the list is walked. */
	imap_user_ref(u);
	for (v = TAILQ_FIRST(&u->views); v != NULL; v = next) {
		next = TAILQ_NEXT(v, entry);
		if (!v->lingering)
			continue;
		evtimer_del(v->linger);
		v->lingering = 0;
		if (v->refs > 0) {
			/* A job holds it: no SELECT finds it, the job frees it. */
			v->gone = 1;
			continue;
		}
		/* Its rows are of the replaced index: nothing to record there. */
		view_free(v, 0);
	}
	imap_user_unref(u);
}

/* ---- changes ---- */

/* Adds uid to the session's expunges not yet told (kept ascending). */
static void
pend_add(struct imap_session *s, uint32_t uid)
{
	size_t	 i;

	if (s->npend == s->pendcap) {
		s->pendcap = s->pendcap ? s->pendcap * 2 : 16;
		s->pend = xreallocarray(s->pend, s->pendcap, sizeof(*s->pend));
	}
	i = s->npend;
	while (i > 0 && s->pend[i - 1] > uid) {
		s->pend[i] = s->pend[i - 1];
		i--;
	}
	s->pend[i] = uid;
	s->npend++;
}

void
imap_view_apply(struct imap_view *v, struct idb_delta *d,
    struct imap_session *from)
{
	struct imap_session	*s;
	size_t			 i, o;
	ssize_t			 k;
	int			 removed = 0;

	for (i = 0; i < d->nexpunged; i++) {
		if ((k = imap_view_find_uid(v, d->expunged[i])) == -1)
			continue;
		x_free(&v->msgs[k].name);
		v->msgs[k].uid = 0;
		removed = 1;
		TAILQ_FOREACH(s, &v->sessions, ventry)
			if (d->expunged[i] <= s->uid_hwm)
				pend_add(s, d->expunged[i]);
	}
	if (removed) {
		for (i = o = 0; i < v->n; i++)
			if (v->msgs[i].uid != 0)
				v->msgs[o++] = v->msgs[i];
		v->n = o;
		hash_rebuild(v);
	}
	for (i = 0; i < d->nchanged; i++) {
		const struct imsg	*c = &d->changed[i];
		struct imsg		*m;

		if ((k = imap_view_find_uid(v, c->uid)) == -1)
			continue;
		m = &v->msgs[k];
		free(m->name);
		m->name = xstrdup(c->name);
		m->sub = c->sub;
		m->sys = c->sys;
		m->kw = c->kw;
		if (c->modseq > m->modseq)
			m->modseq = c->modseq;
	}
	if (d->kw_changed) {
		keywords_free(&v->kw);
		v->kw = d->kw;
		memset(&d->kw, 0, sizeof(d->kw));
		d->kw_changed = 0;
	}
	if (d->modseq > v->modseq)
		v->modseq = d->modseq;
	if (d->uidnext > v->uidnext)
		v->uidnext = d->uidnext;
	(void)from;
	TAILQ_FOREACH(s, &v->sessions, ventry)
		imap_session_changed(s);
}

/* New messages: \Recent goes to the first session that selected the folder read-write. */
static void
give_recent(struct imap_view *v, uint32_t uid)
{
	struct imap_session	*s;

	if (uid < v->recent)
		return;
	TAILQ_FOREACH(s, &v->sessions, ventry) {
		if (s->readonly)
			continue;
		if (s->recent_lo == s->recent_hi)
			s->recent_lo = uid;
		s->recent_hi = uid + 1;
		v->recent = uid + 1;
		return;
	}
}

void
imap_view_add(struct imap_view *v, struct idb_delta *d)
{
	struct imap_session	*s;
	uint64_t		 modseq = d->to_uidnext ? d->to_modseq : d->modseq;
	uint32_t		 uidnext = d->to_uidnext ? d->to_uidnext : d->uidnext;
	size_t			 i;

	for (i = 0; i < d->nadded; i++) {
		const struct imsg	*a = &d->added[i];

		/* Known already: a job that came first (inotify) added it. */
		if (imap_view_find_uid(v, a->uid) != -1 ||
		    (v->n > 0 && a->uid < v->msgs[v->n - 1].uid))
			continue;
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 64;
			v->msgs = xreallocarray(v->msgs, v->cap, sizeof(*v->msgs));
		}
		v->msgs[v->n] = *a;
		v->msgs[v->n].name = xstrdup(a->name);
		if (a->idate == IDB_UNDATED)
			v->dated = 0;
		v->n++;
		if (!v->hash_ok || v->hashcap < v->n * 2 + 2)
			hash_rebuild(v);
		else
			hash_insert(v, v->n - 1);
		give_recent(v, a->uid);
	}
	if (d->to_uidnext && d->kw_changed) {
		keywords_free(&v->kw);
		v->kw = d->kw;
		memset(&d->kw, 0, sizeof(d->kw));
		d->kw_changed = 0;
	}
	if (modseq > v->modseq)
		v->modseq = modseq;
	if (uidnext > v->uidnext)
		v->uidnext = uidnext;
	TAILQ_FOREACH(s, &v->sessions, ventry)
		imap_session_changed(s);
}

/* ---- inotify events ---- */

struct ev_job {
	struct imap_view	*v;
	char			*root, *dir;
	struct idb_event	*ev;
	size_t			 n;
	int			 flags;
	int			 rescan;
	struct idb_delta	 d;
	struct idb_sync		 s;
	int			 rc, err;
};

static void
ev_work(struct idb *db, void *arg)
{
	struct ev_job	*j = arg;
	const char	*e;

	if (db == NULL) {
		j->rc = -1;
		j->err = EIO;
		return;
	}
	if (j->rescan)
		j->rc = idb_sync(db, j->root, j->dir, j->flags | IDB_LOAD |
		    IDB_RESCAN, &j->s, &e);
	else
		j->rc = idb_events(db, j->root, j->dir, j->flags, j->ev, j->n,
		    &j->d, &e);
	j->err = j->rc == -1 ? errno : 0;
}

/* A full reload after lost events: the difference with the view as a delta. */
static void
reload_delta(struct imap_view *v, struct idb_sync *s, struct idb_delta *d)
{
	size_t	 i = 0, j = 0;

	memset(d, 0, sizeof(*d));
	while (i < v->n || j < s->n) {
		if (j >= s->n || (i < v->n && v->msgs[i].uid < s->msgs[j].uid)) {
			idb_delta_expunged(d, v->msgs[i].uid);
			i++;
		} else if (i >= v->n || s->msgs[j].uid < v->msgs[i].uid) {
			idb_delta_added(d, &s->msgs[j]);
			j++;
		} else {
			if (strcmp(v->msgs[i].name, s->msgs[j].name) != 0 ||
			    v->msgs[i].modseq != s->msgs[j].modseq)
				idb_delta_changed(d, &s->msgs[j]);
			i++;
			j++;
		}
	}
	d->modseq = s->f.modseq;
	d->uidnext = s->f.uidnext;
	d->kw = s->kw;
	memset(&s->kw, 0, sizeof(s->kw));
	d->kw_changed = 1;
}

static void
ev_done(void *arg)
{
	struct ev_job		*j = arg;
	struct imap_view	*v = j->v;
	struct imap_session	*s, *next;
	size_t			 i;

	v->ev_job = 0;
	if (j->rc == 0 && j->rescan) {
		reload_delta(v, &j->s, &j->d);
		idb_sync_free(&j->s);
	}
	if (j->rc == 0 && !v->gone) {
		imap_view_apply(v, &j->d, NULL);
		imap_view_add(v, &j->d);
	} else if (j->rc == -1 && j->err == ENOENT && !v->gone) {
		/* Another program removed the folder under its sessions. */
		v->gone = 1;
		for (s = TAILQ_FIRST(&v->sessions); s != NULL; s = next) {
			next = TAILQ_NEXT(s, ventry);
			imap_session_close(s, "Selected mailbox was deleted");
		}
	}
	idb_delta_free(&j->d);
	for (i = 0; i < j->n; i++)
		free(j->ev[i].name);
	free(j->ev);
	free(j->root);
	free(j->dir);
	free(j);
	imap_view_unref(v);
}

/* 1 when the view already is what the event says: our own rename or unlink. */
static int
event_known(struct imap_view *v, const struct idb_event *e)
{
	ssize_t	 k = find_base(v, e->name);

	if (e->gone)
		return k == -1 || strcmp(v->msgs[k].name, e->name) != 0 ||
		    v->msgs[k].sub != e->sub;
	return k != -1 && strcmp(v->msgs[k].name, e->name) == 0 &&
	    v->msgs[k].sub == e->sub;
}

static void
flush_view(struct imap_view *v)
{
	struct ev_job	*j;
	size_t		 i, o;

	if (v->ev_job || !v->loaded || v->gone || (v->nev == 0 && !v->overflow))
		return;
	if (!v->overflow) {
		for (i = o = 0; i < v->nev; i++) {
			if (event_known(v, &v->ev[i]))
				free(v->ev[i].name);
			else
				v->ev[o++] = v->ev[i];
		}
		v->nev = o;
		if (o == 0)
			return;
	}
	j = xcalloc(1, sizeof(*j));
	j->v = v;
	j->root = xstrdup(v->user->root);
	j->dir = xstrdup(v->dir);
	j->flags = v->rw > 0 ? IDB_TO_CUR : 0;
	j->rescan = v->overflow;
	v->overflow = 0;
	j->ev = v->ev;
	j->n = v->nev;
	v->ev = NULL;
	v->nev = v->evcap = 0;
	v->ev_job = 1;
	v->refs++;
	imap_job(v->user, ev_work, ev_done, j);
}

void
imap_view_flush_events(struct imap_user *u)
{
	struct imap_view	*v;

	if (u->running)
		return;
	TAILQ_FOREACH(v, &u->views, entry)
		flush_view(v);
}

/* Events beyond this many waiting are one rescan. */
#define VIEW_EVENTS_MAX	(256 * 1024)

void
imap_view_event(struct imap_view *v, const char *name, int sub, int gone)
{
	struct maildir_name	 mn;

	if (name[0] == '.' || maildir_name_parse(name, strlen(name), &mn) == -1)
		return;
	if (v->nev >= VIEW_EVENTS_MAX) {
		imap_view_overflow(v);
		return;
	}
	if (v->nev == v->evcap) {
		v->evcap = v->evcap ? v->evcap * 2 : 16;
		v->ev = xreallocarray(v->ev, v->evcap, sizeof(*v->ev));
	}
	v->ev[v->nev].name = xstrdup(name);
	v->ev[v->nev].sub = (uint8_t)sub;
	v->ev[v->nev].gone = (uint8_t)gone;
	v->nev++;
	/*
	 * Not flushed here: a rename is two events, and the first alone
	 * (the old name gone) would expunge the message that the second
	 * shows under its new name. imap_notify_poll flushes once it has
	 * read every event waiting.
	 */
}

void
imap_view_flush(struct imap_view *v)
{
	if (!v->user->running)
		flush_view(v);
}

void
imap_view_overflow(struct imap_view *v)
{
	size_t	 i;

	for (i = 0; i < v->nev; i++)
		free(v->ev[i].name);
	v->nev = 0;
	v->overflow = 1;
	if (!v->user->running)
		flush_view(v);
}

/* SELECT (not EXAMINE) of a view that still has messages in new/: they go to cur/. */
void
imap_view_to_cur(struct imap_view *v)
{
	size_t	 i;

	for (i = 0; i < v->n; i++)
		if (v->msgs[i].sub == SCAN_NEW) {
			if (v->nev == v->evcap) {
				v->evcap = v->evcap ? v->evcap * 2 : 16;
				v->ev = xreallocarray(v->ev, v->evcap,
				    sizeof(*v->ev));
			}
			v->ev[v->nev].name = xstrdup(v->msgs[i].name);
			v->ev[v->nev].sub = SCAN_NEW;
			v->ev[v->nev].gone = 0;
			v->nev++;
		}
	/* These events are known to the view: flush without the filter. */
	if (v->nev > 0 && !v->ev_job && v->loaded) {
		struct ev_job	*j = xcalloc(1, sizeof(*j));

		j->v = v;
		j->root = xstrdup(v->user->root);
		j->dir = xstrdup(v->dir);
		j->flags = IDB_TO_CUR;
		j->ev = v->ev;
		j->n = v->nev;
		v->ev = NULL;
		v->nev = v->evcap = 0;
		v->ev_job = 1;
		v->refs++;
		imap_job(v->user, ev_work, ev_done, j);
	}
}

void
imap_view_gone(struct imap_user *u, const char *dir, int children)
{
	struct imap_view	*v;
	struct imap_session	*s, *next;
	size_t			 dl = strlen(dir);

	TAILQ_FOREACH(v, &u->views, entry) {
		if (v->gone)
			continue;
		if (strcmp(v->dir, dir) != 0 && !(children &&
		    strncmp(v->dir, dir, dl) == 0 && v->dir[dl] == '.'))
			continue;
		v->gone = 1;
		for (s = TAILQ_FIRST(&v->sessions); s != NULL; s = next) {
			next = TAILQ_NEXT(s, ventry);
			imap_session_close(s, "Selected mailbox was deleted,"
			    " have to disconnect");
		}
	}
}

/* RENAME by a session of this process: views follow their folders. */
void
imap_view_renamed(struct imap_user *u, const char *from, const char *to)
{
	struct imap_view	*v;
	size_t			 fl = strlen(from);
	char			*nd, name[FOLDER_NAME_MAX + 1];
	const char		*e;

	TAILQ_FOREACH(v, &u->views, entry) {
		if (v->gone)
			continue;
		if (strcmp(v->dir, from) == 0)
			nd = xstrdup(to);
		else if (strncmp(v->dir, from, fl) == 0 && v->dir[fl] == '.')
			nd = xasprintf("%s%s", to, v->dir + fl);
		else
			continue;
		if (folder_name(nd, name, sizeof(name), &e) == -1) {
			free(nd);
			continue;
		}
		free(v->dir);
		free(v->name);
		v->dir = nd;
		v->name = xstrdup(name);
	}
}
