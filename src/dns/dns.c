/* libunbound on libevent: ub_fd() watched by the loop, ub_process() on readiness. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <unbound.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct dns_query {
	int		 async_id;
	int		 started;	/* ub_resolve_async accepted it */
	dns_cb		 cb;
	void		*arg;
	char		 why[128];	/* failure to start, delivered later */
	struct event	*later;
};

static struct ub_ctx		*ctx;
static struct event_base	*dns_base;
static struct event		*ev_ub;

static void
dns_on_fd(evutil_socket_t fd, short ev, void *arg)
{
	int	 r;

	if ((r = ub_process(ctx)) != 0)
		log_msg(LOG_ERR, "dns: ub_process: %s", ub_strerror(r));
}

/*
 * The zones libunbound answers itself (RFC 6761, 6303, 8375 names): with
 * "resolver" lines the admin's servers answer every name, internal zones
 * such as .test or corp.home.arpa included.
 */
static const char *const special_zones[] = {
	"localhost.", "test.", "invalid.", "onion.", "home.arpa.",
	"resolver.arpa.", "service.arpa.", "127.in-addr.arpa.", "0.in-addr.arpa.",
	"254.169.in-addr.arpa.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
	"113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.",
	"b.e.f.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.",
};

static int
dns_forward_everything(void)
{
	char	 zone[128];
	size_t	 i;
	int	 r;

	/* The RFC 1918, RFC 6598 and AS112 reverse zones. */
	if ((r = ub_ctx_set_option(ctx, "unblock-lan-zones:", "yes")) != 0 ||
	    (r = ub_ctx_set_option(ctx, "insecure-lan-zones:", "yes")) != 0)
		return r;
	/*
	 * "nodefault" is not honoured through ub_ctx_set_option(); a
	 * transparent zone of the same name replaces the built-in one and
	 * sends every name it holds no local data for (/etc/hosts) upstream.
	 */
	for (i = 0; i < sizeof(special_zones) / sizeof(special_zones[0]); i++) {
		snprintf(zone, sizeof(zone), "%s transparent", special_zones[i]);
		if ((r = ub_ctx_set_option(ctx, "local-zone:", zone)) != 0)
			return r;
	}
	return 0;
}

int
dns_init(struct event_base *base, const struct conf *conf, const char **errstr)
{
	static char	 err[256];
	char		 fwd[300];
	size_t		 i;
	int		 r;

	if ((ctx = ub_ctx_create()) == NULL) {
		*errstr = "ub_ctx_create failed";
		return -1;
	}
	dns_base = base;
	/* Threads, not a forked helper: the process keeps one address space. */
	if ((r = ub_ctx_async(ctx, 1)) != 0)
		goto fail;
	/* Resolvers on loopback (a local cache, the tests' server) are usual. */
	if ((r = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0)
		goto fail;
	if (conf->nresolvers > 0) {
		for (i = 0; i < conf->nresolvers; i++) {
			snprintf(fwd, sizeof(fwd), "%s@%d", conf->resolvers[i].addr,
			    conf->resolvers[i].port > 0 ? conf->resolvers[i].port : 53);
			if ((r = ub_ctx_set_fwd(ctx, fwd)) != 0)
				goto fail;
		}
		if ((r = dns_forward_everything()) != 0)
			goto fail;
	} else if ((r = ub_ctx_resolvconf(ctx, NULL)) != 0) {
		/* Without resolv.conf unbound recurses from the root itself. */
		log_msg(LOG_WARNING, "dns: /etc/resolv.conf: %s", ub_strerror(r));
	}
	/* Smarthosts named in /etc/hosts resolve as everywhere else on the system. */
	(void)ub_ctx_hosts(ctx, NULL);
	ev_ub = event_new(base, ub_fd(ctx), EV_READ | EV_PERSIST, dns_on_fd, NULL);
	if (ev_ub == NULL || event_add(ev_ub, NULL) == -1) {
		*errstr = "cannot watch the resolver";
		return -1;
	}
	return 0;
fail:
	snprintf(err, sizeof(err), "resolver set-up: %s%s%s", ub_strerror(r),
	    r == UB_READFILE ? ": " : "", r == UB_READFILE ? strerror(errno) : "");
	*errstr = err;
	return -1;
}

static void
dns_on_result(void *arg, int err, struct ub_result *res)
{
	struct dns_query	*q = arg;
	struct dns_answer	 a;
	size_t			 n = 0;

	memset(&a, 0, sizeof(a));
	if (err != 0) {
		a.status = DNS_TEMPFAIL;
		a.why = ub_strerror(err);
	} else {
		a.rcode = res->rcode;
		a.ttl = res->ttl > 0 ? (unsigned)res->ttl : 0;
		a.secure = res->secure;
		a.bogus = res->bogus;
		if (res->bogus) {
			a.status = DNS_TEMPFAIL;
			a.why = "DNSSEC validation failed";
		} else if (res->nxdomain || res->rcode == 3)
			a.status = DNS_NXDOMAIN;
		else if (res->rcode != 0) {
			a.status = DNS_TEMPFAIL;
			a.why = res->rcode == 2 ? "SERVFAIL" : "DNS error";
		} else if (!res->havedata)
			a.status = DNS_NODATA;
		else {
			a.status = DNS_OK;
			while (res->data[n] != NULL)
				n++;
			a.n = n;
			a.rdata = (const unsigned char *const *)res->data;
			a.rdlen = res->len;
		}
	}
	q->cb(&a, q->arg);
	if (res != NULL)
		ub_resolve_free(res);
	free(q);
}

static void
dns_on_later(evutil_socket_t fd, short ev, void *arg)
{
	struct dns_query	*q = arg;
	struct dns_answer	 a;

	memset(&a, 0, sizeof(a));
	a.status = DNS_TEMPFAIL;
	a.why = q->why;
	event_free(q->later);
	q->cb(&a, q->arg);
	free(q);
}

struct dns_query *
dns_lookup(const char *name, int type, dns_cb cb, void *arg)
{
	struct dns_query	*q = xcalloc(1, sizeof(*q));
	struct timeval		 tv = { 0, 0 };
	int			 r;

	q->cb = cb;
	q->arg = arg;
	if (ctx == NULL)
		r = UB_INITFAIL;
	else
		r = ub_resolve_async(ctx, name, type, 1, q, dns_on_result,
		    &q->async_id);
	if (r == 0) {
		q->started = 1;
		return q;
	}
	snprintf(q->why, sizeof(q->why), "resolver: %s", ub_strerror(r));
	q->later = evtimer_new(dns_base, dns_on_later, q);
	if (q->later == NULL)
		fatalx("dns: evtimer_new");
	evtimer_add(q->later, &tv);
	return q;
}

void
dns_cancel(struct dns_query *q)
{
	if (q == NULL)
		return;
	if (q->started)
		ub_cancel(ctx, q->async_id);
	else
		event_free(q->later);
	free(q);
}

int
dns_same_resolvers(const struct conf *a, const struct conf *b)
{
	size_t	 i;

	if (a->nresolvers != b->nresolvers)
		return 0;
	for (i = 0; i < a->nresolvers; i++)
		if (strcmp(a->resolvers[i].addr, b->resolvers[i].addr) != 0 ||
		    a->resolvers[i].port != b->resolvers[i].port)
			return 0;
	return 1;
}

int
dns_wire_name(const unsigned char *p, size_t len, size_t *off, char *out,
    size_t outlen)
{
	size_t	 o = *off, w = 0, i, lab;

	if (outlen == 0)
		return -1;
	for (;;) {
		if (o >= len)
			return -1;
		lab = p[o++];
		if (lab == 0)
			break;
		/* Compression pointers (0xc0) and extended labels have no place here. */
		if (lab > 63 || lab > len - o)
			return -1;
		if (w > 0) {
			if (w + 1 >= outlen)
				return -1;
			out[w++] = '.';
		}
		for (i = 0; i < lab; i++) {
			unsigned char	 c = p[o + i];

			/* A dot or a control byte inside a label cannot be written back as text. */
			if (c == '.' || c <= 0x20 || c >= 0x7f)
				return -1;
			if (w + 1 >= outlen)
				return -1;
			out[w++] = (char)c;
		}
		o += lab;
	}
	if (w > 253)
		return -1;
	out[w] = '\0';
	*off = o;
	return 0;
}
