/* libFuzzer target: srs_reverse on arbitrary local parts, and forward/reverse round trips. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "mail/srs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define DAY	86400

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, out[600], fwd[600], back[600], *at;
	const char	*err = NULL;
	time_t		 now = (time_t)19675 * DAY;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* Whatever it is, the answer is a clean yes or no. */
	if (srs_reverse("fuzz-key", "old-key", s, now, 4 * DAY, out, sizeof(out),
	    &err) == -1) {
		if (err == NULL)
			abort();
	} else if (strchr(out, '@') == NULL)
		abort();
	/* Read as a sender: what forward makes, reverse gives back. */
	if (srs_forward("fuzz-key", s, "fwd.example", now, fwd, sizeof(fwd),
	    &err) == 0) {
		if ((at = strrchr(fwd, '@')) == NULL)
			abort();
		*at = '\0';
		if (!srs_is_srs(fwd) || srs_reverse("other", "fuzz-key", fwd, now,
		    DAY, back, sizeof(back), &err) == -1)
			abort();
	}
	free(s);
	return 0;
}
