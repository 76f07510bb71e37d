/* SMTP reply lines as a client reads them, and EHLO capability keywords. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/utf8.h"
#include "mail/reply_parse.h"

void
reply_parse_init(struct reply_parse *r)
{
	memset(r, 0, sizeof(*r));
}

static void
reply_append(struct reply_parse *r, const char *s, size_t n)
{
	size_t	 i = 0, l;

	/*
	 * Replies end up in logs, mailq and DSNs: only printable ASCII and
	 * safe UTF-8 travel on; a control octet, a C1 control such as 0x9B
	 * (CSI), invalid UTF-8 or a bidi override becomes '?'.
	 */
	while (i < n && r->len + 1 < sizeof(r->text)) {
		if ((l = utf8_safe_len(s + i, n - i)) == 0) {
			r->text[r->len++] = '?';
			i++;
			continue;
		}
		if (r->len + l + 1 > sizeof(r->text))
			break;
		memcpy(r->text + r->len, s + i, l);
		r->len += l;
		i += l;
	}
	r->text[r->len] = '\0';
}

int
reply_parse_feed(struct reply_parse *r, const char *line, size_t len,
    const char **linetext, size_t *linetextlen, const char **errstr)
{
	int	 code;

	if (r->done) {
		*errstr = "reply already complete";
		return -1;
	}
	if (len < 3 || len > REPLY_PARSE_LINE_MAX) {
		*errstr = len < 3 ? "reply line too short" : "reply line too long";
		return -1;
	}
	if (line[0] < '2' || line[0] > '5' || !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2])) {
		*errstr = "reply without a valid code";
		return -1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len > 3 && line[3] != ' ' && line[3] != '-') {
		*errstr = "reply code not followed by a space or hyphen";
		return -1;
	}
	if (r->nlines > 0 && code != r->code) {
		*errstr = "reply lines with different codes";
		return -1;
	}
	if (r->nlines >= REPLY_PARSE_LINES_MAX) {
		*errstr = "reply has too many lines";
		return -1;
	}
	r->code = code;
	if (linetext) {
		*linetext = len > 4 ? line + 4 : line + len;
		*linetextlen = len > 4 ? len - 4 : 0;
	}
	if (r->nlines == 0)
		reply_append(r, line, 3);
	if (len > 4) {
		const char	*t = line + 4;
		size_t		 n = len - 4;

		/* Later lines repeat the enhanced code; keep only their words. */
		if (r->nlines > 0 && n >= 5 && isdigit((unsigned char)t[0]) &&
		    t[1] == '.') {
			const char	*sp = memchr(t, ' ', n);

			if (sp == NULL)
				n = 0;
			else {
				n -= (size_t)(sp + 1 - t);
				t = sp + 1;
			}
		}
		if (n > 0) {
			reply_append(r, " ", 1);
			reply_append(r, t, n);
		}
	}
	r->nlines++;
	if (len == 3 || line[3] == ' ')
		r->done = 1;
	return r->done;
}

/* Does text[0..len) start with the keyword kw, followed by its end or a space? */
static int
keyword(const char *text, size_t len, const char *kw)
{
	size_t	 n = strlen(kw);

	return len >= n && strncasecmp(text, kw, n) == 0 &&
	    (len == n || text[n] == ' ' || text[n] == '=');
}

void
ehlo_caps_line(struct ehlo_caps *c, const char *text, size_t len)
{
	static const struct {
		const char	*kw;
		unsigned	 flag;
	} simple[] = {
		{ "STARTTLS", EHLO_EXT_STARTTLS }, { "PIPELINING", EHLO_EXT_PIPELINING },
		{ "8BITMIME", EHLO_EXT_8BITMIME }, { "SMTPUTF8", EHLO_EXT_SMTPUTF8 },
		{ "DSN", EHLO_EXT_DSN }, { "CHUNKING", EHLO_EXT_CHUNKING },
		{ "ENHANCEDSTATUSCODES", EHLO_EXT_ENHANCED },
	};
	size_t	 i, j;

	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (keyword(text, len, simple[i].kw)) {
			c->ext |= simple[i].flag;
			return;
		}
	if (keyword(text, len, "SIZE")) {
		unsigned long long	 v = 0;

		c->ext |= EHLO_EXT_SIZE;
		for (i = 5; i < len && isdigit((unsigned char)text[i]); i++) {
			if (v > (~0ULL - 9) / 10) {
				v = 0;		/* absurd: treat as no limit */
				break;
			}
			v = v * 10 + (unsigned)(text[i] - '0');
		}
		c->size = v;
		return;
	}
	/* "AUTH PLAIN LOGIN", and the pre-RFC 4954 "AUTH=LOGIN" some servers still send. */
	if (keyword(text, len, "AUTH")) {
		c->ext |= EHLO_EXT_AUTH;
		for (i = 5; i < len; i = j + 1) {
			for (j = i; j < len && text[j] != ' '; j++)
				;
			if (j - i == 5 && strncasecmp(text + i, "PLAIN", 5) == 0)
				c->auth |= EHLO_AUTH_PLAIN;
			else if (j - i == 5 && strncasecmp(text + i, "LOGIN", 5) == 0)
				c->auth |= EHLO_AUTH_LOGIN;
		}
	}
}
