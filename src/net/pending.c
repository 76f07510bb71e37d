/* An open-addressing hash of 64-bit ids: replies from other processes find their request in O(1). */
#include <stdint.h>
#include <stdlib.h>

#include "lib/xalloc.h"
#include "net/pending.h"

struct slot {
	uint64_t	 id;		/* 0: empty */
	void		*ptr;
};

struct pending {
	struct slot	*slots;
	size_t		 cap;		/* a power of two */
	size_t		 count;
	uint64_t	 next;
};

static size_t
slot_of(uint64_t id, size_t cap)
{
	/* Ids are often consecutive: mix them so they do not cluster. */
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id & (cap - 1);
}

struct pending *
pending_new(void)
{
	struct pending	*p = xcalloc(1, sizeof(*p));

	p->cap = 16;
	p->slots = xcalloc(p->cap, sizeof(*p->slots));
	return p;
}

void
pending_free(struct pending *p)
{
	if (p == NULL)
		return;
	free(p->slots);
	free(p);
}

static void
grow(struct pending *p)
{
	struct slot	*old = p->slots;
	size_t		 oldcap = p->cap, i, j;

	p->cap *= 2;
	p->slots = xcalloc(p->cap, sizeof(*p->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].id == 0)
			continue;
		for (j = slot_of(old[i].id, p->cap); p->slots[j].id != 0;
		    j = (j + 1) & (p->cap - 1))
			;
		p->slots[j] = old[i];
	}
	free(old);
}

static struct slot *
find(const struct pending *p, uint64_t id)
{
	size_t	 j;

	for (j = slot_of(id, p->cap); p->slots[j].id != 0; j = (j + 1) & (p->cap - 1))
		if (p->slots[j].id == id)
			return &p->slots[j];
	return NULL;
}

void
pending_set(struct pending *p, uint64_t id, void *ptr)
{
	struct slot	*s;
	size_t		 j;

	if (id == 0)
		return;
	if ((s = find(p, id)) != NULL) {
		s->ptr = ptr;
		return;
	}
	/* At most half full: probes stay short. */
	if ((p->count + 1) * 2 > p->cap)
		grow(p);
	for (j = slot_of(id, p->cap); p->slots[j].id != 0; j = (j + 1) & (p->cap - 1))
		;
	p->slots[j].id = id;
	p->slots[j].ptr = ptr;
	p->count++;
}

uint64_t
pending_add(struct pending *p, void *ptr)
{
	uint64_t	 id;

	do {
		id = ++p->next;
	} while (id == 0 || find(p, id) != NULL);
	pending_set(p, id, ptr);
	return id;
}

void *
pending_get(const struct pending *p, uint64_t id)
{
	struct slot	*s;

	if (id == 0 || (s = find(p, id)) == NULL)
		return NULL;
	return s->ptr;
}

void *
pending_take(struct pending *p, uint64_t id)
{
	struct slot	*s;
	void		*ptr;
	size_t		 i, j, k;

	if (id == 0 || (s = find(p, id)) == NULL)
		return NULL;
	ptr = s->ptr;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	i = (size_t)(s - p->slots);
	p->slots[i].id = 0;
	p->slots[i].ptr = NULL;
	for (j = (i + 1) & (p->cap - 1); p->slots[j].id != 0; j = (j + 1) & (p->cap - 1)) {
		k = slot_of(p->slots[j].id, p->cap);
		/* Move j back to i when its home k is not cyclically within (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			p->slots[i] = p->slots[j];
			p->slots[j].id = 0;
			p->slots[j].ptr = NULL;
			i = j;
		}
	}
	p->count--;
	return ptr;
}

size_t
pending_count(const struct pending *p)
{
	return p->count;
}

int
pending_iter(const struct pending *p, size_t *iter, uint64_t *id, void **ptr)
{
	while (*iter < p->cap) {
		const struct slot	*s = &p->slots[(*iter)++];

		if (s->id != 0) {
			*id = s->id;
			*ptr = s->ptr;
			return 1;
		}
	}
	return 0;
}
