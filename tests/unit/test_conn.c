/* Tests for src/net/conn.c on a socketpair: the line reader and output back-pressure. */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "harness.h"
#include "net/conn.h"

struct seen {
	int	 input, closed;
};

static void
on_event(struct conn *c, enum conn_event ev, void *arg)
{
	struct seen	*s = arg;

	if (ev == CONN_EV_INPUT)
		s->input++;
	else if (ev == CONN_EV_CLOSED)
		s->closed++;
}

static void
spin(struct event_base *base, int rounds)
{
	while (rounds-- > 0)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void
t_lines(void)
{
	struct event_base	*base = event_base_new();
	struct seen		 seen = { 0, 0 };
	struct conn		*c;
	char			*line, big[300];
	size_t			 n;
	int			 sv[2];

	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(base, sv[0], on_event, &seen);
	conn_set_line_max(c, 100);
	memset(big, 'x', sizeof(big));
	T_ASSERT(write(sv[1], "one\r\ntwo\n", 9) == 9);
	T_ASSERT(write(sv[1], big, sizeof(big)) == (ssize_t)sizeof(big));
	T_ASSERT(write(sv[1], "\r\nthree\n", 8) == 8);
	spin(base, 10);
	T_ASSERT(seen.input > 0);
	T_EQ_INT(conn_getline(c, &line, &n), CONN_LINE_OK);
	T_EQ_STR(line, "one");
	T_EQ_INT(n, 3);
	T_EQ_INT(conn_getline(c, &line, &n), CONN_LINE_OK);
	T_EQ_STR(line, "two");
	/* 300 bytes over a 100-byte maximum: skipped to its end, reported once. */
	T_EQ_INT(conn_getline(c, &line, &n), CONN_LINE_TOO_LONG);
	T_EQ_INT(conn_getline(c, &line, &n), CONN_LINE_OK);
	T_EQ_STR(line, "three");
	T_EQ_INT(conn_getline(c, &line, &n), CONN_LINE_MORE);
	conn_abort(c);
	close(sv[1]);
	event_base_free(base);
}

/*
 * A peer that sends and never reads: once the replies pile up past the high
 * mark, the connection stops reading it, so its input waits in the kernel;
 * when the peer reads, the connection reads again and says so.
 */
static void
t_back_pressure(void)
{
	struct event_base	*base = event_base_new();
	struct seen		 seen = { 0, 0 };
	struct conn		*c;
	char			 chunk[4096], sink[65536];
	size_t			 written = 0;
	ssize_t			 r;
	int			 sv[2], i;

	memset(chunk, 'r', sizeof(chunk));
	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	T_ASSERT(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	c = conn_new(base, sv[0], on_event, &seen);
	conn_set_output_max(c, 8192, 2048);
	/* Replies the peer does not read: far more than the socket takes. */
	while (conn_ready(c) && written < 64 * 1024 * 1024) {
		conn_write(c, chunk, sizeof(chunk));
		written += sizeof(chunk);
		spin(base, 2);
	}
	T_ASSERT(!conn_ready(c));
	/* The peer sends a lot meanwhile: none of it enters the connection. */
	for (i = 0; i < 64; i++)
		(void)!write(sv[1], chunk, sizeof(chunk));
	seen.input = 0;
	spin(base, 20);
	T_EQ_INT(conn_input_len(c), 0);
	T_EQ_INT(seen.input, 0);
	T_ASSERT(!conn_ready(c));
	/* The peer reads its replies: output falls, reading resumes, the owner hears. */
	for (i = 0; i < 2000 && !(seen.input > 0 && conn_input_len(c) > 0); i++) {
		while ((r = read(sv[1], sink, sizeof(sink))) > 0)
			;
		spin(base, 2);
	}
	T_ASSERT(seen.input > 0);
	T_ASSERT(conn_ready(c));
	T_ASSERT(conn_input_len(c) > 0);
	conn_abort(c);
	close(sv[1]);
	event_base_free(base);
}

void
test_main(void)
{
	t_run("lines", t_lines);
	t_run("back_pressure", t_back_pressure);
}
