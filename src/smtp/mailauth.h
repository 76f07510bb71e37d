/* DKIM signing and SPF/DKIM/DMARC checking in the SMTP session: what the rest of src/smtp/ calls. */
#ifndef TEGAMI_SMTP_MAILAUTH_H
#define TEGAMI_SMTP_MAILAUTH_H

#include <stddef.h>

#include "smtp/filter.h"
#include "smtp/session.h"

/* A header section longer than this is not held: with mail-auth the message is refused. */
#define MAILAUTH_HEADER_MAX	(256 * 1024)
/* The commit phase waits at most this long for lookups and signatures (RFC 7208 4.6.4: 20 s at least). */
#define MAILAUTH_WAIT_SECS	20

/*
 * MAIL was accepted: decides what this transaction gets (checks when the
 * listener has mail-auth and the client is neither authenticated nor
 * local; signing when it has dkim-sign and the client is; removal of
 * forged Authentication-Results whenever some filter writes ours) and
 * starts SPF for MAIL FROM and HELO.
 */
void	 smtp_mailauth_start(struct smtp_session *);
/* The transaction ends (commit, RSET, refusal, close): lookups cancelled, state freed. */
void	 smtp_mailauth_free(struct smtp_session *);
/* 1 when the header section must be held until it is complete. */
int	 smtp_mailauth_holds(const struct smtp_session *);
/*
 * The header section is complete (hdr, LF line ends, as it came): DKIM
 * signatures found and their keys looked up, DMARC discovery started for
 * the From domain, RFC 5322 3.6 counted.
 */
void	 smtp_mailauth_header(struct smtp_session *, const char *hdr, size_t len);
/* Removes forged Authentication-Results of ours in place; returns the new length. */
size_t	 smtp_mailauth_strip(struct smtp_session *, char *hdr, size_t len);
/* The header as it is stored (after masquerade and removal): what is signed. */
void	 smtp_mailauth_sign_header(struct smtp_session *, const char *hdr, size_t len);
/* The header section was longer than MAILAUTH_HEADER_MAX: passed on unread. */
void	 smtp_mailauth_header_overflow(struct smtp_session *);
/* Body octets as stored (LF line ends), after the header section. */
void	 smtp_mailauth_body(struct smtp_session *, const char *, size_t);
/*
 * The commit phase starts: the signatures are prepared and sent to the
 * signer. Returns 1 when done(s) follows, from the event loop, once every
 * lookup and signature is in (or MAILAUTH_WAIT_SECS passed); 0 when there
 * is nothing to wait for.
 */
int	 smtp_mailauth_commit(struct smtp_session *, void (*done)(struct smtp_session *));
/*
 * The commit phase's decision, after the builtin filters let the message
 * through: the Authentication-Results and DKIM-Signature fields go into
 * the envelope's P field; with enforce, a DMARC p=reject failure or a
 * header section against RFC 5322 3.6 is refused (550 5.7.1, nothing
 * stored) and p=quarantine junks the transaction; a failed signature is a
 * 451.
 */
enum filter_outcome smtp_mailauth_decide(struct smtp_session *);
/* The session closes while the commit phase waits: done() is not called. */
void	 smtp_mailauth_unwait(struct smtp_session *);

/* signing.c: the channel to the signer process. */
void	 smtp_signer_link(struct smtp_server *, int fd);

#endif
