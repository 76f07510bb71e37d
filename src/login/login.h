/* The login process: IMAP and POP3 listeners, TLS, everything a client says before it has logged in. */
#ifndef TEGAMI_LOGIN_H
#define TEGAMI_LOGIN_H

#include <stddef.h>

struct conf;
struct listen_socket;
struct tls_server;

/*
 * Runs the process's event loop; never returns. It holds no password hash
 * and no access to the mail tree: passwords go to the auth process, and a
 * logged-in client is handed to the mailbox process of the account owning
 * the user's Maildir (src/mailbox/mailbox.h): its socket itself without
 * TLS, its bytes relayed from then on with TLS. Privileges must already be
 * dropped.
 */
_Noreturn void	 login_main(struct conf *, struct tls_server *,
		    struct listen_socket *, size_t nlisten, int parent_fd);

#endif
