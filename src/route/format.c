/* Format specifiers of smtpd.conf(5): %{token[slice]:modifier|...} in maildir paths and mda commands. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route/format.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define TOKEN_MAX	128		/* the longest "%{...}" accepted */

static _Thread_local char format_err[TOKEN_MAX + 64];

enum part { P_ALL, P_USER, P_DOMAIN };

struct spec {
	const char	*name;
	size_t		 off;		/* offset of the string in struct format_ctx */
	enum part	 part;
	int		 trusted;	/* from the system, not the sender: never sanitised */
};

#define F(m)	offsetof(struct format_ctx, m)
static const struct spec specs[] = {
	{ "sender", F(sender), P_ALL, 0 },
	{ "sender.user", F(sender), P_USER, 0 },
	{ "sender.domain", F(sender), P_DOMAIN, 0 },
	{ "rcpt", F(rcpt), P_ALL, 0 },
	{ "rcpt.user", F(rcpt), P_USER, 0 },
	{ "rcpt.domain", F(rcpt), P_DOMAIN, 0 },
	{ "dest", F(dest), P_ALL, 0 },
	{ "dest.user", F(dest), P_USER, 0 },
	{ "dest.domain", F(dest), P_DOMAIN, 0 },
	{ "user.username", F(user_name), P_ALL, 0 },
	{ "user.directory", F(user_dir), P_ALL, 1 },
	{ "mbox.from", F(mbox_from), P_ALL, 0 },
	{ "mda", F(mda), P_ALL, 1 },
};
#undef F

enum modifier { MOD_LOWER, MOD_UPPER, MOD_STRIP, MOD_RAW };

struct token {
	const struct spec *spec;
	int		 sliced;
	int		 single;	/* [n]: one character, n < 0 from the end */
	long long	 beg, end;	/* end LLONG_MAX: to the end */
	enum modifier	 mods[8];
	size_t		 nmods;
};

static int
parse_offset(const char **pp, long long *v)
{
	const char	*p = *pp;
	char		*end;

	if (!isdigit((unsigned char)*p) && !(*p == '-' && isdigit((unsigned char)p[1])))
		return -1;
	errno = 0;
	*v = strtoll(p, &end, 10);
	if (errno || *v > 65535 || *v < -65535)
		return -1;
	*pp = end;
	return 0;
}

/* Parses the inside of "%{...}" (s, n bytes). */
static int
parse_token(const char *s, size_t n, struct token *t, const char **errstr)
{
	char		 buf[TOKEN_MAX + 1], *mods, *name, *br, *m, *next;
	const char	*q;
	size_t		 i;

	memset(t, 0, sizeof(*t));
	if (n > TOKEN_MAX) {
		*errstr = "format token too long";
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	name = buf;
	/* The modifiers start at the first ':' after any "[...]", which has its own. */
	br = strchr(buf, '[');
	mods = strchr(br ? (strchr(br, ']') ? strchr(br, ']') : br) : buf, ':');
	if (mods != NULL)
		*mods++ = '\0';
	if ((br = strchr(name, '[')) != NULL) {
		*br++ = '\0';
		q = br;
		t->sliced = 1;
		if (parse_offset(&q, &t->beg) == -1)
			goto badslice;
		if (*q == ']') {
			t->single = 1;
		} else if (*q == ':') {
			q++;
			if (*q == ']')
				t->end = LLONG_MAX;
			else if (parse_offset(&q, &t->end) == -1)
				goto badslice;
		} else
			goto badslice;
		if (*q != ']' || q[1] != '\0')
			goto badslice;
	}
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strcasecmp(specs[i].name, name) == 0)
			break;
	if (i == sizeof(specs) / sizeof(specs[0])) {
		*errstr = *name ? "unknown format token" : "empty format token";
		return -1;
	}
	t->spec = &specs[i];
	for (m = mods; m != NULL; m = next) {
		if ((next = strchr(m, '|')) != NULL)
			*next++ = '\0';
		if (t->nmods == sizeof(t->mods) / sizeof(t->mods[0])) {
			*errstr = "too many format modifiers";
			return -1;
		}
		if (strcasecmp(m, "lowercase") == 0)
			t->mods[t->nmods++] = MOD_LOWER;
		else if (strcasecmp(m, "uppercase") == 0)
			t->mods[t->nmods++] = MOD_UPPER;
		else if (strcasecmp(m, "strip") == 0)
			t->mods[t->nmods++] = MOD_STRIP;
		else if (strcasecmp(m, "raw") == 0)
			t->mods[t->nmods++] = MOD_RAW;
		else {
			*errstr = "unknown format modifier";
			return -1;
		}
	}
	return 0;

badslice:
	*errstr = "bad slice in format token";
	return -1;
}

/* Removes "+tag" from the local part: "User+Tag@Example.org" -> "User@Example.org". */
static void
strip_subaddr(char *s, char delim)
{
	char	*d, *at;

	if (delim == '\0' || (d = strchr(s, delim)) == NULL)
		return;
	at = strrchr(s, '@');
	if (at != NULL && d > at)
		return;
	if (d == s)
		return;		/* a leading delimiter is the name, not a tag */
	if (at == NULL)
		*d = '\0';
	else
		memmove(d, at, strlen(at) + 1);
}

static int
expand_token(struct buf *out, const struct token *t, const struct format_ctx *ctx,
    const char **errstr)
{
	const char	*src, *at;
	char		*v;
	size_t		 len, i;
	long long	 beg, end;
	int		 raw = t->spec->trusted;

	src = *(const char *const *)(const void *)((const char *)ctx + t->spec->off);
	if (src == NULL) {
		*errstr = "format token not available here";
		return -1;
	}
	at = strrchr(src, '@');
	if (t->spec->part == P_USER)
		v = at ? xstrndup(src, (size_t)(at - src)) : xstrdup(src);
	else if (t->spec->part == P_DOMAIN)
		v = xstrdup(at ? at + 1 : "");
	else
		v = xstrdup(src);
	for (i = 0; i < t->nmods; i++) {
		switch (t->mods[i]) {
		case MOD_LOWER:
			for (char *c = v; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			break;
		case MOD_UPPER:
			for (char *c = v; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			break;
		case MOD_STRIP:
			strip_subaddr(v, ctx->sub_addr_delim);
			break;
		case MOD_RAW:
			raw = 1;
			break;
		}
	}
	/* Values come from the envelope: they must not climb out of a path or split a command. */
	if (!raw)
		for (char *c = v; *c; c++)
			if (!isalnum((unsigned char)*c) && strchr("+-.@_=", *c) == NULL)
				*c = ':';
	len = strlen(v);
	beg = 0;
	end = len ? (long long)len - 1 : 0;
	if (t->sliced && len > 0) {
		/* Offsets as smtpd.conf(5): the end is inclusive, negative counts from the end. */
		beg = t->beg;
		end = t->end;
		if (t->single) {
			if (beg < 0)
				beg += (long long)len;
			end = beg;
		}
		if (beg >= (long long)len) {
			free(v);
			*errstr = "format slice beyond the end of the value";
			return -1;
		}
		if (end != LLONG_MAX && end < 0)
			end += (long long)len - 1;
		if (end == LLONG_MAX || end >= (long long)len)
			end = (long long)len - 1;
		if (beg < 0)
			beg += (long long)len;
		if (beg < 0 || end < beg) {
			free(v);
			*errstr = "format slice selects nothing";
			return -1;
		}
	}
	/* After slicing: "%{rcpt.user[1:]}" of "a.." must not give "..". */
	if (!raw && len > 0 && v[beg] == '.')
		v[beg] = ':';
	if (len > 0 && buf_add(out, v + beg, (size_t)(end - beg + 1)) == -1) {
		free(v);
		*errstr = "format expansion too long";
		return -1;
	}
	free(v);
	return 0;
}

/* Walks fmt; with out == NULL only checks the syntax. */
static int
format_walk(struct buf *out, const char *fmt, const struct format_ctx *ctx,
    const char **errstr)
{
	struct token	 t;
	const char	*p, *close;

	p = fmt;
	/* "~/..." is the user's home, as in "maildir ~/Maildir". */
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if (out != NULL) {
			if (ctx->user_dir == NULL) {
				*errstr = "home directory not available here";
				return -1;
			}
			if (buf_adds(out, ctx->user_dir) == -1)
				goto toolong;
		}
		p++;
	}
	while (*p) {
		if (p[0] != '%' || p[1] != '{') {
			if (out != NULL && buf_addc(out, *p) == -1)
				goto toolong;
			p++;
			continue;
		}
		if ((close = strchr(p + 2, '}')) == NULL) {
			*errstr = "unterminated %{ in format";
			return -1;
		}
		if (parse_token(p + 2, (size_t)(close - p - 2), &t, errstr) == -1) {
			snprintf(format_err, sizeof(format_err), "%s \"%%{%.*s}\"", *errstr,
			    (int)(close - p - 2 > TOKEN_MAX ? TOKEN_MAX : close - p - 2), p + 2);
			*errstr = format_err;
			return -1;
		}
		if (out != NULL && expand_token(out, &t, ctx, errstr) == -1)
			return -1;
		p = close + 1;
	}
	return 0;

toolong:
	*errstr = "format expansion too long";
	return -1;
}

int
format_expand(struct buf *out, const char *fmt, const struct format_ctx *ctx,
    const char **errstr)
{
	size_t	 len = out->len;

	if (format_walk(out, fmt, ctx, errstr) == -1) {
		/* Leave out as it was: a half path must never be used. */
		out->len = len;
		if (out->data)
			out->data[len] = '\0';
		return -1;
	}
	return 0;
}

int
format_check(const char *fmt, const char **errstr)
{
	return format_walk(NULL, fmt, NULL, errstr);
}
