/* Sender Rewriting Scheme (SRS0, as libsrs2 and postsrsd write it): forwarded mail's reverse-path and back. */
#ifndef TEGAMI_SRS_H
#define TEGAMI_SRS_H

#include <stddef.h>
#include <time.h>

/*
 * Base32 characters of HMAC-SHA256 kept: 60 bits. libsrs2's 4 base64
 * characters, compared without case, are about 2^21 values, which one
 * client guessed in 1.5 million tries; 2^60 at a million answers a second
 * would take 36,000 years. Base32 keeps all its bits when a relay changes
 * the case of the address.
 */
#define SRS_HASH_LEN	12

/*
 * The SRS0 address for sender, forwarded by fwd_domain at time now:
 *   SRS0=HHHHHHHHHHHH=TT=domain=local@fwd_domain
 * H is base32 (RFC 4648, upper case) of HMAC-SHA256(key, TT domain local,
 * all lowercased), cut to SRS_HASH_LEN; TT is the day number (now / 86400)
 * modulo 1024 in two base32 characters. -1 with errstr (static text) when sender is not a
 * plain local@domain address, or the result would not be a valid address
 * (a local part over 64 octets): such a sender is left as it is.
 */
int	 srs_forward(const char *key, const char *sender, const char *fwd_domain,
	    time_t now, char *out, size_t outlen, const char **errstr);

/* 1 when local starts "SRS0=" (any case): an address srs_reverse should decide on. */
int	 srs_is_srs(const char *local);

/*
 * The original sender of an SRS0 local part (what precedes "@" of a
 * forwarder's address), written to out. The hash must match key or
 * key_backup (NULL: none) and the timestamp be at most ttl old (rounded
 * down to whole days, at least today's). The hash compares without case.
 * -1 with errstr (static) when the form, the hash or the age is wrong; an
 * address with libsrs2's short hash is malformed.
 */
int	 srs_reverse(const char *key, const char *key_backup, const char *local,
	    time_t now, time_t ttl, char *out, size_t outlen, const char **errstr);

#endif
