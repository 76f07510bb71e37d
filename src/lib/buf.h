/* The one growable byte buffer: checked growth, a hard maximum, a spare NUL. */
#ifndef TEGAMI_BUF_H
#define TEGAMI_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* always NUL-terminated after data[len] */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* hard limit on len; 0 means BUF_MAX_DEFAULT */
};

#define BUF_MAX_DEFAULT	((size_t)64 * 1024 * 1024)

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
/* Each add returns 0, or -1 (and changes nothing) when max would be exceeded. */
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addc(struct buf *, char);
int	 buf_adds(struct buf *, const char *);
int	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vaddf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Drops the first n bytes. */
void	 buf_consume(struct buf *, size_t n);
/* Detaches the data (caller frees) and leaves the buffer empty. */
char	*buf_release(struct buf *);

#endif
