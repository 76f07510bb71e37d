/* IMAP sessions after login: life cycle, reading commands, dispatch from the command table, responses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mailbox/mailbox.h"
#include "net/conn.h"
#include "store/folder.h"

/*
 * A session reads one command at a time: while a command waits for a job
 * (the index, a scan, an fsync) or for the client to read its output,
 * nothing more is read, so pipelined commands are answered in order and
 * a client that does not read costs no more than the connection's
 * buffers. What it costs while idle in IDLE: the connection, the reader
 * without its buffers, and this struct.
 */

static struct event_base	*ev_base;
static struct imap_sessq	 all = TAILQ_HEAD_INITIALIZER(all);
static int			 shutting_down;

static void	on_conn(struct conn *, enum conn_event, void *);

struct event_base *
imap_base(void)
{
	return ev_base;
}

static const struct {
	enum imap_cmd_id	 id;
	imap_cmd_fn		 fn;
} handlers[] = {
	{ IMAP_CMD_CAPABILITY, imap_cmd_capability },
	{ IMAP_CMD_NOOP, imap_cmd_noop },
	{ IMAP_CMD_LOGOUT, imap_cmd_logout },
	{ IMAP_CMD_ID, imap_cmd_id },
	{ IMAP_CMD_ENABLE, imap_cmd_enable },
	{ IMAP_CMD_SELECT, imap_cmd_select },
	{ IMAP_CMD_EXAMINE, imap_cmd_select },
	{ IMAP_CMD_CREATE, imap_cmd_create },
	{ IMAP_CMD_DELETE, imap_cmd_delete },
	{ IMAP_CMD_RENAME, imap_cmd_rename },
	{ IMAP_CMD_SUBSCRIBE, imap_cmd_subscribe },
	{ IMAP_CMD_UNSUBSCRIBE, imap_cmd_subscribe },
	{ IMAP_CMD_LIST, imap_cmd_list },
	{ IMAP_CMD_LSUB, imap_cmd_list },
	{ IMAP_CMD_NAMESPACE, imap_cmd_namespace },
	{ IMAP_CMD_STATUS, imap_cmd_status },
	{ IMAP_CMD_APPEND, imap_cmd_append },
	{ IMAP_CMD_IDLE, imap_cmd_idle },
	{ IMAP_CMD_GETQUOTA, imap_cmd_quota },
	{ IMAP_CMD_GETQUOTAROOT, imap_cmd_quota },
	{ IMAP_CMD_SETQUOTA, imap_cmd_quota },
	{ IMAP_CMD_CHECK, imap_cmd_check },
	{ IMAP_CMD_CLOSE, imap_cmd_unselect },
	{ IMAP_CMD_UNSELECT, imap_cmd_unselect },
	{ IMAP_CMD_EXPUNGE, imap_cmd_expunge },
	{ IMAP_CMD_SEARCH, imap_cmd_search },
	{ IMAP_CMD_FETCH, imap_cmd_fetch },
	{ IMAP_CMD_STORE, imap_cmd_store },
	{ IMAP_CMD_COPY, imap_cmd_copy },
	{ IMAP_CMD_MOVE, imap_cmd_copy },
	{ IMAP_CMD_SORT, imap_cmd_search },
	{ IMAP_CMD_THREAD, imap_cmd_search },
};

/* What this engine offers once logged in (pre-login ones are the login process's). */
#define ENGINE_CAPS	(IMAP_CAP_ALL & ~(IMAP_CAP_STARTTLS | IMAP_CAP_SASL_IR | \
			 IMAP_CAP_CREATE_SPECIAL_USE | IMAP_CAP_LITERAL_MINUS))

unsigned
imap_wflags(const struct imap_session *s)
{
	return (s->enabled & (IMAP_ENA_UTF8_ACCEPT | IMAP_ENA_IMAP4REV2)) ?
	    IMAP_W_UTF8 : 0;
}

void
imap_write_capability(struct imap_session *s, struct buf *b)
{
	imap_write_caps(b, s->caps & ~IMAP_CAP_APPENDLIMIT);
	buf_addf(b, " QUOTA=RES-STORAGE QUOTA=RES-MESSAGE APPENDLIMIT=%llu",
	    (unsigned long long)s->appendlimit);
}

/* ---- output ---- */

void
imap_send(struct imap_session *s, const struct buf *b)
{
	if (s->conn != NULL && b->len > 0)
		conn_write(s->conn, b->data, b->len);
}

void
imap_sendf(struct imap_session *s, const char *fmt, ...)
{
	va_list	 ap;

	buf_reset(&s->out);
	va_start(ap, fmt);
	buf_vaddf(&s->out, fmt, ap);
	va_end(ap);
	imap_send(s, &s->out);
}

static void
tagged_line(struct imap_session *s, enum imap_resp r, enum imap_code code,
    int num, uint64_t v, const char *text)
{
	const char	*tag = s->req != NULL ? s->req->tag : NULL;

	buf_reset(&s->out);
	imap_write_begin(&s->out, tag, tag ? strlen(tag) : 0, r);
	if (code != IMAP_CODE_NONE) {
		if (num)
			imap_write_code_num(&s->out, code, v);
		else
			imap_write_code(&s->out, code);
	}
	imap_write_end(&s->out, text);
	imap_send(s, &s->out);
	if (r == IMAP_BAD)
		s->bad++;
	else
		s->bad = 0;
}

void
imap_tagged(struct imap_session *s, enum imap_resp r, enum imap_code code,
    const char *text)
{
	tagged_line(s, r, code, 0, 0, text);
}

void
imap_tagged_num(struct imap_session *s, enum imap_resp r, enum imap_code code,
    uint64_t v, const char *text)
{
	tagged_line(s, r, code, 1, v, text);
}

void
imap_untagged(struct imap_session *s, enum imap_resp r, enum imap_code code,
    const char *text)
{
	buf_reset(&s->out);
	imap_write_status(&s->out, NULL, 0, r, code, text);
	imap_send(s, &s->out);
}

/* ---- life ---- */

static void
free_cmd(struct imap_session *s)
{
	if (s->cmd != NULL && s->cmd->free != NULL)
		s->cmd->free(s, s->cmd);
	s->cmd = NULL;
	if (s->req != NULL) {
		imap_request_free(s->req);
		x_free(&s->req);
	}
}

static void
session_free(struct imap_session *s)
{
	free_cmd(s);
	log_msg(LOG_INFO, "%s imap logout user=%s", s->mc->id ? s->mc->id : "-",
	    s->mc->login ? s->mc->login : "-");
	TAILQ_REMOVE(&all, s, aentry);
	if (s->conn != NULL)
		conn_abort(s->conn);
	imap_reader_free(&s->rd);
	buf_free(&s->out);
	free(s->pend);
	free(s->saved);
	mailbox_client_free(s->mc);
	free(s);
}

static void
free_deferred(evutil_socket_t fd, short ev, void *arg)
{
	session_free(arg);
}

static void
free_later(struct imap_session *s)
{
	struct timeval	 now = { 0, 0 };

	if (s->freed)
		return;
	s->freed = 1;
	event_base_once(ev_base, -1, EV_TIMEOUT, free_deferred, s, &now);
}

void
imap_session_hold(struct imap_session *s)
{
	s->jobs++;
}

int
imap_session_release(struct imap_session *s)
{
	s->jobs--;
	if (!s->closing)
		return 0;
	if (s->jobs == 0)
		free_later(s);
	return 1;
}

void
imap_session_close(struct imap_session *s, const char *bye)
{
	if (s->closing)
		return;
	if (bye != NULL && s->conn != NULL)
		imap_sendf(s, "* BYE %s\r\n", bye);
	s->closing = 1;
	/* A job may still read the command's state: freed with the session then. */
	if (s->jobs == 0)
		free_cmd(s);
	imap_unselect(s);
	if (s->user != NULL) {
		TAILQ_REMOVE(&s->user->sessions, s, entry);
		imap_user_unref(s->user);
		s->user = NULL;
	}
	if (s->conn != NULL) {
		conn_close(s->conn);
		s->conn = NULL;
	}
	if (s->jobs == 0)
		free_later(s);
}

/* ---- commands ---- */

void
imap_cmd_wait(struct imap_session *s, struct imap_cmd *cmd)
{
	s->cmd = cmd;
	s->busy = 1;
}

void
imap_cmd_finish(struct imap_session *s)
{
	if (s->cmd != NULL && s->cmd->free != NULL)
		s->cmd->free(s, s->cmd);
	s->cmd = NULL;
	if (s->req != NULL) {
		imap_request_free(s->req);
		x_free(&s->req);
	}
	s->busy = 0;
	if (s->logout) {
		imap_session_close(s, NULL);
		return;
	}
	if (s->bad >= IMAP_BAD_MAX) {
		imap_session_close(s, "Too many invalid commands");
		return;
	}
	if (!s->in_process)
		imap_session_process(s);
}

void
imap_complete(struct imap_session *s, enum imap_resp r, enum imap_code code,
    const char *text)
{
	int	 flags = IMAP_REPORT_EXPUNGE;

	if (s->req != NULL && s->req->def != NULL &&
	    (s->req->def->flags & IMAP_CMDF_NO_EXPUNGE))
		flags = 0;
	if (s->state == IMAP_ST_SELECTED)
		imap_report(s, flags);
	imap_tagged(s, r, code, text);
	imap_cmd_finish(s);
}

static imap_cmd_fn
handler(enum imap_cmd_id id)
{
	size_t	 i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].id == id)
			return handlers[i].fn;
	return NULL;
}

static void
refuse(struct imap_session *s, struct imap_request *req, const char *text)
{
	s->req = req;
	imap_tagged(s, IMAP_BAD, IMAP_CODE_NONE, text);
	s->req = NULL;
}

/* Why a known command may not run now. */
static const char *
not_allowed(const struct imap_session *s, const struct imap_cmd_def *def)
{
	if (def->states & IMAP_ST_NOTAUTH && !(def->states & IMAP_ST_AUTH))
		return "Already logged in";
	if (def->states == IMAP_ST_SELECTED && s->state != IMAP_ST_SELECTED)
		return "No mailbox selected";
	if (def->id == IMAP_CMD_ENABLE && s->state == IMAP_ST_SELECTED)
		return "ENABLE is allowed before SELECT only";
	if ((def->flags & IMAP_CMDF_REV1) && (s->enabled & IMAP_ENA_IMAP4REV2))
		return "Not in IMAP4rev2";
	return "Unknown command";
}

static void
dispatch(struct imap_session *s)
{
	struct imap_request		*req = xcalloc(1, sizeof(*req));
	struct imap_parse_opts		 o = { s->caps, s->enabled };
	imap_cmd_fn			 fn;
	int				 rc;

	rc = imap_parse(req, imap_reader_command(&s->rd), &o);
	if (s->cmd != NULL && (rc == -1 || req->id != IMAP_CMD_APPEND)) {
		/* Message literals of an APPEND whose command then failed. */
		if (s->cmd->free != NULL)
			s->cmd->free(s, s->cmd);
		s->cmd = NULL;
	}
	if (req->def != NULL && !imap_cmd_allowed(req->def, s->state, s->caps,
	    s->enabled))
		refuse(s, req, not_allowed(s, req->def));
	else if (rc == -1)
		refuse(s, req, req->err[0] ? req->err : "Syntax error");
	else if ((fn = handler(req->id)) == NULL)
		refuse(s, req, "Not supported");
	else {
		s->req = req;
		s->busy = 1;
		if (imap_cmd_needs_dates(req))
			imap_run_dated(s, fn);
		else
			fn(s, req);
		return;
	}
	imap_request_free(req);
	free(req);
	if (s->bad >= IMAP_BAD_MAX)
		imap_session_close(s, "Too many invalid commands");
}

/* A literal announced in the middle of a command. */
static void
literal(struct imap_session *s, int data_waiting)
{
	const struct imap_lit		*lit = imap_reader_literal(&s->rd);
	struct imap_request		*req = xcalloc(1, sizeof(*req));
	struct imap_parse_opts		 o = { s->caps, s->enabled };
	enum imap_rd_accept		 acc;
	enum imap_lit_mode		 mode = IMAP_LIT_BUFFER;
	int				 rc;

	rc = imap_parse_prefix(req, imap_reader_command(&s->rd), &o);
	if (req->def != NULL && !imap_cmd_allowed(req->def, s->state, s->caps,
	    s->enabled)) {
		if (imap_reader_refuse(&s->rd) == -1)
			goto fatal;
		refuse(s, req, not_allowed(s, req->def));
		goto done;
	}
	if (rc == -1) {
		if (imap_reader_refuse(&s->rd) == -1)
			goto fatal;
		refuse(s, req, req->err[0] ? req->err : "Syntax error");
		goto done;
	}
	if (lit->message) {
		if (imap_append_literal(s, req, lit) == -1) {
			/* Answered already ([TRYCREATE], [OVERQUOTA], [TOOBIG]). */
			if (imap_reader_refuse(&s->rd) == -1)
				goto fatal;
			goto done;
		}
		mode = IMAP_LIT_STREAM;
	}
	acc = imap_reader_accept(&s->rd, mode, data_waiting);
	switch (acc) {
	case IMAP_ACC_CONTINUE:
		imap_sendf(s, "+ Ready for literal data\r\n");
		break;
	case IMAP_ACC_GO:
		break;
	case IMAP_ACC_EARLY:
		s->req = req;
		imap_tagged(s, IMAP_BAD, IMAP_CODE_NONE,
		    imap_reader_error(&s->rd)->text);
		s->req = NULL;
		break;
	case IMAP_ACC_NOROOM:
		if (imap_reader_refuse(&s->rd) == -1)
			goto fatal;
		s->req = req;
		imap_tagged(s, IMAP_NO, IMAP_CODE_TOOBIG, "Command too long");
		s->req = NULL;
		break;
	}
done:
	imap_request_free(req);
	free(req);
	return;
fatal:
	imap_request_free(req);
	free(req);
	imap_session_close(s, "Too much data");
}

/* The reader's buffers go back once they grew: an idle session keeps little. */
static void
reader_trim(struct imap_session *s)
{
	struct imap_reader_limits	 lim = s->rd.lim;

	if (s->rd.text.cap > 4096 || s->rd.litcap > 8) {
		imap_reader_free(&s->rd);
		imap_reader_init(&s->rd, &lim);
	}
	if (s->out.cap > 4096) {
		buf_free(&s->out);
		buf_init(&s->out, 0);
	}
}

void
imap_session_process(struct imap_session *s)
{
	const char		*p, *dp, *line;
	size_t			 n, used, dn, ln;
	enum imap_rd_status	 st;
	int			 last;

	if (s->in_process)
		return;
	s->in_process = 1;
	while (!s->closing && !s->busy && s->conn != NULL &&
	    conn_ready(s->conn)) {
		if ((n = conn_peek(s->conn, &p)) == 0)
			break;
		st = imap_reader_feed(&s->rd, p, n, &used);
		switch (st) {
		case IMAP_RD_MORE:
			conn_drain(s->conn, used);
			break;
		case IMAP_RD_COMMAND:
			conn_drain(s->conn, used);
			dispatch(s);
			if (!s->busy && !s->closing)
				reader_trim(s);
			break;
		case IMAP_RD_LITERAL:
			conn_drain(s->conn, used);
			literal(s, conn_input_len(s->conn) > 0);
			break;
		case IMAP_RD_DATA:
			imap_reader_data(&s->rd, &dp, &dn, &last);
			if (s->cmd != NULL && s->cmd->data != NULL &&
			    s->cmd->data(s, s->cmd, dp, dn, last) == -1) {
				/* The command is failed; its data is read and dropped. */
			}
			conn_drain(s->conn, used);
			break;
		case IMAP_RD_LINE:
			imap_reader_line(&s->rd, &line, &ln);
			if (s->idling)
				imap_idle_line(s, line, ln);
			conn_drain(s->conn, used);
			break;
		case IMAP_RD_ERROR: {
			const struct imap_rd_error	*e = imap_reader_error(&s->rd);
			const struct imap_rd_cmd	*c = imap_reader_command(&s->rd);
			char				 tag[128];

			conn_drain(s->conn, used);
			/* A failed APPEND leaves nothing behind. */
			if (s->cmd != NULL && s->req == NULL) {
				if (s->cmd->free != NULL)
					s->cmd->free(s, s->cmd);
				s->cmd = NULL;
			}
			if (c != NULL && c->tag != NULL && c->taglen < sizeof(tag)) {
				memcpy(tag, c->tag, c->taglen);
				tag[c->taglen] = '\0';
			} else
				snprintf(tag, sizeof(tag), "*");
			buf_reset(&s->out);
			buf_addf(&s->out, "%s %s %s\r\n", tag, e->status, e->text);
			imap_send(s, &s->out);
			if (strcmp(e->status, "BAD") == 0 && ++s->bad >= IMAP_BAD_MAX)
				imap_session_close(s, "Too many invalid commands");
			break;
		}
		case IMAP_RD_FATAL:
			conn_drain(s->conn, used);
			imap_session_close(s, imap_reader_error(&s->rd)->text);
			break;
		}
	}
	s->in_process = 0;
}

static void
on_conn(struct conn *c, enum conn_event ev, void *arg)
{
	struct imap_session	*s = arg;

	switch (ev) {
	case CONN_EV_INPUT:
		imap_session_process(s);
		break;
	case CONN_EV_OUTPUT:
		if (s->cmd != NULL && s->cmd->resume != NULL)
			s->cmd->resume(s, s->cmd);
		break;
	case CONN_EV_TIMEOUT:
		if (conn_timeout_kind(c) == CONN_TIMEOUT_WRITE) {
			/* It reads nothing: nobody to say goodbye to. */
			conn_abort(c);
			s->conn = NULL;
			imap_session_close(s, NULL);
		} else
			imap_session_close(s, "Autologout; idle for too long");
		break;
	case CONN_EV_CLOSED:
		conn_abort(c);
		s->conn = NULL;
		imap_session_close(s, NULL);
		break;
	default:
		break;
	}
}

/* ---- start ---- */

struct login_job {
	struct imap_session	*s;
	char			*root;
	int			 rc;
	char			 err[256];
};

static void
login_work(struct idb *db, void *arg)
{
	struct login_job	*j = arg;

	/* The user's first job made the default folders and opened the index. */
	if (db == NULL) {
		j->rc = -1;
		snprintf(j->err, sizeof(j->err), "%s", j->s->user->db_error ?
		    j->s->user->db_error : "mailbox index unavailable");
	}
}

static void
login_done(void *arg)
{
	struct login_job	*j = arg;
	struct imap_session	*s = j->s;
	struct buf		 b;

	if (imap_session_release(s))
		goto done;
	if (j->rc == -1) {
		log_msg(LOG_WARNING, "%s imap user=%s root=%s cannot open the"
		    " mailbox: %s", s->mc->id ? s->mc->id : "-",
		    s->mc->login ? s->mc->login : "-", j->root, j->err);
		imap_sendf(s, "%s NO [UNAVAILABLE] Mailbox unavailable, try again"
		    " later\r\n", s->mc->tag ? s->mc->tag : "*");
		imap_session_close(s, NULL);
		goto done;
	}
	s->user->defaults_done = 1;
	buf_init(&b, 0);
	buf_addf(&b, "%s OK [CAPABILITY ", s->mc->tag ? s->mc->tag : "*");
	imap_write_capability(s, &b);
	buf_adds(&b, "] Logged in\r\n");
	imap_send(s, &b);
	buf_free(&b);
	s->busy = 0;
	imap_session_process(s);
done:
	free(j->root);
	free(j);
}

static uint64_t
appendlimit(const struct mailbox_client *mc)
{
	if (mc->conf != NULL && mc->conf->max_message_size > 0)
		return mc->conf->max_message_size;
	return IMAP_APPENDLIMIT_DEFAULT;
}

void
imap_session_start(struct mailbox_client *mc)
{
	struct imap_session		*s = xcalloc(1, sizeof(*s));
	struct imap_reader_limits	 lim;
	struct login_job		*j;

	if (ev_base == NULL)
		ev_base = mc->base;
	s->mc = mc;
	buf_init(&s->out, 0);
	TAILQ_INSERT_TAIL(&all, s, aentry);
	if ((s->conn = conn_new(mc->base, mc->fd, on_conn, s)) == NULL) {
		mc->fd = -1;
		TAILQ_REMOVE(&all, s, aentry);
		buf_free(&s->out);
		mailbox_client_free(mc);
		free(s);
		return;
	}
	mc->fd = -1;
	/* What the client sent after LOGIN/AUTHENTICATE comes first (mailbox.h). */
	(void)conn_unread(s->conn, mc->prefix, mc->prefixlen);
	conn_set_timeouts(s->conn, IMAP_AUTOLOGOUT_SECS, IMAP_WRITE_SECS);
	s->caps = ENGINE_CAPS;
	s->appendlimit = appendlimit(mc);
	imap_reader_default_limits(&lim);
	lim.message_max = s->appendlimit;
	lim.literal_plus = 1;
	imap_reader_init(&s->rd, &lim);
	s->state = IMAP_ST_AUTH;
	s->busy = 1;	/* until the mailbox is open */
	s->user = imap_user_get(mc->root);
	TAILQ_INSERT_TAIL(&s->user->sessions, s, entry);
	log_msg(LOG_INFO, "%s imap login user=%s address=%s",
	    mc->id ? mc->id : "-", mc->login ? mc->login : "-",
	    mc->addr ? mc->addr : "-");
	if (shutting_down) {
		imap_session_close(s, "Server shutting down");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->root = xstrdup(mc->root);
	imap_session_hold(s);
	imap_job(s->user, login_work, login_done, j);
}

void
imap_shutdown(void)
{
	struct imap_session	*s, *next;

	shutting_down = 1;
	for (s = TAILQ_FIRST(&all); s != NULL; s = next) {
		next = TAILQ_NEXT(s, aentry);
		imap_session_close(s, "Server shutting down");
	}
}
