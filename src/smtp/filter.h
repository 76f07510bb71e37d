/* Builtin filters of smtpd.conf(5) in the SMTP phases: rules of the listener, DNS lists, decisions. */
#ifndef TEGAMI_SMTP_FILTER_H
#define TEGAMI_SMTP_FILTER_H

#include "smtp/session.h"

struct smtp_cmd;

/* Lookups of a phase stop waiting after this long, unless smtp timeout dnsbl says. */
#define FILTER_DNSBL_TIMEOUT_SECS	5
/* DNS list queries one phase may ask at most (zones times rules). */
#define FILTER_LOOKUPS_MAX		32

/* Which DNS lists to start: before the client's name is known, after, or all. */
enum filter_stage {
	FILTER_STAGE_ALL,
	FILTER_STAGE_EARLY,	/* connect: what needs no rDNS name (dnsbl) */
	FILTER_STAGE_LATE,	/* connect, once FCrDNS is done: rhsbl client */
};

enum filter_outcome {
	FILTER_PROCEED,		/* the command goes on, maybe rewritten or junked */
	FILTER_REFUSED,		/* reject: the reply is sent, the session goes on */
	FILTER_CLOSE,		/* disconnect: the reply is sent, the session ends */
};

/*
 * Starts the DNS list lookups the phase's rules need (several zones and
 * rules at once, under one time bound). Returns 1 when lookups went from
 * none to some: done(s) follows once, from the event loop, when the last
 * answers or the bound passes. 0 when nothing was started, or what was
 * started joined lookups already owing their done().
 */
int	 smtp_filter_start(struct smtp_session *, enum smtp_phase, enum filter_stage,
	    void (*done)(struct smtp_session *));
/* Drops lookups in flight (the session closes); done() is not called. */
void	 smtp_filter_cancel(struct smtp_session *);
/*
 * Runs the rules of the phase in order: the first whose conditions all
 * hold decides (bypass ends the phase, junk and rewrite apply and the next
 * rules still run, reject and disconnect answer). Frees the lookups.
 */
enum filter_outcome smtp_filter_decide(struct smtp_session *);
/*
 * The connect phase said reject: RFC 5321 3.1 wants QUIT awaited and
 * every other command answered 503. Returns 1 when cmd was answered so.
 */
int	 smtp_filter_refused(struct smtp_session *, const struct smtp_cmd *);
/* DATA: the header a junked transaction gets (X-Spam: yes, as OpenSMTPD's junk adds). */
void	 smtp_filter_header(struct smtp_session *, struct buf *);

#endif
