/* UTF-8 checks and the escaping of foreign text for logs and listings. */
#include <stdio.h>

#include "utf8.h"

size_t
utf8_len(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned char		 lo = 0x80, hi = 0xbf;
	uint32_t		 c;
	size_t			 need, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		if (cp)
			*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 1;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		c = p[0] & 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		c = p[0] & 0x07;
		if (p[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n <= need || p[1] < lo || p[1] > hi)
		return 0;
	c = c << 6 | (p[1] & 0x3f);
	for (i = 2; i <= need; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (cp)
		*cp = c;
	return need + 1;
}

int
utf8_cp_unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	    c == 0x061c ||			/* Arabic letter mark */
	    (c >= 0x200b && c <= 0x200f) ||	/* zero-width, LRM, RLM */
	    (c >= 0x2028 && c <= 0x202e) ||	/* separators, embeddings, overrides */
	    (c >= 0x2060 && c <= 0x206f) ||	/* word joiner, isolates, invisible operators */
	    c == 0xfeff;			/* zero-width no-break space, BOM */
}

size_t
utf8_safe_len(const char *s, size_t n)
{
	uint32_t	 c;
	size_t		 l;

	if ((l = utf8_len(s, n, &c)) == 0 || utf8_cp_unsafe(c))
		return 0;
	return l;
}

size_t
utf8_escape(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t	 i = 0, o = 0, l;

	if (dstlen == 0)
		return 0;
	while (i < n) {
		/* Printable ASCII, most of every line, without decoding. */
		if ((unsigned char)src[i] >= 0x20 && (unsigned char)src[i] < 0x7f) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = src[i++];
			continue;
		}
		if ((l = utf8_safe_len(src + i, n - i)) > 0) {
			if (o + l >= dstlen)
				break;
			for (; l > 0; l--)
				dst[o++] = src[i++];
			continue;
		}
		if (o + 4 >= dstlen)
			break;
		snprintf(dst + o, 5, "\\%03o", (unsigned char)src[i++]);
		o += 4;
	}
	dst[o] = '\0';
	return o;
}

void
utf8_sanitize(char *s, size_t n)
{
	size_t	 i = 0, l;

	while (i < n) {
		if ((l = utf8_safe_len(s + i, n - i)) > 0)
			i += l;
		else
			s[i++] = '?';
	}
}
