/* The auth process: the only one that holds the credentials, checks passwords and throttles failures. */
#ifndef TEGAMI_AUTH_H
#define TEGAMI_AUTH_H

struct conf;

/* MSG_AUTH_RESULT's verdict. */
enum auth_result {
	AUTH_OK,
	AUTH_FAIL,		/* unknown login or wrong password: 535 */
	AUTH_THROTTLED,		/* too many failures from this address: 454 */
	AUTH_TEMPFAIL,		/* no usable credentials table: 454 */
};

/*
 * Runs the one auth process's event loop: the parent sends it channels to
 * the processes whose users log in (MSG_LINK) and new configurations with
 * the credentials tables (MSG_CONF). Privileges must already be dropped.
 */
_Noreturn void	 auth_main(struct conf *, int parent_fd);

#endif
