/* Connection limits of the SMTP process, counted per printable client address. */
#include <sys/resource.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>

#include "lib/log.h"
#include "lib/map.h"
#include "lib/sockaddr.h"
#include "smtp/conn_limit.h"
#include "smtp/session.h"

/* Descriptors kept aside for listeners, channels, logs and queue files in flight. */
#define CONN_FD_RESERVE		64

void
conn_limit_init(struct smtp_server *srv)
{
	struct rlimit	 rl;
	rlim_t		 n = 1024;

	/* Each session holds its socket and, during DATA, a queue file. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	if (n > 2 * (rlim_t)CONN_SESSIONS_MAX + CONN_FD_RESERVE)
		n = 2 * (rlim_t)CONN_SESSIONS_MAX + CONN_FD_RESERVE;
	srv->max_sessions = n > 2 * CONN_FD_RESERVE ?
	    (unsigned)((n - CONN_FD_RESERVE) / 2) : 16;
	srv->per_addr = map_new();
	log_msg(LOG_INFO, "smtp: at most %u sessions, %d per client address",
	    srv->max_sessions, CONN_PER_ADDR_MAX);
}

const char *
conn_limit_check(struct smtp_server *srv, const struct sockaddr *sa)
{
	char		 addr[64];
	uintptr_t	 n;

	if (srv->nsessions >= srv->max_sessions)
		return "Too many connections, try again later";
	if (sa_is_loopback(sa))
		return NULL;
	sa_ntop(sa, addr, sizeof(addr));
	n = (uintptr_t)map_get(srv->per_addr, addr);
	if (n >= CONN_PER_ADDR_MAX)
		return "Too many connections from your address, try again later";
	return NULL;
}

void
conn_limit_add(struct smtp_server *srv, const char *addr)
{
	uintptr_t	 n = (uintptr_t)map_get(srv->per_addr, addr);

	map_set(srv->per_addr, addr, (void *)(n + 1));
}

void
conn_limit_del(struct smtp_server *srv, const char *addr)
{
	uintptr_t	 n = (uintptr_t)map_get(srv->per_addr, addr);

	if (n <= 1)
		map_del(srv->per_addr, addr);
	else
		map_set(srv->per_addr, addr, (void *)(n - 1));
}
