/* Tests for the checked durable I/O wrappers and their crash points. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lib/dio.h"

static char	 tdir[64];

static void
mktdir(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/test_dio.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void
rmtdir(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tdir);
}

static char *
tpath(const char *name)
{
	static char	 p[4][256];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tdir, name);
	return p[i];
}

/* Reads a whole small file into a static buffer; returns its length or -1. */
static ssize_t
slurp(const char *path, char *dst, size_t dstlen)
{
	int	 fd;
	ssize_t	 n;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, dst, dstlen - 1);
	close(fd);
	if (n >= 0)
		dst[n] = '\0';
	return n;
}

static void
t_write_pwrite(void)
{
	char	 got[64];
	int	 fd;

	fd = open(tpath("w"), O_CREAT | O_RDWR | O_TRUNC, 0600);
	T_ASSERT(fd != -1);
	T_EQ_INT(dio_write(fd, "hello world", 11), 0);
	T_EQ_INT(dio_pwrite(fd, "W", 1, 6), 0);
	T_EQ_INT(dio_write(fd, "!", 1), 0);
	T_EQ_INT(dio_pwrite(fd, "x", 1, -1), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(dio_fsync(fd), 0);
	T_EQ_INT(dio_close(fd), 0);
	T_EQ_INT(slurp(tpath("w"), got, sizeof(got)), 12);
	T_EQ_STR(got, "hello World!");

	T_EQ_INT(dio_write(fd, "x", 1), -1);
	T_EQ_INT(errno, EBADF);
	T_EQ_INT(dio_fsync(fd), -1);
	T_EQ_INT(errno, EBADF);
	T_EQ_INT(dio_close(fd), -1);
	T_EQ_INT(errno, EBADF);
}

static void
t_write_full_disk(void)
{
	int	 fd;

	if ((fd = open("/dev/full", O_WRONLY)) == -1)
		return;	/* no /dev/full in this sandbox: nothing to prove */
	T_EQ_INT(dio_write(fd, "x", 1), -1);
	T_EQ_INT(errno, ENOSPC);
	T_EQ_INT(dio_pwrite(fd, "x", 1, 0), -1);
	T_EQ_INT(errno, ENOSPC);
	close(fd);
}

/* A socket takes a big write in pieces; every byte must arrive in order. */
static void
t_partial_writes(void)
{
	enum { LEN = 4 * 1024 * 1024 };
	char	*big;
	int	 sv[2], status, i;
	pid_t	 pid;

	T_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	big = malloc(LEN);
	T_ASSERT(big != NULL);
	for (i = 0; i < LEN; i++)
		big[i] = (char)(i * 7 + i / 4096);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		char	 b[10000];
		size_t	 got = 0;
		ssize_t	 n, j;

		close(sv[0]);
		while ((n = read(sv[1], b, sizeof(b))) > 0) {
			for (j = 0; j < n; j++)
				if (b[j] != big[got + (size_t)j])
					_exit(2);
			got += (size_t)n;
			usleep(got % 7 == 0 ? 100 : 0);
		}
		_exit(got == LEN ? 0 : 3);
	}
	close(sv[1]);
	T_EQ_INT(dio_write(sv[0], big, LEN), 0);
	close(sv[0]);
	free(big);
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFEXITED(status));
	T_EQ_INT(WEXITSTATUS(status), 0);
}

static void
t_rename_link(void)
{
	char	 got[16];
	int	 fd, dfd;

	fd = open(tpath("a"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	T_ASSERT(fd != -1);
	T_EQ_INT(dio_write(fd, "A", 1), 0);
	T_EQ_INT(dio_close(fd), 0);

	T_EQ_INT(dio_rename(tpath("a"), tpath("b")), 0);
	T_EQ_INT(access(tpath("a"), F_OK), -1);
	T_EQ_INT(slurp(tpath("b"), got, sizeof(got)), 1);
	T_EQ_INT(dio_rename(tpath("a"), tpath("c")), -1);
	T_EQ_INT(errno, ENOENT);

	dfd = open(tdir, O_RDONLY | O_DIRECTORY);
	T_ASSERT(dfd != -1);
	T_EQ_INT(dio_renameat(dfd, "b", dfd, "c"), 0);
	T_EQ_INT(dio_renameat(dfd, "b", dfd, "c"), -1);
	T_EQ_INT(errno, ENOENT);

	T_EQ_INT(dio_link(tpath("c"), tpath("d")), 0);
	T_EQ_INT(dio_link(tpath("c"), tpath("d")), -1);
	T_EQ_INT(errno, EEXIST);
	T_EQ_INT(dio_linkat(dfd, "c", dfd, "e"), 0);
	T_EQ_INT(dio_linkat(dfd, "c", dfd, "e"), -1);
	T_EQ_INT(errno, EEXIST);
	T_EQ_INT(slurp(tpath("e"), got, sizeof(got)), 1);
	T_EQ_STR(got, "A");

	T_EQ_INT(dio_fsync_dirfd(dfd), 0);
	T_EQ_INT(dio_fsync_dir(tdir), 0);
	T_EQ_INT(dio_fsync_dir(tpath("missing")), -1);
	T_EQ_INT(errno, ENOENT);
	T_EQ_INT(dio_fsync_dir(tpath("c")), -1);
	T_EQ_INT(errno, ENOTDIR);
	close(dfd);
	T_EQ_INT(dio_fsync_dirfd(dfd), -1);
	T_EQ_INT(errno, EBADF);
}

static void
t_copy(void)
{
	enum { LEN = 200000 };
	char	*src, *got;
	int	 in, out, i;

	src = malloc(LEN);
	got = malloc(LEN + 1);
	T_ASSERT(src != NULL && got != NULL);
	for (i = 0; i < LEN; i++)
		src[i] = (char)(i % 251);
	in = open(tpath("src"), O_CREAT | O_RDWR | O_TRUNC, 0600);
	T_ASSERT(in != -1);
	T_EQ_INT(dio_write(in, src, LEN), 0);

	/* Fast path: a plain file descriptor. */
	out = open(tpath("dst"), O_CREAT | O_RDWR | O_TRUNC, 0600);
	T_ASSERT(out != -1);
	T_EQ_INT(dio_write(out, "HDR", 3), 0);
	T_EQ_INT(dio_copy(in, 1000, out, LEN - 1000), 0);
	T_EQ_INT(dio_close(out), 0);
	T_EQ_INT(slurp(tpath("dst"), got, LEN + 1), 3 + LEN - 1000);
	T_ASSERT(memcmp(got, "HDR", 3) == 0);
	T_ASSERT(memcmp(got + 3, src + 1000, LEN - 1000) == 0);

	/* O_APPEND refuses copy_file_range: the read/write loop must take over. */
	out = open(tpath("app"), O_CREAT | O_WRONLY | O_TRUNC | O_APPEND, 0600);
	T_ASSERT(out != -1);
	T_EQ_INT(dio_write(out, "x", 1), 0);
	T_EQ_INT(dio_copy(in, 5, out, 70000), 0);
	T_EQ_INT(dio_close(out), 0);
	T_EQ_INT(slurp(tpath("app"), got, LEN + 1), 70001);
	T_ASSERT(memcmp(got + 1, src + 5, 70000) == 0);

	/* A source shorter than promised is an error, not a short message. */
	out = open(tpath("short"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	T_ASSERT(out != -1);
	T_EQ_INT(dio_copy(in, LEN - 10, out, 11), -1);
	T_EQ_INT(errno, ENODATA);
	T_EQ_INT(dio_copy(in, -1, out, 1), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(dio_copy(in, 0, out, 0), 0);
	close(out);
	close(in);
	free(src);
	free(got);
}

static void
t_mkdirs(void)
{
	struct stat	 st;
	int		 fd;

	T_EQ_INT(dio_mkdirs(tpath("m/a/b//c/"), 0700), 0);
	T_ASSERT(stat(tpath("m/a/b/c"), &st) == 0 && S_ISDIR(st.st_mode));
	T_EQ_INT(st.st_mode & 07777, 0700);
	T_EQ_INT(dio_mkdirs(tpath("m/a/b/c"), 0700), 0);	/* already there */
	T_EQ_INT(dio_mkdirs(tpath("m/a/b/d"), 0700), 0);
	T_ASSERT(stat(tpath("m/a/b/d"), &st) == 0 && S_ISDIR(st.st_mode));

	fd = open(tpath("m/file"), O_CREAT | O_WRONLY, 0600);
	T_ASSERT(fd != -1);
	close(fd);
	T_EQ_INT(dio_mkdirs(tpath("m/file"), 0700), -1);
	T_EQ_INT(errno, ENOTDIR);
	T_EQ_INT(dio_mkdirs(tpath("m/file/sub"), 0700), -1);
	T_EQ_INT(errno, ENOTDIR);
	T_EQ_INT(dio_mkdirs("", 0700), -1);
	T_EQ_INT(errno, ENOENT);
	T_EQ_INT(dio_mkdirs("/", 0700), 0);
}

/* The steps every crash point test runs: 8 counted calls. */
static void
do_steps(void)
{
	int	 fd;

	fd = open(tpath("s1"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd == -1)
		_exit(10);
	if (dio_write(fd, "abc", 3) == -1 ||		/* 1 write */
	    dio_pwrite(fd, "B", 1, 1) == -1 ||		/* 2 pwrite */
	    dio_fsync(fd) == -1 ||			/* 3 fsync */
	    dio_close(fd) == -1 ||			/* 4 close */
	    dio_rename(tpath("s1"), tpath("s2")) == -1 ||	/* 5 rename */
	    dio_link(tpath("s2"), tpath("s3")) == -1 ||	/* 6 link */
	    dio_fsync_dir(tdir) == -1 ||		/* 7 fsync_dir */
	    dio_rename(tpath("s3"), tpath("s4")) == -1)	/* 8 rename */
		_exit(11);
}

/* Runs do_steps in a child with the given environment; returns its status. */
static int
run_child(const char *crash_at, const char *name)
{
	pid_t	 pid;
	int	 status;

	unlink(tpath("s1"));
	unlink(tpath("s2"));
	unlink(tpath("s3"));
	unlink(tpath("s4"));
	unlink(tpath("log"));
	unlink(tpath("log.crashed"));	/* one crash per run: each child is a run */
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		setenv("TEGAMI_CRASH_AT", crash_at, 1);
		setenv("TEGAMI_CRASH_LOG", tpath("log"), 1);
		dio_crash_init(name);
		do_steps();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

#ifdef TEGAMI_CRASHPOINTS

static void
t_crash_log_counts(void)
{
	char	 got[512];
	int	 st;

	st = run_child("other:1", "dtest");
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
	T_ASSERT(slurp(tpath("log"), got, sizeof(got)) > 0);
	T_EQ_STR(got, "dtest 1 write\ndtest 2 pwrite\ndtest 3 fsync\n"
	    "dtest 4 close\ndtest 5 rename\ndtest 6 link\ndtest 7 fsync_dir\n"
	    "dtest 8 rename\n");
	T_EQ_INT(access(tpath("s4"), F_OK), 0);
}

/* After a crash, the processes of the same run (restarted ones) neither count nor crash. */
static void
t_one_crash_per_run(void)
{
	char	 got[512];
	pid_t	 pid;
	int	 st;

	st = run_child("dtest:3", "dtest");
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 86);
	T_EQ_INT(access(tpath("log.crashed"), F_OK), 0);
	/* The same run again, without clearing the mark: it goes to the end, silently. */
	unlink(tpath("log"));
	if ((pid = fork()) == 0) {
		setenv("TEGAMI_CRASH_AT", "dtest:3", 1);
		setenv("TEGAMI_CRASH_LOG", tpath("log"), 1);
		dio_crash_init("dtest");
		do_steps();
		_exit(0);
	}
	T_ASSERT(pid > 0 && waitpid(pid, &st, 0) == pid);
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
	T_ASSERT(slurp(tpath("log"), got, sizeof(got)) == -1 || got[0] == '\0');
	unlink(tpath("log.crashed"));
}

static void
t_crash_at_each_point(void)
{
	char	 spec[64], got[512];
	int	 n, st;

	for (n = 1; n <= 8; n++) {
		snprintf(spec, sizeof(spec), "queue:1,dtest:%d,mda:2", n);
		st = run_child(spec, "dtest");
		T_ASSERT(WIFEXITED(st));
		T_EQ_INT(WEXITSTATUS(st), 86);
		T_ASSERT(slurp(tpath("log"), got, sizeof(got)) > 0);
		/* The log ends with the step it stopped at, and has n lines. */
		T_EQ_INT(strchr(got, '\n') != NULL, 1);
		{
			int	 lines = 0;
			char	*p;

			for (p = got; *p; p++)
				lines += *p == '\n';
			T_EQ_INT(lines, n);
		}
		/* Stopped before the operation: its effect is absent. */
		switch (n) {
		case 1:
			T_EQ_INT(slurp(tpath("s1"), got, sizeof(got)), 0);
			break;
		case 2:
			T_EQ_INT(slurp(tpath("s1"), got, sizeof(got)), 3);
			T_EQ_STR(got, "abc");
			break;
		case 5:
			T_EQ_INT(access(tpath("s1"), F_OK), 0);
			T_EQ_INT(access(tpath("s2"), F_OK), -1);
			break;
		case 6:
			T_EQ_INT(access(tpath("s3"), F_OK), -1);
			break;
		case 8:
			T_EQ_INT(access(tpath("s3"), F_OK), 0);
			T_EQ_INT(access(tpath("s4"), F_OK), -1);
			break;
		}
	}
	/* A bad number or an unnamed process never stops. */
	st = run_child("dtest:x,dtest2:1,dtes:1", "dtest");
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
	st = run_child("", "dtest");
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
}

#else

/* Without the test build the environment changes nothing. */
static void
t_no_crashpoints(void)
{
	int	 st;

	st = run_child("dtest:1", "dtest");
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
	T_EQ_INT(access(tpath("s4"), F_OK), 0);
	T_EQ_INT(access(tpath("log"), F_OK), -1);
}

#endif

void
test_main(void)
{
	mktdir();
	t_run("write_pwrite", t_write_pwrite);
	t_run("write_full_disk", t_write_full_disk);
	t_run("partial_writes", t_partial_writes);
	t_run("rename_link", t_rename_link);
	t_run("copy", t_copy);
	t_run("mkdirs", t_mkdirs);
#ifdef TEGAMI_CRASHPOINTS
	t_run("crash_log_counts", t_crash_log_counts);
	t_run("crash_at_each_point", t_crash_at_each_point);
	t_run("one_crash_per_run", t_one_crash_per_run);
#else
	t_run("no_crashpoints", t_no_crashpoints);
#endif
	rmtdir();
}
