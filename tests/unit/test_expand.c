/* Unit tests for recipient expansion: virtual and alias tables, routing of targets, loops, errors. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "conf/conf.h"
#include "route/expand.h"
#include "route/ruleset.h"
#include "conf/table.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/addr.h"
#include "mail/envelope.h"

/* ---- fixtures: the .in files of tests/data/routing rendered into a temporary directory ---- */

static char	 tmpdir[64];
static char	*me, *me_home, *other;

static const char *
datadir(void)
{
	const char	*d = getenv("TEGAMI_TESTDATA");

	return d != NULL ? d : "tests/data";
}

static char *
slurp(const char *path)
{
	struct buf	 b;
	char		 chunk[4096];
	size_t		 n;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (b.data == NULL)
		buf_adds(&b, "");
	return buf_release(&b);
}

static void
spew(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Copies NAME.in to the temporary directory as NAME with @USER@, @OTHER@, @DIR@ replaced. */
static void
render(const char *name)
{
	struct buf	 out;
	char		 path[512], *text, *p;

	snprintf(path, sizeof(path), "%s/routing/%s.in", datadir(), name);
	text = slurp(path);
	buf_init(&out, 0);
	for (p = text; *p != '\0';) {
		if (strncmp(p, "@USER@", 6) == 0) {
			buf_adds(&out, me);
			p += 6;
		} else if (strncmp(p, "@OTHER@", 7) == 0) {
			buf_adds(&out, other);
			p += 7;
		} else if (strncmp(p, "@DIR@", 5) == 0) {
			buf_adds(&out, tmpdir);
			p += 5;
		} else
			buf_addc(&out, *p++);
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	spew(path, out.data);
	buf_free(&out);
	free(text);
}

static struct table *
load_table(const char *name)
{
	struct table	*t;
	const char	*err;
	char		 path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	t = table_new(name, TABLE_FILE, path);
	if (table_load(t, &err) == -1) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return t;
}

static const char *const fixtures[] = { "virtuals", "vusers", "catchall",
    "vloop", "aliases", "seed001-aliases", "list.txt", "listloop.txt", "domains",
    "seed000.conf", "seed001.conf" };
#define NFIXTURES	(sizeof(fixtures) / sizeof(fixtures[0]))

static void
setup(void)
{
	struct passwd	*pw;

	if ((pw = getpwuid(getuid())) == NULL) {
		fprintf(stderr, "no passwd entry for uid %d\n", (int)getuid());
		exit(1);
	}
	me = xstrdup(pw->pw_name);
	me_home = xstrdup(pw->pw_dir);
	other = xstrdup(strcmp(me, "nobody") == 0 ? "root" : "nobody");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tegami-expand-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	for (size_t i = 0; i < NFIXTURES; i++)
		render(fixtures[i]);
}

/* ---- a configuration built by hand around the fixture tables ---- */

static struct conf	 hc;
static struct table	*t_virtuals, *t_vusers, *t_catchall, *t_vloop, *t_aliases;

static struct action	 act_domain = { .name = "domain", .method = ACTION_MAILDIR,
	.path = "/var/vmail/%{dest.domain:lowercase}/%{dest.user:lowercase}" };
static struct action	 act_vpop = { .name = "delivery", .method = ACTION_MAILDIR,
	.path = "/usr/local/vpopmail/domains/%{rcpt.domain}/%{rcpt.user}/Maildir" };
static struct action	 act_catch = { .name = "catch", .method = ACTION_MAILDIR };
static struct action	 act_vloop = { .name = "vloop", .method = ACTION_MAILDIR };
static struct action	 act_local = { .name = "local", .method = ACTION_MBOX };
static struct action	 act_plain = { .name = "plain", .method = ACTION_MAILDIR };
static struct action	 act_relay = { .name = "relay", .method = ACTION_RELAY };

static void
rules_clear(void)
{
	for (size_t i = 0; i < hc.nmatches; i++) {
		free(hc.matches[i]->conds);
		free(hc.matches[i]);
	}
	free(hc.matches);
	hc.matches = NULL;
	hc.nmatches = 0;
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

/* Seed 001's rules with the other fixtures' domains: relaying only from local. */
static void
default_rules(void)
{
	rules_clear();
	RULE(&act_domain, { .type = COND_FROM_ANY }, { .type = COND_FOR_DOMAIN, .value = "mtkn.jp" });
	RULE(&act_vpop, { .type = COND_FROM_ANY }, { .type = COND_FOR_DOMAIN,
	    .value = "example.dom.tld" });
	RULE(&act_vloop, { .type = COND_FROM_ANY }, { .type = COND_FOR_DOMAIN, .value = "loop.test" });
	RULE(&act_local, { .type = COND_FROM_LOCAL }, { .type = COND_FOR_LOCAL });
	RULE(&act_relay, { .type = COND_FROM_LOCAL }, { .type = COND_FOR_ANY });
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_AUTH }, { .type = COND_FOR_ANY });
}

static void
conf_setup(void)
{
	memset(&hc, 0, sizeof(hc));
	hc.hostname = "mail.example.com";
	hc.sub_addr_delim = '+';
	hc.user = me;
	t_virtuals = load_table("virtuals");
	t_vusers = load_table("vusers");
	t_catchall = load_table("catchall");
	t_vloop = load_table("vloop");
	t_aliases = load_table("aliases");
	act_domain.virtual = t_virtuals;
	act_vpop.virtual = t_vusers;
	act_catch.virtual = t_catchall;
	act_vloop.virtual = t_vloop;
	act_local.alias = t_aliases;
	default_rules();
}

/* ---- running an expansion ---- */

static struct envelope	 env;
static struct expand_error xerr;

static struct match_ctx
sock_ctx(void)
{
	struct match_ctx ctx = { 0 };

	ctx.from_socket = 1;
	ctx.mail_from = "sender@mail.example.com";
	return ctx;
}

static struct sockaddr_in remote_sa;

static struct match_ctx
net_ctx(void)
{
	struct match_ctx ctx = { 0 };

	memset(&remote_sa, 0, sizeof(remote_sa));
	remote_sa.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &remote_sa.sin_addr);
	ctx.src = (const struct sockaddr *)&remote_sa;
	ctx.mail_from = "sender@remote.example";
	return ctx;
}

/* Expands rcpt under action into a fresh envelope; rcpt_to as a session would set it. */
static enum expand_status
run_ctx(const struct action *a, const char *rcpt, struct match_ctx ctx)
{
	struct mailaddr	 ma;
	const char	*errstr;
	char		 addr[400];

	envelope_free(&env);
	envelope_init(&env);
	if (addr_parse(&ma, rcpt, 0, &errstr) == -1) {
		fprintf(stderr, "bad test address %s: %s\n", rcpt, errstr);
		exit(1);
	}
	addr_format(&ma, addr, sizeof(addr));
	ctx.rcpt_to = addr;
	return expand_rcpt(&hc, &ctx, a, &ma, &env, &xerr);
}

static enum expand_status
run(const struct action *a, const char *rcpt)
{
	return run_ctx(a, rcpt, sock_ctx());
}

/* printf into one of a few static buffers: test strings without leaks. */
static const char *
sf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
sf(const char *fmt, ...)
{
	static char	 bufs[4][512];
	static int	 next;
	char		*b = bufs[next++ % 4];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

static const char *
path_in_tmp(const char *name)
{
	static char	 p[512];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static const char *
s_or(const char *s)
{
	return s != NULL ? s : "(null)";
}

/* Whether some delivery has these fields (NULL: don't care). */
static int
has(enum delivery_method method, const char *account, const char *path,
    const char *dest)
{
	for (size_t i = 0; i < env.ndeliveries; i++) {
		const struct delivery *d = &env.deliveries[i];

		if (d->method == method &&
		    (account == NULL || strcmp(s_or(d->account), account) == 0) &&
		    (path == NULL || strcmp(s_or(d->path), path) == 0) &&
		    (dest == NULL || strcmp(s_or(d->dest), dest) == 0))
			return 1;
	}
	for (size_t i = 0; i < env.ndeliveries; i++) {
		const struct delivery *d = &env.deliveries[i];

		fprintf(stderr, "  have: method=%d account=%s path=%s dest=%s\n",
		    d->method, s_or(d->account), s_or(d->path), s_or(d->dest));
	}
	return 0;
}

/* ---- virtual tables ---- */

static void
test_seed001_virtuals(void)
{
	const struct delivery *d;
	const char	*names[] = { "abuse@mtkn.jp", "postmaster@mtkn.jp",
	    "webmaster@mtkn.jp", "Abuse@MTKN.JP" };

	/* abuse@ -> user@mtkn.jp (routed again: the same action) -> vmail. */
	for (size_t i = 0; i < 4; i++) {
		T_EQ_INT(run_ctx(&act_domain, names[i], net_ctx()), EXPAND_OK);
		T_EQ_INT(env.ndeliveries, 1);
		d = &env.deliveries[0];
		T_EQ_INT(d->state, DSTATE_PENDING);
		T_EQ_INT(d->method, DELIVER_MAILDIR);
		T_EQ_STR(d->account, me);
		T_EQ_STR(d->dest, "user@mtkn.jp");
		T_EQ_STR(d->path, "/var/vmail/mtkn.jp/user");
		T_EQ_STR(d->action, "domain");
		T_ASSERT(strcasecmp(d->rcpt, names[i]) == 0);
	}
	T_EQ_INT(run_ctx(&act_domain, "user@mtkn.jp", net_ctx()), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].rcpt, "user@mtkn.jp");
	T_EQ_STR(env.deliveries[0].path, "/var/vmail/mtkn.jp/user");
	/* The format lowercases; the address keeps its case in dest. */
	T_EQ_INT(run_ctx(&act_domain, "USER@mtkn.jp", net_ctx()), EXPAND_OK);
	T_EQ_STR(env.deliveries[0].path, "/var/vmail/mtkn.jp/user");
	/*
	 * A sub-address finds the plain entry, and the mail belongs to that
	 * user: dest (and so the Maildir) is untagged, rcpt keeps the tag.
	 */
	T_EQ_INT(run_ctx(&act_domain, "user+lists@mtkn.jp", net_ctx()), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_STR(env.deliveries[0].dest, "user@mtkn.jp");
	T_EQ_STR(env.deliveries[0].path, "/var/vmail/mtkn.jp/user");
	T_EQ_STR(env.deliveries[0].rcpt, "user+lists@mtkn.jp");
}

static void
test_virtual_unknown(void)
{
	T_EQ_INT(run_ctx(&act_domain, "nobody-here@mtkn.jp", net_ctx()), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	T_ASSERT(strstr(xerr.text, "nobody-here@mtkn.jp") != NULL);
	T_ASSERT(strcasestr(xerr.text, "unknown") != NULL);
	T_EQ_INT(env.ndeliveries, 0);
}

static void
test_seed000_vusers(void)
{
	const struct delivery *d;

	T_EQ_INT(run(&act_vpop, "foo@example.dom.tld"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	d = &env.deliveries[0];
	T_EQ_INT(d->method, DELIVER_MAILDIR);
	T_EQ_STR(d->account, me);
	T_EQ_STR(d->path, "/usr/local/vpopmail/domains/example.dom.tld/foo/Maildir");
	T_EQ_STR(d->dest, "foo@example.dom.tld");
	T_EQ_STR(d->action, "delivery");
	T_EQ_INT(run(&act_vpop, "bar@example.dom.tld"), EXPAND_OK);
	T_EQ_STR(env.deliveries[0].path,
	    "/usr/local/vpopmail/domains/example.dom.tld/bar/Maildir");
	T_EQ_INT(run(&act_vpop, "baz@example.dom.tld"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	/* Another domain's user is not this table's user. */
	T_EQ_INT(run(&act_vpop, "foo@example.org"), EXPAND_PERMFAIL);
}

static void
test_virtual_key_order(void)
{
	/* Exact address. */
	T_EQ_INT(run(&act_catch, "alice@example.org"), EXPAND_OK);
	T_ASSERT(has(DELIVER_MAILDIR, me, NULL, "alice@example.org"));
	T_EQ_STR(env.deliveries[0].path, sf("%s/Maildir", me_home));
	/* A tag of its own wins over the plain address. */
	T_EQ_INT(run(&act_catch, "alice+work@example.org"), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.text, "This address is retired");
	/* Another tag falls back to the plain address. */
	T_EQ_INT(run(&act_catch, "alice+home@example.org"), EXPAND_OK);
	T_ASSERT(has(DELIVER_MAILDIR, me, NULL, "alice@example.org"));
	/* The bare local part comes before @domain. */
	T_EQ_INT(run(&act_catch, "bob@example.org"), EXPAND_OK);
	T_ASSERT(has(DELIVER_MAILDIR, me, NULL, "bob@example.org"));
	T_EQ_INT(run(&act_catch, "bob+x@example.org"), EXPAND_OK);
	T_ASSERT(has(DELIVER_MAILDIR, me, NULL, "bob@example.org"));
	/* A catch-all does not know the user: the address stays as given. */
	T_EQ_INT(run(&act_catch, "dave+x@other.test"), EXPAND_OK);
	T_ASSERT(has(DELIVER_MAILDIR, me, NULL, "dave+x@other.test"));
	/* @domain catches the rest of the domain ... */
	T_EQ_INT(run(&act_catch, "carol@example.org"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	T_EQ_STR(xerr.text, "No such user here");
	/* ... and @ every other domain. */
	T_EQ_INT(run(&act_catch, "dave@other.test"), EXPAND_OK);
	T_ASSERT(has(DELIVER_MAILDIR, me, NULL, "dave@other.test"));
}

static void
test_virtual_loop(void)
{
	T_EQ_INT(run_ctx(&act_vloop, "x@loop.test", net_ctx()), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.enhanced, "5.4.6");
	T_ASSERT(strstr(xerr.text, "loop") != NULL);
	T_EQ_INT(env.ndeliveries, 0);
}

static void
test_virtual_unknown_system_user(void)
{
	struct table	*t = table_new("v", TABLE_INLINE_MAP, NULL);
	struct action	 a = { .name = "v", .method = ACTION_MAILDIR, .virtual = t };
	const char	*err;

	T_ASSERT(table_add(t, "x@example.org", "no-such-system-user-zz", &err) == 0);
	T_EQ_INT(run(&a, "x@example.org"), EXPAND_TEMPFAIL);
	T_EQ_INT(xerr.code, 451);
	T_EQ_STR(xerr.enhanced, "4.3.0");
	T_ASSERT(strstr(xerr.text, "unknown system user") != NULL);
	/* The action's user option delivers as itself instead. */
	a.user = me;
	T_EQ_INT(run(&a, "x@example.org"), EXPAND_OK);
	T_ASSERT(has(DELIVER_MAILDIR, me, NULL, "x@example.org"));
	table_free(t);
}

/* ---- aliases(5) ---- */

static void
test_alias_chain(void)
{
	/* postmaster -> chief -> admin -> the user; dest stays the address. */
	T_EQ_INT(run(&act_local, "postmaster@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_INT(env.deliveries[0].method, DELIVER_MBOX);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_STR(env.deliveries[0].path, sf("/var/mail/%s", me));
	T_EQ_STR(env.deliveries[0].dest, "postmaster@localhost");
	T_EQ_STR(env.deliveries[0].rcpt, "postmaster@localhost");
	T_EQ_STR(env.deliveries[0].action, "local");
	/* Keys fold to lowercase. */
	T_EQ_INT(run(&act_local, "PostMaster@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].account, me);
}

static void
test_alias_two_users(void)
{
	T_EQ_INT(run(&act_local, "staff@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 2);
	T_EQ_STR(env.deliveries[0].account, other);
	T_EQ_STR(env.deliveries[1].account, me);
	T_EQ_STR(env.deliveries[0].rcpt, "staff@localhost");
	T_EQ_STR(env.deliveries[1].rcpt, "staff@localhost");
}

static void
test_alias_self(void)
{
	/* "nobody: nobody, /file": the user itself, not a loop, plus the copy. */
	T_EQ_INT(run(&act_local, sf("%s@localhost", other)), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 2);
	T_ASSERT(has(DELIVER_MBOX, other, sf("/var/mail/%s", other), NULL));
	T_ASSERT(has(DELIVER_MBOX, me, path_in_tmp("copy.mbox"), NULL));
}

static void
test_alias_loop(void)
{
	T_EQ_INT(run(&act_local, "loop-a@localhost"), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.enhanced, "5.4.6");
	T_EQ_INT(env.ndeliveries, 0);
}

static void
test_alias_depth(void)
{
	struct table	*t = table_new("deep", TABLE_INLINE_MAP, NULL);
	struct action	 a = { .name = "deep", .method = ACTION_MBOX, .alias = t };
	const char	*err;
	char		 k[32], v[32];

	/* d0 -> d1 -> ... -> d30 -> the user: a chain, not a loop, but too deep. */
	for (int i = 0; i < 30; i++) {
		snprintf(k, sizeof(k), "d%d", i);
		snprintf(v, sizeof(v), "d%d", i + 1);
		T_ASSERT(table_add(t, k, v, &err) == 0);
	}
	T_ASSERT(table_add(t, "d30", me, &err) == 0);
	T_EQ_INT(run(&a, "d0@localhost"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.4.6");
	/* Eleven links are fine. */
	T_EQ_INT(run(&a, "d20@localhost"), EXPAND_OK);
	T_ASSERT(has(DELIVER_MBOX, me, NULL, "d20@localhost"));
	table_free(t);
}

static void
test_alias_remote(void)
{
	/* Routed again: the local enqueuer may relay (seed 001's rules) ... */
	T_EQ_INT(run(&act_local, "remote@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_INT(env.deliveries[0].method, DELIVER_RELAY);
	T_EQ_STR(env.deliveries[0].path, "remote.example");
	T_EQ_STR(env.deliveries[0].dest, "someone@remote.example");
	T_EQ_STR(env.deliveries[0].action, "relay");
	T_EQ_STR(env.deliveries[0].rcpt, "remote@localhost");
	T_ASSERT(env.deliveries[0].account == NULL);
	T_EQ_INT(run(&act_local, "mixed@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 2);
	T_ASSERT(has(DELIVER_MBOX, me, NULL, "mixed@localhost"));
	T_ASSERT(has(DELIVER_RELAY, NULL, "remote.example", "someone@remote.example"));

	/* ... a client from outside may not: the whole recipient is refused. */
	T_EQ_INT(run_ctx(&act_local, "mixed@localhost", net_ctx()), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.enhanced, "5.7.1");
	T_ASSERT(strstr(xerr.text, "someone@remote.example") != NULL);
	T_EQ_INT(env.ndeliveries, 0);

	/* With "match from any for any action relay", it may. */
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_FOR_ANY });
	T_EQ_INT(run_ctx(&act_local, "remote@localhost", net_ctx()), EXPAND_OK);
	T_ASSERT(has(DELIVER_RELAY, NULL, "remote.example", "someone@remote.example"));

	/* A reject rule for the target refuses it too. */
	rules_clear();
	RULE(NULL, { .type = COND_FROM_ANY }, { .type = COND_FOR_DOMAIN,
	    .value = "remote.example" });
	RULE(&act_relay, { .type = COND_FROM_ANY }, { .type = COND_FOR_ANY });
	T_EQ_INT(run(&act_local, "remote@localhost"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.7.1");
	default_rules();
}

static void
test_alias_errors(void)
{
	T_EQ_INT(run(&act_local, "gone@localhost"), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	T_EQ_STR(xerr.text, "This user has left the company");

	T_EQ_INT(run(&act_local, "busy@localhost"), EXPAND_TEMPFAIL);
	T_EQ_INT(xerr.code, 452);
	T_EQ_STR(xerr.enhanced, "4.2.2");
	T_EQ_STR(xerr.text, "Mailbox full");

	/* Without an enhanced code, the class's generic one. */
	T_EQ_INT(run(&act_local, "oldstyle@localhost"), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.enhanced, "5.0.0");
	T_EQ_STR(xerr.text, "Go away");

	/* Malformed entries are the admin's to fix: the mail waits. */
	T_EQ_INT(run(&act_local, "badcode@localhost"), EXPAND_TEMPFAIL);
	T_EQ_INT(xerr.code, 451);
	T_EQ_STR(xerr.enhanced, "4.3.0");
	T_EQ_INT(run(&act_local, "noerrtext@localhost"), EXPAND_TEMPFAIL);
	T_EQ_STR(xerr.enhanced, "4.3.0");
	/* The audit's entry: a reply the session would have taken for a broken invariant. */
	T_EQ_INT(run(&act_local, "leadzero@localhost"), EXPAND_TEMPFAIL);
	T_EQ_INT(xerr.code, 451);
	T_EQ_STR(xerr.enhanced, "4.3.0");
	T_EQ_INT(run(&act_local, "bad-addr@localhost"), EXPAND_TEMPFAIL);
	T_EQ_STR(xerr.enhanced, "4.3.0");
	T_EQ_INT(env.ndeliveries, 0);
}

static void
test_alias_unknown(void)
{
	/* No entry: the local part must be a system user. */
	T_EQ_INT(run(&act_local, "no-such-user-q@localhost"), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	T_ASSERT(strcasestr(xerr.text, "unknown") != NULL);
	/* An entry naming a user who does not exist. */
	T_EQ_INT(run(&act_local, "ghost@localhost"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	/* A system user without an entry. */
	T_EQ_INT(run(&act_local, sf("%s@localhost", me)), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].account, me);
}

static void
test_alias_subaddress(void)
{
	/* "sales+eu" has its own entry; other tags fall back to "sales". */
	T_EQ_INT(run(&act_local, "sales+eu@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].account, other);
	T_EQ_INT(run(&act_local, "sales+us@localhost"), EXPAND_OK);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_STR(env.deliveries[0].dest, "sales+us@localhost");
	T_EQ_INT(run(&act_local, "sales@localhost"), EXPAND_OK);
	T_EQ_STR(env.deliveries[0].account, me);
	/* A system user with a tag. */
	T_EQ_INT(run(&act_local, sf("%s+news@localhost", me)), EXPAND_OK);
	T_EQ_STR(env.deliveries[0].account, me);
}

static void
test_alias_file_pipe(void)
{
	T_EQ_INT(run(&act_local, "logfile@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_INT(env.deliveries[0].method, DELIVER_MBOX);
	T_EQ_STR(env.deliveries[0].path, path_in_tmp("log.mbox"));
	T_EQ_STR(env.deliveries[0].account, me);	/* the daemon's user */
	T_EQ_STR(env.deliveries[0].dest, "logfile@localhost");
	/* The quotes keep the comma inside the command. */
	T_EQ_INT(run(&act_local, "pipe@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_INT(env.deliveries[0].method, DELIVER_MDA);
	T_EQ_STR(env.deliveries[0].path, "/usr/bin/procmail -a one,two");
	T_EQ_STR(env.deliveries[0].account, me);
}

static void
test_alias_include(void)
{
	char	*big;
	size_t	 n = 70 * 1024;

	T_EQ_INT(run(&act_local, "list@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 3);
	T_ASSERT(has(DELIVER_MBOX, me, NULL, "list@localhost"));
	T_ASSERT(has(DELIVER_MBOX, other, NULL, "list@localhost"));
	T_ASSERT(has(DELIVER_RELAY, NULL, "remote.example", "someone@remote.example"));

	T_EQ_INT(run(&act_local, "listloop@localhost"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.4.6");

	T_EQ_INT(run(&act_local, "missing@localhost"), EXPAND_TEMPFAIL);
	T_EQ_STR(xerr.enhanced, "4.3.0");

	/* Over 64 KiB: refused, not read further. */
	big = xmalloc(n + 1);
	memset(big, '#', n);
	big[n] = '\0';
	spew(path_in_tmp("list.txt"), big);
	free(big);
	T_EQ_INT(run(&act_local, "list@localhost"), EXPAND_TEMPFAIL);
	T_EQ_STR(xerr.enhanced, "4.3.0");
	render("list.txt");
}

static void
test_duplicates(void)
{
	/* The user three ways: one delivery. */
	T_EQ_INT(run(&act_local, "dup@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].account, me);
}

static void
test_fanout(void)
{
	struct table	*t = table_new("wide", TABLE_INLINE_MAP, NULL);
	struct action	 a = { .name = "wide", .method = ACTION_MBOX, .alias = t };
	struct buf	 v;
	const char	*err;

	buf_init(&v, 0);
	for (int i = 0; i < EXPAND_FANOUT_MAX; i++)
		buf_addf(&v, "%s/f%d, ", tmpdir, i);
	T_ASSERT(table_add(t, "exact", v.data, &err) == 0);
	buf_addf(&v, "%s/one-more", tmpdir);
	T_ASSERT(table_add(t, "over", v.data, &err) == 0);
	buf_free(&v);

	T_EQ_INT(run(&a, "exact@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, EXPAND_FANOUT_MAX);
	T_EQ_INT(run(&a, "over@localhost"), EXPAND_PERMFAIL);
	T_EQ_INT(xerr.code, 550);
	T_EQ_STR(xerr.enhanced, "5.7.0");
	T_EQ_INT(env.ndeliveries, 0);
	table_free(t);
}

/* ---- no table ---- */

static void
test_plain_users(void)
{
	struct action	 a = act_plain;

	T_EQ_INT(run(&a, sf("%s@localhost", me)), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_INT(env.deliveries[0].method, DELIVER_MAILDIR);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_STR(env.deliveries[0].path, sf("%s/Maildir", me_home));
	T_EQ_STR(env.deliveries[0].action, "plain");
	/* The local part folds to lowercase and loses its tag. */
	T_EQ_INT(run(&a, sf("%s+x@localhost", me)), EXPAND_OK);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_INT(run(&a, "no-such-user-q@localhost"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	/* "user U" delivers everything as U. */
	a.user = me;
	T_EQ_INT(run(&a, "no-such-user-q@localhost"), EXPAND_OK);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_STR(env.deliveries[0].dest, "no-such-user-q@localhost");
	a.user = "no-such-system-user-zz";
	T_EQ_INT(run(&a, "anyone@localhost"), EXPAND_TEMPFAIL);
	T_EQ_STR(xerr.enhanced, "4.3.0");
}

static void
test_methods(void)
{
	struct action	 a = { .name = "m", .method = ACTION_MDA,
	    .command = "/usr/libexec/dovecot/deliver -d %{user.username} -a %{rcpt}" };
	struct action	 l = { .name = "l", .method = ACTION_LMTP, .command = "/run/lmtp.sock" };
	struct action	 r = { .name = "r", .method = ACTION_RELAY };
	struct action	 f = { .name = "f", .method = ACTION_FORWARD_ONLY, .alias = t_aliases };

	T_EQ_INT(run(&a, sf("%s@localhost", me)), EXPAND_OK);
	T_EQ_INT(env.deliveries[0].method, DELIVER_MDA);
	T_EQ_STR(env.deliveries[0].path,
	    sf("/usr/libexec/dovecot/deliver -d %s -a %s@localhost", me, me));
	T_EQ_INT(run(&l, sf("%s@localhost", me)), EXPAND_OK);
	T_EQ_INT(env.deliveries[0].method, DELIVER_LMTP);
	T_EQ_STR(env.deliveries[0].path, "/run/lmtp.sock");
	/* A relay action: the recipient as it is. */
	T_EQ_INT(run(&r, "Someone@Example.NET"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_INT(env.deliveries[0].method, DELIVER_RELAY);
	T_EQ_STR(env.deliveries[0].path, "example.net");
	T_EQ_STR(env.deliveries[0].dest, "Someone@example.net");
	/* forward-only: remote targets only. */
	T_EQ_INT(run(&f, "remote@localhost"), EXPAND_OK);
	T_EQ_INT(env.deliveries[0].method, DELIVER_RELAY);
	T_EQ_INT(run(&f, "admin@localhost"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.7.1");
}

static void
test_failure_keeps_envelope(void)
{
	struct mailaddr	 ma;
	struct match_ctx ctx = sock_ctx();
	const char	*errstr;

	envelope_free(&env);
	envelope_init(&env);
	T_ASSERT(addr_parse(&ma, "staff@localhost", 0, &errstr) == 0);
	ctx.rcpt_to = "staff@localhost";
	T_EQ_INT(expand_rcpt(&hc, &ctx, &act_local, &ma, &env, &xerr), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 2);
	/* A second recipient that fails after a first good target adds nothing. */
	T_ASSERT(addr_parse(&ma, "mixed@localhost", 0, &errstr) == 0);
	ctx = net_ctx();
	ctx.rcpt_to = "mixed@localhost";
	T_EQ_INT(expand_rcpt(&hc, &ctx, &act_local, &ma, &env, &xerr), EXPAND_PERMFAIL);
	T_EQ_INT(env.ndeliveries, 2);
	T_EQ_STR(env.deliveries[1].rcpt, "staff@localhost");
}

/* ---- the seeds' configuration files, through conf_load and the rules ---- */

static struct conf *
load_conf(const char *name)
{
	struct buf	 errors;
	struct conf	*conf;

	buf_init(&errors, 0);
	conf = conf_load(path_in_tmp(name), &errors, NULL);
	if (conf == NULL)
		fprintf(stderr, "%s", errors.data != NULL ? errors.data : "");
	buf_free(&errors);
	return conf;
}

#define NO_RULE		(-1)	/* route(): no rule, or a reject rule */

/* What a session does for one RCPT: match, then expand. */
static int
route(const struct conf *conf, struct match_ctx ctx, const char *rcpt)
{
	const struct match *m;
	struct mailaddr	 ma;
	const char	*errstr;
	char		 addr[400];

	envelope_free(&env);
	envelope_init(&env);
	memset(&xerr, 0, sizeof(xerr));
	if (addr_parse(&ma, rcpt, 0, &errstr) == -1) {
		fprintf(stderr, "bad test address %s: %s\n", rcpt, errstr);
		exit(1);
	}
	addr_format(&ma, addr, sizeof(addr));
	ctx.rcpt_to = addr;
	if ((m = ruleset_match(conf, &ctx)) == NULL || m->reject)
		return NO_RULE;
	return (int)expand_rcpt(conf, &ctx, m->action, &ma, &env, &xerr);
}

static void
test_conf_seed001(void)
{
	struct conf	*conf = load_conf("seed001.conf");
	struct match_ctx ext = net_ctx();

	T_ASSERT(conf != NULL);
	T_EQ_INT(route(conf, ext, "webmaster@mtkn.jp"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_INT(env.deliveries[0].method, DELIVER_MAILDIR);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_STR(env.deliveries[0].dest, "user@mtkn.jp");
	T_EQ_STR(env.deliveries[0].path, "/var/vmail/mtkn.jp/user");
	T_EQ_STR(env.deliveries[0].action, "domain");
	T_EQ_STR(env.deliveries[0].rcpt, "webmaster@mtkn.jp");
	T_EQ_INT(route(conf, ext, "stranger@mtkn.jp"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	/* Not ours, not authenticated: no rule. */
	T_EQ_INT(route(conf, ext, "someone@example.com"), NO_RULE);
	ext.auth_user = "user@mtkn.jp";
	T_EQ_INT(route(conf, ext, "someone@example.com"), EXPAND_OK);
	T_EQ_INT(env.deliveries[0].method, DELIVER_RELAY);
	T_EQ_STR(env.deliveries[0].action, "outbound");
	/* Local mail through the aliases file. */
	T_EQ_INT(route(conf, sock_ctx(), "postmaster@localhost"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_INT(env.deliveries[0].method, DELIVER_MBOX);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_STR(env.deliveries[0].action, "local_mail");
	conf_free(conf);
}

static void
test_conf_seed000(void)
{
	struct conf	*conf = load_conf("seed000.conf");

	T_ASSERT(conf != NULL);
	T_EQ_INT(route(conf, sock_ctx(), "foo@example.dom.tld"), EXPAND_OK);
	T_EQ_INT(env.ndeliveries, 1);
	T_EQ_STR(env.deliveries[0].account, me);
	T_EQ_STR(env.deliveries[0].path,
	    "/usr/local/vpopmail/domains/example.dom.tld/foo/Maildir");
	T_EQ_STR(env.deliveries[0].action, "delivery");
	T_EQ_INT(route(conf, sock_ctx(), "nobody-here@example.dom.tld"), EXPAND_PERMFAIL);
	T_EQ_STR(xerr.enhanced, "5.1.1");
	/*
	 * "match for domain <domains>" has no from: from local is implied, as
	 * in OpenSMTPD, so this rule takes no mail from outside.
	 */
	T_EQ_INT(route(conf, net_ctx(), "foo@example.dom.tld"), NO_RULE);
	T_EQ_INT(route(conf, sock_ctx(), "someone@example.com"), EXPAND_OK);
	T_EQ_INT(env.deliveries[0].method, DELIVER_RELAY);
	T_EQ_STR(env.deliveries[0].action, "relay");
	conf_free(conf);
}

static void
teardown(void)
{
	rules_clear();
	table_free(t_virtuals);
	table_free(t_vusers);
	table_free(t_catchall);
	table_free(t_vloop);
	table_free(t_aliases);
	for (size_t i = 0; i < NFIXTURES; i++)
		unlink(path_in_tmp(fixtures[i]));
	rmdir(tmpdir);
	free(me);
	free(me_home);
	free(other);
}

void
test_main(void)
{
	setup();
	conf_setup();
	envelope_init(&env);
	t_run("seed001_virtuals", test_seed001_virtuals);
	t_run("virtual_unknown", test_virtual_unknown);
	t_run("seed000_vusers", test_seed000_vusers);
	t_run("virtual_key_order", test_virtual_key_order);
	t_run("virtual_loop", test_virtual_loop);
	t_run("virtual_unknown_system_user", test_virtual_unknown_system_user);
	t_run("alias_chain", test_alias_chain);
	t_run("alias_two_users", test_alias_two_users);
	t_run("alias_self", test_alias_self);
	t_run("alias_loop", test_alias_loop);
	t_run("alias_depth", test_alias_depth);
	t_run("alias_remote", test_alias_remote);
	t_run("alias_errors", test_alias_errors);
	t_run("alias_unknown", test_alias_unknown);
	t_run("alias_subaddress", test_alias_subaddress);
	t_run("alias_file_pipe", test_alias_file_pipe);
	t_run("alias_include", test_alias_include);
	t_run("duplicates", test_duplicates);
	t_run("fanout", test_fanout);
	t_run("plain_users", test_plain_users);
	t_run("methods", test_methods);
	t_run("failure_keeps_envelope", test_failure_keeps_envelope);
	t_run("conf_seed001", test_conf_seed001);
	t_run("conf_seed000", test_conf_seed000);
	envelope_free(&env);
	teardown();
}
