/* libFuzzer target: smtp_cmd_parse on arbitrary lines, with checks of what it fills in. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr.h"
#include "mail/smtp_cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A field must hold its NUL inside the array. */
static void
terminated(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd		 cmd;
	struct smtp_cmd_error	 err;
	struct mailaddr		 again;
	char			*line, path[ADDR_PATH_MAX + 1];
	const char		*errstr;

	/* An exact-size copy, so that ASan sees any read past len. */
	line = malloc(size ? size : 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	if (smtp_cmd_parse(&cmd, line, size, &err) == -1) {
		if (err.code < 500 || err.code > 555 || err.enhanced == NULL ||
		    err.text == NULL || err.text[0] == '\0')
			abort();
		free(line);
		return 0;
	}
	if (err.code != 0 || cmd.verb == SMTP_UNKNOWN)
		abort();
	terminated(cmd.arg, sizeof(cmd.arg));
	terminated(cmd.arg2, sizeof(cmd.arg2));
	terminated(cmd.envid, sizeof(cmd.envid));
	terminated(cmd.auth, sizeof(cmd.auth));
	terminated(cmd.orcpt, sizeof(cmd.orcpt));
	terminated(cmd.addr.local, sizeof(cmd.addr.local));
	terminated(cmd.addr.domain, sizeof(cmd.addr.domain));
	if ((cmd.notify & NOTIFY_NEVER) && cmd.notify != NOTIFY_NEVER)
		abort();
	/* An accepted address formats to a path that parses to itself. */
	if ((cmd.verb == SMTP_MAIL || cmd.verb == SMTP_RCPT) &&
	    !cmd.null_path && !cmd.postmaster) {
		if (cmd.verb == SMTP_MAIL && cmd.has_utf8 && !cmd.smtputf8)
			abort();
		addr_format(&cmd.addr, path, sizeof(path));
		if (addr_parse(&again, path, 1, &errstr) == -1 ||
		    strcmp(again.local, cmd.addr.local) != 0 ||
		    strcmp(again.domain, cmd.addr.domain) != 0)
			abort();
	}
	free(line);
	return 0;
}
