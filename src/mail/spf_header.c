/* What an SPF check writes into the message: Received-SPF (RFC 7208 9.1) and an Authentication-Results resinfo (RFC 8601). */
#include <string.h>

#include "lib/buf.h"
#include "mail/spf.h"
#include "mail/spf_priv.h"

#define VALUE_MAX	255	/* octets of one foreign value copied */

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5322 dot-atom: atext runs joined by single dots. */
static int
is_dot_atom(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > VALUE_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A dot-atom as it is, else a quoted-string; control and non-ASCII octets become '?'. */
static int
add_value(struct buf *b, const char *s)
{
	size_t	 i;
	int	 r = 0;

	if (is_dot_atom(s))
		return buf_adds(b, s);
	r |= buf_addc(b, '"');
	for (i = 0; s[i] != '\0' && i < VALUE_MAX; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			c = '?';
		if (c == '"' || c == '\\')
			r |= buf_addc(b, '\\');
		r |= buf_addc(b, (char)c);
	}
	r |= buf_addc(b, '"');
	return r;
}

/* Comment text: ( ) and \ quoted, control and non-ASCII octets '?'. */
static int
add_ctext(struct buf *b, const char *s)
{
	size_t	 i;
	int	 r = 0;

	for (i = 0; s[i] != '\0' && i < VALUE_MAX; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			c = '?';
		if (c == '(' || c == ')' || c == '\\')
			r |= buf_addc(b, '\\');
		r |= buf_addc(b, (char)c);
	}
	return r;
}

static const char *
field_result(enum spf_result r)
{
	switch (r) {
	case SPF_PASS:
		return "Pass";
	case SPF_FAIL:
		return "Fail";
	case SPF_SOFTFAIL:
		return "SoftFail";
	case SPF_NEUTRAL:
		return "Neutral";
	case SPF_TEMPERROR:
		return "TempError";
	case SPF_PERMERROR:
		return "PermError";
	default:
		return "None";
	}
}

/* The comment RFC 7208 9.1 shows: who says what about whom. */
static int
add_comment(struct buf *b, const struct spf *s)
{
	int	 r = 0;

	r |= buf_addc(b, '(');
	r |= add_ctext(b, s->receiver);
	r |= buf_adds(b, ": ");
	switch (s->result) {
	case SPF_PASS:
		r |= buf_adds(b, "domain of ");
		r |= add_ctext(b, s->domain0);
		r |= buf_addf(b, " designates %s as permitted sender", s->ip_c);
		break;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
		r |= buf_adds(b, "domain of ");
		r |= add_ctext(b, s->domain0);
		r |= buf_addf(b, " does not designate %s as permitted sender",
		    s->ip_c);
		break;
	case SPF_NEUTRAL:
		r |= buf_addf(b, "%s is neither permitted nor denied by domain of ",
		    s->ip_c);
		r |= add_ctext(b, s->domain0);
		break;
	case SPF_NONE:
		r |= buf_adds(b, "domain of ");
		r |= add_ctext(b, s->domain0);
		r |= buf_adds(b, " does not publish an SPF record");
		break;
	case SPF_TEMPERROR:
		r |= buf_adds(b, "temporary error in processing domain of ");
		r |= add_ctext(b, s->domain0);
		break;
	case SPF_PERMERROR:
		r |= buf_adds(b, "permanent error in processing domain of ");
		r |= add_ctext(b, s->domain0);
		break;
	}
	r |= buf_addc(b, ')');
	return r;
}

/* One "key=value;" on its own folded line. */
static int
add_pair(struct buf *b, const char *key, const char *value, int last)
{
	int	 r = 0;

	r |= buf_addf(b, "\r\n\t%s=", key);
	r |= add_value(b, value);
	if (!last)
		r |= buf_addc(b, ';');
	return r;
}

int
spf_received_spf(struct buf *out, const struct spf *s)
{
	size_t	 len = out->len;
	int	 r = 0;

	r |= buf_addf(out, "Received-SPF: %s ", field_result(spf_result(s)));
	r |= add_comment(out, s);
	r |= add_pair(out, "receiver", s->receiver, 0);
	if (s->ip_c[0] != '\0')
		r |= add_pair(out, "client-ip", s->ip_c, 0);
	if (s->identity == SPF_ID_MAILFROM)
		r |= add_pair(out, "envelope-from", s->sender, 0);
	r |= add_pair(out, "helo", s->helo, 0);
	if (s->result == SPF_PERMERROR || s->result == SPF_TEMPERROR) {
		if (s->problem != NULL)
			r |= add_pair(out, "problem", s->problem, 0);
	} else if (s->mechanism != NULL)
		r |= add_pair(out, "mechanism", s->mechanism, 0);
	r |= add_pair(out, "identity", s->identity == SPF_ID_HELO ? "helo" :
	    "mailfrom", 1);
	r |= buf_adds(out, "\r\n");
	if (r != 0) {
		out->len = len;
		if (out->data != NULL)
			out->data[len] = '\0';
		return -1;
	}
	return 0;
}

/* RFC 8601 pvalue: a domain-name as it is, anything else quoted. */
static int
add_pvalue(struct buf *b, const char *s)
{
	size_t	 i, n = strlen(s);

	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && strchr("-._", s[i]) == NULL)
			break;
	if (n > 0 && i == n && s[0] != '.' && n <= VALUE_MAX)
		return buf_adds(b, s);
	return add_value(b, s);
}

int
spf_auth_results(struct buf *out, const struct spf *s)
{
	size_t	 len = out->len;
	int	 r = 0;

	r |= buf_addf(out, "spf=%s ", spf_result_name(spf_result(s)));
	r |= buf_adds(out, s->identity == SPF_ID_HELO ? "smtp.helo=" :
	    "smtp.mailfrom=");
	r |= add_pvalue(out, s->domain0);
	if (r != 0) {
		out->len = len;
		if (out->data != NULL)
			out->data[len] = '\0';
		return -1;
	}
	return 0;
}
