/* Giving the heap's freed pages back to the system after a burst of connections. */
#include <malloc.h>
#include <stddef.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/memtrim.h"

static struct event	*trim_ev;

static void
on_trim(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	malloc_trim(0);
}

void
mem_trim_soon(struct event_base *base)
{
	struct timeval	 tv = { 1, 0 };

	if (trim_ev == NULL &&
	    (trim_ev = evtimer_new(base, on_trim, NULL)) == NULL)
		fatalx("mem_trim_soon: evtimer_new");
	if (!evtimer_pending(trim_ev, NULL))
		evtimer_add(trim_ev, &tv);
}
