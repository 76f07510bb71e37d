/* Reading a whole regular file into memory, with a size bound. */
#ifndef TEGAMI_READFILE_H
#define TEGAMI_READFILE_H

#include <stddef.h>

/*
 * Reads path to its end (not trusting its size, which may change meanwhile)
 * into *data (malloc'ed, NUL-terminated, *len bytes before the NUL). A file
 * larger than max is EFBIG, one that is not a regular file EINVAL.
 * 0, or -1 with errno.
 */
int	 readfile(const char *path, size_t max, char **data, size_t *len);

#endif
