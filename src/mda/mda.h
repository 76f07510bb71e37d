/* The delivery agent process: one per mail-tree account, writing Maildirs and mboxes. */
#ifndef TEGAMI_MDA_H
#define TEGAMI_MDA_H

struct conf;

/* Serves delivery requests from the queue on queue_fd; never returns. */
_Noreturn void	 mda_main(struct conf *, const char *account, int queue_fd);

#endif
