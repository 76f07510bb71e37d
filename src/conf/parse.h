/* Internals of the configuration parser: tokens, the lexer and the per-directive parsers. */
#ifndef TEGAMI_CONF_PARSE_H
#define TEGAMI_CONF_PARSE_H

#include <stddef.h>
#include <time.h>

#include "conf/table.h"

struct buf;
struct bundle;
struct conf;
struct map;

enum tok_type {
	T_EOF, T_NL, T_WORD, T_STRING, T_LT, T_GT, T_LBRACE, T_RBRACE,
	T_COMMA, T_EQ, T_BANG, T_ERROR,
};

struct token {
	enum tok_type	 type;
	char		*text;		/* T_WORD, T_STRING; NULL otherwise */
	const char	*file;		/* interned in conf->files */
	int		 line;
};

struct lexsrc;

#define CONF_INCLUDE_DEPTH	16
#define CONF_FILE_MAX		((size_t)16 * 1024 * 1024)
#define CONF_TOKEN_MAX		(64 * 1024)
#define CONF_ERRORS_MAX		100

struct perror {
	size_t		 rank;		/* file order */
	int		 line;
	size_t		 seq;
	char		*text;
};

struct parser {
	struct conf	*conf;
	struct lexsrc	*src;		/* innermost file or macro being read */
	int		 depth;		/* include depth */
	int		 allow_fs;	/* 0: in-memory config, no include, no file tables */
	int		 checks;	/* look at the host too: key modes, interfaces (the parent, -n) */
	const struct bundle *bundle_in;	/* files come from here: a running process's reload */
	struct bundle	*bundle_out;	/* files read are recorded here (the parent) */
	struct map	*macros;	/* name -> char * */
	struct token	 tok;		/* current token */
	int		 have_tok;
	struct buf	*errors, *warnings;
	size_t		 nerrors;
	struct perror	*errs;
	size_t		 anon;		/* counter for anonymous tables */
	const char	*dfile;		/* where the current directive starts */
	int		 dline;
};

/*
 * The bytes of a file the configuration names (itself, an include, a table):
 * from the bundle when reloading in a running process, else from the disk
 * (recorded in bundle_out). *data is malloc'ed. -1 with errno; EACCES for
 * a withheld file (a secret of another process) is not an error: *withheld.
 */
int	 p_read_file(struct parser *, int kind, const char *path, size_t max,
	    char **data, size_t *len, int *withheld);

/* lex.c */
/* Reads path; shown is the name given in messages about opening it. */
int	 lex_push_file(struct parser *, const char *path, const char *shown,
	    const char *from_file, int from_line);
void	 lex_push_buffer(struct parser *, const char *name, const char *data, size_t len);
void	 lex_free(struct parser *);
const char *lex_intern(struct parser *, const char *name);
int	 lex_is_keyword(const char *);

/* parse.c: token stream, errors, shared argument parsers, top-level directives */
void	 lex_token(struct parser *, struct token *);
struct token *tok_peek(struct parser *);
void	 tok_advance(struct parser *);
/* Consumes the current T_WORD/T_STRING token and hands over its text. */
char	*tok_take_text(struct parser *);
/* The current token is the word (unquoted) w. */
int	 tok_is(struct parser *, const char *w);
int	 tok_accept(struct parser *, const char *w);
int	 tok_at_eol(struct parser *);
void	 tok_skip_line(struct parser *);
const char *tok_desc(const struct token *, char *buf, size_t len);
void	 perr(struct parser *, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* An error at the current token (nothing if the lexer already reported it). */
void	 perr_tok(struct parser *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* An error that carries its own position ("PATH:LINE: ..."). */
void	 perr_msg(struct parser *, const char *msg);
/* Appends the collected errors, sorted by file and line, to the errors buffer. */
void	 perr_flush(struct parser *);
void	 pwarn(struct parser *, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* "unexpected X" at the current token, with context. Returns -1. */
int	 perr_unexpected(struct parser *, const char *context);
/* A name or value: T_WORD or T_STRING; NULL (error reported) otherwise. */
char	*p_string(struct parser *, const char *what);
/* "<name>" at the current token: the table, or NULL (error reported). */
struct table *p_tableref(struct parser *);
/* "<name>", "{ ... }" (anonymous) or, if allow_string, a word: a one-entry table. */
struct table *p_table_arg(struct parser *, int allow_string, const char *what);
/* Parses "{ a, b }" or "{ k = v }" into t; the current token is '{'. */
int	 p_inline_table(struct parser *, struct table *);
int	 p_number(struct parser *, const char *what, long long min, long long max,
	    long long *out);
int	 p_delay(struct parser *, const char *what, time_t *out);
/* Frees a listener and the strings it owns (its tables belong to the config). */
void	 listener_free(struct listener *);
/* Relative paths are relative to the directory of the file naming them. */
char	*p_path(const char *path, const char *file);
struct table *p_anon_table(struct parser *, enum table_backend);
int	 p_format(struct parser *, const char *fmt, const char *file, int line,
	    const char *what);

/* parse_listen.c, parse_action.c, parse_match.c, parse_filter.c: 0, or -1 after an error */
int	 parse_listen(struct parser *);
int	 parse_action(struct parser *);
int	 parse_match(struct parser *);
int	 parse_filter(struct parser *);
/* A number or a service name; /etc/services only with use_services. */
int	 parse_port(const char *, int *, int use_services);

/* parse_global.c: every directive until the end of the input */
void	 parse_all(struct parser *);

/* conf_check.c: cross-references and semantic checks after the last line */
void	 conf_check(struct parser *);
/* conf_check_tables.c: error: replies and target accounts in virtual and alias tables */
void	 conf_check_tables(struct parser *);
/* conf_check_listen.c: the same socket twice, an address this host lacks */
void	 conf_check_listen(struct parser *);
/* conf_check_unapplied.c: options this version parses but does not carry out */
void	 conf_check_unapplied(struct parser *);

#endif
