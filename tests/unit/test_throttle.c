/* Tests for src/lib/throttle.c: address keys, delays, bans, windows, independence of addresses. */
#include <string.h>

#include "harness.h"
#include "lib/throttle.h"

static void
test_keys(void)
{
	char	 k[THROTTLE_KEY_MAX];

	throttle_key("192.0.2.7", k, sizeof(k));
	T_EQ_STR(k, "192.0.2.7");
	throttle_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", k, sizeof(k));
	T_EQ_STR(k, "2001:db8:1:2::/64");
	throttle_key("2001:db8:1:2::1", k, sizeof(k));
	T_EQ_STR(k, "2001:db8:1:2::/64");
	throttle_key("::ffff:192.0.2.7", k, sizeof(k));
	T_EQ_STR(k, "192.0.2.7");
	throttle_key("local", k, sizeof(k));
	T_EQ_STR(k, "local");
}

/* Attempts in flight count toward the limit: the ones beyond wait, a ban refuses. */
static void
test_in_flight(void)
{
	struct throttle	*t = throttle_new(3, 600, 900);
	unsigned	 f;
	time_t		 now = 1000;

	T_EQ_INT(throttle_begin(t, "a", now, &f), 0);
	T_EQ_INT(throttle_begin(t, "a", now, &f), 0);
	T_EQ_INT(throttle_begin(t, "a", now, &f), 0);
	T_EQ_INT(throttle_begin(t, "a", now, &f), 1);	/* waits */
	T_EQ_INT(throttle_begin(t, "b", now, &f), 0);	/* another address goes on */
	throttle_end(t, "a", now, 0);			/* a good one */
	T_EQ_INT(throttle_begin(t, "a", now, &f), 0);	/* the waiting one goes */
	throttle_end(t, "a", now, 1);
	throttle_end(t, "a", now, 1);
	throttle_end(t, "a", now, 1);
	T_EQ_INT(f, 0);
	T_EQ_INT(throttle_begin(t, "a", now, &f), -1);	/* three failures: refused */
	T_EQ_INT(f, 3);
	throttle_free(t);
}

static void
test_delays_and_ban(void)
{
	struct throttle	*t = throttle_new(10, 600, 900);
	unsigned	 n, i;
	time_t		 now = 1000;

	T_EQ_INT(throttle_delay(t, "a", now), 0);
	T_EQ_INT(throttle_fail(t, "a", now), 1);
	T_EQ_INT(throttle_fail(t, "a", now), 2);
	T_EQ_INT(throttle_delay(t, "a", now), 0);
	T_EQ_INT(throttle_fail(t, "a", now), 3);
	T_EQ_INT(throttle_delay(t, "a", now), 1);
	throttle_fail(t, "a", now);
	T_EQ_INT(throttle_delay(t, "a", now), 2);
	throttle_fail(t, "a", now);
	T_EQ_INT(throttle_delay(t, "a", now), 4);
	throttle_fail(t, "a", now);
	T_EQ_INT(throttle_delay(t, "a", now), 8);
	for (i = 0; i < 3; i++)
		throttle_fail(t, "a", now);
	T_EQ_INT(throttle_delay(t, "a", now), 8);
	T_ASSERT(!throttle_banned(t, "a", now, &n));
	T_EQ_INT(n, 9);
	T_EQ_INT(throttle_fail(t, "a", now), 10);
	T_ASSERT(throttle_banned(t, "a", now + 899, &n));
	T_EQ_INT(n, 10);
	/* Another address is not touched by a's failures. */
	T_ASSERT(!throttle_banned(t, "b", now, &n));
	T_EQ_INT(throttle_delay(t, "b", now), 0);
	/* The ban ends, and with it the count. */
	T_ASSERT(!throttle_banned(t, "a", now + 900, &n));
	T_EQ_INT(n, 0);
	T_EQ_INT(throttle_fail(t, "a", now + 901), 1);
	throttle_free(t);
}

static void
test_window(void)
{
	struct throttle	*t = throttle_new(3, 600, 900);
	unsigned	 n;

	throttle_fail(t, "a", 0);
	throttle_fail(t, "a", 599);
	/* The window started at the first failure and is over: counting starts again. */
	T_EQ_INT(throttle_fail(t, "a", 600), 1);
	T_ASSERT(!throttle_banned(t, "a", 600, &n));
	throttle_fail(t, "a", 601);
	T_EQ_INT(throttle_fail(t, "a", 602), 3);
	T_ASSERT(throttle_banned(t, "a", 603, &n));
	throttle_free(t);
}

void
test_main(void)
{
	t_run("keys", test_keys);
	t_run("in_flight", test_in_flight);
	t_run("delays_and_ban", test_delays_and_ban);
	t_run("window", test_window);
}
