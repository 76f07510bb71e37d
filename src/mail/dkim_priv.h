/* What dkim.c shares with dkim_sign.c and dkim_verify.c: the header hash and the two signature algorithms. */
#ifndef TEGAMI_DKIM_PRIV_H
#define TEGAMI_DKIM_PRIV_H

#include <stddef.h>

#include "mail/dkim.h"

/*
 * SHA-256 of the header data of RFC 6376 3.7: the fields that sig's h=
 * names, each picked from the bottom of hdrs[0..n) up (5.4.2) and never
 * the field at index self (the signature itself; n or more for none),
 * then the signature field name:value with value[bstart..bend) (the b=
 * value) deleted and no final CRLF. -1 with errstr.
 */
int	 dkim_header_hash(const struct dkim_hdr *hdrs, size_t n, size_t self,
	    const struct dkim_sig *sig, const char *signame, size_t signamelen,
	    const char *sigvalue, size_t sigvaluelen, size_t bstart, size_t bend,
	    unsigned char md[32], const char **errstr);

/* Signs a SHA-256 hash: RSASSA-PKCS1-v1_5 or Ed25519 over the hash (RFC 8463 3). */
int	 dkim_crypto_sign(EVP_PKEY *, const unsigned char md[32],
	    unsigned char *sig, size_t *siglen);
/* 1 when sig is right for md, 0 when not, -1 when the library fails. */
int	 dkim_crypto_verify(EVP_PKEY *, enum dkim_alg,
	    const unsigned char md[32], const unsigned char *sig, size_t siglen);

/* 1 when the field name (trailing white space ignored) is name, in any case. */
int	 dkim_hdr_is(const struct dkim_hdr *, const char *name, size_t len);

#endif
