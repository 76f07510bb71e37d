/* Tests for SPF: record syntax, macros (the RFC 7208 7.4 examples), the lookup limits, the questions asked, headers. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/spf.h"
#include "mail/spf_priv.h"
#include "spf_zone.h"

#define ASKED_MAX	64

static struct zone	 z;
static char		 asked[ASKED_MAX][320];
static int		 nasked;

static const char *
tname(int t)
{
	switch (t) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_MX:
		return "MX";
	case DNS_T_PTR:
		return "PTR";
	case DNS_T_TXT:
		return "TXT";
	}
	return "?";
}

static struct spf *
check_id(enum spf_identity id, const char *ip, const char *sender, const char *helo)
{
	struct spf_params	 p;
	struct spf_question	 q;
	unsigned char		 a[16];
	struct spf		*s;

	memset(&p, 0, sizeof(p));
	p.af = inet_pton(AF_INET, ip, a) == 1 ? AF_INET : AF_INET6;
	if (p.af == AF_INET6 && inet_pton(AF_INET6, ip, a) != 1)
		abort();
	p.identity = id;
	p.addr = a;
	p.sender = sender;
	p.helo = helo;
	p.receiver = "mx.receiver.example";
	p.now = 1700000000;
	nasked = 0;
	s = spf_start(&p);
	while (spf_step(s, &q) == SPF_STEP_QUERY) {
		if (nasked == ASKED_MAX)
			abort();	/* a check that does not end */
		snprintf(asked[nasked++], sizeof(asked[0]), "%s %s", tname(q.type),
		    q.name);
		spf_answer(s, zone_answer(&z, q.name, q.type));
	}
	return s;
}

static struct spf *
check(const char *ip, const char *sender)
{
	return check_id(SPF_ID_MAILFROM, ip, sender, "helo.example.net");
}

/* 1 when a check ends in permerror with a problem text holding why. */
static int
permerror_for(const char *ip, const char *sender, const char *why)
{
	struct spf	*s = check(ip, sender);
	int		 ok = spf_result(s) == SPF_PERMERROR && spf_problem(s) != NULL &&
		    strstr(spf_problem(s), why) != NULL;

	if (!ok)
		fprintf(stderr, "%s: %s (%s)\n", sender, spf_result_name(spf_result(s)),
		    spf_problem(s) ? spf_problem(s) : "-");
	spf_free(&s);
	return ok;
}

/* Runs a check and returns its result name; frees the state. */
static const char *
result_of(const char *ip, const char *sender)
{
	struct spf	*s = check(ip, sender);
	const char	*r = spf_result_name(spf_result(s));

	spf_free(&s);
	return r;
}

static void
test_parse(void)
{
	static const char	 rec[] = "v=spf1 +a mx/24 -ip4:192.0.2.0/24 "
	    "~ip6:2001:DB8::/32 ?exists:%{i}.x.example include:_spf.example.com "
	    "ptr:example.org  a:foo.example.com/24//64 MX//0 PTR Redirect=_spf.example.net "
	    "exp=exp.%{d} x-unknown.mod=%{c}/%{r} all ";
	struct spf_record	*r;
	const char		*errstr = NULL;
	size_t			 off, len;

	T_EQ_INT(spf_record_parse(rec, strlen(rec), &r, &errstr, &off, &len), 0);
	T_EQ_INT(r->nterms, 11);
	T_EQ_INT(r->terms[0].mech, SPF_M_A);
	T_EQ_INT(r->terms[0].qual, '+');
	T_ASSERT(r->terms[0].spec == NULL);
	T_EQ_INT(r->terms[0].cidr4, 32);
	T_EQ_INT(r->terms[0].cidr6, 128);
	T_EQ_INT(r->terms[1].mech, SPF_M_MX);
	T_EQ_INT(r->terms[1].qual, '+');
	T_EQ_INT(r->terms[1].cidr4, 24);
	T_EQ_INT(r->terms[2].mech, SPF_M_IP4);
	T_EQ_INT(r->terms[2].qual, '-');
	T_EQ_INT(r->terms[2].net[0], 192);
	T_EQ_INT(r->terms[2].net[2], 2);
	T_EQ_INT(r->terms[2].cidr4, 24);
	T_EQ_INT(r->terms[3].mech, SPF_M_IP6);
	T_EQ_INT(r->terms[3].qual, '~');
	T_EQ_INT(r->terms[3].net[0], 0x20);
	T_EQ_INT(r->terms[3].net[3], 0xb8);
	T_EQ_INT(r->terms[3].cidr6, 32);
	T_EQ_INT(r->terms[4].mech, SPF_M_EXISTS);
	T_EQ_INT(r->terms[4].qual, '?');
	T_EQ_INT(r->terms[4].speclen, strlen("%{i}.x.example"));
	T_ASSERT(strncmp(r->terms[4].spec, "%{i}.x.example", r->terms[4].speclen) == 0);
	T_EQ_INT(r->terms[5].mech, SPF_M_INCLUDE);
	T_EQ_INT(r->terms[6].mech, SPF_M_PTR);
	T_EQ_INT(r->terms[6].speclen, strlen("example.org"));
	T_EQ_INT(r->terms[7].mech, SPF_M_A);
	T_EQ_INT(r->terms[7].cidr4, 24);
	T_EQ_INT(r->terms[7].cidr6, 64);
	T_EQ_INT(r->terms[7].speclen, strlen("foo.example.com"));
	T_EQ_STR(r->terms[7].text, "a:foo.example.com/24//64");
	T_EQ_INT(r->terms[8].mech, SPF_M_MX);
	T_EQ_INT(r->terms[8].cidr4, 32);
	T_EQ_INT(r->terms[8].cidr6, 0);
	T_EQ_INT(r->terms[9].mech, SPF_M_PTR);
	T_ASSERT(r->terms[9].spec == NULL);
	T_EQ_INT(r->terms[10].mech, SPF_M_ALL);
	T_EQ_STR(r->redirect.spec, "_spf.example.net");
	T_EQ_STR(r->exp.spec, "exp.%{d}");
	T_EQ_INT(r->redirect.uses_p, 0);
	spf_record_free(&r);
	T_ASSERT(r == NULL);

	/* The version alone, in any case, with trailing spaces. */
	T_EQ_INT(spf_record_parse("V=SpF1  ", 8, &r, &errstr, &off, &len), 0);
	T_EQ_INT(r->nterms, 0);
	spf_record_free(&r);
	T_EQ_INT(spf_record_parse("v=spf1 a:%{p}.example.com", 25, &r, &errstr,
	    &off, &len), 0);
	T_EQ_INT(r->terms[0].uses_p, 1);
	spf_record_free(&r);
}

static void
test_parse_errors(void)
{
	static const char	*bad[] = {
		"v=spf1 -all.", "v=spf1 -all:foo", "v=spf1 -all/8", "v=spf1 ptr/0",
		"v=spf1 a:", "v=spf1 include", "v=spf1 include:a.example/24",
		"v=spf1 exists", "v=spf1 exists:", "v=spf1 ip4", "v=spf1 ip4:1.2.3",
		"v=spf1 ip4:1.2.3.4/33", "v=spf1 ip4:01.2.3.4", "v=spf1 ip4:1.2.3.4/032",
		"v=spf1 ip4:1.2.3.256", "v=spf1 ip4:1.2.3.4:8080", "v=spf1 ip4:1.2.3.4//32",
		"v=spf1 ip6:::1/129", "v=spf1 ip6::CAFE::BABE", "v=spf1 ip6:::1//33",
		"v=spf1 ip6", "v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/24/64",
		"v=spf1 mx/", "v=spf1 a:example.com:8080", "v=spf1 a:museum",
		"v=spf1 a:museum.", "v=spf1 a:abc.123", "v=spf1 a:example.-com",
		"v=spf1 a:111.222.33.44", "v=spf1 a:foo-bar", "v=spf1 exp=",
		"v=spf1 redirect=", "v=spf1 exp=a.example exp=b.example",
		"v=spf1 redirect=a.example redirect=a.example", "v=spf1 redirect=-all",
		"v=spf1 exp=-all", "v=spf1 1up=foo", "v=spf1 =all", "v=spf1 foo=%abc",
		"v=spf1 foo=%", "v=spf1 a:%{a}.example.com", "v=spf1 a:%{d0}.example.com",
		"v=spf1 a:%{d.example.com", "v=spf1 exp=%{r}.example.com",
		"v=spf1 a:%{c}.example.com", "v=spf1 exists:%(ir).sbl.example.com",
		"v=spf1 moo", "v=spf1 a:x.example.com\rptr", "v=spf1 \x80" "a",
		"v=spf1 a:example.net \x96" "all", "v=spf1 redirect:a.example.com",
		"v=spf1 -redirect=a.example.com", "v=spf1 moo.cow/far_out=man:dog/cat",
		"v=spf1 a:%{d}.", "v=spf1 a:foo.%{d}.",
		"v=spf1\ta", "v=spf10", "spf1 a", "",
	};
	struct spf_record	*r;
	const char		*errstr;
	size_t			 i, off, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errstr = NULL;
		if (spf_record_parse(bad[i], strlen(bad[i]), &r, &errstr, &off,
		    &len) != -1) {
			t_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
			spf_record_free(&r);
			return;
		}
		T_ASSERT(r == NULL && errstr != NULL);
		T_ASSERT(off + len <= strlen(bad[i]));
	}
	/* A NUL inside the record (RFC 7208 3: text only). */
	T_EQ_INT(spf_record_parse("v=spf1 a:foo.example.com\0", 25, &r, &errstr,
	    &off, &len), -1);
	/* The offending term is pointed at. */
	T_EQ_INT(spf_record_parse("v=spf1 a moo -all", 17, &r, &errstr, &off, &len), -1);
	T_EQ_INT(off, 9);
	T_EQ_INT(len, 3);
	T_EQ_STR(errstr, "unknown mechanism");
}

/* RFC 7208 7.4, with the values it gives. */
static const struct spf_macro_env rfc_env = {
	.s = "strong-bad@email.example.com", .l = "strong-bad",
	.o = "email.example.com", .d = "email.example.com", .i = "192.0.2.3",
	.p = "mx.example.org", .v = "in-addr", .h = "mx.example.org",
	.c = "192.0.2.3", .r = "receiver.example", .t = "1700000000",
};

static const char *
expand(const char *s, enum spf_macro_kind kind, const struct spf_macro_env *env)
{
	static char	 out[1024];
	struct buf	 b;
	const char	*errstr;

	buf_init(&b, 0);
	if (spf_macro_expand(&b, s, strlen(s), kind, env, &errstr) == -1)
		snprintf(out, sizeof(out), "ERROR %s", errstr);
	else
		snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	buf_free(&b);
	return out;
}

static void
test_macro_rfc_examples(void)
{
	static const struct {
		const char	*in, *out;
	} ex[] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		    "example.com.trusted-domains.example.net" },
		/* More of section 7: escapes, case, other letters. */
		{ "%%%_%-", "% %20" },
		{ "%{p2}", "example.org" },
		{ "%{h}", "mx.example.org" },
		{ "%{D2R}", "example.email" },
		{ "%{l100}", "strong-bad" },
		{ "%{l1-}", "bad" },
		{ "%{s=.-}", "strong.bad@email.example.com" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++)
		T_EQ_STR(expand(ex[i].in, SPF_MACRO_DOMAIN, &rfc_env), ex[i].out);
	/* c, r, t only in explanations (RFC 7208 7.2). */
	T_EQ_STR(expand("%{c} %{r} %{t}", SPF_MACRO_EXPLAIN, &rfc_env),
	    "192.0.2.3 receiver.example 1700000000");
	T_ASSERT(strncmp(expand("%{c}", SPF_MACRO_DOMAIN, &rfc_env), "ERROR", 5) == 0);
	/* SP only in explanations. */
	T_ASSERT(strncmp(expand("a b", SPF_MACRO_DOMAIN, &rfc_env), "ERROR", 5) == 0);
}

static void
test_macro_url_escape(void)
{
	struct spf_macro_env	 e = rfc_env;

	/* RFC 7208 7.3: upper-case letters URL-escape all but the unreserved set. */
	e.l = "~jack&jill=up-a_b3.c";
	T_EQ_STR(expand("l=%{L}", SPF_MACRO_EXPLAIN, &e), "l=~jack%26jill%3Dup-a_b3.c");
	e.l = "a b/c%d\xc3\xa9";
	T_EQ_STR(expand("%{L}", SPF_MACRO_EXPLAIN, &e), "a%20b%2Fc%25d%C3%A9");
	/* Transformers apply before escaping. */
	T_EQ_STR(expand("%{L1r/}", SPF_MACRO_EXPLAIN, &e), "a%20b");
	/* An empty part between delimiters stays empty. */
	e.l = "a--b";
	T_EQ_STR(expand("%{l-}", SPF_MACRO_DOMAIN, &e), "a..b");
	T_EQ_STR(expand("%{l2-}", SPF_MACRO_DOMAIN, &e), ".b");
}

static void
test_macro_check(void)
{
	static const char	*good[] = {
		"example.com", "example.com.", "%{d}", "foo.%{d}", "%{ir}.%{v}.x.example",
		"a.xn--zckzah", "foo:bar/baz.example.com", ".com", "x.1-2", "%{d}%%", "x.%%",
		"x%-", "%{l}.%{d2}.x9",
	};
	static const char	*bad[] = {
		"", "com", "com.", "example.123", "example.-com", "example.com-",
		"example.c_m", "%{d}.", "foo.c%{d}m", "x.%%.", "a..", "%", "%x", "%{",
		"%{d", "%{dr", "%{x}", "%{d0}", "%{t}.com", "a b.com",
	};
	const char	*errstr;
	size_t		 i;
	int		 p;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (spf_macro_check(good[i], strlen(good[i]), SPF_MACRO_DOMAIN, &p,
		    &errstr) != 0) {
			t_fail(__FILE__, __LINE__, "refused %s: %s", good[i], errstr);
			return;
		}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (spf_macro_check(bad[i], strlen(bad[i]), SPF_MACRO_DOMAIN, &p,
		    &errstr) == 0) {
			t_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
			return;
		}
	T_EQ_INT(spf_macro_check("Why %{c} %{r} %{t} %{P}", 23, SPF_MACRO_EXPLAIN,
	    &p, &errstr), 0);
	T_EQ_INT(p, 1);
	T_EQ_INT(spf_macro_check("a\x7f", 2, SPF_MACRO_EXPLAIN, &p, &errstr), -1);
}

static const char *
finish_name(const char *in)
{
	static char	 out[600];
	struct buf	 b;

	buf_init(&b, 0);
	buf_adds(&b, in);
	if (spf_name_finish(&b) == -1)
		snprintf(out, sizeof(out), "MALFORMED");
	else
		snprintf(out, sizeof(out), "%s", b.data);
	buf_free(&b);
	return out;
}

static void
test_name_finish(void)
{
	char	 label[64], name[600];
	int	 i;

	T_EQ_STR(finish_name("example.com."), "example.com");
	T_EQ_STR(finish_name("example.com"), "example.com");
	T_EQ_STR(finish_name("a..example.com"), "MALFORMED");
	T_EQ_STR(finish_name("."), "MALFORMED");
	T_EQ_STR(finish_name(""), "MALFORMED");
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.example.com", label);
	T_EQ_STR(finish_name(name), name);
	snprintf(name, sizeof(name), "b%s.example.com", label);
	T_EQ_STR(finish_name(name), "MALFORMED");
	/* RFC 7208 7.3: over 253 octets, labels go from the left. */
	name[0] = '\0';
	for (i = 0; i < 9; i++)
		strcat(name, "abcdefghijklmnopqrstuvwxyz.");
	strcat(name, "example.com");	/* 9 * 27 + 11 = 254 */
	T_EQ_STR(finish_name(name), name + 27);
	T_EQ_INT(strlen(finish_name(name)), 227);
}

static void
test_name_escape(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	T_EQ_INT(spf_name_escape(&b, "a\\b c.ex\x01" "ample.com"), 0);
	T_EQ_STR(b.data, "a\\\\b\\032c.ex\\001ample.com");
	buf_free(&b);
}

/* The questions a check asks, in order, and that exp= is asked only for a fail. */
static void
test_questions(void)
{
	struct spf	*s;

	zone_clear(&z);
	zone_addf(&z, "zone\texample.com\tTXT\tv=spf1 a mx -all exp=why.example.com");
	zone_addf(&z, "zone\texample.com\tA\t192.0.2.1");
	zone_addf(&z, "zone\texample.com\tMX\t10\tmx1.example.com");
	zone_addf(&z, "zone\texample.com\tMX\t20\tmx2.example.com");
	zone_addf(&z, "zone\tmx1.example.com\tA\t192.0.2.10");
	zone_addf(&z, "zone\tmx2.example.com\tA\t192.0.2.20");
	zone_addf(&z, "zone\twhy.example.com\tTXT\t%{i} is not one of %{d}'s servers");

	s = check("192.0.2.20", "alice@example.com");
	T_EQ_INT(spf_result(s), SPF_PASS);
	T_EQ_STR(spf_mechanism(s), "mx");
	T_ASSERT(spf_explanation(s) == NULL);
	T_EQ_INT(nasked, 5);
	T_EQ_STR(asked[0], "TXT example.com");
	T_EQ_STR(asked[1], "A example.com");
	T_EQ_STR(asked[2], "MX example.com");
	T_EQ_STR(asked[3], "A mx1.example.com");
	T_EQ_STR(asked[4], "A mx2.example.com");
	spf_free(&s);

	s = check("192.0.2.99", "alice@example.com");
	T_EQ_INT(spf_result(s), SPF_FAIL);
	T_EQ_STR(spf_mechanism(s), "-all");
	T_EQ_STR(spf_explanation(s), "192.0.2.99 is not one of example.com's servers");
	T_EQ_INT(nasked, 6);
	T_EQ_STR(asked[5], "TXT why.example.com");
	spf_free(&s);

	/* An IPv6 client asks AAAA; its %{i} is dot-format nibbles. */
	s = check("2001:db8::cb01", "alice@example.com");
	T_EQ_INT(spf_result(s), SPF_FAIL);
	T_EQ_STR(asked[1], "AAAA example.com");
	T_EQ_STR(spf_explanation(s), "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.c.b.0.1 is not one of example.com's servers");
	spf_free(&s);
}

/* RFC 7208 7.4's IPv4 and IPv6 examples, as names really asked. */
static void
test_macro_questions(void)
{
	struct spf	*s;

	zone_clear(&z);
	zone_addf(&z, "zone\temail.example.com\tTXT\tv=spf1 exists:%{ir}.%{v}._spf.%{d2} "
	    "exists:%{lr-}.lp.%{ir}.%{v}._spf.%{d2} -all");
	s = check("192.0.2.3", "strong-bad@email.example.com");
	T_EQ_INT(spf_result(s), SPF_FAIL);
	T_EQ_INT(nasked, 3);
	T_EQ_STR(asked[1], "A 3.2.0.192.in-addr._spf.example.com");
	T_EQ_STR(asked[2], "A bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	spf_free(&s);
	s = check("2001:db8::cb01", "strong-bad@email.example.com");
	T_EQ_STR(asked[1], "A 1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d."
	    "0.1.0.0.2.ip6._spf.example.com");
	spf_free(&s);
}

/* Builds "v=spf1 " + n copies of term + tail. */
static void
record_of(char *out, size_t len, int n, const char *term, const char *tail)
{
	int	 i;

	snprintf(out, len, "zone\tlimit.example\tTXT\tv=spf1");
	for (i = 0; i < n; i++) {
		strncat(out, " ", len - strlen(out) - 1);
		strncat(out, term, len - strlen(out) - 1);
	}
	strncat(out, " ", len - strlen(out) - 1);
	strncat(out, tail, len - strlen(out) - 1);
}

/* limit.example with rec, including i1 (4 mx), i2 (ptr), redirecting to r (4 a). */
static void
limit_zone(const char *rec)
{
	char	 line[300];

	zone_clear(&z);
	snprintf(line, sizeof(line), "zone\tlimit.example\tTXT\t%s", rec);
	zone_addf(&z, line);
	zone_addf(&z, "zone\ti1.example\tTXT\tv=spf1 mx:host.example mx:host.example "
	    "mx:host.example mx:host.example");
	zone_addf(&z, "zone\ti2.example\tTXT\tv=spf1 ptr");
	zone_addf(&z, "zone\thost.example\tMX\t0\thost.example");
	zone_addf(&z, "zone\thost.example\tA\t192.0.2.1");
	zone_addf(&z, "zone\t99.2.0.192.in-addr.arpa\tPTR\thost.example");
	zone_addf(&z, "zone\tr.example\tTXT\tv=spf1 a:host.example a:host.example "
	    "a:host.example a:host.example ip4:192.0.2.99");
}

/* RFC 7208 4.6.4: 10 DNS-querying terms; ip4, ip6, all and exp= do not count. */
static void
test_lookup_limit(void)
{
	char	 rec[2048];

	zone_clear(&z);
	zone_addf(&z, "zone\thost.example\tA\t192.0.2.1");
	record_of(rec, sizeof(rec), 10, "a:host.example", "ip4:192.0.2.99 -all");
	zone_addf(&z, rec);
	T_EQ_STR(result_of("192.0.2.99", "x@limit.example"), "pass");
	zone_clear(&z);
	zone_addf(&z, "zone\thost.example\tA\t192.0.2.1");
	record_of(rec, sizeof(rec), 11, "a:host.example", "ip4:192.0.2.99 -all");
	zone_addf(&z, rec);
	T_ASSERT(permerror_for("192.0.2.99", "x@limit.example", "more than 10 DNS-querying"));
	/* Counted as evaluated: the 11th is never reached when an earlier term matches. */
	T_EQ_STR(result_of("192.0.2.1", "x@limit.example"), "pass");
	/* ip4, ip6 and all do not count. */
	zone_clear(&z);
	zone_addf(&z, "zone\thost.example\tA\t192.0.2.1");
	record_of(rec, sizeof(rec), 10, "a:host.example ip4:10.0.0.1 ip6:2001:db8::1",
	    "ip4:192.0.2.99 -all");
	zone_addf(&z, rec);
	T_EQ_STR(result_of("192.0.2.99", "x@limit.example"), "pass");
	/* Includes and redirects count, across the whole check. */
	limit_zone("v=spf1 include:i1.example redirect=r.example");
	/* 1 include + 4 mx + 1 redirect + 4 a = 10 */
	T_EQ_STR(result_of("192.0.2.99", "x@limit.example"), "pass");
	limit_zone("v=spf1 include:i1.example include:i2.example redirect=r.example");
	T_ASSERT(permerror_for("192.0.2.99", "x@limit.example", "more than 10 DNS-querying"));
}

/* RFC 7208 4.6.4: more than two lookups that find nothing is a permerror. */
static void
test_void_limit(void)
{
	zone_clear(&z);
	zone_addf(&z, "zone\tv.example\tTXT\tv=spf1 a:n1.example mx:n2.example ?all");
	zone_addf(&z, "zone\tn2.example\tA\t192.0.2.1");	/* exists, no MX: NODATA */
	T_EQ_STR(result_of("192.0.2.9", "x@v.example"), "neutral");
	zone_clear(&z);
	zone_addf(&z, "zone\tv.example\tTXT\tv=spf1 a:n1.example mx:n2.example "
	    "exists:n3.example ?all");
	T_ASSERT(permerror_for("192.0.2.9", "x@v.example", "more than 2 void lookups"));
	/* A lookup that finds records is not void, even without a match. */
	zone_clear(&z);
	zone_addf(&z, "zone\tv.example\tTXT\tv=spf1 a:n1.example a:n2.example "
	    "a:h.example a:h.example a:h.example ?all");
	zone_addf(&z, "zone\th.example\tA\t192.0.2.1");
	T_EQ_STR(result_of("192.0.2.9", "x@v.example"), "neutral");
	/* exp= lookups do not count (RFC 7208 6.2). */
	zone_clear(&z);
	zone_addf(&z, "zone\tv.example\tTXT\tv=spf1 a:n1.example a:n2.example "
	    "exp=n3.example -all");
	T_EQ_STR(result_of("192.0.2.9", "x@v.example"), "fail");
}

/* RFC 7208 4.6.4: at most 10 MX names (more: permerror), 10 PTR names (more: ignored). */
static void
test_mx_ptr_limits(void)
{
	char	 line[200];
	int	 i;

	zone_clear(&z);
	zone_addf(&z, "zone\tm.example\tTXT\tv=spf1 mx -all");
	for (i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "zone\tm.example\tMX\t%d\tmx%d.m.example", i, i);
		zone_addf(&z, line);
	}
	zone_addf(&z, "zone\tmx9.m.example\tA\t192.0.2.9");
	T_EQ_STR(result_of("192.0.2.9", "x@m.example"), "pass");
	zone_addf(&z, "zone\tm.example\tMX\t10\tmx10.m.example");
	T_ASSERT(permerror_for("192.0.2.9", "x@m.example", "more than 10 MX records"));

	zone_clear(&z);
	zone_addf(&z, "zone\tp.example\tTXT\tv=spf1 ptr -all");
	for (i = 0; i < 11; i++) {
		snprintf(line, sizeof(line), "zone\t9.2.0.192.in-addr.arpa\tPTR\t"
		    "h%d.p.example", i);
		zone_addf(&z, line);
		snprintf(line, sizeof(line), "zone\th%d.p.example\tA\t192.0.2.%d", i,
		    i == 10 ? 9 : 100 + i);
		zone_addf(&z, line);
	}
	/* The only name that validates is the 11th: ignored. */
	T_EQ_STR(result_of("192.0.2.9", "x@p.example"), "fail");
	zone_addf(&z, "zone\th3.p.example\tA\t192.0.2.9");
	T_EQ_STR(result_of("192.0.2.9", "x@p.example"), "pass");
}

static void
test_dns_errors(void)
{
	struct spf	*s;

	zone_clear(&z);
	zone_addf(&z, "zone\tt.example\tTIMEOUT");
	T_EQ_STR(result_of("192.0.2.1", "x@t.example"), "temperror");
	zone_clear(&z);
	zone_addf(&z, "zone\tt.example\tTXT\tv=spf1 a:slow.example -all");
	zone_addf(&z, "zone\tslow.example\tTIMEOUT");
	s = check("192.0.2.1", "x@t.example");
	T_EQ_INT(spf_result(s), SPF_TEMPERROR);
	T_ASSERT(spf_problem(s) != NULL && strstr(spf_problem(s), "slow.example") != NULL);
	spf_free(&s);
	/* RFC 7208 5.5: a PTR error is no match; an A error skips the name. */
	zone_clear(&z);
	zone_addf(&z, "zone\tt.example\tTXT\tv=spf1 ptr ?all");
	zone_addf(&z, "zone\t1.2.0.192.in-addr.arpa\tTIMEOUT");
	T_EQ_STR(result_of("192.0.2.1", "x@t.example"), "neutral");
	zone_clear(&z);
	zone_addf(&z, "zone\tt.example\tTXT\tv=spf1 ptr ?all");
	zone_addf(&z, "zone\t1.2.0.192.in-addr.arpa\tPTR\ta.t.example");
	zone_addf(&z, "zone\t1.2.0.192.in-addr.arpa\tPTR\tb.t.example");
	zone_addf(&z, "zone\ta.t.example\tTIMEOUT");
	zone_addf(&z, "zone\tb.t.example\tA\t192.0.2.1");
	s = check("192.0.2.1", "x@t.example");
	T_EQ_INT(spf_result(s), SPF_PASS);
	T_EQ_STR(spf_mechanism(s), "ptr");
	spf_free(&s);
	/* An include's temperror and permerror are the check's. */
	zone_clear(&z);
	zone_addf(&z, "zone\tt.example\tTXT\tv=spf1 include:i.example ?all");
	zone_addf(&z, "zone\ti.example\tTIMEOUT");
	T_EQ_STR(result_of("192.0.2.1", "x@t.example"), "temperror");
	zone_clear(&z);
	zone_addf(&z, "zone\tt.example\tTXT\tv=spf1 include:i.example ?all");
	T_EQ_STR(result_of("192.0.2.1", "x@t.example"), "permerror");
}

static void
test_records(void)
{
	struct spf	*s;

	/* TXT strings are joined with nothing between (RFC 7208 3.3). */
	zone_clear(&z);
	zone_addf(&z, "zone\tr.example\tTXT\tv=spf1 ip4:192.0.2.1\t/32 -all");
	zone_addf(&z, "zone\tr.example\tTXT\tsome other text");
	T_EQ_STR(result_of("192.0.2.1", "x@r.example"), "pass");
	/* Two SPF records: permerror (4.5); "v=spf10" is not one. */
	zone_addf(&z, "zone\tr.example\tTXT\tv=spf1 -all");
	T_EQ_STR(result_of("192.0.2.1", "x@r.example"), "permerror");
	zone_clear(&z);
	zone_addf(&z, "zone\tr.example\tTXT\tv=spf10 -all");
	T_EQ_STR(result_of("192.0.2.1", "x@r.example"), "none");
	/* A syntax error after the matching term is still an error (4.6). */
	zone_clear(&z);
	zone_addf(&z, "zone\tr.example\tTXT\tv=spf1 ip4:192.0.2.1 -all moo");
	s = check("192.0.2.1", "x@r.example");
	T_EQ_INT(spf_result(s), SPF_PERMERROR);
	T_ASSERT(strstr(spf_problem(s), "moo") != NULL);
	spf_free(&s);
	/* A record over the size limit. */
	{
		static char	 big[SPF_RECORD_MAX + 100];
		size_t		 n;

		strcpy(big, "zone\tr.example\tTXT\tv=spf1");
		while ((n = strlen(big)) < sizeof(big) - 20)
			memcpy(big + n, " ip4:10.0.0.1", 14);
		zone_clear(&z);
		zone_addf(&z, big);
		T_EQ_STR(result_of("192.0.2.1", "x@r.example"), "permerror");
	}
}

/* RFC 7208 4.3: domains check_host() does not look up; names converted to A-labels. */
static void
test_initial(void)
{
	struct spf	*s;
	char		 name[300];

	zone_clear(&z);
	T_EQ_STR(result_of("192.0.2.1", "x@localhost"), "none");
	T_EQ_INT(nasked, 0);
	T_EQ_STR(result_of("192.0.2.1", "x@[192.0.2.1]"), "none");
	T_EQ_STR(result_of("192.0.2.1", "x@a..example"), "none");
	T_EQ_STR(result_of("192.0.2.1", "x@a b.example"), "none");
	memset(name, 'a', 64);
	strcpy(name + 64, ".example");
	T_EQ_STR(result_of("192.0.2.1", name), "none");
	T_EQ_INT(nasked, 0);
	/* One trailing dot is fine. */
	zone_addf(&z, "zone\texample.org\tTXT\tv=spf1 -all");
	T_EQ_STR(result_of("192.0.2.1", "x@example.org."), "fail");
	/* UTF-8 domains are looked up as A-labels. */
	zone_addf(&z, "zone\txn--bcher-kva.example\tTXT\tv=spf1 +all");
	s = check("192.0.2.1", "x@b\xc3\xbc" "cher.example");
	T_EQ_INT(spf_result(s), SPF_PASS);
	T_EQ_STR(asked[0], "TXT xn--bcher-kva.example");
	T_EQ_STR(spf_domain(s), "xn--bcher-kva.example");
	spf_free(&s);
}

/* RFC 7208 2.3, 2.4: the HELO identity, and a null reverse-path as postmaster@HELO. */
static void
test_identities(void)
{
	struct spf	*s;

	zone_clear(&z);
	zone_addf(&z, "zone\thelo.example.net\tTXT\tv=spf1 exists:%{l}.%{o}.l.example -all");
	zone_addf(&z, "zone\tpostmaster.helo.example.net.l.example\tA\t127.0.0.2");
	s = check_id(SPF_ID_HELO, "192.0.2.1", "alice@example.com", "helo.example.net");
	T_EQ_INT(spf_result(s), SPF_PASS);
	T_EQ_STR(spf_domain(s), "helo.example.net");
	spf_free(&s);
	s = check("192.0.2.1", "");
	T_EQ_INT(spf_result(s), SPF_PASS);
	T_EQ_STR(asked[0], "TXT helo.example.net");
	spf_free(&s);
	/* No local part: postmaster (4.3). */
	zone_addf(&z, "zone\tex.example\tTXT\tv=spf1 exists:%{l}.%{o}.l.example -all");
	zone_addf(&z, "zone\tpostmaster.ex.example.l.example\tA\t127.0.0.2");
	T_EQ_STR(result_of("192.0.2.1", "@ex.example"), "pass");
	T_EQ_STR(result_of("192.0.2.1", "bob@ex.example"), "fail");
}

/* RFC 7208 5: an IPv4-mapped IPv6 client is an IPv4 client. */
static void
test_mapped(void)
{
	zone_clear(&z);
	zone_addf(&z, "zone\tm.example\tTXT\tv=spf1 ip6:::ffff:0:0/96 ip4:192.0.2.0/24 -all");
	T_EQ_STR(result_of("::ffff:192.0.2.7", "x@m.example"), "pass");
	T_EQ_STR(result_of("::ffff:198.51.100.7", "x@m.example"), "fail");
	zone_clear(&z);
	zone_addf(&z, "zone\tm.example\tTXT\tv=spf1 a -all");
	zone_addf(&z, "zone\tm.example\tA\t192.0.2.7");
	T_EQ_STR(result_of("::ffff:192.0.2.7", "x@m.example"), "pass");
	T_EQ_STR(asked[1], "A m.example");
}

/* %{p} (RFC 7208 7.3): the domain itself, then a subdomain, then any validated name. */
static void
test_p_macro(void)
{
	struct spf	*s;

	zone_clear(&z);
	zone_addf(&z, "zone\tp.example\tTXT\tv=spf1 -all exp=e.p.example");
	zone_addf(&z, "zone\te.p.example\tTXT\t%{p}");
	zone_addf(&z, "zone\t1.2.0.192.in-addr.arpa\tPTR\tother.example");
	zone_addf(&z, "zone\t1.2.0.192.in-addr.arpa\tPTR\tbad.p.example");
	zone_addf(&z, "zone\t1.2.0.192.in-addr.arpa\tPTR\tmx.p.example");
	zone_addf(&z, "zone\tother.example\tA\t192.0.2.1");
	zone_addf(&z, "zone\tbad.p.example\tA\t192.0.2.2");
	zone_addf(&z, "zone\tmx.p.example\tA\t192.0.2.1");
	s = check("192.0.2.1", "x@p.example");
	T_EQ_STR(spf_explanation(s), "mx.p.example");
	spf_free(&s);
	s = check("192.0.2.9", "x@p.example");
	T_EQ_STR(spf_explanation(s), "unknown");
	spf_free(&s);
}

static void
test_default_exp(void)
{
	struct spf_params	 p;
	struct spf_question	 q;
	unsigned char		 a[4] = { 192, 0, 2, 1 };
	struct spf		*s;

	zone_clear(&z);
	zone_addf(&z, "zone\td.example\tTXT\tv=spf1 -all");
	memset(&p, 0, sizeof(p));
	p.af = AF_INET;
	p.addr = a;
	p.sender = "bob@d.example";
	p.default_exp = "See https://www.%{d}/spf?s=%{S}&i=%{c}";
	s = spf_start(&p);
	/* Stepping twice asks the same question; an answer without one is refused. */
	T_EQ_INT(spf_step(s, &q), SPF_STEP_QUERY);
	T_EQ_STR(q.name, "d.example");
	T_EQ_INT(spf_step(s, &q), SPF_STEP_QUERY);
	T_EQ_STR(q.name, "d.example");
	T_EQ_INT(spf_answer(s, zone_answer(&z, q.name, q.type)), 0);
	T_EQ_INT(spf_step(s, &q), SPF_STEP_DONE);
	T_EQ_INT(spf_answer(s, zone_answer(&z, q.name, q.type)), -1);
	T_EQ_INT(spf_result(s), SPF_FAIL);
	T_EQ_STR(spf_explanation(s), "See https://www.d.example/spf?s=bob%40d.example&i=192.0.2.1");
	spf_free(&s);
}

/* Domain-specs may hold any visible octet: a backslash is escaped for the resolver. */
static void
test_odd_names(void)
{
	zone_clear(&z);
	zone_addf(&z, "zone\to.example\tTXT\tv=spf1 a:back\\x5cslash.o.example -all");
	zone_addf(&z, "zone\tback\\x5cslash.o.example\tA\t192.0.2.1");
	T_EQ_STR(result_of("192.0.2.1", "x@o.example"), "pass");
	T_EQ_STR(asked[1], "A back\\\\slash.o.example");
	/* A target no query can carry is no match, and no lookup. */
	zone_clear(&z);
	zone_addf(&z, "zone\to.example\tTXT\tv=spf1 a:%{l}.o.example ?all");
	T_EQ_STR(result_of("192.0.2.1", "a..b@o.example"), "neutral");
	T_EQ_INT(nasked, 1);
}

static void
test_headers(void)
{
	struct spf	*s;
	struct buf	 b;

	zone_clear(&z);
	zone_addf(&z, "zone\th.example\tTXT\tv=spf1 ip4:192.0.2.0/24 -all");
	buf_init(&b, 0);
	s = check("192.0.2.1", "alice@h.example");
	T_EQ_INT(spf_received_spf(&b, s), 0);
	T_EQ_STR(b.data, "Received-SPF: Pass (mx.receiver.example: domain of h.example "
	    "designates 192.0.2.1 as permitted sender)\r\n"
	    "\treceiver=mx.receiver.example;\r\n"
	    "\tclient-ip=192.0.2.1;\r\n"
	    "\tenvelope-from=\"alice@h.example\";\r\n"
	    "\thelo=helo.example.net;\r\n"
	    "\tmechanism=\"ip4:192.0.2.0/24\";\r\n"
	    "\tidentity=mailfrom\r\n");
	buf_reset(&b);
	T_EQ_INT(spf_auth_results(&b, s), 0);
	T_EQ_STR(b.data, "spf=pass smtp.mailfrom=h.example");
	spf_free(&s);

	buf_reset(&b);
	s = check_id(SPF_ID_HELO, "2001:db8::1", NULL, "h.example");
	T_EQ_INT(spf_auth_results(&b, s), 0);
	T_EQ_STR(b.data, "spf=fail smtp.helo=h.example");
	buf_reset(&b);
	T_EQ_INT(spf_received_spf(&b, s), 0);
	T_ASSERT(strncmp(b.data, "Received-SPF: Fail (mx.receiver.example: domain of "
	    "h.example does not designate 2001:db8::1 as permitted sender)\r\n", 107) == 0);
	T_ASSERT(strstr(b.data, "envelope-from") == NULL);
	T_ASSERT(strstr(b.data, "\tidentity=helo\r\n") != NULL);
	spf_free(&s);

	/* Foreign text cannot break out of a quoted value or the comment. */
	zone_clear(&z);
	zone_addf(&z, "zone\th.example\tTXT\tv=spf1 moo\"(x)");
	buf_reset(&b);
	s = check_id(SPF_ID_MAILFROM, "192.0.2.1", "a\"b;c@h.example", "x)y\r\nz");
	T_EQ_INT(spf_result(s), SPF_PERMERROR);
	T_EQ_INT(spf_received_spf(&b, s), 0);
	T_ASSERT(strstr(b.data, "\tenvelope-from=\"a\\\"b;c@h.example\";\r\n") != NULL);
	T_ASSERT(strstr(b.data, "\thelo=\"x)y??z\";\r\n") != NULL);
	T_ASSERT(strstr(b.data, "\tproblem=\"unknown mechanism in the record of "
	    "h.example: moo\\\"(x)\";\r\n") != NULL);
	buf_reset(&b);
	T_EQ_INT(spf_auth_results(&b, s), 0);
	T_EQ_STR(b.data, "spf=permerror smtp.mailfrom=h.example");
	spf_free(&s);
	buf_free(&b);
}

void
test_main(void)
{
	t_run("parse", test_parse);
	t_run("parse_errors", test_parse_errors);
	t_run("macro_rfc_examples", test_macro_rfc_examples);
	t_run("macro_url_escape", test_macro_url_escape);
	t_run("macro_check", test_macro_check);
	t_run("name_finish", test_name_finish);
	t_run("name_escape", test_name_escape);
	t_run("questions", test_questions);
	t_run("macro_questions", test_macro_questions);
	t_run("lookup_limit", test_lookup_limit);
	t_run("void_limit", test_void_limit);
	t_run("mx_ptr_limits", test_mx_ptr_limits);
	t_run("dns_errors", test_dns_errors);
	t_run("records", test_records);
	t_run("initial", test_initial);
	t_run("identities", test_identities);
	t_run("mapped", test_mapped);
	t_run("p_macro", test_p_macro);
	t_run("default_exp", test_default_exp);
	t_run("odd_names", test_odd_names);
	t_run("headers", test_headers);
	zone_clear(&z);
}
