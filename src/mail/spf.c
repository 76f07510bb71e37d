/* SPF check_host() (RFC 7208 4 to 6): a state machine that asks its DNS questions one at a time. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "dns/dns.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/spf.h"
#include "mail/spf_priv.h"

#define SUSPENDED	1		/* a question was asked, or the check ended */
#define EXPAND_MAX	65536		/* a domain-spec's expansion before truncation */

static void	 frame_done(struct spf *, enum spf_result);

/* Ends the check. Always returns SUSPENDED, for "return finish(...)". */
static int
finish(struct spf *s, enum spf_result r, const char *fmt, ...)
{
	va_list	 ap;

	s->result = r;
	s->ph = PH_DONE;
	if (fmt != NULL) {
		free(s->problem);
		va_start(ap, fmt);
		if (vasprintf(&s->problem, fmt, ap) == -1)
			s->problem = NULL;
		va_end(ap);
	}
	return SUSPENDED;
}

static int
ask(struct spf *s, const char *name, int type, enum spf_phase next)
{
	buf_reset(&s->qname);
	if (spf_name_escape(&s->qname, name) == -1)
		return finish(s, SPF_PERMERROR, "name too long: %s", name);
	s->qtype = type;
	s->open = 1;
	s->ph = next;
	return SUSPENDED;
}

static struct spf_frame *
cur(struct spf *s)
{
	return &s->fr[s->depth - 1];
}

/* RFC 7208 4.6.4: at most 10 DNS-querying terms per check. */
static int
count_lookup(struct spf *s)
{
	if (++s->lookups > SPF_LOOKUP_MAX) {
		finish(s, SPF_PERMERROR, "more than %d DNS-querying terms",
		    SPF_LOOKUP_MAX);
		return -1;
	}
	return 0;
}

/* RFC 7208 4.6.4: at most 2 terms whose lookup found nothing. */
static int
count_void(struct spf *s)
{
	if (++s->voids > SPF_VOID_MAX) {
		finish(s, SPF_PERMERROR, "more than %d void lookups",
		    SPF_VOID_MAX);
		return -1;
	}
	return 0;
}

static int
addr_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int	 full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* 1 when an A or AAAA answer holds the client's address within bits. */
static int
answer_has_ip(const struct spf *s, const struct dns_answer *a, int bits)
{
	size_t	 i, alen = s->af == AF_INET ? 4 : 16;

	if (a->status != DNS_OK)
		return 0;
	for (i = 0; i < a->n; i++)
		if ((size_t)a->rdlen[i] == alen && addr_match(a->rdata[i], s->ip, bits))
			return 1;
	return 0;
}

static int
addr_type(const struct spf *s)
{
	return s->af == AF_INET ? DNS_T_A : DNS_T_AAAA;
}

/* Case-insensitive: name is domain or below it. */
static int
name_within(const char *name, const char *domain)
{
	size_t	 n = strlen(name), d = strlen(domain);

	if (n == d)
		return strcasecmp(name, domain) == 0;
	return n > d && name[n - d - 1] == '.' &&
	    strcasecmp(name + n - d, domain) == 0;
}

/* Appends the text of one TXT rdata (its strings glued, RFC 7208 3.3); -1 if malformed. */
static int
txt_text(struct buf *out, const unsigned char *p, size_t len)
{
	size_t	 o = 0;

	while (o < len) {
		size_t	 n = p[o++];

		if (n > len - o || buf_add(out, p + o, n) == -1)
			return -1;
		o += n;
	}
	return 0;
}

static void
env_init(const struct spf *s, struct spf_macro_env *e, const char *domain)
{
	e->s = s->sender;
	e->l = s->local;
	e->o = s->odomain;
	e->d = domain;
	e->i = s->ip_i;
	e->p = s->pval;
	e->v = s->af == AF_INET ? "in-addr" : "ip6";
	e->h = s->helo;
	e->c = s->ip_c;
	e->r = s->receiver;
	e->t = s->tstr;
}

/* Expands a domain-spec into s->target. -1 when no name to query results. */
static int
expand_target(struct spf *s, const char *spec, size_t len, const char *domain)
{
	struct spf_macro_env	 e;
	struct buf		 b;
	const char		*errstr;

	env_init(s, &e, domain);
	buf_init(&b, EXPAND_MAX);
	if (spf_macro_expand(&b, spec, len, SPF_MACRO_DOMAIN, &e, &errstr) == -1 ||
	    spf_name_finish(&b) == -1) {
		buf_free(&b);
		return -1;
	}
	free(s->target);
	s->target = buf_release(&b);
	return 0;
}

/*
 * The client's PTR names (for ptr and %{p}), asked once per check. 0 when
 * known; SUSPENDED after asking (the answer resumes at ret). count: the
 * lookup counts against the limit (a %{p} outside exp=).
 */
static int
ptr_ready(struct spf *s, enum spf_phase ret, int count)
{
	if (s->ptr_known)
		return 0;
	if (count && count_lookup(s) == -1)
		return SUSPENDED;
	s->ret = ret;
	return ask(s, s->ip_rev, DNS_T_PTR, PH_PTR_ANS);
}

static void
ptr_answer(struct spf *s, const struct dns_answer *a)
{
	size_t	 i;
	char	 name[256];

	s->ptr_known = 1;
	if (a->status == DNS_TEMPFAIL)
		s->ptr_err = 1;
	/* RFC 7208 4.6.4: records after the first 10 are ignored. */
	for (i = 0; a->status == DNS_OK && i < a->n && i < SPF_PTR_MAX; i++) {
		size_t	 off = 0;

		if (dns_wire_name(a->rdata[i], (size_t)a->rdlen[i], &off, name,
		    sizeof(name)) == -1 || name[0] == '\0')
			continue;
		s->ptr[s->nptr] = xstrdup(name);
		s->valid[s->nptr++] = VALID_UNKNOWN;
	}
	s->ph = s->ret;
}

/* Asks for the addresses of PTR name i (RFC 7208 5.5: forward confirmation). */
static int
validate(struct spf *s, size_t i, enum spf_phase ret)
{
	s->ivalid = i;
	s->ret = ret;
	return ask(s, s->ptr[i], addr_type(s), PH_VALID_ANS);
}

static void
valid_answer(struct spf *s, const struct dns_answer *a)
{
	/* A DNS error skips the name (RFC 7208 5.5). */
	s->valid[s->ivalid] = answer_has_ip(s, a, s->af == AF_INET ? 32 : 128) ?
	    VALID_YES : VALID_NO;
	s->ph = s->ret;
}

/* Which preference class name is in for %{p} of domain (RFC 7208 7.3). */
static int
p_class(const char *name, const char *domain)
{
	if (strcasecmp(name, domain) == 0)
		return 0;
	return name_within(name, domain) ? 1 : 2;
}

/*
 * Sets s->pval for %{p} at domain: the domain itself when validated, else
 * a validated subdomain, else any validated name, else "unknown". Names are
 * validated lazily in that order. 0 when set, SUSPENDED otherwise.
 */
static int
ensure_p(struct spf *s, const char *domain, enum spf_phase ret, int count)
{
	size_t	 i;
	int	 cls;

	if (ptr_ready(s, ret, count) != 0)
		return SUSPENDED;
	s->pval = "unknown";
	if (s->ptr_err)
		return 0;
	for (cls = 0; cls < 3; cls++)
		for (i = 0; i < s->nptr; i++) {
			if (p_class(s->ptr[i], domain) > cls)
				continue;
			if (s->valid[i] == VALID_UNKNOWN)
				return validate(s, i, ret);
			if (s->valid[i] == VALID_YES) {
				s->pval = s->ptr[i];
				return 0;
			}
		}
	return 0;
}

static enum spf_result
qual_result(char q)
{
	switch (q) {
	case '-':
		return SPF_FAIL;
	case '~':
		return SPF_SOFTFAIL;
	case '?':
		return SPF_NEUTRAL;
	default:
		return SPF_PASS;
	}
}

static const struct spf_term *
term(struct spf *s)
{
	struct spf_frame	*f = cur(s);

	return &f->rec->terms[f->term];
}

static void
next_term(struct spf *s)
{
	cur(s)->term++;
	cur(s)->counted = 0;
	s->ph = PH_TERM;
}

/* The current term matched: its qualifier is the frame's result. */
static void
match(struct spf *s)
{
	const struct spf_term	*t = term(s);

	if (s->depth == 1) {
		free(s->mechanism);
		s->mechanism = xstrdup(t->text);
	}
	frame_done(s, qual_result(t->qual));
}

/* RFC 7208 5.5: a validated PTR name at or below the target. */
static void
eval_ptr(struct spf *s)
{
	size_t	 i;

	if (ptr_ready(s, PH_TERM, 0) != 0)
		return;
	if (s->ptr_err) {
		next_term(s);
		return;
	}
	if (s->nptr == 0) {
		if (count_void(s) == 0)
			next_term(s);
		return;
	}
	for (i = 0; i < s->nptr; i++) {
		if (!name_within(s->ptr[i], s->target))
			continue;
		if (s->valid[i] == VALID_UNKNOWN) {
			validate(s, i, PH_TERM);
			return;
		}
		if (s->valid[i] == VALID_YES) {
			match(s);
			return;
		}
	}
	next_term(s);
}

static void
eval_term(struct spf *s)
{
	struct spf_frame	*f = cur(s);
	const struct spf_term	*t;

	if (f->term >= f->rec->nterms) {
		s->ph = PH_REDIRECT;
		return;
	}
	t = term(s);
	switch (t->mech) {
	case SPF_M_ALL:
		match(s);
		return;
	case SPF_M_IP4:
	case SPF_M_IP6:
		/* RFC 7208 5.6: ip4 matches IPv4 clients (v4-mapped ones too), ip6 the others. */
		if ((t->mech == SPF_M_IP4) == (s->af == AF_INET) &&
		    addr_match(t->net, s->ip, t->mech == SPF_M_IP4 ? t->cidr4 : t->cidr6))
			match(s);
		else
			next_term(s);
		return;
	default:
		break;
	}
	if (!f->counted) {
		if (count_lookup(s) == -1)
			return;
		f->counted = 1;
	}
	if (t->uses_p && ensure_p(s, f->domain, PH_TERM, 1) != 0)
		return;
	if (t->spec == NULL) {
		free(s->target);
		s->target = xstrdup(f->domain);
	} else if (expand_target(s, t->spec, t->speclen, f->domain) == -1) {
		/*
		 * A name no query can carry (empty or long labels, often
		 * from macros) is treated as not existing: RFC 7208 leaves it
		 * open (4.8, 5), and an include of nothing is a permerror.
		 */
		if (t->mech == SPF_M_INCLUDE)
			finish(s, SPF_PERMERROR, "invalid include target: %s",
			    t->text);
		else
			next_term(s);
		return;
	}
	switch (t->mech) {
	case SPF_M_A:
		ask(s, s->target, addr_type(s), PH_A_ANS);
		return;
	case SPF_M_EXISTS:
		/* RFC 7208 5.7: A records, whatever the client's family. */
		ask(s, s->target, DNS_T_A, PH_EXISTS_ANS);
		return;
	case SPF_M_MX:
		ask(s, s->target, DNS_T_MX, PH_MX_ANS);
		return;
	case SPF_M_PTR:
		eval_ptr(s);
		return;
	case SPF_M_INCLUDE:
		if (s->depth == SPF_DEPTH_MAX) {	/* the lookup limit comes first */
			finish(s, SPF_PERMERROR, "includes nested too deep");
			return;
		}
		f = &s->fr[s->depth++];
		memset(f, 0, sizeof(*f));
		f->domain = s->target;
		f->include = 1;
		s->target = NULL;
		s->ph = PH_FETCH;
		return;
	default:
		return;
	}
}

/* RFC 7208 5.3 a, 5.7 exists: the target's address records. */
static void
addr_answer(struct spf *s, const struct dns_answer *a, int exists)
{
	const struct spf_term	*t = term(s);

	if (a->status == DNS_TEMPFAIL) {
		finish(s, SPF_TEMPERROR, "DNS error for %s: %s", s->target,
		    a->why ? a->why : "lookup failed");
		return;
	}
	if (a->status != DNS_OK || a->n == 0) {
		if (count_void(s) == 0)
			next_term(s);
		return;
	}
	if (exists || answer_has_ip(s, a, s->af == AF_INET ? t->cidr4 : t->cidr6))
		match(s);
	else
		next_term(s);
}

/* RFC 7208 5.4: the exchange names; more than 10 is a permerror (4.6.4). */
static void
mx_answer(struct spf *s, const struct dns_answer *a)
{
	size_t	 i;
	char	 name[256];

	if (a->status == DNS_TEMPFAIL) {
		finish(s, SPF_TEMPERROR, "DNS error for MX of %s: %s", s->target,
		    a->why ? a->why : "lookup failed");
		return;
	}
	if (a->status != DNS_OK || a->n == 0) {
		if (count_void(s) == 0)
			next_term(s);
		return;
	}
	if (a->n > SPF_MX_MAX) {
		finish(s, SPF_PERMERROR, "more than %d MX records for %s",
		    SPF_MX_MAX, s->target);
		return;
	}
	for (i = 0; i < s->nmx; i++)
		x_free(&s->mx[i]);
	s->nmx = s->imx = 0;
	for (i = 0; i < a->n; i++) {
		size_t	 off = 2;

		/* The root (a null MX, RFC 7505) and malformed names have no addresses to match. */
		if (a->rdlen[i] < 3 || dns_wire_name(a->rdata[i], (size_t)a->rdlen[i],
		    &off, name, sizeof(name)) == -1 || name[0] == '\0')
			continue;
		s->mx[s->nmx++] = xstrdup(name);
	}
	s->ph = PH_MX_ADDR;
}

static void
mx_next(struct spf *s)
{
	if (s->imx >= s->nmx) {
		next_term(s);
		return;
	}
	ask(s, s->mx[s->imx++], addr_type(s), PH_MX_ADDR_ANS);
}

static void
mx_addr_answer(struct spf *s, const struct dns_answer *a)
{
	const struct spf_term	*t = term(s);

	if (a->status == DNS_TEMPFAIL) {
		finish(s, SPF_TEMPERROR, "DNS error for %s: %s",
		    s->mx[s->imx - 1], a->why ? a->why : "lookup failed");
		return;
	}
	if (answer_has_ip(s, a, s->af == AF_INET ? t->cidr4 : t->cidr6))
		match(s);
	else
		s->ph = PH_MX_ADDR;
}

/* RFC 7208 4.4, 4.5: the one SPF record among the domain's TXT records. */
static void
fetch_answer(struct spf *s, const struct dns_answer *a)
{
	struct spf_frame	*f = cur(s);
	struct buf		 text, rec;
	size_t			 i, nspf = 0, off, len;
	const char		*errstr;

	if (a->status == DNS_TEMPFAIL) {
		finish(s, SPF_TEMPERROR, "DNS error for TXT of %s: %s", f->domain,
		    a->why ? a->why : "lookup failed");
		return;
	}
	if (a->status != DNS_OK) {
		frame_done(s, SPF_NONE);
		return;
	}
	buf_init(&rec, 0);
	buf_init(&text, 0);
	for (i = 0; i < a->n; i++) {
		buf_reset(&text);
		if (txt_text(&text, a->rdata[i], (size_t)a->rdlen[i]) == -1 ||
		    !spf_record_is_spf(text.data, text.len))
			continue;
		if (nspf++ == 0) {
			buf_reset(&rec);
			buf_add(&rec, text.data, text.len);
		}
	}
	buf_free(&text);
	if (nspf > 1) {
		buf_free(&rec);
		finish(s, SPF_PERMERROR, "more than one SPF record for %s",
		    f->domain);
		return;
	}
	if (nspf == 0) {
		buf_free(&rec);
		frame_done(s, SPF_NONE);
		return;
	}
	if (spf_record_parse(rec.data, rec.len, &f->rec, &errstr, &off, &len) == -1) {
		/* The offending term, made printable for the log and the header. */
		for (i = off; i < off + len; i++)
			if (rec.data[i] < 0x21 || rec.data[i] > 0x7e)
				rec.data[i] = '?';
		finish(s, SPF_PERMERROR, "%s in the record of %s: %.*s", errstr,
		    f->domain, (int)(len > 64 ? 64 : len), rec.data + off);
		buf_free(&rec);
		return;
	}
	buf_free(&rec);
	f->term = 0;
	f->counted = 0;
	s->ph = PH_TERM;
}

/* RFC 7208 6.1: with no mechanism matched, redirect= decides. */
static void
eval_redirect(struct spf *s)
{
	struct spf_frame	*f = cur(s);
	const struct spf_spec	*r = &f->rec->redirect;

	if (r->spec == NULL) {
		if (s->depth == 1) {
			free(s->mechanism);
			s->mechanism = xstrdup("default");
		}
		frame_done(s, SPF_NEUTRAL);
		return;
	}
	if (!f->counted) {
		if (count_lookup(s) == -1)
			return;
		f->counted = 1;
	}
	if (r->uses_p && ensure_p(s, f->domain, PH_REDIRECT, 1) != 0)
		return;
	if (expand_target(s, r->spec, r->len, f->domain) == -1) {
		finish(s, SPF_PERMERROR, "invalid redirect= target in the record of %s",
		    f->domain);
		return;
	}
	free(f->domain);
	f->domain = s->target;
	s->target = NULL;
	spf_record_free(&f->rec);
	f->term = 0;
	f->counted = 0;
	f->redirected = 1;
	s->ph = PH_FETCH;
}

/* A check_host() ended with r: an include's maps onto its parent (RFC 7208 5.2). */
static void
frame_done(struct spf *s, enum spf_result r)
{
	struct spf_frame	*f = cur(s);

	if (r == SPF_NONE && f->redirected) {
		finish(s, SPF_PERMERROR, "redirect= to %s, which has no SPF record",
		    f->domain);
		return;
	}
	if (s->depth > 1) {
		char	*domain = f->domain;

		spf_record_free(&f->rec);
		s->depth--;
		switch (r) {
		case SPF_PASS:
			match(s);
			break;
		case SPF_NONE:
			finish(s, SPF_PERMERROR, "include of %s, which has no SPF record",
			    domain);
			break;
		default:
			next_term(s);
			break;
		}
		free(domain);
		return;
	}
	if (r == SPF_NONE) {
		finish(s, SPF_NONE, "no SPF record for %s", f->domain);
		return;
	}
	s->result = r;
	if (r != SPF_FAIL) {
		s->ph = PH_DONE;
		return;
	}
	/* RFC 7208 6.2: the explanation is only looked for now, outside the limits. */
	if (f->rec->exp.spec != NULL)
		s->ph = PH_EXP;
	else {
		s->exp_default = 1;
		s->ph = PH_EXP_TEXT;
	}
}

static void
eval_exp(struct spf *s)
{
	struct spf_frame	*f = cur(s);
	const struct spf_spec	*e = &f->rec->exp;

	if (e->uses_p && ensure_p(s, f->domain, PH_EXP, 0) != 0)
		return;
	if (expand_target(s, e->spec, e->len, f->domain) == -1) {
		s->exp_default = 1;
		s->ph = PH_EXP_TEXT;
		return;
	}
	ask(s, s->target, DNS_T_TXT, PH_EXP_ANS);
}

/* RFC 7208 6.2: exactly one TXT record, ASCII, a valid explain-string; else the default. */
static void
exp_answer(struct spf *s, const struct dns_answer *a)
{
	struct buf	 text;
	const char	*errstr;
	size_t		 i;

	s->ph = PH_EXP_TEXT;
	s->exp_default = 1;
	if (a->status != DNS_OK || a->n != 1)
		return;
	buf_init(&text, SPF_RECORD_MAX);
	if (txt_text(&text, a->rdata[0], (size_t)a->rdlen[0]) == -1 ||
	    text.data == NULL) {
		buf_free(&text);
		return;
	}
	for (i = 0; i < text.len; i++)
		if ((unsigned char)text.data[i] > 0x7e) {
			buf_free(&text);
			return;
		}
	if (spf_macro_check(text.data, text.len, SPF_MACRO_EXPLAIN,
	    &s->exp_uses_p, &errstr) == -1) {
		buf_free(&text);
		return;
	}
	free(s->exp_text);
	s->exp_text = buf_release(&text);
	s->exp_default = 0;
}

/* Expands the explanation (the record's, else the default) and ends with fail. */
static void
eval_exp_text(struct spf *s)
{
	struct spf_macro_env	 e;
	struct buf		 b;
	const char		*text, *errstr;
	int			 uses_p;

	for (;;) {
		text = s->exp_default ? s->default_exp : s->exp_text;
		if (text == NULL)
			break;
		if (spf_macro_check(text, strlen(text), SPF_MACRO_EXPLAIN, &uses_p,
		    &errstr) == 0) {
			if (uses_p && ensure_p(s, cur(s)->domain, PH_EXP_TEXT, 0) != 0)
				return;
			env_init(s, &e, cur(s)->domain);
			buf_init(&b, SPF_EXP_MAX);
			if (spf_macro_expand(&b, text, strlen(text), SPF_MACRO_EXPLAIN,
			    &e, &errstr) == 0) {
				free(s->explanation);
				s->explanation = buf_release(&b);
				break;
			}
			buf_free(&b);
		}
		if (s->exp_default)
			break;
		s->exp_default = 1;
	}
	finish(s, SPF_FAIL, NULL);
}

/* Runs one step of work that needs no answer. */
static void
advance(struct spf *s)
{
	switch (s->ph) {
	case PH_FETCH:
		ask(s, cur(s)->domain, DNS_T_TXT, PH_FETCH_ANS);
		break;
	case PH_TERM:
		eval_term(s);
		break;
	case PH_MX_ADDR:
		mx_next(s);
		break;
	case PH_REDIRECT:
		eval_redirect(s);
		break;
	case PH_EXP:
		eval_exp(s);
		break;
	case PH_EXP_TEXT:
		eval_exp_text(s);
		break;
	default:
		/* An answer phase with no question open: a broken invariant. */
		finish(s, SPF_TEMPERROR, "internal error");
		break;
	}
}

enum spf_step
spf_step(struct spf *s, struct spf_question *q)
{
	while (!s->open && s->ph != PH_DONE)
		advance(s);
	if (s->ph == PH_DONE)
		return SPF_STEP_DONE;
	q->name = s->qname.data;
	q->type = s->qtype;
	return SPF_STEP_QUERY;
}

int
spf_answer(struct spf *s, const struct dns_answer *a)
{
	if (!s->open)
		return -1;
	s->open = 0;
	switch (s->ph) {
	case PH_FETCH_ANS:
		fetch_answer(s, a);
		break;
	case PH_A_ANS:
		addr_answer(s, a, 0);
		break;
	case PH_EXISTS_ANS:
		addr_answer(s, a, 1);
		break;
	case PH_MX_ANS:
		mx_answer(s, a);
		break;
	case PH_MX_ADDR_ANS:
		mx_addr_answer(s, a);
		break;
	case PH_PTR_ANS:
		ptr_answer(s, a);
		break;
	case PH_VALID_ANS:
		valid_answer(s, a);
		break;
	case PH_EXP_ANS:
		exp_answer(s, a);
		break;
	default:
		finish(s, SPF_TEMPERROR, "internal error");
		break;
	}
	return 0;
}

/* RFC 7208 4.3: a <domain> to check: no literal, 2+ labels of 1..63 visible octets, 253 at most. */
static int
domain_ok(const char *d)
{
	size_t	 n = strlen(d), i, lab = 0, labels = 0;

	if (n == 0 || n > 253 || d[0] == '[')
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || d[i] == '.') {
			if (lab == 0 || lab > 63)
				return 0;
			labels++;
			lab = 0;
		} else if ((unsigned char)d[i] < 0x21 || (unsigned char)d[i] > 0x7e)
			return 0;
		else
			lab++;
	}
	return labels >= 2;
}

/*
 * The A-label form of a domain (RFC 7208 4.3: internationalised names are
 * checked as A-labels), one trailing dot dropped; NULL when it has none.
 */
static char *
ascii_domain(const char *d)
{
	const char	*p;
	char		*out = NULL, *r;
	size_t		 n;

	for (p = d; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p == '\0')
		r = xstrdup(d);
	else {
		if (idn2_to_ascii_8z(d, &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) !=
		    IDN2_OK) {
			free(out);
			return NULL;
		}
		r = xstrdup(out);
		free(out);
	}
	n = strlen(r);
	if (n > 0 && r[n - 1] == '.')
		r[n - 1] = '\0';
	return r;
}

static void
set_ip(struct spf *s, int af, const void *addr)
{
	static const unsigned char	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const unsigned char		*a = addr;
	char				*o;
	int				 i;

	if (af == AF_INET6 && memcmp(a, mapped, sizeof(mapped)) == 0) {
		af = AF_INET;
		a += 12;
	}
	s->af = af;
	if (af == AF_INET) {
		memcpy(s->ip, a, 4);
		inet_ntop(AF_INET, s->ip, s->ip_c, sizeof(s->ip_c));
		memcpy(s->ip_i, s->ip_c, sizeof(s->ip_c));
		snprintf(s->ip_rev, sizeof(s->ip_rev), "%u.%u.%u.%u.in-addr.arpa",
		    s->ip[3], s->ip[2], s->ip[1], s->ip[0]);
		return;
	}
	memcpy(s->ip, a, 16);
	inet_ntop(AF_INET6, s->ip, s->ip_c, sizeof(s->ip_c));
	/* RFC 7208 7.3: %{i} of IPv6 is the dot-format nibbles, as 7.4 writes them. */
	for (i = 0, o = s->ip_i; i < 32; i++) {
		unsigned	 nib = (s->ip[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;

		*o++ = "0123456789abcdef"[nib];
		*o++ = i == 31 ? '\0' : '.';
	}
	for (i = 31, o = s->ip_rev; i >= 0; i--) {
		unsigned	 nib = (s->ip[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;

		*o++ = "0123456789abcdef"[nib];
		*o++ = '.';
	}
	memcpy(o, "ip6.arpa", sizeof("ip6.arpa"));
}

struct spf *
spf_start(const struct spf_params *p)
{
	struct spf	*s = xcalloc(1, sizeof(*s));
	const char	*at, *rawdom, *helo = p->helo ? p->helo : "";
	char		*dom;

	s->identity = p->identity;
	buf_init(&s->qname, 4 * 256);
	s->helo = xstrdup(*helo ? helo : "unknown");
	s->receiver = xstrdup(p->receiver ? p->receiver : "unknown");
	s->default_exp = p->default_exp ? xstrdup(p->default_exp) : NULL;
	snprintf(s->tstr, sizeof(s->tstr), "%lld", (long long)p->now);
	s->result = SPF_NONE;
	s->ph = PH_DONE;

	/* RFC 7208 2.4, 4.3: a null reverse-path is postmaster@HELO; no local part is postmaster. */
	if (p->identity == SPF_ID_HELO || p->sender == NULL || *p->sender == '\0') {
		s->local = xstrdup("postmaster");
		rawdom = helo;
	} else if ((at = strrchr(p->sender, '@')) == NULL) {
		s->local = xstrdup("postmaster");
		rawdom = p->sender;
	} else {
		s->local = at == p->sender ? xstrdup("postmaster") :
		    xstrndup(p->sender, (size_t)(at - p->sender));
		rawdom = at + 1;
	}
	dom = ascii_domain(rawdom);
	s->odomain = xstrdup(dom ? dom : rawdom);
	s->sender = xasprintf("%s@%s", s->local, s->odomain);
	s->domain0 = xstrdup(s->odomain);

	if (p->af != AF_INET && p->af != AF_INET6) {
		free(dom);
		finish(s, SPF_NONE, "no client address");
		return s;
	}
	set_ip(s, p->af, p->addr);
	if (dom == NULL || !domain_ok(dom)) {
		free(dom);
		finish(s, SPF_NONE, "not a domain to check: %s", s->domain0);
		return s;
	}
	s->fr[0].domain = dom;
	s->depth = 1;
	s->ph = PH_FETCH;
	return s;
}

enum spf_result
spf_result(const struct spf *s)
{
	return s->ph == PH_DONE ? s->result : SPF_NONE;
}

const char *
spf_explanation(const struct spf *s)
{
	return s->ph == PH_DONE && s->result == SPF_FAIL ? s->explanation : NULL;
}

const char *
spf_mechanism(const struct spf *s)
{
	return s->mechanism;
}

const char *
spf_problem(const struct spf *s)
{
	return s->problem;
}

const char *
spf_domain(const struct spf *s)
{
	return s->domain0;
}

void
spf_free(struct spf **sp)
{
	struct spf	*s = *sp;
	size_t		 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->depth; i++) {
		free(s->fr[i].domain);
		spf_record_free(&s->fr[i].rec);
	}
	for (i = 0; i < s->nmx; i++)
		free(s->mx[i]);
	for (i = 0; i < s->nptr; i++)
		free(s->ptr[i]);
	buf_free(&s->qname);
	free(s->sender);
	free(s->local);
	free(s->odomain);
	free(s->helo);
	free(s->receiver);
	free(s->default_exp);
	free(s->domain0);
	free(s->target);
	free(s->exp_text);
	free(s->explanation);
	free(s->mechanism);
	free(s->problem);
	x_free(sp);
}

const char *
spf_result_name(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:
		return "none";
	case SPF_NEUTRAL:
		return "neutral";
	case SPF_PASS:
		return "pass";
	case SPF_FAIL:
		return "fail";
	case SPF_SOFTFAIL:
		return "softfail";
	case SPF_TEMPERROR:
		return "temperror";
	case SPF_PERMERROR:
		return "permerror";
	}
	return "permerror";
}
