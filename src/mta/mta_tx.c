/* SMTP/LMTP transactions on a ready connection: MAIL, RCPT, DATA (pipelined when offered), the body, results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "mail/dotstuff.h"
#include "mail/reply_parse.h"
#include "mta/mta.h"
#include "mta/mta_priv.h"
#include "mta/mta_session.h"
#include "net/conn.h"

/* The message as sent: the fields made after the body, then the stored bytes. */
static size_t
tx_size(const struct mta_task *t)
{
	return t->msglen + (t->prepend != NULL ? strlen(t->prepend) : 0);
}

static void	tx_send_next(struct mta_session *);
static void	tx_end(struct mta_session *);
static void	body_pump_work(struct mta_session *);

/* ---- transactions ---- */

static void
xtext_add(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			buf_addf(b, "+%02X", c);
		else
			buf_addc(b, (char)c);
	}
}

static void
push_cmd(struct mta_session *s, enum cmd c, size_t rcpt)
{
	s->cmds = xreallocarray(s->cmds, s->ncmds + 1, sizeof(*s->cmds));
	s->cmds[s->ncmds].cmd = c;
	s->cmds[s->ncmds].rcpt = rcpt;
	s->ncmds++;
}

/* Local refusals that need no command sent: the whole task fails alike. */
static int
tx_precheck(struct mta_session *s)
{
	struct mta_task	*t = s->task;
	const char	*text = NULL;
	char		 buf[300];

	if ((t->flags & MTA_F_SMTPUTF8) && !(s->caps.ext & EHLO_EXT_SMTPUTF8))
		text = "553 5.6.7 the message needs SMTPUTF8, which the "
		    "receiving server does not offer";
	else if ((t->flags & MTA_F_8BIT) && !(s->caps.ext & EHLO_EXT_8BITMIME)) {
		/* RFC 6152 3: an 8-bit body must not go to a server without 8BITMIME. */
		text = "554 5.6.3 the message has an 8-bit body and the receiving "
		    "server does not offer 8BITMIME";
	} else if ((s->caps.ext & EHLO_EXT_SIZE) && s->caps.size > 0 &&
	    tx_size(t) > s->caps.size) {
		snprintf(buf, sizeof(buf), "552 5.3.4 message size %zu exceeds "
		    "the receiving server's limit of %llu", tx_size(t),
		    s->caps.size);
		text = buf;
	}
	if (text == NULL)
		return 0;
	mta_task_done(t, DELIVER_PERMFAIL, text, s->label);
	s->task = NULL;
	return -1;
}

void
mta_tx_start(struct mta_session *s)
{
	struct mta_task	*t = s->task;

	if (s->first == 0 && s->count == 0 && tx_precheck(s) == -1) {
		mta_session_ready(s);
		return;
	}
	s->state = ST_TX;
	s->ncmds = s->nsent = s->nrecv = 0;
	s->naccepted = 0;
	s->mail_failed = 0;
	s->count = t->nrcpt - s->first;
	if (s->count > MTA_RCPT_MAX)
		s->count = MTA_RCPT_MAX;
	if (s->need_rset)
		push_cmd(s, C_RSET, 0);
	push_cmd(s, C_MAIL, 0);
	for (size_t i = 0; i < s->count; i++)
		push_cmd(s, C_RCPT, s->first + i);
	push_cmd(s, C_DATA, 0);
	s->need_rset = 1;
	tx_send_next(s);
}

static void
send_cmd(struct mta_session *s, const struct pending *p)
{
	struct mta_task	*t = s->task;
	const char	*from;
	struct buf	 b;

	buf_init(&b, 0);
	switch (p->cmd) {
	case C_RSET:
		buf_adds(&b, "RSET");
		break;
	case C_MAIL:
		from = t->sender;
		if (from[0] != '\0' && s->action->mail_from != NULL)
			from = s->action->mail_from;
		buf_addf(&b, "MAIL FROM:<%s>", from);
		if (s->caps.ext & EHLO_EXT_SIZE)
			buf_addf(&b, " SIZE=%zu", tx_size(t));
		if ((t->flags & MTA_F_8BIT) && (s->caps.ext & EHLO_EXT_8BITMIME))
			buf_adds(&b, " BODY=8BITMIME");
		if ((t->flags & MTA_F_SMTPUTF8) && (s->caps.ext & EHLO_EXT_SMTPUTF8))
			buf_adds(&b, " SMTPUTF8");
		if (s->caps.ext & EHLO_EXT_DSN) {
			if (t->flags & MTA_F_RET_FULL)
				buf_adds(&b, " RET=FULL");
			if (t->envid != NULL) {
				buf_adds(&b, " ENVID=");
				xtext_add(&b, t->envid);
			}
		}
		break;
	case C_RCPT: {
		struct mta_rcpt	*r = &t->rcpts[p->rcpt];

		buf_addf(&b, "RCPT TO:<%s>", r->dest);
		if (s->caps.ext & EHLO_EXT_DSN) {
			if (r->notify != NULL)
				buf_addf(&b, " NOTIFY=%s", r->notify);
			if (r->orcpt != NULL)
				buf_addf(&b, " ORCPT=%s", r->orcpt);
		}
		break;
	}
	case C_DATA:
		buf_adds(&b, "DATA");
		break;
	default:
		break;
	}
	mta_session_send(s, p->cmd == C_DATA ? T_DATA_INIT : T_COMMAND, "%s", b.data);
	buf_free(&b);
}

static void
tx_send_next(struct mta_session *s)
{
	int	 pipe = (s->caps.ext & EHLO_EXT_PIPELINING) != 0;

	while (s->nsent < s->ncmds) {
		const struct pending	*p = &s->cmds[s->nsent];

		/* Without PIPELINING one command at a time, and none that is pointless. */
		if (!pipe && s->nsent > s->nrecv)
			return;
		if (!pipe && p->cmd == C_RCPT && s->mail_failed)
			return;
		if (!pipe && p->cmd == C_DATA && (s->mail_failed ||
		    s->naccepted == 0))
			return;
		send_cmd(s, p);
		s->nsent++;
	}
}

static enum deliver_result
result_of(int code)
{
	return code / 100 == 2 ? DELIVER_OK : code / 100 == 5 ?
	    DELIVER_PERMFAIL : DELIVER_TEMPFAIL;
}

/* Accepted recipients take the reply to DATA or to the final dot. */
static void
tx_result_accepted(struct mta_session *s, int code, const char *text)
{
	size_t	 i;

	for (i = s->first; i < s->first + s->count; i++)
		if (s->task->rcpts[i].accepted)
			mta_rcpt_result(&s->task->rcpts[i], result_of(code), text);
}

void
mta_tx_reply(struct mta_session *s)
{
	struct mta_task		*t = s->task;
	const struct pending	*p;
	int			 code = s->reply.code;
	size_t			 i;

	if (s->nrecv >= s->nsent) {
		mta_session_fail(s, "unexpected reply: nothing was asked");
		return;
	}
	p = &s->cmds[s->nrecv++];
	switch (p->cmd) {
	case C_RSET:
		break;
	case C_MAIL:
		if (code / 100 != 2) {
			s->mail_failed = 1;
			for (i = s->first; i < s->first + s->count; i++)
				mta_rcpt_result(&t->rcpts[i], result_of(code),
				    s->reply.text);
		}
		break;
	case C_RCPT:
		if (code / 100 == 2 && !s->mail_failed) {
			t->rcpts[p->rcpt].accepted = 1;
			s->naccepted++;
		} else if (!s->mail_failed)
			mta_rcpt_result(&t->rcpts[p->rcpt], code / 100 == 2 ?
			    DELIVER_TEMPFAIL : result_of(code), s->reply.text);
		break;
	case C_DATA:
		if (code == 354 && (s->mail_failed || s->naccepted == 0)) {
			/* Pipelined DATA accepted with no recipient: an empty message ends it. */
			s->ncmds = s->nsent = s->nrecv = 0;
			push_cmd(s, C_DISCARD, 0);
			s->nsent = 1;
			mta_session_send(s, T_DATA_END, ".");
			return;
		}
		if (code == 354) {
			s->state = ST_BODY;
			s->body_off = 0;
			dotstuff_init(&s->enc);
			/* Fields made after the body came first, then the stored message. */
			if (s->task->prepend != NULL) {
				buf_reset(&s->out);
				if (dotstuff_encode(&s->enc, s->task->prepend,
				    strlen(s->task->prepend), &s->out) == 0)
					conn_write(s->conn, s->out.data, s->out.len);
			}
			mta_session_timeout(s, T_DATA_END);
			body_pump_work(s);
			return;
		}
		if (!s->mail_failed)
			tx_result_accepted(s, code, s->reply.text);
		break;
	case C_DOT:
		if (s->lmtp) {
			/* RFC 2033 4.2: one reply per accepted recipient, in order. */
			while (s->lmtp_next < s->first + s->count &&
			    !t->rcpts[s->lmtp_next].accepted)
				s->lmtp_next++;
			if (s->lmtp_next < s->first + s->count)
				mta_rcpt_result(&t->rcpts[s->lmtp_next++],
				    result_of(code), s->reply.text);
			for (i = s->lmtp_next; i < s->first + s->count; i++)
				if (t->rcpts[i].accepted) {
					s->nrecv--;	/* more replies to this dot */
					return;
				}
		} else
			tx_result_accepted(s, code, s->reply.text);
		break;
	case C_DISCARD:
		break;
	}
	if (s->nrecv < s->ncmds) {
		tx_send_next(s);
		/* Without pipelining a command skipped ends the transaction early. */
		if (s->nsent == s->nrecv)
			tx_end(s);
		return;
	}
	tx_end(s);
}

static void
tx_end(struct mta_session *s)
{
	struct mta_task	*t = s->task;
	size_t		 i;

	for (i = s->first; i < s->first + s->count; i++)
		if (!t->rcpts[i].final)
			mta_rcpt_result(&t->rcpts[i], DELIVER_TEMPFAIL,
			    "451 4.4.2 no reply for this recipient");
	for (i = s->first; i < s->first + s->count; i++)
		t->rcpts[i].accepted = 0;
	s->first += s->count;
	s->count = 0;
	if (s->first < t->nrcpt) {
		/* More than MTA_RCPT_MAX recipients: another transaction. */
		mta_tx_start(s);
		return;
	}
	s->first = 0;
	s->task = NULL;
	mta_task_done(t, DELIVER_TEMPFAIL, "451 4.4.2 no result", s->label);
	mta_session_ready(s);
}

void
mta_tx_body_room(struct mta_session *s)
{
	body_pump_work(s);
}

/* Keeps at most BODY_QUEUED bytes of the message on the socket, read as it drains. */
static void
body_pump_work(struct mta_session *s)
{
	char			 chunk[BODY_CHUNK];
	ssize_t			 n;
	size_t			 want;

	if (s->state != ST_BODY)
		return;
	while (conn_output_len(s->conn) < BODY_QUEUED) {
		if ((size_t)s->body_off >= s->task->msglen) {
			buf_reset(&s->out);
			dotstuff_end(&s->enc, &s->out);
			conn_write(s->conn, s->out.data, s->out.len);
			s->state = ST_TX;
			s->cmds[s->ncmds - 1].cmd = C_DOT;	/* DATA's slot now awaits the dot */
			s->nrecv--;
			s->lmtp_next = s->first;
			mta_session_timeout(s, T_DATA_END);
			return;
		}
		want = s->task->msglen - (size_t)s->body_off;
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		/* pread: the queue file's offset is shared with every dup of it. */
		if (dio_pread(s->task->fd, chunk, want, s->body_off) == -1) {
			char	 why[200];

			snprintf(why, sizeof(why), "451 4.3.0 reading the queue "
			    "file: %s", errno == ENODATA ? "unexpected end" :
			    strerror(errno));
			mta_session_fail(s, why);
			return;
		}
		n = (ssize_t)want;
		s->body_off += n;
		buf_reset(&s->out);
		if (dotstuff_encode(&s->enc, chunk, (size_t)n, &s->out) == -1) {
			mta_session_fail(s, "451 4.3.0 out of memory");
			return;
		}
		conn_write(s->conn, s->out.data, s->out.len);
	}
	/* Told again once the socket took most of it. */
	conn_notify_output(s->conn, BODY_CHUNK);
}

/* ---- events ---- */
