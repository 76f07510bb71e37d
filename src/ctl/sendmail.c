/* sendmail(8) compatibility: a message on stdin, enqueued over SMTP through the control socket. */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define SENDMAIL_MAX	((size_t)512 * 1024 * 1024)

struct smtp_client {
	FILE	*in;
	FILE	*out;
	char	 line[1024];
};

/* Reads a whole reply; returns the code, the last line kept in c->line. */
static int
client_reply(struct smtp_client *c)
{
	for (;;) {
		if (fgets(c->line, sizeof(c->line), c->in) == NULL)
			return -1;
		if (strlen(c->line) < 4 || !isdigit((unsigned char)c->line[0]))
			return -1;
		if (c->line[3] != '-')
			return atoi(c->line);
	}
}

static int
client_cmd(struct smtp_client *c, int want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
client_cmd(struct smtp_client *c, int want, const char *fmt, ...)
{
	va_list	 ap;
	int	 code;

	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputs("\r\n", c->out);
	fflush(c->out);
	code = client_reply(c);
	if (code / 100 != want / 100) {
		c->line[strcspn(c->line, "\r\n")] = '\0';
		fprintf(stderr, "sendmail: server said: %s\n",
		    code == -1 ? "(connection lost)" : c->line);
		return code == -1 ? -1 : code;
	}
	return 0;
}

static void
add_rcpt(char ***rcpts, size_t *n, const char *a, const char *host)
{
	char	*r;

	while (isspace((unsigned char)*a))
		a++;
	if (*a == '\0')
		return;
	r = strchr(a, '@') ? xstrdup(a) : xasprintf("%s@%s", a, host);
	r[strcspn(r, " \t\r\n")] = '\0';
	*rcpts = xreallocarray(*rcpts, *n + 1, sizeof(**rcpts));
	(*rcpts)[(*n)++] = r;
}

/* -t: addresses from To, Cc and Bcc, in "Name <a@b>, c@d" lists. */
static void
rcpts_from_headers(const struct buf *msg, size_t hdrlen, char ***rcpts,
    size_t *n, const char *host)
{
	struct buf	 field;
	size_t		 i = 0;

	buf_init(&field, 0);
	while (i < hdrlen) {
		size_t	 e = i;
		int	 take;

		/* A header field with its continuation lines. */
		while (e < hdrlen) {
			const char	*nl = memchr(msg->data + e, '\n', hdrlen - e);

			e = nl ? (size_t)(nl - msg->data) + 1 : hdrlen;
			if (e >= hdrlen || (msg->data[e] != ' ' && msg->data[e] != '\t'))
				break;
		}
		take = strncasecmp(msg->data + i, "to:", 3) == 0 ||
		    strncasecmp(msg->data + i, "cc:", 3) == 0 ||
		    strncasecmp(msg->data + i, "bcc:", 4) == 0;
		if (take) {
			char	*p, *tok, *save = NULL;

			buf_reset(&field);
			buf_add(&field, msg->data + i, e - i);
			p = strchr(field.data, ':') + 1;
			for (tok = strtok_r(p, ",", &save); tok;
			    tok = strtok_r(NULL, ",", &save)) {
				char	*lt = strchr(tok, '<'), *gt;

				if (lt && (gt = strchr(lt, '>')) != NULL) {
					*gt = '\0';
					tok = lt + 1;
				}
				add_rcpt(rcpts, n, tok, host);
			}
		}
		i = e;
	}
	buf_free(&field);
}

/* Removes Bcc fields (sendmail -t semantics) from the header block. */
static size_t
strip_bcc(struct buf *msg, size_t hdrlen)
{
	size_t	 i = 0;

	while (i < hdrlen) {
		size_t	 e = i;

		while (e < hdrlen) {
			const char	*nl = memchr(msg->data + e, '\n', hdrlen - e);

			e = nl ? (size_t)(nl - msg->data) + 1 : hdrlen;
			if (e >= hdrlen || (msg->data[e] != ' ' && msg->data[e] != '\t'))
				break;
		}
		if (strncasecmp(msg->data + i, "bcc:", 4) == 0) {
			memmove(msg->data + i, msg->data + e, msg->len - e);
			msg->len -= e - i;
			msg->data[msg->len] = '\0';
			hdrlen -= e - i;
			continue;
		}
		i = e;
	}
	return hdrlen;
}

static int
has_header(const struct buf *msg, size_t hdrlen, const char *name)
{
	size_t	 i = 0, n = strlen(name);

	while (i < hdrlen) {
		if (strncasecmp(msg->data + i, name, n) == 0)
			return 1;
		{
			const char	*nl = memchr(msg->data + i, '\n', hdrlen - i);

			if (nl == NULL)
				break;
			i = (size_t)(nl - msg->data) + 1;
		}
	}
	return 0;
}

/* Non-ASCII addresses need the SMTPUTF8 extension (RFC 6531). */
static int
needs_utf8(const char *sender, char **rcpts, size_t n)
{
	const unsigned char	*p;
	size_t			 i;

	for (p = (const unsigned char *)sender; *p; p++)
		if (*p >= 0x80)
			return 1;
	for (i = 0; i < n; i++)
		for (p = (const unsigned char *)rcpts[i]; *p; p++)
			if (*p >= 0x80)
				return 1;
	return 0;
}

int
sendmail_main(int argc, char **argv)
{
	const char	*conf = NULL, *sender = NULL, *fullname = NULL, *host;
	char		**rcpts = NULL, login[256], from[600];
	size_t		 nrcpt = 0, i, hdrlen;
	struct buf	 msg, hdr;
	struct passwd	*pw;
	struct smtp_client c = { NULL, NULL, "" };
	int		 attempt, ch, tflag = 0, iflag = 0, fd, r, status = EX_OK;

	/* Flags of the classic sendmail that scripts pass; unknown -o options are ignored. */
	while ((ch = getopt(argc, argv, "tiC:f:F:r:o:B:b:N:R:V:vUGm")) != -1) {
		switch (ch) {
		case 't':
			tflag = 1;
			break;
		case 'i':
			iflag = 1;
			break;
		case 'C':
			conf = optarg;
			break;
		case 'f':
		case 'r':
			sender = optarg;
			break;
		case 'F':
			fullname = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "i") == 0)
				iflag = 1;
			break;
		case 'b':
			if (strcmp(optarg, "p") == 0)
				return ctl_command(ctl_socket_path(ctl_conf_path(conf)),
				    "SHOW QUEUE", stdout);
			if (strcmp(optarg, "m") != 0) {
				fprintf(stderr, "sendmail: -b%s not supported\n", optarg);
				return EX_USAGE;
			}
			break;
		default:
			break;
		}
	}
	conf = ctl_conf_path(conf);
	host = ctl_hostname(conf);
	pw = getpwuid(getuid());
	snprintf(login, sizeof(login), "%s", pw ? pw->pw_name : "nobody");
	if (sender == NULL) {
		snprintf(from, sizeof(from), "%s@%s", login, host);
		sender = from;
	}

	buf_init(&msg, SENDMAIL_MAX);
	buf_init(&hdr, 0);
	{
		char	 b[65536];
		size_t	 n;

		while ((n = fread(b, 1, sizeof(b), stdin)) > 0)
			if (buf_add(&msg, b, n) == -1) {
				fprintf(stderr, "sendmail: message too large\n");
				status = EX_DATAERR;
				goto done;
			}
	}
	/* Without -i a line with a lone dot ends the message, as sendmail did. */
	if (!iflag) {
		for (i = 0; i < msg.len; i = (size_t)((char *)memchr(msg.data + i,
		    '\n', msg.len - i) - msg.data) + 1) {
			if (msg.data[i] == '.' && (i + 1 == msg.len ||
			    msg.data[i + 1] == '\n' || (msg.data[i + 1] == '\r' &&
			    i + 2 < msg.len && msg.data[i + 2] == '\n'))) {
				msg.len = i;
				msg.data[i] = '\0';
				break;
			}
			if (memchr(msg.data + i, '\n', msg.len - i) == NULL)
				break;
		}
	}
	{
		const char	*sep = strstr(msg.data ? msg.data : "", "\n\n");
		const char	*sep2 = strstr(msg.data ? msg.data : "", "\r\n\r\n");

		if (sep2 && (!sep || sep2 < sep))
			sep = sep2 + 1;
		hdrlen = sep ? (size_t)(sep - msg.data) + 1 : msg.len;
	}
	if (tflag) {
		rcpts_from_headers(&msg, hdrlen, &rcpts, &nrcpt, host);
		hdrlen = strip_bcc(&msg, hdrlen);
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		char	*tok, *save = NULL, *copy = xstrdup(argv[i]);

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			add_rcpt(&rcpts, &nrcpt, tok, host);
		free(copy);
	}
	if (nrcpt == 0) {
		fprintf(stderr, "sendmail: no recipients\n");
		status = EX_USAGE;
		goto done;
	}

	/* Headers a local submission lacks are added here, as sendmail does. */
	if (!has_header(&msg, hdrlen, "from:")) {
		if (fullname)
			buf_addf(&hdr, "From: %s <%s>\n", fullname, sender);
		else
			buf_addf(&hdr, "From: %s\n", sender);
	}
	if (!has_header(&msg, hdrlen, "date:")) {
		char		 d[64];
		time_t		 now = time(NULL);
		struct tm	 tm;

		localtime_r(&now, &tm);
		strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S %z", &tm);
		buf_addf(&hdr, "Date: %s\n", d);
	}
	if (!has_header(&msg, hdrlen, "message-id:")) {
		unsigned long long	 rnd = 0;

		if (getentropy(&rnd, sizeof(rnd)) == -1)
			rnd = (unsigned long long)time(NULL) ^ (unsigned long long)getpid();
		buf_addf(&hdr, "Message-ID: <%lld.%016llx@%s>\n", (long long)time(NULL),
		    rnd, host);
	}

	/*
	 * A daemon that is starting, or restarting its smtp process, answers
	 * 421 for a moment: wait for it (15 s at most) rather than fail a
	 * cron job's mail.
	 */
	for (attempt = 0;; attempt++) {
		if ((fd = ctl_connect(ctl_socket_path(conf))) == -1) {
			status = EX_TEMPFAIL;
			goto done;
		}
		c.in = fdopen(fd, "r");
		c.out = fdopen(dup(fd), "w");
		if (c.in == NULL || c.out == NULL) {
			fprintf(stderr, "sendmail: fdopen: %s\n", strerror(errno));
			status = EX_OSERR;
			goto done;
		}
		fprintf(c.out, "ENQUEUE\n");
		fflush(c.out);
		if ((r = client_reply(&c)) == 220)
			break;
		if (r != 421 || attempt == 30) {
			c.line[strcspn(c.line, "\r\n")] = '\0';
			fprintf(stderr, "sendmail: server refused the submission: "
			    "%s\n", r == -1 ? "(connection lost)" : c.line);
			status = EX_TEMPFAIL;
			goto done;
		}
		fclose(c.in);
		fclose(c.out);
		c.in = c.out = NULL;
		usleep(500 * 1000);
	}
	if ((r = client_cmd(&c, 250, "EHLO localhost")) != 0 ||
	    (r = client_cmd(&c, 250, "MAIL FROM:<%s>%s", sender,
	    needs_utf8(sender, rcpts, nrcpt) ? " SMTPUTF8" : "")) != 0)
		goto fail;
	for (i = 0; i < nrcpt; i++)
		if ((r = client_cmd(&c, 250, "RCPT TO:<%s>", rcpts[i])) != 0)
			goto fail;
	if ((r = client_cmd(&c, 354, "DATA")) != 0)
		goto fail;
	/* CRLF line ends and dot-stuffing, whatever the input used. */
	{
		struct buf	*parts[2] = { &hdr, &msg };
		int		 k, bol = 1;

		for (k = 0; k < 2; k++) {
			for (i = 0; i < parts[k]->len; i++) {
				char	 ch2 = parts[k]->data[i];

				if (bol && ch2 == '.')
					fputc('.', c.out);
				if (ch2 == '\r' && i + 1 < parts[k]->len &&
				    parts[k]->data[i + 1] == '\n')
					continue;
				if (ch2 == '\n')
					fputc('\r', c.out);
				fputc(ch2, c.out);
				bol = ch2 == '\n';
			}
		}
		if (!bol)
			fputs("\r\n", c.out);
	}
	if ((r = client_cmd(&c, 250, ".")) != 0)
		goto fail;
	client_cmd(&c, 221, "QUIT");
	goto done;
fail:
	status = r == -1 || r < 500 ? EX_TEMPFAIL : EX_DATAERR;
done:
	if (c.in)
		fclose(c.in);
	if (c.out)
		fclose(c.out);
	for (i = 0; i < nrcpt; i++)
		free(rcpts[i]);
	free(rcpts);
	buf_free(&msg);
	buf_free(&hdr);
	return status;
}
