/* DKIM signing: one body hash per canonicalization for all signers, oversigned header sets, signatures folded with b= last. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/dkim.h"
#include "mail/dkim_canon.h"
#include "mail/dkim_priv.h"

const char *const dkim_sign_default_headers[] = {
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID",
	"In-Reply-To", "References", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "List-*", NULL,
};

/* The list fields of RFC 2369, RFC 2919 and RFC 8058 that "List-*" always covers. */
static const char *const list_fields[] = {
	"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive", "List-Unsubscribe-Post",
	NULL,
};

struct dkim_sign {
	size_t			 n;
	struct dkim_signer	 signer[DKIM_SIGN_MAX];
	time_t			 now;
	int			 ended;
	int			 used[2];	/* by canonicalization */
	struct dkim_body	 body[2];
	unsigned char		 bh[2][32];
	/* dkim_sign_prepare: each signature's field with b= empty, and what is signed */
	int			 prepared;
	struct dkim_sig		*sig[DKIM_SIGN_MAX];
	struct buf		 field[DKIM_SIGN_MAX];
	unsigned char		 md[DKIM_SIGN_MAX][32];
};

void
dkim_sign_free(struct dkim_sign **pctx)
{
	struct dkim_sign	*ctx = *pctx;

	size_t			 i;

	if (ctx == NULL)
		return;
	dkim_body_free(&ctx->body[0]);
	dkim_body_free(&ctx->body[1]);
	for (i = 0; i < DKIM_SIGN_MAX; i++) {
		x_free(&ctx->sig[i]);
		buf_free(&ctx->field[i]);
	}
	x_free(pctx);
}

static int
check_signer(const struct dkim_signer *s, time_t now, const char **errstr)
{
	const char	*at;
	size_t		 n, m;

	if (s->domain == NULL || !dkim_domain_valid(s->domain,
	    strlen(s->domain))) {
		*errstr = "bad signing domain";
		return -1;
	}
	if (s->selector == NULL || !dkim_domain_valid(s->selector,
	    strlen(s->selector))) {
		*errstr = "bad selector";
		return -1;
	}
	if (s->key == NULL) {
		/* The key is held elsewhere: dkim_sign_prepare and _complete. */
		if (s->alg != DKIM_ALG_RSA_SHA256 &&
		    s->alg != DKIM_ALG_ED25519_SHA256) {
			*errstr = "no signing key";
			return -1;
		}
	} else if (dkim_key_signable(s->key, errstr) == -1)
		return -1;
	if (s->auid != NULL) {
		if ((at = strrchr(s->auid, '@')) == NULL ||
		    strlen(s->auid) > DKIM_AUID_MAX) {
			*errstr = "bad identity for i=";
			return -1;
		}
		n = strlen(at + 1);
		m = strlen(s->domain);
		if (n < m || strcasecmp(at + 1 + n - m, s->domain) != 0 ||
		    (n > m && at[n - m] != '.')) {
			*errstr = "i= is not within the signing domain";
			return -1;
		}
	}
	if (s->expire != 0 && s->expire <= now) {
		*errstr = "x= is not after t=";
		return -1;
	}
	if ((s->hcanon != DKIM_CANON_SIMPLE && s->hcanon != DKIM_CANON_RELAXED) ||
	    (s->bcanon != DKIM_CANON_SIMPLE && s->bcanon != DKIM_CANON_RELAXED)) {
		*errstr = "bad canonicalization";
		return -1;
	}
	return 0;
}

struct dkim_sign *
dkim_sign_new(const struct dkim_signer *signers, size_t n, time_t now,
    const char **errstr)
{
	struct dkim_sign	*ctx;
	size_t			 i;
	int			 c;

	if (n == 0 || n > DKIM_SIGN_MAX) {
		*errstr = "bad number of signers";
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (check_signer(&signers[i], now, errstr) == -1)
			return NULL;
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->n = n;
	ctx->now = now;
	memcpy(ctx->signer, signers, n * sizeof(signers[0]));
	for (i = 0; i < n; i++) {
		c = signers[i].bcanon;
		if (ctx->used[c])
			continue;
		if (dkim_body_init(&ctx->body[c], (enum dkim_canon)c,
		    UINT64_MAX) == -1) {
			*errstr = "cannot start SHA-256";
			dkim_sign_free(&ctx);
			return NULL;
		}
		ctx->used[c] = 1;
	}
	return ctx;
}

int
dkim_sign_body(struct dkim_sign *ctx, const void *p, size_t len)
{
	int	 c, rc = 0;

	if (ctx->ended)
		return -1;
	for (c = 0; c < 2; c++)
		if (ctx->used[c])
			rc |= dkim_body_update(&ctx->body[c], p, len);
	return rc;
}

static size_t
count(const struct dkim_hdr *hdrs, size_t n, const char *name)
{
	size_t	 i, k = 0, len = strlen(name);

	for (i = 0; i < n; i++)
		k += dkim_hdr_is(&hdrs[i], name, len);
	return k;
}

/* Adds name (lowercased) to h= as often as the message has it, plus one. */
static int
oversign(struct dkim_sig *sig, const struct dkim_hdr *hdrs, size_t n,
    const char *name, size_t namelen)
{
	char	 low[128];
	size_t	 i, k;

	if (namelen == 0 || namelen >= sizeof(low))
		return -1;
	for (i = 0; i < namelen; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 :
		    name[i]);
	low[namelen] = '\0';
	for (i = 0; i < sig->nh; i++)
		if (strcmp(dkim_sig_hname(sig, i), low) == 0)
			return 0;	/* named twice in the list */
	for (k = count(hdrs, n, low) + 1; k > 0; k--)
		if (dkim_sig_add_hname(sig, low) == -1)
			return -1;
	return 0;
}

static int
header_set(struct dkim_sig *sig, const struct dkim_signer *s,
    const struct dkim_hdr *hdrs, size_t n, const char **errstr)
{
	const char *const	*names = s->headers ? s->headers :
	    dkim_sign_default_headers;
	size_t			 k, i, len;

	if (count(hdrs, n, "from") == 0) {
		*errstr = "message without a From field";
		return -1;
	}
	sig->nh = 0;
	if (oversign(sig, hdrs, n, "From", 4) == -1)
		goto full;
	for (k = 0; names[k] != NULL; k++) {
		if (strcasecmp(names[k], "List-*") != 0) {
			if (oversign(sig, hdrs, n, names[k],
			    strlen(names[k])) == -1)
				goto full;
			continue;
		}
		for (i = 0; list_fields[i] != NULL; i++)
			if (oversign(sig, hdrs, n, list_fields[i],
			    strlen(list_fields[i])) == -1)
				goto full;
		for (i = 0; i < n; i++) {
			len = hdrs[i].namelen;
			while (len > 0 && (hdrs[i].name[len - 1] == ' ' ||
			    hdrs[i].name[len - 1] == '\t'))
				len--;
			if (len > 5 && len < 128 &&
			    strncasecmp(hdrs[i].name, "List-", 5) == 0 &&
			    oversign(sig, hdrs, n, hdrs[i].name, len) == -1)
				goto full;
		}
	}
	return 0;
full:
	*errstr = "too many header fields to sign";
	return -1;
}

/* The field with b= empty, and the hash of what it signs (RFC 6376 3.7). */
static int
prepare_one(struct dkim_sign *ctx, size_t idx, const struct dkim_hdr *hdrs,
    size_t n, int flags, const char **errstr)
{
	const struct dkim_signer *s = &ctx->signer[idx];
	struct dkim_sig		*sig;
	struct buf		*field = &ctx->field[idx];
	size_t			 namelen = strlen(DKIM_SIG_FIELD);

	sig = ctx->sig[idx] = xcalloc(1, sizeof(*sig));
	buf_init(field, 0);
	if (s->key != NULL)
		sig->alg = EVP_PKEY_is_a(s->key, "ED25519") ?
		    DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256;
	else
		sig->alg = s->alg;
	sig->hcanon = s->hcanon;
	sig->bcanon = s->bcanon;
	/* Lengths were checked by check_signer. */
	(void)snprintf(sig->d, sizeof(sig->d), "%s", s->domain);
	(void)snprintf(sig->s, sizeof(sig->s), "%s", s->selector);
	if (s->auid != NULL) {
		sig->has_i = 1;
		(void)snprintf(sig->i, sizeof(sig->i), "%s", s->auid);
	}
	sig->has_t = 1;
	sig->t = (int64_t)ctx->now;
	if (s->expire != 0) {
		sig->has_x = 1;
		sig->x = (int64_t)s->expire;
	}
	memcpy(sig->bh, ctx->bh[s->bcanon], 32);
	sig->bhlen = 32;
	if (header_set(sig, s, hdrs, n, errstr) == -1)
		return -1;
	if (dkim_sig_write(field, sig, flags) == -1) {
		*errstr = "cannot write the signature";
		return -1;
	}
	/* What is signed is the field as written, its b= still empty (RFC 6376 3.7). */
	return dkim_header_hash(hdrs, n, n, sig, field->data, namelen,
	    field->data + namelen + 1, field->len - namelen - 1,
	    field->len - namelen - 1, field->len - namelen - 1, ctx->md[idx],
	    errstr);
}

static int
end_body(struct dkim_sign *ctx, const char **errstr)
{
	int	 c;

	if (ctx->ended)
		return 0;
	for (c = 0; c < 2; c++)
		if (ctx->used[c] &&
		    dkim_body_final(&ctx->body[c], ctx->bh[c]) == -1) {
			*errstr = "cannot hash the body";
			return -1;
		}
	ctx->ended = 1;
	return 0;
}

int
dkim_sign_prepare(struct dkim_sign *ctx, const struct dkim_hdr *hdrs, size_t n,
    int flags, const char **errstr)
{
	size_t	 i;

	if (ctx->prepared) {
		*errstr = "signatures already prepared";
		return -1;
	}
	if (end_body(ctx, errstr) == -1)
		return -1;
	for (i = 0; i < ctx->n; i++)
		if (prepare_one(ctx, i, hdrs, n, flags, errstr) == -1)
			return -1;
	ctx->prepared = 1;
	return 0;
}

size_t
dkim_sign_count(const struct dkim_sign *ctx)
{
	return ctx->n;
}

const unsigned char *
dkim_sign_digest(const struct dkim_sign *ctx, size_t idx)
{
	if (!ctx->prepared || idx >= ctx->n)
		return NULL;
	return ctx->md[idx];
}

enum dkim_alg
dkim_sign_alg(const struct dkim_sign *ctx, size_t idx)
{
	if (!ctx->prepared || idx >= ctx->n)
		return DKIM_ALG_UNKNOWN;
	return ctx->sig[idx]->alg;
}

int
dkim_sign_complete(struct dkim_sign *ctx, size_t idx, const unsigned char *sig,
    size_t siglen, struct buf *out, int flags, const char **errstr)
{
	struct dkim_sig	*ds;

	if (!ctx->prepared || idx >= ctx->n) {
		*errstr = "no such prepared signature";
		return -1;
	}
	ds = ctx->sig[idx];
	/* An RSA signature is as long as the modulus, an Ed25519 one 64 octets. */
	if (siglen == 0 || siglen > sizeof(ds->b) ||
	    (ds->alg == DKIM_ALG_ED25519_SHA256 && siglen != 64) ||
	    (ds->alg == DKIM_ALG_RSA_SHA256 &&
	    (siglen < DKIM_RSA_MIN_BITS / 8 ||
	    siglen > DKIM_RSA_SIGN_MAX_BITS / 8))) {
		*errstr = "signature of the wrong length";
		return -1;
	}
	memcpy(ds->b, sig, siglen);
	ds->blen = siglen;
	if (dkim_sig_write_b(&ctx->field[idx], ds, flags) == -1 ||
	    buf_add(out, ctx->field[idx].data, ctx->field[idx].len) == -1) {
		*errstr = "signature too long";
		return -1;
	}
	return 0;
}

int
dkim_sign_hash(EVP_PKEY *key, const unsigned char md[32], unsigned char *sig,
    size_t *siglen)
{
	return dkim_crypto_sign(key, md, sig, siglen);
}

enum dkim_alg
dkim_key_alg(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "ED25519"))
		return DKIM_ALG_ED25519_SHA256;
	if (EVP_PKEY_is_a(key, "RSA"))
		return DKIM_ALG_RSA_SHA256;
	return DKIM_ALG_UNKNOWN;
}

int
dkim_sign_final(struct dkim_sign *ctx, const struct dkim_hdr *hdrs, size_t n,
    struct buf *out, int flags, const char **errstr)
{
	unsigned char	 b[DKIM_SIG_B_MAX];
	size_t		 i, blen;

	for (i = 0; i < ctx->n; i++)
		if (ctx->signer[i].key == NULL) {
			*errstr = "no signing key";
			return -1;
		}
	if (dkim_sign_prepare(ctx, hdrs, n, flags, errstr) == -1)
		return -1;
	for (i = 0; i < ctx->n; i++) {
		blen = sizeof(b);
		if (dkim_crypto_sign(ctx->signer[i].key, ctx->md[i], b,
		    &blen) == -1) {
			*errstr = "signing failed";
			return -1;
		}
		if (dkim_sign_complete(ctx, i, b, blen, out, flags, errstr) == -1)
			return -1;
	}
	return 0;
}

int
dkim_sign_message(const struct dkim_signer *signers, size_t nsigners,
    time_t now, const char *msg, size_t len, struct buf *out, int flags,
    const char **errstr)
{
	struct dkim_sign	*ctx;
	struct dkim_hdr		*hdrs;
	size_t			 n, body;
	int			 rc = -1;

	hdrs = xreallocarray(NULL, DKIM_HDRS_MAX, sizeof(*hdrs));
	if (dkim_hdr_split(msg, len, hdrs, DKIM_HDRS_MAX, &n, &body,
	    errstr) == -1) {
		x_free(&hdrs);
		return -1;
	}
	if ((ctx = dkim_sign_new(signers, nsigners, now, errstr)) == NULL) {
		x_free(&hdrs);
		return -1;
	}
	if (dkim_sign_body(ctx, msg + body, len - body) == -1)
		*errstr = "cannot hash the body";
	else
		rc = dkim_sign_final(ctx, hdrs, n, out, flags, errstr);
	dkim_sign_free(&ctx);
	x_free(&hdrs);
	return rc;
}
