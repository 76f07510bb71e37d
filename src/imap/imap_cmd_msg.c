/* STORE (UNCHANGEDSINCE), EXPUNGE and UID EXPUNGE, COPY and MOVE (UIDPLUS). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "store/folder.h"

/*
 * Each sends one job: renames, unlinks, links and the index in one go on
 * a worker; the tagged OK goes only once the job is done, so a change that
 * got OK is in the file names (and the index) when the process dies.
 */

unsigned
imap_maildir_sys(unsigned imap)
{
	unsigned	 f = 0;

	if (imap & IMAP_FLAG_ANSWERED)
		f |= MAILDIR_F_ANSWERED;
	if (imap & IMAP_FLAG_FLAGGED)
		f |= MAILDIR_F_FLAGGED;
	if (imap & IMAP_FLAG_DELETED)
		f |= MAILDIR_F_DELETED;
	if (imap & IMAP_FLAG_SEEN)
		f |= MAILDIR_F_SEEN;
	if (imap & IMAP_FLAG_DRAFT)
		f |= MAILDIR_F_DRAFT;
	return f;
}

/* UIDs of the resolved messages still in the view. */
static uint32_t *
live_uids(const struct imap_smsg *m, size_t n, size_t *out)
{
	uint32_t	*u = xcalloc(n + 1, sizeof(*u));
	size_t		 i;

	*out = 0;
	for (i = 0; i < n; i++)
		if (m[i].vidx >= 0)
			u[(*out)++] = m[i].uid;
	return u;
}

/* ---- STORE ---- */

struct store_job {
	struct imap_cmd		 cmd;
	struct imap_session	*s;
	struct imap_view	*v;
	char			*root, *dir;
	struct idb_store	 st;
	uint32_t		*uids;
	char			**kw;
	struct idb_delta	 d;
	int			 rc, err;
	char			 errstr[256];
};

static void
store_work(struct idb *db, void *arg)
{
	struct store_job	*j = arg;
	const char		*e = NULL;

	if (db == NULL) {
		j->rc = -1;
		j->err = EIO;
		return;
	}
	errno = 0;
	j->rc = idb_store(db, j->root, j->dir, &j->st, &j->d, &e);
	j->err = errno;
	if (j->rc == -1)
		snprintf(j->errstr, sizeof(j->errstr), "%s", e ? e : "failed");
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
in_sorted(const uint32_t *v, size_t n, uint32_t x)
{
	return n > 0 && bsearch(&x, v, n, sizeof(*v), cmp_u32) != NULL;
}

static void
store_done(void *arg)
{
	struct store_job	*j = arg;
	struct imap_session	*s = j->s;
	struct imap_store	*st;
	struct imap_view	*v = j->v;
	struct buf		*b;
	size_t			 i;
	int			 current, condstore;

	if (j->rc == 0 && !v->gone) {
		current = !s->closing && s->view == v && s->flags_modseq == v->modseq;
		imap_view_apply(v, &j->d, s);
	} else
		current = 0;
	if (imap_session_release(s))
		goto done;
	if (j->rc == -1) {
		if (j->err == ENOSPC)
			imap_complete(s, IMAP_NO, IMAP_CODE_LIMIT,
			    "Too many keywords in this mailbox");
		else {
			log_msg(LOG_WARNING, "imap store root=%s: %s", j->root,
			    j->errstr);
			imap_complete(s, IMAP_NO, IMAP_CODE_SERVERBUG,
			    "Flags could not be changed");
		}
		goto done;
	}
	st = &s->req->u.store;
	condstore = (s->enabled & IMAP_ENA_CONDSTORE) != 0;
	b = &s->out;
	buf_reset(b);
	/*
	 * The new flags of every message of the set, as if fetched (RFC 9051
	 * 6.4.6); with .SILENT none, but CONDSTORE still wants the MODSEQ of
	 * what changed (RFC 7162 3.1.3).
	 */
	for (i = 0; i < j->st.n && s->view == v; i++) {
		ssize_t			 k = imap_view_find_uid(v, j->uids[i]);
		const struct imsg	*m;
		int			 changed = 0;
		size_t			 c;

		if (k == -1 || in_sorted(j->d.modified, j->d.nmodified,
		    j->uids[i]))
			continue;
		m = &v->msgs[k];
		for (c = 0; c < j->d.nchanged; c++)
			if (j->d.changed[c].uid == m->uid) {
				changed = 1;
				break;
			}
		if (st->silent && !(condstore && changed))
			continue;
		buf_addf(b, "* %u FETCH (", imap_seq_of(s, (size_t)k));
		if (s->req->uid || (s->enabled & IMAP_ENA_QRESYNC))
			buf_addf(b, "UID %u ", m->uid);
		if (!st->silent) {
			buf_adds(b, "FLAGS ");
			imap_write_msg_flags(s, b, m);
			if (condstore)
				buf_addc(b, ' ');
		}
		if (condstore)
			buf_addf(b, "MODSEQ (%llu)", (unsigned long long)m->modseq);
		buf_adds(b, ")\r\n");
		if (b->len > IMAP_FETCH_STEP) {
			imap_send(s, b);
			buf_reset(b);
		}
	}
	imap_send(s, b);
	if (current)
		s->flags_modseq = v->modseq;
	if (j->d.nmodified > 0) {
		/* [MODIFIED set]: UIDs for UID STORE, numbers for STORE. */
		uint32_t	*num = xcalloc(j->d.nmodified, sizeof(*num));
		size_t		 n = 0;

		for (i = 0; i < j->d.nmodified; i++) {
			ssize_t	 k = imap_view_find_uid(v, j->d.modified[i]);

			if (s->req->uid)
				num[n++] = j->d.modified[i];
			else if (k != -1)
				num[n++] = imap_seq_of(s, (size_t)k);
		}
		imap_report(s, 0);
		buf_reset(b);
		imap_write_begin(b, s->req->tag, strlen(s->req->tag), IMAP_OK);
		if (n > 0)
			imap_write_code_modified(b, num, n);
		imap_write_end(b, "Conditional STORE failed");
		imap_send(s, b);
		free(num);
		imap_cmd_finish(s);
		goto done;
	}
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Store completed");
done:
	idb_delta_free(&j->d);
	imap_view_unref(v);
	for (i = 0; i < j->st.nkw; i++)
		free(j->kw[i]);
	free(j->kw);
	free(j->uids);
	free(j->root);
	free(j->dir);
	free(j);
}

void
imap_cmd_store(struct imap_session *s, struct imap_request *req)
{
	struct imap_store	*st = &req->u.store;
	struct imap_smsg	*m;
	struct store_job	*j;
	size_t			 n, i;

	if (s->readonly) {
		imap_complete(s, IMAP_NO, IMAP_CODE_READ_ONLY, "Mailbox is read-only");
		return;
	}
	for (i = 0; i < st->flags.nkw; i++)
		if (!keyword_valid(st->flags.kw[i].p, st->flags.kw[i].len) ||
		    strlen(st->flags.kw[i].p) != st->flags.kw[i].len) {
			imap_complete(s, IMAP_BAD, IMAP_CODE_NONE, "Invalid flag");
			return;
		}
	if ((n = imap_resolve(s, &st->set, req->uid, &m)) == IMAP_RESOLVE_BAD) {
		imap_complete(s, IMAP_BAD, IMAP_CODE_NONE, "Invalid message set");
		return;
	}
	if (st->unchangedsince_set)
		s->enabled |= IMAP_ENA_CONDSTORE;
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->v = s->view;
	imap_view_ref(j->v);
	j->root = xstrdup(s->user->root);
	j->dir = xstrdup(s->view->dir);
	j->uids = live_uids(m, n, &j->st.n);
	free(m);
	j->st.uids = j->uids;
	j->st.op = st->op == IMAP_STORE_SET ? IDB_STORE_SET :
	    st->op == IMAP_STORE_ADD ? IDB_STORE_ADD : IDB_STORE_REMOVE;
	j->st.sys = imap_maildir_sys(st->flags.sys);
	j->kw = xcalloc(st->flags.nkw + 1, sizeof(*j->kw));
	for (i = 0; i < st->flags.nkw; i++)
		j->kw[i] = xstrdup(st->flags.kw[i].p);
	j->st.kw = (const char *const *)j->kw;
	j->st.nkw = st->flags.nkw;
	j->st.unchangedsince_set = st->unchangedsince_set;
	j->st.unchangedsince = st->unchangedsince;
	imap_cmd_wait(s, NULL);
	imap_session_hold(s);
	imap_job(s->user, store_work, store_done, j);
}

/* ---- EXPUNGE ---- */

struct expunge_job {
	struct imap_session	*s;
	struct imap_view	*v;
	char			*root, *dir;
	uint32_t		*uids;
	size_t			 n;
	int			 all;
	struct idb_delta	 d;
	int			 rc;
	char			 errstr[256];
};

static void
expunge_work(struct idb *db, void *arg)
{
	struct expunge_job	*j = arg;
	const char		*e = NULL;

	if (db == NULL) {
		j->rc = -1;
		return;
	}
	j->rc = idb_expunge(db, j->root, j->dir, j->all ? NULL : j->uids,
	    j->n, &j->d, &e);
	if (j->rc == -1)
		snprintf(j->errstr, sizeof(j->errstr), "%s", e ? e : "failed");
}

static void
expunge_done(void *arg)
{
	struct expunge_job	*j = arg;
	struct imap_session	*s = j->s;

	if (j->rc == 0 && !j->v->gone)
		imap_view_apply(j->v, &j->d, s);
	if (!imap_session_release(s)) {
		if (j->rc == -1) {
			log_msg(LOG_WARNING, "imap expunge root=%s: %s", j->root,
			    j->errstr);
			imap_complete(s, IMAP_NO, IMAP_CODE_SERVERBUG,
			    "Expunge failed");
		} else
			imap_complete(s, IMAP_OK, IMAP_CODE_NONE,
			    "Expunge completed");
	}
	idb_delta_free(&j->d);
	imap_view_unref(j->v);
	free(j->uids);
	free(j->root);
	free(j->dir);
	free(j);
}

void
imap_cmd_expunge(struct imap_session *s, struct imap_request *req)
{
	struct expunge_job	*j;
	struct imap_smsg	*m = NULL;
	size_t			 n = 0;

	if (s->readonly) {
		imap_complete(s, IMAP_NO, IMAP_CODE_READ_ONLY, "Mailbox is read-only");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	if (req->uid) {
		n = imap_resolve(s, &req->u.expunge, 1, &m);
		j->uids = live_uids(m, n, &j->n);
		free(m);
	} else
		j->all = 1;
	j->s = s;
	j->v = s->view;
	imap_view_ref(j->v);
	j->root = xstrdup(s->user->root);
	j->dir = xstrdup(s->view->dir);
	if (req->uid && j->n == 0) {
		/* Nothing of the set is there: nothing to do, nothing to wait for. */
		imap_view_unref(j->v);
		free(j->uids);
		free(j->root);
		free(j->dir);
		free(j);
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Expunge completed");
		return;
	}
	imap_cmd_wait(s, NULL);
	imap_session_hold(s);
	imap_job(s->user, expunge_work, expunge_done, j);
}

/* ---- COPY and MOVE ---- */

struct copy_job {
	struct imap_session	*s;
	struct imap_view	*v;
	char			*root, *dir;
	char			 todir[FOLDER_DIR_MAX + 1];
	uint32_t		*uids;
	size_t			 n;
	int			 move;
	struct idb_delta	 d;
	int			 rc, err;
	char			 errstr[256];
};

static void
copy_work(struct idb *db, void *arg)
{
	struct copy_job	*j = arg;
	const char	*e = NULL;

	if (db == NULL) {
		j->rc = -1;
		j->err = EIO;
		return;
	}
	errno = 0;
	j->rc = idb_copy(db, j->root, j->dir, j->uids, j->n, j->todir, j->move,
	    &j->d, &e);
	j->err = errno;
	if (j->rc == -1)
		snprintf(j->errstr, sizeof(j->errstr), "%s", e ? e : "failed");
}

static void
copy_done(void *arg)
{
	struct copy_job		*j = arg;
	struct imap_session	*s = j->s;
	struct imap_view	*tv;
	struct buf		*b;
	uint32_t		*src = NULL, *dst = NULL;
	size_t			 i, n = 0;

	if (j->rc == 0) {
		if (j->move && !j->v->gone)
			imap_view_apply(j->v, &j->d, s);
		if ((tv = imap_view_find(j->v->user, j->todir)) != NULL &&
		    tv->loaded)
			imap_view_add(tv, &j->d);
	}
	if (imap_session_release(s))
		goto done;
	if (j->rc == -1) {
		if (j->err == ENOENT)
			imap_complete(s, IMAP_NO, IMAP_CODE_TRYCREATE,
			    "Mailbox doesn't exist");
		else if (j->err == EDQUOT || j->err == ENOSPC)
			imap_complete(s, IMAP_NO, IMAP_CODE_OVERQUOTA,
			    "Quota exceeded");
		else {
			log_msg(LOG_WARNING, "imap copy root=%s: %s", j->root,
			    j->errstr);
			imap_complete(s, IMAP_NO, IMAP_CODE_SERVERBUG,
			    j->move ? "Move failed" : "Copy failed");
		}
		goto done;
	}
	src = xcalloc(j->n + 1, sizeof(*src));
	dst = xcalloc(j->n + 1, sizeof(*dst));
	for (i = 0; i < j->n && i < j->d.nuids; i++)
		if (j->d.uids[i] != 0) {
			src[n] = j->uids[i];
			dst[n] = j->d.uids[i];
			n++;
		}
	b = &s->out;
	buf_reset(b);
	if (j->move) {
		/* RFC 6851 3.3: COPYUID before the expunges, untagged. */
		if (n > 0) {
			imap_write_begin(b, NULL, 0, IMAP_OK);
			imap_write_code_copyuid(b, j->d.uidvalidity, src, dst, n);
			imap_write_end(b, "Moved UIDs");
			imap_send(s, b);
		}
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Move completed");
		goto done;
	}
	if (s->state == IMAP_ST_SELECTED)
		imap_report(s, IMAP_REPORT_EXPUNGE);
	buf_reset(b);
	imap_write_begin(b, s->req->tag, strlen(s->req->tag), IMAP_OK);
	if (n > 0)
		imap_write_code_copyuid(b, j->d.uidvalidity, src, dst, n);
	imap_write_end(b, "Copy completed");
	imap_send(s, b);
	imap_cmd_finish(s);
done:
	free(src);
	free(dst);
	idb_delta_free(&j->d);
	imap_view_unref(j->v);
	free(j->uids);
	free(j->root);
	free(j->dir);
	free(j);
}

void
imap_cmd_copy(struct imap_session *s, struct imap_request *req)
{
	struct copy_job		*j;
	struct imap_smsg	*m;
	char			 name[FOLDER_NAME_MAX + 1];
	const char		*e;
	size_t			 n;

	if (req->id == IMAP_CMD_MOVE && s->readonly) {
		imap_complete(s, IMAP_NO, IMAP_CODE_READ_ONLY, "Mailbox is read-only");
		return;
	}
	if ((n = imap_resolve(s, &req->u.copy.set, req->uid, &m)) ==
	    IMAP_RESOLVE_BAD) {
		imap_complete(s, IMAP_BAD, IMAP_CODE_NONE, "Invalid message set");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	if (imap_mbox_name(s, &req->u.copy.mbox, name, sizeof(name), j->todir,
	    sizeof(j->todir), &e) == -1) {
		free(m);
		free(j);
		imap_complete(s, IMAP_NO, IMAP_CODE_TRYCREATE, e);
		return;
	}
	j->uids = live_uids(m, n, &j->n);
	free(m);
	j->s = s;
	j->v = s->view;
	imap_view_ref(j->v);
	j->root = xstrdup(s->user->root);
	j->dir = xstrdup(s->view->dir);
	j->move = req->id == IMAP_CMD_MOVE;
	imap_cmd_wait(s, NULL);
	imap_session_hold(s);
	imap_job(s->user, copy_work, copy_done, j);
}
