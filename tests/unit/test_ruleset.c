/* Unit tests for match rule evaluation: conditions, negation, defaults, first match wins. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "conf/conf.h"
#include "route/ruleset.h"
#include "conf/table.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

/* ---- a configuration built by hand ---- */

static struct conf	 hc;
static struct action	 act_local = { .name = "local", .method = ACTION_MBOX };
static struct action	 act_domain = { .name = "domain", .method = ACTION_MAILDIR };
static struct action	 act_relay = { .name = "relay", .method = ACTION_RELAY };

static void
conf_reset(void)
{
	for (size_t i = 0; i < hc.nmatches; i++) {
		free(hc.matches[i]->conds);
		free(hc.matches[i]);
	}
	free(hc.matches);
	memset(&hc, 0, sizeof(hc));
	hc.hostname = "Mail.Example.COM";
	hc.sub_addr_delim = '+';
}

static void
add_rule(struct action *a, size_t n, const struct cond *conds)
{
	struct match	*m = xcalloc(1, sizeof(*m));

	m->conds = xreallocarray(NULL, n ? n : 1, sizeof(*conds));
	if (n > 0)
		memcpy(m->conds, conds, n * sizeof(*conds));
	m->nconds = n;
	m->action = a;
	m->reject = a == NULL;
	hc.matches = xreallocarray(hc.matches, hc.nmatches + 1, sizeof(*hc.matches));
	hc.matches[hc.nmatches++] = m;
}

#define RULE(a, ...) add_rule((a),						\
	sizeof((struct cond[]){ __VA_ARGS__ }) / sizeof(struct cond),		\
	(struct cond[]){ __VA_ARGS__ })
#define RULE0(a)	add_rule((a), 0, NULL)

static struct table *
list_table(const char *name, const char *const *items)
{
	struct table	*t = table_new(name, TABLE_INLINE_LIST, NULL);
	const char	*err;

	for (; *items != NULL; items++)
		if (table_add(t, *items, NULL, &err) == -1)
			abort();
	return t;
}

static struct sockaddr_storage ss_buf;

/* A client address from text: "192.0.2.1", "::1", "::ffff:127.0.0.1". */
static const struct sockaddr *
sa(const char *text)
{
	memset(&ss_buf, 0, sizeof(ss_buf));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss_buf;

		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, text, &s6->sin6_addr) != 1)
			abort();
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss_buf;

		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, text, &s4->sin_addr) != 1)
			abort();
	}
	return (const struct sockaddr *)&ss_buf;
}

/* A network client, unauthenticated, no TLS. */
static struct match_ctx
net(const char *src, const char *rcpt)
{
	struct match_ctx ctx = { 0 };

	ctx.src = sa(src);
	ctx.mail_from = "sender@remote.example";
	ctx.rcpt_to = rcpt;
	ctx.helo = "mx.remote.example";
	return ctx;
}

/* The local enqueuer. */
static struct match_ctx
sock(const char *rcpt)
{
	struct match_ctx ctx = { 0 };

	ctx.from_socket = 1;
	ctx.mail_from = "alice@mail.example.com";
	ctx.rcpt_to = rcpt;
	return ctx;
}

static const char *
action_of(const struct match_ctx *ctx)
{
	const struct match *m = ruleset_match(&hc, ctx);

	if (m == NULL)
		return "(none)";
	if (m->reject)
		return "(reject)";
	return m->action->name;
}

/* ---- tests ---- */

static void
test_first_match_wins(void)
{
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_domain, { .type = COND_FROM_ANY },
	    { .type = COND_FOR_DOMAIN, .value = "example.org" });
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_FOR_ANY });
	RULE(&act_local, { .type = COND_FROM_ANY }, { .type = COND_FOR_ANY });

	ctx = net("192.0.2.1", "bob@example.org");
	T_EQ_STR(action_of(&ctx), "domain");
	ctx = net("192.0.2.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	/* The rule returned is the configuration's own object. */
	T_ASSERT(ruleset_match(&hc, &ctx) == hc.matches[1]);
	conf_reset();
	T_ASSERT(ruleset_match(&hc, &ctx) == NULL);
}

static void
test_from_local_vs_any(void)
{
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_relay, { .type = COND_FROM_LOCAL }, { .type = COND_FOR_ANY });

	ctx = net("192.0.2.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = net("127.0.0.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	/* All of 127.0.0.0/8 is loopback. */
	ctx = net("127.5.6.7", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("128.0.0.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = net("::1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("::2", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = net("::ffff:127.0.0.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("::ffff:192.0.2.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = sock("bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");

	/* "from any" takes them all. */
	conf_reset();
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = sock("bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
}

static void
test_from_socket(void)
{
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_relay, { .type = COND_FROM_SOCKET }, { .type = COND_FOR_ANY });
	ctx = sock("bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	/* Loopback is local but it is not the socket. */
	ctx = net("127.0.0.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
}

static void
test_implicit_defaults(void)
{
	struct match_ctx ctx;
	char		 host[256], rcpt[300];

	/* No from: from local is implied. */
	conf_reset();
	RULE(&act_domain, { .type = COND_FOR_DOMAIN, .value = "example.org" });
	ctx = net("192.0.2.1", "bob@example.org");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = net("127.0.0.1", "bob@example.org");
	T_EQ_STR(action_of(&ctx), "domain");

	/* No for: for local is implied. */
	conf_reset();
	RULE(&act_local, { .type = COND_FROM_ANY });
	ctx = net("192.0.2.1", "bob@example.org");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = net("192.0.2.1", "bob@localhost");
	T_EQ_STR(action_of(&ctx), "local");

	/* Neither: both implied (what the parser may also have inserted). */
	conf_reset();
	RULE0(&act_local);
	ctx = sock("root@localhost");
	T_EQ_STR(action_of(&ctx), "local");
	ctx = sock("root@mail.example.com");
	T_EQ_STR(action_of(&ctx), "local");
	ctx = sock("root@localhost.localdomain");
	T_EQ_STR(action_of(&ctx), "local");
	ctx = sock("postmaster");
	T_EQ_STR(action_of(&ctx), "local");
	ctx = sock("root@example.org");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = net("192.0.2.1", "root@localhost");
	T_EQ_STR(action_of(&ctx), "(none)");
	T_ASSERT(gethostname(host, sizeof(host)) == 0);
	host[sizeof(host) - 1] = '\0';
	snprintf(rcpt, sizeof(rcpt), "root@%s", host);
	ctx = sock(rcpt);
	T_EQ_STR(action_of(&ctx), "local");

	/* A negated from is a from: no implied from local beside it. */
	conf_reset();
	RULE(&act_relay, { .type = COND_FROM_LOCAL, .negate = 1 },
	    { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("127.0.0.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
}

static void
test_is_local_domain(void)
{
	char	 host[256];

	conf_reset();
	T_ASSERT(ruleset_is_local_domain(&hc, "localhost"));
	T_ASSERT(ruleset_is_local_domain(&hc, "LocalHost"));
	T_ASSERT(ruleset_is_local_domain(&hc, "localhost."));
	T_ASSERT(ruleset_is_local_domain(&hc, "localhost.localdomain"));
	T_ASSERT(ruleset_is_local_domain(&hc, "mail.example.com"));
	T_ASSERT(ruleset_is_local_domain(&hc, "MAIL.EXAMPLE.COM."));
	T_ASSERT(!ruleset_is_local_domain(&hc, "example.com"));
	T_ASSERT(!ruleset_is_local_domain(&hc, "mail.example.com.evil"));
	T_ASSERT(!ruleset_is_local_domain(&hc, "localhostx"));
	T_ASSERT(!ruleset_is_local_domain(&hc, ""));
	T_ASSERT(!ruleset_is_local_domain(&hc, "."));
	T_ASSERT(!ruleset_is_local_domain(&hc, NULL));
	T_ASSERT(gethostname(host, sizeof(host)) == 0);
	host[sizeof(host) - 1] = '\0';
	T_ASSERT(ruleset_is_local_domain(&hc, host));
	/* Without a configured hostname the built-in names still hold. */
	hc.hostname = NULL;
	T_ASSERT(ruleset_is_local_domain(&hc, "localhost"));
	T_ASSERT(!ruleset_is_local_domain(&hc, "mail.example.com"));
}

static void
test_negation(void)
{
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_local, { .type = COND_FROM_SRC, .negate = 1,
	    .value = "192.0.2.0/24" }, { .type = COND_FOR_ANY });
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_FOR_ANY });
	ctx = net("192.0.2.7", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("::ffff:192.0.2.7", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("198.51.100.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "local");
	/* The socket has no address: "src" cannot hold, "!src" does. */
	ctx = sock("bob@example.net");
	T_EQ_STR(action_of(&ctx), "local");

	/* Negation applies to its own condition only. */
	conf_reset();
	RULE(&act_local, { .type = COND_FROM_ANY },
	    { .type = COND_FOR_DOMAIN, .negate = 1, .value = "example.org" },
	    { .type = COND_TLS });
	ctx = net("192.0.2.1", "bob@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx.tls = 1;
	T_EQ_STR(action_of(&ctx), "local");
	ctx = net("192.0.2.1", "bob@example.org");
	ctx.tls = 1;
	T_EQ_STR(action_of(&ctx), "(none)");
}

static void
test_reject(void)
{
	static const char *const blocked[] = { "spam@example.org", "@junk.example", NULL };
	struct table	*t = list_table("blocked", blocked);
	struct match_ctx ctx;
	const struct match *m;

	conf_reset();
	RULE(NULL, { .type = COND_FROM_ANY }, { .type = COND_FOR_RCPT_TO, .table = t });
	RULE(&act_domain, { .type = COND_FROM_ANY }, { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "spam@example.org");
	m = ruleset_match(&hc, &ctx);
	T_ASSERT(m != NULL);
	T_ASSERT(m->reject);
	T_ASSERT(m->action == NULL);
	ctx = net("192.0.2.1", "anyone@junk.example");
	T_EQ_STR(action_of(&ctx), "(reject)");
	ctx = net("192.0.2.1", "ham@example.org");
	T_EQ_STR(action_of(&ctx), "domain");
	table_free(t);
}

static void
test_src(void)
{
	static const char *const nets[] = { "192.0.2.0/24", "2001:db8::/32", "203.0.113.9", NULL };
	struct table	*t = list_table("nets", nets);
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_relay, { .type = COND_FROM_SRC, .table = t }, { .type = COND_FOR_ANY });
	RULE(&act_local, { .type = COND_FROM_SRC, .regex = 1,
	    .value = "^198\\.51\\.100\\." }, { .type = COND_FOR_ANY });
	ctx = net("192.0.2.200", "x@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("2001:db8::25", "x@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("203.0.113.9", "x@example.net");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("203.0.113.10", "x@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = net("198.51.100.77", "x@example.net");
	T_EQ_STR(action_of(&ctx), "local");
	ctx = net("198.51.101.77", "x@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	table_free(t);
}

static void
test_auth(void)
{
	static const char *const users[] = { "carol@example.org", NULL };
	struct table	*t = list_table("users", users);
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_local, { .type = COND_FROM_AUTH, .value = "alice@example.org" },
	    { .type = COND_FOR_ANY });
	RULE(&act_domain, { .type = COND_FROM_ANY }, { .type = COND_AUTH, .table = t },
	    { .type = COND_FOR_ANY });
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_AUTH },
	    { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "x@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx.auth_user = "bob@example.org";
	T_EQ_STR(action_of(&ctx), "relay");
	ctx.auth_user = "alice@example.org";
	T_EQ_STR(action_of(&ctx), "local");
	/* The domain of a login is case-insensitive, the local part is not. */
	ctx.auth_user = "alice@EXAMPLE.Org";
	T_EQ_STR(action_of(&ctx), "local");
	ctx.auth_user = "Alice@example.org";
	T_EQ_STR(action_of(&ctx), "relay");
	ctx.auth_user = "carol@example.org";
	T_EQ_STR(action_of(&ctx), "domain");

	/* from auth regex; !auth */
	conf_reset();
	RULE(&act_local, { .type = COND_FROM_AUTH, .regex = 1, .value = "@example\\.org$" },
	    { .type = COND_FOR_ANY });
	RULE(NULL, { .type = COND_FROM_ANY }, { .type = COND_AUTH, .negate = 1 },
	    { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "x@example.net");
	T_EQ_STR(action_of(&ctx), "(reject)");
	ctx.auth_user = "dave@example.org";
	T_EQ_STR(action_of(&ctx), "local");
	ctx.auth_user = "dave@example.net";
	T_EQ_STR(action_of(&ctx), "(none)");
	table_free(t);
}

static void
test_rdns_helo(void)
{
	static const char *const doms[] = { "*.example.net", "relay.example.com", NULL };
	struct table	*t = list_table("rdns", doms);
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_relay, { .type = COND_FROM_RDNS, .table = t }, { .type = COND_FOR_ANY });
	RULE(&act_local, { .type = COND_FROM_RDNS }, { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "x@example.org");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx.rdns = "mx1.example.net";
	T_EQ_STR(action_of(&ctx), "relay");
	ctx.rdns = "RELAY.example.com";
	T_EQ_STR(action_of(&ctx), "relay");
	ctx.rdns = "host.example.org";
	T_EQ_STR(action_of(&ctx), "local");

	conf_reset();
	RULE(NULL, { .type = COND_FROM_ANY }, { .type = COND_HELO, .value = "localhost" },
	    { .type = COND_FOR_ANY });
	RULE(&act_local, { .type = COND_FROM_ANY }, { .type = COND_HELO, .table = t },
	    { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "x@example.org");
	ctx.helo = "localhost";
	T_EQ_STR(action_of(&ctx), "(reject)");
	ctx.helo = "a.example.net";
	T_EQ_STR(action_of(&ctx), "local");
	ctx.helo = "a.example.org";
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx.helo = NULL;
	T_EQ_STR(action_of(&ctx), "(none)");
	table_free(t);
}

static void
test_mail_from(void)
{
	static const char *const senders[] = { "@spam.example", "bad@evil.example", NULL };
	struct table	*t = list_table("senders", senders);
	struct match_ctx ctx;

	conf_reset();
	RULE(NULL, { .type = COND_FROM_MAIL_FROM, .table = t }, { .type = COND_FOR_ANY });
	RULE(&act_local, { .type = COND_FROM_ANY }, { .type = COND_MAIL_FROM,
	    .value = "boss@example.org" }, { .type = COND_FOR_ANY });
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_MAIL_FROM,
	    .negate = 1, .table = t }, { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "x@example.org");
	ctx.mail_from = "anyone@spam.example";
	T_EQ_STR(action_of(&ctx), "(reject)");
	ctx.mail_from = "bad@evil.example";
	T_EQ_STR(action_of(&ctx), "(reject)");
	ctx.mail_from = "good@evil.example";
	T_EQ_STR(action_of(&ctx), "relay");
	ctx.mail_from = "boss@example.org";
	T_EQ_STR(action_of(&ctx), "local");
	/* The null sender matches no list, only the negation. */
	ctx.mail_from = "";
	T_EQ_STR(action_of(&ctx), "relay");
	table_free(t);
}

static void
test_for_domain_rcpt(void)
{
	static const char *const doms[] = { "example.org", "*.example.net", NULL };
	struct table	*t = list_table("domains", doms);
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_domain, { .type = COND_FROM_ANY }, { .type = COND_FOR_DOMAIN, .table = t });
	RULE(&act_local, { .type = COND_FROM_ANY }, { .type = COND_FOR_DOMAIN,
	    .regex = 1, .value = "^lists\\.[a-z]+\\.com$" });
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_FOR_RCPT_TO,
	    .value = "postmaster@example.com" });
	ctx = net("192.0.2.1", "bob@example.org");
	T_EQ_STR(action_of(&ctx), "domain");
	ctx = net("192.0.2.1", "bob@sub.example.net");
	T_EQ_STR(action_of(&ctx), "domain");
	ctx = net("192.0.2.1", "bob@lists.foo.com");
	T_EQ_STR(action_of(&ctx), "local");
	ctx = net("192.0.2.1", "bob@lists.foo.org");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx = net("192.0.2.1", "postmaster@example.com");
	T_EQ_STR(action_of(&ctx), "relay");
	ctx = net("192.0.2.1", "webmaster@example.com");
	T_EQ_STR(action_of(&ctx), "(none)");
	/* A quoted local part holding '@': the domain is after the last one. */
	ctx = net("192.0.2.1", "\"a@b\"@example.org");
	T_EQ_STR(action_of(&ctx), "domain");
	table_free(t);
}

static void
test_tag_tls(void)
{
	struct match_ctx ctx;

	conf_reset();
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_TAG, .value = "SUBMIT" },
	    { .type = COND_TLS }, { .type = COND_FOR_ANY });
	RULE(&act_local, { .type = COND_FROM_ANY }, { .type = COND_TAG, .regex = 1,
	    .value = "^int" }, { .type = COND_FOR_ANY });
	ctx = net("192.0.2.1", "x@example.net");
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx.tag = "SUBMIT";
	T_EQ_STR(action_of(&ctx), "(none)");
	ctx.tls = 1;
	T_EQ_STR(action_of(&ctx), "relay");
	ctx.tag = "internal";
	T_EQ_STR(action_of(&ctx), "local");
}

/* ---- the rules of a real configuration file (seed 001's, tables inline) ---- */

static const char *
datadir(void)
{
	const char	*d = getenv("TEGAMI_TESTDATA");

	return d != NULL ? d : "tests/data";
}

static void
test_conf_file(void)
{
	struct buf	 errors;
	struct conf	*conf;
	struct match_ctx ctx;
	const struct match *m;
	char		 path[512];

	buf_init(&errors, 0);
	snprintf(path, sizeof(path), "%s/routing/rules.conf", datadir());
	conf = conf_load(path, &errors, NULL);
	if (conf == NULL)
		fprintf(stderr, "%s", errors.data ? errors.data : "");
	buf_free(&errors);
	T_ASSERT(conf != NULL);

	/* From outside, to the hosted domain. */
	ctx = net("192.0.2.1", "abuse@mtkn.jp");
	m = ruleset_match(conf, &ctx);
	T_ASSERT(m != NULL && m->action != NULL);
	T_EQ_STR(m->action->name, "domain");
	/* From outside, elsewhere, not authenticated: no rule, relay denied. */
	ctx = net("192.0.2.1", "someone@example.com");
	T_ASSERT(ruleset_match(conf, &ctx) == NULL);
	/* Authenticated: relayed. */
	ctx.auth_user = "user@mtkn.jp";
	m = ruleset_match(conf, &ctx);
	T_ASSERT(m != NULL && m->action != NULL);
	T_EQ_STR(m->action->name, "outbound");
	/* The local enqueuer, to this host and elsewhere. */
	ctx = sock("root@localhost");
	m = ruleset_match(conf, &ctx);
	T_ASSERT(m != NULL && m->action != NULL);
	T_EQ_STR(m->action->name, "local_mail");
	ctx = sock("someone@example.com");
	m = ruleset_match(conf, &ctx);
	T_ASSERT(m != NULL && m->action != NULL);
	T_EQ_STR(m->action->name, "outbound");
	/* The reject rule placed first wins over the domain rule. */
	ctx = net("192.0.2.1", "user@mtkn.jp");
	ctx.mail_from = "x@spam.example";
	m = ruleset_match(conf, &ctx);
	T_ASSERT(m != NULL && m->reject);
	conf_free(conf);
}

void
test_main(void)
{
	t_run("first_match_wins", test_first_match_wins);
	t_run("from_local_vs_any", test_from_local_vs_any);
	t_run("from_socket", test_from_socket);
	t_run("implicit_defaults", test_implicit_defaults);
	t_run("is_local_domain", test_is_local_domain);
	t_run("negation", test_negation);
	t_run("reject", test_reject);
	t_run("src", test_src);
	t_run("auth", test_auth);
	t_run("rdns_helo", test_rdns_helo);
	t_run("mail_from", test_mail_from);
	t_run("for_domain_rcpt", test_for_domain_rcpt);
	t_run("tag_tls", test_tag_tls);
	t_run("conf_file", test_conf_file);
	conf_reset();
}
