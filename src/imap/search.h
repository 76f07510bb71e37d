/* SEARCH, SORT and THREAD over a snapshot of the selected mailbox (RFC 3501/9051, 4731, 5182, 5256, 5957, 7162). */
#ifndef TEGAMI_IMAP_SEARCH_H
#define TEGAMI_IMAP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mail/imap_parse.h"
#include "mail/imap_write.h"

struct buf;
struct mime_tree;

/*
 * One job answers one SEARCH, UID SEARCH, SORT, UID SORT, THREAD or UID
 * THREAD command, in steps that keep the mailbox process's event loop free:
 *
 *   search_new()     event loop, O(messages), no I/O. Compiles the parsed
 *                    request (search strings decoded and case-folded,
 *                    keywords, "*" and "$" resolved) and copies what it
 *                    needs of the message list. When it returns, the
 *                    engine may change or free its arrays and the request.
 *   search_run()     a worker thread (pool_run of src/lib/pool.h). Matches,
 *                    then sorts or threads. It touches only the job and
 *                    calls the engine's callbacks (struct search_src), on
 *                    that worker thread: they read the index and message
 *                    files, so they must not touch event-loop state either.
 *   search_write()   event loop (the pool's done callback). Appends the
 *                    untagged response: "* SEARCH", "* ESEARCH" (RETURN
 *                    options, or IMAP4rev2 enabled), "* SORT", "* THREAD".
 *   search_write_status()  the tagged completion (OK, or NO with its code).
 *   search_take_saved()    the new "$" when the command had RETURN (SAVE).
 *   search_free().
 *
 * search_new never fails: a request it cannot answer (a CHARSET iconv does
 * not know, a THREAD algorithm other than ORDEREDSUBJECT and REFERENCES)
 * makes a job whose search_run returns at once, whose search_write writes
 * nothing and whose status is the NO [BADCHARSET (UTF-8 US-ASCII)] or the
 * BAD. CHARSET UTF-8 and US-ASCII are what RFC 9051 requires; any other
 * charset iconv converts is taken too (search strings converted to UTF-8),
 * as Dovecot does, for the Japanese clients that send CHARSET ISO-2022-JP.
 *
 * Matching is i;unicode-casemap (RFC 5051, search_fold.h) on text decoded
 * to UTF-8: encoded words, charsets and transfer encodings undone, so an
 * ISO-2022-JP subject is found by its UTF-8 text, "ＡＢＣ" by "abc", "ｶﾞ"
 * by "ガ". What is compared and how answers are written follows Dovecot
 * (tests/data/imapsearch/README lists where and why tegami differs).
 *
 * The engine's duties around a job: RFC 5182 says a command using "$"
 * waits for a SEARCH ... SAVE before it (the engine does not run them at
 * once); search_take_saved gives the new "$", which the engine drops when
 * the mailbox is closed; expunges change the saved UIDs by themselves (a
 * UID that is gone matches nothing). UID SEARCH and friends may run while
 * EXPUNGEs are pending, SEARCH with sequence numbers may not (RFC 9051
 * 7.5.1): the snapshot is taken when search_new runs.
 *
 * What the matching reads, cheapest first, per message in sequence order:
 * 1. the copied list: sequence number, UID, flags, keywords, MODSEQ,
 *    RFC822.SIZE, internal date (ALL, flags, KEYWORD, UID, sets, "$",
 *    MODSEQ, LARGER, SMALLER, BEFORE/ON/SINCE, YOUNGER/OLDER);
 * 2. the message's search fields (search_fields.h), which the index keeps:
 *    FROM, TO, CC, BCC, SUBJECT, SENT*, and the keys of SORT and THREAD;
 * 3. the message file: HEADER, BODY, TEXT, and what 2 would have given
 *    when the index has no search fields for the message.
 * A message is only opened when 1 and 2 do not decide (SEEN BODY x opens
 * only the seen ones), at most once per job, and closed before the next one
 * is looked at. Costs: O(messages) for 1, plus the fields' few hundred
 * octets each for 2; 3 parses and decodes each message read (about 15 us
 * of CPU for a 4 KiB message, bench/imap_search.c), in memory bounded by
 * the largest text part (buf's 64 MiB maximum: a longer text is searched
 * in its first 64 MiB). SORT is O(n log n) on the matches, THREAD
 * REFERENCES O(n) plus a sort, with a bounded loop check (thread.c).
 */

/* A flag besides IMAP_FLAG_* of imap_parse.h: \Recent (IMAP4rev1). */
#define SEARCH_MSG_RECENT	0x100

/* The keywords a mailbox may hold for SEARCH KEYWORD: bits of a uint64_t. */
#define SEARCH_KEYWORDS_MAX	64

/* One message of the selected mailbox as the engine's list has it. */
struct search_msg {
	uint32_t	 uid;
	unsigned	 flags;		/* IMAP_FLAG_* | SEARCH_MSG_RECENT */
	uint64_t	 kw;		/* bit i: keyword kwnames[i] of struct search_mailbox */
	uint64_t	 modseq;
	uint64_t	 size;		/* RFC822.SIZE: CRLF octets */
	int64_t		 internaldate;	/* seconds since the epoch */
	int		 tz;		/* minutes east of UTC: the zone INTERNALDATE is shown in */
	/* The engine's own, handed back to the callbacks; it must stay valid until search_free. */
	void		*priv;
};

/* A message file, opened by the engine's callback. */
struct search_text {
	const char	*msg;		/* the octets as stored (LF line ends, or CRLF, or both) */
	size_t		 len;
	/*
	 * The parsed structure of msg when the engine has it (the index's
	 * cached mime_serialize bytes through mime_unserialize), else NULL
	 * and the job parses msg itself.
	 */
	const struct mime_tree *tree;
	void		*handle;	/* the engine's, for close */
};

/*
 * The engine's callbacks, called only from search_run (so on the worker
 * thread), in ascending sequence order, each at most once per message and
 * job. uid and priv are those of the message's struct search_msg.
 */
struct search_src {
	void	*arg;
	/*
	 * The search fields the index keeps for the message (the bytes
	 * search_fields_build made when the message was indexed): 1 with
	 * them appended to out, 0 when the index has none for it (the job
	 * then opens the file and builds them), -1 on failure (the same as
	 * 0, and logged by the engine if it wants). May be NULL: no index.
	 * Since calls come in sequence order, a cursor walking the index in
	 * UID order serves them without a lookup each.
	 */
	int	 (*fields)(void *arg, uint32_t uid, void *priv, struct buf *out);
	/*
	 * Opens the message: 1 with *t filled in (msg stays mapped until
	 * close), 0 when it no longer exists (another program expunged it:
	 * it matches nothing and the job counts it, search_gone), -1 on an
	 * error (the job stops; its status is NO [SERVERBUG]). errstr may
	 * be set for the status text.
	 */
	int	 (*open)(void *arg, uint32_t uid, void *priv, struct search_text *t,
		    const char **errstr);
	/* Called once for every open that returned 1. May be NULL. */
	void	 (*close)(void *arg, uint32_t uid, void *priv, struct search_text *t);
};

/* The selected mailbox when the command arrived. */
struct search_mailbox {
	const struct search_msg *msgs;	/* msgs[i] is message sequence number i + 1 */
	uint32_t	 n;
	/* Keyword names, bit i of search_msg.kw being kwnames[i] (at most SEARCH_KEYWORDS_MAX). */
	const char *const *kwnames;
	size_t		 nkw;
	/* "$" (RFC 5182): the saved result as UIDs, ascending; empty when none was saved. */
	const uint32_t	*saved;
	size_t		 nsaved;
	unsigned	 enabled;	/* IMAP_ENA_*: IMAP4REV2 answers SEARCH with ESEARCH */
	time_t		 now;		/* for YOUNGER and OLDER (RFC 5032) */
	const struct search_src *src;
};

struct search;

/*
 * A job for req (IMAP_CMD_SEARCH, IMAP_CMD_SORT or IMAP_CMD_THREAD, UID
 * form or not) over mb. Never NULL.
 */
struct search	*search_new(const struct imap_request *req,
		    const struct search_mailbox *mb);
/* The work: call it on a worker thread. */
void		 search_run(struct search *);

/*
 * The untagged response, appended to out: nothing when the job failed.
 *   SEARCH:  "* SEARCH 2 3 5" CRLF, with " (MODSEQ n)" when the program
 *            had a MODSEQ key and something matched (RFC 7162 3.1.5);
 *   RETURN options or IMAP4rev2: "* ESEARCH (TAG "a1") UID MIN 2 COUNT 3"
 *            (RFC 4731: MIN, MAX, ALL as a compact set, COUNT; only
 *            SAVE given: no response at all, RFC 5182 2.1);
 *   SORT:    "* SORT 5 3 2" CRLF (with MODSEQ as for SEARCH);
 *   THREAD:  "* THREAD (2)(3 6 (4 23)(44 7 96))" CRLF (RFC 5256 4).
 * Numbers are UIDs for the UID forms, sequence numbers otherwise.
 * Returns 0, or -1 when out's maximum was reached.
 */
int		 search_write(const struct search *, struct buf *out);
/*
 * The tagged line: "tag OK SEARCH completed", "tag NO [BADCHARSET
 * (UTF-8 US-ASCII)] ...", "tag NO [SERVERBUG] ..." (a message could not be
 * read), "tag BAD ..." (THREAD algorithm unknown).
 */
int		 search_write_status(const struct search *, struct buf *out);
/* OK, or the failure: what search_write_status writes. */
enum imap_resp	 search_result(const struct search *);

/*
 * RETURN (SAVE) (RFC 5182): 1 when the command saves a result, with the new
 * "$" (UIDs ascending; the caller frees *uids) in *uids and *n, to replace
 * the mailbox's saved result; the empty set when the command failed (RFC
 * 5182 2.1). With MIN or MAX and neither ALL nor COUNT, what is saved is
 * only those messages (2.1). 0 when the command saves nothing.
 */
int		 search_take_saved(struct search *, uint32_t **uids, size_t *n);

/* Matching messages found gone (callback open returned 0). */
size_t		 search_gone(const struct search *);
/*
 * The matching messages in ascending sequence order (for SORT and THREAD
 * too): sequence numbers and UIDs of the snapshot search_new took.
 */
size_t		 search_matches(const struct search *, const uint32_t **seqs,
		    const uint32_t **uids);

void		 search_free(struct search **);

#endif
