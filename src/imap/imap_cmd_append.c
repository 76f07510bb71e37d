/* APPEND and MULTIAPPEND: message literals streamed into tmp/, committed (fsync'd) on a worker, APPENDUID. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imap/imap_priv.h"
#include "lib/dio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "store/folder.h"
#include "store/maildir.h"
#include "store/quota.h"
#include "store/scan.h"

/*
 * Each message literal goes straight into a file in the folder's tmp/ as
 * it arrives (writes to the page cache: the loop does not wait on the
 * disk); nothing of it is kept in memory. When the command is complete a
 * job checks the quota, commits every file (futimens to the internal
 * date, fsync, link into cur/ or new/, fsync of the directory) and gives
 * them UIDs; MULTIAPPEND is all or nothing (RFC 3502 6): a failure
 * removes what this command had already added.
 */

struct append_msg {
	struct maildir_tmp	 tmp;
	int			 open;
	uint64_t		 size, vsize;
	char			 prev;		/* last octet written: bare LFs count for vsize */
	char			 name[MAILDIR_NAME_MAX + 1];
	struct maildir_flags	 flags;
	int			 has_flags;
	time_t			 date;
	char			**kw;
	size_t			 nkw;
};

struct append_cmd {
	struct imap_cmd		 cmd;
	char			 name[FOLDER_NAME_MAX + 1], dir[FOLDER_DIR_MAX + 1];
	char			*path;
	struct append_msg	*m;
	size_t			 n;
	int			 failed;	/* a write failed: errno in err */
	int			 err;
};

static void
append_free(struct imap_session *s, struct imap_cmd *c)
{
	struct append_cmd	*a = (struct append_cmd *)c;
	size_t			 i, k;

	for (i = 0; i < a->n; i++) {
		if (a->m[i].open)
			maildir_tmp_abort(&a->m[i].tmp);
		for (k = 0; k < a->m[i].nkw; k++)
			free(a->m[i].kw[k]);
		free(a->m[i].kw);
	}
	free(a->m);
	free(a->path);
	free(a);
}

static int
append_data(struct imap_session *s, struct imap_cmd *c, const char *p,
    size_t n, int last)
{
	struct append_cmd	*a = (struct append_cmd *)c;
	struct append_msg	*m;
	size_t			 i;

	if (a->n == 0 || a->failed)
		return -1;
	m = &a->m[a->n - 1];
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && m->prev != '\r')
			m->vsize++;
		m->prev = p[i];
	}
	m->size += n;
	m->vsize += n;
	if (n > 0 && dio_write(m->tmp.fd, p, n) == -1) {
		a->failed = 1;
		a->err = errno;
		return -1;
	}
	return 0;
}

static void
refuse_prefix(struct imap_session *s, struct imap_request *req,
    enum imap_code code, const char *text)
{
	struct imap_request	*saved = s->req;

	s->req = req;
	imap_tagged(s, IMAP_NO, code, text);
	s->req = saved;
}

int
imap_append_literal(struct imap_session *s, struct imap_request *req,
    const struct imap_lit *lit)
{
	struct append_cmd	*a = (struct append_cmd *)s->cmd;
	struct append_msg	*m;
	struct stat		 st;
	const char		*e;

	if (a == NULL || a->cmd.data != append_data) {
		a = xcalloc(1, sizeof(*a));
		a->cmd.free = append_free;
		a->cmd.data = append_data;
		if (imap_mbox_name(s, &req->u.append.mbox, a->name,
		    sizeof(a->name), a->dir, sizeof(a->dir), &e) == -1) {
			free(a);
			refuse_prefix(s, req, IMAP_CODE_TRYCREATE, e);
			return -1;
		}
		a->path = idb_path(s->user->root, a->dir);
		if (stat(a->path, &st) == -1 || !S_ISDIR(st.st_mode)) {
			free(a->path);
			free(a);
			refuse_prefix(s, req, IMAP_CODE_TRYCREATE,
			    "Mailbox doesn't exist");
			return -1;
		}
		s->cmd = &a->cmd;	/* reading goes on: the data comes next */
	}
	a->m = xreallocarray(a->m, a->n + 1, sizeof(*a->m));
	m = &a->m[a->n];
	memset(m, 0, sizeof(*m));
	if (maildir_tmp_open(&m->tmp, a->path, &e) == -1) {
		enum imap_code	 code = errno == ENOENT ? IMAP_CODE_TRYCREATE :
		    (errno == ENOSPC || errno == EDQUOT) ? IMAP_CODE_OVERQUOTA :
		    IMAP_CODE_SERVERBUG;

		s->cmd = NULL;
		append_free(s, &a->cmd);
		refuse_prefix(s, req, code, "Cannot store the message");
		return -1;
	}
	m->open = 1;
	a->n++;
	(void)lit;
	return 0;
}

/* ---- the command ---- */

struct append_job {
	struct imap_session	*s;
	struct imap_user	*u;
	struct append_cmd	*a;
	char			*root;
	struct idb_delta	 d;
	int			 rc, err;
	char			 errstr[256];
};

static void
undo(struct append_cmd *a, size_t n)
{
	struct scan_dir	 d;
	const char	*e;
	size_t		 i;

	if (scan_dir_open(&d, a->path, &e) == -1)
		return;
	for (i = 0; i < n; i++)
		(void)scan_expunge(&d, a->m[i].has_flags ? SCAN_CUR : SCAN_NEW,
		    a->m[i].name, i + 1 == n, &e);
	scan_dir_close(&d);
}

static void
append_work(struct idb *db, void *arg)
{
	struct append_job	*j = arg;
	struct append_cmd	*a = j->a;
	struct maildir_add	 add;
	struct keywords		 kw;
	struct quota		 q;
	char			**names;
	const char		*e = NULL;
	uint64_t		 bytes = 0;
	int64_t			 mask;
	size_t			 i, done = 0;
	int			 changed;

	memset(&kw, 0, sizeof(kw));
	if (db == NULL) {
		j->rc = -1;
		j->err = EIO;
		snprintf(j->errstr, sizeof(j->errstr), "no index");
		return;
	}
	for (i = 0; i < a->n; i++)
		bytes += a->m[i].size;
	if (strcmp(a->dir, ".Trash") != 0 && quota_check(j->root, NULL, 0, bytes,
	    a->n, &q, &e) == QUOTA_OVER) {
		j->rc = -1;
		j->err = EDQUOT;
		return;
	}
	keywords_read(a->path, &kw);
	names = xcalloc(a->n + 1, sizeof(*names));
	for (i = 0; i < a->n; i++) {
		struct append_msg	*m = &a->m[i];

		if (m->nkw > 0) {
			mask = idb_keyword_mask(a->path, (const char *const *)m->kw,
			    m->nkw, 1, &kw, &changed, &e);
			/* No letter left: the message is kept, the keyword not. */
			if (mask > 0)
				maildir_flags_set_keywords(&m->flags,
				    (uint32_t)mask);
		}
		memset(&add, 0, sizeof(add));
		add.flags = m->has_flags ? &m->flags : NULL;
		add.date = m->date;
		add.vsize = m->vsize;
		errno = 0;
		if (maildir_tmp_commit(&m->tmp, &add, m->name, sizeof(m->name),
		    &e) == -1) {
			m->open = 0;	/* the commit cleaned up */
			j->rc = -1;
			j->err = errno;
			snprintf(j->errstr, sizeof(j->errstr), "%s", e);
			undo(a, done);
			goto out;
		}
		m->open = 0;
		names[i] = m->name;
		done++;
	}
	if (idb_add(db, j->root, a->dir, names, a->n, &j->d, &e) == -1) {
		/* The messages are safe on disk; the next sync gives them UIDs. */
		log_msg(LOG_WARNING, "imap append root=%s: %s", j->root, e);
		memset(&j->d, 0, sizeof(j->d));
	}
	if (strcmp(a->dir, ".Trash") != 0 &&
	    quota_record(j->root, (int64_t)bytes, (int64_t)a->n, &e) == -1)
		log_msg(LOG_WARNING, "imap quota root=%s: %s", j->root, e);
out:
	free(names);
	keywords_free(&kw);
}

static void
append_done(void *arg)
{
	struct append_job	*j = arg;
	struct imap_session	*s = j->s;
	struct imap_view	*tv;
	struct buf		*b;

	if (j->rc == 0 && (tv = imap_view_find(j->u, j->a->dir)) != NULL &&
	    tv->loaded) {
		j->d.to_uidnext = 0;
		imap_view_apply(tv, &j->d, s);
		imap_view_add(tv, &j->d);
	}
	if (imap_session_release(s))
		goto done;
	if (j->rc == -1) {
		if (j->err == EDQUOT || j->err == ENOSPC)
			imap_complete(s, IMAP_NO, IMAP_CODE_OVERQUOTA,
			    "Quota exceeded");
		else {
			log_msg(LOG_WARNING, "imap append root=%s: %s", j->root,
			    j->errstr);
			imap_complete(s, IMAP_NO, IMAP_CODE_SERVERBUG,
			    "Message could not be stored");
		}
		goto done;
	}
	if (s->state == IMAP_ST_SELECTED)
		imap_report(s, IMAP_REPORT_EXPUNGE);
	b = &s->out;
	buf_reset(b);
	imap_write_begin(b, s->req->tag, strlen(s->req->tag), IMAP_OK);
	if (j->d.nuids > 0 && j->d.uids[0] != 0)
		imap_write_code_appenduid(b, j->d.uidvalidity, j->d.uids,
		    j->d.nuids);
	imap_write_end(b, "Append completed");
	imap_send(s, b);
	imap_cmd_finish(s);
done:
	idb_delta_free(&j->d);
	imap_user_unref(j->u);
	free(j->root);
	free(j);
}

void
imap_cmd_append(struct imap_session *s, struct imap_request *req)
{
	struct imap_append	*ap = &req->u.append;
	struct append_cmd	*a = (struct append_cmd *)s->cmd;
	struct append_job	*j;
	size_t			 i, k;

	if (a == NULL || a->cmd.data != append_data || a->n != ap->nmsgs) {
		/* Literals refused, or none streamed: nothing was taken. */
		imap_complete(s, IMAP_NO, IMAP_CODE_TRYCREATE, "Append failed");
		return;
	}
	if (a->failed) {
		imap_complete(s, IMAP_NO, a->err == ENOSPC || a->err == EDQUOT ?
		    IMAP_CODE_OVERQUOTA : IMAP_CODE_SERVERBUG,
		    "Message could not be stored");
		return;
	}
	for (i = 0; i < ap->nmsgs; i++) {
		const struct imap_append_msg	*am = &ap->msgs[i];
		struct append_msg		*m = &a->m[i];

		m->date = am->date_set ? imap_datetime_time(&am->date) :
		    (time_t)-1;
		if (!am->flags_set)
			continue;
		m->has_flags = 1;
		maildir_flags_clear(&m->flags);
		maildir_flags_set_sys(&m->flags, imap_maildir_sys(am->flags.sys));
		m->kw = xcalloc(am->flags.nkw + 1, sizeof(*m->kw));
		for (k = 0; k < am->flags.nkw; k++) {
			if (!keyword_valid(am->flags.kw[k].p, am->flags.kw[k].len))
				continue;
			m->kw[m->nkw++] = xstrdup(am->flags.kw[k].p);
		}
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->a = a;
	j->u = s->user;
	imap_user_ref(j->u);
	j->root = xstrdup(s->user->root);
	imap_cmd_wait(s, &a->cmd);
	a->cmd.data = NULL;
	imap_session_hold(s);
	imap_job(s->user, append_work, append_done, j);
}
