/* Login tickets: HMAC-SHA256 of login, listener and expiry under the parent's key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "lib/digits.h"
#include "lib/log.h"
#include "lib/ticket.h"

#define KEY_LEN	32

static unsigned char	key[KEY_LEN];
static int		have_key;

void
ticket_key_init(void)
{
	if (RAND_bytes(key, sizeof(key)) != 1)
		fatalx("ticket: no random bytes for the key");
	have_key = 1;
}

void
ticket_key_forget(void)
{
	OPENSSL_cleanse(key, sizeof(key));
	have_key = 0;
}

/* The MAC of the three fields, NUL-separated so no two inputs run together. */
static int
mac(const char *login, uint32_t listener, long long expiry, unsigned char *md)
{
	char		 text[600];
	unsigned int	 mdlen = 0;
	int		 n;

	n = snprintf(text, sizeof(text), "tegami-ticket-1%c%s%c%u%c%lld", 0,
	    login, 0, listener, 0, expiry);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	if (HMAC(EVP_sha256(), key, sizeof(key), (unsigned char *)text,
	    (size_t)n, md, &mdlen) == NULL || mdlen != 32)
		return -1;
	return 0;
}

int
ticket_make(const char *login, uint32_t listener, time_t now, char *out,
    size_t outlen)
{
	unsigned char	 md[32];
	long long	 expiry = (long long)now + TICKET_TTL;
	size_t		 i;
	int		 n;

	if (!have_key || mac(login, listener, expiry, md) == -1)
		return -1;
	n = snprintf(out, outlen, "%lld.", expiry);
	if (n < 0 || (size_t)n + sizeof(md) * 2 + 1 > outlen)
		return -1;
	for (i = 0; i < sizeof(md); i++) {
		out[n + i * 2] = "0123456789abcdef"[md[i] >> 4];
		out[n + i * 2 + 1] = "0123456789abcdef"[md[i] & 15];
	}
	out[n + sizeof(md) * 2] = '\0';
	return 0;
}

int
ticket_check(const char *ticket, const char *login, uint32_t listener,
    time_t now)
{
	unsigned char	 md[32], got[32];
	const char	*hex;
	char		*end;
	long long	 expiry;
	size_t		 i;
	int		 hi, lo;

	if (!have_key || ticket == NULL || login == NULL)
		return 0;
	expiry = strtoll(ticket, &end, 10);
	if (end == ticket || *end != '.' || expiry < (long long)now ||
	    expiry > (long long)now + TICKET_TTL)
		return 0;
	hex = end + 1;
	if (strlen(hex) != sizeof(got) * 2)
		return 0;
	for (i = 0; i < sizeof(got); i++) {
		if ((hi = hex_value(hex[i * 2])) < 0 ||
		    (lo = hex_value(hex[i * 2 + 1])) < 0)
			return 0;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (mac(login, listener, expiry, md) == -1)
		return 0;
	return CRYPTO_memcmp(md, got, sizeof(md)) == 0;
}
