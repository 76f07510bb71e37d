/* Builtin filters in the SMTP phases: the listener's rules in order, their DNS list lookups at once, and the decision of the first that holds. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "conf/table.h"
#include "dns/dns.h"
#include "dns/dnsbl.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/addr.h"
#include "mail/helo.h"
#include "mail/smtp_cmd.h"
#include "net/conn.h"
#include "route/lookup.h"
#include "smtp/filter.h"

#define DNSBL_ANSWERS_MAX	8	/* A records of one answer kept */

/* One zone of one condition of one rule, and (for the first asking a name) its query. */
struct fl_query {
	struct filter_lookups	*fl;
	const struct filter	*rule;
	size_t			 cond;
	struct dnsbl_zone	 zone;
	char			 name[DNSBL_NAME_MAX + 1];
	size_t			 index;		/* in the lookups of the phase */
	size_t			 primary;	/* the entry whose query answers this name */
	/* the primary's query and its answer */
	struct dns_query	*q;
	int			 asking_txt;
	enum { Q_PENDING, Q_ANSWERED, Q_FAILED } state;
	unsigned char		 a[DNSBL_ANSWERS_MAX][4];
	size_t			 na;
	char			 reason[128];	/* the list's TXT record, if it lists */
};

struct filter_lookups {
	struct smtp_session	*s;
	void			(*done)(struct smtp_session *);
	struct event		*timer;
	int			 owed;		/* done() is due when pending reaches 0 */
	size_t			 pending;	/* queries in flight */
	size_t			 nq;
	/* Allocated one by one: a session asks one or two lists, seldom more. */
	struct fl_query		*q[FILTER_LOOKUPS_MAX];
};

static const char *const phase_names[] = {
	[PH_CONNECT] = "connect", [PH_HELO] = "helo", [PH_EHLO] = "ehlo",
	[PH_MAIL_FROM] = "mail-from", [PH_RCPT_TO] = "rcpt-to", [PH_DATA] = "data",
	[PH_COMMIT] = "commit",
};

static const char *const decision_names[] = {
	[DECISION_BYPASS] = "bypass", [DECISION_DISCONNECT] = "disconnect",
	[DECISION_JUNK] = "junk", [DECISION_REJECT] = "reject",
	[DECISION_REWRITE] = "rewrite",
};

/* ---- the rules of the listener ---- */

/* The listener's filter, or NULL. */
static const struct filter *
top_filter(const struct smtp_session *s)
{
	if (s->listener == NULL || s->listener->filter == NULL)
		return NULL;
	return conf_filter(s->conf, s->listener->filter);
}

/* The i-th rule: the filter itself, or the i-th member of its chain. */
static const struct filter *
rule_at(const struct smtp_session *s, const struct filter *top, size_t i)
{
	if (top == NULL)
		return NULL;
	if (top->kind != FILTER_CHAIN)
		return i == 0 ? top : NULL;
	return i < top->nchain ? conf_filter(s->conf, top->chain[i]) : NULL;
}

static size_t
rule_count(const struct filter *top)
{
	if (top == NULL)
		return 0;
	return top->kind == FILTER_CHAIN ? top->nchain : 1;
}

/* Builtin rules of this phase run; procs, dkim-sign and mail-auth are other kinds. */
static int
rule_runs(const struct filter *f, enum smtp_phase phase)
{
	static const enum filter_phase map[] = {
		[PH_CONNECT] = PHASE_CONNECT, [PH_HELO] = PHASE_HELO,
		[PH_EHLO] = PHASE_EHLO, [PH_MAIL_FROM] = PHASE_MAIL_FROM,
		[PH_RCPT_TO] = PHASE_RCPT_TO, [PH_DATA] = PHASE_DATA,
		[PH_COMMIT] = PHASE_COMMIT,
	};

	return f != NULL && (f->kind == FILTER_BUILTIN || f->kind == FILTER_RBL) &&
	    f->phase == map[phase];
}

/* ---- DNS lists ---- */

/* The domain the sender uses, or NULL (null sender, address literal). */
static const char *
sender_domain(const struct smtp_session *s)
{
	const char	*at;

	if (s->env.sender == NULL || (at = strrchr(s->env.sender, '@')) == NULL)
		return NULL;
	return at[1] != '\0' && at[1] != '[' ? at + 1 : NULL;
}

/* The name an rhsbl condition looks up, or NULL when there is none to ask about. */
static const char *
rhsbl_subject(const struct smtp_session *s, enum rhsbl_target target)
{
	switch (target) {
	case RHSBL_SENDER:
		return sender_domain(s);
	case RHSBL_CLIENT:
		/* Only a confirmed name: an unconfirmed PTR is the client's own choice. */
		return smtp_rdns_verified(s);
	case RHSBL_HELO:
		if (s->helo[0] == '\0' || helo_classify(s->helo, strlen(s->helo),
		    NULL, 0, NULL, NULL) != HELO_FQDN)
			return NULL;
		return s->helo;
	}
	return NULL;
}

static void	fl_finish(struct filter_lookups *);
static void	fl_on_a(const struct dns_answer *, void *);

static void
fl_query_done(struct fl_query *q)
{
	struct filter_lookups	*fl = q->fl;

	q->q = NULL;
	if (fl->pending > 0 && --fl->pending == 0)
		fl_finish(fl);
}

static void
fl_on_txt(const struct dns_answer *a, void *arg)
{
	struct fl_query	*q = arg;

	if (a->status == DNS_OK && a->n > 0)
		(void)dnsbl_txt(a->rdata[0], (size_t)a->rdlen[0], q->reason,
		    sizeof(q->reason));
	fl_query_done(q);
}

/* Whether an answer lists the name for one of the entries asking it (their codes may differ). */
static int
fl_lists(const struct fl_query *q, const unsigned char a[4])
{
	const struct filter_lookups	*fl = q->fl;
	size_t				 i, self = q->index;

	for (i = self; i < fl->nq; i++)
		if (fl->q[i]->primary == self &&
		    dnsbl_verdict_a(&fl->q[i]->zone, a, 4) == DNSBL_LISTED)
			return 1;
	return 0;
}

static void
fl_on_a(const struct dns_answer *a, void *arg)
{
	struct fl_query		*q = arg;
	struct smtp_session	*s = q->fl->s;
	struct dnsbl_zone	 any;
	const char		*err;
	size_t			 i;
	int			 listed = 0;

	q->state = Q_ANSWERED;
	switch (a->status) {
	case DNS_OK:
		(void)dnsbl_zone_parse(&any, q->zone.zone, &err);
		for (i = 0; i < a->n && q->na < DNSBL_ANSWERS_MAX; i++) {
			if (a->rdlen[i] != 4)
				continue;
			memcpy(q->a[q->na++], a->rdata[i], 4);
			if (fl_lists(q, a->rdata[i]))
				listed = 1;
			if (dnsbl_verdict_a(&any, a->rdata[i], 4) != DNSBL_LISTED)
				log_msg(LOG_WARNING, "%016llx smtp dnsbl zone=%s "
				    "name=%s answer=%u.%u.%u.%u: not a listing, the "
				    "list refuses or fails", (unsigned long long)s->id,
				    q->zone.zone, q->name, a->rdata[i][0],
				    a->rdata[i][1], a->rdata[i][2], a->rdata[i][3]);
		}
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		break;
	case DNS_TEMPFAIL:
		q->state = Q_FAILED;
		log_msg(LOG_WARNING, "%016llx smtp dnsbl zone=%s name=%s error=\"%s\": "
		    "skipped", (unsigned long long)s->id, q->zone.zone, q->name,
		    a->why ? a->why : "lookup failed");
		break;
	}
	/* A listing comes with its reason (RFC 5782 2.1), asked under the same bound. */
	if (listed) {
		q->asking_txt = 1;
		q->q = dns_lookup(q->name, DNS_T_TXT, fl_on_txt, q);
		return;
	}
	fl_query_done(q);
}

static void
fl_on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct filter_lookups	*fl = arg;
	struct smtp_session	*s = fl->s;
	size_t			 i;

	for (i = 0; i < fl->nq; i++) {
		struct fl_query	*q = fl->q[i];

		if (q->q == NULL)
			continue;
		dns_cancel(q->q);
		q->q = NULL;
		/* An answered listing keeps its A records; only its reason is missing. */
		if (!q->asking_txt) {
			q->state = Q_FAILED;
			log_msg(LOG_WARNING, "%016llx smtp dnsbl zone=%s name=%s "
			    "timeout=%llds: skipped", (unsigned long long)s->id,
			    q->zone.zone, q->name, (long long)(s->conf->dnsbl_timeout ?
			    s->conf->dnsbl_timeout : FILTER_DNSBL_TIMEOUT_SECS));
		}
	}
	fl->pending = 0;
	fl_finish(fl);
}

static void
fl_finish(struct filter_lookups *fl)
{
	if (fl->timer != NULL)
		evtimer_del(fl->timer);
	if (fl->owed) {
		fl->owed = 0;
		fl->done(fl->s);
	}
}

/* Adds one zone of condition ci of rule f; asks the name unless it is asked already. */
static void
fl_add(struct smtp_session *s, struct filter_lookups *fl, const struct filter *f,
    size_t ci, const char *spec)
{
	const struct filter_cond	*c = &f->conds[ci];
	struct fl_query			*q;
	const char			*err, *subject = NULL;
	size_t				 i;
	int				 r;

	if (fl->nq == FILTER_LOOKUPS_MAX) {
		log_msg(LOG_WARNING, "%016llx smtp dnsbl zone=%s: more than %d "
		    "list lookups in one phase, skipped", (unsigned long long)s->id,
		    spec, FILTER_LOOKUPS_MAX);
		return;
	}
	q = xcalloc(1, sizeof(*q));
	if (dnsbl_zone_parse(&q->zone, spec, &err) == -1) {
		log_msg(LOG_WARNING, "%016llx smtp dnsbl filter=%s zone=\"%s\": %s, "
		    "skipped", (unsigned long long)s->id, f->name, spec, err);
		free(q);
		return;
	}
	if (c->type == FCOND_DNSBL)
		r = s->from_socket ? -1 : dnsbl_name_addr((const struct sockaddr *)
		    &s->peer, q->zone.zone, q->name, sizeof(q->name));
	else if ((subject = rhsbl_subject(s, c->target)) != NULL)
		r = dnsbl_name_domain(subject, q->zone.zone, q->name, sizeof(q->name));
	else
		r = -1;
	if (r == -1) {
		free(q);
		return;		/* nothing to ask: the condition does not hold */
	}
	q->fl = fl;
	q->rule = f;
	q->cond = ci;
	q->index = q->primary = fl->nq;
	for (i = 0; i < fl->nq; i++)
		if (fl->q[i]->primary == i && strcmp(fl->q[i]->name, q->name) == 0) {
			q->primary = i;
			break;
		}
	fl->q[fl->nq++] = q;
	if (q->primary != fl->nq - 1)
		return;
	q->state = Q_PENDING;
	fl->pending++;
	q->q = dns_lookup(q->name, DNS_T_A, fl_on_a, q);
}

static int
stage_wants(const struct filter_cond *c, enum smtp_phase phase, enum filter_stage stage)
{
	int	 late;

	if (c->type != FCOND_DNSBL && c->type != FCOND_RHSBL)
		return 0;
	late = phase == PH_CONNECT && c->type == FCOND_RHSBL &&
	    c->target == RHSBL_CLIENT;
	return stage == FILTER_STAGE_ALL || (stage == FILTER_STAGE_LATE) == late;
}

int
smtp_filter_start(struct smtp_session *s, enum smtp_phase phase,
    enum filter_stage stage, void (*done)(struct smtp_session *))
{
	const struct filter	*top = top_filter(s), *f;
	struct filter_lookups	*fl = s->lookups;
	struct timeval		 tv;
	const char		*key, *value;
	size_t			 i, ci, iter;

	for (i = 0; i < rule_count(top); i++) {
		f = rule_at(s, top, i);
		if (!rule_runs(f, phase) || f->kind != FILTER_RBL)
			continue;
		for (ci = 0; ci < f->nconds; ci++) {
			if (!stage_wants(&f->conds[ci], phase, stage))
				continue;
			if (fl == NULL) {
				fl = s->lookups = xcalloc(1, sizeof(*fl));
				fl->s = s;
			}
			if (f->conds[ci].value != NULL)
				fl_add(s, fl, f, ci, f->conds[ci].value);
			else {
				iter = 0;
				while (table_iter(f->conds[ci].table, &iter, &key, &value))
					fl_add(s, fl, f, ci, key);
			}
		}
	}
	if (fl == NULL || fl->pending == 0)
		return 0;
	if (fl->owed)
		return 0;	/* joined lookups still in flight, under their bound */
	fl->done = done;
	fl->owed = 1;
	/* One bound for what starts together: a dead list costs this long at most. */
	tv.tv_sec = s->conf->dnsbl_timeout ? s->conf->dnsbl_timeout :
	    FILTER_DNSBL_TIMEOUT_SECS;
	tv.tv_usec = 0;
	if (fl->timer == NULL &&
	    (fl->timer = evtimer_new(s->server->base, fl_on_timeout, fl)) == NULL)
		fatalx("smtp: evtimer_new");
	evtimer_add(fl->timer, &tv);
	return 1;
}

void
smtp_filter_cancel(struct smtp_session *s)
{
	struct filter_lookups	*fl = s->lookups;
	size_t			 i;

	if (fl == NULL)
		return;
	for (i = 0; i < fl->nq; i++) {
		dns_cancel(fl->q[i]->q);
		free(fl->q[i]);
	}
	if (fl->timer != NULL)
		event_free(fl->timer);
	free(fl);
	s->lookups = NULL;
}

/* ---- conditions ---- */

/* The client address as a regex sees it: IPv4-mapped addresses as IPv4. */
static void
src_text(const struct smtp_session *s, char *dst, size_t len)
{
	const struct sockaddr_in6	*s6 = (const struct sockaddr_in6 *)&s->peer;

	if (s->peer.sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, dst, (socklen_t)len);
	else
		snprintf(dst, len, "%s", s->addr);
}

static int
match_domain(const struct filter_cond *c, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return 0;
	return c->regex ? table_match_regex(c->table, name) :
	    table_match_domain(c->table, name);
}

static int
match_mailaddr(const struct smtp_session *s, const struct filter_cond *c,
    const char *addr)
{
	if (addr == NULL || addr[0] == '\0')
		return 0;
	return c->regex ? table_match_regex(c->table, addr) :
	    table_match_mailaddr_delim(c->table, addr, s->conf->sub_addr_delim);
}

/* Logins are addresses whose domain is case-insensitive: as given, then folded. */
static int
match_user(const struct filter_cond *c, const char *user)
{
	char	 folded[512];
	size_t	 i;

	if (c->regex)
		return table_match_regex(c->table, user);
	if (table_has(c->table, user))
		return 1;
	for (i = 0; user[i] != '\0' && i + 1 < sizeof(folded); i++)
		folded[i] = (char)tolower((unsigned char)user[i]);
	folded[i] = '\0';
	return table_has(c->table, folded);
}

/* Whether one of the zones of condition ci of rule f lists what was asked. */
static const struct fl_query *
listing(const struct smtp_session *s, const struct filter *f, size_t ci)
{
	const struct filter_lookups	*fl = s->lookups;
	const struct fl_query		*q, *p;
	size_t				 i, j;

	if (fl == NULL)
		return NULL;
	for (i = 0; i < fl->nq; i++) {
		q = fl->q[i];
		if (q->rule != f || q->cond != ci)
			continue;
		p = fl->q[q->primary];
		if (p->state != Q_ANSWERED)
			continue;
		for (j = 0; j < p->na; j++)
			if (dnsbl_verdict_a(&q->zone, p->a[j], 4) == DNSBL_LISTED)
				return q;
	}
	return NULL;
}

/* The HELO names us (our name, or the address the client reached) and the client is not local. */
static int
helo_self(const struct smtp_session *s)
{
	struct sockaddr_storage	 me;
	socklen_t		 len = sizeof(me);
	char			 lit[64], mine[64];
	int			 family;

	if (s->local || s->helo[0] == '\0')
		return 0;
	if (helo_same_name(s->helo, smtp_hostname(s)) ||
	    helo_same_name(s->helo, s->conf->hostname))
		return 1;
	if (helo_classify(s->helo, strlen(s->helo), lit, sizeof(lit), &family,
	    NULL) != HELO_LITERAL || s->conn == NULL ||
	    getsockname(conn_fd(s->conn), (struct sockaddr *)&me, &len) == -1)
		return 0;
	if (me.ss_family == AF_INET6 && family == AF_INET &&
	    IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&me)->sin6_addr))
		inet_ntop(AF_INET, ((struct sockaddr_in6 *)&me)->sin6_addr.s6_addr + 12,
		    mine, sizeof(mine));
	else if (me.ss_family == AF_INET || me.ss_family == AF_INET6)
		inet_ntop(me.ss_family, me.ss_family == AF_INET ?
		    (void *)&((struct sockaddr_in *)&me)->sin_addr :
		    (void *)&((struct sockaddr_in6 *)&me)->sin6_addr, mine, sizeof(mine));
	else
		return 0;
	return strcmp(lit, mine) == 0;
}

/*
 * Whether condition ci of f holds, before its negation. *unsure is set when
 * the answer rests on a DNS lookup that failed (the client's name).
 */
static int
cond_value(struct smtp_session *s, const struct filter *f, size_t ci, int *unsure)
{
	const struct filter_cond	*c = &f->conds[ci];
	const char			*name;
	char				 text[64];
	enum helo_kind			 k;
	size_t				 i;
	/* The local enqueuer is "localhost", confirmed, as in OpenSMTPD. */
	int				 known = s->from_socket || s->rdns != RDNS_UNKNOWN;

	switch (c->type) {
	case FCOND_FCRDNS:
		if (!known)
			*unsure = 1;
		return s->from_socket || s->rdns == RDNS_CONFIRMED;
	case FCOND_RDNS:
		name = s->from_socket ? "localhost" : s->rdns_name;
		if (name == NULL) {
			if (!known)
				*unsure = 1;
			return 0;
		}
		return c->table == NULL || match_domain(c, name);
	case FCOND_SRC:
		if (s->from_socket)
			return 0;
		if (c->regex) {
			src_text(s, text, sizeof(text));
			return table_match_regex(c->table, text);
		}
		return table_match_netaddr(c->table, (const struct sockaddr *)&s->peer);
	case FCOND_HELO:
		return match_domain(c, s->helo);
	case FCOND_AUTH:
		if (s->auth_user == NULL)
			return 0;
		return c->table == NULL || match_user(c, s->auth_user);
	case FCOND_MAIL_FROM:
		return match_mailaddr(s, c, s->env.sender);
	case FCOND_RCPT_TO:
		if (s->phase == PH_RCPT_TO)
			return match_mailaddr(s, c, s->rcpt_addr);
		/* data, commit: any recipient of the transaction */
		for (i = 0; i < s->env.ndeliveries; i++)
			if (match_mailaddr(s, c, s->env.deliveries[i].rcpt))
				return 1;
		return 0;
	case FCOND_DNSBL:
	case FCOND_RHSBL:
		return listing(s, f, ci) != NULL;
	case FCOND_HELO_VALID:
	case FCOND_HELO_FQDN:
		k = helo_classify(s->helo, strlen(s->helo), NULL, 0, NULL, NULL);
		if (c->type == FCOND_HELO_VALID)
			return k != HELO_INVALID;
		return k == HELO_FQDN || k == HELO_LITERAL;
	case FCOND_HELO_SELF:
		return helo_self(s);
	}
	return 0;
}

static int
rule_holds(struct smtp_session *s, const struct filter *f, int *unsure)
{
	size_t	 i;
	int	 v;

	*unsure = 0;
	for (i = 0; i < f->nconds; i++) {
		v = cond_value(s, f, i, unsure);
		if (f->conds[i].negate)
			v = !v;
		if (!v)
			return 0;
	}
	return 1;
}

/* ---- decisions ---- */

/* What a listing rule found, for the log line. */
static void
log_listing(struct smtp_session *s, const struct filter *f, char *dst, size_t len)
{
	const struct fl_query	*q, *p;
	size_t			 i, o = 0;
	int			 w;

	dst[0] = '\0';
	for (i = 0; i < f->nconds && o < len; i++) {
		if ((q = listing(s, f, i)) == NULL || f->conds[i].negate)
			continue;
		p = s->lookups->q[q->primary];
		w = snprintf(dst + o, len - o, " %s=%s listed=%u.%u.%u.%u%s%s%s",
		    f->conds[i].type == FCOND_DNSBL ? "dnsbl" : "rhsbl", q->zone.zone,
		    p->a[0][0], p->a[0][1], p->a[0][2], p->a[0][3],
		    p->reason[0] ? " reason=\"" : "", p->reason,
		    p->reason[0] ? "\"" : "");
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static void
log_decision(struct smtp_session *s, const struct filter *f, int unsure)
{
	char	 extra[512];

	log_listing(s, f, extra, sizeof(extra));
	log_msg(LOG_INFO, "%016llx smtp filter address=%s filter=%s phase=%s "
	    "decision=%s%s%s", (unsigned long long)s->id, s->addr, f->name,
	    phase_names[s->phase], decision_names[f->decision],
	    unsure ? " dns=tempfail" : "", extra);
}

static void
rewrite(struct smtp_session *s, const struct filter *f)
{
	struct mailaddr	 a;
	const char	*v = f->message, *err;
	char		 tmp[ADDR_PATH_MAX + 1];
	size_t		 n = strlen(v);

	if (s->phase == PH_HELO || s->phase == PH_EHLO) {
		smtp_set_helo(s, v);
		return;
	}
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		v++;
		n -= 2;
	}
	/* The grammar checked the value: an address, or <> at mail-from. */
	tmp[0] = '\0';
	if (n > 0 && n < sizeof(tmp)) {
		memcpy(tmp, v, n);
		tmp[n] = '\0';
		if (addr_parse(&a, tmp, 0, &err) == 0)
			addr_format(&a, tmp, sizeof(tmp));
	}
	if (s->phase == PH_MAIL_FROM) {
		free(s->env.sender);
		s->env.sender = xstrdup(tmp);
	} else if (s->phase == PH_RCPT_TO && s->rcpt_addr != NULL && tmp[0] != '\0')
		snprintf(s->rcpt_addr, ADDR_PATH_MAX + 1, "%s", tmp);
}

/*
 * "550 no rDNS." -> 550, "5.7.1" and "no rDNS."; an enhanced code given in
 * the message is kept. When the rule rested on a failed lookup, a permanent
 * refusal becomes a temporary one, as Postfix answers 450 rather than 550
 * when the client's name could not be looked up.
 */
static int
reply_parts(struct smtp_session *s, const struct filter *f, int unsure,
    const char **text)
{
	const char	*m = f->message, *p;
	int		 code = (m[0] - '0') * 100 + (m[1] - '0') * 10 + (m[2] - '0');
	size_t		 n;

	p = m[3] == ' ' ? m + 4 : m + 3;
	/* x.y.z with y, z of one to three digits, then a space or the end. */
	n = 0;
	if ((p[0] == '2' || p[0] == '4' || p[0] == '5') && p[1] == '.') {
		const char	*e = p + 2;
		int		 parts = 0, digits;

		for (;;) {
			for (digits = 0; isdigit((unsigned char)*e) && digits < 4; e++)
				digits++;
			if (digits == 0 || digits > 3)
				break;
			if (++parts == 2)
				break;
			if (*e++ != '.')
				break;
		}
		if (parts == 2 && (*e == ' ' || *e == '\0'))
			n = (size_t)(e - p);
	}
	if (n > 0 && n < sizeof(s->filter_enh)) {
		memcpy(s->filter_enh, p, n);
		s->filter_enh[n] = '\0';
		p += n;
		while (*p == ' ')
			p++;
	} else
		snprintf(s->filter_enh, sizeof(s->filter_enh), "%c.7.1", m[0]);
	if (unsure && code >= 500) {
		code -= 100;
		s->filter_enh[0] = '4';
	}
	*text = *p != '\0' ? p : "Refused by policy";
	return code;
}

static enum filter_outcome
answer(struct smtp_session *s, const struct filter *f, int unsure)
{
	const char	*text;
	int		 code = reply_parts(s, f, unsure, &text);

	if (f->decision == DECISION_DISCONNECT) {
		smtp_reply(s, code, s->filter_enh, "%s", text);
		if (s->phase == PH_COMMIT)
			smtp_tx_reset(s);
		return FILTER_CLOSE;
	}
	switch (s->phase) {
	case PH_CONNECT:
		/* RFC 5321 3.1: the refusal instead of the greeting; QUIT is awaited. */
		s->no_service = 1;
		s->state = S_GREETING;
		break;
	case PH_HELO:
	case PH_EHLO:
		s->state = S_GREETING;
		smtp_set_helo(s, "");
		s->esmtp = 0;
		break;
	case PH_MAIL_FROM:
		smtp_tx_reset(s);
		break;
	case PH_DATA:
		if (s->state == S_BDAT) {
			/* The chunk's octets follow the command: swallowed, then answered. */
			s->bdat_failed = code;
			s->bdat_enh = s->filter_enh;
			s->bdat_text = text;
			if (s->chunk_left == 0)
				(void)smtp_bdat_input(s);	/* BDAT 0: answered now */
			return FILTER_REFUSED;
		}
		break;
	case PH_COMMIT:
		log_msg(LOG_INFO, "%016llx smtp message-refused address=%s from=<%s> "
		    "code=%d reason=\"%s\"", (unsigned long long)s->id, s->addr,
		    s->env.sender ? s->env.sender : "", code, text);
		smtp_tx_reset(s);
		break;
	case PH_RCPT_TO:
		break;
	}
	smtp_reply(s, code, s->filter_enh, "%s", text);
	return FILTER_REFUSED;
}

enum filter_outcome
smtp_filter_decide(struct smtp_session *s)
{
	const struct filter	*top = top_filter(s), *f;
	enum filter_outcome	 out = FILTER_PROCEED;
	size_t			 i;
	int			 unsure;

	for (i = 0; i < rule_count(top); i++) {
		f = rule_at(s, top, i);
		if (!rule_runs(f, s->phase) || !rule_holds(s, f, &unsure))
			continue;
		log_decision(s, f, unsure);
		if (f->decision == DECISION_BYPASS)
			break;
		if (f->decision == DECISION_JUNK) {
			/* Before MAIL it is the session that is junked, then the transaction. */
			if (s->phase < PH_MAIL_FROM)
				s->junk = 1;
			else
				s->env.junk = 1;
			continue;
		}
		if (f->decision == DECISION_REWRITE) {
			rewrite(s, f);
			continue;
		}
		out = answer(s, f, unsure);
		break;
	}
	smtp_filter_cancel(s);
	return out;
}

int
smtp_filter_refused(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (!s->no_service || cmd->verb == SMTP_QUIT)
		return 0;
	smtp_reply(s, 503, "5.5.1", "No SMTP service here, only QUIT");
	return 1;
}

void
smtp_filter_header(struct smtp_session *s, struct buf *b)
{
	if (s->junk)
		s->env.junk = 1;
	if (s->env.junk)
		buf_add(b, "X-Spam: yes\n", 12);
}
