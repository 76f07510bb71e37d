/* IMAP command arguments (RFC 3501, RFC 9051 and extensions) parsed into typed requests, or refused with a BAD text. */
#ifndef TEGAMI_IMAP_PARSE_H
#define TEGAMI_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_reader.h"

#define IMAP_SEARCH_DEPTH_MAX	64	/* NOT, OR and parentheses nested */
#define IMAP_ID_PAIRS_MAX	30	/* RFC 2971 3.3 */
#define IMAP_ID_FIELD_MAX	30
#define IMAP_ID_VALUE_MAX	1024
#define IMAP_ERR_MAX		160

enum imap_str_kind {
	IMAP_STR_ATOM,
	IMAP_STR_QUOTED,
	IMAP_STR_LITERAL,
	IMAP_STR_LITERAL8,
	IMAP_STR_NIL,		/* nstring NIL: p is NULL */
};

/* A string argument, decoded (quoted escapes removed) and NUL-terminated. */
struct imap_str {
	const char	*p;
	size_t		 len;
	uint8_t		 kind;
	bool		 eightbit;	/* holds an octet >= 0x80 */
};

/*
 * A mailbox name as sent: modified UTF-7 (decoded elsewhere), or UTF-8
 * when utf8 (UTF8=ACCEPT or IMAP4rev2 enabled; then it is valid UTF-8
 * without controls, RFC 6855 3). inbox: the name is INBOX in any case.
 */
struct imap_mailbox {
	struct imap_str	 name;
	bool		 inbox;
	bool		 utf8;
};

/* "*" in a sequence set; numbers are nz-number otherwise. */
#define IMAP_SEQ_STAR	0
struct imap_seq_range {
	uint32_t	 first, last;	/* as sent, either order; equal for one number */
};
struct imap_seqset {
	const struct imap_seq_range *r;
	size_t		 n;
	bool		 saved;		/* "$" (RFC 5182): the saved result, n == 0 */
};

#define IMAP_FLAG_ANSWERED	0x01
#define IMAP_FLAG_FLAGGED	0x02
#define IMAP_FLAG_DELETED	0x04
#define IMAP_FLAG_SEEN		0x08
#define IMAP_FLAG_DRAFT		0x10
struct imap_flags {
	unsigned	 sys;		/* IMAP_FLAG_* */
	const struct imap_str *kw;	/* keywords, as sent */
	size_t		 nkw;
};

struct imap_date {
	int		 year, mon, day;	/* mon 1-12 */
};
struct imap_datetime {
	int		 year, mon, day, hour, min, sec;
	int		 zone;		/* minutes east of UTC */
};

/* FETCH */
#define IMAP_FETCH_ENVELOPE		0x0001
#define IMAP_FETCH_FLAGS		0x0002
#define IMAP_FETCH_INTERNALDATE		0x0004
#define IMAP_FETCH_RFC822		0x0008
#define IMAP_FETCH_RFC822_HEADER	0x0010
#define IMAP_FETCH_RFC822_SIZE		0x0020
#define IMAP_FETCH_RFC822_TEXT		0x0040
#define IMAP_FETCH_BODY			0x0080	/* BODY without section */
#define IMAP_FETCH_BODYSTRUCTURE	0x0100
#define IMAP_FETCH_UID			0x0200
#define IMAP_FETCH_MODSEQ		0x0400

enum imap_section_text {
	IMAP_SECTION_NONE,		/* BODY[] or BODY[1.2]: all of it */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME,
};

enum imap_fetch_body_kind {
	IMAP_FB_BODY,			/* BODY[...] and BODY.PEEK[...] */
	IMAP_FB_BINARY,			/* BINARY[...] and BINARY.PEEK[...] */
	IMAP_FB_BINARY_SIZE,		/* BINARY.SIZE[...] */
};

struct imap_fetch_body {
	uint8_t		 kind;
	bool		 peek;
	const uint32_t	*part;		/* section-part numbers */
	size_t		 nparts;
	uint8_t		 text;		/* enum imap_section_text */
	const struct imap_str *fields;	/* HEADER.FIELDS[.NOT] names */
	size_t		 nfields;
	bool		 partial;	/* <offset.count> */
	uint64_t	 offset, count;
};

struct imap_fetch {
	struct imap_seqset set;
	unsigned	 items;		/* IMAP_FETCH_* (ALL, FAST, FULL expanded) */
	const struct imap_fetch_body *bodies;
	size_t		 nbodies;
	bool		 changedsince_set;
	uint64_t	 changedsince;
	bool		 vanished;
};

/* STORE */
enum imap_store_op { IMAP_STORE_SET, IMAP_STORE_ADD, IMAP_STORE_REMOVE };
struct imap_store {
	struct imap_seqset set;
	uint8_t		 op;
	bool		 silent;
	struct imap_flags flags;
	bool		 unchangedsince_set;
	uint64_t	 unchangedsince;
};

/* SEARCH */
enum imap_skey {
	IMAP_SK_ALL, IMAP_SK_ANSWERED, IMAP_SK_BCC, IMAP_SK_BEFORE,
	IMAP_SK_BODY, IMAP_SK_CC, IMAP_SK_DELETED, IMAP_SK_DRAFT,
	IMAP_SK_FLAGGED, IMAP_SK_FROM, IMAP_SK_HEADER, IMAP_SK_KEYWORD,
	IMAP_SK_LARGER, IMAP_SK_NEW, IMAP_SK_NOT, IMAP_SK_OLD, IMAP_SK_ON,
	IMAP_SK_OR, IMAP_SK_RECENT, IMAP_SK_SEEN, IMAP_SK_SENTBEFORE,
	IMAP_SK_SENTON, IMAP_SK_SENTSINCE, IMAP_SK_SINCE, IMAP_SK_SMALLER,
	IMAP_SK_SUBJECT, IMAP_SK_TEXT, IMAP_SK_TO, IMAP_SK_UID,
	IMAP_SK_UNANSWERED, IMAP_SK_UNDELETED, IMAP_SK_UNDRAFT,
	IMAP_SK_UNFLAGGED, IMAP_SK_UNKEYWORD, IMAP_SK_UNSEEN,
	IMAP_SK_SEQSET,		/* a sequence set */
	IMAP_SK_AND,		/* "(" key *(SP key) ")" */
	IMAP_SK_MODSEQ,		/* RFC 7162 */
	IMAP_SK_YOUNGER,	/* RFC 5032 */
	IMAP_SK_OLDER,
};

enum imap_modseq_entry { IMAP_ENTRY_ALL, IMAP_ENTRY_PRIV, IMAP_ENTRY_SHARED };

struct imap_search_key {
	uint8_t		 op;		/* enum imap_skey */
	struct imap_search_key *next;	/* the next key of the same AND */
	union {
		struct imap_str	 str;	/* BCC BODY CC FROM SUBJECT TEXT TO (UN)KEYWORD */
		struct {
			struct imap_str	 name, value;
		} header;
		struct imap_date date;	/* BEFORE ON SINCE SENT* */
		uint64_t	 number;	/* LARGER SMALLER YOUNGER OLDER */
		struct imap_seqset set;	/* SEQSET UID */
		/* NOT: one key; AND: a list; OR: two keys, sub and sub->next */
		struct imap_search_key *sub;
		struct {
			uint64_t	 value;
			bool		 entry_set;
			struct imap_str	 entry;	/* "/flags/\\seen", as sent */
			uint8_t		 type;	/* enum imap_modseq_entry */
		} modseq;
	} u;
};

#define IMAP_SEARCH_RET_MIN	0x01
#define IMAP_SEARCH_RET_MAX	0x02
#define IMAP_SEARCH_RET_ALL	0x04
#define IMAP_SEARCH_RET_COUNT	0x08
#define IMAP_SEARCH_RET_SAVE	0x10

struct imap_search {
	bool		 ret_set;	/* RETURN given: answer with ESEARCH */
	unsigned	 ret;		/* IMAP_SEARCH_RET_*; RETURN () is ALL */
	bool		 charset_set;
	struct imap_str	 charset;
	/* The strings are UTF-8 (validated) or US-ASCII, else as sent. */
	bool		 utf8;
	struct imap_search_key *keys;	/* ANDed */
	bool		 uses_seqs;	/* a key is a message-number set */
	bool		 uses_modseq;
};

enum imap_sort_key {
	IMAP_SORT_ARRIVAL, IMAP_SORT_CC, IMAP_SORT_DATE, IMAP_SORT_FROM,
	IMAP_SORT_SIZE, IMAP_SORT_SUBJECT, IMAP_SORT_TO,
	IMAP_SORT_DISPLAYFROM, IMAP_SORT_DISPLAYTO,
};
struct imap_sort_crit {
	uint8_t		 key;
	bool		 reverse;
};
struct imap_sort {
	const struct imap_sort_crit *crit;
	size_t		 ncrit;
	struct imap_search search;	/* charset always set */
};

enum imap_thread_alg {
	IMAP_THREAD_ORDEREDSUBJECT, IMAP_THREAD_REFERENCES, IMAP_THREAD_OTHER,
};
struct imap_thread {
	uint8_t		 alg;
	struct imap_str	 alg_name;
	struct imap_search search;
};

/* STATUS items; also LIST RETURN (STATUS (...)). */
#define IMAP_STATUS_MESSAGES		0x001
#define IMAP_STATUS_RECENT		0x002
#define IMAP_STATUS_UIDNEXT		0x004
#define IMAP_STATUS_UIDVALIDITY		0x008
#define IMAP_STATUS_UNSEEN		0x010
#define IMAP_STATUS_DELETED		0x020
#define IMAP_STATUS_SIZE		0x040
#define IMAP_STATUS_HIGHESTMODSEQ	0x080
#define IMAP_STATUS_APPENDLIMIT		0x100
#define IMAP_STATUS_DELETED_STORAGE	0x200
struct imap_status {
	struct imap_mailbox mbox;
	unsigned	 items;
};

/* LIST and LSUB */
#define IMAP_LIST_SEL_SUBSCRIBED	0x01
#define IMAP_LIST_SEL_REMOTE		0x02
#define IMAP_LIST_SEL_RECURSIVEMATCH	0x04
#define IMAP_LIST_SEL_SPECIAL_USE	0x08
#define IMAP_LIST_RET_SUBSCRIBED	0x01
#define IMAP_LIST_RET_CHILDREN		0x02
#define IMAP_LIST_RET_SPECIAL_USE	0x04
#define IMAP_LIST_RET_STATUS		0x08
struct imap_list {
	bool		 extended;	/* selection options, patterns list or RETURN */
	unsigned	 sel;
	unsigned	 ret;
	unsigned	 status_items;	/* with IMAP_LIST_RET_STATUS */
	struct imap_mailbox ref;	/* the reference name */
	const struct imap_str *pat;	/* one or more (LSUB: one) */
	size_t		 npat;
};

/* SELECT and EXAMINE */
struct imap_select {
	struct imap_mailbox mbox;
	bool		 condstore;
	bool		 qresync;
	uint32_t	 uidvalidity;
	uint64_t	 modseq;
	struct imap_seqset known_uids;		/* n == 0: not given */
	bool		 seq_match;
	struct imap_seqset known_seqs;		/* with seq_match */
	struct imap_seqset known_seq_uids;
};

/* APPEND: one message, or several with MULTIAPPEND */
struct imap_append_msg {
	bool		 flags_set;
	struct imap_flags flags;
	bool		 date_set;
	struct imap_datetime date;
	bool		 binary;	/* literal8 */
	bool		 utf8;		/* UTF8 (~{N}) of RFC 6855 */
	/*
	 * The data: in the reader's text (valid until it is fed again), or
	 * streamed (data NULL): then lit is its index in the command's
	 * literals, the order the DATA events came in.
	 */
	const char	*data;
	uint64_t	 size;
	bool		 streamed;
	size_t		 lit;
};
struct imap_append {
	struct imap_mailbox mbox;
	const struct imap_append_msg *msgs;
	size_t		 nmsgs;
};

/* CREATE's USE (RFC 6154) */
#define IMAP_USE_ALL		0x01
#define IMAP_USE_ARCHIVE	0x02
#define IMAP_USE_DRAFTS		0x04
#define IMAP_USE_FLAGGED	0x08
#define IMAP_USE_JUNK		0x10
#define IMAP_USE_SENT		0x20
#define IMAP_USE_TRASH		0x40
struct imap_create {
	struct imap_mailbox mbox;
	unsigned	 use;		/* IMAP_USE_* */
	const struct imap_str *use_other;	/* others: the server says [USEATTR] */
	size_t		 nuse_other;
};

struct imap_id_pair {
	struct imap_str	 field, value;	/* value kind NIL for NIL */
};

struct imap_quota_res {
	struct imap_str	 name;
	uint64_t	 limit;
};

struct imap_request {
	const struct imap_cmd_def *def;
	enum imap_cmd_id id;
	bool		 uid;
	const char	*tag;		/* NUL-terminated copy */
	union {
		struct {
			struct imap_str	 user, pass;
		} login;
		struct {
			struct imap_str	 mech;
			bool		 ir_set;	/* SASL-IR initial response */
			struct imap_str	 ir;	/* decoded; "=" is empty */
		} auth;
		struct {
			const struct imap_str *names;
			size_t		 n;
		} enable;
		struct {
			bool		 nil;
			const struct imap_id_pair *pairs;
			size_t		 n;
		} id;
		struct imap_select select;	/* SELECT EXAMINE */
		struct imap_create create;
		struct imap_mailbox mbox;	/* DELETE SUBSCRIBE UNSUBSCRIBE GETQUOTAROOT */
		struct {
			struct imap_mailbox from, to;
		} rename;
		struct imap_list list;		/* LIST LSUB */
		struct imap_status status;
		struct imap_append append;
		struct {
			struct imap_str	 root;
			const struct imap_quota_res *res;	/* SETQUOTA */
			size_t		 n;
		} quota;			/* GETQUOTA SETQUOTA */
		struct imap_search search;
		struct imap_fetch fetch;
		struct imap_store store;
		struct {
			struct imap_seqset set;
			struct imap_mailbox mbox;
		} copy;				/* COPY MOVE */
		struct imap_seqset expunge;	/* UID EXPUNGE */
		struct imap_sort sort;
		struct imap_thread thread;
	} u;
	/* private */
	struct imap_arena *arena;
	char		 err[IMAP_ERR_MAX];
};

/* What the session has turned on, which changes the grammar. */
struct imap_parse_opts {
	uint64_t	 caps;		/* IMAP_CAP_* offered */
	unsigned	 enabled;	/* IMAP_ENA_* */
};

/*
 * Parses a whole command from the reader. Returns 0 with req filled in
 * (free it with imap_request_free), or -1 with req->err the text of a
 * tagged BAD (req->tag set when the tag was readable, NULL for "*");
 * req->def is set when the command name was known (the caller checks the
 * state with imap_cmd_allowed first, whether parsing failed or not).
 */
int	 imap_parse(struct imap_request *, const struct imap_rd_cmd *,
	    const struct imap_parse_opts *);
/*
 * Checks a command that ends in an announced literal (IMAP_RD_LITERAL):
 * 0 when everything up to the literal is valid and a literal may stand
 * there, so the continuation request can be sent; -1 with req->err
 * otherwise. req holds tag and def and what was parsed before the
 * literal: for an APPEND message, u.append.mbox (to answer [TRYCREATE]
 * before any data is sent); free it all the same.
 */
int	 imap_parse_prefix(struct imap_request *, const struct imap_rd_cmd *,
	    const struct imap_parse_opts *);
void	 imap_request_free(struct imap_request *);

/* Whether the request uses message sequence numbers (RFC 9051 5.5). */
bool	 imap_request_uses_seqs(const struct imap_request *);

/* IDLE's end: 0 for "DONE" (any case), -1 for anything else. */
int	 imap_parse_done(const char *line, size_t len);
/*
 * An AUTHENTICATE continuation line: 1 for "*" (cancel), 0 with the
 * decoded octets appended to out, -1 for what is not base64 (BAD).
 */
int	 imap_parse_sasl(const char *line, size_t len, struct buf *out);

/* Seconds since the epoch of a date-time, its zone applied. */
time_t	 imap_datetime_time(const struct imap_datetime *);

#endif
