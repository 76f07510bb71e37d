/* The message on the wire: stored LF lines become CRLF, leading dots are doubled (RFC 5321 4.5.2). */
#ifndef TEGAMI_MTA_DATA_H
#define TEGAMI_MTA_DATA_H

#include <stddef.h>

struct buf;

struct mta_data {
	int	 bol;		/* at the beginning of a line */
};

void	 mta_data_init(struct mta_data *);
/* Appends the wire form of in[0..len) to out; -1 when out is full. */
int	 mta_data_encode(struct mta_data *, const char *in, size_t len, struct buf *out);
/* Appends the end: a CRLF when the message did not end with one, then ".\r\n". */
int	 mta_data_end(struct mta_data *, struct buf *out);

#endif
