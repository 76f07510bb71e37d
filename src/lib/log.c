/* Logging to syslog or stderr, with the process name; no line carries a control character raw. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

static int	 log_to_stderr = 1;
static int	 log_level_verbose;
static char	 log_name[32] = "tegamid";
/*
 * The pid in each stderr line, asked once: getpid(2) is a system call, and
 * a message is logged several times on its way. A fork forgets it.
 */
static atomic_int log_pid;	/* workers log too */
static pthread_once_t log_pid_once = PTHREAD_ONCE_INIT;

static void
log_pid_forget(void)
{
	atomic_store_explicit(&log_pid, 0, memory_order_relaxed);
}

static void
log_pid_watch_forks(void)
{
	(void)pthread_atfork(NULL, NULL, log_pid_forget);
}

static int
log_getpid(void)
{
	int	 pid;

	(void)pthread_once(&log_pid_once, log_pid_watch_forks);
	if ((pid = atomic_load_explicit(&log_pid, memory_order_relaxed)) == 0) {
		pid = (int)getpid();
		atomic_store_explicit(&log_pid, pid, memory_order_relaxed);
	}
	return pid;
}

void
log_init(int to_stderr, int verbose)
{
	log_to_stderr = to_stderr;
	log_level_verbose = verbose;
	if (!to_stderr)
		openlog("tegamid", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_procname(const char *name)
{
	snprintf(log_name, sizeof(log_name), "%s", name);
}

int
log_verbose(void)
{
	return log_level_verbose;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char	 raw[4096], line[4096];
	int	 saved = errno, n;

	if (prio == LOG_DEBUG && log_level_verbose == 0)
		return;
	if ((n = vsnprintf(raw, sizeof(raw), fmt, ap)) < 0)
		n = 0;
	/*
	 * Whatever a client, a server or a table put in the arguments, the
	 * line holds no control character, no invalid UTF-8 and nothing that
	 * reorders text on a terminal: each such octet is written \ooo.
	 */
	utf8_escape(line, sizeof(line), raw,
	    (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1);
	if (log_to_stderr) {
		struct timespec	 ts;
		struct tm	 tm;
		char		 stamp[32], out[sizeof(line) + 96];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		/*
		 * One write per line so lines of several processes never
		 * interleave; not dprintf, which costs an fstat and an lseek
		 * per line.
		 */
		n = snprintf(out, sizeof(out), "%s.%03ld %s[%d]: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_name, log_getpid(), line);
		if (n > 0 && (size_t)n >= sizeof(out)) {
			n = (int)sizeof(out) - 1;
			out[n - 1] = '\n';
		}
		if (n > 0)
			(void)!write(STDERR_FILENO, out, (size_t)n);
	} else
		syslog(prio, "%s: %s", log_name, line);
	errno = saved;
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

void
log_lines(int prio, const char *text)
{
	const char	*nl;

	for (; text != NULL && *text != '\0'; text = nl + 1) {
		if ((nl = strchr(text, '\n')) == NULL)
			nl = text + strlen(text);
		if (nl > text)
			log_msg(prio, "%.*s", (int)(nl - text), text);
		if (*nl == '\0')
			break;
	}
}

void
fatal(const char *fmt, ...)
{
	char	 msg[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(LOG_CRIT, "fatal: %s: %s", msg, strerror(saved));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(LOG_CRIT, "fatal: %s", msg);
	exit(1);
}

char *
log_clean(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t	 i, o = 0;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < srclen; i++) {
		unsigned char	 c = (unsigned char)src[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			snprintf(dst + o, 5, "\\%03o", c);
			o += 4;
		}
	}
	dst[o] = '\0';
	return dst;
}
