/* SMTP command lines: verbs, paths and ESMTP parameters, each error mapped to its reply. */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "lib/digits.h"
#include "lib/utf8.h"
#include "mail/addr.h"
#include "mail/smtp_cmd.h"

#define VERB_MAX	8	/* "STARTTLS" */
#define HELO_MAX	255
#define ENVID_MAX	100	/* RFC 3461 4.4 */
#define MECH_MAX	20	/* RFC 4954 3 */

/* MAIL and RCPT parameters, as bits for the duplicate check. */
enum {
	P_SIZE = 0x01, P_BODY = 0x02, P_SMTPUTF8 = 0x04, P_RET = 0x08,
	P_ENVID = 0x10, P_AUTH = 0x20, P_NOTIFY = 0x40, P_ORCPT = 0x80,
};

static const struct {
	const char	*name;
	enum smtp_verb	 verb;
} verbs[] = {
	{ "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "LHLO", SMTP_LHLO },
	{ "MAIL", SMTP_MAIL }, { "RCPT", SMTP_RCPT }, { "DATA", SMTP_DATA },
	{ "BDAT", SMTP_BDAT }, { "RSET", SMTP_RSET }, { "NOOP", SMTP_NOOP },
	{ "QUIT", SMTP_QUIT }, { "HELP", SMTP_HELP }, { "VRFY", SMTP_VRFY },
	{ "EXPN", SMTP_EXPN }, { "STARTTLS", SMTP_STARTTLS },
	{ "AUTH", SMTP_AUTH },
};

/* A slice of the line: commands are not NUL-terminated. */
struct span {
	const char	*p;
	size_t		 n;
};

static int
fail(struct smtp_cmd_error *err, int code, const char *enhanced,
    const char *text)
{
	err->code = code;
	err->enhanced = enhanced;
	err->text = text;
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
span_is(struct span s, const char *word)
{
	return s.n == strlen(word) && strncasecmp(s.p, word, s.n) == 0;
}

static void
trim(struct span *s)
{
	while (s->n > 0 && s->p[0] == ' ') {
		s->p++;
		s->n--;
	}
	while (s->n > 0 && s->p[s->n - 1] == ' ')
		s->n--;
}

/* Splits off the text up to the next SP (or the end) as *tok. */
static void
next_token(struct span *rest, struct span *tok)
{
	const char	*sp = memchr(rest->p, ' ', rest->n);

	tok->p = rest->p;
	tok->n = sp ? (size_t)(sp - rest->p) : rest->n;
	rest->p += tok->n;
	rest->n -= tok->n;
	if (sp != NULL) {
		rest->p++;
		rest->n--;
	}
}

static void
copy(char *dst, struct span s)
{
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
}

/* Decimal digits only, at least one, no overflow. */
static int
parse_number(struct span s, long long *v)
{
	long long	 n = 0;
	size_t		 i;

	if (s.n == 0)
		return -1;
	for (i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return -1;
		if (n > (LLONG_MAX - (s.p[i] - '0')) / 10)
			return -1;
		n = n * 10 + (s.p[i] - '0');
	}
	*v = n;
	return 0;
}


/* xtext of n octets into dst; a decoded NUL or control octet is refused. */
static int
xtext_decode_n(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t	 i, o = 0;
	int	 c, hi, lo;

	if (dstlen == 0)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if (c == '+') {
			if (n - i < 3 || (hi = hex_value(src[i + 1])) < 0 ||
			    (lo = hex_value(src[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
			if (c < 0x20 || c == 0x7f)
				return -1;
		} else if (c < 33 || c > 126 || c == '=')
			return -1;
		if (o + 1 >= dstlen)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

int
xtext_decode(char *dst, size_t dstlen, const char *src)
{
	return xtext_decode_n(dst, dstlen, src, strlen(src));
}

/*
 * esmtp-value (RFC 5321 4.1.2, with UTF-8 from RFC 6531 4.3): printable
 * ASCII but "=", or well-formed UTF-8.
 */
static int
valid_value(struct span v)
{
	size_t	 i, l;

	if (v.n == 0)
		return 0;
	for (i = 0; i < v.n; i += l) {
		unsigned char	 c = (unsigned char)v.p[i];

		l = 1;
		if (c >= 0x80) {
			if ((l = utf8_safe_len(v.p + i, v.n - i)) < 2)
				return 0;
		} else if (c < 33 || c > 126 || c == '=')
			return 0;
	}
	return 1;
}

static int
parse_notify(struct smtp_cmd *cmd, struct span v)
{
	struct span	 item;
	int		 bit;

	for (;;) {
		const char	*comma = memchr(v.p, ',', v.n);

		item.p = v.p;
		item.n = comma ? (size_t)(comma - v.p) : v.n;
		if (span_is(item, "NEVER"))
			bit = NOTIFY_NEVER;
		else if (span_is(item, "SUCCESS"))
			bit = NOTIFY_SUCCESS;
		else if (span_is(item, "FAILURE"))
			bit = NOTIFY_FAILURE;
		else if (span_is(item, "DELAY"))
			bit = NOTIFY_DELAY;
		else
			return -1;
		if (cmd->notify & bit)
			return -1;
		cmd->notify |= bit;
		if (comma == NULL)
			break;
		v.p = comma + 1;
		v.n -= item.n + 1;
		if (v.n == 0)
			return -1;	/* trailing comma */
	}
	/* NEVER must be alone (RFC 3461 4.1). */
	if ((cmd->notify & NOTIFY_NEVER) && cmd->notify != NOTIFY_NEVER)
		return -1;
	return 0;
}

/* ORCPT=addr-type;xtext (RFC 3461 4.2; RFC 6533 for the utf-8 type). */
static int
parse_orcpt(struct smtp_cmd *cmd, struct span v)
{
	char		 tmp[SMTP_ORCPT_MAX + 1];
	const char	*semi = memchr(v.p, ';', v.n);
	struct span	 type, addr;
	size_t		 i;

	if (v.n > SMTP_ORCPT_MAX || semi == NULL || semi == v.p)
		return -1;
	type.p = v.p;
	type.n = (size_t)(semi - v.p);
	addr.p = semi + 1;
	addr.n = v.n - type.n - 1;
	if (addr.n == 0)
		return -1;
	for (i = 0; i < type.n; i++)
		if (!is_alnum(type.p[i]) && strchr("!#$%&'*+-/=?^_`{|}~",
		    type.p[i]) == NULL)
			return -1;
	/* utf-8-addr-xtext may hold UTF-8 and \x{..}; valid_value() vetted it. */
	if (!span_is(type, "utf-8") &&
	    xtext_decode_n(tmp, sizeof(tmp), addr.p, addr.n) == -1)
		return -1;
	copy(cmd->orcpt, v);
	return 0;
}

/* Parses "KEYWORD[=value] ..." of MAIL (is_mail) or RCPT. */
static int
parse_params(struct smtp_cmd *cmd, struct span rest, int is_mail,
    struct smtp_cmd_error *err)
{
	struct span	 tok, key, val;
	unsigned	 seen = 0, bit;
	const char	*eq;
	size_t		 i;

	while (rest.n > 0) {
		next_token(&rest, &tok);
		if (tok.n == 0 || (rest.n == 0 && tok.p + tok.n < rest.p))
			return fail(err, 501, "5.5.4", "Syntax error in parameters");
		eq = memchr(tok.p, '=', tok.n);
		key.p = tok.p;
		key.n = eq ? (size_t)(eq - tok.p) : tok.n;
		val.p = eq ? eq + 1 : tok.p + tok.n;
		val.n = eq ? tok.n - key.n - 1 : 0;
		if (key.n == 0 || !is_alnum(key.p[0]))
			return fail(err, 501, "5.5.4", "Syntax error in parameters");
		for (i = 1; i < key.n; i++)
			if (!is_alnum(key.p[i]) && key.p[i] != '-')
				return fail(err, 501, "5.5.4",
				    "Syntax error in parameters");
		if (eq != NULL && !valid_value(val))
			return fail(err, 501, "5.5.4", "Syntax error in parameters");

		if (is_mail && span_is(key, "SIZE"))
			bit = P_SIZE;
		else if (is_mail && span_is(key, "BODY"))
			bit = P_BODY;
		else if (is_mail && span_is(key, "SMTPUTF8"))
			bit = P_SMTPUTF8;
		else if (is_mail && span_is(key, "RET"))
			bit = P_RET;
		else if (is_mail && span_is(key, "ENVID"))
			bit = P_ENVID;
		else if (is_mail && span_is(key, "AUTH"))
			bit = P_AUTH;
		else if (!is_mail && span_is(key, "NOTIFY"))
			bit = P_NOTIFY;
		else if (!is_mail && span_is(key, "ORCPT"))
			bit = P_ORCPT;
		else
			return fail(err, 555, "5.5.4", "Unsupported parameter");
		if (seen & bit)
			return fail(err, 501, "5.5.4", "Duplicate parameter");
		seen |= bit;
		/* Only SMTPUTF8 goes without a value. */
		if ((bit == P_SMTPUTF8) != (eq == NULL))
			return fail(err, 501, "5.5.4", bit == P_SMTPUTF8 ?
			    "SMTPUTF8 takes no value" : "Parameter needs a value");

		switch (bit) {
		case P_SIZE:
			if (parse_number(val, &cmd->size) == -1)
				return fail(err, 501, "5.5.4", "Invalid SIZE value");
			break;
		case P_BODY:
			if (span_is(val, "7BIT"))
				cmd->body = BODY_7BIT;
			else if (span_is(val, "8BITMIME"))
				cmd->body = BODY_8BITMIME;
			else if (span_is(val, "BINARYMIME"))
				cmd->body = BODY_BINARYMIME;
			else
				return fail(err, 501, "5.5.4", "Invalid BODY value");
			break;
		case P_SMTPUTF8:
			cmd->smtputf8 = 1;
			break;
		case P_RET:
			if (span_is(val, "FULL"))
				cmd->ret = 1;
			else if (span_is(val, "HDRS"))
				cmd->ret = 2;
			else
				return fail(err, 501, "5.5.4", "Invalid RET value");
			break;
		case P_ENVID:
			if (xtext_decode_n(cmd->envid, ENVID_MAX + 1, val.p,
			    val.n) == -1)
				return fail(err, 501, "5.5.4", "Invalid ENVID value");
			break;
		case P_AUTH:
			if (span_is(val, "<>"))
				copy(cmd->auth, val);
			else if (xtext_decode_n(cmd->auth, sizeof(cmd->auth),
			    val.p, val.n) == -1)
				return fail(err, 501, "5.5.4", "Invalid AUTH value");
			break;
		case P_NOTIFY:
			if (parse_notify(cmd, val) == -1)
				return fail(err, 501, "5.5.4", "Invalid NOTIFY value");
			break;
		case P_ORCPT:
			if (parse_orcpt(cmd, val) == -1)
				return fail(err, 501, "5.5.4", "Invalid ORCPT value");
			break;
		}
	}
	return 0;
}

/*
 * The mailbox of a path, past any source route "@a,@b:" (RFC 5321 4.1.2:
 * accepted and ignored). *mbox spans what is between the route and ">".
 */
static int
skip_route(struct span *mbox)
{
	const char	*e = mbox->p + mbox->n, *p = mbox->p, *d, *err;

	if (mbox->n == 0 || *p != '@')
		return 0;
	for (;;) {
		d = ++p;
		while (p < e && *p != ',' && *p != ':')
			p++;
		if (p == e || addr_domain_check(d, (size_t)(p - d), 1, &err) == -1)
			return -1;
		if (*p == ':')
			break;
		if (++p == e || *p != '@')
			return -1;
	}
	p++;
	mbox->n = (size_t)(e - p);
	mbox->p = p;
	return 0;
}

/* "FROM:<path> params" or "TO:<path> params". */
static int
parse_path(struct smtp_cmd *cmd, struct span a, int is_mail,
    struct smtp_cmd_error *err)
{
	const char	*kw = is_mail ? "FROM:" : "TO:";
	const char	*enh = is_mail ? "5.1.7" : "5.1.3";
	const char	*syntax = is_mail ? "Syntax: MAIL FROM:<address>" :
	    "Syntax: RCPT TO:<address>";
	const char	*p, *e = a.p + a.n, *gt, *errstr;
	char		 tmp[ADDR_PATH_MAX + 1];
	struct span	 mbox, rest;
	size_t		 kwlen = strlen(kw);
	int		 quoted = 0;

	if (a.n < kwlen || strncasecmp(a.p, kw, kwlen) != 0)
		return fail(err, 501, "5.5.4", syntax);
	p = a.p + kwlen;
	/* "MAIL FROM: <a@b>", as Postfix allows. */
	if (p < e && *p == ' ')
		p++;
	if (p == e)
		return fail(err, 501, "5.5.4", syntax);
	if (*p != '<') {
		/*
		 * "MAIL FROM: a@b" and "RCPT TO: a@b" without brackets, as
		 * Postfix accepts them (strict_rfc821_envelopes = no): people
		 * type them so in telnet, old scripts send them. The address
		 * ends at the first space; no bracket or quote may be in it,
		 * so nothing else is read differently than with brackets.
		 */
		for (gt = p; gt < e && *gt != ' '; gt++)
			if (*gt == '<' || *gt == '>' || *gt == '"')
				return fail(err, 553, enh, "Address must be enclosed "
				    "in <>");
		mbox.p = p;
		mbox.n = (size_t)(gt - p);
		rest.p = gt;
		rest.n = (size_t)(e - gt);
		if (mbox.n == 0)
			return fail(err, 553, enh, "Address must be enclosed in <>");
	} else {
		for (gt = p + 1; gt < e; gt++) {
			if (quoted && *gt == '\\' && gt + 1 < e)
				gt++;
			else if (*gt == '"')
				quoted = !quoted;
			else if (!quoted && *gt == '>')
				break;
		}
		if (gt == e)
			return fail(err, 553, enh, "Missing > after the address");
		mbox.p = p + 1;
		mbox.n = (size_t)(gt - mbox.p);
		rest.p = gt + 1;
		rest.n = (size_t)(e - rest.p);
	}
	if (rest.n > 0) {
		if (rest.p[0] != ' ')
			return fail(err, 553, enh, "Syntax error after address");
		rest.p++;
		rest.n--;
		if (rest.n == 0)
			return fail(err, 501, "5.5.4", "Syntax error in parameters");
		if (parse_params(cmd, rest, is_mail, err) == -1)
			return -1;
	}

	if (skip_route(&mbox) == -1)
		return fail(err, 553, enh, "Invalid source route");
	if (mbox.n == 0) {
		if (mbox.p != p + 1 || *p != '<')
			return fail(err, 553, enh, "Invalid source route");
		if (!is_mail)
			return fail(err, 553, enh, "Recipient address required");
		cmd->null_path = 1;
		return 0;
	}
	if (mbox.n > ADDR_PATH_MAX)
		return fail(err, 553, enh, "Address too long");
	copy(tmp, mbox);
	if (!is_mail && strcasecmp(tmp, "postmaster") == 0) {
		cmd->postmaster = 1;
		strcpy(cmd->addr.local, "postmaster");
		cmd->addr.domain[0] = '\0';
		return 0;
	}
	if (addr_parse(&cmd->addr, tmp, 1, &errstr) == -1)
		return fail(err, 553, enh, errstr);
	cmd->has_utf8 = addr_is_utf8(&cmd->addr);
	if (is_mail && cmd->has_utf8 && !cmd->smtputf8)
		return fail(err, 553, "5.6.7",
		    "UTF-8 address needs the SMTPUTF8 parameter");
	return 0;
}

static int
parse_bdat(struct smtp_cmd *cmd, struct span a, struct smtp_cmd_error *err)
{
	struct span	 size, last;

	next_token(&a, &size);
	next_token(&a, &last);
	if (parse_number(size, &cmd->chunk_size) == -1 || a.n > 0 ||
	    (last.n > 0 && !span_is(last, "LAST")) ||
	    (last.n == 0 && last.p != size.p + size.n))
		return fail(err, 501, "5.5.4", "Syntax: BDAT size [LAST]");
	cmd->last = last.n > 0;
	return 0;
}

static int
parse_auth(struct smtp_cmd *cmd, struct span a, struct smtp_cmd_error *err)
{
	struct span	 mech, ir;
	size_t		 i;

	next_token(&a, &mech);
	ir = a;
	if (mech.n == 0 || mech.n > MECH_MAX ||
	    (ir.n == 0 && mech.p + mech.n != a.p))
		return fail(err, 501, "5.5.4",
		    "Syntax: AUTH mechanism [initial-response]");
	for (i = 0; i < mech.n; i++) {
		char	 c = mech.p[i];

		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		else if (!is_alnum(c) && c != '-' && c != '_')
			return fail(err, 501, "5.5.4",
			    "Invalid authentication mechanism name");
		cmd->arg[i] = c;
	}
	cmd->arg[mech.n] = '\0';
	if (ir.n >= sizeof(cmd->arg2))
		return fail(err, 500, "5.5.6",
		    "Authentication Exchange line is too long");
	for (i = 0; i < ir.n; i++)
		if (!is_alnum(ir.p[i]) && strchr("+/=", ir.p[i]) == NULL)
			return fail(err, 501, "5.5.2",
			    "Cannot Base64-decode Client responses");
	copy(cmd->arg2, ir);
	return 0;
}

int
smtp_cmd_parse(struct smtp_cmd *cmd, const char *line, size_t len,
    struct smtp_cmd_error *err)
{
	struct span	 verb, a;
	const char	*helo_syntax;
	size_t		 i;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = SMTP_UNKNOWN;
	cmd->size = -1;
	cmd->chunk_size = -1;
	err->code = 0;
	err->enhanced = NULL;
	err->text = NULL;

	if (memchr(line, '\0', len) != NULL)
		return fail(err, 500, "5.5.2", "NUL octet in command");
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return fail(err, 500, "5.5.2",
			    "Control character in command");
	a.p = line;
	a.n = len;
	next_token(&a, &verb);
	if (verb.n > VERB_MAX)
		return fail(err, 500, "5.5.2", "Command unrecognized");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (span_is(verb, verbs[i].name))
			cmd->verb = verbs[i].verb;
	if (cmd->verb == SMTP_UNKNOWN)
		return fail(err, 500, "5.5.2", "Command unrecognized");
	if (cmd->verb == SMTP_AUTH)
		return parse_auth(cmd, a, err);
	if (len > SMTP_CMDLINE_MAX - 2)
		return fail(err, 500, "5.5.2", "Line too long");

	switch (cmd->verb) {
	case SMTP_HELO:
	case SMTP_EHLO:
	case SMTP_LHLO:
		helo_syntax = cmd->verb == SMTP_HELO ? "Syntax: HELO hostname" :
		    cmd->verb == SMTP_EHLO ? "Syntax: EHLO hostname" :
		    "Syntax: LHLO hostname";
		trim(&a);
		if (a.n == 0)
			return fail(err, 501, "5.5.4", helo_syntax);
		if (a.n > HELO_MAX)
			return fail(err, 501, "5.5.4", "Invalid domain name");
		for (i = 0; i < a.n; i++)
			if ((unsigned char)a.p[i] <= ' ' ||
			    (unsigned char)a.p[i] > '~')
				return fail(err, 501, "5.5.4",
				    "Invalid domain name");
		copy(cmd->arg, a);
		return 0;
	case SMTP_MAIL:
	case SMTP_RCPT:
		return parse_path(cmd, a, cmd->verb == SMTP_MAIL, err);
	case SMTP_BDAT:
		return parse_bdat(cmd, a, err);
	case SMTP_DATA:
	case SMTP_RSET:
	case SMTP_QUIT:
	case SMTP_STARTTLS:
		trim(&a);
		if (a.n > 0)
			return fail(err, 501, "5.5.4", "No parameters allowed");
		return 0;
	case SMTP_NOOP:
		return 0;
	case SMTP_VRFY:
	case SMTP_EXPN:
	case SMTP_HELP:
		trim(&a);
		if (a.n == 0 && cmd->verb != SMTP_HELP)
			return fail(err, 501, "5.5.4", cmd->verb == SMTP_VRFY ?
			    "Syntax: VRFY address" : "Syntax: EXPN list");
		if (a.n > ADDR_PATH_MAX)
			return fail(err, 501, "5.5.4", "Argument too long");
		copy(cmd->arg, a);
		return 0;
	default:
		break;
	}
	return fail(err, 500, "5.5.2", "Command unrecognized");
}
