/* FETCH responses made on a worker in steps: the index's cache, message files, sections streamed in chunks. */
#ifndef TEGAMI_IMAP_FETCH_H
#define TEGAMI_IMAP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "imap/imap_uidlist.h"
#include "mail/imap_parse.h"
#include "mail/imap_write.h"

struct buf;
struct idb;

/* What each response holds (from the request, fixed for the command). */
struct fetch_spec {
	unsigned			 items;		/* IMAP_FETCH_* */
	const struct imap_fetch_body	*bodies;	/* the request's, alive as long as the state */
	size_t				 nbodies;
	int				 modseq;	/* add MODSEQ (CONDSTORE) */
	int				 recent;	/* \Recent may be shown (IMAP4rev1) */
	unsigned			 wflags;	/* IMAP_W_UTF8 */
};

/* One message as the session's view had it when the batch was made. */
struct fetch_msg {
	uint32_t	 seq, uid;
	uint8_t		 sys, sub;
	uint8_t		 recent;
	uint8_t		 add_flags;	/* \Seen was set for it: FLAGS go out too */
	uint32_t	 kw;
	uint64_t	 modseq, vsize;
	int64_t		 idate;
	char		*name;
	/* out */
	uint8_t		 gone;		/* the file is gone */
	uint64_t	 new_vsize;	/* RFC822.SIZE learnt */
};

struct fetch_state;

struct fetch_state *fetch_new(const struct fetch_spec *, const char *root,
		    const char *dir, int64_t folder);
void		 fetch_free(struct fetch_state **);
/* Gives the next batch (taken over; its names too); only once the previous one is done. */
void		 fetch_batch(struct fetch_state *, struct fetch_msg *, size_t n,
		    const struct keywords *);
/* The batch as it is now (after fetch_step: gone and new_vsize). */
struct fetch_msg *fetch_msgs(struct fetch_state *, size_t *n);

enum fetch_rc {
	FETCH_MORE,	/* out holds a step; call again (output drained) */
	FETCH_BATCH_DONE,
	FETCH_ERROR,	/* code and errstr say why: the command fails */
};

/*
 * Worker side: appends about budget octets of responses to out (a section
 * longer than that goes out in pieces over several calls), reading the
 * index cache and message files, storing what it had to parse.
 */
enum fetch_rc	 fetch_step(struct fetch_state *, struct idb *, struct buf *out,
		    size_t budget, enum imap_code *code, const char **errstr);

/* Whether the items need more than the view has (files or the cache). */
int		 fetch_needs_worker(const struct fetch_spec *);
/* Whether any item sets \Seen (BODY[], BINARY[], RFC822, RFC822.TEXT). */
int		 fetch_sets_seen(const struct fetch_spec *);

#endif
