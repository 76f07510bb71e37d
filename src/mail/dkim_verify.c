/* DKIM verification: every signature of a message judged on its own, bodies hashed once per canonicalization and length. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "lib/xalloc.h"
#include "mail/dkim.h"
#include "mail/dkim_canon.h"
#include "mail/dkim_priv.h"

struct vsig {
	struct dkim_sig	 sig;
	size_t		 field;		/* index in hdrs */
	size_t		 body;		/* index in body[] */
	/* Set when decided before any lookup (syntax, clock). */
	enum dkim_result result;
	enum dkim_reason reason;
	const char	*detail;
};

struct dkim_verify {
	const struct dkim_hdr	*hdrs;
	size_t			 n;
	time_t			 now, slack;
	int			 ended, failed;
	size_t			 nsigs;
	struct vsig		 v[DKIM_VERIFY_MAX];
	size_t			 nbody;
	struct dkim_body	 body[DKIM_VERIFY_MAX];
	unsigned char		 bh[DKIM_VERIFY_MAX][32];
};

static void
decide(struct vsig *v, enum dkim_result r, enum dkim_reason why,
    const char *detail)
{
	v->result = r;
	v->reason = why;
	v->detail = detail;
}

/* The body hasher for a canonicalization and l=, shared by all that ask for the same. */
static int
body_for(struct dkim_verify *ver, struct vsig *v)
{
	uint64_t	 limit = v->sig.has_l ? v->sig.l : UINT64_MAX;
	size_t		 i;

	for (i = 0; i < ver->nbody; i++)
		if (ver->body[i].canon == v->sig.bcanon &&
		    ver->body[i].limit == limit) {
			v->body = i;
			return 0;
		}
	if (dkim_body_init(&ver->body[ver->nbody], v->sig.bcanon, limit) == -1)
		return -1;
	v->body = ver->nbody++;
	return 0;
}

struct dkim_verify *
dkim_verify_new(const struct dkim_hdr *hdrs, size_t n, time_t now,
    time_t slack, const char **errstr)
{
	struct dkim_verify	*ver;
	struct vsig		*v;
	const char		*err;
	size_t			 i, len = strlen(DKIM_SIG_FIELD);

	ver = xcalloc(1, sizeof(*ver));
	ver->hdrs = hdrs;
	ver->n = n;
	ver->now = now;
	ver->slack = slack;
	for (i = 0; i < n && ver->nsigs < DKIM_VERIFY_MAX; i++) {
		if (!dkim_hdr_is(&hdrs[i], DKIM_SIG_FIELD, len))
			continue;
		v = &ver->v[ver->nsigs++];
		v->field = i;
		if (dkim_sig_parse(&v->sig, hdrs[i].value, hdrs[i].valuelen,
		    &err) == -1) {
			if (v->sig.refused)
				decide(v, DKIM_FAIL, DKIM_R_RSA_SHA1, err);
			else
				decide(v, DKIM_PERMERROR, DKIM_R_SIG_SYNTAX, err);
			continue;
		}
		if (v->sig.has_x && v->sig.x < (int64_t)now - (int64_t)slack) {
			decide(v, DKIM_FAIL, DKIM_R_EXPIRED, "signature expired");
			continue;
		}
		if (v->sig.has_t && v->sig.t > (int64_t)now + (int64_t)slack) {
			decide(v, DKIM_FAIL, DKIM_R_FUTURE,
			    "signature from the future");
			continue;
		}
		if (body_for(ver, v) == -1) {
			*errstr = "cannot start SHA-256";
			dkim_verify_free(&ver);
			return NULL;
		}
	}
	return ver;
}

size_t
dkim_verify_count(const struct dkim_verify *ver)
{
	return ver->nsigs;
}

int
dkim_verify_query(const struct dkim_verify *ver, size_t idx, char *out,
    size_t outlen)
{
	if (idx >= ver->nsigs || ver->v[idx].result != DKIM_NONE)
		return -1;
	return dkim_sig_dnsname(&ver->v[idx].sig, out, outlen);
}

int
dkim_verify_body(struct dkim_verify *ver, const void *p, size_t len)
{
	size_t	 i;

	if (ver->ended)
		return -1;
	for (i = 0; i < ver->nbody; i++)
		if (dkim_body_update(&ver->body[i], p, len) == -1)
			ver->failed = 1;
	return ver->failed ? -1 : 0;
}

int
dkim_verify_body_end(struct dkim_verify *ver)
{
	size_t	 i;

	if (ver->ended)
		return ver->failed ? -1 : 0;
	ver->ended = 1;
	for (i = 0; i < ver->nbody; i++)
		if (dkim_body_final(&ver->body[i], ver->bh[i]) == -1)
			ver->failed = 1;
	return ver->failed ? -1 : 0;
}

/* The i= domain (after the last "@") is d= itself, ignoring case. */
static int
auid_in_d(const struct dkim_sig *sig)
{
	const char	*at = strrchr(sig->i, '@');

	return at != NULL && strcasecmp(at + 1, sig->d) == 0;
}

/* Fills in the outcome; returns 0 so that a judgement can end with it. */
static int
verdict(struct dkim_verdict *out, enum dkim_result r, enum dkim_reason why,
    const char *detail)
{
	out->result = r;
	out->reason = why;
	out->detail = detail;
	return 0;
}

/* Judges a signature that passed its syntax and clock checks, with its key. */
static int
judge(const struct dkim_verify *ver, const struct vsig *v,
    const struct dkim_key *key, struct dkim_verdict *out)
{
	const struct dkim_sig	*sig = &v->sig;
	const struct dkim_hdr	*f = &ver->hdrs[v->field];
	const struct dkim_body	*body = &ver->body[v->body];
	const char		*err;
	unsigned char		 md[32];
	int			 ok;

	if (key->revoked)
		return verdict(out, DKIM_FAIL, DKIM_R_KEY_REVOKED,
		    "key revoked");
	if ((sig->alg == DKIM_ALG_RSA_SHA256 && key->type != DKIM_KEY_RSA) ||
	    (sig->alg == DKIM_ALG_ED25519_SHA256 &&
	    key->type != DKIM_KEY_ED25519))
		return verdict(out, DKIM_FAIL, DKIM_R_KEY_ALG,
		    "key type does not match the algorithm");
	if (!key->sha256)
		return verdict(out, DKIM_PERMERROR, DKIM_R_KEY_HASH,
		    "key does not allow sha256");
	if (!key->email)
		return verdict(out, DKIM_PERMERROR, DKIM_R_KEY_SERVICE,
		    "key is not for email");
	if (key->strict && !auid_in_d(sig))
		return verdict(out, DKIM_PERMERROR, DKIM_R_KEY_STRICT,
		    "key requires i= domain equal to d=");
	if (key->type == DKIM_KEY_RSA && key->bits < DKIM_RSA_MIN_BITS)
		return verdict(out, DKIM_FAIL, DKIM_R_KEY_SHORT,
		    "RSA key shorter than 1024 bits");
	if (!ver->ended || ver->failed)
		return verdict(out, DKIM_TEMPERROR, DKIM_R_INTERNAL,
		    "body not hashed");
	/* RFC 6376 3.5: l= must not be more than the body has. */
	if (sig->has_l && sig->l > body->len)
		return verdict(out, DKIM_FAIL, DKIM_R_BODY_SHORT,
		    "l= is longer than the body");
	if (CRYPTO_memcmp(sig->bh, ver->bh[v->body], 32) != 0)
		return verdict(out, DKIM_FAIL, DKIM_R_BODY_HASH,
		    "body hash mismatch");
	if (dkim_header_hash(ver->hdrs, ver->n, v->field, sig, f->name,
	    f->namelen, f->value, f->valuelen, sig->bstart, sig->bend, md,
	    &err) == -1)
		return verdict(out, DKIM_PERMERROR, DKIM_R_SIG_SYNTAX, err);
	ok = dkim_crypto_verify(key->pkey, sig->alg, md, sig->b, sig->blen);
	if (ok == -1)
		return verdict(out, DKIM_TEMPERROR, DKIM_R_INTERNAL,
		    "crypto library failure");
	if (ok == 0)
		return verdict(out, DKIM_FAIL, DKIM_R_SIGNATURE,
		    "signature mismatch");
	return verdict(out, DKIM_PASS, DKIM_R_OK, NULL);
}

static int
result(const struct dkim_verify *ver, const struct vsig *v, enum dkim_dns dns,
    const char *rec, size_t reclen, struct dkim_verdict *out)
{
	struct dkim_key		 key;
	const char		*err;

	out->alg = v->sig.alg;
	memcpy(out->d, v->sig.d, sizeof(out->d));
	memcpy(out->s, v->sig.s, sizeof(out->s));
	memcpy(out->i, v->sig.i, sizeof(out->i));
	memcpy(out->b8, v->sig.b8, sizeof(out->b8));
	if (v->result != DKIM_NONE)
		return verdict(out, v->result, v->reason, v->detail);
	if (dns == DKIM_DNS_TEMPFAIL)
		return verdict(out, DKIM_TEMPERROR, DKIM_R_DNS,
		    "key lookup failed");
	if (dns != DKIM_DNS_OK || rec == NULL)
		return verdict(out, DKIM_PERMERROR, DKIM_R_NO_KEY, "no key");
	if (dkim_key_parse(&key, rec, reclen, &err) == -1)
		return verdict(out, DKIM_PERMERROR, DKIM_R_KEY_SYNTAX, err);
	out->keybits = key.bits;
	out->testing = key.testing;
	(void)judge(ver, v, &key, out);
	dkim_key_clear(&key);
	return 0;
}

void
dkim_verify_result(struct dkim_verify *ver, size_t idx, enum dkim_dns dns,
    const char *rec, size_t reclen, struct dkim_verdict *out)
{
	memset(out, 0, sizeof(*out));
	if (idx < ver->nsigs)	/* else DKIM_NONE */
		(void)result(ver, &ver->v[idx], dns, rec, reclen, out);
}

void
dkim_verify_free(struct dkim_verify **pver)
{
	struct dkim_verify	*ver = *pver;
	size_t			 i;

	if (ver == NULL)
		return;
	for (i = 0; i < ver->nbody; i++)
		dkim_body_free(&ver->body[i]);
	x_free(pver);
}
