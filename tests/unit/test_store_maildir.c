/* Tests for src/store/maildir.c: delivery (names, bytes, folders, failures, crash points), APPEND and COPY. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lib/dio.h"
#include "lib/log.h"
#include "mail/maildir_name.h"
#include "store/maildir.h"

static char	 tdir[64];

static const char hdr[] =
    "Return-Path: <a@example.org>\n"
    "Delivered-To: b@example.org\n";
static const char body[] =
    "From: a@example.org\n"
    "Subject: hello\n"
    "\n"
    "Text.\n";

static void
rmtree(const char *path)
{
	char	 cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

static int
count(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* dir/sub exists, is a directory, mode 0700. */
static int
isdir(const char *dir, const char *sub)
{
	char		 p[512];
	struct stat	 st;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == 0700;
}

/* A queue-like file: 7 bytes of something else, then the message. */
static int
msgfile(const char *data, size_t len)
{
	char	 p[128];
	int	 fd;

	snprintf(p, sizeof(p), "%s/msg", tdir);
	fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd == -1 || write(fd, "PREFIX\n", 7) != 7 ||
	    write(fd, data, len) != (ssize_t)len)
		return -1;
	return fd;
}

/* Reads dir/name whole; caller frees. */
static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char		 p[1024];
	struct stat	 st;
	char		*b;
	int		 fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		return NULL;
	b = malloc((size_t)st.st_size + 1);
	*len = (size_t)read(fd, b, (size_t)st.st_size);
	close(fd);
	return b;
}

static void
t_name(void)
{
	char			 a[MAILDIR_NAME_MAX + 1], b[MAILDIR_NAME_MAX + 1];
	char			 host[300];
	long long		 sec;
	long			 usec, pid;
	unsigned		 q1, q2;
	struct maildir_name	 mn;
	int			 n;

	n = maildir_unique(a, sizeof(a), 4242, MAILDIR_NOSIZE);
	T_EQ_INT(n, strlen(a));
	T_EQ_INT(sscanf(a, "%lld.M%ldP%ldQ%u.%299s", &sec, &usec, &pid, &q1,
	    host), 5);
	T_ASSERT(sec >= time(NULL) - 5 && sec <= time(NULL));
	T_ASSERT(usec >= 0 && usec < 1000000);
	T_EQ_INT(pid, getpid());
	T_ASSERT(strlen(host) > 7 &&
	    strcmp(host + strlen(host) - 7, ",S=4242") == 0);
	T_EQ_INT(maildir_name_parse(a, strlen(a), &mn), 0);
	T_ASSERT(mn.has_size && mn.size == 4242 && !mn.has_vsize);
	T_EQ_INT(mn.base_len, strlen(a));

	T_ASSERT(maildir_unique(b, sizeof(b), 0, 4300) > 0);
	T_EQ_INT(sscanf(b, "%lld.M%ldP%ldQ%u.%299s", &sec, &usec, &pid, &q2,
	    host), 5);
	T_EQ_INT(q2, q1 + 1);
	T_ASSERT(strstr(b, ",S=0,W=4300") != NULL);
	T_ASSERT(strcmp(a, b) != 0);
	T_ASSERT(maildir_unique(b, sizeof(b), MAILDIR_NOSIZE, MAILDIR_NOSIZE) > 0);
	T_ASSERT(strchr(b, ',') == NULL);
	/* No character that would break a file name or the flags suffix. */
	T_ASSERT(strchr(a, '/') == NULL && strchr(a, ':') == NULL);
	T_EQ_INT(maildir_unique(b, 10, 0, 0), -1);
}

static void
t_create(void)
{
	const char	*err = NULL;
	char		 p[256];
	int		 fd;

	snprintf(p, sizeof(p), "%s/vmail/example.org/bob/Maildir", tdir);
	T_EQ_INT(maildir_create(p, &err), 0);
	T_ASSERT(isdir(p, "cur"));
	T_ASSERT(isdir(p, "new"));
	T_ASSERT(isdir(p, "tmp"));
	T_EQ_INT(maildir_create(p, &err), 0);

	snprintf(p, sizeof(p), "%s/plainfile", tdir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	err = NULL;
	T_EQ_INT(maildir_create(p, &err), -1);
	T_EQ_INT(errno, ENOTDIR);
	T_ASSERT(err != NULL && strstr(err, "Not a directory") != NULL);
}

static void
t_deliver_bytes(void)
{
	const char		*err = NULL;
	char			 md[256], nd[300], name[512], want[1024];
	char			*got;
	size_t			 len;
	struct stat		 st;
	enum deliver_result	 r;
	int			 fd;

	snprintf(md, sizeof(md), "%s/new-md/Maildir", tdir);
	fd = msgfile(body, sizeof(body) - 1);
	T_ASSERT(fd != -1);
	/* The Maildir does not exist yet: delivery creates it. */
	r = maildir_deliver(md, NULL, hdr, sizeof(hdr) - 1, fd, 7,
	    sizeof(body) - 1, name, sizeof(name), &err);
	T_EQ_INT(r, DELIVER_OK);
	snprintf(nd, sizeof(nd), "%s/new", md);
	T_EQ_INT(count(nd), 1);
	snprintf(nd, sizeof(nd), "%s/tmp", md);
	T_EQ_INT(count(nd), 0);
	snprintf(nd, sizeof(nd), "%s/new", md);
	got = slurp(nd, name, &len);
	T_ASSERT(got != NULL);
	snprintf(want, sizeof(want), "%s%s", hdr, body);
	T_EQ_INT(len, strlen(want));
	T_ASSERT(memcmp(got, want, len) == 0);
	/* S= the bytes, W= the size with CRLF line ends: one more per bare LF. */
	{
		size_t	 lf = 0, k;

		for (k = 0; k < len; k++)
			lf += got[k] == '\n' && (k == 0 || got[k - 1] != '\r');
		snprintf(want, sizeof(want), ",S=%zu,W=%zu", len, len + lf);
	}
	free(got);
	T_ASSERT(strlen(name) > strlen(want) &&
	    strcmp(name + strlen(name) - strlen(want), want) == 0);
	snprintf(want, sizeof(want), "%s/%s", nd, name);
	T_ASSERT(stat(want, &st) == 0);
	T_EQ_INT(st.st_mode & 07777, 0600);
	T_EQ_INT(st.st_nlink, 1);	/* the tmp/ link is gone */

	/* No header, empty message: an empty file is still a delivery. */
	r = maildir_deliver(md, NULL, NULL, 0, fd, 7, 0, name, sizeof(name), &err);
	T_EQ_INT(r, DELIVER_OK);
	T_ASSERT(strstr(name, ",S=0") != NULL);
	T_EQ_INT(count(nd), 2);
	close(fd);
}

static void
t_big_message(void)
{
	enum { LEN = 3 * 1024 * 1024 + 17 };
	const char	*err = NULL;
	char		 md[256], nd[300], name[512], *msg, *got;
	size_t		 len, i;
	int		 fd;

	msg = malloc(LEN);
	for (i = 0; i < LEN; i++)
		msg[i] = (char)("abcdefghij\n"[i % 11]);
	fd = msgfile(msg, LEN);
	T_ASSERT(fd != -1);
	snprintf(md, sizeof(md), "%s/big", tdir);
	T_EQ_INT(maildir_deliver(md, NULL, hdr, sizeof(hdr) - 1, fd, 7, LEN,
	    name, sizeof(name), &err), DELIVER_OK);
	snprintf(nd, sizeof(nd), "%s/new", md);
	got = slurp(nd, name, &len);
	T_ASSERT(got != NULL);
	T_EQ_INT(len, sizeof(hdr) - 1 + LEN);
	T_ASSERT(memcmp(got, hdr, sizeof(hdr) - 1) == 0);
	T_ASSERT(memcmp(got + sizeof(hdr) - 1, msg, LEN) == 0);
	free(got);
	free(msg);
	close(fd);
}

static void
t_junk_folder(void)
{
	const char	*err = NULL;
	char		 md[256], p[320], name[512];
	struct stat	 st;
	int		 fd;

	snprintf(md, sizeof(md), "%s/junk/Maildir", tdir);
	fd = msgfile(body, sizeof(body) - 1);
	T_EQ_INT(maildir_deliver(md, ".Junk", hdr, sizeof(hdr) - 1, fd, 7,
	    sizeof(body) - 1, name, sizeof(name), &err), DELIVER_OK);
	T_ASSERT(isdir(md, "new"));
	T_ASSERT(isdir(md, "cur"));
	T_ASSERT(isdir(md, ".Junk/cur"));
	T_ASSERT(isdir(md, ".Junk/tmp"));
	snprintf(p, sizeof(p), "%s/.Junk/maildirfolder", md);
	T_ASSERT(stat(p, &st) == 0 && S_ISREG(st.st_mode));
	snprintf(p, sizeof(p), "%s/.Junk/new", md);
	T_EQ_INT(count(p), 1);
	snprintf(p, sizeof(p), "%s/new", md);
	T_EQ_INT(count(p), 0);

	/* A nested Maildir++ folder and an empty folder name (the inbox). */
	T_EQ_INT(maildir_deliver(md, ".a.b", hdr, sizeof(hdr) - 1, fd, 7,
	    sizeof(body) - 1, name, sizeof(name), &err), DELIVER_OK);
	snprintf(p, sizeof(p), "%s/.a.b/new", md);
	T_EQ_INT(count(p), 1);
	T_EQ_INT(maildir_deliver(md, "", hdr, sizeof(hdr) - 1, fd, 7,
	    sizeof(body) - 1, name, sizeof(name), &err), DELIVER_OK);
	snprintf(p, sizeof(p), "%s/new", md);
	T_EQ_INT(count(p), 1);

	/* Names that would leave the Maildir are refused for good. */
	T_EQ_INT(maildir_deliver(md, "..", hdr, 0, fd, 7, 1, NULL, 0, &err),
	    DELIVER_PERMFAIL);
	T_EQ_INT(maildir_deliver(md, "./../x", hdr, 0, fd, 7, 1, NULL, 0, &err),
	    DELIVER_PERMFAIL);
	T_EQ_INT(maildir_deliver(md, "Junk", hdr, 0, fd, 7, 1, NULL, 0, &err),
	    DELIVER_PERMFAIL);
	T_EQ_INT(maildir_deliver(md, ".", hdr, 0, fd, 7, 1, NULL, 0, &err),
	    DELIVER_PERMFAIL);
	close(fd);
}

/* Unique names and whole files across 10,000 deliveries in one process. */
static void
t_many(void)
{
	const char	*err = NULL;
	char		 base[128], md[256], nd[300], name[512];
	char		(*names)[128];
	struct stat	 st;
	int		 fd, i, n;

	/* fsync is free on tmpfs; on a disk 10,000 would take minutes. */
	if (stat("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0) {
		snprintf(base, sizeof(base), "/dev/shm/test_maildir.XXXXXX");
		n = 10000;
	} else {
		snprintf(base, sizeof(base), "%s/many.XXXXXX", tdir);
		n = 1000;
	}
	T_ASSERT(mkdtemp(base) != NULL);
	snprintf(md, sizeof(md), "%s/Maildir", base);
	fd = msgfile(body, sizeof(body) - 1);
	names = calloc((size_t)n, sizeof(*names));
	for (i = 0; i < n; i++) {
		if (maildir_deliver(md, NULL, hdr, sizeof(hdr) - 1, fd, 7,
		    sizeof(body) - 1, name, sizeof(name), &err) != DELIVER_OK) {
			t_fail(__FILE__, __LINE__, "delivery %d: %s", i, err);
			break;
		}
		T_ASSERT(strlen(name) < sizeof(names[i]));
		memcpy(names[i], name, strlen(name) + 1);
	}
	snprintf(nd, sizeof(nd), "%s/new", md);
	T_EQ_INT(count(nd), n);
	qsort(names, (size_t)n, sizeof(*names),
	    (int (*)(const void *, const void *))strcmp);
	for (i = 1; i < n; i++)
		T_ASSERT(strcmp(names[i - 1], names[i]) != 0);
	snprintf(nd, sizeof(nd), "%s/tmp", md);
	T_EQ_INT(count(nd), 0);
	free(names);
	close(fd);
	rmtree(base);
}

static void
t_permfail_paths(void)
{
	const char	*err = NULL;
	char		 p[256];
	int		 fd, mfd;

	mfd = msgfile(body, sizeof(body) - 1);
	snprintf(p, sizeof(p), "%s/afile", tdir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	T_EQ_INT(maildir_deliver(p, NULL, hdr, 0, mfd, 7, 3, NULL, 0, &err),
	    DELIVER_PERMFAIL);
	T_ASSERT(strstr(err, "Not a directory") != NULL);
	snprintf(p, sizeof(p), "%s/afile/Maildir", tdir);
	T_EQ_INT(maildir_deliver(p, NULL, hdr, 0, mfd, 7, 3, NULL, 0, &err),
	    DELIVER_PERMFAIL);
	T_EQ_INT(maildir_deliver(p, ".Junk", hdr, 0, mfd, 7, 3, NULL, 0, &err),
	    DELIVER_PERMFAIL);
	close(mfd);
}

static void
t_tempfail_short_queue_file(void)
{
	const char	*err = NULL;
	char		 md[256], p[300];
	int		 mfd;

	snprintf(md, sizeof(md), "%s/short", tdir);
	mfd = msgfile(body, sizeof(body) - 1);
	T_EQ_INT(maildir_deliver(md, NULL, hdr, sizeof(hdr) - 1, mfd, 7,
	    sizeof(body), NULL, 0, &err), DELIVER_TEMPFAIL);
	T_ASSERT(strstr(err, "queue file too short") != NULL);
	/* Found before anything is written: no file, not even the Maildir. */
	snprintf(p, sizeof(p), "%s/tmp", md);
	T_ASSERT(count(p) <= 0);
	snprintf(p, sizeof(p), "%s/new", md);
	T_ASSERT(count(p) <= 0);
	/* A closed descriptor: nothing can be read, the mail waits. */
	close(mfd);
	T_EQ_INT(maildir_deliver(md, NULL, hdr, sizeof(hdr) - 1, mfd, 7, 10,
	    NULL, 0, &err), DELIVER_TEMPFAIL);
	T_ASSERT(count(p) <= 0);
}

/* Permission trouble is the admin's to fix: the mail waits. */
static void
t_tempfail_eacces(void)
{
	char	 p[256];
	pid_t	 pid;
	int	 st, mfd;

	snprintf(p, sizeof(p), "%s/locked", tdir);
	T_ASSERT(mkdir(p, 0700) == 0);
	mfd = msgfile(body, sizeof(body) - 1);
	T_ASSERT(mfd != -1);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		const char	*err = NULL;
		char		 md[300];

		if (geteuid() == 0) {
			if (setgid(65534) == -1 || setuid(65534) == -1)
				_exit(2);
		} else
			chmod(p, 0500);
		snprintf(md, sizeof(md), "%s/Maildir", p);
		if (maildir_deliver(md, NULL, hdr, 0, mfd, 7, 5, NULL, 0,
		    &err) != DELIVER_TEMPFAIL)
			_exit(3);
		if (strstr(err, "Permission denied") == NULL)
			_exit(4);
		_exit(0);
	}
	T_ASSERT(waitpid(pid, &st, 0) == pid);
	close(mfd);
	chmod(p, 0700);
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
}

/* A full file system: TEMPFAIL and nothing left behind in tmp/ or new/. */
static void
t_tempfail_enospc(void)
{
	char	 mnt[128];
	pid_t	 pid;
	int	 st;

	snprintf(mnt, sizeof(mnt), "%s/small", tdir);
	T_ASSERT(mkdir(mnt, 0700) == 0);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		const char	*err = NULL;
		char		 md[200], p[256], *big;
		int		 mfd, i;

		if (unshare(CLONE_NEWNS) == -1 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
		    mount("tmpfs", mnt, "tmpfs", 0, "size=64k") == -1)
			_exit(77);
		big = malloc(200000);
		memset(big, 'x', 200000);
		if ((mfd = msgfile(big, 200000)) == -1)
			_exit(2);
		snprintf(md, sizeof(md), "%s/Maildir", mnt);
		if (maildir_deliver(md, NULL, hdr, sizeof(hdr) - 1, mfd, 7,
		    200000, NULL, 0, &err) != DELIVER_TEMPFAIL)
			_exit(3);
		if (strstr(err, "No space left") == NULL)
			_exit(4);
		snprintf(p, sizeof(p), "%s/tmp", md);
		if (count(p) != 0)
			_exit(5);
		snprintf(p, sizeof(p), "%s/new", md);
		if (count(p) != 0)
			_exit(6);
		/* Small messages still fit until the space runs out. */
		for (i = 0; i < 100; i++)
			if (maildir_deliver(md, NULL, hdr, sizeof(hdr) - 1, mfd,
			    7, 3000, NULL, 0, &err) != DELIVER_OK)
				break;
		if (i == 0 || i == 100 || count(p) != i)
			_exit(7);
		snprintf(p, sizeof(p), "%s/tmp", md);
		if (count(p) != 0)
			_exit(8);
		umount(mnt);
		_exit(0);
	}
	T_ASSERT(waitpid(pid, &st, 0) == pid);
	T_ASSERT(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		fprintf(stderr, "tempfail_enospc: no mount namespace, skipped\n");
		return;
	}
	T_EQ_INT(WEXITSTATUS(st), 0);
}

/* Finds the one file in dir; 0 if there is exactly one. */
static int
only_file(const char *dir, char *name, size_t len)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			snprintf(name, len, "%s", de->d_name);
			n++;
		}
	closedir(d);
	return n == 1 ? 0 : -1;
}

/* APPEND: written in tmp/, dated, linked into cur/ with flags. */
static void
t_append(void)
{
	const char		*err = NULL;
	struct maildir_tmp	 t;
	struct maildir_add	 add;
	struct maildir_flags	 f;
	struct maildir_name	 mn;
	struct stat		 st;
	char			 md[256], p[1024], name[MAILDIR_NAME_MAX + 1];
	char			 found[MAILDIR_NAME_MAX + 1], *got;
	size_t			 len;

	snprintf(md, sizeof(md), "%s/append", tdir);
	T_EQ_INT(maildir_create(md, &err), 0);
	T_EQ_INT(maildir_tmp_open(&t, md, &err), 0);
	T_EQ_INT(dio_write(t.fd, body, sizeof(body) - 1), 0);
	snprintf(p, sizeof(p), "%s/tmp", md);
	T_EQ_INT(count(p), 1);
	maildir_flags_clear(&f);
	maildir_flags_set_sys(&f, MAILDIR_F_SEEN | MAILDIR_F_DRAFT);
	(void)maildir_flags_add(&f, 'a');
	add.flags = &f;
	add.date = 1000000000;
	add.vsize = sizeof(body) - 1 + 4;
	T_EQ_INT(maildir_tmp_commit(&t, &add, name, sizeof(name), &err), 0);
	T_EQ_INT(t.fd, -1);
	T_EQ_INT(count(p), 0);
	snprintf(p, sizeof(p), "%s/cur", md);
	T_EQ_INT(only_file(p, found, sizeof(found)), 0);
	T_EQ_STR(found, name);
	T_EQ_INT(maildir_name_parse(name, strlen(name), &mn), 0);
	T_ASSERT(mn.has_size && mn.size == sizeof(body) - 1);
	T_ASSERT(mn.has_vsize && mn.vsize == sizeof(body) - 1 + 4);
	T_EQ_INT(mn.info, MAILDIR_INFO_2);
	T_ASSERT(maildir_flags_equal(&mn.flags, &f));
	T_ASSERT(strstr(name, ":2,DSa") != NULL);
	got = slurp(p, name, &len);
	T_ASSERT(got != NULL && len == sizeof(body) - 1 &&
	    memcmp(got, body, len) == 0);
	free(got);
	snprintf(p, sizeof(p), "%s/cur/%s", md, name);
	T_ASSERT(stat(p, &st) == 0);
	T_EQ_INT(st.st_mtime, 1000000000);
	T_EQ_INT(st.st_nlink, 1);
	T_EQ_INT(st.st_mode & 07777, 0600);

	/* No flags: new/, no info, no W=, the time of writing. */
	T_EQ_INT(maildir_tmp_open(&t, md, &err), 0);
	add.flags = NULL;
	add.date = (time_t)-1;
	add.vsize = MAILDIR_NOSIZE;
	T_EQ_INT(maildir_tmp_commit(&t, &add, name, sizeof(name), &err), 0);
	T_EQ_INT(maildir_name_parse(name, strlen(name), &mn), 0);
	T_EQ_INT(mn.info, MAILDIR_INFO_NONE);
	T_ASSERT(mn.has_size && mn.size == 0 && !mn.has_vsize);
	snprintf(p, sizeof(p), "%s/new/%s", md, name);
	T_ASSERT(stat(p, &st) == 0);
	T_ASSERT(st.st_mtime >= time(NULL) - 5);

	/* Abort: nothing left. */
	T_EQ_INT(maildir_tmp_open(&t, md, &err), 0);
	T_EQ_INT(dio_write(t.fd, "x", 1), 0);
	maildir_tmp_abort(&t);
	snprintf(p, sizeof(p), "%s/tmp", md);
	T_EQ_INT(count(p), 0);
	snprintf(p, sizeof(p), "%s/new", md);
	T_EQ_INT(count(p), 1);

	/* A folder that does not exist is not created: the client's TRYCREATE. */
	snprintf(p, sizeof(p), "%s/.Nope", md);
	T_EQ_INT(maildir_tmp_open(&t, p, &err), -1);
	T_EQ_INT(errno, ENOENT);
	T_ASSERT(access(p, F_OK) == -1);
}

/* COPY: by bytes from an open file, and by a hard link. */
static void
t_copy(void)
{
	const char		*err = NULL;
	struct maildir_add	 add;
	struct maildir_flags	 f;
	struct maildir_name	 mn;
	struct stat		 st1, st2;
	char			 md[256], p[1024], name[MAILDIR_NAME_MAX + 1];
	char			 name2[MAILDIR_NAME_MAX + 1], *got;
	size_t			 len;
	int			 fd, curfd;

	snprintf(md, sizeof(md), "%s/copy", tdir);
	T_EQ_INT(maildir_create(md, &err), 0);
	fd = msgfile(body, sizeof(body) - 1);
	T_ASSERT(fd != -1);
	maildir_flags_clear(&f);
	maildir_flags_set_sys(&f, MAILDIR_F_FLAGGED);
	add.flags = &f;
	add.date = 1234567890;
	add.vsize = MAILDIR_NOSIZE;
	T_EQ_INT(maildir_add_fd(md, fd, 7, sizeof(body) - 1, &add, name,
	    sizeof(name), &err), 0);
	snprintf(p, sizeof(p), "%s/cur", md);
	got = slurp(p, name, &len);
	T_ASSERT(got != NULL && len == sizeof(body) - 1 &&
	    memcmp(got, body, len) == 0);
	free(got);
	T_ASSERT(strstr(name, ":2,F") != NULL);
	/* A source shorter than said: nothing is added. */
	T_EQ_INT(maildir_add_fd(md, fd, 7, sizeof(body), &add, name2,
	    sizeof(name2), &err), -1);
	T_ASSERT(strstr(err, "too short") != NULL);
	T_EQ_INT(count(p), 1);
	snprintf(p, sizeof(p), "%s/tmp", md);
	T_EQ_INT(count(p), 0);
	close(fd);

	/* A hard link: one inode, a new base, other flags. */
	snprintf(p, sizeof(p), "%s/cur", md);
	curfd = open(p, O_RDONLY | O_DIRECTORY);
	T_ASSERT(curfd != -1);
	maildir_flags_set_sys(&f, MAILDIR_F_SEEN);
	add.date = (time_t)-1;
	add.vsize = 999;
	T_EQ_INT(maildir_add_link(curfd, name, md, &add, name2, sizeof(name2),
	    &err), 0);
	T_EQ_INT(count(p), 2);
	T_EQ_INT(fstatat(curfd, name, &st1, 0), 0);
	T_EQ_INT(fstatat(curfd, name2, &st2, 0), 0);
	T_EQ_INT(st1.st_ino, st2.st_ino);
	T_EQ_INT(st2.st_mtime, 1234567890);	/* the source's date */
	T_EQ_INT(maildir_name_parse(name2, strlen(name2), &mn), 0);
	T_ASSERT(mn.size == sizeof(body) - 1 && mn.vsize == 999);
	T_ASSERT(strstr(name2, ":2,S") != NULL);
	T_ASSERT(strncmp(name, name2, strcspn(name, ",")) != 0);
	T_EQ_INT(maildir_add_link(curfd, "gone", md, &add, name2,
	    sizeof(name2), &err), -1);
	T_EQ_INT(errno, ENOENT);
	close(curfd);
}

/* Files in tmp/ go once 36 hours old; younger ones (a delivery being written) stay. */
static void
t_clean_tmp(void)
{
	const char		*err = NULL;
	struct maildir_tmp	 t;
	char			 md[256], p[512];
	int			 fd;

	snprintf(md, sizeof(md), "%s/clean", tdir);
	T_EQ_INT(maildir_create(md, &err), 0);
	snprintf(p, sizeof(p), "%s/tmp/old", md);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	T_ASSERT(fd != -1);
	close(fd);
	T_EQ_INT(maildir_tmp_open(&t, md, &err), 0);
	snprintf(p, sizeof(p), "%s/tmp/adir", md);
	T_EQ_INT(mkdir(p, 0700), 0);
	/* Now: nothing is old enough. */
	T_EQ_INT(maildir_clean_tmp(md, time(NULL), &err), 0);
	/* 36 hours and a minute later, both files are stale; the directory stays. */
	T_EQ_INT(maildir_clean_tmp(md, time(NULL) + MAILDIR_TMP_STALE + 60,
	    &err), 2);
	snprintf(p, sizeof(p), "%s/tmp", md);
	T_EQ_INT(count(p), 1);
	maildir_tmp_abort(&t);
	T_EQ_INT(maildir_clean_tmp("/nonexistent", time(NULL), &err), -1);
}

#ifdef TEGAMI_CRASHPOINTS
/* The ops a crash log holds, space-separated. */
static void
read_ops(const char *log, char *ops, size_t len)
{
	FILE	*fp;
	char	 line[128], name[32], op[32];
	unsigned long n;

	ops[0] = '\0';
	if ((fp = fopen(log, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%31s %lu %31s", name, &n, op) == 3)
			snprintf(ops + strlen(ops), len - strlen(ops), "%s%s",
			    ops[0] ? " " : "", op);
	fclose(fp);
}

/* Runs fn in a child with TEGAMI_CRASH_AT=test:n; its exit status. */
static int
crash_child(int (*fn)(const char *), const char *md, int n, const char *log)
{
	char	 at[32];
	pid_t	 pid;
	int	 st;

	if ((pid = fork()) == 0) {
		snprintf(at, sizeof(at), "test:%d", n);
		setenv("TEGAMI_CRASH_AT", at, 1);
		if (log != NULL)
			setenv("TEGAMI_CRASH_LOG", log, 1);
		dio_crash_init("test");
		_exit(fn(md));
	}
	if (pid == -1 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int
do_deliver(const char *md)
{
	const char	*err;
	int		 fd = msgfile(body, sizeof(body) - 1);

	return maildir_deliver(md, NULL, hdr, sizeof(hdr) - 1, fd, 7,
	    sizeof(body) - 1, NULL, 0, &err) == DELIVER_OK ? 0 : 1;
}

static int
do_append(const char *md)
{
	const char		*err;
	struct maildir_add	 add = { NULL, 1000, MAILDIR_NOSIZE };
	int			 fd = msgfile(body, sizeof(body) - 1);

	return maildir_add_fd(md, fd, 7, sizeof(body) - 1, &add, NULL, 0,
	    &err) == 0 ? 0 : 1;
}

/*
 * The steps docs/queue.md and docs/store.md list, in that order, and what a
 * crash before each leaves: nothing visible before the link, the message
 * (complete) from the link on.
 */
static void
t_crash_points(void)
{
	static const struct {
		const char	*what;
		int		(*fn)(const char *);
		const char	*ops;
	} cases[] = {
		{ "deliver", do_deliver, "write copy fsync close link fsync_dir" },
		{ "append", do_append, "copy fsync close link fsync_dir" },
	};
	char	 md[256], log[300], ops[256], p[512], name[MAILDIR_NAME_MAX + 1];
	char	*got;
	size_t	 i, len;
	int	 n, nops, link_at, in_tmp;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(md, sizeof(md), "%s/crash-%s", tdir, cases[i].what);
		T_EQ_INT(maildir_create(md, &(const char *){ NULL }), 0);
		snprintf(log, sizeof(log), "%s/crash-%s.log", tdir,
		    cases[i].what);
		T_EQ_INT(crash_child(cases[i].fn, md, 0, log), 0);
		read_ops(log, ops, sizeof(ops));
		T_EQ_STR(ops, cases[i].ops);
		snprintf(p, sizeof(p), "%s/new", md);
		T_EQ_INT(count(p), 1);
		rmtree(p);
		T_ASSERT(mkdir(p, 0700) == 0);

		nops = 1;
		for (n = 0; ops[n] != '\0'; n++)
			nops += ops[n] == ' ';
		link_at = nops - 1;
		for (n = 1; n <= nops; n++) {
			snprintf(p, sizeof(p), "%s/tmp", md);
			in_tmp = count(p);
			T_EQ_INT(crash_child(cases[i].fn, md, n, NULL), 86);
			/* Before the link the file stays in tmp/, invisible. */
			T_EQ_INT(count(p), in_tmp + (n <= link_at));
			snprintf(p, sizeof(p), "%s/new", md);
			if (n <= link_at) {
				T_EQ_INT(count(p), 0);
				continue;
			}
			/* Past the link: whole, and out of tmp/. */
			T_EQ_INT(only_file(p, name, sizeof(name)), 0);
			got = slurp(p, name, &len);
			T_ASSERT(got != NULL);
			T_ASSERT(len >= sizeof(body) - 1 && memcmp(got + len -
			    (sizeof(body) - 1), body, sizeof(body) - 1) == 0);
			free(got);
		}
	}
}
#endif

void
test_main(void)
{
	log_init(1, 0);
	snprintf(tdir, sizeof(tdir), "/tmp/test_maildir.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	t_run("name", t_name);
	t_run("create", t_create);
	t_run("deliver_bytes", t_deliver_bytes);
	t_run("big_message", t_big_message);
	t_run("junk_folder", t_junk_folder);
	t_run("many", t_many);
	t_run("permfail_paths", t_permfail_paths);
	t_run("tempfail_short_queue_file", t_tempfail_short_queue_file);
	t_run("tempfail_eacces", t_tempfail_eacces);
	t_run("tempfail_enospc", t_tempfail_enospc);
	t_run("append", t_append);
	t_run("copy", t_copy);
	t_run("clean_tmp", t_clean_tmp);
#ifdef TEGAMI_CRASHPOINTS
	t_run("crash_points", t_crash_points);
#else
	fprintf(stderr, "crash_points: built without TEGAMI_CRASHPOINTS (make SAN=1), skipped\n");
#endif
	rmtree(tdir);
}
