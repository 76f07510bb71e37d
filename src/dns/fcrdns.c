/* FCrDNS: the PTR lookup, then A/AAAA of each name, compared with the client's address, under one timer. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "dns/dns.h"
#include "dns/fcrdns.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct fcrdns;

/* One PTR name's forward lookup. */
struct fcrdns_fwd {
	struct fcrdns		*f;
	struct dns_query	*q;		/* NULL once answered */
	char			 name[256];
};

struct fcrdns {
	struct event		*timer;
	fcrdns_cb		 cb;
	void			*arg;
	int			 family;	/* AF_INET or AF_INET6, mapped addresses as AF_INET */
	unsigned char		 addr[16];
	int			 settled;	/* result known before any lookup */
	struct dns_query	*ptr;
	struct fcrdns_fwd	 fwd[FCRDNS_NAMES_MAX];
	size_t			 nnames;
	size_t			 waiting;	/* forward lookups outstanding */
	unsigned		 ttl;		/* shortest TTL of the answers used */
	struct fcrdns_result	 result;
};

/* A result kept for its address (direct-mapped: a new address takes the slot). */
struct fcrdns_kept {
	int			 family;	/* 0: empty */
	unsigned char		 addr[16];
	time_t			 expires;
	struct fcrdns_result	 result;
};

static struct fcrdns_kept	 kept[FCRDNS_CACHE_SLOTS];

static struct fcrdns_kept *
kept_slot(int family, const unsigned char *addr)
{
	size_t		 i, len = family == AF_INET ? 4 : 16;
	uint32_t	 h = 2166136261u;	/* FNV-1a */

	for (i = 0; i < len; i++)
		h = (h ^ addr[i]) * 16777619u;
	return &kept[h % FCRDNS_CACHE_SLOTS];
}

static void
keep(const struct fcrdns *f)
{
	struct fcrdns_kept	*k;
	unsigned		 ttl = f->ttl;

	if (f->settled || f->result.status == FCRDNS_TEMPFAIL || ttl == 0)
		return;
	if (ttl > FCRDNS_CACHE_SECS)
		ttl = FCRDNS_CACHE_SECS;
	k = kept_slot(f->family, f->addr);
	k->family = f->family;
	memcpy(k->addr, f->addr, sizeof(k->addr));
	k->expires = time(NULL) + (time_t)ttl;
	k->result = f->result;
}

static int
kept_result(struct fcrdns *f)
{
	const struct fcrdns_kept	*k = kept_slot(f->family, f->addr);

	if (k->family != f->family ||
	    memcmp(k->addr, f->addr, f->family == AF_INET ? 4 : 16) != 0 ||
	    time(NULL) >= k->expires)
		return 0;
	f->result = k->result;
	f->result.cached = 1;
	return 1;
}

static void
use_ttl(struct fcrdns *f, unsigned ttl)
{
	if (ttl < f->ttl)
		f->ttl = ttl;
}

/* The address to compare, IPv4-mapped IPv6 turned into IPv4. -1 for other families. */
static int
client_addr(const struct sockaddr *sa, int *family, unsigned char addr[16])
{
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr	*a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			*family = AF_INET;
			memcpy(addr, a6->s6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, a6->s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

int
fcrdns_ptr_name(const struct sockaddr *sa, char *dst, size_t len)
{
	unsigned char	 a[16];
	size_t		 o = 0;
	int		 family, i;

	if (client_addr(sa, &family, a) == -1)
		return -1;
	if (family == AF_INET) {
		snprintf(dst, len, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
		return 0;
	}
	for (i = 15; i >= 0 && o + 4 < len; i--) {
		static const char	 hex[] = "0123456789abcdef";

		dst[o++] = hex[a[i] & 0xf];
		dst[o++] = '.';
		dst[o++] = hex[a[i] >> 4];
		dst[o++] = '.';
	}
	snprintf(dst + o, len - o, "ip6.arpa");
	return 0;
}

static void
finish(struct fcrdns *f)
{
	struct fcrdns_result	 r = f->result;
	fcrdns_cb		 cb = f->cb;
	void			*arg = f->arg;

	keep(f);
	fcrdns_cancel(f);
	cb(&r, arg);
}

static void
on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct fcrdns	*f = arg;

	/* A PTR without a confirmation in time is as good as a failed lookup. */
	if (!f->settled) {
		f->result.status = FCRDNS_TEMPFAIL;
		if (f->nnames > 0)
			snprintf(f->result.name, sizeof(f->result.name), "%s",
			    f->fwd[0].name);
	}
	finish(f);
}

static void
on_forward(const struct dns_answer *a, void *arg)
{
	struct fcrdns_fwd	*fw = arg;
	struct fcrdns		*f = fw->f;
	size_t			 i, len = f->family == AF_INET ? 4 : 16;

	fw->q = NULL;		/* dns.c frees it after this call */
	f->waiting--;
	use_ttl(f, a->ttl);
	if (a->status == DNS_OK)
		for (i = 0; i < a->n; i++)
			if ((size_t)a->rdlen[i] == len &&
			    memcmp(a->rdata[i], f->addr, len) == 0) {
				f->result.status = FCRDNS_CONFIRMED;
				snprintf(f->result.name, sizeof(f->result.name),
				    "%s", fw->name);
				finish(f);
				return;
			}
	/* Unconfirmed only when every name answered; a failure leaves it unknown. */
	if (a->status == DNS_TEMPFAIL)
		f->result.status = FCRDNS_TEMPFAIL;
	if (f->waiting == 0)
		finish(f);
}

static void
on_ptr(const struct dns_answer *a, void *arg)
{
	struct fcrdns	*f = arg;
	size_t		 i, off;
	char		 name[256], *p;

	f->ptr = NULL;
	use_ttl(f, a->ttl);
	if (a->status == DNS_NXDOMAIN || a->status == DNS_NODATA) {
		f->result.status = FCRDNS_NONE;
		finish(f);
		return;
	}
	if (a->status != DNS_OK) {
		f->result.status = FCRDNS_TEMPFAIL;
		finish(f);
		return;
	}
	for (i = 0; i < a->n && f->nnames < FCRDNS_NAMES_MAX; i++) {
		off = 0;
		if (dns_wire_name(a->rdata[i], (size_t)a->rdlen[i], &off, name,
		    sizeof(name)) == -1 || name[0] == '\0')
			continue;
		for (p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		f->fwd[f->nnames].f = f;
		snprintf(f->fwd[f->nnames].name, sizeof(f->fwd[0].name), "%s", name);
		f->nnames++;
	}
	if (f->nnames == 0) {
		f->result.status = FCRDNS_NONE;
		finish(f);
		return;
	}
	snprintf(f->result.name, sizeof(f->result.name), "%s", f->fwd[0].name);
	f->result.status = FCRDNS_UNCONFIRMED;
	f->waiting = f->nnames;
	for (i = 0; i < f->nnames; i++)
		f->fwd[i].q = dns_lookup(f->fwd[i].name, f->family == AF_INET ?
		    DNS_T_A : DNS_T_AAAA, on_forward, &f->fwd[i]);
}

struct fcrdns *
fcrdns_start(struct event_base *base, const struct sockaddr *sa, int timeout,
    fcrdns_cb cb, void *arg)
{
	struct fcrdns	*f = xcalloc(1, sizeof(*f));
	struct timeval	 tv = { timeout, 0 };
	char		 qname[80];

	f->cb = cb;
	f->arg = arg;
	f->result.status = FCRDNS_TEMPFAIL;
	f->ttl = FCRDNS_CACHE_SECS;
	if ((f->timer = evtimer_new(base, on_timeout, f)) == NULL)
		fatalx("fcrdns: evtimer_new");
	evtimer_add(f->timer, &tv);
	if (client_addr(sa, &f->family, f->addr) == -1 ||
	    fcrdns_ptr_name(sa, qname, sizeof(qname)) == -1 ||
	    kept_result(f)) {
		if (!f->result.cached)
			f->result.status = FCRDNS_NONE;
		f->settled = 1;
		tv.tv_sec = 0;
		evtimer_add(f->timer, &tv);	/* answered from the loop, never from here */
		return f;
	}
	f->ptr = dns_lookup(qname, DNS_T_PTR, on_ptr, f);
	return f;
}

void
fcrdns_cancel(struct fcrdns *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	if (f->timer)
		event_free(f->timer);
	dns_cancel(f->ptr);
	for (i = 0; i < f->nnames; i++)
		dns_cancel(f->fwd[i].q);
	free(f);
}
