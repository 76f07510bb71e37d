/* MAIL and RCPT: the envelope, with match rules and recipient expansion decided at RCPT. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "route/route.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "smtp/mailauth.h"
#include "smtp/session.h"

/* DSN is offered after EHLO, except on no-dsn listeners. */
static int
smtp_dsn_offered(const struct smtp_session *s)
{
	return s->esmtp && !(s->listener && (s->listener->flags & LF_NO_DSN));
}

static void	mail_accepted(struct smtp_session *);

void
smtp_cmd_mail(struct smtp_session *s, struct smtp_cmd *cmd)
{
	const struct conf	*conf = s->conf;
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
		/* The client's own excess: an error, though a 4xx one. */
		smtp_reply(s, 452, "4.5.3", "Too many messages in this session");
		s->errors++;
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
	/* The mail-from filters see the transaction begun; a refusal resets it. */
	smtp_phase(s, PH_MAIL_FROM, mail_accepted);
}

static void
mail_accepted(struct smtp_session *s)
{
	/* SPF runs while the client sends recipients and the message. */
	smtp_mailauth_start(s);
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

static void	rcpt_route(struct smtp_session *);
static void	rcpt_routed(struct route_job *, void *);

void
smtp_cmd_rcpt(struct smtp_session *s, struct smtp_cmd *cmd)
{
	const struct conf	*conf = s->conf;

	if (smtp_tls_required(s))
		return;
	if (s->state != S_MAIL && s->state != S_RCPT) {
		smtp_reply(s, 503, "5.5.1", "Need MAIL before RCPT");
		return;
	}
	if (s->nrcpt >= conf->max_rcpt) {
		smtp_reply(s, 452, "4.5.3", "Too many recipients");
		s->errors++;
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
	/* "postmaster" alone: the router knows whose (RFC 5321 4.5.1). */
	if (cmd->postmaster) {
		snprintf(cmd->addr.local, sizeof(cmd->addr.local), "postmaster");
		cmd->addr.domain[0] = '\0';
	}
	addr_lower(cmd->addr.domain);
	x_free(&s->rcpt_orcpt);
	s->rcpt_notify = cmd->notify;
	if (cmd->orcpt[0] != '\0')
		s->rcpt_orcpt = xstrdup(cmd->orcpt);
	x_free(&s->rcpt_addr);
	s->rcpt_addr = xmalloc(ADDR_PATH_MAX + 1);
	addr_format(&cmd->addr, s->rcpt_addr, ADDR_PATH_MAX + 1);
	if (smtp_srs_throttled(s, s->rcpt_addr))
		return;
	smtp_phase(s, PH_RCPT_TO, rcpt_route);
}

/*
 * The router reads the user database and :include: files: it runs on a
 * worker thread, and the session reads nothing until it answers.
 */
static void
rcpt_route(struct smtp_session *s)
{
	struct match_ctx	 ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.src = s->from_socket ? NULL : (const struct sockaddr *)&s->peer;
	ctx.from_socket = s->from_socket;
	ctx.rdns = smtp_rdns_verified(s);
	ctx.helo = s->helo;
	ctx.auth_user = s->auth_user;
	ctx.tls = s->tls;
	ctx.tag = s->listener ? s->listener->tag : NULL;
	ctx.mail_from = s->env.sender;
	s->wait = W_ROUTE;
	/* The newest tables route: a table updated meanwhile counts at once. */
	s->route = route_rcpt_start(s->server->pool, s->server->conf, &ctx,
	    s->rcpt_addr, rcpt_routed, s);
}

static void
rcpt_routed(struct route_job *job, void *arg)
{
	struct smtp_session		*s = arg;
	const struct route_error	*err = route_job_error(job);
	struct envelope			*found = route_job_envelope(job);
	char				 notify[40];
	size_t				 i;

	s->wait = W_NONE;
	s->route = NULL;
	if (s->closing) {
		route_job_free(job);
		smtp_close(s);
		return;
	}
	if (route_job_status(job) != ROUTE_OK) {
		if (strcmp(err->reason, "relay-denied") == 0 ||
		    strcmp(err->reason, "reject-rule") == 0)
			log_msg(LOG_INFO, "%016llx smtp rcpt-refused address=%s "
			    "from=<%s> to=<%s> reason=%s", (unsigned long long)s->id,
			    s->addr, s->env.sender, route_job_rcpt(job), err->reason);
		else
			log_msg(LOG_INFO, "%016llx smtp rcpt-refused address=%s "
			    "from=<%s> to=<%s> reason=\"%s\"",
			    (unsigned long long)s->id, s->addr, s->env.sender,
			    route_job_rcpt(job), err->text);
		smtp_reply(s, err->code, err->enhanced, "%s", err->text);
		if (strncmp(err->reason, "srs", 3) == 0)
			smtp_srs_refused(s, route_job_rcpt(job));
		route_job_free(job);
		smtp_resume(s);
		return;
	}
	if (route_job_srs_reversed(job))
		log_msg(LOG_INFO, "%016llx smtp srs-reversed to=<%s>",
		    (unsigned long long)s->id, route_job_rcpt(job));
	for (i = 0; i < found->ndeliveries; i++) {
		struct delivery	*d = &found->deliveries[i];

		if (notify_string(s->rcpt_notify, notify, sizeof(notify)))
			d->notify = xstrdup(notify);
		if (s->rcpt_orcpt != NULL)
			d->orcpt = xstrdup(s->rcpt_orcpt);
		envelope_add_unique(&s->env, d);
	}
	route_job_free(job);
	s->nrcpt++;
	s->state = S_RCPT;
	smtp_reply(s, 250, "2.1.5", "Ok");
	smtp_queue_prepare(s);
	smtp_resume(s);
}
