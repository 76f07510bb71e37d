/* The router's entry points: a recipient (SRS, rules, expansion), a login's Maildir, table roles; jobs on worker threads. */
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf/conf.h"
#include "conf/table.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mail/addr.h"
#include "mail/srs.h"
#include "route/expand.h"
#include "route/route.h"
#include "route/ruleset.h"

static enum route_status
fail(struct route_error *err, enum route_status st, int code, const char *enh,
    const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static enum route_status
fail(struct route_error *err, enum route_status st, int code, const char *enh,
    const char *reason, const char *fmt, ...)
{
	va_list	 ap;

	err->code = code;
	snprintf(err->enhanced, sizeof(err->enhanced), "%s", enh);
	err->reason = reason;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return st;
}

void
route_local_ctx(const struct conf *conf, struct match_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->from_socket = 1;
	ctx->helo = conf->hostname;
	ctx->mail_from = "";
}

/*
 * An SRS0 address in a domain delivered here stands for a sender we once
 * forwarded for, and exists for one thing: the bounce coming back. From
 * the null sender and verified, it becomes that address, routed as mail
 * the server itself sends (only we could have made it); from any other
 * sender it is refused before its hash is even looked at, so it can be
 * neither a relay nor an oracle for guessing. 1 reversed, 0 not an SRS0
 * address of ours, -1 refused.
 */
static int
srs_reverse_rcpt(const struct conf *conf, struct match_ctx *ctx,
    struct mailaddr *rcpt, char *addr, size_t addrlen, struct route_error *err)
{
	const struct match	*m;
	struct mailaddr		 orig;
	const char		*errstr;
	char			 back[ADDR_PATH_MAX + 1];

	if (conf->srs_key == NULL || !srs_is_srs(rcpt->local))
		return 0;
	/* Ours only when its domain is delivered here; anything else routes as usual. */
	ctx->rcpt_to = addr;
	m = ruleset_match(conf, ctx);
	if (m == NULL || m->reject || m->action == NULL ||
	    m->action->method == ACTION_RELAY)
		return 0;
	if (ctx->mail_from == NULL || ctx->mail_from[0] != '\0') {
		fail(err, ROUTE_PERMFAIL, 550, "5.7.1", "srs-sender",
		    "<%s>: Recipient address rejected: an SRS address takes "
		    "bounces only (MAIL FROM:<>)", addr);
		return -1;
	}
	if (srs_reverse(conf->srs_key, conf->srs_key_backup, rcpt->local,
	    time(NULL), conf->srs_ttl, back, sizeof(back), &errstr) == -1 ||
	    addr_parse(&orig, back, 1, &errstr) == -1) {
		fail(err, ROUTE_PERMFAIL, 550, "5.1.1", "srs",
		    "<%s>: Recipient address rejected: invalid or expired SRS "
		    "address (%s)", addr, errstr);
		return -1;
	}
	*rcpt = orig;
	addr_format(rcpt, addr, addrlen);
	ctx->src = NULL;
	ctx->from_socket = 1;
	return 1;
}

static int	delivers_here(const struct action *);

/* The rule for postmaster@domain delivers it here. */
static int
postmaster_here(const struct conf *conf, struct match_ctx *ctx,
    const char *domain, char *addr, size_t len)
{
	const struct match	*m;

	if ((size_t)snprintf(addr, len, "postmaster@%s", domain) >= len)
		return 0;
	addr_lower(addr);
	ctx->rcpt_to = addr;
	m = ruleset_match(conf, ctx);
	return m != NULL && !m->reject && delivers_here(m->action);
}

/* Domains tried for postmaster without one, after the server's own name. */
#define POSTMASTER_TRIES	100

/*
 * RFC 5321 4.5.1: RCPT TO:<Postmaster> without a domain must be accepted.
 * It is the postmaster of the server's own name when mail for that name
 * is delivered here, else of the first domain that a "for domain" rule
 * delivers here (tegamictl init's hostname is rarely one of its domains).
 */
static const char *
postmaster_address(const struct conf *conf, const struct match_ctx *session,
    char *addr, size_t len)
{
	struct match_ctx	 ctx = *session;
	const struct cond	*c;
	const char		*key, *value;
	size_t			 i, j, iter, tries = 0;

	if (postmaster_here(conf, &ctx, conf->hostname, addr, len))
		return addr;
	for (i = 0; i < conf->nmatches; i++) {
		if (!delivers_here(conf->matches[i]->action))
			continue;
		for (j = 0; j < conf->matches[i]->nconds; j++) {
			c = &conf->matches[i]->conds[j];
			if (c->type != COND_FOR_DOMAIN || c->negate || c->regex)
				continue;
			if (c->value != NULL && postmaster_here(conf, &ctx, c->value,
			    addr, len))
				return addr;
			for (iter = 0; c->table != NULL && tries < POSTMASTER_TRIES &&
			    table_iter(c->table, &iter, &key, &value); tries++)
				if (key[0] != '*' && postmaster_here(conf, &ctx, key,
				    addr, len))
					return addr;
		}
	}
	snprintf(addr, len, "postmaster@%s", conf->hostname);
	return addr;
}

enum route_status
route_rcpt(const struct conf *conf, const struct match_ctx *session,
    const char *rcpt_text, struct envelope *env, struct route_error *err,
    int *srs_reversed)
{
	struct match_ctx	 ctx = *session;
	struct mailaddr		 rcpt;
	struct expand_error	 xerr;
	const struct match	*m;
	const char		*errstr;
	char			 addr[ADDR_PATH_MAX + 1], pm[ADDR_PATH_MAX + 1];
	int			 r;

	memset(err, 0, sizeof(*err));
	if (srs_reversed)
		*srs_reversed = 0;
	if (strcasecmp(rcpt_text, "postmaster") == 0)
		rcpt_text = postmaster_address(conf, session, pm, sizeof(pm));
	if (addr_parse(&rcpt, rcpt_text, 1, &errstr) == -1 || rcpt.domain[0] == '\0')
		return fail(err, ROUTE_PERMFAIL, 550, "5.1.3", "syntax",
		    "<%s>: Recipient address rejected: %s", rcpt_text,
		    rcpt.domain[0] == '\0' ? "no domain" : errstr);
	addr_lower(rcpt.domain);
	addr_format(&rcpt, addr, sizeof(addr));
	if ((r = srs_reverse_rcpt(conf, &ctx, &rcpt, addr, sizeof(addr), err)) == -1)
		return ROUTE_PERMFAIL;
	if (r == 1 && srs_reversed)
		*srs_reversed = 1;
	ctx.rcpt_to = addr;
	m = ruleset_match(conf, &ctx);
	if (m == NULL || m->reject)
		return fail(err, ROUTE_PERMFAIL, 550, "5.7.1",
		    m ? "reject-rule" : "relay-denied", "Delivery not authorized, "
		    "message refused: relay access denied for <%s>", addr);
	switch (expand_rcpt(conf, &ctx, m->action, &rcpt, env, &xerr)) {
	case EXPAND_OK:
		return ROUTE_OK;
	case EXPAND_TEMPFAIL:
		fail(err, ROUTE_TEMPFAIL, xerr.code, xerr.enhanced, "expand",
		    "%s", xerr.text);
		return ROUTE_TEMPFAIL;
	case EXPAND_PERMFAIL:
	default:
		fail(err, ROUTE_PERMFAIL, xerr.code, xerr.enhanced, "expand",
		    "%s", xerr.text);
		return ROUTE_PERMFAIL;
	}
}

/* ---- jobs on worker threads ---- */

struct route_job {
	struct conf		*conf;
	struct match_ctx	 ctx;
	struct sockaddr_storage	 src;
	char			*rdns, *helo, *auth_user, *tag, *mail_from;
	char			*rcpt;
	struct envelope		 env;
	enum route_status	 status;
	struct route_error	 err;
	int			 srs_reversed;
	route_done_cb		 done;
	void			*arg;
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
route_job_work(void *arg)
{
	struct route_job	*j = arg;

	j->status = route_rcpt(j->conf, &j->ctx, j->rcpt, &j->env, &j->err,
	    &j->srs_reversed);
}

static void
route_job_done(void *arg)
{
	struct route_job	*j = arg;

	j->done(j, j->arg);
}

struct route_job *
route_rcpt_start(struct pool *pool, struct conf *conf, const struct match_ctx *ctx,
    const char *rcpt, route_done_cb done, void *arg)
{
	struct route_job	*j = xcalloc(1, sizeof(*j));

	j->conf = conf_ref(conf);
	j->ctx = *ctx;
	if (ctx->src != NULL) {
		size_t	 len = ctx->src->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

		memcpy(&j->src, ctx->src, len);
		j->ctx.src = (struct sockaddr *)&j->src;
	}
	j->ctx.rdns = j->rdns = dup_or_null(ctx->rdns);
	j->ctx.helo = j->helo = dup_or_null(ctx->helo);
	j->ctx.auth_user = j->auth_user = dup_or_null(ctx->auth_user);
	j->ctx.tag = j->tag = dup_or_null(ctx->tag);
	j->ctx.mail_from = j->mail_from = dup_or_null(ctx->mail_from);
	j->ctx.rcpt_to = NULL;
	j->rcpt = xstrdup(rcpt);
	envelope_init(&j->env);
	j->done = done;
	j->arg = arg;
	pool_run(pool, route_job_work, route_job_done, j);
	return j;
}

enum route_status
route_job_status(const struct route_job *j)
{
	return j->status;
}

const struct route_error *
route_job_error(const struct route_job *j)
{
	return &j->err;
}

struct envelope *
route_job_envelope(struct route_job *j)
{
	return &j->env;
}

int
route_job_srs_reversed(const struct route_job *j)
{
	return j->srs_reversed;
}

const char *
route_job_rcpt(const struct route_job *j)
{
	return j->rcpt;
}

void
route_job_free(struct route_job *j)
{
	if (j == NULL)
		return;
	conf_free(j->conf);
	free(j->rdns);
	free(j->helo);
	free(j->auth_user);
	free(j->tag);
	free(j->mail_from);
	free(j->rcpt);
	envelope_free(&j->env);
	free(j);
}

/* ---- logins ---- */

enum route_status
route_login_maildir(const struct conf *conf, const struct listener *l,
    const char *login, char **path, char **account, struct route_error *err)
{
	struct match_ctx	 ctx;
	struct envelope		 env;
	enum route_status	 st;
	size_t			 i;

	*path = *account = NULL;
	route_local_ctx(conf, &ctx);
	envelope_init(&env);
	st = route_rcpt(conf, &ctx, login, &env, err, NULL);
	if (st == ROUTE_OK) {
		st = ROUTE_PERMFAIL;
		fail(err, ROUTE_PERMFAIL, 550, "5.1.1", "no-maildir",
		    "<%s> has no Maildir here", login);
		for (i = 0; i < env.ndeliveries; i++) {
			const struct delivery	*d = &env.deliveries[i];

			if (d->method != DELIVER_MAILDIR ||
			    strcasecmp(d->dest, login) != 0)
				continue;
			*path = xstrdup(d->path);
			*account = xstrdup(d->account ? d->account : "");
			st = ROUTE_OK;
			break;
		}
	}
	envelope_free(&env);
	(void)l;
	return st;
}

static int
delivers_here(const struct action *a)
{
	return a != NULL && (a->method == ACTION_MAILDIR || a->method == ACTION_MBOX ||
	    a->method == ACTION_MDA || a->method == ACTION_LMTP);
}

/* ---- delivery accounts ---- */

/* 1 when the list value v ("a, b c") holds name as one of its items. */
static int
value_names(const char *v, const char *name)
{
	size_t	 n, len = strlen(name);

	for (; v != NULL && *v; v += n) {
		v += strspn(v, ", \t");
		n = strcspn(v, ", \t");
		if (n == len && strncmp(v, name, n) == 0)
			return 1;
	}
	return 0;
}

static int
table_names(const struct table *t, const char *name)
{
	const char	*k, *v;
	size_t		 iter = 0;

	while (t != NULL && table_iter(t, &iter, &k, &v))
		if (value_names(v, name))
			return 1;
	return 0;
}

/* A userbase entry "uid:gid:dir" with this uid. */
static int
userbase_has(const struct table *t, unsigned long uid)
{
	const char	*k, *v;
	size_t		 iter = 0;
	char		*end;

	while (t != NULL && table_iter(t, &iter, &k, &v))
		if (v != NULL && strtoul(v, &end, 10) == uid && *end == ':')
			return 1;
	return 0;
}

int
route_account_allowed(const struct conf *conf, const char *account,
    unsigned long uid)
{
	size_t	 i;
	int	 system_users = 0;

	if (conf->user != NULL && strcmp(account, conf->user) == 0)
		return 1;
	for (i = 0; i < conf->nactions; i++) {
		const struct action	*a = conf->actions[i];

		if (!delivers_here(a))
			continue;
		if (a->user != NULL) {
			if (strcmp(a->user, account) == 0)
				return 1;
			continue;
		}
		if (a->userbase != NULL) {
			if (userbase_has(a->userbase, uid))
				return 1;
			continue;
		}
		if (table_names(a->virtual, account) || table_names(a->alias, account))
			return 1;
		/* Without a virtual table an address's local part names a system user. */
		if (a->virtual == NULL)
			system_users = 1;
	}
	return system_users && uid >= 1000 && uid != 65534;
}

/* ---- table roles ---- */


/* Adds t to the distinct tables found so far. */
static void
role_add(struct table **found, size_t *n, size_t max, struct table *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < *n; i++)
		if (found[i] == t)
			return;
	if (*n < max)
		found[(*n)++] = t;
}

struct table *
route_table_role(const struct conf *conf, enum table_role role,
    const char **errstr)
{
	static char	 msg[512];
	struct table	*found[8];
	size_t		 i, j, n = 0;

	for (i = 0; i < conf->nmatches && (role == TABLE_ROLE_DOMAINS ||
	    role == TABLE_ROLE_VIRTUAL); i++) {
		const struct match	*m = conf->matches[i];

		if (!delivers_here(m->action))
			continue;
		for (j = 0; j < m->nconds; j++)
			if (m->conds[j].type == COND_FOR_DOMAIN &&
			    m->conds[j].table != NULL && !m->conds[j].negate)
				role_add(found, &n, 8, role == TABLE_ROLE_DOMAINS ?
				    m->conds[j].table : m->action->virtual);
	}
	for (i = 0; i < conf->nlisteners && role == TABLE_ROLE_CREDENTIALS; i++)
		role_add(found, &n, 8, conf->listeners[i]->auth);
	for (i = 0; i < conf->nlisteners && role == TABLE_ROLE_SENDERS; i++)
		role_add(found, &n, 8, conf->listeners[i]->senders);
	if (n == 0) {
		*errstr = role == TABLE_ROLE_DOMAINS ? "no \"match ... for domain "
		    "<table>\" rule delivers here" : role == TABLE_ROLE_VIRTUAL ?
		    "no local delivery action has a virtual <table>" :
		    role == TABLE_ROLE_CREDENTIALS ?
		    "no listener has an auth <table>" :
		    "no listener has a senders <table>";
		return NULL;
	}
	if (n > 1) {
		size_t	 o;

		o = (size_t)snprintf(msg, sizeof(msg), "several tables play this "
		    "role (");
		for (i = 0; i < n && o < sizeof(msg); i++)
			o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%s",
			    i ? ", " : "", found[i]->name);
		if (o < sizeof(msg))
			snprintf(msg + o, sizeof(msg) - o, "): say which with "
			    "--table NAME");
		*errstr = msg;
		return NULL;
	}
	return found[0];
}
