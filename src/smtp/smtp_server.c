/* The SMTP process: listeners, local enqueue sessions, and its channels to the queue, auth and parent. */
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "conf/conf_update.h"
#include "dns/dns.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/pool.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/pending.h"
#include "net/tls_conf.h"
#include "smtp/mailauth.h"
#include "smtp/session.h"
#include "smtp/smtp.h"

/* Routing jobs at once: the user database and :include: files are slow only rarely. */
#define SMTP_ROUTE_THREADS	4

static struct smtp_server	 server;
static struct listen_socket	*listens;	/* as the parent bound them */
static size_t			*listen_index;	/* each one's listener in conf->listeners */
static struct net_listener	**listeners;	/* NULL until the queue is there */
static size_t			 nlisteners;
/* The listener that local enqueue sessions use when the config has no "listen on socket". */
static struct listener		 default_socket_listener = { .flags = LF_SOCKET, .on = "socket" };

static struct listener *
socket_listener(const struct conf *conf)
{
	size_t	 i;

	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i]->flags & LF_SOCKET)
			return conf->listeners[i];
	return &default_socket_listener;
}

static void	smtp_queue_lost(void);
static void	smtp_auth_lost(void);

static void
smtp_on_accept(int fd, const struct sockaddr *sa, socklen_t salen, void *arg)
{
	smtp_session_new(&server, fd, arg, sa, salen, 0, 0, NULL, 0);
}

static void
smtp_on_refuse(int fd, const struct sockaddr *sa, const char *why, void *arg)
{
	char	 line[512];

	snprintf(line, sizeof(line), "421 4.7.0 %s %s\r\n", server.conf->hostname,
	    why);
	net_send_line(fd, line);
}

static void
smtp_on_queue(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct smtp_session	*s;
	const char		*qid;
	const void		*unread;
	size_t			 unreadlen;
	uint32_t		 err, uid;

	if (m == NULL) {
		smtp_queue_lost();
		return;
	}
	msg_check(m->type, PROC_QUEUE, PROC_SMTP);
	switch (m->type) {
	case MSG_QUEUE_CREATED:
		qid = ipc_get_str(m);
		ipc_get_end(m);
		if ((s = smtp_find(&server, m->id)) == NULL ||
		    (s->wait != W_CREATE && !s->next_asked))
			fatalx("smtp: unexpected QUEUE_CREATED");
		smtp_queue_created(s, qid, m->fd);
		break;
	case MSG_QUEUE_COMMITTED:
		ipc_get_end(m);
		if ((s = smtp_find(&server, m->id)) == NULL || s->wait != W_COMMIT)
			fatalx("smtp: unexpected QUEUE_COMMITTED");
		smtp_queue_committed(s);
		break;
	case MSG_QUEUE_FAILED:
		err = ipc_get_u32(m);
		ipc_get_end(m);
		if ((s = smtp_find(&server, m->id)) == NULL ||
		    (s->wait != W_CREATE && s->wait != W_COMMIT && !s->next_asked))
			fatalx("smtp: unexpected QUEUE_FAILED");
		if (s->wait != W_CREATE && s->wait != W_COMMIT)
			smtp_queue_ahead_failed(s);
		else
			smtp_queue_failed(s, (int)err);
		break;
	case MSG_SMTP_LOCAL_SESSION:
		uid = ipc_get_u32(m);
		unread = ipc_get_data(m, &unreadlen);
		ipc_get_end(m);
		smtp_session_new(&server, m->fd, socket_listener(server.conf), NULL,
		    0, 1, uid, unread, unreadlen);
		break;
	default:
		fatalx("smtp: unexpected message %s from queue", msg_name(m->type));
	}
}

static void
smtp_on_auth(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct smtp_session	*s;
	const char		*login;
	uint32_t		 result;

	if (m == NULL) {
		smtp_auth_lost();
		return;
	}
	msg_check(m->type, PROC_AUTH, PROC_SMTP);
	switch (m->type) {
	case MSG_AUTH_RESULT:
		result = ipc_get_u32(m);
		login = ipc_get_str(m);
		(void)ipc_get_str(m);	/* the ticket: SMTP sessions open no mailbox */
		ipc_get_end(m);
		if ((s = smtp_find(&server, m->id)) == NULL || s->wait != W_AUTH)
			fatalx("smtp: unexpected AUTH_RESULT");
		smtp_auth_result(s, result, login);
		break;
	default:
		fatalx("smtp: unexpected message %s from auth", msg_name(m->type));
	}
}

/* The queue died: what waited for it fails with a 4xx; the parent starts another. */
static void
smtp_queue_lost(void)
{
	struct smtp_session	*s, *next;

	log_msg(LOG_ERR, "smtp: lost the queue process; waiting for a new one");
	ipc_free(server.queue);
	server.queue = NULL;
	for (s = TAILQ_FIRST(&server.sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		smtp_queue_gone(s);
	}
}

static void
smtp_auth_lost(void)
{
	struct smtp_session	*s, *next;

	log_msg(LOG_ERR, "smtp: lost the auth process; waiting for a new one");
	ipc_free(server.auth);
	server.auth = NULL;
	for (s = TAILQ_FIRST(&server.sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->wait == W_AUTH)
			smtp_auth_result(s, AUTH_TEMPFAIL, NULL);
	}
}

static void
smtp_listen_start(void)
{
	size_t	 i;

	if (listeners != NULL)
		return;
	listeners = xcalloc(nlisteners ? nlisteners : 1, sizeof(*listeners));
	for (i = 0; i < nlisteners; i++)
		listeners[i] = net_listener_new(server.base, "smtp", listens[i].fd,
		    server.limits, smtp_on_accept, smtp_on_refuse,
		    server.conf->listeners[listen_index[i]]);
	log_msg(LOG_INFO, "smtp: ready, %zu listeners", nlisteners);
}

static void
smtp_link(struct ipc_msg *m)
{
	uint32_t	 peer;

	peer = ipc_get_u32(m);
	ipc_get_end(m);
	if (m->fd == -1)
		fatalx("smtp: LINK without a channel");
	switch (peer) {
	case PROC_QUEUE:
		if (server.queue != NULL)
			ipc_free(server.queue);
		server.queue = ipc_new(server.base, m->fd, "queue", smtp_on_queue,
		    NULL);
		/* Mail can be taken now: the listeners open with the first queue. */
		smtp_listen_start();
		break;
	case PROC_AUTH:
		if (server.auth != NULL)
			ipc_free(server.auth);
		server.auth = ipc_new(server.base, m->fd, "auth", smtp_on_auth, NULL);
		break;
	case PROC_SIGNER:
		smtp_signer_link(&server, m->fd);
		break;
	default:
		fatalx("smtp: LINK to process %u", peer);
	}
}

/* A reload: the new configuration and certificates for new sessions; open ones keep theirs. */
static void
smtp_conf(struct ipc_msg *m)
{
	struct conf_update	 u;
	struct conf		*old;
	size_t			 i;

	if (!tls_conf_reload(m, server.parent, &server.conf, &server.tls, &u, &old))
		return;
	for (i = 0; listeners != NULL && i < nlisteners; i++)
		net_listener_set_arg(listeners[i],
		    server.conf->listeners[listen_index[i]]);
	conn_limits_set(server.limits, server.conf->max_sessions,
	    server.conf->max_sessions_per_addr, 2);
	if (!dns_same_resolvers(old, server.conf))
		log_msg(LOG_WARNING, "smtp: resolver changes take effect at the "
		    "next restart");
	conf_free(old);
	conf_update_done(server.parent, &u, 1, NULL);
}

static void
smtp_on_parent(struct ipc *c, struct ipc_msg *m, void *arg)
{
	if (m == NULL) {
		/* The parent is gone: nobody supervises us any more. */
		log_msg(LOG_ERR, "smtp: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_SMTP);
	switch (m->type) {
	case MSG_LINK:
		smtp_link(m);
		break;
	case MSG_CONF:
		smtp_conf(m);
		break;
	default:
		fatalx("smtp: unexpected message %s from parent", msg_name(m->type));
	}
}

void
smtp_main(struct conf *conf, struct tls_server *tls, struct listen_socket *ls,
    size_t nls, int parent_fd)
{
	const char	*errstr;
	size_t		 i, j;

	signal(SIGPIPE, SIG_IGN);
	memset(&server, 0, sizeof(server));
	if ((server.base = event_base_new()) == NULL)
		fatalx("smtp: event_base_new");
	server.conf = conf;
	server.tls = tls;
	TAILQ_INIT(&server.sessions);
	server.by_id = pending_new();
	/* Each session holds its socket and, during DATA, a queue file. */
	server.limits = conn_limits_new(conf->max_sessions,
	    conf->max_sessions_per_addr, 2);
	log_msg(LOG_INFO, "smtp: at most %u sessions, %u per client address",
	    conn_limits_max(server.limits), conn_limits_per_addr(server.limits));
	server.pool = pool_new(server.base, SMTP_ROUTE_THREADS);
	if (dns_init(server.base, conf, &errstr) == -1)
		log_msg(LOG_ERR, "smtp: %s: client names will not be looked up",
		    errstr);
	server.parent = ipc_new(server.base, parent_fd, "parent", smtp_on_parent,
	    NULL);
	listens = ls;
	nlisteners = nls;
	listen_index = xcalloc(nls ? nls : 1, sizeof(*listen_index));
	for (i = 0; i < nls; i++)
		for (j = 0; j < conf->nlisteners; j++)
			if (ls[i].listener == conf->listeners[j])
				listen_index[i] = j;
	event_base_dispatch(server.base);
	fatalx("smtp: event loop ended");
}
