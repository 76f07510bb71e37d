/* mbox delivery: locked append of one mboxrd message, cut back on any failure. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/dio.h"
#include "lib/errstr.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mda/mbox.h"

#define MBOX_STALE_LOCK	(5 * 60)	/* seconds after which a dotlock is abandoned */
#define MBOX_POLL_MS	100
#define MBOX_BUFSZ	(64 * 1024)

static atomic_uint	 lock_wait_ms = 20000;

void
mbox_set_lock_wait(unsigned int ms)
{
	atomic_store(&lock_wait_ms, ms);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap(void)
{
	struct timespec	 ts = { 0, MBOX_POLL_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Takes path.lock. Returns 1 when held, 0 when the directory does not let
 * us make one (the fcntl lock then stands alone, as other MDAs do), -1 on
 * timeout or error.
 */
static int
dotlock(const char *lockpath, long long deadline, const char **errstr)
{
	struct stat	 st;
	char		 pid[32];
	int		 fd, n;

	for (;;) {
		fd = open(lockpath, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd != -1) {
			n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
			if (write(fd, pid, (size_t)n) == -1)
				(void)0;	/* the name is the lock; the pid is a courtesy */
			close(fd);
			return 1;
		}
		if (errno == EACCES || errno == EPERM || errno == EROFS)
			return 0;
		if (errno != EEXIST) {
			*errstr = errstr_sys("cannot create lock file", errno);
			return -1;
		}
		if (lstat(lockpath, &st) == 0 &&
		    time(NULL) - st.st_mtime > MBOX_STALE_LOCK) {
			if (unlink(lockpath) == 0 || errno == ENOENT) {
				log_msg(LOG_WARNING, "mbox=%s stale lock removed",
				    lockpath);
				continue;
			}
		}
		if (now_ms() >= deadline) {
			*errstr = "mailbox is locked (lock file)";
			errno = EAGAIN;
			return -1;
		}
		nap();
	}
}

/*
 * An open-file-description lock, so two worker threads of one process
 * exclude each other too; it conflicts with the classic fcntl locks of
 * mutt, Dovecot and procmail.
 */
static int
fcntl_lock(int fd, long long deadline, const char **errstr)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (;;) {
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EACCES) {
			*errstr = errstr_sys("cannot lock mailbox", errno);
			return -1;
		}
		if (now_ms() >= deadline) {
			*errstr = "mailbox is locked (fcntl)";
			errno = EAGAIN;
			return -1;
		}
		nap();
	}
}

/* The output side: buffered writes plus the mboxrd and CRLF state. */
struct mbox_out {
	int	 fd;
	char	*buf;
	size_t	 n;
	int	 err;		/* errno of the first failed write, 0 if none */
	int	 mode;		/* where in the line we are, see below */
	size_t	 gt;		/* '>' held back at the start of a line */
	size_t	 fm;		/* bytes of "From " matched after them */
	int	 cr;		/* a CR held back to see if LF follows */
	char	 last;		/* last byte emitted */
};

enum { AT_BOL, IN_FROM, MID_LINE };

static void
out_flush(struct mbox_out *o)
{
	if (o->err == 0 && o->n > 0 && dio_write(o->fd, o->buf, o->n) == -1)
		o->err = errno;
	o->n = 0;
}

static void
out_byte(struct mbox_out *o, char c)
{
	if (o->n == MBOX_BUFSZ)
		out_flush(o);
	o->buf[o->n++] = c;
	o->last = c;
}

static void
out_str(struct mbox_out *o, const char *s, size_t n)
{
	while (n-- > 0)
		out_byte(o, *s++);
}

/* Emits what was held back at the start of a line, unchanged. */
static void
out_pending(struct mbox_out *o)
{
	for (; o->gt > 0; o->gt--)
		out_byte(o, '>');
	out_str(o, "From ", o->fm);
	o->fm = 0;
}

/* One byte of the message after CRLF -> LF. */
static void
line_byte(struct mbox_out *o, char c)
{
	if (o->mode == AT_BOL) {
		if (c == '>') {
			o->gt++;
			return;
		}
		o->mode = IN_FROM;
	}
	if (o->mode == IN_FROM) {
		if (c == "From "[o->fm]) {
			if (++o->fm == 5) {
				out_byte(o, '>');
				out_pending(o);
				o->mode = MID_LINE;
			}
			return;
		}
		out_pending(o);
		o->mode = MID_LINE;
	}
	out_byte(o, c);
	if (c == '\n')
		o->mode = AT_BOL;
}

static void
feed(struct mbox_out *o, const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (o->cr) {
			o->cr = 0;
			if (p[i] == '\n') {
				line_byte(o, '\n');
				continue;
			}
			line_byte(o, '\r');
		}
		if (p[i] == '\r')
			o->cr = 1;
		else
			line_byte(o, p[i]);
	}
}

static void
feed_end(struct mbox_out *o)
{
	if (o->cr)
		line_byte(o, '\r');
	o->cr = 0;
	out_pending(o);
	if (o->last != '\n')
		out_byte(o, '\n');
	out_byte(o, '\n');
	out_flush(o);
}

/* "From SENDER Thu Nov 24 18:22:48 1986\n", in the C locale whatever the process's. */
static void
from_line(struct mbox_out *o, const char *sender, time_t when)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	char		 date[64];
	const char	*s;

	if (localtime_r(&when, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(date, sizeof(date), " %s %s %2d %02d:%02d:%02d %d\n",
	    wd[tm.tm_wday % 7], mo[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
	out_str(o, "From ", 5);
	if (sender == NULL || *sender == '\0')
		out_str(o, "MAILER-DAEMON", 13);
	/* Readers split the line on spaces: the address must hold none. */
	for (s = sender ? sender : ""; *s != '\0'; s++)
		out_byte(o, (unsigned char)*s <= ' ' || *s == 0x7f ? '_' : *s);
	out_str(o, date, strlen(date));
}

static int
copy_message(struct mbox_out *o, const char *header, size_t headerlen,
    int msgfd, off_t offset, size_t len, char *in)
{
	size_t	 n;

	feed(o, header, headerlen);
	while (len > 0 && o->err == 0) {
		n = len < MBOX_BUFSZ ? len : MBOX_BUFSZ;
		if (dio_pread(msgfd, in, n, offset) == -1)
			return -1;
		feed(o, in, n);
		offset += (off_t)n;
		len -= n;
	}
	if (o->err == 0)
		feed_end(o);
	if (o->err != 0) {
		errno = o->err;
		return -1;
	}
	return 0;
}

enum deliver_result
mbox_deliver(const char *path, const char *sender, time_t when,
    const char *header, size_t headerlen, int msgfd, off_t offset, size_t len,
    const char **errstr)
{
	enum deliver_result	 res = DELIVER_TEMPFAIL;
	struct mbox_out		 o;
	struct stat		 st;
	char			*lockpath, *in = NULL;
	long long		 deadline;
	off_t			 orig = -1;
	int			 fd = -1, locked = 0, saved;

	memset(&o, 0, sizeof(o));
	o.mode = AT_BOL;
	if (offset < 0) {
		*errstr = "message offset out of range";
		return DELIVER_PERMFAIL;
	}
	lockpath = xasprintf("%s.lock", path);
	deadline = now_ms() + atomic_load(&lock_wait_ms);
	if ((locked = dotlock(lockpath, deadline, errstr)) == -1)
		goto fail;

	/* Never through a symlink: the mailbox must be the file it seems. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		*errstr = errstr_sys("cannot open mailbox", errno);
		goto fail;
	}
	if (fcntl_lock(fd, deadline, errstr) == -1)
		goto fail;
	if (fstat(fd, &st) == -1) {
		*errstr = errstr_sys("cannot stat mailbox", errno);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*errstr = "mailbox is not a regular file";
		res = DELIVER_PERMFAIL;
		errno = EINVAL;
		goto fail;
	}
	if (st.st_nlink > 1) {
		/* Another name for the same inode could be anyone's file. */
		*errstr = "mailbox has more than one hard link";
		errno = EPERM;
		goto fail;
	}
	orig = st.st_size;

	o.fd = fd;
	o.buf = xmalloc(MBOX_BUFSZ);
	in = xmalloc(MBOX_BUFSZ);
	from_line(&o, sender, when);
	if (copy_message(&o, header, headerlen, msgfd, offset, len, in) == -1) {
		*errstr = errstr_sys(errno == ENODATA ? "queue file too short" :
		    "cannot write mailbox", errno);
		goto fail;
	}
	if (dio_fsync(fd) == -1) {
		*errstr = errstr_sys("cannot fsync mailbox", errno);
		goto fail;
	}
	res = DELIVER_OK;
	orig = -1;	/* keep what was written */
	saved = 0;
	goto done;
fail:
	saved = errno;
	if (res != DELIVER_PERMFAIL && (saved == ENOTDIR || saved == EISDIR))
		res = DELIVER_PERMFAIL;
done:
	if (fd != -1) {
		/* Half a message would corrupt the next one: take it all back. */
		if (orig != -1) {
			if (ftruncate(fd, orig) == -1 || fsync(fd) == -1)
				log_msg(LOG_ERR, "mbox=%s cannot truncate to %jd: "
				    "%s", path, (intmax_t)orig, strerror(errno));
		}
		/* fsync has answered for the data; close releases the lock. */
		if (dio_close(fd) == -1 && res == DELIVER_OK)
			log_msg(LOG_WARNING, "mbox=%s close: %s", path,
			    strerror(errno));
	}
	if (locked == 1 && unlink(lockpath) == -1)
		log_msg(LOG_WARNING, "mbox=%s cannot remove lock: %s", lockpath,
		    strerror(errno));
	free(lockpath);
	free(o.buf);
	free(in);
	errno = saved;
	return res;
}
