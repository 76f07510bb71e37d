/* Login tickets: the auth process vouches for a checked password, the mailbox process verifies. */
#ifndef TEGAMI_TICKET_H
#define TEGAMI_TICKET_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The login process relays a session to the mailbox process of the
 * account owning the user's Maildir. Were its word enough, a login process
 * taken over by an attacker could open any mailbox of that account
 * without a password. So the auth process, on a good password, returns a
 * ticket: an HMAC-SHA256, under a key the parent makes at start and gives
 * only to auth and mailbox processes, of the login, the listener and an
 * expiry a minute ahead. The mailbox process opens a session only with a
 * ticket that verifies.
 */
#define TICKET_MAX	96	/* "EXPIRY.HEX" with its NUL */
#define TICKET_TTL	60	/* seconds a ticket may wait to be used */

/* Makes a new random key (in the parent, before forking). */
void	 ticket_key_init(void);
/* Wipes the key: every process but auth and mailbox forgets it after fork. */
void	 ticket_key_forget(void);

/* 0 with the ticket in out, or -1 when there is no key. */
int	 ticket_make(const char *login, uint32_t listener, time_t now,
	    char *out, size_t outlen);
/* 1 when ticket vouches for login on listener and has not expired, else 0. */
int	 ticket_check(const char *ticket, const char *login, uint32_t listener,
	    time_t now);

#endif
