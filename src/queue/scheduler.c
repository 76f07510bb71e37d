/* Scheduler: delivery rounds per message, delivery agents per account, retries and expiry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "net/pending.h"
#include "mail/deliver.h"
#include "queue/bounce.h"
#include "queue/queue.h"

/* Messages whose files are open for a delivery round at once; the rest wait their turn. */
#define SCHED_ACTIVE_MAX	512

struct job {
	TAILQ_ENTRY(job)	 entry;
	struct qmsg		*q;
	size_t			 idx;
	uint64_t		 req;
	struct mda_chan		*chan;
};
TAILQ_HEAD(jobq, job);

enum chan_state { CHAN_SPAWNING, CHAN_READY };

struct mda_chan {
	struct mda_chan		*next;
	char			*account;
	enum chan_state		 state;
	struct ipc		*ipc;
	unsigned		 inflight;
	struct jobq		 waiting;
};

static struct pending	*jobs_inflight;	/* request id -> struct job */
static unsigned		 active;
/* Messages due for a round while SCHED_ACTIVE_MAX rounds run, oldest first. */
static TAILQ_HEAD(, qmsg) waiting = TAILQ_HEAD_INITIALIZER(waiting);

static void	sched_round(struct qmsg *);
static void	sched_round_end(struct qmsg *);
static void	chan_dispatch(struct mda_chan *);

static void
sched_on_timer(evutil_socket_t fd, short ev, void *arg)
{
	sched_now(arg);
}

struct qmsg *
sched_find(const char *id)
{
	struct qmsg	*q;

	TAILQ_FOREACH(q, &queue_server.msgs, entry)
		if (strcmp(q->id, id) == 0)
			return q;
	return NULL;
}

void
qmsg_free(struct qmsg *q)
{
	if (q->waiting)
		TAILQ_REMOVE(&waiting, q, wait_entry);
	if (q->timer)
		event_free(q->timer);
	if (q->fd != -1)
		close(q->fd);
	if (q->loaded)
		envelope_free(&q->env);
	free(q->sender);
	free(q->last_error);
	qrcpt_free(q);
	free(q);
}

void
sched_add(struct qmsg *q, int fd, struct envelope *env)
{
	size_t	 i;

	memcpy(q->id, env->id, sizeof(q->id));
	q->ctime = env->ctime;
	q->sender = xstrdup(env->sender ? env->sender : "");
	q->ndeliveries = env->ndeliveries;
	q->npending = 0;
	for (i = 0; i < env->ndeliveries; i++)
		if (env->deliveries[i].state == DSTATE_PENDING)
			q->npending++;
	q->fd = fd;
	q->env = *env;
	q->loaded = 1;
	q->timer = evtimer_new(queue_server.base, sched_on_timer, q);
	qrcpt_sync(q);
	TAILQ_INSERT_TAIL(&queue_server.msgs, q, entry);
	queue_server.nmsgs++;
}

void
sched_load(const char *id)
{
	struct qmsg	*q;
	struct envelope	 env;
	const char	*errstr;
	size_t		 msglen;
	int		 fd;

	envelope_init(&env);
	if ((fd = spool_load(&queue_server.spool, id, &env, &msglen,
	    &errstr)) == -1) {
		log_msg(LOG_ERR, "%s queue load-failed reason=\"%s\"", id, errstr);
		envelope_free(&env);
		return;
	}
	q = xcalloc(1, sizeof(*q));
	sched_add(q, fd, &env);
	q->msglen = msglen;
	/* Loaded at start-up: its file is closed until its round comes. */
	close(q->fd);
	q->fd = -1;
	envelope_free(&q->env);
	q->loaded = 0;
	sched_now(q);
}

/* Removes a message from the queue and from disk (all deliveries final, or tegamictl remove). */
void
sched_remove(struct qmsg *q)
{
	if (spool_remove(&queue_server.spool, q->id) == -1)
		log_msg(LOG_ERR, "%s queue remove-failed error=\"%s\"", q->id,
		    strerror(errno));
	TAILQ_REMOVE(&queue_server.msgs, q, entry);
	queue_server.nmsgs--;
	qmsg_free(q);
}

void
sched_now(struct qmsg *q)
{
	if (q->inflight > 0 || q->loaded > 1)
		return;		/* a round is running */
	evtimer_del(q->timer);
	if (active >= SCHED_ACTIVE_MAX) {
		q->next_try = time(NULL);
		if (!q->waiting) {
			/* Started when a round ends (see sched_round_end). */
			TAILQ_INSERT_TAIL(&waiting, q, wait_entry);
			q->waiting = 1;
		}
		return;
	}
	sched_round(q);
}

static struct mda_chan *
chan_get(const char *account)
{
	struct mda_chan	*c;
	struct ipc_out	 o;

	for (c = queue_server.mdas; c; c = c->next)
		if (strcmp(c->account, account) == 0)
			return c;
	c = xcalloc(1, sizeof(*c));
	c->account = xstrdup(account);
	c->state = CHAN_SPAWNING;
	TAILQ_INIT(&c->waiting);
	c->next = queue_server.mdas;
	queue_server.mdas = c;
	ipc_begin(&o, MSG_MDA_SPAWN, 0);
	ipc_add_str(&o, account);
	ipc_send(queue_server.parent, &o);
	return c;
}

static void
chan_unlink(struct mda_chan *c)
{
	struct mda_chan	**pp;

	for (pp = &queue_server.mdas; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c->account);
	free(c);
}

static void
job_result(struct job *j, enum deliver_result r, const char *text)
{
	struct qmsg	*q = j->q;
	struct delivery	*d = &q->env.deliveries[j->idx];

	switch (r) {
	case DELIVER_OK:
		if (spool_set_state(q->fd, d, DSTATE_DONE) == -1)
			log_msg(LOG_ERR, "%s queue cannot mark delivery done: %s",
			    q->id, strerror(errno));
		d->state = DSTATE_DONE;
		q->npending--;
		queue_server.delivered++;
		/* RFC 3461: a success report for final delivery, when asked for. */
		if (d->method != DELIVER_RELAY && qdsn_wanted(d->notify, "SUCCESS"))
			qdsn_add(q, j->idx, BOUNCE_DELIVERED, text, NULL);
		log_msg(LOG_INFO, "%s delivery ok from=<%s> to=<%s> rcpt=<%s> "
		    "size=%zu method=%s delay=%llds stat=\"%s\"", q->id, q->sender,
		    d->dest, d->rcpt, q->msglen, d->method == DELIVER_MBOX ?
		    "mbox" : d->method == DELIVER_RELAY ? "relay" : "maildir", (long long)(time(NULL) - q->ctime), text);
		break;
	case DELIVER_PERMFAIL:
		/* Marked F at the end of the round, once its bounce is committed. */
		qdsn_add(q, j->idx, BOUNCE_FAILED, text, NULL);
		break;
	case DELIVER_TEMPFAIL:
		queue_server.tempfailed++;
		free(q->last_error);
		q->last_error = xstrdup(text);
		qrcpt_set_error(q, j->idx, text);
		log_msg(LOG_WARNING, "%s delivery deferred from=<%s> to=<%s> "
		    "rcpt=<%s> stat=\"%s\"", q->id, q->sender, d->dest, d->rcpt,
		    text);
		break;
	}
	q->inflight--;
	if (q->inflight == 0)
		sched_round_end(q);
}

void
sched_result(struct qmsg *q, size_t idx, enum deliver_result r, const char *text)
{
	struct job	 j;

	memset(&j, 0, sizeof(j));
	j.q = q;
	j.idx = idx;
	job_result(&j, r, text);
}

static void
chan_on_msg(struct ipc *ipc, struct ipc_msg *m, void *arg)
{
	struct mda_chan	*c = arg;
	struct job	*j;
	uint32_t	 r;
	const char	*text;

	if (m == NULL) {
		uint64_t	*ids, id;
		size_t		 iter = 0, n = 0, i;
		void		*v;

		log_msg(LOG_ERR, "queue: delivery agent for %s exited",
		    c->account);
		/* Its deliveries are lost in flight: they stay pending, retried later. */
		ids = xcalloc(pending_count(jobs_inflight) + 1, sizeof(*ids));
		while (pending_iter(jobs_inflight, &iter, &id, &v))
			if (((struct job *)v)->chan == c)
				ids[n++] = id;
		for (i = 0; i < n; i++) {
			j = pending_take(jobs_inflight, ids[i]);
			job_result(j, DELIVER_TEMPFAIL, "delivery agent exited");
			free(j);
		}
		free(ids);
		while ((j = TAILQ_FIRST(&c->waiting)) != NULL) {
			TAILQ_REMOVE(&c->waiting, j, entry);
			job_result(j, DELIVER_TEMPFAIL, "delivery agent exited");
			free(j);
		}
		ipc_free(c->ipc);
		chan_unlink(c);
		return;
	}
	msg_check(m->type, PROC_MDA, PROC_QUEUE);
	if (m->type != MSG_MDA_RESULT)
		fatalx("queue: unexpected %s from mda", msg_name(m->type));
	r = ipc_get_u32(m);
	text = ipc_get_str(m);
	ipc_get_end(m);
	if ((j = pending_take(jobs_inflight, m->id)) == NULL)
		fatalx("queue: result for unknown delivery");
	c->inflight--;
	job_result(j, (enum deliver_result)r, text ? text : "");
	free(j);
	chan_dispatch(c);
}

/*
 * A transaction a filter junked goes to the Junk folder of the Maildirs
 * whose action says junk (smtpd.conf(5) "maildir ... junk"); "" is the
 * inbox.
 */
static const char *
junk_folder(const struct qmsg *q, const struct delivery *d)
{
	const struct action	*a;

	if (!q->env.junk || d->method != DELIVER_MAILDIR || d->action == NULL)
		return "";
	a = conf_action(queue_server.conf, d->action);
	return a != NULL && a->junk ? ".Junk" : "";
}

static void
chan_dispatch(struct mda_chan *c)
{
	struct job	*j;
	struct ipc_out	 o;
	int		 fd;

	if (c->state != CHAN_READY)
		return;
	while (c->inflight < QUEUE_MDA_INFLIGHT &&
	    (j = TAILQ_FIRST(&c->waiting)) != NULL) {
		struct qmsg	*q = j->q;
		struct delivery	*d = &q->env.deliveries[j->idx];

		TAILQ_REMOVE(&c->waiting, j, entry);
		if ((fd = dup(q->fd)) == -1) {
			job_result(j, DELIVER_TEMPFAIL, strerror(errno));
			free(j);
			continue;
		}
		j->req = pending_add(jobs_inflight, j);
		c->inflight++;
		ipc_begin(&o, MSG_MDA_DELIVER, j->req);
		ipc_add_fd(&o, fd);
		ipc_add_u64(&o, q->msglen);
		ipc_add_u32(&o, (uint32_t)d->method);
		ipc_add_str(&o, q->id);
		ipc_add_str(&o, q->sender);
		ipc_add_str(&o, d->rcpt);
		ipc_add_str(&o, d->dest);
		ipc_add_str(&o, d->path);
		ipc_add_str(&o, d->account);
		ipc_add_str(&o, q->env.prepend);
		ipc_add_str(&o, junk_folder(q, d));
		ipc_add_str(&o, d->action);
		ipc_send(c->ipc, &o);
	}
}

void
sched_mda_ready(const char *account, int fd)
{
	struct mda_chan	*c;

	for (c = queue_server.mdas; c; c = c->next)
		if (strcmp(c->account, account) == 0 && c->state == CHAN_SPAWNING)
			break;
	if (c == NULL) {
		close(fd);
		return;
	}
	c->ipc = ipc_new(queue_server.base, fd, "mda", chan_on_msg, c);
	c->state = CHAN_READY;
	chan_dispatch(c);
}

void
sched_mda_unavailable(const char *account, const char *why)
{
	struct mda_chan	*c;
	struct job	*j;
	char		 text[512];

	for (c = queue_server.mdas; c; c = c->next)
		if (strcmp(c->account, account) == 0 && c->state == CHAN_SPAWNING)
			break;
	if (c == NULL)
		return;
	snprintf(text, sizeof(text), "no delivery agent for %s: %s", account,
	    why ? why : "unknown reason");
	while ((j = TAILQ_FIRST(&c->waiting)) != NULL) {
		TAILQ_REMOVE(&c->waiting, j, entry);
		job_result(j, DELIVER_TEMPFAIL, text);
		free(j);
	}
	chan_unlink(c);
}

static void
sched_round(struct qmsg *q)
{
	const char	*errstr;
	size_t		 i, msglen;

	if (jobs_inflight == NULL)
		jobs_inflight = pending_new();
	if (!q->loaded) {
		envelope_init(&q->env);
		if ((q->fd = spool_load(&queue_server.spool, q->id, &q->env,
		    &msglen, &errstr)) == -1) {
			log_msg(LOG_ERR, "%s queue load-failed reason=\"%s\"", q->id,
			    errstr);
			envelope_free(&q->env);
			TAILQ_REMOVE(&queue_server.msgs, q, entry);
			queue_server.nmsgs--;
			qmsg_free(q);
			return;
		}
		q->msglen = msglen;
		q->loaded = 1;
	}
	active++;
	q->loaded = 2;		/* round running */
	q->inflight = 1;	/* held until every job is queued */
	q->attempts++;
	for (i = 0; i < q->env.ndeliveries; i++) {
		struct delivery	*d = &q->env.deliveries[i];
		struct job	*j;

		if (d->state != DSTATE_PENDING)
			continue;
		switch (d->method) {
		case DELIVER_MAILDIR:
		case DELIVER_MBOX:
			j = xcalloc(1, sizeof(*j));
			j->q = q;
			j->idx = i;
			j->chan = chan_get(d->account);
			TAILQ_INSERT_TAIL(&j->chan->waiting, j, entry);
			q->inflight++;
			break;
		case DELIVER_RELAY:
			break;		/* grouped per destination below */
		default:
			free(q->last_error);
			q->last_error = xstrdup("remote and program delivery not "
			    "available yet");
			log_msg(LOG_WARNING, "%s delivery deferred to=<%s> "
			    "stat=\"%s\"", q->id, d->dest, q->last_error);
			break;
		}
	}
	relay_dispatch(q);
	{
		struct mda_chan	*c;

		for (c = queue_server.mdas; c; c = c->next)
			chan_dispatch(c);
	}
	if (--q->inflight == 0)
		sched_round_end(q);
}

/* `queue backoff MIN MAX`: the wait doubles from MIN after each failed round, up to MAX. */
static time_t
sched_backoff(unsigned attempts)
{
	time_t	 t = queue_server.conf->backoff_min;
	time_t	 max = queue_server.conf->backoff_max;

	while (attempts-- > 1 && t < max)
		t *= 2;
	return t < max ? t : max;
}

time_t
sched_expiry(const struct qmsg *q, const struct delivery *d)
{
	const struct conf	*conf = queue_server.conf;
	const struct action	*a;
	time_t			 ttl = conf->queue_ttl;

	if (d->action != NULL && (a = conf_action(conf, d->action)) != NULL &&
	    a->ttl > 0)
		ttl = a->ttl;
	return q->ctime + ttl;
}

/* Pending deliveries past their ttl fail now with their last error (RFC 3463 X.4.7). */
static void
sched_expire(struct qmsg *q, time_t now)
{
	const char	*err;
	char		*text;
	size_t		 i;

	for (i = 0; i < q->env.ndeliveries; i++) {
		struct delivery	*d = &q->env.deliveries[i];

		if (d->state != DSTATE_PENDING || qdsn_failed(q, i) ||
		    now < sched_expiry(q, d))
			continue;
		if ((err = qrcpt_error(q, i)) == NULL)
			err = "none recorded";
		text = xasprintf("Message expired after %lld seconds in the "
		    "queue; last error: %s", (long long)(now - q->ctime), err);
		queue_server.expired++;
		log_msg(LOG_WARNING, "%s delivery expired from=<%s> to=<%s> "
		    "rcpt=<%s> stat=\"%s\"", q->id, q->sender, d->dest, d->rcpt,
		    text);
		qdsn_add(q, i, BOUNCE_FAILED, text, "4.4.7");
		free(text);
	}
}

/* Once per bounce warn-interval passed, a delay report for what is still pending. */
static void
sched_warn(struct qmsg *q, time_t now)
{
	const struct conf	*conf = queue_server.conf;
	const char		*err;
	size_t			 i;

	if (q->warned >= conf->nbounce_warn ||
	    now - q->ctime < conf->bounce_warn[q->warned])
		return;
	while (q->warned < conf->nbounce_warn &&
	    now - q->ctime >= conf->bounce_warn[q->warned])
		q->warned++;
	for (i = 0; i < q->env.ndeliveries; i++) {
		const struct delivery	*d = &q->env.deliveries[i];

		if (d->state != DSTATE_PENDING || qdsn_failed(q, i) ||
		    !qdsn_wanted(d->notify, "DELAY"))
			continue;
		if ((err = qrcpt_error(q, i)) == NULL)
			err = "not delivered yet";
		qdsn_add(q, i, BOUNCE_DELAYED, err, NULL);
	}
}

static void
sched_round_end(struct qmsg *q)
{
	time_t	 now = time(NULL);

	sched_expire(q, now);
	sched_warn(q, now);
	if (q->ndsn > 0)
		bouncer_round(q);	/* calls sched_round_finish when settled */
	else
		sched_round_finish(q);
}

/* The next round: after the backoff, or sooner when a delivery expires or a warning is due. */
static time_t
sched_next_try(const struct qmsg *q, time_t now)
{
	const struct conf	*conf = queue_server.conf;
	time_t			 t = now + sched_backoff(q->attempts), e;
	size_t			 i;

	for (i = 0; i < q->env.ndeliveries; i++) {
		if (q->env.deliveries[i].state != DSTATE_PENDING)
			continue;
		e = sched_expiry(q, &q->env.deliveries[i]);
		if (e > now && e < t)
			t = e;
	}
	if (q->warned < conf->nbounce_warn) {
		e = q->ctime + conf->bounce_warn[q->warned];
		if (e > now && e < t)
			t = e;
	}
	return t;
}

void
sched_conf_changed(void)
{
	const struct conf	*conf = queue_server.conf;
	struct qmsg		*q;
	struct timeval		 tv;
	time_t			 now = time(NULL), ttl = conf->queue_ttl, t;
	size_t			 i;

	/*
	 * Between rounds a message's envelope is not in memory: it wakes at the
	 * shortest ttl any action may now have, and its round decides what
	 * expired; a shorter backoff brings its next try closer too.
	 */
	for (i = 0; i < conf->nactions; i++)
		if (conf->actions[i]->ttl > 0 && conf->actions[i]->ttl < ttl)
			ttl = conf->actions[i]->ttl;
	TAILQ_FOREACH(q, &queue_server.msgs, entry) {
		if (q->loaded || q->inflight > 0 || q->waiting || q->npending == 0)
			continue;
		t = now + sched_backoff(q->attempts);
		if (q->ctime + ttl < t)
			t = q->ctime + ttl;
		if (q->warned < conf->nbounce_warn &&
		    q->ctime + conf->bounce_warn[q->warned] < t)
			t = q->ctime + conf->bounce_warn[q->warned];
		if (t >= q->next_try)
			continue;
		q->next_try = t > now ? t : now;
		tv.tv_sec = q->next_try - now;
		tv.tv_usec = 0;
		evtimer_add(q->timer, &tv);
	}
}

void
sched_round_finish(struct qmsg *q)
{
	struct qmsg	*next;
	time_t		 now = time(NULL);

	active--;
	qdsn_clear(q);
	qrcpt_sync(q);
	if (q->npending > 0)
		q->next_try = sched_next_try(q, now);
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
	envelope_free(&q->env);
	q->loaded = 0;
	if (q->npending == 0) {
		log_msg(LOG_INFO, "%s queue removed", q->id);
		sched_remove(q);
	} else {
		struct timeval	 tv;

		tv.tv_sec = q->next_try - now;
		tv.tv_usec = 0;
		evtimer_add(q->timer, &tv);
	}
	/* Messages that waited for a free slot. */
	while (active < SCHED_ACTIVE_MAX && (next = TAILQ_FIRST(&waiting)) != NULL) {
		TAILQ_REMOVE(&waiting, next, wait_entry);
		next->waiting = 0;
		if (next->loaded == 0 && next->inflight == 0)
			sched_round(next);
	}
}
