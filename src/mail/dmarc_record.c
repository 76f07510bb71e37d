/* DMARC policy records (RFC 7489 6.3, 6.4; np= of RFC 9091): tag-value lists with lenient defaults. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/dmarc.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

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

/* s[0..len) without leading and trailing WSP. */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_wsp(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_wsp((*s)[*len - 1]))
		(*len)--;
}

static int
eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

int
dmarc_record_is_dmarc(const char *text, size_t len)
{
	size_t	 i = 0;

	/* dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31 */
	if (len == 0 || (text[0] != 'v' && text[0] != 'V'))
		return 0;
	i = 1;
	while (i < len && is_wsp(text[i]))
		i++;
	if (i >= len || text[i++] != '=')
		return 0;
	while (i < len && is_wsp(text[i]))
		i++;
	if (len - i < 6 || memcmp(text + i, "DMARC1", 6) != 0)
		return 0;
	i += 6;
	while (i < len && is_wsp(text[i]))
		i++;
	return i == len || text[i] == ';';
}

static enum dmarc_policy
policy(const char *v, size_t len)
{
	if (eq(v, len, "none"))
		return DMARC_POLICY_NONE;
	if (eq(v, len, "quarantine"))
		return DMARC_POLICY_QUARANTINE;
	if (eq(v, len, "reject"))
		return DMARC_POLICY_REJECT;
	return DMARC_POLICY_UNSET;
}

/*
 * dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]: a scheme, a
 * colon, then visible characters (commas and "!" are the list's and the
 * size's, RFC 7489 6.2 says to escape them inside URIs).
 */
static int
uri_ok(const char *s, size_t len)
{
	size_t	 i = 0, end;

	trim(&s, &len);
	if (len == 0 || !is_alpha((unsigned char)s[0]))
		return 0;
	while (i < len && (is_alpha((unsigned char)s[i]) ||
	    is_digit((unsigned char)s[i]) || strchr("+-.", s[i]) != NULL))
		i++;
	if (i >= len || s[i] != ':')
		return 0;
	i++;
	for (end = i; end < len && s[end] != '!'; end++)
		if ((unsigned char)s[end] <= 0x20 || (unsigned char)s[end] >= 0x7f)
			return 0;
	if (end == i)
		return 0;
	if (end == len)
		return 1;
	/* "!" size */
	i = end + 1;
	if (i >= len || !is_digit((unsigned char)s[i]))
		return 0;
	while (i < len && is_digit((unsigned char)s[i]))
		i++;
	if (i < len && strchr("kmgtKMGT", s[i]) != NULL)
		i++;
	return i == len;
}

/* A comma-separated URI list; 1 when at least one URI is valid (RFC 7489 6.6.3 step 6.1). */
static int
uri_list(const char *v, size_t len, char *out, size_t outlen)
{
	size_t	 i = 0, start;
	int	 any = 0;

	while (i <= len) {
		start = i;
		while (i < len && v[i] != ',')
			i++;
		if (uri_ok(v + start, i - start))
			any = 1;
		i++;
	}
	if (any)
		snprintf(out, outlen, "%.*s", (int)len, v);
	return any;
}

/* fo and rf: colon-separated words, each checked by ok(); 0 when any is not. */
static int
colon_list(const char *v, size_t len, int (*ok)(const char *, size_t),
    char *out, size_t outlen)
{
	size_t	 i = 0, start, o = 0;

	if (len == 0 || len >= outlen)
		return 0;
	while (i <= len) {
		const char	*w;
		size_t		 wl;

		start = i;
		while (i < len && v[i] != ':')
			i++;
		w = v + start;
		wl = i - start;
		trim(&w, &wl);
		if (!ok(w, wl))
			return 0;
		if (o > 0)
			out[o++] = ':';
		memcpy(out + o, w, wl);
		o += wl;
		i++;
	}
	out[o] = '\0';
	return 1;
}

static int
fo_ok(const char *w, size_t len)
{
	return len == 1 && strchr("01dsDS", w[0]) != NULL;
}

/* Keyword (RFC 5321): Let-dig [Ldh-str]. */
static int
keyword_ok(const char *w, size_t len)
{
	size_t	 i;

	if (len == 0 || !(is_alpha((unsigned char)w[0]) || is_digit((unsigned char)w[0])) ||
	    w[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alpha((unsigned char)w[i]) && !is_digit((unsigned char)w[i]) &&
		    w[i] != '-')
			return 0;
	return 1;
}

static int
number(const char *v, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long	 n = 0;
	size_t		 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_digit((unsigned char)v[i]))
			return 0;
		if (n > (max - (unsigned long)(v[i] - '0')) / 10)
			return 0;
		n = n * 10 + (unsigned long)(v[i] - '0');
	}
	*out = n;
	return 1;
}

enum dmarc_parse
dmarc_record_parse(const char *text, size_t len, struct dmarc_record *r)
{
	size_t		 i, start, eqpos;
	int		 p_bad = 1, sp_bad = 0, has_rua = 0, first = 1;
	unsigned long	 n;
	/* Tags seen, so that a repeated tag keeps its first value. */
	int		 seen_p = 0, seen_sp = 0, seen_np = 0, seen_pct = 0,
			 seen_adkim = 0, seen_aspf = 0, seen_rua = 0, seen_ruf = 0,
			 seen_fo = 0, seen_rf = 0, seen_ri = 0;

	memset(r, 0, sizeof(*r));
	r->pct = 100;
	r->adkim = 'r';
	r->aspf = 'r';
	strcpy(r->fo, "0");
	strcpy(r->rf, "afrf");
	r->ri = 86400;
	if (len > DMARC_RECORD_MAX || memchr(text, '\0', len) != NULL ||
	    !dmarc_record_is_dmarc(text, len))
		return DMARC_REC_NOT_DMARC;
	for (i = 0; i <= len; i++) {
		const char	*tag, *v;
		size_t		 tlen, vlen;

		start = i;
		while (i < len && text[i] != ';')
			i++;
		tag = text + start;
		tlen = i - start;
		trim(&tag, &tlen);
		if (tlen == 0)
			continue;	/* ";;" and a final ";" */
		v = memchr(tag, '=', tlen);
		if (v == NULL)
			continue;	/* not a tag: ignored with the unknown ones */
		eqpos = (size_t)(v - tag);
		v++;
		vlen = tlen - eqpos - 1;
		trim(&v, &vlen);
		while (eqpos > 0 && is_wsp(tag[eqpos - 1]))
			eqpos--;
		tlen = eqpos;
		if (first) {		/* v=DMARC1, checked above */
			first = 0;
			continue;
		}
		if (eq(tag, tlen, "p") && !seen_p++) {
			r->p = policy(v, vlen);
			p_bad = r->p == DMARC_POLICY_UNSET;
		} else if (eq(tag, tlen, "sp") && !seen_sp++) {
			r->sp = policy(v, vlen);
			sp_bad = r->sp == DMARC_POLICY_UNSET;
		} else if (eq(tag, tlen, "np") && !seen_np++)
			r->np = policy(v, vlen);	/* invalid: as if absent */
		else if (eq(tag, tlen, "pct") && !seen_pct++) {
			/* 1*3DIGIT, 0..100 */
			if (vlen <= 3 && number(v, vlen, 100, &n))
				r->pct = (int)n;
		} else if (eq(tag, tlen, "adkim") && !seen_adkim++) {
			if (vlen == 1 && (v[0] == 's' || v[0] == 'S'))
				r->adkim = 's';
		} else if (eq(tag, tlen, "aspf") && !seen_aspf++) {
			if (vlen == 1 && (v[0] == 's' || v[0] == 'S'))
				r->aspf = 's';
		} else if (eq(tag, tlen, "rua") && !seen_rua++)
			has_rua = uri_list(v, vlen, r->rua, sizeof(r->rua));
		else if (eq(tag, tlen, "ruf") && !seen_ruf++)
			uri_list(v, vlen, r->ruf, sizeof(r->ruf));
		else if (eq(tag, tlen, "fo") && !seen_fo++) {
			if (!colon_list(v, vlen, fo_ok, r->fo, sizeof(r->fo)))
				strcpy(r->fo, "0");
		} else if (eq(tag, tlen, "rf") && !seen_rf++) {
			if (!colon_list(v, vlen, keyword_ok, r->rf, sizeof(r->rf)))
				strcpy(r->rf, "afrf");
		} else if (eq(tag, tlen, "ri") && !seen_ri++) {
			if (number(v, vlen, UINT32_MAX, &n))
				r->ri = (uint32_t)n;
		}
	}
	if (!p_bad && !sp_bad)
		return DMARC_REC_OK;
	/* RFC 7489 6.6.3 step 6. */
	if (!has_rua)
		return DMARC_REC_INVALID;
	r->p = DMARC_POLICY_NONE;
	r->sp = DMARC_POLICY_UNSET;
	r->p_defaulted = 1;
	return DMARC_REC_OK;
}
