/* The control socket: local enqueue for everyone, queue and table commands for the admin. */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include "mail/control_cmd.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/pending.h"
#include "queue/queue.h"

#define CONTROL_TIMEOUT_SECS	30

struct control_client {
	TAILQ_ENTRY(control_client) entry;	/* on parked */
	struct conn		*conn;
	uid_t			 uid;
	uint64_t		 req;		/* waiting for a reload result, or 0 */
	int			 parked;	/* ENQUEUE waiting for an smtp process */
};

/*
 * ENQUEUEs that came while no smtp process is linked (tegamid starting, or
 * smtp restarting): they wait for one, up to the command deadline, rather
 * than fail a cron job's mail. At most this many wait; more get a 421.
 */
#define CONTROL_PARKED_MAX	256
static TAILQ_HEAD(, control_client) parked = TAILQ_HEAD_INITIALIZER(parked);
static size_t			 nparked;

static struct pending		*waiting_reload;	/* req -> client */

static void	control_on_conn(struct conn *, enum conn_event, void *);

/* The client is gone, or its answer is complete and goes out before the close. */
static void
control_done(struct control_client *cc)
{
	if (cc->req)
		pending_take(waiting_reload, cc->req);
	if (cc->parked) {
		TAILQ_REMOVE(&parked, cc, entry);
		nparked--;
	}
	conn_close(cc->conn);
	free(cc);
}

static void
control_printf(struct control_client *cc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
control_printf(struct control_client *cc, const char *fmt, ...)
{
	va_list	 ap;

	char	*text;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vasprintf");
	conn_write(cc->conn, text, (size_t)n);
	free(text);
}

/*
 * A JSON string: quotes and backslashes escaped, controls, C1 and bidi
 * marks as \\uXXXX, invalid UTF-8 as U+FFFD; other UTF-8 as it is.
 */
static void
json_str(struct buf *b, const char *s)
{
	const char	*p;
	size_t		 l;

	if (s == NULL) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '"');
	for (p = s; *p; p += l) {
		uint32_t	 cp;

		if ((l = utf8_len(p, strlen(p), &cp)) == 0) {
			/* Not UTF-8: the octet as the replacement character. */
			buf_adds(b, "\\ufffd");
			l = 1;
		} else if (utf8_cp_unsafe(cp))
			buf_addf(b, "\\u%04x", (unsigned)cp);
		else {
			if (*p == '"' || *p == '\\')
				buf_addc(b, '\\');
			buf_add(b, p, l);
		}
	}
	buf_addc(b, '"');
}

static void
show_queue_json(struct buf *b, const struct qmsg *q, time_t now, long long next)
{
	size_t	 i;

	buf_addf(b, "{\"id\":\"%s\",\"age\":%lld,\"size\":%zu,\"sender\":",
	    q->id, (long long)(now - q->ctime), q->msglen);
	json_str(b, q->sender);
	buf_addf(b, ",\"pending\":%zu,\"deliveries\":%zu,\"next_try\":%lld,"
	    "\"last_error\":", q->npending, q->ndeliveries, next);
	json_str(b, q->last_error ? q->last_error : "");
	buf_adds(b, ",\"recipients\":[");
	for (i = 0; i < q->nrcpts; i++) {
		buf_adds(b, i ? ",{\"rcpt\":" : "{\"rcpt\":");
		json_str(b, q->rcpts[i].rcpt);
		buf_adds(b, ",\"dest\":");
		json_str(b, q->rcpts[i].dest);
		buf_adds(b, ",\"error\":");
		json_str(b, q->rcpts[i].error);
		buf_addc(b, '}');
	}
	buf_adds(b, "]}");
}

/* Foreign text (addresses, a server's reply) for a terminal: unsafe octets as \\ooo. */
static const char *
shown(char *dst, size_t len, const char *s)
{
	utf8_escape(dst, len, s ? s : "", s ? strlen(s) : 0);
	return dst;
}

/* One line per message, then one indented line per pending recipient. */
static void
show_queue_text(struct buf *b, const struct qmsg *q, time_t now, long long next)
{
	char	 t1[1100], t2[1100];
	size_t	 i;

	buf_addf(b, "%s %llds %zu <%s> pending=%zu/%zu next=%llds error=\"%s\"\n",
	    q->id, (long long)(now - q->ctime), q->msglen,
	    shown(t1, sizeof(t1), q->sender), q->npending, q->ndeliveries, next,
	    shown(t2, sizeof(t2), q->last_error));
	for (i = 0; i < q->nrcpts; i++) {
		const struct qrcpt	*r = &q->rcpts[i];

		buf_addf(b, "    <%s>", shown(t1, sizeof(t1), r->rcpt));
		if (strcmp(r->rcpt, r->dest) != 0)
			buf_addf(b, " -> <%s>", shown(t1, sizeof(t1), r->dest));
		buf_addf(b, " error=\"%s\"\n", shown(t2, sizeof(t2), r->error));
	}
}

static void
control_show_queue(struct control_client *cc, int json)
{
	struct qmsg	*q;
	struct buf	 b;
	time_t		 now = time(NULL);

	buf_init(&b, 0);
	if (json)
		buf_addc(&b, '[');
	TAILQ_FOREACH(q, &queue_server.msgs, entry) {
		long long	 next = q->next_try > now ?
				    (long long)(q->next_try - now) : 0;

		if (json && q != TAILQ_FIRST(&queue_server.msgs))
			buf_addc(&b, ',');
		if (json)
			show_queue_json(&b, q, now, next);
		else
			show_queue_text(&b, q, now, next);
		/* Handed over in pieces: a big queue needs no big buffer. */
		if (b.len > 65536) {
			conn_write(cc->conn, b.data, b.len);
			buf_reset(&b);
		}
	}
	if (json)
		buf_adds(&b, "]\n");
	if (b.len > 0)
		conn_write(cc->conn, b.data, b.len);
	buf_free(&b);
}

static void
control_schedule(struct control_client *cc, const char *arg, int remove)
{
	struct qmsg	*q, *tmp;
	int		 n = 0;

	for (q = TAILQ_FIRST(&queue_server.msgs); q != NULL; q = tmp) {
		tmp = TAILQ_NEXT(q, entry);
		if (strcmp(arg, "all") != 0 && strcmp(arg, q->id) != 0)
			continue;
		n++;
		if (remove) {
			if (q->loaded > 1) {
				control_printf(cc, "%s: being delivered, not removed\n",
				    q->id);
				n--;
				continue;
			}
			log_msg(LOG_INFO, "%s queue removed-by-admin", q->id);
			sched_remove(q);
		} else {
			q->next_try = time(NULL);
			sched_now(q);
		}
	}
	if (n == 0 && strcmp(arg, "all") != 0)
		control_printf(cc, "error: no message %s in the queue\n", arg);
	else
		control_printf(cc, "%d message%s %s\n", n, n == 1 ? "" : "s",
		    remove ? "removed" : "scheduled");
}

static void
control_reload(struct control_client *cc, const char *table)
{
	struct ipc_out	 o;

	cc->req = pending_add(waiting_reload, cc);
	ipc_begin(&o, MSG_RELOAD, cc->req);
	ipc_add_str(&o, table);
	ipc_send(queue_server.parent, &o);
}

void
control_reload_result(uint64_t id, int ok, const char *message)
{
	struct control_client	*cc;

	if ((cc = pending_take(waiting_reload, id)) == NULL)
		return;
	cc->req = 0;
	control_printf(cc, "%s%s\n", ok ? "" : "error: ",
	    message ? message : (ok ? "ok" : "failed"));
	control_done(cc);
}

/* ENQUEUE: the client's socket becomes an SMTP session in the smtp process. */
static void
control_enqueue(struct control_client *cc)
{
	struct ipc_out	 o;
	char		*unread;
	size_t		 unreadlen;
	uid_t		 uid = cc->uid;
	int		 fd;

	if (queue_server.nsmtp == 0) {
		if (nparked < CONTROL_PARKED_MAX) {
			cc->parked = 1;
			TAILQ_INSERT_TAIL(&parked, cc, entry);
			nparked++;
			return;
		}
		control_printf(cc, "421 4.3.0 not accepting mail now\r\n");
		control_done(cc);
		return;
	}
	/* Whatever it already sent after ENQUEUE goes along with the socket. */
	fd = conn_detach(cc->conn, &unread, &unreadlen);
	free(cc);
	if (fd == -1)
		return;
	if (unreadlen > IPC_MAX_PAYLOAD - 64) {
		/* More than one pipelined burst before the banner: not SMTP. */
		close(fd);
		free(unread);
		return;
	}
	ipc_begin(&o, MSG_SMTP_LOCAL_SESSION, 0);
	ipc_add_u32(&o, (uint32_t)uid);
	ipc_add_data(&o, unread ? unread : "", unreadlen);
	ipc_add_fd(&o, fd);
	ipc_send(queue_server.smtp[queue_server.nsmtp - 1], &o);
	free(unread);
}

static void
control_command(struct control_client *cc, const char *line, size_t len)
{
	struct control_cmd	 cmd;
	const char		*errstr;
	int			 admin = cc->uid == 0 || cc->uid == geteuid();

	/* The line is checked whole before anything of it is used or logged. */
	if (control_cmd_parse(line, len, &cmd, &errstr) == -1) {
		control_printf(cc, "error: %s\n", errstr);
		control_done(cc);
		return;
	}
	if (cmd.verb == CTL_ENQUEUE) {
		control_enqueue(cc);
		return;
	}
	if (cmd.admin && !admin) {
		control_printf(cc, "error: permission denied\n");
		log_msg(LOG_WARNING, "control: uid %u refused: %s",
		    (unsigned)cc->uid, control_verb_name(cmd.verb));
		control_done(cc);
		return;
	}
	switch (cmd.verb) {
	case CTL_SHOW_QUEUE:
	case CTL_SHOW_QUEUE_JSON:
		control_show_queue(cc, cmd.verb == CTL_SHOW_QUEUE_JSON);
		break;
	case CTL_SHOW_STATS:
		control_printf(cc, "queue.messages=%zu\nreceived=%llu\n"
		    "delivered=%llu\nfailed=%llu\ndeferred=%llu\nexpired=%llu\n"
		    "bounces=%llu\nbounces.none=%llu\nbounces.deferred=%llu\n",
		    queue_server.nmsgs, queue_server.received,
		    queue_server.delivered, queue_server.failed,
		    queue_server.tempfailed, queue_server.expired,
		    queue_server.reports, queue_server.reports_none,
		    queue_server.reports_deferred);
		break;
	case CTL_SCHEDULE:
	case CTL_REMOVE:
		control_schedule(cc, cmd.arg, cmd.verb == CTL_REMOVE);
		break;
	case CTL_UPDATE_TABLE:
		control_reload(cc, cmd.arg);
		return;
	case CTL_RELOAD:
		control_reload(cc, NULL);
		return;
	case CTL_ENQUEUE:
		break;
	}
	control_done(cc);
}

static void
control_on_conn(struct conn *c, enum conn_event ev, void *arg)
{
	struct control_client	*cc = arg;
	char			*line;
	size_t			 n;

	if (ev != CONN_EV_INPUT) {
		/* Closed, or the 30 seconds are up. */
		if (cc->parked && ev == CONN_EV_TIMEOUT)
			control_printf(cc, "421 4.3.0 not accepting mail now\r\n");
		control_done(cc);
		return;
	}
	if (cc->req || cc->parked)
		return;		/* one command per connection, its answer pending */
	switch (conn_getline(c, &line, &n)) {
	case CONN_LINE_MORE:
		return;
	case CONN_LINE_TOO_LONG:
		control_printf(cc, "error: line too long\n");
		control_done(cc);
		return;
	case CONN_LINE_OK:
		break;
	}
	control_command(cc, line, n);
}

static void
control_on_accept(int fd, const struct sockaddr *sa, socklen_t salen, void *arg)
{
	struct control_client	*cc;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		close(fd);
		return;
	}
	cc = xcalloc(1, sizeof(*cc));
	cc->uid = cred.uid;
	if ((cc->conn = conn_new(queue_server.base, fd, control_on_conn, cc)) == NULL) {
		free(cc);
		return;
	}
	conn_set_line_max(cc->conn, CONTROL_LINE_MAX);
	conn_set_timeouts(cc->conn, CONTROL_TIMEOUT_SECS, CONTROL_TIMEOUT_SECS);
	/* A show queue of a big queue is long; a client that reads nothing is cut off. */
	conn_set_output_max(cc->conn, 0, 0);
	conn_set_command_deadline(cc->conn, CONTROL_TIMEOUT_SECS);
}

/* An smtp process is linked: the ENQUEUEs that waited go to it. */
void
control_smtp_ready(void)
{
	struct control_client	*cc;

	while (queue_server.nsmtp > 0 && (cc = TAILQ_FIRST(&parked)) != NULL) {
		TAILQ_REMOVE(&parked, cc, entry);
		nparked--;
		cc->parked = 0;
		control_enqueue(cc);
	}
}

void
control_init(int fd)
{
	waiting_reload = pending_new();
	net_listener_new(queue_server.base, "control", fd, NULL,
	    control_on_accept, NULL, NULL);
}
