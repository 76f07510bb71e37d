/* The POP3 engine's session: shared by its files (commands, the maildrop, sending messages and listings). */
#ifndef TEGAMI_POP3_PRIV_H
#define TEGAMI_POP3_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "store/scan.h"

struct conn;
struct mailbox_client;

/*
 * RFC 1939 3: an autologout timer of at least 10 minutes. Bad commands are
 * few in real clients; a client that sends only those is let go.
 */
#define POP3_IDLE_SECS		600
#define POP3_ERRORS_MAX		10
/* Output generated ahead of what the client has taken. */
#define POP3_OUT_HIGH		(64 * 1024)
#define POP3_OUT_LOW		(16 * 1024)
/* RFC 1939 7: a unique-id is 1 to 70 characters of 0x21-0x7E. */
#define POP3_UIDL_MAX		70

struct pop3_msg {
	char		*name;		/* its file name in cur/ when the session began */
	uint64_t	 size;		/* octets as sent: W=, else S= (qmail-pop3d's) */
	uint16_t	 base_len;
	unsigned	 deleted:1;
	unsigned	 retrieved:1;	/* marked \Seen at QUIT */
};

enum pop3_state {
	P3_LOADING,		/* the maildrop is being read on a worker thread */
	P3_TRANSACTION,
	P3_SENDING,		/* a message or a listing goes out as output drains */
	P3_UPDATE,		/* QUIT: removing and flagging on a worker thread */
	P3_CLOSING,
};

enum pop3_send {
	SEND_NONE,
	SEND_MESSAGE,		/* RETR, TOP */
	SEND_LIST,
	SEND_UIDL,
};

struct pop3_session {
	struct mailbox_client	*c;
	struct conn		*conn;
	enum pop3_state		 state;
	struct scan_dir		 dir;
	int			 dir_open;
	struct pop3_msg		*msgs;
	size_t			 nmsgs;
	uint64_t		 total;		/* octets of the messages not deleted */
	size_t			 ndeleted;
	unsigned		 errors;
	int			 locked;
	struct buf		 out;		/* replies not yet handed to conn (pop3_flush) */
	char			 err[256];	/* from a worker thread */
	/* what goes out in P3_SENDING */
	enum pop3_send		 send;
	size_t			 next;		/* listing: the next message index */
	int			 fd;		/* message */
	uint64_t		 off;
	int			 top;		/* TOP: lines of the body still to send, -1 for RETR */
	long			 body_lines;
	int			 in_body;
	int			 at_bol;	/* the next byte begins a line */
	int			 prev_cr;
	int			 prev_lf;	/* the last byte sent was LF: header end on an empty line */
};

/* pop3_maildrop.c */
/* Reads the folder (and moves new/ to cur/), on a worker thread; then pop3_loaded. */
void	 pop3_maildrop_load(struct pop3_session *);
void	 pop3_loaded(struct pop3_session *, int ok);
/* QUIT: removes the deleted messages and marks the retrieved ones seen; then pop3_updated. */
void	 pop3_maildrop_update(struct pop3_session *);
void	 pop3_updated(struct pop3_session *, int ok);
/* The message's unique-id: its base name, or a digest of one RFC 1939 cannot carry. */
void	 pop3_uidl(const struct pop3_msg *, char *out, size_t outlen);
/* One POP3 session per maildrop at a time (RFC 1939 8: the maildrop is locked). */
int	 pop3_lock(struct pop3_session *);
void	 pop3_unlock(struct pop3_session *);
void	 pop3_maildrop_free(struct pop3_session *);

/* pop3_send.c */
/* Starts sending message i (0-based): all of it, or TOP's header and lines. */
int	 pop3_send_message(struct pop3_session *, size_t i, long lines);
void	 pop3_send_listing(struct pop3_session *, enum pop3_send);
/* Goes on with what is being sent; 1 when it is all out. */
int	 pop3_send_more(struct pop3_session *);
void	 pop3_send_abort(struct pop3_session *);

/* pop3_session.c */
void	 pop3_process(struct pop3_session *);
/* A reply, gathered in p->out with what else this turn answers. */
void	 pop3_printf(struct pop3_session *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Sends what was gathered: straight to the socket when nothing else waits
 * (one write per turn, no round through the event loop), the rest through
 * the connection, which keeps the back-pressure.
 */
void	 pop3_flush(struct pop3_session *);

#endif
