/* POP3 before login (RFC 1939, RFC 2449, RFC 5034, RFC 2595): greeting, CAPA, STLS, USER/PASS, AUTH, QUIT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "login/login_priv.h"
#include "mail/pop3_cmd.h"
#include "mail/sasl.h"
#include "net/conn.h"

void
pop3_login_greet(struct login_session *s)
{
	/* No APOP timestamp: APOP needs the password in clear on the server. */
	conn_printf(s->conn, "+OK tegami ready.\r\n");
}

static void
cmd_capa(struct login_session *s)
{
	conn_printf(s->conn, "+OK Capability list follows\r\n"
	    "CAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
	    "UTF8\r\n%s%s%sIMPLEMENTATION tegami\r\n.\r\n",
	    login_secure(s) ? "USER\r\n" : "",
	    login_secure(s) ? "SASL PLAIN LOGIN\r\n" : "",
	    login_tls_offered(s) ? "STLS\r\n" : "");
}

static int
refused_in_clear(struct login_session *s)
{
	if (login_secure(s))
		return 0;
	s->errors++;
	conn_printf(s->conn, "-ERR [AUTH] Plaintext authentication is not "
	    "allowed without TLS (STLS first).\r\n");
	return 1;
}

static void
cmd_pass(struct login_session *s, const struct pop3_cmd *c)
{
	struct sasl_creds	 cr;

	if (refused_in_clear(s))
		return;
	if (s->user == NULL) {
		s->errors++;
		conn_printf(s->conn, "-ERR USER first.\r\n");
		return;
	}
	if (c->arglen > PASSWORD_MAX) {
		s->fails++;
		x_free(&s->user);
		conn_printf(s->conn, "-ERR [AUTH] Authentication failed.\r\n");
		return;
	}
	memset(&cr, 0, sizeof(cr));
	snprintf(cr.login, sizeof(cr.login), "%s", s->user);
	memcpy(cr.password, c->arg, c->arglen);
	x_free(&s->user);
	login_auth_ask(s, &cr);
}

static void
cmd_auth(struct login_session *s, const struct pop3_cmd *c)
{
	unsigned char	 ir[LOGIN_LINE_MAX];
	char		 mech[POP3_ARG_MAX + 1];
	long		 n = 0;

	if (c->arg == NULL) {
		/* AUTH alone lists the mechanisms, as many clients expect. */
		if (login_secure(s))
			conn_printf(s->conn, "+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n");
		else
			conn_printf(s->conn, "+OK\r\n.\r\n");
		return;
	}
	if (refused_in_clear(s))
		return;
	snprintf(mech, sizeof(mech), "%.*s", (int)c->arglen, c->arg);
	if (c->ir != NULL && !(c->irlen == 1 && c->ir[0] == '=') &&
	    (n = sasl_b64_decode(c->ir, c->irlen, ir, sizeof(ir))) < 0) {
		s->errors++;
		conn_printf(s->conn, "-ERR Invalid base64 in the initial "
		    "response.\r\n");
		return;
	}
	if (login_sasl_start(s, mech, ir, (size_t)n, c->ir != NULL) == -1) {
		s->errors++;
		conn_printf(s->conn, "-ERR Unsupported authentication mechanism.\r\n");
	}
	explicit_bzero(ir, sizeof(ir));
}

static void
dispatch(struct login_session *s, char *line, size_t len)
{
	struct pop3_cmd	 c;
	const char	*err;

	if (pop3_cmd_parse(&c, line, len, &err) == -1) {
		s->errors++;
		if (c.verb == POP3_UNKNOWN || c.verb == POP3_USER ||
		    c.verb == POP3_PASS || c.verb == POP3_AUTH ||
		    c.verb == POP3_CAPA || c.verb == POP3_STLS || c.verb == POP3_QUIT)
			conn_printf(s->conn, "-ERR %s\r\n", err);
		else
			conn_printf(s->conn, "-ERR Log in first.\r\n");
		return;
	}
	switch (c.verb) {
	case POP3_CAPA:
		cmd_capa(s);
		break;
	case POP3_QUIT:
		conn_printf(s->conn, "+OK Logging out.\r\n");
		login_close(s);
		break;
	case POP3_NOOP:
		conn_printf(s->conn, "+OK\r\n");
		break;
	case POP3_STLS:
		if (!login_tls_offered(s)) {
			s->errors++;
			conn_printf(s->conn, "-ERR %s\r\n", s->tls ? "TLS is already "
			    "active." : "STLS is not offered on this port.");
			break;
		}
		conn_printf(s->conn, "+OK Begin TLS negotiation now.\r\n");
		if (login_starttls(s) == -1)
			login_abort(s);
		break;
	case POP3_UTF8:
		/* RFC 6856 2: names and passwords may be UTF-8; ours are anyway. */
		conn_printf(s->conn, "+OK UTF8 enabled.\r\n");
		break;
	case POP3_USER:
		if (refused_in_clear(s))
			break;
		free(s->user);
		s->user = xstrndup(c.arg, c.arglen);
		conn_printf(s->conn, "+OK\r\n");
		break;
	case POP3_PASS:
		cmd_pass(s, &c);
		break;
	case POP3_AUTH:
		cmd_auth(s, &c);
		break;
	case POP3_APOP:
		s->errors++;
		conn_printf(s->conn, "-ERR APOP is not offered.\r\n");
		break;
	default:
		s->errors++;
		conn_printf(s->conn, "-ERR Log in first.\r\n");
		break;
	}
}

void
pop3_login_input(struct login_session *s)
{
	char	*line;
	size_t	 len;

	while (!s->closing && !s->relaying && s->wait == LW_NONE &&
	    s->conn != NULL && conn_ready(s->conn)) {
		switch (conn_getline(s->conn, &line, &len)) {
		case CONN_LINE_MORE:
			return;
		case CONN_LINE_TOO_LONG:
			s->errors++;
			if (s->sasl != LS_NONE)
				login_sasl_cancel(s);
			else
				conn_printf(s->conn, "-ERR Line too long.\r\n");
			break;
		case CONN_LINE_OK:
			if (s->sasl != LS_NONE)
				login_sasl_step(s, line, len);
			else
				dispatch(s, line, len);
			/* PASS and AUTH lines carry passwords. */
			explicit_bzero(line, len);
			break;
		}
		if (s->errors >= LOGIN_ERRORS_MAX)
			return;
	}
}

void
pop3_login_failed(struct login_session *s, enum auth_result result)
{
	switch (result) {
	case AUTH_FAIL:
		conn_printf(s->conn, "-ERR [AUTH] Authentication failed.\r\n");
		break;
	case AUTH_THROTTLED:
		conn_printf(s->conn, "-ERR [LOGIN-DELAY] Too many failed logins "
		    "from your address; try again later.\r\n");
		break;
	default:
		conn_printf(s->conn, "-ERR [SYS/TEMP] Temporary authentication "
		    "failure.\r\n");
		break;
	}
}

void
pop3_login_challenge(struct login_session *s, const char *b64)
{
	conn_printf(s->conn, "+ %s\r\n", b64);
}

void
pop3_login_sasl_bad(struct login_session *s, const char *text)
{
	s->errors++;
	conn_printf(s->conn, "-ERR %s\r\n", text);
}

void
pop3_login_unavailable(struct login_session *s, const char *why)
{
	(void)why;	/* logged; the client learns no more than this */
	conn_printf(s->conn, "-ERR [SYS/TEMP] Your mailbox cannot be opened "
	    "now; try again later.\r\n");
}
