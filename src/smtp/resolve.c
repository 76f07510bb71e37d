/* Routes a bounce's recipient for the queue: match rules and expansion, as for a local enqueuer. */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "route/expand.h"
#include "route/ruleset.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "mail/addr.h"
#include "mail/envelope.h"
#include "smtp/resolve.h"
#include "smtp/session.h"

/* Room in one message for the envelope text next to the status and error. */
#define RESOLVE_TEXT_MAX	(IPC_MAX_PAYLOAD - 1024)

enum { RESOLVE_OK, RESOLVE_TEMPFAIL, RESOLVE_PERMFAIL };

static void
reply(struct ipc *queue, uint64_t id, uint32_t status, const char *error,
    const struct buf *env)
{
	struct ipc_out	 o;

	ipc_begin(&o, MSG_SMTP_RESOLVED, id);
	ipc_add_u32(&o, status);
	ipc_add_str(&o, error);
	ipc_add_data(&o, env && env->len ? env->data : "", env ? env->len : 0);
	ipc_send(queue, &o);
}

void
smtp_resolve(struct smtp_server *server, struct ipc *queue, struct ipc_msg *m)
{
	const struct conf	*conf = server->conf;
	const struct match	*rule;
	struct match_ctx	 ctx;
	struct mailaddr		 rcpt;
	struct expand_error	 err;
	struct envelope		 env;
	struct buf		 text;
	const char		*address, *errstr;
	char			 addr[ADDR_PATH_MAX + 1], why[400];
	uint32_t		 status = RESOLVE_OK;

	address = ipc_get_str(m);
	ipc_get_end(m);
	envelope_init(&env);
	buf_init(&text, RESOLVE_TEXT_MAX);
	why[0] = '\0';
	if (address == NULL || addr_parse(&rcpt, address, 1, &errstr) == -1 ||
	    rcpt.domain[0] == '\0') {
		status = RESOLVE_PERMFAIL;
		snprintf(why, sizeof(why), "not a mail address");
		goto done;
	}
	addr_format(&rcpt, addr, sizeof(addr));
	/* A bounce is mail the server itself sends: it routes like local mail. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.from_socket = 1;
	ctx.helo = conf->hostname;
	ctx.mail_from = "";
	ctx.rcpt_to = addr;
	rule = ruleset_match(conf, &ctx);
	if (rule == NULL || rule->reject || rule->action == NULL) {
		status = RESOLVE_PERMFAIL;
		snprintf(why, sizeof(why), "no match rule delivers <%s> from "
		    "local", addr);
		goto done;
	}
	memcpy(env.id, "0000000000000000", sizeof(env.id));
	env.sender = xstrdup("");
	switch (expand_rcpt(conf, &ctx, rule->action, &rcpt, &env, &err)) {
	case EXPAND_OK:
		break;
	case EXPAND_TEMPFAIL:
		status = RESOLVE_TEMPFAIL;
		snprintf(why, sizeof(why), "%s", err.text);
		goto done;
	case EXPAND_PERMFAIL:
		status = RESOLVE_PERMFAIL;
		snprintf(why, sizeof(why), "%s", err.text);
		goto done;
	}
	if (envelope_serialize(&env, &text) == -1) {
		status = RESOLVE_PERMFAIL;
		snprintf(why, sizeof(why), "<%s> expands to more destinations than "
		    "a bounce can take", addr);
	}
done:
	if (status != RESOLVE_OK)
		buf_reset(&text);
	reply(queue, m->id, status, why[0] ? why : NULL, &text);
	envelope_free(&env);
	buf_free(&text);
}
