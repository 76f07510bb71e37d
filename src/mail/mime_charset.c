/* Charset conversion to UTF-8 with glibc iconv, RFC 2047 words, and guesses for undeclared 8-bit text. */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "lib/digits.h"
#include "lib/buf.h"
#include "mail/addr.h"
#include "mail/mime_charset.h"
#include "mail/mime_header.h"

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

int
mime_utf8_valid(const char *s, size_t len)
{
	size_t	 i = 0, n;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = addr_utf8_len(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * Valid UTF-8 (RFC 3629) as it is, every other octet U+FFFD: for
 * declared UTF-8 and for what iconv writes, since glibc lets code points
 * past U+10FFFF through.
 */
static void
utf8_clean(const char *in, size_t len, struct buf *out)
{
	size_t	 i = 0, st = 0, n;

	while (i < len) {
		if ((unsigned char)in[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = addr_utf8_len(in + i, len - i)) > 0) {
			i += n;
			continue;
		}
		(void)buf_add(out, in + st, i - st);
		(void)buf_adds(out, REPLACEMENT);
		st = ++i;
	}
	(void)buf_add(out, in + st, len - st);
}

/*
 * iconv from cs to UTF-8 into out; an invalid or truncated sequence becomes
 * U+FFFD and conversion goes on after it. Returns -1 when cs is unknown.
 */
static int
conv(const char *cs, const char *in, size_t len, struct buf *final)
{
	iconv_t		 cd;
	char		 tmp[1024], *ip = (char *)in, *op;
	size_t		 il = len, ol, r;
	struct buf	 b, *out = &b;

	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return -1;
	buf_init(&b, final->max);
	while (il > 0) {
		op = tmp;
		ol = sizeof(tmp);
		r = iconv(cd, &ip, &il, &op, &ol);
		(void)buf_add(out, tmp, (size_t)(op - tmp));
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		(void)buf_adds(out, REPLACEMENT);
		if (errno == EINVAL)
			break;	/* truncated at the end */
		ip++;
		il--;
		/* Resets a stateful decoder's shift state after garbage. */
		(void)iconv(cd, NULL, NULL, NULL, NULL);
	}
	op = tmp;
	ol = sizeof(tmp);
	(void)iconv(cd, NULL, NULL, &op, &ol);
	(void)buf_add(out, tmp, (size_t)(op - tmp));
	iconv_close(cd);
	/* glibc writes code points past U+10FFFF (UCS-4 input) in long forms. */
	utf8_clean(b.data ? b.data : "", b.len, final);
	buf_free(&b);
	return 0;
}

/* 1 when conversion from cs meets no invalid sequence (a guess test). */
static int
conv_clean(const char *cs, const char *in, size_t len)
{
	iconv_t		 cd;
	char		 tmp[1024], *ip = (char *)in, *op;
	size_t		 il = len, ol, r;
	int		 ok = 1;

	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return 0;
	while (il > 0) {
		op = tmp;
		ol = sizeof(tmp);
		r = iconv(cd, &ip, &il, &op, &ol);
		if (r == (size_t)-1 && errno != E2BIG) {
			ok = 0;
			break;
		}
	}
	iconv_close(cd);
	return ok;
}

/*
 * ISO-2022-JP (and the CP50221 extensions) rewritten as EUC-JP-MS, which
 * glibc converts with the NEC and IBM rows: JIS X 0208 two-octet codes get
 * the high bit, half-width katakana (ESC ( I, or SO ... SI) get 0x8E.
 */
static void
iso2022jp_to_eucjpms(const char *in, size_t len, struct buf *out)
{
	enum { ASCII, KANJI, KANA } mode = ASCII;
	int	 so = 0;
	size_t	 i;

	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)in[i];

		if (c == 0x1b && i + 2 < len) {
			const char	*e = in + i + 1;

			if ((e[0] == '$' && (e[1] == 'B' || e[1] == '@'))) {
				mode = KANJI;
				i += 2;
				continue;
			}
			if (e[0] == '$' && e[1] == '(' && i + 3 < len &&
			    (e[2] == 'B' || e[2] == 'Q' || e[2] == 'O')) {
				mode = KANJI;
				i += 3;
				continue;
			}
			if (e[0] == '(' && (e[1] == 'B' || e[1] == 'J' ||
			    e[1] == 'H')) {
				mode = ASCII;
				i += 2;
				continue;
			}
			if (e[0] == '(' && e[1] == 'I') {
				mode = KANA;
				i += 2;
				continue;
			}
		}
		if (c == 0x0e) {
			so = 1;
			continue;
		}
		if (c == 0x0f) {
			so = 0;
			continue;
		}
		if (c == '\n' || c == '\r') {
			/* Line ends reset the mode (RFC 1468 says lines end in ASCII). */
			mode = ASCII;
			so = 0;
			(void)buf_addc(out, (char)c);
			continue;
		}
		if ((mode == KANA || so) && c >= 0x21 && c <= 0x5f) {
			(void)buf_addc(out, (char)0x8e);
			(void)buf_addc(out, (char)(c | 0x80));
		} else if (mode == KANJI && c >= 0x21 && c <= 0x7e && i + 1 < len &&
		    (unsigned char)in[i + 1] >= 0x21 &&
		    (unsigned char)in[i + 1] <= 0x7e) {
			(void)buf_addc(out, (char)(c | 0x80));
			(void)buf_addc(out, (char)(in[i + 1] | 0x80));
			i++;
		} else
			(void)buf_addc(out, (char)c);
	}
}

static void
iso2022jp(const char *in, size_t len, struct buf *out)
{
	struct buf	 euc;

	buf_init(&euc, 0);
	iso2022jp_to_eucjpms(in, len, &euc);
	(void)conv("EUC-JP-MS", euc.data ? euc.data : "", euc.len, out);
	buf_free(&euc);
}

static int
is_8bit(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

static int
has_jis_escape(const char *s, size_t len)
{
	const char	*p = memchr(s, 0x1b, len);

	return p != NULL && (size_t)(p - s) + 2 < len && p[1] == '$' &&
	    (p[2] == 'B' || p[2] == '@' || p[2] == '(');
}

void
mime_8bit_to_utf8(const char *in, size_t len, struct buf *out)
{
	if (!is_8bit(in, len)) {
		if (has_jis_escape(in, len))
			iso2022jp(in, len, out);
		else
			(void)buf_add(out, in, len);
		return;
	}
	if (mime_utf8_valid(in, len)) {
		(void)buf_add(out, in, len);
		return;
	}
	if (conv_clean("EUC-JP-MS", in, len))
		(void)conv("EUC-JP-MS", in, len, out);
	else if (conv_clean("CP932", in, len))
		(void)conv("CP932", in, len, out);
	else
		(void)conv("WINDOWS-1252", in, len, out);
}

/* The charset name iconv should use; NULL for "treat as undeclared". */
static const char *
canon(const char *cs, char *tmp, size_t tmplen)
{
	size_t	 n = strlen(cs);
	char	*star;

	if (n == 0 || n >= tmplen)
		return n == 0 ? NULL : cs;
	memcpy(tmp, cs, n + 1);
	/* RFC 2231 section 5: charset*language in encoded words. */
	if ((star = strchr(tmp, '*')) != NULL)
		*star = '\0';
	/* Declared ASCII that is not: guess, as undeclared text. */
	if (strcasecmp(tmp, "us-ascii") == 0 || strcasecmp(tmp, "ascii") == 0)
		return NULL;
	if (strcasecmp(tmp, "utf-8") == 0 || strcasecmp(tmp, "utf8") == 0)
		return "UTF-8";
	if (strcasecmp(tmp, "shift_jis") == 0 || strcasecmp(tmp, "sjis") == 0 ||
	    strcasecmp(tmp, "shift-jis") == 0 || strcasecmp(tmp, "x-sjis") == 0 ||
	    strcasecmp(tmp, "windows-31j") == 0 || strcasecmp(tmp, "cp932") == 0 ||
	    strcasecmp(tmp, "ms932") == 0)
		return "CP932";
	if (strcasecmp(tmp, "iso-8859-1") == 0 || strcasecmp(tmp, "latin1") == 0)
		return "WINDOWS-1252";	/* what mailers mean by it (HTML5 too) */
	if (strcasecmp(tmp, "ks_c_5601-1987") == 0)
		return "CP949";
	if (strcasecmp(tmp, "gb2312") == 0)
		return "GBK";
	return tmp;
}

/* 1 when text in cs can be converted. */
static int
charset_known(const char *charset)
{
	char		 tmp[64];
	const char	*cs = canon(charset, tmp, sizeof(tmp));
	iconv_t		 cd;

	if (cs == NULL || strcmp(cs, "UTF-8") == 0 ||
	    strncasecmp(cs, "iso-2022-jp", 11) == 0)
		return 1;
	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

int
mime_charset_to_utf8(const char *charset, const char *in, size_t len,
    struct buf *out)
{
	char		 tmp[64];
	const char	*cs = charset ? canon(charset, tmp, sizeof(tmp)) : NULL;
	size_t		 start = out->len;

	if (cs == NULL) {
		mime_8bit_to_utf8(in, len, out);
		return 0;
	}
	if (strncasecmp(cs, "iso-2022-jp", 11) == 0) {
		iso2022jp(in, len, out);
		return 0;
	}
	if (strcmp(cs, "UTF-8") == 0) {
		utf8_clean(in, len, out);
		return 0;
	}
	if (strcasecmp(cs, "euc-jp") == 0 && !conv_clean("EUC-JP", in, len)) {
		(void)conv("EUC-JP-MS", in, len, out);
		return 0;
	}
	if (conv(cs, in, len, out) == -1) {
		out->len = start;
		(void)buf_add(out, in, len);
		return -1;
	}
	return 0;
}



/* The encoded text of a word decoded into out; -1 when it is malformed. */
static int
word_text(int enc, const char *t, size_t n, struct buf *out)
{
	size_t		 i;
	unsigned	 acc = 0;
	int		 bits = 0, v, h, l;

	for (i = 0; i < n; i++) {
		if (enc == 'B') {
			if (t[i] == '=')
				break;
			if ((v = base64_value((unsigned char)t[i], BASE64_STD)) < 0)
				return -1;
			acc = (acc << 6) | (unsigned)v;
			if ((bits += 6) >= 8) {
				bits -= 8;
				(void)buf_addc(out, (char)((acc >> bits) & 0xff));
			}
		} else if (t[i] == '_')
			(void)buf_addc(out, ' ');
		else if (t[i] == '=' && i + 2 < n && (h = hex_value(t[i + 1])) >= 0 &&
		    (l = hex_value(t[i + 2])) >= 0) {
			(void)buf_addc(out, (char)(h * 16 + l));
			i += 2;
		} else if (t[i] == '=')
			return -1;
		else
			(void)buf_addc(out, t[i]);
	}
	return 0;
}

/*
 * An encoded word at s[i]: "=?" charset "?" B|Q "?" text "?=". Fills the
 * charset and encoding and returns the index past it, or 0.
 */
static size_t
word_at(const char *s, size_t len, size_t i, size_t *cs, size_t *cslen,
    int *enc, size_t *t, size_t *tlen)
{
	size_t	 j, q1, q2;

	if (i + 1 >= len || s[i] != '=' || s[i + 1] != '?')
		return 0;
	for (j = i + 2; j < len && s[j] != '?'; j++)
		if (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')
			return 0;
	if (j >= len || j == i + 2 || j + 2 >= len || s[j + 2] != '?')
		return 0;
	q1 = j;
	*enc = s[j + 1] & ~0x20;
	if (*enc != 'B' && *enc != 'Q')
		return 0;
	for (q2 = j + 3; q2 + 1 < len && !(s[q2] == '?' && s[q2 + 1] == '='); q2++)
		if (s[q2] == ' ' || s[q2] == '\t' || s[q2] == '\n' || s[q2] == '\r')
			return 0;
	if (q2 + 1 >= len)
		return 0;
	*cs = i + 2;
	*cslen = q1 - (i + 2);
	*t = q1 + 3;
	*tlen = q2 - *t;
	return q2 + 2;
}

/* Flushes the raw octets gathered for one charset run. */
static void
flush_run(struct buf *raw, char *cs, struct buf *out)
{
	if (raw->len > 0)
		(void)mime_charset_to_utf8(cs, raw->data, raw->len, out);
	raw->len = 0;
	cs[0] = '\0';
}

void
mime_words_decode(const char *s, size_t len, struct buf *out)
{
	struct buf	 raw, text;
	char		 cs[64], wcs[64];
	size_t		 i = 0, lit = 0, end, c, cl, t, tl, ws;
	int		 enc, prev_word = 0;

	buf_init(&raw, 0);
	buf_init(&text, 0);
	cs[0] = '\0';
	while (i < len) {
		end = word_at(s, len, i, &c, &cl, &enc, &t, &tl);
		if (end == 0 || cl >= sizeof(wcs)) {
			i++;
			continue;
		}
		memcpy(wcs, s + c, cl);
		wcs[cl] = '\0';
		/* Literal text before the word; blanks between two words go. */
		ws = lit;
		while (ws < i && (s[ws] == ' ' || s[ws] == '\t' ||
		    s[ws] == '\r' || s[ws] == '\n'))
			ws++;
		if (!(prev_word && ws == i) && i > lit) {
			flush_run(&raw, cs, out);
			text.len = 0;
			mime_unfold(&text, s + lit, i - lit);
			mime_8bit_to_utf8(text.data ? text.data : "", text.len, out);
		}
		if (strcasecmp(wcs, cs) != 0)
			flush_run(&raw, cs, out);
		{
			size_t	 before = raw.len;

			if (word_text(enc, s + t, tl, &raw) == -1 ||
			    !charset_known(wcs)) {
				/* Malformed or unknown: the word stays as written. */
				raw.len = before;
				flush_run(&raw, cs, out);
				mime_8bit_to_utf8(s + i, end - i, out);
				prev_word = 0;
				lit = i = end;
				continue;
			}
		}
		memcpy(cs, wcs, cl + 1);
		prev_word = 1;
		lit = i = end;
	}
	flush_run(&raw, cs, out);
	if (len > lit) {
		text.len = 0;
		mime_unfold(&text, s + lit, len - lit);
		mime_8bit_to_utf8(text.data ? text.data : "", text.len, out);
	}
	buf_free(&raw);
	buf_free(&text);
}
