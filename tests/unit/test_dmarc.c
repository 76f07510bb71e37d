/* Tests for DMARC: records, Organizational Domains from the public suffix list, alignment, discovery, policy, pct, From. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/dmarc.h"
#include "spf_zone.h"

static struct zone	 z;
static char		 asked[16][300];
static int		 nasked;

static enum dmarc_parse
parse(const char *s, struct dmarc_record *r)
{
	return dmarc_record_parse(s, strlen(s), r);
}

static void
test_record(void)
{
	struct dmarc_record	 r;

	T_EQ_INT(parse("v=DMARC1; p=reject; sp=quarantine; np=reject; pct=25; "
	    "adkim=s; aspf=s; rua=mailto:agg@example.com,mailto:x@example.net!10m; "
	    "ruf=mailto:forensic@example.com; fo=1:d; rf=afrf; ri=3600", &r), DMARC_REC_OK);
	T_EQ_INT(r.p, DMARC_POLICY_REJECT);
	T_EQ_INT(r.sp, DMARC_POLICY_QUARANTINE);
	T_EQ_INT(r.np, DMARC_POLICY_REJECT);
	T_EQ_INT(r.pct, 25);
	T_EQ_INT(r.adkim, 's');
	T_EQ_INT(r.aspf, 's');
	T_EQ_STR(r.rua, "mailto:agg@example.com,mailto:x@example.net!10m");
	T_EQ_STR(r.ruf, "mailto:forensic@example.com");
	T_EQ_STR(r.fo, "1:d");
	T_EQ_STR(r.rf, "afrf");
	T_EQ_INT(r.ri, 3600);
	T_EQ_INT(r.p_defaulted, 0);

	/* Defaults (RFC 7489 6.3), white space around tags, no final ";". */
	T_EQ_INT(parse("v = DMARC1 ;p = none", &r), DMARC_REC_OK);
	T_EQ_INT(r.p, DMARC_POLICY_NONE);
	T_EQ_INT(r.sp, DMARC_POLICY_UNSET);
	T_EQ_INT(r.np, DMARC_POLICY_UNSET);
	T_EQ_INT(r.pct, 100);
	T_EQ_INT(r.adkim, 'r');
	T_EQ_INT(r.aspf, 'r');
	T_EQ_STR(r.rua, "");
	T_EQ_STR(r.fo, "0");
	T_EQ_STR(r.rf, "afrf");
	T_EQ_INT(r.ri, 86400);

	/* Tag names and keywords in any case; unknown tags ignored; the first of a repeated tag. */
	T_EQ_INT(parse("v=DMARC1; P=Quarantine; future=yes; x; p=reject;;", &r), DMARC_REC_OK);
	T_EQ_INT(r.p, DMARC_POLICY_QUARANTINE);

	/* Invalid optional values give the defaults. */
	T_EQ_INT(parse("v=DMARC1; p=reject; pct=101; adkim=x; aspf=; fo=2; rf=a b; "
	    "ri=-1; np=maybe", &r), DMARC_REC_OK);
	T_EQ_INT(r.pct, 100);
	T_EQ_INT(r.adkim, 'r');
	T_EQ_INT(r.aspf, 'r');
	T_EQ_STR(r.fo, "0");
	T_EQ_STR(r.rf, "afrf");
	T_EQ_INT(r.ri, 86400);
	T_EQ_INT(r.np, DMARC_POLICY_UNSET);
	T_EQ_INT(parse("v=DMARC1; p=reject; pct=0", &r), DMARC_REC_OK);
	T_EQ_INT(r.pct, 0);
	T_EQ_INT(parse("v=DMARC1; p=reject; pct=0050", &r), DMARC_REC_OK);
	T_EQ_INT(r.pct, 100);

	/* 6.6.3 step 6: no valid p= (or a bad sp=) is p=none when rua= is valid, else no DMARC. */
	T_EQ_INT(parse("v=DMARC1; p=bogus; rua=mailto:a@example.com", &r), DMARC_REC_OK);
	T_EQ_INT(r.p, DMARC_POLICY_NONE);
	T_EQ_INT(r.p_defaulted, 1);
	T_EQ_INT(parse("v=DMARC1; rua=mailto:a@example.com", &r), DMARC_REC_OK);
	T_EQ_INT(r.p, DMARC_POLICY_NONE);
	T_EQ_INT(parse("v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.com", &r),
	    DMARC_REC_OK);
	T_EQ_INT(r.p, DMARC_POLICY_NONE);
	T_EQ_INT(r.sp, DMARC_POLICY_UNSET);
	T_EQ_INT(parse("v=DMARC1; p=bogus", &r), DMARC_REC_INVALID);
	T_EQ_INT(parse("v=DMARC1", &r), DMARC_REC_INVALID);
	T_EQ_INT(parse("v=DMARC1; p=reject; sp=bogus", &r), DMARC_REC_INVALID);
	T_EQ_INT(parse("v=DMARC1; p=bogus; rua=not a uri", &r), DMARC_REC_INVALID);
	T_EQ_INT(parse("v=DMARC1; p=bogus; rua=mailto:", &r), DMARC_REC_INVALID);

	/* v=DMARC1 first, DMARC1 exactly (its ABNF is case-sensitive). */
	T_EQ_INT(parse("p=reject; v=DMARC1", &r), DMARC_REC_NOT_DMARC);
	T_EQ_INT(parse("v=dmarc1; p=reject", &r), DMARC_REC_NOT_DMARC);
	T_EQ_INT(parse("v=DMARC10; p=reject", &r), DMARC_REC_NOT_DMARC);
	T_EQ_INT(parse("v=spf1 -all", &r), DMARC_REC_NOT_DMARC);
	T_EQ_INT(parse("", &r), DMARC_REC_NOT_DMARC);
	T_EQ_INT(dmarc_record_is_dmarc("V=DMARC1", 8), 1);
	T_EQ_INT(dmarc_record_is_dmarc("v=DMARC1 ;", 10), 1);
	T_EQ_INT(dmarc_record_is_dmarc("v=DMARC1x", 9), 0);
	T_EQ_INT(dmarc_record_parse("v=DMARC1; p=reject\0", 19, &r), DMARC_REC_NOT_DMARC);
}

static const char *
org(const char *d)
{
	static char	 out[300];

	if (dmarc_org_domain(d, out, sizeof(out)) == -1)
		return "(public suffix)";
	return out;
}

/* RFC 7489 3.2 with the public suffix list's ICANN section. */
static void
test_org_domain(void)
{
	T_ASSERT(dmarc_psl_load() != NULL);
	T_EQ_STR(org("mail.example.co.uk"), "example.co.uk");
	T_EQ_STR(org("example.co.uk"), "example.co.uk");
	T_EQ_STR(org("co.uk"), "(public suffix)");
	T_EQ_STR(org("uk"), "(public suffix)");
	T_EQ_STR(org("a.b.example.com"), "example.com");
	T_EQ_STR(org("example.com"), "example.com");
	T_EQ_STR(org("com"), "(public suffix)");
	T_EQ_STR(org("Mail.Example.COM."), "example.com");
	/* blogspot.com is in the private section only: an ordinary name here. */
	T_EQ_STR(org("foo.blogspot.com"), "blogspot.com");
	T_EQ_STR(org("blogspot.com"), "blogspot.com");
	/* Wildcard and exception rules: *.kawasaki.jp, !city.kawasaki.jp. */
	T_EQ_STR(org("www.city.kawasaki.jp"), "city.kawasaki.jp");
	T_EQ_STR(org("a.b.foo.kawasaki.jp"), "b.foo.kawasaki.jp");
	T_EQ_STR(org("foo.kawasaki.jp"), "(public suffix)");
	/* Unlisted top-level names: the implicit "*" rule. */
	T_EQ_STR(org("a.example.unlisted-tld"), "example.unlisted-tld");
	T_EQ_STR(org(""), "(public suffix)");
	T_EQ_STR(org("a..example.com"), "(public suffix)");
}

static void
test_alignment(void)
{
	T_EQ_INT(dmarc_aligned("mail.example.com", "example.com", 'r'), 1);
	T_EQ_INT(dmarc_aligned("mail.example.com", "example.com", 's'), 0);
	T_EQ_INT(dmarc_aligned("example.com", "news.example.com", 'r'), 1);
	T_EQ_INT(dmarc_aligned("Example.COM.", "example.com", 's'), 1);
	T_EQ_INT(dmarc_aligned("a.example.co.uk", "b.example.co.uk", 'r'), 1);
	T_EQ_INT(dmarc_aligned("example.co.uk", "other.co.uk", 'r'), 0);
	T_EQ_INT(dmarc_aligned("mail.example.co.uk", "example.co.uk", 'r'), 1);
	T_EQ_INT(dmarc_aligned("mail.example.co.uk", "example.co.uk", 's'), 0);
	/* d=com aligns with nothing (RFC 7489 3.1.1). */
	T_EQ_INT(dmarc_aligned("com", "example.com", 'r'), 0);
	T_EQ_INT(dmarc_aligned("co.uk", "example.co.uk", 'r'), 0);
	T_EQ_INT(dmarc_aligned("example.com", "example.net", 'r'), 0);
	T_EQ_INT(dmarc_aligned("evil-example.com", "example.com", 'r'), 0);
	/* ICANN section only: subdomains of a private suffix share it. */
	T_EQ_INT(dmarc_aligned("foo.blogspot.com", "bar.blogspot.com", 'r'), 1);
	T_EQ_INT(dmarc_aligned("foo.blogspot.com", "bar.blogspot.com", 's'), 0);
	T_EQ_INT(dmarc_aligned(NULL, "example.com", 'r'), 0);
	T_EQ_INT(dmarc_aligned("", "example.com", 'r'), 0);
	/* Subdomains both ways, in relaxed mode only; case and a final dot ignored. */
	T_EQ_INT(dmarc_aligned("example.com", "a.b.example.com", 'r'), 1);
	T_EQ_INT(dmarc_aligned("example.com", "a.b.example.com", 's'), 0);
	T_EQ_INT(dmarc_aligned("x.y.example.com", "a.b.example.com", 'r'), 1);
	T_EQ_INT(dmarc_aligned("MAIL.Example.Com.", "news.example.COM", 'r'), 1);
	T_EQ_INT(dmarc_aligned("news.example.com", "NEWS.EXAMPLE.COM.", 's'), 1);
	/* Organisational domains under wildcard and exception rules of the list. */
	T_EQ_INT(dmarc_aligned("a.b.foo.kawasaki.jp", "c.b.foo.kawasaki.jp", 'r'), 1);
	T_EQ_INT(dmarc_aligned("a.b.foo.kawasaki.jp", "c.d.foo.kawasaki.jp", 'r'), 0);
	T_EQ_INT(dmarc_aligned("www.city.kawasaki.jp", "city.kawasaki.jp", 'r'), 1);
	T_EQ_INT(dmarc_aligned("city.kawasaki.jp", "b.foo.kawasaki.jp", 'r'), 0);
	/* Two organisations under one multi-label suffix. */
	T_EQ_INT(dmarc_aligned("mail.example.co.uk", "mail.other.co.uk", 'r'), 0);
	T_EQ_INT(dmarc_aligned("a.example.com.au", "b.example.com.au", 'r'), 1);
}

static struct dmarc *
discover(const char *from)
{
	struct dmarc_question	 q;
	struct dmarc		*d = dmarc_start(from);

	nasked = 0;
	while (dmarc_step(d, &q) == DMARC_STEP_QUERY) {
		if (nasked == 16)
			abort();
		snprintf(asked[nasked++], sizeof(asked[0]), "%d %s", q.type, q.name);
		dmarc_answer(d, zone_answer(&z, q.name, q.type));
	}
	return d;
}

static uint32_t
fixed_rnd(void *arg)
{
	return *(uint32_t *)arg;
}

/* Discovers and evaluates with SPF for spf_domain (NULL: no pass) and DKIM passes for dkim (or NULL). */
static struct dmarc *
run(const char *from, const char *spf_domain, const char *dkim, uint32_t draw)
{
	struct dmarc		*d = discover(from);
	struct dmarc_auth	 a;
	const char		*dk[1] = { dkim };

	memset(&a, 0, sizeof(a));
	a.spf = spf_domain ? SPF_PASS : SPF_FAIL;
	a.spf_domain = spf_domain ? spf_domain : "elsewhere.example";
	a.dkim_pass = dk;
	a.ndkim = dkim ? 1 : 0;
	dmarc_evaluate(d, &a, fixed_rnd, &draw);
	return d;
}

static void
test_discovery(void)
{
	struct dmarc	*d;

	zone_clear(&z);
	zone_addf(&z, "zone\t_dmarc.example.com\tTXT\tv=DMARC1; p=reject; sp=quarantine");
	zone_addf(&z, "zone\t_dmarc.example.com\tTXT\tnot a DMARC record");
	zone_addf(&z, "zone\t_dmarc.example.co.uk\tTXT\tv=DMARC1; p=none");
	zone_addf(&z, "zone\t_dmarc.own.example.com\tTXT\tv=DMARC1; p=quarantine");

	/* Found at the From domain: one question. */
	d = discover("example.com");
	T_EQ_INT(nasked, 1);
	T_EQ_STR(asked[0], "16 _dmarc.example.com");
	T_EQ_STR(dmarc_record_domain(d), "example.com");
	dmarc_free(&d);
	T_ASSERT(d == NULL);

	/* A subdomain without a record: the Organizational Domain's. */
	d = discover("Mail.Example.COM");
	T_EQ_INT(nasked, 2);
	T_EQ_STR(asked[0], "16 _dmarc.mail.example.com");
	T_EQ_STR(asked[1], "16 _dmarc.example.com");
	T_EQ_STR(dmarc_record_domain(d), "example.com");
	T_EQ_STR(dmarc_from(d), "mail.example.com");
	dmarc_free(&d);

	/* A subdomain with its own record stops there. */
	d = discover("own.example.com");
	T_EQ_INT(nasked, 1);
	T_EQ_INT(dmarc_record(d)->p, DMARC_POLICY_QUARANTINE);
	dmarc_free(&d);

	d = discover("a.b.example.co.uk");
	T_EQ_STR(asked[1], "16 _dmarc.example.co.uk");
	T_EQ_INT(dmarc_record(d)->p, DMARC_POLICY_NONE);
	dmarc_free(&d);

	/* No record anywhere: none; the org domain asked once only when it differs. */
	d = run("example.org", "example.org", NULL, 0);
	T_EQ_INT(nasked, 1);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_NONE);
	T_ASSERT(dmarc_record(d) == NULL);
	dmarc_free(&d);
	d = discover("x.example.org");
	T_EQ_INT(nasked, 2);
	dmarc_free(&d);

	/* A From domain that is a public suffix has no Organizational Domain to ask. */
	d = discover("co.uk");
	T_EQ_INT(nasked, 1);
	dmarc_free(&d);

	/* Several records: discovery ends (step 5), reported as permerror. */
	zone_addf(&z, "zone\t_dmarc.two.example\tTXT\tv=DMARC1; p=none");
	zone_addf(&z, "zone\t_dmarc.two.example\tTXT\tv=DMARC1; p=reject");
	d = run("two.example", NULL, NULL, 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_PERMERROR);
	dmarc_free(&d);
	/* A record without a valid p= and rua=: permerror too. */
	zone_addf(&z, "zone\t_dmarc.bad.example\tTXT\tv=DMARC1; p=sometimes");
	d = run("bad.example", NULL, NULL, 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_PERMERROR);
	dmarc_free(&d);
	/* DNS trouble: temperror, at either lookup. */
	zone_addf(&z, "zone\t_dmarc.slow.example\tTIMEOUT");
	d = run("slow.example", "slow.example", NULL, 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_TEMPERROR);
	dmarc_free(&d);
	d = run("sub.slow.example", "slow.example", NULL, 0);
	T_EQ_INT(nasked, 2);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_TEMPERROR);
	dmarc_free(&d);
	/* UTF-8 From domains are looked up as A-labels; junk is a permerror. */
	d = discover("b\xc3\xbc" "cher.example");
	T_EQ_STR(asked[0], "16 _dmarc.xn--bcher-kva.example");
	dmarc_free(&d);
	d = run("exa mple.com", NULL, NULL, 0);
	T_EQ_INT(nasked, 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_PERMERROR);
	dmarc_free(&d);
}

static void
test_evaluate(void)
{
	struct dmarc	*d;

	zone_clear(&z);
	zone_addf(&z, "zone\t_dmarc.example.com\tTXT\tv=DMARC1; p=reject; sp=quarantine");
	zone_addf(&z, "zone\t_dmarc.strict.example\tTXT\tv=DMARC1; p=reject; aspf=s; adkim=s");
	zone_addf(&z, "zone\t_dmarc.nosp.example\tTXT\tv=DMARC1; p=quarantine");

	/* Aligned SPF pass, relaxed: a subdomain's MAIL FROM. */
	d = run("example.com", "bounces.example.com", NULL, 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_PASS);
	T_EQ_INT(dmarc_spf_aligned(d), 1);
	T_EQ_INT(dmarc_dkim_aligned(d), 0);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_NONE);
	dmarc_free(&d);
	/* Aligned DKIM alone. */
	d = run("example.com", NULL, "example.com", 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_PASS);
	T_EQ_INT(dmarc_dkim_aligned(d), 1);
	dmarc_free(&d);
	/* Neither aligned: fail, p= applies to the domain itself. */
	d = run("example.com", "example.net", "example.org", 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_FAIL);
	T_EQ_INT(dmarc_policy(d), DMARC_POLICY_REJECT);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_REJECT);
	dmarc_free(&d);
	/* A subdomain gets sp=; without sp=, p=. */
	d = run("news.example.com", NULL, NULL, 0);
	T_EQ_INT(dmarc_policy(d), DMARC_POLICY_QUARANTINE);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_QUARANTINE);
	dmarc_free(&d);
	d = run("news.nosp.example", NULL, NULL, 0);
	T_EQ_INT(dmarc_policy(d), DMARC_POLICY_QUARANTINE);
	dmarc_free(&d);
	/* Strict: only the exact domain. */
	d = run("strict.example", "mail.strict.example", "mail.strict.example", 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_FAIL);
	dmarc_free(&d);
	d = run("strict.example", "strict.example", NULL, 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_PASS);
	dmarc_free(&d);
	/* An SPF pass for another organisation does not count; nor does a non-pass SPF. */
	d = run("example.com", "example.com.evil.example", NULL, 0);
	T_EQ_INT(dmarc_result(d), DMARC_RESULT_FAIL);
	dmarc_free(&d);
	{
		struct dmarc_auth	 a = { .spf = SPF_SOFTFAIL, .spf_domain = "example.com" };

		d = discover("example.com");
		dmarc_evaluate(d, &a, NULL, NULL);
		T_EQ_INT(dmarc_result(d), DMARC_RESULT_FAIL);
		dmarc_free(&d);
	}
}

/* RFC 7489 6.6.4: outside the pct= sample, the next less strict policy. */
static void
test_pct(void)
{
	struct dmarc	*d;

	zone_clear(&z);
	zone_addf(&z, "zone\t_dmarc.r.example\tTXT\tv=DMARC1; p=reject; pct=30");
	zone_addf(&z, "zone\t_dmarc.q.example\tTXT\tv=DMARC1; p=quarantine; pct=30");
	zone_addf(&z, "zone\t_dmarc.z.example\tTXT\tv=DMARC1; p=reject; pct=0");
	d = run("r.example", NULL, NULL, 29);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_REJECT);
	dmarc_free(&d);
	d = run("r.example", NULL, NULL, 30);
	T_EQ_INT(dmarc_policy(d), DMARC_POLICY_REJECT);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_QUARANTINE);
	dmarc_free(&d);
	d = run("r.example", NULL, NULL, 1029);	/* draws are taken modulo 100 */
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_REJECT);
	dmarc_free(&d);
	d = run("q.example", NULL, NULL, 99);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_NONE);
	dmarc_free(&d);
	d = run("q.example", NULL, NULL, 0);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_QUARANTINE);
	dmarc_free(&d);
	d = run("z.example", NULL, NULL, 0);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_QUARANTINE);
	dmarc_free(&d);
	/* A pass is never sampled into a policy. */
	d = run("r.example", "r.example", NULL, 0);
	T_EQ_INT(dmarc_disposition(d), DMARC_POLICY_NONE);
	dmarc_free(&d);
}

/* RFC 9091: np= for From domains that do not exist. */
static void
test_np(void)
{
	struct dmarc	*d;

	zone_clear(&z);
	zone_addf(&z, "zone\t_dmarc.example.com\tTXT\tv=DMARC1; p=none; sp=quarantine; np=reject");
	zone_addf(&z, "zone\treal.example.com\tMX\t10\tmx.example.com");
	d = run("ghost.example.com", NULL, NULL, 0);
	T_EQ_INT(nasked, 5);
	T_EQ_STR(asked[2], "1 ghost.example.com");
	T_EQ_STR(asked[3], "28 ghost.example.com");
	T_EQ_STR(asked[4], "15 ghost.example.com");
	T_EQ_INT(dmarc_policy(d), DMARC_POLICY_REJECT);
	dmarc_free(&d);
	d = run("real.example.com", NULL, NULL, 0);
	T_EQ_INT(nasked, 5);
	T_EQ_INT(dmarc_policy(d), DMARC_POLICY_QUARANTINE);
	dmarc_free(&d);
	/* The domain itself: p=, no existence lookups. */
	d = run("example.com", NULL, NULL, 0);
	T_EQ_INT(nasked, 1);
	T_EQ_INT(dmarc_policy(d), DMARC_POLICY_NONE);
	dmarc_free(&d);
	/* Without np=, no existence lookups either. */
	zone_clear(&z);
	zone_addf(&z, "zone\t_dmarc.example.com\tTXT\tv=DMARC1; p=none; sp=quarantine");
	d = run("ghost.example.com", NULL, NULL, 0);
	T_EQ_INT(nasked, 2);
	T_EQ_INT(dmarc_policy(d), DMARC_POLICY_QUARANTINE);
	dmarc_free(&d);
}

static void
test_auth_results(void)
{
	struct dmarc	*d;
	struct buf	 b;

	zone_clear(&z);
	zone_addf(&z, "zone\t_dmarc.example.com\tTXT\tv=DMARC1; p=reject; pct=50");
	buf_init(&b, 0);
	d = run("example.com", "example.com", NULL, 0);
	T_EQ_INT(dmarc_auth_results(&b, d), 0);
	T_EQ_STR(b.data, "dmarc=pass (p=reject dis=none) header.from=example.com");
	dmarc_free(&d);
	buf_reset(&b);
	d = run("example.com", NULL, NULL, 70);
	T_EQ_INT(dmarc_auth_results(&b, d), 0);
	T_EQ_STR(b.data, "dmarc=fail (p=reject dis=quarantine) header.from=example.com");
	dmarc_free(&d);
	buf_reset(&b);
	d = run("example.org", NULL, NULL, 0);
	T_EQ_INT(dmarc_auth_results(&b, d), 0);
	T_EQ_STR(b.data, "dmarc=none header.from=example.org");
	dmarc_free(&d);
	buf_reset(&b);
	d = run("a\"b", NULL, NULL, 0);
	T_EQ_INT(dmarc_auth_results(&b, d), 0);
	T_EQ_STR(b.data, "dmarc=permerror (no usable From domain) header.from=\"a\\\"b\"");
	dmarc_free(&d);
	buf_free(&b);
}

static enum dmarc_from_status
from(const char *hdr, char *dom)
{
	return dmarc_from_domain(hdr, strlen(hdr), dom, 256);
}

static void
test_from(void)
{
	static const struct {
		const char		*hdr;
		enum dmarc_from_status	 st;
		const char		*domain;
	} c[] = {
		{ "From: alice@Example.COM\r\nTo: b@x\r\n\r\n", DMARC_FROM_OK, "example.com" },
		{ "From: \"Doe, John\" <john@example.com>\n\n", DMARC_FROM_OK, "example.com" },
		{ "Subject: x\nfrom : Alice <alice@a.example> (work)\n\n", DMARC_FROM_OK,
		    "a.example" },
		{ "FROM:\r\n  Alice\r\n <alice@folded.example>\r\n\r\n", DMARC_FROM_OK,
		    "folded.example" },
		{ "From: (c (nested)) alice (x) @ (y) sub . example . org\n", DMARC_FROM_OK,
		    "sub.example.org" },
		{ "From: <@relay.example,@r2.example:bob@route.example>\n", DMARC_FROM_OK,
		    "route.example" },
		{ "From: \"quoted local\"@q.example\n", DMARC_FROM_OK, "q.example" },
		{ "From: bob@one.example <bob@two.example>\n", DMARC_FROM_OK, "two.example" },
		{ "From: J\xc3\xbcrgen <j@b\xc3\xbc" "cher.example>\n", DMARC_FROM_OK,
		    "b\xc3\xbc" "cher.example" },
		{ "From: a@x.example\nResent-From: b@y.example\n", DMARC_FROM_OK, "x.example" },
		{ "From: a@x.example\n\nFrom: b@y.example\n", DMARC_FROM_OK, "x.example" },
		{ "To: a@x.example\n\n", DMARC_FROM_MISSING, "" },
		{ "From: a@x.example\r\nFrom: b@y.example\r\n\r\n", DMARC_FROM_MULTIPLE_FIELDS, "" },
		{ "From: a@x.example, b@y.example\n", DMARC_FROM_MULTIPLE_ADDRESSES, "" },
		{ "From: a@x.example, a@x.example\n", DMARC_FROM_MULTIPLE_ADDRESSES, "" },
		{ "From: Friends: a@x.example, b@y.example;\n", DMARC_FROM_MULTIPLE_ADDRESSES, "" },
		{ "From: Friends: a@x.example;\n", DMARC_FROM_OK, "x.example" },
		{ "From: undisclosed-recipients:;\n", DMARC_FROM_NO_ADDRESS, "" },
		{ "From: \n", DMARC_FROM_NO_ADDRESS, "" },
		{ "From: , ,a@x.example,\n", DMARC_FROM_OK, "x.example" },
		{ "From: alice\n", DMARC_FROM_MALFORMED, "" },
		{ "From: alice@\n", DMARC_FROM_MALFORMED, "" },
		{ "From: @x.example\n", DMARC_FROM_MALFORMED, "" },
		{ "From: a@[192.0.2.1]\n", DMARC_FROM_MALFORMED, "" },
		{ "From: a@x..example\n", DMARC_FROM_MALFORMED, "" },
		{ "From: a@x.example.\n", DMARC_FROM_MALFORMED, "" },
		{ "From: <a@x.example\n", DMARC_FROM_MALFORMED, "" },
		{ "From: a@x.example>\n", DMARC_FROM_MALFORMED, "" },
		{ "From: \"unterminated <a@x.example>\n", DMARC_FROM_MALFORMED, "" },
		{ "From: (unterminated a@x.example\n", DMARC_FROM_MALFORMED, "" },
		{ "From: <<a@x.example>>\n", DMARC_FROM_MALFORMED, "" },
		{ "From: a@x.example;\n", DMARC_FROM_MALFORMED, "" },
		{ "From: a@x\x01.example\n", DMARC_FROM_MALFORMED, "" },
		{ "From: a@x.example (\\", DMARC_FROM_MALFORMED, "" },
	};
	char	 dom[256];
	size_t	 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum dmarc_from_status	 st = from(c[i].hdr, dom);

		if (st != c[i].st || strcmp(dom, c[i].domain) != 0) {
			t_fail(__FILE__, __LINE__, "case %zu: %s \"%s\", want %s \"%s\"", i,
			    dmarc_from_status_text(st), dom,
			    dmarc_from_status_text(c[i].st), c[i].domain);
			return;
		}
	}
	/* Limits: a huge header section, a huge field, deep comments. */
	{
		static char	 big[DMARC_FROM_HEADER_MAX + 10];
		char		 deep[200];

		memset(big, 'x', sizeof(big) - 1);
		memcpy(big, "From: a@x.example\n", 18);
		T_EQ_INT(dmarc_from_domain(big, sizeof(big) - 1, dom, sizeof(dom)),
		    DMARC_FROM_MALFORMED);
		memcpy(big, "From: ", 6);
		memset(big + 6, ' ', 20000);
		memcpy(big + 20006, "a@x.example\n\n", 13);
		T_EQ_INT(dmarc_from_domain(big, 20019, dom, sizeof(dom)), DMARC_FROM_MALFORMED);
		memcpy(deep, "From: ", 6);
		memset(deep + 6, '(', 40);
		memset(deep + 46, ')', 40);
		strcpy(deep + 86, " a@x.example\n");
		T_EQ_INT(from(deep, dom), DMARC_FROM_MALFORMED);
		memset(deep + 6, '(', 20);
		memset(deep + 26, ')', 20);
		strcpy(deep + 46, " a@x.example\n");
		T_EQ_INT(from(deep, dom), DMARC_FROM_OK);
	}
	/* The domain buffer's size is respected. */
	T_EQ_INT(dmarc_from_domain("From: a@x.example\n", 18, dom, 9), DMARC_FROM_MALFORMED);
	T_EQ_INT(dmarc_from_domain("From: a@x.example\n", 18, dom, 10), DMARC_FROM_OK);
}

void
test_main(void)
{
	t_run("record", test_record);
	t_run("org_domain", test_org_domain);
	t_run("alignment", test_alignment);
	t_run("discovery", test_discovery);
	t_run("evaluate", test_evaluate);
	t_run("pct", test_pct);
	t_run("np", test_np);
	t_run("auth_results", test_auth_results);
	t_run("from", test_from);
	zone_clear(&z);
}
