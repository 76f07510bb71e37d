/* Authentication-Results (RFC 8601): the field this server writes, and the fields of others that claim to be its own. */
#ifndef TEGAMI_AUTHRES_H
#define TEGAMI_AUTHRES_H

#include <stddef.h>

struct buf;

#define AUTHRES_FIELD		"Authentication-Results"
#define AUTHRES_ID_MAX		255	/* octets of an authserv-id we compare */
#define AUTHRES_COMMENT_DEPTH	16	/* nested comments before the id; deeper is malformed */

/*
 * The authserv-id of an Authentication-Results value (what follows the
 * colon, folding included, LF or CRLF): comments and white space skipped,
 * then a token or a quoted-string (RFC 8601 2.2, RFC 2045 value). Copies it
 * (quoted-pairs resolved) into out and returns its length, or -1 when the
 * value does not start with one or it is longer than AUTHRES_ID_MAX.
 */
int	 authres_id(const char *value, size_t len, char *out, size_t outlen);

/*
 * 1 when the value's authserv-id is id, ignoring case (RFC 8601 2.5: it is
 * a domain name in practice, compared as one).
 */
int	 authres_is_ours(const char *value, size_t len, const char *id);

/*
 * Removes from the header section hdr[0..len) (LF or CRLF line ends; it
 * ends at the first empty line, or at len) every Authentication-Results
 * field whose authserv-id is id, continuation lines included, moving what
 * follows up in place: RFC 8601 5, a border MTA deletes what claims to be
 * its own results. A field whose authserv-id cannot be read is kept (it
 * cannot claim to be ours). Returns the new length; *removed (may be NULL)
 * counts the fields taken out.
 */
size_t	 authres_strip(char *hdr, size_t len, const char *id, size_t *removed);

/*
 * Appends "Authentication-Results: ID;" and each resinfo on a line of its
 * own, folded with a tab, separated by ";", then one LF (the queue's line
 * end). No resinfo writes "none" (RFC 8601 2.2). The id is written as a
 * token when it is one, else quoted. -1 when out is full.
 */
int	 authres_header(struct buf *out, const char *id,
	    const char *const *resinfo, size_t n);

#endif
