/* SMTP session internals shared by the files of src/smtp/. */
#ifndef TEGAMI_SMTP_SESSION_H
#define TEGAMI_SMTP_SESSION_H

#include <sys/socket.h>
#include <sys/queue.h>

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "mail/addr.h"
#include "mail/dot.h"
#include "mail/envelope.h"
#include "mail/smtp_cmd.h"

struct conf;
struct conn;
struct conn_limits;
struct fcrdns;
struct filter_lookups;
struct hops;
struct ipc;
struct listener;
struct pending;
struct pool;
struct route_job;
struct smtp_mailauth;
struct throttle;
struct tls_server;

#define SMTP_ERRORS_MAX		20	/* then 421 and disconnect, like Postfix */
#define SMTP_TIMEOUT_SECS	300	/* RFC 5321 4.5.3.2.7 server timeout */
#define SMTP_DATA_TIMEOUT_SECS	600	/* 4.5.3.2.6 data termination */
#define SMTP_WBUF_SIZE		(64 * 1024)
/* The reverse lookup at connect waits at most this long before the banner. */
#define SMTP_RDNS_TIMEOUT_SECS	5

enum smtp_state {
	S_CONNECT,	/* connect phase: nothing said yet */
	S_GREETING,	/* banner sent, waiting for HELO/EHLO */
	S_READY,	/* after HELO/EHLO, no transaction */
	S_MAIL,		/* MAIL accepted */
	S_RCPT,		/* at least one RCPT accepted */
	S_DATA,		/* receiving DATA */
	S_BDAT,		/* between or inside BDAT chunks */
	S_QUIT,		/* closing after the output drains */
};

/* What the session waits for before reading more input. */
enum smtp_wait {
	W_NONE,
	W_PHASE,	/* a phase's lookups and filters */
	W_ROUTE,	/* the router, on a worker thread */
	W_CREATE,	/* queue file for DATA/BDAT */
	W_COMMIT,	/* commit of the message */
	W_AUTH,		/* the auth process's answer */
};

/* Where an AUTH exchange stands (RFC 4954). */
enum smtp_sasl {
	SASL_NONE,
	SASL_PLAIN,		/* 334 sent, waiting for the PLAIN response */
	SASL_LOGIN_USER,	/* 334 Username: */
	SASL_LOGIN_PASS,	/* 334 Password: */
};

/*
 * The phases of smtpd.conf(5) filtering: every command passes through its
 * phase, which may wait for asynchronous work (lookups, filters) before the
 * command proceeds (OpenSMTPD's check, filter, proceed).
 */
enum smtp_phase {
	PH_CONNECT, PH_HELO, PH_EHLO, PH_MAIL_FROM, PH_RCPT_TO, PH_DATA, PH_COMMIT,
};

/* What the connect phase learnt of the client's name. */
enum smtp_rdns {
	RDNS_UNKNOWN,		/* not looked up (local), or the lookup failed */
	RDNS_NONE,		/* no PTR record */
	RDNS_UNCONFIRMED,	/* a PTR name that does not resolve back */
	RDNS_CONFIRMED,		/* forward-confirmed (FCrDNS) */
};

struct smtp_server {
	struct event_base	*base;
	struct conf		*conf;		/* current; sessions hold their own reference */
	struct tls_server	*tls;
	struct ipc		*queue;
	struct ipc		*parent;
	struct ipc		*auth;
	struct ipc		*signer;	/* the DKIM signer (signing.c) */
	struct pending		*sign_reqs;	/* its requests in flight -> transaction */
	struct pool		*pool;		/* routing (user database, :include: files) */
	struct conn_limits	*limits;
	TAILQ_HEAD(, smtp_session) sessions;
	unsigned		 nsessions;
	struct pending		*by_id;		/* session id -> session */
	uint64_t		 next_id;
	struct throttle		*srs_throttle;	/* bad SRS recipients per address (srs_guard.c) */
};

typedef void	(*smtp_proceed)(struct smtp_session *);

struct smtp_session {
	TAILQ_ENTRY(smtp_session) entry;
	struct smtp_server	*server;
	struct conf		*conf;		/* the configuration the session started with */
	uint64_t		 id;
	struct conn		*conn;
	struct listener		*listener;
	/* The client's address (TCP only): not a sockaddr_storage, 100 bytes an idle session need not hold. */
	union {
		struct sockaddr		 sa;
		struct sockaddr_in	 sin;
		struct sockaddr_in6	 sin6;
	}			 peer;
	char			 addr[64];	/* printable peer address, "local" */
	int			 local;		/* socket or loopback: counts as secure */
	int			 from_socket;
	unsigned		 uid;		/* socket peer's uid */

	enum smtp_state		 state;
	enum smtp_wait		 wait;
	int			 esmtp;
	char			*helo;		/* never NULL: "" before HELO/EHLO (smtp_set_helo) */
	uint8_t			 srs_failures;	/* refused SRS recipients (srs_guard.c) */
	uint16_t		 junk_cmds;	/* commands that moved no mail (limits.c) */
	unsigned		 errors;
	unsigned		 nmails;
	/*
	 * Deadlines (limits.c): when the session started, and seconds after
	 * that, plus one, when a command line began to be awaited and when the
	 * body began (0: none).
	 */
	time_t			 started;
	uint32_t		 cmd_at;
	uint32_t		 data_at;
	struct hops		*hops;		/* the body's header, for loops (limits.c) */
	int			 closing;	/* freed once no reply is awaited */
	int			 peer_gone;	/* EOF or error: nothing more can be sent */
	int			 free_scheduled;

	/* connect phase */
	enum smtp_rdns		 rdns;
	char			*rdns_name;	/* the PTR name (confirmed or not), or NULL */
	struct fcrdns		*fcrdns;	/* lookup in flight */

	/* the phase in progress */
	enum smtp_phase		 phase;
	smtp_proceed		 proceed;
	unsigned		 phase_pending;	/* its asynchronous steps not done yet */

	/* filters (filter.c, guard.c) */
	struct filter_lookups	*lookups;	/* DNS lists of the phase in progress */
	int			 junk;		/* junked at connect, helo or ehlo */
	int			 no_service;	/* rejected at connect: only QUIT is served */
	char			 filter_enh[16];	/* the enhanced code of a filter's reply */

	/* TLS and AUTH */
	int			 tls;		/* implicit, or after STARTTLS */
	const char		*tls_version;	/* OpenSSL's static strings, after the handshake */
	const char		*tls_cipher;
	int			 tls_bits;
	char			*auth_user;	/* the login, after 235 */
	enum smtp_sasl		 sasl;
	char			*sasl_login;	/* LOGIN: the user name given, or NULL */
	unsigned		 auth_failures;

	/* RCPT being routed */
	struct route_job	*route;
	char			*rcpt_addr;
	int			 rcpt_notify;
	char			*rcpt_orcpt;

	/* transaction */
	struct envelope		 env;
	unsigned		 nrcpt;
	long long		 declared_size;
	int			 body_8bit;
	int			 smtputf8;
	char			 qid[17];
	int			 qfd;
	/* The next message's queue file, asked for ahead (smtp_queue_prepare). */
	char			 next_qid[17];
	int			 next_qfd;	/* -1: not made yet */
	int			 next_asked;	/* the queue's answer is awaited */
	size_t			 msglen;
	int			 write_errno;
	struct buf		 wbuf;		/* message bytes waiting to be written */
	struct dot		 dot;
	/* BDAT */
	size_t			 chunk_left;
	int			 chunk_last;
	int			 bdat_failed;	/* reply code owed at LAST, 0 if none */
	const char		*bdat_enh;
	const char		*bdat_text;
	int			 cr_pending;	/* BDAT: a CR ended the previous chunk */
	int			 bdat_discard;	/* BDAT out of sequence: swallow, then 503 */
	int			 hold_header;	/* masquerade, mail-auth: header kept in wbuf until it ends */
	size_t			 hdr_start;	/* where the client's header starts in wbuf */
	struct smtp_mailauth	*ma;		/* DKIM signing and checks (mailauth.c), or NULL */
};

/* session.c */
void	 smtp_session_new(struct smtp_server *, int fd, struct listener *,
	    const struct sockaddr *, socklen_t, int from_socket, unsigned uid,
	    const char *unread, size_t unreadlen);
void	 smtp_reply(struct smtp_session *, int code, const char *enhanced,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 smtp_reply_raw(struct smtp_session *, const char *, size_t);
void	 smtp_close(struct smtp_session *);
void	 smtp_process(struct smtp_session *);
void	 smtp_tx_reset(struct smtp_session *);
const char *smtp_hostname(const struct smtp_session *);
struct smtp_session *smtp_find(struct smtp_server *, uint64_t id);
/* An answer the session waited for arrived: go on reading commands. */
void	 smtp_resume(struct smtp_session *);

/* phase.c */
/*
 * Runs the phase's asynchronous work; proceed(s) follows once it is done,
 * now or from the event loop. The session reads no command meanwhile.
 */
void	 smtp_phase(struct smtp_session *, enum smtp_phase, smtp_proceed);
/* A closing session stops waiting for lookups. */
void	 smtp_phase_cancel(struct smtp_session *);
/* The name the rules and the Received header may trust: the confirmed one, or NULL. */
const char *smtp_rdns_verified(const struct smtp_session *);

/* cmd_session.c: HELO EHLO RSET NOOP QUIT HELP VRFY EXPN */
void	 smtp_cmd_helo(struct smtp_session *, struct smtp_cmd *);
void	 smtp_set_helo(struct smtp_session *, const char *);
void	 smtp_sasl_forget(struct smtp_session *);
void	 smtp_cmd_misc(struct smtp_session *, struct smtp_cmd *);

/* cmd_envelope.c: MAIL RCPT */
void	 smtp_cmd_mail(struct smtp_session *, struct smtp_cmd *);
void	 smtp_cmd_rcpt(struct smtp_session *, struct smtp_cmd *);

/* cmd_data.c: DATA BDAT and the message body */
void	 smtp_cmd_data(struct smtp_session *, struct smtp_cmd *);
void	 smtp_cmd_bdat(struct smtp_session *, struct smtp_cmd *);
/* Feeds body bytes from input; returns 1 when it consumed input. */
int	 smtp_data_input(struct smtp_session *);
int	 smtp_bdat_input(struct smtp_session *);
void	 smtp_queue_created(struct smtp_session *, const char *qid, int fd);
void	 smtp_queue_prepare(struct smtp_session *);
void	 smtp_queue_ahead_failed(struct smtp_session *);
void	 smtp_queue_forget(struct smtp_session *);
void	 smtp_queue_committed(struct smtp_session *);
void	 smtp_queue_failed(struct smtp_session *, int err);
void	 smtp_data_abort(struct smtp_session *);
/* The queue process died: a transaction in its hands fails with 451. */
void	 smtp_queue_gone(struct smtp_session *);

/* limits.c: commands that move no mail, deadlines */
/* Counts HELO, EHLO, RSET, NOOP, VRFY, EXPN, HELP: past 100, each is an error. */
void	 smtp_count_junk(struct smtp_session *, enum smtp_verb);
/* A command line is awaited (its clock starts unless running) / was read. */
void	 smtp_command_waits(struct smtp_session *);
void	 smtp_command_read(struct smtp_session *);
/* Checked as input arrives: 1 when a deadline passed (421 sent, closing). */
int	 smtp_deadline_passed(struct smtp_session *);

/* The body starts / brings octets / is complete: 1 when it made too many hops. */
void	 smtp_hops_start(struct smtp_session *);
void	 smtp_hops_feed(struct smtp_session *, const char *, size_t);
int	 smtp_hops_exceeded(struct smtp_session *);

/* local.c: the local enqueuer */
/* The socket peer's user name (looked up now, into buf), or NULL. */
const char *smtp_local_user(const struct smtp_session *, char *buf, size_t len);
/* " uid=N user=NAME" for log lines of a local session, "" otherwise. */
const char *smtp_local_tag(const struct smtp_session *, char *buf, size_t len);

/* srs_guard.c: bad SRS recipients per session and per client address */
/* 1 when SRS recipients from this client are refused for now: 450 was sent. */
int	 smtp_srs_throttled(struct smtp_session *, const char *rcpt);
/* The router refused rcpt as an SRS address: counted; the third ends the session. */
void	 smtp_srs_refused(struct smtp_session *, const char *rcpt);

/* smtp_tls.c: STARTTLS, implicit TLS, and the rules of tls-require */
/* smtps: TLS from the first byte. -1 when no certificate is there. */
int	 smtp_tls_implicit(struct smtp_session *);
void	 smtp_cmd_starttls(struct smtp_session *, struct smtp_cmd *);
/* 1 when a tls-require listener has no TLS yet: 530 was sent. */
int	 smtp_tls_required(struct smtp_session *);
/* The handshake is done. */
void	 smtp_tls_established(struct smtp_session *);
/* Logs why a handshake failed (nothing once it succeeded). */
void	 smtp_tls_log_error(struct smtp_session *);

/* cmd_auth.c: AUTH PLAIN and LOGIN */
void	 smtp_cmd_auth(struct smtp_session *, struct smtp_cmd *);
/* A line of an AUTH exchange (the session is in a SASL_* state). */
void	 smtp_auth_response(struct smtp_session *, const char *line, size_t len);
void	 smtp_auth_result(struct smtp_session *, unsigned result, const char *login);
/* Passwords are accepted here: TLS, the local socket, or loopback. */
int	 smtp_auth_secure(const struct smtp_session *);
/* 1 when AUTH is required first and missing: 530 was sent. */
int	 smtp_auth_required(struct smtp_session *);
/* 1 when the authenticated user may not use sender: 553 was sent. */
int	 smtp_auth_sender_refused(struct smtp_session *, const char *sender);

#endif
