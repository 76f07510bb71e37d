/* Tests for src/net/pending.c: ids, lookups, removal against a plain array model. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net/pending.h"

static void
t_add_get_take(void)
{
	struct pending	*p = pending_new();
	int		 a, b;
	uint64_t	 ia, ib;

	ia = pending_add(p, &a);
	ib = pending_add(p, &b);
	T_ASSERT(ia != 0 && ib != 0 && ia != ib);
	T_ASSERT(pending_get(p, ia) == &a);
	T_ASSERT(pending_get(p, ib) == &b);
	T_ASSERT(pending_get(p, 0) == NULL);
	T_EQ_INT(pending_count(p), 2);
	T_ASSERT(pending_take(p, ia) == &a);
	T_ASSERT(pending_get(p, ia) == NULL);
	T_ASSERT(pending_take(p, ia) == NULL);
	T_ASSERT(pending_get(p, ib) == &b);
	T_EQ_INT(pending_count(p), 1);
	pending_free(p);
}

/* Random adds and removals, checked against a model, so deletion never breaks a probe chain. */
static void
t_model(void)
{
	enum { N = 5000 };
	struct pending	*p = pending_new();
	static uint64_t	 ids[N];
	static char	 live[N];
	uint32_t	 x = 12345;
	size_t		 i, k, n = 0, iter = 0, seen = 0;
	uint64_t	 id;
	void		*ptr;

	for (i = 0; i < 60000; i++) {
		x = x * 1103515245 + 12345;
		k = (x >> 8) % N;
		if (!live[k]) {
			/* Caller-chosen ids (multiples of 1024, apart from the added ones) cluster on purpose. */
			ids[k] = (x & 1) ? pending_add(p, &ids[k]) :
			    (uint64_t)(k + 1) * 1024 + (1ULL << 40);
			if (!(x & 1))
				pending_set(p, ids[k], &ids[k]);
			live[k] = 1;
			n++;
		} else {
			if (pending_take(p, ids[k]) != &ids[k]) {
				t_fail(__FILE__, __LINE__, "take lost entry %zu", k);
				return;
			}
			live[k] = 0;
			n--;
		}
	}
	T_EQ_INT(pending_count(p), n);
	for (k = 0; k < N; k++)
		if (live[k] && pending_get(p, ids[k]) != &ids[k]) {
			t_fail(__FILE__, __LINE__, "entry %zu not found", k);
			return;
		}
	while (pending_iter(p, &iter, &id, &ptr)) {
		T_ASSERT(ptr != NULL && *(uint64_t *)ptr == id);
		seen++;
	}
	T_EQ_INT(seen, n);
	pending_free(p);
}

void
test_main(void)
{
	t_run("add_get_take", t_add_get_take);
	t_run("model", t_model);
}
