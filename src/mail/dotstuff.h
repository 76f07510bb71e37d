/* The message on the wire: stored LF lines become CRLF, leading dots are doubled (RFC 5321 4.5.2). */
#ifndef TEGAMI_DOTSTUFF_H
#define TEGAMI_DOTSTUFF_H

#include <stddef.h>

struct buf;

struct dotstuff {
	int	 bol;		/* at the beginning of a line */
	int	 cr;		/* the last octet was a CR, sent as a line end */
};

void	 dotstuff_init(struct dotstuff *);
/*
 * Appends the wire form of in[0..len) to out; -1 when out is full. A CR in
 * the stored message (CRLF, or a lone CR from a queue file written before
 * BDAT refused it) is a line end too: no lone CR is ever sent, so no
 * server behind can read a line end where this one saw none.
 */
int	 dotstuff_encode(struct dotstuff *, const char *in, size_t len, struct buf *out);
/* Appends the end: a CRLF when the message did not end with one, then ".\r\n". */
int	 dotstuff_end(struct dotstuff *, struct buf *out);

#endif
