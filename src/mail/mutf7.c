/* Modified UTF-7: UTF-16 in a base64 alphabet with ',' for '/', shifted by '&' and '-'. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/digits.h"
#include "lib/buf.h"
#include "mail/mutf7.h"


static int
direct(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/*
 * Decodes one UTF-8 sequence at s[0..len): the code point, or -1 for
 * anything RFC 3629 does not allow.
 */
static int32_t
utf8_next(const unsigned char *s, size_t len, size_t *used)
{
	uint32_t	 c, min;
	size_t		 n, i;

	if (s[0] < 0x80) {
		*used = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return -1;
	if (len < n)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*used = n;
	return (int32_t)c;
}

/* Appends the bits of 16-bit units as base64, then the pad and '-'. */
struct b64w {
	struct buf	*out;
	uint32_t	 acc;
	int		 nbits;
	int		 err;
};

static void
b64_unit(struct b64w *w, uint32_t u)
{
	w->acc = w->acc << 16 | u;
	w->nbits += 16;
	while (w->nbits >= 6) {
		w->nbits -= 6;
		if (buf_addc(w->out, base64_char((unsigned)(w->acc >> w->nbits),
		    BASE64_IMAP)) == -1)
			w->err = 1;
	}
	w->acc &= (1u << w->nbits) - 1;
}

static void
b64_end(struct b64w *w)
{
	if (w->nbits > 0 &&
	    buf_addc(w->out, base64_char((unsigned)(w->acc << (6 - w->nbits)),
	    BASE64_IMAP)) == -1)
		w->err = 1;
	if (buf_addc(w->out, '-') == -1)
		w->err = 1;
	w->acc = 0;
	w->nbits = 0;
}

int
mutf7_encode(struct buf *out, const char *utf8, size_t len, const char **errstr)
{
	const unsigned char	*s = (const unsigned char *)utf8;
	struct b64w		 w = { out, 0, 0, 0 };
	size_t			 start = out->len, i = 0, used;
	int			 shifted = 0;
	int32_t			 c;

	while (i < len) {
		if ((c = utf8_next(s + i, len - i, &used)) <= 0) {
			*errstr = c == 0 ? "NUL in a name" : "invalid UTF-8";
			goto fail;
		}
		i += used;
		if (direct((uint32_t)c)) {
			if (shifted) {
				b64_end(&w);
				shifted = 0;
			}
			if (buf_addc(out, (char)c) == -1 ||
			    (c == '&' && buf_addc(out, '-') == -1))
				w.err = 1;
		} else {
			if (!shifted) {
				if (buf_addc(out, '&') == -1)
					w.err = 1;
				shifted = 1;
			}
			if (c >= 0x10000) {
				c -= 0x10000;
				b64_unit(&w, 0xd800 | (uint32_t)c >> 10);
				b64_unit(&w, 0xdc00 | ((uint32_t)c & 0x3ff));
			} else
				b64_unit(&w, (uint32_t)c);
		}
		if (w.err) {
			*errstr = "name too long";
			goto fail;
		}
	}
	if (shifted)
		b64_end(&w);
	if (w.err) {
		*errstr = "name too long";
		goto fail;
	}
	return 0;
fail:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}

static int
put_utf8(struct buf *out, uint32_t c)
{
	char	 u[4];
	size_t	 n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | c >> 12);
		u[1] = (char)(0x80 | (c >> 6 & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | c >> 18);
		u[1] = (char)(0x80 | (c >> 12 & 0x3f));
		u[2] = (char)(0x80 | (c >> 6 & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return buf_add(out, u, n);
}

/*
 * Decodes the section s[0..len) (between '&' and '-', not empty) and
 * appends its characters; NULL or the reason it is not canonical.
 */
static const char *
section(struct buf *out, const unsigned char *s, size_t len)
{
	uint32_t	 acc = 0, hi = 0, u;
	int		 nbits = 0, v;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if ((v = base64_value((unsigned char)s[i], BASE64_IMAP)) == -1)
			return "invalid character in a base64 section";
		acc = (acc << 6 | (uint32_t)v) & 0x3fffff;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = acc >> nbits & 0xffff;

		if (hi != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return "unpaired surrogate";
			if (put_utf8(out, 0x10000 + ((hi - 0xd800) << 10) +
			    (u - 0xdc00)) == -1)
				return "name too long";
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff)
			hi = u;
		else if (u >= 0xdc00 && u <= 0xdfff)
			return "unpaired surrogate";
		else if (u == 0 || direct(u))
			return "base64 section encodes NUL or printable ASCII";
		else if (put_utf8(out, u) == -1)
			return "name too long";
	}
	if (hi != 0)
		return "unpaired surrogate";
	/* An encoder stops at the first character that holds no whole 16 bits. */
	if (nbits >= 6 || (acc & ((1u << nbits) - 1)) != 0)
		return "base64 section with bits left over";
	return NULL;
}

int
mutf7_decode(struct buf *out, const char *mutf7, size_t len,
    const char **errstr)
{
	const unsigned char	*s = (const unsigned char *)mutf7;
	const unsigned char	*end;
	size_t			 start = out->len, i = 0;
	int			 after_section = 0;

	while (i < len) {
		if (!direct(s[i])) {
			*errstr = "byte outside printable ASCII";
			goto fail;
		}
		if (s[i] != '&') {
			if (buf_addc(out, (char)s[i]) == -1) {
				*errstr = "name too long";
				goto fail;
			}
			i++;
			after_section = 0;
			continue;
		}
		end = memchr(s + i + 1, '-', len - i - 1);
		if (end == NULL) {
			*errstr = "base64 section not closed";
			goto fail;
		}
		if (end == s + i + 1) {
			if (buf_addc(out, '&') == -1) {
				*errstr = "name too long";
				goto fail;
			}
			after_section = 0;
		} else {
			if (after_section) {
				*errstr = "two base64 sections in a row";
				goto fail;
			}
			if ((*errstr = section(out, s + i + 1,
			    (size_t)(end - s - i - 1))) != NULL)
				goto fail;
			after_section = 1;
		}
		i = (size_t)(end - s) + 1;
	}
	return 0;
fail:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}
