/* Limits on connections an attacker controls: sessions in all, and per client address. */
#ifndef TEGAMI_CONN_LIMIT_H
#define TEGAMI_CONN_LIMIT_H

#include <sys/socket.h>

#include <stddef.h>

struct smtp_server;

/* Sessions in all, whatever the descriptor limit allows (memory is the bound then). */
#define CONN_SESSIONS_MAX	20000
/* Sessions from one non-loopback address at once (Postfix's default is 50). */
#define CONN_PER_ADDR_MAX	50

/* Sets the total from the descriptors the process may open. */
void	 conn_limit_init(struct smtp_server *);
/*
 * NULL when a connection from sa may start a session, else the reason to
 * give in a 421 before closing. Loopback clients have no per-address limit.
 */
const char *conn_limit_check(struct smtp_server *, const struct sockaddr *);
void	 conn_limit_add(struct smtp_server *, const char *addr);
void	 conn_limit_del(struct smtp_server *, const char *addr);

#endif
