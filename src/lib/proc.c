/* Privilege dropping and process naming. */
#include <sys/prctl.h>
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/dio.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/xalloc.h"

void
proc_setup(const char *name, uid_t uid, gid_t gid, gid_t extra_gid,
    const char *chrootdir)
{
	gid_t	 groups[2] = { gid, extra_gid };
	char	 title[16];

	log_procname(name);
	dio_crash_init(name);
	snprintf(title, sizeof(title), "tegami-%s", name);
	prctl(PR_SET_NAME, title, 0, 0, 0);

	if (geteuid() != 0)
		return;
	if (chrootdir != NULL) {
		if (chroot(chrootdir) == -1 || chdir("/") == -1)
			fatal("%s: chroot %s", name, chrootdir);
	}
	if (uid == 0)
		return;
	if (setgroups(extra_gid == PROC_NO_GROUP || extra_gid == gid ? 1 : 2,
	    groups) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("%s: cannot drop privileges to uid %u", name, (unsigned)uid);
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("%s: could regain root after dropping privileges", name);
	/* A process that may dump core must not leak mail into a core file. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
proc_account(const char *name, uid_t *uid, gid_t *gid, char **home)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	if (home)
		*home = xstrdup(pw.pw_dir);
	return 0;
}
