/* IMAP before login (RFC 9051, RFC 3501): greeting, CAPABILITY, ID, NOOP, LOGOUT, STARTTLS, LOGIN, AUTHENTICATE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "login/login_priv.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"
#include "mail/imap_write.h"
#include "net/conn.h"

/*
 * What is offered before login: enough for clients to decide how to log
 * in, and the grammar (LITERAL+, SASL-IR) the login commands may use. The
 * authenticated state's list, longer, comes with the tagged OK of the
 * login (RFC 9051 7.2.2), from the engine.
 */
static uint64_t
caps(const struct login_session *s)
{
	uint64_t	 c = IMAP_CAP_IMAP4REV2 | IMAP_CAP_LITERAL_PLUS |
	    IMAP_CAP_SASL_IR | IMAP_CAP_ID | IMAP_CAP_ENABLE | IMAP_CAP_IDLE;

	if (login_tls_offered(s))
		c |= IMAP_CAP_STARTTLS;
	return c;
}

static void
write_caps(struct login_session *s, struct buf *b)
{
	imap_write_caps(b, caps(s));
	/* RFC 9051 6.2.3: no plaintext login where it is not safe. */
	if (login_secure(s))
		buf_adds(b, " AUTH=PLAIN AUTH=LOGIN");
	else
		buf_adds(b, " LOGINDISABLED");
}

static void
send_buf(struct login_session *s, struct buf *b)
{
	if (s->conn != NULL && b->len > 0)
		conn_write(s->conn, b->data, b->len);
	buf_free(b);
}

static void
status(struct login_session *s, const char *tag, size_t taglen,
    enum imap_resp resp, enum imap_code code, const char *text)
{
	struct buf	 b;

	buf_init(&b, 0);
	imap_write_status(&b, tag, taglen, resp, code, text);
	send_buf(s, &b);
}

static void
tagged(struct login_session *s, const char *tag, enum imap_resp resp,
    enum imap_code code, const char *text)
{
	status(s, tag, tag ? strlen(tag) : 0, resp, code, text);
}

void
imap_login_greet(struct login_session *s)
{
	struct buf	 b;

	buf_init(&b, 0);
	buf_adds(&b, "* OK [CAPABILITY ");
	write_caps(s, &b);
	buf_adds(&b, "] tegami ready.\r\n");
	send_buf(s, &b);
}

void
imap_login_bye(struct login_session *s, const char *text)
{
	tagged(s, NULL, IMAP_BYE, IMAP_CODE_NONE, text);
}

static void
cmd_capability(struct login_session *s, const struct imap_request *req)
{
	struct buf	 b;

	buf_init(&b, 0);
	buf_adds(&b, "* CAPABILITY ");
	write_caps(s, &b);
	buf_adds(&b, "\r\n");
	send_buf(s, &b);
	tagged(s, req->tag, IMAP_OK, IMAP_CODE_NONE, "Pre-login capabilities "
	    "listed, post-login capabilities have more.");
}

static void
cmd_id(struct login_session *s, const struct imap_request *req)
{
	conn_printf(s->conn, "* ID (\"name\" \"tegami\")\r\n");
	tagged(s, req->tag, IMAP_OK, IMAP_CODE_NONE, "ID completed.");
}

static void
cmd_starttls(struct login_session *s, const struct imap_request *req)
{
	if (s->tls) {
		tagged(s, req->tag, IMAP_BAD, IMAP_CODE_NONE, "TLS is already active.");
		s->errors++;
		return;
	}
	if (!login_tls_offered(s)) {
		tagged(s, req->tag, IMAP_BAD, IMAP_CODE_NONE, "STARTTLS is not "
		    "offered on this port.");
		s->errors++;
		return;
	}
	tagged(s, req->tag, IMAP_OK, IMAP_CODE_NONE, "Begin TLS negotiation now.");
	if (login_starttls(s) == -1)
		login_abort(s);
}

/* Plaintext passwords only where they cannot be read on the way. */
static int
refused_in_clear(struct login_session *s, const struct imap_request *req)
{
	if (login_secure(s))
		return 0;
	tagged(s, req->tag, IMAP_NO, IMAP_CODE_PRIVACYREQUIRED, "Plaintext "
	    "authentication is not allowed without TLS (STARTTLS first).");
	return 1;
}

static void
cmd_login(struct login_session *s, const struct imap_request *req)
{
	struct sasl_creds	 cr;
	const struct imap_str	*u = &req->u.login.user, *p = &req->u.login.pass;

	if (refused_in_clear(s, req))
		return;
	if (u->len == 0 || u->len > SASL_LOGIN_MAX || p->len > PASSWORD_MAX ||
	    memchr(u->p, '\0', u->len) != NULL || memchr(p->p, '\0', p->len) != NULL) {
		/* Nothing like it is in any table: the same answer as a bad password. */
		s->fails++;
		tagged(s, req->tag, IMAP_NO, IMAP_CODE_AUTHENTICATIONFAILED,
		    "Authentication failed.");
		return;
	}
	memset(&cr, 0, sizeof(cr));
	memcpy(cr.login, u->p, u->len);
	memcpy(cr.password, p->p, p->len);
	s->tag = xstrdup(req->tag);
	login_auth_ask(s, &cr);
}

static void
cmd_authenticate(struct login_session *s, const struct imap_request *req)
{
	char	 mech[32];

	if (refused_in_clear(s, req))
		return;
	snprintf(mech, sizeof(mech), "%.*s", (int)req->u.auth.mech.len,
	    req->u.auth.mech.p);
	s->tag = xstrdup(req->tag);
	if (login_sasl_start(s, mech, (const unsigned char *)req->u.auth.ir.p,
	    req->u.auth.ir_set ? req->u.auth.ir.len : 0, req->u.auth.ir_set) == -1) {
		tagged(s, req->tag, IMAP_NO, IMAP_CODE_CANNOT, "Unsupported "
		    "authentication mechanism.");
		x_free(&s->tag);
	}
}

static void
dispatch(struct login_session *s, const struct imap_rd_cmd *cmd)
{
	struct imap_request	 req;
	struct imap_parse_opts	 opts = { .caps = caps(s), .enabled = 0 };
	int			 rc;

	rc = imap_parse(&req, cmd, &opts);
	if (req.def != NULL && !imap_cmd_allowed(req.def, IMAP_ST_NOTAUTH,
	    opts.caps, 0)) {
		s->errors++;
		tagged(s, req.tag, IMAP_BAD, IMAP_CODE_NONE, "Log in first.");
		goto done;
	}
	if (rc == -1) {
		s->errors++;
		tagged(s, req.tag, IMAP_BAD, IMAP_CODE_NONE, req.err);
		goto done;
	}
	switch (req.id) {
	case IMAP_CMD_CAPABILITY:
		cmd_capability(s, &req);
		break;
	case IMAP_CMD_NOOP:
		tagged(s, req.tag, IMAP_OK, IMAP_CODE_NONE, "NOOP completed.");
		break;
	case IMAP_CMD_ID:
		cmd_id(s, &req);
		break;
	case IMAP_CMD_LOGOUT:
		imap_login_bye(s, "Logging out.");
		tagged(s, req.tag, IMAP_OK, IMAP_CODE_NONE, "LOGOUT completed.");
		login_close(s);
		break;
	case IMAP_CMD_STARTTLS:
		cmd_starttls(s, &req);
		break;
	case IMAP_CMD_LOGIN:
		cmd_login(s, &req);
		break;
	case IMAP_CMD_AUTHENTICATE:
		cmd_authenticate(s, &req);
		break;
	default:
		s->errors++;
		tagged(s, req.tag, IMAP_BAD, IMAP_CODE_NONE, "Log in first.");
		break;
	}
done:
	/* The command's text may hold a password: gone before the next. */
	if (req.id == IMAP_CMD_LOGIN || req.id == IMAP_CMD_AUTHENTICATE)
		explicit_bzero((char *)cmd->text, cmd->len);
	imap_request_free(&req);
}

/* A literal is announced: a name or password may follow; nothing else is read before login. */
static void
literal(struct login_session *s, const struct imap_rd_cmd *cmd)
{
	struct imap_request	 req;
	struct imap_parse_opts	 opts = { .caps = caps(s), .enabled = 0 };
	const struct imap_rd_error *e;

	if (imap_parse_prefix(&req, cmd, &opts) == -1 || req.def == NULL ||
	    !imap_cmd_allowed(req.def, IMAP_ST_NOTAUTH, opts.caps, 0)) {
		s->errors++;
		tagged(s, req.tag, IMAP_BAD, IMAP_CODE_NONE,
		    req.def != NULL && !imap_cmd_allowed(req.def, IMAP_ST_NOTAUTH,
		    opts.caps, 0) ? "Log in first." : req.err);
		imap_request_free(&req);
		if (imap_reader_refuse(s->rd) == -1)
			login_abort(s);
		return;
	}
	imap_request_free(&req);
	switch (imap_reader_accept(s->rd, IMAP_LIT_BUFFER,
	    conn_input_len(s->conn) > 0)) {
	case IMAP_ACC_CONTINUE:
		conn_printf(s->conn, "+ Ready for literal data\r\n");
		break;
	case IMAP_ACC_GO:
		break;
	case IMAP_ACC_EARLY:
		e = imap_reader_error(s->rd);
		s->errors++;
		status(s, cmd->tag, cmd->taglen, e->status[0] == 'N' ? IMAP_NO :
		    IMAP_BAD, IMAP_CODE_NONE, e->text);
		break;
	case IMAP_ACC_NOROOM:
		if (imap_reader_refuse(s->rd) == -1)
			login_abort(s);
		break;
	}
}

void
imap_login_input(struct login_session *s)
{
	const struct imap_rd_cmd	*cmd;
	const struct imap_rd_error	*e;
	const char			*p, *line;
	size_t				 n, used, linelen;

	while (!s->closing && !s->relaying && s->wait == LW_NONE &&
	    s->conn != NULL && conn_ready(s->conn) &&
	    (n = conn_peek(s->conn, &p)) > 0) {
		switch (imap_reader_feed(s->rd, p, n, &used)) {
		case IMAP_RD_MORE:
			conn_drain(s->conn, used);
			break;
		case IMAP_RD_COMMAND:
			conn_drain(s->conn, used);
			cmd = imap_reader_command(s->rd);
			dispatch(s, cmd);
			break;
		case IMAP_RD_LITERAL:
			conn_drain(s->conn, used);
			literal(s, imap_reader_command(s->rd));
			break;
		case IMAP_RD_LINE:
			imap_reader_line(s->rd, &line, &linelen);
			if (s->sasl != LS_NONE)
				login_sasl_step(s, line, linelen);
			explicit_bzero((char *)line, linelen);
			conn_drain(s->conn, used);
			break;
		case IMAP_RD_ERROR:
			conn_drain(s->conn, used);
			cmd = imap_reader_command(s->rd);
			e = imap_reader_error(s->rd);
			s->errors++;
			status(s, cmd ? cmd->tag : NULL, cmd ? cmd->taglen : 0,
			    e->status[0] == 'N' ? IMAP_NO : IMAP_BAD,
			    IMAP_CODE_NONE, e->text);
			break;
		case IMAP_RD_FATAL:
			e = imap_reader_error(s->rd);
			imap_login_bye(s, e->text);
			login_close(s);
			return;
		case IMAP_RD_DATA:
			conn_drain(s->conn, used);
			break;
		}
	}
}

void
imap_login_failed(struct login_session *s, enum auth_result result)
{
	switch (result) {
	case AUTH_FAIL:
		tagged(s, s->tag, IMAP_NO, IMAP_CODE_AUTHENTICATIONFAILED,
		    "Authentication failed.");
		break;
	case AUTH_THROTTLED:
		tagged(s, s->tag, IMAP_NO, IMAP_CODE_UNAVAILABLE, "Too many "
		    "failed logins from your address; try again later.");
		break;
	default:
		tagged(s, s->tag, IMAP_NO, IMAP_CODE_UNAVAILABLE, "Temporary "
		    "authentication failure.");
		break;
	}
}

void
imap_login_challenge(struct login_session *s, const char *b64)
{
	conn_printf(s->conn, "+ %s\r\n", b64);
	imap_reader_expect_line(s->rd);
}

void
imap_login_sasl_bad(struct login_session *s, const char *text)
{
	/* RFC 9051 6.2.2: a cancelled or malformed exchange is a tagged BAD. */
	s->errors++;
	tagged(s, s->tag, IMAP_BAD, IMAP_CODE_NONE, text);
	x_free(&s->tag);
}

void
imap_login_unavailable(struct login_session *s, const char *why)
{
	(void)why;	/* logged; the client learns no more than this */
	tagged(s, s->tag, IMAP_NO, IMAP_CODE_UNAVAILABLE, "Your mailbox cannot "
	    "be opened now; try again later.");
	imap_login_bye(s, "Closing.");
}
