/* The DNS records a mail domain needs, and verdicts on what DNS answers: MX, A/AAAA, SPF, DKIM, DMARC, PTR. Pure. */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "ctl/dnsrec.h"
#include "ctl/i18n.h"
#include "dns/dns.h"
#include "mail/dkim_key.h"
#include "mail/dmarc.h"

void
dnsrec_dmarc_record(const char *domain, char *dst, size_t dstlen)
{
	snprintf(dst, dstlen, "v=DMARC1; p=quarantine; rua=mailto:postmaster@%s",
	    domain);
}

int
dnsrec_txt(const unsigned char *p, size_t len, char *dst, size_t dstlen)
{
	size_t	 off = 0, out = 0, n, i;

	while (off < len) {
		n = p[off++];
		if (n > len - off || out + n >= dstlen)
			return -1;
		for (i = 0; i < n; i++) {
			/* A NUL would cut the text short; a record with one is not ours. */
			if (p[off + i] == '\0')
				return -1;
			dst[out++] = (char)p[off + i];
		}
		off += n;
	}
	if (dstlen == 0)
		return -1;
	dst[out] = '\0';
	return 0;
}

int
dnsrec_mx(const unsigned char *p, size_t len, int *pref, char *name, size_t namelen)
{
	size_t	 off = 2;

	if (len < 3)
		return -1;
	*pref = p[0] << 8 | p[1];
	if (dns_wire_name(p, len, &off, name, namelen) == -1 || off != len)
		return -1;
	return 0;
}

int
dnsrec_addr(const unsigned char *p, size_t len, char *dst, size_t dstlen)
{
	if (len == 4)
		return inet_ntop(AF_INET, p, dst, (socklen_t)dstlen) ? 0 : -1;
	if (len == 16)
		return inet_ntop(AF_INET6, p, dst, (socklen_t)dstlen) ? 0 : -1;
	return -1;
}

/* Names equal ignoring case and one trailing dot. */
static int
same_name(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* The records found, joined with ", ", cut to fit. */
static void
found_list(const char *const *v, size_t n, char *dst, size_t dstlen)
{
	size_t	 i, off = 0;
	int	 w;

	dst[0] = '\0';
	for (i = 0; i < n && off < dstlen; i++) {
		w = snprintf(dst + off, dstlen - off, "%s%s", i ? ", " : "",
		    v[i][0] ? v[i] : ".");
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static void
result(struct dnsrec_result *r, enum dnsrec_verdict v, const char *why)
{
	r->verdict = v;
	snprintf(r->why, sizeof(r->why), "%s", why ? why : "");
}

void
dnsrec_check_mx(const char *host, const char *const *names, size_t n,
    struct dnsrec_result *r)
{
	size_t	 i;

	found_list(names, n, r->found, sizeof(r->found));
	if (n == 0) {
		result(r, DNSREC_MISSING, NULL);
		return;
	}
	for (i = 0; i < n; i++)
		if (same_name(names[i], host)) {
			result(r, DNSREC_OK, NULL);
			return;
		}
	if (n == 1 && names[0][0] == '\0')
		result(r, DNSREC_WRONG, TR_MARK("a null MX says the domain takes no mail"));
	else
		result(r, DNSREC_WRONG, TR_MARK("no MX names this server"));
}

void
dnsrec_check_addrs(const char *const *want, size_t nwant,
    const char *const *got, size_t ngot, struct dnsrec_result *r)
{
	size_t	 i, j;

	found_list(got, ngot, r->found, sizeof(r->found));
	if (ngot == 0) {
		result(r, DNSREC_MISSING, NULL);
		return;
	}
	for (i = 0; i < nwant; i++) {
		for (j = 0; j < ngot && strcasecmp(want[i], got[j]) != 0; j++)
			;
		if (j == ngot) {
			result(r, DNSREC_WRONG, TR_MARK("the name does not lead to this "
			    "server's address"));
			return;
		}
	}
	result(r, DNSREC_OK, NULL);
}

void
dnsrec_check_dkim(const char *want, const char *const *txts, size_t n,
    struct dnsrec_result *r)
{
	struct dkim_key	 w, g;
	const char	*errstr;
	size_t		 i;
	int		 parsed = 0;

	found_list(txts, n, r->found, sizeof(r->found));
	if (n == 0) {
		result(r, DNSREC_MISSING, NULL);
		return;
	}
	memset(&w, 0, sizeof(w));
	if (dkim_key_parse(&w, want, strlen(want), &errstr) == -1) {
		result(r, DNSREC_UNKNOWN, TR_MARK("the signing key's own record does not "
		    "parse"));
		return;
	}
	for (i = 0; i < n; i++) {
		memset(&g, 0, sizeof(g));
		if (dkim_key_parse(&g, txts[i], strlen(txts[i]), &errstr) == -1)
			continue;
		parsed = 1;
		if (g.pkey != NULL && w.pkey != NULL &&
		    EVP_PKEY_eq(g.pkey, w.pkey) == 1) {
			dkim_key_clear(&g);
			dkim_key_clear(&w);
			result(r, DNSREC_OK, NULL);
			return;
		}
		dkim_key_clear(&g);
	}
	dkim_key_clear(&w);
	result(r, DNSREC_WRONG, parsed ?
	    TR_MARK("the published key is not the signing key") :
	    TR_MARK("the record is no DKIM key record"));
}

void
dnsrec_check_dmarc(const char *const *txts, size_t n, struct dnsrec_result *r)
{
	struct dmarc_record	 rec;
	const char		*dm[8] = { NULL };
	size_t			 i, k = 0;

	for (i = 0; i < n; i++)
		if (dmarc_record_is_dmarc(txts[i], strlen(txts[i])) && k < 8)
			dm[k++] = txts[i];
	found_list(dm, k, r->found, sizeof(r->found));
	if (k == 0) {
		result(r, DNSREC_MISSING, NULL);
		return;
	}
	if (k > 1) {
		result(r, DNSREC_WRONG, TR_MARK("several DMARC records: receivers ignore "
		    "them all"));
		return;
	}
	if (dmarc_record_parse(dm[0], strlen(dm[0]), &rec) != DMARC_REC_OK) {
		result(r, DNSREC_WRONG, TR_MARK("the DMARC record is not valid"));
		return;
	}
	result(r, DNSREC_OK, NULL);
}

/* "v=spf1" as a whole first term (RFC 7208 4.5). */
static int
is_spf(const char *t)
{
	return strncasecmp(t, "v=spf1", 6) == 0 && (t[6] == '\0' || t[6] == ' ');
}

int
dnsrec_spf_pick(const char *const *txts, size_t n, const char **rec,
    struct dnsrec_result *r)
{
	const char	*spf[8] = { NULL };
	size_t		 i, k = 0;

	for (i = 0; i < n; i++)
		if (is_spf(txts[i]) && k < 8)
			spf[k++] = txts[i];
	found_list(spf, k, r->found, sizeof(r->found));
	if (k == 0) {
		result(r, DNSREC_MISSING, NULL);
		return -1;
	}
	if (k > 1) {
		result(r, DNSREC_WRONG, TR_MARK("several SPF records: a permerror for every "
		    "receiver"));
		return -1;
	}
	*rec = spf[0];
	result(r, DNSREC_OK, NULL);
	return 0;
}

void
dnsrec_check_ptr(const char *host, const char *const *names, size_t n,
    struct dnsrec_result *r)
{
	size_t	 i;

	found_list(names, n, r->found, sizeof(r->found));
	if (n == 0) {
		result(r, DNSREC_MISSING, NULL);
		return;
	}
	for (i = 0; i < n; i++)
		if (same_name(names[i], host)) {
			result(r, DNSREC_OK, NULL);
			return;
		}
	result(r, DNSREC_WRONG, TR_MARK("the address's name is not this server's"));
}

int
dnsrec_reverse_name(const char *addr, char *dst, size_t dstlen)
{
	unsigned char	 a[16];
	size_t		 off = 0;
	int		 i;

	if (inet_pton(AF_INET, addr, a) == 1)
		return snprintf(dst, dstlen, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2],
		    a[1], a[0]) < (int)dstlen ? 0 : -1;
	if (inet_pton(AF_INET6, addr, a) != 1 || dstlen < 73)
		return -1;
	for (i = 15; i >= 0; i--) {
		off += (size_t)snprintf(dst + off, dstlen - off, "%x.%x.",
		    a[i] & 0xf, a[i] >> 4);
	}
	snprintf(dst + off, dstlen - off, "ip6.arpa");
	return 0;
}
