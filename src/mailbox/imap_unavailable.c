/* IMAP sessions while this version has no IMAP engine: the login is answered, honestly, with NO. */
#include <stdio.h>
#include <sys/socket.h>

#include "lib/log.h"
#include "mailbox/mailbox.h"

void
imap_session_start(struct mailbox_client *c)
{
	char	 line[256];
	int	 n;

	log_msg(LOG_WARNING, "%s imap unavailable user=%s: this version does "
	    "not serve IMAP", c->id, c->login);
	n = snprintf(line, sizeof(line), "%s NO [UNAVAILABLE] IMAP is not served "
	    "by this version.\r\n* BYE Closing.\r\n", c->tag ? c->tag : "*");
	if (n > 0 && (size_t)n < sizeof(line))
		(void)send(c->fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	mailbox_client_free(c);
}

void
imap_shutdown(void)
{
}
