/* libFuzzer target: the queue file trailer parser, and its agreement with the writer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/spool.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 t[SPOOL_TRAILER_LEN];
	size_t	 m, e;

	if (spool_trailer_parse((const char *)data, size, &m, &e) == -1)
		return 0;
	if (size != SPOOL_TRAILER_LEN)
		abort();
	/* An accepted trailer is exactly what the writer makes of its numbers. */
	spool_trailer_format(t, m, e);
	if (memcmp(t, data, SPOOL_TRAILER_LEN) != 0)
		abort();
	return 0;
}
