/* DKIM signing in the session: the message hashed here as it arrives, the digests signed by the signer process, which alone holds the keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/xalloc.h"
#include "mail/dkim.h"
#include "mail/dmarc.h"
#include "net/pending.h"
#include "smtp/mailauth_priv.h"

static void	on_signer(struct ipc *, struct ipc_msg *, void *);

/* Every request in flight fails: the signer died or was replaced. */
static void
signer_fail_all(struct smtp_server *srv, const char *why)
{
	struct smtp_mailauth	*ma;
	uint64_t		*ids, id;
	void			*ptr;
	size_t			 n = 0, iter = 0, i, k;

	if (srv->sign_reqs == NULL || pending_count(srv->sign_reqs) == 0)
		return;
	ids = xreallocarray(NULL, pending_count(srv->sign_reqs), sizeof(*ids));
	while (pending_iter(srv->sign_reqs, &iter, &id, &ptr))
		ids[n++] = id;
	for (i = 0; i < n; i++) {
		if ((ma = pending_take(srv->sign_reqs, ids[i])) == NULL)
			continue;
		for (k = 0; k < DKIM_SIGN_MAX; k++)
			if (ma->sign_req[k] == ids[i]) {
				ma->sign_req[k] = 0;
				ma->sign_waiting--;
			}
		ma->sign_failed = 1;
		ma->sign_error = why;
		ma_progress(ma);
	}
	free(ids);
}

void
smtp_signer_link(struct smtp_server *srv, int fd)
{
	if (srv->sign_reqs == NULL)
		srv->sign_reqs = pending_new();
	if (srv->signer != NULL) {
		ipc_free(srv->signer);
		srv->signer = NULL;
		signer_fail_all(srv, "the signer process was replaced");
	}
	srv->signer = ipc_new(srv->base, fd, "signer", on_signer, srv);
}

static void
signer_result(struct smtp_server *srv, struct ipc_msg *m)
{
	struct smtp_mailauth	*ma;
	struct ma_sigbuf	*sb;
	const void		*sig;
	const char		*error;
	size_t			 len, k;
	uint32_t		 ok;

	ok = ipc_get_u32(m);
	sig = ipc_get_data(m, &len);
	error = ipc_get_str(m);
	ipc_get_end(m);
	/* A transaction that ended meanwhile took its requests back. */
	if ((ma = pending_take(srv->sign_reqs, m->id)) == NULL)
		return;
	for (k = 0; k < DKIM_SIGN_MAX; k++)
		if (ma->sign_req[k] == m->id)
			break;
	if (k == DKIM_SIGN_MAX)
		fatalx("smtp: SIGNER_RESULT for no signature");
	ma->sign_req[k] = 0;
	ma->sign_waiting--;
	sb = &ma->sigbufs[k];
	if (!ok || len == 0 || len > sizeof(sb->b)) {
		ma->sign_failed = 1;
		ma->sign_error = "the signer refused";
		log_msg(LOG_ERR, "%016llx smtp dkim-sign d=%s: %s",
		    (unsigned long long)ma->s->id, ma->sign_d, error ? error :
		    "no signature");
	} else {
		memcpy(sb->b, sig, len);
		sb->len = len;
	}
	ma_progress(ma);
}

static void
on_signer(struct ipc *c, struct ipc_msg *m, void *arg)
{
	struct smtp_server	*srv = arg;

	if (m == NULL) {
		log_msg(LOG_ERR, "smtp: lost the signer process; waiting for a "
		    "new one");
		if (srv->signer == c) {
			ipc_free(srv->signer);
			srv->signer = NULL;
		}
		signer_fail_all(srv, "the signer process is gone");
		return;
	}
	msg_check(m->type, PROC_SIGNER, PROC_SMTP);
	switch (m->type) {
	case MSG_SIGNER_RESULT:
		signer_result(srv, m);
		break;
	default:
		fatalx("smtp: unexpected message %s from signer", msg_name(m->type));
	}
}

/* The dkim-sign filter of the listener that signs for domain, with d= into d. */
static const struct filter *
sign_filter(const struct smtp_session *s, const char *domain, char *d, size_t dlen)
{
	const struct filter	*top, *f;
	size_t			 i, n;

	if (s->listener == NULL || s->listener->filter == NULL ||
	    (top = conf_filter(s->conf, s->listener->filter)) == NULL)
		return NULL;
	n = top->kind == FILTER_CHAIN ? top->nchain : 1;
	for (i = 0; i < n; i++) {
		f = top->kind == FILTER_CHAIN ? conf_filter(s->conf, top->chain[i]) : top;
		if (f != NULL && conf_dkim_signs(f, domain, d, dlen))
			return f;
	}
	return NULL;
}

void
ma_sign_header(struct smtp_mailauth *ma, const char *hdr, size_t len)
{
	struct smtp_session	*s = ma->s;
	struct dkim_signer	 signers[2];
	const struct filter	*f;
	const char		*errstr;
	char			 from[DMARC_DOMAIN_MAX + 1];
	size_t			 n = 0, body;
	enum dmarc_from_status	 st;

	if ((st = dmarc_from_domain(hdr, len, from, sizeof(from))) != DMARC_FROM_OK) {
		log_msg(LOG_INFO, "%016llx smtp dkim-sign: not signed: %s",
		    (unsigned long long)s->id, dmarc_from_status_text(st));
		return;
	}
	/* Only mail whose From domain we sign for (OpenDKIM's Domain, SubDomains). */
	if ((f = sign_filter(s, from, ma->sign_d, sizeof(ma->sign_d))) == NULL)
		return;
	ma->shdr = xmalloc(len + 1);
	memcpy(ma->shdr, hdr, len);
	ma->shdr[len] = '\0';
	ma->shdrlen = len;
	ma->sfields = xreallocarray(NULL, DKIM_HDRS_MAX, sizeof(*ma->sfields));
	if (dkim_hdr_split(ma->shdr, len, ma->sfields, DKIM_HDRS_MAX,
	    &ma->nsfields, &body, &errstr) == -1)
		goto fail;
	memset(signers, 0, sizeof(signers));
	signers[n].domain = ma->sign_d;
	signers[n].selector = f->selector;
	signers[n].alg = (enum dkim_alg)f->dkim_alg;
	signers[n].hcanon = (enum dkim_canon)f->dkim_hcanon;
	signers[n++].bcanon = (enum dkim_canon)f->dkim_bcanon;
	if (f->selector2 != NULL) {
		signers[n] = signers[0];
		signers[n].selector = f->selector2;
		signers[n++].alg = (enum dkim_alg)f->dkim_alg2;
	}
	if ((ma->sign_ctx = dkim_sign_new(signers, n, time(NULL), &errstr)) == NULL)
		goto fail;
	ma->sign_filter = f;
	/* Room for the signatures as they come back, put in order at the end. */
	ma->sigbufs = xcalloc(DKIM_SIGN_MAX, sizeof(*ma->sigbufs));
	return;
fail:
	/* Mail we should sign and cannot, whatever we try: the client hears it at the end. */
	ma->sign_filter = f;
	ma->sign_failed = 1;
	ma->sign_permanent = 1;
	ma->sign_error = errstr;
	log_msg(LOG_ERR, "%016llx smtp dkim-sign d=%s: %s",
	    (unsigned long long)s->id, ma->sign_d, errstr);
}

void
ma_sign_body(struct smtp_mailauth *ma, const char *p, size_t n)
{
	if (ma->sign_ctx != NULL && !ma->sign_failed &&
	    dkim_sign_body(ma->sign_ctx, p, n) == -1) {
		ma->sign_failed = 1;
		ma->sign_error = "cannot hash the body";
	}
}

void
ma_sign_send(struct smtp_mailauth *ma)
{
	struct smtp_server	*srv = ma->s->server;
	struct ipc_out		 o;
	const char		*errstr;
	size_t			 i, n;
	const char		*sel;

	if (ma->sign_ctx == NULL || ma->sign_failed)
		return;
	if (dkim_sign_prepare(ma->sign_ctx, ma->sfields, ma->nsfields, 0,
	    &errstr) == -1) {
		ma->sign_failed = 1;
		ma->sign_permanent = 1;
		ma->sign_error = errstr;
		log_msg(LOG_ERR, "%016llx smtp dkim-sign d=%s: %s",
		    (unsigned long long)ma->s->id, ma->sign_d, errstr);
		return;
	}
	if (srv->signer == NULL) {
		ma->sign_failed = 1;
		ma->sign_error = "the signer process is not running";
		return;
	}
	n = dkim_sign_count(ma->sign_ctx);
	for (i = 0; i < n; i++) {
		sel = i == 0 ? ma->sign_filter->selector : ma->sign_filter->selector2;
		ma->sign_req[i] = pending_add(srv->sign_reqs, ma);
		ma->sign_waiting++;
		ipc_begin(&o, MSG_SIGNER_SIGN, ma->sign_req[i]);
		ipc_add_str(&o, ma->sign_d);
		ipc_add_str(&o, sel);
		ipc_add_u32(&o, (uint32_t)dkim_sign_alg(ma->sign_ctx, i));
		ipc_add_data(&o, dkim_sign_digest(ma->sign_ctx, i), 32);
		ipc_send(srv->signer, &o);
	}
}

int
ma_sign_busy(const struct smtp_mailauth *ma)
{
	return ma->sign_waiting > 0;
}

/* Takes the requests still in flight back: their answers are ignored. */
static void
sign_withdraw(struct smtp_mailauth *ma)
{
	struct smtp_server	*srv = ma->s->server;
	size_t			 k;

	for (k = 0; k < DKIM_SIGN_MAX; k++)
		if (ma->sign_req[k] != 0) {
			(void)pending_take(srv->sign_reqs, ma->sign_req[k]);
			ma->sign_req[k] = 0;
		}
	ma->sign_waiting = 0;
}

void
ma_sign_timeout(struct smtp_mailauth *ma)
{
	if (ma->sign_waiting == 0)
		return;
	sign_withdraw(ma);
	ma->sign_failed = 1;
	ma->sign_error = "the signer did not answer in time";
}

int
ma_sign_fields(struct smtp_mailauth *ma, struct buf *out)
{
	struct ma_sigbuf	*sb;
	const char		*errstr;
	size_t			 i, n;

	if (ma->sign_ctx == NULL || ma->sign_failed)
		return ma->sign_failed ? -1 : 0;
	n = dkim_sign_count(ma->sign_ctx);
	for (i = 0; i < n; i++) {
		sb = &ma->sigbufs[i];
		if (dkim_sign_complete(ma->sign_ctx, i, sb->b, sb->len, out, 0,
		    &errstr) == -1) {
			ma->sign_failed = 1;
			ma->sign_error = errstr;
			return -1;
		}
	}
	return 0;
}

void
ma_sign_free(struct smtp_mailauth *ma)
{
	sign_withdraw(ma);
	dkim_sign_free(&ma->sign_ctx);
	x_free(&ma->sigbufs);
	x_free(&ma->shdr);
	x_free(&ma->sfields);
}
