/* The queue process: commits messages durably and schedules their deliveries. */
#ifndef TEGAMI_QUEUE_H
#define TEGAMI_QUEUE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "mail/deliver.h"
#include "mail/envelope.h"
#include "queue/spool.h"

struct conf;
struct event;
struct event_base;
struct ipc;
struct ipc_msg;
struct pool;

/* Deliveries in flight per delivery agent. */
#define QUEUE_MDA_INFLIGHT	128

/* A pending delivery as show queue lists it, kept while the envelope is not loaded. */
struct qrcpt {
	size_t			 idx;		/* in the envelope's deliveries */
	char			*rcpt;
	char			*dest;
	char			*error;		/* last temporary failure, or NULL */
};

/* A result owed a delivery status report at the end of the round (bouncer.c). */
struct qdsn {
	size_t			 idx;		/* in the envelope's deliveries */
	int			 action;	/* enum bounce_action; -1 once settled */
	char			*text;		/* result text */
	char			*status;	/* enhanced code, or NULL: found in text */
};

/* A message in the queue, as the scheduler sees it. */
struct qmsg {
	TAILQ_ENTRY(qmsg)	 entry;
	TAILQ_ENTRY(qmsg)	 wait_entry;	/* waiting for a round slot */
	int			 waiting;
	char			 id[17];
	time_t			 ctime;
	char			*sender;
	size_t			 msglen;
	size_t			 ndeliveries;
	size_t			 npending;	/* not yet done or failed */
	/* while a delivery round runs */
	int			 fd;
	struct envelope		 env;
	unsigned		 inflight;
	int			 loaded;
	/* retries */
	unsigned		 attempts;
	time_t			 next_try;
	char			*last_error;
	struct event		*timer;
	/* reports */
	struct qrcpt		*rcpts;		/* pending deliveries */
	size_t			 nrcpts;
	struct qdsn		*dsn;		/* results owed a report this round */
	size_t			 ndsn;
	unsigned		 warned;	/* delay warnings sent; in memory only */
};

struct mda_chan;

struct queue_server {
	struct event_base	*base;
	struct conf		*conf;
	struct spool		 spool;
	struct pool		*pool;
	struct ipc		*parent;
	struct ipc		**smtp;		/* newest last */
	size_t			 nsmtp;
	TAILQ_HEAD(, qmsg)	 msgs;
	size_t			 nmsgs;
	struct mda_chan		*mdas;
	uint64_t		 next_req;
	/* counters for show stats */
	unsigned long long	 received, delivered, failed, tempfailed;
	unsigned long long	 expired, reports, reports_none, reports_deferred;
};

extern struct queue_server	 queue_server;

/*
 * The process's event loop; never returns. The parent sends the channels to
 * the smtp and mta processes (MSG_LINK) and new configurations (MSG_CONF).
 */
_Noreturn void	 queue_main(struct conf *, int parent_fd, int control_fd);

/* scheduler.c */
void		 sched_add(struct qmsg *, int fd, struct envelope *);
void		 sched_load(const char *id);
void		 sched_now(struct qmsg *);
void		 sched_mda_ready(const char *account, int fd);
void		 sched_mda_unavailable(const char *account, const char *why);
struct qmsg	*sched_find(const char *id);
/* The outcome of delivery idx of a message in a delivery round (relay.c reports through it). */
void		 sched_result(struct qmsg *, size_t idx, enum deliver_result,
		    const char *text);
void		 sched_remove(struct qmsg *);
/* A new configuration: every waiting message's next round is computed again. */
void		 sched_conf_changed(void);
void		 qmsg_free(struct qmsg *);
/* Ends a round whose reports are settled: closes the file, removes or reschedules. */
void		 sched_round_finish(struct qmsg *);
/* When delivery d expires: arrival plus its action's ttl, else the queue ttl. */
time_t		 sched_expiry(const struct qmsg *, const struct delivery *);

/* bouncer.c: delivery status reports (bounces, delay warnings, success) */
void		 bouncer_round(struct qmsg *);

/* qrcpt.c: per-recipient state in memory */
void		 qrcpt_sync(struct qmsg *);
void		 qrcpt_set_error(struct qmsg *, size_t idx, const char *);
/* The last temporary error of delivery idx, else the message's, else NULL. */
const char	*qrcpt_error(const struct qmsg *, size_t idx);
void		 qrcpt_free(struct qmsg *);
void		 qdsn_add(struct qmsg *, size_t idx, int action, const char *text,
		    const char *status);
int		 qdsn_failed(const struct qmsg *, size_t idx);
void		 qdsn_clear(struct qmsg *);
/* 1 when NOTIFY (NULL: not given) asks for a report of kind "SUCCESS", "FAILURE", "DELAY". */
int		 qdsn_wanted(const char *notify, const char *kind);

/* relay.c: DELIVER_RELAY deliveries go to the mta process */
/* Sends q's pending relay deliveries, counting each in q->inflight; returns how many. */
size_t		 relay_dispatch(struct qmsg *);
/* The channel to a (new) mta process. */
void		 relay_mta_ready(int fd);

/* control.c */
void		 control_init(int fd);
void		 control_smtp_ready(void);
void		 control_reload_result(uint64_t id, int ok, const char *message);

#endif
