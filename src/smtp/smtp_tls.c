/* TLS in SMTP sessions: implicit TLS (smtps), STARTTLS (RFC 3207) and tls-require; certificates loaded from the config. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "smtp/session.h"
#include "smtp/smtp.h"

static SSL *
session_ssl(struct smtp_session *s)
{
	const struct listener	*l = s->listener;
	const char		*errstr;
	SSL			*ssl;

	ssl = tls_server_ssl(s->server->tls, l->pki, (l->flags & LF_TLS_VERIFY) != 0,
	    l->ca, &errstr);
	if (ssl == NULL)
		log_msg(LOG_ERR, "%016llx smtp tls-unavailable address=%s reason=\"%s\"",
		    (unsigned long long)s->id, s->addr, errstr);
	return ssl;
}

int
smtp_tls_implicit(struct smtp_session *s)
{
	SSL	*ssl;

	if ((ssl = session_ssl(s)) == NULL)
		return -1;
	s->tls = 1;
	/* The banner waits in the output until the handshake is done. */
	return conn_starttls(s->conn, ssl, CONN_TLS_SERVER) == -1 ? -1 : 0;
}

void
smtp_cmd_starttls(struct smtp_session *s, struct smtp_cmd *cmd)
{
	SSL	*ssl;
	long	 dropped;

	if (s->listener == NULL || !(s->listener->flags & LF_TLS) || s->from_socket) {
		smtp_reply(s, 502, "5.5.1", "STARTTLS not available on this "
		    "listener");
		return;
	}
	if (s->tls) {
		smtp_reply(s, 503, "5.5.1", "TLS already active");
		return;
	}
	if (s->state == S_GREETING) {
		smtp_reply(s, 503, "5.5.1", "Send EHLO first");
		return;
	}
	if ((ssl = session_ssl(s)) == NULL) {
		smtp_reply(s, 454, "4.7.0", "TLS not available due to temporary "
		    "reason");
		return;
	}
	smtp_reply(s, 220, "2.0.0", "Ready to start TLS");
	/*
	 * RFC 3207 5 and CVE-2011-0411: whatever the client sent after
	 * STARTTLS in plain text was not protected and must not be obeyed;
	 * the connection throws it away.
	 */
	if ((dropped = conn_starttls(s->conn, ssl, CONN_TLS_SERVER)) == -1) {
		log_msg(LOG_ERR, "%016llx smtp: cannot start TLS",
		    (unsigned long long)s->id);
		s->peer_gone = 1;
		smtp_close(s);
		return;
	}
	if (dropped > 0)
		log_msg(LOG_NOTICE, "%016llx smtp starttls-pipelined address=%s "
		    "bytes=%ld discarded", (unsigned long long)s->id, s->addr,
		    dropped);
	/*
	 * RFC 3207 4.2: forget everything learnt from the client before, a
	 * login made in clear included (it was not protected either); EHLO
	 * comes again. What the server found out (its name, the error and
	 * failure counts) stays.
	 */
	smtp_tx_reset(s);
	s->state = S_GREETING;
	smtp_set_helo(s, "");
	s->esmtp = 0;
	s->tls = 1;
	if (s->auth_user != NULL)
		log_msg(LOG_INFO, "%016llx smtp starttls-forgets user=%s",
		    (unsigned long long)s->id, s->auth_user);
	x_free(&s->auth_user);
	s->sasl = SASL_NONE;
	smtp_sasl_forget(s);
}

void
smtp_tls_established(struct smtp_session *s)
{
	SSL	*ssl = conn_ssl(s->conn);

	if (ssl == NULL)
		return;
	tls_info(ssl, &s->tls_version, &s->tls_cipher, &s->tls_bits);
	log_msg(LOG_INFO, "%016llx smtp tls address=%s version=%s cipher=%s",
	    (unsigned long long)s->id, s->addr, s->tls_version, s->tls_cipher);
}

/* Why a handshake failed, for the log. */
void
smtp_tls_log_error(struct smtp_session *s)
{
	char	 text[256];

	if (!s->tls || s->tls_version != NULL || s->conn == NULL)
		return;
	log_msg(LOG_INFO, "%016llx smtp tls-failed address=%s reason=\"%s\"",
	    (unsigned long long)s->id, s->addr,
	    conn_tls_error(s->conn, text, sizeof(text)));
}

int
smtp_tls_required(struct smtp_session *s)
{
	if (s->tls || s->from_socket || s->listener == NULL ||
	    !(s->listener->flags & LF_TLS_REQUIRE))
		return 0;
	smtp_reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
	return 1;
}
