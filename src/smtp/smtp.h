/* The SMTP process: accepts connections on the SMTP listeners and runs sessions. */
#ifndef TEGAMI_SMTP_H
#define TEGAMI_SMTP_H

#include <stddef.h>

struct buf;
struct conf;
struct listener;
struct tls_server;

/* A bound listening socket handed from the parent. */
struct smtp_listen {
	struct listener	*listener;
	int		 fd;
};

/*
 * Runs the process's event loop; never returns. queue_fd, parent_fd and
 * auth_fd are ipc channels; tls holds the certificates (may be NULL when
 * no listener uses TLS). Privileges must already be dropped.
 */
_Noreturn void	 smtp_main(struct conf *, struct tls_server *, struct smtp_listen *,
		    size_t nlisten, int queue_fd, int parent_fd, int auth_fd);

/*
 * Loads the certificates and keys of every pki and the ca files (the
 * parent does it, with its privileges). NULL with "FILE:LINE: ..." lines
 * appended to errors.
 */
struct tls_server *smtp_tls_load(const struct conf *, struct buf *errors);

#endif
