/* POP3 command lines into a verb and checked arguments. */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "mail/pop3_cmd.h"

static const struct {
	const char	*name;
	enum pop3_verb	 verb;
} verbs[] = {
	{ "USER", POP3_USER }, { "PASS", POP3_PASS }, { "APOP", POP3_APOP },
	{ "AUTH", POP3_AUTH }, { "STLS", POP3_STLS }, { "CAPA", POP3_CAPA },
	{ "QUIT", POP3_QUIT }, { "STAT", POP3_STAT }, { "LIST", POP3_LIST },
	{ "RETR", POP3_RETR }, { "DELE", POP3_DELE }, { "NOOP", POP3_NOOP },
	{ "RSET", POP3_RSET }, { "TOP", POP3_TOP }, { "UIDL", POP3_UIDL },
	{ "UTF8", POP3_UTF8 }, { "LAST", POP3_LAST },
};

/* The next space-separated word of p[*off..len); 0 when there is none. */
static int
word(const char *p, size_t len, size_t *off, const char **w, size_t *wlen)
{
	size_t	 i = *off;

	while (i < len && p[i] == ' ')
		i++;
	if (i == len)
		return 0;
	*w = p + i;
	while (i < len && p[i] != ' ')
		i++;
	*wlen = (size_t)(p + i - *w);
	*off = i;
	return 1;
}

/* A decimal number of at most 9 digits (no sign, no leading "+"). */
static int
number(const char *w, size_t n, unsigned long *out)
{
	unsigned long	 v = 0;
	size_t		 i;

	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(w[i] - '0');
	}
	*out = v;
	return 0;
}

static int
controls(const char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 1;
	return 0;
}

int
pop3_cmd_parse(struct pop3_cmd *c, const char *line, size_t len,
    const char **err)
{
	const char	*w;
	size_t		 wlen, off = 0, i;
	unsigned	 want_min = 0, want_max = 0;

	memset(c, 0, sizeof(*c));
	*err = "Unknown command.";
	if (!word(line, len, &off, &w, &wlen) || wlen > 4)
		return -1;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == wlen &&
		    strncasecmp(verbs[i].name, w, wlen) == 0)
			c->verb = verbs[i].verb;
	if (c->verb == POP3_UNKNOWN || (w != line))
		return c->verb = POP3_UNKNOWN, -1;
	*err = "Invalid arguments.";
	switch (c->verb) {
	case POP3_PASS:
		/* Everything after one space, spaces and all (RFC 1939 7). */
		if (off >= len || line[off] != ' ' || off + 1 == len)
			return -1;
		c->arg = line + off + 1;
		c->arglen = len - off - 1;
		return controls(c->arg, c->arglen) ? -1 : 0;
	case POP3_USER:
		if (!word(line, len, &off, &c->arg, &c->arglen) ||
		    c->arglen > 320 || controls(c->arg, c->arglen))
			return -1;
		break;
	case POP3_AUTH:
		/* No mechanism: the list of them (a common extension). */
		if (!word(line, len, &off, &c->arg, &c->arglen))
			return 0;
		if (c->arglen > POP3_ARG_MAX)
			return -1;
		if (word(line, len, &off, &c->ir, &c->irlen) &&
		    controls(c->ir, c->irlen))
			return -1;
		break;
	case POP3_APOP:
		return 0;	/* refused by the session: not offered */
	case POP3_LIST:
	case POP3_UIDL:
		want_max = 1;
		break;
	case POP3_RETR:
	case POP3_DELE:
		want_min = want_max = 1;
		break;
	case POP3_TOP:
		want_min = want_max = 2;
		break;
	default:
		break;
	}
	while (c->nnum < 2 && word(line, len, &off, &w, &wlen)) {
		if (c->nnum >= want_max || number(w, wlen, &c->num[c->nnum]) == -1)
			return -1;
		c->nnum++;
	}
	if (word(line, len, &off, &w, &wlen) || c->nnum < want_min)
		return -1;
	if (c->nnum >= 1 && c->num[0] == 0) {
		*err = "No such message.";
		return -1;
	}
	return 0;
}
