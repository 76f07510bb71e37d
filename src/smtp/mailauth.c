/* mail-auth and dkim-sign in the session: what a transaction gets, the wait at the end of data, Authentication-Results, and enforce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/authres.h"
#include "mail/dkim.h"
#include "mail/dmarc.h"
#include "mail/msgcheck.h"
#include "mail/spf.h"
#include "smtp/mailauth_priv.h"

/* The first filter of a kind among the listener's rules, or NULL. */
static const struct filter *
listener_filter(const struct smtp_session *s, enum filter_kind kind)
{
	const struct filter	*top, *f;
	size_t			 i, n;

	if (s->listener == NULL || s->listener->filter == NULL ||
	    (top = conf_filter(s->conf, s->listener->filter)) == NULL)
		return NULL;
	n = top->kind == FILTER_CHAIN ? top->nchain : 1;
	for (i = 0; i < n; i++) {
		f = top->kind == FILTER_CHAIN ? conf_filter(s->conf, top->chain[i]) :
		    top;
		if (f != NULL && f->kind == kind)
			return f;
	}
	return NULL;
}

void
smtp_mailauth_start(struct smtp_session *s)
{
	const struct filter	*check = listener_filter(s, FILTER_MAIL_AUTH);
	struct smtp_mailauth	*ma;
	int			 submitted = s->auth_user != NULL || s->from_socket;

	smtp_mailauth_free(s);
	ma = xcalloc(1, sizeof(*ma));
	ma->s = s;
	/*
	 * Authenticated and local submissions are not checked (OpenDMARC's
	 * IgnoreAuthenticatedClients); they are what gets signed, as are
	 * clients on loopback (OpenDKIM's InternalHosts).
	 */
	ma->check = check != NULL && !submitted;
	ma->enforce = ma->check && check->enforce;
	ma->sign = listener_filter(s, FILTER_DKIM_SIGN) != NULL &&
	    (submitted || s->local);
	/* Our results exist somewhere: nobody else's claim to them passes (RFC 8601 5). */
	ma->strip = conf_has_mail_auth(s->conf);
	if (!ma->check && !ma->sign && !ma->strip) {
		free(ma);
		return;
	}
	ma->authserv_id = conf_authserv_id(s->conf);
	s->ma = ma;
	if (ma->check)
		ma_spf_start(ma);
}

void
smtp_mailauth_free(struct smtp_session *s)
{
	struct smtp_mailauth	*ma = s->ma;

	if (ma == NULL)
		return;
	if (ma->timer != NULL)
		event_free(ma->timer);
	ma_spf_free(ma);
	ma_dkim_free(ma);
	ma_dmarc_free(ma);
	ma_sign_free(ma);
	free(ma->fields);
	free(ma->hdr);
	free(ma);
	s->ma = NULL;
}

int
smtp_mailauth_holds(const struct smtp_session *s)
{
	return s->ma != NULL;
}

void
smtp_mailauth_header(struct smtp_session *s, const char *hdr, size_t len)
{
	struct smtp_mailauth	*ma = s->ma;
	size_t			 body;

	ma->header_seen = 1;
	if (!ma->check)
		return;
	/* The fields point into this copy until the transaction ends. */
	ma->hdr = xmalloc(len + 1);
	memcpy(ma->hdr, hdr, len);
	ma->hdr[len] = '\0';
	ma->hdrlen = len;
	ma->fields = xreallocarray(NULL, DKIM_HDRS_MAX, sizeof(*ma->fields));
	if (dkim_hdr_split(ma->hdr, len, ma->fields, DKIM_HDRS_MAX, &ma->nfields,
	    &body, &ma->split_error) == -1) {
		x_free(&ma->fields);
		ma->nfields = 0;
	}
	ma->from_status = dmarc_from_domain(ma->hdr, len, ma->from_domain,
	    sizeof(ma->from_domain));
	if (ma->fields != NULL)
		(void)msgcheck_counts(ma->fields, ma->nfields, ma->counts_why,
		    sizeof(ma->counts_why));
	else
		snprintf(ma->counts_why, sizeof(ma->counts_why), "%s",
		    ma->split_error);
	/* Keys and policy are looked up while the body arrives. */
	ma_dkim_start(ma);
	ma_dmarc_start(ma);
}

size_t
smtp_mailauth_strip(struct smtp_session *s, char *hdr, size_t len)
{
	struct smtp_mailauth	*ma = s->ma;
	size_t			 n, removed;

	if (!ma->strip)
		return len;
	n = authres_strip(hdr, len, ma->authserv_id, &removed);
	if (removed > 0) {
		ma->stripped += removed;
		log_msg(LOG_INFO, "%016llx smtp mail-auth removed=%zu "
		    "reason=\"Authentication-Results claiming to be %s\"",
		    (unsigned long long)s->id, removed, ma->authserv_id);
	}
	return n;
}

void
smtp_mailauth_sign_header(struct smtp_session *s, const char *hdr, size_t len)
{
	if (s->ma->sign)
		ma_sign_header(s->ma, hdr, len);
}

void
smtp_mailauth_header_overflow(struct smtp_session *s)
{
	s->ma->header_seen = 1;
	s->ma->header_overflow = 1;
}

void
smtp_mailauth_body(struct smtp_session *s, const char *p, size_t n)
{
	struct smtp_mailauth	*ma = s->ma;

	if (ma == NULL || !ma->header_seen || ma->header_overflow || n == 0)
		return;
	if (ma->check)
		ma_dkim_body(ma, p, n);
	if (ma->sign)
		ma_sign_body(ma, p, n);
}

static int
busy(const struct smtp_mailauth *ma)
{
	return ma_spf_busy(ma) || ma_dkim_busy(ma) || ma_dmarc_busy(ma) ||
	    ma_sign_busy(ma);
}

void
ma_progress(struct smtp_mailauth *ma)
{
	void	(*done)(struct smtp_session *) = ma->done;

	if (done == NULL || busy(ma))
		return;
	ma->done = NULL;
	if (ma->timer != NULL)
		evtimer_del(ma->timer);
	/* The session may end the transaction (and free ma) from here. */
	done(ma->s);
}

static void
on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_mailauth	*ma = arg;

	log_msg(LOG_WARNING, "%016llx smtp mail-auth timeout=%ds:%s%s%s%s",
	    (unsigned long long)ma->s->id, MAILAUTH_WAIT_SECS,
	    ma_spf_busy(ma) ? " spf" : "", ma_dkim_busy(ma) ? " dkim" : "",
	    ma_dmarc_busy(ma) ? " dmarc" : "", ma_sign_busy(ma) ? " signer" : "");
	ma_spf_timeout(ma);
	ma_dkim_timeout(ma);
	ma_dmarc_timeout(ma);
	ma_sign_timeout(ma);
	ma_progress(ma);
}

int
smtp_mailauth_commit(struct smtp_session *s, void (*done)(struct smtp_session *))
{
	struct smtp_mailauth	*ma = s->ma;
	struct timeval		 tv = { MAILAUTH_WAIT_SECS, 0 };

	if (ma == NULL)
		return 0;
	if (ma->sign && ma->header_seen && !ma->header_overflow)
		ma_sign_send(ma);
	if (!busy(ma))
		return 0;
	ma->done = done;
	if (ma->timer == NULL &&
	    (ma->timer = evtimer_new(s->server->base, on_timeout, ma)) == NULL)
		fatalx("smtp: evtimer_new");
	evtimer_add(ma->timer, &tv);
	return 1;
}

void
smtp_mailauth_unwait(struct smtp_session *s)
{
	if (s->ma != NULL) {
		s->ma->done = NULL;
		if (s->ma->timer != NULL)
			evtimer_del(s->ma->timer);
	}
}

/* An RFC 2045 value: a token as it is, else a quoted-string. */
static void
add_value(struct buf *b, const char *v)
{
	const char	*p;
	int		 token = *v != '\0';

	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", *p) != NULL)
			token = 0;
	if (token) {
		buf_adds(b, v);
		return;
	}
	buf_addc(b, '"');
	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* What the checks found: Authentication-Results, and the words of the log line. */
struct verdicts {
	struct dkim_verdict	 dkim[DKIM_VERIFY_MAX];
	size_t			 ndkim;
	const char		*dkim_pass[DKIM_VERIFY_MAX];
	size_t			 npass;
	const char		*dmarc;		/* the result's word */
	enum dmarc_policy	 disposition;
	enum dmarc_policy	 policy;
};

static void
evaluate(struct smtp_mailauth *ma, struct verdicts *v)
{
	struct dmarc_auth	 auth;
	size_t			 i;

	memset(v, 0, sizeof(*v));
	ma_dkim_verdicts(ma, v->dkim, DKIM_VERIFY_MAX, &v->ndkim);
	for (i = 0; i < v->ndkim; i++)
		if (v->dkim[i].result == DKIM_PASS)
			v->dkim_pass[v->npass++] = v->dkim[i].d;
	v->dmarc = "none";
	if (ma->from_status != DMARC_FROM_OK) {
		v->dmarc = "permerror";
		return;
	}
	if (ma->dmarc == NULL)
		return;
	if (ma->dmarc_timed_out) {
		v->dmarc = "temperror";
		return;
	}
	memset(&auth, 0, sizeof(auth));
	auth.spf = ma_spf_result(&ma->spf_mail);
	auth.spf_domain = ma->spf_mail.spf != NULL ? spf_domain(ma->spf_mail.spf) :
	    NULL;
	auth.dkim_pass = v->dkim_pass;
	auth.ndkim = v->npass;
	dmarc_evaluate(ma->dmarc, &auth, NULL, NULL);
	v->dmarc = dmarc_result_name(dmarc_result(ma->dmarc));
	v->policy = dmarc_policy(ma->dmarc);
	v->disposition = dmarc_disposition(ma->dmarc);
}

/* Authentication-Results: spf (MAIL FROM, then HELO), each DKIM signature, dmarc. */
static void
authres(struct smtp_mailauth *ma, const struct verdicts *v, struct buf *out)
{
	struct buf	 r[2 + DKIM_VERIFY_MAX + 1];
	const char	*texts[2 + DKIM_VERIFY_MAX + 1];
	size_t		 n = 0, i;

	if (ma->spf_mail.spf != NULL) {
		buf_init(&r[n], 0);
		if (ma_spf_authres(&r[n], &ma->spf_mail) == 0)
			n++;
		else
			buf_free(&r[n]);
	}
	if (ma->spf_helo.spf != NULL) {
		buf_init(&r[n], 0);
		if (ma_spf_authres(&r[n], &ma->spf_helo) == 0)
			n++;
		else
			buf_free(&r[n]);
	}
	if (v->ndkim == 0 && ma->fields == NULL && ma->split_error != NULL) {
		/* Signatures may be there, unread: not "none". */
		buf_init(&r[n], 0);
		buf_adds(&r[n], "dkim=permerror reason=");
		add_value(&r[n++], ma->split_error);
	} else if (v->ndkim == 0) {
		buf_init(&r[n], 0);
		buf_adds(&r[n++], "dkim=none");
	}
	for (i = 0; i < v->ndkim; i++) {
		buf_init(&r[n], 0);
		if (dkim_authres(&r[n], &v->dkim[i]) == 0)
			n++;
		else
			buf_free(&r[n]);
	}
	buf_init(&r[n], 0);
	if (ma->from_status != DMARC_FROM_OK) {
		buf_adds(&r[n], "dmarc=permerror reason=");
		add_value(&r[n], dmarc_from_status_text(ma->from_status));
	} else if (ma->dmarc == NULL || ma->dmarc_timed_out) {
		buf_addf(&r[n], "dmarc=%s header.from=", v->dmarc);
		add_value(&r[n], ma->from_domain);
	} else
		(void)dmarc_auth_results(&r[n], ma->dmarc);
	n++;
	for (i = 0; i < n; i++)
		texts[i] = r[i].data ? r[i].data : "";
	(void)authres_header(out, ma->authserv_id, texts, n);
	for (i = 0; i < n; i++)
		buf_free(&r[i]);
}

static void
log_results(struct smtp_mailauth *ma, const struct verdicts *v,
    const char *action)
{
	struct smtp_session	*s = ma->s;
	char			 dkim[128];
	size_t			 i, o = 0;
	int			 w;

	dkim[0] = '\0';
	for (i = 0; i < v->ndkim && o < sizeof(dkim); i++) {
		w = snprintf(dkim + o, sizeof(dkim) - o, "%s%s", i ? "," : "",
		    dkim_result_name(v->dkim[i].result));
		if (w < 0)
			break;
		o += (size_t)w;
	}
	log_msg(LOG_INFO, "%016llx smtp mail-auth address=%s from=<%s> "
	    "header.from=%s spf=%s helo-spf=%s dkim=%s dmarc=%s action=%s",
	    (unsigned long long)s->id, s->addr, s->env.sender ? s->env.sender : "",
	    ma->from_status == DMARC_FROM_OK ? ma->from_domain : "-",
	    ma->spf_mail.spf ? spf_result_name(ma_spf_result(&ma->spf_mail)) : "-",
	    ma->spf_helo.spf ? spf_result_name(ma_spf_result(&ma->spf_helo)) : "-",
	    v->ndkim ? dkim : "none", v->dmarc, action);
}

/* Refuses the message (nothing is stored) and ends the transaction, ma with it. */
static enum filter_outcome
refuse(struct smtp_session *s, int code, const char *enh, const char *text)
{
	log_msg(LOG_INFO, "%016llx smtp message-refused address=%s from=<%s> "
	    "code=%d reason=\"%s\"", (unsigned long long)s->id, s->addr,
	    s->env.sender ? s->env.sender : "", code, text);
	smtp_reply(s, code, enh, "%s", text);
	smtp_tx_reset(s);
	return FILTER_REFUSED;
}

enum filter_outcome
smtp_mailauth_decide(struct smtp_session *s)
{
	struct smtp_mailauth	*ma = s->ma;
	struct verdicts		 v;
	struct buf		 p;
	char			 text[512];
	const char		*action = "accept";
	int			 junk = 0;

	if (ma == NULL)
		return FILTER_PROCEED;
	if (ma->header_overflow && (ma->check || ma->strip))
		return refuse(s, 552, "5.3.4", "Header section too large");
	buf_init(&p, 0);
	if (ma->check) {
		evaluate(ma, &v);
		if (ma->enforce && ma->counts_why[0] != '\0') {
			log_results(ma, &v, "reject");
			if (ma->fields == NULL)
				snprintf(text, sizeof(text), "Message refused: its "
				    "header section cannot be read: %s",
				    ma->counts_why);
			else
				snprintf(text, sizeof(text), "Message refused: %s "
				    "(RFC 5322 3.6 wants exactly one From and one "
				    "Date field)", ma->counts_why);
			buf_free(&p);
			return refuse(s, 550, "5.7.1", text);
		}
		if (ma->enforce && ma->from_status != DMARC_FROM_OK) {
			log_results(ma, &v, "reject");
			snprintf(text, sizeof(text), "Message refused: %s",
			    dmarc_from_status_text(ma->from_status));
			buf_free(&p);
			return refuse(s, 550, "5.7.1", text);
		}
		if (ma->enforce && v.disposition == DMARC_POLICY_REJECT) {
			log_results(ma, &v, "reject");
			snprintf(text, sizeof(text), "Unauthenticated mail from %s "
			    "is refused by its DMARC policy (p=%s)", ma->from_domain,
			    dmarc_policy_name(v.policy));
			buf_free(&p);
			return refuse(s, 550, "5.7.1", text);
		}
		if (ma->enforce && v.disposition == DMARC_POLICY_QUARANTINE) {
			action = "junk";
			junk = 1;
		}
		log_results(ma, &v, action);
		if (junk && !s->env.junk)
			buf_adds(&p, "X-Spam: yes\n");
		authres(ma, &v, &p);
	}
	if (ma->sign && ma_sign_fields(ma, &p) == -1) {
		log_msg(LOG_ERR, "%016llx smtp dkim-sign d=%s: %s",
		    (unsigned long long)s->id, ma->sign_d, ma->sign_error ?
		    ma->sign_error : "failed");
		buf_free(&p);
		if (ma->sign_permanent) {
			snprintf(text, sizeof(text), "Message cannot be DKIM-signed: "
			    "%s", ma->sign_error ? ma->sign_error : "malformed");
			return refuse(s, 554, "5.6.0", text);
		}
		return refuse(s, 451, "4.7.0", "DKIM signing failed, try again "
		    "later");
	}
	if (ma->sign && ma->sign_ctx != NULL)
		log_msg(LOG_INFO, "%016llx smtp dkim-sign d=%s s=%s%s%s",
		    (unsigned long long)s->id, ma->sign_d,
		    ma->sign_filter->selector, ma->sign_filter->selector2 ? "," :
		    "", ma->sign_filter->selector2 ? ma->sign_filter->selector2 :
		    "");
	if (junk)
		s->env.junk = 1;
	x_free(&s->env.prepend);
	if (p.len > 0)
		s->env.prepend = buf_release(&p);
	buf_free(&p);
	return FILTER_PROCEED;
}
