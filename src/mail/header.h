/* Message header edits done while receiving: the From rewrite of `senders <t> masquerade`. */
#ifndef TEGAMI_HEADER_H
#define TEGAMI_HEADER_H

#include <stddef.h>

struct buf;

/* Where the header section of hdr (LF line ends) ends: the offset after the empty line, or 0 if not yet. */
size_t	 header_end(const char *hdr, size_t len);

/*
 * Appends hdr to out with the address of the first From field replaced by
 * addr: inside its angle brackets when it has them, keeping the display
 * name, else the whole field value. Folded continuation lines of that field
 * are dropped with it. Without a From field hdr is copied unchanged.
 * Returns 1 when a field was rewritten, 0 when not, -1 when out is full.
 */
int	 header_masquerade_from(struct buf *out, const char *hdr, size_t len,
	    const char *addr);

#endif
