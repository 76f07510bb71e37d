/* Tests for src/mail/helo.c: the kinds of HELO names the filter conditions tell apart. */
#include <sys/socket.h>

#include <string.h>

#include "harness.h"
#include "mail/helo.h"

static enum helo_kind
kind(const char *s)
{
	return helo_classify(s, strlen(s), NULL, 0, NULL, NULL);
}

static void
test_fqdn(void)
{
	T_EQ_INT(kind("mail.example.org"), HELO_FQDN);
	T_EQ_INT(kind("MAIL.Example.ORG."), HELO_FQDN);
	T_EQ_INT(kind("a.b"), HELO_FQDN);
	T_EQ_INT(kind("host_1.example.com"), HELO_FQDN);
	T_EQ_INT(kind("xn--bcher-kva.example"), HELO_FQDN);
	T_EQ_INT(kind("b\xc3\xbc" "cher.example"), HELO_FQDN);
	T_EQ_INT(kind("1host.2example.org"), HELO_FQDN);
}

static void
test_not_fqdn(void)
{
	T_EQ_INT(kind("localhost"), HELO_NOT_FQDN);
	T_EQ_INT(kind("pc123"), HELO_NOT_FQDN);
	T_EQ_INT(kind("pc123."), HELO_NOT_FQDN);
	T_EQ_INT(kind("host.123"), HELO_NOT_FQDN);
}

static void
test_invalid(void)
{
	const char	*why = NULL;
	char		 long_label[80];

	T_EQ_INT(helo_classify("192.0.2.1", 9, NULL, 0, NULL, &why), HELO_INVALID);
	T_EQ_STR(why, "address without brackets");
	T_EQ_INT(kind("1.2.3"), HELO_INVALID);
	T_EQ_INT(kind(""), HELO_INVALID);
	T_EQ_INT(kind("."), HELO_INVALID);
	T_EQ_INT(kind("a..b"), HELO_INVALID);
	T_EQ_INT(kind(".a.b"), HELO_INVALID);
	T_EQ_INT(kind("-a.example"), HELO_INVALID);
	T_EQ_INT(kind("a-.example"), HELO_INVALID);
	T_EQ_INT(kind("a.example-"), HELO_INVALID);
	T_EQ_INT(kind("exa mple.org"), HELO_INVALID);
	T_EQ_INT(kind("user@example.org"), HELO_INVALID);
	T_EQ_INT(kind("ex!ample.org"), HELO_INVALID);
	T_EQ_INT(kind("a.example.."), HELO_INVALID);
	T_EQ_INT(kind("bad\xff.example"), HELO_INVALID);
	T_EQ_INT(kind("[192.0.2.1"), HELO_INVALID);
	T_EQ_INT(kind("[300.0.2.1]"), HELO_INVALID);
	T_EQ_INT(kind("[IPv6:zz::1]"), HELO_INVALID);
	T_EQ_INT(kind("[tag:content]"), HELO_INVALID);
	T_EQ_INT(kind("[]"), HELO_INVALID);
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".example");
	T_EQ_INT(kind(long_label), HELO_INVALID);
	/* 63 octets is the most a label may have. */
	strcpy(long_label + 63, ".example");
	T_EQ_INT(kind(long_label), HELO_FQDN);
	/* The length passed counts, not the NUL: a NUL inside is refused. */
	T_EQ_INT(helo_classify("a.b\0c", 5, NULL, 0, NULL, NULL), HELO_INVALID);
}

static void
test_literal(void)
{
	char	 addr[64];
	int	 family = 0;

	T_EQ_INT(helo_classify("[192.0.2.1]", 11, addr, sizeof(addr), &family,
	    NULL), HELO_LITERAL);
	T_EQ_STR(addr, "192.0.2.1");
	T_EQ_INT(family, AF_INET);
	T_EQ_INT(helo_classify("[IPv6:2001:DB8:0::1]", 20, addr, sizeof(addr),
	    &family, NULL), HELO_LITERAL);
	T_EQ_STR(addr, "2001:db8::1");
	T_EQ_INT(family, AF_INET6);
	T_EQ_INT(kind("[ipv6:::1]"), HELO_LITERAL);
	/* An IPv6 address needs its tag. */
	T_EQ_INT(kind("[::1]"), HELO_INVALID);
}

static void
test_same_name(void)
{
	T_ASSERT(helo_same_name("MX.example.org", "mx.example.org"));
	T_ASSERT(helo_same_name("mx.example.org.", "mx.example.org"));
	T_ASSERT(helo_same_name("mx.example.org", "mx.example.org."));
	T_ASSERT(!helo_same_name("mx.example.org", "mx.example.org.evil"));
	T_ASSERT(!helo_same_name("", ""));
	T_ASSERT(!helo_same_name(NULL, "a"));
}

void
test_main(void)
{
	t_run("fqdn", test_fqdn);
	t_run("not_fqdn", test_not_fqdn);
	t_run("invalid", test_invalid);
	t_run("literal", test_literal);
	t_run("same_name", test_same_name);
}
