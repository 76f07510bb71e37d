/* DKIM tag=value lists (RFC 6376 3.2), the grammar of signatures and key records, and their value encodings. */
#ifndef TEGAMI_DKIM_TAGS_H
#define TEGAMI_DKIM_TAGS_H

#include <stddef.h>

#define DKIM_TAGS_MAX		64	/* tags in one list */
#define DKIM_TAGS_LEN_MAX	16384	/* octets of one list */

/*
 * One tag of a list. name and value point into the parsed text; value has
 * the folding white space at both ends stripped but keeps what is inside
 * (base64 and colon lists may be folded). [vstart, vend) is everything
 * between the "=" and the ";" (or the end), white space included: what
 * RFC 6376 3.7 deletes from the b= tag of the signature being checked.
 */
struct dkim_tag {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
	size_t		 vstart, vend;	/* offsets in the list */
};

struct dkim_tags {
	size_t		 n;
	struct dkim_tag	 tag[DKIM_TAGS_MAX];
};

/*
 * Parses s[0..len) strictly: tag names ALPHA *(ALPHA / DIGIT / "_"), values
 * of VALCHARs (and 8-bit octets, for EAI mail) separated by folding white
 * space, "; " between tags, one trailing ";" allowed. Line breaks may be CRLF
 * or LF (messages are stored with LF) and must be followed by a space or tab.
 * Duplicate tags, empty tag-specs, more than DKIM_TAGS_MAX tags or
 * DKIM_TAGS_LEN_MAX octets are errors. -1 with errstr (static text).
 */
int	 dkim_tags_parse(struct dkim_tags *, const char *s, size_t len,
	    const char **errstr);
/* The tag named name (tag names are case-sensitive), or NULL. */
const struct dkim_tag *dkim_tags_get(const struct dkim_tags *, const char *name);
/* 1 when the tag's value is exactly s. */
int	 dkim_tag_is(const struct dkim_tag *, const char *s);

/*
 * Walks a colon-separated value ("from : to", "rsa:ed25519"): *pos starts
 * at 0; each call sets item/itemlen to the next element without its folding
 * white space and returns 1, or 0 at the end. Empty elements are returned
 * as such (itemlen 0), so the caller can refuse them.
 */
int	 dkim_tag_list_next(const char *value, size_t len, size_t *pos,
	    const char **item, size_t *itemlen);

/*
 * Decodes base64 that may be folded (white space and line breaks anywhere
 * are skipped) into out[0..outmax). Padding must be right: at most two "="
 * at the end, and a total length that is a multiple of 4. Returns the
 * number of octets, or -1 when the text is not base64 or does not fit.
 */
long	 dkim_b64_decode(const char *s, size_t len, unsigned char *out,
	    size_t outmax);
/* Base64 of in[0..len) into out (NUL-terminated); -1 when it does not fit. */
int	 dkim_b64_encode(const unsigned char *in, size_t len, char *out,
	    size_t outmax);

/*
 * Decodes DKIM quoted-printable (RFC 6376 2.11: "=XX" escapes, folding
 * white space ignored) into out (NUL-terminated). -1 on a bad escape, a NUL
 * octet, or when the result does not fit.
 */
int	 dkim_qp_decode(const char *s, size_t len, char *out, size_t outmax);

#endif
