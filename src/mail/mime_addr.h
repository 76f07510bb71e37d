/* Address lists of message headers (RFC 5322 3.4, obsolete forms too) for IMAP ENVELOPE and SORT. */
#ifndef TEGAMI_MIME_ADDR_H
#define TEGAMI_MIME_ADDR_H

#include <stddef.h>

/*
 * One element as ENVELOPE has it (RFC 3501 7.4.2): name, route (adl),
 * mailbox, host; NULL where absent. A group is a start marker (group set,
 * mailbox: the group's name, host NULL) and an end marker (group set, all
 * NULL). An address without local part or domain keeps mailbox or host
 * NULL with missing set: ENVELOPE writes Dovecot's "MISSING_MAILBOX" and
 * "MISSING_DOMAIN" there, since a NIL host would mean a group.
 */
struct mime_addr {
	char	*name;
	char	*route;
	char	*mailbox;
	char	*host;
	int	 group;
	int	 missing;
};

struct mime_addrlist {
	struct mime_addr	*a;
	size_t			 n, cap;
};

#define MIME_ADDR_MAX	10000	/* elements of one list; the rest is dropped */

/*
 * Appends the addresses of one field value (raw, folding allowed) to l.
 * Lenient like the mail readers it serves: comments give a name when there
 * is no phrase; an empty element between commas is an address with
 * nothing; parsing stops at the first octet that cannot continue the list,
 * keeping what came before.
 */
void	 mime_addr_parse(const char *v, size_t len, struct mime_addrlist *);
void	 mime_addrlist_free(struct mime_addrlist *);

#endif
