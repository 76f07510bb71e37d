/* SMTP phases: each command waits here for its asynchronous work (the client's name at connect, DNS lists) and the filters' decision before it proceeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dns/fcrdns.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "smtp/filter.h"
#include "smtp/guard.h"
#include "smtp/mailauth.h"
#include "smtp/session.h"

const char *
smtp_rdns_verified(const struct smtp_session *s)
{
	return s->rdns == RDNS_CONFIRMED ? s->rdns_name : NULL;
}

/* The phase's work is done and the filters let it through: the command goes on. */
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

/* Every asynchronous step is done: the filters decide. */
static void
phase_decide(struct smtp_session *s, int async)
{
	enum filter_outcome	 out;

	if (s->phase == PH_CONNECT && smtp_guard_early_talker(s)) {
		smtp_filter_cancel(s);
		out = FILTER_CLOSE;
	} else
		out = smtp_filter_decide(s);
	/* At the end of data, once the filters let it through: mail-auth and dkim-sign. */
	if (out == FILTER_PROCEED && s->phase == PH_COMMIT)
		out = smtp_mailauth_decide(s);
	switch (out) {
	case FILTER_PROCEED:
		phase_done(s, async);
		return;
	case FILTER_REFUSED:
		s->wait = W_NONE;
		s->proceed = NULL;
		if (async)
			smtp_resume(s);
		return;
	case FILTER_CLOSE:
		s->wait = W_NONE;
		s->proceed = NULL;
		smtp_close(s);
		return;
	}
}

/* One asynchronous step of the phase is done. */
static void
phase_step(struct smtp_session *s)
{
	if (s->phase_pending > 0 && --s->phase_pending == 0)
		phase_decide(s, 1);
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
	log_msg(LOG_INFO, "%016llx smtp rdns address=%s name=%s fcrdns=%s%s",
	    (unsigned long long)s->id, s->addr, r->name[0] ? r->name : "-",
	    names[r->status], r->cached ? " cached=yes" : "");
	/* The lists that look the client's name up can start now. */
	if (smtp_filter_start(s, PH_CONNECT, FILTER_STAGE_LATE, phase_step))
		s->phase_pending++;
	phase_step(s);
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
	s->phase = phase;
	s->proceed = proceed;
	s->wait = W_PHASE;
	/* One for this call, so that no step finishing early decides before all are started. */
	s->phase_pending = 1;
	if (phase == PH_CONNECT && phase_connect(s))
		s->phase_pending++;
	/* DNS lists go out beside the client's name lookup, not after it. */
	if (smtp_filter_start(s, phase, phase == PH_CONNECT ? FILTER_STAGE_EARLY :
	    FILTER_STAGE_ALL, phase_step))
		s->phase_pending++;
	/* SPF, DKIM keys and DMARC went out earlier; signatures go out now. */
	if (phase == PH_COMMIT && smtp_mailauth_commit(s, phase_step))
		s->phase_pending++;
	if (--s->phase_pending == 0)
		phase_decide(s, 0);
}

void
smtp_phase_cancel(struct smtp_session *s)
{
	if (s->wait != W_PHASE)
		return;
	fcrdns_cancel(s->fcrdns);
	s->fcrdns = NULL;
	smtp_filter_cancel(s);
	smtp_mailauth_unwait(s);
	s->phase_pending = 0;
	s->wait = W_NONE;
	s->proceed = NULL;
}
