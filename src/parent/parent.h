/* The root process: owns sockets and children; the only one that ever runs as root. */
#ifndef TEGAMI_PARENT_H
#define TEGAMI_PARENT_H

struct conf;

/* Binds, forks the queue and smtp processes, and supervises; never returns. */
_Noreturn void	 parent_run(struct conf *, const char *conf_path, int foreground);

#endif
