/* The auth process: password checks on worker threads, failure throttling, answers and tickets to the login processes. */
#include <sys/queue.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "auth/auth.h"
#include "conf/conf.h"
#include "conf/conf_update.h"
#include "conf/table.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/msg.h"
#include "lib/password.h"
#include "lib/pool.h"
#include "lib/throttle.h"
#include "lib/ticket.h"
#include "lib/xalloc.h"
#include "mail/sasl.h"
#include "route/login.h"

#define AUTH_THREADS	4
#define AUTH_PENDING_MAX 4096	/* checks in flight (hashing or held back); then 454 */

/* A process whose users log in here: smtp, and login for IMAP and POP3. */
struct client {
	struct client	*next;
	struct ipc	*ipc;
	enum proc_id	 kind;
	unsigned	 pending;	/* checks whose answer it is owed */
	int		 gone;		/* channel closed: freed with its last check */
};

struct check {
	TAILQ_ENTRY(check) entry;	/* on waiting */
	struct client	*client;
	struct conf	*conf;		/* stored points into its table */
	uint64_t	 id;
	uint32_t	 listener;
	char		 login[SASL_LOGIN_MAX + 1];
	char		 found[SASL_LOGIN_MAX + 1];	/* the table's key, "" if none */
	char		 password[PASSWORD_MAX + 1];
	char		 addr[64];
	char		 key[THROTTLE_KEY_MAX];
	const char	*stored;	/* the table's value; NULL: unknown login */
	int		 match;		/* 1, 0, or -1 unusable hash */
	char		*rehash;	/* the password, kept when the hash is to be replaced */
	const char	*errstr;
	enum auth_result result;
	int		 counted;	/* in flight for the throttle */
	struct event	*timer;
};

/* Checks waiting for an attempt from the same address to end (throttle_begin). */
static TAILQ_HEAD(, check)	 waiting = TAILQ_HEAD_INITIALIZER(waiting);

static void	check_start(struct check *);
static void	wake_waiting(const char *);

static struct {
	struct event_base	*base;
	struct conf		*conf;
	struct ipc		*parent;
	struct client		*clients;
	struct pool		*pool;
	struct throttle		*throttle;
	struct map		*rehashed;	/* "listener key" asked for since the last reload */
	unsigned		 pending;
} A;

static void
client_free(struct client *cl)
{
	struct client	**pp;

	for (pp = &A.clients; *pp; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	ipc_free(cl->ipc);
	free(cl);
}

static void
check_free(struct check *c)
{
	struct client	*cl = c->client;

	if (c->counted) {
		throttle_end(A.throttle, c->key, time(NULL), 0);
		c->counted = 0;
		wake_waiting(c->key);
	}
	if (c->timer)
		event_free(c->timer);
	if (c->rehash != NULL) {
		explicit_bzero(c->rehash, strlen(c->rehash));
		free(c->rehash);
	}
	conf_free(c->conf);
	explicit_bzero(c, sizeof(*c));
	free(c);
	if (--cl->pending == 0 && cl->gone)
		client_free(cl);
}

static void
reply(struct check *c)
{
	struct ipc_out	 o;
	char		 ticket[TICKET_MAX];

	if (!c->client->gone) {
		/* What lets the mailbox process open this user's mail (lib/ticket.h). */
		if (c->result == AUTH_OK && ticket_make(c->found, c->listener,
		    time(NULL), ticket, sizeof(ticket)) == -1)
			c->result = AUTH_TEMPFAIL;
		ipc_begin(&o, MSG_AUTH_RESULT, c->id);
		ipc_add_u32(&o, (uint32_t)c->result);
		ipc_add_str(&o, c->result == AUTH_OK ? c->found : NULL);
		ipc_add_str(&o, c->result == AUTH_OK ? ticket : NULL);
		ipc_send(c->client->ipc, &o);
		explicit_bzero(ticket, sizeof(ticket));
	}
	A.pending--;
	check_free(c);
}

static void
on_delay(evutil_socket_t fd, short ev, void *arg)
{
	reply(arg);
}

/* Answers now, or later when the address has been failing: a timer, never a sleep. */
static void
reply_after(struct check *c, unsigned secs)
{
	struct timeval	 tv = { (time_t)secs, 0 };

	if (secs == 0) {
		reply(c);
		return;
	}
	if ((c->timer = evtimer_new(A.base, on_delay, c)) == NULL ||
	    evtimer_add(c->timer, &tv) == -1)
		fatalx("auth: evtimer");
}

/* On a worker thread: the slow part. */
static void
check_work(void *arg)
{
	struct check	*c = arg;

	if (c->stored == NULL) {
		password_dummy(c->password);
		c->match = 0;
	} else
		c->match = password_verify(c->stored, c->password, &c->errstr);
	/* An old scheme that checked: the parent is asked to store bcrypt instead. */
	if (c->match == 1 && password_needs_rehash(c->stored))
		c->rehash = xstrdup(c->password);
	explicit_bzero(c->password, sizeof(c->password));
}

/*
 * Once per entry and configuration: the parent checks the password against
 * the table itself before it writes anything, so this process cannot have
 * a hash of its choosing stored.
 */
static void
ask_rehash(struct check *c)
{
	struct ipc_out	 o;
	char		*key;

	key = xasprintf("%u %s", c->listener, c->found);
	if (map_has(A.rehashed, key)) {
		free(key);
		return;
	}
	map_set(A.rehashed, key, NULL);
	free(key);
	ipc_begin(&o, MSG_AUTH_REHASH, 0);
	ipc_add_u32(&o, c->listener);
	ipc_add_str(&o, c->found);
	ipc_add_str(&o, c->rehash);
	ipc_send(A.parent, &o);
}

static void
check_done(void *arg)
{
	struct check	*c = arg;
	char		 clean[SASL_LOGIN_MAX * 4 + 1];
	time_t		 now = time(NULL);
	unsigned	 n;

	log_clean(clean, sizeof(clean), c->login, strlen(c->login));
	if (c->match == 1) {
		c->result = AUTH_OK;
		throttle_end(A.throttle, c->key, now, 0);
		c->counted = 0;
		wake_waiting(c->key);
		log_msg(LOG_INFO, "auth-ok address=%s login=%s", c->addr, clean);
		if (c->rehash != NULL)
			ask_rehash(c);
	} else {
		if (c->match == -1)
			log_msg(LOG_ERR, "auth: login %s: unusable password hash: %s",
			    clean, c->errstr);
		c->result = AUTH_FAIL;
		n = throttle_end(A.throttle, c->key, now, 1);
		c->counted = 0;
		log_msg(LOG_NOTICE, "auth-failed address=%s login=%s failures=%u",
		    c->addr, clean, n);
		if (n == A.conf->auth_throttle_fails)
			log_msg(LOG_WARNING, "auth-throttled address=%s failures=%u "
			    "banned=%llds", c->addr, n, (long long)A.conf->auth_ban);
		wake_waiting(c->key);
	}
	reply_after(c, throttle_delay(A.throttle, c->key, now));
}

/* An attempt of key ended: the checks that waited for it begin (or wait again). */
static void
wake_waiting(const char *key)
{
	TAILQ_HEAD(, check)	 ready = TAILQ_HEAD_INITIALIZER(ready);
	struct check		*c, *next;

	for (c = TAILQ_FIRST(&waiting); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (strcmp(c->key, key) == 0) {
			TAILQ_REMOVE(&waiting, c, entry);
			TAILQ_INSERT_TAIL(&ready, c, entry);
		}
	}
	while ((c = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, c, entry);
		check_start(c);
	}
}

static void
auth_check(struct client *cl, struct ipc_msg *m)
{
	struct check	*c;
	const char	*login, *password, *addr;
	uint32_t	 li;

	li = ipc_get_u32(m);
	login = ipc_get_str(m);
	password = ipc_get_str(m);
	addr = ipc_get_str(m);
	ipc_get_end(m);
	if (login == NULL || password == NULL || addr == NULL ||
	    strlen(login) > SASL_LOGIN_MAX || strlen(password) > PASSWORD_MAX ||
	    strlen(addr) >= sizeof(c->addr))
		fatalx("auth: malformed AUTH_CHECK");
	A.pending++;
	cl->pending++;
	c = xcalloc(1, sizeof(*c));
	c->client = cl;
	c->conf = conf_ref(A.conf);
	c->id = m->id;
	c->listener = li;
	memcpy(c->login, login, strlen(login) + 1);
	memcpy(c->password, password, strlen(password) + 1);
	memcpy(c->addr, addr, strlen(addr) + 1);
	throttle_key(addr, c->key, sizeof(c->key));
	/* A flood of logins costs the flooders a 454, not the daemon its auth process. */
	if (A.pending > AUTH_PENDING_MAX) {
		log_msg(LOG_WARNING, "auth: %u checks in flight, refusing address=%s",
		    A.pending, c->addr);
		c->result = AUTH_TEMPFAIL;
		reply(c);
		return;
	}
	check_start(c);
}

static void
check_start(struct check *c)
{
	struct listener	*l;
	unsigned	 failures;
	uint32_t	 li = c->listener;

	switch (throttle_begin(A.throttle, c->key, time(NULL), &failures)) {
	case -1:
		/* A banned address learns nothing, and costs no hashing. */
		log_msg(LOG_NOTICE, "auth-throttled address=%s failures=%u", c->addr,
		    failures);
		c->result = AUTH_THROTTLED;
		reply(c);
		return;
	case 1:
		TAILQ_INSERT_TAIL(&waiting, c, entry);
		return;
	}
	c->counted = 1;
	if (li >= c->conf->nlisteners ||
	    (l = c->conf->listeners[li])->auth == NULL) {
		log_msg(LOG_ERR, "auth: listener %u has no credentials table", li);
		c->result = AUTH_TEMPFAIL;
		reply(c);
		return;
	}
	c->stored = login_lookup(l->auth, c->login, c->found, sizeof(c->found));
	pool_run(A.pool, check_work, check_done, c);
}

static void
on_client(struct ipc *ch, struct ipc_msg *m, void *arg)
{
	struct client	*cl = arg;

	if (m == NULL) {
		/* Its process died or was replaced: answers to it go nowhere. */
		cl->gone = 1;
		if (cl->pending == 0)
			client_free(cl);
		return;
	}
	msg_check(m->type, cl->kind, PROC_AUTH);
	switch (m->type) {
	case MSG_AUTH_CHECK:
		auth_check(cl, m);
		break;
	default:
		fatalx("auth: unexpected message %s", msg_name(m->type));
	}
}

/* Credentials tables and throttle limits anew, in place; checks under way finish on theirs. */
static void
auth_conf(struct ipc_msg *m)
{
	struct conf_update	 u;

	conf_update_read(m, A.conf->file, &u);
	if (u.conf == NULL) {
		conf_update_done(A.parent, &u, 0, NULL);
		return;
	}
	conf_free(A.conf);
	A.conf = u.conf;
	/* The tables were read again: an entry still old is asked for again. */
	map_free(A.rehashed, NULL);
	A.rehashed = map_new();
	throttle_set(A.throttle, A.conf->auth_throttle_fails,
	    A.conf->auth_throttle_within, A.conf->auth_ban);
	conf_update_done(A.parent, &u, 1, NULL);
}

static void
on_parent(struct ipc *ch, struct ipc_msg *m, void *arg)
{
	struct client	*cl;
	uint32_t	 peer;

	if (m == NULL) {
		log_msg(LOG_ERR, "auth: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_AUTH);
	switch (m->type) {
	case MSG_LINK:
		peer = ipc_get_u32(m);
		ipc_get_end(m);
		if (m->fd == -1 || peer >= PROC_COUNT || !(PROC_BIT(peer) & PROC_AUTH_CLIENTS))
			fatalx("auth: LINK to process %u", peer);
		cl = xcalloc(1, sizeof(*cl));
		cl->kind = (enum proc_id)peer;
		cl->ipc = ipc_new(A.base, m->fd, "login", on_client, cl);
		cl->next = A.clients;
		A.clients = cl;
		break;
	case MSG_CONF:
		auth_conf(m);
		break;
	default:
		fatalx("auth: unexpected message %s from parent", msg_name(m->type));
	}
}

void
auth_main(struct conf *conf, int parent_fd)
{
	signal(SIGPIPE, SIG_IGN);
	memset(&A, 0, sizeof(A));
	A.conf = conf;
	if ((A.base = event_base_new()) == NULL)
		fatalx("auth: event_base_new");
	A.pool = pool_new(A.base, AUTH_THREADS);
	A.rehashed = map_new();
	A.throttle = throttle_new(conf->auth_throttle_fails,
	    conf->auth_throttle_within, conf->auth_ban);
	A.parent = ipc_new(A.base, parent_fd, "parent", on_parent, NULL);
	event_base_dispatch(A.base);
	fatalx("auth: event loop ended");
}
