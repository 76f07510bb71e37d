/* Checked durable I/O wrappers, with countable crash points in the test build. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef TEGAMI_CRASHPOINTS
#include <stdatomic.h>
#endif

#include "lib/dio.h"

#ifdef TEGAMI_CRASHPOINTS

/*
 * fsyncs run on worker threads, so the counter is atomic; the name, the
 * target and the log path are set once by dio_crash_init before any thread
 * starts.
 */
static atomic_ulong	 crash_count;
static unsigned long	 crash_at;
static char		 crash_name[32];
static char		*crash_log;
static char		*crash_mark;	/* CRASH_LOG.crashed: one crash per test run */

/* Looks for "procname:N" in the comma-separated list s. */
static unsigned long
crash_lookup(const char *s, const char *procname)
{
	size_t	 nlen = strlen(procname);

	while (s != NULL && *s != '\0') {
		const char	*end = strchr(s, ',');
		size_t		 len = end ? (size_t)(end - s) : strlen(s);

		if (len > nlen + 1 && strncmp(s, procname, nlen) == 0 &&
		    s[nlen] == ':') {
			char		 num[24];
			char		*ep;
			size_t		 dlen = len - nlen - 1;
			unsigned long	 n;

			if (dlen < sizeof(num)) {
				memcpy(num, s + nlen + 1, dlen);
				num[dlen] = '\0';
				errno = 0;
				n = strtoul(num, &ep, 10);
				if (errno == 0 && *ep == '\0' && ep != num)
					return n;
			}
		}
		s = end ? end + 1 : NULL;
	}
	return 0;
}

void
dio_crash_init(const char *procname)
{
	const char	*log;

	snprintf(crash_name, sizeof(crash_name), "%s", procname);
	crash_at = crash_lookup(getenv("TEGAMI_CRASH_AT"), procname);
	atomic_store(&crash_count, 0);
	free(crash_log);
	free(crash_mark);
	crash_log = crash_mark = NULL;
	if ((log = getenv("TEGAMI_CRASH_LOG")) != NULL && *log != '\0') {
		crash_log = strdup(log);
		if (asprintf(&crash_mark, "%s.crashed", log) == -1)
			crash_mark = NULL;
	}
}

/* Counts one durable step; logs it and stops the process at the chosen one. */
static void
crashpoint(const char *op)
{
	unsigned long	 n;
	int		 saved = errno;

	/*
	 * The parent restarts a process that died: the world of a test stops
	 * at the first crash, as if everything had died there. Later processes
	 * neither count nor crash (the test restarts without crash points to
	 * see what the crash left).
	 */
	if (crash_mark != NULL && access(crash_mark, F_OK) == 0) {
		errno = saved;
		return;
	}
	n = atomic_fetch_add(&crash_count, 1) + 1;
	if (crash_log != NULL) {
		char	 line[96];
		int	 fd, len;

		len = snprintf(line, sizeof(line), "%s %lu %s\n",
		    crash_name[0] ? crash_name : "-", n, op);
		fd = open(crash_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
		if (fd != -1) {
			/* One write, so lines of concurrent processes never mix. */
			if (write(fd, line, (size_t)len) == -1)
				(void)0;
			close(fd);
		}
	}
	if (crash_at != 0 && n == crash_at) {
		if (crash_mark != NULL) {
			int	 fd = open(crash_mark, O_WRONLY | O_CREAT | O_CLOEXEC,
				    0600);

			if (fd != -1)
				close(fd);
		}
		_exit(86);
	}
	errno = saved;
}

#define CRASHPOINT(op)	crashpoint(op)

#else

void
dio_crash_init(const char *procname)
{
	(void)procname;
}

#define CRASHPOINT(op)	do { } while (0)

#endif

/* The write loop shared by dio_write and dio_pwrite; off < 0 means write(2). */
static int
write_all(int fd, const void *p, size_t len, off_t off)
{
	const char	*s = p;
	ssize_t		 n;

	while (len > 0) {
		if (off < 0)
			n = write(fd, s, len);
		else
			n = pwrite(fd, s, len, off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			/* The kernel took nothing and gave no reason: the disk is full. */
			errno = ENOSPC;
			return -1;
		}
		s += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int
dio_write(int fd, const void *p, size_t len)
{
	CRASHPOINT("write");
	return write_all(fd, p, len, -1);
}

int
dio_pwrite(int fd, const void *p, size_t len, off_t off)
{
	CRASHPOINT("pwrite");
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	return write_all(fd, p, len, off);
}

int
dio_fsync(int fd)
{
	CRASHPOINT("fsync");
	while (fsync(fd) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
dio_rename(const char *from, const char *to)
{
	CRASHPOINT("rename");
	while (rename(from, to) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
dio_renameat(int fromdir, const char *from, int todir, const char *to)
{
	CRASHPOINT("rename");
	while (renameat(fromdir, from, todir, to) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
dio_renameat_new(int fromdir, const char *from, int todir, const char *to)
{
	CRASHPOINT("rename");
	while (renameat2(fromdir, from, todir, to, RENAME_NOREPLACE) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
dio_link(const char *from, const char *to)
{
	CRASHPOINT("link");
	while (link(from, to) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
dio_linkat(int fromdir, const char *from, int todir, const char *to)
{
	CRASHPOINT("link");
	while (linkat(fromdir, from, todir, to, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static int
fsync_dir(int dirfd)
{
	while (fsync(dirfd) == -1) {
		/*
		 * A file system that cannot sync directories at all says
		 * EINVAL; failing would make such a spool refuse all mail
		 * without making anything safer.
		 */
		if (errno == EINVAL)
			return 0;
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
dio_fsync_dir(const char *path)
{
	int	 fd, r, saved;

	CRASHPOINT("fsync_dir");
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync_dir(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
dio_fsync_dirfd(int dirfd)
{
	CRASHPOINT("fsync_dir");
	return fsync_dir(dirfd);
}

int
dio_close(int fd)
{
	CRASHPOINT("close");
	/*
	 * Linux frees the descriptor even when close() says EINTR, so it must
	 * not be retried; the data is already on disk if it was fsync'd.
	 */
	if (close(fd) == -1 && errno != EINTR)
		return -1;
	return 0;
}

/* Copies with read/write from where copy_file_range stopped. */
static int
copy_rw(int in, off_t off, int out, size_t len)
{
	char	*b;
	size_t	 bsz = 64 * 1024;
	ssize_t	 n;
	int	 saved;

	if ((b = malloc(bsz)) == NULL)
		return -1;
	while (len > 0) {
		n = pread(in, b, len < bsz ? len : bsz, off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0) {
			errno = ENODATA;
			goto fail;
		}
		if (write_all(out, b, (size_t)n, -1) == -1)
			goto fail;
		off += n;
		len -= (size_t)n;
	}
	free(b);
	return 0;
fail:
	saved = errno;
	free(b);
	errno = saved;
	return -1;
}

int
dio_copy(int in, off_t off, int out, size_t len)
{
	ssize_t	 n;

	CRASHPOINT("copy");
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * copy_file_range lets the kernel move the bytes (or share extents)
	 * without a trip through user space; across file systems, or where it
	 * is not supported, the read/write loop does the rest.
	 */
	while (len > 0) {
		n = copy_file_range(in, &off, out, NULL, len, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == EINVAL ||
			    errno == ENOSYS || errno == EOPNOTSUPP ||
			    errno == EBADF)
				break;
			return -1;
		}
		if (n == 0)
			break;	/* EOF, or a file system that reports 0: let pread say */
		len -= (size_t)n;
	}
	if (len == 0)
		return 0;
	return copy_rw(in, off, out, len);
}

/* fsyncs the directory that holds path (whose last component was just made). */
static int
fsync_parent(const char *path)
{
	const char	*slash = strrchr(path, '/');
	char		*dir;
	int		 fd, r, saved;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = errno;
	free(dir);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	r = fsync_dir(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
dio_mkdirs(const char *path, mode_t mode)
{
	struct stat	 st;
	char		*p, *s;
	int		 saved;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if ((p = strdup(path)) == NULL)
		return -1;
	for (s = p + 1;; s++) {
		char	 c = *s;

		if (c != '/' && c != '\0')
			continue;
		if (s[-1] == '/') {	/* "a//b" or a trailing slash */
			if (c == '\0')
				break;
			continue;
		}
		*s = '\0';
		if (mkdir(p, mode) == 0) {
			if (fsync_parent(p) == -1)
				goto fail;
		} else if (errno == EEXIST) {
			if (stat(p, &st) == -1)
				goto fail;
			if (!S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				goto fail;
			}
		} else
			goto fail;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return 0;
fail:
	saved = errno;
	free(p);
	errno = saved;
	return -1;
}

int
dio_pread(int fd, void *p, size_t len, off_t off)
{
	char	*dst = p;
	ssize_t	 n;

	while (len > 0) {
		if ((n = pread(fd, dst, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENODATA;
			return -1;
		}
		dst += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}
