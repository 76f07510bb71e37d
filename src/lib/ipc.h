/* Typed messages between tegami's processes: one datagram each, up to two fds passed along. */
#ifndef TEGAMI_IPC_H
#define TEGAMI_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct event_base;
struct ipc;

#define IPC_MAX_PAYLOAD	(60 * 1024)

/* A received message; read it with the ipc_get_* helpers, then ipc_get_end(). */
struct ipc_msg {
	uint32_t		 type;
	uint64_t		 id;		/* request id, echoed in the reply */
	int			 fd;		/* passed descriptor or -1; the handler owns it */
	int			 fd2;		/* a second one or -1 (the handler owns it too) */
	const unsigned char	*data;
	size_t			 len;
	size_t			 off;
};

/* A message being composed. */
struct ipc_out {
	uint32_t		 type;
	uint64_t		 id;
	int			 fd;
	int			 fd2;
	struct buf		 payload;
};

/*
 * Handler for each message. msg is valid only during the call. A NULL msg
 * means the peer closed the channel.
 */
typedef void	(*ipc_handler)(struct ipc *, struct ipc_msg *msg, void *arg);

/* Wraps one end of a SOCK_SEQPACKET socketpair; peer names the other side in errors. */
struct ipc	*ipc_new(struct event_base *, int sock, const char *peer,
		    ipc_handler, void *arg);
void		 ipc_free(struct ipc *);
const char	*ipc_peer(const struct ipc *);
/* Creates a socketpair suitable for ipc_new. */
int		 ipc_pair(int sv[2]);

void		 ipc_begin(struct ipc_out *, uint32_t type, uint64_t id);
void		 ipc_add_u32(struct ipc_out *, uint32_t);
void		 ipc_add_u64(struct ipc_out *, uint64_t);
void		 ipc_add_str(struct ipc_out *, const char *);	/* NULL allowed */
void		 ipc_add_data(struct ipc_out *, const void *, size_t);
/*
 * Passes fd along; the channel closes it once sent. A message carries at
 * most two: the first arrives as msg->fd, the second as msg->fd2.
 */
void		 ipc_add_fd(struct ipc_out *, int fd);
/* Queues the message (sent as soon as the socket allows) and resets out. */
void		 ipc_send(struct ipc *, struct ipc_out *);

/*
 * Readers: a message that is shorter than what is read, or has bytes left at
 * ipc_get_end(), is a broken internal invariant: fatalx() names the type.
 */
uint32_t	 ipc_get_u32(struct ipc_msg *);
uint64_t	 ipc_get_u64(struct ipc_msg *);
const char	*ipc_get_str(struct ipc_msg *);		/* may return NULL */
const void	*ipc_get_data(struct ipc_msg *, size_t *len);
void		 ipc_get_end(struct ipc_msg *);

#endif
