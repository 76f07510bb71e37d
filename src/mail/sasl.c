/* SASL PLAIN and LOGIN responses: strict base64 and field checks, before anything reaches the auth process. */
#include <string.h>

#include "lib/digits.h"
#include "mail/sasl.h"


long
sasl_b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outlen)
{
	size_t		 i, o = 0, pad = 0;
	unsigned long	 acc;
	int		 v[4], k;

	if (inlen % 4 != 0)
		return -1;
	for (i = 0; i < inlen; i += 4) {
		for (k = 0; k < 4; k++) {
			unsigned char	 c = (unsigned char)in[i + k];

			if (c == '=') {
				/* Padding: only in the last quantum, only at its end. */
				if (i + 4 != inlen || k < 2)
					return -1;
				v[k] = 0;
				pad++;
			} else {
				if (pad)
					return -1;
				if ((v[k] = base64_value((unsigned char)c, BASE64_STD)) < 0)
					return -1;
			}
		}
		acc = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
		    ((unsigned long)v[2] << 6) | (unsigned long)v[3];
		/* Bits beyond the last byte must be zero (RFC 4648 3.5). */
		if ((pad == 1 && (acc & 0xff) != 0) ||
		    (pad == 2 && (acc & 0xffff) != 0))
			return -1;
		if (outlen - o < 3 - pad)
			return -1;
		out[o++] = (unsigned char)(acc >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(acc >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)acc;
	}
	return (long)o;
}

int
sasl_b64_encode(const unsigned char *in, size_t inlen, char *out, size_t outlen)
{
	size_t		 i, o = 0;
	unsigned long	 acc;

	if (inlen > (outlen - 1) / 4 * 3 || (inlen + 2) / 3 * 4 >= outlen)
		return -1;
	for (i = 0; i < inlen; i += 3) {
		acc = (unsigned long)in[i] << 16;
		if (i + 1 < inlen)
			acc |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < inlen)
			acc |= in[i + 2];
		out[o++] = base64_char((unsigned)(acc >> 18), BASE64_STD);
		out[o++] = base64_char((unsigned)(acc >> 12), BASE64_STD);
		out[o++] = i + 1 < inlen ?
		    base64_char((unsigned)(acc >> 6), BASE64_STD) : '=';
		out[o++] = i + 2 < inlen ? base64_char((unsigned)(acc), BASE64_STD) : '=';
	}
	out[o] = '\0';
	return 0;
}

static int
field(const unsigned char *p, size_t n, char *out, size_t outlen,
    const char **errstr)
{
	size_t	 i;

	if (n >= outlen) {
		*errstr = "field too long";
		return -1;
	}
	for (i = 0; i < n; i++)
		if (p[i] == '\0') {
			*errstr = "NUL inside a field";
			return -1;
		}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
sasl_plain(const unsigned char *msg, size_t len, struct sasl_creds *c,
    const char **errstr)
{
	const unsigned char	*nul1, *nul2, *end = msg + len;
	char			 authz[SASL_LOGIN_MAX + 1];

	memset(c, 0, sizeof(*c));
	if ((nul1 = memchr(msg, '\0', len)) == NULL ||
	    (nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1))) == NULL) {
		*errstr = "PLAIN response needs authzid NUL authcid NUL password";
		return -1;
	}
	if (field(msg, (size_t)(nul1 - msg), authz, sizeof(authz), errstr) == -1 ||
	    field(nul1 + 1, (size_t)(nul2 - nul1 - 1), c->login, sizeof(c->login),
	    errstr) == -1 ||
	    field(nul2 + 1, (size_t)(end - nul2 - 1), c->password,
	    sizeof(c->password), errstr) == -1)
		goto fail;
	if (c->login[0] == '\0') {
		*errstr = "empty login name";
		goto fail;
	}
	if (authz[0] != '\0' && strcmp(authz, c->login) != 0) {
		*errstr = "authorization identity differs from the login";
		goto fail;
	}
	return 0;
fail:
	sasl_creds_clear(c);
	return -1;
}

int
sasl_login_field(const unsigned char *msg, size_t len, char *out, size_t outlen,
    const char **errstr)
{
	return field(msg, len, out, outlen, errstr);
}

void
sasl_creds_clear(struct sasl_creds *c)
{
	explicit_bzero(c, sizeof(*c));
}
