/* Wiping the credentials tables from a process that has no business holding them. */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/table.h"
#include "conf/table_priv.h"
#include "lib/map.h"

/* Keeps the keys (so "from auth <creds>" still sees the logins), wipes every value. */
static void
table_wipe_values(struct table *t)
{
	const char	*key;
	void		*v;
	size_t		 iter = 0;

	if (t == NULL || t->entries == NULL)
		return;
	/* The folded-key index shares the value strings: drop its pointers first. */
	if (t->cache && t->cache->fold) {
		while (map_iter(t->cache->fold, &iter, &key, &v))
			if (v != NULL)
				map_set(t->cache->fold, key, NULL);
	}
	iter = 0;
	while (map_iter(t->entries, &iter, &key, &v)) {
		if (v == NULL)
			continue;
		explicit_bzero(v, strlen(v));
		free(map_set(t->entries, key, NULL));
	}
}

void
conf_drop_secrets(struct conf *c)
{
	size_t	 i;

	for (i = 0; i < c->nlisteners; i++)
		table_wipe_values(c->listeners[i]->auth);
	for (i = 0; i < c->nactions; i++)
		table_wipe_values(c->actions[i]->relay_auth);
}
