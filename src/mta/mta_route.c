/* relay domain <table>: the relay host a recipient domain goes to, as smtpd.conf(5) describes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/table.h"
#include "lib/map.h"
#include "lib/xalloc.h"
#include "mta/mta_priv.h"

/*
 * The actions made so far, by "action\nURL": one per relay host, so every
 * domain the table sends to the same host shares its destination and
 * connections. They borrow everything but the host from the configured
 * action, and live as long as this process and its configuration.
 */
static struct map	*routed;

/* The table's URL for domain: the domain itself, else "*.parent" for each parent. */
static const char *
lookup(const struct table *t, const char *domain)
{
	const char	*v, *p;
	char		 key[300];

	if ((v = table_get_fold(t, domain)) != NULL)
		return v;
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
		snprintf(key, sizeof(key), "*%s", p);
		if ((v = table_get_fold(t, key)) != NULL)
			return v;
	}
	return NULL;
}

const struct action *
mta_route_action(const struct action *a, const char *domain, char *why,
    size_t whylen)
{
	struct action	*copy;
	struct relay_host rh;
	const char	*url;
	char		*key, err[256];

	if (a->relay_domain == NULL)
		return a;
	if ((url = lookup(a->relay_domain, domain)) == NULL) {
		/* The admin may add it: the mail waits. */
		snprintf(why, whylen, "451 4.3.5 relay domain <%s> has no relay "
		    "host for %s", a->relay_domain->name, domain);
		return NULL;
	}
	if (routed == NULL)
		routed = map_new();
	key = xasprintf("%s\n%s", a->name, url);
	if ((copy = map_get(routed, key)) != NULL) {
		free(key);
		return copy;
	}
	if (conf_parse_relay_url(url, &rh, err, sizeof(err), 1) == -1) {
		snprintf(why, whylen, "451 4.3.5 relay domain <%s>, %s: %s",
		    a->relay_domain->name, domain, err);
		free(key);
		return NULL;
	}
	copy = xmalloc(sizeof(*copy));
	*copy = *a;
	copy->relay_domain = NULL;
	copy->host = xmalloc(sizeof(*copy->host));
	*copy->host = rh;
	map_set(routed, key, copy);
	free(key);
	return copy;
}
