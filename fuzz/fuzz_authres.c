/* libFuzzer target: Authentication-Results authserv-ids, the removal of forged fields of ours, our field read back, RFC 5322 3.6 counts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/authres.h"
#include "mail/dkim.h"
#include "mail/msgcheck.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
strip(const uint8_t *data, size_t size)
{
	char	*h = malloc(size + 1);
	size_t	 n, again, removed;

	memcpy(h, data, size);
	n = authres_strip(h, size, "mx.example.org", &removed);
	if (n > size || (removed == 0 && (n != size || memcmp(h, data, size) != 0)))
		abort();
	/* Nothing of ours is left to remove. */
	if (authres_strip(h, n, "mx.example.org", &again) != n || again != 0)
		abort();
	free(h);
}

/* The input as an authserv-id: what we write with it reads back as ours. */
static void
roundtrip(const uint8_t *data, size_t size)
{
	struct buf	 b;
	size_t		 i, skip = sizeof(AUTHRES_FIELD);
	char		 id[201];

	if (size == 0 || size > 200)
		return;
	for (i = 0; i < size; i++)
		if (data[i] < 0x20 || data[i] >= 0x7f)
			return;
	memcpy(id, data, size);
	id[size] = '\0';
	if (strcmp(id, ".") == 0)
		return;
	buf_init(&b, 0);
	if (authres_header(&b, id, NULL, 0) == -1)
		abort();
	if (!authres_is_ours(b.data + skip, b.len - skip, id))
		abort();
	buf_free(&b);
}

static void
counts(const uint8_t *data, size_t size)
{
	struct dkim_hdr	 h[64];
	const char	*errstr;
	char		 why[64];
	size_t		 n, body, i;

	if (dkim_hdr_split((const char *)data, size, h, 64, &n, &body, &errstr) == -1)
		return;
	(void)msgcheck_counts(h, n, why, sizeof(why));
	for (i = 0; i < n; i++) {
		char	 id[AUTHRES_ID_MAX + 1];

		(void)authres_id(h[i].value, h[i].valuelen, id, sizeof(id));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strip(data, size);
	roundtrip(data, size);
	counts(data, size);
	return 0;
}
