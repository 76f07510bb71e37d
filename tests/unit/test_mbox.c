/* Tests for mbox delivery: mboxrd quoting, CRLF, locking, all-or-nothing appends. */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lib/log.h"
#include "mda/mbox.h"

static char	 tdir[64];

#define WHEN	((time_t)1700000000)	/* Tue Nov 14 22:13:20 2023 UTC */
#define FROMLINE "From a@example.org Tue Nov 14 22:13:20 2023\n"

static const char hdr[] = "Return-Path: <a@example.org>\n";

static char *
tpath(const char *name)
{
	static char	 p[4][256];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tdir, name);
	return p[i];
}

/* A queue-like file holding "QQ" then the message; returns an fd. */
static int
msgfile(const char *data, size_t len)
{
	int	 fd;

	fd = open(tpath("msg"), O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd == -1 || write(fd, "QQ", 2) != 2 ||
	    write(fd, data, len) != (ssize_t)len)
		return -1;
	return fd;
}

/* Whole file in a malloc'd NUL-terminated string; NULL if missing. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat	 st;
	char		*b;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		return NULL;
	b = malloc((size_t)st.st_size + 1);
	*len = (size_t)read(fd, b, (size_t)st.st_size);
	b[*len] = '\0';
	close(fd);
	return b;
}

/* Delivers text to tdir/name; returns the result. */
static enum deliver_result
put(const char *name, const char *sender, const char *text, const char **err)
{
	enum deliver_result	 r;
	int			 fd;

	if ((fd = msgfile(text, strlen(text))) == -1)
		return (enum deliver_result)-1;
	r = mbox_deliver(tpath(name), sender, WHEN, hdr, sizeof(hdr) - 1, fd, 2,
	    strlen(text), err);
	close(fd);
	return r;
}

static int
file_is(const char *name, const char *want)
{
	size_t	 len;
	char	*got = slurp(tpath(name), &len);
	int	 ok;

	ok = got != NULL && len == strlen(want) && memcmp(got, want, len) == 0;
	if (!ok)
		fprintf(stderr, "--- got\n%s--- want\n%s---\n", got ? got : "(none)",
		    want);
	free(got);
	return ok;
}

static void
t_basic(void)
{
	const char	*err = NULL;
	struct stat	 st;

	T_EQ_INT(put("basic", "a@example.org", "Subject: x\n\nhello\n", &err),
	    DELIVER_OK);
	T_ASSERT(file_is("basic", FROMLINE
	    "Return-Path: <a@example.org>\nSubject: x\n\nhello\n\n"));
	T_ASSERT(stat(tpath("basic"), &st) == 0);
	T_EQ_INT(st.st_mode & 07777, 0600);
	T_EQ_INT(access(tpath("basic.lock"), F_OK), -1);

	/* A second message is appended after the first, which is untouched. */
	T_EQ_INT(put("basic", "", "Subject: y\n\nbye", &err), DELIVER_OK);
	T_ASSERT(file_is("basic", FROMLINE
	    "Return-Path: <a@example.org>\nSubject: x\n\nhello\n\n"
	    "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\n"
	    "Return-Path: <a@example.org>\nSubject: y\n\nbye\n\n"));

	T_EQ_INT(put("sp", "\"a b\"@example.org", "x\n", &err), DELIVER_OK);
	T_ASSERT(file_is("sp", "From \"a_b\"@example.org Tue Nov 14 22:13:20 2023\n"
	    "Return-Path: <a@example.org>\nx\n\n"));
}

static void
t_escaping(void)
{
	const char	*err = NULL;

	T_EQ_INT(put("esc", "a@example.org",
	    "Subject: From quoting\r\n"
	    "\r\n"
	    "From the start\r\n"
	    ">From once\r\n"
	    ">>From twice\n"
	    "Fromage\n"
	    " From indented\n"
	    "From\n"
	    ">From\n"
	    ">\n"
	    ">>\n"
	    "From  two spaces\n"
	    "From", &err), DELIVER_OK);
	T_ASSERT(file_is("esc", FROMLINE
	    "Return-Path: <a@example.org>\n"
	    "Subject: From quoting\n"
	    "\n"
	    ">From the start\n"
	    ">>From once\n"
	    ">>>From twice\n"
	    "Fromage\n"
	    " From indented\n"
	    "From\n"
	    ">From\n"
	    ">\n"
	    ">>\n"
	    ">From  two spaces\n"
	    "From\n"
	    "\n"));

	/* CR alone is kept; CR at the very end too; CRLF pairs become LF. */
	T_EQ_INT(put("cr", "a@example.org", "a\rb\r\n\r\nc\r", &err), DELIVER_OK);
	T_ASSERT(file_is("cr", FROMLINE "Return-Path: <a@example.org>\n"
	    "a\rb\n\nc\r\n\n"));
	/* CR then "From " on the same line is not a line start. */
	T_EQ_INT(put("cr2", "a@example.org", "x\rFrom y\n", &err), DELIVER_OK);
	T_ASSERT(file_is("cr2", FROMLINE "Return-Path: <a@example.org>\n"
	    "x\rFrom y\n\n"));
}

/* Quoting and CRLF state carried across the 64 KiB read boundary. */
static void
t_chunk_boundaries(void)
{
	enum { CH = 64 * 1024 };
	const char	*err = NULL;
	const char	*tails[] = { ">>From x\r\n", "From y\r\n", "\r\nFrom z\n" };
	size_t		 t, shift;

	for (t = 0; t < 3; t++) {
		for (shift = 0; shift < strlen(tails[t]) + 1; shift++) {
			char	*msg, *want, *got;
			size_t	 pre = CH - shift, len, i, o;
			int	 fd;

			msg = malloc(pre + 64);
			want = malloc(2 * pre + 256);
			/* Lines of "aaa...\n" filling up to the boundary. */
			for (i = 0; i < pre; i++)
				msg[i] = (i % 80 == 79 || i == pre - 1) ? '\n' : 'a';
			strcpy(msg + pre, tails[t]);
			fd = msgfile(msg, strlen(msg));
			T_ASSERT(fd != -1);
			unlink(tpath("chunk"));
			T_EQ_INT(mbox_deliver(tpath("chunk"), "a@example.org", WHEN,
			    NULL, 0, fd, 2, strlen(msg), &err), DELIVER_OK);
			close(fd);
			o = (size_t)sprintf(want, "%s", FROMLINE);
			memcpy(want + o, msg, pre);
			o += pre;
			o += (size_t)sprintf(want + o, "%s", t == 0 ? ">>>From x\n" :
			    t == 1 ? ">From y\n" : "\n>From z\n");
			want[o++] = '\n';
			got = slurp(tpath("chunk"), &len);
			T_ASSERT(got != NULL);
			T_EQ_INT(len, o);
			T_ASSERT(memcmp(got, want, len) == 0);
			free(got);
			free(msg);
			free(want);
		}
	}
}

static void
t_dotlock(void)
{
	const char	*err = NULL;
	struct timeval	 tv[2];
	int		 fd;

	T_EQ_INT(put("dl", "a@example.org", "one\n", &err), DELIVER_OK);
	/* A fresh lock held by someone else: wait, then give up for now. */
	fd = open(tpath("dl.lock"), O_CREAT | O_WRONLY, 0600);
	close(fd);
	mbox_set_lock_wait(300);
	T_EQ_INT(put("dl", "a@example.org", "two\n", &err), DELIVER_TEMPFAIL);
	T_ASSERT(strstr(err, "locked") != NULL);
	T_ASSERT(file_is("dl", FROMLINE "Return-Path: <a@example.org>\none\n\n"));
	T_EQ_INT(access(tpath("dl.lock"), F_OK), 0);	/* not ours to remove */

	/* Ten minutes old: abandoned, taken over, and removed after use. */
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= 600;
	tv[1] = tv[0];
	T_EQ_INT(utimes(tpath("dl.lock"), tv), 0);
	T_EQ_INT(put("dl", "a@example.org", "two\n", &err), DELIVER_OK);
	T_EQ_INT(access(tpath("dl.lock"), F_OK), -1);
	T_ASSERT(file_is("dl", FROMLINE "Return-Path: <a@example.org>\none\n\n"
	    FROMLINE "Return-Path: <a@example.org>\ntwo\n\n"));
	mbox_set_lock_wait(20000);
}

/* A classic fcntl lock held by another process (a MUA) keeps us out. */
static void
t_fcntl_lock(void)
{
	const char	*err = NULL;
	int		 p[2], st;
	pid_t		 pid;
	char		 c;

	T_EQ_INT(put("fl", "a@example.org", "one\n", &err), DELIVER_OK);
	T_ASSERT(pipe(p) == 0);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		struct flock	 fl;
		int		 fd;

		close(p[0]);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if ((fd = open(tpath("fl"), O_RDWR)) == -1 ||
		    fcntl(fd, F_SETLK, &fl) == -1)
			_exit(2);
		if (write(p[1], "L", 1) != 1)
			_exit(3);
		/* Hold the lock until the parent has tried. */
		pause();
		_exit(0);
	}
	close(p[1]);
	T_EQ_INT(read(p[0], &c, 1), 1);
	mbox_set_lock_wait(300);
	T_EQ_INT(put("fl", "a@example.org", "two\n", &err), DELIVER_TEMPFAIL);
	T_ASSERT(strstr(err, "fcntl") != NULL);
	T_EQ_INT(access(tpath("fl.lock"), F_OK), -1);	/* our dotlock released */
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	close(p[0]);
	T_ASSERT(file_is("fl", FROMLINE "Return-Path: <a@example.org>\none\n\n"));
	T_EQ_INT(put("fl", "a@example.org", "two\n", &err), DELIVER_OK);
	mbox_set_lock_wait(20000);
}

/* A write that fails half-way leaves the mailbox exactly as it was. */
static void
t_truncate_on_failure(void)
{
	const char	*err = NULL;
	char		*before, *after;
	size_t		 blen, alen;
	pid_t		 pid;
	int		 st;

	T_EQ_INT(put("tr", "a@example.org", "first\n", &err), DELIVER_OK);
	before = slurp(tpath("tr"), &blen);
	T_ASSERT(before != NULL);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		struct rlimit	 rl;
		char		*big;
		int		 fd;

		signal(SIGXFSZ, SIG_IGN);
		big = malloc(300000);
		memset(big, 'b', 300000);
		big[299999] = '\n';
		if ((fd = msgfile(big, 300000)) == -1)
			_exit(2);
		rl.rlim_cur = rl.rlim_max = (rlim_t)blen + 100000;
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(3);
		if (mbox_deliver(tpath("tr"), "a@example.org", WHEN, hdr,
		    sizeof(hdr) - 1, fd, 2, 300000, &err) != DELIVER_TEMPFAIL)
			_exit(4);
		_exit(strstr(err, "File too large") ? 0 : 5);
	}
	T_ASSERT(waitpid(pid, &st, 0) == pid);
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
	after = slurp(tpath("tr"), &alen);
	T_EQ_INT(alen, blen);
	T_ASSERT(memcmp(before, after, blen) == 0);
	T_EQ_INT(access(tpath("tr.lock"), F_OK), -1);
	free(before);
	free(after);

	/* A queue file shorter than promised: nothing is appended either. */
	{
		int	 fd = msgfile("abc\n", 4);

		T_EQ_INT(mbox_deliver(tpath("tr"), "a@example.org", WHEN, hdr,
		    sizeof(hdr) - 1, fd, 2, 5, &err), DELIVER_TEMPFAIL);
		T_ASSERT(strstr(err, "too short") != NULL);
		close(fd);
		after = slurp(tpath("tr"), &alen);
		T_EQ_INT(alen, blen);
		free(after);
	}
}

static void
t_bad_paths(void)
{
	const char	*err = NULL;
	int		 fd;

	T_ASSERT(mkdir(tpath("adir"), 0700) == 0);
	T_EQ_INT(put("adir", "a@example.org", "x\n", &err), DELIVER_PERMFAIL);
	T_EQ_INT(put("adir/sub/box", "a@example.org", "x\n", &err),
	    DELIVER_TEMPFAIL);	/* a missing spool directory: admin's fix */
	fd = open(tpath("plain"), O_CREAT | O_WRONLY, 0600);
	close(fd);
	T_EQ_INT(put("plain/box", "a@example.org", "x\n", &err), DELIVER_PERMFAIL);

	/* A symlink is not followed, and its target is not touched. */
	fd = open(tpath("target"), O_CREAT | O_WRONLY, 0600);
	close(fd);
	T_ASSERT(symlink(tpath("target"), tpath("link")) == 0);
	T_EQ_INT(put("link", "a@example.org", "x\n", &err), DELIVER_TEMPFAIL);
	T_ASSERT(file_is("target", ""));
	/* Nor a second hard link to someone else's file. */
	T_ASSERT(link(tpath("target"), tpath("hard")) == 0);
	T_EQ_INT(put("hard", "a@example.org", "x\n", &err), DELIVER_TEMPFAIL);
	T_ASSERT(file_is("target", ""));
	T_EQ_INT(access(tpath("hard.lock"), F_OK), -1);
}

/* /var/mail style: no right to create path.lock, the fcntl lock suffices. */
static void
t_no_dotlock_rights(void)
{
	pid_t	 pid;
	int	 st, fd;

	if (geteuid() != 0)
		return;	/* needs a second account to prove anything */
	T_ASSERT(mkdir(tpath("spool"), 0755) == 0);
	fd = open(tpath("spool/nobody"), O_CREAT | O_WRONLY, 0600);
	T_ASSERT(fd != -1);
	T_EQ_INT(fchown(fd, 65534, 65534), 0);
	close(fd);
	chmod(tdir, 0755);
	fd = msgfile("x\n", 2);
	T_ASSERT(fd != -1);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		const char	*err = NULL;

		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(2);
		if (mbox_deliver(tpath("spool/nobody"), "a@example.org", WHEN,
		    hdr, sizeof(hdr) - 1, fd, 2, 2, &err) != DELIVER_OK) {
			fprintf(stderr, "%s\n", err);
			_exit(3);
		}
		_exit(0);
	}
	T_ASSERT(waitpid(pid, &st, 0) == pid);
	close(fd);
	chmod(tdir, 0700);
	T_EQ_INT(access(tpath("spool/nobody.lock"), F_OK), -1);
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
	T_ASSERT(file_is("spool/nobody", FROMLINE "Return-Path: <a@example.org>\nx\n\n"));
}

void
test_main(void)
{
	log_init(1, 0);
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(tdir, sizeof(tdir), "/tmp/test_mbox.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	t_run("basic", t_basic);
	t_run("escaping", t_escaping);
	t_run("chunk_boundaries", t_chunk_boundaries);
	t_run("dotlock", t_dotlock);
	t_run("fcntl_lock", t_fcntl_lock);
	t_run("truncate_on_failure", t_truncate_on_failure);
	t_run("bad_paths", t_bad_paths);
	t_run("no_dotlock_rights", t_no_dotlock_rights);
	{
		char	 cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tdir);
	}
}
