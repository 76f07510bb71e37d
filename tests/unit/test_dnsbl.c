/* Tests for src/dns/dnsbl.c: zone specifications, query names (RFC 5782 2.1, 2.4), answers. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dns/dnsbl.h"
#include "harness.h"

static struct sockaddr_storage ss;

static const struct sockaddr *
sa(const char *text)
{
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
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
test_names(void)
{
	char	 name[DNSBL_NAME_MAX + 1];

	T_EQ_INT(dnsbl_name_addr(sa("192.0.2.99"), "zen.example", name,
	    sizeof(name)), 0);
	T_EQ_STR(name, "99.2.0.192.zen.example");
	/* A dual-stack listener reports IPv4 clients as mapped addresses. */
	T_EQ_INT(dnsbl_name_addr(sa("::ffff:192.0.2.99"), "zen.example", name,
	    sizeof(name)), 0);
	T_EQ_STR(name, "99.2.0.192.zen.example");
	/* RFC 5782 2.4's own example. */
	T_EQ_INT(dnsbl_name_addr(sa("2001:db8:1:2:3:4:567:89ab"), "ugly.example",
	    name, sizeof(name)), 0);
	T_EQ_STR(name, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1."
	    "0.0.2.ugly.example");
	T_EQ_INT(dnsbl_name_addr(sa("192.0.2.99"), "zen.example", name, 10), -1);

	T_EQ_INT(dnsbl_name_domain("Spam.Example.", "rhsbl.example", name,
	    sizeof(name)), 0);
	T_EQ_STR(name, "spam.example.rhsbl.example");
	T_EQ_INT(dnsbl_name_domain("[192.0.2.1]", "rhsbl.example", name,
	    sizeof(name)), -1);
	T_EQ_INT(dnsbl_name_domain("", "rhsbl.example", name, sizeof(name)), -1);
}

static void
test_zone_parse(void)
{
	struct dnsbl_zone	 z;
	const char		*err = NULL;

	T_EQ_INT(dnsbl_zone_parse(&z, "Zen.Example.", &err), 0);
	T_EQ_STR(z.zone, "zen.example");
	T_EQ_INT(z.codes, 0);
	T_EQ_INT(dnsbl_zone_parse(&z, "zen.example=127.0.0.[2..11]", &err), 0);
	T_EQ_STR(z.zone, "zen.example");
	T_EQ_INT(z.codes, 1);
	T_EQ_INT(dnsbl_zone_parse(&z, "zen.example=127.0.[0;1].[2;4..9]", &err), 0);
	T_EQ_INT(dnsbl_zone_parse(&z, "", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "=127.0.0.2", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "bad zone", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "[192.0.2.1]", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "zen.example=127.0.0", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "zen.example=127.0.0.256", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "zen.example=127.0.0.[9..2]", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "zen.example=127.0.0.[2", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "zen.example=127.0.0.2x", &err), -1);
	T_EQ_INT(dnsbl_zone_parse(&z, "zen.example=127.0.0.0002", &err), -1);
}

static void
test_verdicts(void)
{
	struct dnsbl_zone	 any, some;
	const char		*err;
	static const unsigned char	 a2[] = { 127, 0, 0, 2 },
	    a4[] = { 127, 0, 0, 4 }, a10[] = { 127, 0, 0, 10 },
	    a12[] = { 127, 0, 0, 12 }, refused[] = { 127, 255, 255, 254 },
	    loop[] = { 127, 0, 0, 1 }, wild[] = { 192, 0, 2, 1 },
	    v1[] = { 127, 0, 1, 4 };

	T_EQ_INT(dnsbl_zone_parse(&any, "zen.example", &err), 0);
	T_EQ_INT(dnsbl_verdict_a(&any, a2, 4), DNSBL_LISTED);
	T_EQ_INT(dnsbl_verdict_a(&any, a10, 4), DNSBL_LISTED);
	T_EQ_INT(dnsbl_verdict_a(&any, refused, 4), DNSBL_LIST_ERROR);
	T_EQ_INT(dnsbl_verdict_a(&any, loop, 4), DNSBL_LIST_ERROR);
	T_EQ_INT(dnsbl_verdict_a(&any, wild, 4), DNSBL_LIST_ERROR);
	T_EQ_INT(dnsbl_verdict_a(&any, a2, 3), DNSBL_LIST_ERROR);

	T_EQ_INT(dnsbl_zone_parse(&some, "zen.example=127.0.[0;1].[2;4..9]",
	    &err), 0);
	T_EQ_INT(dnsbl_verdict_a(&some, a2, 4), DNSBL_LISTED);
	T_EQ_INT(dnsbl_verdict_a(&some, a4, 4), DNSBL_LISTED);
	T_EQ_INT(dnsbl_verdict_a(&some, v1, 4), DNSBL_LISTED);
	T_EQ_INT(dnsbl_verdict_a(&some, a10, 4), DNSBL_NOT_LISTED);
	T_EQ_INT(dnsbl_verdict_a(&some, a12, 4), DNSBL_NOT_LISTED);
	T_EQ_INT(dnsbl_verdict_a(&some, refused, 4), DNSBL_NOT_LISTED);
}

static void
test_txt(void)
{
	static const unsigned char	 two[] = "\x05Spam \x06source";
	static const unsigned char	 ctl[] = "\x03" "a\x01\xff";
	static const unsigned char	 bad[] = "\x09short";
	char				 out[64];

	T_EQ_INT(dnsbl_txt(two, sizeof(two) - 1, out, sizeof(out)), 0);
	T_EQ_STR(out, "Spam source");
	T_EQ_INT(dnsbl_txt(two, sizeof(two) - 1, out, 5), 0);
	T_EQ_STR(out, "Spam");
	T_EQ_INT(dnsbl_txt(ctl, sizeof(ctl) - 1, out, sizeof(out)), 0);
	T_EQ_STR(out, "a??");
	T_EQ_INT(dnsbl_txt(bad, sizeof(bad) - 1, out, sizeof(out)), -1);
	T_EQ_INT(dnsbl_txt(two, 0, out, sizeof(out)), 0);
	T_EQ_STR(out, "");
}

void
test_main(void)
{
	t_run("names", test_names);
	t_run("zone_parse", test_zone_parse);
	t_run("verdicts", test_verdicts);
	t_run("txt", test_txt);
}
