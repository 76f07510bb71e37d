/* SORT (RFC 5256, RFC 5957 DISPLAYFROM/DISPLAYTO): base subjects and the order of messages by their keys. */
#ifndef TEGAMI_IMAP_SORT_H
#define TEGAMI_IMAP_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/imap_parse.h"

struct buf;

/*
 * The engine does not call this module: search.h runs SORT and THREAD.
 * These are its pieces, pure, for search.c, search_fields.c and the tests.
 */

/*
 * The base subject of RFC 5256 2.1 of a subject already decoded to UTF-8
 * (step 1's RFC 2047 decoding done by the caller): white space runs made
 * one space, trailing "(fwd)" and leading "Re:", "Fw:", "Fwd:", "[blob]"
 * and "[fwd: ...]" wrappers removed, repeatedly, then ASCII letters upper
 * cased (i;ascii-casemap). Appended to out. *reply is set when a "re",
 * "fw", "fwd" leader, a "(fwd)" trailer or a "[fwd: ]" wrapper was
 * removed (what THREAD REFERENCES step 5 calls a reply or forward).
 * Returns 0, or -1 when out is full.
 */
int	 sort_base_subject(struct buf *out, const char *s, size_t len, bool *reply);

/* What one message is sorted by. Strings are compared octet by octet. */
struct sort_item {
	uint32_t	 seq;		/* ties are broken by sequence number */
	uint32_t	 num;		/* what the response shows (UID or seq) */
	uint64_t	 size;
	int64_t		 arrival;	/* internal date */
	int64_t		 date;		/* Date: field, or internal date when none */
	/* Indexed by enum imap_sort_key for CC, FROM, SUBJECT, TO, DISPLAY*. */
	const char	*str[IMAP_SORT_DISPLAYTO + 1];
	uint32_t	 len[IMAP_SORT_DISPLAYTO + 1];
};

/* Sorts items by the criteria, ties by sequence number. */
void	 sort_items(struct sort_item *, size_t n, const struct imap_sort_crit *,
	    size_t ncrit);

#endif
