/* sa_is_loopback and sa_ntop on IPv4, IPv6 and IPv4-mapped addresses. */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>

#include "harness.h"
#include "lib/sockaddr.h"

static struct sockaddr_storage	 ss;

static const struct sockaddr *
addr(const char *text)
{
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &s6->sin6_addr);
	} else {
		struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, text, &s4->sin_addr);
	}
	return (const struct sockaddr *)&ss;
}

static void
t_loopback(void)
{
	T_ASSERT(sa_is_loopback(addr("127.0.0.1")));
	T_ASSERT(sa_is_loopback(addr("127.255.0.9")));
	T_ASSERT(sa_is_loopback(addr("::1")));
	T_ASSERT(sa_is_loopback(addr("::ffff:127.0.0.2")));
	T_ASSERT(!sa_is_loopback(addr("128.0.0.1")));
	T_ASSERT(!sa_is_loopback(addr("192.0.2.1")));
	T_ASSERT(!sa_is_loopback(addr("::2")));
	T_ASSERT(!sa_is_loopback(addr("::ffff:192.0.2.1")));
}

static void
t_ntop(void)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	char			 buf[64];

	sa_ntop(addr("192.0.2.1"), buf, sizeof(buf));
	T_EQ_STR(buf, "192.0.2.1");
	sa_ntop(addr("2001:db8::1"), buf, sizeof(buf));
	T_EQ_STR(buf, "2001:db8::1");
	sa_ntop((struct sockaddr *)&sun, buf, sizeof(buf));
	T_EQ_STR(buf, "unknown");
	/* Too small for the address: said plainly, never a cut address. */
	sa_ntop(addr("2001:db8::1"), buf, 5);
	T_EQ_STR(buf, "unkn");
}

void
test_main(void)
{
	t_run("loopback", t_loopback);
	t_run("ntop", t_ntop);
}
