/* libFuzzer target: DMARC records, From fields, Organizational Domains, and discovery with the input as every TXT answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "lib/buf.h"
#include "mail/dmarc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
record(const char *s, size_t len)
{
	struct dmarc_record	 r;
	enum dmarc_parse	 st = dmarc_record_parse(s, len, &r);

	if (st == DMARC_REC_OK && (r.p == DMARC_POLICY_UNSET ||
	    !dmarc_record_is_dmarc(s, len)))
		abort();
	if (r.pct < 0 || r.pct > 100 || (r.adkim != 'r' && r.adkim != 's') ||
	    (r.aspf != 'r' && r.aspf != 's') ||
	    memchr(r.rua, '\0', sizeof(r.rua)) == NULL ||
	    memchr(r.ruf, '\0', sizeof(r.ruf)) == NULL ||
	    memchr(r.fo, '\0', sizeof(r.fo)) == NULL ||
	    memchr(r.rf, '\0', sizeof(r.rf)) == NULL)
		abort();
}

static void
from(const char *s, size_t len)
{
	char	 dom[256], org[256];
	size_t	 i, n;

	memset(dom, 'x', sizeof(dom));
	if (dmarc_from_domain(s, len, dom, sizeof(dom)) != DMARC_FROM_OK)
		return;
	n = strlen(dom);
	if (n == 0 || n > DMARC_DOMAIN_MAX || dom[0] == '.' || dom[n - 1] == '.')
		abort();
	for (i = 0; i < n; i++)
		if ((dom[i] >= 'A' && dom[i] <= 'Z') || (unsigned char)dom[i] <= 0x20)
			abort();
	/* The Organizational Domain is a suffix of the domain, on a label boundary. */
	if (dmarc_org_domain(dom, org, sizeof(org)) == 0) {
		size_t	 o = strlen(org);

		if (o > n || strcmp(dom + n - o, org) != 0 ||
		    (o < n && dom[n - o - 1] != '.'))
			abort();
		if (!dmarc_aligned(dom, org, 'r'))
			abort();
	}
}

/* Discovery for the From domain "example.com" or its subdomain, every TXT answer being the input. */
static void
discover(const uint8_t *data, size_t len)
{
	static const unsigned char	 a4[] = { 192, 0, 2, 1 };
	struct dmarc_question		 q;
	struct dmarc_auth		 auth;
	struct dns_answer		 a;
	struct dmarc			*d;
	struct buf			 out;
	const unsigned char		*rd[1];
	int				 rdl[1], n = 0;
	unsigned char			 txt[300];
	const char			*dk[1] = { "mail.example.com" };
	uint32_t			 draw = len;

	if (len > 255)
		return;
	txt[0] = (unsigned char)len;
	memcpy(txt + 1, data, len);
	d = dmarc_start(len % 2 ? "a.b.example.com" : "example.com");
	while (dmarc_step(d, &q) == DMARC_STEP_QUERY) {
		if (++n > 8)
			abort();
		memset(&a, 0, sizeof(a));
		a.rdata = rd;
		a.rdlen = rdl;
		a.status = DNS_OK;
		a.n = 1;
		if (q.type == DNS_T_TXT) {
			rd[0] = txt;
			rdl[0] = (int)len + 1;
		} else if (len % 3 == 0) {
			a.status = DNS_NXDOMAIN;
			a.n = 0;
		} else {
			rd[0] = a4;
			rdl[0] = 4;
		}
		if (dmarc_answer(d, &a) != 0)
			abort();
	}
	memset(&auth, 0, sizeof(auth));
	auth.spf = len % 5 ? SPF_FAIL : SPF_PASS;
	auth.spf_domain = "example.com";
	auth.dkim_pass = dk;
	auth.ndkim = len % 7 == 0;
	dmarc_evaluate(d, &auth, NULL, &draw);
	if (dmarc_result(d) == DMARC_RESULT_PASS && dmarc_disposition(d) != DMARC_POLICY_NONE)
		abort();
	buf_init(&out, 0);
	if (dmarc_auth_results(&out, d) != 0)
		abort();
	buf_free(&out);
	dmarc_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	record((const char *)data, size);
	from((const char *)data, size);
	discover(data, size);
	return 0;
}
