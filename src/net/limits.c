/* Connection limits and the accept loop that applies them before a session costs anything. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "lib/log.h"
#include "lib/map.h"
#include "lib/sockaddr.h"
#include "lib/xalloc.h"
#include "net/limits.h"

struct conn_limits {
	unsigned	 max;
	unsigned	 per_addr;
	unsigned	 count;
	struct map	*by_addr;	/* printable address -> count */
	struct map	*rates;		/* printable address -> struct rate */
	size_t		 sweep_at;	/* rates held before old ones are swept */
};

/*
 * Connections of one address in the current window and the one before:
 * the estimate over the last window is the current count plus the share
 * of the previous one the window still overlaps (a sliding window without
 * a log of times).
 */
struct rate {
	long long	 start;		/* of the current window, milliseconds */
	unsigned	 cur;
	unsigned	 prev;
};

#define RATES_SWEEP_MIN	1024

struct net_listener {
	struct evconnlistener	*el;
	const char		*name;
	struct conn_limits	*limits;
	net_accept_cb		 accept_cb;
	net_refuse_cb		 refuse_cb;
	void			*arg;
	int			 nodelay;	/* accepted TCP sockets get TCP_NODELAY */
};

static unsigned
derived_max(unsigned fds_per_session)
{
	struct rlimit	 rl;
	rlim_t		 n = 1024;

	if (fds_per_session == 0)
		fds_per_session = 1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	if (n <= 2 * (rlim_t)CONN_FD_RESERVE)
		return 16;
	n = (n - CONN_FD_RESERVE) / fds_per_session;
	return n > CONN_SESSIONS_MAX ? CONN_SESSIONS_MAX : (unsigned)n;
}

void
conn_limits_set(struct conn_limits *l, unsigned max, unsigned per_addr,
    unsigned fds_per_session)
{
	unsigned	 cap = derived_max(fds_per_session);

	/* More than the descriptors allow would only turn into accept errors. */
	l->max = max == 0 || max > cap ? cap : max;
	l->per_addr = per_addr;
}

struct conn_limits *
conn_limits_new(unsigned max, unsigned per_addr, unsigned fds_per_session)
{
	struct conn_limits	*l = xcalloc(1, sizeof(*l));

	l->by_addr = map_new();
	l->rates = map_new();
	l->sweep_at = RATES_SWEEP_MIN;
	conn_limits_set(l, max, per_addr, fds_per_session);
	return l;
}

void
conn_limits_free(struct conn_limits *l)
{
	if (l == NULL)
		return;
	map_free(l->by_addr, NULL);
	map_free(l->rates, free);
	free(l);
}

unsigned
conn_limits_max(const struct conn_limits *l)
{
	return l->max;
}

unsigned
conn_limits_per_addr(const struct conn_limits *l)
{
	return l->per_addr;
}

unsigned
conn_limits_count(const struct conn_limits *l)
{
	return l->count;
}

const char *
conn_limits_check(const struct conn_limits *l, const struct sockaddr *sa)
{
	char		 addr[64];
	uintptr_t	 n;

	if (l->count >= l->max)
		return "Too many connections, try again later";
	/* Loopback is the admin's own machine (Postfix exempts mynetworks alike). */
	if (l->per_addr == 0 || sa == NULL || sa_is_loopback(sa))
		return NULL;
	sa_ntop(sa, addr, sizeof(addr));
	n = (uintptr_t)map_get(l->by_addr, addr);
	if (n >= l->per_addr)
		return "Too many connections from your address, try again later";
	return NULL;
}

void
conn_limits_add(struct conn_limits *l, const char *addr)
{
	uintptr_t	 n = (uintptr_t)map_get(l->by_addr, addr);

	l->count++;
	map_set(l->by_addr, addr, (void *)(n + 1));
}

void
conn_limits_del(struct conn_limits *l, const char *addr)
{
	uintptr_t	 n = (uintptr_t)map_get(l->by_addr, addr);

	if (l->count > 0)
		l->count--;
	if (n <= 1)
		map_del(l->by_addr, addr);
	else
		map_set(l->by_addr, addr, (void *)(n - 1));
}

/* Moves r's windows forward to the one holding now. */
static void
rate_advance(struct rate *r, long long now, long long win)
{
	long long	 n;

	if (now < r->start)
		r->start = now;		/* the clock is monotonic; be safe anyway */
	n = (now - r->start) / win;
	if (n == 0)
		return;
	r->prev = n == 1 ? r->cur : 0;
	r->cur = 0;
	r->start += n * win;
}

/* Forgets the addresses quiet for two windows, so the map stays the size of the active ones. */
static void
rates_sweep(struct conn_limits *l, long long now, long long win)
{
	const char	*key;
	void		*v;
	size_t		 iter = 0;

	while (map_iter(l->rates, &iter, &key, &v)) {
		struct rate	*r = v;

		if (now - r->start >= 2 * win)
			free(map_del(l->rates, key));
	}
	l->sweep_at = map_count(l->rates) * 2;
	if (l->sweep_at < RATES_SWEEP_MIN)
		l->sweep_at = RATES_SWEEP_MIN;
}

size_t
conn_limits_rate_tracked(const struct conn_limits *l)
{
	return map_count(l->rates);
}

int
conn_limits_rate(struct conn_limits *l, const struct sockaddr *sa, unsigned max,
    unsigned window, long long now_ms)
{
	struct rate	*r;
	char		 addr[64];
	long long	 win = (long long)window * 1000, est;

	if (max == 0 || window == 0 || sa == NULL || sa_is_loopback(sa))
		return 0;
	if (map_count(l->rates) >= l->sweep_at)
		rates_sweep(l, now_ms, win);
	sa_ntop(sa, addr, sizeof(addr));
	if ((r = map_get(l->rates, addr)) == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->start = now_ms;
		map_set(l->rates, addr, r);
	}
	rate_advance(r, now_ms, win);
	/* Refused attempts count too: a client that hammers stays refused. */
	if (r->cur < UINT32_MAX)
		r->cur++;
	est = (long long)r->cur +
	    (long long)r->prev * (win - (now_ms - r->start)) / win;
	return est > (long long)max;
}

void
net_send_line(int fd, const char *line)
{
	/* A best-effort word before closing: a client that does not read gets nothing. */
	(void)!send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
on_accept(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct net_listener	*nl = arg;
	const char		*why;

	if (nl->limits && (why = conn_limits_check(nl->limits, sa)) != NULL) {
		char	 addr[64];

		sa_ntop(sa, addr, sizeof(addr));
		if (nl->refuse_cb)
			nl->refuse_cb(fd, sa, why, nl->arg);
		close(fd);
		log_msg(LOG_WARNING, "%s refused address=%s reason=\"%s\" "
		    "sessions=%u", nl->name, addr, why, conn_limits_count(nl->limits));
		return;
	}
	if (nl->nodelay && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)) {
		int	 on = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
	nl->accept_cb(fd, sa, (socklen_t)salen, nl->arg);
}

static void
on_accept_error(struct evconnlistener *el, void *arg)
{
	/* EMFILE and friends: say so and keep going; the listener retries. */
	log_msg(LOG_ERR, "%s: accept: %s", ((struct net_listener *)arg)->name,
	    strerror(errno));
}

struct net_listener *
net_listener_new(struct event_base *base, const char *name, int fd,
    struct conn_limits *limits, net_accept_cb accept_cb, net_refuse_cb refuse_cb,
    void *arg)
{
	struct net_listener	*nl = xcalloc(1, sizeof(*nl));

	nl->name = name;
	nl->limits = limits;
	nl->accept_cb = accept_cb;
	nl->refuse_cb = refuse_cb;
	nl->arg = arg;
	evutil_make_socket_nonblocking(fd);
	nl->el = evconnlistener_new(base, on_accept, nl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (nl->el == NULL)
		fatalx("evconnlistener_new");
	evconnlistener_set_error_cb(nl->el, on_accept_error);
	return nl;
}

/*
 * For protocols whose replies are long (a POP3 RETR, an IMAP FETCH): they
 * are written whole, as the output buffer has them, and Nagle's wait for an
 * ACK only delays their last segment (a 20 KiB RETR waited 40 ms for the
 * client's delayed ACK). SMTP's replies are short and come in bursts that
 * Nagle groups: it measured faster without.
 */
void
net_listener_set_nodelay(struct net_listener *nl)
{
	nl->nodelay = 1;
}

void
net_listener_set_arg(struct net_listener *nl, void *arg)
{
	nl->arg = arg;
}

void
net_listener_disable(struct net_listener *nl)
{
	evconnlistener_disable(nl->el);
}

void
net_listener_free(struct net_listener *nl)
{
	if (nl == NULL)
		return;
	evconnlistener_free(nl->el);
	free(nl);
}
