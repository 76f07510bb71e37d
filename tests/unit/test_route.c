/* Unit tests for the router's entry points: SRS reversal only for bounces, postmaster without a domain, error: entries. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "mail/envelope.h"
#include "mail/srs.h"
#include "route/route.h"

static struct conf *
load(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct conf *
load(const char *fmt, ...)
{
	struct buf	 text, errs;
	struct conf	*c;
	va_list		 ap;

	buf_init(&text, 0);
	buf_init(&errs, 0);
	va_start(ap, fmt);
	buf_vaddf(&text, fmt, ap);
	va_end(ap);
	c = conf_load_buffer("t.conf", text.data, text.len, &errs, NULL);
	if (c == NULL)
		fprintf(stderr, "%s", errs.data ? errs.data : "?\n");
	buf_free(&text);
	buf_free(&errs);
	return c;
}

/* A remote client of 192.0.2.7 that said MAIL FROM:<sender>. */
static void
remote_ctx(struct match_ctx *ctx, struct sockaddr_in *sin, const char *sender)
{
	memset(ctx, 0, sizeof(*ctx));
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sin->sin_addr);
	ctx->src = (struct sockaddr *)sin;
	ctx->helo = "client.test";
	ctx->mail_from = sender;
}

static const char *
me(void)
{
	struct passwd	*pw = getpwuid(getuid());

	return pw ? pw->pw_name : "root";
}

#define SRS_CONF \
	"hostname \"mx.example.org\"\n" \
	"srs key \"k\"\n" \
	"table domains { example.org }\n" \
	"table remote { outside.test }\n" \
	"table vusers { carol@example.org = %s }\n" \
	"action \"deliver\" maildir \"/tmp/%%{dest.user}\" virtual <vusers>\n" \
	"action \"out\" relay\n" \
	"match from any for domain <domains> action \"deliver\"\n" \
	"match from local for domain <remote> action \"out\"\n"

static void
test_srs_only_for_bounces(void)
{
	struct conf		*c = load(SRS_CONF, me());
	struct match_ctx	 ctx;
	struct sockaddr_in	 sin;
	struct envelope		 env;
	struct route_error	 err;
	const char		*errstr;
	char			 srs[300], target[300];
	int			 rev;

	T_ASSERT(c != NULL);
	/* What a forward by example.org made of a remote address: reversed, it relays. */
	T_EQ_INT(srs_forward("k", "target@outside.test", "example.org", time(NULL),
	    target, sizeof(target), &errstr), 0);
	T_EQ_INT(srs_forward("k", "carol@example.org", "example.org", time(NULL),
	    srs, sizeof(srs), &errstr), 0);
	envelope_init(&env);
	remote_ctx(&ctx, &sin, "spam@evil.test");
	T_EQ_INT(route_rcpt(c, &ctx, target, &env, &err, &rev), ROUTE_PERMFAIL);
	T_EQ_INT(err.code, 550);
	T_EQ_STR(err.enhanced, "5.7.1");
	T_EQ_STR(err.reason, "srs-sender");
	T_EQ_INT(env.ndeliveries, 0);
	T_EQ_INT(route_rcpt(c, &ctx, srs, &env, &err, &rev), ROUTE_PERMFAIL);
	T_EQ_STR(err.reason, "srs-sender");
	/* From the null sender: reversed, and routed as mail the server sends. */
	remote_ctx(&ctx, &sin, "");
	T_EQ_INT(route_rcpt(c, &ctx, target, &env, &err, &rev), ROUTE_OK);
	T_EQ_INT(rev, 1);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].dest, "target@outside.test");
	T_EQ_INT(route_rcpt(c, &ctx, srs, &env, &err, &rev), ROUTE_OK);
	T_EQ_STR(env.deliveries[1].dest, "carol@example.org");
	/* A bad hash is "srs", whoever the sender. */
	target[5] = target[5] == 'A' ? 'B' : 'A';
	T_EQ_INT(route_rcpt(c, &ctx, target, &env, &err, &rev), ROUTE_PERMFAIL);
	T_EQ_STR(err.reason, "srs");
	envelope_free(&env);
	conf_free(c);
}

/* RFC 5321 4.5.1 on tegamictl init's configuration: the server's name is not a domain here. */
static void
test_postmaster(void)
{
	struct match_ctx	 ctx;
	struct sockaddr_in	 sin;
	struct envelope		 env;
	struct route_error	 err;
	struct conf		*c;

	c = load("hostname \"mx.example.org\"\n"
	    "table domains { example.org }\n"
	    "table vusers { postmaster@example.org = %s }\n"
	    "action \"deliver\" maildir \"/tmp/%%{dest.user}\" virtual <vusers>\n"
	    "action \"out\" relay\n"
	    "match from any for domain <domains> action \"deliver\"\n"
	    "match auth from any for any action \"out\"\n", me());
	T_ASSERT(c != NULL);
	envelope_init(&env);
	remote_ctx(&ctx, &sin, "s@example.com");
	T_EQ_INT(route_rcpt(c, &ctx, "PostMaster", &env, &err, NULL), ROUTE_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].dest, "postmaster@example.org");
	/* With a domain it is an address like any other. */
	T_EQ_INT(route_rcpt(c, &ctx, "postmaster@mx.example.org", &env, &err, NULL),
	    ROUTE_PERMFAIL);
	T_EQ_STR(err.reason, "relay-denied");
	envelope_free(&env);
	conf_free(c);

	/* Where the server's own name is delivered here, its postmaster. */
	c = load("hostname \"mx.example.org\"\n"
	    "table vusers { postmaster@example.org = %s, "
	    "postmaster@mx.example.org = %s }\n"
	    "action \"deliver\" maildir \"/tmp/%%{dest.user}\" virtual <vusers>\n"
	    "match from any for domain { example.org, mx.example.org } "
	    "action \"deliver\"\n", me(), me());
	T_ASSERT(c != NULL);
	envelope_init(&env);
	T_EQ_INT(route_rcpt(c, &ctx, "postmaster", &env, &err, NULL), ROUTE_OK);
	T_EQ_STR(env.deliveries[0].dest, "postmaster@mx.example.org");
	envelope_free(&env);
	conf_free(c);

	/* Nothing delivered here: the server's own name, routed as before. */
	c = load("hostname \"mx.example.org\"\n"
	    "action \"out\" relay\n"
	    "match from any for any action \"out\"\n");
	T_ASSERT(c != NULL);
	envelope_init(&env);
	T_EQ_INT(route_rcpt(c, &ctx, "postmaster", &env, &err, NULL), ROUTE_OK);
	T_EQ_INT(env.deliveries[0].method, DELIVER_RELAY);
	T_EQ_STR(env.deliveries[0].dest, "postmaster@mx.example.org");
	envelope_free(&env);
	conf_free(c);
}

void
test_main(void)
{
	t_run("postmaster", test_postmaster);
	t_run("srs_only_for_bounces", test_srs_only_for_bounces);
}
