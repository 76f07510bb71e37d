/* Benchmark load generator: holds many idle sessions open from one thread with epoll. */

/*
 * idleload -m MODE -p PORT -n TOTAL [-k FIRST] [-a ADDRS] [-c PARALLEL]
 *          [-t SECONDS] [-S SNI] [-u USER -w PASSWORD]
 *
 * Opens TOTAL connections to 127.0.0.1:PORT, at most PARALLEL of them still
 * in their opening dialogue at once, connection i from the source address
 * 127.0.0.(1 + i % ADDRS). Each one runs the script of MODE, then stays idle:
 *
 *   smtp      banner 220, EHLO, 250
 *   smtp-tls  banner 220, EHLO, 250, STARTTLS, 220, TLS 1.3 handshake,
 *             EHLO, 250 (over TLS)
 *   imap-idle greeting * OK, LOGIN USER PASSWORD (in clear), OK, SELECT
 *             INBOX, OK, IDLE, the continuation "+"
 *
 * A new mode is a new script in modes[] and, for replies of a new kind, a
 * new step kind beside STEP_SMTP_REPLY and the STEP_IMAP_* ones. An idle
 * IMAP connection may receive untagged "* OK" lines (Dovecot's "Still
 * here" every two minutes of IDLE); anything else ends it as "closed".
 *
 * The driver talks to it through stdin and stdout. Once the first FIRST
 * connections have each become idle or failed (or SECONDS have passed), it
 * prints
 *
 *   stage target=N idle=N failed=N closed=N elapsed=S
 *
 * and waits for a line on stdin before it opens the others; after all TOTAL
 * it prints a second stage line and waits for "stop" or the end of stdin.
 * Then it prints
 *
 *   done idle=N failed=N closed=N user=S sys=S error=TEXT
 *
 * and exits without closing anything itself. idle counts the connections
 * that are idle now; closed those the server closed (or wrote to) after they
 * had become idle; failed those that never did; error is the first failure.
 * Without -k there is one stage. Idle connections are watched all along, so
 * that a server closing them during the measurement is seen.
 */

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define TOTAL_MAX	200000
#define ADDRS_MAX	254	/* 127.0.0.1 to 127.0.0.254 */
#define LINE_MAX_LEN	512	/* longer reply lines are an error */
#define REPLY_LINES_MAX	100
#define EVENTS_MAX	256

enum step_kind {
	STEP_SEND,		/* write text */
	STEP_SMTP_REPLY,	/* read one SMTP reply, want code */
	STEP_IMAP_GREETING,	/* read the greeting, want "* OK" */
	STEP_IMAP_TAGGED,	/* read up to the completion of tag text, want OK */
	STEP_IMAP_CONT,		/* read up to a continuation request "+" */
	STEP_TLS,		/* TLS client handshake */
	STEP_IDLE		/* the end: nothing more is sent */
};

struct step {
	enum step_kind	 kind;
	const char	*text;	/* STEP_SEND: what (NULL: the LOGIN command);
				   STEP_SMTP_REPLY: after what; STEP_IMAP_TAGGED: the tag */
	int		 code;
};

#define EHLO	"EHLO client.bench.test\r\n"

static const struct step script_smtp[] = {
	{ STEP_SMTP_REPLY, "connect", 220 },
	{ STEP_SEND, EHLO, 0 },
	{ STEP_SMTP_REPLY, "EHLO", 250 },
	{ STEP_IDLE, NULL, 0 }
};

static const struct step script_smtp_tls[] = {
	{ STEP_SMTP_REPLY, "connect", 220 },
	{ STEP_SEND, EHLO, 0 },
	{ STEP_SMTP_REPLY, "EHLO", 250 },
	{ STEP_SEND, "STARTTLS\r\n", 0 },
	{ STEP_SMTP_REPLY, "STARTTLS", 220 },
	{ STEP_TLS, NULL, 0 },
	{ STEP_SEND, EHLO, 0 },
	{ STEP_SMTP_REPLY, "EHLO over TLS", 250 },
	{ STEP_IDLE, NULL, 0 }
};

static const struct step script_imap_idle[] = {
	{ STEP_IMAP_GREETING, "connect", 0 },
	{ STEP_SEND, NULL, 0 },
	{ STEP_IMAP_TAGGED, "a", 0 },
	{ STEP_SEND, "b SELECT INBOX\r\n", 0 },
	{ STEP_IMAP_TAGGED, "b", 0 },
	{ STEP_SEND, "c IDLE\r\n", 0 },
	{ STEP_IMAP_CONT, "IDLE", 0 },
	{ STEP_IDLE, NULL, 0 }
};

static const struct {
	const char		*name;
	const struct step	*script;
	int			 imap;
} modes[] = {
	{ "smtp", script_smtp, 0 },
	{ "smtp-tls", script_smtp_tls, 0 },
	{ "imap-idle", script_imap_idle, 1 }
};

enum conn_state {
	CS_UNUSED,
	CS_OPENING,		/* connecting or in its script */
	CS_IDLE,
	CS_FAILED,		/* never became idle */
	CS_CLOSED		/* was idle, then the server closed it */
};

struct conn {
	int			 fd;
	enum conn_state		 state;
	SSL			*ssl;
	const struct step	*step;
	size_t			 sent;		/* of the current STEP_SEND */
	int			 connected;
	int			 lines;		/* of the current reply */
	uint32_t		 events;	/* registered with epoll */
	size_t			 rlen, roff;	/* bytes read and not yet parsed */
	size_t			 llen;		/* of the line being read */
	char			 rbuf[512];
	char			 line[LINE_MAX_LEN + 1];
};

static const struct step *script = script_smtp;
static int		 imap_mode;
static const char	*user, *password;
static char		 login_cmd[600];
static int		 port;
static long		 total;
static long		 first;
static int		 naddrs = 1;
static long		 parallel = 50;
static double		 seconds = 60;
static const char	*sni = "bench.test";

static SSL_CTX		*ctx;
static int		 ep;
static struct conn	*conns;
static long		 started;
static long		 opening, nidle, nfailed, nclosed;
static struct timespec	 t0;
static char		 first_error[256];

static void usage(void) __attribute__((noreturn));
static double since_start(void);
static void set_error(const char *, ...) __attribute__((format(printf, 1, 2)));
static void want(struct conn *, uint32_t);
static void finish(struct conn *, enum conn_state);
static void fail(struct conn *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int conn_read(struct conn *);
static int step_send(struct conn *);
static int step_smtp_reply(struct conn *);
static int step_imap(struct conn *);
static int step_tls(struct conn *);
static void run(struct conn *);
static void watch_idle(struct conn *);
static void start_one(void);
static void raise_nofile(void);
static void report_stage(long);

static void
usage(void)
{
	fprintf(stderr, "usage: idleload -m smtp|smtp-tls|imap-idle -p port -n total"
	    " [-k first] [-a addrs] [-c parallel] [-t seconds] [-S sni]"
	    " [-u user -w password]\n");
	exit(2);
}

static double
since_start(void)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0.tv_sec) +
	    (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Only the first failure is kept: the others are usually the same. */
static void
set_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	if (first_error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(first_error, sizeof(first_error), fmt, ap);
	va_end(ap);
	for (p = first_error; *p != '\0'; p++)
		if (!isprint((unsigned char)*p))
			*p = ' ';
}

static void
want(struct conn *c, uint32_t ev)
{
	struct epoll_event	 e;

	if (c->events == ev)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) == -1) {
		fprintf(stderr, "idleload: epoll_ctl: %s\n", strerror(errno));
		exit(2);
	}
	c->events = ev;
}

/* The end of a connection's opening (idle or failed) or of its idleness. */
static void
finish(struct conn *c, enum conn_state st)
{
	if (c->state == CS_OPENING)
		opening--;
	else if (c->state == CS_IDLE)
		nidle--;
	c->state = st;
	if (st == CS_IDLE) {
		nidle++;
		return;
	}
	if (st == CS_FAILED)
		nfailed++;
	else
		nclosed++;
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);
	c->fd = -1;
}

static void
fail(struct conn *c, const char *fmt, ...)
{
	char		 why[200];
	va_list		 ap;
	unsigned long	 e;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if ((e = ERR_peek_last_error()) != 0 && ERR_reason_error_string(e))
		set_error("%s (%s)", why, ERR_reason_error_string(e));
	else
		set_error("%s", why);
	ERR_clear_error();
	finish(c, c->state == CS_IDLE ? CS_CLOSED : CS_FAILED);
}

/*
 * Reads what is there into c->rbuf: 1 when something came, 0 when the
 * socket would block (the events to wait for are set), -1 when the
 * connection ended or broke (c is finished).
 */
static int
conn_read(struct conn *c)
{
	ssize_t	 n;
	int	 r, err;

	if (c->ssl != NULL) {
		r = SSL_read(c->ssl, c->rbuf, sizeof(c->rbuf));
		if (r > 0) {
			c->rlen = (size_t)r;
			c->roff = 0;
			return 1;
		}
		err = SSL_get_error(c->ssl, r);
		if (err == SSL_ERROR_WANT_READ) {
			want(c, EPOLLIN);
			return 0;
		}
		if (err == SSL_ERROR_WANT_WRITE) {
			want(c, EPOLLIN | EPOLLOUT);
			return 0;
		}
		fail(c, "%s: connection closed by the server",
		    c->state == CS_IDLE ? "idle" : c->step->text);
		return -1;
	}
	n = read(c->fd, c->rbuf, sizeof(c->rbuf));
	if (n > 0) {
		c->rlen = (size_t)n;
		c->roff = 0;
		return 1;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		want(c, EPOLLIN);
		return 0;
	}
	fail(c, "%s: %s", c->state == CS_IDLE ? "idle" : c->step->text,
	    n == 0 ? "connection closed by the server" : strerror(errno));
	return -1;
}

/* 1 when the step is done, 0 when it waits, -1 when c failed. */
static int
step_send(struct conn *c)
{
	const char	*text = c->step->text != NULL ? c->step->text : login_cmd;
	size_t		 len = strlen(text);
	ssize_t		 n;
	int		 r, err;

	while (c->sent < len) {
		if (c->ssl != NULL) {
			r = SSL_write(c->ssl, text + c->sent,
			    (int)(len - c->sent));
			if (r <= 0) {
				err = SSL_get_error(c->ssl, r);
				if (err == SSL_ERROR_WANT_READ) {
					want(c, EPOLLIN);
					return 0;
				}
				if (err == SSL_ERROR_WANT_WRITE) {
					want(c, EPOLLIN | EPOLLOUT);
					return 0;
				}
				fail(c, "SSL_write failed");
				return -1;
			}
			n = r;
		} else {
			n = write(c->fd, text + c->sent, len - c->sent);
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				want(c, EPOLLIN | EPOLLOUT);
				return 0;
			}
			if (n <= 0) {
				fail(c, "write: %s", strerror(errno));
				return -1;
			}
		}
		c->sent += (size_t)n;
	}
	c->sent = 0;
	return 1;
}

/*
 * One SMTP reply, possibly of several lines, whose code must be step->code.
 * Nothing may follow it: the server must not answer ahead of a command,
 * and no clear-text byte may follow the reply to STARTTLS.
 */
static int
step_smtp_reply(struct conn *c)
{
	const char	*after = c->step->text;
	char		 ch;
	int		 code, r;

	for (;;) {
		if (c->roff == c->rlen && (r = conn_read(c)) != 1)
			return r;
		ch = c->rbuf[c->roff++];
		if (ch != '\n') {
			if (c->llen == LINE_MAX_LEN) {
				fail(c, "after %s: reply line too long", after);
				return -1;
			}
			c->line[c->llen++] = ch;
			continue;
		}
		if (c->llen > 0 && c->line[c->llen - 1] == '\r')
			c->llen--;
		c->line[c->llen] = '\0';
		c->llen = 0;
		if (strlen(c->line) < 3 || !isdigit((unsigned char)c->line[0]) ||
		    !isdigit((unsigned char)c->line[1]) ||
		    !isdigit((unsigned char)c->line[2])) {
			fail(c, "after %s: malformed reply: %.80s", after,
			    c->line);
			return -1;
		}
		if (c->line[3] == '-') {
			if (++c->lines == REPLY_LINES_MAX) {
				fail(c, "after %s: more than %d reply lines",
				    after, REPLY_LINES_MAX);
				return -1;
			}
			continue;
		}
		c->lines = 0;
		code = (c->line[0] - '0') * 100 + (c->line[1] - '0') * 10 +
		    (c->line[2] - '0');
		if (code != c->step->code) {
			fail(c, "after %s: %.120s", after, c->line);
			return -1;
		}
		if (c->roff != c->rlen) {
			fail(c, "after %s: bytes after the reply", after);
			return -1;
		}
		return 1;
	}
}

/*
 * IMAP replies up to the one the step waits for: the greeting ("* OK"),
 * the completion of the step's tag (which must be OK), or a continuation
 * request. Untagged lines before it are taken in; lines longer than
 * LINE_MAX_LEN are kept to their start (a LOGIN's OK may carry a long
 * CAPABILITY list). Nothing may follow the reply, as for SMTP.
 */
static int
step_imap(struct conn *c)
{
	const char	*tag = c->step->text;
	size_t		 taglen = strlen(tag);
	char		 ch;
	int		 r, done = 0;

	for (;;) {
		if (c->roff == c->rlen && (r = conn_read(c)) != 1)
			return r;
		ch = c->rbuf[c->roff++];
		if (ch != '\n') {
			if (c->llen < LINE_MAX_LEN)
				c->line[c->llen++] = ch;
			continue;
		}
		if (c->llen > 0 && c->line[c->llen - 1] == '\r')
			c->llen--;
		c->line[c->llen] = '\0';
		c->llen = 0;
		switch (c->step->kind) {
		case STEP_IMAP_GREETING:
			if (strncmp(c->line, "* OK", 4) != 0) {
				fail(c, "greeting: %.120s", c->line);
				return -1;
			}
			/* Dovecot says it is waiting for its auth process first. */
			done = strstr(c->line, "Waiting for") == NULL;
			break;
		case STEP_IMAP_CONT:
			if (c->line[0] == '+')
				done = 1;
			else if (c->line[0] != '*') {
				fail(c, "after %s: %.120s", tag, c->line);
				return -1;
			}
			break;
		default:
			if (strncmp(c->line, tag, taglen) == 0 &&
			    c->line[taglen] == ' ') {
				if (strncmp(c->line + taglen + 1, "OK", 2) != 0) {
					fail(c, "%.120s", c->line);
					return -1;
				}
				done = 1;
			} else if (c->line[0] != '*') {
				fail(c, "before %s OK: %.120s", tag, c->line);
				return -1;
			}
			break;
		}
		if (++c->lines == REPLY_LINES_MAX && !done) {
			fail(c, "more than %d reply lines", REPLY_LINES_MAX);
			return -1;
		}
		if (!done)
			continue;
		c->lines = 0;
		if (c->roff != c->rlen) {
			fail(c, "bytes after the reply to %s", tag);
			return -1;
		}
		return 1;
	}
}

static int
step_tls(struct conn *c)
{
	int	 r, err;

	if (c->ssl == NULL) {
		if ((c->ssl = SSL_new(ctx)) == NULL ||
		    SSL_set_fd(c->ssl, c->fd) != 1 ||
		    SSL_set_tlsext_host_name(c->ssl, sni) != 1) {
			fail(c, "SSL_new failed");
			return -1;
		}
		SSL_set_connect_state(c->ssl);
	}
	if ((r = SSL_do_handshake(c->ssl)) == 1)
		return 1;
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ) {
		want(c, EPOLLIN);
		return 0;
	}
	if (err == SSL_ERROR_WANT_WRITE) {
		want(c, EPOLLIN | EPOLLOUT);
		return 0;
	}
	fail(c, "TLS handshake failed");
	return -1;
}

/* Takes c through its script as far as the socket lets it. */
static void
run(struct conn *c)
{
	socklen_t	 len = sizeof(int);
	int		 err = 0, r = 1;

	if (!c->connected) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			fail(c, "connect to 127.0.0.1:%d: %s", port,
			    strerror(err ? err : errno));
			return;
		}
		c->connected = 1;
		want(c, EPOLLIN);
	}
	while (r == 1) {
		switch (c->step->kind) {
		case STEP_SEND:
			r = step_send(c);
			break;
		case STEP_SMTP_REPLY:
			r = step_smtp_reply(c);
			break;
		case STEP_IMAP_GREETING:
		case STEP_IMAP_TAGGED:
		case STEP_IMAP_CONT:
			r = step_imap(c);
			break;
		case STEP_TLS:
			r = step_tls(c);
			break;
		case STEP_IDLE:
			want(c, EPOLLIN);
			finish(c, CS_IDLE);
			return;
		}
		if (r == 1)
			c->step++;
	}
}

/*
 * An idle connection became readable: TLS records the server sends after
 * the handshake (session tickets) are taken in; anything else, or the end
 * of the connection, means the server gave up on it.
 */
static void
watch_idle(struct conn *c)
{
	size_t	 i;
	int	 r;

	while ((r = conn_read(c)) == 1) {
		/* IMAP: untagged OK lines (keepalives) are what an idle session may get. */
		for (i = 0; imap_mode && i < c->rlen; i++) {
			if (c->rbuf[i] != '\n') {
				if (c->llen < LINE_MAX_LEN)
					c->line[c->llen++] = c->rbuf[i];
				continue;
			}
			c->line[c->llen] = '\0';
			c->llen = 0;
			if (strncmp(c->line, "* OK", 4) != 0)
				break;
		}
		if (imap_mode && i == c->rlen)
			continue;
		c->line[0] = '\0';
		memcpy(c->line, c->rbuf, c->rlen < 80 ? c->rlen : 80);
		c->line[c->rlen < 80 ? c->rlen : 80] = '\0';
		fail(c, "idle: the server wrote: %s", c->line);
		return;
	}
}

static void
start_one(void)
{
	struct conn		*c = &conns[started];
	struct sockaddr_in	 sin;
	struct epoll_event	 e;
	int			 one = 1;

	memset(c, 0, sizeof(*c));
	c->step = script;
	c->state = CS_OPENING;
	opening++;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1) {
		fail(c, "socket: %s", strerror(errno));
		started++;
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (naddrs > 1) {
		/* The port is chosen at connect time, per destination. */
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK +
		    (uint32_t)(started % naddrs));
		if (bind(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			fail(c, "bind to 127.0.0.%ld: %s",
			    1 + started % naddrs, strerror(errno));
			started++;
			return;
		}
	}
	started++;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&e, 0, sizeof(e));
	e.events = EPOLLOUT;
	e.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) == -1) {
		fail(c, "epoll_ctl: %s", strerror(errno));
		return;
	}
	c->events = EPOLLOUT;
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		fail(c, "connect to 127.0.0.1:%d: %s", port, strerror(errno));
		return;
	}
}

/* A descriptor per connection, and a few: as root the hard limit too. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;
	rlim_t		 need = (rlim_t)total + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		fprintf(stderr, "idleload: cannot raise the descriptor limit"
		    " to %lu: %s\n", (unsigned long)need, strerror(errno));
		exit(2);
	}
}

static void
report_stage(long target)
{
	printf("stage target=%ld idle=%ld failed=%ld closed=%ld elapsed=%.3f\n",
	    target, nidle, nfailed, nclosed, since_start());
	fflush(stdout);
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 evs[EVENTS_MAX], e;
	struct rusage		 ru;
	struct conn		*c;
	char			 in[64];
	double			 deadline;
	long			 target, i;
	ssize_t			 n;
	size_t			 m;
	int			 ch, nev, waiting = 0, stop = 0;
	char			*end;

	while ((ch = getopt(argc, argv, "a:c:k:m:n:p:S:t:u:w:")) != -1) {
		switch (ch) {
		case 'a':
			naddrs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || naddrs < 1 || naddrs > ADDRS_MAX)
				usage();
			break;
		case 'c':
			parallel = strtol(optarg, &end, 10);
			if (*end != '\0' || parallel < 1 || parallel > 10000)
				usage();
			break;
		case 'k':
			first = strtol(optarg, &end, 10);
			if (*end != '\0' || first < 0 || first > TOTAL_MAX)
				usage();
			break;
		case 'm':
			for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
				if (strcmp(optarg, modes[m].name) == 0)
					break;
			if (m == sizeof(modes) / sizeof(modes[0]))
				usage();
			script = modes[m].script;
			imap_mode = modes[m].imap;
			break;
		case 'n':
			total = strtol(optarg, &end, 10);
			if (*end != '\0' || total < 1 || total > TOTAL_MAX)
				usage();
			break;
		case 'p':
			port = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || port < 1 || port > 65535)
				usage();
			break;
		case 'S':
			sni = optarg;
			break;
		case 't':
			seconds = strtod(optarg, &end);
			if (*end != '\0' || seconds <= 0 || seconds > 3600)
				usage();
			break;
		case 'u':
			user = optarg;
			break;
		case 'w':
			password = optarg;
			break;
		default:
			usage();
		}
	}
	if (port == 0 || total == 0)
		usage();
	if (imap_mode) {
		/* Quoted strings: only '"' and '\\' need a backslash; none is expected. */
		if (user == NULL || password == NULL || strpbrk(user, "\"\\\r\n") ||
		    strpbrk(password, "\"\\\r\n") ||
		    (size_t)snprintf(login_cmd, sizeof(login_cmd),
		    "a LOGIN \"%s\" \"%s\"\r\n", user, password) >= sizeof(login_cmd))
			usage();
	}
	if (first >= total)
		first = 0;
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		fprintf(stderr, "idleload: cannot set up TLS 1.3\n");
		return 2;
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* Thousands of idle clients: no 16 KiB buffers kept for each. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

	if ((conns = calloc((size_t)total, sizeof(*conns))) == NULL ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		fprintf(stderr, "idleload: out of memory\n");
		return 2;
	}
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &e) == -1) {
		fprintf(stderr, "idleload: cannot watch stdin: %s\n",
		    strerror(errno));
		return 2;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	target = first > 0 ? first : total;
	deadline = seconds;
	while (!stop) {
		while (!waiting && started < target && opening < parallel)
			start_one();
		if (!waiting && started == target && opening == 0) {
			report_stage(target);
			waiting = 1;
		} else if (!waiting && since_start() > deadline) {
			for (i = 0; i < started; i++)
				if (conns[i].state == CS_OPENING)
					fail(&conns[i], "%s: no answer in %.0f s",
					    conns[i].step->text ?
					    conns[i].step->text : "TLS handshake",
					    seconds);
			/* Those not even started failed too. */
			for (; started < target; started++) {
				conns[started].fd = -1;
				conns[started].state = CS_FAILED;
				nfailed++;
			}
			report_stage(target);
			waiting = 1;
		}
		nev = epoll_wait(ep, evs, EVENTS_MAX, waiting ? 1000 : 100);
		if (nev == -1 && errno != EINTR) {
			fprintf(stderr, "idleload: epoll_wait: %s\n",
			    strerror(errno));
			return 2;
		}
		for (i = 0; i < nev; i++) {
			if ((c = evs[i].data.ptr) == NULL) {
				n = read(STDIN_FILENO, in, sizeof(in));
				if (n == -1 && errno == EAGAIN)
					continue;
				if (n <= 0 || strncmp(in, "stop", 4) == 0 ||
				    (waiting && target == total))
					stop = 1;
				else if (waiting) {
					target = total;
					deadline = since_start() + seconds;
					waiting = 0;
				}
				continue;
			}
			if (c->fd == -1)
				continue;
			if (c->state == CS_OPENING)
				run(c);
			else if (c->state == CS_IDLE)
				watch_idle(c);
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("done idle=%ld failed=%ld closed=%ld user=%.3f sys=%.3f"
	    " error=%s\n", nidle, nfailed, nclosed,
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    first_error);
	fflush(stdout);
	return nidle == total ? 0 : 1;
}
