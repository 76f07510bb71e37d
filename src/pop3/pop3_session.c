/* POP3 after login (RFC 1939, RFC 2449): the TRANSACTION state's commands and the UPDATE state. */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/pop3_cmd.h"
#include "mailbox/mailbox.h"
#include "net/conn.h"
#include "pop3/pop3_priv.h"

/* Sessions alive in this process, for pop3_shutdown. */
static struct pop3_session	**live;
static size_t			  nlive;

static void	on_conn(struct conn *, enum conn_event, void *);

static void
live_add(struct pop3_session *p)
{
	live = xreallocarray(live, nlive + 1, sizeof(*live));
	live[nlive++] = p;
}

static void
live_del(struct pop3_session *p)
{
	size_t	 i;

	for (i = 0; i < nlive; i++)
		if (live[i] == p) {
			live[i] = live[--nlive];
			return;
		}
}

void
pop3_printf(struct pop3_session *p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	buf_vaddf(&p->out, fmt, ap);
	va_end(ap);
}

void
pop3_flush(struct pop3_session *p)
{
	const char	*d = p->out.data;
	size_t		 n = p->out.len;

	if (n == 0)
		return;
	if (p->conn == NULL) {
		buf_reset(&p->out);
		return;
	}
	conn_write_reply(p->conn, d, n);
	buf_reset(&p->out);
	/* A long listing or message leaves a large buffer: not kept idle. */
	if (p->out.cap > 2 * POP3_OUT_HIGH) {
		buf_free(&p->out);
		buf_init(&p->out, 0);
	}
}

static void
session_free(struct pop3_session *p)
{
	live_del(p);
	pop3_send_abort(p);
	pop3_unlock(p);
	pop3_maildrop_free(p);
	if (p->conn != NULL)
		conn_abort(p->conn);
	buf_free(&p->out);
	mailbox_client_free(p->c);
	free(p);
}

/*
 * Ends the session: what was said goes out, then the connection closes.
 * While a worker thread holds the session, it ends when the work is done.
 */
static void
session_end(struct pop3_session *p)
{
	int	 busy = p->state == P3_LOADING || p->state == P3_UPDATE;

	if (p->conn != NULL && !busy) {
		pop3_flush(p);
		conn_close(p->conn);
		p->conn = NULL;
	}
	p->state = P3_CLOSING;
	if (!busy)
		session_free(p);
}

void
pop3_session_start(struct mailbox_client *c)
{
	struct pop3_session	*p = xcalloc(1, sizeof(*p));

	p->c = c;
	p->fd = -1;
	buf_init(&p->out, 0);
	if ((p->conn = conn_new(c->base, c->fd, on_conn, p)) == NULL) {
		mailbox_client_free(c);
		buf_free(&p->out);
		free(p);
		return;
	}
	c->fd = -1;	/* the connection owns it now */
	/* What the client sent after PASS/AUTH comes first (mailbox.h). */
	(void)conn_unread(p->conn, c->prefix, c->prefixlen);
	live_add(p);
	conn_set_line_max(p->conn, POP3_LINE_MAX);
	conn_set_timeouts(p->conn, POP3_IDLE_SECS, POP3_IDLE_SECS);
	conn_set_output_max(p->conn, POP3_OUT_HIGH, POP3_OUT_LOW);
	if (pop3_lock(p) == -1) {
		/* RFC 2449 8.1.1: another session has the maildrop. */
		log_msg(LOG_INFO, "%s pop3 in-use user=%s", c->id, c->login);
		pop3_printf(p, "-ERR [IN-USE] Your mailbox is in use by "
		    "another POP3 session.\r\n");
		p->state = P3_TRANSACTION;
		session_end(p);
		return;
	}
	pop3_maildrop_load(p);
}

void
pop3_loaded(struct pop3_session *p, int ok)
{
	if (p->state == P3_CLOSING) {
		session_free(p);
		return;
	}
	p->state = P3_TRANSACTION;
	if (!ok) {
		log_msg(LOG_ERR, "%s pop3 maildrop user=%s error=\"%s\"", p->c->id,
		    p->c->login, p->err);
		pop3_printf(p, "-ERR [SYS/TEMP] Your mailbox cannot be read "
		    "now.\r\n");
		session_end(p);
		return;
	}
	log_msg(LOG_INFO, "%s pop3 maildrop user=%s messages=%zu octets=%llu",
	    p->c->id, p->c->login, p->nmsgs, (unsigned long long)p->total);
	pop3_printf(p, "+OK Logged in, %zu messages (%llu octets).\r\n",
	    p->nmsgs, (unsigned long long)p->total);
	pop3_process(p);
}

void
pop3_updated(struct pop3_session *p, int ok)
{
	if (p->state == P3_CLOSING || p->conn == NULL) {
		p->state = P3_TRANSACTION;
		session_end(p);
		return;
	}
	log_msg(LOG_INFO, "%s pop3 quit user=%s deleted=%zu%s%s", p->c->id,
	    p->c->login, p->ndeleted, ok ? "" : " error=", ok ? "" : p->err);
	if (ok)
		pop3_printf(p, "+OK Logging out, %zu messages deleted.\r\n",
		    p->ndeleted);
	else
		pop3_printf(p, "-ERR [SYS/TEMP] Some deleted messages were "
		    "not removed.\r\n");
	p->state = P3_TRANSACTION;
	session_end(p);
}

/* Message n of the session (1-based), not deleted; else the answer is given. */
static struct pop3_msg *
message(struct pop3_session *p, unsigned long n)
{
	if (n == 0 || n > p->nmsgs) {
		pop3_printf(p, "-ERR No such message.\r\n");
		return NULL;
	}
	if (p->msgs[n - 1].deleted) {
		pop3_printf(p, "-ERR Message %lu is deleted.\r\n", n);
		return NULL;
	}
	return &p->msgs[n - 1];
}

static void
cmd_capa(struct pop3_session *p)
{
	pop3_printf(p, "+OK Capability list follows\r\n"
	    "CAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUTF8\r\n"
	    "IMPLEMENTATION tegami\r\n.\r\n");
}

static void
cmd_stat(struct pop3_session *p)
{
	pop3_printf(p, "+OK %zu %llu\r\n", p->nmsgs - p->ndeleted,
	    (unsigned long long)p->total);
}

static void
cmd_list(struct pop3_session *p, const struct pop3_cmd *c, enum pop3_send what)
{
	struct pop3_msg	*m;
	char		 uid[POP3_UIDL_MAX + 1];

	if (c->nnum == 0) {
		pop3_send_listing(p, what);
		return;
	}
	if ((m = message(p, c->num[0])) == NULL)
		return;
	if (what == SEND_LIST)
		pop3_printf(p, "+OK %lu %llu\r\n", c->num[0],
		    (unsigned long long)m->size);
	else {
		pop3_uidl(m, uid, sizeof(uid));
		pop3_printf(p, "+OK %lu %s\r\n", c->num[0], uid);
	}
}

static void
cmd_retr(struct pop3_session *p, const struct pop3_cmd *c, long lines)
{
	if (message(p, c->num[0]) == NULL)
		return;
	if (pop3_send_message(p, c->num[0] - 1, lines) == -1)
		pop3_printf(p, "-ERR Message %lu was removed by another "
		    "program.\r\n", c->num[0]);
}

static void
cmd_dele(struct pop3_session *p, const struct pop3_cmd *c)
{
	struct pop3_msg	*m;

	if ((m = message(p, c->num[0])) == NULL)
		return;
	m->deleted = 1;
	p->ndeleted++;
	p->total -= m->size;
	pop3_printf(p, "+OK Message %lu deleted.\r\n", c->num[0]);
}

static void
cmd_rset(struct pop3_session *p)
{
	size_t	 i;

	for (i = 0; i < p->nmsgs; i++)
		if (p->msgs[i].deleted) {
			p->msgs[i].deleted = 0;
			p->total += p->msgs[i].size;
		}
	p->ndeleted = 0;
	pop3_printf(p, "+OK %zu messages (%llu octets).\r\n", p->nmsgs,
	    (unsigned long long)p->total);
}

static void
dispatch(struct pop3_session *p, const char *line, size_t len)
{
	struct pop3_cmd	 c;
	const char	*err;

	if (pop3_cmd_parse(&c, line, len, &err) == -1) {
		p->errors++;
		pop3_printf(p, "-ERR %s\r\n", err);
		return;
	}
	switch (c.verb) {
	case POP3_CAPA:
		cmd_capa(p);
		break;
	case POP3_STAT:
		cmd_stat(p);
		break;
	case POP3_LIST:
		cmd_list(p, &c, SEND_LIST);
		break;
	case POP3_UIDL:
		cmd_list(p, &c, SEND_UIDL);
		break;
	case POP3_RETR:
		cmd_retr(p, &c, -1);
		break;
	case POP3_TOP:
		if (c.num[1] > 100000000UL)
			c.num[1] = 100000000UL;
		cmd_retr(p, &c, (long)c.num[1]);
		break;
	case POP3_DELE:
		cmd_dele(p, &c);
		break;
	case POP3_RSET:
		cmd_rset(p);
		break;
	case POP3_NOOP:
		pop3_printf(p, "+OK\r\n");
		break;
	case POP3_QUIT:
		pop3_maildrop_update(p);
		break;
	case POP3_USER:
	case POP3_PASS:
	case POP3_APOP:
	case POP3_AUTH:
	case POP3_STLS:
	case POP3_UTF8:
		p->errors++;
		pop3_printf(p, "-ERR Already logged in.\r\n");
		break;
	default:
		p->errors++;
		pop3_printf(p, "-ERR Unknown command.\r\n");
		break;
	}
}

/* Commands in order; none is read while a message or listing is still going out. */
void
pop3_process(struct pop3_session *p)
{
	char	*line;
	size_t	 len;

	while (p->conn != NULL && (p->state == P3_TRANSACTION ||
	    p->state == P3_SENDING) && conn_ready(p->conn)) {
		/* Pipelined answers go out together, a bounded lot at a time. */
		if (p->out.len >= POP3_OUT_LOW)
			pop3_flush(p);
		if (p->state == P3_SENDING) {
			if (!pop3_send_more(p))
				break;
			p->state = P3_TRANSACTION;
			continue;
		}
		switch (conn_getline(p->conn, &line, &len)) {
		case CONN_LINE_MORE:
			pop3_flush(p);
			return;
		case CONN_LINE_TOO_LONG:
			p->errors++;
			pop3_printf(p, "-ERR Line too long.\r\n");
			break;
		case CONN_LINE_OK:
			dispatch(p, line, len);
			break;
		}
		if (p->errors >= POP3_ERRORS_MAX) {
			pop3_printf(p, "-ERR Too many invalid commands.\r\n");
			session_end(p);
			return;
		}
	}
	pop3_flush(p);
}

static void
on_conn(struct conn *c, enum conn_event ev, void *arg)
{
	struct pop3_session	*p = arg;

	switch (ev) {
	case CONN_EV_INPUT:
	case CONN_EV_OUTPUT:
		pop3_process(p);
		break;
	case CONN_EV_TIMEOUT:
		/* RFC 1939 3: the autologout timer ends without UPDATE. */
		log_msg(LOG_INFO, "%s pop3 timeout user=%s", p->c->id, p->c->login);
		if (conn_timeout_kind(c) != CONN_TIMEOUT_WRITE)
			conn_printf(c, "-ERR Disconnected for inactivity.\r\n");
		else {
			conn_abort(c);
			p->conn = NULL;
		}
		session_end(p);
		break;
	case CONN_EV_CLOSED:
		/* A dropped connection removes nothing (RFC 1939 6). */
		conn_abort(c);
		p->conn = NULL;
		session_end(p);
		break;
	default:
		break;
	}
}

void
pop3_shutdown(void)
{
	size_t	 i;

	/* Said once to each; they close when their work is done (nothing is removed). */
	for (i = nlive; i > 0; i--) {
		struct pop3_session	*p = live[i - 1];

		if (p->state == P3_TRANSACTION && p->conn != NULL) {
			pop3_printf(p, "-ERR [SYS/TEMP] Server shutting "
			    "down.\r\n");
			session_end(p);
		}
	}
}
