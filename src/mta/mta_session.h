/* The relay client's connection state, shared by its set-up (mta_session.c) and transactions (mta_tx.c). */
#ifndef TEGAMI_MTA_SESSION_H
#define TEGAMI_MTA_SESSION_H

#include <sys/types.h>

#include <stddef.h>

#include "lib/buf.h"
#include "mail/dotstuff.h"
#include "mta/mta_priv.h"
#include "mail/reply_parse.h"

/* RFC 5321 4.5.3.2 timeouts, in seconds; connecting gets less than the RFC's minutes. */
#define T_CONNECT	30
#define T_GREETING	300
#define T_COMMAND	300
#define T_DATA_INIT	120
#define T_DATA_BLOCK	180
#define T_DATA_END	600
/* Bytes of message queued on the socket at once. */
#define BODY_CHUNK	(64 * 1024)
#define BODY_QUEUED	(256 * 1024)

enum st {
	ST_CONNECTING, ST_TLS_IMPLICIT, ST_GREETING, ST_EHLO, ST_HELO,
	ST_STARTTLS, ST_TLS_HANDSHAKE, ST_AUTH, ST_AUTH_USER, ST_AUTH_PASS,
	ST_READY, ST_TX, ST_BODY, ST_QUIT,
};

enum cmd { C_RSET, C_MAIL, C_RCPT, C_DATA, C_DOT, C_DISCARD };

struct pending {
	enum cmd	 cmd;
	size_t		 rcpt;
};

struct conn;

struct mta_session {
	struct mta_session	*next_idle;
	struct mta_dest		*dest;
	const struct action	*action;
	struct mx_addr		*addrs;		/* a copy: the destination may look up again */
	size_t			 naddrs, ai;
	char			 label[320];	/* "host[addr]" */
	char			 helo[256];	/* chosen once the local address is known */
	char			 lasterr[600];
	int			 connected;	/* ready at least once */
	int			 in_cb;		/* inside a libevent callback */
	int			 dead;		/* freed when the callback returns */
	int			 notls;		/* retrying without opportunistic TLS */
	int			 tls;		/* the connection is encrypted */
	int			 lmtp;
	int			 need_rset;
	enum st			 state;
	struct conn		*conn;
	struct event		*idle_timer;
	struct reply_parse	 reply;
	struct ehlo_caps		 caps;
	/* the transaction */
	struct mta_task		*task;
	struct pending		*cmds;
	size_t			 ncmds, nsent, nrecv;
	size_t			 first, count;	/* recipients of this transaction */
	size_t			 naccepted;
	int			 mail_failed;
	off_t			 body_off;
	struct dotstuff		 enc;
	struct buf		 out;
	size_t			 lmtp_next;	/* next accepted recipient awaiting its LMTP reply */
};

/* mta_session.c */
void	 mta_session_send(struct mta_session *, int timeout, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Read timeout for the reply now awaited; writes get T_DATA_BLOCK. */
void	 mta_session_timeout(struct mta_session *, int rsec);
/*
 * This address did not work out: the next one, or the end of the session.
 * Recipients of a task in flight get a temporary failure.
 */
void	 mta_session_fail(struct mta_session *, const char *why);
/* Set up, or done with a task: the destination's next task, or idle. */
void	 mta_session_ready(struct mta_session *);
/* Around a callback's work: the session is freed only once no callback runs. */
void	 mta_session_hold(struct mta_session *);
int	 mta_session_unhold(struct mta_session *);

/* mta_tx.c */
/* Starts the session's task: MAIL, RCPTs (at most MTA_RCPT_MAX), DATA. */
void	 mta_tx_start(struct mta_session *);
/* A complete reply while a transaction runs. */
void	 mta_tx_reply(struct mta_session *);
/* The socket took most of the message queued so far: more of the body. */
void	 mta_tx_body_room(struct mta_session *);

#endif
