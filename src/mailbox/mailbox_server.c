/* The mailbox process: sessions from the login process checked, routed and given to the IMAP or POP3 engine. */
#include <sys/socket.h>

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
#include "lib/ticket.h"
#include "lib/xalloc.h"
#include "mailbox/mailbox.h"
#include "mailbox/mailbox_proc.h"
#include "route/route.h"

/* Scans, fsyncs and index writes of many sessions at once. */
#define MAILBOX_THREADS		4
/* After SIGTERM or the login process's end: sessions get this long to say goodbye. */
#define MAILBOX_STOP_SECS	2
/* Then what they said last gets this long to be written. */
#define MAILBOX_BYE_USECS	100000

static struct {
	struct event_base	*base;
	struct conf		*conf;
	const char		*account;
	struct ipc		*parent;
	struct ipc		*login;
	struct pool		*pool;
	unsigned		 sessions;
	int			 stopping;
} M;

/* A session on its way to the engine: routed on a worker thread first. */
struct arrival {
	struct mailbox_client	*c;
	uint32_t		 listener;
	char			*path;
	char			*account;
	struct route_error	 err;
	enum route_status	 status;
};

struct pool *
mailbox_pool(void)
{
	return M.pool;
}

const char *
mailbox_account(void)
{
	return M.account;
}

static void
stop_now(evutil_socket_t fd, short ev, void *arg)
{
	exit(0);
}

/*
 * The last session ended while stopping: its goodbye ("* BYE", "-ERR")
 * may still wait in its connection's output, which the event loop writes
 * on its next turn; exiting at once would lose it.
 */
static void
stop_soon(void)
{
	struct timeval	 tv = { 0, MAILBOX_BYE_USECS };

	event_base_once(M.base, -1, EV_TIMEOUT, stop_now, NULL, &tv);
}

void
mailbox_client_free(struct mailbox_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	/* The login process counts the session until this closes. */
	if (c->tie != -1)
		close(c->tie);
	free(c->prefix);
	free(c->id);
	free(c->login);
	free(c->root);
	free(c->addr);
	free(c->tag);
	conf_free((struct conf *)c->conf);
	free(c);
	if (--M.sessions == 0 && M.stopping)
		stop_soon();
}

/* Says no in the session's protocol, on the socket it was given, and ends it. */
static void
refuse(struct mailbox_client *c, const char *why)
{
	char	 line[300];
	int	 n;

	log_msg(LOG_WARNING, "%s mailbox refused user=%s address=%s reason=\"%s\"",
	    c->id, c->login ? c->login : "?", c->addr ? c->addr : "?", why);
	if (c->proto == MAILBOX_IMAP)
		n = snprintf(line, sizeof(line), "%s NO [UNAVAILABLE] Your mailbox "
		    "cannot be opened now.\r\n* BYE Closing.\r\n",
		    c->tag ? c->tag : "*");
	else
		n = snprintf(line, sizeof(line), "-ERR [SYS/TEMP] Your mailbox "
		    "cannot be opened now.\r\n");
	if (n > 0 && (size_t)n < sizeof(line))
		(void)send(c->fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	mailbox_client_free(c);
}

static void
route_work(void *arg)
{
	struct arrival	*a = arg;

	a->status = route_login_maildir(a->c->conf, a->c->listener, a->c->login,
	    &a->path, &a->account, &a->err);
}

static void
route_done(void *arg)
{
	struct arrival		*a = arg;
	struct mailbox_client	*c = a->c;

	if (a->status != ROUTE_OK)
		refuse(c, a->err.text[0] ? a->err.text : "no Maildir for this login");
	else if (strcmp(a->account, M.account) != 0)
		/* Not ours to open, whatever the login process believes. */
		refuse(c, "the Maildir belongs to another account");
	else if (M.stopping)
		refuse(c, "shutting down");
	else {
		c->root = a->path;
		a->path = NULL;
		log_msg(LOG_INFO, "%s mailbox open user=%s maildir=%s", c->id,
		    c->login, c->root);
		if (c->proto == MAILBOX_IMAP)
			imap_session_start(c);
		else
			pop3_session_start(c);
	}
	free(a->path);
	free(a->account);
	free(a);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
session_arrived(struct ipc_msg *m)
{
	struct mailbox_client	*c = xcalloc(1, sizeof(*c));
	struct arrival		*a;
	const char		*ticket;
	const void		*prefix;
	uint32_t		 proto, li, flags;

	c->fd = m->fd;
	c->tie = m->fd2;
	c->base = M.base;
	proto = ipc_get_u32(m);
	li = ipc_get_u32(m);
	flags = ipc_get_u32(m);
	c->id = dup_or_null(ipc_get_str(m));
	c->login = dup_or_null(ipc_get_str(m));
	ticket = ipc_get_str(m);
	c->addr = dup_or_null(ipc_get_str(m));
	c->tag = dup_or_null(ipc_get_str(m));
	prefix = ipc_get_data(m, &c->prefixlen);
	ipc_get_end(m);
	if (c->prefixlen > 0) {
		c->prefix = xmalloc(c->prefixlen);
		memcpy(c->prefix, prefix, c->prefixlen);
	}
	c->conf = conf_ref(M.conf);
	c->proto = proto == MAILBOX_IMAP ? MAILBOX_IMAP : MAILBOX_POP3;
	c->tls = (flags & MAILBOX_F_TLS) != 0;
	c->secure = (flags & MAILBOX_F_SECURE) != 0;
	M.sessions++;
	if (c->id == NULL)
		c->id = xstrdup("-");
	if (c->fd == -1 || c->login == NULL) {
		log_msg(LOG_ERR, "mailbox: a session without socket or login");
		mailbox_client_free(c);
		return;
	}
	/* The auth process vouches for the login; the login process alone is not enough. */
	if (!ticket_check(ticket, c->login, li, time(NULL))) {
		refuse(c, "the login ticket does not verify");
		return;
	}
	if (li >= c->conf->nlisteners ||
	    (c->conf->listeners[li]->proto == PROTO_IMAP) !=
	    (c->proto == MAILBOX_IMAP)) {
		refuse(c, "no such listener");
		return;
	}
	c->listener = c->conf->listeners[li];
	a = xcalloc(1, sizeof(*a));
	a->c = c;
	a->listener = li;
	pool_run(M.pool, route_work, route_done, a);
}

/* Sessions are told, then the process goes when they are gone or the time is up. */
static void
mailbox_stop(const char *why)
{
	struct timeval	 tv = { MAILBOX_STOP_SECS, 0 };

	if (M.stopping)
		return;
	M.stopping = 1;
	log_msg(LOG_INFO, "mailbox: %s, stopping (%u sessions)", why, M.sessions);
	imap_shutdown();
	pop3_shutdown();
	if (M.sessions == 0)
		exit(0);
	event_base_once(M.base, -1, EV_TIMEOUT, stop_now, NULL, &tv);
}

static void
on_login(struct ipc *c, struct ipc_msg *m, void *arg)
{
	if (m == NULL) {
		/* Every session came through it and dies with it. */
		mailbox_stop("the login process is gone");
		return;
	}
	msg_check(m->type, PROC_LOGIN, PROC_MAILBOX);
	if (m->type != MSG_MAILBOX_SESSION)
		fatalx("mailbox: unexpected %s from login", msg_name(m->type));
	session_arrived(m);
}

static void
mailbox_conf(struct ipc_msg *m)
{
	struct conf_update	 u;

	conf_update_read(m, M.conf->file, &u);
	if (u.conf == NULL) {
		conf_update_done(M.parent, &u, 0, NULL);
		return;
	}
	/* New sessions take it; open ones keep the one they began with. */
	conf_free(M.conf);
	M.conf = u.conf;
	conf_update_done(M.parent, &u, 1, NULL);
}

static void
on_parent(struct ipc *c, struct ipc_msg *m, void *arg)
{
	if (m == NULL) {
		log_msg(LOG_ERR, "mailbox: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_MAILBOX);
	if (m->type != MSG_CONF)
		fatalx("mailbox: unexpected %s from parent", msg_name(m->type));
	mailbox_conf(m);
}

static void
on_term(evutil_socket_t sig, short ev, void *arg)
{
	mailbox_stop("asked to stop");
}

void
mailbox_main(struct conf *conf, const char *account, int login_fd,
    int parent_fd)
{
	struct event	*ev;

	signal(SIGPIPE, SIG_IGN);
	memset(&M, 0, sizeof(M));
	if ((M.base = event_base_new()) == NULL)
		fatalx("mailbox: event_base_new");
	M.conf = conf;
	M.account = xstrdup(account);
	M.pool = pool_new(M.base, MAILBOX_THREADS);
	if ((ev = evsignal_new(M.base, SIGTERM, on_term, NULL)) == NULL ||
	    event_add(ev, NULL) == -1)
		fatalx("mailbox: evsignal_new");
	M.parent = ipc_new(M.base, parent_fd, "parent", on_parent, NULL);
	M.login = ipc_new(M.base, login_fd, "login", on_login, NULL);
	log_msg(LOG_INFO, "mailbox: ready for account %s", account);
	event_base_dispatch(M.base);
	fatalx("mailbox: event loop ended");
}
