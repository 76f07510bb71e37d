/* Message channel over a SOCK_SEQPACKET socketpair: boundaries kept by the kernel, fds by SCM_RIGHTS. */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* Descriptors one message may carry. */
#define IPC_MAX_FDS	2

struct ipc_hdr {
	uint32_t	 type;
	uint32_t	 has_fd;	/* how many: 0, 1 or 2 */
	uint64_t	 id;
};

struct ipc_pending {
	TAILQ_ENTRY(ipc_pending) entry;
	struct ipc_hdr	 hdr;
	int		 fd[IPC_MAX_FDS];
	char		*data;
	size_t		 len;
};

struct ipc {
	int		 sock;
	char		*peer;
	struct event	*ev_read;
	struct event	*ev_write;
	ipc_handler	 handler;
	void		*arg;
	TAILQ_HEAD(, ipc_pending) out;
};

static void	ipc_on_read(evutil_socket_t, short, void *);
static void	ipc_on_write(evutil_socket_t, short, void *);

static void
pending_free(struct ipc_pending *p)
{
	unsigned	 i;

	for (i = 0; i < IPC_MAX_FDS; i++)
		if (p->fd[i] != -1)
			close(p->fd[i]);
	free(p->data);
	free(p);
}

int
ipc_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0, sv);
}

struct ipc *
ipc_new(struct event_base *base, int sock, const char *peer, ipc_handler h,
    void *arg)
{
	struct ipc	*c = xcalloc(1, sizeof(*c));
	int		 fl;

	fl = fcntl(sock, F_GETFL);
	if (fl == -1 || fcntl(sock, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("ipc %s: fcntl", peer);
	c->sock = sock;
	c->peer = xstrdup(peer);
	c->handler = h;
	c->arg = arg;
	TAILQ_INIT(&c->out);
	c->ev_read = event_new(base, sock, EV_READ | EV_PERSIST, ipc_on_read, c);
	c->ev_write = event_new(base, sock, EV_WRITE, ipc_on_write, c);
	if (c->ev_read == NULL || c->ev_write == NULL)
		fatalx("ipc %s: event_new", peer);
	event_add(c->ev_read, NULL);
	return c;
}

void
ipc_free(struct ipc *c)
{
	struct ipc_pending	*p;

	if (c == NULL)
		return;
	while ((p = TAILQ_FIRST(&c->out)) != NULL) {
		TAILQ_REMOVE(&c->out, p, entry);
		pending_free(p);
	}
	event_free(c->ev_read);
	event_free(c->ev_write);
	close(c->sock);
	free(c->peer);
	free(c);
}

const char *
ipc_peer(const struct ipc *c)
{
	return c->peer;
}

void
ipc_begin(struct ipc_out *o, uint32_t type, uint64_t id)
{
	o->type = type;
	o->id = id;
	o->fd = -1;
	o->fd2 = -1;
	buf_init(&o->payload, IPC_MAX_PAYLOAD);
}

static void
ipc_add(struct ipc_out *o, const void *p, size_t n)
{
	if (buf_add(&o->payload, p, n) == -1)
		fatalx("ipc message type %u exceeds %d bytes", o->type,
		    IPC_MAX_PAYLOAD);
}

void
ipc_add_u32(struct ipc_out *o, uint32_t v)
{
	ipc_add(o, &v, sizeof(v));
}

void
ipc_add_u64(struct ipc_out *o, uint64_t v)
{
	ipc_add(o, &v, sizeof(v));
}

void
ipc_add_str(struct ipc_out *o, const char *s)
{
	uint32_t	 n;

	if (s == NULL) {
		n = UINT32_MAX;
		ipc_add(o, &n, sizeof(n));
		return;
	}
	n = (uint32_t)strlen(s);
	ipc_add(o, &n, sizeof(n));
	ipc_add(o, s, n);
}

void
ipc_add_data(struct ipc_out *o, const void *p, size_t len)
{
	uint32_t	 n = (uint32_t)len;

	if (len > IPC_MAX_PAYLOAD)
		fatalx("ipc data of %zu bytes", len);
	ipc_add(o, &n, sizeof(n));
	ipc_add(o, p, len);
}

void
ipc_add_fd(struct ipc_out *o, int fd)
{
	if (o->fd == -1)
		o->fd = fd;
	else if (o->fd2 == -1)
		o->fd2 = fd;
	else
		fatalx("ipc message type %u: three fds", o->type);
}

/* Sends one pending message; 1 sent, 0 would block. */
static int
ipc_try_send(struct ipc *c, struct ipc_pending *p)
{
	struct msghdr	 mh;
	struct iovec	 iov[2];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(IPC_MAX_FDS * sizeof(int))];
	} cm;
	ssize_t		 n;
	size_t		 nfd = p->hdr.has_fd;

	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = &p->hdr;
	iov[0].iov_len = sizeof(p->hdr);
	iov[1].iov_base = p->data;
	iov[1].iov_len = p->len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (nfd > 0) {
		struct cmsghdr	*cmsg;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), p->fd, nfd * sizeof(int));
	}
	do {
		n = sendmsg(c->sock, &mh, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN || errno == ENOBUFS)
			return 0;
		/*
		 * The peer is gone (a child killed a moment ago): what was for
		 * it is dropped, and the read side reports the channel closed
		 * to the handler, which decides what that means.
		 */
		if (errno == EPIPE || errno == ECONNRESET)
			return 1;
		fatal("ipc %s: sendmsg", c->peer);
	}
	return 1;
}

static void
ipc_flush(struct ipc *c)
{
	struct ipc_pending	*p;

	while ((p = TAILQ_FIRST(&c->out)) != NULL) {
		if (!ipc_try_send(c, p)) {
			event_add(c->ev_write, NULL);
			return;
		}
		TAILQ_REMOVE(&c->out, p, entry);
		pending_free(p);
	}
}

void
ipc_send(struct ipc *c, struct ipc_out *o)
{
	struct ipc_pending	*p = xcalloc(1, sizeof(*p));
	int			 idle = TAILQ_EMPTY(&c->out);

	p->hdr.type = o->type;
	p->hdr.id = o->id;
	p->hdr.has_fd = (o->fd != -1) + (o->fd2 != -1);
	p->fd[0] = o->fd != -1 ? o->fd : o->fd2;
	p->fd[1] = o->fd != -1 ? o->fd2 : -1;
	p->len = o->payload.len;
	p->data = buf_release(&o->payload);
	TAILQ_INSERT_TAIL(&c->out, p, entry);
	o->fd = -1;
	o->fd2 = -1;
	if (idle)
		ipc_flush(c);
}

static void
ipc_on_write(evutil_socket_t fd, short ev, void *arg)
{
	ipc_flush(arg);
}

/*
 * Messages are read IPC_BATCH at a time with one recvmmsg: fewer than
 * IPC_BATCH back means the channel was empty, so the usual last read that
 * only says EAGAIN is not made. The buffers are the process's, not the
 * channel's: a handler returns before the next message is read, and no
 * handler runs the event loop.
 */
#define IPC_BATCH	4
#define IPC_ROUNDS	16	/* 64 messages, then the others get a turn */

static unsigned char	 ipc_rbuf[IPC_BATCH][sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD];
static union {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(IPC_MAX_FDS * sizeof(int))];
}			 ipc_cmsg[IPC_BATCH];

/* Hands one received message to the channel's handler; fatal if it is malformed. */
static void
ipc_deliver(struct ipc *c, struct msghdr *mh, size_t n)
{
	struct ipc_hdr	 hdr;
	struct ipc_msg	 msg;
	struct cmsghdr	*cmsg;
	unsigned char	*data = mh->msg_iov[0].iov_base;
	int		 fds[IPC_MAX_FDS];
	size_t		 nfd = 0, k;

	if ((mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n < sizeof(hdr))
		fatalx("ipc %s: truncated message", c->peer);
	memcpy(&hdr, data, sizeof(hdr));
	msg.type = hdr.type;
	msg.id = hdr.id;
	msg.data = data + sizeof(hdr);
	msg.len = n - sizeof(hdr);
	msg.off = 0;
	for (cmsg = CMSG_FIRSTHDR(mh); cmsg; cmsg = CMSG_NXTHDR(mh, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS) {
			k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			if (k > IPC_MAX_FDS - nfd)
				fatalx("ipc %s: message type %u with too "
				    "many fds", c->peer, hdr.type);
			memcpy(fds + nfd, CMSG_DATA(cmsg), k * sizeof(int));
			nfd += k;
		}
	if (nfd != hdr.has_fd)
		fatalx("ipc %s: message type %u lost its fd", c->peer,
		    hdr.type);
	msg.fd = nfd > 0 ? fds[0] : -1;
	msg.fd2 = nfd > 1 ? fds[1] : -1;
	c->handler(c, &msg, c->arg);
}

static void
ipc_on_read(evutil_socket_t fd, short ev, void *arg)
{
	struct ipc	*c = arg;
	struct mmsghdr	 mm[IPC_BATCH];
	struct iovec	 iov[IPC_BATCH];
	int		 i, n, round;

	for (round = 0; round < IPC_ROUNDS; round++) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < IPC_BATCH; i++) {
			iov[i].iov_base = ipc_rbuf[i];
			iov[i].iov_len = sizeof(ipc_rbuf[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ipc_cmsg[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof(ipc_cmsg[i].buf);
		}
		n = recvmmsg(c->sock, mm, IPC_BATCH, MSG_CMSG_CLOEXEC, NULL);
		if (n == -1) {
			if (errno == EINTR) {
				round--;
				continue;
			}
			if (errno == EAGAIN)
				return;
			if (errno != ECONNRESET)
				fatal("ipc %s: recvmmsg", c->peer);
			n = 1;
			mm[0].msg_len = 0;
		}
		for (i = 0; i < n; i++) {
			if (mm[i].msg_len == 0) {
				/* The other end closed: nothing follows. */
				event_del(c->ev_read);
				c->handler(c, NULL, c->arg);
				return;
			}
			ipc_deliver(c, &mm[i].msg_hdr, mm[i].msg_len);
		}
		if (n < IPC_BATCH)
			return;
	}
}

static const void *
ipc_take(struct ipc_msg *m, size_t n)
{
	const void	*p;

	if (n > m->len - m->off)
		fatalx("ipc: message type %u too short", m->type);
	p = m->data + m->off;
	m->off += n;
	return p;
}

uint32_t
ipc_get_u32(struct ipc_msg *m)
{
	uint32_t	 v;

	memcpy(&v, ipc_take(m, sizeof(v)), sizeof(v));
	return v;
}

uint64_t
ipc_get_u64(struct ipc_msg *m)
{
	uint64_t	 v;

	memcpy(&v, ipc_take(m, sizeof(v)), sizeof(v));
	return v;
}

const char *
ipc_get_str(struct ipc_msg *m)
{
	uint32_t	 n = ipc_get_u32(m);
	char		*s;

	if (n == UINT32_MAX)
		return NULL;
	/*
	 * The string is followed by at least a byte or is at the end; either
	 * way it is copied out NUL-terminated into the receive buffer's slack
	 * by moving it one byte left over its own length field.
	 */
	s = (char *)ipc_take(m, n) - sizeof(uint32_t);
	memmove(s, s + sizeof(uint32_t), n);
	s[n] = '\0';
	return s;
}

const void *
ipc_get_data(struct ipc_msg *m, size_t *len)
{
	uint32_t	 n = ipc_get_u32(m);

	*len = n;
	return ipc_take(m, n);
}

void
ipc_get_end(struct ipc_msg *m)
{
	if (m->off != m->len)
		fatalx("ipc: message type %u has %zu bytes too many", m->type,
		    m->len - m->off);
}
