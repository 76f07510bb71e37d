/* SPF record parsing (RFC 7208 4.5, 4.6, 5, 6 and the ABNF of 12): every term checked up front. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "mail/spf.h"
#include "mail/spf_priv.h"

static const struct {
	const char	*name;
	enum spf_mech	 mech;
} mechs[] = {
	{ "all", SPF_M_ALL },
	{ "include", SPF_M_INCLUDE },
	{ "a", SPF_M_A },
	{ "mx", SPF_M_MX },
	{ "ptr", SPF_M_PTR },
	{ "ip4", SPF_M_IP4 },
	{ "ip6", SPF_M_IP6 },
	{ "exists", SPF_M_EXISTS },
};

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

int
spf_record_is_spf(const char *text, size_t len)
{
	return len >= 6 && strncasecmp(text, "v=spf1", 6) == 0 &&
	    (len == 6 || text[6] == ' ');
}

/*
 * A CIDR length s[0..len) of at most max: "0" or digits without a leading
 * zero (RFC 7208 5.6 ABNF), or -1.
 */
static int
cidr_value(const char *s, size_t len, int max)
{
	int	 v = 0;
	size_t	 i;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v > max ? -1 : v;
}

/* RFC 7208 ip4-network: four qnums, no leading zeros. */
static int
ip4_network(const char *s, size_t len, unsigned char *out)
{
	size_t	 i = 0, start;
	int	 part, v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		start = i;
		v = 0;
		while (i < len && is_digit((unsigned char)s[i]) && i - start < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
			return -1;
		out[part] = (unsigned char)v;
	}
	return i == len ? 0 : -1;
}

static int
ip6_network(const char *s, size_t len, unsigned char *out)
{
	char	 tmp[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

/*
 * r[0..len) follows "a" or "mx": [ ":" domain-spec ] [ ip4-cidr ] [ "//" ip6-cidr ].
 * A trailing "/digits" is taken as a prefix length, as the domain-spec
 * may itself hold "/".
 */
static int
dual_cidr(struct spf_term *t, const char *r, size_t len, const char **errstr)
{
	size_t	 end = len, j;

	j = end;
	while (j > 0 && is_digit((unsigned char)r[j - 1]))
		j--;
	if (j < end && j >= 2 && r[j - 1] == '/' && r[j - 2] == '/') {
		if ((t->cidr6 = cidr_value(r + j, end - j, 128)) == -1) {
			*errstr = "invalid ip6 prefix length";
			return -1;
		}
		end = j - 2;
	}
	j = end;
	while (j > 0 && is_digit((unsigned char)r[j - 1]))
		j--;
	if (j < end && j >= 1 && r[j - 1] == '/') {
		if ((t->cidr4 = cidr_value(r + j, end - j, 32)) == -1) {
			*errstr = "invalid ip4 prefix length";
			return -1;
		}
		end = j - 1;
	}
	if (end == 0)
		return 0;
	if (r[0] != ':') {
		*errstr = "invalid mechanism argument";
		return -1;
	}
	t->spec = r + 1;
	t->speclen = end - 1;
	return 0;
}

/* The part of a mechanism after its name, r[0..len). */
static int
mech_args(struct spf_term *t, const char *r, size_t len, const char **errstr)
{
	const char	*slash;
	size_t		 nlen;

	switch (t->mech) {
	case SPF_M_ALL:
		if (len != 0) {
			*errstr = "\"all\" takes no argument";
			return -1;
		}
		return 0;
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
		if (len == 0 || r[0] != ':') {
			*errstr = "mechanism needs \":domain\"";
			return -1;
		}
		t->spec = r + 1;
		t->speclen = len - 1;
		return 0;
	case SPF_M_PTR:
		if (len == 0)
			return 0;
		if (r[0] != ':') {
			*errstr = "invalid ptr argument";
			return -1;
		}
		t->spec = r + 1;
		t->speclen = len - 1;
		return 0;
	case SPF_M_A:
	case SPF_M_MX:
		return dual_cidr(t, r, len, errstr);
	case SPF_M_IP4:
	case SPF_M_IP6:
		if (len < 2 || r[0] != ':') {
			*errstr = "ip4/ip6 needs \":network\"";
			return -1;
		}
		r++;
		len--;
		slash = memchr(r, '/', len);
		nlen = slash ? (size_t)(slash - r) : len;
		if (t->mech == SPF_M_IP4 ? ip4_network(r, nlen, t->net) == -1 :
		    ip6_network(r, nlen, t->net) == -1) {
			*errstr = "invalid network address";
			return -1;
		}
		if (slash == NULL)
			return 0;
		if (t->mech == SPF_M_IP4)
			t->cidr4 = cidr_value(slash + 1, len - nlen - 1, 32);
		else
			t->cidr6 = cidr_value(slash + 1, len - nlen - 1, 128);
		if (t->cidr4 == -1 || t->cidr6 == -1) {
			*errstr = "invalid prefix length";
			return -1;
		}
		return 0;
	}
	return -1;
}

static int
parse_modifier(struct spf_record *rec, char *s, size_t namelen, size_t len,
    const char **errstr)
{
	struct spf_spec	*m = NULL;
	const char	*v = s + namelen + 1;
	size_t		 vlen = len - namelen - 1;

	if (namelen == 8 && strncasecmp(s, "redirect", 8) == 0)
		m = &rec->redirect;
	else if (namelen == 3 && strncasecmp(s, "exp", 3) == 0)
		m = &rec->exp;
	if (m == NULL)	/* unknown-modifier = name "=" macro-string: ignored once checked */
		return spf_macro_check(v, vlen, SPF_MACRO_ANY, NULL, errstr);
	if (m->spec != NULL) {
		*errstr = "redirect= or exp= given twice";
		return -1;
	}
	if (spf_macro_check(v, vlen, SPF_MACRO_DOMAIN, &m->uses_p, errstr) == -1)
		return -1;
	m->spec = v;
	m->len = vlen;
	return 0;
}

/* One term s[0..len), NUL-terminated in the record's copy. */
static int
parse_term(struct spf_record *rec, char *s, size_t len, size_t *cap,
    const char **errstr)
{
	struct spf_term	 t;
	size_t		 i = 0, n;

	/* modifier: name "=" ..., name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
	if (is_alpha((unsigned char)s[0])) {
		i = 1;
		while (i < len && (is_alpha((unsigned char)s[i]) ||
		    is_digit((unsigned char)s[i]) || strchr("-_.", s[i]) != NULL))
			i++;
		if (i < len && s[i] == '=')
			return parse_modifier(rec, s, i, len, errstr);
	}
	memset(&t, 0, sizeof(t));
	t.text = s;
	t.qual = '+';
	t.cidr4 = 32;
	t.cidr6 = 128;
	i = 0;
	if (strchr("+-~?", s[0]) != NULL) {
		t.qual = s[0];
		i = 1;
	}
	n = i;
	while (n < len && (is_alpha((unsigned char)s[n]) || is_digit((unsigned char)s[n])))
		n++;
	for (size_t k = 0; k < sizeof(mechs) / sizeof(mechs[0]); k++) {
		if (strlen(mechs[k].name) == n - i &&
		    strncasecmp(s + i, mechs[k].name, n - i) == 0) {
			t.mech = mechs[k].mech;
			if (mech_args(&t, s + n, len - n, errstr) == -1)
				return -1;
			if (t.spec != NULL && spf_macro_check(t.spec, t.speclen,
			    SPF_MACRO_DOMAIN, &t.uses_p, errstr) == -1)
				return -1;
			if (rec->nterms == *cap) {
				*cap = *cap ? *cap * 2 : 8;
				rec->terms = xreallocarray(rec->terms, *cap,
				    sizeof(*rec->terms));
			}
			rec->terms[rec->nterms++] = t;
			return 0;
		}
	}
	*errstr = "unknown mechanism";
	return -1;
}

int
spf_record_parse(const char *text, size_t len, struct spf_record **out,
    const char **errstr, size_t *erroff, size_t *errlen)
{
	struct spf_record	*rec;
	size_t			 i, start = 6, cap = 0;

	*out = NULL;
	*erroff = 0;
	*errlen = len;
	if (len > SPF_RECORD_MAX) {
		*errstr = "record too long";
		return -1;
	}
	if (!spf_record_is_spf(text, len)) {
		*errstr = "not an SPF record";
		return -1;
	}
	rec = xcalloc(1, sizeof(*rec));
	rec->text = xmalloc(len + 1);
	memcpy(rec->text, text, len);
	rec->text[len] = '\0';
	/* terms = *( 1*SP ( directive / modifier ) ), then *SP; only SP separates. */
	i = 6;
	while (i < len) {
		if (rec->text[i] == ' ') {
			rec->text[i++] = '\0';
			continue;
		}
		start = i;
		while (i < len && rec->text[i] != ' ')
			i++;
		if (memchr(rec->text + start, '\0', i - start) != NULL) {
			*errstr = "NUL in record";
			goto fail;
		}
		if (i < len)
			rec->text[i] = '\0';
		if (parse_term(rec, rec->text + start, i - start, &cap, errstr) == -1)
			goto fail;
		if (i < len)
			i++;		/* the SP just overwritten */
	}
	*out = rec;
	return 0;
fail:
	*erroff = start;
	*errlen = i - start;
	spf_record_free(&rec);
	return -1;
}

void
spf_record_free(struct spf_record **recp)
{
	struct spf_record	*rec = *recp;

	if (rec == NULL)
		return;
	free(rec->text);
	free(rec->terms);
	x_free(recp);
}
