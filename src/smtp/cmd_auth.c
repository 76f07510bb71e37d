/* AUTH (RFC 4954): PLAIN and LOGIN exchanges, the answer of the auth process, auth and senders rules. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/sasl.h"
#include "conf/conf.h"
#include "conf/table.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "smtp/session.h"

/* The decoded form of a response line: at most 3/4 of SMTP_CMDLINE_MAX. */
#define SASL_DECODED_MAX	(SMTP_CMDLINE_MAX / 4 * 3 + 3)

int
smtp_auth_secure(const struct smtp_session *s)
{
	return s->tls || s->local || s->from_socket;
}

static int
listener_index(const struct smtp_session *s, uint32_t *idx)
{
	const struct conf	*c = s->server->conf;
	size_t			 i;

	for (i = 0; i < c->nlisteners; i++)
		if (c->listeners[i] == s->listener) {
			*idx = (uint32_t)i;
			return 0;
		}
	return -1;
}

static void
sasl_fail(struct smtp_session *s, int code, const char *enh, const char *text)
{
	s->sasl = SASL_NONE;
	smtp_sasl_forget(s);
	smtp_reply(s, code, enh, "%s", text);
}

/* Hands the credentials to the auth process; input pauses until it answers. */
static void
auth_ask(struct smtp_session *s, struct sasl_creds *cr)
{
	struct ipc_out	 o;
	uint32_t	 li;

	s->sasl = SASL_NONE;
	smtp_sasl_forget(s);
	if (s->server->auth == NULL || listener_index(s, &li) == -1 ||
	    s->listener->auth == NULL) {
		log_msg(LOG_ERR, "%016llx smtp auth: no credentials table on this "
		    "listener (system accounts are not supported)",
		    (unsigned long long)s->id);
		smtp_reply(s, 454, "4.7.0", "Temporary authentication failure");
		sasl_creds_clear(cr);
		return;
	}
	ipc_begin(&o, MSG_AUTH_CHECK, s->id);
	ipc_add_u32(&o, li);
	ipc_add_str(&o, cr->login);
	ipc_add_str(&o, cr->password);
	ipc_add_str(&o, s->addr);
	ipc_send(s->server->auth, &o);
	sasl_creds_clear(cr);
	s->wait = W_AUTH;
}

static int
decode(const char *line, size_t len, unsigned char *out, size_t *outlen)
{
	long	 n;

	/* A lone "=" is an empty response (RFC 4954 4). */
	if (len == 1 && line[0] == '=') {
		*outlen = 0;
		return 0;
	}
	if (len == 0 || (n = sasl_b64_decode(line, len, out, SASL_DECODED_MAX)) < 0)
		return -1;
	*outlen = (size_t)n;
	return 0;
}

/* One decoded response, in the state the exchange is in. */
static void
sasl_step(struct smtp_session *s, const unsigned char *msg, size_t len)
{
	struct sasl_creds	 cr;
	const char		*errstr;

	switch (s->sasl) {
	case SASL_PLAIN:
		if (sasl_plain(msg, len, &cr, &errstr) == -1) {
			sasl_fail(s, 501, "5.5.2", "Malformed PLAIN response");
			return;
		}
		auth_ask(s, &cr);
		return;
	case SASL_LOGIN_USER:
		smtp_sasl_forget(s);
		s->sasl_login = xcalloc(1, SASL_LOGIN_MAX + 1);
		if (sasl_login_field(msg, len, s->sasl_login, SASL_LOGIN_MAX + 1,
		    &errstr) == -1 || s->sasl_login[0] == '\0') {
			sasl_fail(s, 501, "5.5.2", "Malformed user name");
			return;
		}
		s->sasl = SASL_LOGIN_PASS;
		smtp_reply(s, 334, NULL, "UGFzc3dvcmQ6");	/* "Password:" */
		return;
	case SASL_LOGIN_PASS:
		memset(&cr, 0, sizeof(cr));
		if (s->sasl_login != NULL)
			memcpy(cr.login, s->sasl_login, sizeof(cr.login));
		if (sasl_login_field(msg, len, cr.password, sizeof(cr.password),
		    &errstr) == -1) {
			sasl_creds_clear(&cr);
			sasl_fail(s, 501, "5.5.2", "Malformed password");
			return;
		}
		auth_ask(s, &cr);
		return;
	case SASL_NONE:
		break;
	}
}

void
smtp_auth_response(struct smtp_session *s, const char *line, size_t len)
{
	unsigned char	 msg[SASL_DECODED_MAX];
	size_t		 n;

	if (len == 1 && line[0] == '*') {
		sasl_fail(s, 501, "5.0.0", "Authentication cancelled");
		return;
	}
	if (decode(line, len, msg, &n) == -1) {
		sasl_fail(s, 501, "5.5.2", "Cannot decode response");
		return;
	}
	sasl_step(s, msg, n);
	explicit_bzero(msg, sizeof(msg));
}

void
smtp_cmd_auth(struct smtp_session *s, struct smtp_cmd *cmd)
{
	int		 lf = s->listener ? s->listener->flags : 0;
	unsigned char	 msg[SASL_DECODED_MAX];
	size_t		 n, irlen = strlen(cmd->arg2);

	if (!(lf & (LF_AUTH | LF_AUTH_OPTIONAL))) {
		smtp_reply(s, 503, "5.5.1", "AUTH not available on this listener");
		return;
	}
	/* After HELO too: clients written for old servers send it so (Postfix allows it). */
	if (s->state == S_GREETING) {
		smtp_reply(s, 503, "5.5.1", "Send HELO or EHLO first");
		return;
	}
	if (smtp_tls_required(s))
		return;
	if (!smtp_auth_secure(s)) {
		smtp_reply(s, 538, "5.7.11", "Encryption required for requested "
		    "authentication mechanism");
		return;
	}
	if (s->auth_user != NULL) {
		smtp_reply(s, 503, "5.5.1", "Already authenticated");
		return;
	}
	if (s->state != S_READY) {
		smtp_reply(s, 503, "5.5.1", "AUTH not permitted during a mail "
		    "transaction");
		return;
	}
	if (strcmp(cmd->arg, "PLAIN") == 0)
		s->sasl = SASL_PLAIN;
	else if (strcmp(cmd->arg, "LOGIN") == 0)
		s->sasl = SASL_LOGIN_USER;
	else {
		smtp_reply(s, 504, "5.5.4", "Unrecognized authentication type");
		return;
	}
	if (irlen == 0) {
		/* PLAIN: an empty challenge; LOGIN: "Username:". */
		if (s->sasl == SASL_PLAIN)
			smtp_reply(s, 334, NULL, "%s", "");
		else
			smtp_reply(s, 334, NULL, "VXNlcm5hbWU6");
		return;
	}
	if (decode(cmd->arg2, irlen, msg, &n) == -1) {
		sasl_fail(s, 501, "5.5.2", "Cannot decode response");
		return;
	}
	sasl_step(s, msg, n);
	explicit_bzero(msg, sizeof(msg));
}

void
smtp_auth_result(struct smtp_session *s, unsigned result, const char *login)
{
	s->wait = W_NONE;
	if (s->closing) {
		smtp_close(s);
		return;
	}
	switch (result) {
	case AUTH_OK:
		if (login == NULL || *login == '\0')
			fatalx("smtp: AUTH_RESULT ok without a login");
		s->auth_user = xstrdup(login);
		log_msg(LOG_INFO, "%016llx smtp auth address=%s user=%s",
		    (unsigned long long)s->id, s->addr, login);
		smtp_reply(s, 235, "2.7.0", "Authentication successful");
		break;
	case AUTH_FAIL:
		s->auth_failures++;
		smtp_reply(s, 535, "5.7.8", "Authentication credentials invalid");
		break;
	case AUTH_THROTTLED:
		smtp_reply(s, 454, "4.7.0", "Too many failed authentication "
		    "attempts, try later");
		break;
	default:
		smtp_reply(s, 454, "4.7.0", "Temporary authentication failure");
		break;
	}
	smtp_process(s);
}

int
smtp_auth_required(struct smtp_session *s)
{
	if (s->auth_user != NULL || s->from_socket || s->listener == NULL ||
	    !(s->listener->flags & LF_AUTH))
		return 0;
	smtp_reply(s, 530, "5.7.0", "Authentication required");
	return 1;
}

/* An entry of a senders list: "user@domain" exactly, or "@domain" (case-insensitive domain). */
static int
sender_entry_matches(const char *entry, size_t n, const char *sender)
{
	const char	*at = strrchr(sender, '@');
	size_t		 llen;

	if (at == NULL)
		return 0;
	llen = (size_t)(at - sender);
	if (n > 0 && entry[0] == '@')
		return strlen(at) == n && strncasecmp(at, entry, n) == 0;
	return strlen(sender) == n && strncmp(sender, entry, llen) == 0 &&
	    entry[llen] == '@' && strncasecmp(at, entry + llen, n - llen) == 0;
}

int
smtp_auth_sender_refused(struct smtp_session *s, const char *sender)
{
	const struct table	*t = s->listener ? s->listener->senders : NULL;
	const char		*v, *p;
	size_t			 n;

	if (t == NULL || s->auth_user == NULL)
		return 0;
	if ((v = table_get(t, s->auth_user)) == NULL)
		v = table_get_fold(t, s->auth_user);
	/* The value lists addresses separated by commas or blanks. */
	for (p = v; p != NULL && *p; p += n) {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n > 0 && sender_entry_matches(p, n, sender))
			return 0;
	}
	log_msg(LOG_NOTICE, "%016llx smtp sender-refused address=%s user=%s "
	    "from=<%s>", (unsigned long long)s->id, s->addr, s->auth_user, sender);
	smtp_reply(s, 553, "5.7.1", "Sender address rejected: not owned by user");
	return 1;
}
