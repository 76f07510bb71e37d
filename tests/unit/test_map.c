/* Unit tests for the insertion-ordered hash map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/map.h"
#include "lib/xalloc.h"

static void
test_basic(void)
{
	struct map	*m = map_new();
	int		 a = 1, b = 2, c = 3;

	T_EQ_INT(map_count(m), 0);
	T_ASSERT(map_get(m, "a") == NULL);
	T_ASSERT(map_set(m, "a", &a) == NULL);
	T_ASSERT(map_set(m, "b", &b) == NULL);
	T_ASSERT(map_get(m, "a") == &a);
	T_ASSERT(map_get(m, "b") == &b);
	T_ASSERT(map_has(m, "b"));
	T_ASSERT(!map_has(m, "B"));
	T_ASSERT(!map_has(m, ""));
	/* Replacing returns the old value and keeps the count. */
	T_ASSERT(map_set(m, "a", &c) == &a);
	T_ASSERT(map_get(m, "a") == &c);
	T_EQ_INT(map_count(m), 2);
	T_ASSERT(map_del(m, "a") == &c);
	T_ASSERT(map_del(m, "a") == NULL);
	T_ASSERT(!map_has(m, "a"));
	T_EQ_INT(map_count(m), 1);
	/* The empty key is a key like any other. */
	T_ASSERT(map_set(m, "", &a) == NULL);
	T_ASSERT(map_get(m, "") == &a);
	map_free(m, NULL);
}

static void
test_order(void)
{
	struct map	*m = map_new();
	const char	*keys[] = { "zeta", "alpha", "mid", "beta", "omega" };
	const char	*k;
	void		*v;
	size_t		 it = 0, n = 0;
	int		 vals[5];

	for (size_t i = 0; i < 5; i++) {
		vals[i] = (int)i;
		map_set(m, keys[i], &vals[i]);
	}
	map_del(m, "mid");
	/* Re-adding puts the key at the end, as a new insertion. */
	map_set(m, "mid", &vals[2]);
	{
		const char *want[] = { "zeta", "alpha", "beta", "omega", "mid" };

		while (map_iter(m, &it, &k, &v)) {
			T_ASSERT(n < 5);
			T_EQ_STR(k, want[n]);
			n++;
		}
	}
	T_EQ_INT(n, 5);
	map_free(m, NULL);
}

static void
test_many(void)
{
	struct map	*m = map_new();
	char		 key[32];
	size_t		 i, it = 0, n = 0;
	const char	*k;
	void		*v;

	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "key%zu", i);
		map_set(m, key, xstrdup(key));
	}
	T_EQ_INT(map_count(m), 20000);
	/* Delete the odd ones: churn tombstones, then re-add some. */
	for (i = 1; i < 20000; i += 2) {
		snprintf(key, sizeof(key), "key%zu", i);
		free(map_del(m, key));
	}
	T_EQ_INT(map_count(m), 10000);
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "key%zu", i);
		if (i % 2)
			T_ASSERT(map_get(m, key) == NULL);
		else
			T_EQ_STR(map_get(m, key), key);
	}
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "tmp%zu", i % 7);
		map_set(m, key, NULL);
		map_del(m, key);
	}
	T_EQ_INT(map_count(m), 10000);
	while (map_iter(m, &it, &k, &v)) {
		T_EQ_STR(k, v);
		n++;
	}
	T_EQ_INT(n, 10000);
	map_free(m, free);
}

void
test_main(void)
{
	t_run("basic", test_basic);
	t_run("order", test_order);
	t_run("many", test_many);
}
