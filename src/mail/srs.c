/* SRS0 addresses: HMAC-SHA256 over the day stamp and the original address, checked on the way back. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mail/addr.h"
#include "mail/srs.h"

#define SRS_DAY		86400
#define SRS_TS_MOD	1024	/* two base32 characters */

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void
timestamp(time_t now, char out[3])
{
	unsigned	 d = (unsigned)((now / SRS_DAY) % SRS_TS_MOD);

	out[0] = b32[(d >> 5) & 31];
	out[1] = b32[d & 31];
	out[2] = '\0';
}

/* Base32 of HMAC-SHA256(key, ts domain local) lowercased, SRS_HASH_LEN characters. */
static int
hash(const char *key, const char *ts, const char *domain, const char *local,
    char out[SRS_HASH_LEN + 1])
{
	unsigned char	 data[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 8];
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0, acc = 0, bits = 0;
	size_t		 n = 0, i, l, o;
	const char	*parts[3] = { ts, domain, local };

	for (i = 0; i < 3; i++) {
		l = strlen(parts[i]);
		if (l > sizeof(data) - n)
			return -1;
		memcpy(data + n, parts[i], l);
		n += l;
	}
	/* Case is not kept by every relay on the way back; the hash ignores it. */
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)tolower(data[i]);
	if (HMAC(EVP_sha256(), key, (int)strlen(key), data, n, mac, &maclen) ==
	    NULL || maclen * 8 < SRS_HASH_LEN * 5)
		return -1;
	for (i = 0, o = 0; o < SRS_HASH_LEN; ) {
		if (bits < 5) {
			acc = (acc << 8 | mac[i++]) & 0xffff;
			bits += 8;
		}
		out[o++] = b32[(acc >> (bits - 5)) & 31];
		bits -= 5;
	}
	out[SRS_HASH_LEN] = '\0';
	return 0;
}

int
srs_forward(const char *key, const char *sender, const char *fwd_domain,
    time_t now, char *out, size_t outlen, const char **errstr)
{
	struct mailaddr	 ma, res;
	char		 ts[3], h[SRS_HASH_LEN + 1], local[256], full[600];

	if (key == NULL || *key == '\0') {
		*errstr = "no srs key";
		return -1;
	}
	if (addr_parse(&ma, sender, 1, errstr) == -1)
		return -1;
	if (ma.domain[0] == '\0' || ma.local[0] == '"' ||
	    ma.domain[0] == '[') {
		*errstr = "not a plain address";
		return -1;
	}
	timestamp(now, ts);
	if (hash(key, ts, ma.domain, ma.local, h) == -1) {
		*errstr = "cannot compute the hash";
		return -1;
	}
	if ((size_t)snprintf(local, sizeof(local), "SRS0=%s=%s=%s=%s", h, ts,
	    ma.domain, ma.local) >= sizeof(local) || strlen(local) >
	    ADDR_LOCAL_MAX) {
		*errstr = "SRS address would be too long";
		return -1;
	}
	snprintf(full, sizeof(full), "%s@%s", local, fwd_domain);
	/* What we hand out must come back through our own RCPT parser. */
	if (addr_parse(&res, full, 1, errstr) == -1)
		return -1;
	if ((size_t)snprintf(out, outlen, "%s", full) >= outlen) {
		*errstr = "output too small";
		return -1;
	}
	return 0;
}

int
srs_is_srs(const char *local)
{
	return strncasecmp(local, "SRS0=", 5) == 0;
}

static int
b32val(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b32, toupper((unsigned char)c))) == NULL)
		return -1;
	return (int)(p - b32);
}

static int
hash_ok(const char *key, const char *ts, const char *domain,
    const char *local, const char *given)
{
	char	 h[SRS_HASH_LEN + 1], g[SRS_HASH_LEN + 1];
	size_t	 i;

	if (key == NULL || *key == '\0' || hash(key, ts, domain, local, h) == -1)
		return 0;
	for (i = 0; i < SRS_HASH_LEN; i++)
		g[i] = (char)toupper((unsigned char)given[i]);
	return CRYPTO_memcmp(h, g, SRS_HASH_LEN) == 0;
}

int
srs_reverse(const char *key, const char *key_backup, const char *local,
    time_t now, time_t ttl, char *out, size_t outlen, const char **errstr)
{
	char		 given[SRS_HASH_LEN + 1], ts[3], domain[ADDR_DOMAIN_MAX + 1];
	const char	*p, *eq, *orig;
	struct mailaddr	 ma;
	long		 age, maxage;
	int		 hi, lo;
	size_t		 n;

	if (strlen(local) > ADDR_LOCAL_MAX || !srs_is_srs(local)) {
		*errstr = "not an SRS0 address";
		return -1;
	}
	p = local + 5;
	/* HHHH=TT=domain=local: the hash and stamp have fixed sizes. */
	if (strlen(p) < SRS_HASH_LEN + 1 || p[SRS_HASH_LEN] != '=') {
		*errstr = "malformed SRS address";
		return -1;
	}
	memcpy(given, p, SRS_HASH_LEN);
	given[SRS_HASH_LEN] = '\0';
	for (n = 0; n < SRS_HASH_LEN; n++)
		if (b32val(given[n]) == -1) {
			*errstr = "malformed SRS hash";
			return -1;
		}
	p += SRS_HASH_LEN + 1;
	if ((hi = b32val(p[0])) == -1 || (lo = b32val(p[1])) == -1 ||
	    p[2] != '=') {
		*errstr = "malformed SRS timestamp";
		return -1;
	}
	ts[0] = p[0], ts[1] = p[1], ts[2] = '\0';
	p += 3;
	if ((eq = strchr(p, '=')) == NULL || eq == p ||
	    (n = (size_t)(eq - p)) > ADDR_DOMAIN_MAX || eq[1] == '\0') {
		*errstr = "malformed SRS address";
		return -1;
	}
	memcpy(domain, p, n);
	domain[n] = '\0';
	orig = eq + 1;
	if (!hash_ok(key, ts, domain, orig, given) &&
	    !hash_ok(key_backup, ts, domain, orig, given)) {
		*errstr = "SRS hash does not match";
		return -1;
	}
	age = (long)(((now / SRS_DAY) - (hi << 5 | lo)) % SRS_TS_MOD);
	if (age < 0)
		age += SRS_TS_MOD;
	maxage = (long)(ttl / SRS_DAY);
	if (age > maxage) {
		*errstr = "SRS address expired";
		return -1;
	}
	if ((size_t)snprintf(out, outlen, "%s@%s", orig, domain) >= outlen ||
	    addr_parse(&ma, out, 1, errstr) == -1) {
		*errstr = "SRS address holds no valid address";
		return -1;
	}
	return 0;
}
