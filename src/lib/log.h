/* Logging: one call for every message, to syslog (facility mail) or stderr. */
#ifndef TEGAMI_LOG_H
#define TEGAMI_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

/*
 * log_init: to_stderr != 0 logs to stderr (tegamid -d), else to syslog.
 * verbose counts -v flags; LOG_DEBUG lines are dropped unless verbose > 0.
 */
void	log_init(int to_stderr, int verbose);
/* The name that prefixes each line ("smtp", "queue", ...), set after fork. */
void	log_procname(const char *name);
int	log_verbose(void);

/* The one logging call. Lines are "ID key=value ..." by convention. */
void	log_msg(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(int prio, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/*
 * Text of several lines (a configuration's FILE:LINE messages), one log
 * line each: a multi-line message would reach syslog as one line with \012.
 */
void	log_lines(int prio, const char *text);

/* Start-up errors and broken invariants only: log and exit(1). */
_Noreturn void fatal(const char *fmt, ...)	/* appends strerror(errno) */
	    __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * Text from clients is sanitised before it is logged: control and non-ASCII
 * bytes become \ooo, and the result is cut to fit dst (always NUL-terminated).
 * Returns dst.
 */
char	*log_clean(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
