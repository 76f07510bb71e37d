/* Helpers shared by the DKIM unit tests (a header of static functions: each test links alone). */
#ifndef TEGAMI_TEST_DKIM_UTIL_H
#define TEGAMI_TEST_DKIM_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lib/buf.h"
#include "mail/dkim.h"
#include "mail/dkim_key.h"

/* Run from the top of the tree (make unit does), where tests/data is. */
#define DKIM_DATA	"tests/data/dkim"

/* A DNS name and its TXT record (NULL record: NXDOMAIN; "TEMP": SERVFAIL). */
struct keymap {
	const char	*name;
	const char	*rec;
};

/*
 * t_slurp: a whole file (NUL-terminated). t_key: a private key from
 * DKIM_DATA. t_record: the key record of a key (static storage).
 * t_crlf: a copy with LF turned into CRLF. t_verify: every signature of a
 * message checked, its body fed in chunks of `chunk` octets (0: at once),
 * keys from keys[] (name NULL ends it); returns the number of signatures
 * or -1. t_sign: the message with its new signature fields on top.
 */

static inline char *
t_slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1 || (p = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		fclose(f);
		return NULL;
	}
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = (size_t)n;
	return p;
}

static inline EVP_PKEY *
t_key(const char *name)
{
	EVP_PKEY	*key = NULL;
	const char	*errstr;
	char		 path[256], *pem;
	size_t		 len;

	(void)snprintf(path, sizeof(path), "%s/%s", DKIM_DATA, name);
	if ((pem = t_slurp(path, &len)) == NULL)
		return NULL;
	if (dkim_key_load_private(pem, len, &key, &errstr) == -1) {
		/* Keys the signer refuses (rsa512) are still wanted by tests. */
		BIO	*bio = BIO_new_mem_buf(pem, (int)len);

		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	explicit_bzero(pem, len);
	free(pem);
	return key;
}

static inline const char *
t_record(EVP_PKEY *key)
{
	static struct buf	 b;
	const char		*errstr;

	if (b.max == 0)
		buf_init(&b, 0);
	buf_reset(&b);
	if (dkim_key_record(&b, key, &errstr) == -1)
		return "";
	return b.data;
}

static inline char *
t_crlf(const char *msg, size_t *len)
{
	struct buf	 b;
	size_t		 i, n = strlen(msg);

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			(void)buf_addc(&b, '\r');
		(void)buf_addc(&b, msg[i]);
	}
	if (len)
		*len = b.len;
	return buf_release(&b);
}

static inline int
t_verify(const char *msg, size_t len, const struct keymap *keys, time_t now,
    size_t chunk, struct dkim_verdict *out, size_t max)
{
	struct dkim_hdr		 hdrs[200];
	struct dkim_verify	*v;
	const char		*errstr, *rec;
	char			 name[300];
	size_t			 n, body, i, k, step;
	enum dkim_dns		 dns;
	int			 count;

	if (dkim_hdr_split(msg, len, hdrs, 200, &n, &body, &errstr) == -1)
		return -1;
	if ((v = dkim_verify_new(hdrs, n, now, DKIM_CLOCK_SLACK, &errstr)) ==
	    NULL)
		return -1;
	for (i = body; i < len; i += step) {
		step = chunk == 0 || chunk > len - i ? len - i : chunk;
		if (dkim_verify_body(v, msg + i, step) == -1)
			return -1;
	}
	if (dkim_verify_body_end(v) == -1)
		return -1;
	count = (int)dkim_verify_count(v);
	for (i = 0; i < (size_t)count && i < max; i++) {
		rec = NULL;
		dns = DKIM_DNS_NOTFOUND;
		if (dkim_verify_query(v, i, name, sizeof(name)) == 0)
			for (k = 0; keys[k].name != NULL; k++)
				if (strcasecmp(keys[k].name, name) == 0) {
					rec = keys[k].rec;
					break;
				}
		if (rec != NULL && strcmp(rec, "TEMP") == 0)
			dns = DKIM_DNS_TEMPFAIL;
		else if (rec != NULL)
			dns = DKIM_DNS_OK;
		dkim_verify_result(v, i, dns, rec, rec ? strlen(rec) : 0,
		    &out[i]);
	}
	dkim_verify_free(&v);
	return count;
}

static inline char *
t_sign(const struct dkim_signer *s, size_t n, time_t now, const char *msg,
    size_t len, int flags, size_t *outlen)
{
	struct buf	 out;
	const char	*errstr;

	buf_init(&out, 0);
	if (dkim_sign_message(s, n, now, msg, len, &out, flags, &errstr) ==
	    -1) {
		buf_free(&out);
		return NULL;
	}
	(void)buf_add(&out, msg, len);
	if (outlen)
		*outlen = out.len;
	return buf_release(&out);
}

#endif
