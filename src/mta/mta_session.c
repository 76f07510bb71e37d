/* One outbound SMTP/LMTP connection: greeting, EHLO, TLS, AUTH, then transactions until idle. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "lib/xalloc.h"
#include "mta/mta.h"
#include "mail/dotstuff.h"
#include "mta/mta_priv.h"
#include "mail/reply_parse.h"
#include "mta/mta_session.h"
#include "net/conn.h"

static void	session_free(struct mta_session *);
static void	session_on_conn(struct conn *, enum conn_event, void *);
static void	session_release(struct mta_session *);

static int
want_tls(const struct action *a)
{
	return a->host == NULL || a->host->proto == RELAY_SMTP ||
	    a->host->proto == RELAY_SMTP_TLS;
}

/* TLS must succeed: smtp+tls://, smtps:// and the tls option. */
static int
must_tls(const struct action *a)
{
	return a->tls || (a->host && (a->host->proto == RELAY_SMTP_TLS ||
	    a->host->proto == RELAY_SMTPS));
}

/* Certificates are checked for smarthosts unless "tls no-verify"; MX TLS is opportunistic. */
static int
must_verify(const struct action *a)
{
	return a->host != NULL && must_tls(a) && !a->tls_noverify;
}

void
mta_session_timeout(struct mta_session *s, int rsec)
{
	conn_set_timeouts(s->conn, rsec, T_DATA_BLOCK);
}

void
mta_session_send(struct mta_session *s, int timeout, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void
mta_session_send(struct mta_session *s, int timeout, const char *fmt, ...)
{
	va_list	 ap;

	buf_reset(&s->out);
	va_start(ap, fmt);
	buf_vaddf(&s->out, fmt, ap);
	va_end(ap);
	buf_add(&s->out, "\r\n", 2);
	conn_write(s->conn, s->out.data, s->out.len);
	explicit_bzero(s->out.data, s->out.len);	/* AUTH lines */
	buf_reset(&s->out);
	if (timeout > 0)
		mta_session_timeout(s, timeout);
}

/* ---- life cycle ---- */

static void
session_connect(struct mta_session *s)
{
	const struct mx_addr	*m = &s->addrs[s->ai];
	const struct action	*a = s->action;
	char			 addr[INET6_ADDRSTRLEN];
	int			 fd;

	sa_ntop((const struct sockaddr *)&m->ss, addr, sizeof(addr));
	snprintf(s->label, sizeof(s->label), "%s[%s]", m->host, addr);
	s->tls = 0;
	memset(&s->caps, 0, sizeof(s->caps));
	reply_parse_init(&s->reply);
	if ((fd = socket(m->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		mta_session_fail(s, strerror(errno));
		return;
	}
	{
		char	 why[300];

		if (mta_src_bind(a, fd, m->ss.ss_family, why, sizeof(why)) == -1) {
			close(fd);
			mta_session_fail(s, why);
			return;
		}
	}
	s->state = ST_CONNECTING;
	s->conn = conn_connect(mta.base, fd, (struct sockaddr *)&m->ss, m->sslen,
	    session_on_conn, s);
	if (s->conn == NULL) {
		mta_session_fail(s, "cannot set up the connection");
		return;
	}
	/* A client reads every reply as it comes: no back-pressure, a reply-line bound. */
	conn_set_output_max(s->conn, 0, 0);
	conn_set_line_max(s->conn, REPLY_PARSE_LINE_MAX);
	conn_set_timeouts(s->conn, 0, T_CONNECT);
}

static void
session_close_conn(struct mta_session *s)
{
	if (s->conn != NULL) {
		conn_abort(s->conn);
		s->conn = NULL;
	}
}

/*
 * This address did not work out: the next one, or the end of the session.
 * Recipients of a task in flight get a temporary failure.
 */
void
mta_session_fail(struct mta_session *s, const char *why)
{
	session_close_conn(s);
	/* Every reason names the host it concerns. */
	if (s->label[0] != '\0' && strncmp(why, s->label, strlen(s->label)) != 0)
		snprintf(s->lasterr, sizeof(s->lasterr), "%s: %s", s->label, why);
	else
		snprintf(s->lasterr, sizeof(s->lasterr), "%s", why);
	why = s->lasterr;
	log_msg(LOG_INFO, "mta: %s", why);
	if (s->task != NULL) {
		/* Lost mid-transaction: the task is not tried elsewhere in this round. */
		mta_task_done(s->task, DELIVER_TEMPFAIL, why, NULL);
		s->task = NULL;
		session_free(s);
		return;
	}
	if (s->connected || ++s->ai >= s->naddrs) {
		session_free(s);
		return;
	}
	s->notls = 0;
	session_connect(s);
}

static void
session_free(struct mta_session *s)
{
	struct mta_dest		*d = s->dest;
	struct mta_session	**pp;
	char			 why[700];
	int			 connected = s->connected;

	for (pp = &d->idle; *pp; pp = &(*pp)->next_idle)
		if (*pp == s) {
			*pp = s->next_idle;
			break;
		}
	if (s->dead)
		return;
	s->dead = 1;
	session_close_conn(s);
	if (s->idle_timer)
		event_free(s->idle_timer);
	s->idle_timer = NULL;
	if (d->domain)
		snprintf(why, sizeof(why), "451 4.4.1 no MX host of %s took the "
		    "message: %s", d->domain, s->lasterr[0] ? s->lasterr :
		    "unknown error");
	else
		snprintf(why, sizeof(why), "451 4.4.1 relay host %s did not take "
		    "the message: %s", d->action->host->host, s->lasterr[0] ?
		    s->lasterr : "unknown error");
	if (s->in_cb == 0)
		session_release(s);
	mta_dest_session_gone(d, NULL, connected, DELIVER_TEMPFAIL, why);
}

/* The memory, once no callback of the session is running. */
static void
session_release(struct mta_session *s)
{
	free(s->addrs);
	free(s->cmds);
	buf_free(&s->out);
	free(s);
}

void
mta_session_hold(struct mta_session *s)
{
	s->in_cb++;
}

/* 0 when the session is still alive after the callback's work. */
int
mta_session_unhold(struct mta_session *s)
{
	if (--s->in_cb == 0 && s->dead) {
		session_release(s);
		return -1;
	}
	return s->dead ? -1 : 0;
}

void
mta_session_new(struct mta_dest *d)
{
	struct mta_session	*s = xcalloc(1, sizeof(*s));

	s->dest = d;
	s->action = d->action;
	s->addrs = xreallocarray(NULL, d->naddrs, sizeof(*s->addrs));
	memcpy(s->addrs, d->addrs, d->naddrs * sizeof(*s->addrs));
	s->naddrs = d->naddrs;
	s->lmtp = d->action->host && d->action->host->proto == RELAY_LMTP;
	buf_init(&s->out, 0);
	d->nsessions++;
	d->nconnecting++;
	session_connect(s);
}

struct mta_session *
mta_session_take_idle(struct mta_dest *d)
{
	struct mta_session	*s;

	if ((s = d->idle) == NULL)
		return NULL;
	d->idle = s->next_idle;
	s->next_idle = NULL;
	evtimer_del(s->idle_timer);
	return s;
}

static void
session_on_idle_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct mta_session	*s = arg;
	struct mta_session	**pp;

	for (pp = &s->dest->idle; *pp; pp = &(*pp)->next_idle)
		if (*pp == s) {
			*pp = s->next_idle;
			break;
		}
	s->state = ST_QUIT;
	mta_session_send(s, 10, "QUIT");
	/* The reply is not awaited for long: the connection closes on it or on the timer. */
}

static void
session_go_idle(struct mta_session *s)
{
	struct timeval	 tv = { MTA_IDLE_SECONDS, 0 };

	s->state = ST_READY;
	if (s->idle_timer == NULL)
		s->idle_timer = evtimer_new(mta.base, session_on_idle_timeout, s);
	s->next_idle = s->dest->idle;
	s->dest->idle = s;
	evtimer_add(s->idle_timer, &tv);
	/* Idle: a server that closes now is no error. */
	conn_set_timeouts(s->conn, 0, 0);
}

void
mta_session_run(struct mta_session *s, struct mta_task *t)
{
	s->task = t;
	mta_tx_start(s);
}

/* Greeting, EHLO, TLS and AUTH are done: work through the destination's tasks. */
void
mta_session_ready(struct mta_session *s)
{
	struct mta_task	*t;

	if (!s->connected) {
		s->connected = 1;
		mta_dest_session_ready(s->dest);
	}
	if ((t = mta_dest_next(s->dest)) == NULL) {
		session_go_idle(s);
		return;
	}
	mta_session_run(s, t);
}

/* ---- greeting, EHLO, STARTTLS, AUTH ---- */

static const char *
helo_name(const struct mta_session *s)
{
	return s->helo;
}

static void
send_ehlo(struct mta_session *s)
{
	memset(&s->caps, 0, sizeof(s->caps));
	s->state = ST_EHLO;
	mta_session_send(s, T_COMMAND, "%s %s", s->lmtp ? "LHLO" : "EHLO", helo_name(s));
}

static void
tls_start(struct mta_session *s)
{
	const char		*errstr = "TLS set-up failed";
	SSL			*ssl;

	ssl = mta_tls_new(s->action, s->action->host ? s->action->host->host :
	    s->addrs[s->ai].host, must_verify(s->action), &errstr);
	if (ssl == NULL) {
		mta_session_fail(s, errstr);
		return;
	}
	s->state = s->state == ST_CONNECTING ? ST_TLS_IMPLICIT : ST_TLS_HANDSHAKE;
	/* RFC 3207 4.2: nothing sent in clear after the 220 may count as TLS-protected. */
	if (conn_starttls(s->conn, ssl, CONN_TLS_CLIENT) == -1) {
		mta_session_fail(s, "TLS set-up failed");
		return;
	}
	conn_set_timeouts(s->conn, T_COMMAND, T_COMMAND);
}

static void
tls_done(struct mta_session *s)
{
	SSL	*ssl = conn_ssl(s->conn);
	char	 why[300];

	if (mta_tls_check(ssl, must_verify(s->action), why, sizeof(why)) == -1) {
		char	 text[700];

		snprintf(text, sizeof(text), "TLS with %s: %s", s->label, why);
		mta_session_fail(s, text);
		return;
	}
	s->tls = 1;
	log_msg(LOG_INFO, "mta: %s tls %s %s%s", s->label, SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), must_verify(s->action) ? " verified" : "");
	if (s->state == ST_TLS_IMPLICIT) {
		s->state = ST_GREETING;
		mta_session_timeout(s, T_GREETING);
	} else
		send_ehlo(s);
}

static int
b64(const char *in, size_t len, char *out, size_t outlen)
{
	if (outlen < 4 * ((len + 2) / 3) + 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
	return 0;
}

/* The credentials of the URL's label in the auth table: "user:password". */
static int
auth_creds(struct mta_session *s, char **user, char **pass, const char **why)
{
	const struct action	*a = s->action;
	const char		*v, *colon;

	if (a->host == NULL || a->host->label == NULL) {
		*why = "auth table given but the relay URL has no label";
		return -1;
	}
	if ((v = mta_creds(a)) == NULL) {
		*why = "no credentials for the relay URL's label";
		return -1;
	}
	if ((colon = strchr(v, ':')) == NULL) {
		*why = "credentials are not user:password";
		return -1;
	}
	*user = xstrndup(v, (size_t)(colon - v));
	*pass = xstrdup(colon + 1);
	return 0;
}

static void
auth_start(struct mta_session *s)
{
	char		*user = NULL, *pass = NULL, *plain, *enc;
	const char	*why;
	size_t		 ul, pl, n;

	if (!s->tls) {
		/* Never a password in clear, whatever the server offers. */
		mta_session_fail(s, "refusing to authenticate without TLS");
		return;
	}
	if (!(s->caps.ext & EHLO_EXT_AUTH) ||
	    !(s->caps.auth & (EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN))) {
		mta_session_fail(s, "server offers no AUTH PLAIN or LOGIN");
		return;
	}
	if (auth_creds(s, &user, &pass, &why) == -1) {
		mta_session_fail(s, why);
		return;
	}
	ul = strlen(user);
	pl = strlen(pass);
	if (s->caps.auth & EHLO_AUTH_PLAIN) {
		n = ul + pl + 2;
		plain = xmalloc(n);
		plain[0] = '\0';
		memcpy(plain + 1, user, ul);
		plain[ul + 1] = '\0';
		memcpy(plain + ul + 2, pass, pl);
		enc = xmalloc(4 * (n + 2) / 3 + 4);
		b64(plain, n, enc, 4 * (n + 2) / 3 + 4);
		s->state = ST_AUTH;
		mta_session_send(s, T_COMMAND, "AUTH PLAIN %s", enc);
		explicit_bzero(plain, n);
		explicit_bzero(enc, strlen(enc));
		free(plain);
		free(enc);
	} else {
		s->state = ST_AUTH_USER;
		mta_session_send(s, T_COMMAND, "AUTH LOGIN");
	}
	explicit_bzero(pass, pl);
	free(user);
	free(pass);
}

static void
auth_login_step(struct mta_session *s)
{
	char		*user = NULL, *pass = NULL, *enc;
	const char	*why, *v;
	size_t		 n;

	if (auth_creds(s, &user, &pass, &why) == -1) {
		mta_session_fail(s, why);
		return;
	}
	v = s->state == ST_AUTH_USER ? user : pass;
	n = strlen(v);
	enc = xmalloc(4 * (n + 2) / 3 + 4);
	b64(v, n, enc, 4 * (n + 2) / 3 + 4);
	s->state = s->state == ST_AUTH_USER ? ST_AUTH_PASS : ST_AUTH;
	mta_session_send(s, T_COMMAND, "%s", enc);
	explicit_bzero(enc, strlen(enc));
	explicit_bzero(pass, strlen(pass));
	free(enc);
	free(user);
	free(pass);
}

/* EHLO is done (or HELO): TLS, then AUTH, then ready. */
static void
after_hello(struct mta_session *s)
{
	const struct action	*a = s->action;

	if (!s->tls && !s->notls && want_tls(a) && !s->lmtp &&
	    (s->caps.ext & EHLO_EXT_STARTTLS)) {
		s->state = ST_STARTTLS;
		mta_session_send(s, T_COMMAND, "STARTTLS");
		return;
	}
	if (!s->tls && must_tls(a)) {
		char	 why[400];

		snprintf(why, sizeof(why), "%s: TLS is required but %s", s->label,
		    s->notls ? "the handshake failed" : "STARTTLS is not offered");
		mta_session_fail(s, why);
		return;
	}
	if (a->relay_auth != NULL) {
		auth_start(s);
		return;
	}
	mta_session_ready(s);
}

static void
fail_reply(struct mta_session *s, const char *what)
{
	char	 why[REPLY_PARSE_TEXT_MAX + 400];

	snprintf(why, sizeof(why), "%s: %s (in reply to %s)", s->label,
	    s->reply.text, what);
	mta_session_fail(s, why);
}

static void
on_setup_reply(struct mta_session *s)
{
	int	 code = s->reply.code;

	switch (s->state) {
	case ST_GREETING:
		if (code != 220) {
			fail_reply(s, "the greeting");
			return;
		}
		send_ehlo(s);
		break;
	case ST_EHLO:
		if (code / 100 == 2)
			after_hello(s);
		else if (code / 100 == 5 && !s->lmtp) {
			/* RFC 5321 3.2: an old server; HELO has no extensions. */
			s->state = ST_HELO;
			memset(&s->caps, 0, sizeof(s->caps));
			mta_session_send(s, T_COMMAND, "HELO %s", helo_name(s));
		} else
			fail_reply(s, s->lmtp ? "LHLO" : "EHLO");
		break;
	case ST_HELO:
		if (code / 100 == 2)
			after_hello(s);
		else
			fail_reply(s, "HELO");
		break;
	case ST_STARTTLS:
		if (code == 220)
			tls_start(s);
		else if (must_tls(s->action))
			fail_reply(s, "STARTTLS");
		else {
			s->notls = 1;
			after_hello(s);
		}
		break;
	case ST_AUTH:
		if (code == 235)
			mta_session_ready(s);
		else
			fail_reply(s, "AUTH");
		break;
	case ST_AUTH_USER:
	case ST_AUTH_PASS:
		if (code == 334)
			auth_login_step(s);
		else
			fail_reply(s, "AUTH LOGIN");
		break;
	default:
		break;
	}
}

static void	session_read_work(struct mta_session *);
static void	session_event_work(struct mta_session *, enum conn_event);

static void
session_on_conn(struct conn *c, enum conn_event ev, void *arg)
{
	struct mta_session	*s = arg;

	mta_session_hold(s);
	if (ev == CONN_EV_INPUT)
		session_read_work(s);
	else if (ev == CONN_EV_OUTPUT)
		mta_tx_body_room(s);
	else
		session_event_work(s, ev);
	mta_session_unhold(s);
}

static void
session_read_work(struct mta_session *s)
{
	struct conn	*c = s->conn;
	const char	*errstr, *lt;
	size_t		 n, ltlen;
	char		*line;
	int		 r;

	while (!s->dead && s->conn == c) {
		switch (conn_getline(c, &line, &n)) {
		case CONN_LINE_MORE:
			return;
		case CONN_LINE_TOO_LONG:
			mta_session_fail(s, "reply line too long");
			return;
		case CONN_LINE_OK:
			break;
		}
		if (s->state == ST_READY || s->state == ST_CONNECTING ||
		    s->state == ST_BODY) {
			if (s->state == ST_BODY)
				continue;	/* early replies are read after the dot */
			/* Nothing asked: the server closes (421) or talks nonsense. */
			mta_session_fail(s, "unexpected reply from the server");
			return;
		}
		if (s->reply.done)
			reply_parse_init(&s->reply);
		r = reply_parse_feed(&s->reply, line, n, &lt, &ltlen, &errstr);
		if (r == -1) {
			char	 why[500];

			snprintf(why, sizeof(why), "%s: bad reply: %s", s->label,
			    errstr);
			mta_session_fail(s, why);
			return;
		}
		if ((s->state == ST_EHLO) && s->reply.nlines > 1)
			ehlo_caps_line(&s->caps, lt, ltlen);
		if (r == 0)
			continue;
		log_msg(LOG_DEBUG, "mta: %s reply \"%s\"", s->label, s->reply.text);
		if (s->reply.code == 421 && s->state != ST_QUIT) {
			char	 why[REPLY_PARSE_TEXT_MAX + 340];

			snprintf(why, sizeof(why), "%s: %s", s->label, s->reply.text);
			mta_session_fail(s, why);
			return;
		}
		if (s->state == ST_QUIT) {
			session_free(s);
			return;
		}
		if (s->state == ST_TX)
			mta_tx_reply(s);
		else
			on_setup_reply(s);
	}
}

static void
session_event_work(struct mta_session *s, enum conn_event ev)
{
	char			 why[600], tlserr[256];

	if (ev == CONN_EV_CONNECTED) {
		const struct action	*a = s->action;

		log_msg(LOG_INFO, "mta: %s connected", s->label);
		snprintf(s->helo, sizeof(s->helo), "%s", mta_helo(a,
		    conn_fd(s->conn)));
		if (a->host && a->host->proto == RELAY_SMTPS) {
			tls_start(s);
			return;
		}
		s->state = ST_GREETING;
		mta_session_timeout(s, T_GREETING);
		return;
	}
	if (ev == CONN_EV_TLS) {
		if (s->state == ST_TLS_IMPLICIT || s->state == ST_TLS_HANDSHAKE)
			tls_done(s);
		return;
	}
	if (s->state == ST_QUIT) {
		session_free(s);
		return;
	}
	if (s->state == ST_READY && ev != CONN_EV_TIMEOUT) {
		/* An idle connection the server closed. */
		session_free(s);
		return;
	}
	if (s->state == ST_TLS_HANDSHAKE && !must_tls(s->action) &&
	    ev == CONN_EV_CLOSED) {
		/* Opportunistic TLS failed: the same host again, in clear (as Postfix). */
		log_msg(LOG_INFO, "mta: %s TLS handshake failed (%s), retrying "
		    "without TLS", s->label, conn_tls_error(s->conn, tlserr,
		    sizeof(tlserr)));
		session_close_conn(s);
		s->notls = 1;
		session_connect(s);
		return;
	}
	if (ev == CONN_EV_TIMEOUT)
		snprintf(why, sizeof(why), "%s: timeout %s", s->label,
		    s->state == ST_CONNECTING ? "connecting" : "waiting for the server");
	else if (s->state == ST_CONNECTING)
		snprintf(why, sizeof(why), "%s: connect: %s", s->label,
		    strerror(EVUTIL_SOCKET_ERROR()));
	else if (s->state == ST_TLS_IMPLICIT || s->state == ST_TLS_HANDSHAKE)
		snprintf(why, sizeof(why), "%s: TLS handshake failed: %s", s->label,
		    conn_tls_error(s->conn, tlserr, sizeof(tlserr)));
	else
		snprintf(why, sizeof(why), "%s: connection %s", s->label,
		    conn_peer_closed(s->conn) ? "closed by the server" : "lost");
	mta_session_fail(s, why);
}
