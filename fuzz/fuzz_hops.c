/* libFuzzer target: hops_feed, where any split of the input gives the counts of one whole feed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/hops.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
ours(void *arg, const char *addr)
{
	if (strlen(addr) > HOPS_VALUE_MAX)
		abort();	/* never more than was kept */
	return strcasecmp(addr, "a@b.example") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hops	 whole, split;
	const char	*p = (const char *)data;
	size_t		 cut = size > 0 ? data[0] * size / 256 : 0, i;

	hops_init(&whole, ours, NULL);
	hops_feed(&whole, p, size);
	hops_end(&whole);
	/* One cut chosen by the input, and single octets up to it. */
	hops_init(&split, ours, NULL);
	for (i = 0; i < cut; i++)
		hops_feed(&split, p + i, 1);
	hops_feed(&split, p + cut, size - cut);
	hops_end(&split);
	if (whole.received != split.received || whole.delivered != split.delivered)
		abort();
	/* Each counted field took at least a line of its own. */
	if ((size_t)whole.received * 10 > size + 10 || (size_t)whole.delivered * 14 > size + 14)
		abort();
	return 0;
}
