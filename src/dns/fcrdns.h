/* Forward-confirmed reverse DNS of a client address: PTR names, then their addresses, within a time bound. */
#ifndef TEGAMI_FCRDNS_H
#define TEGAMI_FCRDNS_H

#include <sys/socket.h>

struct event_base;
struct fcrdns;

/* How many PTR names are checked against their addresses (the rest are ignored). */
#define FCRDNS_NAMES_MAX	5
/* Results kept, and for how long at most. */
#define FCRDNS_CACHE_SLOTS	256
#define FCRDNS_CACHE_SECS	300

enum fcrdns_status {
	FCRDNS_CONFIRMED,	/* a PTR name resolves back to the address */
	FCRDNS_UNCONFIRMED,	/* PTR names, none of them leads back */
	FCRDNS_NONE,		/* no PTR record (NXDOMAIN, NODATA) */
	FCRDNS_TEMPFAIL,	/* DNS failed or the time ran out */
};

struct fcrdns_result {
	enum fcrdns_status	 status;
	/* The confirmed name; else the first PTR name; "" when none (lowercase, no final dot). */
	char			 name[256];
	int			 cached;	/* from an earlier lookup of the address */
};

typedef void	(*fcrdns_cb)(const struct fcrdns_result *, void *arg);

/*
 * Looks up sa's reverse name and confirms it forward (A for IPv4, AAAA for
 * IPv6; an IPv4-mapped IPv6 address counts as IPv4). cb runs once, from the
 * event loop, at most timeout seconds later, unless fcrdns_cancel() comes
 * first. Uses the dns module (dns_init() must have run). A result other
 * than TEMPFAIL is kept per address for the shortest TTL of the answers
 * it came from, at most FCRDNS_CACHE_SECS: a client that connects again
 * and again costs its lookups once (each process keeps its own).
 */
struct fcrdns	*fcrdns_start(struct event_base *, const struct sockaddr *,
		    int timeout, fcrdns_cb, void *arg);
void		 fcrdns_cancel(struct fcrdns *);

/* The reverse-lookup name of sa: "4.3.2.1.in-addr.arpa", nibbles under ip6.arpa. -1 for other families. */
int		 fcrdns_ptr_name(const struct sockaddr *, char *dst, size_t len);

#endif
