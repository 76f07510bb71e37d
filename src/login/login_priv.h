/* The login process's sessions: shared by its files (server, session, IMAP and POP3 greetings and logins, relay). */
#ifndef TEGAMI_LOGIN_PRIV_H
#define TEGAMI_LOGIN_PRIV_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/msg.h"
#include "mail/imap_reader.h"
#include "mail/sasl.h"
#include "mailbox/mailbox.h"

struct conf;
struct conn;
struct conn_limits;
struct event_base;
struct ipc;
struct listener;
struct pending;
struct pool;
struct tls_server;

/*
 * Before login a client gets little: short lines, a few commands, a
 * couple of minutes. What it may send before it is known is what an
 * attacker may send to everyone.
 */
#define LOGIN_LINE_MAX		8192	/* a command line (AUTH responses fit: base64 of 4 KiB) */
#define LOGIN_LITERAL_MAX	4096	/* an IMAP literal before login: a name or a password */
#define LOGIN_IDLE_SECS		120	/* silence before login */
#define LOGIN_DEADLINE_SECS	300	/* the whole way to a login */
#define LOGIN_ERRORS_MAX	10	/* bad commands, then goodbye */
#define LOGIN_FAILS_MAX		3	/* failed logins on one connection */
#define LOGIN_RELAY_WRITE_SECS	600	/* a relayed client that takes none of its output */

enum login_wait {
	LW_NONE,
	LW_AUTH,	/* the auth process checks the password */
	LW_ROUTE,	/* where the login's Maildir is (a worker thread) */
	LW_MAILBOX,	/* the mailbox process of the account is being started */
};

/* An SASL exchange in progress (IMAP AUTHENTICATE, POP3 AUTH). */
enum login_sasl {
	LS_NONE,
	LS_PLAIN,	/* waiting for the PLAIN response */
	LS_LOGIN_USER,
	LS_LOGIN_PASS,
};

struct mailbox_link;

struct login_session {
	TAILQ_ENTRY(login_session) entry;
	TAILQ_ENTRY(login_session) waiting;	/* for its mailbox process */
	struct login_server	*srv;
	uint64_t		 id;
	char			 idstr[20];
	struct conn		*conn;		/* the client */
	struct conn		*peer;		/* the mailbox process, once relayed */
	struct conf		*conf;		/* when the session began */
	const struct listener	*listener;
	uint32_t		 listener_index;
	enum mailbox_proto	 proto;
	char			 addr[64];
	int			 loopback;
	int			 tls;
	enum login_wait		 wait;
	enum login_sasl		 sasl;
	int			 closing;
	int			 relaying;	/* after login: relayed, or handed over (direct) */
	int			 direct;	/* the client's socket went to the mailbox process */
	int			 counted;	/* in L.limits by addr, without a connection */
	int			 free_scheduled;
	unsigned		 errors;
	unsigned		 fails;
	char			 sasl_login[SASL_LOGIN_MAX + 1];
	char			*tag;		/* IMAP: of the login command in progress */
	char			*user;		/* POP3: from USER */
	char			*login;		/* as the auth process found it */
	char			*ticket;
	char			*account;	/* owning the Maildir */
	struct mailbox_link	*mbox;
	struct imap_reader	*rd;		/* IMAP, before login */
	uint64_t		 relayed_in, relayed_out;
};
TAILQ_HEAD(login_sessionq, login_session);

/* The channel to one account's mailbox process. */
struct mailbox_link {
	char			*account;
	struct ipc		*ipc;		/* NULL until it is ready */
	int			 spawning;
	struct login_sessionq	 waiting;
};

struct login_server {
	struct event_base	*base;
	struct conf		*conf;
	struct tls_server	*tls;
	struct ipc		*parent;
	struct ipc		*auth;
	struct pending		*by_id;
	struct conn_limits	*limits;
	struct pool		*pool;
	struct login_sessionq	 sessions;
	unsigned		 nsessions;
	uint64_t		 next_id;
	struct mailbox_link	**links;
	size_t			 nlinks;
};

extern struct login_server	 L;

/* login_session.c */
void	 login_session_new(int fd, const struct sockaddr *, socklen_t,
	    struct listener *);
/* Passwords may be sent: TLS, or loopback on a listener that does not require TLS. */
int	 login_secure(const struct login_session *);
/* STARTTLS/STLS: begins the handshake after the OK already queued; -1 closes. */
int	 login_starttls(struct login_session *);
int	 login_tls_offered(const struct login_session *);
/* Hands login and password to the auth process; the answer comes to login_auth_result. */
void	 login_auth_ask(struct login_session *, struct sasl_creds *);
void	 login_auth_result(struct login_session *, enum auth_result,
	    const char *login, const char *ticket);
/* One SASL response line (base64, or "*" to cancel): 0 done or going on, -1 malformed. */
int	 login_sasl_step(struct login_session *, const char *line, size_t len);
/*
 * Starts an exchange: mech PLAIN or LOGIN, with an initial response
 * (already decoded) or not. -1 for another mechanism.
 */
int	 login_sasl_start(struct login_session *, const char *mech,
	    const unsigned char *ir, size_t irlen, int has_ir);
void	 login_sasl_cancel(struct login_session *);
void	 login_close(struct login_session *);
void	 login_abort(struct login_session *);
/* Processes what the client sent, as its protocol reads it. */
void	 login_process(struct login_session *);
/* A mailbox process is ready, or will not be. */
void	 login_mailbox_ready(const char *account, int fd);
void	 login_mailbox_unavailable(const char *account, const char *why);
void	 login_mailbox_lost(struct mailbox_link *);

/* imap_login.c */
void	 imap_login_greet(struct login_session *);
void	 imap_login_input(struct login_session *);
/* The auth process said no (or could not say): the tagged answer. */
void	 imap_login_failed(struct login_session *, enum auth_result);
/* A SASL challenge ("" for none) or the end of an exchange's line. */
void	 imap_login_challenge(struct login_session *, const char *b64);
void	 imap_login_sasl_bad(struct login_session *, const char *text);
/* Login worked but the mailbox cannot be reached: the tagged answer, then close. */
void	 imap_login_unavailable(struct login_session *, const char *why);
void	 imap_login_bye(struct login_session *, const char *text);

/* pop3_login.c */
void	 pop3_login_greet(struct login_session *);
void	 pop3_login_input(struct login_session *);
void	 pop3_login_failed(struct login_session *, enum auth_result);
void	 pop3_login_challenge(struct login_session *, const char *b64);
void	 pop3_login_sasl_bad(struct login_session *, const char *text);
void	 pop3_login_unavailable(struct login_session *, const char *why);

/* login_direct.c */
/* No TLS here and nothing left to send: the client's socket may go itself. */
int	 login_direct_possible(const struct login_session *);
/* Takes the socket from the session's connection (-1 if it cannot), with what was read ahead. */
int	 login_direct_detach(struct login_session *, char **prefix,
	    size_t *prefixlen);
/* Holds the session (limits, log lines) until tie, passed with the socket, closes. */
void	 login_direct_start(struct login_session *, int tie);

/* login_relay.c */
/* From now on bytes only: client <-> the mailbox process's end of the socketpair. */
void	 login_relay_start(struct login_session *, int fd);

#endif
