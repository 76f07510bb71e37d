/* The relay process: requests from the queue become tasks queued per destination. */
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
#include "conf/table.h"
#include "dns/dns.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "mta/mta.h"
#include "mta/mta_priv.h"

struct mta_globals	 mta;

static struct ipc	*queue;
static struct ipc	*parent;
static TAILQ_HEAD(, mta_dest) dests = TAILQ_HEAD_INITIALIZER(dests);

static void	dest_pump(struct mta_dest *);

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
task_free(struct mta_task *t)
{
	size_t	 i;

	if (t->fd != -1)
		close(t->fd);
	for (i = 0; i < t->nrcpt; i++) {
		free(t->rcpts[i].dest);
		free(t->rcpts[i].notify);
		free(t->rcpts[i].orcpt);
		free(t->rcpts[i].text);
	}
	free(t->rcpts);
	free(t->qid);
	free(t->action);
	free(t->domain);
	free(t->sender);
	free(t->envid);
	free(t->prepend);
	free(t);
}

void
mta_rcpt_result(struct mta_rcpt *r, enum deliver_result res, const char *text)
{
	if (r->final)
		return;
	r->final = 1;
	r->res = res;
	r->text = xstrdup(text ? text : "");
}

void
mta_task_done(struct mta_task *t, enum deliver_result res, const char *text,
    const char *host)
{
	struct ipc_out	 o;
	size_t		 i;

	for (i = 0; i < t->nrcpt; i++) {
		struct mta_rcpt	*r = &t->rcpts[i];

		mta_rcpt_result(r, res, text);
		ipc_begin(&o, MSG_MTA_RESULT, t->req);
		ipc_add_u32(&o, r->idx);
		ipc_add_u32(&o, (uint32_t)r->res);
		ipc_add_str(&o, r->text);
		ipc_add_str(&o, host);
		ipc_send(queue, &o);
	}
	task_free(t);
}

/* ---- destinations ---- */

static void
dest_free(struct mta_dest *d)
{
	TAILQ_REMOVE(&dests, d, entry);
	mta_route_free(d->routed);
	conf_free(d->conf);
	mx_cancel(d->mxq);
	free(d->addrs);
	free(d->key);
	free(d->domain);
	free(d);
}

/* Freed when nothing waits and no session is left. */
static void
dest_maybe_free(struct mta_dest *d)
{
	if (d->nwaiting == 0 && d->nsessions == 0 && d->mxq == NULL)
		dest_free(d);
}

/*
 * The destination of a task under action a. A smarthost is one destination
 * for every domain sent through it, and so is each relay host of a "relay
 * domain" table. The configuration is part of the key: after a reload new
 * tasks go to destinations of the new actions while the old ones drain.
 */
static struct mta_dest *
dest_get(const struct action *a, const char *domain, char *why, size_t whylen)
{
	struct mta_dest	*d;
	const char	*url = NULL;
	char		*key;

	if (a->relay_domain != NULL) {
		if ((url = mta_route_url(a, domain, why, whylen)) == NULL)
			return NULL;
		key = xasprintf("%p %s\n%s", (void *)mta.conf, a->name, url);
	} else if (a->host != NULL)
		key = xasprintf("%p %s", (void *)mta.conf, a->name);
	else
		key = xasprintf("%p %s %s", (void *)mta.conf, a->name, domain);
	TAILQ_FOREACH(d, &dests, entry)
		if (strcmp(d->key, key) == 0) {
			free(key);
			return d;
		}
	d = xcalloc(1, sizeof(*d));
	if (url != NULL) {
		if ((d->routed = mta_route_action(a, url, why, whylen)) == NULL) {
			free(key);
			free(d);
			return NULL;
		}
		a = d->routed;
	}
	d->key = key;
	d->conf = conf_ref(mta.conf);
	d->action = a;
	d->domain = a->host ? NULL : xstrdup(domain);
	TAILQ_INIT(&d->waiting);
	TAILQ_INSERT_TAIL(&dests, d, entry);
	return d;
}

static void
dest_fail_waiting(struct mta_dest *d, enum deliver_result res, const char *text,
    const char *host)
{
	struct mta_task	*t;

	while ((t = TAILQ_FIRST(&d->waiting)) != NULL) {
		TAILQ_REMOVE(&d->waiting, t, entry);
		d->nwaiting--;
		mta_task_done(t, res, text, host);
	}
}

static void
dest_on_resolved(enum deliver_result res, const struct mx_addr *addrs, size_t n,
    const char *text, void *arg)
{
	struct mta_dest	*d = arg;

	d->mxq = NULL;
	if (res != DELIVER_OK) {
		log_msg(LOG_INFO, "mta: %s: %s", d->domain ? d->domain :
		    d->action->host->host, text);
		dest_fail_waiting(d, res, text, NULL);
		dest_maybe_free(d);
		return;
	}
	free(d->addrs);
	d->addrs = xreallocarray(NULL, n, sizeof(*addrs));
	memcpy(d->addrs, addrs, n * sizeof(*addrs));
	d->naddrs = n;
	d->resolved_at = time(NULL);
	dest_pump(d);
}

static void
dest_pump(struct mta_dest *d)
{
	struct mta_session	*s;
	struct mta_task		*t;
	const struct action	*a = d->action;

	while (d->nwaiting > 0 && (s = mta_session_take_idle(d)) != NULL) {
		t = TAILQ_FIRST(&d->waiting);
		TAILQ_REMOVE(&d->waiting, t, entry);
		d->nwaiting--;
		mta_session_run(s, t);
	}
	if (d->nwaiting <= d->nconnecting || d->nsessions >= MTA_DEST_CONN_MAX)
		return;
	if (d->addrs == NULL || time(NULL) - d->resolved_at > MTA_RESOLVE_TTL) {
		if (d->mxq == NULL && d->nsessions == 0) {
			const char	*backup = NULL;

			if (a->backup)
				backup = a->backup_mx ? a->backup_mx :
				    mta.conf->hostname;
			x_free(&d->addrs);
			d->mxq = mx_resolve(d->domain, a->host ? a->host->host : NULL,
			    a->host ? a->host->port : 25, backup, dest_on_resolved, d);
		}
		if (d->addrs == NULL)
			return;
	}
	while (d->nwaiting > d->nconnecting && d->nsessions < MTA_DEST_CONN_MAX)
		mta_session_new(d);
}

struct mta_task *
mta_dest_next(struct mta_dest *d)
{
	struct mta_task	*t;

	if ((t = TAILQ_FIRST(&d->waiting)) == NULL)
		return NULL;
	TAILQ_REMOVE(&d->waiting, t, entry);
	d->nwaiting--;
	return t;
}

void
mta_dest_session_ready(struct mta_dest *d)
{
	d->nconnecting--;
}

/*
 * A session ended. One that never got connected tried every address: the
 * tasks waiting would meet the same fate, so they get its error now, and
 * the addresses are looked up again next time.
 */
void
mta_dest_session_gone(struct mta_dest *d, struct mta_session *s, int connected,
    enum deliver_result res, const char *why)
{
	d->nsessions--;
	if (!connected) {
		/* Another try now would only loop: what waits is deferred with the error. */
		d->nconnecting--;
		dest_fail_waiting(d, res, why, NULL);
		x_free(&d->addrs);
		d->naddrs = 0;
	}
	dest_pump(d);
	dest_maybe_free(d);
}

/* ---- requests from the queue ---- */

static void
mta_deliver(struct ipc_msg *m)
{
	struct mta_task		*t = xcalloc(1, sizeof(*t));
	const struct action	*a;
	uint32_t		 i, n;
	char			 why[512];

	t->req = m->id;
	t->fd = m->fd;
	t->msglen = (size_t)ipc_get_u64(m);
	t->qid = dup_or_null(ipc_get_str(m));
	t->action = dup_or_null(ipc_get_str(m));
	t->domain = dup_or_null(ipc_get_str(m));
	t->sender = dup_or_null(ipc_get_str(m));
	t->envid = dup_or_null(ipc_get_str(m));
	t->prepend = dup_or_null(ipc_get_str(m));
	t->flags = ipc_get_u32(m);
	n = ipc_get_u32(m);
	if (n == 0 || n > 100000)
		fatalx("mta: request with %u recipients", n);
	t->rcpts = xcalloc(n, sizeof(*t->rcpts));
	t->nrcpt = n;
	for (i = 0; i < n; i++) {
		t->rcpts[i].idx = i;
		t->rcpts[i].dest = dup_or_null(ipc_get_str(m));
		t->rcpts[i].notify = dup_or_null(ipc_get_str(m));
		t->rcpts[i].orcpt = dup_or_null(ipc_get_str(m));
		if (t->rcpts[i].dest == NULL)
			fatalx("mta: recipient without address");
	}
	ipc_get_end(m);
	if (t->fd == -1 || t->qid == NULL || t->action == NULL || t->domain == NULL)
		fatalx("mta: incomplete delivery request");
	if (t->sender == NULL)
		t->sender = xstrdup("");
	/* The queue's config may be newer or older than ours after a reload. */
	if ((a = conf_action(mta.conf, t->action)) == NULL ||
	    a->method != ACTION_RELAY) {
		mta_task_done(t, DELIVER_TEMPFAIL, "451 4.3.5 relay action not "
		    "in this process's configuration", NULL);
		return;
	}
	if ((t->dest = dest_get(a, t->domain, why, sizeof(why))) == NULL) {
		mta_task_done(t, DELIVER_TEMPFAIL, why, NULL);
		return;
	}
	TAILQ_INSERT_TAIL(&t->dest->waiting, t, entry);
	t->dest->nwaiting++;
	dest_pump(t->dest);
}

static void
mta_on_queue(struct ipc *c, struct ipc_msg *m, void *arg)
{
	if (m == NULL) {
		/* Its requests died with it; a new queue comes with a new mta. */
		log_msg(LOG_INFO, "mta: queue closed the channel, exiting");
		exit(0);
	}
	msg_check(m->type, PROC_QUEUE, PROC_MTA);
	if (m->type != MSG_MTA_DELIVER)
		fatalx("mta: unexpected %s", msg_name(m->type));
	mta_deliver(m);
}

static void
creds_add(struct map *creds, const struct action *a, const char *label)
{
	const char	*v;
	char		*key;

	if (label == NULL || (v = table_get(a->relay_auth, label)) == NULL)
		return;
	key = xasprintf("%s %s", a->name, label);
	map_set(creds, key, xstrdup(v));
	free(key);
}

/*
 * "action label" -> "user:password" of the relay actions' auth tables: the
 * label of the action's host, or of each URL of its relay domain table.
 */
static struct map *
creds_load(const struct conf *conf)
{
	struct map	*creds = map_new();
	struct relay_host rh;
	const char	*key, *url;
	char		 err[256];
	size_t		 i, it;

	for (i = 0; i < conf->nactions; i++) {
		const struct action	*a = conf->actions[i];

		if (a->method != ACTION_RELAY || a->relay_auth == NULL)
			continue;
		if (a->host != NULL)
			creds_add(creds, a, a->host->label);
		if (a->relay_domain == NULL)
			continue;
		for (it = 0; table_iter(a->relay_domain, &it, &key, &url);) {
			if (conf_parse_relay_url(url, &rh, err, sizeof(err), 1) == -1)
				continue;	/* the task says why */
			creds_add(creds, a, rh.label);
			free(rh.label);
			free(rh.host);
		}
	}
	return creds;
}

static void
creds_free(void *v)
{
	char	*s = v;

	explicit_bzero(s, strlen(s));
	free(s);
}

/*
 * Before privileges drop: CA files, and the relay credentials copied out of
 * the config, whose secrets are then wiped (listener password hashes
 * included: only the auth process keeps those).
 */
void
mta_preload(struct conf *conf, const struct bundle *b)
{
	const char	*errstr;

	mta.conf = conf;
	if (mta_tls_init(conf, b, &errstr) == -1)
		fatalx("mta: %s", errstr);
	mta.creds = creds_load(conf);
	conf_drop_secrets(conf);
}

/* A reload: new actions, credentials and CA files for new tasks; running ones finish on theirs. */
static void
mta_conf(struct ipc_msg *m)
{
	struct conf_update	 u;
	const char		*errstr;

	conf_update_read(m, mta.conf->file, &u);
	if (u.conf == NULL) {
		conf_update_done(parent, &u, 0, NULL);
		return;
	}
	if (mta_tls_init(u.conf, u.bundle, &errstr) == -1) {
		conf_free(u.conf);
		conf_update_done(parent, &u, 0, errstr);
		return;
	}
	map_free(mta.creds, creds_free);
	mta.creds = creds_load(u.conf);
	conf_drop_secrets(u.conf);
	conf_free(mta.conf);
	mta.conf = u.conf;
	conf_update_done(parent, &u, 1, NULL);
}

static void
mta_on_parent(struct ipc *c, struct ipc_msg *m, void *arg)
{
	uint32_t	 peer;

	if (m == NULL) {
		log_msg(LOG_ERR, "mta: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_MTA);
	switch (m->type) {
	case MSG_LINK:
		peer = ipc_get_u32(m);
		ipc_get_end(m);
		if (peer != PROC_QUEUE || m->fd == -1)
			fatalx("mta: LINK to process %u", peer);
		if (queue != NULL) {
			/*
			 * A new queue: the tasks of the dead one answer nobody.
			 * Starting afresh is simpler than sorting them out.
			 */
			log_msg(LOG_INFO, "mta: a new queue process, starting afresh");
			exit(0);
		}
		queue = ipc_new(mta.base, m->fd, "queue", mta_on_queue, NULL);
		log_msg(LOG_INFO, "mta: ready");
		break;
	case MSG_CONF:
		mta_conf(m);
		break;
	default:
		fatalx("mta: unexpected %s from parent", msg_name(m->type));
	}
}

const char *
mta_creds(const struct action *a)
{
	const char	*v;
	char		*key;

	if (mta.creds == NULL || a->host == NULL || a->host->label == NULL)
		return NULL;
	key = xasprintf("%s %s", a->name, a->host->label);
	v = map_get(mta.creds, key);
	free(key);
	return v;
}

void
mta_main(struct conf *conf, int parent_fd)
{
	const char	*errstr;

	signal(SIGPIPE, SIG_IGN);
	if ((mta.base = event_base_new()) == NULL)
		fatalx("mta: event_base_new");
	mta.conf = conf;
	if (dns_init(mta.base, conf, &errstr) == -1)
		fatalx("mta: %s", errstr);
	mx_init(mta.base);
	parent = ipc_new(mta.base, parent_fd, "parent", mta_on_parent, NULL);
	event_base_dispatch(mta.base);
	fatalx("mta: event loop ended");
}
