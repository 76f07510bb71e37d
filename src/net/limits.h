/* Connection limits of a process: in all, and per client address; accept loops that apply them. */
#ifndef TEGAMI_LIMITS_H
#define TEGAMI_LIMITS_H

#include <sys/socket.h>

#include <stddef.h>

struct event_base;
struct conn_limits;
struct net_listener;

/* Descriptors kept aside for listeners, channels, logs and files in flight. */
#define CONN_FD_RESERVE		64
/* Sessions at most, whatever the descriptor limit allows. */
#define CONN_SESSIONS_MAX	20000
/* Sessions per client address by default (loopback is not counted). */
#define CONN_PER_ADDR_DEFAULT	50

/*
 * max 0: derived from the descriptor limit, fds_per_session each (a session
 * holds its socket and maybe a file), at most CONN_SESSIONS_MAX.
 * per_addr 0: no per-address limit.
 */
struct conn_limits *conn_limits_new(unsigned max, unsigned per_addr,
		    unsigned fds_per_session);
void		 conn_limits_free(struct conn_limits *);
/* New values (a reload); connections already open stay. */
void		 conn_limits_set(struct conn_limits *, unsigned max, unsigned per_addr,
		    unsigned fds_per_session);
unsigned	 conn_limits_max(const struct conn_limits *);
unsigned	 conn_limits_per_addr(const struct conn_limits *);
unsigned	 conn_limits_count(const struct conn_limits *);
/* NULL when one more connection from sa is allowed, else the reason. */
const char	*conn_limits_check(const struct conn_limits *, const struct sockaddr *);
/*
 * Counts a connection attempt from sa and says whether the address went
 * over max attempts within window seconds (1) or not (0). now_ms is a
 * monotonic clock in milliseconds. Loopback is exempt, as from the
 * per-address limit; max or window 0: no limit.
 */
int		 conn_limits_rate(struct conn_limits *, const struct sockaddr *,
		    unsigned max, unsigned window, long long now_ms);
/* Addresses whose rate is being followed (memory held for it). */
size_t		 conn_limits_rate_tracked(const struct conn_limits *);
/* Counting, by printable address (conn_account() does it for a connection). */
void		 conn_limits_add(struct conn_limits *, const char *addr);
void		 conn_limits_del(struct conn_limits *, const char *addr);

/* A bound listening socket handed from the parent, with its listener of the configuration. */
struct listener;
struct listen_socket {
	struct listener	*listener;
	int		 fd;
};

/* A socket passed the limits: the owner makes a connection of it. */
typedef void	(*net_accept_cb)(int fd, const struct sockaddr *, socklen_t, void *arg);
/*
 * Over a limit: the owner may write one line (it is sent without waiting)
 * before fd is closed for it.
 */
typedef void	(*net_refuse_cb)(int fd, const struct sockaddr *, const char *why,
		    void *arg);

/* Accepts on a bound, listening fd (taken over), checking limits (may be NULL); name prefixes log lines. */
struct net_listener *net_listener_new(struct event_base *, const char *name, int fd,
		    struct conn_limits *, net_accept_cb, net_refuse_cb, void *arg);
void		 net_listener_set_arg(struct net_listener *, void *arg);
void		 net_listener_set_nodelay(struct net_listener *);
void		 net_listener_disable(struct net_listener *);
void		 net_listener_free(struct net_listener *);
/* Sends one line without blocking, for a refusal; nothing is read. */
void		 net_send_line(int fd, const char *line);

#endif
