/* libFuzzer target: MX record data from DNS answers (preference and exchange name) and the MX ordering. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "mta/mx.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint32_t
fixed(void *arg)
{
	uint32_t	*s = arg;

	return *s = *s * 1103515245u + 12345u;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_host	 h[8];
	size_t		 n = 0, off = 0, i;
	uint32_t	 seed = 7;

	/* Records are length-prefixed (one byte), as many as fit. */
	while (off < size && n < 8) {
		size_t	 len = data[off++];

		if (len > size - off)
			break;
		if (mx_parse(data + off, len, &h[n]) == 0) {
			size_t	 l = strlen(h[n].name);

			if (l > 253 || h[n].pref < 0 || h[n].pref > 65535)
				abort();
			for (i = 0; i < l; i++)
				if ((unsigned char)h[n].name[i] <= 0x20 ||
				    (unsigned char)h[n].name[i] >= 0x7f)
					abort();
			n++;
		}
		off += len;
	}
	(void)mx_is_null(h, n);
	mx_order(h, n, fixed, &seed);
	for (i = 1; i < n; i++)
		if (h[i - 1].pref > h[i].pref)
			abort();
	if (n > 0)
		(void)mx_backup_cut(h, n, h[n - 1].name);
	return 0;
}
