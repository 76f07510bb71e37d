/* Whole-file reads: configuration, tables and certificates; message files into a reused buffer. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/readfile.h"
#include "lib/xalloc.h"

int
readfile(const char *path, size_t max, char **data, size_t *len)
{
	struct stat	 st;
	char		*p = NULL;
	size_t		 have = 0, cap;
	ssize_t		 n;
	int		 fd, saved;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	p = xmalloc(cap + 1);
	for (;;) {
		if (have == cap) {
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			p = xreallocarray(p, cap + 1, 1);
		}
		n = read(fd, p + have, cap - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have > max) {
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	p[have] = '\0';
	*data = p;
	*len = have;
	return 0;
fail:
	saved = errno;
	close(fd);
	free(p);
	errno = saved;
	return -1;
}

ssize_t
readfile_into(int fd, size_t len, char **buf, size_t *cap)
{
	size_t	 got = 0;
	ssize_t	 r;

	if (*cap < len) {
		free(*buf);
		*cap = len < 64 * 1024 ? 64 * 1024 : len;
		*buf = xmalloc(*cap);
	}
	while (got < len) {
		r = pread(fd, *buf + got, len - got, (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}
