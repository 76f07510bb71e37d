/* The SMTP process: listeners, local enqueue sessions, and the channel to the queue. */
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "conf/conf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/msg.h"
#include "lib/sockaddr.h"
#include "lib/xalloc.h"
#include "smtp/resolve.h"
#include "smtp/conn_limit.h"
#include "smtp/session.h"
#include "smtp/smtp.h"

static struct smtp_server	 server;
static struct evconnlistener	**listeners;
static size_t			 nlisteners;
/* The listener that local enqueue sessions use when the config has no "listen on socket". */
static struct listener		 default_socket_listener = { .flags = LF_SOCKET, .on = "socket" };

static void
smtp_on_accept(struct evconnlistener *el, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	const char	*why;

	if (server.draining) {
		close(fd);
		return;
	}
	if ((why = conn_limit_check(&server, sa)) != NULL) {
		char	 addr[64], line[256];
		int	 n;

		/* A best-effort word before closing; nothing is read from it. */
		sa_ntop(sa, addr, sizeof(addr));
		n = snprintf(line, sizeof(line), "421 4.7.0 %s %s\r\n",
		    server.conf->hostname, why);
		/* If the client is gone or not reading, closing is all there is. */
		if (n > 0)
			(void)!send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		log_msg(LOG_WARNING, "smtp refused address=%s reason=\"%s\" "
		    "sessions=%u", addr, why, server.nsessions);
		return;
	}
	smtp_session_new(&server, fd, arg, sa, (socklen_t)salen, 0, 0);
}

static void
smtp_on_accept_error(struct evconnlistener *el, void *arg)
{
	/* EMFILE and friends: say so and keep going; the listener retries. */
	log_msg(LOG_ERR, "smtp: accept: %s", strerror(errno));
}

static void
smtp_on_queue(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct smtp_session	*s;
	const char		*qid;
	uint32_t		 err, uid;

	if (m == NULL)
		fatalx("smtp: lost the queue process");
	msg_check(m->type, PROC_QUEUE, PROC_SMTP);
	switch (m->type) {
	case MSG_QUEUE_CREATED:
		qid = ipc_get_str(m);
		ipc_get_end(m);
		if ((s = smtp_find(&server, m->id)) == NULL || s->wait != W_CREATE)
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
		if ((s = smtp_find(&server, m->id)) == NULL || s->wait == W_NONE)
			fatalx("smtp: unexpected QUEUE_FAILED");
		smtp_queue_failed(s, (int)err);
		break;
	case MSG_SMTP_LOCAL_SESSION:
		uid = ipc_get_u32(m);
		ipc_get_end(m);
		if (server.draining) {
			close(m->fd);
			break;
		}
		smtp_session_new(&server, m->fd, server.socket_listener, NULL, 0,
		    1, uid);
		break;
	case MSG_SMTP_RESOLVE:
		smtp_resolve(&server, c, m);
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

	if (m == NULL)
		fatalx("smtp: lost the auth process");
	msg_check(m->type, PROC_AUTH, PROC_SMTP);
	switch (m->type) {
	case MSG_AUTH_RESULT:
		result = ipc_get_u32(m);
		login = ipc_get_str(m);
		ipc_get_end(m);
		if ((s = smtp_find(&server, m->id)) == NULL || s->wait != W_AUTH)
			fatalx("smtp: unexpected AUTH_RESULT");
		smtp_auth_result(s, result, login);
		break;
	default:
		fatalx("smtp: unexpected message %s from auth", msg_name(m->type));
	}
}

static void
smtp_on_parent(struct ipc *c, struct ipc_msg *m, void *arg)
{
	size_t	 i;

	if (m == NULL) {
		/* The parent is gone: nobody supervises us any more. */
		log_msg(LOG_ERR, "smtp: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_SMTP);
	switch (m->type) {
	case MSG_SMTP_DRAIN:
		ipc_get_end(m);
		log_msg(LOG_INFO, "smtp: draining %u sessions after reload",
		    server.nsessions);
		server.draining = 1;
		for (i = 0; i < nlisteners; i++)
			evconnlistener_disable(listeners[i]);
		if (server.nsessions == 0)
			exit(0);
		break;
	default:
		fatalx("smtp: unexpected message %s from parent", msg_name(m->type));
	}
}

void
smtp_main(struct conf *conf, struct tls_server *tls, struct smtp_listen *ls,
    size_t nls, int queue_fd, int parent_fd, int auth_fd)
{
	size_t	 i;

	signal(SIGPIPE, SIG_IGN);
	memset(&server, 0, sizeof(server));
	if ((server.base = event_base_new()) == NULL)
		fatalx("smtp: event_base_new");
	server.conf = conf;
	server.tls = tls;
	TAILQ_INIT(&server.sessions);
	server.by_id = map_new();
	conn_limit_init(&server);
	server.socket_listener = &default_socket_listener;
	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i]->flags & LF_SOCKET)
			server.socket_listener = conf->listeners[i];
	server.queue = ipc_new(server.base, queue_fd, "queue", smtp_on_queue, NULL);
	server.parent = ipc_new(server.base, parent_fd, "parent", smtp_on_parent,
	    NULL);
	server.auth = ipc_new(server.base, auth_fd, "auth", smtp_on_auth, NULL);
	listeners = xcalloc(nls, sizeof(*listeners));
	for (i = 0; i < nls; i++) {
		evutil_make_socket_nonblocking(ls[i].fd);
		listeners[i] = evconnlistener_new(server.base, smtp_on_accept,
		    ls[i].listener, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
		    -1, ls[i].fd);
		if (listeners[i] == NULL)
			fatalx("smtp: evconnlistener_new");
		evconnlistener_set_error_cb(listeners[i], smtp_on_accept_error);
	}
	nlisteners = nls;
	log_msg(LOG_INFO, "smtp: ready, %zu listeners", nls);
	event_base_dispatch(server.base);
	fatalx("smtp: event loop ended");
}
