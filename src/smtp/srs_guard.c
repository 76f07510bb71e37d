/* SRS guessing: bad SRS recipients end a session after a few, and a client address after more. */
#include <string.h>
#include <time.h>

#include "lib/throttle.h"
#include "conf/conf.h"
#include "lib/log.h"
#include "mail/srs.h"
#include "smtp/session.h"

/*
 * The hash alone makes guessing hopeless (mail/srs.h); these limits make
 * sure nobody even tries long. A failure is a refused SRS recipient: a bad
 * hash, an expired stamp, an SRS address from a sender that is not the
 * null sender, or one tried while the address is throttled.
 */
#define SRS_FAILS_PER_SESSION	3
#define SRS_FAILS_PER_ADDR	10
#define SRS_FAILS_WITHIN	3600
#define SRS_BAN_SECS		3600

static int
guarded(const struct smtp_session *s, const char *rcpt)
{
	return s->conf->srs_key != NULL && !s->from_socket && srs_is_srs(rcpt);
}

static struct throttle *
srs_throttle(struct smtp_server *srv)
{
	if (srv->srs_throttle == NULL)
		srv->srs_throttle = throttle_new(SRS_FAILS_PER_ADDR,
		    SRS_FAILS_WITHIN, SRS_BAN_SECS);
	return srv->srs_throttle;
}

static void
srs_count(struct smtp_session *s)
{
	if (s->srs_failures < SRS_FAILS_PER_SESSION)
		s->srs_failures++;
	if (s->srs_failures < SRS_FAILS_PER_SESSION || s->closing)
		return;
	log_msg(LOG_NOTICE, "%016llx smtp srs-guessing address=%s failures=%u",
	    (unsigned long long)s->id, s->addr, s->srs_failures);
	smtp_reply(s, 421, "4.7.0", "%s Too many invalid SRS addresses, closing",
	    smtp_hostname(s));
	smtp_close(s);
}

int
smtp_srs_throttled(struct smtp_session *s, const char *rcpt)
{
	char		 key[THROTTLE_KEY_MAX];
	unsigned	 n;

	if (!guarded(s, rcpt))
		return 0;
	throttle_key(s->addr, key, sizeof(key));
	if (!throttle_banned(srs_throttle(s->server), key, time(NULL), &n))
		return 0;
	log_msg(LOG_NOTICE, "%016llx smtp srs-throttled address=%s to=<%s> "
	    "failures=%u", (unsigned long long)s->id, s->addr, rcpt, n);
	/* Not looked at: no answer here tells a right guess from a wrong one. */
	smtp_reply(s, 450, "4.7.1", "<%s>: Too many invalid SRS addresses from "
	    "your address, try later", rcpt);
	s->errors++;
	srs_count(s);
	return 1;
}

void
smtp_srs_refused(struct smtp_session *s, const char *rcpt)
{
	char	 key[THROTTLE_KEY_MAX];

	if (!guarded(s, rcpt))
		return;
	throttle_key(s->addr, key, sizeof(key));
	if (throttle_fail(srs_throttle(s->server), key, time(NULL)) ==
	    SRS_FAILS_PER_ADDR)
		log_msg(LOG_WARNING, "%016llx smtp srs-throttled address=%s "
		    "banned=%ds", (unsigned long long)s->id, s->addr, SRS_BAN_SECS);
	srs_count(s);
}
