/* DATA and BDAT: the message body into the queue file, then the commit that earns the 250. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "lib/dio.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "mail/header.h"
#include "mail/received.h"
#include "net/conn.h"
#include "smtp/filter.h"
#include "smtp/mailauth.h"
#include "smtp/session.h"

/* Writes what wbuf holds to the queue file; a failure is remembered, not fatal. */
static void
smtp_wflush(struct smtp_session *s)
{
	if (s->wbuf.len == 0)
		return;
	if (s->write_errno == 0 && dio_write(s->qfd, s->wbuf.data, s->wbuf.len) == -1)
		s->write_errno = errno ? errno : EIO;
	if (s->write_errno == 0)
		s->msglen += s->wbuf.len;
	buf_reset(&s->wbuf);
}

/* A header longer than this is passed on as it is, not rewritten. */
#define SMTP_HEADER_HOLD_MAX	MAILAUTH_HEADER_MAX

/* senders <t> masquerade: the From address becomes the authenticated MAIL FROM. */
static int
smtp_masquerades(const struct smtp_session *s)
{
	return s->listener && (s->listener->flags & LF_MASQUERADE) &&
	    s->auth_user != NULL && s->env.sender && s->env.sender[0] != '\0';
}

/*
 * The client's header section is held in wbuf until it is complete (or at
 * the end of the data, or once it is too long), for what must see all of
 * it before it is stored: the checks of mail-auth read it as it came;
 * masquerade (senders <t> masquerade) rewrites the From address to the
 * authenticated MAIL FROM, as smtpd.conf(5) describes; forged
 * Authentication-Results of ours are taken out; then dkim-sign hashes it
 * as it is stored, and the body from there on.
 */
static void
smtp_header_held(struct smtp_session *s, int final)
{
	struct buf	 nb;
	size_t		 len = s->wbuf.len - s->hdr_start, end, n;

	end = header_end(s->wbuf.data + s->hdr_start, len);
	if (end == 0 && !final && len <= SMTP_HEADER_HOLD_MAX)
		return;
	s->hold_header = 0;
	if (end == 0 && len > SMTP_HEADER_HOLD_MAX) {
		if (s->ma != NULL)
			smtp_mailauth_header_overflow(s);
		return;
	}
	if (end == 0)
		end = len;
	if (s->ma != NULL)
		smtp_mailauth_header(s, s->wbuf.data + s->hdr_start, end);
	if (smtp_masquerades(s)) {
		buf_init(&nb, 0);
		buf_add(&nb, s->wbuf.data, s->hdr_start);
		if (header_masquerade_from(&nb, s->wbuf.data + s->hdr_start, end,
		    s->env.sender) == 1)
			log_msg(LOG_INFO, "%s smtp masquerade from=<%s> user=%s",
			    s->qid, s->env.sender, s->auth_user);
		n = nb.len - s->hdr_start;
		buf_add(&nb, s->wbuf.data + s->hdr_start + end, len - end);
		buf_free(&s->wbuf);
		s->wbuf = nb;
		end = n;
	}
	if (s->ma == NULL)
		return;
	n = smtp_mailauth_strip(s, s->wbuf.data + s->hdr_start, end);
	if (n < end) {
		memmove(s->wbuf.data + s->hdr_start + n, s->wbuf.data +
		    s->hdr_start + end, s->wbuf.len - s->hdr_start - end);
		s->wbuf.len -= end - n;
		s->wbuf.data[s->wbuf.len] = '\0';
		end = n;
	}
	smtp_mailauth_sign_header(s, s->wbuf.data + s->hdr_start, end);
	smtp_mailauth_body(s, s->wbuf.data + s->hdr_start + end,
	    s->wbuf.len - s->hdr_start - end);
}

/* The data is complete: a header still held is done with. */
static void
smtp_body_complete(struct smtp_session *s)
{
	if (s->hold_header)
		smtp_header_held(s, 1);
}

/*
 * BDAT: a CR not followed by LF. DATA refuses it (mail/dot.c) and so does
 * BDAT: kept, it would reach the next server as a line end of its own
 * choosing ("A<CR>.<CR>MAIL FROM:..."), the SMTP smuggling of 2023.
 */
static void
smtp_bdat_bare_cr(struct smtp_session *s)
{
	if (s->bdat_failed)
		return;
	s->bdat_failed = 550;
	s->bdat_enh = "5.6.0";
	s->bdat_text = "bare CR in message (CRLF line ends required)";
}

/*
 * Appends body bytes. The queue holds messages with LF line ends, as
 * Maildir readers expect; CRLF is restored on the wire when relaying.
 */
static void
smtp_wadd(struct smtp_session *s, const char *p, size_t n, int data_mode)
{
	const char	*end = p + n;
	size_t		 before = s->wbuf.len;
	int		 held = s->hold_header;

	smtp_hops_feed(s, p, n);
	while (p < end) {
		const char	*cr = memchr(p, '\r', (size_t)(end - p));
		size_t		 run = (size_t)((cr ? cr : end) - p);

		if (s->cr_pending) {
			/* BDAT: a CR closed the previous chunk; an LF must follow. */
			s->cr_pending = 0;
			if (*p != '\n')
				smtp_bdat_bare_cr(s);
		}
		if (run)
			buf_add(&s->wbuf, p, run);
		p += run;
		if (cr == NULL)
			break;
		p++;	/* the CR */
		if (p == end) {
			if (!data_mode)
				s->cr_pending = 1;
		} else if (*p != '\n')
			smtp_bdat_bare_cr(s);
		/* DATA mode: the decoder guarantees every CR precedes an LF. */
	}
	if (s->hold_header)
		smtp_header_held(s, 0);
	else if (!held && s->ma != NULL)
		smtp_mailauth_body(s, s->wbuf.data + before, s->wbuf.len - before);
	if (!s->hold_header && s->wbuf.len >= SMTP_WBUF_SIZE)
		smtp_wflush(s);
}

static int
smtp_dot_out(void *arg, const char *p, size_t n)
{
	smtp_wadd(arg, p, n, 1);
	return 0;
}

static void
smtp_add_received(struct smtp_session *s)
{
	struct received_info	 ri;
	char			 rcpt[ADDR_PATH_MAX + 1], user[256];

	memset(&ri, 0, sizeof(ri));
	ri.helo = s->helo[0] ? s->helo : NULL;
	/* Only a name that resolves back to the client is the client's name (RFC 5321 4.4). */
	ri.rdns = smtp_rdns_verified(s);
	ri.addr = s->from_socket ? NULL : s->addr;
	ri.mask_src = s->from_socket ||
	    (s->listener && (s->listener->flags & LF_MASK_SRC));
	ri.hostname = smtp_hostname(s);
	ri.protocol = received_protocol(s->esmtp, s->tls, s->auth_user != NULL,
	    s->smtputf8);
	ri.tls_version = s->tls_version;
	ri.tls_cipher = s->tls_cipher;
	ri.tls_bits = s->tls_bits;
	if (s->listener && (s->listener->flags & LF_RECEIVED_AUTH))
		ri.auth_user = s->auth_user;
	ri.local = s->from_socket;
	ri.local_uid = s->uid;
	ri.local_user = smtp_local_user(s, user, sizeof(user));
	ri.queue_id = s->qid;
	if (s->nrcpt == 1 && s->env.ndeliveries > 0) {
		snprintf(rcpt, sizeof(rcpt), "%s", s->env.deliveries[0].rcpt);
		ri.recipient = rcpt;
	}
	ri.when = time(NULL);
	received_header(&s->wbuf, &ri);
	/* The header builder writes CRLF; the queue keeps LF. */
	{
		size_t	 i, o = 0;

		for (i = 0; i < s->wbuf.len; i++)
			if (!(s->wbuf.data[i] == '\r' && i + 1 < s->wbuf.len &&
			    s->wbuf.data[i + 1] == '\n'))
				s->wbuf.data[o++] = s->wbuf.data[i];
		s->wbuf.len = o;
		s->wbuf.data[o] = '\0';
	}
}

static void	smtp_queue_start(struct smtp_session *, const char *, int);

static void
smtp_request_create(struct smtp_session *s)
{
	struct ipc_out	 o;
	char		 qid[sizeof(s->next_qid)];
	int		 fd;

	if (s->next_qfd != -1) {
		/* Made while the client read the RCPT reply. */
		memcpy(qid, s->next_qid, sizeof(qid));
		fd = s->next_qfd;
		s->next_qfd = -1;
		s->next_qid[0] = '\0';
		smtp_queue_start(s, qid, fd);
		return;
	}
	if (s->next_asked) {
		s->wait = W_CREATE;	/* the answer on its way serves */
		return;
	}
	if (s->server->queue == NULL) {
		/* Between a queue process's death and its successor. */
		s->wait = W_CREATE;
		smtp_queue_failed(s, EAGAIN);
		return;
	}
	ipc_begin(&o, MSG_QUEUE_CREATE, s->id);
	ipc_send(s->server->queue, &o);
	s->wait = W_CREATE;
}

void
smtp_cmd_data(struct smtp_session *s, struct smtp_cmd *cmd)
{
	if (smtp_tls_required(s))
		return;
	if (s->state == S_MAIL) {
		smtp_reply(s, 554, "5.5.1", "No valid recipients");
		return;
	}
	if (s->state != S_RCPT) {
		smtp_reply(s, 503, "5.5.1", "Need RCPT before DATA");
		return;
	}
	smtp_phase(s, PH_DATA, smtp_request_create);
}

void
smtp_cmd_bdat(struct smtp_session *s, struct smtp_cmd *cmd)
{
	if (s->state != S_RCPT && s->state != S_BDAT) {
		/*
		 * The chunk's octets follow whatever we say; RFC 3030 2 wants
		 * them read and thrown away so the session stays in step.
		 */
		s->bdat_discard = 1;
		s->bdat_text = s->state == S_MAIL ? "No valid recipients" :
		    "Need RCPT before BDAT";
		s->chunk_left = (size_t)cmd->chunk_size;
		smtp_bdat_input(s);
		return;
	}
	s->chunk_left = (size_t)cmd->chunk_size;
	s->chunk_last = cmd->last;
	if (s->state == S_RCPT) {
		s->state = S_BDAT;
		/* The first chunk is the data phase; a refusal swallows the chunks. */
		smtp_phase(s, PH_DATA, smtp_request_create);
		return;
	}
	if (s->chunk_left == 0)
		smtp_bdat_input(s);
}

/*
 * A queue file this session will not use: the queue removes it. Nothing
 * to do for an empty qid and no descriptor.
 */
static void
smtp_queue_drop(struct smtp_session *s, const char *qid, int fd)
{
	struct ipc_out	 o;

	if (s->server->queue != NULL && qid[0] != '\0') {
		ipc_begin(&o, MSG_QUEUE_ABORT, s->id);
		ipc_add_str(&o, qid);
		ipc_send(s->server->queue, &o);
	}
	if (fd != -1)
		close(fd);
}

/*
 * The queue file of the next message is asked for at each accepted RCPT
 * that finds none, while the client reads the 250, so that DATA finds it
 * made: a round trip to the queue and a file creation fewer between DATA
 * and 354. A transaction that ends without DATA leaves it to the next one;
 * the session's end removes it. At most one request to the queue is in
 * flight per session, so its answer needs no other name than the session.
 */
void
smtp_queue_prepare(struct smtp_session *s)
{
	struct ipc_out	 o;

	if (s->next_qfd != -1 || s->next_asked || s->wait != W_NONE ||
	    s->closing || s->server->queue == NULL)
		return;
	ipc_begin(&o, MSG_QUEUE_CREATE, s->id);
	ipc_send(s->server->queue, &o);
	s->next_asked = 1;
}

/* The request made ahead failed with no DATA waiting: DATA asks again. */
void
smtp_queue_ahead_failed(struct smtp_session *s)
{
	s->next_asked = 0;
	if (s->closing)
		smtp_close(s);
}

void
smtp_queue_created(struct smtp_session *s, const char *qid, int fd)
{
	s->next_asked = 0;
	if (s->wait != W_CREATE) {
		/* Asked ahead, and DATA has not come yet. */
		if (s->closing) {
			smtp_queue_drop(s, qid, fd);
			smtp_close(s);
			return;
		}
		snprintf(s->next_qid, sizeof(s->next_qid), "%s", qid);
		s->next_qfd = fd;
		return;
	}
	s->wait = W_NONE;
	if (s->closing) {
		smtp_queue_drop(s, qid, fd);
		smtp_close(s);
		return;
	}
	smtp_queue_start(s, qid, fd);
	smtp_process(s);
}

/* The message's queue file is there: the Received header, then 354 or the chunk. */
static void
smtp_queue_start(struct smtp_session *s, const char *qid, int fd)
{
	snprintf(s->qid, sizeof(s->qid), "%s", qid);
	s->qfd = fd;
	s->msglen = 0;
	buf_reset(&s->wbuf);
	smtp_add_received(s);
	smtp_filter_header(s, &s->wbuf);
	s->hdr_start = s->wbuf.len;
	smtp_hops_start(s);
	s->hold_header = smtp_masquerades(s) || smtp_mailauth_holds(s);
	if (s->state == S_BDAT) {
		if (s->chunk_left == 0)
			smtp_bdat_input(s);
	} else {
		s->state = S_DATA;
		dot_init(&s->dot, s->conf->max_message_size);
		smtp_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	}
}

void
smtp_queue_gone(struct smtp_session *s)
{
	int	 ahead;

	/* A file made ahead went with the queue, or was never made. */
	if (s->next_qfd != -1)
		close(s->next_qfd);
	s->next_qfd = -1;
	s->next_qid[0] = '\0';
	ahead = s->next_asked && s->wait != W_CREATE;
	s->next_asked = 0;
	if (s->wait == W_CREATE || s->wait == W_COMMIT) {
		/* Committed or not, nobody can say: 451, and the client sends again. */
		smtp_queue_failed(s, EIO);
		return;
	}
	if (s->qid[0] != '\0') {
		/* The rest of the message is read and answered 451 at its end. */
		if (s->qfd != -1)
			close(s->qfd);
		s->qfd = -1;
		s->qid[0] = '\0';
		if (s->write_errno == 0)
			s->write_errno = EIO;
	}
	if (ahead && s->closing)
		smtp_close(s);	/* it waited for that answer */
}

void
smtp_data_abort(struct smtp_session *s)
{
	smtp_queue_drop(s, s->qid, s->qfd);
	s->qfd = -1;
	s->qid[0] = '\0';
}

/* The session ends: the file made ahead goes too. */
void
smtp_queue_forget(struct smtp_session *s)
{
	smtp_data_abort(s);
	smtp_queue_drop(s, s->next_qid, s->next_qfd);
	s->next_qfd = -1;
	s->next_qid[0] = '\0';
}

/* Answers a failed body and forgets the transaction. */
static void
smtp_body_refused(struct smtp_session *s, int code, const char *enh,
    const char *text)
{
	log_msg(LOG_INFO, "%016llx smtp message-refused address=%s from=<%s> "
	    "code=%d reason=\"%s\"", (unsigned long long)s->id, s->addr,
	    s->env.sender ? s->env.sender : "", code, text);
	smtp_reply(s, code, enh, "%s", text);
	smtp_tx_reset(s);
}

static void
smtp_storage_refused(struct smtp_session *s, int err)
{
	if (err == ENOSPC || err == EDQUOT)
		smtp_body_refused(s, 452, "4.3.1", "Insufficient system storage");
	else
		smtp_body_refused(s, 451, "4.3.0", "Local error in processing");
}

/* The body is complete: send the envelope to the queue for the durable commit. */
static void
smtp_commit(struct smtp_session *s)
{
	struct ipc_out	 o;
	struct buf	 text;
	size_t		 off;

	if (smtp_hops_exceeded(s)) {
		smtp_body_refused(s, 554, "5.4.6", "Too many hops: a mail loop?");
		return;
	}
	smtp_body_complete(s);
	smtp_wflush(s);
	if (s->write_errno) {
		smtp_storage_refused(s, s->write_errno);
		return;
	}
	memcpy(s->env.id, s->qid, sizeof(s->env.id));
	s->env.ctime = time(NULL);
	x_free(&s->env.helo);
	s->env.helo = xstrdup(s->helo);
	x_free(&s->env.client_addr);
	s->env.client_addr = xstrdup(s->addr);
	x_free(&s->env.client_name);
	if (smtp_rdns_verified(s) != NULL)
		s->env.client_name = xstrdup(smtp_rdns_verified(s));
	s->env.smtputf8 = s->smtputf8;
	s->env.body_8bit = s->body_8bit || s->dot.eightbit;
	buf_init(&text, 0);
	if (envelope_serialize(&s->env, &text) == -1) {
		/* A field past the envelope's limits: refuse the message, not the process. */
		buf_free(&text);
		smtp_body_refused(s, 554, "5.3.4", "Envelope too large to queue");
		return;
	}
	if (s->server->queue == NULL) {
		buf_free(&text);
		smtp_storage_refused(s, EAGAIN);
		return;
	}
	/* Large envelopes (many recipients) go in parts; the last one commits. */
	for (off = 0; text.len - off > IPC_MAX_PAYLOAD - 256; off += IPC_MAX_PAYLOAD - 256) {
		ipc_begin(&o, MSG_QUEUE_COMMIT, s->id);
		ipc_add_str(&o, s->qid);
		ipc_add_u64(&o, UINT64_MAX);	/* more parts follow */
		ipc_add_data(&o, text.data + off, IPC_MAX_PAYLOAD - 256);
		ipc_send(s->server->queue, &o);
	}
	ipc_begin(&o, MSG_QUEUE_COMMIT, s->id);
	ipc_add_str(&o, s->qid);
	ipc_add_u64(&o, s->msglen);
	ipc_add_data(&o, text.data + off, text.len - off);
	ipc_send(s->server->queue, &o);
	buf_free(&text);
	close(s->qfd);
	s->qfd = -1;
	s->wait = W_COMMIT;
}

void
smtp_queue_committed(struct smtp_session *s)
{
	char		 buf[300];
	const char	*who = smtp_local_tag(s, buf, sizeof(buf));
	size_t		 i;

	s->wait = W_NONE;
	for (i = 0; i < s->env.ndeliveries; i++)
		log_msg(LOG_INFO, "%s smtp accepted address=%s%s from=<%s> to=<%s> "
		    "size=%zu", s->qid, s->addr, who, s->env.sender,
		    s->env.deliveries[i].rcpt, s->msglen);
	if (!s->closing)
		smtp_reply(s, 250, "2.0.0", "Ok: queued as %s", s->qid);
	s->qid[0] = '\0';	/* committed: nothing to abort */
	s->nmails++;
	s->junk_cmds = 0;	/* mail moved: the RSETs of a reused connection are not junk */
	smtp_tx_reset(s);
	if (s->closing)
		smtp_close(s);
	else
		smtp_process(s);
}

void
smtp_queue_failed(struct smtp_session *s, int err)
{
	int	 was_create = s->wait == W_CREATE;

	s->wait = W_NONE;
	s->next_asked = 0;	/* a failed answer to a request made ahead, too */
	if (s->qfd != -1)
		close(s->qfd);
	s->qfd = -1;
	s->qid[0] = '\0';	/* the queue removed its file */
	log_msg(LOG_ERR, "%016llx smtp queue-error address=%s error=\"%s\"",
	    (unsigned long long)s->id, s->addr, strerror(err));
	if (s->closing) {
		smtp_close(s);
		return;
	}
	if (was_create && s->state == S_BDAT) {
		/* The chunks still arrive: swallow them, answer at each. */
		s->bdat_failed = (err == ENOSPC || err == EDQUOT) ? 452 : 451;
		s->bdat_enh = s->bdat_failed == 452 ? "4.3.1" : "4.3.0";
		s->bdat_text = s->bdat_failed == 452 ?
		    "Insufficient system storage" : "Local error in processing";
	} else
		smtp_storage_refused(s, err);
	smtp_process(s);
}

static void
smtp_data_done(struct smtp_session *s)
{
	s->state = S_RCPT;	/* until the commit resolves */
	switch (s->dot.error) {
	case DOT_OK:
		smtp_body_complete(s);
		smtp_phase(s, PH_COMMIT, smtp_commit);
		return;
	case DOT_ERR_TOO_BIG:
		smtp_body_refused(s, 552, "5.3.4", "Message too big for system");
		return;
	case DOT_ERR_WRITE:
		smtp_storage_refused(s, s->write_errno ? s->write_errno : EIO);
		return;
	case DOT_ERR_LINE_TOO_LONG:
		smtp_body_refused(s, 550, "5.6.0", "Line too long: more than "
		    "1000 octets (RFC 5321 4.5.3.1.6)");
		return;
	default:
		smtp_body_refused(s, 550, "5.6.0", dot_strerror(s->dot.error));
		return;
	}
}

int
smtp_data_input(struct smtp_session *s)
{
	const char	*p;
	size_t		 n, consumed;
	enum dot_status	 st;

	if ((n = conn_peek(s->conn, &p)) == 0)
		return 0;
	st = dot_feed(&s->dot, p, n, &consumed, smtp_dot_out, s);
	conn_drain(s->conn, consumed);
	if (s->write_errno && s->dot.error == DOT_OK)
		s->dot.error = DOT_ERR_WRITE;
	if (st == DOT_END)
		smtp_data_done(s);
	return 1;
}

int
smtp_bdat_input(struct smtp_session *s)
{
	const char	*p;
	size_t		 n, have;
	size_t		 max = s->conf->max_message_size;

	if (s->bdat_discard) {
		have = conn_input_len(s->conn);
		n = have < s->chunk_left ? have : s->chunk_left;
		conn_drain(s->conn, n);
		s->chunk_left -= n;
		if (s->chunk_left > 0)
			return 0;
		s->bdat_discard = 0;
		smtp_reply(s, 503, "5.5.1", "%s", s->bdat_text);
		return 1;
	}
	while (s->chunk_left > 0) {
		if ((have = conn_peek(s->conn, &p)) == 0)
			return 0;
		n = have < s->chunk_left ? have : s->chunk_left;
		if (s->bdat_failed == 0) {
			if (s->msglen + s->wbuf.len + n > max) {
				s->bdat_failed = 552;
				s->bdat_enh = "5.3.4";
				s->bdat_text = "Message too big for system";
			} else
				smtp_wadd(s, p, n, 0);
		}
		conn_drain(s->conn, n);
		s->chunk_left -= n;
	}
	/* The whole chunk is in. */
	if (s->bdat_failed == 0 && s->write_errno) {
		s->bdat_failed = (s->write_errno == ENOSPC ||
		    s->write_errno == EDQUOT) ? 452 : 451;
		s->bdat_enh = s->bdat_failed == 452 ? "4.3.1" : "4.3.0";
		s->bdat_text = s->bdat_failed == 452 ?
		    "Insufficient system storage" : "Local error in processing";
	}
	if (s->bdat_failed) {
		int	 code = s->bdat_failed;

		if (s->chunk_last)
			smtp_body_refused(s, code, s->bdat_enh, s->bdat_text);
		else
			smtp_reply(s, code, s->bdat_enh, "%s", s->bdat_text);
		return 1;
	}
	if (!s->chunk_last) {
		smtp_reply(s, 250, "2.0.0", "Chunk received");
		return 1;
	}
	if (s->cr_pending) {
		s->cr_pending = 0;
		smtp_bdat_bare_cr(s);
		smtp_body_refused(s, s->bdat_failed, s->bdat_enh, s->bdat_text);
		return 1;
	}
	s->state = S_RCPT;
	smtp_body_complete(s);
	smtp_phase(s, PH_COMMIT, smtp_commit);
	return 1;
}
