/* String-keyed hash map: open addressing over an insertion-ordered entry array. */
#include <sys/random.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/map.h"
#include "lib/xalloc.h"

#define SLOT_EMPTY	SIZE_MAX
#define SLOT_DELETED	(SIZE_MAX - 1)

struct map_entry {
	char		*key;		/* NULL once deleted */
	void		*value;
	uint64_t	 hash;
};

struct map {
	struct map_entry *ents;		/* insertion order; deleted ones keep their place */
	size_t		 nents;
	size_t		 capents;
	size_t		*slots;		/* index into ents, or SLOT_EMPTY/SLOT_DELETED */
	size_t		 nslots;	/* power of two */
	size_t		 used;		/* slots not empty (live + deleted) */
	size_t		 count;		/* live keys */
};

/*
 * Keys may come from the network (header names, addresses), so the hash is
 * seeded per process to keep collision floods from being precomputed.
 */
static uint64_t	 map_seed;
static int	 map_seeded;

static uint64_t
map_hash(const char *key)
{
	uint64_t	 h;

	if (!map_seeded) {
		if (getrandom(&map_seed, sizeof(map_seed), 0) != sizeof(map_seed))
			map_seed = (uint64_t)(uintptr_t)&map_seed;
		map_seeded = 1;
	}
	h = 0xcbf29ce484222325ULL ^ map_seed;
	for (; *key; key++) {
		h ^= (unsigned char)*key;
		h *= 0x100000001b3ULL;
	}
	/* FNV spreads poorly into the low bits we mask with; finish with a mixer. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

struct map *
map_new(void)
{
	struct map	*m;
	size_t		 i;

	m = xcalloc(1, sizeof(*m));
	m->nslots = 16;
	m->slots = xreallocarray(NULL, m->nslots, sizeof(*m->slots));
	for (i = 0; i < m->nslots; i++)
		m->slots[i] = SLOT_EMPTY;
	return m;
}

void
map_free(struct map *m, void (*free_value)(void *))
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nents; i++) {
		if (m->ents[i].key == NULL)
			continue;
		free(m->ents[i].key);
		if (free_value)
			free_value(m->ents[i].value);
	}
	free(m->ents);
	free(m->slots);
	free(m);
}

/* Slot holding key, or SIZE_MAX. */
static size_t
map_find(const struct map *m, const char *key, uint64_t h)
{
	size_t	 mask = m->nslots - 1, i = (size_t)h & mask, n, s;

	for (n = 0; n < m->nslots; n++, i = (i + 1) & mask) {
		s = m->slots[i];
		if (s == SLOT_EMPTY)
			return SIZE_MAX;
		if (s != SLOT_DELETED && m->ents[s].hash == h &&
		    strcmp(m->ents[s].key, key) == 0)
			return i;
	}
	return SIZE_MAX;
}

/* Compacts the entries (dropping deleted ones) and rebuilds the slots at size n. */
static void
map_rehash(struct map *m, size_t nslots)
{
	size_t	 i, j, mask;

	for (i = j = 0; i < m->nents; i++)
		if (m->ents[i].key != NULL)
			m->ents[j++] = m->ents[i];
	m->nents = j;
	free(m->slots);
	m->slots = xreallocarray(NULL, nslots, sizeof(*m->slots));
	m->nslots = nslots;
	for (i = 0; i < nslots; i++)
		m->slots[i] = SLOT_EMPTY;
	mask = nslots - 1;
	for (i = 0; i < m->nents; i++) {
		j = (size_t)m->ents[i].hash & mask;
		while (m->slots[j] != SLOT_EMPTY)
			j = (j + 1) & mask;
		m->slots[j] = i;
	}
	m->used = m->nents;
}

void *
map_set(struct map *m, const char *key, void *value)
{
	uint64_t	 h = map_hash(key);
	size_t		 s, i, mask, n;
	void		*old;

	if ((s = map_find(m, key, h)) != SIZE_MAX) {
		old = m->ents[m->slots[s]].value;
		m->ents[m->slots[s]].value = value;
		return old;
	}
	/* Keep the load (deleted slots included) under one half. */
	if ((m->used + 1) * 2 > m->nslots) {
		n = m->nslots;
		while ((m->count + 1) * 2 > n / 2) {
			if (n > SIZE_MAX / 4)
				fatalx("map_set: too many keys");
			n *= 2;
		}
		map_rehash(m, n);
	}
	if (m->nents == m->capents) {
		m->capents = m->capents ? m->capents * 2 : 8;
		m->ents = xreallocarray(m->ents, m->capents, sizeof(*m->ents));
	}
	m->ents[m->nents].key = xstrdup(key);
	m->ents[m->nents].value = value;
	m->ents[m->nents].hash = h;
	mask = m->nslots - 1;
	i = (size_t)h & mask;
	while (m->slots[i] != SLOT_EMPTY && m->slots[i] != SLOT_DELETED)
		i = (i + 1) & mask;
	if (m->slots[i] == SLOT_EMPTY)
		m->used++;
	m->slots[i] = m->nents++;
	m->count++;
	return NULL;
}

void *
map_get(const struct map *m, const char *key)
{
	size_t	 s = map_find(m, key, map_hash(key));

	return s == SIZE_MAX ? NULL : m->ents[m->slots[s]].value;
}

int
map_has(const struct map *m, const char *key)
{
	return map_find(m, key, map_hash(key)) != SIZE_MAX;
}

void *
map_del(struct map *m, const char *key)
{
	size_t	 s = map_find(m, key, map_hash(key));
	struct map_entry *e;
	void	*v;

	if (s == SIZE_MAX)
		return NULL;
	e = &m->ents[m->slots[s]];
	v = e->value;
	x_free(&e->key);
	e->value = NULL;
	m->slots[s] = SLOT_DELETED;
	m->count--;
	return v;
}

size_t
map_count(const struct map *m)
{
	return m->count;
}

int
map_iter(const struct map *m, size_t *iter, const char **key, void **value)
{
	while (*iter < m->nents) {
		const struct map_entry *e = &m->ents[(*iter)++];

		if (e->key == NULL)
			continue;
		if (key)
			*key = e->key;
		if (value)
			*value = e->value;
		return 1;
	}
	return 0;
}
