/* SASL responses of SMTP AUTH (RFC 4954): strict base64, PLAIN and LOGIN decoding. */
#ifndef TEGAMI_SASL_H
#define TEGAMI_SASL_H

#include <stddef.h>

#include "lib/password.h"

#define SASL_LOGIN_MAX	320	/* user@domain: 64 + 1 + 255 */
/* Longest base64 response line a client may send (RFC 4954 4: at least 12288). */
#define SASL_LINE_MAX	12288

struct sasl_creds {
	char	 login[SASL_LOGIN_MAX + 1];
	char	 password[PASSWORD_MAX + 1];
};

/*
 * Decodes base64 (RFC 4648, padding required, no white space, no bits
 * left over) into out. Returns the length, or -1 when the text is not
 * strict base64 or the result would not fit outlen bytes.
 */
long	 sasl_b64_decode(const char *in, size_t inlen, unsigned char *out,
	    size_t outlen);
/* Encodes into out (NUL-terminated); -1 when it does not fit. */
int	 sasl_b64_encode(const unsigned char *in, size_t inlen, char *out,
	    size_t outlen);

/*
 * PLAIN (RFC 4616): authzid NUL authcid NUL passwd, already decoded. An
 * authzid other than empty or the authcid is refused (no proxy logins).
 * 0, or -1 with errstr.
 */
int	 sasl_plain(const unsigned char *msg, size_t len, struct sasl_creds *,
	    const char **errstr);
/* A LOGIN user name or password, already decoded: no NUL inside. 0 or -1. */
int	 sasl_login_field(const unsigned char *msg, size_t len, char *out,
	    size_t outlen, const char **errstr);

/* Wipes the password. */
void	 sasl_creds_clear(struct sasl_creds *);

#endif
