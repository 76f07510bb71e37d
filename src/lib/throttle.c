/* Failed-login accounting: a fixed window per address, exponential answer delays, then a ban. */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/throttle.h"
#include "lib/map.h"
#include "lib/xalloc.h"

struct entry {
	time_t		 first;		/* start of the window */
	unsigned	 failures;
	unsigned	 inflight;	/* attempts being checked now */
	time_t		 banned_until;
};

struct throttle {
	struct map	*map;
	unsigned	 ban_after;
	time_t		 window;
	time_t		 ban;
};

struct throttle *
throttle_new(unsigned ban_after, time_t window, time_t ban)
{
	struct throttle	*t = xcalloc(1, sizeof(*t));

	t->map = map_new();
	t->ban_after = ban_after;
	t->window = window;
	t->ban = ban;
	return t;
}

void
throttle_set(struct throttle *t, unsigned ban_after, time_t window, time_t ban)
{
	t->ban_after = ban_after;
	t->window = window;
	t->ban = ban;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	map_free(t->map, free);
	free(t);
}

void
throttle_key(const char *addr, char *key, size_t keylen)
{
	unsigned char	 a6[16];
	char		 text[INET6_ADDRSTRLEN];

	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, a6) == 1 &&
	    !(a6[10] == 0xff && a6[11] == 0xff && memcmp(a6, "\0\0\0\0\0\0\0\0\0\0",
	    10) == 0)) {
		memset(a6 + 8, 0, 8);
		inet_ntop(AF_INET6, a6, text, sizeof(text));
		snprintf(key, keylen, "%s/64", text);
		return;
	}
	/* IPv4-mapped addresses count as the IPv4 address. */
	if (strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.') != NULL)
		addr += 7;
	snprintf(key, keylen, "%s", addr);
}

/* The live entry of key, or NULL; expired windows and bans are forgotten. */
static struct entry *
lookup(struct throttle *t, const char *key, time_t now)
{
	struct entry	*e = map_get(t->map, key);

	if (e == NULL)
		return NULL;
	if (e->banned_until > now)
		return e;
	if (e->banned_until != 0 || now - e->first >= t->window) {
		if (e->inflight > 0) {
			/* Attempts still counted: a new window, not a new entry. */
			e->first = now;
			e->failures = 0;
			e->banned_until = 0;
			return e;
		}
		free(map_del(t->map, key));
		return NULL;
	}
	return e;
}

/* Keeps memory bounded against a spray of addresses: drop what has expired. */
static void
prune(struct throttle *t, time_t now)
{
	const char	*key;
	void		*v;
	size_t		 iter = 0;

	while (map_iter(t->map, &iter, &key, &v)) {
		struct entry	*e = v;

		if (e->inflight == 0 && e->banned_until <= now &&
		    (e->banned_until != 0 || now - e->first >= t->window))
			free(map_del(t->map, key));
	}
}

int
throttle_banned(struct throttle *t, const char *key, time_t now,
    unsigned *failures)
{
	struct entry	*e = lookup(t, key, now);

	*failures = e ? e->failures : 0;
	return e != NULL && e->banned_until > now;
}

/* The entry of key, made if needed; NULL when too many addresses are remembered. */
static struct entry *
entry_get(struct throttle *t, const char *key, time_t now)
{
	struct entry	*e = lookup(t, key, now);

	if (e == NULL) {
		if (map_count(t->map) >= THROTTLE_ENTRIES_MAX)
			prune(t, now);
		if (map_count(t->map) >= THROTTLE_ENTRIES_MAX)
			return NULL;	/* under a spray: count nothing new rather than grow */
		e = xcalloc(1, sizeof(*e));
		e->first = now;
		map_set(t->map, key, e);
	}
	return e;
}

int
throttle_begin(struct throttle *t, const char *key, time_t now,
    unsigned *failures)
{
	struct entry	*e;

	if ((e = entry_get(t, key, now)) == NULL) {
		*failures = 0;
		return 0;
	}
	*failures = e->failures;
	/*
	 * Attempts being hashed count as failures to come: a burst of wrong
	 * passwords all in flight at once gets no more tries than one by one.
	 * The ones beyond wait for those to end (good logins from one address,
	 * an office behind NAT or a client opening many connections, all pass).
	 */
	if (e->banned_until > now || e->failures >= t->ban_after)
		return -1;
	if (e->failures + e->inflight >= t->ban_after)
		return 1;
	e->inflight++;
	return 0;
}

unsigned
throttle_end(struct throttle *t, const char *key, time_t now, int failed)
{
	struct entry	*e = map_get(t->map, key);

	if (e != NULL && e->inflight > 0)
		e->inflight--;
	if (failed)
		return throttle_fail(t, key, now);
	return e != NULL ? e->failures : 0;
}

unsigned
throttle_fail(struct throttle *t, const char *key, time_t now)
{
	struct entry	*e;

	if ((e = entry_get(t, key, now)) == NULL)
		return 0;
	if (e->failures < ~0U)
		e->failures++;
	if (e->failures >= t->ban_after && e->banned_until <= now)
		e->banned_until = now + t->ban;
	return e->failures;
}

unsigned
throttle_delay(struct throttle *t, const char *key, time_t now)
{
	struct entry	*e = lookup(t, key, now);
	unsigned	 n, d;

	if (e == NULL || e->failures < THROTTLE_SLOW_AFTER)
		return 0;
	n = e->failures - THROTTLE_SLOW_AFTER;
	d = n >= 3 ? THROTTLE_DELAY_MAX : 1U << n;
	return d;
}
