/* What SEARCH, SORT and THREAD read of a message's header, decoded once when the message is indexed. */
#ifndef TEGAMI_IMAP_SEARCH_FIELDS_H
#define TEGAMI_IMAP_SEARCH_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct mime_tree;

/*
 * The engine builds these bytes when it indexes a message (where it also
 * builds ENVELOPE and BODYSTRUCTURE) and keeps them in the index as one
 * blob; search_src.fields hands them back. They hold, already decoded
 * (RFC 2047, charsets to UTF-8) and case-folded (i;unicode-casemap):
 *   - the text SEARCH FROM, TO, CC, BCC and SUBJECT match;
 *   - the Date field's instant and zone (SENTBEFORE/ON/SINCE, SORT DATE);
 *   - the SORT keys, folded too (Dovecot sorts by i;unicode-casemap, which
 *     is i;ascii-casemap for ASCII): base subject (RFC 5256 2.1), first
 *     mailbox of From, To and Cc, DISPLAYFROM and DISPLAYTO (RFC 5957);
 *   - for THREAD REFERENCES: Message-ID, the References chain (or
 *     In-Reply-To), and whether the subject was a reply or forward.
 * About 200 to 600 octets for a usual message; strings are cut at
 * SEARCH_FIELDS_STR_MAX octets and the chain at SEARCH_FIELDS_REFS_MAX
 * ids (the newest kept), so no header makes them large.
 *
 * The bytes start with a version. A reader that finds another version,
 * or bytes that do not parse (a damaged index), ignores them and reads the
 * message file instead: the index is a cache. The version changes when the
 * folding tables or the layout change; an engine may rebuild stale blobs
 * lazily (search_fields_current says whether a blob is current).
 */
#define SEARCH_FIELDS_VERSION	1
#define SEARCH_FIELDS_STR_MAX	4096
#define SEARCH_FIELDS_REFS_MAX	64

/*
 * Appends the fields of message msg[0..len) to out; t is its parse (NULL:
 * parsed here). Pure, no I/O: may run on any thread. Returns 0, or -1 when
 * out is full.
 */
int	 search_fields_build(struct buf *out, const char *msg, size_t len,
	    const struct mime_tree *t);
/* Whether p[0..len) are fields of this version that parse. */
bool	 search_fields_current(const void *p, size_t len);

#endif
