/*
 * An in-memory DNS zone that answers the SPF and DMARC state machines'
 * questions in tests: records in the line format of tests/unit/spf_suite.py
 * ("zone NAME TYPE VALUE...", TAB-separated, \xHH escapes), answered in
 * wire format as src/dns/dns.h hands them out. Included by the tests that
 * need it (static functions: each test binary is one file).
 */
#ifndef TEGAMI_TEST_SPF_ZONE_H
#define TEGAMI_TEST_SPF_ZONE_H

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"

#define ZONE_FIELDS	16
#define ZONE_RDATA	64		/* records per answer */
#define ZONE_CNAME_HOPS	8

struct zone_rr {
	char		*name;		/* lowercased, no trailing dot */
	int		 type;		/* DNS_T_*, 5 for CNAME, 0 for TIMEOUT */
	unsigned char	*rdata;
	int		 rdlen;
	char		*target;	/* CNAME */
};

struct zone {
	struct zone_rr	*rr;
	size_t		 n, cap;
	size_t		 asked;		/* questions answered */
	/* The last answer's storage. */
	unsigned char	*rd[ZONE_RDATA];
	int		 rdl[ZONE_RDATA];
	struct dns_answer ans;
};

#define ZONE_T_CNAME	5

/* Not every including test uses every helper. */
#define ZONE_FN	static __attribute__((unused))

/* Unescapes \xHH in place; returns the length (fields may hold NUL). */
ZONE_FN size_t
zone_unescape(char *s)
{
	char	*w = s, *r = s;

	while (*r != '\0') {
		if (r[0] == '\\' && r[1] == 'x' && r[2] != '\0' && r[3] != '\0') {
			char	 hex[3] = { r[2], r[3], '\0' };

			*w++ = (char)strtoul(hex, NULL, 16);
			r += 4;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* Splits a line at TABs into at most ZONE_FIELDS unescaped fields. */
ZONE_FN int
zone_split(char *line, char **f, size_t *len)
{
	int	 n = 0;
	char	*p = line, *tab;

	line[strcspn(line, "\n")] = '\0';
	for (;;) {
		if (n == ZONE_FIELDS)
			return -1;
		tab = strchr(p, '\t');
		if (tab != NULL)
			*tab = '\0';
		f[n] = p;
		len[n] = zone_unescape(p);
		n++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	return n;
}

ZONE_FN void
zone_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

ZONE_FN char *
zone_name(const char *s)
{
	char	*n = strdup(s);
	size_t	 l;

	if (n == NULL)
		abort();
	zone_lower(n);
	l = strlen(n);
	if (l > 0 && n[l - 1] == '.')
		n[l - 1] = '\0';
	return n;
}

/* Uncompressed wire form of a dotted name; -1 if a label does not fit. */
ZONE_FN int
zone_wire_name(const char *name, unsigned char *out, size_t cap, size_t *len)
{
	size_t		 o = 0;
	const char	*p = name;

	while (*p != '\0') {
		const char	*dot = strchr(p, '.');
		size_t		 l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 63 || o + l + 2 > cap)
			return -1;
		out[o++] = (unsigned char)l;
		memcpy(out + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	if (o + 1 > cap)
		return -1;
	out[o++] = 0;
	*len = o;
	return 0;
}

ZONE_FN void
zone_push(struct zone *z, const char *name, int type, const void *rd, size_t rdlen,
    const char *target)
{
	struct zone_rr	*rr;

	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->rr = realloc(z->rr, z->cap * sizeof(*z->rr));
		if (z->rr == NULL)
			abort();
	}
	rr = &z->rr[z->n++];
	memset(rr, 0, sizeof(*rr));
	rr->name = zone_name(name);
	rr->type = type;
	rr->rdata = malloc(rdlen ? rdlen : 1);
	if (rr->rdata == NULL)
		abort();
	if (rdlen)
		memcpy(rr->rdata, rd, rdlen);
	rr->rdlen = (int)rdlen;
	rr->target = target ? zone_name(target) : NULL;
}

/*
 * Adds one "zone" line's fields (f[0] is "zone"). 0, or -1 with a message
 * on stderr when the line cannot be used.
 */
ZONE_FN int
zone_add(struct zone *z, char **f, size_t *len, int n)
{
	unsigned char	 rd[65536];
	size_t		 o = 0, l;
	int		 i;
	const char	*t;

	if (n < 3)
		return -1;
	t = f[2];
	if (strcmp(t, "TIMEOUT") == 0) {
		zone_push(z, f[1], 0, NULL, 0, NULL);
		return 0;
	}
	if (strcmp(t, "A") == 0 || strcmp(t, "AAAA") == 0) {
		int	 v6 = t[1] != '\0';

		if (n != 4 || inet_pton(v6 ? AF_INET6 : AF_INET, f[3], rd) != 1)
			return -1;
		zone_push(z, f[1], v6 ? DNS_T_AAAA : DNS_T_A, rd, v6 ? 16 : 4, NULL);
		return 0;
	}
	if (strcmp(t, "MX") == 0) {
		unsigned long	 pref;

		if (n != 5)
			return -1;
		pref = strtoul(f[3], NULL, 10);
		rd[0] = (unsigned char)(pref >> 8);
		rd[1] = (unsigned char)pref;
		if (zone_wire_name(f[4], rd + 2, sizeof(rd) - 2, &l) == -1)
			return -1;
		zone_push(z, f[1], DNS_T_MX, rd, l + 2, NULL);
		return 0;
	}
	if (strcmp(t, "PTR") == 0) {
		if (n != 4 || zone_wire_name(f[3], rd, sizeof(rd), &l) == -1)
			return -1;
		zone_push(z, f[1], DNS_T_PTR, rd, l, NULL);
		return 0;
	}
	if (strcmp(t, "CNAME") == 0) {
		if (n != 4)
			return -1;
		zone_push(z, f[1], ZONE_T_CNAME, NULL, 0, f[3]);
		return 0;
	}
	if (strcmp(t, "TXT") == 0) {
		/* Character-strings of at most 255 octets each. */
		for (i = 3; i < n; i++) {
			size_t	 done = 0;

			do {
				size_t	 c = len[i] - done > 255 ? 255 : len[i] - done;

				if (o + c + 1 > sizeof(rd))
					return -1;
				rd[o++] = (unsigned char)c;
				memcpy(rd + o, f[i] + done, c);
				o += c;
				done += c;
			} while (done < len[i]);
		}
		zone_push(z, f[1], DNS_T_TXT, rd, o, NULL);
		return 0;
	}
	return -1;
}

/* Adds a record given as one line of text (for hand-written zones). */
ZONE_FN void
zone_addf(struct zone *z, const char *line)
{
	char	*copy = strdup(line), *f[ZONE_FIELDS];
	size_t	 len[ZONE_FIELDS];
	int	 n;

	if (copy == NULL)
		abort();
	n = zone_split(copy, f, len);
	if (n < 2 || strcmp(f[0], "zone") != 0 || zone_add(z, f, len, n) == -1) {
		fprintf(stderr, "bad zone line: %s\n", line);
		abort();
	}
	free(copy);
}

ZONE_FN void
zone_clear(struct zone *z)
{
	size_t	 i;

	for (i = 0; i < z->n; i++) {
		free(z->rr[i].name);
		free(z->rr[i].rdata);
		free(z->rr[i].target);
	}
	free(z->rr);
	memset(z, 0, sizeof(*z));
}

/* Presentation form ("\\", "\DDD") back to octets, lowercased. */
ZONE_FN char *
zone_qname(const char *q)
{
	char	*n = malloc(strlen(q) + 1), *w = n;

	if (n == NULL)
		abort();
	while (*q != '\0') {
		if (q[0] == '\\' && q[1] >= '0' && q[1] <= '9') {
			*w++ = (char)((q[1] - '0') * 100 + (q[2] - '0') * 10 + (q[3] - '0'));
			q += 4;
		} else if (q[0] == '\\' && q[1] != '\0') {
			*w++ = q[1];
			q += 2;
		} else
			*w++ = *q++;
	}
	*w = '\0';
	zone_lower(n);
	return n;
}

/*
 * Answers name/type as the suite's driver does: records in order; a
 * TIMEOUT entry makes a type with no record listed before it time out; a
 * CNAME is followed (a loop or a long chain is a SERVFAIL).
 */
ZONE_FN const struct dns_answer *
zone_answer(struct zone *z, const char *qname, int type)
{
	char	*name = zone_qname(qname);
	size_t	 i, n = 0, hops = 0;
	int	 exists, seen;

	z->asked++;
	memset(&z->ans, 0, sizeof(z->ans));
again:
	exists = 0;
	seen = 0;
	for (i = 0; i < z->n; i++) {
		struct zone_rr	*rr = &z->rr[i];

		if (strcmp(rr->name, name) != 0)
			continue;
		exists = 1;
		if (rr->type == ZONE_T_CNAME) {
			if (++hops > ZONE_CNAME_HOPS) {
				z->ans.status = DNS_TEMPFAIL;
				z->ans.why = "CNAME loop";
				goto done;
			}
			free(name);
			name = strdup(rr->target);
			if (name == NULL)
				abort();
			goto again;
		}
		if (rr->type == 0) {
			if (!seen) {
				z->ans.status = DNS_TEMPFAIL;
				z->ans.why = "timeout";
				goto done;
			}
			break;
		}
		if (rr->type == type && n < ZONE_RDATA) {
			z->rd[n] = rr->rdata;
			z->rdl[n] = rr->rdlen;
			n++;
			seen = 1;
		}
	}
	if (n > 0) {
		z->ans.status = DNS_OK;
		z->ans.n = n;
		z->ans.rdata = (const unsigned char *const *)z->rd;
		z->ans.rdlen = z->rdl;
	} else
		z->ans.status = exists ? DNS_NODATA : DNS_NXDOMAIN;
done:
	free(name);
	return &z->ans;
}

#endif
