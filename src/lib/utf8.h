/* UTF-8 text from outside: well-formedness, and the characters that must never reach a log, a header or a terminal raw. */
#ifndef TEGAMI_UTF8_H
#define TEGAMI_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the well-formed UTF-8 sequence at s (at most n octets): 1 for
 * ASCII, 2-4 for a multi-octet sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), 0 when invalid or truncated. The
 * code point goes to *cp when cp is not NULL.
 */
size_t	 utf8_len(const char *s, size_t n, uint32_t *cp);

/*
 * 1 for a code point that is dangerous in text shown to people: C0 and C1
 * controls and DEL (U+0085 NEL and U+009B CSI among them), the line and
 * paragraph separators U+2028/U+2029, and the invisible ones that reorder
 * or hide text (bidirectional marks, embeddings, overrides and isolates,
 * U+061C, zero-width characters, U+FEFF).
 */
int	 utf8_cp_unsafe(uint32_t cp);

/*
 * Length of the character at s when it is well-formed and safe (printable
 * ASCII or space, or a safe non-ASCII character), else 0.
 */
size_t	 utf8_safe_len(const char *s, size_t n);

/*
 * Copies src[0..n) to dst (dstlen > 0), every octet that is not part of a
 * safe character written as \ooo; always NUL-terminated, cut at a whole
 * character or escape. Returns the length written.
 */
size_t	 utf8_escape(char *dst, size_t dstlen, const char *src, size_t n);

/* In place: each octet that is not part of a safe character becomes '?'. */
void	 utf8_sanitize(char *s, size_t n);

#endif
