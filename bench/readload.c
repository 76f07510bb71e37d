/* Benchmark client for reading mail: one IMAP or POP3 session whose commands are each timed. */

/*
 * readload -P imap|pop3 -p PORT -u USER -w PASSWORD [-t SECONDS] STEP...
 *
 * Connects to 127.0.0.1:PORT and runs the STEPs in order (the first is
 * connect), one command at
 * a time (nothing pipelined), each timed from the first byte written to
 * the last byte of its reply read. For each it prints
 *
 *   step name=NAME seconds=S responses=N octets=N result=N status=ok text=TEXT
 *
 * responses being the untagged responses (IMAP) or the lines of a
 * multi-line reply (POP3), octets every byte of the reply, result what the
 * step counts (EXISTS after SELECT, the messages a SEARCH found, STAT's
 * count), status ok, no (IMAP NO, POP3 -ERR), bad (IMAP BAD) or error
 * (the connection broke or timed out, or the reply was malformed), and text
 * the start of the final reply line.
 *
 * IMAP steps: connect (the greeting), login (LOGIN), select (SELECT INBOX),
 * flags (UID FETCH 1:* (FLAGS)), envelope (FETCH 1:* (ENVELOPE)),
 * search-subject=WORD, search-body=WORD (SEARCH SUBJECT/BODY WORD), noop,
 * logout. Literals in replies are skipped by their length.
 * POP3 steps: connect (the greeting), login (USER, then PASS), stat, uidl,
 * retr-all (RETR 1 to N, one after the other; N from the last stat or
 * uidl), quit.
 *
 * Exits 0 when every step was ok, 3 when the login was refused (status no;
 * the rest is not run), 1 otherwise. A reply line is never kept whole:
 * only its first bytes (to know what it is) and its last (for a literal's
 * length), so a SEARCH of 100,000 numbers costs no memory.
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE	(1 << 20)
#define HEAD_MAX	200	/* bytes kept of the start of a reply line */
#define TAIL_MAX	32	/* and of its end */
#define CMD_MAX		1024
#define STEPS_MAX	64

enum status { ST_OK, ST_NO, ST_BAD, ST_ERROR };
static const char *status_names[] = { "ok", "no", "bad", "error" };

struct result {
	enum status	 st;
	uint64_t	 responses;
	uint64_t	 octets;
	uint64_t	 result;
	char		 text[HEAD_MAX + 1];
};

static int		 fd = -1;
static char		*buf;
static size_t		 roff, rlen;
static int		 tagno;
static uint64_t		 pop3_count;
static int		 have_count;
static const char	*user, *password;

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: readload -P imap|pop3 -p port -u user -w password"
	    " [-t seconds] step...\n");
	exit(2);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
set_text(struct result *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	for (p = r->text; *p != '\0'; p++)
		if (!isprint((unsigned char)*p))
			*p = ' ';
}

/* More bytes into buf: 1, or 0 when the connection ended or failed (r says why). */
static int
fill(struct result *r)
{
	ssize_t	 n;

	if (roff == rlen)
		roff = rlen = 0;
	if (rlen == BUF_SIZE) {
		memmove(buf, buf + roff, rlen - roff);
		rlen -= roff;
		roff = 0;
	}
	for (;;) {
		n = read(fd, buf + rlen, BUF_SIZE - rlen);
		if (n > 0) {
			rlen += (size_t)n;
			return 1;
		}
		if (n == -1 && errno == EINTR)
			continue;
		r->st = ST_ERROR;
		if (n == 0)
			set_text(r, "connection closed by the server");
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			set_text(r, "no answer in time");
		else
			set_text(r, "read: %s", strerror(errno));
		return 0;
	}
}

static int
send_all(const char *s, size_t len, struct result *r)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->st = ST_ERROR;
			set_text(r, "write: %s", strerror(errno));
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One short line (a greeting, a POP3 status line), without its CRLF, into r->text. */
static int
read_line(struct result *r)
{
	size_t	 len = 0;
	char	 c, *p;

	for (;;) {
		if (roff == rlen && !fill(r))
			return -1;
		c = buf[roff++];
		r->octets++;
		if (c == '\n')
			break;
		if (len < HEAD_MAX)
			r->text[len++] = c;
	}
	if (len > 0 && r->text[len - 1] == '\r')
		len--;
	r->text[len] = '\0';
	for (p = r->text; *p != '\0'; p++)
		if (!isprint((unsigned char)*p))
			*p = ' ';
	return 0;
}

/* ---- IMAP ---- */

/*
 * The replies to one tagged command, up to and with its completion. Each
 * logical line is seen through its first HEAD_MAX bytes; one that ends
 * with {N} is followed by a literal of N bytes, skipped, and goes on.
 */
static int
imap_reply(const char *tag, struct result *r)
{
	char		 head[HEAD_MAX + 1], tail[TAIL_MAX];
	size_t		 hlen = 0, tlen = 0, taglen = strlen(tag), seg, i;
	uint64_t	 literal = 0, spaces = 0, lit;
	int		 search = 0, off = 0;
	const char	*p, *nl, *q;
	unsigned long	 n;

	for (;;) {
		if (roff == rlen && !fill(r))
			return -1;
		if (literal > 0) {
			seg = rlen - roff < literal ? rlen - roff : (size_t)literal;
			roff += seg;
			r->octets += seg;
			literal -= seg;
			continue;
		}
		p = buf + roff;
		nl = memchr(p, '\n', rlen - roff);
		seg = nl != NULL ? (size_t)(nl - p) + 1 : rlen - roff;
		r->octets += seg;
		roff += seg;
		/* A SEARCH line's numbers are counted by its spaces. */
		if (hlen == 0) {
			search = seg >= 8 ? memcmp(p, "* SEARCH", 8) == 0 : 2;
			spaces = 0;
		}
		if (search != 0)
			for (q = p; q < p + seg; q++)
				spaces += *q == ' ';
		for (i = 0; i < seg && hlen < HEAD_MAX; i++)
			head[hlen++] = p[i];
		if (seg >= TAIL_MAX) {
			memcpy(tail, p + seg - TAIL_MAX, TAIL_MAX);
			tlen = TAIL_MAX;
		} else {
			if (tlen + seg > TAIL_MAX) {
				memmove(tail, tail + (tlen + seg - TAIL_MAX),
				    TAIL_MAX - seg);
				tlen = TAIL_MAX - seg;
			}
			memcpy(tail + tlen, p, seg);
			tlen += seg;
		}
		if (nl == NULL)
			continue;
		/* The end of a physical line: a literal, or the end of the response. */
		i = tlen;
		if (i > 0 && tail[i - 1] == '\n')
			i--;
		if (i > 0 && tail[i - 1] == '\r')
			i--;
		if (i > 2 && tail[i - 1] == '}') {
			size_t	 j = i - 1;

			if (j > 0 && tail[j - 1] == '+')
				j--;
			lit = 0;
			while (j > 0 && isdigit((unsigned char)tail[j - 1]))
				j--;
			if (j > 0 && tail[j - 1] == '{' && j < i - 1) {
				for (q = tail + j; isdigit((unsigned char)*q); q++)
					lit = lit * 10 + (uint64_t)(*q - '0');
				literal = lit;
				tlen = 0;
				continue;
			}
		}
		head[hlen] = '\0';
		while (hlen > 0 && (head[hlen - 1] == '\n' || head[hlen - 1] == '\r'))
			head[--hlen] = '\0';
		if (hlen > taglen && memcmp(head, tag, taglen) == 0 &&
		    head[taglen] == ' ') {
			const char	*w = head + taglen + 1;

			if (strncmp(w, "OK", 2) == 0)
				r->st = ST_OK;
			else if (strncmp(w, "NO", 2) == 0)
				r->st = ST_NO;
			else
				r->st = ST_BAD;
			set_text(r, "%s", head);
			return 0;
		}
		if (search == 2)
			search = hlen >= 8 && memcmp(head, "* SEARCH", 8) == 0;
		if (hlen >= 2 && head[0] == '*' && head[1] == ' ') {
			r->responses++;
			if (search == 1)
				r->result = spaces > 0 ? spaces - 1 : 0;
			else if (sscanf(head, "* %lu %n", &n, &off) == 1 &&
			    strcmp(head + off, "EXISTS") == 0)
				r->result = n;
		} else if (!(hlen >= 1 && head[0] == '+')) {
			r->st = ST_ERROR;
			set_text(r, "unexpected line: %s", head);
			return -1;
		}
		hlen = tlen = 0;
	}
}

static int
imap_cmd(const char *fmt, const char *arg, struct result *r)
{
	char	 tag[16], cmd[CMD_MAX];
	int	 n;

	snprintf(tag, sizeof(tag), "a%d", ++tagno);
	n = snprintf(cmd, sizeof(cmd), "%s ", tag);
	n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, arg);
	if (n + 2 >= (int)sizeof(cmd)) {
		r->st = ST_ERROR;
		set_text(r, "command too long");
		return -1;
	}
	memcpy(cmd + n, "\r\n", 3);
	if (send_all(cmd, (size_t)n + 2, r) == -1)
		return -1;
	return imap_reply(tag, r);
}

/* An IMAP quoted string: only the two characters that need a backslash. */
static void
quoted(char *out, size_t outlen, const char *s)
{
	size_t	 o = 0;

	out[o++] = '"';
	for (; *s != '\0' && o + 3 < outlen; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static int
imap_step(const char *step, struct result *r)
{
	char	 a[300], b[300], login[620];

	if (strcmp(step, "connect") == 0) {
		if (read_line(r) == -1)
			return -1;
		r->st = strncmp(r->text, "* OK", 4) == 0 ? ST_OK : ST_NO;
		return 0;
	}
	if (strcmp(step, "login") == 0) {
		quoted(a, sizeof(a), user);
		quoted(b, sizeof(b), password);
		snprintf(login, sizeof(login), "%s %s", a, b);
		return imap_cmd("LOGIN %s", login, r);
	}
	if (strcmp(step, "select") == 0)
		return imap_cmd("SELECT %s", "INBOX", r);
	if (strcmp(step, "flags") == 0)
		return imap_cmd("UID FETCH 1:* (%s)", "FLAGS", r);
	if (strcmp(step, "envelope") == 0)
		return imap_cmd("FETCH 1:* (%s)", "ENVELOPE", r);
	if (strncmp(step, "search-subject=", 15) == 0)
		return imap_cmd("SEARCH SUBJECT %s", step + 15, r);
	if (strncmp(step, "search-body=", 12) == 0)
		return imap_cmd("SEARCH BODY %s", step + 12, r);
	if (strcmp(step, "noop") == 0)
		return imap_cmd("%s", "NOOP", r);
	if (strcmp(step, "logout") == 0)
		return imap_cmd("%s", "LOGOUT", r);
	r->st = ST_ERROR;
	set_text(r, "unknown IMAP step");
	return -1;
}

/* ---- POP3 ---- */

static int
pop3_status(struct result *r)
{
	if (read_line(r) == -1)
		return -1;
	if (strncmp(r->text, "+OK", 3) == 0)
		r->st = ST_OK;
	else if (strncmp(r->text, "-ERR", 4) == 0)
		r->st = ST_NO;
	else {
		r->st = ST_ERROR;
		return -1;
	}
	return 0;
}

/* The lines of a multi-line reply, up to and with the line ".". */
static int
pop3_multi(struct result *r)
{
	const char	*p, *end, *q;
	int		 m = 1;		/* 0 in a line, 1 at its start, 2 after ".", 3 after ".\r" */
	char		 c;

	for (;;) {
		if (roff == rlen && !fill(r))
			return -1;
		p = buf + roff;
		end = buf + rlen;
		while (p < end) {
			if (m == 0) {
				if ((q = memchr(p, '\n', (size_t)(end - p))) == NULL) {
					p = end;
					break;
				}
				p = q + 1;
				r->responses++;
				m = 1;
				continue;
			}
			c = *p++;
			if (c == '\n') {
				if (m == 3) {
					r->octets += (uint64_t)(p - (buf + roff));
					roff = (size_t)(p - buf);
					return 0;
				}
				r->responses++;
				m = 1;
			} else if (m == 1 && c == '.')
				m = 2;
			else if (m == 2 && c == '\r')
				m = 3;
			else
				m = 0;
		}
		r->octets += (uint64_t)(p - (buf + roff));
		roff = (size_t)(p - buf);
	}
}

static int
pop3_cmd(const char *cmd, int multi, struct result *r)
{
	char	 line[CMD_MAX];
	int	 n;

	n = snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (n >= (int)sizeof(line)) {
		r->st = ST_ERROR;
		set_text(r, "command too long");
		return -1;
	}
	if (send_all(line, (size_t)n, r) == -1 || pop3_status(r) == -1)
		return -1;
	if (r->st == ST_OK && multi)
		return pop3_multi(r);
	return 0;
}

static int
pop3_step(const char *step, struct result *r)
{
	char		 cmd[CMD_MAX];
	unsigned long	 n;
	uint64_t	 i, total, lines;

	if (strcmp(step, "connect") == 0)
		return pop3_status(r);
	if (strcmp(step, "login") == 0) {
		snprintf(cmd, sizeof(cmd), "USER %s", user);
		if (pop3_cmd(cmd, 0, r) == -1 || r->st != ST_OK)
			return 0;
		snprintf(cmd, sizeof(cmd), "PASS %s", password);
		return pop3_cmd(cmd, 0, r);
	}
	if (strcmp(step, "stat") == 0) {
		if (pop3_cmd("STAT", 0, r) == -1 || r->st != ST_OK)
			return 0;
		if (sscanf(r->text, "+OK %lu", &n) == 1) {
			r->result = pop3_count = n;
			have_count = 1;
		}
		return 0;
	}
	if (strcmp(step, "uidl") == 0) {
		if (pop3_cmd("UIDL", 1, r) == -1 || r->st != ST_OK)
			return 0;
		r->result = pop3_count = r->responses;
		have_count = 1;
		return 0;
	}
	if (strcmp(step, "retr-all") == 0) {
		if (!have_count) {
			r->st = ST_ERROR;
			set_text(r, "retr-all needs stat or uidl before it");
			return -1;
		}
		total = lines = 0;
		for (i = 1; i <= pop3_count; i++) {
			snprintf(cmd, sizeof(cmd), "RETR %llu", (unsigned long long)i);
			r->responses = 0;
			if (pop3_cmd(cmd, 1, r) == -1)
				return -1;
			if (r->st != ST_OK)
				return 0;
			lines += r->responses;
		}
		(void)total;
		r->responses = pop3_count;
		r->result = lines;
		return 0;
	}
	if (strcmp(step, "quit") == 0)
		return pop3_cmd("QUIT", 0, r);
	r->st = ST_ERROR;
	set_text(r, "unknown POP3 step");
	return -1;
}

static int
connect_to(int port, double seconds)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv;
	int			 one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

int
main(int argc, char *argv[])
{
	struct result	 r;
	double		 t0, seconds = 60;
	const char	*proto = NULL;
	char		*end;
	int		 ch, port = 0, i, imap, rc = 0, ret;

	while ((ch = getopt(argc, argv, "P:p:t:u:w:")) != -1) {
		switch (ch) {
		case 'P':
			proto = optarg;
			break;
		case 'p':
			port = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || port < 1 || port > 65535)
				usage();
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
	argc -= optind;
	argv += optind;
	if (proto == NULL || port == 0 || user == NULL || password == NULL ||
	    argc < 1 || argc > STEPS_MAX || strcmp(argv[0], "connect") != 0)
		usage();
	if (strcmp(proto, "imap") == 0)
		imap = 1;
	else if (strcmp(proto, "pop3") == 0)
		imap = 0;
	else
		usage();
	signal(SIGPIPE, SIG_IGN);
	if ((buf = malloc(BUF_SIZE)) == NULL) {
		fprintf(stderr, "readload: out of memory\n");
		return 2;
	}
	for (i = 0; i < argc; i++) {
		memset(&r, 0, sizeof(r));
		t0 = now();
		if (i == 0 && connect_to(port, seconds) == -1) {
			r.st = ST_ERROR;
			set_text(&r, "connect to 127.0.0.1:%d: %s", port,
			    strerror(errno));
			ret = -1;
		} else
			ret = imap ? imap_step(argv[i], &r) : pop3_step(argv[i], &r);
		printf("step name=%s seconds=%.6f responses=%llu octets=%llu"
		    " result=%llu status=%s text=%s\n", argv[i], now() - t0,
		    (unsigned long long)r.responses, (unsigned long long)r.octets,
		    (unsigned long long)r.result, status_names[r.st], r.text);
		fflush(stdout);
		if (ret == -1 || r.st != ST_OK) {
			rc = strcmp(argv[i], "login") == 0 && r.st == ST_NO ? 3 : 1;
			break;
		}
	}
	return rc;
}
