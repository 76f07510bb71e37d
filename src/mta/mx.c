/* MX selection (RFC 5321 5.1, RFC 7505) and the lookups from a domain to addresses to try. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "dns/dns.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mta/mx.h"

int
mx_parse(const unsigned char *rdata, size_t len, struct mx_host *out)
{
	size_t	 off = 2;

	if (len < 3)
		return -1;
	out->pref = (rdata[0] << 8) | rdata[1];
	if (dns_wire_name(rdata, len, &off, out->name, sizeof(out->name)) == -1)
		return -1;
	return off == len ? 0 : -1;
}

int
mx_is_null(const struct mx_host *h, size_t n)
{
	/* A null MX beside other records is a misconfiguration; the others are used. */
	return n == 1 && h[0].name[0] == '\0';
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct mx_host	*x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

void
mx_order(struct mx_host *h, size_t n, uint32_t (*rnd)(void *), void *rndarg)
{
	size_t		 i, j, start;
	struct mx_host	 t;

	/* qsort is not stable, and need not be: equals are shuffled next. */
	qsort(h, n, sizeof(*h), mx_cmp);
	for (start = 0; start < n; start = j) {
		for (j = start + 1; j < n && h[j].pref == h[start].pref; j++)
			;
		/* Fisher-Yates over h[start..j). */
		for (i = j - 1; i > start; i--) {
			size_t	 k = start + rnd(rndarg) % (i - start + 1);

			t = h[i];
			h[i] = h[k];
			h[k] = t;
		}
	}
}

size_t
mx_backup_cut(struct mx_host *h, size_t n, const char *myname)
{
	size_t	 i, keep;
	int	 mine = -1;

	for (i = 0; i < n; i++)
		if (strcasecmp(h[i].name, myname) == 0 &&
		    (mine == -1 || h[i].pref < mine))
			mine = h[i].pref;
	if (mine == -1)
		return n;
	for (i = 0, keep = 0; i < n; i++)
		if (h[i].pref < mine)
			h[keep++] = h[i];
	return keep;
}

/* ---- resolution ---- */

struct mx_lookup {
	struct mx_query		*q;
	struct dns_query	*dq;
	size_t			 host;
	int			 family;
	enum dns_status		 status;
	const char		*why;
	struct mx_addr		 addrs[8];
	size_t			 naddrs;
};

struct mx_query {
	char			 domain[256];
	int			 port;
	char			*backup_name;
	mx_cb			 cb;
	void			*arg;
	struct dns_query	*mxq;
	struct mx_host		 hosts[MX_HOSTS_MAX];
	size_t			 nhosts;
	int			 implicit;
	struct mx_lookup	*lookups;	/* two per host: AAAA, A */
	size_t			 nlookups, pending;
	struct event		*later;
	/* a result decided before any lookup (an address literal) */
	enum deliver_result	 early_res;
	char			 early_text[300];
	struct mx_addr		 early_addr;
};

static struct event_base	*mx_base;

void
mx_init(struct event_base *base)
{
	mx_base = base;
}

static uint32_t
mx_random(void *arg)
{
	return arc4random();
}

static void
mx_query_free(struct mx_query *q)
{
	size_t	 i;

	if (q->mxq)
		dns_cancel(q->mxq);
	for (i = 0; i < q->nlookups; i++)
		if (q->lookups[i].dq)
			dns_cancel(q->lookups[i].dq);
	if (q->later)
		event_free(q->later);
	free(q->lookups);
	free(q->backup_name);
	free(q);
}

void
mx_cancel(struct mx_query *q)
{
	if (q != NULL)
		mx_query_free(q);
}

static void
mx_finish(struct mx_query *q, enum deliver_result r, const struct mx_addr *a,
    size_t n, const char *text)
{
	q->cb(r, a, n, text, q->arg);
	mx_query_free(q);
}

static void
mx_on_later(evutil_socket_t fd, short ev, void *arg)
{
	struct mx_query	*q = arg;

	mx_finish(q, q->early_res, q->early_res == DELIVER_OK ? &q->early_addr :
	    NULL, q->early_res == DELIVER_OK ? 1 : 0, q->early_text);
}

static void
mx_later(struct mx_query *q, enum deliver_result r, const char *text)
{
	struct timeval	 tv = { 0, 0 };

	q->early_res = r;
	snprintf(q->early_text, sizeof(q->early_text), "%s", text);
	if ((q->later = evtimer_new(mx_base, mx_on_later, q)) == NULL)
		fatalx("mx: evtimer_new");
	evtimer_add(q->later, &tv);
}

/* Every address lookup is in: the addresses in MX order, AAAA before A per host. */
static void
mx_assemble(struct mx_query *q)
{
	struct mx_addr	 out[MX_ADDRS_MAX];
	char		 text[512];
	size_t		 i, j, n = 0;
	int		 temp = 0;
	const char	*why = NULL;

	for (i = 0; i < q->nlookups; i++) {
		struct mx_lookup	*l = &q->lookups[i];

		if (l->status == DNS_TEMPFAIL) {
			temp = 1;
			why = l->why;
		}
		for (j = 0; j < l->naddrs && n < MX_ADDRS_MAX; j++)
			out[n++] = l->addrs[j];
	}
	if (n > 0) {
		mx_finish(q, DELIVER_OK, out, n, NULL);
		return;
	}
	if (temp) {
		snprintf(text, sizeof(text), "451 4.4.3 address lookup for %s "
		    "failed: %s", q->hosts[0].name, why ? why : "temporary failure");
		mx_finish(q, DELIVER_TEMPFAIL, NULL, 0, text);
	} else {
		snprintf(text, sizeof(text), "550 5.4.4 %s %s has no address "
		    "records", q->implicit ? "domain" : "mail exchanger",
		    q->hosts[0].name);
		mx_finish(q, DELIVER_PERMFAIL, NULL, 0, text);
	}
}

static void
mx_on_addr(const struct dns_answer *a, void *arg)
{
	struct mx_lookup	*l = arg;
	struct mx_query		*q = l->q;
	size_t			 i;

	l->dq = NULL;
	l->status = a->status;
	l->why = a->why ? a->why : "";
	for (i = 0; a->status == DNS_OK && i < a->n &&
	    l->naddrs < sizeof(l->addrs) / sizeof(l->addrs[0]); i++) {
		struct mx_addr	*m = &l->addrs[l->naddrs];

		memset(m, 0, sizeof(*m));
		snprintf(m->host, sizeof(m->host), "%s", q->hosts[l->host].name);
		m->pref = q->hosts[l->host].pref;
		m->secure = a->secure;
		if (l->family == AF_INET6 && a->rdlen[i] == 16) {
			struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&m->ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)q->port);
			memcpy(&s6->sin6_addr, a->rdata[i], 16);
			m->sslen = sizeof(*s6);
		} else if (l->family == AF_INET && a->rdlen[i] == 4) {
			struct sockaddr_in	*s4 = (struct sockaddr_in *)&m->ss;

			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)q->port);
			memcpy(&s4->sin_addr, a->rdata[i], 4);
			m->sslen = sizeof(*s4);
		} else
			continue;
		l->naddrs++;
	}
	if (--q->pending == 0)
		mx_assemble(q);
}

static void
mx_lookup_hosts(struct mx_query *q)
{
	size_t	 i;

	q->nlookups = q->nhosts * 2;
	q->lookups = xcalloc(q->nlookups, sizeof(*q->lookups));
	q->pending = q->nlookups;
	for (i = 0; i < q->nlookups; i++) {
		struct mx_lookup	*l = &q->lookups[i];

		l->q = q;
		l->host = i / 2;
		l->family = i % 2 == 0 ? AF_INET6 : AF_INET;
	}
	/* Started after the array is complete: no callback runs inside dns_lookup. */
	for (i = 0; i < q->nlookups; i++) {
		struct mx_lookup	*l = &q->lookups[i];

		l->dq = dns_lookup(q->hosts[l->host].name, l->family == AF_INET6 ?
		    DNS_T_AAAA : DNS_T_A, mx_on_addr, l);
	}
}

static void
mx_on_mx(const struct dns_answer *a, void *arg)
{
	struct mx_query	*q = arg;
	char		 text[512];
	size_t		 i;

	q->mxq = NULL;
	switch (a->status) {
	case DNS_NXDOMAIN:
		snprintf(text, sizeof(text), "550 5.1.2 domain %s does not exist "
		    "(NXDOMAIN)", q->domain);
		mx_finish(q, DELIVER_PERMFAIL, NULL, 0, text);
		return;
	case DNS_TEMPFAIL:
		snprintf(text, sizeof(text), "451 4.4.3 MX lookup for %s failed: %s",
		    q->domain, a->why ? a->why : "temporary failure");
		mx_finish(q, DELIVER_TEMPFAIL, NULL, 0, text);
		return;
	case DNS_NODATA:
		/* RFC 5321 5.1: no MX, the domain itself is the implicit MX. */
		q->implicit = 1;
		snprintf(q->hosts[0].name, sizeof(q->hosts[0].name), "%s", q->domain);
		q->hosts[0].pref = 0;
		q->nhosts = 1;
		break;
	case DNS_OK:
		for (i = 0; i < a->n && q->nhosts < MX_HOSTS_MAX; i++)
			if (mx_parse(a->rdata[i], (size_t)a->rdlen[i],
			    &q->hosts[q->nhosts]) == 0)
				q->nhosts++;
		if (mx_is_null(q->hosts, q->nhosts)) {
			snprintf(text, sizeof(text), "556 5.1.10 recipient domain %s "
			    "has a null MX (RFC 7505): it accepts no mail", q->domain);
			mx_finish(q, DELIVER_PERMFAIL, NULL, 0, text);
			return;
		}
		/* Drop null entries mixed with real ones. */
		for (i = 0; i < q->nhosts; )
			if (q->hosts[i].name[0] == '\0')
				q->hosts[i] = q->hosts[--q->nhosts];
			else
				i++;
		if (q->nhosts == 0) {
			snprintf(text, sizeof(text), "451 4.4.3 MX records of %s are "
			    "malformed", q->domain);
			mx_finish(q, DELIVER_TEMPFAIL, NULL, 0, text);
			return;
		}
		mx_order(q->hosts, q->nhosts, mx_random, NULL);
		if (q->backup_name != NULL) {
			q->nhosts = mx_backup_cut(q->hosts, q->nhosts, q->backup_name);
			if (q->nhosts == 0) {
				snprintf(text, sizeof(text), "451 4.4.6 %s is the best "
				    "MX of %s: no MX to relay to as backup",
				    q->backup_name, q->domain);
				mx_finish(q, DELIVER_TEMPFAIL, NULL, 0, text);
				return;
			}
		}
		break;
	}
	mx_lookup_hosts(q);
}

struct mx_query *
mx_resolve(const char *domain, const char *host, int port,
    const char *backup_name, mx_cb cb, void *arg)
{
	struct mx_query	*q = xcalloc(1, sizeof(*q));
	struct mx_addr	*m = &q->early_addr;

	q->cb = cb;
	q->arg = arg;
	q->port = port;
	snprintf(q->domain, sizeof(q->domain), "%s", host ? host : domain);
	if (host != NULL) {
		struct sockaddr_in	*s4 = (struct sockaddr_in *)&m->ss;
		struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&m->ss;

		snprintf(m->host, sizeof(m->host), "%s", host);
		if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			m->sslen = sizeof(*s4);
			mx_later(q, DELIVER_OK, "");
		} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)port);
			m->sslen = sizeof(*s6);
			mx_later(q, DELIVER_OK, "");
		} else {
			/* A smarthost by name: its addresses, never its MX. */
			q->implicit = 1;
			snprintf(q->hosts[0].name, sizeof(q->hosts[0].name), "%s", host);
			q->nhosts = 1;
			mx_lookup_hosts(q);
		}
		return q;
	}
	if (backup_name != NULL)
		q->backup_name = xstrdup(backup_name);
	q->mxq = dns_lookup(domain, DNS_T_MX, mx_on_mx, q);
	return q;
}
