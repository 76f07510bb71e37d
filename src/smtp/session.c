/* SMTP session life cycle: greeting, reading command lines, dispatch, replies, close. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/sockaddr.h"
#include "lib/xalloc.h"
#include "mail/reply.h"
#include "smtp/conn_limit.h"
#include "smtp/session.h"

/* Bytes of unprocessed input a session may hold before reading pauses. */
#define SMTP_INPUT_HIGHWATER	(256 * 1024)

static void	smtp_on_read(struct bufferevent *, void *);
static void	smtp_on_write(struct bufferevent *, void *);
static void	smtp_on_event(struct bufferevent *, short, void *);
static void	smtp_free(struct smtp_session *);
static void	smtp_dispatch(struct smtp_session *, const char *, size_t);

const char *
smtp_hostname(const struct smtp_session *s)
{
	if (s->listener && s->listener->hostname)
		return s->listener->hostname;
	return s->server->conf->hostname;
}

struct smtp_session *
smtp_find(struct smtp_server *srv, uint64_t id)
{
	char	 key[17];

	/* Every queue and auth reply looks its session up: no walk of them all. */
	snprintf(key, sizeof(key), "%016llx", (unsigned long long)id);
	return map_get(srv->by_id, key);
}

void
smtp_session_new(struct smtp_server *srv, int fd, struct listener *l,
    const struct sockaddr *sa, socklen_t salen, int from_socket, unsigned uid)
{
	struct smtp_session	*s = xcalloc(1, sizeof(*s));

	s->server = srv;
	s->id = ++srv->next_id;
	s->listener = l;
	s->qfd = -1;
	s->from_socket = from_socket;
	s->uid = uid;
	envelope_init(&s->env);
	buf_init(&s->wbuf, 0);
	if (from_socket) {
		snprintf(s->addr, sizeof(s->addr), "local");
		s->local = 1;
	} else {
		memcpy(&s->peer, sa, salen);
		s->local = sa_is_loopback(sa);
		sa_ntop(sa, s->addr, sizeof(s->addr));
	}
	if (!from_socket && l && (l->flags & LF_IMPLICIT_TLS))
		s->bev = smtp_tls_wrap(s, fd);
	else
		s->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		log_msg(LOG_ERR, "smtp: cannot set up the connection from %s",
		    s->addr);
		close(fd);
		free(s);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	srv->nsessions++;
	{
		char	 key[17];

		snprintf(key, sizeof(key), "%016llx", (unsigned long long)s->id);
		map_set(srv->by_id, key, s);
	}
	conn_limit_add(srv, s->addr);
	smtp_session_setup_bev(s);
	log_msg(LOG_INFO, "%016llx smtp connect address=%s listener=%s",
	    (unsigned long long)s->id, s->addr,
	    from_socket ? "socket" : (l && l->on ? l->on : "?"));
	s->state = S_GREETING;
	smtp_reply(s, 220, NULL, "%s ESMTP tegami", smtp_hostname(s));
}

void
smtp_session_setup_bev(struct smtp_session *s)
{
	struct timeval	 tv = { SMTP_TIMEOUT_SECS, 0 };

	bufferevent_setcb(s->bev, smtp_on_read, smtp_on_write, smtp_on_event, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, SMTP_INPUT_HIGHWATER);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

void
smtp_reply_raw(struct smtp_session *s, const char *p, size_t n)
{
	evbuffer_add(bufferevent_get_output(s->bev), p, n);
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
	evbuffer_add(bufferevent_get_output(s->bev), out.data, out.len);
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
	buf_reset(&s->wbuf);
	if (s->state != S_GREETING && s->state != S_QUIT)
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
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	event_base_once(s->server->base, -1, EV_TIMEOUT, smtp_free_deferred, s,
	    &now);
}

static void
smtp_close_recheck(evutil_socket_t fd, short ev, void *arg)
{
	smtp_close(arg);
}

/*
 * After STARTTLS the session writes into a TLS filter whose records sit in
 * the plain stream's output until the socket takes them; nothing tells the
 * session when that is, so it looks again shortly (the last reply, 221,
 * must not be cut off).
 */
static int
smtp_close_underlying_pending(struct smtp_session *s)
{
	struct bufferevent	*under = bufferevent_get_underlying(s->bev);
	struct timeval		 tv = { 0, 20000 };

	if (under == NULL ||
	    evbuffer_get_length(bufferevent_get_output(under)) == 0)
		return 0;
	if (s->close_timer == NULL &&
	    (s->close_timer = evtimer_new(s->server->base, smtp_close_recheck,
	    s)) == NULL)
		return 0;
	evtimer_add(s->close_timer, &tv);
	return 1;
}

/*
 * Closes once the output has drained and no queue reply is pending. The
 * session stays valid until the caller returns to the event loop.
 */
void
smtp_close(struct smtp_session *s)
{
	if (!s->closing) {
		s->closing = 1;
		bufferevent_disable(s->bev, EV_READ);
	}
	if (s->wait != W_NONE)
		return;		/* smtp_close again when the queue answers */
	if (s->peer_gone ||
	    evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		if (!s->peer_gone && smtp_close_underlying_pending(s))
			return;
		smtp_free_later(s);
	}
}

static void
smtp_free(struct smtp_session *s)
{
	struct smtp_server	*srv = s->server;

	log_msg(LOG_INFO, "%016llx smtp disconnect address=%s mails=%u",
	    (unsigned long long)s->id, s->addr, s->nmails);
	if (s->qid[0] != '\0')
		smtp_data_abort(s);
	TAILQ_REMOVE(&srv->sessions, s, entry);
	srv->nsessions--;
	{
		char	 key[17];

		snprintf(key, sizeof(key), "%016llx", (unsigned long long)s->id);
		map_del(srv->by_id, key);
	}
	conn_limit_del(srv, s->addr);
	if (s->close_timer)
		event_free(s->close_timer);
	bufferevent_free(s->bev);
	free(s->auth_user);
	explicit_bzero(s->sasl_login, sizeof(s->sasl_login));
	envelope_free(&s->env);
	buf_free(&s->wbuf);
	free(s);
	if (srv->draining && srv->nsessions == 0) {
		log_msg(LOG_INFO, "smtp: drained, exiting");
		exit(0);
	}
}

static void
smtp_on_read(struct bufferevent *bev, void *arg)
{
	smtp_process(arg);
}

static void
smtp_on_write(struct bufferevent *bev, void *arg)
{
	struct smtp_session	*s = arg;

	if (s->closing)
		smtp_close(s);
}

static void
smtp_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session	*s = arg;

	if (what & BEV_EVENT_CONNECTED) {
		smtp_tls_established(s);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && !(what & BEV_EVENT_WRITING) &&
	    !s->closing) {
		log_msg(LOG_INFO, "%016llx smtp timeout address=%s",
		    (unsigned long long)s->id, s->addr);
		smtp_reply(s, 421, "4.4.2", "%s Timeout, closing connection",
		    smtp_hostname(s));
		bufferevent_enable(s->bev, EV_WRITE);
		smtp_close(s);
		return;
	}
	/* EOF, an error, or nobody reading what we write: nothing more can be said. */
	smtp_tls_log_error(s);
	s->peer_gone = 1;
	smtp_close(s);
}

/*
 * Reads and dispatches as much input as the state allows. Stops while a
 * queue request is outstanding, so pipelined commands are answered in order.
 */
void
smtp_process(struct smtp_session *s)
{
	struct evbuffer	*in = bufferevent_get_input(s->bev);
	char		 line[SMTP_CMDLINE_MAX + 1];

	while (!s->closing && s->wait == W_NONE) {
		struct evbuffer_ptr	 eol;
		size_t			 eol_len, n;

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
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) > SMTP_CMDLINE_MAX) {
				evbuffer_drain(in, evbuffer_get_length(in));
				s->discard_line = 1;
			}
			break;
		}
		n = (size_t)eol.pos;
		if (s->discard_line || n > SMTP_CMDLINE_MAX) {
			evbuffer_drain(in, n + eol_len);
			s->discard_line = 0;
			if (s->sasl != SASL_NONE) {
				s->sasl = SASL_NONE;
				smtp_reply(s, 500, "5.5.6", "Authentication Exchange "
				    "line is too long");
			} else
				smtp_reply(s, 500, "5.5.2", "Line too long");
		} else {
			evbuffer_remove(in, line, n);
			evbuffer_drain(in, eol_len);
			if (n > 0 && line[n - 1] == '\r')
				n--;
			line[n] = '\0';
			if (s->sasl != SASL_NONE) {
				smtp_auth_response(s, line, n);
				explicit_bzero(line, n);
			} else
				smtp_dispatch(s, line, n);
			/* AUTH lines carry passwords, if only in base64. */
			if (n > 4 && strncasecmp(line, "AUTH", 4) == 0)
				explicit_bzero(line, n);
		}
		/* STARTTLS put a new stream in place: the old input is history. */
		if (bufferevent_get_input(s->bev) != in)
			break;
		if (s->errors >= SMTP_ERRORS_MAX && !s->closing) {
			smtp_reply(s, 421, "4.7.0", "%s Too many errors, closing",
			    smtp_hostname(s));
			smtp_close(s);
		}
	}
}

static void
smtp_dispatch(struct smtp_session *s, const char *line, size_t len)
{
	struct smtp_cmd		 cmd;
	struct smtp_cmd_error	 err;

	if (log_verbose() > 1) {
		char	 clean[256];

		log_msg(LOG_DEBUG, "%016llx smtp command=\"%s\"",
		    (unsigned long long)s->id, log_clean(clean, sizeof(clean),
		    line, len));
	}
	if (smtp_cmd_parse(&cmd, line, len, &err) == -1) {
		smtp_reply(s, err.code, err.enhanced, "%s", err.text);
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
