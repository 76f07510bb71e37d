/* SPF macro-strings (RFC 7208 7): syntax, domain-spec endings, expansion, query names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/spf_priv.h"

#define NAME_MAX_LEN	253	/* RFC 7208 7.3, in the dotted form */
#define LABEL_MAX	63
#define PARTS_MAX	1000	/* a larger DIGIT transformer means "all parts" */

enum tok_type {
	TOK_LITERAL,		/* one octet */
	TOK_ESCAPE,		/* %%, %_ or %- */
	TOK_MACRO,		/* %{...} */
};

struct tok {
	enum tok_type	 type;
	size_t		 len;		/* octets of s the token spans */
	char		 c;		/* TOK_LITERAL: the octet; TOK_ESCAPE: '%', '_', '-' */
	char		 letter;	/* TOK_MACRO: as written (upper case: URL-escape) */
	int		 digits;	/* 0: all parts */
	int		 reverse;
	const char	*delims;	/* inside s; ndelims octets */
	size_t		 ndelims;
};

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Reads the token at s[i]; -1 with errstr when it is not one. */
static int
next_token(const char *s, size_t len, size_t i, enum spf_macro_kind kind,
    struct tok *t, const char **errstr)
{
	unsigned char	 c = (unsigned char)s[i];
	size_t		 j;
	char		 l;

	memset(t, 0, sizeof(*t));
	if (c != '%') {
		/* macro-literal: visible characters but "%"; explain-string adds SP. */
		if ((c < 0x21 || c > 0x7e) && !(c == ' ' && kind == SPF_MACRO_EXPLAIN)) {
			*errstr = "invalid character";
			return -1;
		}
		t->type = TOK_LITERAL;
		t->len = 1;
		t->c = (char)c;
		return 0;
	}
	if (i + 1 >= len) {
		*errstr = "\"%\" at the end";
		return -1;
	}
	c = (unsigned char)s[i + 1];
	if (c == '%' || c == '_' || c == '-') {
		t->type = TOK_ESCAPE;
		t->len = 2;
		t->c = (char)c;
		return 0;
	}
	if (c != '{') {
		*errstr = "\"%\" not followed by \"{\", \"%\", \"_\" or \"-\"";
		return -1;
	}
	j = i + 2;
	if (j >= len) {
		*errstr = "unterminated macro";
		return -1;
	}
	t->letter = s[j++];
	l = lower(t->letter);
	if (strchr("slodiphcrtv", l) == NULL || l == '\0') {
		*errstr = "unknown macro letter";
		return -1;
	}
	if (kind == SPF_MACRO_DOMAIN && strchr("crt", l) != NULL) {
		*errstr = "macro letters c, r and t are only for exp= texts";
		return -1;
	}
	if (j < len && is_digit((unsigned char)s[j])) {
		int	 v = 0;

		while (j < len && is_digit((unsigned char)s[j])) {
			if (v < PARTS_MAX)
				v = v * 10 + (s[j] - '0');
			j++;
		}
		/* RFC 7208 7.3: a DIGIT transformer must be nonzero. */
		if (v == 0) {
			*errstr = "zero DIGIT transformer";
			return -1;
		}
		t->digits = v > PARTS_MAX ? PARTS_MAX : v;
	}
	if (j < len && (s[j] == 'r' || s[j] == 'R')) {
		t->reverse = 1;
		j++;
	}
	t->delims = s + j;
	while (j < len && s[j] != '\0' && strchr(".-+,/_=", s[j]) != NULL) {
		j++;
		t->ndelims++;
	}
	if (j >= len || s[j] != '}') {
		*errstr = "invalid macro";
		return -1;
	}
	t->type = TOK_MACRO;
	t->len = j + 1 - i;
	return 0;
}

/* RFC 7208 7.1 toplabel. */
static int
is_toplabel(const char *s, size_t len)
{
	size_t	 i;
	int	 alpha = 0, dash = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (is_alpha(c))
			alpha = 1;
		else if (c == '-')
			dash = 1;
		else if (!is_digit(c))
			return 0;
	}
	if (dash)
		return s[0] != '-' && s[len - 1] != '-';
	return alpha;
}

int
spf_macro_check(const char *s, size_t len, enum spf_macro_kind kind,
    int *uses_p, const char **errstr)
{
	struct tok	 t;
	size_t		 i = 0;
	/* Where the last two literal dots are, where the last macro ends (+1: 0 none). */
	size_t		 dot1 = 0, dot2 = 0, macro_end = 0;
	enum tok_type	 last = TOK_LITERAL;

	if (uses_p != NULL)
		*uses_p = 0;
	while (i < len) {
		if (next_token(s, len, i, kind, &t, errstr) == -1)
			return -1;
		if (t.type == TOK_MACRO && lower(t.letter) == 'p' && uses_p != NULL)
			*uses_p = 1;
		if (t.type == TOK_LITERAL && t.c == '.') {
			dot2 = dot1;
			dot1 = i + 1;
		}
		if (t.type != TOK_LITERAL)
			macro_end = i + t.len;
		last = t.type;
		i += t.len;
	}
	if (kind != SPF_MACRO_DOMAIN)
		return 0;
	/* domain-end = ( "." toplabel [ "." ] ) / macro-expand */
	if (len == 0) {
		*errstr = "empty domain-spec";
		return -1;
	}
	if (last != TOK_LITERAL)
		return 0;
	if (dot1 == len) {		/* a trailing dot: the label before it */
		dot1 = dot2;
		len--;
	}
	if (dot1 == 0 || macro_end > dot1 - 1 || !is_toplabel(s + dot1, len - dot1)) {
		*errstr = "domain-spec does not end in a macro or a valid top label";
		return -1;
	}
	return 0;
}

/* Appends v, URL-escaped when upper (RFC 7208 7.3: all but unreserved). */
static int
add_value(struct buf *out, const char *v, size_t n, int upper)
{
	size_t	 i;

	if (!upper)
		return buf_add(out, v, n);
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)v[i];

		if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			if (buf_addc(out, (char)c) == -1)
				return -1;
		} else if (buf_addf(out, "%%%02X", c) == -1)
			return -1;
	}
	return 0;
}

/* One macro: split on the delimiters, reverse, keep the right-hand parts, join with dots. */
static int
expand_macro(struct buf *out, const struct tok *t, const struct spf_macro_env *env)
{
	const char	*v = NULL, *delims = ".";
	size_t		 ndelims = 1, nparts = 1, vlen, k, i, n, *start;
	struct buf	 tmp;
	int		 r = 0;

	switch (lower(t->letter)) {
	case 's': v = env->s; break;
	case 'l': v = env->l; break;
	case 'o': v = env->o; break;
	case 'd': v = env->d; break;
	case 'i': v = env->i; break;
	case 'p': v = env->p; break;
	case 'v': v = env->v; break;
	case 'h': v = env->h; break;
	case 'c': v = env->c; break;
	case 'r': v = env->r; break;
	case 't': v = env->t; break;
	}
	if (v == NULL)
		v = "unknown";
	vlen = strlen(v);
	if (t->ndelims > 0) {
		delims = t->delims;
		ndelims = t->ndelims;
	}
	for (i = 0; i < vlen; i++)
		if (memchr(delims, v[i], ndelims) != NULL)
			nparts++;
	/* start[j]: where part j begins; part j ends one before start[j + 1]. */
	start = xreallocarray(NULL, nparts + 1, sizeof(*start));
	start[0] = 0;
	for (i = 0, n = 1; i < vlen; i++)
		if (memchr(delims, v[i], ndelims) != NULL)
			start[n++] = i + 1;
	start[nparts] = vlen + 1;
	k = t->digits == 0 || (size_t)t->digits > nparts ? nparts : (size_t)t->digits;
	buf_init(&tmp, out->max);
	for (i = 0; i < k && r == 0; i++) {
		/*
		 * After reversal the right-hand k parts are the original
		 * 0..k-1 backwards; without it, nparts-k..nparts-1.
		 */
		size_t	 j = t->reverse ? k - 1 - i : nparts - k + i;

		if (i > 0)
			r = buf_addc(&tmp, '.');
		if (r == 0)
			r = buf_add(&tmp, v + start[j], start[j + 1] - 1 - start[j]);
	}
	if (r == 0)
		r = add_value(out, tmp.data ? tmp.data : "", tmp.len,
		    t->letter >= 'A' && t->letter <= 'Z');
	buf_free(&tmp);
	free(start);
	return r;
}

int
spf_macro_expand(struct buf *out, const char *s, size_t len,
    enum spf_macro_kind kind, const struct spf_macro_env *env, const char **errstr)
{
	struct tok	 t;
	size_t		 i = 0;
	int		 r;

	while (i < len) {
		if (next_token(s, len, i, kind, &t, errstr) == -1)
			return -1;
		switch (t.type) {
		case TOK_LITERAL:
			r = buf_addc(out, t.c);
			break;
		case TOK_ESCAPE:
			r = t.c == '%' ? buf_addc(out, '%') : t.c == '_' ?
			    buf_addc(out, ' ') : buf_adds(out, "%20");
			break;
		default:
			r = expand_macro(out, &t, env);
			break;
		}
		if (r == -1) {
			*errstr = "expansion too long";
			return -1;
		}
		i += t.len;
	}
	return 0;
}

int
spf_name_finish(struct buf *b)
{
	size_t	 i, lab;

	if (b->len > 0 && b->data[b->len - 1] == '.') {
		b->len--;
		b->data[b->len] = '\0';
	}
	/* RFC 7208 7.3: drop whole labels from the left until it fits. */
	while (b->len > NAME_MAX_LEN) {
		char	*dot = memchr(b->data, '.', b->len);

		if (dot == NULL)
			return -1;
		buf_consume(b, (size_t)(dot - b->data) + 1);
	}
	if (b->len == 0)
		return -1;
	lab = 0;
	for (i = 0; i <= b->len; i++) {
		if (i == b->len || b->data[i] == '.') {
			if (lab == 0 || lab > LABEL_MAX)
				return -1;
			lab = 0;
		} else if (b->data[i] == '\0')
			return -1;
		else
			lab++;
	}
	return 0;
}

int
spf_name_escape(struct buf *out, const char *name)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		int	 r;

		if (*p == '\\')
			r = buf_adds(out, "\\\\");
		else if (*p < 0x21 || *p > 0x7e)
			r = buf_addf(out, "\\%03u", *p);
		else
			r = buf_addc(out, (char)*p);
		if (r == -1)
			return -1;
	}
	return 0;
}
