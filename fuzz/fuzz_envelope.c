/* libFuzzer target: envelope_parse on arbitrary bytes, and the round trip of what it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope	 e, again;
	struct buf	 b, b2;
	const char	*err = NULL;
	size_t		 i;

	if (envelope_parse(&e, (const char *)data, size, 7, &err) == -1) {
		if (err == NULL || e.ndeliveries != 0 || e.sender != NULL)
			abort();
		return 0;
	}
	for (i = 0; i < e.ndeliveries; i++) {
		size_t	 off = e.deliveries[i].state_offset - 7;

		if (off >= size || data[off] != (uint8_t)e.deliveries[i].state)
			abort();
	}
	/* What was accepted is written back and read again to the same text. */
	buf_init(&b, 0);
	buf_init(&b2, 0);
	if (envelope_serialize(&e, &b) == -1)
		abort();
	if (envelope_parse(&again, b.data, b.len, 0, &err) == -1)
		abort();
	if (envelope_serialize(&again, &b2) == -1 || b.len != b2.len ||
	    memcmp(b.data, b2.data, b.len) != 0)
		abort();
	envelope_free(&again);
	envelope_free(&e);
	buf_free(&b);
	buf_free(&b2);
	return 0;
}
