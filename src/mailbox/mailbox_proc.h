/* The mailbox process: the IMAP and POP3 sessions of the users whose Maildirs one account owns. */
#ifndef TEGAMI_MAILBOX_PROC_H
#define TEGAMI_MAILBOX_PROC_H

struct conf;

/*
 * Runs as account, with channels to the login process (sessions come from
 * there, MSG_MAILBOX_SESSION) and to the parent (MSG_CONF); never returns.
 * A session is opened only with a ticket from the auth process that
 * verifies (lib/ticket.h), for a login whose Maildir, routed here again,
 * this account owns. Privileges must already be dropped.
 */
_Noreturn void	 mailbox_main(struct conf *, const char *account, int login_fd,
		    int parent_fd);

#endif
