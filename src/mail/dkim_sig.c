/* DKIM-Signature fields: every tag of RFC 6376 3.5 checked as the RFC says, and written folded with b= last. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mail/dkim_sig.h"
#include "mail/dkim_tags.h"

static int
is_digits(const char *s, size_t len, size_t max)
{
	size_t	 i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Decimal digits to a number that saturates at max (l= may have 76 digits). */
static uint64_t
to_u64(const char *s, size_t len, uint64_t max)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return max;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

int
dkim_domain_valid(const char *s, size_t len)
{
	size_t	 i, label = 0;
	char	 c;

	if (len == 0 || len > DKIM_DOMAIN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		/* Underscores are not in hostnames but are fine in DNS names. */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

/* ftext: printable US-ASCII but the colon (RFC 5322 3.6.8). */
static int
field_name_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 ||
		    s[i] == ':')
			return 0;
	return 1;
}

static int
copy_domain(char *dst, const struct dkim_tag *tag)
{
	if (!dkim_domain_valid(tag->value, tag->valuelen))
		return -1;
	memcpy(dst, tag->value, tag->valuelen);
	dst[tag->valuelen] = '\0';
	return 0;
}

/* 1 when dom is d or a subdomain of it, ignoring case. */
static int
within(const char *dom, const char *d)
{
	size_t	 n = strlen(dom), m = strlen(d);

	if (n < m || strcasecmp(dom + n - m, d) != 0)
		return 0;
	return n == m || dom[n - m - 1] == '.';
}

static int
add_hname(struct dkim_sig *sig, const char *name, size_t len)
{
	size_t	 off = 0;

	if (!field_name_valid(name, len) || sig->nh == DKIM_SIG_H_MAX)
		return -1;
	if (sig->nh > 0) {
		off = sig->h[sig->nh - 1];
		off += strlen(sig->hnames + off) + 1;
	}
	if (len >= sizeof(sig->hnames) - off)
		return -1;
	memcpy(sig->hnames + off, name, len);
	sig->hnames[off + len] = '\0';
	sig->h[sig->nh++] = (uint16_t)off;
	return 0;
}

int
dkim_sig_add_hname(struct dkim_sig *sig, const char *name)
{
	return add_hname(sig, name, strlen(name));
}

const char *
dkim_sig_hname(const struct dkim_sig *sig, size_t i)
{
	return sig->hnames + sig->h[i];
}

static int
canon_word(const char *v, size_t n, enum dkim_canon *c)
{
	if (n == 6 && memcmp(v, "simple", 6) == 0)
		*c = DKIM_CANON_SIMPLE;
	else if (n == 7 && memcmp(v, "relaxed", 7) == 0)
		*c = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* c= is "header/body", or "header" alone with a simple body. */
static int
parse_canon(struct dkim_sig *sig, const struct dkim_tag *tag)
{
	const char	*slash = memchr(tag->value, '/', tag->valuelen);
	size_t		 n;

	sig->bcanon = DKIM_CANON_SIMPLE;
	n = slash ? (size_t)(slash - tag->value) : tag->valuelen;
	if (canon_word(tag->value, n, &sig->hcanon) == -1)
		return -1;
	if (slash == NULL)
		return 0;
	return canon_word(slash + 1, tag->valuelen - n - 1, &sig->bcanon);
}

static int
parse_h(struct dkim_sig *sig, const struct dkim_tag *tag, const char **errstr)
{
	const char	*item;
	size_t		 pos = 0, len;
	int		 from = 0;

	sig->nh = 0;
	while (pos <= tag->valuelen &&
	    dkim_tag_list_next(tag->value, tag->valuelen, &pos, &item, &len)) {
		if (add_hname(sig, item, len) == -1) {
			*errstr = sig->nh == DKIM_SIG_H_MAX ?
			    "too many names in h=" : "bad field name in h=";
			return -1;
		}
		if (len == 4 && strncasecmp(item, "from", 4) == 0)
			from = 1;
	}
	if (!from) {
		*errstr = "h= does not include From";
		return -1;
	}
	return 0;
}

static int
q_has_dns_txt(const struct dkim_tag *tag)
{
	const char	*item;
	size_t		 pos = 0, len;

	while (pos <= tag->valuelen &&
	    dkim_tag_list_next(tag->value, tag->valuelen, &pos, &item, &len))
		if (len == 7 && memcmp(item, "dns/txt", 7) == 0)
			return 1;
	return 0;
}

/* The first 8 base64 characters of b=, for header.b (RFC 6008). */
static void
b_prefix(struct dkim_sig *sig, const struct dkim_tag *tag)
{
	size_t	 i, n = 0;
	char	 c;

	for (i = 0; i < tag->valuelen && n < 8; i++) {
		c = tag->value[i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			sig->b8[n++] = c;
	}
	sig->b8[n] = '\0';
}

int
dkim_sig_parse(struct dkim_sig *sig, const char *value, size_t len,
    const char **errstr)
{
	struct dkim_tags	 tags;
	const struct dkim_tag	*tag;
	const char		*err = NULL, *at;
	static const char *const required[] = { "v", "a", "b", "bh", "d", "h",
	    "s" };
	size_t			 k;
	long			 n;

#define FAIL(msg) do { if (err == NULL) err = (msg); } while (0)
	memset(sig, 0, sizeof(*sig));
	if (dkim_tags_parse(&tags, value, len, errstr) == -1)
		return -1;
	for (k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (dkim_tags_get(&tags, required[k]) == NULL)
			FAIL("required tag missing (v a b bh d h s)");
	if ((tag = dkim_tags_get(&tags, "d")) != NULL &&
	    copy_domain(sig->d, tag) == -1)
		FAIL("bad domain in d=");
	if ((tag = dkim_tags_get(&tags, "s")) != NULL &&
	    copy_domain(sig->s, tag) == -1)
		FAIL("bad selector in s=");
	if ((tag = dkim_tags_get(&tags, "b")) != NULL) {
		b_prefix(sig, tag);
		sig->bstart = tag->vstart;
		sig->bend = tag->vend;
		if ((n = dkim_b64_decode(tag->value, tag->valuelen, sig->b,
		    sizeof(sig->b))) <= 0)
			FAIL("bad base64 in b=");
		else
			sig->blen = (size_t)n;
	}
	if ((tag = dkim_tags_get(&tags, "v")) != NULL && !dkim_tag_is(tag, "1"))
		FAIL("unknown version in v=");
	if ((tag = dkim_tags_get(&tags, "a")) != NULL) {
		if (dkim_tag_is(tag, "rsa-sha256"))
			sig->alg = DKIM_ALG_RSA_SHA256;
		else if (dkim_tag_is(tag, "ed25519-sha256"))
			sig->alg = DKIM_ALG_ED25519_SHA256;
		else if (dkim_tag_is(tag, "rsa-sha1"))
			sig->alg = DKIM_ALG_RSA_SHA1;
		else
			FAIL("unknown algorithm in a=");
	}
	if ((tag = dkim_tags_get(&tags, "bh")) != NULL) {
		n = dkim_b64_decode(tag->value, tag->valuelen, sig->bh,
		    sizeof(sig->bh));
		if (n <= 0)
			FAIL("bad base64 in bh=");
		else if (sig->alg != DKIM_ALG_RSA_SHA1 && n != 32)
			FAIL("bh= is not a SHA-256 hash");
		else
			sig->bhlen = (size_t)n;
	}
	if ((tag = dkim_tags_get(&tags, "c")) != NULL &&
	    parse_canon(sig, tag) == -1)
		FAIL("unknown canonicalization in c=");
	if ((tag = dkim_tags_get(&tags, "q")) != NULL && !q_has_dns_txt(tag))
		FAIL("q= does not offer dns/txt");
	if ((tag = dkim_tags_get(&tags, "h")) != NULL) {
		const char	*herr = NULL;

		if (parse_h(sig, tag, &herr) == -1)
			FAIL(herr);
	}
	if ((tag = dkim_tags_get(&tags, "l")) != NULL) {
		if (!is_digits(tag->value, tag->valuelen, 76))
			FAIL("bad number in l=");
		else {
			sig->has_l = 1;
			sig->l = to_u64(tag->value, tag->valuelen, UINT64_MAX);
		}
	}
	if ((tag = dkim_tags_get(&tags, "t")) != NULL) {
		if (!is_digits(tag->value, tag->valuelen, 12))
			FAIL("bad number in t=");
		else {
			sig->has_t = 1;
			sig->t = (int64_t)to_u64(tag->value, tag->valuelen,
			    UINT64_MAX);
		}
	}
	if ((tag = dkim_tags_get(&tags, "x")) != NULL) {
		if (!is_digits(tag->value, tag->valuelen, 12))
			FAIL("bad number in x=");
		else {
			sig->has_x = 1;
			sig->x = (int64_t)to_u64(tag->value, tag->valuelen,
			    UINT64_MAX);
		}
	}
	if (sig->has_t && sig->has_x && sig->x <= sig->t)
		FAIL("x= is not after t=");
	if ((tag = dkim_tags_get(&tags, "i")) != NULL) {
		if (dkim_qp_decode(tag->value, tag->valuelen, sig->i,
		    sizeof(sig->i)) == -1 || (at = strrchr(sig->i, '@')) == NULL ||
		    !dkim_domain_valid(at + 1, strlen(at + 1))) {
			sig->i[0] = '\0';
			FAIL("bad identity in i=");
		}
		else if (sig->d[0] != '\0' && !within(at + 1, sig->d)) {
			sig->i[0] = '\0';
			FAIL("i= is not within d=");
		}
		else
			sig->has_i = 1;
	}
	if (!sig->has_i && sig->d[0] != '\0')
		(void)snprintf(sig->i, sizeof(sig->i), "@%s", sig->d);
#undef FAIL
	if (err != NULL) {
		*errstr = err;
		return -1;
	}
	if (sig->alg == DKIM_ALG_RSA_SHA1) {
		sig->refused = 1;
		*errstr = "rsa-sha1 is not accepted (RFC 8301)";
		return -1;
	}
	return 0;
}

int
dkim_sig_dnsname(const struct dkim_sig *sig, char *out, size_t outlen)
{
	int	 n;

	if (sig->s[0] == '\0' || sig->d[0] == '\0')
		return -1;
	n = snprintf(out, outlen, "%s._domainkey.%s", sig->s, sig->d);
	if (n < 0 || (size_t)n >= outlen || !dkim_domain_valid(out, (size_t)n))
		return -1;
	return 0;
}

const char *
dkim_alg_name(enum dkim_alg alg)
{
	switch (alg) {
	case DKIM_ALG_RSA_SHA256:
		return "rsa-sha256";
	case DKIM_ALG_ED25519_SHA256:
		return "ed25519-sha256";
	case DKIM_ALG_RSA_SHA1:
		return "rsa-sha1";
	case DKIM_ALG_UNKNOWN:
		break;
	}
	return "unknown";
}

/* A writer that folds: the column of the current line, a tab counted as 8. */
struct folder {
	struct buf	*out;
	size_t		 col;
	const char	*eol;
	int		 err;
};

static void
put(struct folder *f, const char *s, size_t n)
{
	if (f->err || buf_add(f->out, s, n) == -1)
		f->err = 1;
	f->col += n;
}

static void
fold(struct folder *f)
{
	put(f, f->eol, strlen(f->eol));
	put(f, "\t", 1);
	f->col = 8;
}

/* Puts " text" (text a whole tag or a piece of one), on a new line if it would pass the width. */
static void
put_item(struct folder *f, const char *text, size_t n, int space)
{
	if (f->col + (space ? 1 : 0) + n > DKIM_SIG_WIDTH && f->col > 8)
		fold(f);
	else if (space)
		put(f, " ", 1);
	put(f, text, n);
}

/* Puts " name=value;". */
static void
put_tag(struct folder *f, const char *name, const char *value)
{
	char	 tmp[DKIM_AUID_MAX * 3 + 64];
	int	 n;

	n = snprintf(tmp, sizeof(tmp), "%s=%s;", name, value);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		f->err = 1;
		return;
	}
	put_item(f, tmp, (size_t)n, 1);
}

/* DKIM quoted-printable (RFC 6376 2.11): all but dkim-safe-char escaped. */
static int
qp_encode(const char *s, char *out, size_t outmax)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;
	size_t			 n = 0;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (n + 4 > outmax)
			return -1;
		if (c >= 0x21 && c <= 0x7e && c != ';' && c != '=')
			out[n++] = (char)c;
		else {
			out[n++] = '=';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

int
dkim_sig_write(struct buf *out, const struct dkim_sig *sig, int flags)
{
	struct folder	 f = { out, 0, flags & DKIM_SIG_CRLF ? "\r\n" : "\n",
	    0 };
	char		 num[32], bh[64], ch[DKIM_SIG_HNAMES_MAX + 8];
	char		 qp[DKIM_AUID_MAX * 3 + 1];
	const char	*canon[2] = { "simple", "relaxed" };
	size_t		 k, n;

	put(&f, DKIM_SIG_FIELD ":", strlen(DKIM_SIG_FIELD) + 1);
	put_tag(&f, "v", "1");
	put_tag(&f, "a", dkim_alg_name(sig->alg));
	(void)snprintf(num, sizeof(num), "%s/%s", canon[sig->hcanon],
	    canon[sig->bcanon]);
	put_tag(&f, "c", num);
	put_tag(&f, "d", sig->d);
	put_tag(&f, "s", sig->s);
	if (sig->has_i) {
		if (qp_encode(sig->i, qp, sizeof(qp)) == -1)
			return -1;
		put_tag(&f, "i", qp);
	}
	if (sig->has_t) {
		(void)snprintf(num, sizeof(num), "%lld", (long long)sig->t);
		put_tag(&f, "t", num);
	}
	if (sig->has_x) {
		(void)snprintf(num, sizeof(num), "%lld", (long long)sig->x);
		put_tag(&f, "x", num);
	}
	/* h= folds between names: "h=from:to:" then "subject:date;" */
	for (k = 0; k < sig->nh; k++) {
		n = (size_t)snprintf(ch, sizeof(ch), "%s%s%s", k == 0 ? "h=" : "",
		    dkim_sig_hname(sig, k), k + 1 == sig->nh ? ";" : ":");
		put_item(&f, ch, n, k == 0);
	}
	if (dkim_b64_encode(sig->bh, sig->bhlen, bh, sizeof(bh)) == -1)
		return -1;
	put_tag(&f, "bh", bh);
	fold(&f);
	put(&f, "b=", 2);
	return f.err ? -1 : 0;
}

int
dkim_sig_write_b(struct buf *out, const struct dkim_sig *sig, int flags)
{
	struct folder	 f = { out, 10, flags & DKIM_SIG_CRLF ? "\r\n" : "\n",
	    0 };
	char		 b[DKIM_SIG_B_MAX * 4 / 3 + 8];
	size_t		 len, n;
	const char	*v = b;

	if (dkim_b64_encode(sig->b, sig->blen, b, sizeof(b)) == -1)
		return -1;
	/* Base64 may be folded anywhere: each line is filled to the width. */
	for (len = strlen(b); len > 0; v += n, len -= n) {
		if (f.col >= DKIM_SIG_WIDTH)
			fold(&f);
		n = DKIM_SIG_WIDTH - f.col;
		if (n > len)
			n = len;
		put(&f, v, n);
	}
	put(&f, f.eol, strlen(f.eol));
	return f.err ? -1 : 0;
}
