/* IMAP responses written into a buf: strings as atoms, quoted or literals, flags, sets, dates, status lines and codes. */
#ifndef TEGAMI_IMAP_WRITE_H
#define TEGAMI_IMAP_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "mail/imap_parse.h"

/*
 * Every function appends to the buf and returns 0, or -1 when the buf's
 * maximum was reached (what was written before stays: treat the
 * response as lost).
 */

/* Strings may be quoted UTF-8 (UTF8=ACCEPT or IMAP4rev2 enabled). */
#define IMAP_W_UTF8	0x01

/*
 * A quoted string when that can carry it, else a literal: CR, LF, 8-bit
 * without IMAP_W_UTF8 (or not UTF-8), more than IMAP_W_QUOTED_MAX octets
 * or more than IMAP_W_ESCAPES_MAX quotes and backslashes. NUL cannot be
 * sent in any string but literal8 (RFC 3516): NULs become spaces.
 */
#define IMAP_W_QUOTED_MAX	1024
#define IMAP_W_ESCAPES_MAX	8
int	 imap_write_string(struct buf *, const char *, size_t, unsigned flags);
/* An atom when the value is one (and not NIL), else a string. */
int	 imap_write_astring(struct buf *, const char *, size_t, unsigned flags);
/* NIL for NULL, else a string. */
int	 imap_write_nstring(struct buf *, const char *, size_t, unsigned flags);
int	 imap_write_literal(struct buf *, const char *, size_t);
/* "~{N}" CRLF data, for BINARY[] data that may hold NUL. */
int	 imap_write_literal8(struct buf *, const char *, size_t);

/* Flag lists: the system flags, then keywords as given. */
#define IMAP_WF_RECENT	0x01	/* add \Recent (FETCH FLAGS, rev1 only) */
#define IMAP_WF_STAR	0x02	/* add \* (PERMANENTFLAGS: new keywords allowed) */
int	 imap_write_flags(struct buf *, unsigned sys, const char *const *kw,
	    size_t nkw, unsigned wflags);

/*
 * A sequence set in compact form, in the order given: runs of consecutive
 * ascending numbers become "a:b" ("1:3,5,9:10"). Zeros are skipped; an
 * empty set writes nothing and returns -1 (the grammar has none).
 */
int	 imap_write_seqset(struct buf *, const uint32_t *, size_t);
/* Ranges as they are (IMAP_SEQ_STAR as "*"). */
int	 imap_write_ranges(struct buf *, const struct imap_seq_range *, size_t);

/* date-time, quoted: "02-Jan-2020 03:04:05 +0100"; zone in minutes east. */
int	 imap_write_datetime(struct buf *, time_t, int zone);

/* The name of a FETCH body item as answered: BODY[1.HEADER.FIELDS (A B)]<0>. */
int	 imap_write_section(struct buf *, const struct imap_fetch_body *);

/*
 * Capability names of the bits (IMAP4rev1 first), space separated. The
 * APPENDLIMIT bit writes "APPENDLIMIT" (limits per mailbox); a server with
 * one limit clears the bit here and adds "APPENDLIMIT=n" itself, as it
 * adds AUTH=, LOGINDISABLED and the like.
 */
int	 imap_write_caps(struct buf *, uint64_t caps);

enum imap_resp { IMAP_OK, IMAP_NO, IMAP_BAD, IMAP_BYE, IMAP_PREAUTH };

enum imap_code {
	IMAP_CODE_NONE,
	IMAP_CODE_ALERT, IMAP_CODE_ALREADYEXISTS,
	IMAP_CODE_AUTHENTICATIONFAILED, IMAP_CODE_AUTHORIZATIONFAILED,
	IMAP_CODE_CANNOT, IMAP_CODE_CLIENTBUG, IMAP_CODE_CLOSED,
	IMAP_CODE_CONTACTADMIN, IMAP_CODE_CORRUPTION, IMAP_CODE_EXPIRED,
	IMAP_CODE_EXPUNGEISSUED, IMAP_CODE_HASCHILDREN, IMAP_CODE_INUSE,
	IMAP_CODE_LIMIT, IMAP_CODE_NONEXISTENT, IMAP_CODE_NOPERM,
	IMAP_CODE_OVERQUOTA, IMAP_CODE_PARSE, IMAP_CODE_PRIVACYREQUIRED,
	IMAP_CODE_READ_ONLY, IMAP_CODE_READ_WRITE, IMAP_CODE_SERVERBUG,
	IMAP_CODE_TRYCREATE, IMAP_CODE_UIDNOTSTICKY, IMAP_CODE_UNAVAILABLE,
	IMAP_CODE_UNKNOWN_CTE, IMAP_CODE_USEATTR, IMAP_CODE_NOMODSEQ,
	IMAP_CODE_TOOBIG, IMAP_CODE_NOTSAVED,
	/* with a number: imap_write_code_num */
	IMAP_CODE_UIDVALIDITY, IMAP_CODE_UIDNEXT, IMAP_CODE_UNSEEN,
	IMAP_CODE_HIGHESTMODSEQ,
	IMAP_CODE_COUNT
};

/*
 * A status response is begin, any codes, end:
 *   imap_write_begin(b, "a1", 2, IMAP_OK);
 *   imap_write_code_num(b, IMAP_CODE_UIDVALIDITY, 3857529045);
 *   imap_write_end(b, "SELECT completed");
 * tag NULL is "*". end writes the text with controls as spaces and 8-bit
 * octets as "?", "Done" for an empty one (RFC 3501 text is 1*TEXT-CHAR);
 * a text that begins with "[" must follow a code.
 */
int	 imap_write_begin(struct buf *, const char *tag, size_t taglen,
	    enum imap_resp);
int	 imap_write_code(struct buf *, enum imap_code);
int	 imap_write_code_num(struct buf *, enum imap_code, uint64_t);
int	 imap_write_code_permflags(struct buf *, unsigned sys,
	    const char *const *kw, size_t nkw, int new_keywords);
/* [COPYUID v src dst]: src[i] went to dst[i]. */
int	 imap_write_code_copyuid(struct buf *, uint32_t uidvalidity,
	    const uint32_t *src, const uint32_t *dst, size_t n);
/* [APPENDUID v uid-set] (a set for MULTIAPPEND) */
int	 imap_write_code_appenduid(struct buf *, uint32_t uidvalidity,
	    const uint32_t *uids, size_t n);
/* [MODIFIED set] (RFC 7162) */
int	 imap_write_code_modified(struct buf *, const uint32_t *, size_t);
/* [BADCHARSET (UTF-8 US-ASCII)] */
int	 imap_write_code_badcharset(struct buf *, const char *const *, size_t);
/* [CAPABILITY ...] */
int	 imap_write_code_capability(struct buf *, uint64_t caps,
	    const char *extra);
int	 imap_write_end(struct buf *, const char *text);
/* begin + code (or IMAP_CODE_NONE) + end. */
int	 imap_write_status(struct buf *, const char *tag, size_t taglen,
	    enum imap_resp, enum imap_code, const char *text);
/* "+ text" CRLF (a continuation request; text may be empty, or base64). */
int	 imap_write_continue(struct buf *, const char *text);

/* * ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [COUNT n] [ALL set] (RFC 4731) */
struct imap_esearch {
	const char	*tag;
	size_t		 taglen;
	int		 uid;
	unsigned	 ret;		/* IMAP_SEARCH_RET_* to write */
	uint32_t	 min, max;
	uint32_t	 count;
	const uint32_t	*all;		/* ascending */
	size_t		 nall;
	int		 modseq_set;
	uint64_t	 modseq;	/* RFC 7162 3.1.5 */
};
int	 imap_write_esearch(struct buf *, const struct imap_esearch *);
/* * VANISHED [(EARLIER)] set (RFC 7162 3.2.10) */
int	 imap_write_vanished(struct buf *, int earlier, const uint32_t *,
	    size_t);

#endif
