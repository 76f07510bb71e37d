/* Internals of the relay process shared by its server (tasks, destinations) and sessions. */
#ifndef TEGAMI_MTA_PRIV_H
#define TEGAMI_MTA_PRIV_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "mail/deliver.h"
#include "mta/mx.h"

struct action;
struct conf;
struct map;
struct event_base;
struct mta_session;

/* Connections at once per destination (a domain's MX set, or a smarthost). */
#define MTA_DEST_CONN_MAX	10
/* Recipients per transaction (RFC 5321 4.5.3.1.8 asks servers to take 100). */
#define MTA_RCPT_MAX		100
/* An idle connection waits this long for the next message to its destination. */
#define MTA_IDLE_SECONDS	5
/* How long resolved addresses are reused for new connections. */
#define MTA_RESOLVE_TTL		60

struct mta_rcpt {
	char			*dest;
	char			*notify;
	char			*orcpt;
	uint32_t		 idx;		/* index in the queue's request */
	int			 final;		/* result known */
	int			 accepted;	/* RCPT got 2xx in this transaction */
	enum deliver_result	 res;
	char			*text;
};

struct mta_task {
	TAILQ_ENTRY(mta_task)	 entry;
	uint64_t		 req;
	int			 fd;
	size_t			 msglen;
	char			*qid, *action, *domain, *sender, *envid;
	char			*prepend;	/* header fields sent before the file's bytes */
	uint32_t		 flags;		/* MTA_F_* */
	struct mta_rcpt		*rcpts;
	size_t			 nrcpt;
	struct mta_dest		*dest;
};
TAILQ_HEAD(mta_taskq, mta_task);

struct mta_dest {
	TAILQ_ENTRY(mta_dest)	 entry;
	char			*key;
	const struct action	*action;
	struct action		*routed;	/* action, when relay domain made it */
	char			*domain;	/* MX domain; NULL for a smarthost */
	struct conf		*conf;		/* action points into it */
	struct mta_taskq	 waiting;
	size_t			 nwaiting;
	unsigned		 nsessions;	/* connecting or connected */
	unsigned		 nconnecting;	/* not yet ready for a task */
	struct mta_session	*idle;		/* sessions waiting for a task (mta_session.c) */
	struct mx_query		*mxq;
	struct mx_addr		*addrs;
	size_t			 naddrs;
	time_t			 resolved_at;
};

struct mta_globals {
	struct event_base	*base;
	struct conf		*conf;
	struct map		*creds;		/* "action label" -> "user:password" */
	SSL_CTX			*tls_verify;	/* smarthosts: chain and name checked */
	SSL_CTX			*tls_opportunistic;	/* MX: encrypt, check nothing */
};
extern struct mta_globals	 mta;

/* mta_server.c */
/* A session is ready (or done with a task): the next waiting task, or NULL. */
struct mta_task	*mta_dest_next(struct mta_dest *);
void		 mta_dest_session_ready(struct mta_dest *);
void		 mta_dest_session_gone(struct mta_dest *, struct mta_session *,
		    int connected, enum deliver_result, const char *why);
/* The "user:password" of a relay action's URL label, or NULL. */
const char	*mta_creds(const struct action *);
/* Sets one recipient's result (first one wins). */
void		 mta_rcpt_result(struct mta_rcpt *, enum deliver_result, const char *text);
/* Every recipient without a result gets res/text, then the task is answered and freed. */
void		 mta_task_done(struct mta_task *, enum deliver_result res,
		    const char *text, const char *host);

/* mta_session.c */
/* A new connection to the destination's addresses; it asks for tasks when ready. */
void		 mta_session_new(struct mta_dest *);
/* An idle session of the destination (taken off the idle list), or NULL. */
struct mta_session *mta_session_take_idle(struct mta_dest *);
/* Gives an idle session its next task. */
void		 mta_session_run(struct mta_session *, struct mta_task *);

/* mta_route.c */
/*
 * "relay domain <table>": the relay URL the table gives for domain (or
 * "*.parent"), else NULL with a 451 reply in why; the admin may add it.
 */
const char	*mta_route_url(const struct action *, const char *domain,
		    char *why, size_t whylen);
/* A copy of the action whose host is url; NULL with a 451 reply for a bad URL. */
struct action	*mta_route_action(const struct action *, const char *url,
		    char *why, size_t whylen);
void		 mta_route_free(struct action *);

/* mta_src.c */
/* Binds fd to the action's source address of family, if any; -1 with why. */
int		 mta_src_bind(const struct action *, int fd, int family, char *why,
		    size_t whylen);
/* The HELO name: helo-src for the local address of fd, else helo, else the hostname. */
const char	*mta_helo(const struct action *, int fd);

/* mta_tls.c */
/*
 * The client contexts, and those of the actions' "ca" files from the text
 * in b (at start and on reload).
 */
struct bundle;
int		 mta_tls_init(const struct conf *, const struct bundle *b,
		    const char **errstr);
/* A new SSL for one connection to host (SNI unless an address; name check when verify). */
SSL		*mta_tls_new(const struct action *, const char *host, int verify,
		    const char **errstr);
/* After the handshake: 0 when the peer is acceptable, else -1 with why. */
int		 mta_tls_check(SSL *, int verify, char *why, size_t whylen);

#endif
