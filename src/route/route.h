/* The router: where mail for an address goes, where a login's Maildir is, which table plays which role. */
#ifndef TEGAMI_ROUTE_H
#define TEGAMI_ROUTE_H

#include <sys/socket.h>

#include <stddef.h>

#include "mail/envelope.h"
#include "route/ruleset.h"

struct conf;
struct listener;
struct pool;
struct table;

enum route_status {
	ROUTE_OK,		/* deliveries appended */
	ROUTE_TEMPFAIL,		/* 4xx: a table or the user database could not be read */
	ROUTE_PERMFAIL,		/* 5xx: relay denied, unknown user, loop, error: entry */
};

struct route_error {
	int		 code;		/* the SMTP reply to give */
	char		 enhanced[8];
	char		 text[256];
	const char	*reason;	/* short, for the log: "relay-denied", "expand" ... */
};

/*
 * Routes one recipient (a full address; the domain is lowercased here) for
 * the session facts in ctx (ctx->rcpt_to is ignored): an SRS0 address of a
 * domain delivered here is, from the null sender, verified and turned back
 * into the address it stands for, and from any other sender refused
 * (reason "srs-sender"; a bad one is "srs"); "postmaster" without a domain
 * is the postmaster of the server's name, or else of the first domain
 * delivered here (RFC 5321 4.5.1); the first match rule decides; its action's virtual or alias
 * table expands the address into one delivery per destination, appended to
 * env. No rule, or a reject rule: relay denied. Expansion reads the user
 * database and :include: files, so this blocks: from an event loop use
 * route_rcpt_start(). *srs_reversed (may be NULL) tells whether rcpt was an
 * SRS address.
 */
enum route_status route_rcpt(const struct conf *, const struct match_ctx *,
	    const char *rcpt, struct envelope *, struct route_error *,
	    int *srs_reversed);

/* The facts of mail the server itself sends (bounces): the local enqueuer's, from <>. */
void	 route_local_ctx(const struct conf *, struct match_ctx *);

/* ---- on a worker thread ---- */
struct route_job;
typedef void	(*route_done_cb)(struct route_job *, void *arg);

/*
 * route_rcpt() on a worker of pool; done(job, arg) runs on the event loop.
 * The job copies ctx and keeps a reference to conf, so the caller's strings
 * and a reload meanwhile do not matter.
 */
struct route_job *route_rcpt_start(struct pool *, struct conf *,
	    const struct match_ctx *, const char *rcpt, route_done_cb, void *arg);
enum route_status route_job_status(const struct route_job *);
const struct route_error *route_job_error(const struct route_job *);
/* The deliveries found; the caller may take them (envelope_add copies). */
struct envelope	*route_job_envelope(struct route_job *);
int		 route_job_srs_reversed(const struct route_job *);
const char	*route_job_rcpt(const struct route_job *);
void		 route_job_free(struct route_job *);

/* ---- logins ---- */
/*
 * Where a login's mail is: the Maildir path and the account that owns it,
 * found by routing the login as local mail and taking its first maildir
 * delivery to the login itself; with the listener's maildir "FORMAT", that
 * format stands instead of the action's. Blocking, like route_rcpt().
 * *path and *account are malloc'ed.
 */
enum route_status route_login_maildir(const struct conf *, const struct listener *,
	    const char *login, char **path, char **account, struct route_error *);

/* ---- delivery accounts ---- */
/*
 * 1 when the configuration may deliver mail as account (uid): the daemon's
 * own account, an action's "user", a name a virtual or alias table maps an
 * address to, an account of a userbase table, or, where an action delivers
 * to the system's users, a regular user (uid 1000 and up, not nobody). The
 * parent forks delivery agents for these only.
 */
int	 route_account_allowed(const struct conf *, const char *account,
	    unsigned long uid);

/* ---- table roles (tegamictl) ---- */
enum table_role {
	TABLE_ROLE_DOMAINS,	/* match ... for domain <T> action A, A delivering here */
	TABLE_ROLE_VIRTUAL,	/* the virtual <T> of such an action */
	TABLE_ROLE_CREDENTIALS,	/* the auth <T> of the listeners */
	TABLE_ROLE_SENDERS,	/* the senders <T> of the listeners */
};

/*
 * The one table that plays role, or NULL with errstr (static storage)
 * saying that none does, or naming the candidates when several do.
 */
struct table	*route_table_role(const struct conf *, enum table_role, const char **errstr);

#endif
