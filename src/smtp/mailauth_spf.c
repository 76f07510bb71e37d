/* SPF in the session: MAIL FROM and HELO checked over DNS from MAIL on, while the client sends its message. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <string.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/helo.h"
#include "mail/spf.h"
#include "smtp/mailauth_priv.h"

static void	spf_run(struct ma_spf *);

static void
on_answer(const struct dns_answer *a, void *arg)
{
	struct ma_spf	*c = arg;

	c->q = NULL;
	(void)spf_answer(c->spf, a);
	spf_run(c);
}

/* Steps until the check needs DNS (a lookup goes out) or is done. */
static void
spf_run(struct ma_spf *c)
{
	struct spf_question	 q;

	if (spf_step(c->spf, &q) == SPF_STEP_QUERY) {
		c->q = dns_lookup(q.name, q.type, on_answer, c);
		return;
	}
	c->done = 1;
	ma_progress(c->ma);
}

static void
spf_begin(struct smtp_mailauth *ma, struct ma_spf *c, enum spf_identity id)
{
	struct smtp_session	*s = ma->s;
	struct spf_params	 p;
	const void		*addr;
	int			 af;

	if (s->peer.sa.sa_family == AF_INET) {
		af = AF_INET;
		addr = &((const struct sockaddr_in *)&s->peer)->sin_addr;
	} else if (s->peer.sa.sa_family == AF_INET6) {
		/* IPv4-mapped addresses are IPv4 clients: spf.c says so (RFC 7208 5). */
		af = AF_INET6;
		addr = &((const struct sockaddr_in6 *)&s->peer)->sin6_addr;
	} else
		return;
	memset(&p, 0, sizeof(p));
	p.identity = id;
	p.af = af;
	p.addr = addr;
	p.sender = s->env.sender;
	p.helo = s->helo[0] != '\0' ? s->helo : NULL;
	p.receiver = smtp_hostname(s);
	p.now = time(NULL);
	c->ma = ma;
	c->spf = spf_start(&p);
	spf_run(c);
}

void
ma_spf_start(struct smtp_mailauth *ma)
{
	struct smtp_session	*s = ma->s;

	spf_begin(ma, &ma->spf_mail, SPF_ID_MAILFROM);
	/*
	 * HELO on its own (RFC 7208 2.3) when it names a host; for a null
	 * reverse-path the MAIL FROM check is already postmaster@HELO.
	 */
	if (s->env.sender != NULL && s->env.sender[0] != '\0' &&
	    helo_classify(s->helo, strlen(s->helo), NULL, 0, NULL, NULL) ==
	    HELO_FQDN)
		spf_begin(ma, &ma->spf_helo, SPF_ID_HELO);
}

int
ma_spf_busy(const struct smtp_mailauth *ma)
{
	return (ma->spf_mail.spf != NULL && !ma->spf_mail.done) ||
	    (ma->spf_helo.spf != NULL && !ma->spf_helo.done);
}

static void
spf_stop(struct ma_spf *c)
{
	if (c->spf == NULL || c->done)
		return;
	dns_cancel(c->q);
	c->q = NULL;
	c->done = 1;
	c->timed_out = 1;
}

void
ma_spf_timeout(struct smtp_mailauth *ma)
{
	spf_stop(&ma->spf_mail);
	spf_stop(&ma->spf_helo);
}

enum spf_result
ma_spf_result(const struct ma_spf *c)
{
	if (c->spf == NULL)
		return SPF_NONE;
	return c->timed_out ? SPF_TEMPERROR : spf_result(c->spf);
}

int
ma_spf_authres(struct buf *out, const struct ma_spf *c)
{
	struct buf	 tmp;
	const char	*rest;
	int		 r;

	if (!c->timed_out)
		return spf_auth_results(out, c->spf);
	/* The same property, the result the bound gave (RFC 7208 4.6.4). */
	buf_init(&tmp, 0);
	if (spf_auth_results(&tmp, c->spf) == -1 ||
	    (rest = strchr(tmp.data, ' ')) == NULL) {
		buf_free(&tmp);
		return -1;
	}
	r = buf_addf(out, "spf=temperror%s", rest);
	buf_free(&tmp);
	return r;
}

static void
spf_clear(struct ma_spf *c)
{
	dns_cancel(c->q);
	c->q = NULL;
	spf_free(&c->spf);
}

void
ma_spf_free(struct smtp_mailauth *ma)
{
	spf_clear(&ma->spf_mail);
	spf_clear(&ma->spf_helo);
}
