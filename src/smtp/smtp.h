/* The SMTP process: accepts connections on the SMTP listeners and runs sessions. */
#ifndef TEGAMI_SMTP_H
#define TEGAMI_SMTP_H

#include <stddef.h>

struct conf;
struct listen_socket;
struct tls_server;

/*
 * Runs the process's event loop; never returns. parent_fd is its channel to
 * the parent, which sends the channels to the queue and auth processes
 * (MSG_LINK) and new configurations (MSG_CONF); tls holds the certificates.
 * The listeners open once the queue is there. Privileges must already be
 * dropped.
 */
_Noreturn void	 smtp_main(struct conf *, struct tls_server *, struct listen_socket *,
		    size_t nlisten, int parent_fd);

#endif
