/* Tests for src/mail/dkim*.c: the RFC 6376 and RFC 8463 examples, parsers, round trips, tampering, keys, clocks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_util.h"
#include "harness.h"
#include "lib/buf.h"
#include "mail/dkim.h"
#include "mail/dkim_canon.h"
#include "mail/dkim_key.h"
#include "mail/dkim_priv.h"
#include "mail/dkim_sig.h"
#include "mail/dkim_tags.h"

#define T0	((time_t)1700000000)

/* ---- RFC 8463 Appendix A ---- */

/* A.1: the Ed25519 secret key (RFC 8032 7.1, test 1); the RSA key is DKIM_DATA/rfc8463-rsa.pem. */
#define RFC8463_ED_SEED	"nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="

/* A.2: the key records. */
static const struct keymap rfc8463_keys[] = {
	{ "brisbane._domainkey.football.example.com",
	    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
	{ "test._domainkey.football.example.com",
	    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
	    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3Fut"
	    "ACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2E"
	    "eC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB" },
	{ NULL, NULL },
};

/* A.3: the signed message (LF line ends here; the tests use both forms). */
static const char rfc8463_msg[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\n"
    " subject : date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\n"
    " date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\n"
    "From: Joe SixPack <joe@football.example.com>\n"
    "To: Suzie Q <suzie@shopping.example.net>\n"
    "Subject: Is dinner ready?\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\n"
    "\n"
    "Hi.\n"
    "\n"
    "We lost the game.  Are you hungry yet?\n"
    "\n"
    "Joe.\n";

#define RFC8463_T	((time_t)1528637909)

static void
b64(const unsigned char *md, char *out)
{
	(void)dkim_b64_encode(md, 32, out, 64);
}

static EVP_PKEY *
rfc8463_ed25519(void)
{
	unsigned char	 seed[32];
	EVP_PKEY	*k;

	if (dkim_b64_decode(RFC8463_ED_SEED, strlen(RFC8463_ED_SEED), seed,
	    sizeof(seed)) != 32)
		return NULL;
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	explicit_bzero(seed, sizeof(seed));
	return k;
}

static void
test_rfc8463_verify(void)
{
	struct dkim_verdict	 v[4];
	char			*crlf;
	size_t			 len, chunk;

	/* As published (CRLF), in the LF form of the queue, and in any chunking. */
	crlf = t_crlf(rfc8463_msg, &len);
	for (chunk = 0; chunk < 4; chunk++) {
		T_EQ_INT(t_verify(crlf, len, rfc8463_keys, RFC8463_T + 60,
		    chunk, v, 4), 2);
		T_EQ_INT(v[0].result, DKIM_PASS);
		T_EQ_INT(v[1].result, DKIM_PASS);
		T_EQ_INT(t_verify(rfc8463_msg, strlen(rfc8463_msg),
		    rfc8463_keys, RFC8463_T + 60, chunk * 3, v, 4), 2);
		T_EQ_INT(v[0].result, DKIM_PASS);
		T_EQ_INT(v[1].result, DKIM_PASS);
	}
	T_EQ_INT(v[0].alg, DKIM_ALG_ED25519_SHA256);
	T_EQ_INT(v[1].alg, DKIM_ALG_RSA_SHA256);
	T_EQ_INT(v[1].keybits, 1024);
	T_EQ_STR(v[0].s, "brisbane");
	T_EQ_STR(v[0].b8, "/gCrinpc");
	free(crlf);
}

/* Both published signatures, made again from the private keys: bit for bit (both schemes are deterministic). */
static void
test_rfc8463_reproduce(void)
{
	struct dkim_hdr		 h[20];
	struct dkim_sig		 sig;
	EVP_PKEY		*ed = rfc8463_ed25519(), *rsa = t_key("rfc8463-rsa.pem");
	EVP_PKEY		*key;
	unsigned char		 md[32], out[512];
	const char		*errstr;
	size_t			 n, body, i, outlen;

	T_ASSERT(ed != NULL && rsa != NULL);
	T_EQ_STR(t_record(ed), "v=DKIM1; k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
	T_EQ_INT(dkim_hdr_split(rfc8463_msg, strlen(rfc8463_msg), h, 20, &n,
	    &body, &errstr), 0);
	T_EQ_INT(n, 7);
	for (i = 0; i < 2; i++) {
		T_EQ_INT(dkim_sig_parse(&sig, h[i].value, h[i].valuelen,
		    &errstr), 0);
		T_EQ_INT(dkim_header_hash(h, n, i, &sig, h[i].name,
		    h[i].namelen, h[i].value, h[i].valuelen, sig.bstart,
		    sig.bend, md, &errstr), 0);
		key = sig.alg == DKIM_ALG_ED25519_SHA256 ? ed : rsa;
		outlen = sizeof(out);
		T_EQ_INT(dkim_crypto_sign(key, md, out, &outlen), 0);
		T_EQ_INT(outlen, sig.blen);
		T_ASSERT(memcmp(out, sig.b, outlen) == 0);
	}
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
}

/* Our signer over the RFC's message: the same body hash, and a signature the RFC keys verify. */
static void
test_rfc8463_sign(void)
{
	struct dkim_signer	 s[2] = {
		{ "football.example.com", "brisbane", NULL, DKIM_CANON_RELAXED,
		    DKIM_CANON_RELAXED, NULL, 0, NULL, DKIM_ALG_UNKNOWN },
		{ "football.example.com", "test", NULL, DKIM_CANON_RELAXED,
		    DKIM_CANON_RELAXED, NULL, 0, NULL, DKIM_ALG_UNKNOWN },
	};
	struct dkim_verdict	 v[6];
	struct dkim_sig		 sig;
	struct dkim_hdr		 h[20];
	const char		*unsigned_msg, *errstr;
	char			*signed_msg, bh[64];
	size_t			 len, n, body;

	s[0].key = rfc8463_ed25519();
	s[1].key = t_key("rfc8463-rsa.pem");
	T_ASSERT(s[0].key != NULL && s[1].key != NULL);
	/* The message without its two signatures. */
	unsigned_msg = strstr(rfc8463_msg, "From: Joe");
	signed_msg = t_sign(s, 2, RFC8463_T, unsigned_msg, strlen(unsigned_msg),
	    0, &len);
	T_ASSERT(signed_msg != NULL);
	T_EQ_INT(dkim_hdr_split(signed_msg, len, h, 20, &n, &body, &errstr), 0);
	T_EQ_INT(dkim_sig_parse(&sig, h[0].value, h[0].valuelen, &errstr), 0);
	b64(sig.bh, bh);
	T_EQ_STR(bh, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
	T_EQ_INT(t_verify(signed_msg, len, rfc8463_keys, RFC8463_T, 5, v, 6), 2);
	T_EQ_INT(v[0].result, DKIM_PASS);
	T_EQ_INT(v[1].result, DKIM_PASS);
	free(signed_msg);
	EVP_PKEY_free(s[0].key);
	EVP_PKEY_free(s[1].key);
}

/* ---- RFC 6376 3.4.5: the canonicalization examples ---- */

static void
tap(void *arg, const char *p, size_t n)
{
	(void)buf_add(arg, p, n);
}

/* The canonical body of in[0..len), fed in chunks of `chunk` octets (0: whole). */
static int
canon_body(struct buf *out, enum dkim_canon c, const char *in, size_t len,
    size_t chunk, uint64_t limit, unsigned char md[32])
{
	struct dkim_body	 b;
	size_t			 i, step;
	int			 rc = 0;

	buf_reset(out);
	if (dkim_body_init(&b, c, limit) == -1)
		return -1;
	b.tap = tap;
	b.tap_arg = out;
	for (i = 0; i < len; i += step) {
		step = chunk == 0 || chunk > len - i ? len - i : chunk;
		rc |= dkim_body_update(&b, in + i, step);
	}
	rc |= dkim_body_final(&b, md);
	dkim_body_free(&b);
	return rc;
}

static void
test_rfc6376_example(void)
{
	static const char	 hdr[] = "A: X\r\nB : Y\t\r\n\tZ  \r\n";
	static const char	 body[] = " C \r\nD \t E\r\n\r\n\r\n";
	struct dkim_hdr		 h[4];
	struct buf		 out;
	unsigned char		 md[32];
	const char		*errstr;
	size_t			 n, off, i, chunk;
	char			*lf;

	buf_init(&out, 0);
	T_EQ_INT(dkim_hdr_split(hdr, strlen(hdr), h, 4, &n, &off, &errstr), 0);
	T_EQ_INT(n, 2);
	for (i = 0; i < n; i++)
		T_EQ_INT(dkim_canon_header(&out, DKIM_CANON_RELAXED, h[i].name,
		    h[i].namelen, h[i].value, h[i].valuelen, 1), 0);
	T_EQ_STR(out.data, "a:X\r\nb:Y Z\r\n");
	buf_reset(&out);
	for (i = 0; i < n; i++)
		T_EQ_INT(dkim_canon_header(&out, DKIM_CANON_SIMPLE, h[i].name,
		    h[i].namelen, h[i].value, h[i].valuelen, 1), 0);
	T_EQ_STR(out.data, hdr);

	/* The same field stored with LF line ends canonicalizes the same. */
	lf = strdup("B : Y\t\n\tZ  \n");
	T_EQ_INT(dkim_hdr_split(lf, strlen(lf), h, 4, &n, &off, &errstr), 0);
	buf_reset(&out);
	T_EQ_INT(dkim_canon_header(&out, DKIM_CANON_SIMPLE, h[0].name,
	    h[0].namelen, h[0].value, h[0].valuelen, 1), 0);
	T_EQ_STR(out.data, "B : Y\t\r\n\tZ  \r\n");
	free(lf);

	for (chunk = 0; chunk < 5; chunk++) {
		T_EQ_INT(canon_body(&out, DKIM_CANON_RELAXED, body,
		    strlen(body), chunk, UINT64_MAX, md), 0);
		T_EQ_STR(out.data, " C\r\nD E\r\n");
		T_EQ_INT(canon_body(&out, DKIM_CANON_SIMPLE, body,
		    strlen(body), chunk, UINT64_MAX, md), 0);
		T_EQ_STR(out.data, " C \r\nD \t E\r\n");
	}
	buf_free(&out);
}

/* Edge cases of RFC 6376 3.4.3 and 3.4.4, with LF, CRLF and chunking alike. */
static void
test_body_canon(void)
{
	static const struct {
		enum dkim_canon	 c;
		const char	*in, *want;
	} cases[] = {
		/* Empty bodies: simple is one CRLF, relaxed nothing. */
		{ DKIM_CANON_SIMPLE, "", "\r\n" },
		{ DKIM_CANON_RELAXED, "", "" },
		{ DKIM_CANON_SIMPLE, "\n\n\n", "\r\n" },
		{ DKIM_CANON_RELAXED, "\r\n \t\r\n\n", "" },
		/* A last line without its line end gets one. */
		{ DKIM_CANON_SIMPLE, "abc", "abc\r\n" },
		{ DKIM_CANON_RELAXED, "abc  ", "abc\r\n" },
		/* Empty lines inside stay; trailing ones go. */
		{ DKIM_CANON_SIMPLE, "a\n\n\nb\n\n", "a\r\n\r\n\r\nb\r\n" },
		{ DKIM_CANON_RELAXED, "a\n \n\t\nb\n \n", "a\r\n\r\n\r\nb\r\n" },
		/* simple: white space-only lines are not empty. */
		{ DKIM_CANON_SIMPLE, "a\n \n", "a\r\n \r\n" },
		/* relaxed: runs of WSP become one SP, none at line ends. */
		{ DKIM_CANON_RELAXED, "\t a \t b\t\r\n", " a b\r\n" },
		/* A CR that is not before LF is data. */
		{ DKIM_CANON_SIMPLE, "a\rb\r\r\n", "a\rb\r\r\n" },
		{ DKIM_CANON_RELAXED, "a \r b\r", "a \r b\r\r\n" },
		{ DKIM_CANON_SIMPLE, "x\r", "x\r\r\n" },
		/* Mixed line ends in one body. */
		{ DKIM_CANON_SIMPLE, "a\r\nb\nc\r\n\r\n\n", "a\r\nb\r\nc\r\n" },
	};
	struct buf	 out, whole;
	unsigned char	 md[32], md2[32];
	char		 h1[64], h2[64];
	size_t		 i, chunk;

	buf_init(&out, 0);
	buf_init(&whole, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (chunk = 0; chunk < 4; chunk++) {
			T_EQ_INT(canon_body(&out, cases[i].c, cases[i].in,
			    strlen(cases[i].in), chunk, UINT64_MAX, md), 0);
			T_EQ_STR(out.data ? out.data : "", cases[i].want);
			/* The hash is that of the canonical octets. */
			EVP_Digest(out.data ? out.data : "", out.len, md2, NULL,
			    EVP_sha256(), NULL);
			T_ASSERT(memcmp(md, md2, 32) == 0);
		}
	/* The well-known hashes of empty bodies. */
	T_EQ_INT(canon_body(&out, DKIM_CANON_SIMPLE, "", 0, 0, UINT64_MAX, md),
	    0);
	b64(md, h1);
	T_EQ_STR(h1, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	T_EQ_INT(canon_body(&out, DKIM_CANON_RELAXED, "", 0, 0, UINT64_MAX, md),
	    0);
	b64(md, h2);
	T_EQ_STR(h2, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");

	/* l=: only the first octets are hashed; the length counts them all. */
	T_EQ_INT(canon_body(&out, DKIM_CANON_RELAXED, "hello  world\n\nmore\n",
	    19, 1, 7, md), 0);
	T_EQ_STR(out.data, "hello w");
	EVP_Digest("hello w", 7, md2, NULL, EVP_sha256(), NULL);
	T_ASSERT(memcmp(md, md2, 32) == 0);
	buf_free(&out);
	buf_free(&whole);
}

/* A long body through chunk sizes around the internal buffer. */
static void
test_body_chunks(void)
{
	struct buf	 in, a, b;
	unsigned char	 m1[32], m2[32];
	size_t		 i, chunks[] = { 1, 2, 3, 7, 4095, 4096, 4097, 65536 };
	unsigned	 r = 12345;
	int		 c;

	buf_init(&in, 0);
	buf_init(&a, 0);
	buf_init(&b, 0);
	for (i = 0; i < 200000; i++) {
		r = r * 1103515245 + 12345;
		(void)buf_addc(&in, " \t\r\nab"[(r >> 16) % 6]);
	}
	for (c = 0; c < 2; c++) {
		T_EQ_INT(canon_body(&a, (enum dkim_canon)c, in.data, in.len, 0,
		    UINT64_MAX, m1), 0);
		for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
			T_EQ_INT(canon_body(&b, (enum dkim_canon)c, in.data,
			    in.len, chunks[i], UINT64_MAX, m2), 0);
			T_EQ_INT(a.len, b.len);
			T_ASSERT(memcmp(a.data, b.data, a.len) == 0);
			T_ASSERT(memcmp(m1, m2, 32) == 0);
		}
	}
	buf_free(&in);
	buf_free(&a);
	buf_free(&b);
}

static void
test_header_canon(void)
{
	struct buf	 out;

	buf_init(&out, 0);
	/* relaxed: name lowercased and trimmed, value unfolded and squeezed. */
	T_EQ_INT(dkim_canon_header(&out, DKIM_CANON_RELAXED, "SuBject \t", 9,
	    " \t Hello \r\n\t  big\n world \t ", 26, 1), 0);
	T_EQ_STR(out.data, "subject:Hello big world\r\n");
	buf_reset(&out);
	/* An empty value. */
	T_EQ_INT(dkim_canon_header(&out, DKIM_CANON_RELAXED, "X", 1, "  ", 2,
	    0), 0);
	T_EQ_STR(out.data, "x:");
	buf_reset(&out);
	T_EQ_INT(dkim_canon_header(&out, DKIM_CANON_SIMPLE, "X", 1, "  ", 2,
	    1), 0);
	T_EQ_STR(out.data, "X:  \r\n");
	buf_free(&out);
}

/* ---- tag lists, signatures, key records ---- */

static void
test_tags(void)
{
	struct dkim_tags	 t;
	const struct dkim_tag	*g;
	const char		*errstr, *s;
	char			 big[DKIM_TAGS_MAX * 8 + 16];
	size_t			 i, n;

	s = "a=1; b = x y ;\r\n\tc=\n d; e=";
	T_EQ_INT(dkim_tags_parse(&t, s, strlen(s), &errstr), 0);
	T_EQ_INT(t.n, 4);
	T_ASSERT((g = dkim_tags_get(&t, "b")) != NULL);
	T_ASSERT(dkim_tag_is(g, "x y"));
	T_ASSERT((g = dkim_tags_get(&t, "c")) != NULL);
	T_ASSERT(dkim_tag_is(g, "d"));
	T_ASSERT((g = dkim_tags_get(&t, "e")) != NULL);
	T_EQ_INT(g->valuelen, 0);
	T_ASSERT(dkim_tags_get(&t, "A") == NULL);	/* names are case-sensitive */
	/* One trailing ";" (and space after it) is fine. */
	T_EQ_INT(dkim_tags_parse(&t, "v=1;", 4, &errstr), 0);
	T_EQ_INT(dkim_tags_parse(&t, "v=1; ", 5, &errstr), 0);

	/* What the grammar refuses. */
	static const char *const bad[] = {
		"", " ", ";", "a=1;;b=2", "a=1; a=2", "1a=x", "a", "a=1; b",
		"=1", "a=\"x;\"", "a=1\nb=2", "a=1\n", "a=1\r b=2", "a=1\r\n",
		"a_b-c=1", "a=\x01", NULL,
	};
	for (i = 0; bad[i] != NULL; i++) {
		errstr = NULL;
		if (dkim_tags_parse(&t, bad[i], strlen(bad[i]), &errstr) != -1)
			t_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		T_ASSERT(errstr != NULL);
	}
	/* Limits. */
	for (n = 0, i = 0; i < DKIM_TAGS_MAX + 1; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "t%zu=1;", i);
	T_EQ_INT(dkim_tags_parse(&t, big, n, &errstr), -1);
	T_EQ_INT(dkim_tags_parse(&t, big, n - 6, &errstr), 0);
	T_EQ_INT(t.n, DKIM_TAGS_MAX);
}

static void
test_b64_qp(void)
{
	unsigned char	 out[16];
	char		 s[32];

	T_EQ_INT(dkim_b64_decode("aGVs\r\n bG8=", 11, out, sizeof(out)), 5);
	T_ASSERT(memcmp(out, "hello", 5) == 0);
	T_EQ_INT(dkim_b64_decode("aGk=", 4, out, sizeof(out)), 2);
	T_EQ_INT(dkim_b64_decode("YQ==", 4, out, sizeof(out)), 1);
	T_EQ_INT(dkim_b64_decode("", 0, out, sizeof(out)), 0);
	T_EQ_INT(dkim_b64_decode("YQ=", 3, out, sizeof(out)), -1);
	T_EQ_INT(dkim_b64_decode("YQ===", 5, out, sizeof(out)), -1);
	T_EQ_INT(dkim_b64_decode("Y=Q=", 4, out, sizeof(out)), -1);
	T_EQ_INT(dkim_b64_decode("YQ-_", 4, out, sizeof(out)), -1);
	T_EQ_INT(dkim_b64_decode("aGVsbG8=", 8, out, 4), -1);	/* too long */
	T_EQ_INT(dkim_b64_encode((const unsigned char *)"hello", 5, s,
	    sizeof(s)), 0);
	T_EQ_STR(s, "aGVsbG8=");
	T_EQ_INT(dkim_b64_encode((const unsigned char *)"hello", 5, s, 8), -1);

	T_EQ_INT(dkim_qp_decode("a=3Db@x=2Ey", 11, s, sizeof(s)), 0);
	T_EQ_STR(s, "a=b@x.y");
	T_EQ_INT(dkim_qp_decode("a=3", 3, s, sizeof(s)), -1);
	T_EQ_INT(dkim_qp_decode("a=zz", 4, s, sizeof(s)), -1);
	T_EQ_INT(dkim_qp_decode("a=00", 4, s, sizeof(s)), -1);
}

static int
sig_ok(const char *v, const char **errstr)
{
	struct dkim_sig	 sig;

	return dkim_sig_parse(&sig, v, strlen(v), errstr);
}

#define SIG_REST "d=example.org; s=sel; h=From:To; " \
	"bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA"
#define SIG_BASE "v=1; a=rsa-sha256; " SIG_REST

static void
test_sig_parse(void)
{
	struct dkim_sig	 sig;
	const char	*errstr, *v;

	v = SIG_BASE "; c=relaxed; i=joe=40x@Sub.Example.ORG; l=12; t=100; "
	    "x=200; q=dns/txt:other/thing; z=From:x; future=tag";
	T_EQ_INT(dkim_sig_parse(&sig, v, strlen(v), &errstr), 0);
	T_EQ_INT(sig.alg, DKIM_ALG_RSA_SHA256);
	T_EQ_INT(sig.hcanon, DKIM_CANON_RELAXED);
	T_EQ_INT(sig.bcanon, DKIM_CANON_SIMPLE);
	T_EQ_STR(sig.d, "example.org");
	T_EQ_STR(sig.s, "sel");
	T_EQ_STR(sig.i, "joe@x@Sub.Example.ORG");
	T_EQ_INT(sig.nh, 2);
	T_EQ_STR(dkim_sig_hname(&sig, 1), "To");
	T_EQ_INT(sig.has_l, 1);
	T_EQ_INT(sig.l, 12);
	T_EQ_INT(sig.t, 100);
	T_EQ_INT(sig.x, 200);
	T_EQ_INT(sig.blen, 3);
	T_EQ_STR(sig.b8, "AAAA");
	/* Defaults: simple/simple, i= "@" d=. */
	T_EQ_INT(dkim_sig_parse(&sig, SIG_BASE, strlen(SIG_BASE), &errstr), 0);
	T_EQ_INT(sig.hcanon, DKIM_CANON_SIMPLE);
	T_EQ_STR(sig.i, "@example.org");
	T_EQ_INT(sig.has_i, 0);
	/* l= saturates rather than overflows. */
	v = SIG_BASE "; l=99999999999999999999999999999999999999";
	T_EQ_INT(dkim_sig_parse(&sig, v, strlen(v), &errstr), 0);
	T_ASSERT(sig.l == UINT64_MAX);

	static const char *const bad[] = {
		"v=2; a=rsa-sha256; " SIG_REST,
		"a=rsa-sha256; " SIG_REST,
		"v=1; a=rsa-sha512; " SIG_REST,
		"v=1; a=RSA-SHA256; " SIG_REST,
		SIG_BASE "; v=1",
		SIG_BASE "; c=relaxed/",
		SIG_BASE "; c=Relaxed",
		SIG_BASE "; c=simple/relaxed/simple",
		SIG_BASE "; q=http",
		SIG_BASE "; i=joe@example.com",
		SIG_BASE "; i=joe@badexample.org",
		SIG_BASE "; i=nobody",
		SIG_BASE "; l=",
		SIG_BASE "; l=-1",
		SIG_BASE "; t=1234567890123",
		SIG_BASE "; t=100; x=100",
		SIG_BASE "; t=100; x=50",
		"v=1; a=rsa-sha256; d=example.org; s=sel; h=To:Subject; "
		    "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA",
		"v=1; a=rsa-sha256; d=example.org; s=sel; h=From::To; "
		    "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA",
		"v=1; a=rsa-sha256; d=example..org; s=sel; h=From; "
		    "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA",
		"v=1; a=rsa-sha256; d=example.org; s=se/l; h=From; "
		    "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA",
		"v=1; a=rsa-sha256; d=example.org; s=sel; h=From; "
		    "bh=AAAA; b=AAAA",
		"v=1; a=rsa-sha256; d=example.org; s=sel; h=From; "
		    "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=",
		"v=1; a=rsa-sha256; d=example.org; s=sel; h=From; "
		    "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=A!AA",
		NULL,
	};
	for (size_t i = 0; bad[i] != NULL; i++) {
		errstr = NULL;
		if (dkim_sig_parse(&sig, bad[i], strlen(bad[i]), &errstr) != -1)
			t_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		T_ASSERT(errstr != NULL);
		T_EQ_INT(sig.refused, 0);
	}
	/* rsa-sha1 is understood, and refused (RFC 8301). */
	v = "v=1; a=rsa-sha1; d=example.org; s=sel; h=From; bh=AAAA; b=AAAA";
	T_EQ_INT(dkim_sig_parse(&sig, v, strlen(v), &errstr), -1);
	T_EQ_INT(sig.refused, 1);
	T_EQ_INT(sig.alg, DKIM_ALG_RSA_SHA1);
	/* After an error, what was valid is still there for the report. */
	v = "v=1; a=rsa-sha256; d=example.org; s=sel; h=To; bh=AAAA; b=QUJD";
	T_EQ_INT(sig_ok(v, &errstr), -1);
	T_EQ_INT(dkim_sig_parse(&sig, v, strlen(v), &errstr), -1);
	T_EQ_STR(sig.d, "example.org");
	T_EQ_STR(sig.b8, "QUJD");
}

static void
test_sig_write(void)
{
	struct dkim_sig	 sig, back;
	struct buf	 out;
	const char	*errstr, *line, *nl;
	size_t		 i, col;
	char		*value;

	memset(&sig, 0, sizeof(sig));
	sig.alg = DKIM_ALG_RSA_SHA256;
	sig.hcanon = sig.bcanon = DKIM_CANON_RELAXED;
	strcpy(sig.d, "a-rather-long-subdomain.of.a-long-domain-name.example.org");
	strcpy(sig.s, "selector2024");
	/* i= needs quoted-printable for ";" (the longest tag fits a line). */
	strcpy(sig.i, "a;b@a-rather-long-subdomain.of.a-long-domain-name.example.org");
	sig.has_i = sig.has_t = sig.has_x = 1;
	sig.t = 1700000000;
	sig.x = 1700600000;
	for (i = 0; i < 30; i++)
		T_EQ_INT(dkim_sig_add_hname(&sig, i % 2 ? "content-transfer-encoding" : "from"), 0);
	sig.bhlen = 32;
	memset(sig.bh, 0xfb, 32);
	sig.blen = 512;
	for (i = 0; i < 512; i++)
		sig.b[i] = (unsigned char)i;
	T_EQ_INT(dkim_sig_add_hname(&sig, "bad:name"), -1);

	buf_init(&out, 0);
	T_EQ_INT(dkim_sig_write(&out, &sig, 0), 0);
	T_ASSERT(out.len > 2 && memcmp(out.data + out.len - 3, "\tb=", 3) == 0);
	T_EQ_INT(dkim_sig_write_b(&out, &sig, 0), 0);
	T_ASSERT(out.data[out.len - 1] == '\n');
	/* Every line within 78 columns (a tab counted as 8). */
	for (line = out.data; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		T_ASSERT(nl != NULL);
		for (col = 0, i = 0; line + i < nl; i++)
			col += line[i] == '\t' ? 8 : 1;
		T_ASSERT(col <= DKIM_SIG_WIDTH);
	}
	/* It parses back to what was written. */
	value = strchr(out.data, ':') + 1;
	T_EQ_INT(dkim_sig_parse(&back, value, strlen(value) - 1, &errstr), 0);
	T_EQ_STR(back.i, sig.i);
	T_EQ_STR(back.d, sig.d);
	T_EQ_INT(back.nh, 30);
	T_EQ_INT(back.blen, 512);
	T_ASSERT(memcmp(back.b, sig.b, 512) == 0);
	T_ASSERT(memcmp(back.bh, sig.bh, 32) == 0);
	T_EQ_INT(back.x, sig.x);
	/* CRLF folding: no bare LF anywhere. */
	buf_reset(&out);
	T_EQ_INT(dkim_sig_write(&out, &sig, DKIM_SIG_CRLF), 0);
	T_EQ_INT(dkim_sig_write_b(&out, &sig, DKIM_SIG_CRLF), 0);
	for (i = 0; i < out.len; i++)
		if (out.data[i] == '\n')
			T_ASSERT(i > 0 && out.data[i - 1] == '\r');
	buf_free(&out);
}

static void
test_key_parse(void)
{
	struct dkim_key	 k;
	const char	*errstr, *r;
	EVP_PKEY	*rsa = t_key("rsa1024.pem");
	unsigned char	*der = NULL;
	char		 rec[1024], b64s[800];
	int		 n;

	T_ASSERT(rsa != NULL);
	r = rfc8463_keys[1].rec;
	T_EQ_INT(dkim_key_parse(&k, r, strlen(r), &errstr), 0);
	T_EQ_INT(k.type, DKIM_KEY_RSA);
	T_EQ_INT(k.bits, 1024);
	T_EQ_INT(k.sha256, 1);
	T_EQ_INT(k.email, 1);
	T_EQ_INT(k.revoked, 0);
	dkim_key_clear(&k);
	r = rfc8463_keys[0].rec;
	T_EQ_INT(dkim_key_parse(&k, r, strlen(r), &errstr), 0);
	T_EQ_INT(k.type, DKIM_KEY_ED25519);
	T_ASSERT(k.pkey != NULL);
	dkim_key_clear(&k);

	/* A bare RSAPublicKey (PKCS#1), as some publish it. */
	n = i2d_PublicKey(rsa, &der);
	T_ASSERT(n > 0);
	T_EQ_INT(dkim_b64_encode(der, (size_t)n, b64s, sizeof(b64s)), 0);
	OPENSSL_free(der);
	(void)snprintf(rec, sizeof(rec), "k=rsa;\tp=%s", b64s);
	T_EQ_INT(dkim_key_parse(&k, rec, strlen(rec), &errstr), 0);
	T_EQ_INT(k.bits, 1024);
	dkim_key_clear(&k);
	/* Garbage after the key is not a key. */
	(void)snprintf(rec, sizeof(rec), "k=rsa; p=%sAAAA", b64s);
	T_EQ_INT(dkim_key_parse(&k, rec, strlen(rec), &errstr), -1);

	/*
	 * SubjectPublicKeyInfo by hand around that RSAPublicKey: with the
	 * NULL parameters (what i2d_PUBKEY writes), without them (allowed),
	 * and broken ways that must not load.
	 */
	{
		static const unsigned char alg_null[] = { 0x30, 0x0d, 0x06, 0x09,
		    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
		    0x00 };
		unsigned char	 spki[400], *pk1 = NULL, *ref = NULL;
		size_t		 len, v;
		int		 n1, nref, variant;

		n1 = i2d_PublicKey(rsa, &pk1);
		nref = i2d_PUBKEY(rsa, &ref);
		T_ASSERT(n1 > 128 && n1 < 256 && nref > 0);
		for (variant = 0; variant < 4; variant++) {
			size_t	 alen = variant == 1 ? 13 : 15, body;

			body = alen + 4 + (size_t)n1;	/* BIT STRING: 03 81 len 00 */
			len = 0;
			spki[len++] = 0x30;
			spki[len++] = 0x81;
			spki[len++] = (unsigned char)body;
			memcpy(spki + len, alg_null, alen);
			if (variant == 1)
				spki[len + 1] = 0x0b;	/* no NULL */
			len += alen;
			spki[len++] = 0x03;
			spki[len++] = 0x81;
			spki[len++] = (unsigned char)(n1 + 1);
			spki[len++] = 0;	/* unused bits */
			memcpy(spki + len, pk1, (size_t)n1);
			len += (size_t)n1;
			if (variant == 2)
				spki[2]++;	/* a length that is off */
			if (variant == 3)
				spki[14] = 0x02;	/* another OID */
			if (variant == 0)
				T_ASSERT(len == (size_t)nref &&
				    memcmp(spki, ref, len) == 0);
			T_EQ_INT(dkim_b64_encode(spki, len, b64s, sizeof(b64s)),
			    0);
			(void)snprintf(rec, sizeof(rec), "p=%s", b64s);
			v = (size_t)dkim_key_parse(&k, rec, strlen(rec), &errstr);
			if (variant <= 1) {
				T_EQ_INT(v, 0);
				T_EQ_INT(k.bits, 1024);
				T_ASSERT(EVP_PKEY_eq(k.pkey, rsa) == 1);
			} else if (v == 0)
				t_fail(__FILE__, __LINE__, "SPKI variant %d "
				    "loaded", variant);
			dkim_key_clear(&k);
		}
		OPENSSL_free(pk1);
		OPENSSL_free(ref);
	}

	/* Flags, hash and service lists, revocation, unknown types. */
	r = "v=DKIM1; h=sha1:sha256; s=email:other; t=y:s:x; n=notes; p=";
	T_EQ_INT(dkim_key_parse(&k, r, strlen(r), &errstr), 0);
	T_EQ_INT(k.revoked, 1);
	T_EQ_INT(k.testing, 1);
	T_EQ_INT(k.strict, 1);
	T_EQ_INT(k.sha256, 1);
	T_EQ_INT(k.email, 1);
	r = "h=sha1; s=*; p=";
	T_EQ_INT(dkim_key_parse(&k, r, strlen(r), &errstr), 0);
	T_EQ_INT(k.sha256, 0);
	T_EQ_INT(k.email, 1);
	r = "s=tlsrpt; p=";
	T_EQ_INT(dkim_key_parse(&k, r, strlen(r), &errstr), 0);
	T_EQ_INT(k.email, 0);
	r = "k=dsa; p=AAAA";
	T_EQ_INT(dkim_key_parse(&k, r, strlen(r), &errstr), 0);
	T_EQ_INT(k.type, DKIM_KEY_UNKNOWN);
	T_ASSERT(k.pkey == NULL);

	static const char *const bad[] = {
		"v=DKIM1; k=rsa",		/* no p= */
		"k=rsa; v=DKIM1; p=",		/* v= not first */
		"v=DKIM2; p=",
		"v=DKIM1; p=AAAA",		/* not an RSA key */
		"v=DKIM1; p=!!!!",
		"k=ed25519; p=AAAA",		/* not 32 octets */
		"k=ed25519; p=MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"p=; p=",
		NULL,
	};
	for (size_t i = 0; bad[i] != NULL; i++) {
		if (dkim_key_parse(&k, bad[i], strlen(bad[i]), &errstr) != -1)
			t_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		dkim_key_clear(&k);
	}
	EVP_PKEY_free(rsa);
}

static void
test_private_keys(void)
{
	EVP_PKEY	*k;
	const char	*errstr;
	char		*pem;
	size_t		 len;
	static const char *const good[] = { "rsa1024.pem", "rsa2048.pem",
	    "rsa4096.pem", "ed25519.pem", "rfc8463-rsa.pem", NULL };

	for (size_t i = 0; good[i] != NULL; i++) {
		char	 path[128];

		(void)snprintf(path, sizeof(path), DKIM_DATA "/%s", good[i]);
		T_ASSERT((pem = t_slurp(path, &len)) != NULL);
		T_EQ_INT(dkim_key_load_private(pem, len, &k, &errstr), 0);
		EVP_PKEY_free(k);
		free(pem);
	}
	/* RFC 8301: 1024 bits at least. */
	T_ASSERT((pem = t_slurp(DKIM_DATA "/rsa512.pem", &len)) != NULL);
	T_EQ_INT(dkim_key_load_private(pem, len, &k, &errstr), -1);
	T_ASSERT(k == NULL);
	free(pem);
	/* Not a key, and an encrypted one: errors, never a prompt. */
	T_EQ_INT(dkim_key_load_private("hello", 5, &k, &errstr), -1);
	{
		EVP_PKEY	*ed = t_key("ed25519.pem");
		BIO		*bio = BIO_new(BIO_s_mem());
		char		*data;
		long		 n;

		T_ASSERT(ed != NULL && bio != NULL);
		T_ASSERT(PEM_write_bio_PrivateKey(bio, ed, EVP_aes_128_cbc(),
		    (unsigned char *)"pw", 2, NULL, NULL) == 1);
		n = BIO_get_mem_data(bio, &data);
		T_EQ_INT(dkim_key_load_private(data, (size_t)n, &k, &errstr),
		    -1);
		BIO_free(bio);
		EVP_PKEY_free(ed);
	}
}

/* ---- signing and verifying ---- */

static const char message[] =
    "Received: from a.example by b.example; Tue, 1 Jan 2030 00:00:00 +0000\n"
    "Received: from c.example by a.example; Tue, 1 Jan 2030 00:00:00 +0000\n"
    "From: \"Joe Q.\"  <joe@example.org>\n"
    "To: Suzie <suzie@example.net>,\n"
    "\tBob <bob@example.net>\n"
    "Subject:   An   interesting\n"
    "  subject\t \n"
    "Date: Tue, 1 Jan 2030 00:00:00 +0000\n"
    "Message-ID: <1@example.org>\n"
    "List-Foo: <mailto:foo@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Hello  there,\t\n"
    "\n"
    "  indented line  \n"
    "a line with a CR\r inside\n"
    "\n"
    "\n";

static struct keymap keys[4];

static void
set_keys(const char *sel, EVP_PKEY *k)
{
	static char	 name[64], rec[1200];

	(void)snprintf(name, sizeof(name), "%s._domainkey.example.org", sel);
	(void)snprintf(rec, sizeof(rec), "%s", t_record(k));
	keys[0].name = name;
	keys[0].rec = rec;
	keys[1].name = NULL;
}

/*
 * Signing with the key in another process: the hash handed out, signed
 * there, the signature put back, gives the very field dkim_sign_message
 * writes (PKCS#1 v1.5 and Ed25519 are deterministic), and it verifies.
 */
static void
test_split_sign(void)
{
	static const char *const names[] = { "rsa2048.pem", "ed25519.pem", NULL };
	struct dkim_signer	 s[2], remote[2];
	struct dkim_verdict	 v[2];
	struct dkim_hdr		 hdrs[64];
	struct dkim_sign	*ctx;
	struct buf		 whole, split, msg;
	unsigned char		 b[DKIM_SIG_B_MAX];
	const char		*errstr;
	size_t			 n, body, i, blen, len = strlen(message);
	int			 k;

	memset(s, 0, sizeof(s));
	for (k = 0; names[k] != NULL; k++) {
		s[k].domain = "example.org";
		s[k].selector = k == 0 ? "sel" : "ed";
		s[k].hcanon = DKIM_CANON_RELAXED;
		s[k].bcanon = k == 0 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
		T_ASSERT((s[k].key = t_key(names[k])) != NULL);
		remote[k] = s[k];
		remote[k].key = NULL;
		remote[k].alg = dkim_key_alg(s[k].key);
	}
	T_EQ_INT(remote[0].alg, DKIM_ALG_RSA_SHA256);
	T_EQ_INT(remote[1].alg, DKIM_ALG_ED25519_SHA256);
	buf_init(&whole, 0);
	T_EQ_INT(dkim_sign_message(s, 2, T0, message, len, &whole, 0, &errstr), 0);

	T_EQ_INT(dkim_hdr_split(message, len, hdrs, 64, &n, &body, &errstr), 0);
	T_ASSERT((ctx = dkim_sign_new(remote, 2, T0, &errstr)) != NULL);
	/* The body in small pieces, as it arrives. */
	for (i = body; i < len; i += 7)
		T_EQ_INT(dkim_sign_body(ctx, message + i, len - i < 7 ? len - i : 7), 0);
	T_ASSERT(dkim_sign_digest(ctx, 0) == NULL);	/* not prepared yet */
	/* Without the key, dkim_sign_final cannot sign. */
	buf_init(&split, 0);
	T_EQ_INT(dkim_sign_prepare(ctx, hdrs, n, 0, &errstr), 0);
	T_EQ_INT(dkim_sign_prepare(ctx, hdrs, n, 0, &errstr), -1);
	T_EQ_INT((int)dkim_sign_count(ctx), 2);
	for (i = 0; i < 2; i++) {
		T_EQ_INT(dkim_sign_alg(ctx, i), remote[i].alg);
		blen = sizeof(b);
		T_EQ_INT(dkim_sign_hash(s[i].key, dkim_sign_digest(ctx, i), b,
		    &blen), 0);
		/* A signature of a length the algorithm never makes is refused. */
		T_EQ_INT(dkim_sign_complete(ctx, i, b, i == 0 ? 100 : blen - 1,
		    &split, 0, &errstr), -1);
		T_EQ_INT(dkim_sign_complete(ctx, i, b, blen, &split, 0, &errstr), 0);
	}
	T_EQ_INT(dkim_sign_complete(ctx, 2, b, blen, &split, 0, &errstr), -1);
	dkim_sign_free(&ctx);
	T_EQ_INT((int)split.len, (int)whole.len);
	T_EQ_STR(split.data, whole.data);

	buf_init(&msg, 0);
	buf_add(&msg, split.data, split.len);
	buf_add(&msg, message, len);
	{
		char	 rsa[1200], ed[200];

		(void)snprintf(rsa, sizeof(rsa), "%s", t_record(s[0].key));
		(void)snprintf(ed, sizeof(ed), "%s", t_record(s[1].key));
		const struct keymap	 both[] = {
			{ "sel._domainkey.example.org", rsa },
			{ "ed._domainkey.example.org", ed },
			{ NULL, NULL },
		};
		T_EQ_INT(t_verify(msg.data, msg.len, both, T0 + 10, 0, v, 2), 2);
		T_EQ_INT(v[0].result, DKIM_PASS);
		T_EQ_INT(v[1].result, DKIM_PASS);
		T_EQ_INT(v[1].alg, DKIM_ALG_ED25519_SHA256);
	}
	buf_free(&msg);
	buf_free(&split);
	buf_free(&whole);
	/* No key and no algorithm: nothing to sign with. */
	remote[0].alg = DKIM_ALG_UNKNOWN;
	T_ASSERT(dkim_sign_new(remote, 1, T0, &errstr) == NULL);
	EVP_PKEY_free(s[0].key);
	EVP_PKEY_free(s[1].key);
}

/* Round trips: each key size, each canonicalization, LF and CRLF. */
static void
test_round_trip(void)
{
	static const char *const names[] = { "rsa1024.pem", "rsa2048.pem",
	    "rsa4096.pem", "ed25519.pem", NULL };
	struct dkim_signer	 s;
	struct dkim_verdict	 v[2];
	char			*crlf, *signed_msg, *other;
	size_t			 crlflen, len, otherlen;
	int			 k, hc, bc, form;

	crlf = t_crlf(message, &crlflen);
	for (k = 0; names[k] != NULL; k++) {
		memset(&s, 0, sizeof(s));
		s.domain = "example.org";
		s.selector = "sel";
		T_ASSERT((s.key = t_key(names[k])) != NULL);
		set_keys("sel", s.key);
		for (hc = 0; hc < 2; hc++)
			for (bc = 0; bc < 2; bc++)
				for (form = 0; form < 2; form++) {
					s.hcanon = (enum dkim_canon)hc;
					s.bcanon = (enum dkim_canon)bc;
					signed_msg = t_sign(&s, 1, T0,
					    form ? crlf : message,
					    form ? crlflen : strlen(message),
					    form ? DKIM_SIG_CRLF : 0, &len);
					T_ASSERT(signed_msg != NULL);
					T_EQ_INT(t_verify(signed_msg, len, keys,
					    T0 + 10, 13, v, 2), 1);
					if (v[0].result != DKIM_PASS)
						t_fail(__FILE__, __LINE__,
						    "%s c=%d/%d form %d: %s",
						    names[k], hc, bc, form,
						    v[0].detail);
					/* The other line-end form verifies too. */
					if (form)
						other = strdup(signed_msg);
					else
						other = t_crlf(signed_msg, NULL);
					if (form) {
						/* CRLF to LF */
						char	*p, *q;

						for (p = q = other; *p; p++)
							if (!(p[0] == '\r' &&
							    p[1] == '\n'))
								*q++ = *p;
						*q = '\0';
					}
					otherlen = strlen(other);
					T_EQ_INT(t_verify(other, otherlen, keys,
					    T0 + 10, 0, v, 2), 1);
					T_EQ_INT(v[0].result, DKIM_PASS);
					free(other);
					free(signed_msg);
				}
		EVP_PKEY_free(s.key);
	}
	free(crlf);
}

/* The oversigned h= of the default set. */
static void
test_header_set(void)
{
	struct dkim_signer	 s = { "example.org", "sel", NULL,
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, NULL, DKIM_ALG_UNKNOWN };
	struct dkim_hdr		 h[40];
	struct dkim_sig		 sig;
	const char		*errstr;
	char			*out;
	size_t			 len, n, body, i, from = 0, recv = 0, rt = 0,
				 lf = 0, lid = 0, to = 0;

	T_ASSERT((s.key = t_key("ed25519.pem")) != NULL);
	out = t_sign(&s, 1, T0, message, strlen(message), 0, &len);
	T_ASSERT(out != NULL);
	T_EQ_INT(dkim_hdr_split(out, len, h, 40, &n, &body, &errstr), 0);
	T_EQ_INT(dkim_sig_parse(&sig, h[0].value, h[0].valuelen, &errstr), 0);
	for (i = 0; i < sig.nh; i++) {
		const char	*nm = dkim_sig_hname(&sig, i);

		from += strcmp(nm, "from") == 0;
		to += strcmp(nm, "to") == 0;
		recv += strcmp(nm, "received") == 0;
		rt += strcmp(nm, "reply-to") == 0;
		lf += strcmp(nm, "list-foo") == 0;
		lid += strcmp(nm, "list-id") == 0;
	}
	T_EQ_INT(from, 2);
	T_EQ_INT(to, 2);
	T_EQ_INT(recv, 0);
	T_EQ_INT(rt, 1);	/* absent: signed once, so adding one breaks */
	T_EQ_INT(lf, 2);	/* List-* takes the message's own List- fields */
	T_EQ_INT(lid, 1);
	T_EQ_STR(dkim_sig_hname(&sig, 0), "from");
	T_EQ_INT(sig.has_t, 1);
	T_EQ_INT(sig.t, T0);
	T_EQ_INT(sig.has_x, 0);
	T_EQ_INT(sig.has_l, 0);
	free(out);

	/* Without From there is nothing to sign. */
	T_ASSERT(t_sign(&s, 1, T0, "To: x@y\n\nbody\n", 14, 0, &len) == NULL);
	/* A chosen set, with From added when it is missing. */
	{
		const char *const set[] = { "Subject", NULL };

		s.headers = set;
		out = t_sign(&s, 1, T0, message, strlen(message), 0, &len);
		T_ASSERT(out != NULL);
		T_EQ_INT(dkim_hdr_split(out, len, h, 40, &n, &body, &errstr),
		    0);
		T_EQ_INT(dkim_sig_parse(&sig, h[0].value, h[0].valuelen,
		    &errstr), 0);
		T_EQ_INT(sig.nh, 4);
		free(out);
	}
	EVP_PKEY_free(s.key);
}

/* Edits, and which of them a signature must notice. */
static char *
edit(const char *msg, const char *from, const char *to)
{
	const char	*p = strstr(msg, from);
	struct buf	 b;

	if (p == NULL)
		return NULL;
	buf_init(&b, 0);
	(void)buf_add(&b, msg, (size_t)(p - msg));
	(void)buf_adds(&b, to);
	(void)buf_adds(&b, p + strlen(from));
	return buf_release(&b);
}

static void
test_tamper(void)
{
	struct dkim_signer	 s = { "example.org", "sel", NULL,
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, NULL, DKIM_ALG_UNKNOWN };
	struct dkim_verdict	 v[2];
	char			*sm, *t;
	size_t			 len;
	int			 c;
	static const struct {
		const char	*from, *to;
		enum dkim_result r;
		enum dkim_reason why;
		int		 relaxed_only;	/* passes only under relaxed */
	} cases[] = {
		{ "An   interesting", "A dull", DKIM_FAIL, DKIM_R_SIGNATURE, 0 },
		{ "Hello  there", "Hello there!", DKIM_FAIL, DKIM_R_BODY_HASH, 0 },
		{ "\n\n\n", "\n\nP.S.\n", DKIM_FAIL, DKIM_R_BODY_HASH, 0 },
		/* A second From added on top: oversigning catches it. */
		{ "Received: from a", "From: evil@example.com\nReceived: from a",
		    DKIM_FAIL, DKIM_R_SIGNATURE, 0 },
		/* So does a Reply-To the message had none of. */
		{ "Date:", "Reply-To: evil@example.com\nDate:", DKIM_FAIL,
		    DKIM_R_SIGNATURE, 0 },
		{ "MIME-Version", "List-Id: <x.example.com>\nMIME-Version",
		    DKIM_FAIL, DKIM_R_SIGNATURE, 0 },
		/* Fields outside the set may be added, e.g. by relays. */
		{ "Received: from a", "X-Spam: no\nReceived: from z\n"
		    "Received: from a", DKIM_PASS, DKIM_R_OK, 0 },
		/* White space: relaxed forgives it, simple does not. */
		{ "Subject:   An", "Subject: An", DKIM_PASS, DKIM_R_OK, 1 },
		{ "Hello  there,\t\n", "Hello there,\n", DKIM_PASS, DKIM_R_OK,
		    1 },
		{ "\"Joe Q.\"  <joe", "\"Joe Q.\"\n\t<joe", DKIM_PASS,
		    DKIM_R_OK, 1 },
		/* Field names' case never matters; empty lines at the end neither. */
		{ "Message-ID:", "MESSAGE-id:", DKIM_PASS, DKIM_R_OK, 1 },
		{ "\n\n\n", "\n\n\n\n\n", DKIM_PASS, DKIM_R_OK, 0 },
	};

	T_ASSERT((s.key = t_key("rsa2048.pem")) != NULL);
	set_keys("sel", s.key);
	for (c = 0; c < 2; c++) {
		s.hcanon = s.bcanon = (enum dkim_canon)c;
		sm = t_sign(&s, 1, T0, message, strlen(message), 0, &len);
		T_ASSERT(sm != NULL);
		T_EQ_INT(t_verify(sm, len, keys, T0, 0, v, 2), 1);
		T_EQ_INT(v[0].result, DKIM_PASS);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			enum dkim_result want = cases[i].r;
			enum dkim_reason why = cases[i].why;

			if (cases[i].relaxed_only && c == DKIM_CANON_SIMPLE) {
				want = DKIM_FAIL;
				why = strstr(cases[i].from, "Hello") ?
				    DKIM_R_BODY_HASH : DKIM_R_SIGNATURE;
			}
			T_ASSERT((t = edit(sm, cases[i].from, cases[i].to)) !=
			    NULL);
			T_EQ_INT(t_verify(t, strlen(t), keys, T0, 0, v, 2), 1);
			if (v[0].result != want || v[0].reason != why)
				t_fail(__FILE__, __LINE__, "case %zu c=%d: "
				    "%s (%s), want %d/%d", i, c,
				    dkim_result_name(v[0].result),
				    v[0].detail ? v[0].detail : "", want, why);
			free(t);
		}
		free(sm);
	}
	EVP_PKEY_free(s.key);
}

/* Several signers at once: one body hash per canonicalization, every signature valid. */
static void
test_multi(void)
{
	struct dkim_signer	 s[3] = {
		{ "example.org", "rsa", NULL, DKIM_CANON_RELAXED,
		    DKIM_CANON_RELAXED, NULL, 0, NULL, DKIM_ALG_UNKNOWN },
		{ "example.org", "ed", NULL, DKIM_CANON_RELAXED,
		    DKIM_CANON_RELAXED, "joe@example.org", T0 + 86400, NULL, DKIM_ALG_UNKNOWN },
		{ "example.org", "eds", NULL, DKIM_CANON_SIMPLE,
		    DKIM_CANON_SIMPLE, NULL, 0, NULL, DKIM_ALG_UNKNOWN },
	};
	struct keymap		 km[4];
	struct dkim_verdict	 v[4];
	struct dkim_sign	*ctx;
	struct dkim_hdr		 h[40];
	struct buf		 a, b;
	const char		*errstr;
	static char		 r0[1200], r1[200];
	size_t			 n, body, len, i;
	char			*sm;

	T_ASSERT((s[0].key = t_key("rsa2048.pem")) != NULL);
	T_ASSERT((s[1].key = t_key("ed25519.pem")) != NULL);
	s[2].key = s[1].key;
	(void)snprintf(r0, sizeof(r0), "%s", t_record(s[0].key));
	(void)snprintf(r1, sizeof(r1), "%s", t_record(s[1].key));
	km[0] = (struct keymap){ "rsa._domainkey.example.org", r0 };
	km[1] = (struct keymap){ "ed._domainkey.example.org", r1 };
	km[2] = (struct keymap){ "eds._domainkey.example.org", r1 };
	km[3] = (struct keymap){ NULL, NULL };
	sm = t_sign(s, 3, T0, message, strlen(message), 0, &len);
	T_ASSERT(sm != NULL);
	T_EQ_INT(t_verify(sm, len, km, T0, 100, v, 4), 3);
	for (i = 0; i < 3; i++)
		T_EQ_INT(v[i].result, DKIM_PASS);
	T_EQ_STR(v[1].i, "joe@example.org");
	free(sm);

	/* Streaming the body in pieces signs exactly as one buffer does (Ed25519 is deterministic). */
	buf_init(&a, 0);
	buf_init(&b, 0);
	T_EQ_INT(dkim_sign_message(&s[1], 1, T0, message, strlen(message), &a,
	    0, &errstr), 0);
	T_EQ_INT(dkim_hdr_split(message, strlen(message), h, 40, &n, &body,
	    &errstr), 0);
	T_ASSERT((ctx = dkim_sign_new(&s[1], 1, T0, &errstr)) != NULL);
	for (i = body; i < strlen(message); i++)
		T_EQ_INT(dkim_sign_body(ctx, message + i, 1), 0);
	T_EQ_INT(dkim_sign_final(ctx, h, n, &b, 0, &errstr), 0);
	dkim_sign_free(&ctx);
	T_ASSERT(ctx == NULL);
	T_EQ_STR(a.data, b.data);
	buf_free(&a);
	buf_free(&b);

	/* Bad signers are refused up front. */
	{
		struct dkim_signer	 bad = s[0];
		EVP_PKEY		*k512 = t_key("rsa512.pem");

		bad.auid = "joe@example.com";
		T_ASSERT(dkim_sign_new(&bad, 1, T0, &errstr) == NULL);
		bad.auid = "joe@sub.example.org";
		T_ASSERT((ctx = dkim_sign_new(&bad, 1, T0, &errstr)) != NULL);
		dkim_sign_free(&ctx);
		bad.expire = T0;
		T_ASSERT(dkim_sign_new(&bad, 1, T0, &errstr) == NULL);
		bad.expire = 0;
		bad.domain = "exa mple.org";
		T_ASSERT(dkim_sign_new(&bad, 1, T0, &errstr) == NULL);
		bad.domain = "example.org";
		T_ASSERT(k512 != NULL);
		bad.key = k512;
		T_ASSERT(dkim_sign_new(&bad, 1, T0, &errstr) == NULL);
		T_ASSERT(dkim_sign_new(s, 0, T0, &errstr) == NULL);
		EVP_PKEY_free(k512);
	}
	EVP_PKEY_free(s[0].key);
	EVP_PKEY_free(s[1].key);
}

/*
 * A signature made by hand, for what our signer never writes (l=, a
 * 512-bit key, rsa-sha1): tags is the field's text before "b=".
 */
static char *
hand_sign(const char *tags, EVP_PKEY *key, const char *msg)
{
	struct dkim_hdr	 h[40];
	struct dkim_sig	 sig;
	struct buf	 field, out;
	unsigned char	 md[32];
	const char	*errstr;
	char		 b64s[1024], *res = NULL;
	size_t		 n, body, siglen;

	buf_init(&field, 0);
	buf_init(&out, 0);
	/* Parsed with a placeholder b= to learn h= and c=, signed with b= empty. */
	(void)buf_addf(&field, "DKIM-Signature: %s b=AAAA", tags);
	if (dkim_sig_parse(&sig, field.data + 15, field.len - 15, &errstr) ==
	    -1 && !sig.refused)
		goto done;
	field.len -= 4;
	field.data[field.len] = '\0';
	(void)buf_addf(&out, "%s\n%s", field.data, msg);
	siglen = sizeof(sig.b);
	if (dkim_hdr_split(out.data, out.len, h, 40, &n, &body, &errstr) == -1 ||
	    dkim_header_hash(h, n, 0, &sig, h[0].name, h[0].namelen, h[0].value,
	    h[0].valuelen, h[0].valuelen, h[0].valuelen, md, &errstr) == -1 ||
	    dkim_crypto_sign(key, md, sig.b, &siglen) == -1)
		goto done;
	(void)dkim_b64_encode(sig.b, siglen, b64s, sizeof(b64s));
	buf_reset(&out);
	(void)buf_addf(&out, "%s%s\n%s", field.data, b64s, msg);
	res = buf_release(&out);
done:
	buf_free(&field);
	buf_free(&out);
	return res;
}

static const char small[] =
    "From: joe@example.org\nSubject: hi\n\nhello  world\n\nmore text\n";

static void
test_verify_outcomes(void)
{
	struct dkim_verdict	 v[2];
	EVP_PKEY		*k512 = t_key("rsa512.pem"), *rsa =
	    t_key("rsa1024.pem"), *ed = t_key("ed25519.pem");
	struct keymap		 km[2] = { { "sel._domainkey.example.org", NULL },
	    { NULL, NULL } };
	char			 rec[1200], tags[512], *m, *m2;
	unsigned char		 md[32];
	struct buf		 canon;
	char			 bh[64];

	T_ASSERT(k512 != NULL && rsa != NULL && ed != NULL);
	buf_init(&canon, 0);

	/* A 512-bit key signs correctly, and still fails (RFC 8301). */
	(void)snprintf(rec, sizeof(rec), "%s", t_record(k512));
	km[0].rec = rec;
	T_EQ_INT(canon_body(&canon, DKIM_CANON_SIMPLE, "hello  world\n\nmore "
	    "text\n", 24, 0, UINT64_MAX, md), 0);
	b64(md, bh);
	(void)snprintf(tags, sizeof(tags), "v=1; a=rsa-sha256; d=example.org; "
	    "s=sel; h=from:subject; bh=%s;", bh);
	T_ASSERT((m = hand_sign(tags, k512, small)) != NULL);
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_FAIL);
	T_EQ_INT(v[0].reason, DKIM_R_KEY_SHORT);
	T_EQ_INT(v[0].keybits, 512);
	free(m);
	/* The same made with a 1024-bit key passes: the check above is the key size. */
	(void)snprintf(rec, sizeof(rec), "%s", t_record(rsa));
	T_ASSERT((m = hand_sign(tags, rsa, small)) != NULL);
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_PASS);

	/* Key record outcomes for that signature. */
	km[0].rec = "v=DKIM1; k=rsa; p=";
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].reason, DKIM_R_KEY_REVOKED);
	T_EQ_INT(v[0].result, DKIM_FAIL);
	km[0].rec = rfc8463_keys[0].rec;	/* an Ed25519 key for an RSA signature */
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].reason, DKIM_R_KEY_ALG);
	km[0].rec = "v=DKIM1; k=foo; p=AAAA";
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].reason, DKIM_R_KEY_ALG);
	km[0].rec = "v=DKIM1; p=%%%";
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_PERMERROR);
	T_EQ_INT(v[0].reason, DKIM_R_KEY_SYNTAX);
	km[0].rec = NULL;
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_PERMERROR);
	T_EQ_INT(v[0].reason, DKIM_R_NO_KEY);
	km[0].rec = "TEMP";
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_TEMPERROR);
	T_EQ_INT(v[0].reason, DKIM_R_DNS);
	{
		char	 r2[1300];

		(void)snprintf(r2, sizeof(r2), "h=sha1; %s", rec + 9);
		km[0].rec = r2;
		T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
		T_EQ_INT(v[0].reason, DKIM_R_KEY_HASH);
		(void)snprintf(r2, sizeof(r2), "s=other; %s", rec + 9);
		T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
		T_EQ_INT(v[0].reason, DKIM_R_KEY_SERVICE);
		(void)snprintf(r2, sizeof(r2), "t=y; %s", rec + 9);
		T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
		T_EQ_INT(v[0].result, DKIM_PASS);
		T_EQ_INT(v[0].testing, 1);
		/* t=s with i= in d= itself passes. */
		(void)snprintf(r2, sizeof(r2), "t=s; %s", rec + 9);
		T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
		T_EQ_INT(v[0].result, DKIM_PASS);
		free(m);
		/* ... and with i= in a subdomain it does not. */
		(void)snprintf(tags, sizeof(tags), "v=1; a=rsa-sha256; "
		    "d=example.org; i=@sub.example.org; s=sel; h=from; bh=%s;",
		    bh);
		T_ASSERT((m = hand_sign(tags, rsa, small)) != NULL);
		T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
		T_EQ_INT(v[0].result, DKIM_PERMERROR);
		T_EQ_INT(v[0].reason, DKIM_R_KEY_STRICT);
		km[0].rec = rec;
		T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
		T_EQ_INT(v[0].result, DKIM_PASS);
		free(m);
	}

	/* l=: text added after the signed part is allowed; a shorter body fails. */
	T_EQ_INT(canon_body(&canon, DKIM_CANON_RELAXED, "hello  world\n", 13, 0,
	    UINT64_MAX, md), 0);
	b64(md, bh);
	(void)snprintf(rec, sizeof(rec), "%s", t_record(ed));
	km[0].rec = rec;
	(void)snprintf(tags, sizeof(tags), "v=1; a=ed25519-sha256; "
	    "c=relaxed/relaxed; d=example.org; s=sel; l=13; h=from; bh=%s;", bh);
	T_ASSERT((m = hand_sign(tags, ed, small)) != NULL);
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_PASS);
	T_ASSERT((m2 = edit(m, "more text", "more text, and an appended ad")) !=
	    NULL);
	T_EQ_INT(t_verify(m2, strlen(m2), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_PASS);
	free(m2);
	T_ASSERT((m2 = edit(m, "hello  world\n\nmore text\n", "hello w\n")) !=
	    NULL);
	T_EQ_INT(t_verify(m2, strlen(m2), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].reason, DKIM_R_BODY_SHORT);
	free(m2);
	free(m);

	/* rsa-sha1: understood and failed (RFC 8301), never looked up. */
	(void)snprintf(tags, sizeof(tags), "v=1; a=rsa-sha1; d=example.org; "
	    "s=sel; h=from; bh=AAAAAAAAAAAAAAAAAAAAAAAAAAA=;");
	T_ASSERT((m = hand_sign(tags, rsa, small)) != NULL);
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_FAIL);
	T_EQ_INT(v[0].reason, DKIM_R_RSA_SHA1);
	free(m);
	/* A malformed signature is a permerror that still names its domain. */
	(void)snprintf(tags, sizeof(tags), "v=1; a=rsa-sha256; d=example.org; "
	    "s=sel; h=subject; bh=%s;", bh);
	T_ASSERT((m = hand_sign(tags, rsa, small)) == NULL);
	buf_free(&canon);
	EVP_PKEY_free(k512);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

/*
 * RFC 6376 5.4.2: a name in h= takes the last unused field of that name,
 * from the bottom up; the signature being checked never counts as one of
 * the DKIM-Signature fields it may sign.
 */
static void
test_bottom_up(void)
{
	static const char	 msg[] =
	    "Received: from top\n"
	    "Received: from bottom\n"
	    "DKIM-Signature: v=1; a=rsa-sha256; d=old.example; s=x; h=from; "
	    "bh=AAAA; b=AAAA\n"
	    "From: joe@example.org\n"
	    "\n"
	    "hi\n";
	struct dkim_verdict	 v[DKIM_VERIFY_MAX + 2];
	struct keymap		 km[2] = { { "sel._domainkey.example.org", NULL },
	    { NULL, NULL } };
	struct buf		 many;
	EVP_PKEY		*ed = t_key("ed25519.pem");
	unsigned char		 md[32];
	struct buf		 canon;
	char			 rec[200], tags[300], bh[64], *m, *t;
	int			 i;

	T_ASSERT(ed != NULL);
	buf_init(&canon, 0);
	(void)snprintf(rec, sizeof(rec), "%s", t_record(ed));
	km[0].rec = rec;
	T_EQ_INT(canon_body(&canon, DKIM_CANON_SIMPLE, "hi\n", 3, 0,
	    UINT64_MAX, md), 0);
	b64(md, bh);
	/* One "received" and two "dkim-signature" (there is only one other). */
	(void)snprintf(tags, sizeof(tags), "v=1; a=ed25519-sha256; "
	    "d=example.org; s=sel; h=from:received:dkim-signature:"
	    "dkim-signature; bh=%s;", bh);
	T_ASSERT((m = hand_sign(tags, ed, msg)) != NULL);
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 4), 2);
	T_EQ_INT(v[0].result, DKIM_PASS);
	T_EQ_INT(v[1].result, DKIM_PERMERROR);	/* the old one: bad bh= */
	/* The top Received is not signed; the bottom one is. */
	T_ASSERT((t = strstr(m, "from top")) != NULL);
	t[5] = 'T';
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 4), 2);
	T_EQ_INT(v[0].result, DKIM_PASS);
	T_ASSERT((t = strstr(m, "from bottom")) != NULL);
	t[5] = 'B';
	T_EQ_INT(t_verify(m, strlen(m), km, T0, 0, v, 4), 2);
	T_EQ_INT(v[0].reason, DKIM_R_SIGNATURE);
	free(m);

	/* Only the first DKIM_VERIFY_MAX signatures from the top are looked at. */
	buf_init(&many, 0);
	for (i = 0; i < DKIM_VERIFY_MAX + 2; i++)
		(void)buf_adds(&many, "DKIM-Signature: v=1\n");
	(void)buf_adds(&many, msg);
	T_EQ_INT(t_verify(many.data, many.len, km, T0, 0, v,
	    DKIM_VERIFY_MAX + 2), DKIM_VERIFY_MAX);
	for (i = 0; i < DKIM_VERIFY_MAX; i++)
		T_EQ_INT(v[i].reason, DKIM_R_SIG_SYNTAX);
	buf_free(&many);
	buf_free(&canon);
	EVP_PKEY_free(ed);
}

/* t= and x= against the clock, with the slack. */
static void
test_clock(void)
{
	struct dkim_signer	 s = { "example.org", "sel", NULL,
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, T0 + 3600, NULL, DKIM_ALG_UNKNOWN };
	struct dkim_verdict	 v[2];
	char			*m;
	size_t			 len;

	T_ASSERT((s.key = t_key("ed25519.pem")) != NULL);
	set_keys("sel", s.key);
	T_ASSERT((m = t_sign(&s, 1, T0, small, strlen(small), 0, &len)) != NULL);
	T_EQ_INT(t_verify(m, len, keys, T0 + 3600, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_PASS);
	T_EQ_INT(t_verify(m, len, keys, T0 + 3600 + DKIM_CLOCK_SLACK, 0, v, 2),
	    1);
	T_EQ_INT(v[0].result, DKIM_PASS);
	T_EQ_INT(t_verify(m, len, keys, T0 + 3600 + DKIM_CLOCK_SLACK + 1, 0, v,
	    2), 1);
	T_EQ_INT(v[0].result, DKIM_FAIL);
	T_EQ_INT(v[0].reason, DKIM_R_EXPIRED);
	/* Made in the future as seen by this clock. */
	T_EQ_INT(t_verify(m, len, keys, T0 - DKIM_CLOCK_SLACK, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_PASS);
	T_EQ_INT(t_verify(m, len, keys, T0 - DKIM_CLOCK_SLACK - 1, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_FAIL);
	T_EQ_INT(v[0].reason, DKIM_R_FUTURE);
	free(m);
	EVP_PKEY_free(s.key);
}

static void
test_authres(void)
{
	struct dkim_verdict	 v;
	struct buf		 b;

	memset(&v, 0, sizeof(v));
	buf_init(&b, 0);
	v.result = DKIM_PASS;
	strcpy(v.d, "example.org");
	strcpy(v.s, "sel");
	strcpy(v.b8, "AbCd+fGh");
	T_EQ_INT(dkim_authres(&b, &v), 0);
	T_EQ_STR(b.data, "dkim=pass header.d=example.org header.s=sel "
	    "header.b=AbCd+fGh");
	buf_reset(&b);
	v.result = DKIM_FAIL;
	v.detail = "body hash mismatch";
	strcpy(v.b8, "/gCrinpc");
	T_EQ_INT(dkim_authres(&b, &v), 0);
	T_EQ_STR(b.data, "dkim=fail reason=\"body hash mismatch\" "
	    "header.d=example.org header.s=sel header.b=\"/gCrinpc\"");
	buf_reset(&b);
	memset(&v, 0, sizeof(v));
	v.result = DKIM_PERMERROR;
	v.detail = "bad \"x\"";
	T_EQ_INT(dkim_authres(&b, &v), 0);
	T_EQ_STR(b.data, "dkim=permerror reason=\"bad \\\"x\\\"\"");
	buf_free(&b);
}

static void
test_hdr_split(void)
{
	struct dkim_hdr	 h[3];
	const char	*errstr, *m;
	size_t		 n, body;

	m = "A: 1\r\n b\r\nB:2\r\n\r\nbody";
	T_EQ_INT(dkim_hdr_split(m, strlen(m), h, 3, &n, &body, &errstr), 0);
	T_EQ_INT(n, 2);
	T_EQ_INT(h[0].valuelen, 6);
	T_ASSERT(memcmp(h[0].value, " 1\r\n b", 6) == 0);
	T_EQ_STR(m + body, "body");
	m = "A: 1\nB:2\n";	/* no body */
	T_EQ_INT(dkim_hdr_split(m, strlen(m), h, 3, &n, &body, &errstr), 0);
	T_EQ_INT(body, strlen(m));
	T_EQ_INT(dkim_hdr_split(" x\n", 3, h, 3, &n, &body, &errstr), -1);
	T_EQ_INT(dkim_hdr_split("no colon\n", 9, h, 3, &n, &body, &errstr), -1);
	T_EQ_INT(dkim_hdr_split(":x\n", 3, h, 3, &n, &body, &errstr), -1);
	T_EQ_INT(dkim_hdr_split("a:\nb:\nc:\nd:\n", 12, h, 3, &n, &body,
	    &errstr), -1);
}

void
test_main(void)
{
	t_run("rfc8463_verify", test_rfc8463_verify);
	t_run("rfc8463_reproduce", test_rfc8463_reproduce);
	t_run("rfc8463_sign", test_rfc8463_sign);
	t_run("rfc6376_example", test_rfc6376_example);
	t_run("body_canon", test_body_canon);
	t_run("body_chunks", test_body_chunks);
	t_run("header_canon", test_header_canon);
	t_run("hdr_split", test_hdr_split);
	t_run("tags", test_tags);
	t_run("b64_qp", test_b64_qp);
	t_run("sig_parse", test_sig_parse);
	t_run("sig_write", test_sig_write);
	t_run("key_parse", test_key_parse);
	t_run("private_keys", test_private_keys);
	t_run("round_trip", test_round_trip);
	t_run("split_sign", test_split_sign);
	t_run("header_set", test_header_set);
	t_run("tamper", test_tamper);
	t_run("multi", test_multi);
	t_run("verify_outcomes", test_verify_outcomes);
	t_run("bottom_up", test_bottom_up);
	t_run("clock", test_clock);
	t_run("authres", test_authres);
}
