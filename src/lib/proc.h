/* Process set-up done the same way for every process: name, privileges, then the event loop. */
#ifndef TEGAMI_PROC_H
#define TEGAMI_PROC_H

#include <sys/types.h>

#define PROC_NO_GROUP	((gid_t)-1)

/*
 * Names the process (log prefix and /proc comm), chroots when root and
 * chrootdir is not NULL, and drops to uid/gid (setgroups, setresgid,
 * setresuid, then checks that root cannot be regained). extra_gid, unless
 * PROC_NO_GROUP, is kept as a supplementary group. When not started as
 * root nothing changes hands: development runs as the invoking user.
 */
void	 proc_setup(const char *name, uid_t uid, gid_t gid, gid_t extra_gid,
	    const char *chrootdir);
/* Looks up an account; -1 when it does not exist. */
int	 proc_account(const char *name, uid_t *uid, gid_t *gid, char **home);

#endif
