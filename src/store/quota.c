/* Maildir++ quota: reading, checking, recalculating and appending to maildirsize. */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/dio.h"
#include "lib/errstr.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "store/maildir.h"
#include "store/quota.h"

#define QUOTA_NAME	"maildirsize"

/* A decimal integer, optionally negative: 1..19 digits that fit int64_t. */
static int
parse_i64(const char **pp, const char *end, int64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0, max = INT64_MAX;
	int		 neg = 0, digits = 0;

	if (p < end && *p == '-') {
		neg = 1;
		max = (uint64_t)INT64_MAX + 1;
		p++;
	}
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned	 d = (unsigned)(*p - '0');

		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
		p++;
		digits++;
	}
	if (digits == 0)
		return -1;
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) :
	    (int64_t)v;
	*pp = p;
	return 0;
}

/* "10000000S,1000C": each member digits and a letter. */
static int
parse_limit(const char *p, const char *end, struct quota_limit *l)
{
	int64_t	 v;

	memset(l, 0, sizeof(*l));
	if (p == end)
		return 0;	/* an empty first line: no limit */
	for (;;) {
		if (p < end && *p == '-')
			return -1;
		if (parse_i64(&p, end, &v) == -1 || p == end)
			return -1;
		if (*p == 'S')
			l->bytes = (uint64_t)v;
		else if (*p == 'C')
			l->count = (uint64_t)v;
		else if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			return -1;
		/* Another letter ('B', blocks, was never implemented): ignored. */
		p++;
		if (p == end)
			return 0;
		if (*p != ',')
			return -1;
		p++;
	}
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

int
quota_parse(const char *text, size_t len, struct quota_file *qf)
{
	const char	*p = text, *end = text + len, *nl;
	int64_t		 b, c;

	memset(qf, 0, sizeof(*qf));
	if (len >= QUOTA_FILE_MAX || len == 0 || text[len - 1] != '\n' ||
	    memchr(text, '\0', len) != NULL)
		return -1;
	nl = memchr(p, '\n', len);
	if (parse_limit(p, nl, &qf->limit) == -1)
		return -1;
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		while (p < nl && blank(*p))
			p++;
		if (parse_i64(&p, nl, &b) == -1 || p == nl || !blank(*p))
			return -1;
		while (p < nl && blank(*p))
			p++;
		if (parse_i64(&p, nl, &c) == -1)
			return -1;
		while (p < nl && blank(*p))
			p++;
		if (p != nl)
			return -1;
		if (__builtin_add_overflow(qf->bytes, b, &qf->bytes) ||
		    __builtin_add_overflow(qf->count, c, &qf->count))
			return -1;
		qf->lines++;
	}
	return 0;
}

void
quota_format_limit(const struct quota_limit *l, char *dst, size_t dstlen)
{
	if (l->bytes && l->count)
		snprintf(dst, dstlen, "%lluS,%lluC",
		    (unsigned long long)l->bytes, (unsigned long long)l->count);
	else if (l->bytes)
		snprintf(dst, dstlen, "%lluS", (unsigned long long)l->bytes);
	else if (l->count)
		snprintf(dst, dstlen, "%lluC", (unsigned long long)l->count);
	else if (dstlen > 0)
		dst[0] = '\0';
}

static int
no_limit(const struct quota_limit *l)
{
	return l->bytes == 0 && l->count == 0;
}

static int
over(const struct quota_limit *l, int64_t bytes, int64_t count,
    uint64_t add_bytes, uint64_t add_count)
{
	/* Usage is never below zero here: a negative sum forces a recalculation. */
	if (l->bytes && (add_bytes > l->bytes ||
	    (uint64_t)bytes > l->bytes - add_bytes))
		return 1;
	if (l->count && (add_count > l->count ||
	    (uint64_t)count > l->count - add_count))
		return 1;
	return 0;
}

static int
later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Adds the messages of parent/sub; keeps the latest directory time in *stamp. */
static int
count_sub(int parent, const char *sub, int flags, int64_t *bytes,
    int64_t *count, struct timespec *stamp)
{
	struct maildir_name	 mn;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;
	int			 fd, saved;

	if ((fd = openat(parent, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || (d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (later(&st.st_mtim, stamp))
		*stamp = st.st_mtim;
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (de->d_name[0] == '.' ||
		    maildir_name_parse(de->d_name, strlen(de->d_name), &mn) == -1)
			continue;
		if (!(flags & QUOTA_DELETED) && maildir_flags_has(&mn.flags, 'T'))
			continue;
		if (!mn.has_size) {
			if (fstatat(dirfd(d), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
				continue;	/* removed meanwhile: not counted */
			mn.size = (uint64_t)st.st_size;
		}
		if (mn.size > INT64_MAX || *bytes > INT64_MAX - (int64_t)mn.size)
			*bytes = INT64_MAX;
		else
			*bytes += (int64_t)mn.size;
		(*count)++;
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return saved ? -1 : 0;
}

/* Just the directory times of dirfd/sub. */
static void
stamp_sub(int dirfd, const char *sub, struct timespec *stamp)
{
	struct stat	 st;

	if (fstatat(dirfd, sub, &st, 0) == 0 && later(&st.st_mtim, stamp))
		*stamp = st.st_mtim;
}

static int
counted_folder(const char *name, int flags)
{
	return name[0] == '.' && strcmp(name, ".") != 0 &&
	    strcmp(name, "..") != 0 &&
	    ((flags & QUOTA_TRASH) || strcmp(name, ".Trash") != 0);
}

/*
 * Counts the whole Maildir (counting) or only takes the directory times;
 * the latest time of a counted new/ or cur/ goes to *stamp.
 */
static int
walk(int rootfd, int flags, int counting, int64_t *bytes, int64_t *count,
    struct timespec *stamp)
{
	static const char *const subs[] = { "new", "cur" };
	struct dirent	*de;
	DIR		*d;
	char		 p[512];
	size_t		 i;
	int		 fd, saved = 0;

	for (i = 0; i < 2; i++) {
		if (!counting)
			stamp_sub(rootfd, subs[i], stamp);
		else if (count_sub(rootfd, subs[i], flags, bytes, count,
		    stamp) == -1)
			return -1;
	}
	if ((fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!counted_folder(de->d_name, flags))
			continue;
		for (i = 0; i < 2; i++) {
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", de->d_name,
			    subs[i]) >= sizeof(p))
				continue;
			if (!counting)
				stamp_sub(rootfd, p, stamp);
			else if (count_sub(rootfd, p, flags, bytes, count,
			    stamp) == -1 && errno != ENOTDIR) {
				saved = errno;
				break;
			}
		}
		if (saved)
			break;
	}
	closedir(d);
	errno = saved;
	return saved ? -1 : 0;
}

/* Writes the new file in tmp/ and renames it into place. */
static int
write_file(int rootfd, const struct quota_limit *l, int64_t bytes,
    int64_t count, const char **errstr)
{
	char	 text[128], lim[64], name[MAILDIR_NAME_MAX + 1], tmp[300];
	int	 fd, len, r, saved;

	quota_format_limit(l, lim, sizeof(lim));
	len = snprintf(text, sizeof(text), "%s\n%lld %lld\n", lim,
	    (long long)bytes, (long long)count);
	(void)maildir_unique(name, sizeof(name), MAILDIR_NOSIZE, MAILDIR_NOSIZE);
	snprintf(tmp, sizeof(tmp), "tmp/%s.maildirsize", name);
	fd = openat(rootfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		*errstr = errstr_sys("cannot create maildirsize", errno);
		return -1;
	}
	if (dio_write(fd, text, (size_t)len) == -1 || dio_fsync(fd) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot write maildirsize", saved);
		close(fd);
		goto fail;
	}
	r = dio_close(fd);
	if (r == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot write maildirsize", saved);
		goto fail;
	}
	if (dio_renameat(rootfd, tmp, rootfd, QUOTA_NAME) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot replace maildirsize", saved);
		goto fail;
	}
	if (dio_fsync_dirfd(rootfd) == -1) {
		*errstr = errstr_sys("cannot fsync Maildir", errno);
		return -1;
	}
	return 0;
fail:
	unlinkat(rootfd, tmp, 0);
	errno = saved;
	return -1;
}

static int
recalc(int rootfd, const struct quota_limit *l, int flags, struct quota *q,
    const char **errstr)
{
	struct timespec	 before, after;
	int64_t		 bytes, count, dummy = 0;
	int		 attempt;

	for (attempt = 0;; attempt++) {
		bytes = count = 0;
		before.tv_sec = before.tv_nsec = 0;
		after = before;
		if (walk(rootfd, flags, 1, &bytes, &count, &before) == -1) {
			*errstr = errstr_sys("cannot count Maildir", errno);
			return -1;
		}
		if (write_file(rootfd, l, bytes, count, errstr) == -1)
			return -1;
		(void)walk(rootfd, flags, 0, &dummy, &dummy, &after);
		if (!later(&after, &before))
			break;
		/* Something was delivered or removed while counting. */
		if (attempt == 1) {
			unlinkat(rootfd, QUOTA_NAME, 0);
			break;
		}
	}
	q->limit = *l;
	q->bytes = bytes;
	q->count = count;
	q->recalculated = 1;
	return 0;
}

int
quota_recalc(const char *root, const struct quota_limit *limit, int flags,
    struct quota *q, const char **errstr)
{
	int	 rootfd, r;

	if (no_limit(limit)) {
		*errstr = "no quota limit to write";
		errno = EINVAL;
		return -1;
	}
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys("cannot open Maildir", errno);
		return -1;
	}
	memset(q, 0, sizeof(*q));
	r = recalc(rootfd, limit, flags, q, errstr);
	close(rootfd);
	return r;
}

/*
 * Reads maildirsize: 1 and *qf when it can be used as it is, 0 when it must
 * be recalculated (missing, too big, not parsable), -1 on error. *st gets
 * its times.
 */
static int
read_file(int rootfd, struct quota_file *qf, struct stat *st,
    const char **errstr)
{
	char	 buf[QUOTA_FILE_MAX];
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = openat(rootfd, QUOTA_NAME, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		*errstr = errstr_sys("cannot open maildirsize", errno);
		return -1;
	}
	/* Reads into a buffer of the spec's size: filling it means "too big". */
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			*errstr = errstr_sys("cannot read maildirsize", saved);
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (fstat(fd, st) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot stat maildirsize", saved);
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if (len >= sizeof(buf) || quota_parse(buf, len, qf) == -1 ||
	    qf->bytes < 0 || qf->count < 0)
		return 0;
	return 1;
}

static int
evaluate(const char *root, const struct quota_limit *conf, int flags,
    uint64_t add_bytes, uint64_t add_count, struct quota *q,
    const char **errstr)
{
	struct quota_file	 qf;
	struct quota_limit	 l;
	struct stat		 st;
	int			 rootfd, r;

	memset(q, 0, sizeof(*q));
	if (conf != NULL && no_limit(conf))
		return QUOTA_OK;	/* configured: no quota */
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys("cannot open Maildir", errno);
		return -1;
	}
	if ((r = read_file(rootfd, &qf, &st, errstr)) == -1)
		goto done;
	if (conf != NULL)
		l = *conf;
	else if (r == 1)
		l = qf.limit;
	else {
		/* No limit known: no file, or one nobody can read a limit from. */
		r = QUOTA_OK;
		goto done;
	}
	if (no_limit(&l)) {
		r = QUOTA_OK;
		goto done;
	}
	if (r == 1 && (qf.limit.bytes != l.bytes || qf.limit.count != l.count))
		r = 0;	/* the configuration changed: the file follows it */
	if (r == 1) {
		q->limit = l;
		q->bytes = qf.bytes;
		q->count = qf.count;
		if (!over(&l, q->bytes, q->count, add_bytes, add_count) ||
		    (qf.lines <= 1 && st.st_mtime >= time(NULL) - QUOTA_STALE)) {
			r = over(&l, q->bytes, q->count, add_bytes, add_count) ?
			    QUOTA_OVER : QUOTA_OK;
			goto done;
		}
		/* Over by the file's word, and its word may be stale: count. */
	}
	if (recalc(rootfd, &l, flags, q, errstr) == -1) {
		r = -1;
		goto done;
	}
	r = over(&l, q->bytes, q->count, add_bytes, add_count) ? QUOTA_OVER :
	    QUOTA_OK;
done:
	close(rootfd);
	return r;
}

int
quota_check(const char *root, const struct quota_limit *conf, int flags,
    uint64_t bytes, uint64_t count, struct quota *q, const char **errstr)
{
	struct quota	 tmp;

	return evaluate(root, conf, flags, bytes, count, q ? q : &tmp, errstr);
}

int
quota_get(const char *root, const struct quota_limit *conf, int flags,
    struct quota *q, const char **errstr)
{
	return evaluate(root, conf, flags, 0, 0, q, errstr) == -1 ? -1 : 0;
}

int
quota_record(const char *root, int64_t bytes, int64_t count,
    const char **errstr)
{
	char	 line[64], *path;
	int	 fd, len, saved;

	path = xasprintf("%s/%s", root, QUOTA_NAME);
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	saved = errno;
	free(path);
	if (fd == -1) {
		if (saved == ENOENT)
			return 0;
		*errstr = errstr_sys("cannot open maildirsize", saved);
		errno = saved;
		return -1;
	}
	len = snprintf(line, sizeof(line), "%lld %lld\n", (long long)bytes,
	    (long long)count);
	/* One write: O_APPEND keeps concurrent lines whole. */
	if (dio_write(fd, line, (size_t)len) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot append to maildirsize", saved);
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}
