/* Benchmark load generator: STARTTLS handshakes or authenticated submissions from N threads. */

/*
 * tlsload -m handshake|submit -p PORT -c CLIENTS -n TOTAL -t SECONDS
 *         [-u USER -w PASSWORD] [-s SIZE] [-d DOMAIN] [-S SNI]
 *
 * Every operation is a fresh connection to 127.0.0.1:PORT: banner, EHLO,
 * STARTTLS, a full TLS 1.3 handshake (no session is ever offered for
 * resumption), then QUIT (handshake), or EHLO, AUTH PLAIN with an initial
 * response, MAIL, RCPT, DATA of SIZE bytes and QUIT (submit). Client i sends
 * to u<i+1>@DOMAIN. The threads take operations from one counter until TOTAL
 * are done or SECONDS have passed. One line on stdout:
 *
 *   done=N errors=N elapsed=S user=S sys=S error=TEXT
 *
 * elapsed runs from the start to the end of the last successful operation;
 * user and sys are this process's CPU seconds; error is the first failure.
 */

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#define LINE_MAX_LEN	1000	/* RFC 5321 reply line limit, with room */
#define REPLY_LINES_MAX	100
#define CLIENTS_MAX	1000
#define IO_TIMEOUT	10	/* seconds for one read or write */

enum mode {
	MODE_HANDSHAKE,
	MODE_SUBMIT
};

struct conn {
	int	 fd;
	SSL	*ssl;
	char	 buf[4096];
	size_t	 off;
	size_t	 len;
};

struct client {
	pthread_t	 thread;
	int		 index;
	double		 last_done;	/* seconds since start, 0 if none */
};

static enum mode	 mode = MODE_HANDSHAKE;
static int		 port;
static long		 total;
static double		 seconds = 60;
static const char	*user = "user@bench.test";
static const char	*password = "";
static const char	*domain = "bench.test";
static const char	*sni = "bench.test";
static size_t		 size = 4096;

static SSL_CTX		*ctx;
static char		*auth_line;	/* "AUTH PLAIN <base64>\r\n" */
static char		*body;		/* the message, ending in ".\r\n" */
static size_t		 body_len;
static struct timespec	 t0;
static atomic_long	 next_op;
static atomic_long	 done_ops;
static atomic_long	 error_ops;
static pthread_mutex_t	 error_lock = PTHREAD_MUTEX_INITIALIZER;
static char		 first_error[256];

static void usage(void) __attribute__((noreturn));
static double since_start(void);
static void set_error(const char *, ...) __attribute__((format(printf, 1, 2)));
static int conn_write(struct conn *, const char *, size_t);
static int conn_getc(struct conn *);
static int read_reply(struct conn *, int, const char *);
static int command(struct conn *, const char *, int);
static int connect_plain(struct conn *);
static int starttls(struct conn *);
static int one_operation(int);
static void *client_main(void *);
static void make_auth_line(void);
static void make_body(void);
static void conn_close(struct conn *);

static void
usage(void)
{
	fprintf(stderr, "usage: tlsload -m handshake|submit -p port -c clients"
	    " -n total [-t seconds] [-u user] [-w password] [-s size]"
	    " [-d domain] [-S sni]\n");
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

/* Only the first failure is kept: the rest are usually the same. */
static void
set_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	pthread_mutex_lock(&error_lock);
	if (first_error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(first_error, sizeof(first_error), fmt, ap);
		va_end(ap);
		for (p = first_error; *p != '\0'; p++)
			if (!isprint((unsigned char)*p))
				*p = ' ';
	}
	pthread_mutex_unlock(&error_lock);
}

static int
conn_write(struct conn *c, const char *data, size_t len)
{
	ssize_t	 n;
	int	 r;

	while (len > 0) {
		if (c->ssl != NULL) {
			r = SSL_write(c->ssl, data, len > INT32_MAX ?
			    INT32_MAX : (int)len);
			if (r <= 0) {
				set_error("SSL_write: %s", ERR_reason_error_string(
				    ERR_peek_last_error()) ? ERR_reason_error_string(
				    ERR_peek_last_error()) : "connection closed");
				return -1;
			}
			n = r;
		} else {
			n = write(c->fd, data, len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				set_error("write: %s", strerror(errno));
				return -1;
			}
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One byte of the reply stream, or -1 on end of stream, error or timeout. */
static int
conn_getc(struct conn *c)
{
	ssize_t	 n;
	int	 r;

	if (c->off == c->len) {
		c->off = c->len = 0;
		if (c->ssl != NULL) {
			r = SSL_read(c->ssl, c->buf, sizeof(c->buf));
			if (r <= 0)
				return -1;
			n = r;
		} else {
			do
				n = read(c->fd, c->buf, sizeof(c->buf));
			while (n == -1 && errno == EINTR);
			if (n <= 0)
				return -1;
		}
		c->len = (size_t)n;
	}
	return (unsigned char)c->buf[c->off++];
}

/*
 * Reads one (possibly multi-line) reply and checks its code. Nothing may be
 * pending after it: the server must not answer ahead of a command, which
 * also keeps bytes sent before STARTTLS out of the TLS stream.
 */
static int
read_reply(struct conn *c, int want, const char *after)
{
	char	 line[LINE_MAX_LEN + 1];
	size_t	 n;
	int	 ch, lines, code;

	for (lines = 0; lines < REPLY_LINES_MAX; lines++) {
		n = 0;
		for (;;) {
			if ((ch = conn_getc(c)) == -1) {
				set_error("after %s: connection closed or timed out"
				    " (%s)", after, c->ssl != NULL &&
				    ERR_peek_last_error() != 0 ?
				    ERR_reason_error_string(ERR_peek_last_error()) :
				    strerror(errno));
				return -1;
			}
			if (ch == '\n')
				break;
			if (n == LINE_MAX_LEN) {
				set_error("after %s: reply line too long", after);
				return -1;
			}
			line[n++] = (char)ch;
		}
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		if (n < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2])) {
			set_error("after %s: malformed reply: %.80s", after, line);
			return -1;
		}
		if (n > 3 && line[3] == '-')
			continue;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (code != want) {
			set_error("after %s: %.120s", after, line);
			return -1;
		}
		return 0;
	}
	set_error("after %s: more than %d reply lines", after, REPLY_LINES_MAX);
	return -1;
}

static int
command(struct conn *c, const char *cmd, int want)
{
	char	 name[16];
	size_t	 i;

	for (i = 0; i < sizeof(name) - 1 && cmd[i] != '\0' && cmd[i] != ' ' &&
	    cmd[i] != '\r'; i++)
		name[i] = cmd[i];
	name[i] = '\0';
	if (conn_write(c, cmd, strlen(cmd)) == -1)
		return -1;
	return read_reply(c, want, name);
}

static int
connect_plain(struct conn *c)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv = { IO_TIMEOUT, 0 };
	int			 one = 1;

	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		set_error("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		set_error("connect to 127.0.0.1:%d: %s", port, strerror(errno));
		return -1;
	}
	return 0;
}

static int
starttls(struct conn *c)
{
	unsigned long	 e;

	if (read_reply(c, 220, "connect") == -1 ||
	    command(c, "EHLO client.bench.test\r\n", 250) == -1 ||
	    command(c, "STARTTLS\r\n", 220) == -1)
		return -1;
	if (c->off != c->len) {
		set_error("bytes after the STARTTLS reply");
		return -1;
	}
	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, sni) != 1) {
		set_error("SSL_new failed");
		return -1;
	}
	if (SSL_connect(c->ssl) != 1) {
		e = ERR_peek_last_error();
		set_error("TLS handshake: %s", e != 0 ?
		    ERR_reason_error_string(e) : strerror(errno));
		return -1;
	}
	if (SSL_session_reused(c->ssl)) {
		set_error("a TLS session was resumed");
		return -1;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		/* close_notify, without waiting for the server's. */
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
}

static int
one_operation(int index)
{
	struct conn	 c;
	char		 cmd[512];
	int		 rc = -1;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (connect_plain(&c) == -1 || starttls(&c) == -1)
		goto fail;
	if (mode == MODE_SUBMIT) {
		if (command(&c, "EHLO client.bench.test\r\n", 250) == -1 ||
		    command(&c, auth_line, 235) == -1)
			goto fail;
		snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", user);
		if (command(&c, cmd, 250) == -1)
			goto fail;
		snprintf(cmd, sizeof(cmd), "RCPT TO:<u%d@%s>\r\n", index + 1,
		    domain);
		if (command(&c, cmd, 250) == -1 ||
		    command(&c, "DATA\r\n", 354) == -1)
			goto fail;
		if (conn_write(&c, body, body_len) == -1 ||
		    read_reply(&c, 250, "end of data") == -1)
			goto fail;
	}
	if (command(&c, "QUIT\r\n", 221) == -1)
		goto fail;
	rc = 0;
fail:
	conn_close(&c);
	return rc;
}

static void *
client_main(void *arg)
{
	struct client	*cl = arg;

	while (atomic_fetch_add(&next_op, 1) < total) {
		if (since_start() > seconds)
			break;
		if (one_operation(cl->index) == 0) {
			atomic_fetch_add(&done_ops, 1);
			cl->last_done = since_start();
		} else
			atomic_fetch_add(&error_ops, 1);
	}
	ERR_clear_error();
	return NULL;
}

static void
make_auth_line(void)
{
	unsigned char	 raw[2 * 256 + 2];
	char		 b64[4 * sizeof(raw) / 3 + 8];
	size_t		 ulen = strlen(user), plen = strlen(password), rlen;

	if (ulen > 256 || plen > 256) {
		fprintf(stderr, "tlsload: user or password too long\n");
		exit(2);
	}
	rlen = ulen + plen + 2;
	raw[0] = '\0';
	memcpy(raw + 1, user, ulen);
	raw[ulen + 1] = '\0';
	memcpy(raw + ulen + 2, password, plen);
	EVP_EncodeBlock((unsigned char *)b64, raw, (int)rlen);
	explicit_bzero(raw, sizeof(raw));
	if (asprintf(&auth_line, "AUTH PLAIN %s\r\n", b64) == -1) {
		fprintf(stderr, "tlsload: out of memory\n");
		exit(2);
	}
}

/* Headers, then lines of 76 letters up to size bytes, then the end dot. */
static void
make_body(void)
{
	size_t	 cap = size + 512, n;

	if ((body = malloc(cap)) == NULL) {
		fprintf(stderr, "tlsload: out of memory\n");
		exit(2);
	}
	n = (size_t)snprintf(body, cap, "From: <%s>\r\nTo: <bench@%s>\r\n"
	    "Subject: bench\r\n\r\n", user, domain);
	while (n + 78 <= size) {
		memset(body + n, 'x', 76);
		memcpy(body + n + 76, "\r\n", 2);
		n += 78;
	}
	memcpy(body + n, ".\r\n", 3);
	body_len = n + 3;
}

int
main(int argc, char *argv[])
{
	struct client	*clients;
	struct rusage	 ru;
	double		 last = 0;
	long		 nclients = 10;
	int		 ch, i;
	char		*end;

	while ((ch = getopt(argc, argv, "c:d:m:n:p:s:S:t:u:w:")) != -1) {
		switch (ch) {
		case 'c':
			nclients = strtol(optarg, &end, 10);
			if (*end != '\0' || nclients < 1 || nclients > CLIENTS_MAX)
				usage();
			break;
		case 'd':
			domain = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "handshake") == 0)
				mode = MODE_HANDSHAKE;
			else if (strcmp(optarg, "submit") == 0)
				mode = MODE_SUBMIT;
			else
				usage();
			break;
		case 'n':
			total = strtol(optarg, &end, 10);
			if (*end != '\0' || total < 1 || total > 10000000)
				usage();
			break;
		case 'p':
			port = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || port < 1 || port > 65535)
				usage();
			break;
		case 's':
			size = (size_t)strtoul(optarg, &end, 10);
			if (*end != '\0' || size > 64 * 1024 * 1024)
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
	signal(SIGPIPE, SIG_IGN);

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		fprintf(stderr, "tlsload: cannot set up TLS 1.3\n");
		return 2;
	}
	/* A full handshake every time: nothing is kept to resume with. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* The test certificate is self-signed: the server's work is the same. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	make_auth_line();
	make_body();

	if ((clients = calloc((size_t)nclients, sizeof(*clients))) == NULL) {
		fprintf(stderr, "tlsload: out of memory\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nclients; i++) {
		clients[i].index = i;
		if (pthread_create(&clients[i].thread, NULL, client_main,
		    &clients[i]) != 0) {
			fprintf(stderr, "tlsload: cannot start thread %d\n", i);
			return 2;
		}
	}
	for (i = 0; i < nclients; i++) {
		pthread_join(clients[i].thread, NULL);
		if (clients[i].last_done > last)
			last = clients[i].last_done;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("done=%ld errors=%ld elapsed=%.6f user=%.3f sys=%.3f error=%s\n",
	    atomic_load(&done_ops), atomic_load(&error_ops), last,
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    first_error);
	return atomic_load(&done_ops) == total ? 0 : 1;
}
