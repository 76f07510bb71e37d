/* The message on the wire: stored LF lines become CRLF, leading dots are doubled (RFC 5321 4.5.2). */
#ifndef TEGAMI_DOTSTUFF_H
#define TEGAMI_DOTSTUFF_H

#include <stddef.h>

struct buf;

struct dotstuff {
	int	 bol;		/* at the beginning of a line */
};

void	 dotstuff_init(struct dotstuff *);
/* Appends the wire form of in[0..len) to out; -1 when out is full. */
int	 dotstuff_encode(struct dotstuff *, const char *in, size_t len, struct buf *out);
/* Appends the end: a CRLF when the message did not end with one, then ".\r\n". */
int	 dotstuff_end(struct dotstuff *, struct buf *out);

#endif
