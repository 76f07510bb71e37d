/* DKIM signing and verification (RFC 6376, RFC 8301, RFC 8463) without I/O: the caller reads the message and does the DNS lookups. */
#ifndef TEGAMI_DKIM_H
#define TEGAMI_DKIM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "mail/dkim_key.h"
#include "mail/dkim_sig.h"

struct buf;

#define DKIM_HDRS_MAX		1000	/* header fields of one message we look at */
#define DKIM_SIGN_MAX		4	/* signatures made at once */
#define DKIM_VERIFY_MAX		8	/* signatures checked per message, from the top */
#define DKIM_CLOCK_SLACK	300	/* seconds a t= may lie ahead, an x= behind */
#define DKIM_HEADER_DATA_MAX	(1024 * 1024)	/* canonical header octets signed */

/*
 * One header field as it is in the message: name is what precedes the
 * colon, value what follows it, folding included, without the line end
 * that closes the field. The pointers must stay valid while in use.
 */
struct dkim_hdr {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};

/*
 * Splits the header section at the start of msg[0..len) (LF or CRLF line
 * ends) into out[0..max). *n is the number of fields, *bodyoff where the
 * body starts (after the empty line; len when there is none). -1 with
 * errstr when a line is neither a field nor a continuation, or there are
 * more than max fields.
 */
int	 dkim_hdr_split(const char *msg, size_t len, struct dkim_hdr *out,
	    size_t max, size_t *n, size_t *bodyoff, const char **errstr);

/* --- Signing ----------------------------------------------------------- */

/* What dkim-sign signs when the configuration names nothing else. */
extern const char *const dkim_sign_default_headers[];

struct dkim_signer {
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	EVP_PKEY	*key;		/* RSA 1024-4096 bits or Ed25519; not owned */
	enum dkim_canon	 hcanon, bcanon;	/* relaxed/relaxed is the usual */
	const char	*auid;		/* i=, NULL for none; must be in domain */
	time_t		 expire;	/* x=, 0 for none */
	/*
	 * Names to sign (NULL: dkim_sign_default_headers). "List-*" stands
	 * for the list fields of RFC 2369, 2919 and 8058 and every other
	 * List- field of the message. Each name goes into h= once more than
	 * the message has it, so that a field added later breaks the
	 * signature; From is always signed.
	 */
	const char *const *headers;
	/*
	 * With key NULL, the key is held by another process: its algorithm
	 * (DKIM_ALG_RSA_SHA256 or DKIM_ALG_ED25519_SHA256), and the signing
	 * goes through dkim_sign_prepare and dkim_sign_complete.
	 */
	enum dkim_alg	 alg;
};

struct dkim_sign;

/*
 * Starts signing with n (1..DKIM_SIGN_MAX) signers at time now (t=).
 * Signers sharing a body canonicalization share one body hash. The
 * signers (and their strings and keys) must outlive the context.
 */
struct dkim_sign *dkim_sign_new(const struct dkim_signer *, size_t n,
	    time_t now, const char **errstr);
/* Body data in chunks of any size (LF or CRLF line ends). */
int	 dkim_sign_body(struct dkim_sign *, const void *, size_t);
/*
 * Ends the body and appends to out one DKIM-Signature field per signer,
 * each folded and ended with a line end (CRLF if flags has DKIM_SIG_CRLF,
 * else LF), to be put above the header fields hdrs[0..n) that were signed.
 */
int	 dkim_sign_final(struct dkim_sign *, const struct dkim_hdr *, size_t n,
	    struct buf *out, int flags, const char **errstr);
void	 dkim_sign_free(struct dkim_sign **);

/*
 * Signing with keys held elsewhere (the signer process): ends the body and,
 * for every signer, writes its field with b= empty and hashes what the key
 * signs (RFC 6376 3.7). Once only; the context keeps the fields.
 */
int	 dkim_sign_prepare(struct dkim_sign *, const struct dkim_hdr *, size_t n,
	    int flags, const char **errstr);
size_t	 dkim_sign_count(const struct dkim_sign *);
/* After dkim_sign_prepare: the SHA-256 signer idx's key must sign, and its algorithm. */
const unsigned char *dkim_sign_digest(const struct dkim_sign *, size_t idx);
enum dkim_alg dkim_sign_alg(const struct dkim_sign *, size_t idx);
/*
 * Appends signer idx's field to out with sig[0..siglen) as b=, folded and
 * ended as dkim_sign_final does. -1 when the length does not fit the
 * algorithm.
 */
int	 dkim_sign_complete(struct dkim_sign *, size_t idx, const unsigned char *sig,
	    size_t siglen, struct buf *out, int flags, const char **errstr);
/*
 * What the holder of the key does with a digest: RSASSA-PKCS1-v1_5 with
 * SHA-256, or Ed25519 over the digest (RFC 8463 3). *siglen is the room
 * in sig on entry (DKIM_SIG_B_MAX is enough), the length on return.
 */
int	 dkim_sign_hash(EVP_PKEY *, const unsigned char md[32], unsigned char *sig,
	    size_t *siglen);
/* The algorithm a private key signs with, DKIM_ALG_UNKNOWN for other keys. */
enum dkim_alg dkim_key_alg(EVP_PKEY *);

/* All of the above for a message in one buffer. */
int	 dkim_sign_message(const struct dkim_signer *, size_t nsigners,
	    time_t now, const char *msg, size_t len, struct buf *out, int flags,
	    const char **errstr);

/* --- Verification -------------------------------------------------------- */

enum dkim_result {
	DKIM_NONE = 0,		/* not checked */
	DKIM_PASS,
	DKIM_FAIL,
	DKIM_TEMPERROR,
	DKIM_PERMERROR,
};

enum dkim_reason {
	DKIM_R_OK = 0,
	/* fail */
	DKIM_R_BODY_HASH,	/* body hash mismatch */
	DKIM_R_SIGNATURE,	/* the signature does not match the header */
	DKIM_R_KEY_REVOKED,	/* p= is empty */
	DKIM_R_KEY_SHORT,	/* RSA key under 1024 bits (RFC 8301) */
	DKIM_R_KEY_ALG,		/* key type does not fit a= */
	DKIM_R_EXPIRED,		/* x= is past */
	DKIM_R_FUTURE,		/* t= is ahead of the clock */
	DKIM_R_BODY_SHORT,	/* l= is more than the body has */
	DKIM_R_RSA_SHA1,	/* a=rsa-sha1 (RFC 8301) */
	/* permerror */
	DKIM_R_SIG_SYNTAX,	/* the DKIM-Signature field is not valid */
	DKIM_R_NO_KEY,		/* no key record (NXDOMAIN, no DKIM TXT) */
	DKIM_R_KEY_SYNTAX,	/* the key record is not valid */
	DKIM_R_KEY_HASH,	/* the key's h= excludes sha256 */
	DKIM_R_KEY_SERVICE,	/* the key's s= excludes email */
	DKIM_R_KEY_STRICT,	/* t=s key, and i= is a subdomain of d= */
	/* temperror */
	DKIM_R_DNS,		/* the lookup failed for now */
	DKIM_R_INTERNAL,	/* out of memory, a crypto library failure */
};

/* How the caller's lookup of the key record went. */
enum dkim_dns {
	DKIM_DNS_OK,		/* rec holds the record */
	DKIM_DNS_NOTFOUND,	/* NXDOMAIN or no DKIM record at the name */
	DKIM_DNS_TEMPFAIL,	/* SERVFAIL, timeout */
};

/* The outcome for one signature, with what Authentication-Results reports. */
struct dkim_verdict {
	enum dkim_result result;
	enum dkim_reason reason;
	const char	*detail;	/* static text: the reason in words */
	enum dkim_alg	 alg;
	char		 d[DKIM_DOMAIN_MAX + 1];	/* "" when unknown */
	char		 s[DKIM_DOMAIN_MAX + 1];
	char		 i[DKIM_AUID_MAX + 1];
	char		 b8[9];
	int		 keybits;
	int		 testing;	/* the key says t=y */
};

struct dkim_verify;

/*
 * Starts checking the message whose header fields are hdrs[0..n): finds
 * up to DKIM_VERIFY_MAX DKIM-Signature fields from the top and parses
 * them. now and slack (seconds; DKIM_CLOCK_SLACK is usual) judge t= and
 * x=. hdrs must stay valid until dkim_verify_free. NULL only on memory or
 * crypto failure.
 */
struct dkim_verify *dkim_verify_new(const struct dkim_hdr *hdrs, size_t n,
	    time_t now, time_t slack, const char **errstr);
/* How many signatures were found (0 means dkim=none). */
size_t	 dkim_verify_count(const struct dkim_verify *);
/*
 * The DNS name whose TXT record signature idx needs, into out; -1 when the
 * signature is already decided (malformed) and needs no lookup.
 */
int	 dkim_verify_query(const struct dkim_verify *, size_t idx, char *out,
	    size_t outlen);
/* Body data in chunks of any size; each canonicalization is hashed once. */
int	 dkim_verify_body(struct dkim_verify *, const void *, size_t);
/* Ends the body; to be called once, before dkim_verify_result. */
int	 dkim_verify_body_end(struct dkim_verify *);
/*
 * The verdict of signature idx given the lookup's outcome and, for
 * DKIM_DNS_OK, the record rec[0..reclen) (TXT strings joined).
 */
void	 dkim_verify_result(struct dkim_verify *, size_t idx, enum dkim_dns,
	    const char *rec, size_t reclen, struct dkim_verdict *);
void	 dkim_verify_free(struct dkim_verify **);

/* The RFC 8601 word for a result: "pass", "fail", "permerror" ... */
const char *dkim_result_name(enum dkim_result);
/*
 * Appends the Authentication-Results resinfo of a verdict:
 *   dkim=pass header.d=example.org header.s=sel header.b=AbCdEfGh
 *   dkim=fail reason="body hash mismatch" header.d=... header.s=... header.b=...
 * header.b is the first 8 characters of b=; values that are not RFC 2045
 * tokens are quoted.
 */
int	 dkim_authres(struct buf *out, const struct dkim_verdict *);

#endif
