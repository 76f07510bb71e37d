/* String-keyed hash map that remembers insertion order. */
#ifndef TEGAMI_MAP_H
#define TEGAMI_MAP_H

#include <stddef.h>

struct map;

struct map	*map_new(void);
/* Frees the map; free_value (may be NULL) is called on each value. */
void		 map_free(struct map *, void (*free_value)(void *));
/* Sets key (copied) to value; returns the previous value or NULL. */
void		*map_set(struct map *, const char *key, void *value);
void		*map_get(const struct map *, const char *key);
int		 map_has(const struct map *, const char *key);
/* Removes key and returns its value, or NULL. */
void		*map_del(struct map *, const char *key);
size_t		 map_count(const struct map *);
/* Iterates in insertion order (skipping deleted keys); *iter starts at 0. */
int		 map_iter(const struct map *, size_t *iter, const char **key, void **value);

#endif
