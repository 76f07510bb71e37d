/* Header sections of messages and MIME parts: fields, unfolding, RFC 2045 parameters, RFC 2231. */
#ifndef TEGAMI_MIME_HEADER_H
#define TEGAMI_MIME_HEADER_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define MIME_MAX_PARAMS	128		/* per Content-Type or -Disposition; the rest is ignored */
#define MIME_MAX_FIELD	(64 * 1024)	/* a longer field value is not interpreted */

/*
 * One field of a header section. value runs from after the colon and the
 * blanks that follow it (only the first of them when nothing else is on
 * the line) to the end of the field's last line, its line end excluded; folding (CRLF or LF plus blank) is kept as it is in the file.
 * A line without a colon is a field whose name is the whole line and whose
 * value is empty (nocolon set); continuation lines before the first field
 * make a field with an empty name.
 */
struct mime_field {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
	const char	*start;		/* the field's first byte */
	const char	*end;		/* past its last line end */
	int		 nocolon;
};

/* Iterates over the fields of hdr[0..len), stopping at an empty line. */
struct mime_hdr {
	const char	*p;
	const char	*end;
};

void	 mime_hdr_init(struct mime_hdr *, const char *hdr, size_t len);
/* Returns 1 with the next field, 0 at the end of the header. */
int	 mime_hdr_next(struct mime_hdr *, struct mime_field *);
/* 1 when the field's name is name, compared without case. */
int	 mime_field_is(const struct mime_field *, const char *name);
/*
 * The value of the first (last when last is set) field called name, with
 * CR and LF removed (RFC 5322 unfolding), appended to out. Returns 1 when
 * the field was found, 0 when not.
 */
int	 mime_hdr_get(const char *hdr, size_t len, const char *name, int last,
	    struct buf *out);
/* Appends v[0..len) to out without its CR and LF octets. */
void	 mime_unfold(struct buf *out, const char *v, size_t len);

/*
 * Lexing of structured fields (RFC 5322 3.2, RFC 2045 5.1): the index of
 * the first octet at or after i that is not white space, a line end or part
 * of a (nested) comment.
 */
size_t	 mime_skip_cfws(const char *s, size_t len, size_t i);

/*
 * Strings of parsed fields live in an arena (a struct buf that only grows):
 * a key/value pair names offsets and lengths in it. A key without value (a
 * Content-Language tag) has vlen 0 and voff 0.
 */
struct mime_kv {
	uint32_t	 koff, klen;
	uint32_t	 voff, vlen;
};

struct mime_params {
	struct mime_kv	 kv[MIME_MAX_PARAMS];
	size_t		 n;
};

/*
 * Content-Type: type "/" subtype *(";" parameter), comments allowed
 * anywhere. type and subtype are kept with their case; a missing subtype is
 * empty. A type alone ("text") has an empty subtype;
 * anything else that is not type "/" subtype followed by the end or ";"
 * (no type, "text; x=y", "text/plain junk") gives empty type and subtype
 * and no parameters (as Dovecot does). Parameters without "=" or
 * with an unterminated quoted string are dropped; attribute names and
 * values keep their case; quoted values are unquoted. Returns 0, or -1 when
 * the arena is full.
 */
int	 mime_ctype_parse(const char *v, size_t len, struct buf *arena,
	    struct mime_kv *type_subtype, struct mime_params *);
/* Content-Disposition: a type token and parameters (kv.k: the type). */
int	 mime_disp_parse(const char *v, size_t len, struct buf *arena,
	    struct mime_kv *type, struct mime_params *);
/*
 * One token alone (Content-Transfer-Encoding): returns 1 and the token's
 * place in v when the value is exactly one token between comments and
 * blanks, 0 when it is empty or anything else follows.
 */
int	 mime_token_only(const char *v, size_t len, size_t *off, size_t *toklen);
/*
 * Content-Language: the comma separated tags, as keys; anything else ends
 * the list ("en fr" is "en"). Returns 0 or -1.
 */
int	 mime_lang_parse(const char *v, size_t len, struct buf *arena,
	    struct mime_params *);
/*
 * RFC 2231 continuations the way Dovecot presents them in BODYSTRUCTURE:
 * plain parameters first, in their order; then the starred ones sorted by
 * name (without case) and section number ("name*" alone takes the number
 * of the starred parameter before it, 0 for the first). The sections
 * 0..n-1 of one name with no gap are joined into one value, named "name*"
 * when any section is extended (then a plain section 0 gets an empty ''
 * prefix and plain sections their "%" written %25) and "name" when none
 * is; with a gap or a repeated number they stay apart as name*N or
 * name*N*. Charsets and %-escapes are left encoded. Returns 0 or -1 when
 * the arena is full.
 */
int	 mime_params_2231(struct buf *arena, struct mime_params *);
/*
 * The value of parameter name as UTF-8 text for people (attachment names):
 * a "name*" value has its charset'language' prefix and %XX decoded, a
 * section list name*0.. is joined and decoded, and a plain value has its
 * RFC 2047 encoded words decoded (common practice though RFC 2047 forbids
 * them there). Returns 1 when found, 0 when not.
 */
int	 mime_param_utf8(const char *arena, const struct mime_kv *, size_t n,
	    const char *name, struct buf *out);

#endif
