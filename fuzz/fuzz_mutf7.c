/* libFuzzer target: modified UTF-7, where what decodes must encode back to the same bytes and vice versa. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/mutf7.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 a, b;
	const char	*err;
	const char	*s = (const char *)data;
	size_t		 i;

	buf_init(&a, 0);
	buf_init(&b, 0);
	/* Modified UTF-7 in: one spelling per name, so encoding gives it back. */
	err = NULL;
	if (mutf7_decode(&a, s, size, &err) == 0) {
		if (mutf7_encode(&b, a.data ? a.data : "", a.len, &err) == -1 ||
		    b.len != size || (size && memcmp(b.data, s, size) != 0))
			abort();
	} else if (err == NULL || a.len != 0)
		abort();
	buf_reset(&a);
	buf_reset(&b);
	/* UTF-8 in: printable ASCII out, and decoding gives the input back. */
	err = NULL;
	if (mutf7_encode(&a, s, size, &err) == 0) {
		for (i = 0; i < a.len; i++)
			if (a.data[i] < 0x20 || a.data[i] > 0x7e)
				abort();
		if (mutf7_decode(&b, a.data ? a.data : "", a.len, &err) == -1 ||
		    b.len != size || (size && memcmp(b.data, s, size) != 0))
			abort();
	} else if (err == NULL || a.len != 0)
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
