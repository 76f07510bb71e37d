/* The one list of messages between tegami's processes, and who may send each to whom. */
#ifndef TEGAMI_MSG_H
#define TEGAMI_MSG_H

#include <stdint.h>

enum proc_id { PROC_PARENT, PROC_SMTP, PROC_QUEUE, PROC_MDA, PROC_MTA,
    PROC_AUTH, PROC_LOGIN, PROC_MAILBOX, PROC_SIGNER, PROC_COUNT };

/* A set of processes, for the table of who may send what to whom. */
#define PROC_BIT(p)	(1U << (p))
#define PROC_CHILDREN	(PROC_BIT(PROC_SMTP) | PROC_BIT(PROC_QUEUE) | \
			 PROC_BIT(PROC_MDA) | PROC_BIT(PROC_MTA) | PROC_BIT(PROC_AUTH) | \
			 PROC_BIT(PROC_LOGIN) | PROC_BIT(PROC_MAILBOX) | \
			 PROC_BIT(PROC_SIGNER))
/* The processes that log users in through the auth service. */
#define PROC_AUTH_CLIENTS	(PROC_BIT(PROC_SMTP) | PROC_BIT(PROC_LOGIN))

/*
 * Payloads are listed as the ipc_add_* calls that build them. The request
 * id of a reply is the id of its request.
 */
enum msg_type {
	/* smtp -> queue: open a new incoming file.  (none)
	 * reply MSG_QUEUE_CREATED: str qid + fd, or MSG_QUEUE_FAILED */
	MSG_QUEUE_CREATE = 1,
	MSG_QUEUE_CREATED,
	/* smtp -> queue: commit it.  str qid, u64 msglen, data envelope text
	 * reply MSG_QUEUE_COMMITTED or MSG_QUEUE_FAILED */
	MSG_QUEUE_COMMIT,
	MSG_QUEUE_COMMITTED,
	/* queue -> smtp: u32 errno */
	MSG_QUEUE_FAILED,
	/* smtp -> queue: str qid; the transaction was abandoned */
	MSG_QUEUE_ABORT,

	/* queue -> smtp: a local enqueuer connected to the control socket.
	 * fd, u32 uid, data the bytes read after its ENQUEUE line */
	MSG_SMTP_LOCAL_SESSION,

	/* parent -> any child: the channel to a peer process, new or replacing
	 * one that died.  u32 enum proc_id of the peer, fd */
	MSG_LINK,
	/* parent -> any child: a new configuration (reload, update table).
	 * fd (sealed memory file: the bundle of src/conf/bundle.h, secrets the
	 * child may not hold withheld), u64 generation
	 * reply MSG_CONF_APPLIED: u64 generation, u32 ok, str error */
	MSG_CONF,
	MSG_CONF_APPLIED,

	/* queue -> parent: a delivery agent for an account.  str account
	 * reply MSG_MDA_READY: str account + fd (channel), or MSG_MDA_UNAVAILABLE: str account, str why */
	MSG_MDA_SPAWN,
	MSG_MDA_READY,
	MSG_MDA_UNAVAILABLE,
	/* queue -> parent: reload everything, or one table.  str table name or NULL
	 * reply MSG_RELOAD_RESULT: u32 ok, str message */
	MSG_RELOAD,
	MSG_RELOAD_RESULT,

	/* queue -> mda: deliver one.  fd (queue file), u64 msglen, u32 method,
	 * str qid, str sender, str rcpt, str dest, str path, str account,
	 * str header fields to put before the message (or NULL), str folder
	 * ("" or ".Junk")
	 * reply MSG_MDA_RESULT: u32 enum deliver_result, str text */
	MSG_MDA_DELIVER,
	MSG_MDA_RESULT,

	/* queue -> mta: one transaction for one (action, recipient domain).
	 * fd (queue file), u64 msglen, str qid, str action, str domain,
	 * str sender, str envid, str header fields to send before the message
	 * (or NULL), u32 MTA_F_* flags, u32 nrcpt, then per
	 * recipient: str dest, str notify, str orcpt
	 * reply: one MSG_MTA_RESULT per recipient: u32 index,
	 * u32 enum deliver_result, str text, str host (or NULL) */
	MSG_MTA_DELIVER,
	MSG_MTA_RESULT,

	/* smtp or login -> auth: check a login.  u32 listener index (in conf->listeners),
	 * str login, str password, str client address ("local" for the socket)
	 * reply MSG_AUTH_RESULT: u32 enum auth_result, str login as found,
	 * str ticket (for AUTH_OK: what the mailbox process checks, lib/ticket.h) */
	MSG_AUTH_CHECK,
	MSG_AUTH_RESULT,
	/* auth -> parent: a good login whose stored hash is not bcrypt.
	 * u32 listener index, str the table's key, str the password; the
	 * parent checks the password against the table itself, then rewrites
	 * the entry with a bcrypt hash (no reply) */
	MSG_AUTH_REHASH,

	/* login -> parent: the mailbox process of an account.  str account
	 * reply MSG_MAILBOX_READY: str account + fd (channel to it), or
	 * MSG_MAILBOX_UNAVAILABLE: str account, str why */
	MSG_MAILBOX_SPAWN,
	MSG_MAILBOX_READY,
	MSG_MAILBOX_UNAVAILABLE,
	/* login -> mailbox: a logged-in client (src/mailbox/mailbox.h).
	 * Without TLS: fd the client's socket, fd2 one end of a socketpair
	 * that carries nothing (its close ends the session in login); with
	 * TLS: fd the session's end of a relayed socketpair. u32 enum
	 * mailbox_proto, u32 listener index, u32 flags (MAILBOX_F_*), str
	 * session id, str login, str ticket, str client address, str IMAP tag
	 * (or NULL), data the bytes read after the login line */
	MSG_MAILBOX_SESSION,

	/* smtp -> signer: sign a DKIM digest with the key of a dkim-sign filter.
	 * str domain (d=), str selector (s=), u32 enum dkim_alg, data the
	 * SHA-256 of the header data (32 octets, RFC 6376 3.7)
	 * reply MSG_SIGNER_RESULT: u32 ok, data signature (b=, raw), str error */
	MSG_SIGNER_SIGN,
	MSG_SIGNER_RESULT,

	MSG_TYPE_MAX
};

/* MSG_AUTH_RESULT's verdict. */
enum auth_result {
	AUTH_OK,
	AUTH_FAIL,		/* unknown login or wrong password: 535 */
	AUTH_THROTTLED,		/* too many failures from this address: 454 */
	AUTH_TEMPFAIL,		/* no usable credentials table: 454 */
};

/* MSG_MAILBOX_SESSION's flags. */
#define MAILBOX_F_TLS		0x01	/* the client's connection is encrypted */
#define MAILBOX_F_SECURE	0x02	/* TLS or loopback */

/* MSG_MTA_DELIVER's flags. */
#define MTA_F_RET_FULL	0x01	/* DSN RET=FULL */
#define MTA_F_8BIT	0x02	/* the body is 8-bit: needs 8BITMIME */
#define MTA_F_SMTPUTF8	0x04	/* needs SMTPUTF8 */

/* Returns when from may send type to to; a broken invariant otherwise (fatalx). */
void		 msg_check(uint32_t type, enum proc_id from, enum proc_id to);
const char	*msg_name(uint32_t type);

#endif
