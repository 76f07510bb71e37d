/* DKIM verification in the session: the signatures found when the header is in, their keys looked up meanwhile, the body hashed as it arrives. */
#include <string.h>
#include <time.h>

#include "dns/dns.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/dkim.h"
#include "mail/dkim_key.h"
#include "smtp/mailauth_priv.h"

/* A TXT record's strings joined; NULL when it is not one or too long. */
static char *
txt_join(const unsigned char *rd, int rdlen, size_t *len)
{
	char	*out;
	size_t	 i = 0, o = 0, n;

	if (rdlen <= 0 || (size_t)rdlen > DKIM_KEY_LEN_MAX)
		return NULL;
	out = xmalloc((size_t)rdlen + 1);
	while (i < (size_t)rdlen) {
		n = rd[i++];
		if (n > (size_t)rdlen - i) {
			free(out);
			return NULL;
		}
		memcpy(out + o, rd + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static void
on_key(const struct dns_answer *a, void *arg)
{
	struct ma_key	*k = arg;
	size_t		 i, len;
	char		*rec;

	k->q = NULL;
	k->done = 1;
	switch (a->status) {
	case DNS_OK:
		/*
		 * Several records at the name: the first that names a key
		 * (RFC 6376 3.6.2.2 lets the verifier choose).
		 */
		k->dns = DKIM_DNS_NOTFOUND;
		for (i = 0; i < a->n; i++) {
			if ((rec = txt_join(a->rdata[i], a->rdlen[i], &len)) == NULL)
				continue;
			if (k->rec == NULL || (strstr(k->rec, "p=") == NULL &&
			    strstr(rec, "p=") != NULL)) {
				free(k->rec);
				k->rec = rec;
				k->reclen = len;
				k->dns = DKIM_DNS_OK;
			} else
				free(rec);
		}
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		k->dns = DKIM_DNS_NOTFOUND;
		break;
	case DNS_TEMPFAIL:
		k->dns = DKIM_DNS_TEMPFAIL;
		break;
	}
	ma_progress(k->ma);
}

void
ma_dkim_start(struct smtp_mailauth *ma)
{
	const char	*errstr;
	char		 name[DKIM_DOMAIN_MAX * 2 + 16];
	size_t		 i;

	if (ma->fields == NULL)
		return;
	ma->ver = dkim_verify_new(ma->fields, ma->nfields, time(NULL),
	    DKIM_CLOCK_SLACK, &errstr);
	if (ma->ver == NULL) {
		log_msg(LOG_ERR, "%016llx smtp dkim: %s",
		    (unsigned long long)ma->s->id, errstr);
		return;
	}
	ma->nsigs = dkim_verify_count(ma->ver);
	/* Every key at once, while the body arrives. */
	for (i = 0; i < ma->nsigs; i++) {
		struct ma_key	*k = &ma->keys[i];

		k->ma = ma;
		k->idx = i;
		if (dkim_verify_query(ma->ver, i, name, sizeof(name)) == -1) {
			k->done = 1;	/* decided without a key: malformed, expired */
			continue;
		}
		k->asked = 1;
		k->q = dns_lookup(name, DNS_T_TXT, on_key, k);
	}
}

void
ma_dkim_body(struct smtp_mailauth *ma, const char *p, size_t n)
{
	if (ma->ver != NULL && !ma->body_failed &&
	    dkim_verify_body(ma->ver, p, n) == -1)
		ma->body_failed = 1;
}

int
ma_dkim_busy(const struct smtp_mailauth *ma)
{
	size_t	 i;

	for (i = 0; i < ma->nsigs; i++)
		if (!ma->keys[i].done)
			return 1;
	return 0;
}

void
ma_dkim_timeout(struct smtp_mailauth *ma)
{
	size_t	 i;

	for (i = 0; i < ma->nsigs; i++) {
		struct ma_key	*k = &ma->keys[i];

		if (k->done)
			continue;
		dns_cancel(k->q);
		k->q = NULL;
		k->done = 1;
		k->dns = DKIM_DNS_TEMPFAIL;
	}
}

void
ma_dkim_verdicts(struct smtp_mailauth *ma, struct dkim_verdict *v, size_t max,
    size_t *n)
{
	size_t	 i;

	*n = 0;
	if (ma->ver == NULL)
		return;
	/* A hashing failure leaves every signature "body not hashed": temperror. */
	(void)dkim_verify_body_end(ma->ver);
	for (i = 0; i < ma->nsigs && i < max; i++) {
		const struct ma_key	*k = &ma->keys[i];

		dkim_verify_result(ma->ver, i, k->asked ? k->dns :
		    DKIM_DNS_NOTFOUND, k->rec, k->reclen, &v[i]);
		(*n)++;
	}
}

void
ma_dkim_free(struct smtp_mailauth *ma)
{
	size_t	 i;

	for (i = 0; i < ma->nsigs; i++) {
		dns_cancel(ma->keys[i].q);
		ma->keys[i].q = NULL;
		free(ma->keys[i].rec);
		ma->keys[i].rec = NULL;
	}
	dkim_verify_free(&ma->ver);
}
