/* Internals of the IMAP argument parser: the cursor, the arena and the grammar's terminals, shared by imap_parse*.c. */
#ifndef TEGAMI_IMAP_PARSE_PRIV_H
#define TEGAMI_IMAP_PARSE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/imap_parse.h"

/* A cursor over a command's wire text (see struct imap_rd_cmd). */
struct pctx {
	const char	*s;
	size_t		 len, pos;
	const struct imap_lit *lits;
	size_t		 nlits, nextlit;
	const struct imap_parse_opts *opts;
	struct imap_request *req;
	bool		 prefix;	/* imap_parse_prefix: a pending literal ends it well */
	bool		 pending;	/* ... and it was reached */
	bool		 failed;
	unsigned	 depth;		/* SEARCH nesting */
	size_t		 arena_max;
};

/* A slice of the text (atoms are not copied). */
struct span {
	const char	*p;
	size_t		 n;
};

/* ip_string / ip_astring flags */
#define S_LITERAL8	0x01	/* literal8 allowed here (APPEND) */
#define S_NO_8BIT	0x02	/* refuse octets >= 0x80 (US-ASCII only) */
#define S_UTF8DATA	0x04	/* APPEND's UTF8 (~{N}): literal8 without BINARY */

/* The seqset flags this session allows ("$" with SEARCHRES or IMAP4rev2). */
unsigned ip_seqflags(const struct pctx *);
/* ip_seqset flags */
#define Q_SAVED		0x01	/* "$" allowed (SEARCHRES) */
#define Q_NO_STAR	0x02	/* "*" refused (QRESYNC known UIDs) */

#define NUMBER_MAX	((uint64_t)UINT32_MAX)	/* number, nz-number */
#define NUMBER64_MAX	((uint64_t)INT64_MAX)	/* number64, mod-sequence */

/* Sets the BAD text (the first one sticks) and returns -1. */
int	 ip_fail(struct pctx *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The same, naming the token at the cursor (sanitised, shortened). */
int	 ip_fail_tok(struct pctx *, const char *what);
/* Allocations live as long as the request; NULL never (a cap gives BAD). */
void	*ip_alloc(struct pctx *, size_t n, size_t size);
/* Grows an array allocated with ip_alloc: returns the new one, old copied. */
void	*ip_grow(struct pctx *, void *old, size_t n, size_t *cap, size_t size);
char	*ip_strdup(struct pctx *, const char *, size_t);

bool	 ip_utf8(const struct pctx *);	/* quoted strings may carry UTF-8 */
bool	 ip_rev2(const struct pctx *);
bool	 ip_cap(const struct pctx *, uint64_t);

int	 ip_peek(const struct pctx *);	/* the next octet, -1 at the end */
bool	 ip_at_end(const struct pctx *);
bool	 ip_accept(struct pctx *, char);
int	 ip_expect(struct pctx *, char, const char *what);
/* Exactly one SP, followed by something. */
int	 ip_sp(struct pctx *);
/* The end of the command. */
int	 ip_end(struct pctx *);
/* A run of ATOM-CHARs (at least one). */
int	 ip_atom(struct pctx *, struct span *);
/* A run of octets up to SP, parentheses, brackets or the end: a keyword. */
void	 ip_word(struct pctx *, struct span *);
bool	 ip_is(struct span, const char *word);
/* A keyword then; refuses an empty one. */
int	 ip_keyword(struct pctx *, struct span *, const char *what);
int	 ip_number(struct pctx *, uint64_t max, uint64_t *);
int	 ip_nz_number(struct pctx *, uint64_t max, uint64_t *);
int	 ip_string(struct pctx *, unsigned flags, struct imap_str *);
int	 ip_astring(struct pctx *, unsigned flags, struct imap_str *);
int	 ip_nstring(struct pctx *, unsigned flags, struct imap_str *);
int	 ip_mailbox(struct pctx *, struct imap_mailbox *);
/* list-mailbox: an astring that may hold "%" and "*". */
int	 ip_list_mailbox(struct pctx *, struct imap_str *);
/* APPEND's message literal: data pointed to in the text, or streamed. */
int	 ip_message_literal(struct pctx *, unsigned flags, struct imap_str *,
	    const struct imap_lit **);
int	 ip_seqset(struct pctx *, unsigned flags, struct imap_seqset *);
int	 ip_date(struct pctx *, struct imap_date *);
int	 ip_datetime(struct pctx *, struct imap_datetime *);
/* One flag of a client's list (STORE, APPEND): no \Recent, no \*. */
int	 ip_flag(struct pctx *, struct imap_flags *, size_t *cap);
int	 ip_flag_list(struct pctx *, struct imap_flags *);
/* A keyword (flag-keyword): an atom. */
int	 ip_flag_keyword(struct pctx *, struct imap_str *);
bool	 ip_valid_utf8(const char *, size_t);

/* imap_parse_fetch.c */
int	 ip_fetch(struct pctx *, struct imap_fetch *);
int	 ip_store(struct pctx *, struct imap_store *);
/* imap_parse_search.c */
int	 ip_search(struct pctx *, struct imap_search *);
int	 ip_sort(struct pctx *, struct imap_sort *);
int	 ip_thread(struct pctx *, struct imap_thread *);
/* imap_parse_mbox.c */
int	 ip_list(struct pctx *, struct imap_list *);
int	 ip_lsub(struct pctx *, struct imap_list *);
int	 ip_status(struct pctx *, struct imap_status *);
int	 ip_status_att(struct pctx *, unsigned *items);
int	 ip_select(struct pctx *, struct imap_select *);
int	 ip_create(struct pctx *, struct imap_create *);
int	 ip_append(struct pctx *, struct imap_append *);

#endif
