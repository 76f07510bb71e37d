/* Worker threads for blocking work (fsync, password hashing), finished back on the event loop. */
#ifndef TEGAMI_POOL_H
#define TEGAMI_POOL_H

struct event_base;
struct pool;

/*
 * nthreads workers. Many fsyncs in flight at once is the point: the
 * filesystem commits them together, so the pool is sized for concurrency,
 * not for CPUs.
 */
struct pool	*pool_new(struct event_base *, int nthreads);
/*
 * Runs work(arg) on a worker, then done(arg) on the event loop's thread.
 * work must not touch event-loop state.
 */
void		 pool_run(struct pool *, void (*work)(void *), void (*done)(void *),
		    void *arg);
/* Jobs queued or running. */
unsigned	 pool_pending(const struct pool *);

#endif
