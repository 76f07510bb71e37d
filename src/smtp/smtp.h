/* The SMTP process: accepts connections on the SMTP listeners and runs sessions. */
#ifndef TEGAMI_SMTP_H
#define TEGAMI_SMTP_H

#include <stddef.h>

struct conf;
struct listener;

/* A bound listening socket handed from the parent. */
struct smtp_listen {
	struct listener	*listener;
	int		 fd;
};

/*
 * Runs the process's event loop; never returns. queue_fd and parent_fd are
 * ipc channels. Privileges must already be dropped.
 */
_Noreturn void	 smtp_main(struct conf *, struct smtp_listen *, size_t nlisten,
		    int queue_fd, int parent_fd);

#endif
