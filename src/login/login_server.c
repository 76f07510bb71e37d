/* The login process: its listeners, and its channels to the parent, the auth process and the mailbox processes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "conf/conf_update.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/pool.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "login/login.h"
#include "login/login_priv.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/pending.h"
#include "net/tls_conf.h"

/* Routing a login to its Maildir reads tables and maybe the user database. */
#define LOGIN_ROUTE_THREADS	2

struct login_server		 L;
static struct listen_socket	*listens;
static size_t			*listen_index;	/* each one's listener in conf->listeners */
static struct net_listener	**listeners;
static size_t			 nlisteners;

static void
login_on_accept(int fd, const struct sockaddr *sa, socklen_t salen, void *arg)
{
	login_session_new(fd, sa, salen, arg);
}

static void
login_on_refuse(int fd, const struct sockaddr *sa, const char *why, void *arg)
{
	const struct listener	*l = arg;
	char			 line[256];

	/* Said in clear even on imaps and pop3s: the client learns why, or nothing. */
	if (l->proto == PROTO_IMAP)
		snprintf(line, sizeof(line), "* BYE [UNAVAILABLE] %s\r\n", why);
	else
		snprintf(line, sizeof(line), "-ERR [SYS/TEMP] %s\r\n", why);
	if (!(l->flags & LF_IMPLICIT_TLS))
		net_send_line(fd, line);
}

static void
login_on_auth(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct login_session	*s;
	const char		*login, *ticket;
	uint32_t		 result;

	if (m == NULL) {
		log_msg(LOG_ERR, "login: lost the auth process; waiting for a new one");
		ipc_free(L.auth);
		L.auth = NULL;
		TAILQ_FOREACH(s, &L.sessions, entry)
			if (s->wait == LW_AUTH)
				login_auth_result(s, AUTH_TEMPFAIL, NULL, NULL);
		return;
	}
	msg_check(m->type, PROC_AUTH, PROC_LOGIN);
	if (m->type != MSG_AUTH_RESULT)
		fatalx("login: unexpected %s from auth", msg_name(m->type));
	result = ipc_get_u32(m);
	login = ipc_get_str(m);
	ticket = ipc_get_str(m);
	ipc_get_end(m);
	if ((s = pending_get(L.by_id, m->id)) == NULL || s->wait != LW_AUTH)
		return;		/* the client left meanwhile */
	login_auth_result(s, result, login, ticket);
}

static void
login_listen_start(void)
{
	size_t	 i;

	if (listeners != NULL)
		return;
	listeners = xcalloc(nlisteners ? nlisteners : 1, sizeof(*listeners));
	for (i = 0; i < nlisteners; i++) {
		listeners[i] = net_listener_new(L.base, "login", listens[i].fd,
		    L.limits, login_on_accept, login_on_refuse,
		    L.conf->listeners[listen_index[i]]);
		net_listener_set_nodelay(listeners[i]);
	}
	log_msg(LOG_INFO, "login: ready, %zu listeners", nlisteners);
}

static void
login_link(struct ipc_msg *m)
{
	uint32_t	 peer;

	peer = ipc_get_u32(m);
	ipc_get_end(m);
	if (m->fd == -1 || peer != PROC_AUTH)
		fatalx("login: LINK to process %u", peer);
	if (L.auth != NULL)
		ipc_free(L.auth);
	L.auth = ipc_new(L.base, m->fd, "auth", login_on_auth, NULL);
	/* Nobody can log in before: the listeners open with the first auth. */
	login_listen_start();
}

/* A reload: configuration and certificates for new sessions; open ones keep theirs. */
static void
login_conf(struct ipc_msg *m)
{
	struct conf_update	 u;
	struct conf		*old;
	size_t			 i;

	if (!tls_conf_reload(m, L.parent, &L.conf, &L.tls, &u, &old))
		return;
	for (i = 0; listeners != NULL && i < nlisteners; i++)
		net_listener_set_arg(listeners[i],
		    L.conf->listeners[listen_index[i]]);
	conn_limits_set(L.limits, 0, L.conf->max_sessions_per_addr, 2);
	conf_free(old);
	conf_update_done(L.parent, &u, 1, NULL);
}

static void
login_on_parent(struct ipc *c, struct ipc_msg *m, void *arg)
{
	const char	*account, *why;

	if (m == NULL) {
		log_msg(LOG_ERR, "login: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_LOGIN);
	switch (m->type) {
	case MSG_LINK:
		login_link(m);
		break;
	case MSG_CONF:
		login_conf(m);
		break;
	case MSG_MAILBOX_READY:
		account = ipc_get_str(m);
		ipc_get_end(m);
		if (account == NULL || m->fd == -1)
			fatalx("login: MAILBOX_READY without account or channel");
		login_mailbox_ready(account, m->fd);
		break;
	case MSG_MAILBOX_UNAVAILABLE:
		account = ipc_get_str(m);
		why = ipc_get_str(m);
		ipc_get_end(m);
		if (account == NULL)
			fatalx("login: MAILBOX_UNAVAILABLE without account");
		login_mailbox_unavailable(account, why ? why : "unavailable");
		break;
	default:
		fatalx("login: unexpected %s from parent", msg_name(m->type));
	}
}

void
login_main(struct conf *conf, struct tls_server *tls, struct listen_socket *ls,
    size_t nls, int parent_fd)
{
	size_t	 i, j;

	signal(SIGPIPE, SIG_IGN);
	memset(&L, 0, sizeof(L));
	if ((L.base = event_base_new()) == NULL)
		fatalx("login: event_base_new");
	L.conf = conf;
	L.tls = tls;
	TAILQ_INIT(&L.sessions);
	L.by_id = pending_new();
	/*
	 * A relayed session holds the client's socket and its end of a
	 * socketpair; a handed one only the latter.
	 */
	L.limits = conn_limits_new(0, conf->max_sessions_per_addr, 2);
	L.pool = pool_new(L.base, LOGIN_ROUTE_THREADS);
	log_msg(LOG_INFO, "login: at most %u sessions, %u per client address",
	    conn_limits_max(L.limits), conn_limits_per_addr(L.limits));
	L.parent = ipc_new(L.base, parent_fd, "parent", login_on_parent, NULL);
	listens = ls;
	nlisteners = nls;
	listen_index = xcalloc(nls ? nls : 1, sizeof(*listen_index));
	for (i = 0; i < nls; i++)
		for (j = 0; j < conf->nlisteners; j++)
			if (ls[i].listener == conf->listeners[j])
				listen_index[i] = j;
	event_base_dispatch(L.base);
	fatalx("login: event loop ended");
}
