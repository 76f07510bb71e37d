/* What a session may cost besides errors: commands that move no mail, and the deadlines of RFC 5321 4.5.3.2. */
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/hops.h"
#include "smtp/session.h"

/*
 * Commands that move no mail, before each one more counts as an error
 * (Postfix's smtpd_junk_command_limit): millions of EHLOs or NOOPs in one
 * session end after SMTP_ERRORS_MAX more. Each message accepted starts the
 * count again, so a client that sends RSET before every message of a
 * reused connection is never cut off.
 */
#define SMTP_JUNK_MAX		100
/* Defaults of smtp timeout (RFC 5321 4.5.3.2.7, 4.5.3.2.6). */
#define SMTP_COMMAND_SECS	300
#define SMTP_DATA_SECS		SMTP_DATA_TIMEOUT_SECS
#define SMTP_SESSION_SECS	3600
/*
 * A body earns one more second of its deadline for every this many octets,
 * so a large message on a slow but steady link gets through while one
 * trickled a byte at a time does not (Postfix's smtpd_min_data_rate).
 */
#define SMTP_MIN_DATA_RATE	500

void
smtp_count_junk(struct smtp_session *s, enum smtp_verb verb)
{
	switch (verb) {
	case SMTP_HELO:
	case SMTP_EHLO:
	case SMTP_LHLO:
	case SMTP_RSET:
	case SMTP_NOOP:
	case SMTP_VRFY:
	case SMTP_EXPN:
	case SMTP_HELP:
		if (s->junk_cmds < SMTP_JUNK_MAX)
			s->junk_cmds++;
		else
			s->errors++;
		break;
	default:
		break;
	}
}

static time_t
secs(time_t configured, time_t dflt)
{
	return configured > 0 ? configured : dflt;
}

/* Seconds since the session started, plus one: a mark that is never 0. */
static uint32_t
mark(const struct smtp_session *s, time_t now)
{
	return (uint32_t)(now - s->started) + 1;
}

void
smtp_command_waits(struct smtp_session *s)
{
	if (s->cmd_at == 0)
		s->cmd_at = mark(s, time(NULL));
}

void
smtp_command_read(struct smtp_session *s)
{
	s->cmd_at = 0;
}

/* Which deadline has passed at now, or NULL. */
static const char *
passed(struct smtp_session *s, time_t now)
{
	const struct conf	*c = s->conf;
	time_t			 elapsed = now - s->started;
	size_t			 got;

	if (elapsed >= secs(c->smtp_timeout_session, SMTP_SESSION_SECS))
		return "session";
	if (s->state == S_DATA || s->state == S_BDAT) {
		/* The body's clock starts with its first octet. */
		if (s->data_at == 0)
			s->data_at = mark(s, now);
		got = s->state == S_DATA ? s->dot.size : s->msglen + s->wbuf.len;
		if (elapsed - (s->data_at - 1) >= secs(c->smtp_timeout_data,
		    SMTP_DATA_SECS) + (time_t)(got / SMTP_MIN_DATA_RATE))
			return "data";
		return NULL;
	}
	s->data_at = 0;
	if (s->cmd_at != 0 && elapsed - (s->cmd_at - 1) >=
	    secs(c->smtp_timeout_command, SMTP_COMMAND_SECS))
		return "command";
	return NULL;
}

int
smtp_deadline_passed(struct smtp_session *s)
{
	const char	*which;

	/* An answer from another process is awaited: it comes first. */
	if (s->closing || s->wait != W_NONE || (which = passed(s, time(NULL))) == NULL)
		return 0;
	log_msg(LOG_INFO, "%016llx smtp timeout address=%s deadline=%s",
	    (unsigned long long)s->id, s->addr, which);
	smtp_reply(s, 421, "4.4.2", "%s Timeout, closing connection",
	    smtp_hostname(s));
	smtp_close(s);
	return 1;
}

/* ---- mail loops ---- */

/* A Delivered-To naming a recipient of this message: it has been here before. */
static int
hops_ours(void *arg, const char *addr)
{
	const struct smtp_session	*s = arg;
	size_t				 i;

	for (i = 0; i < s->env.ndeliveries; i++)
		if (strcasecmp(addr, s->env.deliveries[i].dest) == 0 ||
		    strcasecmp(addr, s->env.deliveries[i].rcpt) == 0)
			return 1;
	return 0;
}

void
smtp_hops_start(struct smtp_session *s)
{
	if (s->hops == NULL)
		s->hops = xmalloc(sizeof(*s->hops));
	hops_init(s->hops, hops_ours, s);
}

void
smtp_hops_feed(struct smtp_session *s, const char *p, size_t n)
{
	if (s->hops != NULL && !s->hops->done)
		hops_feed(s->hops, p, n);
}

int
smtp_hops_exceeded(struct smtp_session *s)
{
	unsigned	 n;

	if (s->hops == NULL)
		return 0;
	hops_end(s->hops);
	if ((n = hops_count(s->hops)) < HOPS_MAX)
		return 0;
	log_msg(LOG_NOTICE, "%s smtp loop address=%s from=<%s> received=%u "
	    "delivered-to=%u", s->qid, s->addr, s->env.sender ? s->env.sender : "",
	    s->hops->received, s->hops->delivered);
	return 1;
}
