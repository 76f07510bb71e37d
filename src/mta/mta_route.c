/* relay domain <table>: the relay host a recipient domain goes to, as smtpd.conf(5) describes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/table.h"
#include "lib/xalloc.h"
#include "mta/mta_priv.h"

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

const char *
mta_route_url(const struct action *a, const char *domain, char *why,
    size_t whylen)
{
	const char	*url;

	if ((url = lookup(a->relay_domain, domain)) == NULL)
		/* The admin may add it: the mail waits. */
		snprintf(why, whylen, "451 4.3.5 relay domain <%s> has no relay "
		    "host for %s", a->relay_domain->name, domain);
	return url;
}

/*
 * The action for one relay host of the table: everything but the host
 * borrowed from the configured action. Its destination owns it and frees
 * it with mta_route_free; the destination also holds the configuration the
 * borrowed parts live in.
 */
struct action *
mta_route_action(const struct action *a, const char *url, char *why,
    size_t whylen)
{
	struct action	*copy;
	struct relay_host rh;
	char		 err[256];

	if (conf_parse_relay_url(url, &rh, err, sizeof(err), 1) == -1) {
		snprintf(why, whylen, "451 4.3.5 relay domain <%s>: %s",
		    a->relay_domain->name, err);
		return NULL;
	}
	copy = xmalloc(sizeof(*copy));
	*copy = *a;
	copy->relay_domain = NULL;
	copy->host = xmalloc(sizeof(*copy->host));
	*copy->host = rh;
	return copy;
}

void
mta_route_free(struct action *a)
{
	if (a == NULL)
		return;
	free(a->host->label);
	free(a->host->host);
	free(a->host);
	free(a);
}
