/* DMARC policy discovery (RFC 7489 6.6.3) as a state machine, Organizational Domains, alignment and the result. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <libpsl.h>

#include "dns/dns.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/dmarc.h"

enum phase {
	PH_FROM,		/* ask TXT _dmarc.FROM */
	PH_FROM_ANS,
	PH_ORG,			/* ask TXT _dmarc.ORG */
	PH_ORG_ANS,
	PH_EXISTS,		/* ask A, AAAA, MX of FROM (RFC 9091) */
	PH_EXISTS_ANS,
	PH_DONE,
};

struct dmarc {
	char			 from[DMARC_DOMAIN_MAX + 1];	/* A-labels, lowercased */
	char			 org[DMARC_DOMAIN_MAX + 1];	/* "" when from is a public suffix */
	char			 qname[DMARC_DOMAIN_MAX + 16];
	int			 qtype, open, exists_step;
	enum phase		 ph;
	int			 found;		/* rec is valid */
	int			 at_org;	/* rec came from the Organizational Domain */
	int			 nonexistent;	/* RFC 9091: FROM has no A, AAAA, MX */
	struct dmarc_record	 rec;
	char			 rec_domain[DMARC_DOMAIN_MAX + 1];
	enum dmarc_result	 result;
	enum dmarc_policy	 policy, disposition;
	int			 spf_aligned, dkim_aligned;
	const char		*problem;
};

static pthread_once_t	 psl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t	*psl;

static void
psl_init(void)
{
	/*
	 * psl_latest(NULL) takes whichever is newer of the list built into
	 * libpsl and the distribution's file (Debian: the publicsuffix
	 * package's public_suffix_list.dafsa), so list updates need no
	 * rebuild of libpsl; without that file it is the built-in list.
	 */
	psl = psl_latest(NULL);
	if (psl == NULL)
		psl = psl_builtin();
}

const char *
dmarc_psl_load(void)
{
	pthread_once(&psl_once, psl_init);
	return psl_get_version();
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/*
 * Copies domain lowercased without a trailing dot into out; -1 when it is
 * empty, too long or has empty labels.
 */
static int
norm_domain(const char *domain, char *out, size_t outlen)
{
	size_t	 n = strlen(domain);

	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n > DMARC_DOMAIN_MAX || n >= outlen || domain[0] == '.' ||
	    memmem(domain, n, "..", 2) != NULL)
		return -1;
	memcpy(out, domain, n);
	out[n] = '\0';
	lower(out);
	return 0;
}

int
dmarc_org_domain(const char *domain, char *out, size_t outlen)
{
	char		 d[DMARC_DOMAIN_MAX + 1];
	const char	*suffix, *prev = NULL, *dot;

	if (norm_domain(domain, d, sizeof(d)) == -1)
		return -1;
	dmarc_psl_load();
	if (psl == NULL)
		return -1;
	/*
	 * The longest public suffix is the first one found from the left.
	 * Only the ICANN section counts: the private section lists names
	 * like blogspot.com whose owners hand out subdomains, which matters
	 * to browsers' cookies, but the PSL's own guidance on its uses
	 * (wiki.mozilla.org/Public_Suffix_List/Uses) reads DMARC's
	 * Organizational Domain from the ICANN section, as Mail::DMARC
	 * settled; with the private entries a provider could never align its
	 * own subdomains (1password.com's trouble, publicsuffix/list#632).
	 * libpsl counts a wildcard rule's parent (kawasaki.jp for
	 * *.kawasaki.jp) as public, so exceptions come out right too.
	 */
	for (suffix = d;;) {
		if (psl_is_public_suffix2(psl, suffix, PSL_TYPE_ICANN)) {
			if (prev == NULL)
				return -1;	/* the domain is a public suffix */
			if ((size_t)snprintf(out, outlen, "%s", prev) >= outlen)
				return -1;
			return 0;
		}
		/* Unlisted top-level names are public too (the implicit "*" rule). */
		if ((dot = strchr(suffix, '.')) == NULL)
			return -1;
		prev = suffix;
		suffix = dot + 1;
	}
}

int
dmarc_aligned(const char *auth_domain, const char *from_domain, char mode)
{
	char	 a[DMARC_DOMAIN_MAX + 1], f[DMARC_DOMAIN_MAX + 1];
	char	 ao[DMARC_DOMAIN_MAX + 1], fo[DMARC_DOMAIN_MAX + 1];

	if (auth_domain == NULL || from_domain == NULL ||
	    norm_domain(auth_domain, a, sizeof(a)) == -1 ||
	    norm_domain(from_domain, f, sizeof(f)) == -1)
		return 0;
	if (strcmp(a, f) == 0)
		return 1;
	if (mode == 's')
		return 0;
	/* A public suffix has no Organizational Domain: d=com aligns with nothing (3.1.1). */
	return dmarc_org_domain(a, ao, sizeof(ao)) == 0 &&
	    dmarc_org_domain(f, fo, sizeof(fo)) == 0 && strcmp(ao, fo) == 0;
}

static void
done(struct dmarc *d, enum dmarc_result r, const char *problem)
{
	d->result = r;
	d->problem = problem;
	d->ph = PH_DONE;
}

struct dmarc *
dmarc_start(const char *from_domain)
{
	struct dmarc	*d = xcalloc(1, sizeof(*d));
	const char	*p;
	char		*ace = NULL;
	int		 r;

	d->result = DMARC_RESULT_NONE;
	d->ph = PH_FROM;
	for (p = from_domain; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p != '\0') {
		if (idn2_to_ascii_8z(from_domain, &ace, IDN2_NFC_INPUT |
		    IDN2_NONTRANSITIONAL) != IDN2_OK) {
			free(ace);
			done(d, DMARC_RESULT_PERMERROR, "From domain is not a valid IDN");
			return d;
		}
		r = norm_domain(ace, d->from, sizeof(d->from));
		free(ace);
	} else
		r = norm_domain(from_domain, d->from, sizeof(d->from));
	/* Letters, digits, "-", "_" and dots: no name a domain registers holds more. */
	for (p = d->from; r == 0 && *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.'))
			r = -1;
	if (r == -1) {
		snprintf(d->from, sizeof(d->from), "%s", from_domain);
		done(d, DMARC_RESULT_PERMERROR, "no usable From domain");
		return d;
	}
	if (dmarc_org_domain(d->from, d->org, sizeof(d->org)) == -1)
		d->org[0] = '\0';
	return d;
}

static void
ask(struct dmarc *d, const char *prefix, const char *name, int type, enum phase next)
{
	snprintf(d->qname, sizeof(d->qname), "%s%s", prefix, name);
	d->qtype = type;
	d->open = 1;
	d->ph = next;
}

/* Appends one TXT rdata's text (strings glued); -1 when malformed or too long. */
static int
txt_text(char *out, size_t outlen, size_t *olen, const unsigned char *p, size_t len)
{
	size_t	 o = 0;

	*olen = 0;
	while (o < len) {
		size_t	 n = p[o++];

		if (n > len - o || *olen + n >= outlen)
			return -1;
		memcpy(out + *olen, p + o, n);
		*olen += n;
		o += n;
	}
	out[*olen] = '\0';
	return 0;
}

/*
 * The records at one name (6.6.3 steps 1-2, 4-6): 1 with d->rec set, 0 when
 * there is none, -1 when discovery ended (an error or several records).
 */
static int
take_records(struct dmarc *d, const struct dns_answer *a, const char *domain)
{
	char	 text[DMARC_RECORD_MAX + 1], chosen[DMARC_RECORD_MAX + 1];
	size_t	 i, n = 0, len, clen = 0;

	if (a->status == DNS_TEMPFAIL) {
		done(d, DMARC_RESULT_TEMPERROR, "DNS error looking up the policy");
		return -1;
	}
	if (a->status != DNS_OK)
		return 0;
	for (i = 0; i < a->n; i++) {
		/* Longer texts are not records this module takes (DMARC_RECORD_MAX). */
		if (txt_text(text, sizeof(text), &len, a->rdata[i], (size_t)a->rdlen[i]) == -1 ||
		    !dmarc_record_is_dmarc(text, len))
			continue;
		if (n++ == 0) {
			memcpy(chosen, text, len + 1);
			clen = len;
		}
	}
	if (n == 0)
		return 0;
	if (n > 1) {
		done(d, DMARC_RESULT_PERMERROR, "more than one DMARC record");
		return -1;
	}
	if (dmarc_record_parse(chosen, clen, &d->rec) != DMARC_REC_OK) {
		done(d, DMARC_RESULT_PERMERROR, "DMARC record without a valid p= or rua=");
		return -1;
	}
	snprintf(d->rec_domain, sizeof(d->rec_domain), "%s", domain);
	d->found = 1;
	return 1;
}

/* RFC 9091: the From domain's existence matters only for np= of an Organizational Domain's record. */
static void
after_record(struct dmarc *d)
{
	if (d->at_org && d->rec.np != DMARC_POLICY_UNSET) {
		d->exists_step = 0;
		d->ph = PH_EXISTS;
	} else
		d->ph = PH_DONE;
}

enum dmarc_step
dmarc_step(struct dmarc *d, struct dmarc_question *q)
{
	static const int	 exists_types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX };

	if (!d->open) {
		switch (d->ph) {
		case PH_FROM:
			ask(d, "_dmarc.", d->from, DNS_T_TXT, PH_FROM_ANS);
			break;
		case PH_ORG:
			ask(d, "_dmarc.", d->org, DNS_T_TXT, PH_ORG_ANS);
			break;
		case PH_EXISTS:
			ask(d, "", d->from, exists_types[d->exists_step], PH_EXISTS_ANS);
			break;
		default:
			d->ph = PH_DONE;
			break;
		}
	}
	if (d->ph == PH_DONE)
		return DMARC_STEP_DONE;
	q->name = d->qname;
	q->type = d->qtype;
	return DMARC_STEP_QUERY;
}

int
dmarc_answer(struct dmarc *d, const struct dns_answer *a)
{
	if (!d->open)
		return -1;
	d->open = 0;
	switch (d->ph) {
	case PH_FROM_ANS:
		switch (take_records(d, a, d->from)) {
		case 1:
			after_record(d);
			break;
		case 0:
			/* Step 3: the Organizational Domain, if it is another. */
			if (d->org[0] != '\0' && strcmp(d->org, d->from) != 0) {
				d->at_org = 1;
				d->ph = PH_ORG;
			} else
				d->ph = PH_DONE;
			break;
		}
		break;
	case PH_ORG_ANS:
		if (take_records(d, a, d->org) == 1)
			after_record(d);
		else
			d->ph = PH_DONE;
		break;
	case PH_EXISTS_ANS:
		/* Any record, or an error, says the domain may exist. */
		if (a->status == DNS_OK && a->n > 0)
			d->ph = PH_DONE;
		else if (a->status == DNS_TEMPFAIL)
			d->ph = PH_DONE;
		else if (++d->exists_step == 3) {
			d->nonexistent = 1;
			d->ph = PH_DONE;
		} else
			d->ph = PH_EXISTS;
		break;
	default:
		d->ph = PH_DONE;
		break;
	}
	return 0;
}

static uint32_t
default_rnd(void *arg)
{
	(void)arg;
	return (uint32_t)random();
}

void
dmarc_evaluate(struct dmarc *d, const struct dmarc_auth *auth,
    uint32_t (*rnd)(void *), void *arg)
{
	size_t	 i;

	if (d->result == DMARC_RESULT_TEMPERROR || d->result == DMARC_RESULT_PERMERROR)
		return;
	d->spf_aligned = auth->spf == SPF_PASS &&
	    dmarc_aligned(auth->spf_domain, d->from, d->found ? d->rec.aspf : 'r');
	d->dkim_aligned = 0;
	for (i = 0; i < auth->ndkim && !d->dkim_aligned; i++)
		d->dkim_aligned = dmarc_aligned(auth->dkim_pass[i], d->from,
		    d->found ? d->rec.adkim : 'r');
	d->disposition = DMARC_POLICY_NONE;
	if (!d->found) {
		d->result = DMARC_RESULT_NONE;
		d->policy = DMARC_POLICY_NONE;
		return;
	}
	/* RFC 7489 6.3 sp=, RFC 9091 np=: for names below the Organizational Domain. */
	d->policy = d->rec.p;
	if (d->at_org) {
		if (d->nonexistent && d->rec.np != DMARC_POLICY_UNSET)
			d->policy = d->rec.np;
		else if (d->rec.sp != DMARC_POLICY_UNSET)
			d->policy = d->rec.sp;
	}
	if (d->spf_aligned || d->dkim_aligned) {
		d->result = DMARC_RESULT_PASS;
		return;
	}
	d->result = DMARC_RESULT_FAIL;
	d->disposition = d->policy;
	/* RFC 7489 6.6.4: outside the pct= sample, one step less strict. */
	if (d->rec.pct < 100 && d->policy != DMARC_POLICY_NONE) {
		uint32_t	 draw = (rnd ? rnd : default_rnd)(arg) % 100;

		if (draw >= (uint32_t)d->rec.pct)
			d->disposition = d->policy == DMARC_POLICY_REJECT ?
			    DMARC_POLICY_QUARANTINE : DMARC_POLICY_NONE;
	}
}

enum dmarc_result
dmarc_result(const struct dmarc *d)
{
	return d->result;
}

enum dmarc_policy
dmarc_policy(const struct dmarc *d)
{
	return d->found ? d->policy : DMARC_POLICY_NONE;
}

enum dmarc_policy
dmarc_disposition(const struct dmarc *d)
{
	return d->result == DMARC_RESULT_FAIL ? d->disposition : DMARC_POLICY_NONE;
}

int
dmarc_spf_aligned(const struct dmarc *d)
{
	return d->spf_aligned;
}

int
dmarc_dkim_aligned(const struct dmarc *d)
{
	return d->dkim_aligned;
}

const struct dmarc_record *
dmarc_record(const struct dmarc *d)
{
	return d->found ? &d->rec : NULL;
}

const char *
dmarc_record_domain(const struct dmarc *d)
{
	return d->found ? d->rec_domain : NULL;
}

const char *
dmarc_from(const struct dmarc *d)
{
	return d->from;
}

const char *
dmarc_problem(const struct dmarc *d)
{
	return d->problem;
}

void
dmarc_free(struct dmarc **dp)
{
	x_free(dp);
}

const char *
dmarc_result_name(enum dmarc_result r)
{
	switch (r) {
	case DMARC_RESULT_PASS:
		return "pass";
	case DMARC_RESULT_FAIL:
		return "fail";
	case DMARC_RESULT_TEMPERROR:
		return "temperror";
	case DMARC_RESULT_PERMERROR:
		return "permerror";
	default:
		return "none";
	}
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	default:
		return "none";
	}
}

int
dmarc_auth_results(struct buf *out, const struct dmarc *d)
{
	size_t		 len = out->len, i;
	int		 r = 0, plain = 1;

	r |= buf_addf(out, "dmarc=%s", dmarc_result_name(d->result));
	if (d->found && (d->result == DMARC_RESULT_PASS || d->result == DMARC_RESULT_FAIL))
		r |= buf_addf(out, " (p=%s dis=%s)", dmarc_policy_name(d->policy),
		    dmarc_policy_name(dmarc_disposition(d)));
	else if (d->problem != NULL)
		r |= buf_addf(out, " (%s)", d->problem);
	/* header.from: a domain-name as it is; what could not be one, quoted. */
	for (i = 0; d->from[i] != '\0'; i++)
		if (!((d->from[i] >= 'a' && d->from[i] <= 'z') ||
		    (d->from[i] >= '0' && d->from[i] <= '9') ||
		    strchr("-._", d->from[i]) != NULL))
			plain = 0;
	if (d->from[0] == '\0')
		;
	else if (plain)
		r |= buf_addf(out, " header.from=%s", d->from);
	else {
		r |= buf_adds(out, " header.from=\"");
		for (i = 0; d->from[i] != '\0'; i++) {
			unsigned char	 c = (unsigned char)d->from[i];

			if (c < 0x20 || c > 0x7e)
				c = '?';
			if (c == '"' || c == '\\')
				r |= buf_addc(out, '\\');
			r |= buf_addc(out, (char)c);
		}
		r |= buf_addc(out, '"');
	}
	if (r != 0) {
		out->len = len;
		if (out->data != NULL)
			out->data[len] = '\0';
		return -1;
	}
	return 0;
}
