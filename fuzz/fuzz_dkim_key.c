/* libFuzzer target: DKIM key records, and the base64 and quoted-printable decoders they and signatures use. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dkim_key.h"
#include "mail/dkim_tags.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_key(const char *s, size_t len)
{
	struct dkim_key	 k;
	const char	*errstr;

	if (dkim_key_parse(&k, s, len, &errstr) == -1) {
		if (k.pkey != NULL)
			abort();	/* nothing is left to free after an error */
		return;
	}
	if (k.revoked) {
		if (k.pkey != NULL)
			abort();
	} else if (k.type == DKIM_KEY_UNKNOWN) {
		if (k.pkey != NULL)
			abort();
	} else {
		if (k.pkey == NULL || k.bits <= 0 || k.bits > DKIM_RSA_MAX_BITS)
			abort();
		if (k.type == DKIM_KEY_ED25519 ? !EVP_PKEY_is_a(k.pkey,
		    "ED25519") : !EVP_PKEY_is_a(k.pkey, "RSA"))
			abort();
	}
	dkim_key_clear(&k);
}

/* Decoding, encoding and decoding again gives the same octets. */
static void
check_b64(const char *s, size_t len)
{
	unsigned char	 a[768], b[768];
	char		 e[1100];
	long		 n, m;

	if ((n = dkim_b64_decode(s, len, a, sizeof(a))) < 0)
		return;
	if (dkim_b64_encode(a, (size_t)n, e, sizeof(e)) == -1)
		abort();
	m = dkim_b64_decode(e, strlen(e), b, sizeof(b));
	if (m != n || memcmp(a, b, (size_t)n) != 0)
		abort();
}

static void
check_qp(const char *s, size_t len)
{
	char	 out[600];

	if (dkim_qp_decode(s, len, out, sizeof(out)) == 0 &&
	    strlen(out) > len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;

	check_key(s, size);
	check_b64(s, size);
	check_qp(s, size);
	return 0;
}
