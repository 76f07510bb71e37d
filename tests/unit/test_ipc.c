/* ipc channels and the worker pool: messages, strings, fds, ordering, completion on the loop. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "harness.h"
#include "lib/ipc.h"
#include "lib/pool.h"

struct rx {
	struct event_base	*base;
	int			 n;
	int			 closed;
	uint32_t		 last_u32;
	uint64_t		 last_id;
	char			 s1[64], s2[64];
	int			 s2_null;
	int			 fd;
	char			 big_ok;
	int			 order_ok;
};

static void
on_msg(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct rx	*rx = arg;
	const char	*a, *b;
	size_t		 len, i;
	const unsigned char *d;

	if (m == NULL) {
		rx->closed = 1;
		event_base_loopexit(rx->base, NULL);
		return;
	}
	switch (m->type) {
	case 1:
		rx->last_u32 = ipc_get_u32(m);
		a = ipc_get_str(m);
		b = ipc_get_str(m);
		(void)ipc_get_u64(m);
		ipc_get_end(m);
		snprintf(rx->s1, sizeof(rx->s1), "%s", a);
		rx->s2_null = b == NULL;
		rx->fd = m->fd;
		break;
	case 2:
		d = ipc_get_data(m, &len);
		ipc_get_end(m);
		rx->big_ok = len == 50000;
		for (i = 0; i < len; i++)
			if (d[i] != (unsigned char)(i * 7))
				rx->big_ok = 0;
		break;
	case 3:
		/* ids must arrive in the order sent */
		rx->order_ok = m->id == (uint64_t)rx->n;
		(void)ipc_get_u32(m);
		ipc_get_end(m);
		break;
	}
	rx->last_id = m->id;
	rx->n++;
	if (rx->n == 103)
		event_base_loopexit(rx->base, NULL);
}

static void
t_messages_strings_fds(void)
{
	struct event_base	*base = event_base_new();
	struct rx		 rx;
	struct ipc		*a, *b;
	struct ipc_out		 o;
	int			 sv[2], p[2], i;
	unsigned char		*big = malloc(50000);
	char			 got[8] = "";

	memset(&rx, 0, sizeof(rx));
	rx.base = base;
	rx.fd = -1;
	T_ASSERT(ipc_pair(sv) == 0);
	T_ASSERT(pipe(p) == 0);
	a = ipc_new(base, sv[0], "a", on_msg, &rx);
	b = ipc_new(base, sv[1], "b", on_msg, &rx);

	ipc_begin(&o, 1, 42);
	ipc_add_u32(&o, 7);
	ipc_add_str(&o, "hello");
	ipc_add_str(&o, NULL);
	ipc_add_u64(&o, 99);
	ipc_add_fd(&o, p[1]);
	ipc_send(a, &o);
	for (i = 0; i < 50000; i++)
		big[i] = (unsigned char)(i * 7);
	ipc_begin(&o, 2, 43);
	ipc_add_data(&o, big, 50000);
	ipc_send(a, &o);
	/* More than the socket buffer holds at once: the queue must keep them in order. */
	for (i = 2; i < 103; i++) {
		ipc_begin(&o, 3, (uint64_t)i);
		ipc_add_u32(&o, (uint32_t)i);
		ipc_send(a, &o);
	}
	event_base_dispatch(base);
	T_EQ_INT(rx.n, 103);
	T_EQ_INT(rx.last_u32, 7);
	T_EQ_STR(rx.s1, "hello");
	T_ASSERT(rx.s2_null);
	T_ASSERT(rx.big_ok);
	T_ASSERT(rx.order_ok);
	T_ASSERT(rx.fd >= 0);
	/* The passed descriptor is the pipe's write end: what goes in comes out. */
	T_EQ_INT(write(rx.fd, "pipe", 4), 4);
	T_EQ_INT(read(p[0], got, 4), 4);
	T_EQ_STR(got, "pipe");
	close(rx.fd);
	close(p[0]);
	/* Closing one end is seen by the other as a NULL message. */
	ipc_free(a);
	event_base_dispatch(base);
	T_ASSERT(rx.closed);
	ipc_free(b);
	free(big);
	event_base_free(base);
}

struct rx2 {
	struct event_base	*base;
	int			 fd, fd2, nmsg;
};

static void
on_two(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct rx2	*rx = arg;

	if (m == NULL)
		return;
	(void)ipc_get_u32(m);
	ipc_get_end(m);
	if (rx->nmsg++ == 0) {
		rx->fd = m->fd;
		rx->fd2 = m->fd2;
	} else {
		/* A message with one keeps fd2 unset. */
		T_ASSERT(m->fd >= 0);
		T_EQ_INT(m->fd2, -1);
		close(m->fd);
		event_base_loopexit(rx->base, NULL);
	}
}

/* Two descriptors in one message arrive in the order added. */
static void
t_two_fds(void)
{
	struct event_base	*base = event_base_new();
	struct rx2		 rx = { base, -1, -1, 0 };
	struct ipc		*a, *b;
	struct ipc_out		 o;
	int			 sv[2], p1[2], p2[2], p3[2];
	char			 got[8] = "";

	T_ASSERT(ipc_pair(sv) == 0);
	T_ASSERT(pipe(p1) == 0 && pipe(p2) == 0 && pipe(p3) == 0);
	a = ipc_new(base, sv[0], "a", on_two, &rx);
	b = ipc_new(base, sv[1], "b", on_two, &rx);
	ipc_begin(&o, 1, 1);
	ipc_add_fd(&o, p1[1]);
	ipc_add_fd(&o, p2[1]);
	ipc_add_u32(&o, 5);
	ipc_send(a, &o);
	ipc_begin(&o, 1, 2);
	ipc_add_fd(&o, p3[1]);
	ipc_add_u32(&o, 6);
	ipc_send(a, &o);
	event_base_dispatch(base);
	T_EQ_INT(rx.nmsg, 2);
	T_ASSERT(rx.fd >= 0 && rx.fd2 >= 0);
	T_EQ_INT(write(rx.fd, "one", 3), 3);
	T_EQ_INT(write(rx.fd2, "two", 3), 3);
	close(rx.fd);
	close(rx.fd2);
	T_EQ_INT(read(p1[0], got, 3), 3);
	T_EQ_STR(got, "one");
	T_EQ_INT(read(p2[0], got, 3), 3);
	T_EQ_STR(got, "two");
	close(p1[0]);
	close(p2[0]);
	close(p3[0]);
	ipc_free(a);
	ipc_free(b);
	event_base_free(base);
}

struct rx3 {
	struct event_base	*base;
	int			 n, in_order, closed_after;
};

static void
on_then_close(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct rx3	*rx = arg;

	if (m == NULL) {
		rx->closed_after = rx->n;
		event_base_loopexit(rx->base, NULL);
		return;
	}
	if (m->id != (uint64_t)rx->n)
		rx->in_order = 0;
	(void)ipc_get_u32(m);
	ipc_get_end(m);
	T_ASSERT(m->fd >= 0);
	close(m->fd);
	rx->n++;
}

/*
 * Messages are read several at a time: those sent just before the other end
 * closed all arrive, in order, each with its descriptor, and only then the
 * close.
 */
static void
t_messages_before_close_all_arrive(void)
{
	struct event_base	*base = event_base_new();
	struct rx3		 rx = { base, 0, 1, -1 };
	struct ipc		*a, *b;
	struct ipc_out		 o;
	int			 sv[2], p[2], i;

	T_ASSERT(ipc_pair(sv) == 0);
	T_ASSERT(pipe(p) == 0);
	a = ipc_new(base, sv[0], "a", on_then_close, &rx);
	b = ipc_new(base, sv[1], "b", on_then_close, &rx);
	for (i = 0; i < 11; i++) {
		ipc_begin(&o, 1, (uint64_t)i);
		ipc_add_u32(&o, (uint32_t)i);
		ipc_add_fd(&o, dup(p[1]));
		ipc_send(a, &o);
	}
	ipc_free(a);
	event_base_dispatch(base);
	T_EQ_INT(rx.n, 11);
	T_ASSERT(rx.in_order);
	T_EQ_INT(rx.closed_after, 11);
	close(p[0]);
	close(p[1]);
	ipc_free(b);
	event_base_free(base);
}

static int	 pool_done_count;
static struct event_base *pool_base;

static void
pool_work(void *arg)
{
	int	*v = arg;

	usleep(1000);
	*v *= 2;
}

static void
pool_done(void *arg)
{
	int	*v = arg;

	if (*v % 2 == 0)
		pool_done_count++;
	if (pool_done_count == 200)
		event_base_loopexit(pool_base, NULL);
}

static void
t_pool_runs_work_and_completes_on_loop(void)
{
	struct pool	*p;
	int		 vals[200], i;

	pool_base = event_base_new();
	p = pool_new(pool_base, 8);
	for (i = 0; i < 200; i++) {
		vals[i] = i + 1;
		pool_run(p, pool_work, pool_done, &vals[i]);
	}
	T_EQ_INT(pool_pending(p), 200);
	event_base_dispatch(pool_base);
	T_EQ_INT(pool_done_count, 200);
	T_EQ_INT(pool_pending(p), 0);
	for (i = 0; i < 200; i++)
		T_EQ_INT(vals[i], 2 * (i + 1));
}

void
test_main(void)
{
	t_run("messages_strings_fds", t_messages_strings_fds);
	t_run("two_fds", t_two_fds);
	t_run("messages_before_close_all_arrive",
	    t_messages_before_close_all_arrive);
	t_run("pool", t_pool_runs_work_and_completes_on_loop);
}
