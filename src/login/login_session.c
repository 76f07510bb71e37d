/* A session of the login process: TLS, the password sent to auth, the login routed and handed to its mailbox process. */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/pool.h"
#include "lib/sockaddr.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "login/login_priv.h"
#include "mail/sasl.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/pending.h"
#include "route/route.h"

static void	login_on_conn(struct conn *, enum conn_event, void *);
static void	login_free(struct login_session *);
static void	login_handoff(struct login_session *);

static uint32_t
listener_index(const struct conf *c, const struct listener *l)
{
	size_t	 i;

	for (i = 0; i < c->nlisteners; i++)
		if (c->listeners[i] == l)
			return (uint32_t)i;
	return UINT32_MAX;
}

static SSL *
session_ssl(struct login_session *s)
{
	const struct listener	*l = s->listener;
	const char		*errstr;
	SSL			*ssl;

	ssl = tls_server_ssl(L.tls, l->pki, (l->flags & LF_TLS_VERIFY) != 0,
	    l->ca, &errstr);
	if (ssl == NULL)
		log_msg(LOG_ERR, "%s login tls-unavailable address=%s reason=\"%s\"",
		    s->idstr, s->addr, errstr);
	return ssl;
}

void
login_session_new(int fd, const struct sockaddr *sa, socklen_t salen,
    struct listener *l)
{
	struct login_session	*s = xcalloc(1, sizeof(*s));
	SSL			*ssl;

	s->id = ++L.next_id;
	snprintf(s->idstr, sizeof(s->idstr), "%016llx", (unsigned long long)s->id);
	s->conf = conf_ref(L.conf);
	s->listener = l;
	s->listener_index = listener_index(s->conf, l);
	s->proto = l->proto == PROTO_IMAP ? MAILBOX_IMAP : MAILBOX_POP3;
	s->loopback = sa_is_loopback(sa);
	sa_ntop(sa, s->addr, sizeof(s->addr));
	if ((s->conn = conn_new(L.base, fd, login_on_conn, s)) == NULL) {
		log_msg(LOG_ERR, "login: cannot set up the connection from %s",
		    s->addr);
		conf_free(s->conf);
		free(s);
		return;
	}
	conn_set_line_max(s->conn, LOGIN_LINE_MAX);
	conn_set_input_max(s->conn, LOGIN_LINE_MAX + LOGIN_LITERAL_MAX);
	conn_set_timeouts(s->conn, LOGIN_IDLE_SECS, LOGIN_IDLE_SECS);
	conn_set_session_deadline(s->conn, LOGIN_DEADLINE_SECS);
	conn_account(s->conn, L.limits, s->addr);
	TAILQ_INSERT_TAIL(&L.sessions, s, entry);
	L.nsessions++;
	pending_set(L.by_id, s->id, s);
	log_msg(LOG_INFO, "%s %s connect address=%s listener=%s:%d", s->idstr,
	    s->proto == MAILBOX_IMAP ? "imap" : "pop3", s->addr, l->on, l->port);
	if (s->proto == MAILBOX_IMAP) {
		s->rd = xcalloc(1, sizeof(*s->rd));
		{
			struct imap_reader_limits	 lim;

			imap_reader_default_limits(&lim);
			lim.line_max = LOGIN_LINE_MAX;
			lim.cmd_max = LOGIN_LINE_MAX + LOGIN_LITERAL_MAX;
			lim.literal_max = LOGIN_LITERAL_MAX;
			lim.message_max = 0;
			lim.discard_max = LOGIN_LITERAL_MAX;
			lim.literal_plus = 1;
			imap_reader_init(s->rd, &lim);
		}
	}
	if (l->flags & LF_IMPLICIT_TLS) {
		if ((ssl = session_ssl(s)) == NULL) {
			login_abort(s);
			return;
		}
		s->tls = 1;
		if (conn_starttls(s->conn, ssl, CONN_TLS_SERVER) == -1) {
			login_abort(s);
			return;
		}
	}
	/* On imaps and pop3s the greeting waits in the output for the handshake. */
	if (s->proto == MAILBOX_IMAP)
		imap_login_greet(s);
	else
		pop3_login_greet(s);
}

int
login_secure(const struct login_session *s)
{
	if (s->tls)
		return 1;
	/* tls-require means TLS, from loopback too. */
	if (s->listener->flags & LF_TLS_REQUIRE)
		return 0;
	return s->loopback;
}

int
login_tls_offered(const struct login_session *s)
{
	return !s->tls && (s->listener->flags & (LF_TLS | LF_TLS_REQUIRE)) &&
	    !(s->listener->flags & LF_IMPLICIT_TLS);
}

int
login_starttls(struct login_session *s)
{
	SSL	*ssl;
	long	 dropped;

	if ((ssl = session_ssl(s)) == NULL)
		return -1;
	/*
	 * Whatever the client sent after the command in clear was not
	 * protected and is not obeyed (RFC 2595 3.1, CVE-2011-0411): the
	 * connection throws it away, and the IMAP reader starts afresh.
	 */
	if ((dropped = conn_starttls(s->conn, ssl, CONN_TLS_SERVER)) == -1)
		return -1;
	if (dropped > 0)
		log_msg(LOG_NOTICE, "%s login starttls-pipelined address=%s "
		    "bytes=%ld discarded", s->idstr, s->addr, dropped);
	if (s->rd != NULL) {
		struct imap_reader_limits	 lim = s->rd->lim;

		imap_reader_free(s->rd);
		imap_reader_init(s->rd, &lim);
	}
	x_free(&s->user);
	s->tls = 1;
	return 0;
}

static void
login_tls_established(struct login_session *s)
{
	SSL		*ssl = conn_ssl(s->conn);
	const char	*version = NULL, *cipher = NULL;
	int		 bits = 0;

	if (ssl == NULL)
		return;
	tls_info(ssl, &version, &cipher, &bits);
	log_msg(LOG_INFO, "%s login tls address=%s version=%s cipher=%s",
	    s->idstr, s->addr, version ? version : "?", cipher ? cipher : "?");
}

/* ---- the password: to the auth process and back ---- */

void
login_auth_ask(struct login_session *s, struct sasl_creds *cr)
{
	struct ipc_out	 o;

	s->sasl = LS_NONE;
	explicit_bzero(s->sasl_login, sizeof(s->sasl_login));
	if (L.auth == NULL || s->listener->auth == NULL ||
	    s->listener_index == UINT32_MAX) {
		if (s->listener->auth == NULL)
			log_msg(LOG_ERR, "%s login: no credentials table on the "
			    "listener (auth <table>)", s->idstr);
		sasl_creds_clear(cr);
		login_auth_result(s, AUTH_TEMPFAIL, NULL, NULL);
		return;
	}
	ipc_begin(&o, MSG_AUTH_CHECK, s->id);
	ipc_add_u32(&o, s->listener_index);
	ipc_add_str(&o, cr->login);
	ipc_add_str(&o, cr->password);
	ipc_add_str(&o, s->addr);
	ipc_send(L.auth, &o);
	sasl_creds_clear(cr);
	s->wait = LW_AUTH;
}

void
login_auth_result(struct login_session *s, enum auth_result result,
    const char *login, const char *ticket)
{
	s->wait = LW_NONE;
	if (s->closing) {
		login_close(s);
		return;
	}
	if (result == AUTH_OK && login != NULL && ticket != NULL) {
		s->login = xstrdup(login);
		s->ticket = xstrdup(ticket);
		login_handoff(s);
		return;
	}
	if (result == AUTH_OK)
		result = AUTH_TEMPFAIL;
	if (result == AUTH_FAIL)
		s->fails++;
	if (s->proto == MAILBOX_IMAP)
		imap_login_failed(s, result);
	else
		pop3_login_failed(s, result);
	if (s->fails >= LOGIN_FAILS_MAX && !s->closing) {
		if (s->proto == MAILBOX_IMAP)
			imap_login_bye(s, "Too many failed logins");
		login_close(s);
		return;
	}
	x_free(&s->tag);
	login_process(s);
}

/* ---- SASL PLAIN and LOGIN, shared by AUTHENTICATE and AUTH ---- */

static void
challenge(struct login_session *s, const char *b64)
{
	if (s->proto == MAILBOX_IMAP)
		imap_login_challenge(s, b64);
	else
		pop3_login_challenge(s, b64);
}

static void
sasl_bad(struct login_session *s, const char *text)
{
	s->sasl = LS_NONE;
	explicit_bzero(s->sasl_login, sizeof(s->sasl_login));
	if (s->proto == MAILBOX_IMAP)
		imap_login_sasl_bad(s, text);
	else
		pop3_login_sasl_bad(s, text);
}

/* One decoded response in the state of the exchange. */
static void
sasl_response(struct login_session *s, const unsigned char *msg, size_t len)
{
	struct sasl_creds	 cr;
	const char		*errstr;

	switch (s->sasl) {
	case LS_PLAIN:
		if (sasl_plain(msg, len, &cr, &errstr) == -1) {
			sasl_bad(s, "Malformed PLAIN response");
			return;
		}
		login_auth_ask(s, &cr);
		return;
	case LS_LOGIN_USER:
		if (sasl_login_field(msg, len, s->sasl_login, sizeof(s->sasl_login),
		    &errstr) == -1 || s->sasl_login[0] == '\0') {
			sasl_bad(s, "Malformed user name");
			return;
		}
		s->sasl = LS_LOGIN_PASS;
		challenge(s, "UGFzc3dvcmQ6");	/* "Password:" */
		return;
	case LS_LOGIN_PASS:
		memset(&cr, 0, sizeof(cr));
		memcpy(cr.login, s->sasl_login, sizeof(cr.login));
		if (sasl_login_field(msg, len, cr.password, sizeof(cr.password),
		    &errstr) == -1) {
			sasl_creds_clear(&cr);
			sasl_bad(s, "Malformed password");
			return;
		}
		login_auth_ask(s, &cr);
		return;
	case LS_NONE:
		break;
	}
}

/* base64 text, "=" or nothing for an empty response; -1 for anything else. */
static long
decode(const char *b64, size_t len, unsigned char *out, size_t outlen)
{
	if (len == 0 || (len == 1 && b64[0] == '='))
		return 0;
	return sasl_b64_decode(b64, len, out, outlen);
}

int
login_sasl_start(struct login_session *s, const char *mech,
    const unsigned char *ir, size_t irlen, int has_ir)
{
	if (strcasecmp(mech, "PLAIN") == 0)
		s->sasl = LS_PLAIN;
	else if (strcasecmp(mech, "LOGIN") == 0)
		s->sasl = LS_LOGIN_USER;
	else
		return -1;
	if (!has_ir)
		challenge(s, s->sasl == LS_PLAIN ? "" : "VXNlcm5hbWU6");
	else
		sasl_response(s, ir, irlen);
	return 0;
}

int
login_sasl_step(struct login_session *s, const char *line, size_t len)
{
	unsigned char	 msg[LOGIN_LINE_MAX];
	long		 n;

	if (len == 1 && line[0] == '*') {
		login_sasl_cancel(s);
		return 0;
	}
	if ((n = decode(line, len, msg, sizeof(msg))) < 0) {
		sasl_bad(s, "Invalid base64 in the response");
		return -1;
	}
	sasl_response(s, msg, (size_t)n);
	explicit_bzero(msg, sizeof(msg));
	return 0;
}

void
login_sasl_cancel(struct login_session *s)
{
	sasl_bad(s, "Authentication cancelled");
}

/* ---- where the mail is, and the process that serves it ---- */

struct route_work {
	uint64_t		 session;
	struct conf		*conf;
	const struct listener	*listener;
	char			*login;
	char			*path, *account;
	struct route_error	 err;
	enum route_status	 status;
};

static void
route_work(void *arg)
{
	struct route_work	*w = arg;

	w->status = route_login_maildir(w->conf, w->listener, w->login,
	    &w->path, &w->account, &w->err);
}

static void
unavailable(struct login_session *s, const char *why)
{
	log_msg(LOG_WARNING, "%s login mailbox-unavailable address=%s user=%s "
	    "reason=\"%s\"", s->idstr, s->addr, s->login ? s->login : "?", why);
	if (s->proto == MAILBOX_IMAP)
		imap_login_unavailable(s, why);
	else
		pop3_login_unavailable(s, why);
	login_close(s);
}

static struct mailbox_link *
link_find(const char *account, int create)
{
	struct mailbox_link	*k;
	size_t			 i;

	for (i = 0; i < L.nlinks; i++)
		if (strcmp(L.links[i]->account, account) == 0)
			return L.links[i];
	if (!create)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->account = xstrdup(account);
	TAILQ_INIT(&k->waiting);
	L.links = xreallocarray(L.links, L.nlinks + 1, sizeof(*L.links));
	L.links[L.nlinks++] = k;
	return k;
}

static void
link_free(struct mailbox_link *k)
{
	size_t	 i;

	for (i = 0; i < L.nlinks; i++)
		if (L.links[i] == k) {
			L.links[i] = L.links[--L.nlinks];
			break;
		}
	if (k->ipc != NULL)
		ipc_free(k->ipc);
	free(k->account);
	free(k);
}

/*
 * The client goes to its mailbox process (mailbox.h): without TLS its
 * socket itself, with a socketpair that carries nothing and whose close
 * ends the session here; with TLS one end of a socketpair, the other
 * relayed.
 */
static void
send_session(struct login_session *s, struct mailbox_link *k)
{
	struct ipc_out	 o;
	uint32_t	 flags = 0;
	int		 sv[2], fd = -1;
	char		*prefix = NULL;
	size_t		 prefixlen = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	    sv) == -1) {
		unavailable(s, "no socketpair for the session");
		return;
	}
	if (login_direct_possible(s))
		fd = login_direct_detach(s, &prefix, &prefixlen);
	if (s->tls)
		flags |= MAILBOX_F_TLS;
	if (login_secure(s))
		flags |= MAILBOX_F_SECURE;
	ipc_begin(&o, MSG_MAILBOX_SESSION, s->id);
	if (fd != -1)
		ipc_add_fd(&o, fd);
	ipc_add_fd(&o, sv[1]);
	ipc_add_u32(&o, (uint32_t)s->proto);
	ipc_add_u32(&o, s->listener_index);
	ipc_add_u32(&o, flags);
	ipc_add_str(&o, s->idstr);
	ipc_add_str(&o, s->login);
	ipc_add_str(&o, s->ticket);
	ipc_add_str(&o, s->addr);
	ipc_add_str(&o, s->tag);
	ipc_add_data(&o, prefix, prefixlen);
	ipc_send(k->ipc, &o);
	explicit_bzero(s->ticket, strlen(s->ticket));
	x_free(&s->ticket);
	if (prefix != NULL)
		explicit_bzero(prefix, prefixlen);
	free(prefix);
	log_msg(LOG_INFO, "%s login user=%s address=%s account=%s%s", s->idstr,
	    s->login, s->addr, k->account, fd != -1 ? " handed=socket" : "");
	if (fd != -1)
		login_direct_start(s, sv[0]);
	else
		login_relay_start(s, sv[0]);
}

static void
route_done(void *arg)
{
	struct route_work	*w = arg;
	struct login_session	*s;
	struct mailbox_link	*k;
	struct ipc_out		 o;

	s = pending_get(L.by_id, w->session);
	if (s == NULL || s->wait != LW_ROUTE)
		goto done;
	s->wait = LW_NONE;
	if (s->closing) {
		login_close(s);
		goto done;
	}
	if (w->status != ROUTE_OK) {
		unavailable(s, w->err.text[0] ? w->err.text :
		    "no Maildir for this login");
		goto done;
	}
	s->account = w->account;
	w->account = NULL;
	k = link_find(s->account, 1);
	if (k->ipc != NULL) {
		send_session(s, k);
		goto done;
	}
	s->wait = LW_MAILBOX;
	s->mbox = k;
	TAILQ_INSERT_TAIL(&k->waiting, s, waiting);
	if (!k->spawning) {
		k->spawning = 1;
		ipc_begin(&o, MSG_MAILBOX_SPAWN, 0);
		ipc_add_str(&o, k->account);
		ipc_send(L.parent, &o);
	}
done:
	conf_free(w->conf);
	free(w->login);
	free(w->path);
	free(w->account);
	free(w);
}

static void
login_handoff(struct login_session *s)
{
	struct route_work	*w = xcalloc(1, sizeof(*w));

	/* Routing may read the user database: a worker thread's job. */
	w->session = s->id;
	w->conf = conf_ref(s->conf);
	w->listener = s->listener;
	w->login = xstrdup(s->login);
	s->wait = LW_ROUTE;
	pool_run(L.pool, route_work, route_done, w);
}

static void
mailbox_lost(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	login_mailbox_lost(arg);
}

static void
on_mailbox(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct timeval	 now = { 0, 0 };

	if (m == NULL) {
		/* Freed from the event loop, not under the channel's own callback. */
		event_base_once(L.base, -1, EV_TIMEOUT, mailbox_lost, arg, &now);
		return;
	}
	/* The mailbox processes say nothing to us: they answer the clients. */
	fatalx("login: unexpected %s from a mailbox process", msg_name(m->type));
}

/* The sessions that waited for k's process: handed over when it came, else told why not. */
static void
link_settle(struct mailbox_link *k, const char *why)
{
	struct login_session	*s;

	while ((s = TAILQ_FIRST(&k->waiting)) != NULL) {
		TAILQ_REMOVE(&k->waiting, s, waiting);
		s->mbox = NULL;
		s->wait = LW_NONE;
		if (s->closing)
			login_close(s);
		else if (why == NULL)
			send_session(s, k);
		else
			unavailable(s, why);
	}
}

void
login_mailbox_ready(const char *account, int fd)
{
	struct mailbox_link	*k;
	char			 name[300];

	if ((k = link_find(account, 0)) == NULL || k->ipc != NULL) {
		close(fd);
		return;
	}
	snprintf(name, sizeof(name), "mailbox %s", account);
	k->ipc = ipc_new(L.base, fd, name, on_mailbox, k);
	k->spawning = 0;
	link_settle(k, NULL);
}

void
login_mailbox_unavailable(const char *account, const char *why)
{
	struct mailbox_link	*k;

	if ((k = link_find(account, 0)) == NULL)
		return;
	link_settle(k, why);
	/* The next login asks again: the admin may have fixed the account. */
	link_free(k);
}

void
login_mailbox_lost(struct mailbox_link *k)
{
	/* Its sessions see their relays close; the next login starts another. */
	log_msg(LOG_INFO, "login: the mailbox process of %s is gone", k->account);
	ipc_free(k->ipc);
	k->ipc = NULL;
	if (TAILQ_EMPTY(&k->waiting) && !k->spawning)
		link_free(k);
}

/* ---- life cycle ---- */

void
login_process(struct login_session *s)
{
	if (s->closing || s->relaying || s->wait != LW_NONE || s->conn == NULL)
		return;
	if (s->proto == MAILBOX_IMAP)
		imap_login_input(s);
	else
		pop3_login_input(s);
	if (s->errors >= LOGIN_ERRORS_MAX && !s->closing) {
		if (s->proto == MAILBOX_IMAP)
			imap_login_bye(s, "Too many invalid commands");
		else
			conn_printf(s->conn, "-ERR Too many invalid commands\r\n");
		login_close(s);
	}
}

static void
login_on_conn(struct conn *c, enum conn_event ev, void *arg)
{
	struct login_session	*s = arg;
	char			 text[256];

	switch (ev) {
	case CONN_EV_INPUT:
		login_process(s);
		break;
	case CONN_EV_TLS:
		login_tls_established(s);
		login_process(s);
		break;
	case CONN_EV_TIMEOUT:
		if (s->closing)
			break;
		log_msg(LOG_INFO, "%s login timeout address=%s", s->idstr, s->addr);
		if (conn_timeout_kind(c) != CONN_TIMEOUT_WRITE &&
		    s->proto == MAILBOX_IMAP)
			imap_login_bye(s, "Disconnected for inactivity");
		else if (conn_timeout_kind(c) != CONN_TIMEOUT_WRITE)
			conn_printf(c, "-ERR Disconnected for inactivity\r\n");
		login_close(s);
		break;
	case CONN_EV_CLOSED:
		if (s->tls && conn_ssl(c) != NULL && !s->relaying && s->login == NULL)
			log_msg(LOG_DEBUG, "%s login closed address=%s reason=\"%s\"",
			    s->idstr, s->addr, conn_tls_error(c, text, sizeof(text)));
		login_abort(s);
		break;
	default:
		break;
	}
}

static void
free_deferred(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	login_free(arg);
}

static void
free_later(struct login_session *s)
{
	struct timeval	 now = { 0, 0 };

	if (s->free_scheduled)
		return;
	s->free_scheduled = 1;
	event_base_once(L.base, -1, EV_TIMEOUT, free_deferred, s, &now);
}

/*
 * Ends the session once nothing it waits for is outstanding: what was said
 * last still goes out. Valid until the caller returns to the event loop.
 */
void
login_close(struct login_session *s)
{
	s->closing = 1;
	if (s->wait == LW_AUTH || s->wait == LW_ROUTE)
		return;		/* login_close again when the answer comes */
	if (s->wait == LW_MAILBOX && s->mbox != NULL) {
		TAILQ_REMOVE(&s->mbox->waiting, s, waiting);
		s->mbox = NULL;
		s->wait = LW_NONE;
	}
	if (s->conn != NULL) {
		conn_close(s->conn);
		s->conn = NULL;
	}
	if (s->peer != NULL) {
		conn_close(s->peer);
		s->peer = NULL;
	}
	free_later(s);
}

/* The client is gone or hostile: nothing more is sent. */
void
login_abort(struct login_session *s)
{
	if (s->conn != NULL) {
		conn_abort(s->conn);
		s->conn = NULL;
	}
	login_close(s);
}

static void
login_free(struct login_session *s)
{
	if (s->login != NULL && s->direct)
		/* The mailbox process had the socket: no byte passed here. */
		log_msg(LOG_INFO, "%s %s disconnect address=%s user=%s", s->idstr,
		    s->proto == MAILBOX_IMAP ? "imap" : "pop3", s->addr, s->login);
	else if (s->login != NULL)
		log_msg(LOG_INFO, "%s %s disconnect address=%s user=%s in=%llu "
		    "out=%llu", s->idstr, s->proto == MAILBOX_IMAP ? "imap" : "pop3",
		    s->addr, s->login, (unsigned long long)s->relayed_in,
		    (unsigned long long)s->relayed_out);
	else
		log_msg(LOG_INFO, "%s %s disconnect address=%s", s->idstr,
		    s->proto == MAILBOX_IMAP ? "imap" : "pop3", s->addr);
	TAILQ_REMOVE(&L.sessions, s, entry);
	L.nsessions--;
	pending_take(L.by_id, s->id);
	if (s->counted)
		conn_limits_del(L.limits, s->addr);
	if (s->conn != NULL)
		conn_abort(s->conn);
	if (s->peer != NULL)
		conn_abort(s->peer);
	if (s->rd != NULL) {
		imap_reader_free(s->rd);
		free(s->rd);
	}
	explicit_bzero(s->sasl_login, sizeof(s->sasl_login));
	if (s->ticket != NULL)
		explicit_bzero(s->ticket, strlen(s->ticket));
	free(s->ticket);
	free(s->tag);
	free(s->user);
	free(s->login);
	free(s->account);
	conf_free(s->conf);
	free(s);
}
