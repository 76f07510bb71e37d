/* Tests for mail/control_cmd: the verbs tegamictl and sendmail send, and what is refused before it is logged. */
#include <string.h>

#include "harness.h"
#include "mail/control_cmd.h"

static int
parse(const char *line, struct control_cmd *cmd, const char **errstr)
{
	return control_cmd_parse(line, strlen(line), cmd, errstr);
}

static void
test_verbs(void)
{
	struct control_cmd	 c;
	const char		*err;

	T_EQ_INT(parse("ENQUEUE", &c, &err), 0);
	T_EQ_INT(c.verb, CTL_ENQUEUE);
	T_EQ_INT(c.admin, 0);
	T_EQ_INT(parse("SHOW QUEUE", &c, &err), 0);
	T_EQ_INT(c.verb, CTL_SHOW_QUEUE);
	T_EQ_INT(c.admin, 1);
	T_EQ_INT(parse("SHOW QUEUE JSON", &c, &err), 0);
	T_EQ_INT(c.verb, CTL_SHOW_QUEUE_JSON);
	T_EQ_INT(parse("SHOW STATS\r", &c, &err), 0);
	T_EQ_INT(c.verb, CTL_SHOW_STATS);
	T_EQ_INT(parse("SCHEDULE all", &c, &err), 0);
	T_EQ_INT(c.verb, CTL_SCHEDULE);
	T_EQ_STR(c.arg, "all");
	T_EQ_INT(parse("REMOVE 0123456789abcdef", &c, &err), 0);
	T_EQ_INT(c.verb, CTL_REMOVE);
	T_EQ_STR(c.arg, "0123456789abcdef");
	T_EQ_INT(parse("UPDATE TABLE vusers", &c, &err), 0);
	T_EQ_INT(c.verb, CTL_UPDATE_TABLE);
	T_EQ_STR(c.arg, "vusers");
	T_EQ_INT(parse("RELOAD", &c, &err), 0);
	T_EQ_INT(c.verb, CTL_RELOAD);
	T_EQ_STR(control_verb_name(CTL_UPDATE_TABLE), "UPDATE TABLE");
}

static void
test_refused(void)
{
	static const char *const bad[] = {
		"", "enqueue", "ENQUEUE ", "ENQUEUE x", "SHOW", "SHOW QUEUEJSON",
		"SHOW QUEUE JSON ", "SCHEDULE", "SCHEDULE ", "SCHEDULE ALL",
		"SCHEDULE 0123456789ABCDEF", "SCHEDULE 0123456789abcde",
		"SCHEDULE 0123456789abcdef0", "REMOVE ../queue", "UPDATE TABLE",
		"UPDATE TABLE a b", "UPDATE TABLE \xc3\xa9",
		/* The audit's probe: ESC and a CR inside the line. */
		"SHOW\x1b[2J\x1b[31mQUEUE\rFAKE LINE", "SHOW QUEUE\r\r", "RELOAD\t",
	};
	struct control_cmd	 c;
	const char		*err;
	char			 big[CONTROL_LINE_MAX + 20];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (parse(bad[i], &c, &err) != -1 || err == NULL) {
			t_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
			return;
		}
	}
	T_EQ_INT(control_cmd_parse("ENQUEUE\0x", 9, &c, &err), -1);
	memset(big, 'a', sizeof(big));
	memcpy(big, "UPDATE TABLE ", 13);
	T_EQ_INT(control_cmd_parse(big, CONTROL_ARG_MAX + 14, &c, &err), -1);
	T_EQ_STR(err, "argument too long");
	T_EQ_INT(control_cmd_parse(big, CONTROL_ARG_MAX + 13, &c, &err), 0);
	T_EQ_INT(strlen(c.arg), CONTROL_ARG_MAX);
	T_EQ_INT(control_cmd_parse(big, sizeof(big), &c, &err), -1);
	T_EQ_STR(err, "line too long");
}

void
test_main(void)
{
	t_run("verbs", test_verbs);
	t_run("refused", test_refused);
}
