/* Reports at a round's end: who gets one, routing the sender, committing the DSN, then marking F. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mail/addr.h"
#include "queue/bounce.h"
#include "queue/queue.h"
#include "route/route.h"

/*
 * One report being made for a message whose round is held open (loaded == 2)
 * until it is settled, so nothing else touches the message meanwhile and
 * the worker may read its envelope and file.
 */
struct report {
	struct qmsg		*q;
	struct conf		*conf;		/* its strings are used on a worker */
	char			 id[17];	/* the report's queue id */
	int			 fd;		/* incoming/ID */
	struct envelope		 env;		/* the report's envelope */
	struct bounce_rcpt	*rcpts;
	size_t			 nrcpts;
	struct bounce_msg	 msg;
	char			*message_id;
	size_t			 msglen;
	int			 error;
	const char		*errstr;
};

static void
report_free(struct report *r)
{
	if (r->fd != -1)
		close(r->fd);
	envelope_free(&r->env);
	free(r->rcpts);
	free(r->message_id);
	conf_free(r->conf);
	free(r);
}

/* Marks a failed delivery F: only once its report is committed, or none is owed. */
static void
mark_failed(struct qmsg *q, struct qdsn *x, const char *bounce)
{
	struct delivery	*d = &q->env.deliveries[x->idx];

	if (spool_set_state(q->fd, d, DSTATE_FAILED) == -1)
		log_msg(LOG_ERR, "%s queue cannot mark delivery failed: %s",
		    q->id, strerror(errno));
	d->state = DSTATE_FAILED;
	q->npending--;
	queue_server.failed++;
	log_msg(LOG_WARNING, "%s delivery failed from=<%s> to=<%s> rcpt=<%s> "
	    "stat=\"%s\" bounce=%s", q->id, q->sender, d->dest, d->rcpt, x->text,
	    bounce);
	x->action = -1;
}

/* The report cannot be made now: failures stay pending and are tried again. */
static void
report_deferred(struct qmsg *q, const char *why)
{
	size_t	 i;

	queue_server.reports_deferred++;
	for (i = 0; i < q->ndsn; i++) {
		struct qdsn	*x = &q->dsn[i];

		if (x->action != BOUNCE_FAILED)
			continue;
		log_msg(LOG_WARNING, "%s delivery failed from=<%s> to=<%s> "
		    "stat=\"%s\" bounce=deferred (%s)", q->id, q->sender,
		    q->env.deliveries[x->idx].dest, x->text, why);
		free(q->last_error);
		q->last_error = xasprintf("bounce deferred: %s", why);
	}
}

/* Why no report is owed for result x, or NULL when one is. */
static const char *
no_report(const struct qmsg *q, const struct qdsn *x)
{
	const struct delivery	*d = &q->env.deliveries[x->idx];

	/* RFC 5321 6.1: never answer the null sender, so bounces cannot loop. */
	if (q->sender[0] == '\0')
		return "none (null sender)";
	if (x->action == BOUNCE_FAILED && !qdsn_wanted(d->notify, "FAILURE"))
		return qdsn_wanted(d->notify, "NEVER") ? "none (NOTIFY=NEVER)" :
		    "none (NOTIFY without FAILURE)";
	return NULL;
}

static void
report_work(void *arg)
{
	struct report	*r = arg;
	struct qmsg	*q = r->q;
	struct buf	 b;
	int		 eightbit = 0;

	buf_init(&b, 0);
	if (bounce_build(&r->msg, q->fd, q->msglen, &b, &eightbit,
	    &r->errstr) == -1) {
		r->error = EINVAL;
		goto done;
	}
	r->env.body_8bit = eightbit;
	r->msglen = b.len;
	if (dio_write(r->fd, b.data, b.len) == -1 ||
	    spool_commit(&queue_server.spool, r->id, r->fd, b.len,
	    &r->env) == -1) {
		r->error = errno ? errno : EIO;
		r->errstr = strerror(r->error);
	}
done:
	buf_free(&b);
}

static void
report_done(void *arg)
{
	struct report	*r = arg;
	struct qmsg	*q = r->q, *nq;
	size_t		 i;
	int		 fd;

	if (r->error) {
		log_msg(LOG_ERR, "%s queue report-failed for=%s error=\"%s\"",
		    r->id, q->id, r->errstr ? r->errstr : "unknown");
		spool_abort(&queue_server.spool, r->id);
		report_deferred(q, r->errstr ? r->errstr : "cannot write it");
		report_free(r);
		sched_round_finish(q);
		return;
	}
	queue_server.reports++;
	log_msg(LOG_INFO, "%s queue committed from=<> size=%zu nrcpt=%zu "
	    "report-for=%s to=<%s>", r->id, r->msglen, r->env.ndeliveries, q->id,
	    q->sender);
	for (i = 0; i < q->ndsn; i++)
		if (q->dsn[i].action == BOUNCE_FAILED)
			mark_failed(q, &q->dsn[i], r->id);
	nq = xcalloc(1, sizeof(*nq));
	fd = r->fd;
	r->fd = -1;
	sched_add(nq, fd, &r->env);	/* takes the envelope */
	envelope_init(&r->env);
	nq->msglen = r->msglen;
	report_free(r);
	sched_round_finish(q);
	sched_now(nq);
}

/* The sender's deliveries are known: write and commit the report on a worker. */
static void
report_commit(struct report *r, const struct envelope *routed)
{
	struct qmsg		*q = r->q;
	const struct conf	*conf;
	const char		*errstr;
	struct mailaddr		 ma;
	time_t			 now = time(NULL);
	size_t			 i, n;

	/* A reload meanwhile frees nothing the worker reads. */
	conf = r->conf = conf_ref(queue_server.conf);
	for (i = 0; i < routed->ndeliveries; i++)
		envelope_add(&r->env, &routed->deliveries[i]);
	r->env.sender = xstrdup("");
	spool_new_id(r->id);
	if ((r->fd = spool_create(&queue_server.spool, r->id)) == -1) {
		report_deferred(q, strerror(errno));
		goto fail;
	}
	memcpy(r->env.id, r->id, sizeof(r->env.id));
	r->env.ctime = now;
	r->env.client_addr = xstrdup("local");
	r->env.smtputf8 = addr_parse(&ma, q->sender, 1, &errstr) == 0 &&
	    addr_is_utf8(&ma);
	for (i = 0; i < r->env.ndeliveries; i++)
		r->env.deliveries[i].state = DSTATE_PENDING;

	r->rcpts = xcalloc(q->ndsn, sizeof(*r->rcpts));
	for (i = 0, n = 0; i < q->ndsn; i++) {
		const struct qdsn	*x = &q->dsn[i];
		const struct delivery	*d = &q->env.deliveries[x->idx];
		struct bounce_rcpt	*br = &r->rcpts[n];

		if (x->action < 0)
			continue;
		br->action = (enum bounce_action)x->action;
		br->rcpt = d->rcpt ? d->rcpt : "";
		br->dest = d->dest;
		br->orcpt = d->orcpt;
		br->text = x->text;
		br->status = x->status;
		br->last_attempt = now;
		br->retry_until = sched_expiry(q, d);
		n++;
	}
	r->nrcpts = n;
	r->message_id = xasprintf("%s.%s@%s", r->id, q->id, conf->hostname);
	r->msg.hostname = conf->hostname;
	r->msg.qid = q->id;
	r->msg.sender = q->sender;
	r->msg.envid = q->env.envid;
	r->msg.ret_full = q->env.dsn_ret_full;
	r->msg.arrival = q->ctime;
	r->msg.now = now;
	r->msg.message_id = r->message_id;
	r->msg.prepend = q->env.prepend;
	r->msg.rcpts = r->rcpts;
	r->msg.nrcpts = r->nrcpts;
	pool_run(queue_server.pool, report_work, report_done, r);
	return;
fail:
	report_free(r);
	sched_round_finish(q);
}

static void	report_routed(struct route_job *, void *);

void
bouncer_round(struct qmsg *q)
{
	struct report		*r;
	struct match_ctx	 ctx;
	const char		*none;
	size_t			 i, n = 0;

	for (i = 0; i < q->ndsn; i++) {
		struct qdsn	*x = &q->dsn[i];

		if ((none = no_report(q, x)) == NULL) {
			n++;
			continue;
		}
		if (x->action == BOUNCE_FAILED) {
			queue_server.reports_none++;
			mark_failed(q, x, none);
		}
		x->action = -1;
	}
	if (n == 0) {
		sched_round_finish(q);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->fd = -1;
	r->q = q;
	envelope_init(&r->env);
	/* A report is mail the server itself sends: it routes like local mail. */
	route_local_ctx(queue_server.conf, &ctx);
	route_rcpt_start(queue_server.pool, queue_server.conf, &ctx, q->sender,
	    report_routed, r);
}

static void
report_routed(struct route_job *job, void *arg)
{
	struct report			*r = arg;
	struct qmsg			*q = r->q;
	const struct route_error	*err = route_job_error(job);
	char				*why;
	size_t				 i;

	switch (route_job_status(job)) {
	case ROUTE_OK:
		report_commit(r, route_job_envelope(job));
		route_job_free(job);
		return;
	case ROUTE_PERMFAIL:
		/* A double bounce: said in the log, then dropped, never looped. */
		why = xasprintf("none (sender unroutable: %s)", err->text);
		for (i = 0; i < q->ndsn; i++)
			if (q->dsn[i].action == BOUNCE_FAILED) {
				queue_server.reports_none++;
				mark_failed(q, &q->dsn[i], why);
			}
		free(why);
		break;
	default:
		report_deferred(q, err->text);
		break;
	}
	route_job_free(job);
	report_free(r);
	sched_round_finish(q);
}
