/* Requests waiting for another process's answer, found by their 64-bit id without a walk. */
#ifndef TEGAMI_PENDING_H
#define TEGAMI_PENDING_H

#include <stddef.h>
#include <stdint.h>

struct pending;

struct pending	*pending_new(void);
/* Frees the map, not what it points to. */
void		 pending_free(struct pending *);
/* Stores ptr under a new id (never 0, never one in use) and returns it. */
uint64_t	 pending_add(struct pending *, void *ptr);
/* Stores ptr under the caller's id (not 0); replaces what was there. */
void		 pending_set(struct pending *, uint64_t id, void *ptr);
void		*pending_get(const struct pending *, uint64_t id);
/* Removes id and returns what it held, or NULL. */
void		*pending_take(struct pending *, uint64_t id);
size_t		 pending_count(const struct pending *);
/* Iterates; *iter starts at 0. Nothing may be removed meanwhile: collect the ids first. */
int		 pending_iter(const struct pending *, size_t *iter, uint64_t *id, void **ptr);

#endif
