/* The search job's insides, shared by search.c and search_keys.c (SORT and THREAD keys). */
#ifndef TEGAMI_IMAP_SEARCH_JOB_H
#define TEGAMI_IMAP_SEARCH_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_write.h"
#include "imap/search.h"

struct search_fields;

struct search_range {
	uint32_t	 lo, hi;
};

/* A compiled search key. */
struct search_node {
	uint8_t			 op;	/* enum imap_skey */
	uint8_t			 lvl;	/* what it needs at most (search.c) */
	struct search_node	*next;	/* in an AND list; OR: the second key */
	struct search_node	*sub;	/* AND, OR, NOT */
	char			*str;	/* the folded string */
	size_t			 len;
	char			*name;	/* HEADER's field name */
	uint64_t		 num;	/* sizes, seconds, MODSEQ; KEYWORD: a mask */
	int64_t			 day;	/* dates: days since 1970-01-01 */
	struct search_range	*r;	/* SEQSET, UID: sorted, merged */
	size_t			 nr;
	bool			 saved;	/* "$" */
};

struct search {
	enum imap_cmd_id	 cmd;
	bool			 uid;
	char			*tag;
	/* SEARCH */
	bool			 esearch;
	unsigned		 ret;
	bool			 uses_modseq;
	bool			 need_fields;	/* a key reads the search fields */
	/* SORT, THREAD */
	struct imap_sort_crit	*crit;
	size_t			 ncrit;
	uint8_t			 alg;

	struct search_node	*prog;
	struct search_msg	*msgs;
	uint32_t		 n;
	const char *const	*kwnames;	/* while compiling only */
	const char		*charset;	/* while compiling: not UTF-8 */
	size_t			 nkw;
	uint32_t		*saved;
	size_t			 nsaved;
	time_t			 now;
	struct search_src	 src;

	bool			 ran;
	enum imap_resp		 resp;
	enum imap_code		 code;
	bool			 badcharset;
	char			 text[160];

	/* The matches, in sequence order. */
	uint32_t		*mseq, *muid;
	size_t			 nm, capm;
	uint64_t		 hmodseq;
	size_t			 gone;

	/* SORT and THREAD: keys of the matches, then the answer. */
	struct buf		 karena;
	size_t			*koff;
	uint32_t		*order;		/* SORT: the numbers, sorted */
	struct buf		 threads;	/* THREAD: the response text */
};

/* Buffers reused from message to message by search_text_fold. */
struct search_scratch {
	struct buf	 raw;		/* a body with its transfer encoding undone */
	struct buf	 utf;		/* ... and in UTF-8 */
};

/*
 * The text of message msg for BODY (what: MIME_TEXT_BODIES) or TEXT (with
 * MIME_TEXT_HEADERS), folded, appended to out: the text parts of
 * mime_text_search, without its copies. 0, or -1 when out is full.
 */
int	 search_text_fold(struct buf *out, struct search_scratch *,
	    const char *msg, const struct mime_tree *, int what);

void	 search_keys_init(struct search *);
/* Keeps what SORT or THREAD needs of match number nm - 1 (message index idx). */
void	 search_keys_add(struct search *, uint32_t idx, const struct search_fields *);
/* Sorts or threads the matches. */
void	 search_keys_finish(struct search *);
void	 search_keys_free(struct search *);

#endif
