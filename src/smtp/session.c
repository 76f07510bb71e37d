/* SMTP session life cycle: connect phase, greeting, reading command lines, dispatch, replies, close. */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "lib/xalloc.h"
#include "mail/reply.h"
#include "mail/sasl.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/pending.h"
#include "route/route.h"
#include "smtp/filter.h"
#include "smtp/guard.h"
#include "smtp/mailauth.h"
#include "smtp/session.h"

static void	smtp_on_conn(struct conn *, enum conn_event, void *);
static void	smtp_free(struct smtp_session *);
static void	smtp_dispatch(struct smtp_session *, char *, size_t);
static void	smtp_greet(struct smtp_session *);

const char *
smtp_hostname(const struct smtp_session *s)
{
	if (s->listener && s->listener->hostname)
		return s->listener->hostname;
	return s->conf->hostname;
}

struct smtp_session *
smtp_find(struct smtp_server *srv, uint64_t id)
{
	/* Every queue and auth reply looks its session up: no walk of them all. */
	return pending_get(srv->by_id, id);
}

/*
 * The HELO/EHLO name, cut at the longest domain or address literal a
 * path may hold; kept on the heap, so an idle session holds only what the
 * client said.
 */
void
smtp_set_helo(struct smtp_session *s, const char *name)
{
	free(s->helo);
	s->helo = xstrndup(name, ADDR_PATH_MAX);
}

/* AUTH LOGIN's user name, wiped once the exchange ends either way. */
void
smtp_sasl_forget(struct smtp_session *s)
{
	if (s->sasl_login == NULL)
		return;
	explicit_bzero(s->sasl_login, SASL_LOGIN_MAX + 1);
	x_free(&s->sasl_login);
}

void
smtp_session_new(struct smtp_server *srv, int fd, struct listener *l,
    const struct sockaddr *sa, socklen_t salen, int from_socket, unsigned uid,
    const char *unread, size_t unreadlen)
{
	struct smtp_session	*s = xcalloc(1, sizeof(*s));
	char			 who[300];

	s->server = srv;
	s->conf = conf_ref(srv->conf);
	s->id = ++srv->next_id;
	s->listener = l;
	s->qfd = -1;
	s->next_qfd = -1;
	s->from_socket = from_socket;
	s->uid = uid;
	s->declared_size = -1;
	s->started = time(NULL);
	s->helo = xstrdup("");
	envelope_init(&s->env);
	buf_init(&s->wbuf, 0);
	if (from_socket) {
		snprintf(s->addr, sizeof(s->addr), "local");
		s->local = 1;
	} else {
		/* Only IPv4 and IPv6 are accepted over TCP. */
		memcpy(&s->peer, sa, salen < sizeof(s->peer) ? salen :
		    sizeof(s->peer));
		s->local = sa_is_loopback(sa);
		sa_ntop(sa, s->addr, sizeof(s->addr));
	}
	if ((s->conn = conn_new(srv->base, fd, smtp_on_conn, s)) == NULL) {
		log_msg(LOG_ERR, "smtp: cannot set up the connection from %s",
		    s->addr);
		conf_free(s->conf);
		buf_free(&s->wbuf);
		free(s->helo);
		free(s);
		return;
	}
	conn_set_line_max(s->conn, SMTP_CMDLINE_MAX);
	conn_set_timeouts(s->conn, SMTP_TIMEOUT_SECS, SMTP_TIMEOUT_SECS);
	if (!from_socket)
		conn_account(s->conn, srv->limits, s->addr);
	/* What the control socket had read after ENQUEUE belongs to this session. */
	if (unreadlen > 0)
		conn_unread(s->conn, unread, unreadlen);
	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	srv->nsessions++;
	pending_set(srv->by_id, s->id, s);
	log_msg(LOG_INFO, "%016llx smtp connect address=%s listener=%s%s",
	    (unsigned long long)s->id, s->addr,
	    from_socket ? "socket" : (l && l->on ? l->on : "?"),
	    smtp_local_tag(s, who, sizeof(who)));
	s->state = S_CONNECT;
	if (smtp_guard_start(s) == -1)
		return;
	if (!from_socket && l && (l->flags & LF_IMPLICIT_TLS) &&
	    smtp_tls_implicit(s) == -1) {
		s->peer_gone = 1;
		smtp_close(s);
		return;
	}
	smtp_phase(s, PH_CONNECT, smtp_greet);
	/* A local session may have brought pipelined commands along. */
	if (s->wait == W_NONE)
		smtp_process(s);
}

/* The connect phase is done: the banner, and whatever the client already said. */
static void
smtp_greet(struct smtp_session *s)
{
	s->state = S_GREETING;
	smtp_reply(s, 220, NULL, "%s ESMTP tegami", smtp_hostname(s));
}

void
smtp_reply_raw(struct smtp_session *s, const char *p, size_t n)
{
	if (s->conn != NULL)
		conn_write_reply(s->conn, p, n);
}

void
smtp_reply(struct smtp_session *s, int code, const char *enhanced,
    const char *fmt, ...)
{
	struct buf	 out;
	va_list		 ap;

	buf_init(&out, REPLY_LINE_MAX + 1);
	va_start(ap, fmt);
	reply_vformat(&out, code, enhanced, fmt, ap);
	va_end(ap);
	smtp_reply_raw(s, out.data, out.len);
	if (code >= 500)
		s->errors++;
	if (log_verbose() > 1 && out.len >= 2)
		log_msg(LOG_DEBUG, "%016llx smtp reply=\"%.*s\"",
		    (unsigned long long)s->id, (int)out.len - 2, out.data);
	buf_free(&out);
}

void
smtp_tx_reset(struct smtp_session *s)
{
	if (s->qid[0] != '\0')
		smtp_data_abort(s);
	envelope_free(&s->env);
	envelope_init(&s->env);
	s->nrcpt = 0;
	s->declared_size = -1;
	s->body_8bit = 0;
	s->smtputf8 = 0;
	s->msglen = 0;
	s->write_errno = 0;
	s->chunk_left = 0;
	s->chunk_last = 0;
	s->bdat_failed = 0;
	s->cr_pending = 0;
	s->bdat_discard = 0;
	s->hold_header = 0;
	x_free(&s->hops);
	smtp_mailauth_free(s);
	buf_free(&s->wbuf);
	buf_init(&s->wbuf, 0);
	if (s->state != S_GREETING && s->state != S_QUIT && s->state != S_CONNECT)
		s->state = S_READY;
}

static void
smtp_free_deferred(evutil_socket_t fd, short ev, void *arg)
{
	smtp_free(arg);
}

/* Frees the session from the event loop, never under a caller that still holds it. */
static void
smtp_free_later(struct smtp_session *s)
{
	struct timeval	 now = { 0, 0 };

	if (s->free_scheduled)
		return;
	s->free_scheduled = 1;
	event_base_once(s->server->base, -1, EV_TIMEOUT, smtp_free_deferred, s,
	    &now);
}

/*
 * Ends the session: what was said last still goes out (the connection
 * flushes it), and the session itself goes once no answer from another
 * process is awaited. The session stays valid until the caller returns to
 * the event loop.
 */
void
smtp_close(struct smtp_session *s)
{
	s->closing = 1;
	smtp_phase_cancel(s);
	if (s->peer_gone && s->conn != NULL) {
		conn_abort(s->conn);
		s->conn = NULL;
	}
	if (s->wait != W_NONE || s->next_asked)
		return;		/* smtp_close again when the answer comes */
	if (s->conn != NULL) {
		conn_close(s->conn);
		s->conn = NULL;
	}
	smtp_free_later(s);
}

static void
smtp_free(struct smtp_session *s)
{
	struct smtp_server	*srv = s->server;

	log_msg(LOG_INFO, "%016llx smtp disconnect address=%s mails=%u",
	    (unsigned long long)s->id, s->addr, s->nmails);
	smtp_queue_forget(s);
	TAILQ_REMOVE(&srv->sessions, s, entry);
	srv->nsessions--;
	pending_take(srv->by_id, s->id);
	if (s->conn != NULL)
		conn_abort(s->conn);
	route_job_free(s->route);
	free(s->rcpt_orcpt);
	free(s->rcpt_addr);
	free(s->rdns_name);
	free(s->auth_user);
	free(s->hops);
	smtp_mailauth_free(s);
	smtp_sasl_forget(s);
	free(s->helo);
	envelope_free(&s->env);
	buf_free(&s->wbuf);
	conf_free(s->conf);
	free(s);
}

void
smtp_resume(struct smtp_session *s)
{
	if (s->closing)
		smtp_close(s);
	else
		smtp_process(s);
}

static void
smtp_on_timeout(struct smtp_session *s)
{
	log_msg(LOG_INFO, "%016llx smtp timeout address=%s",
	    (unsigned long long)s->id, s->addr);
	if (conn_timeout_kind(s->conn) == CONN_TIMEOUT_WRITE) {
		/* It reads nothing we say: there is nobody to say goodbye to. */
		s->peer_gone = 1;
	} else
		smtp_reply(s, 421, "4.4.2", "%s Timeout, closing connection",
		    smtp_hostname(s));
	smtp_close(s);
}

static void
smtp_on_conn(struct conn *c, enum conn_event ev, void *arg)
{
	struct smtp_session	*s = arg;

	switch (ev) {
	case CONN_EV_INPUT:
		if (!smtp_deadline_passed(s))
			smtp_process(s);
		break;
	case CONN_EV_TLS:
		smtp_tls_established(s);
		smtp_process(s);
		break;
	case CONN_EV_TIMEOUT:
		if (!s->closing)
			smtp_on_timeout(s);
		break;
	case CONN_EV_CLOSED:
		/* EOF, an error, a failed handshake: nothing more can be said. */
		smtp_tls_log_error(s);
		s->peer_gone = 1;
		smtp_close(s);
		break;
	default:
		break;
	}
}

/*
 * Reads and dispatches as much input as the state allows. Stops while an
 * answer is awaited, so pipelined commands are answered in order, and
 * while the client is not reading its replies.
 */
void
smtp_process(struct smtp_session *s)
{
	char	*line;
	size_t	 n;

	while (!s->closing && s->wait == W_NONE && s->conn != NULL &&
	    conn_ready(s->conn)) {
		if (s->state == S_DATA) {
			if (!smtp_data_input(s))
				break;
			continue;
		}
		if ((s->state == S_BDAT || s->bdat_discard) &&
		    s->chunk_left > 0) {
			if (!smtp_bdat_input(s))
				break;
			continue;
		}
		switch (conn_getline(s->conn, &line, &n)) {
		case CONN_LINE_MORE:
			smtp_command_waits(s);
			return;
		case CONN_LINE_TOO_LONG:
			smtp_command_read(s);
			if (s->sasl != SASL_NONE) {
				s->sasl = SASL_NONE;
				smtp_reply(s, 500, "5.5.6", "Authentication Exchange "
				    "line is too long");
			} else
				smtp_reply(s, 500, "5.5.2", "Line too long");
			break;
		case CONN_LINE_OK:
			smtp_command_read(s);
			if (s->sasl != SASL_NONE) {
				smtp_auth_response(s, line, n);
				/* The line lives in the input buffer until the next read. */
				explicit_bzero(line, n);
			} else
				smtp_dispatch(s, line, n);
			break;
		}
		if (s->errors >= SMTP_ERRORS_MAX && !s->closing) {
			smtp_reply(s, 421, "4.7.0", "%s Too many errors, closing",
			    smtp_hostname(s));
			smtp_close(s);
		}
	}
}

static void
smtp_dispatch(struct smtp_session *s, char *line, size_t len)
{
	struct smtp_cmd		 cmd;
	struct smtp_cmd_error	 err;

	if (log_verbose() > 1) {
		char	 clean[256];

		log_msg(LOG_DEBUG, "%016llx smtp command=\"%s\"",
		    (unsigned long long)s->id, log_clean(clean, sizeof(clean),
		    line, len > 4 && strncasecmp(line, "AUTH", 4) == 0 ? 4 : len));
	}
	if (smtp_cmd_parse(&cmd, line, len, &err) == -1) {
		smtp_reply(s, err.code, err.enhanced, "%s", err.text);
		return;
	}
	/* AUTH lines carry passwords, if only in base64. */
	if (cmd.verb == SMTP_AUTH)
		explicit_bzero(line, len);
	smtp_count_junk(s, cmd.verb);
	if (smtp_filter_refused(s, &cmd)) {
		explicit_bzero(cmd.arg2, sizeof(cmd.arg2));
		return;
	}
	switch (cmd.verb) {
	case SMTP_HELO:
	case SMTP_EHLO:
		smtp_cmd_helo(s, &cmd);
		break;
	case SMTP_MAIL:
		smtp_cmd_mail(s, &cmd);
		break;
	case SMTP_RCPT:
		smtp_cmd_rcpt(s, &cmd);
		break;
	case SMTP_DATA:
		smtp_cmd_data(s, &cmd);
		break;
	case SMTP_BDAT:
		smtp_cmd_bdat(s, &cmd);
		break;
	case SMTP_STARTTLS:
		smtp_cmd_starttls(s, &cmd);
		break;
	case SMTP_AUTH:
		smtp_cmd_auth(s, &cmd);
		explicit_bzero(cmd.arg2, sizeof(cmd.arg2));
		break;
	default:
		smtp_cmd_misc(s, &cmd);
		break;
	}
}
