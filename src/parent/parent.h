/* The root process: owns sockets and children; the only one that ever runs as root. */
#ifndef TEGAMI_PARENT_H
#define TEGAMI_PARENT_H

struct bundle;
struct conf;

/*
 * Binds, starts the other processes, supervises them and reloads; never
 * returns. bundle holds the files conf was read from (conf_load_recorded).
 */
_Noreturn void	 parent_run(struct conf *, struct bundle *, const char *conf_path,
		    int foreground);

#endif
