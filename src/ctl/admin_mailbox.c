/* Users' Maildirs for the administration commands: where they are, creating them as their account, usage and quota, removal. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/table.h"
#include "ctl/admin.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "route/format.h"
#include "route/route.h"
#include "store/folder.h"
#include "store/maildir.h"
#include "store/quota.h"

int
admin_maildir(struct admin *a, const char *address, char **path, char **account)
{
	struct route_error	 err;

	if (route_login_maildir(a->conf, NULL, address, path, account, &err) !=
	    ROUTE_OK)
		return admin_fail(a->prog, tr("no Maildir for %s: %s"), address,
		    err.text);
	return 0;
}

int
admin_maildir_predict(struct admin *a, const char *address, const char *account,
    char **path)
{
	struct format_ctx	 fc;
	struct passwd		*pw;
	struct buf		 b;
	const char		*errstr;

	if (admin_table(a, ADMIN_VIRTUAL) == NULL)
		return 1;
	if (a->action == NULL)
		return admin_fail(a->prog, tr("no maildir action uses the virtual "
		    "table %s"), a->virtual->name);
	if ((pw = getpwnam(account)) == NULL)
		return admin_fail(a->prog, tr("no system account %s to own %s"),
		    account, address);
	/* What routing gives a user of the virtual table: the action's format. */
	if (a->action->path == NULL) {
		*path = xasprintf("%s/Maildir", pw->pw_dir);
		return 0;
	}
	memset(&fc, 0, sizeof(fc));
	fc.sender = "";
	fc.rcpt = address;
	fc.dest = address;
	fc.user_name = pw->pw_name;
	fc.user_dir = pw->pw_dir;
	fc.mbox_from = "";
	fc.sub_addr_delim = a->conf->sub_addr_delim;
	buf_init(&b, 0);
	if (format_expand(&b, a->action->path, &fc, &errstr) == -1) {
		buf_free(&b);
		return admin_fail(a->prog, "%s: %s", a->action->path, errstr);
	}
	*path = buf_release(&b);
	return 0;
}

int
admin_parse_size(const char *s, uint64_t *out)
{
	long long	 n;

	if (strcmp(s, "none") == 0 || strcmp(s, "NOQUOTA") == 0) {
		*out = 0;
		return 0;
	}
	if ((n = conf_parse_size(s)) < 0)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

void
admin_format_size(uint64_t n, char *dst, size_t dstlen)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double	 v = (double)n;
	size_t	 u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(dst, dstlen, "%llu B", (unsigned long long)n);
	else
		snprintf(dst, dstlen, "%.1f %s", v, units[u]);
}

/* The work done as the mail account: folders, and maildirsize when a quota is set. */
struct make_job {
	const char	*path;
	uint64_t	 quota;
	int		 set_quota;
	int		 folders;
};

static int
make_maildir(const struct make_job *m, const char **errstr)
{
	struct quota_limit	 l = { m->quota, 0 };
	struct quota		 q;
	char			*f;

	if (m->folders ? folder_create_defaults(m->path, errstr) == -1 :
	    maildir_create(m->path, errstr) == -1)
		return -1;
	if (!m->set_quota)
		return 0;
	if (m->quota == 0) {
		f = xasprintf("%s/maildirsize", m->path);
		if (unlink(f) == -1 && errno != ENOENT) {
			free(f);
			*errstr = strerror(errno);
			return -1;
		}
		free(f);
		return 0;
	}
	return quota_recalc(m->path, &l, 0, &q, errstr);
}

/* mkdir -p for the directories above path, giving the ones made to uid/gid. */
static int
make_parents(const char *path, uid_t uid, gid_t gid, const char **errstr)
{
	char	*p = xstrdup(path), *s;
	int	 r = 0;

	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) == 0) {
			if (chown(p, uid, gid) == -1) {
				*errstr = strerror(errno);
				r = -1;
			}
		} else if (errno != EEXIST) {
			*errstr = strerror(errno);
			r = -1;
		}
		*s = '/';
		if (r == -1)
			break;
	}
	free(p);
	return r;
}

/* Runs make_maildir in a child that has become the account; its error comes back through a pipe. */
static int
make_as(const struct passwd *pw, const struct make_job *m, char *err, size_t errlen)
{
	const char	*errstr = NULL;
	pid_t		 pid;
	int		 p[2], status;
	ssize_t		 n;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
		    setuid(pw->pw_uid) == -1)
			errstr = strerror(errno);
		else if (make_maildir(m, &errstr) == 0)
			_exit(0);
		(void)!write(p[1], errstr, strlen(errstr));
		_exit(1);
	}
	close(p[1]);
	n = read(p[0], err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (err[0] == '\0')
		snprintf(err, errlen, "%s", "the helper process failed");
	return -1;
}

int
admin_maildir_create(struct admin *a, const char *path, const char *account,
    uint64_t quota_bytes, int set_quota, int folders)
{
	struct make_job	 m = { path, quota_bytes, set_quota, folders };
	struct passwd	*pw;
	const char	*errstr;
	char		 err[512];

	if (geteuid() != 0) {
		if (make_maildir(&m, &errstr) == -1)
			return admin_fail(a->prog, tr("cannot create the Maildir %s: "
			    "%s"), path, errstr);
		return 0;
	}
	/* Mail is never written as root: the tree belongs to its account. */
	if ((pw = getpwnam(account)) == NULL)
		return admin_fail(a->prog, tr("no system account %s to own %s"),
		    account, path);
	if (pw->pw_uid == 0)
		return admin_fail(a->prog, tr("refusing to create a Maildir owned "
		    "by root (%s)"), path);
	if (make_parents(path, pw->pw_uid, pw->pw_gid, &errstr) == -1)
		return admin_fail(a->prog, tr("cannot create the Maildir %s: %s"),
		    path, errstr);
	if (make_as(pw, &m, err, sizeof(err)) == -1)
		return admin_fail(a->prog, tr("cannot create the Maildir %s: %s"),
		    path, err);
	return 0;
}

static int
rm_entry(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	if (type == FTW_DP)
		return rmdir(fpath) == -1 ? -1 : 0;
	return unlink(fpath) == -1 ? -1 : 0;
}

int
admin_maildir_remove(struct admin *a, const char *path)
{
	struct stat	 st;
	char		*copy;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return admin_fail(a->prog, "%s: %s", path, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return admin_fail(a->prog, tr("%s is not a directory; left alone"),
		    path);
	/* FTW_PHYS: a symbolic link inside is removed, never followed. */
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == -1)
		return admin_fail(a->prog, tr("cannot remove %s: %s"), path,
		    strerror(errno));
	copy = xstrdup(path);
	(void)rmdir(dirname(copy));	/* the user's directory, if nothing else is in it */
	free(copy);
	return 0;
}

/* Adds what new/ and cur/ of one folder hold; sizes from S= where the name has one. */
static void
count_dir(const char *dir, struct admin_usage *u)
{
	static const char *const subs[] = { "new", "cur" };
	struct maildir_name	 mn;
	struct dirent		*e;
	struct stat		 st;
	DIR			*d;
	char			*p;
	size_t			 i;
	int			 dfd;

	for (i = 0; i < 2; i++) {
		p = xasprintf("%s/%s", dir, subs[i]);
		d = opendir(p);
		free(p);
		if (d == NULL)
			continue;
		dfd = dirfd(d);
		while ((e = readdir(d)) != NULL) {
			if (maildir_name_parse(e->d_name, strlen(e->d_name), &mn) == -1)
				continue;
			/* Deleted (T) but not expunged: Maildir++ does not count it. */
			if (mn.info == MAILDIR_INFO_2 &&
			    maildir_flags_has(&mn.flags, 'T'))
				continue;
			if (mn.has_size)
				u->bytes += mn.size;
			else if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				u->bytes += (uint64_t)st.st_size;
			u->count++;
		}
		closedir(d);
	}
}

int
admin_maildir_usage(struct admin *a, const char *path, struct admin_usage *u)
{
	struct folder_list	 fl;
	struct quota_file	 qf;
	const char		*errstr;
	char			 text[QUOTA_FILE_MAX], *p;
	size_t			 i;
	ssize_t			 n;
	int			 fd;

	memset(u, 0, sizeof(*u));
	if (access(path, F_OK) == -1)
		return 0;
	u->has_maildir = 1;
	count_dir(path, u);
	if (folder_list(path, &fl, &errstr) == 0) {
		for (i = 0; i < fl.n; i++) {
			if (fl.v[i].dir[0] == '\0' || strcmp(fl.v[i].dir, ".Trash") == 0)
				continue;
			p = xasprintf("%s/%s", path, fl.v[i].dir);
			count_dir(p, u);
			free(p);
		}
		folder_list_free(&fl);
	}
	p = xasprintf("%s/maildirsize", path);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(p);
	if (fd != -1) {
		n = read(fd, text, sizeof(text));
		close(fd);
		if (n > 0 && (size_t)n < sizeof(text) &&
		    quota_parse(text, (size_t)n, &qf) == 0) {
			u->limit_bytes = qf.limit.bytes;
			u->limit_count = qf.limit.count;
		}
	}
	return 0;
}
