/* Source address and HELO name of outgoing connections: src, src <table>, helo, helo-src <table>. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/map.h"
#include "lib/sockaddr.h"
#include "mta/mta_priv.h"

/* Parses addr as an address of family into ss; its length, or 0. */
static socklen_t
src_parse(const char *addr, int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6 && inet_pton(AF_INET6, addr,
	    &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return sizeof(struct sockaddr_in6);
	}
	if (family == AF_INET && inet_pton(AF_INET, addr,
	    &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return sizeof(struct sockaddr_in);
	}
	return 0;
}

/* "src <table>": the table's addresses of this family in turn. */
static const char *
src_pick(const struct table *t, int family)
{
	static unsigned			 turn;
	struct sockaddr_storage		 ss;
	const char			*key, *found[64];
	void				*v;
	size_t				 iter = 0, n = 0;

	while (n < 64 && map_iter(t->entries, &iter, &key, &v))
		if (src_parse(key, family, &ss) > 0)
			found[n++] = key;
	return n > 0 ? found[turn++ % n] : NULL;
}

int
mta_src_bind(const struct action *a, int fd, int family, char *why, size_t whylen)
{
	struct sockaddr_storage	 ss;
	const char		*addr = a->src;
	socklen_t		 len;

	if (addr == NULL && a->src_table != NULL)
		addr = src_pick(a->src_table, family);
	/* A source of the other family does not apply to this address. */
	if (addr == NULL || (len = src_parse(addr, family, &ss)) == 0)
		return 0;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(why, whylen, "cannot bind source address %s: %s", addr,
		    strerror(errno));
		return -1;
	}
	return 0;
}

const char *
mta_helo(const struct action *a, int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 addr[INET6_ADDRSTRLEN];
	const char		*name;

	if (a->helo_src != NULL && fd != -1 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		sa_ntop((struct sockaddr *)&ss, addr, sizeof(addr));
		if ((name = table_get(a->helo_src, addr)) != NULL)
			return name;
	}
	return a->helo ? a->helo : mta.conf->hostname;
}
