/* THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES, and the THREAD response text. */
#ifndef TEGAMI_IMAP_THREAD_H
#define TEGAMI_IMAP_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * The engine does not call this module: search.h runs THREAD. These are its
 * pieces, pure, for search.c and the tests.
 */

/* What threading knows of one message. */
struct thread_msg {
	uint32_t	 seq;		/* ties of dates go by sequence number */
	uint32_t	 num;		/* what the response shows (UID or seq) */
	int64_t		 date;		/* sent date: Date: field, else internal date */
	/* Base subject (sort_base_subject: normalised, ASCII upper case). */
	const char	*subj;
	size_t		 subjlen;
	bool		 reply;		/* the subject was a reply or forward */
	/* Message-ID without "<>"; NULL or empty: none (a unique one is made). */
	const char	*id;
	size_t		 idlen;
	/* References (or In-Reply-To), oldest first, without "<>". */
	const char *const *refs;
	const size_t	*reflens;
	size_t		 nrefs;
};

/*
 * Threads msgs (any order) and appends the response text after "* THREAD "
 * to out: "(2)(3 6 (4 23)(44 7 96))" (RFC 5256 4), nothing for no message.
 * Returns 0, or -1 when out is full.
 */
int	 thread_orderedsubject(struct buf *out, const struct thread_msg *, size_t n);
int	 thread_references(struct buf *out, const struct thread_msg *, size_t n);

/*
 * The msg-ids of a Message-ID, References or In-Reply-To value (RFC 5322
 * 3.6.4 with the obsolete forms): each "<" id ">" with comments, folding
 * and quoting tolerated, CFWS inside removed, passed to fn without the
 * brackets. Words and junk between ids are skipped. Stops after max ids
 * (fn returning -1 stops too). Returns the number of ids given to fn.
 */
#define THREAD_ID_MAX	998	/* a longer id is not an id */
size_t	 thread_msgids(const char *v, size_t len, size_t max,
	    int (*fn)(void *, const char *, size_t), void *arg);

#endif
