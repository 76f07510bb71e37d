/* Thread-local formatting of "what: reason" error texts. */
#include <stdio.h>
#include <string.h>

#include "lib/errstr.h"

const char *
errstr_sys(const char *what, int err)
{
	static _Thread_local char	 buf[256];
	char				 eb[128];

	/* GNU strerror_r returns the text, not necessarily in eb. */
	snprintf(buf, sizeof(buf), "%s: %s", what, strerror_r(err, eb, sizeof(eb)));
	return buf;
}
