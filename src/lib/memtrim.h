/* Giving the heap's freed pages back to the system after a burst of connections. */
#ifndef TEGAMI_MEMTRIM_H
#define TEGAMI_MEMTRIM_H

struct event_base;

/*
 * Asks for malloc_trim(0) a second from now on base's loop, unless one is
 * already due: at most one a second however often it is called. A TLS
 * handshake leaves tens of KiB freed between the blocks of the sessions
 * that stay; glibc keeps such holes (it only gives back the top of the
 * heap), so a process that took a burst of handshakes would keep their
 * peak in its resident memory for good.
 */
void	 mem_trim_soon(struct event_base *);

#endif
