/* libFuzzer target: control socket command lines; what parses is ASCII and reads back the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/control_cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_cmd	 cmd, again;
	const char		*err = NULL, *p = (const char *)data;
	char			 line[CONTROL_LINE_MAX + 8];
	size_t			 i, n = size;
	int			 len;

	if (control_cmd_parse(p, size, &cmd, &err) == -1) {
		if (err == NULL)
			abort();
		return 0;
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	/* Nothing that would need escaping in a log ever passes. */
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f)
			abort();
	if (strlen(cmd.arg) > CONTROL_ARG_MAX)
		abort();
	/* The verb and its argument are the whole line. */
	len = snprintf(line, sizeof(line), "%s%s%s", control_verb_name(cmd.verb),
	    cmd.arg[0] ? " " : "", cmd.arg);
	if (len < 0 || (size_t)len != n || memcmp(line, p, n) != 0)
		abort();
	if (control_cmd_parse(line, (size_t)len, &again, &err) == -1 ||
	    again.verb != cmd.verb || again.admin != cmd.admin ||
	    strcmp(again.arg, cmd.arg) != 0)
		abort();
	/* Only ENQUEUE is open to everyone. */
	if ((cmd.verb == CTL_ENQUEUE) == cmd.admin)
		abort();
	return 0;
}
