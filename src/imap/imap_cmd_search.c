/* SEARCH, SORT and THREAD (UID forms too): a snapshot of the session's messages, matched on a worker by search.h. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imap/imap_priv.h"
#include "imap/search.h"
#include "lib/log.h"
#include "lib/readfile.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "mail/mime.h"
#include "store/scan.h"

/*
 * search_new copies what it needs of the list made here; the message
 * files are read by the callbacks below, on the worker that runs the
 * search, with the user's index (the search fields the index keeps).
 */
struct where {
	char		*name;
	uint8_t		 sub;
	uint8_t		 gone;	/* expunged, not told yet */
};

struct search_cmd {
	struct imap_cmd		 cmd;
	struct search		*job;
	struct where		*w;
	size_t			 nw;
	/* the worker's */
	struct idb		*db;
	char			*root, *dir, *path;
	int64_t			 folder;
	struct scan_dir		 d;
	int			 dopen;
	struct mime_tree	*tree;
	struct idb_cached	 c;
	struct search_src	 src;
	char			*rbuf;		/* files read, kept from one to the next */
	size_t			 rcap;
};

/*
 * Files up to this size are read into rbuf, not mapped: a munmap on the
 * worker flushes the TLB of every thread of the process (imap_fetch.c).
 */
#define READ_MAX	(1024 * 1024)

static void
search_cmd_free(struct imap_session *s, struct imap_cmd *c)
{
	struct search_cmd	*sc = (struct search_cmd *)c;
	size_t			 i;

	search_free(&sc->job);
	for (i = 0; i < sc->nw; i++)
		free(sc->w[i].name);
	free(sc->w);
	if (sc->dopen)
		scan_dir_close(&sc->d);
	free(sc->rbuf);
	free(sc->root);
	free(sc->dir);
	free(sc->path);
	free(sc);
}

/* ---- callbacks, on the worker ---- */

static int
src_fields(void *arg, uint32_t uid, void *priv, struct buf *out)
{
	struct search_cmd	*sc = arg;
	const char		*e;

	if (sc->db == NULL || ((struct where *)priv)->gone)
		return 0;
	/* Fields of another version do not parse: the job reads the file. */
	return idb_cache_head(sc->db, sc->folder, uid, IDB_C_FIELDS, out, &e);
}

static int
src_open(void *arg, uint32_t uid, void *priv, struct search_text *t,
    const char **errstr)
{
	struct search_cmd	*sc = arg;
	struct where		*w = priv;
	char			 now[MAILDIR_NAME_MAX + 1];
	struct stat		 st;
	const char		*e;
	void			*map = NULL;
	ssize_t			 got;
	int			 fd, sub;

	if (w->gone)
		return 0;
	if (!sc->dopen) {
		if (scan_dir_open(&sc->d, sc->path, errstr) == -1)
			return -1;
		sc->dopen = 1;
	}
	fd = openat(w->sub == SCAN_CUR ? sc->d.curfd : sc->d.newfd, w->name,
	    O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if ((sub = scan_locate(&sc->d, w->name, now, sizeof(now))) == -1)
			return 0;
		fd = openat(sub == SCAN_CUR ? sc->d.curfd : sc->d.newfd, now,
		    O_RDONLY | O_CLOEXEC);
	}
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (st.st_size > 0 && st.st_size <= READ_MAX) {
		if ((got = readfile_into(fd, (size_t)st.st_size, &sc->rbuf,
		    &sc->rcap)) == -1) {
			close(fd);
			return -1;
		}
		close(fd);
		t->msg = sc->rbuf;
		t->len = (size_t)got;
		t->handle = NULL;
	} else {
		if (st.st_size > 0 && (map = mmap(NULL, (size_t)st.st_size,
		    PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
			close(fd);
			return -1;
		}
		close(fd);
		t->msg = map ? map : "";
		t->len = (size_t)st.st_size;
		t->handle = map;
	}
	t->tree = NULL;
	/* The parse the index keeps, when it has one for this message. */
	if (sc->db != NULL && idb_cache_get(sc->db, sc->folder, uid, &sc->c,
	    &e) == 0 && sc->c.have)
		t->tree = sc->tree = mime_unserialize(sc->c.item[IDB_C_MIME].data,
		    sc->c.item[IDB_C_MIME].len, t->len, &e);
	idb_cached_free(&sc->c);
	return 1;
}

static void
src_close(void *arg, uint32_t uid, void *priv, struct search_text *t)
{
	struct search_cmd	*sc = arg;

	mime_free(&sc->tree);
	if (t->handle != NULL)
		munmap(t->handle, t->len);
}

/* ---- the job ---- */

struct search_job {
	struct imap_session	*s;
	struct search_cmd	*sc;
};

static void
search_work(struct idb *db, void *arg)
{
	struct search_job	*j = arg;
	const char		*e;

	if (db != NULL && idb_read_begin(db, &e) == -1)
		db = NULL;	/* the files only */
	j->sc->db = db;
	search_run(j->sc->job);
	j->sc->db = NULL;
	if (db != NULL)
		idb_read_end(db);
}

static void
search_done(void *arg)
{
	struct search_job	*j = arg;
	struct imap_session	*s = j->s;
	struct search_cmd	*sc = j->sc;
	uint32_t		*saved;
	size_t			 nsaved;

	free(j);
	if (imap_session_release(s))
		return;
	buf_reset(&s->out);
	search_write(sc->job, &s->out);
	imap_send(s, &s->out);
	if (search_take_saved(sc->job, &saved, &nsaved)) {
		free(s->saved);
		s->saved = saved;
		s->nsaved = nsaved;
	}
	imap_report(s, s->req->uid ? IMAP_REPORT_EXPUNGE : 0);
	buf_reset(&s->out);
	search_write_status(sc->job, &s->out);
	imap_send(s, &s->out);
	if (search_result(sc->job) == IMAP_BAD)
		s->bad++;
	else
		s->bad = 0;
	imap_cmd_finish(s);
}

void
imap_cmd_search(struct imap_session *s, struct imap_request *req)
{
	struct imap_view	*v = s->view;
	struct search_cmd	*sc = xcalloc(1, sizeof(*sc));
	struct search_mailbox	 mb;
	struct search_msg	*msgs;
	struct search_job	*j;
	const char		*kwn[KEYWORDS_MAX];
	int			 kwbit[KEYWORDS_MAX];
	size_t			 nkw = 0, vi = 0, pi, k;
	uint32_t		 n = imap_count(s), q;
	struct tm		 tm;
	time_t			 t;
	int			 l;

	sc->cmd.free = search_cmd_free;
	for (l = 0; l < KEYWORDS_MAX; l++) {
		kwbit[l] = -1;
		if (v->kw.name[l] != NULL) {
			kwbit[l] = (int)nkw;
			kwn[nkw++] = v->kw.name[l];
		}
	}
	msgs = xcalloc(n + 1, sizeof(*msgs));
	sc->w = xcalloc(n + 1, sizeof(*sc->w));
	sc->nw = n;
	k = imap_view_upper(v, s->uid_hwm);
	for (q = 0, pi = 0; q < n; q++) {
		struct search_msg	*sm = &msgs[q];
		int			 frompend = pi < s->npend && (vi >= k ||
		    s->pend[pi] < v->msgs[vi].uid);

		sm->priv = &sc->w[q];
		if (frompend) {
			sm->uid = s->pend[pi++];
			sc->w[q].gone = 1;
			continue;
		}
		{
			const struct imsg	*m = &v->msgs[vi++];

			sm->uid = m->uid;
			if (m->sys & MAILDIR_F_ANSWERED)
				sm->flags |= IMAP_FLAG_ANSWERED;
			if (m->sys & MAILDIR_F_FLAGGED)
				sm->flags |= IMAP_FLAG_FLAGGED;
			if (m->sys & MAILDIR_F_DELETED)
				sm->flags |= IMAP_FLAG_DELETED;
			if (m->sys & MAILDIR_F_SEEN)
				sm->flags |= IMAP_FLAG_SEEN;
			if (m->sys & MAILDIR_F_DRAFT)
				sm->flags |= IMAP_FLAG_DRAFT;
			if (imap_is_recent(s, m->uid))
				sm->flags |= SEARCH_MSG_RECENT;
			for (l = 0; l < KEYWORDS_MAX; l++)
				if ((m->kw & (1U << l)) && kwbit[l] >= 0)
					sm->kw |= 1ULL << kwbit[l];
			sm->modseq = m->modseq;
			/* Not yet known: the file's size, which a bare-LF file only exceeds. */
			sm->size = m->vsize ? m->vsize : m->size;
			sm->internaldate = m->idate;
			t = (time_t)m->idate;
			localtime_r(&t, &tm);
			sm->tz = (int)(tm.tm_gmtoff / 60);
			sc->w[q].name = xstrdup(m->name);
			sc->w[q].sub = m->sub;
		}
	}
	sc->root = xstrdup(s->user->root);
	sc->dir = xstrdup(v->dir);
	sc->path = idb_path(sc->root, sc->dir);
	sc->folder = v->folder_id;
	sc->src.arg = sc;
	sc->src.fields = src_fields;
	sc->src.open = src_open;
	sc->src.close = src_close;
	memset(&mb, 0, sizeof(mb));
	mb.msgs = msgs;
	mb.n = n;
	mb.kwnames = kwn;
	mb.nkw = nkw;
	mb.saved = s->saved;
	mb.nsaved = s->nsaved;
	mb.enabled = s->enabled;
	mb.now = time(NULL);
	mb.src = &sc->src;
	if (req->id == IMAP_CMD_SEARCH && req->u.search.uses_modseq)
		s->enabled |= IMAP_ENA_CONDSTORE;
	sc->job = search_new(req, &mb);
	free(msgs);
	imap_cmd_wait(s, &sc->cmd);
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->sc = sc;
	imap_session_hold(s);
	imap_job(s->user, search_work, search_done, j);
}
