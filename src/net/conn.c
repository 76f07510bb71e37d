/* Connections on libevent bufferevents: one line reader, back-pressure, deadlines, STARTTLS, deferred free. */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "lib/log.h"
#include "lib/memtrim.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "net/limits.h"

#define CONN_LINE_MAX_DEFAULT	2048
#define CONN_INPUT_MAX_DEFAULT	(256 * 1024)
#define CONN_OUT_HIGH_DEFAULT	(64 * 1024)
#define CONN_OUT_LOW_DEFAULT	(16 * 1024)
/* conn_close() gives queued output this long when no write time was set. */
#define CONN_FLUSH_SECS		30
/*
 * After the last words are out, what the client still sends is read and
 * dropped for this long before the socket closes. Closing with unread
 * input makes the kernel answer with a reset, and a reset makes the
 * client's kernel throw away replies the client has not read yet: the
 * 421 or BYE that explains the close would be lost (Apache's "lingering
 * close" for the same reason).
 */
#define CONN_LINGER_SECS	2

struct conn {
	struct event_base	*base;
	struct bufferevent	*bev;
	int			 fd;
	int			 bev_owns_fd;	/* TLS streams close the socket and free the SSL */
	conn_cb			 cb;
	void			*arg;

	/* input */
	size_t			 line_max;
	size_t			 input_max;
	size_t			 pending_drain;	/* the line last returned */
	size_t			 scanned;	/* bytes known to hold no LF */
	int			 discarding;	/* inside an over-long line */

	/* output */
	size_t			 out_high, out_low;
	int			 held;		/* over out_high: the peer is not read */
	int			 notify;
	size_t			 notify_low;

	/* deadlines */
	int			 idle_secs, write_secs;
	time_t			 cmd_deadline, session_deadline;
	struct event		*timer;
	enum conn_timeout	 timeout;

	/* TLS */
	SSL			*ssl;
	enum conn_tls_role	 tls_role;
	int			 tls_pending;	/* STARTTLS waits for the clear output to go */
	int			 tls_done;

	/* life */
	int			 connecting;
	int			 eof;		/* CONN_EV_CLOSED by the peer's orderly close */
	int			 in_cb;
	int			 closing;	/* conn_close: flushing, then freed */
	int			 lingering;	/* flushed, write side shut, input dropped */
	int			 dead;		/* freed once the callback returns */
	struct conn_limits	*limits;
	char			*limits_addr;
};

/* Connections alive in this process, flushing ones included. */
static unsigned	 conn_alive;

static void	conn_on_read(struct bufferevent *, void *);
static void	conn_on_write(struct bufferevent *, void *);
static void	conn_on_event(struct bufferevent *, short, void *);
static void	conn_free_now(struct conn *);
static void	conn_linger(struct conn *);

static void
conn_apply_watermarks(struct conn *c)
{
	size_t	 low = 0;

	if (!c->closing && !c->tls_pending) {
		if (c->held)
			low = c->out_low;
		if (c->notify && c->notify_low > low)
			low = c->notify_low;
	}
	bufferevent_setwatermark(c->bev, EV_WRITE, low, 0);
	bufferevent_setwatermark(c->bev, EV_READ, 0, c->input_max);
}

static void
conn_apply_timeouts(struct conn *c)
{
	struct timeval	 r = { c->idle_secs, 0 }, w = { c->write_secs, 0 };

	bufferevent_set_timeouts(c->bev, c->idle_secs > 0 ? &r : NULL,
	    c->write_secs > 0 ? &w : NULL);
}

static void
conn_setup_bev(struct conn *c)
{
	bufferevent_setcb(c->bev, conn_on_read, conn_on_write, conn_on_event, c);
	conn_apply_watermarks(c);
	conn_apply_timeouts(c);
}

static struct conn *
conn_alloc(struct event_base *base, int fd, conn_cb cb, void *arg)
{
	struct conn	*c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->fd = fd;
	c->cb = cb;
	c->arg = arg;
	c->line_max = CONN_LINE_MAX_DEFAULT;
	c->input_max = CONN_INPUT_MAX_DEFAULT;
	c->out_high = CONN_OUT_HIGH_DEFAULT;
	c->out_low = CONN_OUT_LOW_DEFAULT;
	evutil_make_socket_nonblocking(fd);
	c->bev = bufferevent_socket_new(base, fd, 0);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return NULL;
	}
	conn_setup_bev(c);
	conn_alive++;
	return c;
}

struct conn *
conn_new(struct event_base *base, int fd, conn_cb cb, void *arg)
{
	struct conn	*c;

	if ((c = conn_alloc(base, fd, cb, arg)) != NULL)
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return c;
}

struct conn *
conn_connect(struct event_base *base, int fd, const struct sockaddr *sa,
    socklen_t salen, conn_cb cb, void *arg)
{
	struct conn	*c;

	if ((c = conn_alloc(base, fd, cb, arg)) == NULL)
		return NULL;
	c->connecting = 1;
	/* An immediate failure comes back through the event callback too. */
	(void)bufferevent_socket_connect(c->bev, (struct sockaddr *)sa, (int)salen);
	return c;
}

void
conn_set_cb(struct conn *c, conn_cb cb, void *arg)
{
	c->cb = cb;
	c->arg = arg;
}

void
conn_account(struct conn *c, struct conn_limits *l, const char *addr)
{
	c->limits = l;
	c->limits_addr = xstrdup(addr);
	conn_limits_add(l, addr);
}

/* Calls the owner; 0 when the connection is still there afterwards. */
static int
conn_dispatch(struct conn *c, enum conn_event ev)
{
	if (c->cb == NULL || c->closing || c->dead)
		return c->dead ? -1 : 0;
	c->in_cb++;
	c->cb(c, ev, c->arg);
	if (--c->in_cb == 0 && c->dead) {
		conn_free_now(c);
		return -1;
	}
	return c->dead ? -1 : 0;
}

static void
conn_release(struct conn *c)
{
	c->cb = NULL;
	if (c->in_cb > 0) {
		/* Inside our own callback: the caller's stack still holds c. */
		c->dead = 1;
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		if (c->timer)
			evtimer_del(c->timer);
		return;
	}
	conn_free_now(c);
}

static void
conn_free_now(struct conn *c)
{
	if (c->ssl != NULL)
		mem_trim_soon(c->base);
	if (c->timer)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	/* A TLS stream closed the socket and freed its SSL itself. */
	if (!c->bev_owns_fd) {
		if (c->fd != -1)
			close(c->fd);
		if (c->ssl != NULL)
			SSL_free(c->ssl);	/* a switch to TLS that never happened */
	}
	if (c->limits)
		conn_limits_del(c->limits, c->limits_addr);
	free(c->limits_addr);
	free(c);
	conn_alive--;
}

unsigned
conn_count(void)
{
	return conn_alive;
}

void
conn_close(struct conn *c)
{
	struct evbuffer	*out;

	if (c == NULL || c->closing || c->dead)
		return;
	c->closing = 1;
	c->cb = NULL;
	if (c->timer)
		evtimer_del(c->timer);
	if (c->bev == NULL) {
		conn_release(c);
		return;
	}
	bufferevent_disable(c->bev, EV_READ);
	out = bufferevent_get_output(c->bev);
	if (c->tls_pending) {
		conn_release(c);
		return;
	}
	if (evbuffer_get_length(out) == 0) {
		conn_linger(c);
		return;
	}
	/* What the owner said last (a 221, a 421) still goes out, within a bound. */
	if (c->write_secs <= 0)
		c->write_secs = CONN_FLUSH_SECS;
	conn_apply_watermarks(c);
	conn_apply_timeouts(c);
	bufferevent_enable(c->bev, EV_WRITE);
}

void
conn_abort(struct conn *c)
{
	if (c == NULL || c->dead)
		return;
	c->closing = 1;
	conn_release(c);
}

int
conn_detach(struct conn *c, char **unread, size_t *unreadlen)
{
	struct evbuffer	*in;
	size_t		 n;
	int		 fd = c->fd;

	*unread = NULL;
	*unreadlen = 0;
	if (c->bev_owns_fd || c->bev == NULL)
		return -1;
	in = bufferevent_get_input(c->bev);
	if (c->pending_drain) {
		evbuffer_drain(in, c->pending_drain);
		c->pending_drain = 0;
	}
	if ((n = evbuffer_get_length(in)) > 0) {
		*unread = xmalloc(n);
		evbuffer_remove(in, *unread, n);
		*unreadlen = n;
	}
	c->fd = -1;		/* no longer ours to close */
	c->closing = 1;
	conn_release(c);
	return fd;
}

int
conn_unread(struct conn *c, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	c->scanned = 0;
	return evbuffer_prepend(bufferevent_get_input(c->bev), p, n);
}

/* ---- input ---- */

void
conn_set_line_max(struct conn *c, size_t n)
{
	c->line_max = n;
}

void
conn_set_input_max(struct conn *c, size_t n)
{
	c->input_max = n;
	conn_apply_watermarks(c);
}

static void
conn_drain_pending(struct conn *c, struct evbuffer *in)
{
	if (c->pending_drain) {
		evbuffer_drain(in, c->pending_drain);
		c->pending_drain = 0;
	}
}

enum conn_line
conn_getline(struct conn *c, char **line, size_t *len)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr	 from, eol;
	size_t			 eol_len, n, have;
	char			*p;

	conn_drain_pending(c, in);
	have = evbuffer_get_length(in);
	if (c->scanned > have)
		c->scanned = 0;
	/* Do not scan again what is known to hold no LF. */
	if (evbuffer_ptr_set(in, &from, c->scanned, EVBUFFER_PTR_SET) == -1)
		evbuffer_ptr_set(in, &from, 0, EVBUFFER_PTR_SET);
	eol = evbuffer_search_eol(in, &from, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos == -1) {
		c->scanned = have;
		if (have > c->line_max) {
			/* Nothing of an over-long line is kept: its end is all we wait for. */
			evbuffer_drain(in, have);
			c->scanned = 0;
			c->discarding = 1;
		}
		return CONN_LINE_MORE;
	}
	c->scanned = 0;
	n = (size_t)eol.pos;
	if (c->discarding || n > c->line_max) {
		evbuffer_drain(in, n + eol_len);
		c->discarding = 0;
		return CONN_LINE_TOO_LONG;
	}
	if ((p = (char *)evbuffer_pullup(in, (ev_ssize_t)(n + eol_len))) == NULL)
		fatalx("conn: evbuffer_pullup");
	p[n] = '\0';
	if (n > 0 && p[n - 1] == '\r')
		p[--n] = '\0';
	c->pending_drain = (size_t)eol.pos + eol_len;
	*line = p;
	*len = n;
	return CONN_LINE_OK;
}

size_t
conn_peek(struct conn *c, const char **p)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec	 v;

	conn_drain_pending(c, in);
	c->scanned = 0;
	if (evbuffer_get_length(in) == 0 || evbuffer_peek(in, -1, NULL, &v, 1) < 1) {
		*p = NULL;
		return 0;
	}
	*p = v.iov_base;
	return v.iov_len;
}

void
conn_drain(struct conn *c, size_t n)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);

	conn_drain_pending(c, in);
	c->scanned = 0;
	evbuffer_drain(in, n);
}

size_t
conn_input_len(const struct conn *c)
{
	size_t	 n = evbuffer_get_length(bufferevent_get_input(c->bev));

	return n - c->pending_drain;
}

/* ---- output ---- */

static void
conn_check_high(struct conn *c)
{
	if (c->out_high == 0 || c->held || c->closing)
		return;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > c->out_high) {
		/* The peer is not reading what it asked for: stop reading it. */
		c->held = 1;
		bufferevent_disable(c->bev, EV_READ);
		conn_apply_watermarks(c);
	}
}

void
conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->closing || c->dead || c->bev == NULL)
		return;
	evbuffer_add(bufferevent_get_output(c->bev), p, n);
	conn_check_high(c);
}

/*
 * Output normally goes out from the loop: write interest on, wait, write,
 * interest off, three calls more per reply than writing at once. A whole
 * reply is written at once when nothing is queued before it, the stream is
 * in clear, and the peer has no further command waiting: pipelined commands
 * get their replies together in one write (RFC 2920 3.2). What the socket
 * does not take is queued as usual; an error is found by the loop's next
 * write. Only for replies sent whole: streamed output written piece by
 * piece would cost a call per piece.
 */
void
conn_write_reply(struct conn *c, const void *p, size_t n)
{
	ssize_t	 w;

	if (c->closing || c->dead || c->bev == NULL)
		return;
	if (n > 0 && c->ssl == NULL && !c->connecting && c->fd != -1 &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
	    conn_input_len(c) == 0) {
		do {
			w = send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		} while (w == -1 && errno == EINTR);
		if (w > 0) {
			p = (const char *)p + w;
			n -= (size_t)w;
		}
	}
	if (n > 0)
		conn_write(c, p, n);
}

void
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;

	if (c->closing || c->dead || c->bev == NULL)
		return;
	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
	conn_check_high(c);
}

size_t
conn_output_len(const struct conn *c)
{
	return c->bev ? evbuffer_get_length(bufferevent_get_output(c->bev)) : 0;
}

void
conn_set_output_max(struct conn *c, size_t high, size_t low)
{
	c->out_high = high;
	c->out_low = low < high ? low : high / 4;
	conn_apply_watermarks(c);
}

int
conn_ready(const struct conn *c)
{
	return !c->closing && !c->dead && !c->held && !c->tls_pending;
}

void
conn_notify_output(struct conn *c, size_t low)
{
	c->notify = 1;
	c->notify_low = low;
	conn_apply_watermarks(c);
	if (conn_output_len(c) <= low) {
		/* Already there: say so from the loop, as if the socket had taken it. */
		bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
	}
}

/* ---- deadlines ---- */

void
conn_set_timeouts(struct conn *c, int idle, int write)
{
	c->idle_secs = idle;
	c->write_secs = write;
	if (c->bev)
		conn_apply_timeouts(c);
}

static void
conn_on_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;
	time_t		 now = time(NULL);

	if (c->lingering) {
		conn_release(c);
		return;
	}
	if (c->session_deadline && now >= c->session_deadline)
		c->timeout = CONN_TIMEOUT_SESSION;
	else if (c->cmd_deadline && now >= c->cmd_deadline)
		c->timeout = CONN_TIMEOUT_COMMAND;
	else
		return;
	c->cmd_deadline = 0;
	conn_dispatch(c, CONN_EV_TIMEOUT);
}

static void
conn_arm_timer(struct conn *c)
{
	struct timeval	 tv;
	time_t		 now = time(NULL), at = 0;

	if (c->cmd_deadline)
		at = c->cmd_deadline;
	if (c->session_deadline && (at == 0 || c->session_deadline < at))
		at = c->session_deadline;
	if (at == 0) {
		if (c->timer)
			evtimer_del(c->timer);
		return;
	}
	if (c->timer == NULL &&
	    (c->timer = evtimer_new(c->base, conn_on_timer, c)) == NULL)
		fatalx("conn: evtimer_new");
	tv.tv_sec = at > now ? at - now : 0;
	tv.tv_usec = 0;
	evtimer_add(c->timer, &tv);
}

void
conn_set_command_deadline(struct conn *c, int secs)
{
	c->cmd_deadline = secs > 0 ? time(NULL) + secs : 0;
	conn_arm_timer(c);
}

void
conn_set_session_deadline(struct conn *c, int secs)
{
	c->session_deadline = secs > 0 ? time(NULL) + secs : 0;
	conn_arm_timer(c);
}

enum conn_timeout
conn_timeout_kind(const struct conn *c)
{
	return c->timeout;
}

/*
 * Everything is sent: the write side is shut (the client reads EOF after
 * the last reply), and input is read and dropped until the client closes
 * too or CONN_LINGER_SECS pass. Nothing happens twice.
 */
static void
conn_linger(struct conn *c)
{
	struct timeval	 tv = { CONN_LINGER_SECS, 0 };

	if (c->lingering)
		return;
	c->lingering = 1;
	if (c->eof || c->bev == NULL || c->fd == -1 ||
	    shutdown(c->fd, SHUT_WR) == -1) {
		conn_release(c);
		return;
	}
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_enable(c->bev, EV_READ);
	if (c->timer == NULL &&
	    (c->timer = evtimer_new(c->base, conn_on_timer, c)) == NULL) {
		conn_release(c);
		return;
	}
	evtimer_add(c->timer, &tv);
}

/* ---- TLS ---- */

static void
conn_tls_switch(struct conn *c)
{
	struct bufferevent	*plain = c->bev, *tb;

	c->tls_pending = 0;
	/*
	 * The clear stream goes and a TLS stream takes the socket: one stream
	 * per connection keeps an idle connection small. The client's hello
	 * is still in the kernel: the clear stream read nothing after the
	 * STARTTLS exchange.
	 */
	tb = bufferevent_openssl_socket_new(c->base, c->fd, c->ssl,
	    c->tls_role == CONN_TLS_SERVER ? BUFFEREVENT_SSL_ACCEPTING :
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (tb == NULL) {
		bufferevent_free(plain);
		c->bev = NULL;
		log_msg(LOG_ERR, "conn: cannot set up a TLS stream");
		conn_dispatch(c, CONN_EV_CLOSED);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(tb, 1);
	c->bev_owns_fd = 1;
	c->bev = tb;
	bufferevent_free(plain);
	conn_setup_bev(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

long
conn_starttls(struct conn *c, SSL *ssl, enum conn_tls_role role)
{
	struct evbuffer	*in;
	size_t		 dropped;

	if (c->ssl != NULL || c->bev == NULL || c->closing) {
		SSL_free(ssl);
		return -1;
	}
	/* An idle TLS connection gives its read and write buffers back. */
	SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
	in = bufferevent_get_input(c->bev);
	dropped = evbuffer_get_length(in);
	evbuffer_drain(in, dropped);
	c->pending_drain = 0;
	c->scanned = 0;
	c->discarding = 0;
	bufferevent_disable(c->bev, EV_READ);
	c->ssl = ssl;
	c->tls_role = role;
	c->tls_pending = 1;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_tls_switch(c);
	else {
		/* The "220 Ready to start TLS" leaves in clear first. */
		conn_apply_watermarks(c);
		bufferevent_enable(c->bev, EV_WRITE);
	}
	return (long)dropped;
}

SSL *
conn_ssl(const struct conn *c)
{
	return c->tls_done ? c->ssl : NULL;
}

int
conn_tls_started(const struct conn *c)
{
	return c->ssl != NULL;
}

const char *
conn_tls_error(struct conn *c, char *buf, size_t len)
{
	unsigned long	 e = 0, x;

	if (c->bev != NULL && c->ssl != NULL)
		while ((x = bufferevent_get_openssl_error(c->bev)) != 0)
			if (e == 0)
				e = x;
	if (e == 0)
		snprintf(buf, len, "connection closed");
	else
		ERR_error_string_n(e, buf, len);
	return buf;
}

int
conn_peer_closed(const struct conn *c)
{
	return c->eof;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

/* ---- libevent callbacks ---- */

static void
conn_on_read(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	if (c->closing || c->tls_pending) {
		/* Nobody will read it: do not let it pile up. */
		struct evbuffer	*in = bufferevent_get_input(bev);

		if (c->closing)
			evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	conn_dispatch(c, CONN_EV_INPUT);
}

static void
conn_on_write(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	size_t		 len = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->closing) {
		if (len == 0)
			conn_linger(c);
		return;
	}
	if (c->tls_pending) {
		if (len == 0)
			conn_tls_switch(c);
		return;
	}
	if (c->held && len <= c->out_low) {
		c->held = 0;
		conn_apply_watermarks(c);
		bufferevent_enable(c->bev, EV_READ);
		if (conn_dispatch(c, CONN_EV_INPUT) == -1)
			return;
	}
	if (c->notify && len <= c->notify_low && !c->closing) {
		c->notify = 0;
		conn_apply_watermarks(c);
		conn_dispatch(c, CONN_EV_OUTPUT);
	}
}

static void
conn_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	if (c->closing) {
		/* Flushing ended one way or another (sent, timed out, failed). */
		if (!(what & BEV_EVENT_CONNECTED))
			conn_release(c);
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		if (c->connecting) {
			c->connecting = 0;
			bufferevent_enable(c->bev, EV_READ | EV_WRITE);
			conn_dispatch(c, CONN_EV_CONNECTED);
		} else if (c->ssl != NULL && !c->tls_done) {
			c->tls_done = 1;
			mem_trim_soon(c->base);
			conn_dispatch(c, CONN_EV_TLS);
		}
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		c->timeout = (what & BEV_EVENT_WRITING) ? CONN_TIMEOUT_WRITE :
		    CONN_TIMEOUT_IDLE;
		conn_dispatch(c, CONN_EV_TIMEOUT);
		return;
	}
	/* EOF, an error, a failed handshake: nothing more can be said. */
	c->eof = (what & BEV_EVENT_EOF) != 0;
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	conn_dispatch(c, CONN_EV_CLOSED);
}
