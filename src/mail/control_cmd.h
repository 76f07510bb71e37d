/* The control socket's command lines: what a local client (sendmail, tegamictl) asks the queue. */
#ifndef TEGAMI_CONTROL_CMD_H
#define TEGAMI_CONTROL_CMD_H

#include <stddef.h>

#define CONTROL_LINE_MAX	1024	/* a command line, without its LF */
#define CONTROL_ARG_MAX		255	/* a table name or a message id */

enum control_verb {
	CTL_ENQUEUE,		/* anyone: the connection becomes an SMTP session */
	CTL_SHOW_QUEUE,
	CTL_SHOW_QUEUE_JSON,
	CTL_SHOW_STATS,
	CTL_SCHEDULE,		/* arg: a message id or "all" */
	CTL_REMOVE,		/* arg: a message id or "all" */
	CTL_UPDATE_TABLE,	/* arg: a table name */
	CTL_RELOAD,
};

struct control_cmd {
	enum control_verb	 verb;
	int			 admin;		/* only root or the daemon's account may */
	char			 arg[CONTROL_ARG_MAX + 1];
};

/*
 * Parses one line (without its LF; a CR before it is tolerated): the verb
 * in upper case as tegamictl writes it, then its argument. A line with a
 * NUL, a control octet (ESC, a CR inside) or invalid UTF-8 is refused
 * whole, so nothing of it needs escaping later. A message id is 16 hex
 * digits or "all"; a table name is printable ASCII without blanks. -1 with
 * errstr (static text) otherwise.
 */
int	 control_cmd_parse(const char *line, size_t len, struct control_cmd *,
	    const char **errstr);
/* The verb as written on the socket ("SHOW QUEUE"), for logs. */
const char *control_verb_name(enum control_verb);

#endif
