/* libFuzzer target: DNS list zone specifications, A verdicts and TXT record data from answers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dnsbl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsbl_zone	 z;
	const char		*err = NULL;
	char			 spec[300], out[64], name[DNSBL_NAME_MAX + 1];
	unsigned char		*rd;
	size_t			 n, i;
	enum dnsbl_verdict	 v;

	/* The first line is a zone specification, the rest record data. */
	for (n = 0; n < size && data[n] != '\n' && n < sizeof(spec) - 1; n++)
		spec[n] = (char)data[n];
	spec[n] = '\0';
	if (dnsbl_zone_parse(&z, spec, &err) == 0) {
		if (z.zone[0] == '\0' || strlen(z.zone) > DNSBL_NAME_MAX)
			abort();
		if (dnsbl_name_domain("a.example", z.zone, name, sizeof(name)) == 0 &&
		    strlen(name) > DNSBL_NAME_MAX)
			abort();
	} else if (err == NULL)
		abort();
	data += n;
	size -= n;
	if ((rd = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(rd, data, size);
	if (dnsbl_txt(rd, size, out, sizeof(out)) == 0) {
		if (strlen(out) >= sizeof(out))
			abort();
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] < 0x20 || out[i] >= 0x7f)
				abort();
	}
	if (size >= 4) {
		struct dnsbl_zone	 any;

		(void)dnsbl_zone_parse(&any, "zen.example", &err);
		v = dnsbl_verdict_a(&any, rd, 4);
		if (v == DNSBL_LISTED && rd[0] != 127)
			abort();
	}
	free(rd);
	return 0;
}
