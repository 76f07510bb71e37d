/* SPF (RFC 7208) check_host() as a resumable state machine: the caller answers its DNS questions. */
#ifndef TEGAMI_SPF_H
#define TEGAMI_SPF_H

#include <stddef.h>
#include <time.h>

struct buf;
struct dns_answer;
struct spf;

enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

/* Which identity is checked (RFC 7208 2.3, 2.4). */
enum spf_identity {
	SPF_ID_MAILFROM,	/* the reverse-path; a null one checks postmaster@HELO */
	SPF_ID_HELO,		/* the HELO/EHLO domain alone */
};

struct spf_params {
	enum spf_identity identity;
	int		 af;		/* AF_INET or AF_INET6 */
	const void	*addr;		/* struct in_addr or struct in6_addr */
	const char	*sender;	/* MAIL FROM path without brackets; "" or NULL: null */
	const char	*helo;		/* HELO/EHLO argument; NULL: none */
	const char	*receiver;	/* this host's name, %{r}; NULL: "unknown" */
	time_t		 now;		/* %{t} */
	/*
	 * Explanation for a fail when the record gives none (RFC 7208 6.2), a
	 * macro-string like an exp= text; NULL: no explanation.
	 */
	const char	*default_exp;
};

/* A DNS question: name in presentation form ("\\" and "\DDD" escapes), type DNS_T_*. */
struct spf_question {
	const char	*name;
	int		 type;
};

enum spf_step {
	SPF_STEP_QUERY,		/* answer *q with spf_answer(), then step again */
	SPF_STEP_DONE,		/* spf_result() is final */
};

/*
 * Limits of RFC 7208 4.6.4 and the sizes this module accepts. A record
 * longer than SPF_RECORD_MAX octets is a permerror.
 */
#define SPF_LOOKUP_MAX	10	/* DNS-querying mechanisms and modifiers */
#define SPF_VOID_MAX	2	/* lookups answering NXDOMAIN or no records */
#define SPF_MX_MAX	10	/* MX names per mx mechanism; more is a permerror */
#define SPF_PTR_MAX	10	/* PTR names looked at; the rest are ignored */
#define SPF_RECORD_MAX	8192
#define SPF_EXP_MAX	1024	/* expanded explanation; longer ones are dropped */

/*
 * Starts check_host() for the identity in p; never fails (allocation is
 * fatal). The strings in p are copied. The result is SPF_NONE at once when
 * the domain is unusable (RFC 7208 4.3: malformed, not multi-label, a
 * domain literal, too long).
 */
struct spf	*spf_start(const struct spf_params *p);
/*
 * Runs until the check needs DNS or is done. With SPF_STEP_QUERY, *q holds
 * the question (valid until the next spf_answer or spf_free); stepping
 * again before answering asks the same question. One question is open at
 * a time. The caller bounds the elapsed time (RFC 7208 4.6.4 says at least
 * 20 seconds) and treats expiry as SPF_TEMPERROR itself.
 */
enum spf_step	 spf_step(struct spf *, struct spf_question *q);
/*
 * Answers the open question with a (status and wire-format rdata as
 * src/dns/dns.h gives them); a is not kept. -1 when no question is open.
 */
int		 spf_answer(struct spf *, const struct dns_answer *a);

enum spf_result	 spf_result(const struct spf *);
/* On SPF_FAIL: the expanded exp= text, else the default_exp; NULL when none. */
const char	*spf_explanation(const struct spf *);
/*
 * The term that decided ("-all", "include:_spf.example.com", "default"
 * when none matched), or NULL; on temperror, permerror and none: why.
 */
const char	*spf_mechanism(const struct spf *);
const char	*spf_problem(const struct spf *);
/*
 * The domain checked first: the reverse-path's domain, or the HELO domain
 * for SPF_ID_HELO and for a null reverse-path (RFC 7208 2.4). This is what
 * DMARC aligns (RFC 7489 3.1.2).
 */
const char	*spf_domain(const struct spf *);
void		 spf_free(struct spf **);

/* "pass", "fail", ... as RFC 8601 spells them. */
const char	*spf_result_name(enum spf_result);

/*
 * Appends the Received-SPF field (RFC 7208 9.1), folded, CRLF line ends.
 * Returns 0, or -1 when out is full.
 */
int		 spf_received_spf(struct buf *out, const struct spf *);
/*
 * Appends the resinfo for Authentication-Results (RFC 8601 2.7.2), without
 * the leading "; ": "spf=pass smtp.mailfrom=example.com" with spf_domain()
 * (smtp.helo= for SPF_ID_HELO). Returns 0, or -1 when out is full.
 */
int		 spf_auth_results(struct buf *out, const struct spf *);

#endif
