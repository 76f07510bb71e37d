/* libFuzzer target: srs_reverse on arbitrary local parts, and forward/reverse round trips of the 12-character base32 hash. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "mail/srs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define DAY	86400

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* An accepted address is SRS0= then SRS_HASH_LEN base32 characters and '='. */
static void
check_form(const char *local)
{
	size_t	 i;

	if (strncasecmp(local, "SRS0=", 5) != 0 || strlen(local) < 5 + SRS_HASH_LEN + 1 ||
	    local[5 + SRS_HASH_LEN] != '=')
		abort();
	for (i = 5; i < 5 + SRS_HASH_LEN; i++)
		if (strchr(b32, toupper((unsigned char)local[i])) == NULL)
			abort();
}

/* What forward made: any case of it reverses, and any other hash character does not. */
static void
check_hash(char *fwd, time_t now, unsigned char pick)
{
	char		 back[600], *h = fwd + 5, saved;
	const char	*err = NULL;
	size_t		 i = pick % SRS_HASH_LEN;

	for (char *p = fwd; *p; p++)
		*p = (char)((pick & 1) ? tolower((unsigned char)*p) :
		    toupper((unsigned char)*p));
	if (srs_reverse("fuzz-key", NULL, fwd, now, DAY, back, sizeof(back),
	    &err) == -1)
		abort();
	saved = h[i];
	h[i] = b32[(strchr(b32, toupper((unsigned char)saved)) - b32 + 1 + pick % 31) % 32];
	if (srs_reverse("fuzz-key", NULL, fwd, now, DAY, back, sizeof(back),
	    &err) != -1)
		abort();
	h[i] = saved;
}

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
	} else {
		if (strchr(out, '@') == NULL)
			abort();
		check_form(s);
	}
	/* Read as a sender: what forward makes, reverse gives back. */
	if (srs_forward("fuzz-key", s, "fwd.example", now, fwd, sizeof(fwd),
	    &err) == 0) {
		if ((at = strrchr(fwd, '@')) == NULL)
			abort();
		*at = '\0';
		check_form(fwd);
		if (!srs_is_srs(fwd) || srs_reverse("other", "fuzz-key", fwd, now,
		    DAY, back, sizeof(back), &err) == -1)
			abort();
		check_hash(fwd, now, size > 0 ? data[0] : 0);
	}
	free(s);
	return 0;
}
