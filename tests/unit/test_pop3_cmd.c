/* Tests for mail/pop3_cmd: verbs, arguments and their limits, as RFC 1939 and 2449 write them. */
#include <string.h>

#include "harness.h"
#include "mail/pop3_cmd.h"

static int
parse(struct pop3_cmd *c, const char *line, const char **err)
{
	return pop3_cmd_parse(c, line, strlen(line), err);
}

static void
test_verbs(void)
{
	struct pop3_cmd	 c;
	const char	*err;

	T_EQ_INT(parse(&c, "stat", &err), 0);
	T_EQ_INT(c.verb, POP3_STAT);
	T_EQ_INT(parse(&c, "Top 3 0", &err), 0);
	T_EQ_INT(c.verb, POP3_TOP);
	T_EQ_INT(c.nnum, 2);
	T_EQ_INT(c.num[0], 3);
	T_EQ_INT(c.num[1], 0);
	T_EQ_INT(parse(&c, "LIST", &err), 0);
	T_EQ_INT(c.nnum, 0);
	T_EQ_INT(parse(&c, "UIDL 12", &err), 0);
	T_EQ_INT(c.nnum, 1);
	T_EQ_INT(c.num[0], 12);
	T_EQ_INT(parse(&c, "XTND", &err), -1);
	T_EQ_INT(c.verb, POP3_UNKNOWN);
	T_EQ_INT(parse(&c, "STATS", &err), -1);
	T_EQ_INT(parse(&c, "", &err), -1);
	/* A verb must begin the line. */
	T_EQ_INT(parse(&c, " STAT", &err), -1);
}

static void
test_arguments(void)
{
	struct pop3_cmd	 c;
	const char	*err;

	/* Numbers: decimal, at least 1 for a message, at most 9 digits. */
	T_EQ_INT(parse(&c, "RETR", &err), -1);
	T_EQ_INT(c.verb, POP3_RETR);
	T_EQ_INT(parse(&c, "RETR 0", &err), -1);
	T_EQ_STR(err, "No such message.");
	T_EQ_INT(parse(&c, "RETR -1", &err), -1);
	T_EQ_INT(parse(&c, "RETR +1", &err), -1);
	T_EQ_INT(parse(&c, "RETR 1x", &err), -1);
	T_EQ_INT(parse(&c, "RETR 1234567890", &err), -1);
	T_EQ_INT(parse(&c, "RETR 1 2", &err), -1);
	T_EQ_INT(parse(&c, "TOP 1", &err), -1);
	T_EQ_INT(parse(&c, "STAT 1", &err), -1);
	T_EQ_INT(parse(&c, "DELE 999999999", &err), 0);
	T_EQ_INT(c.num[0], 999999999);
	/* PASS keeps everything after one space, spaces included. */
	T_EQ_INT(parse(&c, "PASS  two  spaces ", &err), 0);
	T_EQ_INT(c.arglen, 13);
	T_ASSERT(memcmp(c.arg, " two  spaces ", 13) == 0);
	T_EQ_INT(parse(&c, "PASS", &err), -1);
	T_EQ_INT(parse(&c, "PASS a\tb", &err), -1);
	T_EQ_INT(parse(&c, "USER alice@example.org", &err), 0);
	T_EQ_INT(c.arglen, 17);
	T_EQ_INT(parse(&c, "USER a b", &err), -1);
	/* AUTH: the list, a mechanism, a mechanism and its initial response. */
	T_EQ_INT(parse(&c, "AUTH", &err), 0);
	T_ASSERT(c.arg == NULL);
	T_EQ_INT(parse(&c, "AUTH PLAIN", &err), 0);
	T_EQ_INT(c.arglen, 5);
	T_ASSERT(c.ir == NULL);
	T_EQ_INT(parse(&c, "AUTH PLAIN AGFsaWNlAHB3", &err), 0);
	T_EQ_INT(c.irlen, 12);
	T_EQ_INT(parse(&c, "AUTH PLAIN = x", &err), -1);
}

void
test_main(void)
{
	t_run("verbs", test_verbs);
	t_run("arguments", test_arguments);
}
