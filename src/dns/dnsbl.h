/* DNS lists (DNSBL, RHSBL): zone specifications, query names, and what an answer means. */
#ifndef TEGAMI_DNSBL_H
#define TEGAMI_DNSBL_H

#include <sys/socket.h>

#include <stddef.h>

#define DNSBL_NAME_MAX	253	/* a query name, without the final dot */

/*
 * A list as written in the configuration: "zone", or with the answers
 * that count as listed, in Postfix's notation: "zone=127.0.0.2",
 * "zone=127.0.0.[2..11]", "zone=127.0.[0;1].[2;4..9]".
 */
struct dnsbl_zone {
	char		 zone[DNSBL_NAME_MAX + 1];	/* lowercase, no final dot */
	int		 codes;		/* 0: no codes given */
	unsigned char	 octet[4][32];	/* bitmaps of the values each octet may take */
};

/* The answer of a list for one name. */
enum dnsbl_verdict {
	DNSBL_NOT_LISTED,	/* NXDOMAIN, NODATA, or no answer matches the codes */
	DNSBL_LISTED,
	/*
	 * The list answered outside 127.0.0.0/8 or with 127.255.255.0/24
	 * (Spamhaus's "query refused", "typo" and "rate limited" codes): it
	 * said nothing about the client, and it is worth a log line.
	 */
	DNSBL_LIST_ERROR,
};

/* Parses a specification; -1 with errstr (static text). */
int	 dnsbl_zone_parse(struct dnsbl_zone *, const char *spec, const char **errstr);

/*
 * The query name of a client address in zone: the four octets reversed
 * for IPv4 (an IPv4-mapped IPv6 address counts as IPv4), the 32 nibbles
 * reversed for IPv6 (RFC 5782 2.4). -1 for other families or when too long.
 */
int	 dnsbl_name_addr(const struct sockaddr *, const char *zone, char *dst,
	    size_t len);
/*
 * The query name of a domain in zone (RFC 5782 2.1): "domain.zone". -1
 * for an address literal, an empty domain, or a name too long.
 */
int	 dnsbl_name_domain(const char *domain, const char *zone, char *dst, size_t len);

/* Reads one A record (4 octets) of an answer; a record of another size is an error. */
enum dnsbl_verdict dnsbl_verdict_a(const struct dnsbl_zone *, const unsigned char *rdata,
	    size_t len);

/*
 * The text of a TXT record (the list's reason): its character-strings
 * joined, each octet outside printable ASCII written as '?', truncated to
 * fit dst. -1 on malformed record data.
 */
int	 dnsbl_txt(const unsigned char *rdata, size_t len, char *dst, size_t dstlen);

#endif
