/* Table lookups by the role a table plays: domains, mail addresses, network addresses, regexes. */
#ifndef TEGAMI_LOOKUP_H
#define TEGAMI_LOOKUP_H

#include <sys/socket.h>

struct table;

/* Domain list: exact (case-insensitive) or "*.example.org" wildcard. */
int	 table_match_domain(const struct table *, const char *domain);
/* Mailaddr list: "user", "@domain", "user@domain", "user@*.domain". */
int	 table_match_mailaddr(const struct table *, const char *addr);
/* Netaddr list: exact addresses or CIDR, "ipv6:" prefix accepted. */
int	 table_match_netaddr(const struct table *, const struct sockaddr *);
/* Regex list: any entry (POSIX extended) matches the string. */
int	 table_match_regex(const struct table *, const char *);

/* Mailaddr list with the sub-address delimiter to strip from addr (0: none). */
int	 table_match_mailaddr_delim(const struct table *, const char *addr, char delim);

/*
 * The same matches against one pattern, for rule arguments given as a string
 * rather than a <table>: "*.example.org", "@example.org", "10.0.0.0/8".
 */
int	 table_pattern_domain(const char *pattern, const char *domain);
int	 table_pattern_mailaddr(const char *pattern, const char *addr, char delim);
int	 table_pattern_netaddr(const char *pattern, const struct sockaddr *);
/* Case-insensitive POSIX extended regex; a pattern that does not compile matches nothing. */
int	 table_pattern_regex(const char *pattern, const char *s);

#endif
