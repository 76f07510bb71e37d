/* Listeners tegamid could not start with: the same address and port twice, an address this host lacks. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ifaddrs.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"

/* Two listeners bound to the same socket: the second bind would fail at start. */
static void
check_duplicates(struct parser *p)
{
	const struct conf	*c = p->conf;
	const struct listener	*a, *b;
	size_t			 i, j;

	for (i = 0; i < c->nlisteners; i++) {
		a = c->listeners[i];
		if (a->flags & LF_SOCKET)
			continue;
		for (j = 0; j < i; j++) {
			b = c->listeners[j];
			if ((b->flags & LF_SOCKET) || a->port != b->port ||
			    strcmp(a->on, b->on) != 0 || (a->family != b->family &&
			    a->family != AF_UNSPEC && b->family != AF_UNSPEC))
				continue;
			perr(p, a->conf_file, a->conf_line, "listen on %s port %d "
			    "given twice (first at %s:%d)", a->on, a->port,
			    b->conf_file, b->conf_line);
			break;
		}
	}
}

/* 1 when the host has the address (or the address is a wildcard), 0 when not, -1 unknown. */
static int
host_has(const char *on)
{
	struct in_addr		 a4;
	struct in6_addr		 a6;
	struct ifaddrs		*ifs, *i;
	int			 af, found = 0;

	if (inet_pton(AF_INET, on, &a4) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, on, &a6) == 1)
		af = AF_INET6;
	else
		return -1;	/* a name: "any", an interface, a host name */
	if ((af == AF_INET && a4.s_addr == htonl(INADDR_ANY)) ||
	    (af == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a6)))
		return 1;
	if (getifaddrs(&ifs) == -1)
		return -1;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != af)
			continue;
		if (af == AF_INET)
			found = memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			    &a4, sizeof(a4)) == 0;
		else
			found = memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			    &a6, sizeof(a6)) == 0;
	}
	freeifaddrs(ifs);
	return found;
}

/* Only where the files are this host's: a config checked elsewhere may be for another. */
static void
check_addresses(struct parser *p)
{
	const struct conf	*c = p->conf;
	const struct listener	*l;
	size_t			 i;

	if (!p->allow_fs)
		return;
	for (i = 0; i < c->nlisteners; i++) {
		l = c->listeners[i];
		if ((l->flags & LF_SOCKET) || host_has(l->on) != 0)
			continue;
		pwarn(p, l->conf_file, l->conf_line, "listen on %s: this host has "
		    "no such address, so tegamid cannot start here", l->on);
	}
}

void
conf_check_listen(struct parser *p)
{
	check_duplicates(p);
	check_addresses(p);
}
