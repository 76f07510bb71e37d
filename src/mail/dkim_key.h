/* DKIM keys: the key record of RFC 6376 3.6.1 (and RFC 8463's Ed25519), private keys for signing, and the record to publish. */
#ifndef TEGAMI_DKIM_KEY_H
#define TEGAMI_DKIM_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

struct buf;

#define DKIM_KEY_LEN_MAX	8192	/* octets of one record (TXT strings joined) */
#define DKIM_KEY_P_MAX		1200	/* octets of p= decoded: RSA up to 8192 bits */
#define DKIM_RSA_MIN_BITS	1024	/* RFC 8301: shorter keys never verify */
#define DKIM_RSA_MAX_BITS	8192	/* longer ones are refused as a cost */
#define DKIM_RSA_SIGN_MAX_BITS	4096	/* what RFC 8301 asks verifiers to take */

enum dkim_keytype {
	DKIM_KEY_UNKNOWN = 0,	/* k= names a type this code does not know */
	DKIM_KEY_RSA,
	DKIM_KEY_ED25519,
};

struct dkim_key {
	enum dkim_keytype type;
	int		 revoked;	/* p= is empty */
	int		 testing;	/* t=y */
	int		 strict;	/* t=s: i= must be in d= itself */
	int		 sha256;	/* h= absent or lists sha256 */
	int		 email;		/* s= absent, or lists "*" or "email" */
	int		 bits;		/* RSA modulus size, 256 for Ed25519 */
	EVP_PKEY	*pkey;		/* NULL when revoked or of unknown type */
};

/*
 * Parses a key record (the TXT strings already joined): v=DKIM1 first if
 * present, k= (rsa when absent), p= (required; empty means revoked), and
 * the h=, s=, t= lists; n= and unknown tags are ignored. An RSA p= is a
 * DER SubjectPublicKeyInfo (a bare RSAPublicKey is taken too, as dkimpy
 * does); an Ed25519 p= is the raw 32-octet key (RFC 8463 4.2). RSA keys
 * under DKIM_RSA_MIN_BITS parse (bits tells); the verifier fails them.
 * Returns 0, or -1 with errstr (static). dkim_key_clear frees the key.
 */
int	 dkim_key_parse(struct dkim_key *, const char *rec, size_t len,
	    const char **errstr);
void	 dkim_key_clear(struct dkim_key *);

/*
 * A private key from PEM text (PKCS#1 RSA, or PKCS#8 RSA or Ed25519),
 * never prompting for a pass phrase. Returns 0 and *out, or -1 with errstr.
 */
int	 dkim_key_load_private(const char *pem, size_t len, EVP_PKEY **out,
	    const char **errstr);
/* 0 when key can sign: RSA of 1024 to 4096 bits, or Ed25519. */
int	 dkim_key_signable(EVP_PKEY *key, const char **errstr);
/* Appends "v=DKIM1; k=rsa|ed25519; p=..." for the public half of key. */
int	 dkim_key_record(struct buf *out, EVP_PKEY *key, const char **errstr);

#endif
