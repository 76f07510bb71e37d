/* The local enqueuer (sendmail through the control socket): who it is, for the log and the Received header. */
#include <sys/types.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "smtp/session.h"

void
smtp_local_identify(struct smtp_session *s)
{
	struct passwd	 pw, *found = NULL;
	char		 buf[4096];

	/* The uid is the kernel's (SO_PEERCRED): the name is only its label. */
	if (getpwuid_r((uid_t)s->uid, &pw, buf, sizeof(buf), &found) == 0 &&
	    found != NULL)
		s->local_user = xstrdup(pw.pw_name);
}

const char *
smtp_local_tag(const struct smtp_session *s, char *buf, size_t len)
{
	if (!s->from_socket)
		return "";
	snprintf(buf, len, " uid=%u user=%s", s->uid,
	    s->local_user ? s->local_user : "-");
	return buf;
}
