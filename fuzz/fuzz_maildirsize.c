/* libFuzzer target: the maildirsize parser, whose result written out again must parse to the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/quota.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quota_file	 qf, again;
	char			 text[256], lim[64];
	int			 n;

	if (quota_parse((const char *)data, size, &qf) == -1)
		return 0;
	if (size >= QUOTA_FILE_MAX || data[size - 1] != '\n')
		abort();
	/* Lines are at least "0 0\n": the count of them is bounded by the size. */
	if (qf.lines > size / 4)
		abort();
	/* The file a recalculation would write for these numbers says the same. */
	quota_format_limit(&qf.limit, lim, sizeof(lim));
	n = snprintf(text, sizeof(text), "%s\n%lld %lld\n", lim,
	    (long long)qf.bytes, (long long)qf.count);
	if (n <= 0 || (size_t)n >= sizeof(text) ||
	    quota_parse(text, (size_t)n, &again) == -1 ||
	    again.limit.bytes != qf.limit.bytes ||
	    again.limit.count != qf.limit.count ||
	    again.bytes != qf.bytes || again.count != qf.count ||
	    again.lines != 1)
		abort();
	return 0;
}
