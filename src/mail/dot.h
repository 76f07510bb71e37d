/* DATA stream decoding: CRLF lines, dot-unstuffing, the end marker, and what smuggling needs refused. */
#ifndef TEGAMI_DOT_H
#define TEGAMI_DOT_H

#include <stddef.h>

#define DOT_LINE_MAX	1000	/* text line incl. CRLF, RFC 5321 4.5.3.1.6 */

enum dot_status {
	DOT_MORE,		/* consumed everything; needs more input */
	DOT_END,		/* saw CRLF.CRLF; *consumed says how far */
};

/* Errors are sticky: the decoder keeps reading to the end marker, writing nothing. */
enum dot_error {
	DOT_OK = 0,
	DOT_ERR_BARE_LF,	/* LF not preceded by CR */
	DOT_ERR_BARE_CR,	/* CR not followed by LF */
	DOT_ERR_LINE_TOO_LONG,
	DOT_ERR_TOO_BIG,	/* more than max_size octets of message */
	DOT_ERR_NUL,		/* NUL octet */
	DOT_ERR_WRITE,		/* the out callback returned -1 */
};

struct dot {
	int		 state;		/* private */
	size_t		 linelen;	/* private */
	size_t		 size;		/* message octets written (after unstuffing, CRLF kept) */
	size_t		 max_size;	/* SIZE_MAX when dot_init was given 0 */
	int		 eightbit;	/* a byte >= 0x80 was seen */
	enum dot_error	 error;
};

/* max_size 0 means no limit. */
void	 dot_init(struct dot *, size_t max_size);
/*
 * Decodes in[0..len): appends the message bytes (CRLF line ends kept, dots
 * unstuffed, the final ".\r\n" removed) to out via the out callback, and
 * stops after the end marker, setting *consumed to the bytes used (the rest
 * is pipelined commands). Works with any chunking of the input: the bytes
 * written, the error, eightbit and *consumed are the same for every split.
 * After an error the bytes before the offending octet have been written
 * (for DOT_ERR_TOO_BIG exactly max_size of them). When out returns -1 the
 * error DOT_ERR_WRITE sticks and nothing more is written. out is called
 * with long runs, never with zero bytes. After DOT_END, further calls
 * consume nothing and return DOT_END until dot_init.
 */
enum dot_status dot_feed(struct dot *, const char *in, size_t len,
	    size_t *consumed, int (*out)(void *arg, const char *, size_t), void *arg);
const char *dot_strerror(enum dot_error);

#endif
