/* Match rules: which action, if any, an envelope gets (first match wins). */
#ifndef TEGAMI_RULESET_H
#define TEGAMI_RULESET_H

#include <sys/socket.h>

struct conf;
struct match;

struct match_ctx {
	const struct sockaddr *src;	/* client address, NULL for the local socket */
	int		 from_socket;	/* the local enqueuer (sendmail, listen on socket) */
	const char	*rdns;		/* client's reverse name, NULL if none/unknown */
	const char	*helo;
	const char	*auth_user;	/* NULL when not authenticated */
	const char	*tag;		/* listener tag, or NULL */
	int		 tls;
	const char	*mail_from;	/* "" for the null sender */
	const char	*rcpt_to;	/* full address, domain lowercased */
};

/*
 * First rule whose every condition holds, or NULL (no rule: relay denied).
 * "from local" holds for the socket and loopback sources; "for local" for the
 * domains ruleset_is_local_domain() accepts. Rules without a from/for
 * condition get from local / for local, as smtpd.conf(5) says.
 */
const struct match *ruleset_match(const struct conf *, const struct match_ctx *);

/* The server's own names: hostname, "localhost", and the host's names. */
int	 ruleset_is_local_domain(const struct conf *, const char *domain);

#endif
