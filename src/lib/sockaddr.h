/* Socket addresses: the loopback test and the printable form, one place for every process. */
#ifndef TEGAMI_SOCKADDR_H
#define TEGAMI_SOCKADDR_H

#include <sys/socket.h>

#include <stddef.h>

/* 127.0.0.0/8, ::1, or an IPv4-mapped 127/8 address. */
int	 sa_is_loopback(const struct sockaddr *);
/* The numeric address without port ("192.0.2.1", "::1"); "unknown" for other families. */
void	 sa_ntop(const struct sockaddr *, char *dst, size_t dstlen);

#endif
