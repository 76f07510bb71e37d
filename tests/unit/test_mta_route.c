/* Tests for mta/mta_route: relay domain <table> gives each recipient domain its relay host. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "mta/mta_priv.h"

#define ROUTES \
	"table routes { remote.test = smtp://127.0.0.1:2525, " \
	"other.test = \"lmtp://[::1]:24\", \"*.sub.test\" = smtps://relay.test, " \
	"same.test = smtp://127.0.0.1:2525%s }\n" \
	"action \"out\" relay domain <routes>\n" \
	"action \"mx\" relay\n" \
	"match from any for any action \"out\"\n" \
	"match from local for any action \"mx\"\n"

static struct conf *
load(const char *extra, struct buf *errs)
{
	char	 text[1024];

	snprintf(text, sizeof(text), ROUTES, extra);
	buf_reset(errs);
	return conf_load_buffer("t.conf", text, strlen(text), errs, NULL);
}

/* The host a domain's mail goes to, or NULL with why. */
static struct action *
route(const struct action *a, const char *domain, char *why, size_t whylen)
{
	const char	*url;

	if ((url = mta_route_url(a, domain, why, whylen)) == NULL)
		return NULL;
	return mta_route_action(a, url, why, whylen);
}

static void
test_route(void)
{
	struct buf		 errs;
	struct conf		*c;
	const struct action	*a;
	struct action		*r, *r2;
	const char		*u;
	char			 why[300];

	buf_init(&errs, 0);
	/* A URL the relay process could not use is refused at load. */
	T_ASSERT(load(", bad.test = smtp://h:0x", &errs) == NULL);
	T_ASSERT(strstr(errs.data, "bad.test") != NULL);
	c = load("", &errs);
	T_ASSERT(c != NULL);
	a = conf_action(c, "out");
	T_ASSERT((r = route(a, "remote.test", why, sizeof(why))) != NULL);
	T_ASSERT(r != a && r->host != NULL && r->relay_domain == NULL);
	T_EQ_STR(r->host->host, "127.0.0.1");
	T_EQ_INT(r->host->port, 2525);
	T_EQ_INT(r->host->proto, RELAY_SMTP);
	T_EQ_STR(r->name, "out");
	mta_route_free(r);
	/* Domains are found without case; two domains may name one host. */
	T_ASSERT((u = mta_route_url(a, "REMOTE.test", why, sizeof(why))) != NULL);
	T_EQ_STR(u, "smtp://127.0.0.1:2525");
	T_ASSERT((u = mta_route_url(a, "same.test", why, sizeof(why))) != NULL);
	T_EQ_STR(u, "smtp://127.0.0.1:2525");
	T_ASSERT((r2 = route(a, "other.test", why, sizeof(why))) != NULL);
	T_EQ_INT(r2->host->proto, RELAY_LMTP);
	T_EQ_STR(r2->host->host, "::1");
	mta_route_free(r2);
	T_ASSERT((r2 = route(a, "a.b.sub.test", why, sizeof(why))) != NULL);
	T_EQ_STR(r2->host->host, "relay.test");
	T_EQ_INT(r2->host->port, 465);
	mta_route_free(r2);
	/* Not in the table: the mail waits for the admin. */
	T_ASSERT(route(a, "nowhere.test", why, sizeof(why)) == NULL);
	T_ASSERT(strncmp(why, "451 4.3.5 ", 10) == 0);
	T_ASSERT(route(a, "sub.test", why, sizeof(why)) == NULL);
	buf_free(&errs);
	conf_free(c);
}

void
test_main(void)
{
	t_run("route", test_route);
}
