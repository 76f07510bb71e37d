/* Allocation that cannot return NULL: out of memory is fatal, never a silent error. */
#ifndef TEGAMI_XALLOC_H
#define TEGAMI_XALLOC_H

#include <stdlib.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Frees *pp and sets it to NULL; accepts a NULL *pp. */
#define x_free(pp)	do { free(*(pp)); *(pp) = NULL; } while (0)

#endif
