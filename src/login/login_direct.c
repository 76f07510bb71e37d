/* After login without TLS: the client's socket itself goes to the mailbox process; a silent socketpair says when the session ends. */
#include <stdlib.h>

#include "lib/log.h"
#include "login/login_priv.h"
#include "net/conn.h"
#include "net/limits.h"

/*
 * Bytes read after the login line travel in the MSG_MAILBOX_SESSION
 * message. The login process reads at most a line and a literal ahead
 * (LOGIN_LINE_MAX + LOGIN_LITERAL_MAX); more would not fit a message and
 * goes through the relay instead.
 */
#define DIRECT_PREFIX_MAX	(32 * 1024)

static void	on_tie(struct conn *, enum conn_event, void *);

int
login_direct_possible(const struct login_session *s)
{
	/* The TLS state lives here: such a session is relayed. */
	if (s->tls || s->conn == NULL || conn_tls_started(s->conn) ||
	    conn_ssl(s->conn) != NULL)
		return 0;
	/* An answer still waiting to go out would come after the engine's. */
	if (conn_output_len(s->conn) > 0)
		return 0;
	return conn_input_len(s->conn) <= DIRECT_PREFIX_MAX;
}

int
login_direct_detach(struct login_session *s, char **prefix, size_t *prefixlen)
{
	int	 fd;

	if ((fd = conn_detach(s->conn, prefix, prefixlen)) == -1)
		return -1;
	s->conn = NULL;
	/*
	 * Freeing the connection gave its place in the limits back: the
	 * session keeps it until it ends (login_free() gives it back).
	 */
	conn_limits_add(L.limits, s->addr);
	s->counted = 1;
	return fd;
}

void
login_direct_start(struct login_session *s, int tie)
{
	s->relaying = 1;
	s->direct = 1;
	if (s->rd != NULL) {
		imap_reader_free(s->rd);
		free(s->rd);
		s->rd = NULL;
	}
	if ((s->peer = conn_new(L.base, tie, on_tie, s)) == NULL) {
		login_close(s);
		return;
	}
	/* The engine keeps the session's deadlines; nothing passes here. */
	conn_set_timeouts(s->peer, 0, 0);
	conn_set_session_deadline(s->peer, 0);
}

static void
on_tie(struct conn *c, enum conn_event ev, void *arg)
{
	struct login_session	*s = arg;
	const char		*p;
	size_t			 n;

	switch (ev) {
	case CONN_EV_INPUT:
		/* The mailbox process says nothing here; whatever comes is dropped. */
		while ((n = conn_peek(c, &p)) > 0)
			conn_drain(c, n);
		break;
	case CONN_EV_CLOSED:
		/* The engine ended the session, or its process is gone. */
		conn_abort(c);
		s->peer = NULL;
		login_close(s);
		break;
	default:
		break;
	}
}
