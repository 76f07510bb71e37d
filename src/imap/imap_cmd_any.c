/* CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE, NAMESPACE and IDLE. */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mailbox/mailbox.h"

void
imap_cmd_capability(struct imap_session *s, struct imap_request *req)
{
	buf_reset(&s->out);
	buf_adds(&s->out, "* CAPABILITY ");
	imap_write_capability(s, &s->out);
	buf_adds(&s->out, "\r\n");
	imap_send(s, &s->out);
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Capability completed");
}

/*
 * NOOP, CHECK and IDLE first take what inotify has queued, and wait for
 * the jobs it makes: a message delivered a moment ago is in the answer.
 */
struct barrier {
	struct imap_cmd		 cmd;
	struct imap_session	*s;
	void			(*then)(struct imap_session *);
};


static void
barrier_work(struct idb *db, void *arg)
{
}

static void
barrier_done(void *arg)
{
	struct barrier		*b = arg;
	struct imap_session	*s = b->s;
	void			(*then)(struct imap_session *) = b->then;

	free(b);
	if (imap_session_release(s))
		return;
	imap_view_barrier(s, then);
}

/* Runs then once the selected view has no inotify events waiting. */
void
imap_view_barrier(struct imap_session *s, void (*then)(struct imap_session *))
{
	struct imap_view	*v = s->view;
	struct barrier		*b;

	if (v == NULL || !v->loaded || v->gone || (v->nev == 0 &&
	    !v->ev_job && !v->overflow)) {
		then(s);
		return;
	}
	b = xcalloc(1, sizeof(*b));
	b->s = s;
	b->then = then;
	imap_session_hold(s);
	imap_job(s->user, barrier_work, barrier_done, b);
}

static void
noop_then(struct imap_session *s)
{
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, s->req->id == IMAP_CMD_CHECK ?
	    "Check completed" : "NOOP completed");
}

void
imap_cmd_noop(struct imap_session *s, struct imap_request *req)
{
	imap_notify_poll();
	imap_view_barrier(s, noop_then);
}

void
imap_cmd_check(struct imap_session *s, struct imap_request *req)
{
	imap_notify_poll();
	imap_view_barrier(s, noop_then);
}

void
imap_cmd_logout(struct imap_session *s, struct imap_request *req)
{
	imap_sendf(s, "* BYE Logging out\r\n");
	s->logout = 1;
	imap_tagged(s, IMAP_OK, IMAP_CODE_NONE, "Logout completed");
	imap_cmd_finish(s);
}

void
imap_cmd_id(struct imap_session *s, struct imap_request *req)
{
	char	 clean[256], f[64];
	size_t	 i;

	for (i = 0; i < req->u.id.n && log_verbose(); i++) {
		const struct imap_id_pair	*p = &req->u.id.pairs[i];

		if (p->value.p == NULL)
			continue;
		log_msg(LOG_DEBUG, "%s imap id %s=\"%s\"", s->mc->id ? s->mc->id :
		    "-", log_clean(f, sizeof(f), p->field.p, p->field.len),
		    log_clean(clean, sizeof(clean), p->value.p, p->value.len));
	}
	imap_sendf(s, "* ID (\"name\" \"tegami\")\r\n");
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "ID completed");
}

void
imap_cmd_enable(struct imap_session *s, struct imap_request *req)
{
	unsigned	 bit, now = 0;
	size_t		 i;

	buf_reset(&s->out);
	buf_adds(&s->out, "* ENABLED");
	for (i = 0; i < req->u.enable.n; i++) {
		const struct imap_str	*n = &req->u.enable.names[i];

		bit = imap_enable_bit(n->p, n->len, s->caps);
		/* Listed once, and only when this command turned it on (RFC 5161 3.1). */
		if (bit == 0 || ((s->enabled | now) & bit) == bit)
			continue;
		now |= bit;
		buf_addc(&s->out, ' ');
		buf_add(&s->out, n->p, n->len);
	}
	buf_adds(&s->out, "\r\n");
	imap_send(s, &s->out);
	s->enabled |= now;
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Enabled");
}

void
imap_cmd_namespace(struct imap_session *s, struct imap_request *req)
{
	/* One personal namespace, no prefix, "/" between levels (Maildir++ as Dovecot shows it). */
	imap_sendf(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Namespace completed");
}

/* ---- IDLE ---- */

static void
idle_then(struct imap_session *s)
{
	imap_sendf(s, "+ idling\r\n");
	s->idling = 1;
	imap_report(s, IMAP_REPORT_EXPUNGE);
	imap_reader_expect_line(&s->rd);
	/* The reader goes on, for DONE; changes are told as they come. */
	s->busy = 0;
	imap_session_process(s);
}

void
imap_cmd_idle(struct imap_session *s, struct imap_request *req)
{
	imap_notify_poll();
	imap_view_barrier(s, idle_then);
}

void
imap_idle_line(struct imap_session *s, const char *line, size_t len)
{
	s->idling = 0;
	s->busy = 1;
	if (imap_parse_done(line, len) == 0)
		imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Idle completed");
	else
		imap_complete(s, IMAP_BAD, IMAP_CODE_NONE, "Expected DONE");
}

void
imap_session_changed(struct imap_session *s)
{
	if (s->idling)
		imap_report(s, IMAP_REPORT_EXPUNGE);
}
