/* errstr texts that carry the system's reason, safe to build on worker threads. */
#ifndef TEGAMI_ERRSTR_H
#define TEGAMI_ERRSTR_H

/*
 * "what: strerror(err)" in storage private to the calling thread, valid
 * until that thread's next call: for the const char **errstr idiom in code
 * that runs on the worker pool.
 */
const char	*errstr_sys(const char *what, int err);

#endif
