/* The queue process: commits messages durably and schedules their deliveries. */
#ifndef TEGAMI_QUEUE_H
#define TEGAMI_QUEUE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "queue/envelope.h"
#include "queue/spool.h"

struct conf;
struct event;
struct event_base;
struct ipc;
struct pool;

/* Retry schedule for temporary failures (Postfix-like minimal/maximal backoff). */
#define QUEUE_BACKOFF_MIN	60
#define QUEUE_BACKOFF_MAX	3600
/* Deliveries in flight per delivery agent. */
#define QUEUE_MDA_INFLIGHT	128

/* A message in the queue, as the scheduler sees it. */
struct qmsg {
	TAILQ_ENTRY(qmsg)	 entry;
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
};

extern struct queue_server	 queue_server;

_Noreturn void	 queue_main(struct conf *, int parent_fd, int smtp_fd, int control_fd);

/* scheduler.c */
void		 sched_add(struct qmsg *, int fd, struct envelope *);
void		 sched_load(const char *id);
void		 sched_now(struct qmsg *);
void		 sched_mda_ready(const char *account, int fd);
void		 sched_mda_unavailable(const char *account, const char *why);
struct qmsg	*sched_find(const char *id);
void		 sched_remove(struct qmsg *);
void		 qmsg_free(struct qmsg *);

/* control.c */
void		 control_init(int fd);
void		 control_reload_result(uint64_t id, int ok, const char *message);

#endif
