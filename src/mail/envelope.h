/* A queued message's envelope: sender, session facts and one delivery per resolved recipient. */
#ifndef TEGAMI_ENVELOPE_H
#define TEGAMI_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct map;

enum delivery_method {
	DELIVER_MAILDIR, DELIVER_MBOX, DELIVER_MDA, DELIVER_LMTP, DELIVER_RELAY,
};

/* States a delivery passes through; the byte is rewritten in place in the queue file. */
enum delivery_state {
	DSTATE_PENDING = 'P',
	DSTATE_DONE = 'D',	/* delivered */
	DSTATE_FAILED = 'F',	/* failed permanently, bounce owed or sent */
};

/*
 * One destination of one RCPT after match rules and alias/virtual expansion.
 * Resolution happens at RCPT time so that unknown users are refused in the
 * SMTP dialogue and the queue needs no tables.
 */
struct delivery {
	enum delivery_state	 state;
	enum delivery_method	 method;
	char			*rcpt;		/* address as given in RCPT TO */
	char			*dest;		/* address after expansion */
	char			*action;	/* action name */
	char			*account;	/* system account that writes it (maildir, mbox, mda) */
	char			*path;		/* maildir path, mbox file, mda command, relay domain */
	char			*notify;	/* DSN NOTIFY= value, or NULL */
	char			*orcpt;		/* DSN ORCPT= value, or NULL */
	/*
	 * Reverse-path for this delivery instead of the envelope's (SRS for
	 * forwarded mail), or NULL. An optional 8th field of the D line, so
	 * files written before it existed still load.
	 */
	char			*sender;
	size_t			 state_offset;	/* file offset of the state byte, set by the parser */
};

struct envelope {
	char			 id[17];	/* 16 hex digits */
	time_t			 ctime;		/* accepted at */
	char			*sender;	/* reverse-path, "" for <> */
	char			*helo;
	char			*client_addr;	/* "127.0.0.1", "local" for the socket */
	char			*client_name;	/* rDNS or NULL */
	char			*auth_user;	/* or NULL */
	char			*envid;		/* DSN ENVID= or NULL */
	/*
	 * Header fields made after the body was stored (Authentication-Results,
	 * DKIM-Signature): complete fields with LF line ends, put before the
	 * message when it is delivered or relayed, so the body is never
	 * rewritten. NULL when none.
	 */
	char			*prepend;
	int			 dsn_ret_full;	/* RET=FULL */
	int			 smtputf8;
	int			 body_8bit;
	/*
	 * A filter junked the transaction: maildir actions with junk deliver
	 * it into the Junk folder. An optional "J 1" line.
	 */
	int			 junk;
	struct delivery		*deliveries;
	size_t			 ndeliveries;
	struct map		*seen;		/* envelope_add_unique()'s index, or NULL */
};

void	 envelope_init(struct envelope *);
void	 envelope_free(struct envelope *);
/* Adds a copy of d (strings duplicated). */
void	 envelope_add(struct envelope *, const struct delivery *d);
/*
 * Adds a copy of d unless the envelope already holds the same delivery:
 * the same mailbox (method, account and path for Maildir and mbox, where
 * the path names the mailbox), or the same method, action, account, path,
 * destination and reverse-path for the others. Duplicate RCPTs and an
 * alias to a user also named are then one delivery, one copy on disk.
 * Returns 1 when added, 0 for a duplicate.
 */
int	 envelope_add_unique(struct envelope *, const struct delivery *d);

/*
 * Text form: one "KEY value" line per field, values escaped so that no
 * line holds a control character. Deliveries are "D <state> ..." lines; the
 * parser records where each state byte is, so it can be rewritten in place.
 * base is the file offset at which the envelope text starts.
 */
int	 envelope_serialize(const struct envelope *, struct buf *out);
/*
 * After serializing e into text (at file offset base), records where each
 * delivery's state byte is, as envelope_parse() would.
 */
void	 envelope_set_offsets(struct envelope *, const char *text, size_t len,
	    size_t base);
int	 envelope_parse(struct envelope *, const char *text, size_t len,
	    size_t base, const char **errstr);

#endif
