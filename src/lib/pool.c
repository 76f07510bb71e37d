/* Thread pool with a completion queue signalled to libevent through an eventfd. */
#include <sys/eventfd.h>
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/pool.h"
#include "lib/xalloc.h"

struct job {
	STAILQ_ENTRY(job) entry;
	void		(*work)(void *);
	void		(*done)(void *);
	void		*arg;
};

STAILQ_HEAD(jobq, job);

struct pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct jobq	 todo;
	struct jobq	 finished;
	int		 efd;
	struct event	*ev;
	unsigned	 pending;
};

static void *
pool_worker(void *arg)
{
	struct pool	*p = arg;
	struct job	*j;
	uint64_t	 one = 1;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while ((j = STAILQ_FIRST(&p->todo)) == NULL)
			pthread_cond_wait(&p->cond, &p->lock);
		STAILQ_REMOVE_HEAD(&p->todo, entry);
		pthread_mutex_unlock(&p->lock);

		j->work(j->arg);

		pthread_mutex_lock(&p->lock);
		STAILQ_INSERT_TAIL(&p->finished, j, entry);
		pthread_mutex_unlock(&p->lock);
		while (write(p->efd, &one, sizeof(one)) == -1 && errno == EINTR)
			;
	}
	return NULL;
}

static void
pool_on_done(evutil_socket_t fd, short ev, void *arg)
{
	struct pool	*p = arg;
	struct jobq	 done;
	struct job	*j;
	uint64_t	 n;

	if (read(p->efd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		fatal("pool: eventfd read");
	STAILQ_INIT(&done);
	pthread_mutex_lock(&p->lock);
	STAILQ_CONCAT(&done, &p->finished);
	pthread_mutex_unlock(&p->lock);
	while ((j = STAILQ_FIRST(&done)) != NULL) {
		STAILQ_REMOVE_HEAD(&done, entry);
		p->pending--;
		if (j->done)
			j->done(j->arg);
		free(j);
	}
}

struct pool *
pool_new(struct event_base *base, int nthreads)
{
	struct pool	*p = xcalloc(1, sizeof(*p));
	pthread_attr_t	 attr;
	pthread_t	 t;
	int		 i;

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	STAILQ_INIT(&p->todo);
	STAILQ_INIT(&p->finished);
	if ((p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("pool: eventfd");
	p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, pool_on_done, p);
	if (p->ev == NULL || event_add(p->ev, NULL) == -1)
		fatalx("pool: event");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Workers only do system calls and hashing: a small stack is plenty. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < nthreads; i++)
		if ((errno = pthread_create(&t, &attr, pool_worker, p)) != 0)
			fatal("pool: pthread_create");
	pthread_attr_destroy(&attr);
	return p;
}

void
pool_run(struct pool *p, void (*work)(void *), void (*done)(void *), void *arg)
{
	struct job	*j = xmalloc(sizeof(*j));

	j->work = work;
	j->done = done;
	j->arg = arg;
	p->pending++;
	pthread_mutex_lock(&p->lock);
	STAILQ_INSERT_TAIL(&p->todo, j, entry);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

unsigned
pool_pending(const struct pool *p)
{
	return p->pending;
}
