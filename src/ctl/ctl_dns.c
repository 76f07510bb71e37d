/* tegamictl dns DOMAIN [--check]: the records this configuration needs, compared with what the configured resolver answers. */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "conf/conf.h"
#include "ctl/admin.h"
#include "ctl/ctl.h"
#include "ctl/dnsrec.h"
#include "dns/dns.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/dkim_key.h"
#include "mail/spf.h"

#define DNS_USAGE	"tegamictl dns DOMAIN [--check] [--address IP]..."
#define DNS_TIMEOUT	10		/* seconds for one lookup */
#define DNS_ADDRS_MAX	16

/* One answer, copied out of the callback. */
struct answer {
	enum dns_status	 status;
	const char	*why;		/* NULL, or points at whybuf */
	char		 whybuf[128];
	size_t		 n;
	unsigned char	**rdata;
	int		*rdlen;
	int		 done;
	int		 timed_out;
};

static struct event_base *base;

static void
on_answer(const struct dns_answer *a, void *arg)
{
	struct answer	*r = arg;
	size_t		 i;

	r->status = a->status;
	if (a->why != NULL) {
		snprintf(r->whybuf, sizeof(r->whybuf), "%s", a->why);
		r->why = r->whybuf;
	}
	r->n = a->status == DNS_OK ? a->n : 0;
	r->rdata = xcalloc(r->n + 1, sizeof(*r->rdata));
	r->rdlen = xcalloc(r->n + 1, sizeof(*r->rdlen));
	for (i = 0; i < r->n; i++) {
		r->rdata[i] = xmalloc((size_t)a->rdlen[i] + 1);
		memcpy(r->rdata[i], a->rdata[i], (size_t)a->rdlen[i]);
		r->rdlen[i] = a->rdlen[i];
	}
	r->done = 1;
}

static void
on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct answer	*r = arg;

	r->status = DNS_TEMPFAIL;
	snprintf(r->whybuf, sizeof(r->whybuf), "%s", "timeout");
	r->why = r->whybuf;
	r->timed_out = 1;
	r->rdata = xcalloc(1, sizeof(*r->rdata));
	r->rdlen = xcalloc(1, sizeof(*r->rdlen));
	r->done = 1;
}

/* A lookup run to its end on the local event loop: a command-line tool may wait. */
static void
lookup(const char *name, int type, struct answer *r)
{
	struct timeval		 tv = { DNS_TIMEOUT, 0 };
	struct dns_query	*q;
	struct event		*t;

	memset(r, 0, sizeof(*r));
	q = dns_lookup(name, type, on_answer, r);
	t = evtimer_new(base, on_timeout, r);
	evtimer_add(t, &tv);
	while (!r->done)
		event_base_loop(base, EVLOOP_ONCE);
	if (r->timed_out)
		dns_cancel(q);
	event_free(t);
}

static void
answer_free(struct answer *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		free(r->rdata[i]);
	free(r->rdata);
	free(r->rdlen);
	memset(r, 0, sizeof(*r));
}

/* Texts of an answer, decoded by kind: TXT strings joined, names, addresses. */
static char **
texts(const struct answer *r, int type, size_t *n)
{
	char	**v = xcalloc(r->n + 1, sizeof(*v));
	char	  buf[DNSREC_TXT_MAX + 1];
	size_t	  i;
	int	  pref, ok;

	*n = 0;
	for (i = 0; i < r->n; i++) {
		if (type == DNS_T_TXT)
			ok = dnsrec_txt(r->rdata[i], (size_t)r->rdlen[i], buf,
			    sizeof(buf)) == 0;
		else if (type == DNS_T_MX)
			ok = dnsrec_mx(r->rdata[i], (size_t)r->rdlen[i], &pref, buf,
			    sizeof(buf)) == 0;
		else if (type == DNS_T_PTR) {
			size_t	 off = 0;

			ok = dns_wire_name(r->rdata[i], (size_t)r->rdlen[i], &off,
			    buf, sizeof(buf)) == 0;
		} else
			ok = dnsrec_addr(r->rdata[i], (size_t)r->rdlen[i], buf,
			    sizeof(buf)) == 0;
		if (ok)
			v[(*n)++] = xstrdup(buf);
	}
	return v;
}

static void
texts_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct check {
	const char	*domain;
	const char	*host;
	char		*addrs[DNS_ADDRS_MAX];	/* this server's, given or found */
	size_t		 naddrs;
	int		 given;			/* --address named them */
	/* The dkim-sign filter's keys for the domain (none: nkeys 0). */
	size_t		 nkeys;
	const char	*selector[2];
	char		*dkim[2];		/* the record of each key, NULL if unreadable */
	int		 problems;
};

static const char *
verdict_word(enum dnsrec_verdict v)
{
	switch (v) {
	case DNSREC_OK:
		return tr("OK");
	case DNSREC_MISSING:
		return tr("missing");
	case DNSREC_WRONG:
		return tr("wrong");
	default:
		return tr("unknown");
	}
}

static void
row(struct check *c, const char *type, const char *name,
    const struct dnsrec_result *r, const char *publish_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* One line per record: type, name, verdict, then what is found or what to publish. */
static void
row(struct check *c, const char *type, const char *name,
    const struct dnsrec_result *r, const char *publish_fmt, ...)
{
	va_list	 ap;

	printf("%-6s %-36s %-8s", type, name, verdict_word(r->verdict));
	if (r->verdict == DNSREC_OK) {
		printf(" %s\n", r->found);
		return;
	}
	c->problems++;
	printf("\n");
	if (r->verdict == DNSREC_WRONG) {
		printf(tr("         found:   %s\n"), r->found);
		printf(tr("         problem: %s\n"), tr(r->why));
	} else if (r->verdict == DNSREC_UNKNOWN)
		printf(tr("         the lookup failed: %s\n"), r->why[0] ? r->why :
		    "SERVFAIL");
	printf("%s", tr("         publish: "));
	va_start(ap, publish_fmt);
	vprintf(publish_fmt, ap);
	va_end(ap);
	printf("\n");
}

/* A verdict for a failed lookup, else -1. */
static int
lookup_failed(const struct answer *a, struct dnsrec_result *r)
{
	if (a->status != DNS_TEMPFAIL)
		return -1;
	memset(r, 0, sizeof(*r));
	r->verdict = DNSREC_UNKNOWN;
	snprintf(r->why, sizeof(r->why), "%s", a->why ? a->why : "");
	return 0;
}

static void
check_mx(struct check *c)
{
	struct answer		 a;
	struct dnsrec_result	 r;
	char			**v;
	size_t			 n;

	lookup(c->domain, DNS_T_MX, &a);
	v = texts(&a, DNS_T_MX, &n);
	if (lookup_failed(&a, &r) == -1)
		dnsrec_check_mx(c->host, (const char *const *)v, n, &r);
	row(c, "MX", c->domain, &r, "%s. IN MX 10 %s.", c->domain, c->host);
	texts_free(v, n);
	answer_free(&a);
}

static void
check_addrs(struct check *c, int type)
{
	struct answer		 a;
	struct dnsrec_result	 r;
	const char		*want[DNS_ADDRS_MAX];
	char			**v;
	size_t			 n, i, nwant = 0;
	int			 v6 = type == DNS_T_AAAA;

	for (i = 0; i < c->naddrs; i++)
		if ((strchr(c->addrs[i], ':') != NULL) == v6)
			want[nwant++] = c->addrs[i];
	lookup(c->host, type, &a);
	v = texts(&a, type, &n);
	/* IPv6 is optional: no AAAA is fine unless an IPv6 address was given. */
	if (v6 && n == 0 && nwant == 0 && a.status != DNS_TEMPFAIL) {
		texts_free(v, n);
		answer_free(&a);
		return;
	}
	if (lookup_failed(&a, &r) == -1)
		dnsrec_check_addrs(want, nwant, (const char *const *)v, n, &r);
	if (nwant > 0)
		row(c, v6 ? "AAAA" : "A", c->host, &r, "%s. IN %s %s", c->host,
		    v6 ? "AAAA" : "A", want[0]);
	else
		row(c, v6 ? "AAAA" : "A", c->host, &r, tr("%s. IN %s <this "
		    "server's address>"), c->host, v6 ? "AAAA" : "A");
	/* Without --address, this server's addresses are the MX host's. */
	if (!c->given)
		for (i = 0; i < n && c->naddrs < DNS_ADDRS_MAX; i++)
			c->addrs[c->naddrs++] = xstrdup(v[i]);
	texts_free(v, n);
	answer_free(&a);
}

/* check_host() for one address, the DNS answered as the SPF module asks. */
static enum spf_result
spf_eval(struct check *c, const char *addr)
{
	struct spf_params	 p;
	struct spf_question	 q;
	struct dns_answer	 da;
	struct answer		 a;
	struct spf		*s;
	unsigned char		 bin[16];
	char			 sender[300];
	enum spf_result		 res;

	memset(&p, 0, sizeof(p));
	p.identity = SPF_ID_MAILFROM;
	p.af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(p.af, addr, bin) != 1)
		return SPF_PERMERROR;
	p.addr = bin;
	snprintf(sender, sizeof(sender), "postmaster@%s", c->domain);
	p.sender = sender;
	p.helo = c->host;
	p.receiver = c->host;
	p.now = time(NULL);
	s = spf_start(&p);
	while (spf_step(s, &q) == SPF_STEP_QUERY) {
		lookup(q.name, q.type, &a);
		memset(&da, 0, sizeof(da));
		da.status = a.status;
		da.why = a.why;
		da.n = a.n;
		da.rdata = (const unsigned char *const *)a.rdata;
		da.rdlen = a.rdlen;
		spf_answer(s, &da);
		answer_free(&a);
	}
	res = spf_result(s);
	spf_free(&s);
	return res;
}

static void
check_spf(struct check *c)
{
	struct answer		 a;
	struct dnsrec_result	 r;
	struct buf		 fix;
	const char		*rec = NULL;
	enum spf_result		 res;
	char			**v;
	size_t			 n, i;

	lookup(c->domain, DNS_T_TXT, &a);
	v = texts(&a, DNS_T_TXT, &n);
	buf_init(&fix, 0);
	buf_adds(&fix, DNSREC_SPF);
	if (lookup_failed(&a, &r) == -1 &&
	    dnsrec_spf_pick((const char *const *)v, n, &rec, &r) == 0) {
		/* Each of this server's addresses must pass for the domain. */
		for (i = 0; i < c->naddrs; i++) {
			if ((res = spf_eval(c, c->addrs[i])) == SPF_PASS)
				continue;
			r.verdict = DNSREC_WRONG;
			snprintf(r.why, sizeof(r.why), tr("SPF gives %s for %s, "
			    "not pass"), spf_result_name(res), c->addrs[i]);
		}
		if (r.verdict == DNSREC_WRONG) {
			/* Keep what the record allows and allow this server first. */
			buf_reset(&fix);
			buf_adds(&fix, "v=spf1");
			for (i = 0; i < c->naddrs; i++)
				buf_addf(&fix, " %s:%s", strchr(c->addrs[i], ':') ?
				    "ip6" : "ip4", c->addrs[i]);
			buf_adds(&fix, rec + 6);
		}
	}
	row(c, "SPF", c->domain, &r, "%s. IN TXT \"%s\"", c->domain, fix.data);
	buf_free(&fix);
	texts_free(v, n);
	answer_free(&a);
}

static void
check_dkim_key(struct check *c, size_t k)
{
	struct answer		 a;
	struct dnsrec_result	 r;
	struct buf		 pub;
	char			 name[600], **v;
	const char		*rec = c->dkim[k];
	size_t			 n, off;

	snprintf(name, sizeof(name), "%s._domainkey.%s", c->selector[k], c->domain);
	lookup(name, DNS_T_TXT, &a);
	v = texts(&a, DNS_T_TXT, &n);
	if (rec == NULL) {
		memset(&r, 0, sizeof(r));
		r.verdict = DNSREC_UNKNOWN;
		snprintf(r.why, sizeof(r.why), "%s", tr("cannot read the signing "
		    "key"));
	} else if (lookup_failed(&a, &r) == -1)
		dnsrec_check_dkim(rec, (const char *const *)v, n, &r);
	/* The record in 255-octet strings, as a zone file takes it. */
	buf_init(&pub, 0);
	for (off = 0; rec && off < strlen(rec); off += 255)
		buf_addf(&pub, "%s\"%.255s\"", off ? " " : "", rec + off);
	row(c, "DKIM", name, &r, "%s. IN TXT ( %s )", name, pub.data ? pub.data :
	    "");
	buf_free(&pub);
	texts_free(v, n);
	answer_free(&a);
}

static void
check_dkim(struct check *c)
{
	size_t	 k;

	if (c->nkeys == 0) {
		printf("%-6s %-36s %s\n", "DKIM", c->domain, tr("no dkim-sign "
		    "filter signs for this domain (tegamictl dkim keygen)"));
		return;
	}
	for (k = 0; k < c->nkeys; k++)
		check_dkim_key(c, k);
}

static void
check_dmarc(struct check *c)
{
	struct answer		 a;
	struct dnsrec_result	 r;
	char			 name[300], rec[400], **v;
	size_t			 n;

	snprintf(name, sizeof(name), "_dmarc.%s", c->domain);
	lookup(name, DNS_T_TXT, &a);
	v = texts(&a, DNS_T_TXT, &n);
	if (lookup_failed(&a, &r) == -1)
		dnsrec_check_dmarc((const char *const *)v, n, &r);
	dnsrec_dmarc_record(c->domain, rec, sizeof(rec));
	row(c, "DMARC", name, &r, "%s. IN TXT \"%s\"", name, rec);
	texts_free(v, n);
	answer_free(&a);
}

static void
check_ptr(struct check *c)
{
	struct answer		 a;
	struct dnsrec_result	 r;
	char			 rev[128], **v;
	size_t			 i, n;

	if (c->naddrs == 0) {
		printf("%-6s %-36s %s\n", "PTR", "-", tr("no address of this server "
		    "known: give --address"));
		c->problems++;
		return;
	}
	for (i = 0; i < c->naddrs; i++) {
		if (dnsrec_reverse_name(c->addrs[i], rev, sizeof(rev)) == -1)
			continue;
		lookup(rev, DNS_T_PTR, &a);
		v = texts(&a, DNS_T_PTR, &n);
		if (lookup_failed(&a, &r) == -1)
			dnsrec_check_ptr(c->host, (const char *const *)v, n, &r);
		row(c, "PTR", c->addrs[i], &r, tr("%s. IN PTR %s. (ask whoever "
		    "gave you the address)"), rev, c->host);
		texts_free(v, n);
		answer_free(&a);
	}
}

/* The record of the key in path, or NULL when it cannot be read. */
static char *
key_record(const char *path)
{
	struct buf	 rec, pem;
	EVP_PKEY	*key = NULL;
	const char	*errstr;
	FILE		*f;
	size_t		 n;
	char		 chunk[4096], *out = NULL;

	buf_init(&pem, 0);
	if ((f = fopen(path, "r")) != NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_add(&pem, chunk, n);
		fclose(f);
	}
	buf_init(&rec, 0);
	if (pem.len > 0 && dkim_key_load_private(pem.data, pem.len, &key,
	    &errstr) == 0 && dkim_key_record(&rec, key, &errstr) == 0)
		out = buf_release(&rec);
	EVP_PKEY_free(key);
	explicit_bzero(chunk, sizeof(chunk));
	if (pem.data)
		explicit_bzero(pem.data, pem.len);
	buf_free(&pem);
	buf_free(&rec);
	return out;
}

/*
 * The dkim-sign filter that signs as the domain itself (d= the domain: a
 * subdomain signed with its parent's key publishes nothing), its selectors
 * and the records of its keys.
 */
static void
find_dkim(const struct conf *conf, struct check *c)
{
	char	 d[256];
	size_t	 i;

	for (i = 0; i < conf->nfilters; i++) {
		const struct filter	*fl = conf->filters[i];

		if (!conf_dkim_signs(fl, c->domain, d, sizeof(d)) ||
		    strcasecmp(d, c->domain) != 0)
			continue;
		c->selector[0] = fl->selector;
		c->dkim[0] = key_record(fl->key);
		c->nkeys = 1;
		if (fl->selector2 != NULL) {
			c->selector[1] = fl->selector2;
			c->dkim[1] = key_record(fl->key2);
			c->nkeys = 2;
		}
		return;
	}
}

/* Without --check: the records to publish, as init prints them. */
static void
print_records(const struct check *c)
{
	char	 dm[400], name[600];

	printf(tr("DNS records for %s (tegamictl dns %s --check compares them "
	    "with DNS):\n"), c->domain, c->domain);
	printf("  %s. IN MX 10 %s.\n", c->domain, c->host);
	if (c->naddrs == 0)
		printf(tr("  %s. IN A <this server's IPv4 address> (and AAAA for "
		    "IPv6)\n"), c->host);
	for (size_t i = 0; i < c->naddrs; i++)
		printf("  %s. IN %s %s\n", c->host, strchr(c->addrs[i], ':') ?
		    "AAAA" : "A", c->addrs[i]);
	printf("  %s. IN TXT \"%s\"\n", c->domain, DNSREC_SPF);
	for (size_t k = 0; k < c->nkeys; k++) {
		if (c->dkim[k] == NULL)
			continue;
		snprintf(name, sizeof(name), "  %s._domainkey.%s", c->selector[k],
		    c->domain);
		ctl_dkim_print_txt(stdout, name, c->dkim[k]);
	}
	dnsrec_dmarc_record(c->domain, dm, sizeof(dm));
	printf("  _dmarc.%s. IN TXT \"%s\"\n", c->domain, dm);
	printf(tr("  and, from whoever gave you the address: PTR <address> -> "
	    "%s.\n"), c->host);
}

int
ctl_dns(const char *conf_path, int argc, char **argv)
{
	const char	*prog = "tegamictl dns", *errstr, *addr = NULL;
	struct admin	 a;
	struct check	 c;
	char		 domain[256];
	unsigned char	 bin[16];
	int		 help = 0, do_check = 0, n, i;
	const struct admin_opt opts[] = {
		{ "check", 0, NULL, &do_check },
		{ "address", 1, &addr, NULL },
		{ NULL, 0, NULL, NULL },
	};

	memset(&c, 0, sizeof(c));
	/* --address may be repeated: collect them before admin_getopt keeps the last. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--address") == 0 && i + 1 < argc &&
		    c.naddrs < DNS_ADDRS_MAX) {
			if (inet_pton(strchr(argv[i + 1], ':') ? AF_INET6 : AF_INET,
			    argv[i + 1], bin) != 1)
				return admin_fail(prog, tr("%s is not an IP address"),
				    argv[i + 1]);
			c.addrs[c.naddrs++] = xstrdup(argv[i + 1]);
			c.given = 1;
		}
	if (admin_getopt(prog, argc - 1, argv + 1, opts, &help, &n) == -1)
		return 1;
	if (help)
		return admin_usage(prog, DNS_USAGE, 1);
	if (n != 1)
		return admin_usage(prog, DNS_USAGE, 0);
	if (admin_domain(argv[1], domain, sizeof(domain), &errstr) == -1)
		return admin_fail(prog, "%s: %s", argv[1], errstr);
	if (admin_open(&a, prog, conf_path) != 0)
		return 1;
	c.domain = domain;
	c.host = a.conf->hostname;
	find_dkim(a.conf, &c);
	if (!do_check) {
		print_records(&c);
		for (i = 0; i < (int)c.naddrs; i++)
			free(c.addrs[i]);
		free(c.dkim[0]);
		free(c.dkim[1]);
		admin_close(&a);
		return 0;
	}
	if ((base = event_base_new()) == NULL || dns_init(base, a.conf, &errstr) == -1) {
		admin_close(&a);
		return admin_fail(prog, tr("cannot set up the resolver: %s"),
		    base ? errstr : "libevent");
	}
	printf(tr("Checking %s for %s (mail server %s):\n"), domain, conf_path,
	    c.host);
	check_mx(&c);
	check_addrs(&c, DNS_T_A);
	check_addrs(&c, DNS_T_AAAA);
	check_spf(&c);
	check_dkim(&c);
	check_dmarc(&c);
	check_ptr(&c);
	if (c.problems)
		printf(tr("%d record(s) to fix; DNS changes can take a while to "
		    "show (the TTL)\n"), c.problems);
	else
		printf("%s", tr("every record is in place\n"));
	for (i = 0; i < (int)c.naddrs; i++)
		free(c.addrs[i]);
	free(c.dkim[0]);
	free(c.dkim[1]);
	admin_close(&a);
	return c.problems ? 1 : 0;
}
