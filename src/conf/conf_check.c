/* Checks after the last line: names resolved across directives, TLS without certificates, unused actions. */
#include <net/if.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/xalloc.h"

static int
ca_exists(const struct conf *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->ncas; i++)
		if (strcmp(c->cas[i]->name, name) == 0)
			return 1;
	return 0;
}

static int
wrapper_exists(const struct conf *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nwrappers; i++)
		if (strcmp(c->wrappers[i]->name, name) == 0)
			return 1;
	return 0;
}

/*
 * As OpenSMTPD does, a TLS listener without "pki" uses the pki named after
 * its hostname (or the server name), else the "*" fallback.
 */
static void
check_listener_tls(struct parser *p, struct listener *l)
{
	const struct conf	*c = p->conf;
	const char		*host = l->hostname ? l->hostname : c->hostname;

	if (!(l->flags & (LF_TLS | LF_TLS_REQUIRE | LF_IMPLICIT_TLS)) || l->pki != NULL)
		return;
	if (conf_pki(c, host) != NULL)
		l->pki = xstrdup(host);
	else if (conf_pki(c, "*") != NULL)
		l->pki = xstrdup("*");
	else
		perr(p, l->conf_file, l->conf_line, "listener uses TLS but has no pki, "
		    "and no pki is named \"%s\" or \"*\"", host);
}

/* An interface name that this host lacks: fine for -n, but the bind will fail here. */
static void
check_listener_on(struct parser *p, const struct listener *l)
{
	unsigned char	 a[16];

	if (!p->checks || (l->flags & LF_SOCKET) || strcmp(l->on, "any") == 0 ||
	    strcmp(l->on, "localhost") == 0 || strchr(l->on, '.') != NULL ||
	    inet_pton(AF_INET6, l->on, a) == 1)
		return;
	if (if_nametoindex(l->on) == 0)
		pwarn(p, l->conf_file, l->conf_line,
		    "listen on \"%s\": no such interface on this host", l->on);
}

/* design.md: an IMAP/POP3 listener without maildir uses the first maildir action's path. */
static void
default_maildir(struct conf *c, struct listener *l)
{
	size_t	 i;

	if (l->proto == PROTO_SMTP || l->maildir != NULL)
		return;
	for (i = 0; i < c->nactions; i++)
		if (c->actions[i]->method == ACTION_MAILDIR && c->actions[i]->path) {
			l->maildir = xstrdup(c->actions[i]->path);
			return;
		}
}

static void
check_listeners(struct parser *p)
{
	struct conf	*c = p->conf;
	struct listener	*l;
	size_t		 i;

	for (i = 0; i < c->nlisteners; i++) {
		l = c->listeners[i];
		if (l->pki && conf_pki(c, l->pki) == NULL)
			perr(p, l->conf_file, l->conf_line, "unknown pki \"%s\"", l->pki);
		if (l->ca && !ca_exists(c, l->ca))
			perr(p, l->conf_file, l->conf_line, "unknown ca \"%s\"", l->ca);
		if (l->filter && conf_filter(c, l->filter) == NULL)
			perr(p, l->conf_file, l->conf_line, "unknown filter \"%s\"", l->filter);
		check_listener_tls(p, l);
		check_listener_on(p, l);
		default_maildir(c, l);
	}
}

static void
check_pkis(struct parser *p)
{
	struct conf	*c = p->conf;
	struct pki	*k;
	size_t		 i;

	for (i = 0; i < c->npkis; i++) {
		k = c->pkis[i];
		if (k->cert == NULL)
			perr(p, k->conf_file, k->conf_line, "pki %s has no cert", k->name);
		if (k->key == NULL)
			perr(p, k->conf_file, k->conf_line, "pki %s has no key", k->name);
	}
}

static void
check_actions(struct parser *p)
{
	struct conf	*c = p->conf;
	struct action	*a;
	size_t		 i, j;
	int		 used;

	for (i = 0; i < c->nactions; i++) {
		a = c->actions[i];
		if (a->pki && conf_pki(c, a->pki) == NULL)
			perr(p, a->conf_file, a->conf_line, "unknown pki \"%s\"", a->pki);
		if (a->ca && !ca_exists(c, a->ca))
			perr(p, a->conf_file, a->conf_line, "unknown ca \"%s\"", a->ca);
		if (a->wrapper && !wrapper_exists(c, a->wrapper))
			perr(p, a->conf_file, a->conf_line, "unknown mda wrapper \"%s\"",
			    a->wrapper);
		for (used = 0, j = 0; j < c->nmatches && !used; j++)
			used = c->matches[j]->action_name &&
			    strcmp(c->matches[j]->action_name, a->name) == 0;
		if (!used)
			pwarn(p, a->conf_file, a->conf_line,
			    "action \"%s\" is not used by any match", a->name);
	}
}

static void
check_matches(struct parser *p)
{
	struct conf	*c = p->conf;
	struct match	*m;
	size_t		 i;

	for (i = 0; i < c->nmatches; i++) {
		m = c->matches[i];
		if (m->action_name == NULL)
			continue;
		if ((m->action = conf_action(c, m->action_name)) == NULL)
			perr(p, m->conf_file, m->conf_line, "unknown action \"%s\"",
			    m->action_name);
	}
}

static void
check_filters(struct parser *p)
{
	struct conf	*c = p->conf;
	struct filter	*f, *member;
	size_t		 i, j;

	for (i = 0; i < c->nfilters; i++) {
		f = c->filters[i];
		if (f->kind == FILTER_PROC && f->command && conf_proc(c, f->command) == NULL)
			perr(p, f->conf_file, f->conf_line, "unknown proc \"%s\"", f->command);
		if (f->kind != FILTER_CHAIN) {
			/*
			 * Builtin phase filters, dkim-sign and mail-auth are
			 * applied (src/smtp/filter.c, mailauth.c, dkim_sign.c);
			 * procs are parsed and checked, and said plainly not to
			 * work yet so that no one trusts them.
			 */
			if (f->kind == FILTER_PROC || f->kind == FILTER_PROC_EXEC)
				pwarn(p, f->conf_file, f->conf_line, "filter \"%s\" "
				    "is not applied by this version of tegamid: mail "
				    "passes it unfiltered", f->name);
			continue;
		}
		for (j = 0; j < f->nchain; j++) {
			if ((member = conf_filter(c, f->chain[j])) == NULL)
				perr(p, f->conf_file, f->conf_line, "unknown filter \"%s\"",
				    f->chain[j]);
			else if (member->kind == FILTER_CHAIN)
				perr(p, f->conf_file, f->conf_line,
				    "filter chain \"%s\" cannot contain the chain \"%s\"",
				    f->name, member->name);
		}
	}
}

void
conf_check(struct parser *p)
{
	check_pkis(p);
	check_listeners(p);
	check_actions(p);
	check_matches(p);
	check_filters(p);
	conf_check_tables(p);
	conf_check_listen(p);
	conf_check_unapplied(p);
}
