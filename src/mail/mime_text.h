/* UTF-8 text of a message for SEARCH: decoded header fields and text bodies. */
#ifndef TEGAMI_MIME_TEXT_H
#define TEGAMI_MIME_TEXT_H

#include <stdint.h>

struct buf;
struct mime_tree;

/*
 * Appends the header of part idx as UTF-8 lines "Name: value\n", each value
 * unfolded with its encoded words decoded and undeclared 8-bit text
 * converted (mime_words_decode). name, when not NULL, keeps only the fields
 * of that name (SEARCH HEADER, SUBJECT, FROM...). Returns 0, or -1 when out
 * is full.
 */
int	 mime_text_header(struct buf *out, const char *msg, const struct mime_tree *,
	    uint32_t idx, const char *name);
/*
 * Appends the body of part idx as UTF-8 when its type is text (or has no
 * Content-Type): transfer encoding decoded, charset converted (an unknown
 * charset gives the octets as they are). Other parts give nothing.
 * *malformed is set (when not NULL) if the transfer encoding was broken.
 */
int	 mime_text_body(struct buf *out, const char *msg, const struct mime_tree *,
	    uint32_t idx, int *malformed);

#define MIME_TEXT_HEADERS	0x01	/* every message header, embedded ones too */
#define MIME_TEXT_BODIES	0x02	/* every text part */

/* All of a message for SEARCH TEXT (both) or BODY (bodies), part after part. */
int	 mime_text_search(struct buf *out, const char *msg, const struct mime_tree *,
	    int what);

#endif
