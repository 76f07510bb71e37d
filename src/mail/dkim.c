/* DKIM pieces shared by signing and verifying: header sections split, the header hash, the crypto, Authentication-Results. */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include "lib/buf.h"
#include "mail/dkim.h"
#include "mail/dkim_canon.h"
#include "mail/dkim_priv.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

int
dkim_hdr_split(const char *msg, size_t len, struct dkim_hdr *out, size_t max,
    size_t *n, size_t *bodyoff, const char **errstr)
{
	const char	*line, *nl, *end, *colon;
	size_t		 i = 0, k = 0;

	*n = 0;
	*bodyoff = len;
	while (i < len) {
		line = msg + i;
		nl = memchr(line, '\n', len - i);
		end = nl ? nl : msg + len;
		i = nl ? (size_t)(nl + 1 - msg) : len;
		if (end > line && end[-1] == '\r' && nl != NULL)
			end--;
		if (end == line) {
			*bodyoff = i;	/* the empty line */
			break;
		}
		if (is_wsp(*line)) {
			if (k == 0) {
				*errstr = "header starts with a continuation line";
				return -1;
			}
			out[k - 1].valuelen = (size_t)(end - out[k - 1].value);
			continue;
		}
		if ((colon = memchr(line, ':', (size_t)(end - line))) == NULL ||
		    colon == line) {
			*errstr = "header line without a field name";
			return -1;
		}
		if (k == max) {
			*errstr = "too many header fields";
			return -1;
		}
		out[k].name = line;
		out[k].namelen = (size_t)(colon - line);
		out[k].value = colon + 1;
		out[k].valuelen = (size_t)(end - colon - 1);
		k++;
	}
	*n = k;
	return 0;
}

int
dkim_hdr_is(const struct dkim_hdr *h, const char *name, size_t len)
{
	size_t	 n = h->namelen;

	while (n > 0 && is_wsp(h->name[n - 1]))
		n--;
	return n == len && strncasecmp(h->name, name, len) == 0;
}

/* The field for occurrence `skip` (0: the last) of name, counting from the bottom. */
static const struct dkim_hdr *
pick(const struct dkim_hdr *hdrs, size_t n, size_t self, const char *name,
    size_t skip)
{
	size_t	 i, len = strlen(name);

	for (i = n; i-- > 0;) {
		if (i == self || !dkim_hdr_is(&hdrs[i], name, len))
			continue;
		if (skip-- == 0)
			return &hdrs[i];
	}
	return NULL;
}

int
dkim_header_hash(const struct dkim_hdr *hdrs, size_t n, size_t self,
    const struct dkim_sig *sig, const char *signame, size_t signamelen,
    const char *sigvalue, size_t sigvaluelen, size_t bstart, size_t bend,
    unsigned char md[32], const char **errstr)
{
	const struct dkim_hdr	*h;
	struct buf		 data, value;
	const char		*name;
	size_t			 k, j, seen;
	unsigned int		 mdlen = 0;
	int			 rc = -1;

	buf_init(&data, DKIM_HEADER_DATA_MAX);
	buf_init(&value, DKIM_HEADER_DATA_MAX);
	for (k = 0; k < sig->nh; k++) {
		name = dkim_sig_hname(sig, k);
		/* The (seen+1)-th use of a name takes the (seen+1)-th field from the bottom. */
		for (seen = 0, j = 0; j < k; j++)
			if (strcasecmp(dkim_sig_hname(sig, j), name) == 0)
				seen++;
		if ((h = pick(hdrs, n, self, name, seen)) == NULL)
			continue;	/* absent fields sign as nothing */
		if (dkim_canon_header(&data, sig->hcanon, h->name, h->namelen,
		    h->value, h->valuelen, 1) == -1)
			goto toobig;
	}
	if (bstart > bend || bend > sigvaluelen ||
	    buf_add(&value, sigvalue, bstart) == -1 ||
	    buf_add(&value, sigvalue + bend, sigvaluelen - bend) == -1 ||
	    dkim_canon_header(&data, sig->hcanon, signame, signamelen,
	    value.data ? value.data : "", value.len, 0) == -1)
		goto toobig;
	if (EVP_Digest(data.data, data.len, md, &mdlen, EVP_sha256(), NULL) !=
	    1 || mdlen != 32) {
		*errstr = "SHA-256 failed";
		goto done;
	}
	rc = 0;
	goto done;

toobig:
	*errstr = "header too big to sign";
done:
	buf_free(&data);
	buf_free(&value);
	return rc;
}

int
dkim_crypto_sign(EVP_PKEY *key, const unsigned char md[32], unsigned char *sig,
    size_t *siglen)
{
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_MD_CTX	*mctx = NULL;
	int		 rc = -1;

	if (EVP_PKEY_is_a(key, "ED25519")) {
		/* RFC 8463: PureEdDSA over the SHA-256 of the header data. */
		if ((mctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit_ex(mctx, NULL, NULL, NULL, NULL, key,
		    NULL) != 1 ||
		    EVP_DigestSign(mctx, sig, siglen, md, 32) != 1)
			goto done;
	} else if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_sign(pctx, sig, siglen, md, 32) != 1)
		goto done;
	rc = 0;
done:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

int
dkim_crypto_verify(EVP_PKEY *key, enum dkim_alg alg, const unsigned char md[32],
    const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_MD_CTX	*mctx = NULL;
	int		 rc = -1, v;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		if ((mctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit_ex(mctx, NULL, NULL, NULL, NULL, key,
		    NULL) != 1)
			goto done;
		v = EVP_DigestVerify(mctx, sig, siglen, md, 32);
	} else {
		if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) ==
		    NULL || EVP_PKEY_verify_init(pctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) != 1)
			goto done;
		v = EVP_PKEY_verify(pctx, sig, siglen, md, 32);
	}
	/* A bad signature is 0 (or a negative error for malformed input). */
	rc = v == 1 ? 1 : 0;
done:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

const char *
dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_NONE:
		return "none";
	case DKIM_PASS:
		return "pass";
	case DKIM_FAIL:
		return "fail";
	case DKIM_TEMPERROR:
		return "temperror";
	case DKIM_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

/* An RFC 2045 token, or else a quoted-string. */
static int
add_value(struct buf *out, const char *v)
{
	const char	*p;
	int		 token = *v != '\0', rc = 0;

	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", *p) != NULL)
			token = 0;
	if (token)
		return buf_adds(out, v);
	rc |= buf_addc(out, '"');
	for (p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			rc |= buf_addc(out, '\\');
		rc |= buf_addc(out, *p);
	}
	rc |= buf_addc(out, '"');
	return rc ? -1 : 0;
}

int
dkim_authres(struct buf *out, const struct dkim_verdict *v)
{
	int	 rc = 0;

	rc |= buf_addf(out, "dkim=%s", dkim_result_name(v->result));
	if (v->result != DKIM_PASS && v->detail != NULL) {
		rc |= buf_adds(out, " reason=");
		rc |= add_value(out, v->detail);
	}
	if (v->d[0] != '\0') {
		rc |= buf_adds(out, " header.d=");
		rc |= add_value(out, v->d);
	}
	if (v->s[0] != '\0') {
		rc |= buf_adds(out, " header.s=");
		rc |= add_value(out, v->s);
	}
	if (v->b8[0] != '\0') {
		rc |= buf_adds(out, " header.b=");
		rc |= add_value(out, v->b8);
	}
	return rc ? -1 : 0;
}
