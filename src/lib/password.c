/* Password hashes: Dovecot scheme prefixes, crypt(3) checks with constant-time compares, bcrypt for new hashes. */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/password.h"
#include "lib/xalloc.h"

/* Checked against when the login does not exist: the cost of a real check. */
static const char dummy_hash[] =
    "$2b$10$0n9rOUPfY5p.T9jek3KPJOmqSOb6r/0yD/4kpvt6yu76bUQL8dH.a";

static const struct {
	const char	*prefix;	/* Dovecot scheme */
	const char	*crypt_ids;	/* the crypt(3) prefixes it may hold, '|'-separated */
} schemes[] = {
	{ "{BLF-CRYPT}", "$2b$|$2y$|$2a$" },
	{ "{SHA512-CRYPT}", "$6$" },
	{ "{SHA256-CRYPT}", "$5$" },
	{ "{MD5-CRYPT}", "$1$" },
	{ "{CRYPT}", "$2b$|$2y$|$2a$|$6$|$5$|$y$|$1$|DES" },
};

/*
 * Traditional DES crypt: two salt and eleven hash characters of crypt's
 * alphabet, no "$id$" (old vpopmail and /etc/shadow entries). libxcrypt
 * still checks them; new hashes are bcrypt, and a login with one is
 * rehashed.
 */
static int
is_des(const char *hash)
{
	size_t	 i;

	if (strlen(hash) != 13)
		return 0;
	for (i = 0; i < 13; i++)
		if (!((hash[i] >= 'a' && hash[i] <= 'z') ||
		    (hash[i] >= 'A' && hash[i] <= 'Z') ||
		    (hash[i] >= '0' && hash[i] <= '9') ||
		    hash[i] == '.' || hash[i] == '/'))
			return 0;
	return 1;
}

static int
crypt_id_allowed(const char *hash, const char *ids)
{
	const char	*p = ids, *bar;
	size_t		 n;

	for (;;) {
		bar = strchr(p, '|');
		n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == 3 && strncmp(p, "DES", 3) == 0) {
			if (is_des(hash))
				return 1;
		} else if (strncmp(hash, p, n) == 0 && hash[n] != '\0')
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

int
password_parse(const char *stored, enum password_scheme *scheme, char *out,
    size_t outlen, const char **errstr)
{
	const char	*ids = schemes[4].crypt_ids, *end;	/* bare: what {CRYPT} holds */
	size_t		 i, n;

	if (stored == NULL) {
		*errstr = "no password hash";
		return -1;
	}
	*scheme = PW_CRYPT;
	if (strncmp(stored, "{PLAIN}", 7) == 0) {
		*scheme = PW_PLAIN;
		stored += 7;
	} else if (stored[0] == '{') {
		for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
			if (strncmp(stored, schemes[i].prefix,
			    strlen(schemes[i].prefix)) == 0)
				break;
		if (i == sizeof(schemes) / sizeof(schemes[0])) {
			*errstr = "unsupported password scheme";
			return -1;
		}
		ids = schemes[i].crypt_ids;
		stored += strlen(schemes[i].prefix);
	}
	/* passwd-file lines carry uid:gid:... after the hash; crypt(3) hashes hold no ':'. */
	end = strchr(stored, ':');
	n = end ? (size_t)(end - stored) : strlen(stored);
	if (n >= outlen || n > PASSWORD_HASH_MAX) {
		*errstr = "password hash too long";
		return -1;
	}
	memcpy(out, stored, n);
	out[n] = '\0';
	if (*scheme == PW_PLAIN)
		return 0;
	if (!crypt_id_allowed(out, ids)) {
		*errstr = n == 0 ? "empty password hash" :
		    "unsupported password hash (expected $2b$, $2y$, $2a$, $6$, "
		    "$5$, $y$, $1$ or DES)";
		explicit_bzero(out, outlen);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] <= ' ' || (unsigned char)out[i] > '~') {
			*errstr = "invalid character in password hash";
			explicit_bzero(out, outlen);
			return -1;
		}
	return 0;
}

/* Equal-length digests, so that the compare does not reveal a clear password's length. */
static int
plain_equal(const char *a, const char *b)
{
	unsigned char	 da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	unsigned int	 la = 0, lb = 0;
	int		 eq;

	if (EVP_Digest(a, strlen(a), da, &la, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(b, strlen(b), db, &lb, EVP_sha256(), NULL) != 1 || la != lb)
		return 0;
	eq = CRYPTO_memcmp(da, db, la) == 0;
	explicit_bzero(da, sizeof(da));
	explicit_bzero(db, sizeof(db));
	return eq;
}

/* crypt_r into its own state: safe on any worker thread. 1 match, 0 not. */
static int
crypt_equal(const char *password, const char *hash)
{
	struct crypt_data	*cd = xcalloc(1, sizeof(*cd));
	const char		*r;
	size_t			 n = strlen(hash);
	int			 eq = 0;

	r = crypt_r(password, hash, cd);
	/* Failure is "*0"/"*1" or NULL; it never equals a valid hash. */
	if (r != NULL && r[0] != '*' && strlen(r) == n)
		eq = CRYPTO_memcmp(r, hash, n) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return eq;
}

int
password_verify(const char *stored, const char *password, const char **errstr)
{
	enum password_scheme	 scheme;
	char			 hash[PASSWORD_HASH_MAX + 1];
	int			 r;

	if (password_parse(stored, &scheme, hash, sizeof(hash), errstr) == -1)
		return -1;
	if (strlen(password) > PASSWORD_MAX)
		r = 0;
	else if (scheme == PW_PLAIN)
		r = plain_equal(hash, password);
	else
		r = crypt_equal(password, hash);
	explicit_bzero(hash, sizeof(hash));
	return r;
}

int
password_needs_rehash(const char *stored)
{
	enum password_scheme	 scheme;
	char			 hash[PASSWORD_HASH_MAX + 1];
	const char		*errstr;
	int			 r;

	if (password_parse(stored, &scheme, hash, sizeof(hash), &errstr) == -1)
		return 0;
	r = scheme == PW_PLAIN || strncmp(hash, "$2", 2) != 0;
	explicit_bzero(hash, sizeof(hash));
	return r;
}

void
password_dummy(const char *password)
{
	(void)crypt_equal(password, dummy_hash);
}

int
password_hash(const char *password, int cost, char *out, size_t outlen,
    const char **errstr)
{
	struct crypt_data	*cd;
	unsigned char		 rnd[16];
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char		*r;
	int			 ret = -1;

	cd = xcalloc(1, sizeof(*cd));
	if (cost < 4 || cost > 31) {
		*errstr = "bcrypt cost must be 4 to 31";
		goto fail;
	}
	if (strlen(password) > PASSWORD_MAX) {
		*errstr = "password too long";
		goto fail;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		*errstr = "no random bytes for the salt";
		goto fail;
	}
	if (crypt_gensalt_rn("$2b$", (unsigned long)cost, (const char *)rnd,
	    sizeof(rnd), salt, sizeof(salt)) == NULL) {
		*errstr = "crypt_gensalt failed";
		goto fail;
	}
	r = crypt_r(password, salt, cd);
	if (r == NULL || r[0] == '*' || strlen(r) >= outlen) {
		*errstr = "crypt failed";
		goto fail;
	}
	memcpy(out, r, strlen(r) + 1);
	ret = 0;
fail:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ret;
}
