/* RFC 5322 3.6: the header fields a message must have once, and those it may have at most once. */
#ifndef TEGAMI_MSGCHECK_H
#define TEGAMI_MSGCHECK_H

#include <stddef.h>

struct dkim_hdr;

/*
 * Checks the counts of RFC 5322 3.6's table over the fields hdrs[0..n)
 * (dkim_hdr_split's): exactly one Date and one From; at most one Sender,
 * Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References and Subject.
 * Returns 0, or -1 with what is wrong in why ("no Date header field",
 * "2 From header fields"), as OpenDMARC's RequiredHeaders checks.
 */
int	 msgcheck_counts(const struct dkim_hdr *hdrs, size_t n, char *why,
	    size_t whylen);

#endif
