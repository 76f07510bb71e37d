/* The local enqueuer (sendmail through the control socket): who it is, for the log and the Received header. */
#include <sys/types.h>

#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "smtp/session.h"

/*
 * Looked up when needed (a local session logs and writes it twice or
 * three times) rather than kept: no session pays for a field only local
 * ones use. The uid is the kernel's (SO_PEERCRED); the name only labels it.
 */
const char *
smtp_local_user(const struct smtp_session *s, char *buf, size_t len)
{
	struct passwd	 pw, *found = NULL;
	char		 pwbuf[4096];

	if (!s->from_socket || getpwuid_r((uid_t)s->uid, &pw, pwbuf,
	    sizeof(pwbuf), &found) != 0 || found == NULL)
		return NULL;
	snprintf(buf, len, "%s", pw.pw_name);
	return buf;
}

const char *
smtp_local_tag(const struct smtp_session *s, char *buf, size_t len)
{
	char		 name[256];
	const char	*user;

	if (!s->from_socket)
		return "";
	user = smtp_local_user(s, name, sizeof(name));
	snprintf(buf, len, " uid=%u user=%s", s->uid, user ? user : "-");
	return buf;
}
