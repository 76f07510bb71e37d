/* Relay deliveries: grouped per (action, recipient domain) and handed to the mta process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "net/pending.h"
#include "queue/queue.h"

/* Recipients per request: the mta's transaction size, and well inside IPC_MAX_PAYLOAD. */
#define RELAY_REQ_RCPTS		100
#define RELAY_REQ_BYTES		(40 * 1024)

/* A channel to an mta process; an old one lives until its requests are answered. */
struct mta_link {
	struct mta_link	*next;
	struct ipc	*ipc;
	unsigned	 inflight;
	int		 current;
};

struct relay_req {
	struct relay_req	*next_waiting;
	uint64_t		 id;
	struct qmsg		*q;
	size_t			*idx;		/* delivery indexes in q->env */
	unsigned char		*got;		/* result received, per recipient */
	size_t			 n, nleft;
	struct mta_link		*link;
};

static struct mta_link	*links;
static struct pending	*reqs;		/* request id -> struct relay_req */
static struct relay_req	*waiting, **waiting_tail = &waiting;

static struct mta_link *
link_current(void)
{
	struct mta_link	*l;

	for (l = links; l; l = l->next)
		if (l->current)
			return l;
	return NULL;
}

static void
link_free(struct mta_link *l)
{
	struct mta_link	**pp;

	for (pp = &links; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	ipc_free(l->ipc);
	free(l);
}

static void
req_result(struct relay_req *r, size_t i, enum deliver_result res,
    const char *text, const char *host)
{
	char	*full;

	if (r->got[i])
		return;
	r->got[i] = 1;
	r->nleft--;
	/* The reply first, so that a DSN can take its codes from the start. */
	if (host != NULL && *host != '\0')
		full = xasprintf("%s (host %s)", text, host);
	else
		full = xstrdup(text);
	sched_result(r->q, r->idx[i], res, full);
	free(full);
}

static void
req_free(struct relay_req *r)
{
	if (reqs != NULL)
		pending_take(reqs, r->id);
	if (r->link != NULL) {
		r->link->inflight--;
		if (!r->link->current && r->link->inflight == 0)
			link_free(r->link);
	}
	free(r->idx);
	free(r->got);
	free(r);
}

static void
req_fail(struct relay_req *r, const char *text)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		req_result(r, i, DELIVER_TEMPFAIL, text, NULL);
	req_free(r);
}

static void
req_send(struct relay_req *r, struct mta_link *l)
{
	struct qmsg	*q = r->q;
	struct ipc_out	 o;
	uint32_t	 flags = 0;
	size_t		 i;
	int		 fd;

	if ((fd = dup(q->fd)) == -1) {
		char	 text[200];

		snprintf(text, sizeof(text), "451 4.3.0 cannot pass the queue "
		    "file: %s", strerror(errno));
		req_fail(r, text);
		return;
	}
	if (q->env.dsn_ret_full)
		flags |= MTA_F_RET_FULL;
	if (q->env.body_8bit)
		flags |= MTA_F_8BIT;
	if (q->env.smtputf8)
		flags |= MTA_F_SMTPUTF8;
	r->link = l;
	l->inflight++;
	pending_set(reqs, r->id, r);
	ipc_begin(&o, MSG_MTA_DELIVER, r->id);
	ipc_add_fd(&o, fd);
	ipc_add_u64(&o, q->msglen);
	ipc_add_str(&o, q->id);
	ipc_add_str(&o, q->env.deliveries[r->idx[0]].action);
	ipc_add_str(&o, q->env.deliveries[r->idx[0]].path);
	/* A forward's own reverse-path (SRS) when it has one: grouped by it below. */
	ipc_add_str(&o, q->env.deliveries[r->idx[0]].sender != NULL ?
	    q->env.deliveries[r->idx[0]].sender : q->sender);
	ipc_add_str(&o, q->env.envid);
	ipc_add_str(&o, q->env.prepend);
	ipc_add_u32(&o, flags);
	ipc_add_u32(&o, (uint32_t)r->n);
	for (i = 0; i < r->n; i++) {
		const struct delivery	*d = &q->env.deliveries[r->idx[i]];

		ipc_add_str(&o, d->dest);
		ipc_add_str(&o, d->notify);
		ipc_add_str(&o, d->orcpt);
	}
	ipc_send(l->ipc, &o);
}

static void
req_queue(struct relay_req *r)
{
	struct mta_link	*l = link_current();

	if (l != NULL) {
		req_send(r, l);
		return;
	}
	/* At start-up the queue is scanned before the mta's channel arrives. */
	r->next_waiting = NULL;
	*waiting_tail = r;
	waiting_tail = &r->next_waiting;
}

static int
same_dest(const struct delivery *a, const struct delivery *b)
{
	return strcmp(a->action ? a->action : "", b->action ? b->action : "") == 0 &&
	    strcasecmp(a->path ? a->path : "", b->path ? b->path : "") == 0 &&
	    strcmp(a->sender ? a->sender : "-", b->sender ? b->sender : "-") == 0;
}

static size_t
delivery_bytes(const struct delivery *d)
{
	return strlen(d->dest ? d->dest : "") + strlen(d->notify ? d->notify : "") +
	    strlen(d->orcpt ? d->orcpt : "") + 3 * 8;
}

size_t
relay_dispatch(struct qmsg *q)
{
	unsigned char	*taken;
	size_t		 i, j, total = 0;

	if (reqs == NULL)
		reqs = pending_new();
	taken = xcalloc(q->env.ndeliveries + 1, 1);
	for (i = 0; i < q->env.ndeliveries; i++) {
		const struct delivery	*d = &q->env.deliveries[i];
		struct relay_req	*r = NULL;
		size_t			 bytes = 0;

		if (taken[i] || d->state != DSTATE_PENDING ||
		    d->method != DELIVER_RELAY)
			continue;
		for (j = i; j < q->env.ndeliveries; j++) {
			const struct delivery	*e = &q->env.deliveries[j];

			if (taken[j] || e->state != DSTATE_PENDING ||
			    e->method != DELIVER_RELAY || !same_dest(d, e))
				continue;
			if (r != NULL && (r->n == RELAY_REQ_RCPTS ||
			    bytes + delivery_bytes(e) > RELAY_REQ_BYTES)) {
				req_queue(r);
				r = NULL;
			}
			if (r == NULL) {
				r = xcalloc(1, sizeof(*r));
				r->id = ++queue_server.next_req;	/* sent with pending_set */
				r->q = q;
				r->idx = xreallocarray(NULL, RELAY_REQ_RCPTS,
				    sizeof(*r->idx));
				r->got = xcalloc(RELAY_REQ_RCPTS, 1);
				bytes = 0;
			}
			taken[j] = 1;
			r->idx[r->n++] = j;
			r->nleft++;
			bytes += delivery_bytes(e);
			q->inflight++;
			total++;
		}
		if (r != NULL)
			req_queue(r);
	}
	free(taken);
	return total;
}

static void
relay_on_mta(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct mta_link		*l = arg;
	struct relay_req	*r;
	const char		*text, *host;
	uint32_t		 i, res;
	size_t			 iter = 0;
	void			*v;

	if (m == NULL) {
		uint64_t	*ids, id;
		size_t		 n = 0, j;

		log_msg(LOG_ERR, "queue: the relay process closed its channel");
		l->current = 0;
		l->inflight++;		/* held while its requests are failed */
		ids = xcalloc(pending_count(reqs) + 1, sizeof(*ids));
		while (pending_iter(reqs, &iter, &id, &v))
			if (((struct relay_req *)v)->link == l)
				ids[n++] = id;
		for (j = 0; j < n; j++)
			if ((r = pending_get(reqs, ids[j])) != NULL)
				req_fail(r, "451 4.3.0 relay process exited");
		free(ids);
		l->inflight--;
		link_free(l);
		return;
	}
	msg_check(m->type, PROC_MTA, PROC_QUEUE);
	if (m->type != MSG_MTA_RESULT)
		fatalx("queue: unexpected %s from mta", msg_name(m->type));
	i = ipc_get_u32(m);
	res = ipc_get_u32(m);
	text = ipc_get_str(m);
	host = ipc_get_str(m);
	ipc_get_end(m);
	if ((r = pending_get(reqs, m->id)) == NULL || i >= r->n ||
	    r->got[i] || r->link != l || res > DELIVER_PERMFAIL)
		fatalx("queue: relay result for an unknown recipient");
	req_result(r, i, (enum deliver_result)res, text ? text : "", host);
	if (r->nleft == 0)
		req_free(r);
}

void
relay_mta_ready(int fd)
{
	struct mta_link	*l, *old;
	struct relay_req *r;

	if (reqs == NULL)
		reqs = pending_new();
	for (old = links; old; old = old->next)
		old->current = 0;
	/* Old channels go once their requests are answered; idle ones now. */
	for (old = links; old; ) {
		struct mta_link	*next = old->next;

		if (old->inflight == 0)
			link_free(old);
		old = next;
	}
	l = xcalloc(1, sizeof(*l));
	l->current = 1;
	l->ipc = ipc_new(queue_server.base, fd, "mta", relay_on_mta, l);
	l->next = links;
	links = l;
	while ((r = waiting) != NULL) {
		waiting = r->next_waiting;
		if (waiting == NULL)
			waiting_tail = &waiting;
		req_send(r, l);
	}
}
