/* FETCH and UID FETCH (CHANGEDSINCE, VANISHED): made in steps as the client reads, \Seen set first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imap/imap_fetch.h"
#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "net/conn.h"

/*
 * Items the view holds (FLAGS, UID, MODSEQ, INTERNALDATE, a known
 * RFC822.SIZE) are written on the loop, IMAP_FETCH_STEP_MSGS messages at a
 * time; the rest on a worker (imap_fetch.c), one step of about
 * IMAP_FETCH_STEP octets per job. Either way the next step waits until
 * the client has read the output down to the connection's low mark (a
 * worker's step: to one step, so that the next is made while the client
 * reads): a client that never reads a FETCH 1:* costs a step or two, not
 * the mailbox.
 */
#define BATCH_MSGS	256
#define LOW_MARK	(16 * 1024)

struct fetch_cmd {
	struct imap_cmd		 cmd;
	struct imap_smsg	*m;
	size_t			 n, next;
	struct fetch_spec	 spec;
	struct fetch_state	*st;
	int			 worker;
	int			 gone;
	int			 uid;
	uint32_t		*seen;		/* \Seen set by this FETCH */
	size_t			 nseen;
	uint32_t		*vanished;
	size_t			 nvanished;
};

static void	fetch_next(struct imap_session *);

static void
fetch_cmd_free(struct imap_session *s, struct imap_cmd *c)
{
	struct fetch_cmd	*f = (struct fetch_cmd *)c;

	fetch_free(&f->st);
	free(f->m);
	free(f->seen);
	free(f->vanished);
	free(f);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
seen_now(const struct fetch_cmd *f, uint32_t uid)
{
	return f->nseen > 0 && bsearch(&uid, f->seen, f->nseen, sizeof(uid),
	    cmp_u32) != NULL;
}

static void
finish(struct imap_session *s)
{
	struct fetch_cmd	*f = (struct fetch_cmd *)s->cmd;

	if (f->gone && !f->uid)
		imap_complete(s, IMAP_NO, IMAP_CODE_EXPUNGEISSUED,
		    "Some of the requested messages no longer exist");
	else
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Fetch completed");
}

/* Output waits for the client: go on when it is read down to mark. */
static int
throttled_at(struct imap_session *s, size_t mark)
{
	if (s->conn == NULL || conn_output_len(s->conn) <= mark)
		return 0;
	conn_notify_output(s->conn, mark);
	return 1;
}

static int
throttled(struct imap_session *s)
{
	return throttled_at(s, LOW_MARK);
}

static void
fetch_resume(struct imap_session *s, struct imap_cmd *c)
{
	fetch_next(s);
}

/* ---- from the view ---- */

static void
memory_step(struct imap_session *s)
{
	struct fetch_cmd	*f = (struct fetch_cmd *)s->cmd;
	struct imap_view	*v = s->view;
	struct buf		*b = &s->out;
	size_t			 k;
	ssize_t			 x;
	struct tm		 tm;
	time_t			 t;

	buf_reset(b);
	for (k = 0; f->next < f->n && k < IMAP_FETCH_STEP_MSGS; f->next++, k++) {
		const struct imap_smsg	*sm = &f->m[f->next];
		const struct imsg	*m;
		int			 sp = 0;

		if (sm->vidx < 0 || (x = imap_view_find_uid(v, sm->uid)) == -1) {
			f->gone = 1;
			continue;
		}
		m = &v->msgs[x];
		buf_addf(b, "* %u FETCH (", sm->seq);
		if (f->spec.items & IMAP_FETCH_UID) {
			buf_addf(b, "UID %u", m->uid);
			sp = 1;
		}
		if ((f->spec.items & IMAP_FETCH_FLAGS) || seen_now(f, m->uid)) {
			buf_adds(b, sp ? " FLAGS " : "FLAGS ");
			imap_write_msg_flags(s, b, m);
			sp = 1;
		}
		if (f->spec.items & IMAP_FETCH_INTERNALDATE) {
			buf_adds(b, sp ? " INTERNALDATE " : "INTERNALDATE ");
			t = (time_t)m->idate;
			localtime_r(&t, &tm);
			imap_write_datetime(b, t, (int)(tm.tm_gmtoff / 60));
			sp = 1;
		}
		if (f->spec.items & IMAP_FETCH_RFC822_SIZE) {
			buf_addf(b, "%sRFC822.SIZE %llu", sp ? " " : "",
			    (unsigned long long)m->vsize);
			sp = 1;
		}
		if (f->spec.modseq || (f->spec.items & IMAP_FETCH_MODSEQ))
			buf_addf(b, "%sMODSEQ (%llu)", sp ? " " : "",
			    (unsigned long long)m->modseq);
		buf_adds(b, ")\r\n");
	}
	imap_send(s, b);
	if (s->out.cap > 256 * 1024) {
		buf_free(&s->out);
		buf_init(&s->out, 0);
	}
}

/* ---- on a worker ---- */

struct step_job {
	struct imap_session	*s;
	struct fetch_state	*st;
	struct buf		 out;
	enum fetch_rc		 rc;
	enum imap_code		 code;
	char			 err[256];
};

static void
step_work(struct idb *db, void *arg)
{
	struct step_job	*j = arg;
	const char	*e = NULL;

	buf_init(&j->out, 0);
	if (db != NULL && idb_read_begin(db, &e) == -1)
		db = NULL;	/* files only: the cache is a cache */
	j->rc = fetch_step(j->st, db, &j->out, IMAP_FETCH_STEP, &j->code, &e);
	if (db != NULL)
		idb_read_end(db);
	if (j->rc == FETCH_ERROR)
		snprintf(j->err, sizeof(j->err), "%s", e ? e : "Fetch failed");
}

/* What the batch learnt goes back to the view: sizes, and files found gone. */
static void
batch_back(struct imap_session *s, struct fetch_cmd *f)
{
	struct fetch_msg	*m;
	size_t			 n, i;
	ssize_t			 x;

	m = fetch_msgs(f->st, &n);
	for (i = 0; i < n; i++) {
		if (m[i].gone)
			f->gone = 1;
		if (m[i].new_vsize == 0 || s->view == NULL ||
		    (x = imap_view_find_uid(s->view, m[i].uid)) == -1)
			continue;
		s->view->msgs[x].vsize = m[i].new_vsize;
	}
}

static void
step_done(void *arg)
{
	struct step_job		*j = arg;
	struct imap_session	*s = j->s;
	struct fetch_cmd	*f;

	if (imap_session_release(s)) {
		buf_free(&j->out);
		free(j);
		return;
	}
	f = (struct fetch_cmd *)s->cmd;
	imap_send(s, &j->out);
	buf_free(&j->out);
	if (j->rc == FETCH_ERROR) {
		imap_complete(s, IMAP_NO, j->code, j->err);
		free(j);
		return;
	}
	if (j->rc == FETCH_BATCH_DONE) {
		batch_back(s, f);
		f->worker = 2;	/* a new batch is needed */
	}
	free(j);
	fetch_next(s);
}

/* The next batch from the view as it is now. */
static int
make_batch(struct imap_session *s, struct fetch_cmd *f)
{
	struct imap_view	*v = s->view;
	struct fetch_msg	*b;
	size_t			 k = 0;
	ssize_t			 x;

	if (f->next >= f->n || v == NULL)
		return 0;
	b = xcalloc(BATCH_MSGS, sizeof(*b));
	while (f->next < f->n && k < BATCH_MSGS) {
		const struct imap_smsg	*sm = &f->m[f->next++];
		const struct imsg	*m;

		if (sm->vidx < 0 || (x = imap_view_find_uid(v, sm->uid)) == -1) {
			f->gone = 1;
			continue;
		}
		m = &v->msgs[x];
		b[k].seq = sm->seq;
		b[k].uid = m->uid;
		b[k].sys = m->sys;
		b[k].sub = m->sub;
		b[k].kw = m->kw;
		b[k].modseq = m->modseq;
		b[k].vsize = m->vsize;
		b[k].idate = m->idate;
		b[k].recent = (uint8_t)imap_is_recent(s, m->uid);
		b[k].add_flags = (uint8_t)seen_now(f, m->uid);
		b[k].name = xstrdup(m->name);
		k++;
	}
	fetch_batch(f->st, b, k, &v->kw);
	return 1;
}

static void
fetch_next(struct imap_session *s)
{
	struct fetch_cmd	*f = (struct fetch_cmd *)s->cmd;
	struct step_job		*j;

	if (s->closing || s->conn == NULL)
		return;
	/*
	 * A worker's step is made while the client reads the one before
	 * (one step ahead, not more): neither waits for the other.
	 */
	if (f->worker ? throttled_at(s, IMAP_FETCH_STEP) : throttled(s))
		return;
	if (!f->worker) {
		memory_step(s);
		if (f->next < f->n) {
			if (!throttled(s))
				fetch_next(s);
			return;
		}
		finish(s);
		return;
	}
	if (f->worker == 2) {
		if (!make_batch(s, f)) {
			finish(s);
			return;
		}
		f->worker = 1;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->st = f->st;
	imap_session_hold(s);
	imap_job(s->user, step_work, step_done, j);
}

/* ---- \Seen first ---- */

struct seen_job {
	struct imap_session	*s;
	struct imap_view	*v;
	char			*root, *dir;
	struct idb_store	 st;
	uint32_t		*uids;
	struct idb_delta	 d;
	int			 rc;
};

static void
seen_work(struct idb *db, void *arg)
{
	struct seen_job	*j = arg;
	const char	*e;

	if (db == NULL) {
		j->rc = -1;
		return;
	}
	if ((j->rc = idb_store(db, j->root, j->dir, &j->st, &j->d, &e)) == -1)
		log_msg(LOG_WARNING, "imap fetch \\Seen root=%s: %s", j->root, e);
}

static void	start(struct imap_session *);
static void	begin(struct imap_session *);

static void
seen_done(void *arg)
{
	struct seen_job		*j = arg;
	struct imap_session	*s = j->s;
	struct fetch_cmd	*f;
	size_t			 i;
	int			 current = 0;

	if (j->rc == 0 && !j->v->gone) {
		current = s->view == j->v && s->flags_modseq == j->v->modseq;
		imap_view_apply(j->v, &j->d, s);
		/* The responses carry the new flags: no FETCH FLAGS again after. */
		if (current)
			s->flags_modseq = j->v->modseq;
	}
	if (!imap_session_release(s)) {
		f = (struct fetch_cmd *)s->cmd;
		/* These get FLAGS in their responses (RFC 3501 6.4.5). */
		f->seen = xcalloc(j->d.nchanged + 1, sizeof(*f->seen));
		for (i = 0; i < j->d.nchanged; i++)
			f->seen[f->nseen++] = j->d.changed[i].uid;
		qsort(f->seen, f->nseen, sizeof(*f->seen), cmp_u32);
		start(s);
	}
	idb_delta_free(&j->d);
	imap_view_unref(j->v);
	free(j->uids);
	free(j->root);
	free(j->dir);
	free(j);
}

static int
set_seen(struct imap_session *s, struct fetch_cmd *f)
{
	struct seen_job	*j;
	size_t		 i, n = 0;
	ssize_t		 x;
	uint32_t	*u = xcalloc(f->n + 1, sizeof(*u));

	for (i = 0; i < f->n; i++)
		if (f->m[i].vidx >= 0 &&
		    (x = imap_view_find_uid(s->view, f->m[i].uid)) != -1 &&
		    !(s->view->msgs[x].sys & MAILDIR_F_SEEN))
			u[n++] = f->m[i].uid;
	if (n == 0) {
		free(u);
		return 0;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->v = s->view;
	imap_view_ref(j->v);
	j->root = xstrdup(s->user->root);
	j->dir = xstrdup(s->view->dir);
	j->uids = u;
	j->st.uids = u;
	j->st.n = n;
	j->st.op = IDB_STORE_ADD;
	j->st.sys = MAILDIR_F_SEEN;
	imap_session_hold(s);
	imap_job(s->user, seen_work, seen_done, j);
	return 1;
}

/* ---- VANISHED (EARLIER) ---- */

struct vanished_job {
	struct imap_session	*s;
	int64_t			 folder;
	uint64_t		 modseq;
	uint32_t		*uids;
	size_t			 n;
};

static void
vanished_work(struct idb *db, void *arg)
{
	struct vanished_job	*j = arg;
	const char		*e;

	if (db != NULL)
		(void)idb_vanished(db, j->folder, j->modseq, &j->uids, &j->n, &e);
}

static int
in_set(const struct imap_seqset *set, uint32_t uid)
{
	size_t	 i;

	for (i = 0; i < set->n; i++) {
		uint32_t	 a = set->r[i].first == IMAP_SEQ_STAR ? UINT32_MAX :
		    set->r[i].first;
		uint32_t	 b = set->r[i].last == IMAP_SEQ_STAR ? UINT32_MAX :
		    set->r[i].last;

		if ((uid >= a && uid <= b) || (uid >= b && uid <= a))
			return 1;
	}
	return 0;
}

static void
vanished_done(void *arg)
{
	struct vanished_job	*j = arg;
	struct imap_session	*s = j->s;
	uint32_t		*u;
	size_t			 i, n = 0;

	if (!imap_session_release(s)) {
		u = xcalloc(j->n + 1, sizeof(*u));
		for (i = 0; i < j->n; i++)
			if (in_set(&s->req->u.fetch.set, j->uids[i]) &&
			    imap_view_find_uid(s->view, j->uids[i]) == -1)
				u[n++] = j->uids[i];
		if (n > 0) {
			buf_reset(&s->out);
			imap_write_vanished(&s->out, 1, u, n);
			imap_send(s, &s->out);
		}
		free(u);
		begin(s);
	}
	free(j->uids);
	free(j);
}

/* ---- the command ---- */

static void
start(struct imap_session *s)
{
	struct fetch_cmd	*f = (struct fetch_cmd *)s->cmd;
	size_t			 i;
	ssize_t			 x;

	f->worker = fetch_needs_worker(&f->spec);
	if (!f->worker && (f->spec.items & IMAP_FETCH_RFC822_SIZE))
		for (i = 0; i < f->n && !f->worker; i++)
			if (f->m[i].vidx >= 0 &&
			    (x = imap_view_find_uid(s->view, f->m[i].uid)) != -1 &&
			    s->view->msgs[x].vsize == 0)
				f->worker = 1;
	if (f->worker) {
		f->st = fetch_new(&f->spec, s->user->root, s->view->dir,
		    s->view->folder_id);
		f->worker = 2;
	}
	fetch_next(s);
}

void
imap_cmd_fetch(struct imap_session *s, struct imap_request *req)
{
	struct imap_fetch	*fr = &req->u.fetch;
	struct fetch_cmd	*f;
	struct vanished_job	*vj;
	size_t			 n, i, o;
	struct imap_smsg	*m;
	ssize_t			 x;

	if ((n = imap_resolve(s, &fr->set, req->uid, &m)) == IMAP_RESOLVE_BAD) {
		imap_complete(s, IMAP_BAD, IMAP_CODE_NONE, "Invalid message set");
		return;
	}
	if (fr->vanished && !(s->enabled & IMAP_ENA_QRESYNC)) {
		free(m);
		imap_complete(s, IMAP_BAD, IMAP_CODE_NONE, "QRESYNC is not enabled");
		return;
	}
	if (fr->changedsince_set || (fr->items & IMAP_FETCH_MODSEQ))
		s->enabled |= IMAP_ENA_CONDSTORE;
	f = xcalloc(1, sizeof(*f));
	f->cmd.free = fetch_cmd_free;
	f->cmd.resume = fetch_resume;
	f->uid = req->uid;
	f->spec.items = fr->items | (req->uid ? IMAP_FETCH_UID : 0);
	f->spec.bodies = fr->bodies;
	f->spec.nbodies = fr->nbodies;
	f->spec.modseq = (s->enabled & IMAP_ENA_CONDSTORE) != 0 &&
	    (fr->changedsince_set || (f->spec.items & IMAP_FETCH_FLAGS));
	f->spec.recent = !(s->enabled & IMAP_ENA_IMAP4REV2);
	f->spec.wflags = imap_wflags(s);
	if (fr->changedsince_set) {
		/* RFC 7162 3.1.4.1: only what changed after the given MODSEQ. */
		for (i = o = 0; i < n; i++)
			if (m[i].vidx >= 0 &&
			    (x = imap_view_find_uid(s->view, m[i].uid)) != -1 &&
			    s->view->msgs[x].modseq > fr->changedsince)
				m[o++] = m[i];
		n = o;
	}
	f->m = m;
	f->n = n;
	imap_cmd_wait(s, &f->cmd);
	if (fr->vanished) {
		vj = xcalloc(1, sizeof(*vj));
		vj->s = s;
		vj->folder = s->view->folder_id;
		vj->modseq = fr->changedsince;
		imap_session_hold(s);
		imap_job(s->user, vanished_work, vanished_done, vj);
		return;
	}
	begin(s);
}

/* \Seen first when a body item sets it, then the responses. */
static void
begin(struct imap_session *s)
{
	struct fetch_cmd	*f = (struct fetch_cmd *)s->cmd;

	if (!s->readonly && fetch_sets_seen(&f->spec) && set_seen(s, f))
		return;
	start(s);
}
