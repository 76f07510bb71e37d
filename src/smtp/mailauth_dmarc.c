/* DMARC policy discovery in the session: from the moment the From field is known, beside the DKIM key lookups. */
#include <string.h>

#include "dns/dns.h"
#include "lib/log.h"
#include "mail/dmarc.h"
#include "smtp/mailauth_priv.h"

static void	dmarc_run(struct smtp_mailauth *);

static void
on_answer(const struct dns_answer *a, void *arg)
{
	struct smtp_mailauth	*ma = arg;

	ma->dq = NULL;
	(void)dmarc_answer(ma->dmarc, a);
	dmarc_run(ma);
}

static void
dmarc_run(struct smtp_mailauth *ma)
{
	struct dmarc_question	 q;

	if (dmarc_step(ma->dmarc, &q) == DMARC_STEP_QUERY) {
		ma->dq = dns_lookup(q.name, q.type, on_answer, ma);
		return;
	}
	ma->dmarc_done = 1;
	ma_progress(ma);
}

void
ma_dmarc_start(struct smtp_mailauth *ma)
{
	/* Without one From domain there is no policy to find (RFC 7489 6.6.1). */
	if (ma->from_status != DMARC_FROM_OK)
		return;
	ma->dmarc = dmarc_start(ma->from_domain);
	dmarc_run(ma);
}

int
ma_dmarc_busy(const struct smtp_mailauth *ma)
{
	return ma->dmarc != NULL && !ma->dmarc_done;
}

void
ma_dmarc_timeout(struct smtp_mailauth *ma)
{
	if (ma->dmarc == NULL || ma->dmarc_done)
		return;
	dns_cancel(ma->dq);
	ma->dq = NULL;
	ma->dmarc_done = 1;
	ma->dmarc_timed_out = 1;
}

void
ma_dmarc_free(struct smtp_mailauth *ma)
{
	dns_cancel(ma->dq);
	ma->dq = NULL;
	dmarc_free(&ma->dmarc);
}
