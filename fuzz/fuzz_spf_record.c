/* libFuzzer target: SPF record parsing, macro expansion, and whole checks whose every TXT answer is the input. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "lib/buf.h"
#include "mail/spf.h"
#include "mail/spf_priv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every question a check can ask is bounded by RFC 7208 4.6.4's limits. */
#define QUESTIONS_MAX	200

static const struct spf_macro_env env = {
	.s = "strong-bad@email.example.com", .l = "strong-bad",
	.o = "email.example.com", .d = "email.example.com", .i = "192.0.2.3",
	.p = "mx.example.org", .v = "in-addr", .h = "mx.example.org",
	.c = "192.0.2.3", .r = "receiver.example", .t = "1700000000",
};

/* Expands a domain-spec the parser accepted: it must expand, and a finished name must be a DNS name. */
static void
expand_spec(const char *spec, size_t len)
{
	struct buf	 b;
	const char	*errstr;
	size_t		 i, lab = 0;

	buf_init(&b, 1 << 20);
	if (spf_macro_expand(&b, spec, len, SPF_MACRO_DOMAIN, &env, &errstr) == -1)
		abort();
	if (spf_name_finish(&b) == 0) {
		if (b.len == 0 || b.len > 253)
			abort();
		for (i = 0; i <= b.len; i++) {
			if (i == b.len || b.data[i] == '.') {
				if (lab == 0 || lab > 63)
					abort();
				lab = 0;
			} else
				lab++;
		}
	}
	buf_free(&b);
}

static void
parse(const char *text, size_t len)
{
	struct spf_record	*r;
	const char		*errstr = NULL;
	size_t			 off, elen, i;

	if (spf_record_parse(text, len, &r, &errstr, &off, &elen) == -1) {
		if (errstr == NULL || r != NULL || off > len || elen > len - off)
			abort();
		return;
	}
	for (i = 0; i < r->nterms; i++) {
		const struct spf_term	*t = &r->terms[i];

		if (strchr("+-~?", t->qual) == NULL || t->cidr4 < 0 || t->cidr4 > 32 ||
		    t->cidr6 < 0 || t->cidr6 > 128)
			abort();
		if (t->spec != NULL)
			expand_spec(t->spec, t->speclen);
	}
	if (r->redirect.spec != NULL)
		expand_spec(r->redirect.spec, r->redirect.len);
	if (r->exp.spec != NULL)
		expand_spec(r->exp.spec, r->exp.len);
	spf_record_free(&r);
}

static void
explain(const char *text, size_t len)
{
	struct buf	 b;
	const char	*errstr;
	int		 p;

	if (spf_macro_check(text, len, SPF_MACRO_EXPLAIN, &p, &errstr) == -1)
		return;
	buf_init(&b, 1 << 20);
	if (spf_macro_expand(&b, text, len, SPF_MACRO_EXPLAIN, &env, &errstr) == -1)
		abort();
	buf_free(&b);
}

/*
 * A zone where every name has the input as its TXT record, addresses
 * chosen by the name's first octet, two MX and two PTR names.
 */
static void
check(const unsigned char *rec, size_t len, int v6)
{
	static const unsigned char	 mx[] = { 0, 10, 2, 'm', 'x', 7, 'e', 'x',
	    'a', 'm', 'p', 'l', 'e', 0 };
	static const unsigned char	 nullmx[] = { 0, 0, 0 };
	static const unsigned char	 ptr[] = { 2, 'm', 'x', 7, 'e', 'x', 'a',
	    'm', 'p', 'l', 'e', 0 };
	static const unsigned char	 a4[] = { 192, 0, 2, 3 };
	static const unsigned char	 a6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1 };
	struct spf_params		 p;
	struct spf_question		 q;
	struct dns_answer		 a;
	struct spf			*s;
	struct buf			 out;
	unsigned char			*txt;
	const unsigned char		*rd[2];
	int				 rdl[2], n = 0;
	size_t				 i, o = 0;

	/* The record as 255-octet character-strings. */
	txt = malloc(len + len / 255 + 2);
	if (txt == NULL)
		return;
	for (i = 0; i < len || i == 0; i += 255) {
		size_t	 c = len - i > 255 ? 255 : len - i;

		txt[o++] = (unsigned char)c;
		memcpy(txt + o, rec + i, c);
		o += c;
		if (len == 0)
			break;
	}
	memset(&p, 0, sizeof(p));
	p.af = v6 ? AF_INET6 : AF_INET;
	p.addr = v6 ? a6 : a4;
	p.sender = "strong-bad@email.example.com";
	p.helo = "mx.example.org";
	p.default_exp = "%{i} %{P}";
	s = spf_start(&p);
	while (spf_step(s, &q) == SPF_STEP_QUERY) {
		if (++n > QUESTIONS_MAX || q.name == NULL)
			abort();
		memset(&a, 0, sizeof(a));
		a.rdata = rd;
		a.rdlen = rdl;
		a.status = DNS_OK;
		a.n = 1;
		switch (q.type) {
		case DNS_T_TXT:
			rd[0] = txt;
			rdl[0] = (int)o;
			break;
		case DNS_T_MX:
			rd[0] = mx;
			rdl[0] = sizeof(mx);
			rd[1] = nullmx;
			rdl[1] = sizeof(nullmx);
			a.n = 2;
			break;
		case DNS_T_PTR:
			rd[0] = rd[1] = ptr;
			rdl[0] = rdl[1] = sizeof(ptr);
			a.n = 2;
			break;
		case DNS_T_A:
		case DNS_T_AAAA:
			/* Some names exist, some do not, some fail. */
			switch (q.name[0] % 4) {
			case 0:
				a.status = DNS_NXDOMAIN;
				a.n = 0;
				break;
			case 1:
				a.status = DNS_TEMPFAIL;
				a.n = 0;
				break;
			default:
				rd[0] = q.type == DNS_T_A ? a4 : a6;
				rdl[0] = q.type == DNS_T_A ? 4 : 16;
				break;
			}
			break;
		default:
			abort();
		}
		if (spf_answer(s, &a) != 0)
			abort();
	}
	if (spf_result(s) > SPF_PERMERROR)
		abort();
	buf_init(&out, 0);
	if (spf_received_spf(&out, s) != 0 || spf_auth_results(&out, s) != 0)
		abort();
	for (i = 0; i < out.len; i++)
		if (out.data[i] == '\n' && (i == 0 || out.data[i - 1] != '\r'))
			abort();
	buf_free(&out);
	spf_free(&s);
	free(txt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text = (const char *)data;

	/* Whatever follows "v=spf1 " is a record; the input is also an explanation. */
	parse(text, size);
	explain(text, size);
	if (size > 0 && size < 4096)
		check(data, size, data[size - 1] & 1);
	return 0;
}
