/* SORT's order (RFC 5256 3, RFC 5957): criteria in turn, then the order of the mailbox. */
#include <stdlib.h>
#include <string.h>

#include "imap/sort.h"

struct crit {
	const struct imap_sort_crit	*c;
	size_t				 n;
};

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_str(const struct sort_item *a, const struct sort_item *b, int k)
{
	size_t	 n = a->len[k] < b->len[k] ? a->len[k] : b->len[k];
	int	 r = n ? memcmp(a->str[k], b->str[k], n) : 0;

	if (r != 0)
		return r < 0 ? -1 : 1;
	return cmp_u64(a->len[k], b->len[k]);
}

static int
cmp(const void *x, const void *y, void *arg)
{
	const struct sort_item	*a = x, *b = y;
	const struct crit	*c = arg;
	size_t			 i;
	int			 r;

	for (i = 0; i < c->n; i++) {
		switch (c->c[i].key) {
		case IMAP_SORT_ARRIVAL:
			r = cmp_i64(a->arrival, b->arrival);
			break;
		case IMAP_SORT_DATE:
			r = cmp_i64(a->date, b->date);
			break;
		case IMAP_SORT_SIZE:
			r = cmp_u64(a->size, b->size);
			break;
		default:
			r = cmp_str(a, b, c->c[i].key);
			break;
		}
		if (r != 0)
			return c->c[i].reverse ? -r : r;
	}
	/* RFC 5256 3: exact matches keep the mailbox's order. */
	return cmp_u64(a->seq, b->seq);
}

void
sort_items(struct sort_item *v, size_t n, const struct imap_sort_crit *c,
    size_t ncrit)
{
	struct crit	 k = { c, ncrit };

	if (n > 1)
		qsort_r(v, n, sizeof(*v), cmp, &k);
}
