/* Tests for src/mail/smtp_cmd.c: real command lines, every error reply, limits. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mail/smtp_cmd.h"

static struct smtp_cmd		 c;
static struct smtp_cmd_error	 e;

static int
parse_n(const char *line, size_t len)
{
	return smtp_cmd_parse(&c, line, len, &e);
}

static int
parse(const char *line)
{
	return parse_n(line, strlen(line));
}

/* The line must fail with this code and enhanced code. */
static int
refused_n(const char *line, size_t len, int code, const char *enh)
{
	if (parse_n(line, len) != -1 || e.code != code || e.enhanced == NULL ||
	    strcmp(e.enhanced, enh) != 0 || e.text == NULL || e.text[0] == '\0') {
		fprintf(stderr, "  \"%.*s\": got %d %s %s, want %d %s\n",
		    (int)(len > 80 ? 80 : len), line, e.code,
		    e.enhanced ? e.enhanced : "-", e.text ? e.text : "-", code, enh);
		return 0;
	}
	return 1;
}

static int
refused(const char *line, int code, const char *enh)
{
	return refused_n(line, strlen(line), code, enh);
}

static int
accepted(const char *line)
{
	if (parse(line) != 0) {
		fprintf(stderr, "  \"%s\": refused %d %s %s\n", line, e.code,
		    e.enhanced, e.text);
		return 0;
	}
	return 1;
}

#define OK(l)		T_ASSERT(accepted(l))
#define ERR(l, c, x)	T_ASSERT(refused((l), (c), (x)))

static void
test_verbs(void)
{
	static const struct {
		const char	*line;
		enum smtp_verb	 verb;
	} v[] = {
		{ "HELO x", SMTP_HELO }, { "ehlo x", SMTP_EHLO },
		{ "LhLo x", SMTP_LHLO }, { "MAIL FROM:<>", SMTP_MAIL },
		{ "rcpt to:<a@b>", SMTP_RCPT }, { "DATA", SMTP_DATA },
		{ "BDAT 1", SMTP_BDAT }, { "rset", SMTP_RSET },
		{ "NOOP", SMTP_NOOP }, { "QUIT", SMTP_QUIT },
		{ "HELP", SMTP_HELP }, { "VRFY x", SMTP_VRFY },
		{ "EXPN x", SMTP_EXPN }, { "StartTLS", SMTP_STARTTLS },
		{ "AUTH PLAIN", SMTP_AUTH },
	};
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		OK(v[i].line);
		T_EQ_INT(c.verb, v[i].verb);
	}
	ERR("FOO", 500, "5.5.2");
	ERR("MAILX FROM:<>", 500, "5.5.2");
	ERR("DATAX", 500, "5.5.2");
	ERR("STARTTLSS", 500, "5.5.2");
	ERR("", 500, "5.5.2");
	ERR(" DATA", 500, "5.5.2");
	ERR("MAIL:FROM:<>", 500, "5.5.2");
	T_EQ_INT(c.verb, SMTP_UNKNOWN);
	ERR("GET / HTTP/1.0", 500, "5.5.2");
}

static void
test_nul_and_controls(void)
{
	T_ASSERT(refused_n("NOOP\0x", 6, 500, "5.5.2"));
	T_ASSERT(refused_n("\0", 1, 500, "5.5.2"));
	T_ASSERT(refused_n("MAIL FROM:<a\0@b.c>", 18, 500, "5.5.2"));
	T_ASSERT(refused_n("DATA\0", 5, 500, "5.5.2"));
	ERR("NOOP\r", 500, "5.5.2");
	ERR("RSET\rMAIL FROM:<a@b.c>", 500, "5.5.2");
	ERR("EHLO a\nb", 500, "5.5.2");
	ERR("EHLO\tx", 500, "5.5.2");
	ERR("NOOP \x7f", 500, "5.5.2");
	/* len is honoured: a NUL just past it is not looked at. */
	T_ASSERT(parse_n("NOOP\0", 4) == 0);
	T_ASSERT(parse_n("QUITTING", 4) == 0);
	T_EQ_INT(c.verb, SMTP_QUIT);
}

static void
test_helo(void)
{
	char	 line[400];

	OK("EHLO client.example.net");
	T_EQ_STR(c.arg, "client.example.net");
	OK("HELO [192.0.2.1]");
	T_EQ_STR(c.arg, "[192.0.2.1]");
	OK("LHLO [IPv6:2001:db8::1]");
	T_EQ_STR(c.arg, "[IPv6:2001:db8::1]");
	/* Checked loosely: spaces around are trimmed. */
	OK("EHLO  client ");
	T_EQ_STR(c.arg, "client");
	ERR("EHLO", 501, "5.5.4");
	ERR("EHLO ", 501, "5.5.4");
	ERR("HELO   ", 501, "5.5.4");
	ERR("LHLO", 501, "5.5.4");
	ERR("EHLO a b", 501, "5.5.4");
	ERR("EHLO caf\xc3\xa9.example", 501, "5.5.4");
	/* 255 octets pass, 256 do not. */
	memcpy(line, "EHLO ", 5);
	memset(line + 5, 'a', 255);
	line[260] = '\0';
	OK(line);
	T_EQ_INT(strlen(c.arg), 255);
	line[260] = 'a';
	line[261] = '\0';
	ERR(line, 501, "5.5.4");
}

static void
test_mail(void)
{
	OK("MAIL FROM:<alice@example.net>");
	T_EQ_STR(c.addr.local, "alice");
	T_EQ_STR(c.addr.domain, "example.net");
	T_EQ_INT(c.null_path, 0);
	T_EQ_INT(c.size, -1);
	T_EQ_INT(c.body, BODY_DEFAULT);
	OK("mail from:<Alice@EXAMPLE.net>");
	T_EQ_STR(c.addr.local, "Alice");
	T_EQ_STR(c.addr.domain, "example.net");
	/* The liberties Postfix takes: a space, and no brackets. */
	OK("MAIL FROM: <alice@example.net>");
	T_EQ_STR(c.addr.local, "alice");
	OK("MAIL FROM: noel@example.gr.jp");
	T_EQ_STR(c.addr.local, "noel");
	T_EQ_STR(c.addr.domain, "example.gr.jp");
	OK("MAIL FROM:a@b.c");
	T_EQ_STR(c.addr.domain, "b.c");
	OK("MAIL FROM:a@B.c SIZE=100 BODY=8BITMIME");
	T_EQ_STR(c.addr.domain, "b.c");
	T_EQ_INT(c.size, 100);
	T_EQ_INT(c.body, BODY_8BITMIME);
	OK("MAIL FROM:@relay.example:a@b.c");
	T_EQ_STR(c.addr.local, "a");
	T_EQ_STR(c.addr.domain, "b.c");
	ERR("MAIL FROM:@relay.example:", 553, "5.1.7");
	ERR("MAIL FROM:a@b.c ", 501, "5.5.4");
	ERR("MAIL FROM:  <alice@example.net>", 553, "5.1.7");
	OK("MAIL FROM:<>");
	T_EQ_INT(c.null_path, 1);
	T_EQ_STR(c.addr.local, "");
	OK("MAIL FROM: <>");
	T_EQ_INT(c.null_path, 1);
	OK("MAIL FROM:<\"a>b c\"@example.net>");
	T_EQ_STR(c.addr.local, "\"a>b c\"");
	OK("MAIL FROM:<\"a\\\">\"@example.net>");
	T_EQ_STR(c.addr.local, "\"a\\\">\"");
	OK("MAIL FROM:<u@[192.0.2.1]>");
	T_EQ_STR(c.addr.domain, "[192.0.2.1]");

	ERR("MAIL", 501, "5.5.4");
	ERR("MAIL ", 501, "5.5.4");
	ERR("MAIL FROM:", 501, "5.5.4");
	ERR("MAIL FROM: ", 501, "5.5.4");
	ERR("MAIL FROM <a@b.c>", 501, "5.5.4");
	ERR("MAIL TO:<a@b.c>", 501, "5.5.4");
	ERR("MAIL FROM:a<b@b.c", 553, "5.1.7");
	ERR("MAIL FROM: \"a b\"@b.c", 553, "5.1.7");
	ERR("MAIL FROM: a@b.c>", 553, "5.1.7");
	ERR("MAIL FROM: a@b..c", 553, "5.1.7");
	ERR("MAIL FROM:<a@b.c", 553, "5.1.7");
	ERR("MAIL FROM:<\"a>@b.c", 553, "5.1.7");
	ERR("MAIL FROM:<a..b@c.d>", 553, "5.1.7");
	T_EQ_STR(e.text, "misplaced dot in local part");
	ERR("MAIL FROM:<a@b..c>", 553, "5.1.7");
	ERR("MAIL FROM:<a@-b.c>", 553, "5.1.7");
	ERR("MAIL FROM:<a@b.c.>", 553, "5.1.7");
	T_EQ_STR(e.text, "trailing dot in domain");
	ERR("MAIL FROM:<a@[300.1.1.1]>", 553, "5.1.7");
	ERR("MAIL FROM:<postmaster>", 553, "5.1.7");
	ERR("MAIL FROM:<a@b.c>x", 553, "5.1.7");
	ERR("RCPT TO:<a@b.c>SIZE=1", 553, "5.1.3");
	ERR("MAIL FROM:<a@b.c> ", 501, "5.5.4");
	ERR("MAIL FROM:<<a@b.c>>", 553, "5.1.7");
}

static void
test_source_route(void)
{
	OK("MAIL FROM:<@relay.example:alice@example.net>");
	T_EQ_STR(c.addr.local, "alice");
	T_EQ_STR(c.addr.domain, "example.net");
	OK("RCPT TO:<@a.example,@b.example:bob@example.org>");
	T_EQ_STR(c.addr.local, "bob");
	T_EQ_STR(c.addr.domain, "example.org");
	OK("RCPT TO:<@[192.0.2.1]:bob@example.org>");
	T_EQ_STR(c.addr.local, "bob");
	ERR("MAIL FROM:<@relay.example:>", 553, "5.1.7");
	ERR("MAIL FROM:<@relay.example>", 553, "5.1.7");
	ERR("RCPT TO:<@:bob@example.org>", 553, "5.1.3");
	ERR("RCPT TO:<@a,b:bob@example.org>", 553, "5.1.3");
	ERR("RCPT TO:<@a,:bob@example.org>", 553, "5.1.3");
	ERR("RCPT TO:<@a_b:bob@example.org>", 553, "5.1.3");
	ERR("RCPT TO:<@a bob@example.org>", 553, "5.1.3");
	ERR("RCPT TO:<@>", 553, "5.1.3");
}

static void
test_mail_params(void)
{
	char	 line[600];

	OK("MAIL FROM:<a@b.c> SIZE=12345");
	T_EQ_INT(c.size, 12345);
	OK("MAIL FROM:<a@b.c> SIZE=0");
	T_EQ_INT(c.size, 0);
	OK("MAIL FROM:<a@b.c> SIZE=9223372036854775807");
	T_EQ_INT(c.size, 9223372036854775807LL);
	ERR("MAIL FROM:<a@b.c> SIZE=9223372036854775808", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE=99999999999999999999999", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE=-1", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE=1x", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE=", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE", 501, "5.5.4");

	OK("MAIL FROM:<a@b.c> BODY=8BITMIME");
	T_EQ_INT(c.body, BODY_8BITMIME);
	OK("MAIL FROM:<a@b.c> body=7bit");
	T_EQ_INT(c.body, BODY_7BIT);
	OK("MAIL FROM:<a@b.c> BODY=BINARYMIME");
	T_EQ_INT(c.body, BODY_BINARYMIME);
	ERR("MAIL FROM:<a@b.c> BODY=9BIT", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> BODY", 501, "5.5.4");

	OK("MAIL FROM:<a@b.c> SMTPUTF8");
	T_EQ_INT(c.smtputf8, 1);
	ERR("MAIL FROM:<a@b.c> SMTPUTF8=yes", 501, "5.5.4");

	OK("MAIL FROM:<a@b.c> RET=FULL");
	T_EQ_INT(c.ret, 1);
	OK("MAIL FROM:<a@b.c> ret=hdrs");
	T_EQ_INT(c.ret, 2);
	ERR("MAIL FROM:<a@b.c> RET=ALL", 501, "5.5.4");

	OK("MAIL FROM:<a@b.c> ENVID=QQ314159+2Bx");
	T_EQ_STR(c.envid, "QQ314159+x");
	ERR("MAIL FROM:<a@b.c> ENVID=a+2", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> ENVID=a+ZZ", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> ENVID=a+00", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> ENVID=a+0D+0A", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> ENVID=a=b", 501, "5.5.4");
	/* 100 decoded characters pass, 101 do not; hexchars count once. */
	strcpy(line, "MAIL FROM:<a@b.c> ENVID=");
	memset(line + 24, 'e', 100);
	line[124] = '\0';
	OK(line);
	T_EQ_INT(strlen(c.envid), 100);
	strcpy(line + 24 + 97, "+41");
	OK(line);
	T_EQ_INT(strlen(c.envid), 98);
	memset(line + 24, 'e', 101);
	line[125] = '\0';
	ERR(line, 501, "5.5.4");

	OK("MAIL FROM:<a@b.c> AUTH=<>");
	T_EQ_STR(c.auth, "<>");
	OK("MAIL FROM:<a@b.c> AUTH=alice+2Bx@example.net");
	T_EQ_STR(c.auth, "alice+x@example.net");
	ERR("MAIL FROM:<a@b.c> AUTH=a+2", 501, "5.5.4");

	OK("MAIL FROM:<a@b.c> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=x AUTH=<> SMTPUTF8");
	T_EQ_INT(c.size, 100);
	T_EQ_INT(c.body, BODY_8BITMIME);
	T_EQ_INT(c.ret, 2);
	T_EQ_STR(c.envid, "x");
	T_EQ_INT(c.smtputf8, 1);
	OK("MAIL FROM:<> BODY=8BITMIME");
	T_EQ_INT(c.null_path, 1);
	T_EQ_INT(c.body, BODY_8BITMIME);

	/* Unknown, duplicate, malformed. */
	ERR("MAIL FROM:<a@b.c> FOO=1", 555, "5.5.4");
	ERR("MAIL FROM:<a@b.c> X-FOO", 555, "5.5.4");
	ERR("MAIL FROM:<a@b.c> NOTIFY=NEVER", 555, "5.5.4");
	ERR("MAIL FROM:<a@b.c> ORCPT=rfc822;a@b.c", 555, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE=1 SIZE=1", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE=1 size=2", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SMTPUTF8 SMTPUTF8", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c>  SIZE=1", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE=1  BODY=7BIT", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> SIZE=1 ", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> =1", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> -X=1", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> X_Y=1", 501, "5.5.4");
	ERR("MAIL FROM:<a@b.c> BODY=8BIT\xff", 501, "5.5.4");
	/* Parameters come before the address check, so the parameter error wins. */
	ERR("MAIL FROM:<a..b@c.d> FOO=1", 555, "5.5.4");
}

static void
test_utf8(void)
{
	ERR("MAIL FROM:<jos\xc3\xa9@example.net>", 553, "5.6.7");
	ERR("MAIL FROM:<a@\xe4\xbe\x8b.jp> SIZE=10", 553, "5.6.7");
	OK("MAIL FROM:<jos\xc3\xa9@example.net> SMTPUTF8");
	T_EQ_STR(c.addr.local, "jos\xc3\xa9");
	T_EQ_INT(c.has_utf8, 1);
	OK("MAIL FROM:<jos\xc3\xa9@\xe4\xbe\x8b.jp> SIZE=10 SMTPUTF8");
	T_EQ_STR(c.addr.domain, "\xe4\xbe\x8b.jp");
	OK("MAIL FROM:<ascii@example.net> SMTPUTF8");
	T_EQ_INT(c.has_utf8, 0);
	/* Invalid UTF-8 is a syntax error, SMTPUTF8 or not. */
	ERR("MAIL FROM:<jos\xc3@example.net> SMTPUTF8", 553, "5.1.7");
	ERR("MAIL FROM:<\xed\xa0\x80@example.net> SMTPUTF8", 553, "5.1.7");
	ERR("MAIL FROM:<\xc0\xaf@example.net>", 553, "5.1.7");
	/* RCPT: parsed allowing UTF-8; the session decides with has_utf8. */
	OK("RCPT TO:<\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b.jp>");
	T_EQ_INT(c.has_utf8, 1);
	OK("RCPT TO:<bob@example.org>");
	T_EQ_INT(c.has_utf8, 0);
	ERR("RCPT TO:<\xe7\x94@example.org>", 553, "5.1.3");
}

static void
test_rcpt(void)
{
	char	 line[700];

	OK("RCPT TO:<bob@example.org>");
	T_EQ_STR(c.addr.local, "bob");
	T_EQ_INT(c.postmaster, 0);
	T_EQ_INT(c.notify, 0);
	T_EQ_STR(c.orcpt, "");
	OK("RCPT TO: <bob@example.org>");
	OK("RCPT TO:<Postmaster>");
	T_EQ_INT(c.postmaster, 1);
	T_EQ_STR(c.addr.local, "postmaster");
	T_EQ_STR(c.addr.domain, "");
	OK("rcpt to:<POSTMASTER>");
	T_EQ_INT(c.postmaster, 1);
	OK("RCPT TO:<postmaster@example.org>");
	T_EQ_INT(c.postmaster, 0);
	T_EQ_STR(c.addr.domain, "example.org");
	ERR("RCPT TO:<>", 553, "5.1.3");
	ERR("RCPT TO:<bob>", 553, "5.1.3");
	ERR("RCPT TO:<postmaster2>", 553, "5.1.3");
	ERR("RCPT TO:<bob@>", 553, "5.1.3");
	OK("RCPT TO: test@mailtest.example.jp");
	T_EQ_STR(c.addr.local, "test");
	T_EQ_STR(c.addr.domain, "mailtest.example.jp");
	OK("RCPT TO:bob@example.org NOTIFY=NEVER");
	T_EQ_INT(c.notify, NOTIFY_NEVER);
	OK("RCPT TO: postmaster");
	T_EQ_INT(c.postmaster, 1);
	/* Without brackets the percent hack is a local part like any other. */
	OK("RCPT TO: user%remote.example@example.org");
	T_EQ_STR(c.addr.local, "user%remote.example");
	T_EQ_STR(c.addr.domain, "example.org");
	ERR("RCPT TO: bob", 553, "5.1.3");
	ERR("RCPT TO: <bob@example.org", 553, "5.1.3");
	ERR("RCPT TO: bob@example.org>", 553, "5.1.3");
	ERR("RCPT TO:", 501, "5.5.4");
	ERR("RCPT FROM:<bob@example.org>", 501, "5.5.4");
	ERR("RCPT", 501, "5.5.4");

	OK("RCPT TO:<bob@example.org> NOTIFY=NEVER");
	T_EQ_INT(c.notify, NOTIFY_NEVER);
	OK("RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE,DELAY");
	T_EQ_INT(c.notify, NOTIFY_SUCCESS | NOTIFY_FAILURE | NOTIFY_DELAY);
	OK("RCPT TO:<bob@example.org> notify=delay");
	T_EQ_INT(c.notify, NOTIFY_DELAY);
	ERR("RCPT TO:<bob@example.org> NOTIFY=NEVER,SUCCESS", 501, "5.5.4");
	ERR("RCPT TO:<bob@example.org> NOTIFY=FAILURE,NEVER", 501, "5.5.4");
	ERR("RCPT TO:<bob@example.org> NOTIFY=SUCCESS,SUCCESS", 501, "5.5.4");
	ERR("RCPT TO:<bob@example.org> NOTIFY=SUCCESS,", 501, "5.5.4");
	ERR("RCPT TO:<bob@example.org> NOTIFY=,SUCCESS", 501, "5.5.4");
	ERR("RCPT TO:<bob@example.org> NOTIFY=SUCCESS,,DELAY", 501, "5.5.4");
	ERR("RCPT TO:<bob@example.org> NOTIFY=ALWAYS", 501, "5.5.4");
	ERR("RCPT TO:<bob@example.org> NOTIFY=", 501, "5.5.4");
	ERR("RCPT TO:<bob@example.org> NOTIFY", 501, "5.5.4");

	OK("RCPT TO:<bob@example.org> ORCPT=rfc822;bob+2Bx@example.org");
	T_EQ_STR(c.orcpt, "rfc822;bob+2Bx@example.org");
	OK("RCPT TO:<bob@example.org> NOTIFY=FAILURE ORCPT=rfc822;bob@example.org");
	T_EQ_INT(c.notify, NOTIFY_FAILURE);
	T_EQ_STR(c.orcpt, "rfc822;bob@example.org");
	OK("RCPT TO:<b@x.y> ORCPT=utf-8;\xe7\x94\xb0\\x{4E2D}@x.y");
	T_EQ_STR(c.orcpt, "utf-8;\xe7\x94\xb0\\x{4E2D}@x.y");
	ERR("RCPT TO:<b@x.y> ORCPT=rfc822", 501, "5.5.4");
	ERR("RCPT TO:<b@x.y> ORCPT=;b@x.y", 501, "5.5.4");
	ERR("RCPT TO:<b@x.y> ORCPT=rfc822;", 501, "5.5.4");
	ERR("RCPT TO:<b@x.y> ORCPT=rfc822;b+4@x.y", 501, "5.5.4");
	ERR("RCPT TO:<b@x.y> ORCPT=rfc\"822;b@x.y", 501, "5.5.4");
	ERR("RCPT TO:<b@x.y> ORCPT=rfc822;b\xc3\xa9@x.y", 501, "5.5.4");
	/* 500 characters of value pass, 501 do not. */
	strcpy(line, "RCPT TO:<b@x.y> ORCPT=rfc822;");
	memset(line + 29, 'o', 493);
	line[29 + 493] = '\0';
	T_EQ_INT(strlen(line) - 22, 500);
	OK(line);
	T_EQ_INT(strlen(c.orcpt), 500);
	strcat(line, "o");
	ERR(line, 501, "5.5.4");

	ERR("RCPT TO:<b@x.y> SIZE=1", 555, "5.5.4");
	ERR("RCPT TO:<b@x.y> SMTPUTF8", 555, "5.5.4");
	ERR("RCPT TO:<b@x.y> NOTIFY=NEVER NOTIFY=NEVER", 501, "5.5.4");
	ERR("RCPT TO:<b@x.y> ORCPT=rfc822;a@b ORCPT=rfc822;a@b", 501, "5.5.4");
}

static void
test_path_length(void)
{
	char	 line[400], addr[300];

	/* 64 + 1 + 191 = 256 passes; 257 fails (4.5.3.1.3). */
	memset(addr, 'l', 64);
	addr[64] = '@';
	memset(addr + 65, 'd', 191);
	addr[65 + 63] = addr[65 + 127] = '.';
	addr[256] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<%s>", addr);
	OK(line);
	addr[256] = 'd';
	addr[257] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<%s>", addr);
	ERR(line, 553, "5.1.3");
	snprintf(line, sizeof(line), "MAIL FROM:<%s>", addr);
	ERR(line, 553, "5.1.7");
}

static void
test_bdat(void)
{
	OK("BDAT 1000");
	T_EQ_INT(c.chunk_size, 1000);
	T_EQ_INT(c.last, 0);
	OK("BDAT 0 LAST");
	T_EQ_INT(c.chunk_size, 0);
	T_EQ_INT(c.last, 1);
	OK("bdat 5 last");
	T_EQ_INT(c.last, 1);
	OK("BDAT 9223372036854775807");
	T_EQ_INT(c.chunk_size, 9223372036854775807LL);
	ERR("BDAT 9223372036854775808", 501, "5.5.4");
	ERR("BDAT", 501, "5.5.4");
	ERR("BDAT ", 501, "5.5.4");
	ERR("BDAT x", 501, "5.5.4");
	ERR("BDAT -1", 501, "5.5.4");
	ERR("BDAT +1", 501, "5.5.4");
	ERR("BDAT 5 NOTLAST", 501, "5.5.4");
	ERR("BDAT 5 LAST x", 501, "5.5.4");
	ERR("BDAT 5 ", 501, "5.5.4");
	ERR("BDAT 5  LAST", 501, "5.5.4");
	ERR("BDAT  5", 501, "5.5.4");
}

static void
test_auth(void)
{
	char	 line[SMTP_CMDLINE_MAX + 64];

	OK("AUTH PLAIN");
	T_EQ_STR(c.arg, "PLAIN");
	T_EQ_STR(c.arg2, "");
	OK("auth plain dGVzdAB0ZXN0AHRlc3Q=");
	T_EQ_STR(c.arg, "PLAIN");
	T_EQ_STR(c.arg2, "dGVzdAB0ZXN0AHRlc3Q=");
	OK("AUTH PLAIN =");
	T_EQ_STR(c.arg2, "=");
	OK("AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlx");
	T_EQ_STR(c.arg, "SCRAM-SHA-256");
	OK("AUTH X_MECH");
	ERR("AUTH", 501, "5.5.4");
	ERR("AUTH ", 501, "5.5.4");
	ERR("AUTH PLAIN ", 501, "5.5.4");
	ERR("AUTH  PLAIN", 501, "5.5.4");
	ERR("AUTH PL@IN", 501, "5.5.4");
	ERR("AUTH ABCDEFGHIJKLMNOPQRSTU", 501, "5.5.4");
	OK("AUTH ABCDEFGHIJKLMNOPQRST");
	ERR("AUTH PLAIN abc def", 501, "5.5.2");
	ERR("AUTH PLAIN abc*", 501, "5.5.2");
	/* The initial response may fill arg2 but not overflow it. */
	strcpy(line, "AUTH PLAIN ");
	memset(line + 11, 'A', SMTP_CMDLINE_MAX - 1);
	line[11 + SMTP_CMDLINE_MAX - 1] = '\0';
	OK(line);
	T_EQ_INT(strlen(c.arg2), SMTP_CMDLINE_MAX - 1);
	strcat(line, "A");
	ERR(line, 500, "5.5.6");
}

static void
test_no_arg_verbs(void)
{
	OK("DATA");
	OK("DATA ");
	OK("RSET");
	OK("QUIT");
	OK("STARTTLS");
	ERR("DATA x", 501, "5.5.4");
	ERR("RSET now", 501, "5.5.4");
	ERR("QUIT please", 501, "5.5.4");
	ERR("STARTTLS x", 501, "5.5.4");
	OK("NOOP");
	OK("NOOP anything at all");
	OK("HELP");
	T_EQ_STR(c.arg, "");
	OK("HELP MAIL");
	T_EQ_STR(c.arg, "MAIL");
	OK("VRFY bob");
	T_EQ_STR(c.arg, "bob");
	OK("EXPN staff@example.org");
	T_EQ_STR(c.arg, "staff@example.org");
	OK("VRFY \"Bob Smith\" <bob@example.org>");
	T_EQ_STR(c.arg, "\"Bob Smith\" <bob@example.org>");
	ERR("VRFY", 501, "5.5.4");
	ERR("EXPN ", 501, "5.5.4");
}

static void
test_line_length(void)
{
	char	 line[SMTP_CMDLINE_MAX + 8];
	char	 arg[300];

	/* SMTP_CMDLINE_MAX includes CRLF: 2046 octets pass, 2047 do not. */
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'x', SMTP_CMDLINE_MAX - 2 - 5);
	line[SMTP_CMDLINE_MAX - 2] = '\0';
	OK(line);
	line[SMTP_CMDLINE_MAX - 2] = 'x';
	line[SMTP_CMDLINE_MAX - 1] = '\0';
	ERR(line, 500, "5.5.2");
	/* VRFY argument: 256 pass, 257 do not. */
	memset(arg, 'v', 256);
	arg[256] = '\0';
	snprintf(line, sizeof(line), "VRFY %s", arg);
	OK(line);
	snprintf(line, sizeof(line), "VRFY %sv", arg);
	ERR(line, 501, "5.5.4");
}

static void
test_reset_between_calls(void)
{
	OK("MAIL FROM:<a@b.c> SIZE=10 SMTPUTF8 BODY=8BITMIME");
	OK("RCPT TO:<Postmaster>");
	T_EQ_INT(c.size, -1);
	T_EQ_INT(c.smtputf8, 0);
	T_EQ_INT(c.body, BODY_DEFAULT);
	OK("MAIL FROM:<>");
	T_EQ_INT(c.postmaster, 0);
	T_EQ_INT(c.null_path, 1);
	OK("BDAT 5");
	T_EQ_INT(c.null_path, 0);
	ERR("FOO", 500, "5.5.2");
	OK("NOOP");
	T_EQ_INT(e.code, 0);
	T_ASSERT(e.enhanced == NULL);
}

static void
test_xtext(void)
{
	char	 d[8];

	T_EQ_INT(xtext_decode(d, sizeof(d), "a+2Bb"), 0);
	T_EQ_STR(d, "a+b");
	T_EQ_INT(xtext_decode(d, sizeof(d), "+3d+3D"), 0);
	T_EQ_STR(d, "==");
	T_EQ_INT(xtext_decode(d, sizeof(d), ""), 0);
	T_EQ_STR(d, "");
	T_EQ_INT(xtext_decode(d, sizeof(d), "1234567"), 0);
	T_EQ_INT(xtext_decode(d, sizeof(d), "12345678"), -1);
	T_EQ_INT(xtext_decode(d, sizeof(d), "123456+41"), 0);
	T_EQ_STR(d, "123456A");
	T_EQ_INT(xtext_decode(d, sizeof(d), "+"), -1);
	T_EQ_INT(xtext_decode(d, sizeof(d), "+4"), -1);
	T_EQ_INT(xtext_decode(d, sizeof(d), "+G1"), -1);
	T_EQ_INT(xtext_decode(d, sizeof(d), "+00"), -1);
	T_EQ_INT(xtext_decode(d, sizeof(d), "+1F"), -1);
	T_EQ_INT(xtext_decode(d, sizeof(d), "a=b"), -1);
	T_EQ_INT(xtext_decode(d, sizeof(d), "a b"), -1);
	T_EQ_INT(xtext_decode(d, sizeof(d), "\xc3\xa9"), -1);
	T_EQ_INT(xtext_decode(d, 0, "a"), -1);
	T_EQ_INT(xtext_decode(d, 1, ""), 0);
	T_EQ_INT(xtext_decode(d, 1, "a"), -1);
}

void
test_main(void)
{
	t_run("verbs", test_verbs);
	t_run("nul_and_controls", test_nul_and_controls);
	t_run("helo", test_helo);
	t_run("mail", test_mail);
	t_run("source_route", test_source_route);
	t_run("mail_params", test_mail_params);
	t_run("utf8", test_utf8);
	t_run("rcpt", test_rcpt);
	t_run("path_length", test_path_length);
	t_run("bdat", test_bdat);
	t_run("auth", test_auth);
	t_run("no_arg_verbs", test_no_arg_verbs);
	t_run("line_length", test_line_length);
	t_run("reset_between_calls", test_reset_between_calls);
	t_run("xtext", test_xtext);
}
