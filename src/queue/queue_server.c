/* The queue process main: incoming files for the SMTP process and their durable commit. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "conf/conf_update.h"
#include "lib/dio.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/msg.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "queue/queue.h"

/* fsyncs in flight at once: enough that the filesystem can batch them. */
#define QUEUE_POOL_THREADS	32
/* The largest envelope accepted from the SMTP process. */
#define QUEUE_ENVELOPE_MAX	(16 * 1024 * 1024)

struct queue_server	 queue_server;

/* A transaction between CREATE and COMMIT. */
struct incoming {
	char		 id[17];
	int		 fd;		/* our copy; the SMTP process writes through its own */
	struct ipc	*smtp;
	uint64_t	 req;
	struct buf	 envtext;
	size_t		 msglen;
	struct envelope	 env;
	int		 error;
};

static struct map	*incoming;	/* id -> struct incoming */

static void
incoming_free(struct incoming *in)
{
	if (in->fd != -1)
		close(in->fd);
	buf_free(&in->envtext);
	envelope_free(&in->env);
	free(in);
}

static void
reply_failed(struct ipc *c, uint64_t req, int err)
{
	struct ipc_out	 o;

	ipc_begin(&o, MSG_QUEUE_FAILED, req);
	ipc_add_u32(&o, (uint32_t)err);
	ipc_send(c, &o);
}

static void
queue_create(struct ipc *c, uint64_t req)
{
	struct incoming	*in;
	struct ipc_out	 o;
	char		 id[17];
	int		 fd, fd2;

	spool_new_id(id);
	if ((fd = spool_create(&queue_server.spool, id)) == -1) {
		int	 err = errno;

		log_msg(LOG_ERR, "queue: cannot create incoming file: %s",
		    strerror(err));
		reply_failed(c, req, err);
		return;
	}
	if ((fd2 = dup(fd)) == -1) {
		int	 err = errno;

		close(fd);
		spool_abort(&queue_server.spool, id);
		reply_failed(c, req, err);
		return;
	}
	in = xcalloc(1, sizeof(*in));
	memcpy(in->id, id, sizeof(in->id));
	in->fd = fd;
	in->smtp = c;
	buf_init(&in->envtext, QUEUE_ENVELOPE_MAX);
	envelope_init(&in->env);
	map_set(incoming, id, in);
	ipc_begin(&o, MSG_QUEUE_CREATED, req);
	ipc_add_str(&o, id);
	ipc_add_fd(&o, fd2);
	ipc_send(c, &o);
}

static void
commit_work(void *arg)
{
	struct incoming	*in = arg;

	if (spool_commit(&queue_server.spool, in->id, in->fd, in->msglen,
	    &in->env) == -1)
		in->error = errno ? errno : EIO;
}

static void
commit_done(void *arg)
{
	struct incoming	*in = arg;
	struct ipc_out	 o;
	struct qmsg	*q;
	int		 fd;

	map_del(incoming, in->id);
	if (in->error) {
		log_msg(LOG_ERR, "%s queue commit-failed error=\"%s\"", in->id,
		    strerror(in->error));
		reply_failed(in->smtp, in->req, in->error);
		incoming_free(in);
		return;
	}
	ipc_begin(&o, MSG_QUEUE_COMMITTED, in->req);
	ipc_send(in->smtp, &o);
	queue_server.received++;
	log_msg(LOG_INFO, "%s queue committed from=<%s> size=%zu nrcpt=%zu",
	    in->id, in->env.sender, in->msglen, in->env.ndeliveries);

	q = xcalloc(1, sizeof(*q));
	fd = in->fd;
	in->fd = -1;
	sched_add(q, fd, &in->env);	/* takes the envelope */
	envelope_init(&in->env);
	q->msglen = in->msglen;
	incoming_free(in);
	sched_now(q);
}

static void
queue_commit(struct ipc *c, struct ipc_msg *m)
{
	struct incoming	*in;
	const char	*id, *errstr = NULL;
	const void	*data;
	uint64_t	 msglen;
	size_t		 len;

	id = ipc_get_str(m);
	msglen = ipc_get_u64(m);
	data = ipc_get_data(m, &len);
	ipc_get_end(m);
	if (id == NULL || (in = map_get(incoming, id)) == NULL || in->smtp != c)
		fatalx("queue: commit of unknown message");
	if (buf_add(&in->envtext, data, len) == -1)
		in->error = EFBIG;
	if (msglen == UINT64_MAX)
		return;		/* more parts follow */
	in->req = m->id;
	in->msglen = (size_t)msglen;
	/*
	 * The SMTP process is less trusted than we are: its envelope is
	 * parsed, and so checked, before it is committed.
	 */
	if (in->error == 0 && envelope_parse(&in->env, in->envtext.data,
	    in->envtext.len, in->msglen, &errstr) == -1) {
		log_msg(LOG_ERR, "%s queue bad envelope from smtp: %s", in->id,
		    errstr);
		in->error = EINVAL;
	}
	if (in->error == 0 && strcmp(in->env.id, in->id) != 0)
		in->error = EINVAL;
	if (in->error) {
		map_del(incoming, in->id);
		spool_abort(&queue_server.spool, in->id);
		reply_failed(c, m->id, in->error);
		incoming_free(in);
		return;
	}
	pool_run(queue_server.pool, commit_work, commit_done, in);
}

static void
queue_abort(struct ipc *c, struct ipc_msg *m)
{
	struct incoming	*in;
	const char	*id;

	id = ipc_get_str(m);
	ipc_get_end(m);
	if (id == NULL || (in = map_get(incoming, id)) == NULL || in->smtp != c)
		return;		/* already committed or failed */
	map_del(incoming, id);
	spool_abort(&queue_server.spool, id);
	incoming_free(in);
}

static void
queue_on_smtp(struct ipc *c, struct ipc_msg *m, void *arg)
{
	if (m == NULL) {
		size_t		 i, iter = 0;
		const char	*k;
		void		*v;

		/* An old generation finished draining, or the process died. */
		for (i = 0; i < queue_server.nsmtp; i++)
			if (queue_server.smtp[i] == c)
				break;
		if (i < queue_server.nsmtp) {
			memmove(&queue_server.smtp[i], &queue_server.smtp[i + 1],
			    (queue_server.nsmtp - i - 1) * sizeof(c));
			queue_server.nsmtp--;
		}
		while (map_iter(incoming, &iter, &k, &v)) {
			struct incoming	*in = v;

			if (in->smtp == c) {
				map_del(incoming, k);
				spool_abort(&queue_server.spool, in->id);
				incoming_free(in);
			}
		}
		ipc_free(c);
		return;
	}
	msg_check(m->type, PROC_SMTP, PROC_QUEUE);
	switch (m->type) {
	case MSG_QUEUE_CREATE:
		ipc_get_end(m);
		queue_create(c, m->id);
		break;
	case MSG_QUEUE_COMMIT:
		queue_commit(c, m);
		break;
	case MSG_QUEUE_ABORT:
		queue_abort(c, m);
		break;
	default:
		fatalx("queue: unexpected %s from smtp", msg_name(m->type));
	}
}

static void
queue_add_smtp(int fd)
{
	queue_server.smtp = xreallocarray(queue_server.smtp,
	    queue_server.nsmtp + 1, sizeof(*queue_server.smtp));
	queue_server.smtp[queue_server.nsmtp++] = ipc_new(queue_server.base, fd,
	    "smtp", queue_on_smtp, NULL);
	control_smtp_ready();
}

/*
 * A reload: new ttls, backoffs, warning delays, actions and names count at
 * once, for the messages already queued too.
 */
static void
queue_conf(struct ipc_msg *m)
{
	struct conf_update	 u;
	struct conf		*old = queue_server.conf;

	conf_update_read(m, old->file, &u);
	if (u.conf == NULL) {
		conf_update_done(queue_server.parent, &u, 0, NULL);
		return;
	}
	if (strcmp(u.conf->spool, old->spool) != 0)
		log_msg(LOG_WARNING, "queue: a new spool directory takes effect at "
		    "the next restart");
	queue_server.conf = u.conf;
	conf_free(old);
	sched_conf_changed();
	conf_update_done(queue_server.parent, &u, 1, NULL);
}

static void
queue_on_parent(struct ipc *c, struct ipc_msg *m, void *arg)
{
	const char	*account, *why, *text;
	uint32_t	 ok, peer;

	if (m == NULL) {
		log_msg(LOG_ERR, "queue: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_QUEUE);
	switch (m->type) {
	case MSG_MDA_READY:
		account = ipc_get_str(m);
		ipc_get_end(m);
		sched_mda_ready(account, m->fd);
		break;
	case MSG_MDA_UNAVAILABLE:
		account = ipc_get_str(m);
		why = ipc_get_str(m);
		ipc_get_end(m);
		sched_mda_unavailable(account, why);
		break;
	case MSG_LINK:
		peer = ipc_get_u32(m);
		ipc_get_end(m);
		if (m->fd == -1)
			fatalx("queue: LINK without a channel");
		if (peer == PROC_SMTP)
			queue_add_smtp(m->fd);
		else if (peer == PROC_MTA)
			relay_mta_ready(m->fd);
		else
			fatalx("queue: LINK to process %u", peer);
		break;
	case MSG_CONF:
		queue_conf(m);
		break;
	case MSG_RELOAD_RESULT:
		ok = ipc_get_u32(m);
		text = ipc_get_str(m);
		ipc_get_end(m);
		control_reload_result(m->id, (int)ok, text);
		break;
	default:
		fatalx("queue: unexpected %s from parent", msg_name(m->type));
	}
}

static void
queue_scan_one(const char *id, void *arg)
{
	sched_load(id);
}

void
queue_main(struct conf *conf, int parent_fd, int control_fd)
{
	const char	*errstr;

	signal(SIGPIPE, SIG_IGN);
	memset(&queue_server, 0, sizeof(queue_server));
	if ((queue_server.base = event_base_new()) == NULL)
		fatalx("queue: event_base_new");
	queue_server.conf = conf;
	TAILQ_INIT(&queue_server.msgs);
	incoming = map_new();
	if (spool_open(&queue_server.spool, conf->spool, &errstr) == -1)
		fatalx("queue: spool %s: %s", conf->spool, errstr);
	queue_server.pool = pool_new(queue_server.base, QUEUE_POOL_THREADS);
	queue_server.parent = ipc_new(queue_server.base, parent_fd, "parent",
	    queue_on_parent, NULL);
	control_init(control_fd);
	/* What was committed before a stop or a crash is delivered now. */
	spool_scan(&queue_server.spool, queue_scan_one, NULL);
	log_msg(LOG_INFO, "queue: ready, %zu messages in the queue",
	    queue_server.nmsgs);
	event_base_dispatch(queue_server.base);
	fatalx("queue: event loop ended");
}
