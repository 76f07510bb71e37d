/* Tests for src/net/limits.c: the connection rate per client address. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "net/limits.h"

static struct sockaddr_in
v4(const char *text)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, text, &sin.sin_addr);
	return sin;
}

#define SA(x)	((const struct sockaddr *)&(x))

static void
test_rate_window(void)
{
	struct conn_limits	*l = conn_limits_new(100, 0, 1);
	struct sockaddr_in	 a = v4("192.0.2.1"), b = v4("192.0.2.2");
	long long		 t = 1000000;
	int			 i;

	/* 3 in 60 s: the fourth within the window is over, another address is not. */
	for (i = 0; i < 3; i++)
		T_EQ_INT(conn_limits_rate(l, SA(a), 3, 60, t + i * 1000), 0);
	T_EQ_INT(conn_limits_rate(l, SA(a), 3, 60, t + 5000), 1);
	T_EQ_INT(conn_limits_rate(l, SA(b), 3, 60, t + 5000), 0);
	/* Refused attempts count: hammering keeps it refused in the next window. */
	T_EQ_INT(conn_limits_rate(l, SA(a), 3, 60, t + 61000), 1);
	/* Two quiet windows later it is welcome again. */
	T_EQ_INT(conn_limits_rate(l, SA(a), 3, 60, t + 200000), 0);
	conn_limits_free(l);
}

static void
test_rate_sliding(void)
{
	struct conn_limits	*l = conn_limits_new(100, 0, 1);
	struct sockaddr_in	 a = v4("192.0.2.1");
	long long		 t = 0;

	/* 4 late in a window: only a share of them weighs on the next one. */
	T_EQ_INT(conn_limits_rate(l, SA(a), 4, 10, t), 0);
	T_EQ_INT(conn_limits_rate(l, SA(a), 4, 10, t + 9000), 0);
	T_EQ_INT(conn_limits_rate(l, SA(a), 4, 10, t + 9100), 0);
	T_EQ_INT(conn_limits_rate(l, SA(a), 4, 10, t + 9200), 0);
	/* At 15 s, half the last window still counts: 4 * 0.5 + 1 = 3. */
	T_EQ_INT(conn_limits_rate(l, SA(a), 4, 10, t + 15000), 0);
	T_EQ_INT(conn_limits_rate(l, SA(a), 4, 10, t + 15000), 0);
	/* 2 + 3 = 5 > 4 */
	T_EQ_INT(conn_limits_rate(l, SA(a), 4, 10, t + 15000), 1);
	conn_limits_free(l);
}

static void
test_rate_exempt(void)
{
	struct conn_limits	*l = conn_limits_new(100, 0, 1);
	struct sockaddr_in	 lo = v4("127.0.0.5"), a = v4("192.0.2.1");
	int			 i;

	for (i = 0; i < 10; i++)
		T_EQ_INT(conn_limits_rate(l, SA(lo), 1, 60, 1000), 0);
	/* No limit configured. */
	for (i = 0; i < 10; i++)
		T_EQ_INT(conn_limits_rate(l, SA(a), 0, 60, 1000), 0);
	T_EQ_INT(conn_limits_rate(l, NULL, 1, 60, 1000), 0);
	conn_limits_free(l);
}

/* Many addresses, each once: the ones gone quiet are forgotten, the rest kept. */
static void
test_rate_sweep(void)
{
	struct conn_limits	*l = conn_limits_new(100, 0, 1);
	struct sockaddr_in	 a;
	char			 text[32];
	int			 i;

	for (i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "10.0.%d.%d", i / 250, i % 250 + 1);
		a = v4(text);
		T_EQ_INT(conn_limits_rate(l, SA(a), 1, 10, 1000), 0);
	}
	T_ASSERT(conn_limits_rate_tracked(l) == 5000);
	/* Long after, the old ones are swept as new ones come; a known one is new again. */
	for (i = 0; i < 3500; i++) {
		snprintf(text, sizeof(text), "10.1.%d.%d", i / 250, i % 250 + 1);
		a = v4(text);
		T_EQ_INT(conn_limits_rate(l, SA(a), 1, 10, 100000), 0);
	}
	/*
	 * Sweeps come each time the map doubles (1024, 2048, 4096, 8192): the
	 * one at 8192 dropped the 5000 quiet ones.
	 */
	T_EQ_INT(conn_limits_rate_tracked(l), 3500);
	a = v4("10.0.0.1");
	T_EQ_INT(conn_limits_rate(l, SA(a), 1, 10, 100000), 0);
	/* A recent one is still counted. */
	a = v4("10.1.0.1");
	T_EQ_INT(conn_limits_rate(l, SA(a), 1, 10, 100000), 1);
	conn_limits_free(l);
}

void
test_main(void)
{
	t_run("rate_window", test_rate_window);
	t_run("rate_sliding", test_rate_sliding);
	t_run("rate_exempt", test_rate_exempt);
	t_run("rate_sweep", test_rate_sweep);
}
