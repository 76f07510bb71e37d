/* The DNS records a mail domain needs, and verdicts on what DNS answers: MX, A/AAAA, SPF, DKIM, DMARC, PTR. Pure. */
#ifndef TEGAMI_DNSREC_H
#define TEGAMI_DNSREC_H

#include <stddef.h>

struct buf;

enum dnsrec_verdict {
	DNSREC_OK,
	DNSREC_MISSING,		/* no such record (NXDOMAIN, NODATA, no record of the kind) */
	DNSREC_WRONG,		/* records there, but not the ones this server needs */
	DNSREC_UNKNOWN,		/* the lookup failed (SERVFAIL, timeout) */
};

/* What the verdict functions return: the verdict and why, for people. */
struct dnsrec_result {
	enum dnsrec_verdict	 verdict;
	char			 found[512];	/* what DNS has, shortened */
	char			 why[256];	/* for WRONG: what is wrong (English; see tr) */
};

/* The records this server wants published (init, dns, dns --check print them). */
#define DNSREC_SPF	"v=spf1 mx -all"
/* The DMARC record: quarantine what fails, reports to postmaster@domain. */
void	 dnsrec_dmarc_record(const char *domain, char *dst, size_t dstlen);

/* Hard limits on what is read from answers. */
#define DNSREC_TXT_MAX	8192	/* one TXT record's strings joined */

/*
 * Decoding of answer rdata (wire format, names uncompressed as resolvers
 * give them). -1 when malformed.
 */
int	 dnsrec_txt(const unsigned char *, size_t, char *dst, size_t dstlen);
int	 dnsrec_mx(const unsigned char *, size_t, int *pref, char *name, size_t namelen);
int	 dnsrec_addr(const unsigned char *, size_t, char *dst, size_t dstlen);

/*
 * MX of the domain: OK when one exchange is host (case-insensitive, a
 * trailing dot ignored), MISSING when there is no MX, WRONG otherwise (a
 * null MX "." included).
 */
void	 dnsrec_check_mx(const char *host, const char *const *names, size_t n,
	    struct dnsrec_result *);
/*
 * Addresses of the MX host: OK when every address in want is among got
 * (with want empty: when got has any), MISSING when got is empty, WRONG
 * when one is not there.
 */
void	 dnsrec_check_addrs(const char *const *want, size_t nwant,
	    const char *const *got, size_t ngot, struct dnsrec_result *);
/*
 * The TXT records at SELECTOR._domainkey.DOMAIN against the record of the
 * signing key: OK when one is a DKIM key with the same public key,
 * MISSING when there is none, WRONG when the one(s) there parse to another
 * key or not at all.
 */
void	 dnsrec_check_dkim(const char *want, const char *const *txts, size_t n,
	    struct dnsrec_result *);
/*
 * The TXT records at _dmarc.DOMAIN: OK for exactly one valid DMARC record,
 * MISSING for none, WRONG for an invalid one or several (RFC 7489 6.6.3).
 */
void	 dnsrec_check_dmarc(const char *const *txts, size_t n, struct dnsrec_result *);
/*
 * Picks the SPF record of the domain's TXT records: 0 with *rec when there
 * is exactly one "v=spf1" record, MISSING or WRONG (several: a permerror)
 * in r otherwise. The caller then evaluates it for each address.
 */
int	 dnsrec_spf_pick(const char *const *txts, size_t n, const char **rec,
	    struct dnsrec_result *);
/*
 * PTR of one of this server's addresses: OK when a name is host, MISSING
 * when there is none, WRONG otherwise.
 */
void	 dnsrec_check_ptr(const char *host, const char *const *names, size_t n,
	    struct dnsrec_result *);

/* "1.2.3.4" -> "4.3.2.1.in-addr.arpa", IPv6 -> nibbles under ip6.arpa. -1 when not an address. */
int	 dnsrec_reverse_name(const char *addr, char *dst, size_t dstlen);

#endif
