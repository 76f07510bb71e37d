/* The mailbox process's side of a logged-in IMAP or POP3 session: what the protocol engines are given. */
#ifndef TEGAMI_MAILBOX_H
#define TEGAMI_MAILBOX_H

/*
 * Reading mail takes two processes (docs/architecture.md):
 *
 * - login (one, the unprivileged account, no access to the mail tree nor
 *   to password hashes) holds the imap/imaps/pop3/pop3s listeners, does
 *   TLS, parses everything a client sends before it has logged in, and
 *   asks the auth service to check the password;
 * - mailbox (one per account owning mail, as the delivery agents are)
 *   serves the sessions of every user whose Maildir that account owns,
 *   with the engines src/imap/ and src/pop3/.
 *
 * After a successful login the login process hands the client over:
 *
 * - a connection without TLS (imap and pop3 listeners, no STARTTLS/STLS)
 *   goes itself: the client's socket is passed to the mailbox process,
 *   with the bytes the login process had already read after the
 *   LOGIN/PASS/AUTH line (prefix below), and the login process no longer
 *   holds it, as Dovecot's login processes hand theirs to imap and pop3.
 *   With it comes one end of a socketpair that carries nothing (tie
 *   below): the login process counts the session against its connection
 *   limits, and logs its end, until that end closes;
 * - a TLS session stays in the login process, which holds the TLS state:
 *   it makes a socketpair, passes one end, and from then on only relays
 *   bytes, in clear, between the client and that end, with back-pressure
 *   both ways; bytes the client sent after its login line go through
 *   first.
 *
 * Either way the engine sees the session's fd as the client's socket: it
 * puts prefix back in front of the input (conn_unread()) so that it is read
 * first, then reads commands and writes responses on fd through
 * src/net/conn.h, and closing it closes the client's connection.
 *
 * The engine answers the login itself (IMAP: the tagged OK with the
 * capabilities of the authenticated state; POP3: "+OK" once the maildrop
 * is locked, "-ERR [IN-USE]" when another POP3 session holds it), since
 * only it knows whether the mailbox can be opened.
 *
 * Every session of one user, IMAP and POP3, lives in the same mailbox
 * process (the one of the account owning its Maildir), so sessions see
 * each other's changes in memory; inotify tells them of deliveries and
 * other programs' changes.
 */

struct event_base;
struct conf;
struct listener;

enum mailbox_proto {
	MAILBOX_IMAP,
	MAILBOX_POP3,
};

struct mailbox_client {
	struct event_base	*base;
	int			 fd;	/* the client's socket, or its bytes relayed in clear */
	int			 tie;	/* without TLS: closed when the session ends; else -1 */
	char			*prefix;	/* read by the login process after the login line */
	size_t			 prefixlen;
	enum mailbox_proto	 proto;
	char			*id;	/* session id for log lines, as the login process logged it */
	char			*login;	/* user@domain as the auth service found it (lower case) */
	char			*root;	/* the user's Maildir: INBOX, the folders below it */
	char			*addr;	/* the client's address, for logs */
	char			*tag;	/* IMAP: the tag of the LOGIN/AUTHENTICATE to answer; NULL for POP3 */
	int			 tls;	/* the client's connection is encrypted */
	int			 secure;	/* TLS or loopback: passwords may be sent (design.md) */
	const struct conf	*conf;	/* this process's configuration when the session began */
	const struct listener	*listener;	/* of conf */
};

/*
 * The engines' entry points. Each takes the client over (fd included) and
 * calls mailbox_client_free() when the session ends. They run on the
 * mailbox process's event loop and never block it: scans of large
 * folders, fsyncs and index writes go to worker threads (src/lib/pool.h,
 * the pool below).
 */
void	 imap_session_start(struct mailbox_client *);
void	 pop3_session_start(struct mailbox_client *);

/*
 * Frees the client: its strings, tie (the login process learns that the
 * session ended), and fd unless the engine set it to -1 after taking it.
 */
void	 mailbox_client_free(struct mailbox_client *);

/* The worker threads of the mailbox process, for the engines' blocking work. */
struct pool	*mailbox_pool(void);

/* The account this process runs as, for log lines. */
const char	*mailbox_account(void);

/*
 * Shutting down (SIGTERM from the parent): engines say goodbye ("* BYE",
 * nothing for POP3, whose dropped sessions remove nothing) and close.
 * The process exits when every session has ended or after a few seconds.
 */
void	 imap_shutdown(void);
void	 pop3_shutdown(void);

#endif
