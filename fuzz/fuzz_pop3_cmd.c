/* libFuzzer target: pop3_cmd_parse on any line, with the invariants the sessions rely on. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/pop3_cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_cmd	 c;
	const char	*err = NULL, *line;
	char		*copy;

	/* An exact-size copy: a read past the line's end is caught. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	line = copy;
	if (pop3_cmd_parse(&c, line, size, &err) == 0) {
		if (c.arg != NULL && (c.arg < line || c.arg + c.arglen > line + size))
			abort();
		if (c.ir != NULL && (c.ir < line || c.ir + c.irlen > line + size))
			abort();
		if (c.nnum > 2 || ((c.verb == POP3_RETR || c.verb == POP3_DELE ||
		    c.verb == POP3_TOP) && c.num[0] == 0))
			abort();
		if (c.verb == POP3_PASS && memchr(c.arg, '\r', c.arglen) != NULL)
			abort();
	} else if (err == NULL)
		abort();
	free(copy);
	return 0;
}
