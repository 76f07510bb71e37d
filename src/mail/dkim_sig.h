/* DKIM-Signature header fields (RFC 6376 3.5): the parser for verification and the writer for signing. */
#ifndef TEGAMI_DKIM_SIG_H
#define TEGAMI_DKIM_SIG_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define DKIM_DOMAIN_MAX		253	/* d=, s= and the DNS name built of them */
#define DKIM_AUID_MAX		511	/* i= after decoding */
#define DKIM_SIG_B_MAX		1024	/* octets of b=: RSA up to 8192 bits */
#define DKIM_SIG_H_MAX		128	/* names in h= */
#define DKIM_SIG_HNAMES_MAX	4096	/* octets of those names, a NUL after each */
#define DKIM_SIG_FIELD		"DKIM-Signature"

enum dkim_alg {
	DKIM_ALG_UNKNOWN = 0,
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256,
	DKIM_ALG_RSA_SHA1,	/* recognised only to be refused (RFC 8301) */
};

enum dkim_canon {
	DKIM_CANON_SIMPLE = 0,
	DKIM_CANON_RELAXED,
};

struct dkim_sig {
	enum dkim_alg	 alg;
	enum dkim_canon	 hcanon, bcanon;
	char		 d[DKIM_DOMAIN_MAX + 1];	/* "" until a valid d= was seen */
	char		 s[DKIM_DOMAIN_MAX + 1];	/* likewise s= */
	char		 i[DKIM_AUID_MAX + 1];	/* decoded; "@" d= when absent */
	int		 has_i;
	unsigned char	 b[DKIM_SIG_B_MAX];
	size_t		 blen;
	char		 b8[9];		/* the first 8 base64 characters of b= */
	size_t		 bstart, bend;	/* what follows "b=" up to ";": deleted to check */
	unsigned char	 bh[32];
	size_t		 bhlen;
	size_t		 nh;		/* names in h=, in order */
	uint16_t	 h[DKIM_SIG_H_MAX];	/* offsets into hnames */
	char		 hnames[DKIM_SIG_HNAMES_MAX];
	int		 has_l, has_t, has_x;
	uint64_t	 l;		/* UINT64_MAX when l= is larger */
	int64_t		 t, x;
	/*
	 * 1 when the signature is well formed and refused only for its
	 * algorithm (rsa-sha1): RFC 8301 says it MUST NOT verify as valid.
	 */
	int		 refused;
};

/*
 * Parses the value of a DKIM-Signature field (what follows the colon, with
 * its folding; LF or CRLF). Checks v=1, the required tags (a b bh d h s),
 * the algorithm (rsa-sha256, ed25519-sha256; rsa-sha1 is refused), c=, q=
 * (must offer dns/txt), d= and s= as domain names, i= within d=, h= naming
 * From, l= (1 to 76 digits), t= and x= (1 to 12 digits, x= after t=).
 * Unknown tags are ignored. Returns 0, or -1 with errstr (static text);
 * after -1 the fields that were valid are still filled in, for reports.
 */
int	 dkim_sig_parse(struct dkim_sig *, const char *value, size_t len,
	    const char **errstr);
/* Name number i of h= (NUL-terminated, as it was written). */
const char *dkim_sig_hname(const struct dkim_sig *, size_t i);
/* Adds a name to h=; -1 when full or when the name is not a field name. */
int	 dkim_sig_add_hname(struct dkim_sig *, const char *name);
/* "SELECTOR._domainkey.DOMAIN" into out; -1 when it is not a valid DNS name. */
int	 dkim_sig_dnsname(const struct dkim_sig *, char *out, size_t outlen);
const char *dkim_alg_name(enum dkim_alg);
/* 1 when name is a dot-separated list of labels of at most 63 characters. */
int	 dkim_domain_valid(const char *name, size_t len);

#define DKIM_SIG_CRLF	0x01	/* fold with CRLF rather than LF */
#define DKIM_SIG_WIDTH	78	/* columns of a folded line, a tab counted as 8 */

/*
 * Appends a "DKIM-Signature: v=1; a=...; ... b=" field for sig: every set
 * tag in the order v a c d s i t x q h bh b, folded at DKIM_SIG_WIDTH
 * columns, with b= left empty at the start of the last line and no line
 * end after it. This is what gets signed (RFC 6376 3.7); the signature
 * is then added with dkim_sig_write_b. -1 when out is full.
 */
int	 dkim_sig_write(struct buf *out, const struct dkim_sig *, int flags);
/* Appends the base64 of sig->b folded like the rest, then the line end. */
int	 dkim_sig_write_b(struct buf *out, const struct dkim_sig *, int flags);

#endif
