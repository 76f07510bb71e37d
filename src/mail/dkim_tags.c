/* DKIM tag=value lists: a strict reading of RFC 6376 3.2, with LF taken for CRLF, and base64 and quoted-printable values. */
#include <string.h>

#include "lib/digits.h"
#include "mail/dkim_tags.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* VALCHAR is %x21-3A / %x3C-7E; 8-bit octets are let through for EAI mail (RFC 8616). */
static int
is_valchar(char c)
{
	unsigned char	 u = (unsigned char)c;

	return (u >= 0x21 && u <= 0x7e && u != ';') || u >= 0x80;
}

/*
 * Skips folding white space at s[*i]: runs of SP/HTAB, and line breaks
 * (CRLF or a bare LF) that are followed by SP/HTAB. Returns -1 at a line
 * break that does not continue, or a CR without its LF.
 */
static int
skip_fws(const char *s, size_t len, size_t *i)
{
	size_t	 p = *i;

	while (p < len) {
		if (is_wsp(s[p])) {
			p++;
			continue;
		}
		if (s[p] == '\r') {
			if (p + 1 >= len || s[p + 1] != '\n')
				return -1;
			p++;
		}
		if (s[p] != '\n')
			break;
		if (p + 1 >= len || !is_wsp(s[p + 1]))
			return -1;
		p += 2;
	}
	*i = p;
	return 0;
}

int
dkim_tags_parse(struct dkim_tags *t, const char *s, size_t len,
    const char **errstr)
{
	struct dkim_tag	*tag;
	size_t		 i = 0, k, end;

	t->n = 0;
	if (len > DKIM_TAGS_LEN_MAX) {
		*errstr = "tag list too long";
		return -1;
	}
	for (;;) {
		if (skip_fws(s, len, &i) == -1)
			goto badfws;
		if (i == len) {
			if (t->n == 0) {
				*errstr = "empty tag list";
				return -1;
			}
			return 0;	/* after a trailing ";" */
		}
		if (t->n == DKIM_TAGS_MAX) {
			*errstr = "too many tags";
			return -1;
		}
		tag = &t->tag[t->n];
		if (!is_alpha(s[i])) {
			*errstr = s[i] == ';' ? "empty tag" : "bad tag name";
			return -1;
		}
		tag->name = s + i;
		while (i < len && (is_alpha(s[i]) || is_digit(s[i]) ||
		    s[i] == '_'))
			i++;
		tag->namelen = (size_t)(s + i - tag->name);
		if (skip_fws(s, len, &i) == -1)
			goto badfws;
		if (i == len || s[i] != '=') {
			*errstr = "tag without \"=\"";
			return -1;
		}
		tag->vstart = ++i;
		if (skip_fws(s, len, &i) == -1)
			goto badfws;
		tag->value = s + i;
		end = i;
		/* tval *( 1*(WSP / FWS) tval ) */
		while (i < len && is_valchar(s[i])) {
			while (i < len && is_valchar(s[i]))
				i++;
			end = i;
			if (skip_fws(s, len, &i) == -1)
				goto badfws;
		}
		tag->valuelen = end - (size_t)(tag->value - s);
		tag->vend = i;
		if (i < len && s[i] != ';') {
			*errstr = "bad character in tag value";
			return -1;
		}
		for (k = 0; k < t->n; k++)
			if (t->tag[k].namelen == tag->namelen &&
			    memcmp(t->tag[k].name, tag->name, tag->namelen) == 0) {
				*errstr = "duplicate tag";
				return -1;
			}
		t->n++;
		if (i == len)
			return 0;
		i++;	/* the ";" */
	}

badfws:
	*errstr = "bad line break in tag list";
	return -1;
}

const struct dkim_tag *
dkim_tags_get(const struct dkim_tags *t, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < t->n; i++)
		if (t->tag[i].namelen == n &&
		    memcmp(t->tag[i].name, name, n) == 0)
			return &t->tag[i];
	return NULL;
}

int
dkim_tag_is(const struct dkim_tag *tag, const char *s)
{
	size_t	 n = strlen(s);

	return tag->valuelen == n && memcmp(tag->value, s, n) == 0;
}

static int
is_fws_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
dkim_tag_list_next(const char *v, size_t len, size_t *pos, const char **item,
    size_t *itemlen)
{
	size_t	 i = *pos, start, end;

	if (i > len)
		return 0;
	while (i < len && is_fws_char(v[i]))
		i++;
	start = i;
	while (i < len && v[i] != ':')
		i++;
	end = i;
	while (end > start && is_fws_char(v[end - 1]))
		end--;
	*item = v + start;
	*itemlen = end - start;
	*pos = i + 1;	/* past the ":", or past the end: the last call */
	return 1;
}


long
dkim_b64_decode(const char *s, size_t len, unsigned char *out, size_t outmax)
{
	unsigned long	 acc = 0;
	size_t		 i, n = 0, chars = 0, pad = 0;
	int		 v;

	for (i = 0; i < len; i++) {
		if (is_fws_char(s[i]))
			continue;
		if (s[i] == '=') {
			if (++pad > 2)
				return -1;
			chars++;
			continue;
		}
		if (pad > 0 || (v = base64_value((unsigned char)s[i], BASE64_STD)) == -1)
			return -1;	/* data after padding, or not base64 */
		acc = (acc << 6) | (unsigned long)v;
		if (++chars % 4 == 0) {
			if (n + 3 > outmax)
				return -1;
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (chars % 4 != 0)
		return -1;
	/* The last quantum: "xx==" is one octet, "xxx=" two. */
	if (pad > 0) {
		if ((chars - pad) % 4 < 2)
			return -1;
		if (pad == 2) {
			if (n + 1 > outmax)
				return -1;
			out[n++] = (unsigned char)(acc >> 4);
		} else {
			if (n + 2 > outmax)
				return -1;
			out[n++] = (unsigned char)(acc >> 10);
			out[n++] = (unsigned char)(acc >> 2);
		}
	}
	return (long)n;
}

int
dkim_b64_encode(const unsigned char *in, size_t len, char *out, size_t outmax)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long		 v;
	size_t			 i, n = 0;

	if (len > (outmax - 1) / 4 * 3 || outmax == 0)
		return -1;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		out[n++] = tab[(v >> 18) & 63];
		out[n++] = tab[(v >> 12) & 63];
		out[n++] = tab[(v >> 6) & 63];
		out[n++] = tab[v & 63];
	}
	if (i < len) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		out[n++] = tab[(v >> 18) & 63];
		out[n++] = tab[(v >> 12) & 63];
		out[n++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[n++] = '=';
	}
	out[n] = '\0';
	return 0;
}


int
dkim_qp_decode(const char *s, size_t len, char *out, size_t outmax)
{
	size_t	 i, n = 0;
	int	 hi, lo;
	char	 c;

	if (outmax == 0)
		return -1;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (is_fws_char(c))
			continue;
		if (c == '=') {
			if (len - i < 3)
				return -1;
			if ((hi = hex_value(s[i + 1])) == -1 ||
			    (lo = hex_value(s[i + 2])) == -1)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || n + 1 >= outmax)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}
