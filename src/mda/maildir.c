/* Maildir delivery made durable: write in tmp/, fsync, link into new/, fsync new/. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include "mda/maildir.h"

/* Deliveries run on worker threads: the counter must not hand out a Q twice. */
static atomic_uint	 maildir_seq;

static pthread_once_t	 host_once = PTHREAD_ONCE_INIT;
static char		 host_name[256];

static void
host_init(void)
{
	if (gethostname(host_name, sizeof(host_name)) == -1 ||
	    host_name[0] == '\0')
		snprintf(host_name, sizeof(host_name), "localhost");
	host_name[sizeof(host_name) - 1] = '\0';
}

static const char *
system_host(void)
{
	pthread_once(&host_once, host_init);
	return host_name;
}

void
maildir_name(char *dst, size_t dstlen, const char *host, size_t size)
{
	struct timespec	 ts;
	char		 h[256 * 4 + 1];
	size_t		 i, o = 0;
	unsigned	 q;

	/*
	 * '/' and ':' cannot appear in a name that is a file and carries
	 * ":2,flags"; ',' would end the host before ",S=". The Maildir spec
	 * writes them as octal escapes.
	 */
	for (i = 0; host[i] != '\0' && o + 4 < sizeof(h); i++) {
		if (host[i] == '/' || host[i] == ':' || host[i] == ',') {
			snprintf(h + o, 5, "\\%03o", (unsigned char)host[i]);
			o += 4;
		} else
			h[o++] = host[i];
	}
	h[o] = '\0';
	clock_gettime(CLOCK_REALTIME, &ts);
	q = atomic_fetch_add(&maildir_seq, 1);
	snprintf(dst, dstlen, "%lld.M%ldP%ldQ%u.%s,S=%zu", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, (long)getpid(), q, h, size);
}

static int
make_maildir(const char *path, const char **errstr)
{
	static const char *const sub[] = { "cur", "new", "tmp" };
	char		*p;
	size_t		 i;

	if (dio_mkdirs(path, 0700) == -1) {
		*errstr = errstr_sys("cannot create Maildir", errno);
		return -1;
	}
	for (i = 0; i < 3; i++) {
		p = xasprintf("%s/%s", path, sub[i]);
		if (dio_mkdirs(p, 0700) == -1) {
			int	 saved = errno;

			*errstr = errstr_sys("cannot create Maildir subdirectory",
			    saved);
			free(p);
			errno = saved;
			return -1;
		}
		free(p);
	}
	return 0;
}

int
maildir_create(const char *path, const char **errstr)
{
	return make_maildir(path, errstr);
}

/* Maildir++ names a folder ".name" (".a.b" for a/b), one level below the Maildir. */
static int
valid_folder(const char *f)
{
	const char	*p;

	if (f[0] != '.' || f[1] == '\0' || strcmp(f, "..") == 0)
		return 0;
	for (p = f; *p != '\0'; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Creates the Maildir, and the folder with its maildirfolder marker. */
static int
make_target(const char *path, const char *folder, const char *dir,
    const char **errstr)
{
	char	*marker;
	int	 fd, saved;

	if (make_maildir(path, errstr) == -1)
		return -1;
	if (folder == NULL)
		return 0;
	if (make_maildir(dir, errstr) == -1)
		return -1;
	marker = xasprintf("%s/maildirfolder", dir);
	fd = open(marker, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	saved = errno;
	free(marker);
	if (fd == -1) {
		*errstr = errstr_sys("cannot create maildirfolder", saved);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

static int
open_dir(const char *dir, const char *sub)
{
	char	*p;
	int	 fd, saved;

	p = xasprintf("%s/%s", dir, sub);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = errno;
	free(p);
	errno = saved;
	return fd;
}

enum deliver_result
maildir_deliver(const char *path, const char *folder, const char *header,
    size_t headerlen, int msgfd, off_t offset, size_t len, char *name_out,
    size_t name_outlen, const char **errstr)
{
	enum deliver_result	 res = DELIVER_TEMPFAIL;
	char			 name[1280];
	char			*dir = NULL;
	int			 tmpfd = -1, newfd = -1, fd = -1;
	int			 created = 0, in_tmp = 0, in_new = 0;
	int			 attempt, saved;

	if (folder != NULL && *folder == '\0')
		folder = NULL;
	if (folder != NULL && !valid_folder(folder)) {
		*errstr = "invalid Maildir++ folder name";
		return DELIVER_PERMFAIL;
	}
	if (headerlen > SIZE_MAX - len || offset < 0) {
		*errstr = "message size out of range";
		return DELIVER_PERMFAIL;
	}
	dir = folder ? xasprintf("%s/%s", path, folder) : xstrdup(path);

	/* Most deliveries find the Maildir there; create it only when missing. */
	while ((tmpfd = open_dir(dir, "tmp")) == -1 ||
	    (newfd = open_dir(dir, "new")) == -1) {
		saved = errno;
		if (saved != ENOENT || created) {
			*errstr = errstr_sys("cannot open Maildir", saved);
			errno = saved;
			goto fail;
		}
		if (tmpfd != -1)
			close(tmpfd);
		tmpfd = -1;
		if (make_target(path, folder, dir, errstr) == -1)
			goto fail;
		created = 1;
	}

	for (attempt = 0;; attempt++) {
		maildir_name(name, sizeof(name), system_host(), headerlen + len);
		fd = openat(tmpfd, name,
		    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd != -1)
			break;
		/* Unique names collide only across a pid reused within a microsecond. */
		if (errno != EEXIST || attempt == 3) {
			*errstr = errstr_sys("cannot create file in tmp/", errno);
			goto fail;
		}
	}
	in_tmp = 1;
	if (headerlen > 0 && dio_write(fd, header, headerlen) == -1) {
		*errstr = errstr_sys("cannot write message", errno);
		goto fail;
	}
	if (len > 0 && dio_copy(msgfd, offset, fd, len) == -1) {
		*errstr = errstr_sys(errno == ENODATA ? "queue file too short" :
		    "cannot write message", errno);
		goto fail;
	}
	if (dio_fsync(fd) == -1) {
		*errstr = errstr_sys("cannot fsync message", errno);
		goto fail;
	}
	saved = dio_close(fd);
	fd = -1;
	if (saved == -1) {
		*errstr = errstr_sys("cannot close message", errno);
		goto fail;
	}
	if (dio_linkat(tmpfd, name, newfd, name) == -1) {
		*errstr = errstr_sys("cannot link message into new/", errno);
		goto fail;
	}
	in_new = 1;
	if (unlinkat(tmpfd, name, 0) == 0)
		in_tmp = 0;
	else
		log_msg(LOG_WARNING, "maildir=%s/tmp/%s unlink error=\"%s\"",
		    dir, name, strerror(errno));
	if (dio_fsync_dirfd(newfd) == -1) {
		*errstr = errstr_sys("cannot fsync new/", errno);
		goto fail;
	}
	if (name_out != NULL && name_outlen > 0)
		snprintf(name_out, name_outlen, "%s", name);
	res = DELIVER_OK;
	in_new = in_tmp = 0;
	saved = 0;
	goto done;
fail:
	saved = errno;
	/* Only a path component that is not a directory will never get better. */
	res = saved == ENOTDIR ? DELIVER_PERMFAIL : DELIVER_TEMPFAIL;
done:
	if (fd != -1)
		close(fd);
	/*
	 * A message in new/ that is not known to be durable is taken back, so
	 * the retry does not make a second copy in the common case.
	 */
	if (in_new)
		unlinkat(newfd, name, 0);
	if (in_tmp)
		unlinkat(tmpfd, name, 0);
	if (tmpfd != -1)
		close(tmpfd);
	if (newfd != -1)
		close(newfd);
	free(dir);
	errno = saved;
	return res;
}
