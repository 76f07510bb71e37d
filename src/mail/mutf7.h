/* IMAP's modified UTF-7 (RFC 3501 5.1.3) to and from UTF-8, strictly, as folder names are stored on disk. */
#ifndef TEGAMI_MUTF7_H
#define TEGAMI_MUTF7_H

#include <stddef.h>

struct buf;

/*
 * Both append to out and return 0, or -1 with errstr set and out as it was.
 *
 * Encoding takes well-formed UTF-8 only: no overlong forms, surrogates,
 * code points past U+10FFFF or NUL. Printable ASCII stands for itself ('&'
 * as "&-"); every run of other characters becomes one "&...-" section of
 * UTF-16 in the modified base64 alphabet (',' for '/', no padding).
 *
 * Decoding accepts exactly what encoding produces, so that one folder has
 * one spelling on disk: it refuses bytes outside printable ASCII, a
 * section that is not closed, is not a whole number of UTF-16 units or has
 * bits left over, encodes printable ASCII or NUL, holds an unpaired
 * surrogate, or follows another section directly (an encoder joins them).
 */
int	 mutf7_encode(struct buf *out, const char *utf8, size_t len,
	    const char **errstr);
int	 mutf7_decode(struct buf *out, const char *mutf7, size_t len,
	    const char **errstr);

#endif
