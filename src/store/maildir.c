/* Maildir writing made durable: write in tmp/, fsync, link into new/ or cur/, fsync that directory. */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
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
#include "mail/maildir_name.h"
#include "store/maildir.h"

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

int
maildir_unique(char *dst, size_t dstlen, uint64_t size, uint64_t vsize)
{
	struct maildir_newname	 nn;
	struct timespec		 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	memset(&nn, 0, sizeof(nn));
	nn.sec = ts.tv_sec;
	nn.usec = ts.tv_nsec / 1000;
	nn.pid = (long)getpid();
	nn.seq = atomic_fetch_add(&maildir_seq, 1);
	nn.host = system_host();
	nn.size = size;
	nn.has_size = size != MAILDIR_NOSIZE;
	nn.vsize = vsize;
	nn.has_vsize = vsize != MAILDIR_NOSIZE;
	return maildir_name_make(dst, dstlen, &nn);
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

/* Octets a bare LF adds on the wire: one CR before each LF not preceded by one. */
static uint64_t
crlf_extra(const char *p, size_t n, int *prev_cr)
{
	uint64_t	 extra = 0;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && !*prev_cr)
			extra++;
		*prev_cr = p[i] == '\r';
	}
	return extra;
}

/*
 * The size with CRLF line ends (Dovecot's W=), what IMAP's RFC822.SIZE and
 * POP3's LIST report: counted here once, so that neither reads the
 * message again. The queue file was just written: it is in the page cache.
 */
static int
virtual_size(const char *header, size_t headerlen, int msgfd, off_t offset,
    size_t len, uint64_t *vsize)
{
	char		 chunk[16384];
	size_t		 n;
	int		 prev_cr = 0;

	*vsize = (uint64_t)headerlen + len + crlf_extra(header, headerlen, &prev_cr);
	while (len > 0) {
		n = len < sizeof(chunk) ? len : sizeof(chunk);
		if (dio_pread(msgfd, chunk, n, offset) == -1)
			return -1;
		*vsize += crlf_extra(chunk, n, &prev_cr);
		offset += (off_t)n;
		len -= n;
	}
	return 0;
}

enum deliver_result
maildir_deliver(const char *path, const char *folder, const char *header,
    size_t headerlen, int msgfd, off_t offset, size_t len, char *name_out,
    size_t name_outlen, const char **errstr)
{
	enum deliver_result	 res = DELIVER_TEMPFAIL;
	char			 name[MAILDIR_NAME_MAX + 1];
	char			*dir = NULL;
	uint64_t		 vsize;
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
	if (virtual_size(header, headerlen, msgfd, offset, len, &vsize) == -1) {
		*errstr = errstr_sys(errno == ENODATA ? "queue file too short" :
		    "cannot read the message", errno);
		return DELIVER_TEMPFAIL;
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
		(void)maildir_unique(name, sizeof(name), headerlen + len, vsize);
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

/* The name of a message in cur/ or new/: base, sizes, and ":2,FLAGS" for cur/. */
static int
final_name(char *dst, size_t dstlen, const char *uniq, uint64_t size,
    uint64_t vsize, const struct maildir_flags *flags)
{
	int	 n;

	n = snprintf(dst, dstlen, "%s,S=%llu", uniq, (unsigned long long)size);
	if (n < 0 || (size_t)n >= dstlen)
		return -1;
	if (vsize != MAILDIR_NOSIZE) {
		int	 m = snprintf(dst + n, dstlen - (size_t)n, ",W=%llu",
		    (unsigned long long)vsize);

		if (m < 0 || (size_t)m >= dstlen - (size_t)n)
			return -1;
		n += m;
	}
	if (flags != NULL)
		n = maildir_name_set_flags(dst, dstlen, dst, flags);
	return n;
}

int
maildir_tmp_open(struct maildir_tmp *t, const char *dir, const char **errstr)
{
	int	 attempt, saved;

	t->fd = t->tmpfd = -1;
	if ((t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (t->tmpfd = openat(t->dirfd, "tmp",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys("cannot open Maildir", errno);
		goto fail;
	}
	for (attempt = 0;; attempt++) {
		(void)maildir_unique(t->name, sizeof(t->name), MAILDIR_NOSIZE,
		    MAILDIR_NOSIZE);
		t->fd = openat(t->tmpfd, t->name,
		    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (t->fd != -1)
			return 0;
		if (errno != EEXIST || attempt == 3) {
			*errstr = errstr_sys("cannot create file in tmp/", errno);
			goto fail;
		}
	}
fail:
	saved = errno;
	if (t->tmpfd != -1)
		close(t->tmpfd);
	if (t->dirfd != -1)
		close(t->dirfd);
	t->fd = t->tmpfd = t->dirfd = -1;
	errno = saved;
	return -1;
}

void
maildir_tmp_abort(struct maildir_tmp *t)
{
	int	 saved = errno;

	if (t->fd != -1)
		close(t->fd);
	if (t->tmpfd != -1) {
		unlinkat(t->tmpfd, t->name, 0);
		close(t->tmpfd);
	}
	if (t->dirfd != -1)
		close(t->dirfd);
	t->fd = t->tmpfd = t->dirfd = -1;
	errno = saved;
}

int
maildir_tmp_commit(struct maildir_tmp *t, const struct maildir_add *add,
    char *name_out, size_t name_outlen, const char **errstr)
{
	char		 name[MAILDIR_NAME_MAX + 1];
	struct stat	 st;
	int		 subfd = -1, fd = t->fd, in_sub = 0, saved, r;

	t->fd = -1;
	if (fstat(fd, &st) == -1) {
		*errstr = errstr_sys("cannot stat message", errno);
		goto fail;
	}
	if (final_name(name, sizeof(name), t->name, (uint64_t)st.st_size,
	    add->vsize, add->flags) == -1) {
		*errstr = "message name too long";
		errno = ENAMETOOLONG;
		goto fail;
	}
	/* Before the fsync, so the date is as durable as the bytes. */
	if (add->date != (time_t)-1) {
		struct timespec	 ts[2];

		ts[0].tv_sec = ts[1].tv_sec = add->date;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (futimens(fd, ts) == -1) {
			*errstr = errstr_sys("cannot set the message date", errno);
			goto fail;
		}
	}
	if (dio_fsync(fd) == -1) {
		*errstr = errstr_sys("cannot fsync message", errno);
		goto fail;
	}
	r = dio_close(fd);
	fd = -1;
	if (r == -1) {
		*errstr = errstr_sys("cannot close message", errno);
		goto fail;
	}
	if ((subfd = openat(t->dirfd, add->flags ? "cur" : "new",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys("cannot open Maildir", errno);
		goto fail;
	}
	if (dio_linkat(t->tmpfd, t->name, subfd, name) == -1) {
		*errstr = errstr_sys(add->flags ? "cannot link message into cur/" :
		    "cannot link message into new/", errno);
		goto fail;
	}
	in_sub = 1;
	if (unlinkat(t->tmpfd, t->name, 0) == -1)
		log_msg(LOG_WARNING, "maildir tmp/%s unlink error=\"%s\"",
		    t->name, strerror(errno));
	if (dio_fsync_dirfd(subfd) == -1) {
		*errstr = errstr_sys(add->flags ? "cannot fsync cur/" :
		    "cannot fsync new/", errno);
		goto fail;
	}
	close(subfd);
	if (name_out != NULL && name_outlen > 0)
		snprintf(name_out, name_outlen, "%s", name);
	close(t->tmpfd);
	close(t->dirfd);
	t->tmpfd = t->dirfd = -1;
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	/* Not known to be durable: taken back, so the client's retry makes one copy. */
	if (in_sub)
		unlinkat(subfd, name, 0);
	if (subfd != -1)
		close(subfd);
	maildir_tmp_abort(t);
	errno = saved;
	return -1;
}

int
maildir_add_fd(const char *dir, int fd, off_t off, size_t len,
    const struct maildir_add *add, char *name_out, size_t name_outlen,
    const char **errstr)
{
	struct maildir_tmp	 t;

	if (off < 0) {
		*errstr = "message offset out of range";
		errno = EINVAL;
		return -1;
	}
	if (maildir_tmp_open(&t, dir, errstr) == -1)
		return -1;
	if (len > 0 && dio_copy(fd, off, t.fd, len) == -1) {
		*errstr = errstr_sys(errno == ENODATA ? "message file too short" :
		    "cannot write message", errno);
		maildir_tmp_abort(&t);
		return -1;
	}
	return maildir_tmp_commit(&t, add, name_out, name_outlen, errstr);
}

int
maildir_add_link(int srcdirfd, const char *srcname, const char *dir,
    const struct maildir_add *add, char *name_out, size_t name_outlen,
    const char **errstr)
{
	struct maildir_name	 mn;
	struct stat		 st;
	char			 uniq[MAILDIR_NAME_MAX + 1], name[MAILDIR_NAME_MAX + 1];
	uint64_t		 vsize = add->vsize;
	int			 dirfd = -1, subfd = -1, saved, attempt;

	if (maildir_name_parse(srcname, strlen(srcname), &mn) == 0 &&
	    mn.has_vsize)
		vsize = mn.vsize;
	if (fstatat(srcdirfd, srcname, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		*errstr = errstr_sys("cannot stat message", errno);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*errstr = "not a message file";
		errno = EINVAL;
		return -1;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (subfd = openat(dirfd, add->flags ? "cur" : "new",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys("cannot open Maildir", errno);
		goto fail;
	}
	for (attempt = 0;; attempt++) {
		(void)maildir_unique(uniq, sizeof(uniq), MAILDIR_NOSIZE,
		    MAILDIR_NOSIZE);
		if (final_name(name, sizeof(name), uniq, (uint64_t)st.st_size,
		    vsize, add->flags) == -1) {
			*errstr = "message name too long";
			errno = ENAMETOOLONG;
			goto fail;
		}
		if (dio_linkat(srcdirfd, srcname, subfd, name) == 0)
			break;
		if (errno != EEXIST || attempt == 3) {
			*errstr = errstr_sys("cannot link message", errno);
			goto fail;
		}
	}
	if (dio_fsync_dirfd(subfd) == -1) {
		*errstr = errstr_sys("cannot fsync Maildir", errno);
		saved = errno;
		unlinkat(subfd, name, 0);
		errno = saved;
		goto fail;
	}
	close(subfd);
	close(dirfd);
	if (name_out != NULL && name_outlen > 0)
		snprintf(name_out, name_outlen, "%s", name);
	return 0;
fail:
	saved = errno;
	if (subfd != -1)
		close(subfd);
	if (dirfd != -1)
		close(dirfd);
	errno = saved;
	return -1;
}

int
maildir_rename_excl(int fromdir, const char *from, int todir, const char *to)
{
	struct stat	 st;

	if (renameat2(fromdir, from, todir, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without the flag: the window is as small as it gets. */
	if (fstatat(todir, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return dio_renameat(fromdir, from, todir, to);
}

long
maildir_clean_tmp(const char *dir, time_t now, const char **errstr)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*p;
	long		 n = 0;
	int		 saved;

	p = xasprintf("%s/tmp", dir);
	d = opendir(p);
	saved = errno;
	free(p);
	if (d == NULL) {
		*errstr = errstr_sys("cannot read tmp/", saved);
		errno = saved;
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		/* ctime too: a file being written now may carry an old mtime (futimens). */
		if (st.st_mtime >= now - MAILDIR_TMP_STALE ||
		    st.st_ctime >= now - MAILDIR_TMP_STALE)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}
