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
 * Runs the process's event loop; never returns. parent_fd is its channel to
 * the parent, which sends the channels to the queue and auth processes
 * (MSG_LINK) and new configurations (MSG_CONF); tls holds the certificates.
 * The listeners open once the queue is there. Privileges must already be
 * dropped.
 */
_Noreturn void	 smtp_main(struct conf *, struct tls_server *, struct smtp_listen *,
		    size_t nlisten, int parent_fd);

/*
 * The certificates and keys of every pki and the ca files, from the text the
 * bundle holds (the parent read the files with its privileges). NULL with
 * "FILE:LINE: ..." lines appended to errors.
 */
struct bundle;
struct tls_server *smtp_tls_load(const struct conf *, const struct bundle *,
		    struct buf *errors);

#endif
