/* Abuse guards: connection rate per address, clients talking before the banner (deadlines are limits.c's). */
#include <sys/socket.h>

#include <errno.h>
#include <time.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "net/conn.h"
#include "net/limits.h"
#include "smtp/guard.h"
#include "smtp/session.h"

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
smtp_guard_start(struct smtp_session *s)
{
	const struct conf	*c = s->conf;

	if (s->from_socket)
		return 0;
	if (c->conn_rate_max > 0 && conn_limits_rate(s->server->limits,
	    (const struct sockaddr *)&s->peer, c->conn_rate_max,
	    (unsigned)c->conn_rate_window, now_ms())) {
		log_msg(LOG_WARNING, "%016llx smtp refused address=%s reason=rate "
		    "limit=%u/%llds", (unsigned long long)s->id, s->addr,
		    c->conn_rate_max, (long long)c->conn_rate_window);
		smtp_reply(s, 421, "4.7.0", "%s Too many connections from your "
		    "address in a short time, try again later", smtp_hostname(s));
		smtp_close(s);
		return -1;
	}
	return 0;
}

int
smtp_guard_early_talker(struct smtp_session *s)
{
	char	 c;
	ssize_t	 n = 0;

	/* The local enqueuer may bring its commands along; smtps starts with the client's hello. */
	if (s->from_socket || s->conn == NULL || conn_tls_started(s->conn) ||
	    (s->listener && (s->listener->flags & LF_IMPLICIT_TLS)))
		return 0;
	/* What the connection has read, or what is still in the kernel. */
	if (conn_input_len(s->conn) == 0) {
		n = recv(conn_fd(s->conn), &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n <= 0)
			return 0;	/* nothing yet, or EOF: the banner or the close tells */
	}
	log_msg(LOG_INFO, "%016llx smtp early-talker address=%s: data before the "
	    "greeting, dropped", (unsigned long long)s->id, s->addr);
	smtp_reply(s, 554, "5.5.1", "%s Protocol error: talking before the "
	    "greeting", smtp_hostname(s));
	return 1;
}
