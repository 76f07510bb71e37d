/* Tests for lib/ticket: what the auth process vouches for, the mailbox process believes, and nothing else. */
#include <string.h>

#include "harness.h"
#include "lib/ticket.h"

static void
test_tickets(void)
{
	char	 t[TICKET_MAX], forged[TICKET_MAX];
	time_t	 now = 1700000000;

	ticket_key_forget();
	T_EQ_INT(ticket_make("a@example.org", 3, now, t, sizeof(t)), -1);
	ticket_key_init();
	T_EQ_INT(ticket_make("a@example.org", 3, now, t, sizeof(t)), 0);
	T_EQ_INT(ticket_check(t, "a@example.org", 3, now), 1);
	T_EQ_INT(ticket_check(t, "a@example.org", 3, now + TICKET_TTL), 1);
	/* Another login, listener or an expired ticket: no. */
	T_EQ_INT(ticket_check(t, "b@example.org", 3, now), 0);
	T_EQ_INT(ticket_check(t, "a@example.org", 4, now), 0);
	T_EQ_INT(ticket_check(t, "a@example.org", 3, now + TICKET_TTL + 1), 0);
	/* A later expiry written by hand does not verify. */
	memcpy(forged, t, sizeof(forged));
	forged[9] = forged[9] == '9' ? '8' : '9';
	T_EQ_INT(ticket_check(forged, "a@example.org", 3, now), 0);
	/* One changed digit of the MAC. */
	memcpy(forged, t, sizeof(forged));
	forged[strlen(forged) - 1] ^= 1;
	T_EQ_INT(ticket_check(forged, "a@example.org", 3, now), 0);
	T_EQ_INT(ticket_check("", "a@example.org", 3, now), 0);
	T_EQ_INT(ticket_check("1700000030.", "a@example.org", 3, now), 0);
	T_EQ_INT(ticket_check(NULL, "a@example.org", 3, now), 0);
	/* A new key (a restarted tegamid): old tickets are worthless. */
	ticket_key_init();
	T_EQ_INT(ticket_check(t, "a@example.org", 3, now), 0);
	/* Forgotten: nothing verifies. */
	T_EQ_INT(ticket_make("a@example.org", 3, now, t, sizeof(t)), 0);
	ticket_key_forget();
	T_EQ_INT(ticket_check(t, "a@example.org", 3, now), 0);
}

void
test_main(void)
{
	t_run("tickets", test_tickets);
}
