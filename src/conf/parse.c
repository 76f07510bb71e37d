/* Parser plumbing: the token stream, error collection and the argument forms shared by directives. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/buf.h"
#include "lib/readfile.h"
#include "lib/xalloc.h"
#include "route/format.h"

struct token *
tok_peek(struct parser *p)
{
	if (!p->have_tok) {
		lex_token(p, &p->tok);
		p->have_tok = 1;
	}
	return &p->tok;
}

void
tok_advance(struct parser *p)
{
	tok_peek(p);
	x_free(&p->tok.text);
	p->have_tok = 0;
}

char *
tok_take_text(struct parser *p)
{
	char	*s;

	tok_peek(p);
	s = p->tok.text;
	p->tok.text = NULL;
	p->have_tok = 0;
	return s ? s : xstrdup("");
}

int
tok_is(struct parser *p, const char *w)
{
	struct token	*t = tok_peek(p);

	return t->type == T_WORD && strcmp(t->text, w) == 0;
}

int
tok_accept(struct parser *p, const char *w)
{
	if (!tok_is(p, w))
		return 0;
	tok_advance(p);
	return 1;
}

int
tok_at_eol(struct parser *p)
{
	enum tok_type	 t = tok_peek(p)->type;

	return t == T_NL || t == T_EOF;
}

void
tok_skip_line(struct parser *p)
{
	for (;;) {
		enum tok_type	 t = tok_peek(p)->type;

		if (t == T_EOF)
			return;
		tok_advance(p);
		if (t == T_NL)
			return;
	}
}

const char *
tok_desc(const struct token *t, char *buf, size_t len)
{
	switch (t->type) {
	case T_EOF:	return "end of file";
	case T_NL:	return "end of line";
	case T_LT:	return "'<'";
	case T_GT:	return "'>'";
	case T_LBRACE:	return "'{'";
	case T_RBRACE:	return "'}'";
	case T_COMMA:	return "','";
	case T_EQ:	return "'='";
	case T_BANG:	return "'!'";
	case T_ERROR:	return "error";
	case T_WORD:
	case T_STRING:
		snprintf(buf, len, "\"%s\"", t->text);
		return buf;
	}
	return "?";
}

/* Position of a file among those read, for sorting the messages. */
static size_t
file_rank(const struct parser *p, const char *file)
{
	size_t	 i;

	for (i = 0; i < p->conf->nfiles; i++)
		if (p->conf->files[i] == file || strcmp(p->conf->files[i], file) == 0)
			return i;
	return 0;
}

/*
 * Errors are kept until the end and then given in file order, so the
 * checks that run after the last line still come out beside their lines.
 */
static void
add_error(struct parser *p, const char *sortfile, int sortline, char *text)
{
	struct perror	*e;

	if (p->nerrors++ >= CONF_ERRORS_MAX) {
		free(text);
		return;
	}
	p->errs = xreallocarray(p->errs, p->nerrors, sizeof(*p->errs));
	e = &p->errs[p->nerrors - 1];
	e->rank = file_rank(p, sortfile);
	e->line = sortline;
	e->seq = p->nerrors;
	e->text = text;
}

static char *
vformat(const char *file, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static char *
vformat(const char *file, int line, const char *fmt, va_list ap)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (line > 0)
		buf_addf(&b, "%s:%d: ", file, line);
	else
		buf_addf(&b, "%s: ", file);
	buf_vaddf(&b, fmt, ap);
	return buf_release(&b);
}

void
perr(struct parser *p, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	text = vformat(file, line, fmt, ap);
	va_end(ap);
	add_error(p, file, line, text);
}

void
perr_tok(struct parser *p, const char *fmt, ...)
{
	struct token	*t = tok_peek(p);
	va_list		 ap;
	char		*text;

	if (t->type == T_ERROR)
		return;
	va_start(ap, fmt);
	text = vformat(t->file, t->line, fmt, ap);
	va_end(ap);
	add_error(p, t->file, t->line, text);
}

void
perr_msg(struct parser *p, const char *msg)
{
	add_error(p, p->dfile, p->dline, xstrdup(msg));
}

static int
cmp_error(const void *a, const void *b)
{
	const struct perror	*x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
perr_flush(struct parser *p)
{
	size_t	 i, n = p->nerrors < CONF_ERRORS_MAX ? p->nerrors : CONF_ERRORS_MAX;

	if (n == 0)
		return;
	qsort(p->errs, n, sizeof(*p->errs), cmp_error);
	for (i = 0; i < n; i++) {
		buf_addf(p->errors, "%s\n", p->errs[i].text);
		free(p->errs[i].text);
	}
	if (p->nerrors > CONF_ERRORS_MAX)
		buf_addf(p->errors, "%s: too many errors (%zu), the first %d shown\n",
		    p->conf->file, p->nerrors, CONF_ERRORS_MAX);
	x_free(&p->errs);
}

static void
vwarn(struct buf *out, const char *file, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
vwarn(struct buf *out, const char *file, int line, const char *fmt, va_list ap)
{
	if (line > 0)
		buf_addf(out, "%s:%d: ", file, line);
	else
		buf_addf(out, "%s: ", file);
	buf_vaddf(out, fmt, ap);
	buf_addc(out, '\n');
}

void
pwarn(struct parser *p, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	if (p->warnings == NULL)
		return;
	va_start(ap, fmt);
	vwarn(p->warnings, file, line, fmt, ap);
	va_end(ap);
}

int
perr_unexpected(struct parser *p, const char *context)
{
	char	 b[128];

	perr_tok(p, "unexpected %s %s", tok_desc(tok_peek(p), b, sizeof(b)), context);
	return -1;
}

char *
p_string(struct parser *p, const char *what)
{
	struct token	*t = tok_peek(p);
	char		 b[128];

	if (t->type != T_WORD && t->type != T_STRING) {
		perr_tok(p, "expected %s, got %s", what, tok_desc(t, b, sizeof(b)));
		return NULL;
	}
	return tok_take_text(p);
}

struct table *
p_tableref(struct parser *p)
{
	struct table	*t;
	struct token	*tk;
	char		*name;

	if (tok_peek(p)->type != T_LT) {
		perr_unexpected(p, "where a <table> was expected");
		return NULL;
	}
	tok_advance(p);
	tk = tok_peek(p);
	if (tk->type != T_WORD && tk->type != T_STRING) {
		perr_unexpected(p, "after '<'");
		return NULL;
	}
	name = tok_take_text(p);
	if (tok_peek(p)->type != T_GT) {
		perr_unexpected(p, "where '>' was expected");
		free(name);
		return NULL;
	}
	t = conf_table(p->conf, name);
	if (t == NULL)
		perr_tok(p, "unknown table \"%s\"", name);
	tok_advance(p);
	free(name);
	return t;
}

struct table *
p_anon_table(struct parser *p, enum table_backend backend)
{
	struct conf	*c = p->conf;
	struct table	*t;
	char		 name[32];

	snprintf(name, sizeof(name), "<anonymous %zu>", ++p->anon);
	t = table_new(name, backend, NULL);
	t->conf_file = tok_peek(p)->file;
	t->conf_line = tok_peek(p)->line;
	c->anon_tables = xreallocarray(c->anon_tables, c->nanon_tables + 1,
	    sizeof(*c->anon_tables));
	c->anon_tables[c->nanon_tables++] = t;
	return t;
}

struct table *
p_table_arg(struct parser *p, int allow_string, const char *what)
{
	struct token	*t = tok_peek(p);
	struct table	*tab;
	const char	*err;
	char		*s;

	if (t->type == T_LT)
		return p_tableref(p);
	if (t->type == T_LBRACE) {
		tab = p_anon_table(p, TABLE_INLINE_LIST);
		if (p_inline_table(p, tab) == -1)
			return NULL;
		return tab;
	}
	if (allow_string && (t->type == T_WORD || t->type == T_STRING)) {
		tab = p_anon_table(p, TABLE_INLINE_LIST);
		s = tok_take_text(p);
		if (table_add(tab, s, NULL, &err) == -1)
			perr(p, tab->conf_file, tab->conf_line, "%s: %s", what, err);
		free(s);
		return tab;
	}
	perr_unexpected(p, what);
	return NULL;
}

int
p_inline_table(struct parser *p, struct table *t)
{
	struct token	*tk;
	const char	*err;
	char		*key, *value;
	int		 line = tok_peek(p)->line, nlist = 0, nmap = 0;

	tok_advance(p);		/* '{' */
	for (;;) {
		while ((tk = tok_peek(p))->type == T_NL || tk->type == T_COMMA)
			tok_advance(p);
		if (tk->type == T_RBRACE)
			break;
		if (tk->type != T_WORD && tk->type != T_STRING) {
			if (tk->type == T_EOF)
				perr(p, tk->file, line, "unterminated '{' list");
			else
				perr_unexpected(p, "in '{' list");
			return -1;
		}
		key = tok_take_text(p);
		value = NULL;
		if (tok_peek(p)->type == T_EQ) {
			tok_advance(p);
			if ((value = p_string(p, "a value after '='")) == NULL) {
				free(key);
				return -1;
			}
			nmap++;
		} else
			nlist++;
		if (table_add(t, key, value, &err) == -1)
			perr_tok(p, "%s", err);
		free(key);
		free(value);
	}
	tok_advance(p);		/* '}' */
	if (nlist && nmap) {
		perr(p, tk->file, line, "table mixes values and key = value pairs");
		return -1;
	}
	if (nlist + nmap == 0) {
		perr(p, tk->file, line, "empty table: give at least one value");
		return -1;
	}
	t->backend = nmap ? TABLE_INLINE_MAP : TABLE_INLINE_LIST;
	return 0;
}

int
p_number(struct parser *p, const char *what, long long min, long long max,
    long long *out)
{
	struct token	*t = tok_peek(p);
	long long	 v;
	char		*end, b[128];

	if (t->type != T_WORD && t->type != T_STRING) {
		perr_tok(p, "expected %s, got %s", what, tok_desc(t, b, sizeof(b)));
		return -1;
	}
	errno = 0;
	v = strtoll(t->text, &end, 10);
	if (!isdigit((unsigned char)t->text[0]) || *end != '\0' || errno ||
	    v < min || v > max) {
		perr_tok(p, "invalid %s \"%s\" (expected %lld to %lld)", what, t->text,
		    min, max);
		tok_advance(p);
		return -1;
	}
	tok_advance(p);
	*out = v;
	return 0;
}

int
p_delay(struct parser *p, const char *what, time_t *out)
{
	struct token	*t = tok_peek(p);
	long long	 d;
	char		 b[128];

	if (t->type != T_WORD && t->type != T_STRING) {
		perr_tok(p, "expected %s, got %s", what, tok_desc(t, b, sizeof(b)));
		return -1;
	}
	if ((d = conf_parse_delay(t->text)) <= 0) {
		perr_tok(p, "invalid %s \"%s\" (expected a number and s, m, h or d)",
		    what, t->text);
		tok_advance(p);
		return -1;
	}
	tok_advance(p);
	*out = (time_t)d;
	return 0;
}

int
p_read_file(struct parser *p, int kind, const char *path, size_t max,
    char **data, size_t *len, int *withheld)
{
	const struct bundle_file	*f;

	*withheld = 0;
	if (p->bundle_in != NULL) {
		if ((f = bundle_get(p->bundle_in, path)) == NULL) {
			errno = ENOENT;
			return -1;
		}
		/* Another process's secret: the table is there, empty. */
		*withheld = f->withheld;
		*len = f->withheld ? 0 : f->len;
		*data = xmalloc(*len + 1);
		memcpy(*data, f->withheld ? "" : f->data, *len);
		(*data)[*len] = '\0';
		return 0;
	}
	if (!p->allow_fs) {
		errno = EPERM;
		return -1;
	}
	if (readfile(path, max, data, len) == -1)
		return -1;
	if (p->bundle_out != NULL)
		bundle_put(p->bundle_out, (enum bundle_kind)kind, path, *data, *len);
	return 0;
}

char *
p_path(const char *path, const char *file)
{
	const char	*slash;

	if (path[0] == '/' || file == NULL || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - file), file, path);
}

int
p_format(struct parser *p, const char *fmt, const char *file, int line, const char *what)
{
	const char	*err;

	if (format_check(fmt, &err) == 0)
		return 0;
	perr(p, file, line, "%s \"%s\": %s", what, fmt, err);
	return -1;
}
