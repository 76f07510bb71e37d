/* After a login over TLS: the client's bytes to the mailbox process and back, with back-pressure both ways. */
#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "login/login_priv.h"
#include "net/conn.h"

/*
 * Each side's output may hold this much before the other side is no
 * longer read: a client that reads nothing stops the mailbox process's
 * writes (through the socketpair filling up), and a mailbox answer that
 * the client takes slowly costs at most this here.
 */
#define RELAY_HIGH	(64 * 1024)
#define RELAY_LOW	(16 * 1024)

static void	on_client(struct conn *, enum conn_event, void *);
static void	on_peer(struct conn *, enum conn_event, void *);

/* Moves what from holds to to, as far as to's output allows. */
static void
pump(struct conn *from, struct conn *to, uint64_t *count)
{
	const char	*p;
	size_t		 n;

	while (conn_output_len(to) < RELAY_HIGH && (n = conn_peek(from, &p)) > 0) {
		if (n > RELAY_HIGH - conn_output_len(to))
			n = RELAY_HIGH - conn_output_len(to);
		conn_write(to, p, n);
		conn_drain(from, n);
		*count += n;
	}
	/* Told when to has room again, to go on with from. */
	if (conn_input_len(from) > 0)
		conn_notify_output(to, RELAY_LOW);
}

/* One side ended: the other gets what is left, then closes too. */
static void
relay_end(struct login_session *s, int client_gone)
{
	if (client_gone && s->conn != NULL) {
		conn_abort(s->conn);
		s->conn = NULL;
	}
	if (!client_gone && s->peer != NULL) {
		conn_abort(s->peer);
		s->peer = NULL;
	}
	login_close(s);
}

/* Both directions move on any event of either side: room on one is input for the other. */
static void
pump_both(struct login_session *s)
{
	if (s->conn != NULL && s->peer != NULL)
		pump(s->conn, s->peer, &s->relayed_in);
	if (s->conn != NULL && s->peer != NULL)
		pump(s->peer, s->conn, &s->relayed_out);
}

static void
on_client(struct conn *c, enum conn_event ev, void *arg)
{
	struct login_session	*s = arg;

	switch (ev) {
	case CONN_EV_INPUT:
	case CONN_EV_OUTPUT:
		pump_both(s);
		break;
	case CONN_EV_TIMEOUT:
		/* Only the write time: the client takes none of its mail. */
		log_msg(LOG_INFO, "%s login relay-timeout address=%s user=%s",
		    s->idstr, s->addr, s->login);
		relay_end(s, 1);
		break;
	case CONN_EV_CLOSED:
		relay_end(s, 1);
		break;
	default:
		break;
	}
}

static void
on_peer(struct conn *c, enum conn_event ev, void *arg)
{
	struct login_session	*s = arg;

	switch (ev) {
	case CONN_EV_INPUT:
	case CONN_EV_OUTPUT:
		pump_both(s);
		break;
	case CONN_EV_CLOSED:
		/* The engine said goodbye (or its process died): so do we. */
		if (s->conn != NULL)
			pump(c, s->conn, &s->relayed_out);
		relay_end(s, 0);
		break;
	default:
		break;
	}
}

void
login_relay_start(struct login_session *s, int fd)
{
	if ((s->peer = conn_new(L.base, fd, on_peer, s)) == NULL) {
		login_abort(s);
		return;
	}
	s->relaying = 1;
	/* What was read before login is no longer needed: a relayed session is small. */
	if (s->rd != NULL) {
		imap_reader_free(s->rd);
		free(s->rd);
		s->rd = NULL;
	}
	conn_set_cb(s->conn, on_client, s);
	/* The engine keeps the session's deadlines; here only a client that never reads. */
	conn_set_timeouts(s->conn, 0, LOGIN_RELAY_WRITE_SECS);
	conn_set_session_deadline(s->conn, 0);
	conn_set_input_max(s->conn, RELAY_HIGH);
	conn_set_output_max(s->conn, 0, 0);
	conn_set_timeouts(s->peer, 0, 0);
	conn_set_input_max(s->peer, RELAY_HIGH);
	conn_set_output_max(s->peer, 0, 0);
	/* What the client sent after its login line goes first. */
	pump(s->conn, s->peer, &s->relayed_in);
}
