/* A running process receiving a new configuration from the parent (MSG_CONF), and its answer. */
#ifndef TEGAMI_CONF_UPDATE_H
#define TEGAMI_CONF_UPDATE_H

#include <stdint.h>

struct bundle;
struct buf;
struct conf;
struct ipc;
struct ipc_msg;

struct conf_update {
	uint64_t	 gen;
	struct bundle	*bundle;	/* the files, for what is not in conf (certificates) */
	struct conf	*conf;		/* NULL when it could not be rebuilt */
	struct buf	*errors;
};

/*
 * Reads a MSG_CONF and rebuilds the configuration from its bundle (path
 * names the top file, as in the running configuration). The caller puts
 * u->conf in place, then answers with conf_update_done().
 */
void	 conf_update_read(struct ipc_msg *, const char *path, struct conf_update *);
/*
 * Answers the parent (ok, or the errors) and wipes the bundle. The new
 * configuration is the caller's (NULL in u afterwards).
 */
void	 conf_update_done(struct ipc *parent, struct conf_update *, int ok,
	    const char *error);

#endif
