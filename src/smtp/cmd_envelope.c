/* MAIL and RCPT: the envelope, with match rules and recipient expansion decided at RCPT. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "route/expand.h"
#include "route/ruleset.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "smtp/rcpt_srs.h"
#include "smtp/session.h"

/* DSN is offered after EHLO, except on no-dsn listeners. */
static int
smtp_dsn_offered(const struct smtp_session *s)
{
	return s->esmtp && !(s->listener && (s->listener->flags & LF_NO_DSN));
}

void
smtp_cmd_mail(struct smtp_session *s, struct smtp_cmd *cmd)
{
	const struct conf	*conf = s->server->conf;
	char			 sender[ADDR_PATH_MAX + 1];

	if (s->state == S_GREETING) {
		smtp_reply(s, 503, "5.5.1", "Send HELO or EHLO first");
		return;
	}
	if (s->state != S_READY) {
		smtp_reply(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (smtp_tls_required(s) || smtp_auth_required(s))
		return;
	if (s->nmails >= conf->max_mails) {
		smtp_reply(s, 452, "4.5.3", "Too many messages in this session");
		return;
	}
	if (cmd->size >= 0 && (unsigned long long)cmd->size > conf->max_message_size) {
		smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed maximum "
		    "message size");
		return;
	}
	if (!s->esmtp && (cmd->size >= 0 || cmd->body != BODY_DEFAULT ||
	    cmd->smtputf8)) {
		smtp_reply(s, 555, "5.5.4", "MAIL parameters need EHLO");
		return;
	}
	/* RFC 3461: the DSN parameters only where DSN was offered. */
	if ((cmd->ret || cmd->envid[0] != '\0') && !smtp_dsn_offered(s)) {
		smtp_reply(s, 555, "5.5.4", "DSN parameters not supported here");
		return;
	}
	if (cmd->body == BODY_BINARYMIME) {
		smtp_reply(s, 555, "5.5.4", "BINARYMIME not supported");
		return;
	}
	if (cmd->null_path)
		sender[0] = '\0';
	else
		addr_format(&cmd->addr, sender, sizeof(sender));
	if (smtp_auth_sender_refused(s, sender))
		return;

	smtp_tx_reset(s);
	s->env.sender = xstrdup(sender);
	s->declared_size = cmd->size;
	s->body_8bit = cmd->body == BODY_8BITMIME;
	s->smtputf8 = cmd->smtputf8;
	if (cmd->ret)
		s->env.dsn_ret_full = cmd->ret == 1;
	if (cmd->envid[0] != '\0')
		s->env.envid = xstrdup(cmd->envid);
	s->state = S_MAIL;
	smtp_reply(s, 250, "2.1.0", "Ok");
}

static const char *
notify_string(int notify, char *dst, size_t len)
{
	dst[0] = '\0';
	if (notify == 0)
		return NULL;
	if (notify & NOTIFY_NEVER)
		snprintf(dst, len, "NEVER");
	else
		snprintf(dst, len, "%s%s%s",
		    notify & NOTIFY_SUCCESS ? "SUCCESS," : "",
		    notify & NOTIFY_FAILURE ? "FAILURE," : "",
		    notify & NOTIFY_DELAY ? "DELAY," : "");
	if (dst[0] && dst[strlen(dst) - 1] == ',')
		dst[strlen(dst) - 1] = '\0';
	return dst;
}

void
smtp_cmd_rcpt(struct smtp_session *s, struct smtp_cmd *cmd)
{
	const struct conf	*conf = s->server->conf;
	struct mailaddr		 rcpt;
	struct match_ctx	 ctx;
	struct expand_error	 err;
	const struct match	*m;
	char			 addr[ADDR_PATH_MAX + 1], notify[40];
	size_t			 before, i;

	if (smtp_tls_required(s))
		return;
	if (s->state != S_MAIL && s->state != S_RCPT) {
		smtp_reply(s, 503, "5.5.1", "Need MAIL before RCPT");
		return;
	}
	if (s->nrcpt >= conf->max_rcpt) {
		smtp_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	if (cmd->has_utf8 && !s->smtputf8) {
		smtp_reply(s, 553, "5.6.7", "UTF-8 address needs MAIL ... SMTPUTF8");
		return;
	}
	if ((cmd->notify || cmd->orcpt[0] != '\0') && !smtp_dsn_offered(s)) {
		smtp_reply(s, 555, "5.5.4", "DSN parameters not supported here");
		return;
	}
	rcpt = cmd->addr;
	if (cmd->postmaster) {
		snprintf(rcpt.local, sizeof(rcpt.local), "postmaster");
		snprintf(rcpt.domain, sizeof(rcpt.domain), "%s", conf->hostname);
		addr_lower(rcpt.domain);
	}
	addr_format(&rcpt, addr, sizeof(addr));

	memset(&ctx, 0, sizeof(ctx));
	ctx.src = s->from_socket ? NULL : (const struct sockaddr *)&s->peer;
	ctx.from_socket = s->from_socket;
	ctx.helo = s->helo;
	ctx.auth_user = s->auth_user;
	ctx.tls = s->tls;
	ctx.tag = s->listener ? s->listener->tag : NULL;
	ctx.mail_from = s->env.sender;
	ctx.rcpt_to = addr;
	/* An SRS0 address of ours stands for the sender we once forwarded for. */
	if (smtp_srs_rcpt(s, &ctx, &rcpt, addr, sizeof(addr)) == -1)
		return;
	m = ruleset_match(conf, &ctx);
	if (m == NULL || m->reject) {
		log_msg(LOG_INFO, "%016llx smtp rcpt-refused address=%s from=<%s> "
		    "to=<%s> reason=%s", (unsigned long long)s->id, s->addr,
		    s->env.sender, addr, m ? "reject-rule" : "relay-denied");
		smtp_reply(s, 550, "5.7.1", "Delivery not authorized, message "
		    "refused: relay access denied for <%s>", addr);
		return;
	}

	before = s->env.ndeliveries;
	switch (expand_rcpt(conf, &ctx, m->action, &rcpt, &s->env, &err)) {
	case EXPAND_OK:
		break;
	case EXPAND_TEMPFAIL:
	case EXPAND_PERMFAIL:
		log_msg(LOG_INFO, "%016llx smtp rcpt-refused address=%s from=<%s> "
		    "to=<%s> reason=\"%s\"", (unsigned long long)s->id, s->addr,
		    s->env.sender, addr, err.text);
		smtp_reply(s, err.code, err.enhanced, "%s", err.text);
		return;
	}
	for (i = before; i < s->env.ndeliveries; i++) {
		struct delivery	*d = &s->env.deliveries[i];

		if (notify_string(cmd->notify, notify, sizeof(notify)))
			d->notify = xstrdup(notify);
		if (cmd->orcpt[0] != '\0')
			d->orcpt = xstrdup(cmd->orcpt);
	}
	s->nrcpt++;
	s->state = S_RCPT;
	smtp_reply(s, 250, "2.1.5", "Ok");
}
