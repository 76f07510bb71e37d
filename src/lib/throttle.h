/* Failed-login accounting per client address: delays, then a ban. */
#ifndef TEGAMI_THROTTLE_H
#define TEGAMI_THROTTLE_H

#include <stddef.h>
#include <time.h>

#define THROTTLE_SLOW_AFTER	3	/* failures before answers are delayed */
#define THROTTLE_DELAY_MAX	8	/* seconds */
#define THROTTLE_KEY_MAX	64
#define THROTTLE_ENTRIES_MAX	100000	/* addresses remembered at most */

struct throttle;

/* ban_after failures within window seconds ban the address for ban seconds. */
struct throttle	*throttle_new(unsigned ban_after, time_t window, time_t ban);
void		 throttle_free(struct throttle *);

/*
 * The accounting key of a client address: an IPv4 address as is, an IPv6
 * address by its /64 (one host usually holds a whole /64), else the text.
 */
void		 throttle_key(const char *addr, char *key, size_t keylen);

/* New limits (a reload); what was counted stays. */
void		 throttle_set(struct throttle *, unsigned ban_after, time_t window,
		    time_t ban);
/*
 * An attempt begins: -1 when key is banned or its failures reach the limit;
 * 1 when its failures and the attempts in flight reach it (the attempt is
 * to wait for one of those to end, then begin again); else 0, and it counts
 * as in flight until throttle_end(). *failures: the failures counted so far.
 */
int		 throttle_begin(struct throttle *, const char *key, time_t now,
		    unsigned *failures);
/* The attempt's outcome; returns the failures within the window. */
unsigned	 throttle_end(struct throttle *, const char *key, time_t now, int failed);
/* 1 when key is banned now; *failures then holds its failure count. */
int		 throttle_banned(struct throttle *, const char *key, time_t now,
		    unsigned *failures);
/* Counts a failure; returns the failures within the window, this one included. */
unsigned	 throttle_fail(struct throttle *, const char *key, time_t now);
/* Seconds to hold back the next answer to key: 0, then 1 doubling to 8. */
unsigned	 throttle_delay(struct throttle *, const char *key, time_t now);

#endif
