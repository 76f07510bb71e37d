/* BODY and BODYSTRUCTURE of RFC 3501 7.4.2 (RFC 9051 7.5.2) from a parsed message. */
#ifndef TEGAMI_IMAP_BODYSTRUCTURE_H
#define TEGAMI_IMAP_BODYSTRUCTURE_H

#include <stdint.h>

struct buf;
struct mime_tree;

/*
 * Appends the body structure of part idx (0: the message) to out; ext set
 * gives BODYSTRUCTURE (extension data: md5, disposition, language,
 * location; for multiparts parameters, disposition, language, location),
 * unset gives BODY. Written as Dovecot writes it: type, subtype, parameter
 * names and values with the case the message gives them; text/plain with
 * ("charset" "us-ascii") when there is no Content-Type, and that charset
 * parameter added to any text part without one; "7bit" when there is no
 * valid Content-Transfer-Encoding; a multipart without parts shows one
 * empty text/plain part; a part made opaque by a limit shows as
 * application/octet-stream. Sizes and line counts are CRLF counts.
 * Returns 0, or -1 when out is full.
 */
int	 imap_bodystructure(struct buf *out, const struct mime_tree *t, uint32_t idx,
	    int ext);

#endif
