/* Match rules: evaluates the conditions of smtpd.conf(5) "match" lines, first match wins. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf/conf.h"
#include "route/ruleset.h"
#include "conf/table.h"
#include "route/lookup.h"
#include "lib/sockaddr.h"
#include "lib/xalloc.h"

/* The host's own names, looked up once: gethostname() and its canonical form. */
static char		*host_name;
static char		*host_canon;
static pthread_once_t	 host_once = PTHREAD_ONCE_INIT;

static void
host_names_init(void)
{
	struct addrinfo	 hints, *res = NULL;
	char		 name[256];

	if (gethostname(name, sizeof(name)) == -1)
		return;
	name[sizeof(name) - 1] = '\0';
	if (name[0] == '\0')
		return;
	host_name = xstrdup(name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_CANONNAME;
	/* /etc/hosts answers this on a sane host; it runs once per process. */
	if (getaddrinfo(name, NULL, &hints, &res) == 0 && res != NULL &&
	    res->ai_canonname != NULL && res->ai_canonname[0] != '\0')
		host_canon = xstrdup(res->ai_canonname);
	if (res != NULL)
		freeaddrinfo(res);
}

/* Case-insensitive name equality, ignoring one trailing dot on either side. */
static int
name_eq(const char *a, const char *b)
{
	size_t	 la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la > 0 && la == lb && strncasecmp(a, b, la) == 0;
}

int
ruleset_is_local_domain(const struct conf *conf, const char *domain)
{
	if (domain == NULL || domain[0] == '\0')
		return 0;
	if (name_eq(domain, "localhost") ||
	    name_eq(domain, "localhost.localdomain"))
		return 1;
	if (conf != NULL && name_eq(domain, conf->hostname))
		return 1;
	pthread_once(&host_once, host_names_init);
	return name_eq(domain, host_name) || name_eq(domain, host_canon);
}

/*
 * The family and address bytes of a client address. An IPv4-mapped IPv6
 * address ("::ffff:192.0.2.1", what a dual-stack listener reports) comes
 * out as IPv4, so that rules written with IPv4 addresses apply to it. The
 * structures are copied, not cast, so that no object is read through
 * another type.
 */
static int
addr_bytes(const struct sockaddr *sa, uint8_t out[16])
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;

	if (sa == NULL)
		return 0;
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		memcpy(out, &sin.sin_addr, 4);
		return AF_INET;
	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			memcpy(out, &sin6.sin6_addr.s6_addr[12], 4);
			return AF_INET;
		}
		memcpy(out, &sin6.sin6_addr, 16);
		return AF_INET6;
	default:
		return 0;
	}
}

static int
source_is_local(const struct match_ctx *ctx)
{
	return ctx->from_socket || ctx->src == NULL || sa_is_loopback(ctx->src);
}

static const char *
rcpt_domain(const struct match_ctx *ctx)
{
	const char	*at;

	if (ctx->rcpt_to == NULL)
		return NULL;
	/* The last '@': a quoted local part may hold one. */
	at = strrchr(ctx->rcpt_to, '@');
	return at != NULL ? at + 1 : "";
}

/* A condition's argument applied to a domain name (rdns, helo, rcpt domain). */
static int
arg_domain(const struct cond *c, const char *name)
{
	if (name == NULL)
		return 0;
	if (c->regex)
		return c->table != NULL ? table_match_regex(c->table, name) :
		    c->value != NULL && table_pattern_regex(c->value, name);
	if (c->table != NULL)
		return table_match_domain(c->table, name);
	return c->value != NULL && table_pattern_domain(c->value, name);
}

/* A condition's argument applied to an address; the null sender matches none. */
static int
arg_mailaddr(const struct conf *conf, const struct cond *c, const char *addr)
{
	if (addr == NULL || addr[0] == '\0')
		return 0;
	if (c->regex)
		return c->table != NULL ? table_match_regex(c->table, addr) :
		    c->value != NULL && table_pattern_regex(c->value, addr);
	if (c->table != NULL)
		return table_match_mailaddr_delim(c->table, addr,
		    conf->sub_addr_delim);
	return c->value != NULL &&
	    table_pattern_mailaddr(c->value, addr, conf->sub_addr_delim);
}

/* A condition's argument applied to a plain string (tag). */
static int
arg_string(const struct cond *c, const char *s)
{
	if (s == NULL)
		return 0;
	if (c->regex)
		return c->table != NULL ? table_match_regex(c->table, s) :
		    c->value != NULL && table_pattern_regex(c->value, s);
	if (c->table != NULL)
		return table_has(c->table, s);
	return c->value != NULL && strcmp(c->value, s) == 0;
}

/*
 * Login names are addresses whose domain is case-insensitive: the user as
 * given is tried, then with the domain lowercased.
 */
static int
arg_user(const struct cond *c, const char *user)
{
	char		 folded[512];
	const char	*at;
	size_t		 len;
	int		 changed = 0;

	if (user == NULL)
		return 0;
	if (c->table == NULL && c->value == NULL)
		return 1;		/* "auth" alone: any authenticated user */
	if (arg_string(c, user))
		return 1;
	if (c->regex || (at = strrchr(user, '@')) == NULL)
		return 0;
	len = strlen(user);
	if (len >= sizeof(folded))
		return 0;
	memcpy(folded, user, len + 1);
	for (size_t i = (size_t)(at - user) + 1; i < len; i++) {
		if (folded[i] >= 'A' && folded[i] <= 'Z') {
			folded[i] = (char)(folded[i] - 'A' + 'a');
			changed = 1;
		}
	}
	return changed && arg_string(c, folded);
}

/* The client address, as an address list or as the text a regex sees. */
static int
arg_src(const struct cond *c, const struct sockaddr *src)
{
	struct sockaddr_in	 v4;
	char			 text[INET6_ADDRSTRLEN];
	uint8_t			 a[16];
	int			 family;

	if ((family = addr_bytes(src, a)) == 0)
		return 0;
	if (c->regex) {
		if (inet_ntop(family, a, text, sizeof(text)) == NULL)
			return 0;
		return arg_string(c, text);
	}
	if (family == AF_INET && src->sa_family == AF_INET6) {
		memset(&v4, 0, sizeof(v4));
		v4.sin_family = AF_INET;
		memcpy(&v4.sin_addr, a, 4);
		src = (const struct sockaddr *)&v4;
	}
	if (c->table != NULL)
		return table_match_netaddr(c->table, src);
	return c->value != NULL && table_pattern_netaddr(c->value, src);
}

/* Whether the condition holds, before its negation is applied. */
static int
cond_holds(const struct conf *conf, const struct match_ctx *ctx,
    const struct cond *c)
{
	const char	*domain;

	switch (c->type) {
	case COND_FROM_ANY:
	case COND_FOR_ANY:
		return 1;
	case COND_FROM_AUTH:
	case COND_AUTH:
		return arg_user(c, ctx->auth_user);
	case COND_FROM_LOCAL:
		return source_is_local(ctx);
	case COND_FROM_SOCKET:
		return ctx->from_socket;
	case COND_FROM_MAIL_FROM:
	case COND_MAIL_FROM:
		return arg_mailaddr(conf, c, ctx->mail_from);
	case COND_FROM_RDNS:
		if (ctx->rdns == NULL || ctx->rdns[0] == '\0')
			return 0;
		if (c->table == NULL && c->value == NULL)
			return 1;
		return arg_domain(c, ctx->rdns);
	case COND_FROM_SRC:
		return arg_src(c, ctx->src);
	case COND_FOR_LOCAL:
		if ((domain = rcpt_domain(ctx)) == NULL)
			return 0;
		/* A domainless RCPT (<postmaster>) is addressed to this host. */
		return domain[0] == '\0' || ruleset_is_local_domain(conf, domain);
	case COND_FOR_DOMAIN:
		if ((domain = rcpt_domain(ctx)) == NULL || domain[0] == '\0')
			return 0;
		return arg_domain(c, domain);
	case COND_FOR_RCPT_TO:
	case COND_RCPT_TO:
		return arg_mailaddr(conf, c, ctx->rcpt_to);
	case COND_HELO:
		if (ctx->helo == NULL || ctx->helo[0] == '\0')
			return 0;
		return arg_domain(c, ctx->helo);
	case COND_TAG:
		return arg_string(c, ctx->tag);
	case COND_TLS:
		return ctx->tls != 0;
	}
	return 0;
}

static int
cond_is_from(enum cond_type t)
{
	switch (t) {
	case COND_FROM_ANY:
	case COND_FROM_AUTH:
	case COND_FROM_LOCAL:
	case COND_FROM_MAIL_FROM:
	case COND_FROM_RDNS:
	case COND_FROM_SOCKET:
	case COND_FROM_SRC:
		return 1;
	default:
		return 0;
	}
}

static int
cond_is_for(enum cond_type t)
{
	switch (t) {
	case COND_FOR_ANY:
	case COND_FOR_LOCAL:
	case COND_FOR_DOMAIN:
	case COND_FOR_RCPT_TO:
		return 1;
	default:
		return 0;
	}
}

static int
rule_holds(const struct conf *conf, const struct match_ctx *ctx,
    const struct match *m)
{
	struct cond	 local;
	int		 has_from = 0, has_for = 0;

	for (size_t i = 0; i < m->nconds; i++) {
		const struct cond *c = &m->conds[i];

		has_from |= cond_is_from(c->type);
		has_for |= cond_is_for(c->type);
		if (cond_holds(conf, ctx, c) == (c->negate != 0))
			return 0;
	}
	/* smtpd.conf(5): "from local" and "for local" are the defaults. */
	memset(&local, 0, sizeof(local));
	if (!has_from) {
		local.type = COND_FROM_LOCAL;
		if (!cond_holds(conf, ctx, &local))
			return 0;
	}
	if (!has_for) {
		local.type = COND_FOR_LOCAL;
		if (!cond_holds(conf, ctx, &local))
			return 0;
	}
	return 1;
}

const struct match *
ruleset_match(const struct conf *conf, const struct match_ctx *ctx)
{
	for (size_t i = 0; i < conf->nmatches; i++) {
		if (rule_holds(conf, ctx, conf->matches[i]))
			return conf->matches[i];
	}
	return NULL;
}
