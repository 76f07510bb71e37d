/* The one connection object of every protocol: lines, output back-pressure, deadlines, TLS, deferred free. */
#ifndef TEGAMI_CONN_H
#define TEGAMI_CONN_H

#include <sys/socket.h>

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

struct event_base;
struct conn;
struct conn_limits;

/*
 * What a connection tells its owner. The owner's callback is never called
 * again after conn_close() or conn_detach() returns.
 */
enum conn_event {
	CONN_EV_INPUT,		/* bytes arrived, or output drained and processing may go on */
	CONN_EV_OUTPUT,		/* output fell to the level asked with conn_notify_output() */
	CONN_EV_CONNECTED,	/* client side: the TCP connection is up */
	CONN_EV_TLS,		/* the TLS handshake is done */
	CONN_EV_TIMEOUT,	/* a deadline passed: conn_timeout_kind() says which */
	CONN_EV_CLOSED,		/* EOF, an error, a failed handshake: nothing more in or out */
};

enum conn_timeout {
	CONN_TIMEOUT_NONE,
	CONN_TIMEOUT_IDLE,	/* no byte from the peer for the idle time */
	CONN_TIMEOUT_WRITE,	/* output pending and none of it taken for the write time */
	CONN_TIMEOUT_COMMAND,	/* the deadline the owner set for the current step */
	CONN_TIMEOUT_SESSION,	/* the whole connection's deadline */
};

enum conn_line {
	CONN_LINE_OK,		/* *line holds a line without its end, NUL-terminated */
	CONN_LINE_MORE,		/* no complete line yet */
	CONN_LINE_TOO_LONG,	/* a line over the maximum was skipped to its end */
};

enum conn_tls_role { CONN_TLS_SERVER, CONN_TLS_CLIENT };

typedef void	(*conn_cb)(struct conn *, enum conn_event, void *arg);

/* Takes fd (a connected socket, made non-blocking here). NULL on failure: fd is closed. */
struct conn	*conn_new(struct event_base *, int fd, conn_cb, void *arg);
/* A client connection being set up to sa; CONN_EV_CONNECTED or CONN_EV_CLOSED follows. */
struct conn	*conn_connect(struct event_base *, int fd, const struct sockaddr *,
		    socklen_t, conn_cb, void *arg);
void		 conn_set_cb(struct conn *, conn_cb, void *arg);

/*
 * The owner is done: queued output is still sent (until it drains, fails
 * or the write time runs out), then the socket is closed and the object
 * freed, from the event loop. No callback after this returns.
 */
void		 conn_close(struct conn *);
/* Closes at once, dropping queued output (the peer is gone or hostile). */
void		 conn_abort(struct conn *);
/*
 * Hands the socket over (for passing to another process): returns the fd,
 * no longer owned by the connection, and frees the connection; unread
 * input is copied to *unread (malloc'ed, may be NULL) with its length.
 */
int		 conn_detach(struct conn *, char **unread, size_t *unreadlen);
/* Puts bytes back in front of the input (what another process had read). */
int		 conn_unread(struct conn *, const void *, size_t);

/* Counts the connection against limits under addr until it is freed. */
void		 conn_account(struct conn *, struct conn_limits *, const char *addr);

/* ---- input ---- */
/*
 * The longest line conn_getline() returns; longer ones are skipped to their
 * end (nothing of them is kept in memory) and reported once.
 */
void		 conn_set_line_max(struct conn *, size_t);
/*
 * The next line, ended by LF (a CR before the LF is dropped too). The line
 * lives in the input buffer, writable (to wipe passwords), until the next
 * conn_getline(), conn_peek() or conn_drain().
 */
enum conn_line	 conn_getline(struct conn *, char **line, size_t *len);
/* Raw input (message bodies, literals): the first contiguous bytes, then drain what was used. */
size_t		 conn_peek(struct conn *, const char **p);
void		 conn_drain(struct conn *, size_t);
size_t		 conn_input_len(const struct conn *);
/* Input kept unprocessed before reading pauses (default 256 KiB). */
void		 conn_set_input_max(struct conn *, size_t);

/* ---- output ---- */
void		 conn_write(struct conn *, const void *, size_t);
/* A whole reply: written at once when nothing waits before it (conn.c). */
void		 conn_write_reply(struct conn *, const void *, size_t);
void		 conn_printf(struct conn *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
size_t		 conn_output_len(const struct conn *);
/*
 * Back-pressure: once more than high bytes wait to be sent, the peer is
 * not read and conn_ready() is false, until the output falls to low; then
 * CONN_EV_INPUT lets the owner go on with what it had buffered. A client
 * that stops reading replies is stopped being read, so what it costs stays
 * bounded. high 0 turns it off (the default is 64 KiB / 16 KiB).
 */
void		 conn_set_output_max(struct conn *, size_t high, size_t low);
/* 1 while the owner may process input: not closing, not held back by output. */
int		 conn_ready(const struct conn *);
/* One CONN_EV_OUTPUT once the output is at most low bytes. */
void		 conn_notify_output(struct conn *, size_t low);

/* ---- deadlines (seconds; 0 turns one off) ---- */
void		 conn_set_timeouts(struct conn *, int idle, int write);
/* An absolute deadline for the current step, from now. */
void		 conn_set_command_deadline(struct conn *, int secs);
/* An absolute deadline for the whole connection, from now. */
void		 conn_set_session_deadline(struct conn *, int secs);
enum conn_timeout conn_timeout_kind(const struct conn *);

/* ---- TLS ---- */
/*
 * Starts TLS on the connection with ssl (taken over). Unread input is
 * discarded first: bytes that came before the handshake were not protected
 * (RFC 3207 5, CVE-2011-0411); their count is returned. Queued output (the
 * "220 Ready to start TLS") is sent in clear before the handshake begins.
 * CONN_EV_TLS or CONN_EV_CLOSED follows. -1 on failure (ssl freed).
 */
long		 conn_starttls(struct conn *, SSL *, enum conn_tls_role);
/* The SSL once TLS is on, else NULL. */
SSL		*conn_ssl(const struct conn *);
int		 conn_tls_started(const struct conn *);
/* Why the handshake or TLS failed, for a log line ("connection closed" when unknown). */
const char	*conn_tls_error(struct conn *, char *buf, size_t len);

int		 conn_fd(const struct conn *);
/* After CONN_EV_CLOSED: 1 when the peer closed in order (EOF), 0 for an error. */
int		 conn_peer_closed(const struct conn *);
/* Connections alive in the process, those still flushing their last words included. */
unsigned	 conn_count(void);

#endif
