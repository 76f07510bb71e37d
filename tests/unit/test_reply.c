/* Tests for src/mail/reply.c: reply lines, multi-line replies, injection and length limits. */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/reply.h"

static void
test_single(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	reply_format(&b, 250, "2.0.0", "Ok: queued as %s", "0123456789abcdef");
	T_EQ_STR(b.data, "250 2.0.0 Ok: queued as 0123456789abcdef\r\n");
	buf_reset(&b);
	reply_format(&b, 220, NULL, "%s ESMTP tegami", "mx.example.org");
	T_EQ_STR(b.data, "220 mx.example.org ESMTP tegami\r\n");
	buf_reset(&b);
	reply_format(&b, 552, "5.3.4", "Message too big (max %zu)", (size_t)10485760);
	T_EQ_STR(b.data, "552 5.3.4 Message too big (max 10485760)\r\n");
	buf_reset(&b);
	reply_format(&b, 421, "4.7.0", "%s", "");
	T_EQ_STR(b.data, "421 4.7.0\r\n");
	buf_reset(&b);
	reply_format(&b, 250, NULL, "%s", "");
	T_EQ_STR(b.data, "250\r\n");
	buf_reset(&b);
	reply_format(&b, 555, "5.5.4", "Unsupported parameter");
	reply_format(&b, 250, "2.1.0", "Ok");
	/* Appends. */
	T_EQ_STR(b.data, "555 5.5.4 Unsupported parameter\r\n250 2.1.0 Ok\r\n");
	buf_free(&b);
}

static void
test_injection(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	reply_format(&b, 250, "2.1.5", "<%s>... Recipient ok",
	    "x@y>\r\n250 2.0.0 fake\r\n");
	T_EQ_STR(b.data, "250 2.1.5 <x@y>  250 2.0.0 fake  >... Recipient ok\r\n");
	buf_reset(&b);
	reply_format(&b, 501, "5.5.4", "bad %s", "a\rb\nc\td\x01" "e\x7f");
	T_EQ_STR(b.data, "501 5.5.4 bad a b c?d?e?\r\n");
	buf_reset(&b);
	{
		static const char *const l[] = { "ok\r\n250 x", "last\n" };

		reply_multi(&b, 250, l, 2);
		T_EQ_STR(b.data, "250-ok  250 x\r\n250 last \r\n");
	}
	buf_free(&b);
}

static void
test_length(void)
{
	struct buf	 b;
	char		 big[1200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 0);
	reply_format(&b, 550, "5.1.1", "%s", big);
	T_EQ_INT(b.len, REPLY_LINE_MAX);
	T_ASSERT(memcmp(b.data, "550 5.1.1 xxx", 13) == 0);
	T_ASSERT(memcmp(b.data + b.len - 3, "x\r\n", 3) == 0);
	buf_reset(&b);
	/* Exactly fitting: 512 - "550 5.1.1 " (10) - CRLF (2) = 500 octets. */
	big[500] = '\0';
	reply_format(&b, 550, "5.1.1", "%s", big);
	T_EQ_INT(b.len, 512);
	buf_reset(&b);
	big[500] = 'x';
	big[501] = '\0';
	reply_format(&b, 550, "5.1.1", "%s", big);
	T_EQ_INT(b.len, 512);
	buf_reset(&b);
	/* A cut never splits a UTF-8 character. */
	memset(big, 'y', 499);
	memcpy(big + 499, "\xe6\x97\xa5\xe6\x97\xa5", 7);
	reply_format(&b, 550, "5.1.1", "%s", big);
	T_EQ_INT(b.len, 511);
	T_ASSERT(memcmp(b.data + b.len - 3, "y\r\n", 3) == 0);
	buf_reset(&b);
	memset(big, 'y', 497);
	memcpy(big + 497, "\xe6\x97\xa5\xe6\x97\xa5", 7);
	reply_format(&b, 550, "5.1.1", "%s", big);
	T_EQ_INT(b.len, 512);
	T_ASSERT(memcmp(b.data + b.len - 5, "\xe6\x97\xa5\r\n", 5) == 0);
	buf_free(&b);
}

static void
test_multi(void)
{
	static const char *const ehlo[] = {
		"mx.example.org Hello client.example.net [192.0.2.7]",
		"PIPELINING", "SIZE 36700160", "8BITMIME", "SMTPUTF8",
		"ENHANCEDSTATUSCODES", "CHUNKING", "STARTTLS", "DSN",
	};
	static const char *const one[] = { "only" };
	static const char *const help[] = { "Commands:", "HELO EHLO MAIL", "" };
	struct buf	 b;

	buf_init(&b, 0);
	reply_multi(&b, 250, ehlo, sizeof(ehlo) / sizeof(ehlo[0]));
	T_EQ_STR(b.data,
	    "250-mx.example.org Hello client.example.net [192.0.2.7]\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 36700160\r\n"
	    "250-8BITMIME\r\n"
	    "250-SMTPUTF8\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-CHUNKING\r\n"
	    "250-STARTTLS\r\n"
	    "250 DSN\r\n");
	buf_reset(&b);
	reply_multi(&b, 250, one, 1);
	T_EQ_STR(b.data, "250 only\r\n");
	buf_reset(&b);
	reply_lines(&b, 214, "2.0.0", help, 3);
	T_EQ_STR(b.data, "214-2.0.0 Commands:\r\n214-2.0.0 HELO EHLO MAIL\r\n"
	    "214 2.0.0\r\n");
	buf_reset(&b);
	{
		static const char *const l[] = { "a", "", "b" };

		reply_multi(&b, 250, l, 3);
		T_EQ_STR(b.data, "250-a\r\n250-\r\n250 b\r\n");
	}
	buf_free(&b);
}

static void
test_full_buffer(void)
{
	static const char *const l[] = { "first line", "second line" };
	struct buf	 b;

	buf_init(&b, 30);
	buf_adds(&b, "kept");
	reply_multi(&b, 250, l, 2);
	T_EQ_STR(b.data, "kept");
	reply_format(&b, 250, "2.0.0", "%s", "this will not fit in thirty");
	T_EQ_STR(b.data, "kept");
	reply_format(&b, 250, "2.0.0", "Ok");
	T_EQ_STR(b.data, "kept250 2.0.0 Ok\r\n");
	buf_free(&b);
}

/* Runs one reply in a child: 1 when it died through fatalx() (exit 1), 0 when it returned. */
static int
dies(int code, const char *enhanced)
{
	struct buf	 b;
	pid_t		 pid;
	int		 st;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		(void)freopen("/dev/null", "w", stderr);
		buf_init(&b, 0);
		reply_format(&b, code, enhanced, "x");
		_exit(0);
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

static void
test_bad_codes(void)
{
	T_EQ_INT(dies(250, "2.0.0"), 0);
	T_EQ_INT(dies(554, "5.7.1"), 0);
	T_EQ_INT(dies(451, "4.3.0"), 0);
	T_EQ_INT(dies(550, "5.100.999"), 0);
	T_EQ_INT(dies(250, NULL), 0);
	T_EQ_INT(dies(250, "5.0.0"), 1);
	T_EQ_INT(dies(550, "5.0"), 1);
	T_EQ_INT(dies(550, "5.0.0 "), 1);
	T_EQ_INT(dies(550, "5.1000.0"), 1);
	T_EQ_INT(dies(550, "5.01.0"), 1);
	T_EQ_INT(dies(550, "5..0"), 1);
	T_EQ_INT(dies(550, ""), 1);
	T_EQ_INT(dies(199, NULL), 1);
	T_EQ_INT(dies(600, NULL), 1);
}

/* aliases(5) error: entries come from tables: every one accepted is a reply reply_format takes. */
static void
test_error_entry(void)
{
	static const struct {
		const char	*in;
		int		 code;
		const char	*enh, *text;
	} good[] = {
		{ "error:550 5.1.1 gone", 550, "5.1.1", "gone" },
		{ "ERROR:451 4.3.0 try later, please", 451, "4.3.0", "try later, please" },
		{ "error:550 no such user", 550, "5.0.0", "no such user" },
		{ "error:554\t5.7.1\tgo away", 554, "5.7.1", "go away" },
		{ "error:550 5.123.9 x", 550, "5.123.9", "x" },
		{ "error:550 12 monkeys", 550, "5.0.0", "12 monkeys" },
	};
	static const char *const bad[] = {
		"error:550 5.01.1 boom",	/* the audit's entry: a leading zero */
		"error:550 4.1.1 wrong class", "error:450 5.1.1 wrong class",
		"error:550 5.1 short", "error:550 5.1.1.1 long", "error:550 5..1 x",
		"error:550 5.1234.1 x", "error:550 5.123.999 x", "error:550 5.1.1", "error:550", "error:550 ",
		"error:250 fine", "error:650 x", "error:55 x", "error:5500 x",
		"error:550x", "error:550 bad\x1b[31m", "nothing",
	};
	struct buf	 b;
	const char	*text, *errstr;
	char		 enh[8];
	size_t		 i;
	int		 code;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		T_EQ_INT(reply_error_entry(good[i].in, &code, enh, &text, &errstr), 0);
		T_EQ_INT(code, good[i].code);
		T_EQ_STR(enh, good[i].enh);
		T_EQ_STR(text, good[i].text);
		T_ASSERT(reply_codes_valid(code, enh));
		buf_init(&b, 0);
		reply_format(&b, code, enh, "%s", text);
		T_ASSERT(b.len > 0);
		buf_free(&b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errstr = NULL;
		if (reply_error_entry(bad[i], &code, enh, &text, &errstr) != -1 ||
		    errstr == NULL) {
			t_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
			return;
		}
	}
	T_ASSERT(!reply_codes_valid(550, "5.01.1"));
	T_ASSERT(!reply_codes_valid(600, NULL));
	T_ASSERT(reply_codes_valid(250, NULL));
}

void
test_main(void)
{
	t_run("error_entry", test_error_entry);
	t_run("single", test_single);
	t_run("injection", test_injection);
	t_run("length", test_length);
	t_run("multi", test_multi);
	t_run("full_buffer", test_full_buffer);
	t_run("bad_codes", test_bad_codes);
}
