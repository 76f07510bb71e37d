/* The auth process: the only one that holds the credentials, checks passwords and throttles failures. */
#ifndef TEGAMI_AUTH_H
#define TEGAMI_AUTH_H

struct conf;


/*
 * Runs the one auth process's event loop: the parent sends it channels to
 * the processes whose users log in (MSG_LINK) and new configurations with
 * the credentials tables (MSG_CONF). Privileges must already be dropped.
 */
_Noreturn void	 auth_main(struct conf *, int parent_fd);

#endif
