/* DNS lists (RFC 5782): zone specifications with answer codes, query names, answers read. */
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dns/dnsbl.h"
#include "dns/fcrdns.h"
#include "mail/addr.h"

#define BIT_SET(map, v)	((map)[(v) >> 3] |= (unsigned char)(1u << ((v) & 7)))
#define BIT_HAS(map, v)	((map)[(v) >> 3] & (1u << ((v) & 7)))

/* A decimal octet value at *p; advances *p. -1 when there is none or it is above 255. */
static int
octet_value(const char **p)
{
	int	 v = 0, n = 0;

	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		if (++n > 3 || v > 255)
			return -1;
	}
	return n == 0 ? -1 : v;
}

/* "2", or "[2..11]", "[2;4;9..11]": the values one octet of an answer may take. */
static int
octet_pattern(const char **p, unsigned char map[32])
{
	int	 lo, hi, v;

	if (**p != '[') {
		if ((v = octet_value(p)) == -1)
			return -1;
		BIT_SET(map, v);
		return 0;
	}
	(*p)++;
	for (;;) {
		if ((lo = octet_value(p)) == -1)
			return -1;
		hi = lo;
		if ((*p)[0] == '.' && (*p)[1] == '.') {
			*p += 2;
			if ((hi = octet_value(p)) == -1 || hi < lo)
				return -1;
		}
		for (v = lo; v <= hi; v++)
			BIT_SET(map, v);
		if (**p == ']')
			break;
		if (**p != ';')
			return -1;
		(*p)++;
	}
	(*p)++;
	return 0;
}

int
dnsbl_zone_parse(struct dnsbl_zone *z, const char *spec, const char **errstr)
{
	const char	*eq = strchr(spec, '='), *p;
	size_t		 len = eq ? (size_t)(eq - spec) : strlen(spec), i;

	memset(z, 0, sizeof(*z));
	if (len > 0 && spec[len - 1] == '.')
		len--;
	if (len == 0 || len > DNSBL_NAME_MAX - 8) {
		*errstr = "a DNS list zone must be a domain name";
		return -1;
	}
	if (spec[0] == '[' || addr_domain_check(spec, len, 0, errstr) == -1) {
		*errstr = "a DNS list zone must be a domain name";
		return -1;
	}
	for (i = 0; i < len; i++)
		z->zone[i] = (char)tolower((unsigned char)spec[i]);
	z->zone[len] = '\0';
	if (eq == NULL)
		return 0;
	p = eq + 1;
	for (i = 0; i < 4; i++) {
		if (i > 0 && *p++ != '.')
			goto bad;
		if (octet_pattern(&p, z->octet[i]) == -1)
			goto bad;
	}
	if (*p != '\0')
		goto bad;
	z->codes = 1;
	return 0;
bad:
	*errstr = "bad DNS list answer codes (expected e.g. 127.0.0.2 or "
	    "127.0.0.[2..11])";
	return -1;
}

int
dnsbl_name_addr(const struct sockaddr *sa, const char *zone, char *dst, size_t len)
{
	char	 ptr[80];
	size_t	 n;
	int	 w;

	if (fcrdns_ptr_name(sa, ptr, sizeof(ptr)) == -1)
		return -1;
	/* The reverse name without its .in-addr.arpa or .ip6.arpa. */
	n = strlen(ptr);
	if (n > 13 && strcmp(ptr + n - 13, ".in-addr.arpa") == 0)
		n -= 13;
	else if (n > 9 && strcmp(ptr + n - 9, ".ip6.arpa") == 0)
		n -= 9;
	else
		return -1;
	w = snprintf(dst, len, "%.*s.%s", (int)n, ptr, zone);
	return w < 0 || (size_t)w >= len || (size_t)w > DNSBL_NAME_MAX ? -1 : 0;
}

int
dnsbl_name_domain(const char *domain, const char *zone, char *dst, size_t len)
{
	size_t	 n = strlen(domain), i;
	int	 w;

	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || domain[0] == '[' || domain[0] == '.')
		return -1;
	w = snprintf(dst, len, "%.*s.%s", (int)n, domain, zone);
	if (w < 0 || (size_t)w >= len || (size_t)w > DNSBL_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)dst[i]);
	return 0;
}

enum dnsbl_verdict
dnsbl_verdict_a(const struct dnsbl_zone *z, const unsigned char *a, size_t len)
{
	int	 i;

	if (len != 4)
		return DNSBL_LIST_ERROR;
	if (z->codes) {
		for (i = 0; i < 4; i++)
			if (!BIT_HAS(z->octet[i], a[i]))
				return DNSBL_NOT_LISTED;
		return DNSBL_LISTED;
	}
	/* RFC 5782 2.3: listings are in 127.0.0.0/8; 127.0.0.1 never is one. */
	if (a[0] != 127 || (a[1] == 255 && a[2] == 255) ||
	    (a[1] == 0 && a[2] == 0 && a[3] == 1))
		return DNSBL_LIST_ERROR;
	return DNSBL_LISTED;
}

int
dnsbl_txt(const unsigned char *p, size_t len, char *dst, size_t dstlen)
{
	size_t	 off = 0, o = 0, n, i;

	if (dstlen == 0)
		return -1;
	while (off < len) {
		n = p[off++];
		if (n > len - off)
			return -1;
		for (i = 0; i < n; i++) {
			if (o + 1 < dstlen)
				dst[o++] = p[off + i] >= 0x20 && p[off + i] < 0x7f ?
				    (char)p[off + i] : '?';
		}
		off += n;
	}
	dst[o] = '\0';
	return 0;
}
