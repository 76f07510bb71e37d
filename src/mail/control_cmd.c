/* Control socket command lines: a fixed verb table and strictly checked arguments. */
#include <string.h>

#include "mail/control_cmd.h"

enum arg_kind { ARG_NONE, ARG_MSGID, ARG_TABLE };

static const struct {
	const char		*name;
	enum control_verb	 verb;
	int			 admin;
	enum arg_kind		 arg;
} verbs[] = {
	{ "ENQUEUE", CTL_ENQUEUE, 0, ARG_NONE },
	{ "SHOW QUEUE", CTL_SHOW_QUEUE, 1, ARG_NONE },
	{ "SHOW QUEUE JSON", CTL_SHOW_QUEUE_JSON, 1, ARG_NONE },
	{ "SHOW STATS", CTL_SHOW_STATS, 1, ARG_NONE },
	{ "SCHEDULE", CTL_SCHEDULE, 1, ARG_MSGID },
	{ "REMOVE", CTL_REMOVE, 1, ARG_MSGID },
	{ "UPDATE TABLE", CTL_UPDATE_TABLE, 1, ARG_TABLE },
	{ "RELOAD", CTL_RELOAD, 1, ARG_NONE },
};

static int
check_arg(enum arg_kind kind, const char *a, size_t n, const char **errstr)
{
	size_t	 i;

	if (n == 0 || n > CONTROL_ARG_MAX) {
		*errstr = n == 0 ? "missing argument" : "argument too long";
		return -1;
	}
	if (kind == ARG_MSGID) {
		if (n == 3 && memcmp(a, "all", 3) == 0)
			return 0;
		for (i = 0; i < n; i++)
			if (!((a[i] >= '0' && a[i] <= '9') ||
			    (a[i] >= 'a' && a[i] <= 'f')))
				break;
		if (n != 16 || i != n) {
			*errstr = "a message id is 16 hex digits, or \"all\"";
			return -1;
		}
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] <= ' ' || (unsigned char)a[i] >= 0x7f) {
			*errstr = "bad table name";
			return -1;
		}
	return 0;
}

int
control_cmd_parse(const char *line, size_t len, struct control_cmd *cmd,
    const char **errstr)
{
	size_t	 i, n;

	memset(cmd, 0, sizeof(*cmd));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > CONTROL_LINE_MAX) {
		*errstr = "line too long";
		return -1;
	}
	/* The commands are ASCII: any other octet is refused, not echoed. */
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f) {
			*errstr = "bad command line";
			return -1;
		}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		n = strlen(verbs[i].name);
		if (len < n || memcmp(line, verbs[i].name, n) != 0)
			continue;
		if (verbs[i].arg == ARG_NONE) {
			if (len != n)
				continue;	/* SHOW QUEUE is a prefix of SHOW QUEUE JSON */
		} else {
			if (len == n || line[n] != ' ')
				continue;
			if (check_arg(verbs[i].arg, line + n + 1, len - n - 1,
			    errstr) == -1)
				return -1;
			memcpy(cmd->arg, line + n + 1, len - n - 1);
		}
		cmd->verb = verbs[i].verb;
		cmd->admin = verbs[i].admin;
		return 0;
	}
	*errstr = "unknown command";
	return -1;
}

const char *
control_verb_name(enum control_verb v)
{
	size_t	 i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}
