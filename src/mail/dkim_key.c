/* DKIM key records parsed strictly, public keys loaded with OpenSSL 3, private keys read without prompts. */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lib/buf.h"
#include "mail/dkim_key.h"
#include "mail/dkim_tags.h"

#define ED25519_KEYLEN	32

/* 1 when the colon list value holds one of the words (a NULL-terminated array). */
static int
list_has(const struct dkim_tag *tag, const char *const *words)
{
	const char	*item;
	size_t		 pos = 0, len, k;

	while (pos <= tag->valuelen &&
	    dkim_tag_list_next(tag->value, tag->valuelen, &pos, &item, &len))
		for (k = 0; words[k] != NULL; k++)
			if (strlen(words[k]) == len &&
			    memcmp(item, words[k], len) == 0)
				return 1;
	return 0;
}

/* A DER tag and length at *p (definite, minimal, short enough); *p moves to the contents. */
static int
der_header(const unsigned char **p, const unsigned char *end, int tag,
    size_t *len)
{
	size_t	 n, k, l = 0;

	if (end - *p < 2 || **p != tag)
		return -1;
	(*p)++;
	n = *(*p)++;
	if (n & 0x80) {
		k = n & 0x7f;
		if (k == 0 || k > 2 || (size_t)(end - *p) < k)
			return -1;
		while (k-- > 0)
			l = l << 8 | *(*p)++;
		if (l < 128 || (n == 0x82 && l < 256))
			return -1;	/* not the shortest form */
		n = l;
	}
	if (n > (size_t)(end - *p))
		return -1;
	*len = n;
	return 0;
}

/*
 * The RSAPublicKey inside a SubjectPublicKeyInfo of rsaEncryption, or
 * NULL when der is anything else. OpenSSL 3 decodes an SPKI through its
 * decoder framework at some 5,000 a second, a bare RSAPublicKey at
 * hundreds of thousands: the key record's parse was most of a verification.
 */
static const unsigned char *
spki_rsa(const unsigned char *der, size_t len, size_t *innerlen)
{
	static const unsigned char rsa_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	    0x0d, 0x01, 0x01, 0x01 };
	const unsigned char	*p = der, *end = der + len, *aend;
	size_t			 l;

	if (der_header(&p, end, 0x30, &l) == -1 || p + l != end ||
	    der_header(&p, end, 0x30, &l) == -1)
		return NULL;
	aend = p + l;
	if (der_header(&p, aend, 0x06, &l) == -1 || l != sizeof(rsa_oid) ||
	    memcmp(p, rsa_oid, l) != 0)
		return NULL;
	p += l;
	/* The parameters are NULL, which some encoders leave out. */
	if (p < aend && (der_header(&p, aend, 0x05, &l) == -1 || l != 0))
		return NULL;
	if (p != aend || der_header(&p, end, 0x03, &l) == -1 || l < 2 ||
	    *p != 0 || p + l != end)
		return NULL;
	*innerlen = l - 1;
	return p + 1;
}

/* A DER RSAPublicKey of exactly len octets, or NULL. */
static EVP_PKEY *
rsa_pkcs1(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	EVP_PKEY		*pkey;

	pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	if (pkey != NULL && p != der + len) {
		EVP_PKEY_free(pkey);	/* trailing garbage */
		return NULL;
	}
	return pkey;
}

static EVP_PKEY *
load_rsa(const unsigned char *der, size_t len)
{
	const unsigned char	*inner, *p = der;
	EVP_PKEY		*pkey;
	size_t			 innerlen;

	if ((inner = spki_rsa(der, len, &innerlen)) != NULL)
		return rsa_pkcs1(inner, innerlen);
	/* Another SPKI form (OpenSSL decides), or a bare RSAPublicKey. */
	pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey != NULL && p != der + len) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (pkey == NULL)
		return rsa_pkcs1(der, len);
	if (!EVP_PKEY_is_a(pkey, "RSA")) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

int
dkim_key_parse(struct dkim_key *key, const char *rec, size_t len,
    const char **errstr)
{
	static const char *const sha256[] = { "sha256", NULL };
	static const char *const email[] = { "*", "email", NULL };
	static const char *const y[] = { "y", NULL }, *const s[] = { "s", NULL };
	struct dkim_tags	 tags;
	const struct dkim_tag	*tag, *p;
	unsigned char		 der[DKIM_KEY_P_MAX];
	long			 n;

	memset(key, 0, sizeof(*key));
	if (len > DKIM_KEY_LEN_MAX) {
		*errstr = "key record too long";
		return -1;
	}
	if (dkim_tags_parse(&tags, rec, len, errstr) == -1)
		return -1;
	/* RFC 6376 3.6.1: v= must come first, and other versions are discarded. */
	if ((tag = dkim_tags_get(&tags, "v")) != NULL &&
	    (tag != &tags.tag[0] || !dkim_tag_is(tag, "DKIM1"))) {
		*errstr = "bad v= in key record";
		return -1;
	}
	key->type = DKIM_KEY_RSA;
	if ((tag = dkim_tags_get(&tags, "k")) != NULL) {
		if (dkim_tag_is(tag, "rsa"))
			key->type = DKIM_KEY_RSA;
		else if (dkim_tag_is(tag, "ed25519"))
			key->type = DKIM_KEY_ED25519;
		else
			key->type = DKIM_KEY_UNKNOWN;
	}
	key->sha256 = (tag = dkim_tags_get(&tags, "h")) == NULL ||
	    list_has(tag, sha256);
	key->email = (tag = dkim_tags_get(&tags, "s")) == NULL ||
	    list_has(tag, email);
	if ((tag = dkim_tags_get(&tags, "t")) != NULL) {
		key->testing = list_has(tag, y);
		key->strict = list_has(tag, s);
	}
	if ((p = dkim_tags_get(&tags, "p")) == NULL) {
		*errstr = "key record without p=";
		return -1;
	}
	if (p->valuelen == 0) {
		key->revoked = 1;
		return 0;
	}
	if ((n = dkim_b64_decode(p->value, p->valuelen, der, sizeof(der))) <= 0) {
		*errstr = "bad base64 in p=";
		return -1;
	}
	switch (key->type) {
	case DKIM_KEY_RSA:
		if ((key->pkey = load_rsa(der, (size_t)n)) == NULL) {
			*errstr = "p= is not an RSA public key";
			return -1;
		}
		key->bits = EVP_PKEY_get_bits(key->pkey);
		if (key->bits > DKIM_RSA_MAX_BITS) {
			dkim_key_clear(key);
			*errstr = "RSA key longer than 8192 bits";
			return -1;
		}
		break;
	case DKIM_KEY_ED25519:
		if (n != ED25519_KEYLEN || (key->pkey =
		    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der,
		    ED25519_KEYLEN)) == NULL) {
			*errstr = "p= is not a 32-octet Ed25519 key";
			return -1;
		}
		key->bits = 256;
		break;
	case DKIM_KEY_UNKNOWN:
		break;
	}
	return 0;
}

void
dkim_key_clear(struct dkim_key *key)
{
	EVP_PKEY_free(key->pkey);
	key->pkey = NULL;
}

/* An encrypted key is an error, never a prompt on some terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int
dkim_key_load_private(const char *pem, size_t len, EVP_PKEY **out,
    const char **errstr)
{
	BIO	*bio;

	*out = NULL;
	if (len > 64 * 1024 || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		*errstr = "cannot read the private key";
		return -1;
	}
	*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (*out == NULL) {
		*errstr = "not a PEM private key (or one with a pass phrase)";
		return -1;
	}
	if (dkim_key_signable(*out, errstr) == -1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
dkim_key_signable(EVP_PKEY *key, const char **errstr)
{
	int	 bits;

	if (EVP_PKEY_is_a(key, "ED25519"))
		return 0;
	if (!EVP_PKEY_is_a(key, "RSA")) {
		*errstr = "DKIM keys are RSA or Ed25519";
		return -1;
	}
	bits = EVP_PKEY_get_bits(key);
	if (bits < DKIM_RSA_MIN_BITS || bits > DKIM_RSA_SIGN_MAX_BITS) {
		*errstr = "RSA keys for DKIM have 1024 to 4096 bits";
		return -1;
	}
	return 0;
}

int
dkim_key_record(struct buf *out, EVP_PKEY *key, const char **errstr)
{
	unsigned char	*der = NULL, raw[ED25519_KEYLEN];
	char		 b64[DKIM_KEY_P_MAX * 4 / 3 + 8];
	size_t		 rawlen = sizeof(raw);
	int		 n, rc = -1;

	if (EVP_PKEY_is_a(key, "ED25519")) {
		if (EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1 ||
		    dkim_b64_encode(raw, rawlen, b64, sizeof(b64)) == -1)
			goto fail;
		return buf_addf(out, "v=DKIM1; k=ed25519; p=%s", b64);
	}
	if (!EVP_PKEY_is_a(key, "RSA") || (n = i2d_PUBKEY(key, &der)) <= 0 ||
	    dkim_b64_encode(der, (size_t)n, b64, sizeof(b64)) == -1)
		goto fail;
	rc = buf_addf(out, "v=DKIM1; k=rsa; p=%s", b64);
	OPENSSL_free(der);
	return rc;

fail:
	OPENSSL_free(der);
	*errstr = "cannot write the public key";
	return -1;
}
