/* Text in mail to UTF-8: declared charsets through iconv, RFC 2047 encoded words, undeclared 8-bit. */
#ifndef TEGAMI_MIME_CHARSET_H
#define TEGAMI_MIME_CHARSET_H

#include <stddef.h>

struct buf;

/*
 * Converts in[0..len) from charset to UTF-8, appended to out. Octets that
 * do not convert become U+FFFD. Japanese charsets get the supersets mail
 * really uses: Shift_JIS as CP932 (NEC and IBM extensions, the Windows
 * mapping of 0x8160 to U+FF5E), ISO-2022-JP with the CP50221 extensions
 * (NEC row 13, half-width katakana by ESC ( I or SO/SI), EUC-JP falling
 * back to EUC-JP-MS. A NULL, empty, US-ASCII or UTF-8 charset takes the
 * undeclared path of mime_8bit_to_utf8. Returns 0, or -1 when the
 * charset is unknown: then the input is appended as it is.
 */
int	 mime_charset_to_utf8(const char *charset, const char *in, size_t len,
	    struct buf *out);
/*
 * Text whose charset nobody declared (raw header octets, RFC 6532 or not):
 * valid UTF-8 stays; ISO-2022-JP escape sequences are decoded; other 8-bit
 * text is taken as EUC-JP when it is valid EUC-JP, else as CP932 (Shift_JIS)
 * when valid, else as Windows-1252.
 */
void	 mime_8bit_to_utf8(const char *in, size_t len, struct buf *out);
/*
 * An unstructured header value (Subject, a display name) as UTF-8: RFC 2047
 * encoded words decoded (B and Q, any case, charset*language), white space
 * between adjacent encoded words dropped, adjacent words of one charset
 * joined before conversion (a character may be split across them), CR and
 * LF removed, other text through mime_8bit_to_utf8. Malformed words and
 * words in unknown charsets stay as they are.
 */
void	 mime_words_decode(const char *in, size_t len, struct buf *out);
/* 1 when s[0..len) is valid UTF-8 (RFC 3629). */
int	 mime_utf8_valid(const char *s, size_t len);

#endif
