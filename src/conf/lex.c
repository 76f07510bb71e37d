/* Lexer of tegami.conf: files and includes, macros, quoting, comments and line continuation. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/bundle.h"
#include "conf/parse.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "lib/xalloc.h"

/*
 * Every keyword the grammar knows. scripts/doc-check.sh reads the lines
 * between the markers and checks that tegami.conf(5) documents each one,
 * so a keyword added to the parser must be added here too.
 */
static const char *const keywords[] = {
	/* BEGIN KEYWORDS */
	"action",
	"admd",
	"alias",
	"any",
	"auth",
	"auth-cost",
	"auth-optional",
	"auth-throttle",
	"backoff",
	"backup",
	"ban",
	"bounce",
	"bypass",
	"ca",
	"canonicalization",
	"cert",
	"chain",
	"check",
	"ciphers",
	"client",
	"command",
	"commit",
	"compression",
	"connect",
	"data",
	"defer",
	"dhe",
	"disconnect",
	"dkim-sign",
	"dnsbl",
	"domain",
	"ehlo",
	"encryption",
	"enforce",
	"expand-only",
	"fcrdns",
	"filter",
	"for",
	"forward-only",
	"from",
	"group",
	"helo",
	"helo-fqdn",
	"helo-self",
	"helo-src",
	"helo-valid",
	"host",
	"hostname",
	"hostnames",
	"imap",
	"imaps",
	"include",
	"inet4",
	"inet6",
	"junk",
	"key",
	"limit",
	"listen",
	"lmtp",
	"local",
	"localhost",
	"mail-auth",
	"mail-from",
	"maildir",
	"mask-src",
	"masquerade",
	"match",
	"max-connection-rate",
	"max-deferred",
	"max-mails",
	"max-message-size",
	"max-rcpt",
	"max-sessions",
	"max-sessions-per-address",
	"mbox",
	"mda",
	"mta",
	"mx",
	"no-dsn",
	"no-verify",
	"on",
	"over-quota",
	"phase",
	"pki",
	"pop3",
	"pop3s",
	"port",
	"proc",
	"proc-exec",
	"proxy-v2",
	"queue",
	"quota",
	"rbl",
	"rcpt-to",
	"rdns",
	"received-auth",
	"regex",
	"reject",
	"relay",
	"resolver",
	"rewrite",
	"rhsbl",
	"selector",
	"sender",
	"senders",
	"session",
	"smtp",
	"smtps",
	"socket",
	"spool",
	"src",
	"srs",
	"sub-addr-delim",
	"subdomains",
	"table",
	"tag",
	"timeout",
	"tls",
	"tls-require",
	"ttl",
	"user",
	"userbase",
	"verify",
	"virtual",
	"warn-interval",
	"within",
	"wrapper",
	/* END KEYWORDS */
};

struct lexsrc {
	struct lexsrc	*prev;
	const char	*name;		/* interned file name; NULL for a macro */
	char		*data;
	size_t		 len, pos;
	int		 line;
	int		 at_eof_nl;	/* the closing newline of a file was given */
};

#define MACRO_DEPTH_MAX	16

int
lex_is_keyword(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(keywords[i], s) == 0)
			return 1;
	return 0;
}

const char *
lex_intern(struct parser *p, const char *name)
{
	struct conf	*c = p->conf;
	size_t		 i;

	for (i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i], name) == 0)
			return c->files[i];
	c->files = xreallocarray(c->files, c->nfiles + 1, sizeof(*c->files));
	c->files[c->nfiles] = xstrdup(name);
	return c->files[c->nfiles++];
}

static void
push_src(struct parser *p, const char *name, char *data, size_t len)
{
	struct lexsrc	*s = xcalloc(1, sizeof(*s));

	s->prev = p->src;
	s->name = name;
	s->data = data;
	s->len = len;
	s->line = 1;
	/* Editors on some systems start UTF-8 files with a byte order mark. */
	if (name != NULL && len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		s->pos = 3;
	p->src = s;
}

static void
pop_src(struct parser *p)
{
	struct lexsrc	*s = p->src;

	p->src = s->prev;
	free(s->data);
	free(s);
}

void
lex_free(struct parser *p)
{
	while (p->src)
		pop_src(p);
}

void
lex_push_buffer(struct parser *p, const char *name, const char *data, size_t len)
{
	char	*copy = xmalloc(len + 1);

	memcpy(copy, data, len);
	copy[len] = '\0';
	push_src(p, lex_intern(p, name), copy, len);
	p->depth++;
}

int
lex_push_file(struct parser *p, const char *path, const char *shown,
    const char *from_file, int from_line)
{
	char	*data;
	size_t	 len;
	int	 withheld;

	if (p_read_file(p, BUNDLE_CONF, path, CONF_FILE_MAX, &data, &len,
	    &withheld) == -1) {
		const char	*why = errno == EFBIG ? "file too large (over 16 MiB)" :
				    errno == EINVAL ? "not a regular file" :
				    strerror(errno);

		if (from_file)
			perr(p, from_file, from_line, "include \"%s\": %s", shown,
			    why);
		else
			perr(p, path, 0, "cannot open: %s", why);
		return -1;
	}
	push_src(p, lex_intern(p, path), data, len);
	p->depth++;
	return 0;
}

/* The innermost file, for token positions inside macro values. */
static struct lexsrc *
cur_file(struct parser *p)
{
	struct lexsrc	*s;

	for (s = p->src; s && s->name == NULL; s = s->prev)
		;
	return s;
}

static int
peekc(struct parser *p, size_t ahead)
{
	struct lexsrc	*s = p->src;

	if (s == NULL || s->pos + ahead >= s->len)
		return EOF;
	return (unsigned char)s->data[s->pos + ahead];
}

/* Next raw byte of the innermost source; macro values end into their parent. */
static int
getc_raw(struct parser *p)
{
	struct lexsrc	*s;
	int		 c;

	while ((s = p->src) != NULL && s->name == NULL && s->pos >= s->len)
		pop_src(p);
	if (s == NULL || s->pos >= s->len)
		return EOF;
	c = (unsigned char)s->data[s->pos++];
	if (c == '\n' && s->name)
		s->line++;
	return c;
}

/*
 * A backslash before the newline joins lines. A doubled backslash there is
 * taken the same way: configs copied from web pages often carry it, and
 * OpenSMTPD rejects the line anyway, so nothing valid changes meaning.
 */
static int
skip_continuation(struct parser *p)
{
	struct lexsrc	*s = p->src;

	if (peekc(p, 0) != '\\')
		return 0;
	if (peekc(p, 1) == '\n') {
		s->pos += 2;
		if (s->name)
			s->line++;
		return 1;
	}
	if (peekc(p, 1) == '\r' && peekc(p, 2) == '\n') {
		s->pos += 3;
		if (s->name)
			s->line++;
		return 1;
	}
	if (peekc(p, 1) == '\\' && (peekc(p, 2) == '\n' ||
	    (peekc(p, 2) == '\r' && peekc(p, 3) == '\n'))) {
		s->pos += peekc(p, 2) == '\n' ? 3 : 4;
		if (s->name)
			s->line++;
		return 1;
	}
	return 0;
}

static int
getc_cont(struct parser *p)
{
	while (skip_continuation(p))
		;
	return getc_raw(p);
}

static int
in_word(int c)
{
	if (c == EOF || c > 0x7f)
		return c > 0x7f;	/* UTF-8 in names and paths is fine */
	if (isalnum(c))
		return 1;
	return ispunct(c) && strchr("(){}<>!=#,\"'", c) == NULL;
}

static void
set_tok(struct parser *p, struct token *t, enum tok_type type, int line)
{
	struct lexsrc	*f = cur_file(p);

	t->type = type;
	t->text = NULL;
	t->file = f ? f->name : "(none)";
	t->line = line;
}

static int
cur_line(struct parser *p)
{
	struct lexsrc	*f = cur_file(p);

	return f ? f->line : 0;
}

static void
lex_quoted(struct parser *p, struct token *t, int quote)
{
	struct buf	 b;
	int		 c, line = cur_line(p);

	buf_init(&b, CONF_TOKEN_MAX);
	for (;;) {
		if (skip_continuation(p))
			continue;
		c = peekc(p, 0);
		if (c == EOF || c == '\n') {
			set_tok(p, t, T_ERROR, line);
			perr(p, t->file, line, "unterminated quoted string");
			buf_free(&b);
			return;
		}
		getc_raw(p);
		if (c == '\\' && (peekc(p, 0) == quote || peekc(p, 0) == '\\'))
			c = getc_raw(p);
		else if (c == quote)
			break;
		if (c == '\0' || buf_addc(&b, (char)c) == -1) {
			set_tok(p, t, T_ERROR, line);
			perr(p, t->file, line, c ? "quoted string too long" :
			    "NUL byte in quoted string");
			buf_free(&b);
			/* Resynchronise at the end of the line. */
			while ((c = peekc(p, 0)) != EOF && c != '\n')
				getc_raw(p);
			return;
		}
	}
	set_tok(p, t, T_STRING, line);
	t->text = buf_release(&b);
}

/* Reads one token into t (its text is malloc'ed). */
void
lex_token(struct parser *p, struct token *t)
{
	struct buf	 b;
	const char	*val;
	char		 name[128];
	size_t		 n;
	int		 c, line, mdepth;

again:
	do {
		c = getc_cont(p);
	} while (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v');
	line = cur_line(p);
	if (c == '\n') {
		/* The newline already counted: the token belongs to the line it ends. */
		set_tok(p, t, T_NL, line - 1);
		return;
	}
	if (c == '#') {
		/* A comment ends at the newline; a continued comment goes on. */
		while ((c = peekc(p, 0)) != EOF && c != '\n')
			if (!skip_continuation(p))
				getc_raw(p);
		goto again;
	}
	if (c == EOF) {
		struct lexsrc	*f = p->src;

		if (f == NULL) {
			set_tok(p, t, T_EOF, 0);
			return;
		}
		/* End of an included file: close its last directive, go back. */
		if (!f->at_eof_nl) {
			f->at_eof_nl = 1;
			set_tok(p, t, T_NL, f->line);
			return;
		}
		if (f->prev == NULL) {
			set_tok(p, t, T_EOF, f->line);
			return;
		}
		pop_src(p);
		p->depth--;
		goto again;
	}
	switch (c) {
	case '"':
	case '\'':
		lex_quoted(p, t, c);
		return;
	case '<': set_tok(p, t, T_LT, line); return;
	case '>': set_tok(p, t, T_GT, line); return;
	case '{': set_tok(p, t, T_LBRACE, line); return;
	case '}': set_tok(p, t, T_RBRACE, line); return;
	case ',': set_tok(p, t, T_COMMA, line); return;
	case '=': set_tok(p, t, T_EQ, line); return;
	case '!': set_tok(p, t, T_BANG, line); return;
	case '$':
		for (n = 0; (c = peekc(p, 0)) != EOF && (isalnum(c) || c == '_'); n++) {
			if (n + 1 >= sizeof(name)) {
				perr(p, cur_file(p)->name, line, "macro name too long");
				set_tok(p, t, T_ERROR, line);
				return;
			}
			name[n] = (char)getc_raw(p);
		}
		name[n] = '\0';
		if (n == 0 || (val = map_get(p->macros, name)) == NULL) {
			perr(p, cur_file(p)->name, line, "macro \"%s\" not defined", name);
			set_tok(p, t, T_ERROR, line);
			return;
		}
		mdepth = 0;
		for (struct lexsrc *m = p->src; m && m->name == NULL; m = m->prev)
			mdepth++;
		if (mdepth >= MACRO_DEPTH_MAX) {
			perr(p, cur_file(p)->name, line, "macro \"%s\" expands too deeply",
			    name);
			set_tok(p, t, T_ERROR, line);
			return;
		}
		push_src(p, NULL, xstrdup(val), strlen(val));
		goto again;
	default:
		break;
	}
	if (!in_word(c)) {
		set_tok(p, t, T_ERROR, line);
		perr(p, t->file, line, "unexpected character '\\x%02x'", c);
		return;
	}
	buf_init(&b, CONF_TOKEN_MAX);
	buf_addc(&b, (char)c);
	for (;;) {
		while (skip_continuation(p))
			;
		c = peekc(p, 0);
		if (c == EOF && p->src && p->src->name == NULL && p->src->prev) {
			/* "$dir/file": a word goes on past the end of a macro value. */
			pop_src(p);
			continue;
		}
		if (!in_word(c))
			break;
		if (buf_addc(&b, (char)getc_raw(p)) == -1) {
			set_tok(p, t, T_ERROR, line);
			perr(p, t->file, line, "word too long");
			buf_free(&b);
			return;
		}
	}
	set_tok(p, t, T_WORD, line);
	t->text = buf_release(&b);
}
