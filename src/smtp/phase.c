/* SMTP phases: each command waits here for its asynchronous work (the client's name at connect, filters) before it proceeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dns/fcrdns.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "smtp/session.h"

const char *
smtp_rdns_verified(const struct smtp_session *s)
{
	return s->rdns == RDNS_CONFIRMED ? s->rdns_name : NULL;
}

/* The phase's work is done: the command goes on. */
static void
phase_done(struct smtp_session *s, int async)
{
	smtp_proceed	 proceed = s->proceed;

	s->wait = W_NONE;
	s->proceed = NULL;
	proceed(s);
	/*
	 * Answered from the event loop: read what the client pipelined
	 * meanwhile. (Done synchronously, the caller's loop goes on by itself.)
	 */
	if (async)
		smtp_resume(s);
}

static void
on_fcrdns(const struct fcrdns_result *r, void *arg)
{
	struct smtp_session	*s = arg;
	static const char *const names[] = { "confirmed", "unconfirmed", "none",
	    "tempfail" };

	s->fcrdns = NULL;
	switch (r->status) {
	case FCRDNS_CONFIRMED:
		s->rdns = RDNS_CONFIRMED;
		break;
	case FCRDNS_UNCONFIRMED:
		s->rdns = RDNS_UNCONFIRMED;
		break;
	case FCRDNS_NONE:
		s->rdns = RDNS_NONE;
		break;
	case FCRDNS_TEMPFAIL:
		s->rdns = RDNS_UNKNOWN;
		break;
	}
	if (r->name[0] != '\0')
		s->rdns_name = xstrdup(r->name);
	log_msg(LOG_INFO, "%016llx smtp rdns address=%s name=%s fcrdns=%s",
	    (unsigned long long)s->id, s->addr, r->name[0] ? r->name : "-",
	    names[r->status]);
	phase_done(s, 1);
}

/* Connect: who the client is, before the banner (Postfix and OpenSMTPD do the same). */
static int
phase_connect(struct smtp_session *s)
{
	if (s->from_socket)
		return 0;
	s->fcrdns = fcrdns_start(s->server->base, (struct sockaddr *)&s->peer,
	    SMTP_RDNS_TIMEOUT_SECS, on_fcrdns, s);
	return 1;
}

void
smtp_phase(struct smtp_session *s, enum smtp_phase phase, smtp_proceed proceed)
{
	int	 pending = 0;

	s->phase = phase;
	s->proceed = proceed;
	s->wait = W_PHASE;
	switch (phase) {
	case PH_CONNECT:
		pending = phase_connect(s);
		break;
	default:
		break;
	}
	if (!pending)
		phase_done(s, 0);
}

void
smtp_phase_cancel(struct smtp_session *s)
{
	if (s->wait != W_PHASE)
		return;
	fcrdns_cancel(s->fcrdns);
	s->fcrdns = NULL;
	s->wait = W_NONE;
	s->proceed = NULL;
}
