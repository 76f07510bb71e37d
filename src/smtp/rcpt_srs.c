/* Bounces to forwarded mail: SRS0 recipients of our domains reversed to the original sender. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "route/ruleset.h"
#include "lib/log.h"
#include "mail/addr.h"
#include "mail/srs.h"
#include "smtp/rcpt_srs.h"
#include "smtp/session.h"

int
smtp_srs_rcpt(struct smtp_session *s, struct match_ctx *ctx,
    struct mailaddr *rcpt, char *addr, size_t addrlen)
{
	const struct conf	*conf = s->server->conf;
	const struct match	*m;
	struct mailaddr		 orig;
	const char		*errstr;
	char			 back[ADDR_PATH_MAX + 1];

	if (conf->srs_key == NULL || !srs_is_srs(rcpt->local))
		return 0;
	/* Ours only when its domain is delivered here; anything else routes as usual. */
	m = ruleset_match(conf, ctx);
	if (m == NULL || m->reject || m->action == NULL ||
	    m->action->method == ACTION_RELAY)
		return 0;
	if (srs_reverse(conf->srs_key, conf->srs_key_backup, rcpt->local,
	    time(NULL), conf->srs_ttl, back, sizeof(back), &errstr) == -1 ||
	    addr_parse(&orig, back, 1, &errstr) == -1) {
		log_msg(LOG_INFO, "%016llx smtp rcpt-refused address=%s from=<%s> "
		    "to=<%s> reason=\"srs: %s\"", (unsigned long long)s->id,
		    s->addr, s->env.sender, addr, errstr);
		smtp_reply(s, 550, "5.1.1", "<%s>: Recipient address rejected: "
		    "invalid or expired SRS address", addr);
		return -1;
	}
	log_msg(LOG_INFO, "%016llx smtp srs-reversed to=<%s> orig=<%s>",
	    (unsigned long long)s->id, addr, back);
	*rcpt = orig;
	addr_format(rcpt, addr, addrlen);
	ctx->rcpt_to = addr;
	ctx->src = NULL;
	ctx->from_socket = 1;
	return 1;
}
