/* Options that parse but are not carried out by this version: said at -n and at start, never silently ignored. */
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"

static void
check_global(struct parser *p)
{
	const struct conf	*c = p->conf;
	size_t			 i;

	/* queue compression and encryption, mta max-deferred, admd: said where parsed. */
	for (i = 0; i < c->npkis; i++)
		if (c->pkis[i]->dhe != NULL && strcmp(c->pkis[i]->dhe, "none") != 0)
			pwarn(p, c->pkis[i]->conf_file, c->pkis[i]->conf_line,
			    "pki %s: dhe is not applied by this version: TLS uses "
			    "ECDHE only", c->pkis[i]->name);
}

static void
check_listeners(struct parser *p)
{
	const struct listener	*l;
	size_t			 i;

	for (i = 0; i < p->conf->nlisteners; i++) {
		l = p->conf->listeners[i];
		if (l->hostnames != NULL)
			pwarn(p, l->conf_file, l->conf_line, "listen option hostnames "
			    "is not applied by this version: the greeting names %s",
			    l->hostname ? l->hostname : "the server");
		if (l->flags & LF_PROXY_V2)
			pwarn(p, l->conf_file, l->conf_line, "listen option proxy-v2 "
			    "is not applied by this version: a PROXY header is read "
			    "as a command");
	}
}

static void
check_actions(struct parser *p)
{
	const struct action	*a;
	size_t			 i;

	for (i = 0; i < p->conf->nactions; i++) {
		a = p->conf->actions[i];
		if (a->method == ACTION_MDA || a->method == ACTION_LMTP)
			pwarn(p, a->conf_file, a->conf_line, "action \"%s\": %s "
			    "delivery is not carried out by this version: its mail "
			    "is accepted, deferred and bounced after the queue ttl",
			    a->name, a->method == ACTION_MDA ? "mda" : "lmtp");
	}
}

void
conf_check_unapplied(struct parser *p)
{
	check_global(p);
	check_listeners(p);
	check_actions(p);
}
