/* The delivery agent process: one per mail-tree account, writing Maildirs and mboxes. */
#ifndef TEGAMI_MDA_H
#define TEGAMI_MDA_H

struct conf;

/* Serves delivery requests from the queue on queue_fd; never returns. */
/*
 * A delivery agent for one account: deliveries from the queue on queue_fd,
 * new configurations from the parent on parent_fd. Never returns.
 */
_Noreturn void	 mda_main(struct conf *, const char *account, int queue_fd,
		    int parent_fd);

#endif
