/* CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, and the QUOTA commands (RFC 9208) on the user's Maildir++ quota. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/folder.h"
#include "store/quota.h"

/*
 * Each runs as one job: directories are made, renamed and fsync'd on a
 * worker, and the index is told in the same job, so a folder made again
 * under an old name never gets its old UIDVALIDITY back.
 */
enum mbox_op { OP_CREATE, OP_DELETE, OP_RENAME, OP_SUBSCRIBE, OP_UNSUBSCRIBE,
    OP_QUOTA };

struct mbox_job {
	struct imap_session	*s;
	enum mbox_op		 op;
	char			*root;
	char			 name[FOLDER_NAME_MAX + 1], dir[FOLDER_DIR_MAX + 1];
	char			 to[FOLDER_NAME_MAX + 1], todir[FOLDER_DIR_MAX + 1];
	int			 rc, err;
	char			 errstr[256];
	struct quota		 q;
	int			 has_quota;
};

static void
mbox_work(struct idb *db, void *arg)
{
	struct mbox_job	*j = arg;
	const char	*e = NULL, *ie;

	errno = 0;
	switch (j->op) {
	case OP_CREATE:
		/* Rows a crash or another program left under this name are not this folder's. */
		if (db != NULL)
			(void)idb_folder_forget(db, j->dir, 0, &ie);
		j->rc = folder_create(j->root, j->name, &e);
		break;
	case OP_DELETE:
		j->rc = folder_delete(j->root, j->name, FOLDER_DELETE_MESSAGES, &e);
		if (j->rc == 0 && db != NULL &&
		    idb_folder_forget(db, j->dir, 0, &ie) == -1)
			log_msg(LOG_WARNING, "imap delete: %s", ie);
		break;
	case OP_RENAME:
		j->rc = folder_rename(j->root, j->name, j->to, &e);
		if (j->rc == 0 && db != NULL) {
			if (j->dir[0] == '\0') {
				/* INBOX: a new folder took its messages. */
				if (idb_folder_forget(db, j->todir, 1, &ie) == -1)
					log_msg(LOG_WARNING, "imap rename: %s", ie);
			} else if (idb_folder_rename(db, j->dir, j->todir,
			    &ie) == -1)
				log_msg(LOG_WARNING, "imap rename: %s", ie);
		}
		break;
	case OP_SUBSCRIBE:
	case OP_UNSUBSCRIBE:
		j->rc = folder_subscribe(j->root, j->name, j->op == OP_SUBSCRIBE,
		    &e);
		break;
	case OP_QUOTA:
		j->rc = quota_get(j->root, NULL, 0, &j->q, &e);
		j->has_quota = j->rc == 0 && (j->q.limit.bytes > 0 ||
		    j->q.limit.count > 0);
		break;
	}
	j->err = errno;
	if (j->rc == -1)
		snprintf(j->errstr, sizeof(j->errstr), "%s", e ? e : "failed");
}

static void
quota_respond(struct imap_session *s, struct mbox_job *j)
{
	struct buf	*b = &s->out;
	int		 sp = 0;

	buf_reset(b);
	if (s->req->id == IMAP_CMD_GETQUOTAROOT) {
		buf_adds(b, "* QUOTAROOT ");
		imap_write_mbox(s, b, j->name);
		if (j->has_quota)
			buf_adds(b, " \"\"");
		buf_adds(b, "\r\n");
	}
	if (j->has_quota) {
		buf_adds(b, "* QUOTA \"\" (");
		if (j->q.limit.bytes > 0) {
			/* STORAGE counts units of 1024 octets (RFC 9208 5.1). */
			buf_addf(b, "STORAGE %lld %llu",
			    (long long)((j->q.bytes > 0 ? j->q.bytes : 0) + 1023) / 1024,
			    (unsigned long long)j->q.limit.bytes / 1024);
			sp = 1;
		}
		if (j->q.limit.count > 0)
			buf_addf(b, "%sMESSAGE %lld %llu", sp ? " " : "",
			    (long long)(j->q.count > 0 ? j->q.count : 0),
			    (unsigned long long)j->q.limit.count);
		buf_adds(b, ")\r\n");
	}
	imap_send(s, b);
	if (s->req->id == IMAP_CMD_GETQUOTA && !j->has_quota)
		imap_complete(s, IMAP_NO, IMAP_CODE_NONEXISTENT,
		    "No such quota root");
	else
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Quota completed");
}

static void
mbox_done(void *arg)
{
	struct mbox_job		*j = arg;
	struct imap_session	*s = j->s;
	struct imap_user	*u;
	struct imap_view	*inbox;

	if (imap_session_release(s))
		goto done;
	u = s->user;
	if (j->rc == -1) {
		enum imap_code	 code = IMAP_CODE_CANNOT;
		const char	*text = j->errstr;

		if (j->op == OP_QUOTA) {
			imap_complete(s, IMAP_NO, IMAP_CODE_UNAVAILABLE,
			    "Quota unavailable");
			goto done;
		}
		switch (j->err) {
		case EEXIST:
			code = IMAP_CODE_ALREADYEXISTS;
			text = "Mailbox already exists";
			break;
		case ENOENT:
			code = IMAP_CODE_NONEXISTENT;
			text = "Mailbox doesn't exist";
			break;
		case EINVAL:
			text = "Invalid mailbox name";
			break;
		case ENOSPC:
		case EDQUOT:
			code = IMAP_CODE_OVERQUOTA;
			break;
		default:
			code = IMAP_CODE_SERVERBUG;
			log_msg(LOG_WARNING, "%s imap root=%s: %s",
			    s->mc != NULL ? "-" : "-", j->root, j->errstr);
			break;
		}
		imap_complete(s, IMAP_NO, code, text);
		goto done;
	}
	switch (j->op) {
	case OP_CREATE:
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Create completed");
		break;
	case OP_DELETE:
		if (s->view != NULL && strcmp(s->view->dir, j->dir) == 0)
			imap_unselect(s);
		imap_view_gone(u, j->dir, 0);
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Delete completed");
		break;
	case OP_RENAME:
		if (j->dir[0] == '\0') {
			/* INBOX's messages moved: its sessions see them expunged. */
			if ((inbox = imap_view_find(u, "")) != NULL)
				imap_view_overflow(inbox);
		} else
			imap_view_renamed(u, j->dir, j->todir);
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Rename completed");
		break;
	case OP_SUBSCRIBE:
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Subscribe completed");
		break;
	case OP_UNSUBSCRIBE:
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Unsubscribe completed");
		break;
	case OP_QUOTA:
		quota_respond(s, j);
		break;
	}
done:
	free(j->root);
	free(j);
}

static void
run(struct imap_session *s, struct mbox_job *j)
{
	j->s = s;
	j->root = xstrdup(s->user->root);
	imap_cmd_wait(s, NULL);
	imap_session_hold(s);
	imap_job(s->user, mbox_work, mbox_done, j);
}

/* A name from the client; a trailing "/" (a hierarchy hint of CREATE) is dropped. */
static int
name_of(struct imap_session *s, const struct imap_mailbox *mb, char *name,
    char *dir, int create)
{
	struct imap_mailbox	 m = *mb;
	const char		*e;

	if (create && m.name.len > 1 && m.name.p[m.name.len - 1] == '/')
		m.name.len--;
	if (imap_mbox_name(s, &m, name, FOLDER_NAME_MAX + 1, dir,
	    FOLDER_DIR_MAX + 1, &e) == -1) {
		imap_complete(s, IMAP_NO, IMAP_CODE_CANNOT, e);
		return -1;
	}
	return 0;
}

void
imap_cmd_create(struct imap_session *s, struct imap_request *req)
{
	struct mbox_job	*j = xcalloc(1, sizeof(*j));

	if (name_of(s, &req->u.create.mbox, j->name, j->dir, 1) == -1) {
		free(j);
		return;
	}
	if (j->dir[0] == '\0') {
		free(j);
		imap_complete(s, IMAP_NO, IMAP_CODE_ALREADYEXISTS,
		    "INBOX always exists");
		return;
	}
	j->op = OP_CREATE;
	run(s, j);
}

void
imap_cmd_delete(struct imap_session *s, struct imap_request *req)
{
	struct mbox_job	*j = xcalloc(1, sizeof(*j));

	if (name_of(s, &req->u.mbox, j->name, j->dir, 0) == -1) {
		free(j);
		return;
	}
	if (j->dir[0] == '\0') {
		free(j);
		imap_complete(s, IMAP_NO, IMAP_CODE_CANNOT,
		    "INBOX cannot be deleted");
		return;
	}
	j->op = OP_DELETE;
	run(s, j);
}

void
imap_cmd_rename(struct imap_session *s, struct imap_request *req)
{
	struct mbox_job	*j = xcalloc(1, sizeof(*j));

	if (name_of(s, &req->u.rename.from, j->name, j->dir, 0) == -1 ||
	    name_of(s, &req->u.rename.to, j->to, j->todir, 0) == -1) {
		free(j);
		return;
	}
	if (j->todir[0] == '\0') {
		free(j);
		imap_complete(s, IMAP_NO, IMAP_CODE_ALREADYEXISTS,
		    "INBOX always exists");
		return;
	}
	j->op = OP_RENAME;
	run(s, j);
}

void
imap_cmd_subscribe(struct imap_session *s, struct imap_request *req)
{
	struct mbox_job	*j = xcalloc(1, sizeof(*j));

	if (name_of(s, &req->u.mbox, j->name, j->dir, 0) == -1) {
		free(j);
		return;
	}
	j->op = req->id == IMAP_CMD_SUBSCRIBE ? OP_SUBSCRIBE : OP_UNSUBSCRIBE;
	run(s, j);
}

void
imap_cmd_quota(struct imap_session *s, struct imap_request *req)
{
	struct mbox_job	*j;

	if (req->id == IMAP_CMD_SETQUOTA) {
		imap_complete(s, IMAP_NO, IMAP_CODE_NOPERM,
		    "Quotas are set by the administrator");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	if (req->id == IMAP_CMD_GETQUOTAROOT) {
		if (name_of(s, &req->u.mbox, j->name, j->dir, 0) == -1) {
			free(j);
			return;
		}
	} else if (req->u.quota.root.len != 0) {
		free(j);
		imap_complete(s, IMAP_NO, IMAP_CODE_NONEXISTENT,
		    "No such quota root");
		return;
	}
	j->op = OP_QUOTA;
	run(s, j);
}
