/* The auth process: password checks on worker threads, failure throttling, answers to the smtp process. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "auth/auth.h"
#include "auth/password.h"
#include "auth/sasl.h"
#include "auth/throttle.h"
#include "conf/conf.h"
#include "conf/table.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/pool.h"
#include "lib/xalloc.h"

#define AUTH_THREADS	4
#define AUTH_PENDING_MAX 4096	/* checks in flight (hashing or held back); then 454 */

struct check {
	uint64_t	 id;
	char		 login[SASL_LOGIN_MAX + 1];
	char		 found[SASL_LOGIN_MAX + 1];	/* the table's key, "" if none */
	char		 password[PASSWORD_MAX + 1];
	char		 addr[64];
	char		 key[THROTTLE_KEY_MAX];
	const char	*stored;	/* the table's value; NULL: unknown login */
	int		 match;		/* 1, 0, or -1 unusable hash */
	const char	*errstr;
	enum auth_result result;
	struct event	*timer;
};

static struct {
	struct event_base	*base;
	struct conf		*conf;
	struct ipc		*smtp;
	struct pool		*pool;
	struct throttle		*throttle;
	unsigned		 pending;
} A;

static void
check_free(struct check *c)
{
	if (c->timer)
		event_free(c->timer);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

static void
reply(struct check *c)
{
	struct ipc_out	 o;

	ipc_begin(&o, MSG_AUTH_RESULT, c->id);
	ipc_add_u32(&o, (uint32_t)c->result);
	ipc_add_str(&o, c->result == AUTH_OK ? c->found : NULL);
	ipc_send(A.smtp, &o);
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
	explicit_bzero(c->password, sizeof(c->password));
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
		log_msg(LOG_INFO, "auth-ok address=%s login=%s", c->addr, clean);
	} else {
		if (c->match == -1)
			log_msg(LOG_ERR, "auth: login %s: unusable password hash: %s",
			    clean, c->errstr);
		c->result = AUTH_FAIL;
		n = throttle_fail(A.throttle, c->key, now);
		log_msg(LOG_NOTICE, "auth-failed address=%s login=%s failures=%u",
		    c->addr, clean, n);
		if (n == A.conf->auth_throttle_fails)
			log_msg(LOG_WARNING, "auth-throttled address=%s failures=%u "
			    "banned=%llds", c->addr, n, (long long)A.conf->auth_ban);
	}
	reply_after(c, throttle_delay(A.throttle, c->key, now));
}

/* The login as given, else with its domain lowercased (domains are case-insensitive). */
static const char *
lookup(const struct table *t, const char *login, char *found, size_t foundlen)
{
	const char	*v, *at;
	char		 folded[SASL_LOGIN_MAX + 1];
	size_t		 i;

	if ((v = table_get(t, login)) != NULL) {
		snprintf(found, foundlen, "%s", login);
		return v;
	}
	if ((at = strrchr(login, '@')) == NULL)
		return NULL;
	snprintf(folded, sizeof(folded), "%s", login);
	for (i = (size_t)(at - login); folded[i]; i++)
		folded[i] = (char)tolower((unsigned char)folded[i]);
	if ((v = table_get(t, folded)) != NULL)
		snprintf(found, foundlen, "%s", folded);
	return v;
}

static void
auth_check(struct ipc_msg *m)
{
	struct check	*c;
	struct listener	*l;
	const char	*login, *password, *addr;
	uint32_t	 li;
	unsigned	 failures;

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
	c = xcalloc(1, sizeof(*c));
	c->id = m->id;
	memcpy(c->login, login, strlen(login) + 1);
	memcpy(c->password, password, strlen(password) + 1);
	memcpy(c->addr, addr, strlen(addr) + 1);
	throttle_key(addr, c->key, sizeof(c->key));
	/* A banned address learns nothing, and costs no hashing. */
	if (throttle_banned(A.throttle, c->key, time(NULL), &failures)) {
		log_msg(LOG_NOTICE, "auth-throttled address=%s failures=%u", c->addr,
		    failures);
		c->result = AUTH_THROTTLED;
		reply(c);
		return;
	}
	/* A flood of logins costs the flooders a 454, not the daemon its auth process. */
	if (A.pending > AUTH_PENDING_MAX) {
		log_msg(LOG_WARNING, "auth: %u checks in flight, refusing address=%s",
		    A.pending, c->addr);
		c->result = AUTH_TEMPFAIL;
		reply(c);
		return;
	}
	if (li >= A.conf->nlisteners ||
	    (l = A.conf->listeners[li])->auth == NULL) {
		log_msg(LOG_ERR, "auth: listener %u has no credentials table", li);
		c->result = AUTH_TEMPFAIL;
		reply(c);
		return;
	}
	c->stored = lookup(l->auth, c->login, c->found, sizeof(c->found));
	pool_run(A.pool, check_work, check_done, c);
}

static void
on_smtp(struct ipc *ch, struct ipc_msg *m, void *arg)
{
	if (m == NULL) {
		/* Our smtp generation is gone: so is our reason to be. */
		exit(0);
	}
	msg_check(m->type, PROC_SMTP, PROC_AUTH);
	switch (m->type) {
	case MSG_AUTH_CHECK:
		auth_check(m);
		break;
	default:
		fatalx("auth: unexpected message %s", msg_name(m->type));
	}
}

void
auth_main(struct conf *conf, int smtp_fd)
{
	signal(SIGPIPE, SIG_IGN);
	memset(&A, 0, sizeof(A));
	A.conf = conf;
	if ((A.base = event_base_new()) == NULL)
		fatalx("auth: event_base_new");
	A.pool = pool_new(A.base, AUTH_THREADS);
	A.throttle = throttle_new(conf->auth_throttle_fails,
	    conf->auth_throttle_within, conf->auth_ban);
	A.smtp = ipc_new(A.base, smtp_fd, "smtp", on_smtp, NULL);
	event_base_dispatch(A.base);
	fatalx("auth: event loop ended");
}
