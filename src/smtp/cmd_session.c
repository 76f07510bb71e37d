/* Session-level SMTP commands: HELO, EHLO, RSET, NOOP, QUIT, HELP, VRFY, EXPN, and refusals. */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "mail/reply.h"
#include "smtp/session.h"

static void	helo_reply(struct smtp_session *);

void
smtp_cmd_helo(struct smtp_session *s, struct smtp_cmd *cmd)
{
	if (s->state == S_DATA || s->state == S_BDAT) {
		smtp_reply(s, 503, "5.5.1", "Bad sequence of commands");
		return;
	}
	/* RFC 5321 4.1.4: HELO/EHLO in a session resets any transaction. */
	s->state = S_READY;
	smtp_tx_reset(s);
	smtp_set_helo(s, cmd->arg);
	s->esmtp = cmd->verb == SMTP_EHLO;
	/* The helo or ehlo filters may refuse the name or rewrite it. */
	smtp_phase(s, s->esmtp ? PH_EHLO : PH_HELO, helo_reply);
}

static void
helo_reply(struct smtp_session *s)
{
	const struct conf *conf = s->conf;

	if (!s->esmtp) {
		smtp_reply(s, 250, NULL, "%s Hello %s [%s]", smtp_hostname(s),
		    s->helo, s->addr);
		return;
	}
	{
		char		 hello[REPLY_LINE_MAX], size[40];
		const char	*lines[12] = { hello, "PIPELINING", size, "8BITMIME",
		    "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING" };
		size_t		 n = 7;
		int		 lf = s->listener ? s->listener->flags : 0;
		struct buf	 b;

		snprintf(hello, sizeof(hello), "%s Hello %s [%s]",
		    smtp_hostname(s), s->helo, s->addr);
		snprintf(size, sizeof(size), "SIZE %zu", conf->max_message_size);
		if ((lf & LF_TLS) && !s->tls && !s->from_socket)
			lines[n++] = "STARTTLS";
		/* RFC 4954 4: offer passwords only where they cannot be overheard. */
		if ((lf & (LF_AUTH | LF_AUTH_OPTIONAL)) && smtp_auth_secure(s) &&
		    !((lf & LF_TLS_REQUIRE) && !s->tls && !s->from_socket))
			lines[n++] = "AUTH PLAIN LOGIN";
		/* RFC 3461, unless the listener says no-dsn. */
		if (!(lf & LF_NO_DSN))
			lines[n++] = "DSN";
		lines[n++] = "HELP";
		buf_init(&b, 0);
		reply_multi(&b, 250, lines, n);
		smtp_reply_raw(s, b.data, b.len);
		buf_free(&b);
	}
}

void
smtp_cmd_misc(struct smtp_session *s, struct smtp_cmd *cmd)
{
	switch (cmd->verb) {
	case SMTP_RSET:
		smtp_tx_reset(s);
		smtp_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_NOOP:
		smtp_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_QUIT:
		smtp_reply(s, 221, "2.0.0", "%s Bye", smtp_hostname(s));
		s->state = S_QUIT;
		smtp_close(s);
		break;
	case SMTP_HELP:
		smtp_reply(s, 214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA "
		    "BDAT RSET NOOP QUIT HELP VRFY");
		break;
	case SMTP_VRFY:
		/* RFC 5321 3.5.3: answer without saying whether the user exists. */
		smtp_reply(s, 252, "2.5.2", "Cannot VRFY user, but will accept "
		    "message and attempt delivery");
		break;
	case SMTP_EXPN:
		smtp_reply(s, 502, "5.5.1", "EXPN not available");
		break;
	case SMTP_LHLO:
		smtp_reply(s, 500, "5.5.1", "LHLO is for LMTP");
		break;
	case SMTP_STARTTLS:
		smtp_reply(s, 502, "5.5.1", "STARTTLS not available on this "
		    "listener");
		break;
	case SMTP_AUTH:
		smtp_reply(s, 502, "5.5.1", "AUTH not available on this listener");
		break;
	default:
		smtp_reply(s, 500, "5.5.2", "Command unrecognized");
		break;
	}
}
