/* HELO/EHLO names: what kind of name a client gave, for the hygiene conditions of filters. */
#ifndef TEGAMI_HELO_H
#define TEGAMI_HELO_H

#include <stddef.h>

/* The longest HELO argument looked at; longer ones are invalid. */
#define HELO_NAME_MAX	255

enum helo_kind {
	HELO_FQDN,		/* a domain of two labels or more, the last not numeric */
	HELO_NOT_FQDN,		/* a valid domain of one label ("pc123"), or a numeric last label */
	HELO_LITERAL,		/* an address literal: [192.0.2.1], [IPv6:2001:db8::1] */
	HELO_INVALID,		/* neither: bad characters, empty labels, a bare address ... */
};

/*
 * Classifies the argument of HELO/EHLO (RFC 5321 4.1.1.1: a Domain or an
 * address-literal). One final dot is allowed on a domain; underscores are
 * accepted in labels, as Windows hosts send them and they harm nobody; an
 * all-numeric dotted name is a bare address, invalid without brackets. For a
 * literal, the address is written to addr (a NUL-terminated text form
 * inet_pton understands, at most 46 octets with the NUL) and its family
 * (AF_INET or AF_INET6) to *family, when they are not NULL. why, when not
 * NULL, gets a static text saying what is wrong with an invalid name.
 */
enum helo_kind	 helo_classify(const char *name, size_t len, char *addr, size_t addrlen,
		    int *family, const char **why);

/*
 * 1 when name (a HELO argument) and ours are the same domain: compared
 * without regard to case or one final dot on either side.
 */
int		 helo_same_name(const char *name, const char *ours);

#endif
