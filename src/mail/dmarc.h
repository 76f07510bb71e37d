/* DMARC (RFC 7489, RFC 9091's np=): policy records, policy discovery as a state machine, alignment, the result. */
#ifndef TEGAMI_DMARC_H
#define TEGAMI_DMARC_H

#include <stddef.h>
#include <stdint.h>

#include "mail/spf.h"

struct buf;
struct dns_answer;
struct dmarc;

#define DMARC_RECORD_MAX	4096	/* longer TXT texts are not taken as records */
#define DMARC_DOMAIN_MAX	253

enum dmarc_policy {
	DMARC_POLICY_UNSET,		/* sp= or np= absent */
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

/* A parsed policy record (RFC 7489 6.3). */
struct dmarc_record {
	enum dmarc_policy p;
	enum dmarc_policy sp;
	enum dmarc_policy np;		/* RFC 9091 */
	int		 pct;		/* 0..100, default 100 */
	char		 adkim;		/* 'r' or 's' */
	char		 aspf;
	char		 rua[DMARC_RECORD_MAX];	/* URI list as given; "" none */
	char		 ruf[DMARC_RECORD_MAX];
	char		 fo[16];	/* "0", "1", "d", "s" joined by ':' */
	char		 rf[64];	/* "afrf" */
	uint32_t	 ri;		/* seconds, default 86400 */
	int		 p_defaulted;	/* p or sp was invalid: p=none for the sake of rua */
};

enum dmarc_parse {
	DMARC_REC_OK,
	DMARC_REC_NOT_DMARC,	/* does not start v=DMARC1: discarded (6.6.3 step 2) */
	DMARC_REC_INVALID,	/* no valid p=/sp= and no valid rua=: no DMARC (6.6.3 step 6) */
};

/*
 * Parses a record of len octets. Unknown tags are ignored, invalid values
 * of optional tags give their defaults (6.3). An invalid p= or sp= with a
 * valid rua= is read as p=none (6.6.3 step 6.1).
 */
enum dmarc_parse dmarc_record_parse(const char *text, size_t len,
	    struct dmarc_record *);
/* 1 when a TXT text starts with the tag v=DMARC1 (the selection of 6.6.3 steps 2 and 4). */
int		 dmarc_record_is_dmarc(const char *text, size_t len);

/*
 * The Organizational Domain (RFC 7489 3.2) of domain, lowercased, into out:
 * the longest public suffix of the ICANN section of the public suffix list
 * plus one label. -1 when domain is itself a public suffix (it has none) or
 * does not fit. See dmarc_psl_load() for the list.
 */
int		 dmarc_org_domain(const char *domain, char *out, size_t outlen);
/*
 * Loads the public suffix list once: libpsl's newest of its built-in list
 * and the distribution's (/usr/share/publicsuffix, Debian's publicsuffix
 * package). Called by the first dmarc_org_domain(); call it before a
 * chroot. Returns the libpsl version text.
 */
const char	*dmarc_psl_load(void);

/* Identifier alignment (RFC 7489 3.1): mode 's' exact, 'r' the same Organizational Domain. */
int		 dmarc_aligned(const char *auth_domain, const char *from_domain,
	    char mode);

/* What SPF and DKIM authenticated, for dmarc_evaluate(). */
struct dmarc_auth {
	enum spf_result	 spf;
	const char	*spf_domain;	/* spf_domain(): MAIL FROM's, or HELO for a null one */
	const char *const *dkim_pass;	/* d= of each signature that verified */
	size_t		 ndkim;
};

enum dmarc_result {
	DMARC_RESULT_NONE,		/* no policy record */
	DMARC_RESULT_PASS,
	DMARC_RESULT_FAIL,
	DMARC_RESULT_TEMPERROR,
	DMARC_RESULT_PERMERROR,		/* several records, an unusable one, no From domain */
};

/* A DNS question: name (presentation form) and type DNS_T_*. */
struct dmarc_question {
	const char	*name;
	int		 type;
};

enum dmarc_step {
	DMARC_STEP_QUERY,
	DMARC_STEP_DONE,
};

/*
 * Starts policy discovery (RFC 7489 6.6.3) for the RFC5322.From domain:
 * TXT at _dmarc.DOMAIN, then at _dmarc.ORGDOMAIN when the first has no
 * record; and, only when the record came from the Organizational Domain
 * and has np=, A, AAAA and MX of the From domain (RFC 9091: does it
 * exist?). A UTF-8 domain is looked up as A-labels; an unusable one ends
 * with DMARC_RESULT_PERMERROR at once.
 */
struct dmarc	*dmarc_start(const char *from_domain);
/* As spf_step(): one question open at a time, asked again until answered. */
enum dmarc_step	 dmarc_step(struct dmarc *, struct dmarc_question *);
/* -1 when no question is open. */
int		 dmarc_answer(struct dmarc *, const struct dns_answer *);
/*
 * After DMARC_STEP_DONE: DMARC passes when SPF passed for an aligned domain
 * or an aligned DKIM signature verified (RFC 7489 4.2). On a fail the
 * disposition is the policy for the From domain (p=, sp= for a subdomain,
 * np= for a non-existent one), lowered one step (reject to quarantine,
 * quarantine to none) for messages outside the pct= sample (6.6.4), drawn
 * with rnd(arg) % 100 < pct; rnd NULL draws with random(3).
 */
void		 dmarc_evaluate(struct dmarc *, const struct dmarc_auth *,
	    uint32_t (*rnd)(void *), void *arg);

enum dmarc_result dmarc_result(const struct dmarc *);
/* The policy published for this From domain (before pct=); NONE when none. */
enum dmarc_policy dmarc_policy(const struct dmarc *);
/* What the receiver should do: NONE, QUARANTINE or REJECT. */
enum dmarc_policy dmarc_disposition(const struct dmarc *);
int		 dmarc_spf_aligned(const struct dmarc *);
int		 dmarc_dkim_aligned(const struct dmarc *);
/* The record that applied (NULL when none) and where it was found. */
const struct dmarc_record *dmarc_record(const struct dmarc *);
const char	*dmarc_record_domain(const struct dmarc *);
const char	*dmarc_from(const struct dmarc *);
const char	*dmarc_problem(const struct dmarc *);
void		 dmarc_free(struct dmarc **);

const char	*dmarc_result_name(enum dmarc_result);
const char	*dmarc_policy_name(enum dmarc_policy);
/*
 * Appends the resinfo for Authentication-Results (RFC 7489 11.2):
 * "dmarc=pass (p=reject dis=none) header.from=example.com". 0, or -1 when
 * out is full.
 */
int		 dmarc_auth_results(struct buf *out, const struct dmarc *);

/* The RFC5322.From domain (RFC 7489 6.6.1). */
enum dmarc_from_status {
	DMARC_FROM_OK,			/* one From field with one mailbox */
	DMARC_FROM_MISSING,		/* no From field */
	DMARC_FROM_MULTIPLE_FIELDS,	/* more than one From field */
	DMARC_FROM_MULTIPLE_ADDRESSES,	/* one field, several mailboxes */
	DMARC_FROM_NO_ADDRESS,		/* the field names no mailbox (empty, an empty group) */
	DMARC_FROM_MALFORMED,		/* unparsable, or a mailbox without a domain name */
};

#define DMARC_FROM_HEADER_MAX	(1024 * 1024)	/* header sections longer are refused */

/*
 * Finds the From fields of the header section hdr[0..len) (CRLF or LF
 * line ends; it ends at the first empty line or at len) and, with
 * DMARC_FROM_OK, writes the domain of its one mailbox, lowercased, to
 * domain. Every other status is a message DMARC cannot evaluate; the
 * caller decides (RFC 7489 6.6.1 leaves it to the receiver).
 */
enum dmarc_from_status dmarc_from_domain(const char *hdr, size_t len,
	    char *domain, size_t domainlen);
const char	*dmarc_from_status_text(enum dmarc_from_status);

#endif
