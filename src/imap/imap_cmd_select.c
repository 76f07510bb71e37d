/* SELECT and EXAMINE (CONDSTORE, QRESYNC), UNSELECT and CLOSE. */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "store/folder.h"
#include "store/scan.h"

struct select_cmd {
	struct imap_cmd		 cmd;
	uint32_t		*vanished;
	size_t			 nvanished;
};

static void
select_free(struct imap_session *s, struct imap_cmd *c)
{
	struct select_cmd	*sc = (struct select_cmd *)c;

	free(sc->vanished);
	free(sc);
}

struct recent_job {
	int64_t		 folder;
	uint32_t	 uid;
};

static void
recent_work(struct idb *db, void *arg)
{
	struct recent_job	*j = arg;
	const char		*e;

	if (db != NULL && idb_set_recent(db, j->folder, j->uid, &e) == -1)
		log_msg(LOG_WARNING, "imap recent: %s", e);
}

static void
recent_done(void *arg)
{
	free(arg);
}

/* Whether uid is in the client's known-uids of QRESYNC (none given: every UID). */
static int
known(const struct imap_seqset *set, uint32_t uid)
{
	size_t	 i;

	if (set->n == 0)
		return 1;
	for (i = 0; i < set->n; i++) {
		uint32_t	 a = set->r[i].first, b = set->r[i].last, t;

		if (a == IMAP_SEQ_STAR)
			a = UINT32_MAX;
		if (b == IMAP_SEQ_STAR)
			b = UINT32_MAX;
		if (a > b) {
			t = a;
			a = b;
			b = t;
		}
		if (uid >= a && uid <= b)
			return 1;
	}
	return 0;
}

static void
select_respond(struct imap_session *s)
{
	struct imap_view	*v = s->view;
	struct imap_select	*sel = &s->req->u.select;
	struct select_cmd	*sc = (struct select_cmd *)s->cmd;
	struct buf		*b = &s->out;
	const char		*kw[KEYWORDS_MAX];
	size_t			 nkw, i, k;
	int			 qresync;

	nkw = imap_view_kwnames(v, kw, NULL);
	buf_reset(b);
	buf_adds(b, "* FLAGS ");
	imap_write_flags(b, IMAP_FLAG_ANSWERED | IMAP_FLAG_FLAGGED |
	    IMAP_FLAG_DELETED | IMAP_FLAG_SEEN | IMAP_FLAG_DRAFT, kw, nkw, 0);
	buf_adds(b, "\r\n");
	if (s->readonly) {
		buf_adds(b, "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n");
	} else {
		imap_write_begin(b, NULL, 0, IMAP_OK);
		/* Keywords are letters a-z on disk: \* while one is free. */
		imap_write_code_permflags(b, IMAP_FLAG_ANSWERED |
		    IMAP_FLAG_FLAGGED | IMAP_FLAG_DELETED | IMAP_FLAG_SEEN |
		    IMAP_FLAG_DRAFT, kw, nkw, nkw < KEYWORDS_MAX);
		imap_write_end(b, "Flags permitted");
	}
	buf_addf(b, "* %u EXISTS\r\n", imap_count(s));
	if (!(s->enabled & IMAP_ENA_IMAP4REV2)) {
		uint32_t	 r = 0;

		k = imap_view_upper(v, s->uid_hwm);
		for (i = 0; i < k; i++)
			if (imap_is_recent(s, v->msgs[i].uid))
				r++;
		buf_addf(b, "* %u RECENT\r\n", r);
		for (i = 0; i < k; i++)
			if (!(v->msgs[i].sys & MAILDIR_F_SEEN)) {
				imap_write_begin(b, NULL, 0, IMAP_OK);
				imap_write_code_num(b, IMAP_CODE_UNSEEN, i + 1);
				imap_write_end(b, "First unseen");
				break;
			}
	}
	imap_write_begin(b, NULL, 0, IMAP_OK);
	imap_write_code_num(b, IMAP_CODE_UIDVALIDITY, v->uidvalidity);
	imap_write_end(b, "UIDs valid");
	imap_write_begin(b, NULL, 0, IMAP_OK);
	imap_write_code_num(b, IMAP_CODE_UIDNEXT, v->uidnext);
	imap_write_end(b, "Predicted next UID");
	imap_write_begin(b, NULL, 0, IMAP_OK);
	imap_write_code_num(b, IMAP_CODE_HIGHESTMODSEQ, v->modseq);
	imap_write_end(b, "Highest");
	imap_send(s, b);

	qresync = sel->qresync && sel->uidvalidity == v->uidvalidity;
	if (qresync) {
		buf_reset(b);
		/* RFC 7162 3.2.5.1: what vanished since, then what changed since. */
		if (sc != NULL && sc->nvanished > 0) {
			uint32_t	*u = xcalloc(sc->nvanished, sizeof(*u));
			size_t		 n = 0;

			for (i = 0; i < sc->nvanished; i++)
				if (known(&sel->known_uids, sc->vanished[i]) &&
				    imap_view_find_uid(v, sc->vanished[i]) == -1)
					u[n++] = sc->vanished[i];
			if (n > 0)
				imap_write_vanished(b, 1, u, n);
			free(u);
		}
		k = imap_view_upper(v, s->uid_hwm);
		for (i = 0; i < k; i++) {
			const struct imsg	*m = &v->msgs[i];

			if (m->modseq <= sel->modseq || !known(&sel->known_uids,
			    m->uid))
				continue;
			buf_addf(b, "* %zu FETCH (UID %u FLAGS ", i + 1, m->uid);
			imap_write_msg_flags(s, b, m);
			buf_addf(b, " MODSEQ (%llu))\r\n",
			    (unsigned long long)m->modseq);
			if (b->len > IMAP_FETCH_STEP) {
				imap_send(s, b);
				buf_reset(b);
			}
		}
		imap_send(s, b);
	}
	imap_complete(s, IMAP_OK, s->readonly ? IMAP_CODE_READ_ONLY :
	    IMAP_CODE_READ_WRITE, s->req->id == IMAP_CMD_EXAMINE ?
	    "Examine completed" : "Select completed");
}

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

	if (db != NULL && idb_vanished(db, j->folder, j->modseq, &j->uids,
	    &j->n, &e) == -1)
		log_msg(LOG_WARNING, "imap vanished: %s", e);
}

static void
vanished_done(void *arg)
{
	struct vanished_job	*j = arg;
	struct imap_session	*s = j->s;
	struct select_cmd	*sc;

	if (imap_session_release(s) || s->view == NULL) {
		free(j->uids);
		free(j);
		return;
	}
	sc = (struct select_cmd *)s->cmd;
	sc->vanished = j->uids;
	sc->nvanished = j->n;
	free(j);
	select_respond(s);
}

void
imap_session_view_ready(struct imap_session *s)
{
	struct imap_view	*v = s->view;
	struct imap_select	*sel = &s->req->u.select;
	struct recent_job	*rj;
	struct vanished_job	*vj;
	size_t			 i;

	if (v->failed || v->gone) {
		imap_unselect(s);
		imap_complete(s, IMAP_NO, IMAP_CODE_SERVERBUG,
		    "Mailbox cannot be read now");
		return;
	}
	TAILQ_INSERT_TAIL(&v->sessions, s, ventry);
	s->uid_hwm = v->n > 0 ? v->msgs[v->n - 1].uid : 0;
	s->flags_modseq = v->modseq;
	s->recent_lo = v->recent;
	s->recent_hi = v->uidnext;
	if (!s->readonly) {
		v->rw++;
		/* This session has them as \Recent; later ones do not. */
		if (v->recent < v->uidnext) {
			v->recent = v->uidnext;
			rj = xcalloc(1, sizeof(*rj));
			rj->folder = v->folder_id;
			rj->uid = v->recent;
			imap_job(s->user, recent_work, recent_done, rj);
		}
		for (i = 0; i < v->n; i++)
			if (v->msgs[i].sub == SCAN_NEW) {
				imap_view_to_cur(v);
				break;
			}
	}
	s->state = IMAP_ST_SELECTED;
	if (sel->qresync && sel->uidvalidity == v->uidvalidity) {
		vj = xcalloc(1, sizeof(*vj));
		vj->s = s;
		vj->folder = v->folder_id;
		vj->modseq = sel->modseq;
		imap_session_hold(s);
		imap_job(s->user, vanished_work, vanished_done, vj);
		return;
	}
	select_respond(s);
}

void
imap_cmd_select(struct imap_session *s, struct imap_request *req)
{
	struct imap_select	*sel = &req->u.select;
	char			 name[FOLDER_NAME_MAX + 1], dir[FOLDER_DIR_MAX + 1];
	char			*path;
	const char		*e;
	struct stat		 st;
	struct select_cmd	*sc;
	int			 rc;

	if (s->view != NULL) {
		imap_unselect(s);
		/* RFC 7162 3.2.11, RFC 9051 7.1: the old mailbox is closed. */
		if (s->enabled & (IMAP_ENA_QRESYNC | IMAP_ENA_IMAP4REV2))
			imap_untagged(s, IMAP_OK, IMAP_CODE_CLOSED,
			    "Previous mailbox closed");
	}
	if (sel->qresync && !(s->enabled & IMAP_ENA_QRESYNC)) {
		imap_complete(s, IMAP_BAD, IMAP_CODE_NONE, "QRESYNC is not enabled");
		return;
	}
	if (sel->condstore)
		s->enabled |= IMAP_ENA_CONDSTORE;
	if (imap_mbox_name(s, &sel->mbox, name, sizeof(name), dir, sizeof(dir),
	    &e) == -1) {
		imap_complete(s, IMAP_NO, IMAP_CODE_NONEXISTENT, e);
		return;
	}
	path = idb_path(s->user->root, dir);
	rc = stat(path, &st);
	free(path);
	if (rc == -1 || !S_ISDIR(st.st_mode)) {
		imap_complete(s, IMAP_NO, IMAP_CODE_NONEXISTENT,
		    "Mailbox doesn't exist");
		return;
	}
	sc = xcalloc(1, sizeof(*sc));
	sc->cmd.free = select_free;
	imap_cmd_wait(s, &sc->cmd);
	s->readonly = req->id == IMAP_CMD_EXAMINE;
	s->view = imap_view_get(s->user, dir, name);
	if (!s->view->loaded && !s->view->failed) {
		TAILQ_INSERT_TAIL(&s->view->waiting, s, ventry);
		s->waiting_view = 1;
		return;
	}
	/*
	 * A view already loaded (another session's, or one kept after its
	 * last session): what inotify saw meanwhile is applied first.
	 */
	imap_notify_poll();
	imap_view_barrier(s, imap_session_view_ready);
}

/* ---- UNSELECT and CLOSE ---- */

struct close_job {
	struct imap_session	*s;
	struct imap_view	*v;
	char			*root, *dir;
	struct idb_delta	 d;
	int			 rc;
};

static void
close_work(struct idb *db, void *arg)
{
	struct close_job	*j = arg;
	const char		*e;

	if (db == NULL) {
		j->rc = -1;
		return;
	}
	if ((j->rc = idb_expunge(db, j->root, j->dir, NULL, 0, &j->d, &e)) == -1)
		log_msg(LOG_WARNING, "imap close root=%s: %s", j->root, e);
}

static void
close_done(void *arg)
{
	struct close_job	*j = arg;
	struct imap_session	*s = j->s;

	if (j->rc == 0)
		imap_view_apply(j->v, &j->d, s);
	idb_delta_free(&j->d);
	imap_view_unref(j->v);
	free(j->root);
	free(j->dir);
	free(j);
	if (imap_session_release(s))
		return;
	/* RFC 9051 6.4.1: no EXPUNGE responses for what CLOSE removed. */
	imap_unselect(s);
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Close completed");
}

void
imap_cmd_unselect(struct imap_session *s, struct imap_request *req)
{
	struct close_job	*j;

	if (req->id == IMAP_CMD_CLOSE && !s->readonly && s->view != NULL) {
		j = xcalloc(1, sizeof(*j));
		j->s = s;
		j->v = s->view;
		imap_view_ref(j->v);
		j->root = xstrdup(s->user->root);
		j->dir = xstrdup(s->view->dir);
		imap_session_hold(s);
		imap_job(s->user, close_work, close_done, j);
		return;
	}
	imap_unselect(s);
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, req->id == IMAP_CMD_CLOSE ?
	    "Close completed" : "Unselect completed");
}
