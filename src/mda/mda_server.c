/* Delivery agent: runs each delivery on a worker thread so fsyncs of many messages overlap. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "conf/conf_update.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mda/mbox.h"
#include "mda/mda.h"
#include "mail/envelope.h"
#include "store/maildir.h"
#include "store/quota.h"

#define MDA_THREADS	32

struct mda_job {
	uint64_t		 req;
	int			 fd;
	size_t			 msglen;
	enum delivery_method	 method;
	char			*qid, *sender, *rcpt, *dest, *path, *account;
	char			*prepend;	/* header fields made after the body */
	char			*folder;	/* "" (the inbox) or ".Junk" */
	int			 over_quota_defer;
	enum deliver_result	 result;
	char			 text[512];
};

static struct ipc	*queue;
static struct ipc	*parent;
static struct pool	*pool;
static struct conf	*conf;

static void
mda_job_free(struct mda_job *j)
{
	if (j->fd != -1)
		close(j->fd);
	free(j->qid);
	free(j->sender);
	free(j->rcpt);
	free(j->dest);
	free(j->path);
	free(j->account);
	free(j->prepend);
	free(j->folder);
	free(j);
}

/*
 * Whether a message of size bytes fits the Maildir's quota: the limit is the
 * first line of its maildirsize (Maildir++, as vpopmail and Courier keep a
 * user's quota; tegamictl writes it), so a change takes effect at the next
 * delivery. Over it, the action's over-quota decides: 552 5.2.2 (a bounce)
 * or 452 4.2.2 (retried until the queue gives up). A quota that cannot be
 * read (no Maildir yet) does not stop the delivery.
 */
static int
mda_over_quota(struct mda_job *j, size_t size, const char **errstr)
{
	struct quota	 q;
	const char	*err;
	int		 r;

	r = quota_check(j->path, NULL, 0, size, 1, &q, &err);
	if (r == -1) {
		log_msg(LOG_DEBUG, "%s mda quota not checked path=%s error=\"%s\"",
		    j->qid, j->path, err);
		return 0;
	}
	if (r != QUOTA_OVER)
		return 0;
	log_msg(LOG_INFO, "%s mda over quota to=<%s> usage=%lld/%llu bytes "
	    "%lld/%llu messages", j->qid, j->dest, (long long)q.bytes,
	    (unsigned long long)q.limit.bytes, (long long)q.count,
	    (unsigned long long)q.limit.count);
	j->result = j->over_quota_defer ? DELIVER_TEMPFAIL : DELIVER_PERMFAIL;
	*errstr = j->over_quota_defer ? "452 4.2.2 mailbox full (over quota)" :
	    "552 5.2.2 mailbox full (over quota)";
	return 1;
}

static void
mda_work(void *arg)
{
	struct mda_job	*j = arg;
	struct buf	 hdr;
	const char	*errstr = NULL;
	char		 name[256];

	/* RFC 5321 4.4: the final delivery adds Return-Path; Delivered-To marks loops. */
	buf_init(&hdr, 0);
	buf_addf(&hdr, "Return-Path: <%s>\nDelivered-To: %s\n%s", j->sender, j->dest,
	    j->prepend);
	switch (j->method) {
	case DELIVER_MAILDIR:
		if (mda_over_quota(j, hdr.len + j->msglen, &errstr))
			break;
		j->result = maildir_deliver(j->path, j->folder[0] ? j->folder : NULL,
		    hdr.data, hdr.len, j->fd, 0, j->msglen, name, sizeof(name),
		    &errstr);
		if (j->result == DELIVER_OK) {
			const char	*qerr;

			snprintf(j->text, sizeof(j->text), "delivered to %s/%s%snew/%s",
			    j->path, j->folder, j->folder[0] ? "/" : "", name);
			/* Maildir++: one maildirsize for the inbox and its folders. */
			if (quota_record(j->path, (int64_t)(hdr.len + j->msglen), 1,
			    &qerr) == -1)
				log_msg(LOG_WARNING, "%s mda quota not recorded "
				    "path=%s error=\"%s\"", j->qid, j->path, qerr);
		}
		break;
	case DELIVER_MBOX:
		j->result = mbox_deliver(j->path, j->sender, time(NULL), hdr.data,
		    hdr.len, j->fd, 0, j->msglen, &errstr);
		if (j->result == DELIVER_OK)
			snprintf(j->text, sizeof(j->text), "delivered to %s",
			    j->path);
		break;
	default:
		j->result = DELIVER_TEMPFAIL;
		errstr = "delivery method not available in this agent";
		break;
	}
	if (j->result != DELIVER_OK) {
		/*
		 * The text travels into bounces, to the sender: it says what
		 * failed, not where the mail tree is. The path goes to the log.
		 */
		snprintf(j->text, sizeof(j->text), "local delivery failed: %s",
		    errstr ? errstr : "failed");
		log_msg(LOG_WARNING, "%s mda failed to=<%s> path=%s error=\"%s\"",
		    j->qid, j->dest, j->path, errstr ? errstr : "failed");
	}
	buf_free(&hdr);
}

static void
mda_done(void *arg)
{
	struct mda_job	*j = arg;
	struct ipc_out	 o;

	ipc_begin(&o, MSG_MDA_RESULT, j->req);
	ipc_add_u32(&o, (uint32_t)j->result);
	ipc_add_str(&o, j->text);
	ipc_send(queue, &o);
	mda_job_free(j);
}

/*
 * over-quota of the delivery's action in this process's configuration; an
 * action a reload removed since the queue routed the mail bounces, the
 * default.
 */
static int
over_quota_defer(const char *action)
{
	const struct action	*a;

	if (action == NULL || (a = conf_action(conf, action)) == NULL)
		return 0;
	return a->over_quota_defer;
}

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

static void
mda_on_queue(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct mda_job	*j;

	if (m == NULL) {
		log_msg(LOG_INFO, "mda: queue closed the channel, exiting");
		exit(0);
	}
	msg_check(m->type, PROC_QUEUE, PROC_MDA);
	if (m->type != MSG_MDA_DELIVER)
		fatalx("mda: unexpected %s", msg_name(m->type));
	j = xcalloc(1, sizeof(*j));
	j->req = m->id;
	j->fd = m->fd;
	j->msglen = (size_t)ipc_get_u64(m);
	j->method = (enum delivery_method)ipc_get_u32(m);
	j->qid = dup_or_empty(ipc_get_str(m));
	j->sender = dup_or_empty(ipc_get_str(m));
	j->rcpt = dup_or_empty(ipc_get_str(m));
	j->dest = dup_or_empty(ipc_get_str(m));
	j->path = dup_or_empty(ipc_get_str(m));
	j->account = dup_or_empty(ipc_get_str(m));
	j->prepend = dup_or_empty(ipc_get_str(m));
	j->folder = dup_or_empty(ipc_get_str(m));
	j->over_quota_defer = over_quota_defer(ipc_get_str(m));
	ipc_get_end(m);
	if (j->fd == -1)
		fatalx("mda: delivery without a message");
	/* The only folder a delivery is sent to: a queue asking for another is broken. */
	if (j->folder[0] != '\0' && strcmp(j->folder, ".Junk") != 0)
		fatalx("mda: delivery into an unexpected folder");
	pool_run(pool, mda_work, mda_done, j);
}

static void
mda_on_parent(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct conf_update	 u;

	if (m == NULL) {
		log_msg(LOG_ERR, "mda: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_MDA);
	if (m->type != MSG_CONF)
		fatalx("mda: unexpected %s from parent", msg_name(m->type));
	conf_update_read(m, conf->file, &u);
	if (u.conf == NULL) {
		conf_update_done(parent, &u, 0, NULL);
		return;
	}
	conf_free(conf);
	conf = u.conf;
	conf_update_done(parent, &u, 1, NULL);
}

void
mda_main(struct conf *c, const char *account, int queue_fd, int parent_fd)
{
	struct event_base	*base;

	signal(SIGPIPE, SIG_IGN);
	conf = c;
	if ((base = event_base_new()) == NULL)
		fatalx("mda: event_base_new");
	pool = pool_new(base, MDA_THREADS);
	queue = ipc_new(base, queue_fd, "queue", mda_on_queue, NULL);
	parent = ipc_new(base, parent_fd, "parent", mda_on_parent, NULL);
	log_msg(LOG_INFO, "mda: ready for account %s", account);
	event_base_dispatch(base);
	fatalx("mda: event loop ended");
}
