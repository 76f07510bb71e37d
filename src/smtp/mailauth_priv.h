/* The state of one transaction's DKIM signing and SPF/DKIM/DMARC checks, shared by mailauth*.c and signing.c. */
#ifndef TEGAMI_SMTP_MAILAUTH_PRIV_H
#define TEGAMI_SMTP_MAILAUTH_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "mail/dkim.h"
#include "mail/dmarc.h"
#include "mail/spf.h"
#include "smtp/mailauth.h"

struct dns_query;
struct event;
struct filter;
struct smtp_mailauth;

/* A signature back from the signer. */
struct ma_sigbuf {
	unsigned char	 b[DKIM_SIG_B_MAX];
	size_t		 len;
};

/* One SPF check (MAIL FROM or HELO) driven over DNS. */
struct ma_spf {
	struct smtp_mailauth	*ma;
	struct spf		*spf;		/* NULL: not checked */
	struct dns_query	*q;
	int			 done;
	int			 timed_out;	/* temperror: the bound passed */
};

/* The key record lookup of one DKIM signature. */
struct ma_key {
	struct smtp_mailauth	*ma;
	size_t			 idx;
	struct dns_query	*q;
	int			 asked;		/* a lookup was needed */
	int			 done;
	enum dkim_dns		 dns;
	char			*rec;		/* the TXT strings of the record, joined */
	size_t			 reclen;
};

struct smtp_mailauth {
	struct smtp_session	*s;
	/* What this transaction gets. */
	int			 check;		/* SPF, DKIM, DMARC, Authentication-Results */
	int			 enforce;
	int			 sign;		/* a dkim-sign filter may sign it */
	int			 strip;		/* forged Authentication-Results of ours go */
	const char		*authserv_id;

	/* The header section as the client sent it (checks). */
	int			 header_seen;
	int			 header_overflow;
	char			*hdr;
	size_t			 hdrlen;
	struct dkim_hdr		*fields;
	size_t			 nfields;
	const char		*split_error;	/* the header could not be split */
	enum dmarc_from_status	 from_status;
	char			 from_domain[DMARC_DOMAIN_MAX + 1];
	char			 counts_why[96];	/* RFC 5322 3.6; "" when right */
	size_t			 stripped;	/* forged fields removed */

	/* SPF: the reverse-path (or postmaster@HELO for <>), and HELO. */
	struct ma_spf		 spf_mail, spf_helo;

	/* DKIM verification */
	struct dkim_verify	*ver;
	struct ma_key		 keys[DKIM_VERIFY_MAX];
	size_t			 nsigs;
	int			 body_failed;

	/* DMARC */
	struct dmarc		*dmarc;
	struct dns_query	*dq;
	int			 dmarc_done;
	int			 dmarc_timed_out;

	/* Signing: the filter, d=, the context, the header as stored. */
	const struct filter	*sign_filter;
	char			 sign_d[DMARC_DOMAIN_MAX + 1];
	struct dkim_sign	*sign_ctx;
	char			*shdr;
	size_t			 shdrlen;
	struct dkim_hdr		*sfields;
	size_t			 nsfields;
	uint64_t		 sign_req[DKIM_SIGN_MAX];	/* requests in flight, 0 when none */
	unsigned		 sign_waiting;
	int			 sign_failed;
	int			 sign_permanent;	/* the message itself cannot be signed */
	const char		*sign_error;
	struct ma_sigbuf	*sigbufs;	/* DKIM_SIGN_MAX signatures as they come back */

	/* The commit phase waiting for all of the above. */
	void			(*done)(struct smtp_session *);
	struct event		*timer;
};

/* mailauth.c: something finished; the commit phase goes on once all did. */
void	 ma_progress(struct smtp_mailauth *);

/* mailauth_spf.c */
void	 ma_spf_start(struct smtp_mailauth *);
int	 ma_spf_busy(const struct smtp_mailauth *);
void	 ma_spf_timeout(struct smtp_mailauth *);
/* The result of a check, temperror when it ran out of time. */
enum spf_result ma_spf_result(const struct ma_spf *);
/* Appends its resinfo ("spf=pass smtp.mailfrom=...") for Authentication-Results. */
int	 ma_spf_authres(struct buf *, const struct ma_spf *);
void	 ma_spf_free(struct smtp_mailauth *);

/* mailauth_dkim.c: verification */
void	 ma_dkim_start(struct smtp_mailauth *);
void	 ma_dkim_body(struct smtp_mailauth *, const char *, size_t);
int	 ma_dkim_busy(const struct smtp_mailauth *);
void	 ma_dkim_timeout(struct smtp_mailauth *);
/* Ends the body and judges every signature into v[0..*n), at most max. */
void	 ma_dkim_verdicts(struct smtp_mailauth *, struct dkim_verdict *v, size_t max,
	    size_t *n);
void	 ma_dkim_free(struct smtp_mailauth *);

/* mailauth_dmarc.c */
void	 ma_dmarc_start(struct smtp_mailauth *);
int	 ma_dmarc_busy(const struct smtp_mailauth *);
void	 ma_dmarc_timeout(struct smtp_mailauth *);
void	 ma_dmarc_free(struct smtp_mailauth *);

/* signing.c */
void	 ma_sign_header(struct smtp_mailauth *, const char *hdr, size_t len);
void	 ma_sign_body(struct smtp_mailauth *, const char *, size_t);
/* Prepares the signatures and sends their digests to the signer. */
void	 ma_sign_send(struct smtp_mailauth *);
int	 ma_sign_busy(const struct smtp_mailauth *);
/* Appends the DKIM-Signature fields, in the order of the keys; -1 when they cannot be made. */
int	 ma_sign_fields(struct smtp_mailauth *, struct buf *out);
void	 ma_sign_timeout(struct smtp_mailauth *);
void	 ma_sign_free(struct smtp_mailauth *);

#endif
