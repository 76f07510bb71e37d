/* Resolving "listen on X" to socket addresses at bind time: any, literals, interfaces, host names. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/xalloc.h"

#define ADDRS_MAX	64

static _Thread_local char listen_err[256];

struct addrs {
	struct sockaddr_storage	*v;
	size_t			 n;
};

static void
add(struct addrs *a, const struct sockaddr *sa, int port)
{
	struct sockaddr_storage	 ss;
	size_t			 i, len;

	if (a->n == ADDRS_MAX)
		return;
	memset(&ss, 0, sizeof(ss));
	len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	memcpy(&ss, sa, len);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((unsigned short)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((unsigned short)port);
	for (i = 0; i < a->n; i++)
		if (memcmp(&a->v[i], &ss, sizeof(ss)) == 0)
			return;
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = ss;
}

static int
family_ok(int want, int have)
{
	return want == AF_UNSPEC || want == have;
}

/* Adds the literal s if it parses; 1 if it did. */
static int
add_literal(struct addrs *a, const char *s, int family, int port)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, s, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		if (family_ok(family, AF_INET))
			add(a, (struct sockaddr *)&sin, port);
		return 1;
	}
	if (inet_pton(AF_INET6, s, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		if (family_ok(family, AF_INET6))
			add(a, (struct sockaddr *)&sin6, port);
		return 1;
	}
	return 0;
}

static int
add_interface(struct addrs *a, const char *name, int family, int port, int *exists)
{
	struct ifaddrs	*ifap, *ifa;

	*exists = 0;
	if (getifaddrs(&ifap) == -1)
		return -1;
	for (ifa = ifap; ifa; ifa = ifa->ifa_next) {
		if (strcmp(ifa->ifa_name, name) != 0)
			continue;
		*exists = 1;
		if (ifa->ifa_addr == NULL)
			continue;
		if ((ifa->ifa_addr->sa_family == AF_INET ||
		    ifa->ifa_addr->sa_family == AF_INET6) &&
		    family_ok(family, ifa->ifa_addr->sa_family))
			add(a, ifa->ifa_addr, port);
	}
	freeifaddrs(ifap);
	return 0;
}

/* "lo0", "vio0", "em1": a BSD interface name, never looked up in the DNS. */
static int
bsd_ifname(const char *s)
{
	size_t	 i = 0;

	while (isalpha((unsigned char)s[i]))
		i++;
	if (i == 0 || !isdigit((unsigned char)s[i]))
		return 0;
	while (isdigit((unsigned char)s[i]))
		i++;
	return s[i] == '\0';
}

int
conf_listener_addrs(const struct listener *l, struct sockaddr_storage **out, size_t *n,
    const char **errstr)
{
	struct addrs	 a = { NULL, 0 };
	struct addrinfo	 hints, *res = NULL, *ai;
	int		 exists, r;

	*out = NULL;
	*n = 0;
	if (l->flags & LF_SOCKET) {
		snprintf(listen_err, sizeof(listen_err), "listen on socket has no network "
		    "address");
		goto fail;
	}
	if (strcmp(l->on, "any") == 0) {
		add_literal(&a, "0.0.0.0", l->family, l->port);
		add_literal(&a, "::", l->family, l->port);
	} else if (strcmp(l->on, "localhost") == 0) {
		add_literal(&a, "127.0.0.1", l->family, l->port);
		add_literal(&a, "::1", l->family, l->port);
	} else if (add_literal(&a, l->on, l->family, l->port)) {
		if (a.n == 0) {
			snprintf(listen_err, sizeof(listen_err), "listen on %s: address "
			    "does not match the family %s", l->on,
			    l->family == AF_INET ? "inet4" : "inet6");
			goto fail;
		}
	} else {
		if (add_interface(&a, l->on, l->family, l->port, &exists) == -1) {
			snprintf(listen_err, sizeof(listen_err), "getifaddrs failed");
			goto fail;
		}
		if (exists && a.n == 0) {
			snprintf(listen_err, sizeof(listen_err), "listen on %s: the "
			    "interface has no address of that family", l->on);
			goto fail;
		}
		if (!exists && bsd_ifname(l->on)) {
			snprintf(listen_err, sizeof(listen_err), "listen on %s: no such "
			    "interface on this host", l->on);
			goto fail;
		}
		if (!exists) {
			memset(&hints, 0, sizeof(hints));
			hints.ai_family = l->family;
			hints.ai_socktype = SOCK_STREAM;
			if ((r = getaddrinfo(l->on, NULL, &hints, &res)) != 0) {
				snprintf(listen_err, sizeof(listen_err), "listen on %s: no "
				    "such interface, and the name does not resolve: %s",
				    l->on, gai_strerror(r));
				goto fail;
			}
			for (ai = res; ai; ai = ai->ai_next)
				if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
					add(&a, ai->ai_addr, l->port);
			freeaddrinfo(res);
		}
	}
	if (a.n == 0) {
		snprintf(listen_err, sizeof(listen_err), "listen on %s: no address", l->on);
		goto fail;
	}
	*out = a.v;
	*n = a.n;
	return 0;

fail:
	free(a.v);
	*errstr = listen_err;
	return -1;
}
