/* Tests for src/mail/addr.c: RFC 5321 mailbox syntax, limits, UTF-8, formatting. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mail/addr.h"

/* Parses s and checks the stored parts; want_local NULL means it must fail with want_err. */
static int
parse_is(const char *s, int utf8, const char *want_local,
    const char *want_domain, const char *want_err)
{
	struct mailaddr	 a;
	const char	*err = NULL;
	int		 r;

	r = addr_parse(&a, s, utf8, &err);
	if (want_local == NULL) {
		if (r != -1 || err == NULL || strcmp(err, want_err) != 0) {
			fprintf(stderr, "  \"%s\": r=%d err=\"%s\", want \"%s\"\n",
			    s, r, err ? err : "(null)", want_err);
			return 0;
		}
		return 1;
	}
	if (r != 0 || strcmp(a.local, want_local) != 0 ||
	    strcmp(a.domain, want_domain) != 0) {
		fprintf(stderr, "  \"%s\": r=%d err=\"%s\" local=\"%s\" domain=\"%s\"\n",
		    s, r, err ? err : "", a.local, a.domain);
		return 0;
	}
	return 1;
}

#define OK(s, u, l, d)	T_ASSERT(parse_is((s), (u), (l), (d), NULL))
#define BAD(s, u, e)	T_ASSERT(parse_is((s), (u), NULL, NULL, (e)))

/* A string of n copies of c. */
static const char *
rep(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void
test_dot_string(void)
{
	OK("user@example.org", 0, "user", "example.org");
	OK("John.Doe@Example.ORG", 0, "John.Doe", "example.org");
	OK("a+tag@x.y", 0, "a+tag", "x.y");
	OK("!#$%&'*+-/=?^_`{|}~@x.y", 0, "!#$%&'*+-/=?^_`{|}~", "x.y");
	OK("a.b.c@localhost", 0, "a.b.c", "localhost");
	OK("x@1.2.3.4", 0, "x", "1.2.3.4");
	BAD(".a@x.y", 0, "misplaced dot in local part");
	BAD("a.@x.y", 0, "misplaced dot in local part");
	BAD("a..b@x.y", 0, "misplaced dot in local part");
	BAD("@x.y", 0, "empty local part");
	BAD("a b@x.y", 0, "invalid character in local part");
	BAD("a(b)@x.y", 0, "invalid character in local part");
	BAD("a,b@x.y", 0, "invalid character in local part");
	BAD("a\tb@x.y", 0, "invalid character in local part");
	BAD("a\\b@x.y", 0, "invalid character in local part");
	BAD("user", 0, "missing domain");
	BAD("user@", 0, "missing domain");
	BAD("", 0, "missing domain");
}

static void
test_quoted(void)
{
	/* Plain dot-atom content: stored unquoted, equal to the dot-string form. */
	OK("\"john.doe\"@x.y", 0, "john.doe", "x.y");
	OK("\"\\j\\o\\h\\n\"@x.y", 0, "john", "x.y");
	/* Anything else stays quoted as given so formatting round-trips. */
	OK("\"john doe\"@x.y", 0, "\"john doe\"", "x.y");
	OK("\"a..b\"@x.y", 0, "\"a..b\"", "x.y");
	OK("\".a\"@x.y", 0, "\".a\"", "x.y");
	OK("\"\"@x.y", 0, "\"\"", "x.y");
	OK("\"a@b\"@x.y", 0, "\"a@b\"", "x.y");
	OK("\"a\\\"b\"@x.y", 0, "\"a\\\"b\"", "x.y");
	OK("\"a\\\\b\"@x.y", 0, "\"a\\\\b\"", "x.y");
	OK("\"<>\"@x.y", 0, "\"<>\"", "x.y");
	BAD("\"abc@x.y", 0, "unterminated quoted string");
	BAD("\"abc\"x@x.y", 0, "invalid character after quoted string");
	BAD("\"abc\"", 0, "missing domain");
	BAD("\"a\tb\"@x.y", 0, "invalid character in quoted string");
	BAD("\"a\x7f" "b\"@x.y", 0, "invalid character in quoted string");
	BAD("\"a\\\tb\"@x.y", 0, "invalid quoted pair in local part");
	BAD("\"a\\", 0, "invalid quoted pair in local part");
	BAD("a\"b\"@x.y", 0, "invalid character in local part");
}

static void
test_domain(void)
{
	char	 l63[64], l64[65], d[300];

	OK("u@a-b.c-d", 0, "u", "a-b.c-d");
	OK("u@a--b.c", 0, "u", "a--b.c");
	OK("u@xn--bcher-kva.example", 0, "u", "xn--bcher-kva.example");
	OK("u@0.9", 0, "u", "0.9");
	BAD("u@-a.b", 0, "domain label starts with a hyphen");
	BAD("u@a-.b", 0, "domain label ends with a hyphen");
	BAD("u@a.b-", 0, "domain label ends with a hyphen");
	BAD("u@a.-b", 0, "domain label starts with a hyphen");
	BAD("u@a..b", 0, "empty domain label");
	BAD("u@.a", 0, "empty domain label");
	BAD("u@a.b.", 0, "trailing dot in domain");
	BAD("u@a_b.c", 0, "invalid character in domain");
	BAD("u@a b.c", 0, "invalid character in domain");
	BAD("u@a@b.c", 0, "invalid character in domain");
	BAD("u@a.b>", 0, "invalid character in domain");

	/* Label of exactly 63 octets passes, 64 fails. */
	snprintf(d, sizeof(d), "u@%s.org", rep(l63, 'a', 63));
	OK(d, 0, "u", d + 2);
	snprintf(d, sizeof(d), "u@%s.org", rep(l64, 'a', 64));
	BAD(d, 0, "domain label too long");
	snprintf(d, sizeof(d), "u@x.%s", rep(l64, 'b', 64));
	BAD(d, 0, "domain label too long");
}

static void
test_domain_length(void)
{
	char	 d[300], s[400];
	size_t	 n;

	/* 255-octet domain: four labels of 63 plus three dots = 255. */
	memset(d, 'a', 255);
	d[63] = d[127] = d[191] = '.';
	d[255] = '\0';
	T_EQ_INT(strlen(d), 255);
	{
		const char	*err = NULL;

		T_EQ_INT(addr_domain_check(d, 255, 0, &err), 0);
		d[254] = '\0';
		T_EQ_INT(addr_domain_check(d, 254, 0, &err), 0);
		d[254] = 'a';
	}
	/* Domain of 255 with a local part "u": total 257 > 256 path limit. */
	n = (size_t)snprintf(s, sizeof(s), "u@%s", d);
	T_EQ_INT(n, 257);
	BAD(s, 0, "address too long");
	/* Total exactly 256 passes: domain of 254. */
	d[254] = '\0';
	snprintf(s, sizeof(s), "u@%s", d);
	T_EQ_INT(strlen(s), 256);
	OK(s, 0, "u", d);
	{
		const char	*err = NULL;
		char		 big[300];

		memset(big, 'a', 256);
		big[63] = big[127] = big[191] = big[255 - 1] = '.';
		big[256] = '\0';
		T_EQ_INT(addr_domain_check(big, 256, 0, &err), -1);
		T_EQ_STR(err, "domain too long");
		T_EQ_INT(addr_domain_check("", 0, 0, &err), -1);
		T_EQ_STR(err, "empty domain");
	}
}

static void
test_local_length(void)
{
	char	 l[80], s[200];

	snprintf(s, sizeof(s), "%s@x.y", rep(l, 'a', 64));
	OK(s, 0, l, "x.y");
	snprintf(s, sizeof(s), "%s@x.y", rep(l, 'a', 65));
	BAD(s, 0, "local part too long");
	/* Quoted: the limit counts the quotes. */
	snprintf(s, sizeof(s), "\"%s\"@x.y", rep(l, 'a', 62));
	OK(s, 0, l, "x.y");
	snprintf(s, sizeof(s), "\"%s \"@x.y", rep(l, 'a', 61));
	{
		char	 want[128];

		snprintf(want, sizeof(want), "\"%s \"", l);
		OK(s, 0, want, "x.y");
	}
	snprintf(s, sizeof(s), "\"%s\"@x.y", rep(l, 'a', 63));
	BAD(s, 0, "local part too long");
	snprintf(s, sizeof(s), "\"%s\"@x.y", rep(l, 'a', 70));
	BAD(s, 0, "local part too long");
	/* Escapes count as given, not as decoded. */
	snprintf(s, sizeof(s), "\"%s\\a\"@x.y", rep(l, 'a', 61));
	BAD(s, 0, "local part too long");
	snprintf(s, sizeof(s), "\"%s\\a\"@x.y", rep(l, 'a', 60));
	{
		char	 want[128];

		snprintf(want, sizeof(want), "%sa", l);
		OK(s, 0, want, "x.y");
	}
	/* A multi-octet character straddling the limit. */
	snprintf(s, sizeof(s), "\"%s\xe6\x97\xa5\"@x.y", rep(l, 'a', 60));
	BAD(s, 1, "local part too long");
	snprintf(s, sizeof(s), "\"%s\xe6\x97\xa5\"@x.y", rep(l, 'a', 59));
	{
		char	 want[128];

		snprintf(want, sizeof(want), "%s\xe6\x97\xa5", l);
		OK(s, 1, want, "x.y");
	}
}

static void
test_literals(void)
{
	OK("u@[192.0.2.1]", 0, "u", "[192.0.2.1]");
	OK("u@[IPv6:2001:DB8::1]", 0, "u", "[IPv6:2001:db8::1]");
	OK("u@[ipv6:::1]", 0, "u", "[IPv6:::1]");
	OK("u@[IPv6:::ffff:192.0.2.1]", 0, "u", "[IPv6:::ffff:192.0.2.1]");
	BAD("u@[192.0.2.256]", 0, "invalid IPv4 address literal");
	BAD("u@[192.0.2]", 0, "invalid IPv4 address literal");
	BAD("u@[192.0.2.1.5]", 0, "invalid IPv4 address literal");
	BAD("u@[ 192.0.2.1]", 0, "invalid IPv4 address literal");
	BAD("u@[example.org]", 0, "invalid IPv4 address literal");
	BAD("u@[IPv6:2001:db8::g]", 0, "invalid IPv6 address literal");
	BAD("u@[IPv6:1.2.3.4]", 0, "invalid IPv6 address literal");
	BAD("u@[IPv6:fe80::1%eth0]", 0, "invalid IPv6 address literal");
	BAD("u@[2001:db8::1]", 0, "unsupported address literal");
	BAD("u@[x-tag:abc]", 0, "unsupported address literal");
	BAD("u@[192.0.2.1", 0, "unterminated address literal");
	BAD("u@[]", 0, "unterminated address literal");
	BAD("u@[192.0.2.1]x", 0, "unterminated address literal");
	/* Longer than an IPv6 text address can be. */
	BAD("u@[IPv6:1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa]", 0,
	    "invalid IPv6 address literal");
}

static void
test_utf8(void)
{
	/* U+00E9, U+65E5 U+672C, U+1F600 */
	OK("jos\xc3\xa9@ex.org", 1, "jos\xc3\xa9", "ex.org");
	OK("\xe6\x97\xa5\xe6\x9c\xac@\xe4\xbe\x8b.jp", 1,
	    "\xe6\x97\xa5\xe6\x9c\xac", "\xe4\xbe\x8b.jp");
	OK("\xf0\x9f\x98\x80@x.y", 1, "\xf0\x9f\x98\x80", "x.y");
	OK("\"\xc3\xa9 x\"@x.y", 1, "\"\xc3\xa9 x\"", "x.y");
	OK("\"\xc3\xa9\"@x.y", 1, "\xc3\xa9", "x.y");
	/* Without SMTPUTF8 any octet >= 0x80 is refused. */
	BAD("jos\xc3\xa9@ex.org", 0, "non-ASCII character without SMTPUTF8");
	BAD("u@\xe4\xbe\x8b.jp", 0, "non-ASCII character without SMTPUTF8");
	BAD("\"\xc3\xa9\"@x.y", 0, "non-ASCII character without SMTPUTF8");
	/* Invalid UTF-8: lone continuation, overlongs, surrogates, > U+10FFFF, truncated. */
	BAD("\x80@x.y", 1, "invalid UTF-8 in address");
	BAD("\xc0\xaf@x.y", 1, "invalid UTF-8 in address");
	BAD("\xc1\xbf@x.y", 1, "invalid UTF-8 in address");
	BAD("\xe0\x80\xaf@x.y", 1, "invalid UTF-8 in address");
	BAD("\xe0\x9f\xbf@x.y", 1, "invalid UTF-8 in address");
	BAD("\xed\xa0\x80@x.y", 1, "invalid UTF-8 in address");
	BAD("\xed\xbf\xbf@x.y", 1, "invalid UTF-8 in address");
	BAD("\xf0\x8f\xbf\xbf@x.y", 1, "invalid UTF-8 in address");
	BAD("\xf4\x90\x80\x80@x.y", 1, "invalid UTF-8 in address");
	BAD("\xf5\x80\x80\x80@x.y", 1, "invalid UTF-8 in address");
	BAD("\xff@x.y", 1, "invalid UTF-8 in address");
	BAD("a\xc3@x.y", 1, "invalid UTF-8 in address");
	BAD("u@x\xe6\x97", 1, "invalid UTF-8 in address");
	BAD("\"\xe6\x97\"@x.y", 1, "invalid UTF-8 in address");
	/*
	 * Well-formed but never in an address: C1 controls (U+0080, U+0085
	 * NEL, U+009B CSI, U+009F), the line separator, bidi marks and
	 * overrides, isolates, zero-width characters, in the local part, a
	 * quoted string and the domain (the audit's U+202E sender).
	 */
	BAD("\xc2\x80@x.y", 1, "control or invisible character in address");
	BAD("ceo\xc2\x85@x.y", 1, "control or invisible character in address");
	BAD("ceo\xc2\x9b" "31m@x.y", 1, "control or invisible character in address");
	BAD("\xc2\x9f@x.y", 1, "control or invisible character in address");
	BAD("ceo\xe2\x80\xaegro.knab@bank.example", 1,
	    "control or invisible character in address");
	BAD("a\xe2\x80\xa8" "b@x.y", 1, "control or invisible character in address");
	BAD("a\xe2\x80\x8f@x.y", 1, "control or invisible character in address");
	BAD("a\xe2\x81\xa6@x.y", 1, "control or invisible character in address");
	BAD("a\xe2\x80\x8b@x.y", 1, "control or invisible character in address");
	BAD("a\xef\xbb\xbf@x.y", 1, "control or invisible character in address");
	BAD("\"a\xe2\x80\xae\"@x.y", 1, "control or invisible character in address");
	BAD("u@ex\xe2\x80\xae" "ample.y", 1, "control or invisible character in address");
	/* Edges that are valid: U+00A0, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF */
	OK("\xc2\xa0@x.y", 1, "\xc2\xa0", "x.y");
	OK("\xdf\xbf@x.y", 1, "\xdf\xbf", "x.y");
	OK("\xe0\xa0\x80@x.y", 1, "\xe0\xa0\x80", "x.y");
	OK("\xed\x9f\xbf@x.y", 1, "\xed\x9f\xbf", "x.y");
	OK("\xee\x80\x80@x.y", 1, "\xee\x80\x80", "x.y");
	OK("\xef\xbf\xbf@x.y", 1, "\xef\xbf\xbf", "x.y");
	OK("\xf0\x90\x80\x80@x.y", 1, "\xf0\x90\x80\x80", "x.y");
	OK("\xf4\x8f\xbf\xbf@x.y", 1, "\xf4\x8f\xbf\xbf", "x.y");
}

static void
test_utf8_len(void)
{
	T_EQ_INT(addr_utf8_len("a", 1), 1);
	T_EQ_INT(addr_utf8_len("", 0), 0);
	T_EQ_INT(addr_utf8_len("\xc3\xa9", 2), 2);
	T_EQ_INT(addr_utf8_len("\xc3\xa9", 1), 0);
	T_EQ_INT(addr_utf8_len("\xe6\x97\xa5", 3), 3);
	T_EQ_INT(addr_utf8_len("\xe6\x97\xa5", 2), 0);
	T_EQ_INT(addr_utf8_len("\xf0\x9f\x98\x80", 4), 4);
	T_EQ_INT(addr_utf8_len("\xf0\x9f\x98\x80", 3), 0);
	T_EQ_INT(addr_utf8_len("\xf0\x9f\x98" "a", 4), 0);
	T_EQ_INT(addr_utf8_len("\xc3" "a", 2), 0);
}

static void
test_domain_utf8_labels(void)
{
	char	 d[300], l[200];
	size_t	 i;

	/* 21 three-octet characters: a 63-octet label passes, 66 fails. */
	for (i = 0; i < 21; i++)
		memcpy(l + 3 * i, "\xe4\xbe\x8b", 3);
	l[63] = '\0';
	snprintf(d, sizeof(d), "u@%s.jp", l);
	OK(d, 1, "u", d + 2);
	memcpy(l + 63, "\xe4\xbe\x8b", 3);
	l[66] = '\0';
	snprintf(d, sizeof(d), "u@%s.jp", l);
	BAD(d, 1, "domain label too long");
}

static void
test_format(void)
{
	struct mailaddr	 a;
	const char	*err;
	char		 out[ADDR_PATH_MAX + 1];
	static const char *const round[] = {
		"user@example.org", "\"john doe\"@x.y", "\"a\\\"b\"@x.y",
		"u@[IPv6:::1]", "\"\"@x.y", "jos\xc3\xa9@ex.org",
	};
	size_t		 i;

	T_EQ_INT(addr_parse(&a, "\"john.doe\"@EXAMPLE.org", 0, &err), 0);
	addr_format(&a, out, sizeof(out));
	T_EQ_STR(out, "john.doe@example.org");
	for (i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		struct mailaddr	 b;

		T_EQ_INT(addr_parse(&a, round[i], 1, &err), 0);
		addr_format(&a, out, sizeof(out));
		T_EQ_STR(out, round[i]);
		T_EQ_INT(addr_parse(&b, out, 1, &err), 0);
		T_EQ_STR(b.local, a.local);
		T_EQ_STR(b.domain, a.domain);
	}
	strcpy(a.local, "postmaster");
	a.domain[0] = '\0';
	addr_format(&a, out, sizeof(out));
	T_EQ_STR(out, "postmaster");
	/* Truncates, always terminated. */
	T_EQ_INT(addr_parse(&a, "user@example.org", 0, &err), 0);
	addr_format(&a, out, 6);
	T_EQ_STR(out, "user@");
}

static void
test_subaddr(void)
{
	struct mailaddr	 a;
	const char	*err;

	T_EQ_INT(addr_parse(&a, "user+tag+more@x.y", 0, &err), 0);
	addr_strip_subaddr(&a, '+');
	T_EQ_STR(a.local, "user");
	T_EQ_STR(a.domain, "x.y");
	T_EQ_INT(addr_parse(&a, "user-tag@x.y", 0, &err), 0);
	addr_strip_subaddr(&a, '+');
	T_EQ_STR(a.local, "user-tag");
	addr_strip_subaddr(&a, '-');
	T_EQ_STR(a.local, "user");
	T_EQ_INT(addr_parse(&a, "user+tag@x.y", 0, &err), 0);
	addr_strip_subaddr(&a, '\0');
	T_EQ_STR(a.local, "user+tag");
	/* Would become empty or end with a dot: left alone. */
	T_EQ_INT(addr_parse(&a, "+tag@x.y", 0, &err), 0);
	addr_strip_subaddr(&a, '+');
	T_EQ_STR(a.local, "+tag");
	T_EQ_INT(addr_parse(&a, "a.+tag@x.y", 0, &err), 0);
	addr_strip_subaddr(&a, '+');
	T_EQ_STR(a.local, "a.+tag");
	/* Quoted local parts are not split. */
	T_EQ_INT(addr_parse(&a, "\"a+b c\"@x.y", 0, &err), 0);
	addr_strip_subaddr(&a, '+');
	T_EQ_STR(a.local, "\"a+b c\"");
}

static void
test_lower_and_utf8_flag(void)
{
	struct mailaddr	 a;
	const char	*err;
	char		 s[] = "MiXeD-Case.ORG \xc3\x89";

	addr_lower(s);
	T_EQ_STR(s, "mixed-case.org \xc3\x89");
	T_EQ_INT(addr_parse(&a, "User@Example.ORG", 1, &err), 0);
	T_EQ_STR(a.local, "User");
	T_EQ_INT(addr_is_utf8(&a), 0);
	T_EQ_INT(addr_parse(&a, "u@\xe4\xbe\x8b.jp", 1, &err), 0);
	T_EQ_INT(addr_is_utf8(&a), 1);
	T_EQ_INT(addr_parse(&a, "\xc3\xa9@x.jp", 1, &err), 0);
	T_EQ_INT(addr_is_utf8(&a), 1);
}

static void
test_failure_clears(void)
{
	struct mailaddr	 a;
	const char	*err;

	strcpy(a.local, "stale");
	strcpy(a.domain, "stale");
	T_EQ_INT(addr_parse(&a, "bad..x@y", 0, &err), -1);
	T_EQ_STR(a.local, "");
	T_EQ_STR(a.domain, "");
}

void
test_main(void)
{
	t_run("dot_string", test_dot_string);
	t_run("quoted", test_quoted);
	t_run("domain", test_domain);
	t_run("domain_length", test_domain_length);
	t_run("local_length", test_local_length);
	t_run("literals", test_literals);
	t_run("utf8", test_utf8);
	t_run("utf8_len", test_utf8_len);
	t_run("domain_utf8_labels", test_domain_utf8_labels);
	t_run("format", test_format);
	t_run("subaddr", test_subaddr);
	t_run("lower_and_utf8_flag", test_lower_and_utf8_flag);
	t_run("failure_clears", test_failure_clears);
}
