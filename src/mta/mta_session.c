/* One outbound SMTP/LMTP connection: greeting, EHLO, TLS, AUTH, then transactions until idle. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mta/mta.h"
#include "mta/mta_data.h"
#include "mta/mta_priv.h"
#include "mta/mta_reply.h"

/* RFC 5321 4.5.3.2 timeouts, in seconds; connecting gets less than the RFC's minutes. */
#define T_CONNECT	30
#define T_GREETING	300
#define T_COMMAND	300
#define T_DATA_INIT	120
#define T_DATA_BLOCK	180
#define T_DATA_END	600
/* Bytes of message queued on the socket at once. */
#define BODY_CHUNK	(64 * 1024)
#define BODY_QUEUED	(256 * 1024)

enum st {
	ST_CONNECTING, ST_TLS_IMPLICIT, ST_GREETING, ST_EHLO, ST_HELO,
	ST_STARTTLS, ST_TLS_HANDSHAKE, ST_AUTH, ST_AUTH_USER, ST_AUTH_PASS,
	ST_READY, ST_TX, ST_BODY, ST_QUIT,
};

enum cmd { C_RSET, C_MAIL, C_RCPT, C_DATA, C_DOT, C_DISCARD };

struct pending {
	enum cmd	 cmd;
	size_t		 rcpt;
};

struct mta_session {
	struct mta_session	*next_idle;
	struct mta_dest		*dest;
	const struct action	*action;
	struct mx_addr		*addrs;		/* a copy: the destination may look up again */
	size_t			 naddrs, ai;
	char			 label[320];	/* "host[addr]" */
	char			 helo[256];	/* chosen once the local address is known */
	char			 lasterr[600];
	int			 connected;	/* ready at least once */
	int			 in_cb;		/* inside a libevent callback */
	int			 dead;		/* freed when the callback returns */
	int			 notls;		/* retrying without opportunistic TLS */
	int			 tls;		/* the connection is encrypted */
	int			 lmtp;
	int			 need_rset;
	enum st			 state;
	struct bufferevent	*bev;
	struct event		*idle_timer;
	struct mta_reply	 reply;
	struct mta_caps		 caps;
	/* the transaction */
	struct mta_task		*task;
	struct pending		*cmds;
	size_t			 ncmds, nsent, nrecv;
	size_t			 first, count;	/* recipients of this transaction */
	size_t			 naccepted;
	int			 mail_failed;
	off_t			 body_off;
	struct mta_data		 enc;
	struct buf		 out;
	size_t			 lmtp_next;	/* next accepted recipient awaiting its LMTP reply */
};

static void	session_next_addr(struct mta_session *, const char *why);
static void	session_free(struct mta_session *);
static void	session_release(struct mta_session *);
static void	session_on_read(struct bufferevent *, void *);
static void	session_on_event(struct bufferevent *, short, void *);
static void	session_ready(struct mta_session *);
static void	tx_start(struct mta_session *);
static void	tx_send_next(struct mta_session *);
static void	tx_end(struct mta_session *);
static void	body_pump(struct bufferevent *, void *);
static void	body_pump_work(struct mta_session *, struct bufferevent *);

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

static void
set_timeout(struct mta_session *s, int rsec)
{
	struct timeval	 r = { rsec, 0 }, w = { T_DATA_BLOCK, 0 };

	bufferevent_set_timeouts(s->bev, &r, &w);
}

static void
send_line(struct mta_session *s, int timeout, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
send_line(struct mta_session *s, int timeout, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(s->bev), fmt, ap);
	va_end(ap);
	evbuffer_add(bufferevent_get_output(s->bev), "\r\n", 2);
	if (timeout > 0)
		set_timeout(s, timeout);
}

/* ---- life cycle ---- */

static void
session_connect(struct mta_session *s)
{
	const struct mx_addr	*m = &s->addrs[s->ai];
	const struct action	*a = s->action;
	char			 addr[INET6_ADDRSTRLEN];
	struct timeval		 tv = { T_CONNECT, 0 };
	int			 fd;

	if (m->ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&m->ss)->sin6_addr,
		    addr, sizeof(addr));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&m->ss)->sin_addr,
		    addr, sizeof(addr));
	snprintf(s->label, sizeof(s->label), "%s[%s]", m->host, addr);
	s->tls = 0;
	memset(&s->caps, 0, sizeof(s->caps));
	mta_reply_init(&s->reply);
	if ((fd = socket(m->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		session_next_addr(s, strerror(errno));
		return;
	}
	{
		char	 why[300];

		if (mta_src_bind(a, fd, m->ss.ss_family, why, sizeof(why)) == -1) {
			close(fd);
			session_next_addr(s, why);
			return;
		}
	}
	s->bev = bufferevent_socket_new(mta.base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		close(fd);
		session_next_addr(s, "bufferevent_socket_new failed");
		return;
	}
	bufferevent_setcb(s->bev, session_on_read, NULL, session_on_event, s);
	bufferevent_set_timeouts(s->bev, NULL, &tv);
	s->state = ST_CONNECTING;
	if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&m->ss,
	    (int)m->sslen) == -1) {
		/* libevent reports an immediate failure through the event callback too. */
		return;
	}
}

static void
session_close_bev(struct mta_session *s)
{
	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
}

/*
 * This address did not work out: the next one, or the end of the session.
 * Recipients of a task in flight get a temporary failure.
 */
static void
session_next_addr(struct mta_session *s, const char *why)
{
	session_close_bev(s);
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
	session_close_bev(s);
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

static void
cb_enter(struct mta_session *s)
{
	s->in_cb++;
}

/* 0 when the session is still alive after the callback's work. */
static int
cb_leave(struct mta_session *s)
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
	send_line(s, 10, "QUIT");
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
	bufferevent_set_timeouts(s->bev, NULL, NULL);
}

void
mta_session_run(struct mta_session *s, struct mta_task *t)
{
	s->task = t;
	tx_start(s);
}

/* Greeting, EHLO, TLS and AUTH are done: work through the destination's tasks. */
static void
session_ready(struct mta_session *s)
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
	send_line(s, T_COMMAND, "%s %s", s->lmtp ? "LHLO" : "EHLO", helo_name(s));
}

static void
tls_start(struct mta_session *s, enum bufferevent_ssl_state how)
{
	struct bufferevent	*tb;
	const char		*errstr = "TLS set-up failed";
	SSL			*ssl;
	struct timeval		 tv = { T_COMMAND, 0 };

	ssl = mta_tls_new(s->action, s->action->host ? s->action->host->host :
	    s->addrs[s->ai].host, must_verify(s->action), &errstr);
	if (ssl == NULL) {
		session_next_addr(s, errstr);
		return;
	}
	tb = bufferevent_openssl_filter_new(mta.base, s->bev, ssl, how,
	    BEV_OPT_CLOSE_ON_FREE);
	if (tb == NULL) {
		SSL_free(ssl);
		session_next_addr(s, "TLS set-up failed");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(tb, 1);
	s->bev = tb;
	bufferevent_setcb(s->bev, session_on_read, NULL, session_on_event, s);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	s->state = how == BUFFEREVENT_SSL_CONNECTING && s->state == ST_CONNECTING ?
	    ST_TLS_IMPLICIT : ST_TLS_HANDSHAKE;
}

static void
tls_done(struct mta_session *s)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(s->bev);
	char	 why[300];

	if (mta_tls_check(ssl, must_verify(s->action), why, sizeof(why)) == -1) {
		char	 text[700];

		snprintf(text, sizeof(text), "TLS with %s: %s", s->label, why);
		session_next_addr(s, text);
		return;
	}
	s->tls = 1;
	log_msg(LOG_INFO, "mta: %s tls %s %s%s", s->label, SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), must_verify(s->action) ? " verified" : "");
	if (s->state == ST_TLS_IMPLICIT) {
		s->state = ST_GREETING;
		set_timeout(s, T_GREETING);
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
		session_next_addr(s, "refusing to authenticate without TLS");
		return;
	}
	if (!(s->caps.ext & MTA_EXT_AUTH) ||
	    !(s->caps.auth & (MTA_AUTH_PLAIN | MTA_AUTH_LOGIN))) {
		session_next_addr(s, "server offers no AUTH PLAIN or LOGIN");
		return;
	}
	if (auth_creds(s, &user, &pass, &why) == -1) {
		session_next_addr(s, why);
		return;
	}
	ul = strlen(user);
	pl = strlen(pass);
	if (s->caps.auth & MTA_AUTH_PLAIN) {
		n = ul + pl + 2;
		plain = xmalloc(n);
		plain[0] = '\0';
		memcpy(plain + 1, user, ul);
		plain[ul + 1] = '\0';
		memcpy(plain + ul + 2, pass, pl);
		enc = xmalloc(4 * (n + 2) / 3 + 4);
		b64(plain, n, enc, 4 * (n + 2) / 3 + 4);
		s->state = ST_AUTH;
		send_line(s, T_COMMAND, "AUTH PLAIN %s", enc);
		explicit_bzero(plain, n);
		explicit_bzero(enc, strlen(enc));
		free(plain);
		free(enc);
	} else {
		s->state = ST_AUTH_USER;
		send_line(s, T_COMMAND, "AUTH LOGIN");
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
		session_next_addr(s, why);
		return;
	}
	v = s->state == ST_AUTH_USER ? user : pass;
	n = strlen(v);
	enc = xmalloc(4 * (n + 2) / 3 + 4);
	b64(v, n, enc, 4 * (n + 2) / 3 + 4);
	s->state = s->state == ST_AUTH_USER ? ST_AUTH_PASS : ST_AUTH;
	send_line(s, T_COMMAND, "%s", enc);
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
	    (s->caps.ext & MTA_EXT_STARTTLS)) {
		s->state = ST_STARTTLS;
		send_line(s, T_COMMAND, "STARTTLS");
		return;
	}
	if (!s->tls && must_tls(a)) {
		char	 why[400];

		snprintf(why, sizeof(why), "%s: TLS is required but %s", s->label,
		    s->notls ? "the handshake failed" : "STARTTLS is not offered");
		session_next_addr(s, why);
		return;
	}
	if (a->relay_auth != NULL) {
		auth_start(s);
		return;
	}
	session_ready(s);
}

static void
fail_reply(struct mta_session *s, const char *what)
{
	char	 why[MTA_REPLY_TEXT_MAX + 400];

	snprintf(why, sizeof(why), "%s: %s (in reply to %s)", s->label,
	    s->reply.text, what);
	session_next_addr(s, why);
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
			send_line(s, T_COMMAND, "HELO %s", helo_name(s));
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
			tls_start(s, BUFFEREVENT_SSL_CONNECTING);
		else if (must_tls(s->action))
			fail_reply(s, "STARTTLS");
		else {
			s->notls = 1;
			after_hello(s);
		}
		break;
	case ST_AUTH:
		if (code == 235)
			session_ready(s);
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

/* ---- transactions ---- */

static void
xtext_add(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			buf_addf(b, "+%02X", c);
		else
			buf_addc(b, (char)c);
	}
}

static void
push_cmd(struct mta_session *s, enum cmd c, size_t rcpt)
{
	s->cmds = xreallocarray(s->cmds, s->ncmds + 1, sizeof(*s->cmds));
	s->cmds[s->ncmds].cmd = c;
	s->cmds[s->ncmds].rcpt = rcpt;
	s->ncmds++;
}

/* Local refusals that need no command sent: the whole task fails alike. */
static int
tx_precheck(struct mta_session *s)
{
	struct mta_task	*t = s->task;
	const char	*text = NULL;
	char		 buf[300];

	if ((t->flags & MTA_F_SMTPUTF8) && !(s->caps.ext & MTA_EXT_SMTPUTF8))
		text = "553 5.6.7 the message needs SMTPUTF8, which the "
		    "receiving server does not offer";
	else if ((t->flags & MTA_F_8BIT) && !(s->caps.ext & MTA_EXT_8BITMIME)) {
		/* RFC 6152 3: an 8-bit body must not go to a server without 8BITMIME. */
		text = "554 5.6.3 the message has an 8-bit body and the receiving "
		    "server does not offer 8BITMIME";
	} else if ((s->caps.ext & MTA_EXT_SIZE) && s->caps.size > 0 &&
	    t->msglen > s->caps.size) {
		snprintf(buf, sizeof(buf), "552 5.3.4 message size %zu exceeds "
		    "the receiving server's limit of %llu", t->msglen,
		    s->caps.size);
		text = buf;
	}
	if (text == NULL)
		return 0;
	mta_task_done(t, DELIVER_PERMFAIL, text, s->label);
	s->task = NULL;
	return -1;
}

static void
tx_start(struct mta_session *s)
{
	struct mta_task	*t = s->task;

	if (s->first == 0 && s->count == 0 && tx_precheck(s) == -1) {
		session_ready(s);
		return;
	}
	s->state = ST_TX;
	s->ncmds = s->nsent = s->nrecv = 0;
	s->naccepted = 0;
	s->mail_failed = 0;
	s->count = t->nrcpt - s->first;
	if (s->count > MTA_RCPT_MAX)
		s->count = MTA_RCPT_MAX;
	if (s->need_rset)
		push_cmd(s, C_RSET, 0);
	push_cmd(s, C_MAIL, 0);
	for (size_t i = 0; i < s->count; i++)
		push_cmd(s, C_RCPT, s->first + i);
	push_cmd(s, C_DATA, 0);
	s->need_rset = 1;
	tx_send_next(s);
}

static void
send_cmd(struct mta_session *s, const struct pending *p)
{
	struct mta_task	*t = s->task;
	const char	*from;
	struct buf	 b;

	buf_init(&b, 0);
	switch (p->cmd) {
	case C_RSET:
		buf_adds(&b, "RSET");
		break;
	case C_MAIL:
		from = t->sender;
		if (from[0] != '\0' && s->action->mail_from != NULL)
			from = s->action->mail_from;
		buf_addf(&b, "MAIL FROM:<%s>", from);
		if (s->caps.ext & MTA_EXT_SIZE)
			buf_addf(&b, " SIZE=%zu", t->msglen);
		if ((t->flags & MTA_F_8BIT) && (s->caps.ext & MTA_EXT_8BITMIME))
			buf_adds(&b, " BODY=8BITMIME");
		if ((t->flags & MTA_F_SMTPUTF8) && (s->caps.ext & MTA_EXT_SMTPUTF8))
			buf_adds(&b, " SMTPUTF8");
		if (s->caps.ext & MTA_EXT_DSN) {
			if (t->flags & MTA_F_RET_FULL)
				buf_adds(&b, " RET=FULL");
			if (t->envid != NULL) {
				buf_adds(&b, " ENVID=");
				xtext_add(&b, t->envid);
			}
		}
		break;
	case C_RCPT: {
		struct mta_rcpt	*r = &t->rcpts[p->rcpt];

		buf_addf(&b, "RCPT TO:<%s>", r->dest);
		if (s->caps.ext & MTA_EXT_DSN) {
			if (r->notify != NULL)
				buf_addf(&b, " NOTIFY=%s", r->notify);
			if (r->orcpt != NULL)
				buf_addf(&b, " ORCPT=%s", r->orcpt);
		}
		break;
	}
	case C_DATA:
		buf_adds(&b, "DATA");
		break;
	default:
		break;
	}
	send_line(s, p->cmd == C_DATA ? T_DATA_INIT : T_COMMAND, "%s", b.data);
	buf_free(&b);
}

static void
tx_send_next(struct mta_session *s)
{
	int	 pipe = (s->caps.ext & MTA_EXT_PIPELINING) != 0;

	while (s->nsent < s->ncmds) {
		const struct pending	*p = &s->cmds[s->nsent];

		/* Without PIPELINING one command at a time, and none that is pointless. */
		if (!pipe && s->nsent > s->nrecv)
			return;
		if (!pipe && p->cmd == C_RCPT && s->mail_failed)
			return;
		if (!pipe && p->cmd == C_DATA && (s->mail_failed ||
		    s->naccepted == 0))
			return;
		send_cmd(s, p);
		s->nsent++;
	}
}

static enum deliver_result
result_of(int code)
{
	return code / 100 == 2 ? DELIVER_OK : code / 100 == 5 ?
	    DELIVER_PERMFAIL : DELIVER_TEMPFAIL;
}

/* Accepted recipients take the reply to DATA or to the final dot. */
static void
tx_result_accepted(struct mta_session *s, int code, const char *text)
{
	size_t	 i;

	for (i = s->first; i < s->first + s->count; i++)
		if (s->task->rcpts[i].accepted)
			mta_rcpt_result(&s->task->rcpts[i], result_of(code), text);
}

static void
tx_on_reply(struct mta_session *s)
{
	struct mta_task		*t = s->task;
	const struct pending	*p;
	int			 code = s->reply.code;
	size_t			 i;

	if (s->nrecv >= s->nsent) {
		fail_reply(s, "nothing (unexpected reply)");
		return;
	}
	p = &s->cmds[s->nrecv++];
	switch (p->cmd) {
	case C_RSET:
		break;
	case C_MAIL:
		if (code / 100 != 2) {
			s->mail_failed = 1;
			for (i = s->first; i < s->first + s->count; i++)
				mta_rcpt_result(&t->rcpts[i], result_of(code),
				    s->reply.text);
		}
		break;
	case C_RCPT:
		if (code / 100 == 2 && !s->mail_failed) {
			t->rcpts[p->rcpt].accepted = 1;
			s->naccepted++;
		} else if (!s->mail_failed)
			mta_rcpt_result(&t->rcpts[p->rcpt], code / 100 == 2 ?
			    DELIVER_TEMPFAIL : result_of(code), s->reply.text);
		break;
	case C_DATA:
		if (code == 354 && (s->mail_failed || s->naccepted == 0)) {
			/* Pipelined DATA accepted with no recipient: an empty message ends it. */
			s->ncmds = s->nsent = s->nrecv = 0;
			push_cmd(s, C_DISCARD, 0);
			s->nsent = 1;
			send_line(s, T_DATA_END, ".");
			return;
		}
		if (code == 354) {
			s->state = ST_BODY;
			s->body_off = 0;
			mta_data_init(&s->enc);
			set_timeout(s, T_DATA_END);
			bufferevent_setwatermark(s->bev, EV_WRITE, BODY_CHUNK, 0);
			bufferevent_setcb(s->bev, session_on_read, body_pump,
			    session_on_event, s);
			body_pump_work(s, s->bev);
			return;
		}
		if (!s->mail_failed)
			tx_result_accepted(s, code, s->reply.text);
		break;
	case C_DOT:
		if (s->lmtp) {
			/* RFC 2033 4.2: one reply per accepted recipient, in order. */
			while (s->lmtp_next < s->first + s->count &&
			    !t->rcpts[s->lmtp_next].accepted)
				s->lmtp_next++;
			if (s->lmtp_next < s->first + s->count)
				mta_rcpt_result(&t->rcpts[s->lmtp_next++],
				    result_of(code), s->reply.text);
			for (i = s->lmtp_next; i < s->first + s->count; i++)
				if (t->rcpts[i].accepted) {
					s->nrecv--;	/* more replies to this dot */
					return;
				}
		} else
			tx_result_accepted(s, code, s->reply.text);
		break;
	case C_DISCARD:
		break;
	}
	if (s->nrecv < s->ncmds) {
		tx_send_next(s);
		/* Without pipelining a command skipped ends the transaction early. */
		if (s->nsent == s->nrecv)
			tx_end(s);
		return;
	}
	tx_end(s);
}

static void
tx_end(struct mta_session *s)
{
	struct mta_task	*t = s->task;
	size_t		 i;

	for (i = s->first; i < s->first + s->count; i++)
		if (!t->rcpts[i].final)
			mta_rcpt_result(&t->rcpts[i], DELIVER_TEMPFAIL,
			    "451 4.4.2 no reply for this recipient");
	for (i = s->first; i < s->first + s->count; i++)
		t->rcpts[i].accepted = 0;
	s->first += s->count;
	s->count = 0;
	if (s->first < t->nrcpt) {
		/* More than MTA_RCPT_MAX recipients: another transaction. */
		tx_start(s);
		return;
	}
	s->first = 0;
	s->task = NULL;
	mta_task_done(t, DELIVER_TEMPFAIL, "451 4.4.2 no result", s->label);
	session_ready(s);
}

static void
body_pump(struct bufferevent *bev, void *arg)
{
	struct mta_session	*s = arg;

	cb_enter(s);
	body_pump_work(s, bev);
	cb_leave(s);
}

static void
body_pump_work(struct mta_session *s, struct bufferevent *bev)
{
	struct evbuffer		*out = bufferevent_get_output(bev);
	char			 chunk[BODY_CHUNK];
	ssize_t			 n;
	size_t			 want;

	if (s->state != ST_BODY)
		return;
	while (evbuffer_get_length(out) < BODY_QUEUED) {
		if ((size_t)s->body_off >= s->task->msglen) {
			buf_reset(&s->out);
			mta_data_end(&s->enc, &s->out);
			evbuffer_add(out, s->out.data, s->out.len);
			bufferevent_setcb(bev, session_on_read, NULL,
			    session_on_event, s);
			s->state = ST_TX;
			s->cmds[s->ncmds - 1].cmd = C_DOT;	/* DATA's slot now awaits the dot */
			s->nrecv--;
			s->lmtp_next = s->first;
			set_timeout(s, T_DATA_END);
			return;
		}
		want = s->task->msglen - (size_t)s->body_off;
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		/* pread: the queue file's offset is shared with every dup of it. */
		n = pread(s->task->fd, chunk, want, s->body_off);
		if (n <= 0) {
			char	 why[200];

			snprintf(why, sizeof(why), "451 4.3.0 reading the queue "
			    "file: %s", n == 0 ? "unexpected end" : strerror(errno));
			session_next_addr(s, why);
			return;
		}
		s->body_off += n;
		buf_reset(&s->out);
		if (mta_data_encode(&s->enc, chunk, (size_t)n, &s->out) == -1) {
			session_next_addr(s, "451 4.3.0 out of memory");
			return;
		}
		evbuffer_add(out, s->out.data, s->out.len);
	}
}

/* ---- events ---- */

static void	session_read_work(struct mta_session *, struct bufferevent *);
static void	session_event_work(struct mta_session *, struct bufferevent *, short);

static void
session_on_read(struct bufferevent *bev, void *arg)
{
	struct mta_session	*s = arg;

	cb_enter(s);
	session_read_work(s, bev);
	cb_leave(s);
}

static void
session_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct mta_session	*s = arg;

	cb_enter(s);
	session_event_work(s, bev, what);
	cb_leave(s);
}

static void
session_read_work(struct mta_session *s, struct bufferevent *bev)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 eol;
	const char		*errstr, *lt;
	size_t			 n, ltlen;
	char			*line;
	int			 r;

	while (!s->dead && s->bev == bev) {
		eol = evbuffer_search_eol(in, NULL, &n, EVBUFFER_EOL_CRLF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) > MTA_REPLY_LINE_MAX)
				session_next_addr(s, "reply line too long");
			return;
		}
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) == NULL)
			return;
		if (s->state == ST_READY || s->state == ST_CONNECTING ||
		    s->state == ST_BODY) {
			free(line);
			if (s->state == ST_BODY)
				continue;	/* early replies are read after the dot */
			/* Nothing asked: the server closes (421) or talks nonsense. */
			session_next_addr(s, "unexpected reply from the server");
			return;
		}
		if (s->reply.done)
			mta_reply_init(&s->reply);
		r = mta_reply_feed(&s->reply, line, n, &lt, &ltlen, &errstr);
		if (r == -1) {
			char	 why[500];

			snprintf(why, sizeof(why), "%s: bad reply: %s", s->label,
			    errstr);
			free(line);
			session_next_addr(s, why);
			return;
		}
		if ((s->state == ST_EHLO) && s->reply.nlines > 1)
			mta_caps_line(&s->caps, lt, ltlen);
		free(line);
		if (r == 0)
			continue;
		log_msg(LOG_DEBUG, "mta: %s reply \"%s\"", s->label, s->reply.text);
		if (s->reply.code == 421 && s->state != ST_QUIT) {
			char	 why[MTA_REPLY_TEXT_MAX + 340];

			snprintf(why, sizeof(why), "%s: %s", s->label, s->reply.text);
			session_next_addr(s, why);
			return;
		}
		if (s->state == ST_QUIT) {
			session_free(s);
			return;
		}
		if (s->state == ST_TX)
			tx_on_reply(s);
		else
			on_setup_reply(s);
	}
}

static void
session_event_work(struct mta_session *s, struct bufferevent *bev, short what)
{
	char			 why[600];
	unsigned long		 e;

	if (what & BEV_EVENT_CONNECTED) {
		if (s->state == ST_CONNECTING) {
			const struct action	*a = s->action;

			log_msg(LOG_INFO, "mta: %s connected", s->label);
			snprintf(s->helo, sizeof(s->helo), "%s", mta_helo(a,
			    bufferevent_getfd(s->bev)));
			bufferevent_enable(s->bev, EV_READ | EV_WRITE);
			if (a->host && a->host->proto == RELAY_SMTPS) {
				tls_start(s, BUFFEREVENT_SSL_CONNECTING);
				return;
			}
			s->state = ST_GREETING;
			set_timeout(s, T_GREETING);
		} else if (s->state == ST_TLS_IMPLICIT || s->state == ST_TLS_HANDSHAKE)
			tls_done(s);
		return;
	}
	if (s->state == ST_QUIT) {
		session_free(s);
		return;
	}
	if (s->state == ST_READY && !(what & BEV_EVENT_TIMEOUT)) {
		/* An idle connection the server closed. */
		session_free(s);
		return;
	}
	if (s->state == ST_TLS_HANDSHAKE && !must_tls(s->action)) {
		/* Opportunistic TLS failed: the same host again, in clear (as Postfix). */
		e = bufferevent_get_openssl_error(bev);
		log_msg(LOG_INFO, "mta: %s TLS handshake failed (%s), retrying "
		    "without TLS", s->label, e ? ERR_reason_error_string(e) :
		    "connection closed");
		session_close_bev(s);
		s->notls = 1;
		session_connect(s);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "%s: timeout %s", s->label,
		    s->state == ST_CONNECTING ? "connecting" : "waiting for the server");
	else if (s->state == ST_CONNECTING)
		snprintf(why, sizeof(why), "%s: connect: %s", s->label,
		    strerror(EVUTIL_SOCKET_ERROR()));
	else if (s->state == ST_TLS_IMPLICIT || s->state == ST_TLS_HANDSHAKE) {
		e = bufferevent_get_openssl_error(bev);
		snprintf(why, sizeof(why), "%s: TLS handshake failed: %s", s->label,
		    e ? ERR_reason_error_string(e) : "connection closed");
	} else
		snprintf(why, sizeof(why), "%s: connection %s", s->label,
		    (what & BEV_EVENT_EOF) ? "closed by the server" : "lost");
	session_next_addr(s, why);
}
