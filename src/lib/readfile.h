/* Reading a whole regular file into memory, with a size bound, or into a buffer kept for the next. */
#ifndef TEGAMI_READFILE_H
#define TEGAMI_READFILE_H

#include <sys/types.h>

#include <stddef.h>

/*
 * Reads path to its end (not trusting its size, which may change meanwhile)
 * into *data (malloc'ed, NUL-terminated, *len bytes before the NUL). A file
 * larger than max is EFBIG, one that is not a regular file EINVAL.
 * 0, or -1 with errno.
 */
int	 readfile(const char *path, size_t max, char **data, size_t *len);

/*
 * Up to len octets of fd, from its start, into *buf: grown to len when it
 * is smaller (never below 64 KiB), and kept by the caller for the next
 * file, so that reading many messages costs no allocation each. The
 * octets read (fewer when the file shrank meanwhile), or -1 with errno.
 */
ssize_t	 readfile_into(int fd, size_t len, char **buf, size_t *cap);

#endif
