/* Asynchronous DNS on the event loop (libunbound): answers with their DNSSEC status. */
#ifndef TEGAMI_DNS_H
#define TEGAMI_DNS_H

#include <stddef.h>

struct conf;
struct event_base;
struct dns_query;

/* Record types asked for (RFC 1035, 3596, 6698). */
#define DNS_T_A		1
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_TLSA	52

enum dns_status {
	DNS_OK,			/* records in rdata[] */
	DNS_NODATA,		/* the name exists, no record of the type */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_TEMPFAIL,		/* SERVFAIL, timeout, bogus DNSSEC, local error */
};

/* An answer; valid only during the callback. */
struct dns_answer {
	enum dns_status	 status;
	int		 secure;	/* validated by DNSSEC (for DANE) */
	int		 bogus;		/* DNSSEC validation failed */
	int		 rcode;
	const char	*why;		/* text for TEMPFAIL */
	size_t		 n;
	const unsigned char *const *rdata;	/* record data, wire format */
	const int	*rdlen;
	unsigned	 ttl;		/* seconds it may be kept (the resolver's TTL; 0 for TEMPFAIL) */
};

typedef void	(*dns_cb)(const struct dns_answer *, void *arg);

/*
 * Sets up the resolver: the conf's "resolver" lines as forwarders, else
 * /etc/resolv.conf; /etc/hosts is read for addresses in both cases.
 * -1 with errstr (static storage) on failure.
 */
int		 dns_init(struct event_base *, const struct conf *, const char **errstr);
/*
 * Starts a lookup; cb is called exactly once from the event loop (never
 * from inside this call) unless the query is cancelled first.
 */
struct dns_query *dns_lookup(const char *name, int type, dns_cb, void *arg);
void		 dns_cancel(struct dns_query *);
/* 1 when both configurations name the same resolvers (a reload that needs no new resolver). */
int		 dns_same_resolvers(const struct conf *, const struct conf *);

/*
 * Reads an uncompressed domain name (what resolvers hand out in rdata) at
 * *off of p[0..len) as dotted text without the final dot ("" for the root)
 * into out, and advances *off. -1 on a malformed or too long name.
 */
int		 dns_wire_name(const unsigned char *p, size_t len, size_t *off,
		    char *out, size_t outlen);

#endif
