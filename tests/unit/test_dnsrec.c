/* Unit tests for the DNS record verdicts of tegamictl dns --check and the rdata they read. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "harness.h"
#include "ctl/dnsrec.h"
#include "lib/buf.h"
#include "mail/dkim_key.h"

static void
test_rdata(void)
{
	static const unsigned char txt[] = "\x06v=spf1\x08 mx -all";
	static const unsigned char mx[] = "\x00\x0a\x04mail\x07""example\x00";
	static const unsigned char a4[] = { 198, 18, 0, 2 };
	char		 out[64];
	int		 pref;

	T_EQ_INT(dnsrec_txt(txt, sizeof(txt) - 1, out, sizeof(out)), 0);
	T_EQ_STR(out, "v=spf1 mx -all");
	/* A string running past the end, a NUL, no room: refused. */
	T_EQ_INT(dnsrec_txt((const unsigned char *)"\x09short", 6, out, sizeof(out)), -1);
	T_EQ_INT(dnsrec_txt((const unsigned char *)"\x02" "a\0", 3, out, sizeof(out)), -1);
	T_EQ_INT(dnsrec_txt(txt, sizeof(txt) - 1, out, 5), -1);
	T_EQ_INT(dnsrec_mx(mx, sizeof(mx) - 1, &pref, out, sizeof(out)), 0);
	T_EQ_INT(pref, 10);
	T_EQ_STR(out, "mail.example");
	T_EQ_INT(dnsrec_mx(mx, 2, &pref, out, sizeof(out)), -1);
	T_EQ_INT(dnsrec_addr(a4, 4, out, sizeof(out)), 0);
	T_EQ_STR(out, "198.18.0.2");
	T_EQ_INT(dnsrec_addr(a4, 3, out, sizeof(out)), -1);
}

static void
test_reverse(void)
{
	char	 out[128];

	T_EQ_INT(dnsrec_reverse_name("198.18.0.2", out, sizeof(out)), 0);
	T_EQ_STR(out, "2.0.18.198.in-addr.arpa");
	T_EQ_INT(dnsrec_reverse_name("2001:db8::1", out, sizeof(out)), 0);
	T_EQ_STR(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	T_EQ_INT(dnsrec_reverse_name("mail.example", out, sizeof(out)), -1);
}

static void
test_mx_addrs_ptr(void)
{
	struct dnsrec_result	 r;
	const char		*mx[] = { "mx2.example", "MAIL.example." };
	const char		*null[] = { "" };
	const char		*want[] = { "198.18.0.2" };
	const char		*got[] = { "198.18.0.9", "198.18.0.2" };

	dnsrec_check_mx("mail.example", mx, 2, &r);
	T_EQ_INT(r.verdict, DNSREC_OK);
	dnsrec_check_mx("mail.example", mx, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
	T_EQ_STR(r.found, "mx2.example");
	dnsrec_check_mx("mail.example", null, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
	T_ASSERT(strstr(r.why, "null MX") != NULL);
	dnsrec_check_mx("mail.example", NULL, 0, &r);
	T_EQ_INT(r.verdict, DNSREC_MISSING);
	dnsrec_check_addrs(want, 1, got, 2, &r);
	T_EQ_INT(r.verdict, DNSREC_OK);
	dnsrec_check_addrs(want, 1, got, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
	dnsrec_check_addrs(NULL, 0, got, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_OK);
	dnsrec_check_addrs(want, 1, NULL, 0, &r);
	T_EQ_INT(r.verdict, DNSREC_MISSING);
	dnsrec_check_ptr("mail.example", mx, 2, &r);
	T_EQ_INT(r.verdict, DNSREC_OK);
	dnsrec_check_ptr("mail.example", mx, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
}

static void
test_spf_dmarc(void)
{
	struct dnsrec_result	 r;
	const char		*one[] = { "google-site-verification=x", "v=spf1 mx -all" };
	const char		*two[] = { "v=spf1 mx -all", "v=spf1 a -all" };
	const char		*none[] = { "v=spf10 x", "hello" };
	const char		*dm_ok[] = { "v=DMARC1; p=none" };
	const char		*dm_bad[] = { "v=DMARC1; p=bogus" };
	const char		*dm_two[] = { "v=DMARC1; p=none", "v=DMARC1; p=reject" };
	const char		*rec = NULL;

	T_EQ_INT(dnsrec_spf_pick(one, 2, &rec, &r), 0);
	T_EQ_STR(rec, "v=spf1 mx -all");
	T_EQ_INT(dnsrec_spf_pick(two, 2, &rec, &r), -1);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
	T_EQ_INT(dnsrec_spf_pick(none, 2, &rec, &r), -1);
	T_EQ_INT(r.verdict, DNSREC_MISSING);
	dnsrec_check_dmarc(dm_ok, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_OK);
	dnsrec_check_dmarc(dm_bad, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
	dnsrec_check_dmarc(dm_two, 2, &r);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
	dnsrec_check_dmarc(none, 2, &r);
	T_EQ_INT(r.verdict, DNSREC_MISSING);
}

static char *
record_of(EVP_PKEY *k)
{
	struct buf	 b;
	const char	*err;

	buf_init(&b, 0);
	if (dkim_key_record(&b, k, &err) == -1)
		return NULL;
	return buf_release(&b);
}

static void
test_dkim(void)
{
	struct dnsrec_result	 r;
	EVP_PKEY		*k1 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY		*k2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char			*r1 = record_of(k1), *r2 = record_of(k2);
	const char		*same[] = { "junk", r1 };
	const char		*other[] = { r2 };
	const char		*junk[] = { "v=DKIM1; p=!!!" };

	T_ASSERT(r1 != NULL && r2 != NULL);
	dnsrec_check_dkim(r1, same, 2, &r);
	T_EQ_INT(r.verdict, DNSREC_OK);
	dnsrec_check_dkim(r1, other, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
	T_ASSERT(strstr(r.why, "not the signing key") != NULL);
	dnsrec_check_dkim(r1, junk, 1, &r);
	T_EQ_INT(r.verdict, DNSREC_WRONG);
	dnsrec_check_dkim(r1, NULL, 0, &r);
	T_EQ_INT(r.verdict, DNSREC_MISSING);
	free(r1);
	free(r2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

void
test_main(void)
{
	t_run("rdata", test_rdata);
	t_run("reverse names", test_reverse);
	t_run("MX, addresses, PTR", test_mx_addrs_ptr);
	t_run("SPF and DMARC", test_spf_dmarc);
	t_run("DKIM", test_dkim);
}
