/* MIME structure of a message in memory: parts with raw offsets and CRLF sizes, for IMAP. */
#ifndef TEGAMI_MIME_H
#define TEGAMI_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "mail/mime_header.h"

struct buf;

/*
 * Limits against hostile messages. Past each, the rest is one opaque body:
 * parsing never fails, and time and memory stay linear in the message.
 *
 * MIME_MAX_DEPTH: nesting of multiparts and embedded messages (Dovecot's
 * 100). A multipart or message/rfc822 whose children would be 100 levels
 * deep is a leaf, reported as application/octet-stream with its own
 * parameters (as Dovecot reports it), its body running to the enclosing
 * boundary.
 * MIME_MAX_PARTS: parts in one message; a multipart reaching it keeps the
 * children it has and the rest of its body becomes its epilogue.
 * MIME_MAX_HEADER: octets of a part's header whose fields are interpreted;
 * the header itself still runs to its blank line. One field longer than
 * MIME_MAX_FIELD is not interpreted; MIME_MAX_PARAMS parameters are read.
 * MIME_MAX_BOUNDARY: a longer boundary parameter counts as none (RFC 2046
 * allows 70).
 * Lines may be of any length: they are never copied.
 */
#define MIME_MAX_DEPTH		100
#define MIME_MAX_PARTS		10000
#define MIME_MAX_HEADER		(1024 * 1024)
#define MIME_MAX_BOUNDARY	200

#define MIME_NONE	UINT32_MAX

enum mime_kind {
	MIME_LEAF,
	MIME_MULTIPART,		/* children are its body parts */
	MIME_MESSAGE,		/* message/rfc822 or message/global: one child, the embedded message */
};

#define MIME_F_OPAQUE	0x01	/* a limit made this part (or its rest) opaque */
#define MIME_F_HDR_EOF	0x02	/* the header has no blank line: it ends at a boundary or EOF */

/* A string in the tree's arena; off MIME_NONE when the field is absent. */
struct mime_str {
	uint32_t	 off, len;
};

/* ENVELOPE fields of a message header (RFC 3501 7.4.2), raw values. */
enum mime_env_field {
	MIME_ENV_DATE, MIME_ENV_SUBJECT, MIME_ENV_FROM, MIME_ENV_SENDER,
	MIME_ENV_REPLY_TO, MIME_ENV_TO, MIME_ENV_CC, MIME_ENV_BCC,
	MIME_ENV_IN_REPLY_TO, MIME_ENV_MESSAGE_ID, MIME_ENV_N
};

/*
 * Values are the raw field values (line ends kept). The string fields keep
 * the last occurrence and the address fields every occurrence, in order (as
 * Dovecot does): kv[first .. first+n), each occurrence a key.
 */
struct mime_env {
	uint32_t	 first[MIME_ENV_N];
	uint32_t	 n[MIME_ENV_N];
};

/*
 * One part. Raw offsets count octets of the buffer as it is; v-sizes count
 * them as IMAP does, each LF not preceded by CR taken as CRLF. The header
 * [hdr_off, body_off) includes its blank line when it has one.
 */
struct mime_part {
	uint32_t	 parent, child, next;	/* MIME_NONE when none */
	uint32_t	 nchildren;
	uint16_t	 depth;
	uint8_t		 kind;			/* enum mime_kind */
	uint8_t		 flags;
	uint64_t	 hdr_off, body_off, body_end;
	uint64_t	 hdr_vsize, body_vsize;
	uint64_t	 body_lines;		/* LF octets in the body */
	/* type/subtype as written; text/plain (message/rfc822 in a digest) when absent. */
	struct mime_str	 type, subtype;
	struct mime_str	 cte, id, desc, md5, loc, disp;
	uint32_t	 params, nparams;	/* Content-Type parameters, RFC 2231 as in BODYSTRUCTURE */
	uint32_t	 dparams, ndparams;	/* Content-Disposition parameters */
	uint32_t	 langs, nlangs;		/* Content-Language tags; nlangs MIME_NONE: no field */
	uint32_t	 env;			/* into envs; MIME_NONE unless a message header */
};

struct mime_tree {
	struct mime_part *parts;	/* parts[0] is the message */
	uint32_t	 nparts;
	struct mime_kv	*kv;
	uint32_t	 nkv;
	struct mime_env	*envs;
	uint32_t	 nenvs;
	char		*strs;		/* the arena */
	uint32_t	 strslen;
	uint64_t	 size, vsize;	/* of the message: RFC822.SIZE is vsize */
};

/*
 * Parses msg[0..len) (LF or CRLF line ends, mixed too). Never fails on
 * content; returns NULL only for 4 GiB or more.
 */
struct mime_tree *mime_parse(const char *msg, size_t len);
void	 mime_free(struct mime_tree **);

/* A string of the tree, or NULL when absent (*len 0). */
const char *mime_str(const struct mime_tree *, struct mime_str, size_t *len);
const char *mime_kv_key(const struct mime_tree *, const struct mime_kv *, size_t *len);
const char *mime_kv_value(const struct mime_tree *, const struct mime_kv *, size_t *len);
/* The n-th child (0-based) of a part, or NULL. */
const struct mime_part *mime_child(const struct mime_tree *, const struct mime_part *, uint32_t n);
/* 1 when a part's type/subtype are these (case-insensitively; subtype NULL: any). */
int	 mime_is(const struct mime_tree *, const struct mime_part *, const char *type,
	    const char *subtype);

/*
 * Serialisation for a cache: a versioned, self-checking byte string.
 * mime_unserialize returns NULL (and errstr) on any inconsistency: wrong
 * version, short data, an offset outside msglen, a broken tree.
 */
#define MIME_SERIAL_VERSION	1
int	 mime_serialize(const struct mime_tree *, struct buf *out);
struct mime_tree *mime_unserialize(const char *data, size_t len, uint64_t msglen,
	    const char **errstr);

/*
 * CRLF ("virtual") view of raw octets. msg is the whole message: a LF is
 * bare (written as CRLF) when the octet before it in msg is not CR.
 */
/* The CRLF size of msg[start..end). */
uint64_t mime_vsize(const char *msg, uint64_t start, uint64_t end);
/*
 * The raw offset holding virtual offset voff of msg[start..end) (end when
 * voff is past it); *vat gets the virtual offset of that raw octet, which
 * is voff - 1 when voff falls on the LF half of a bare LF. A server may
 * keep such a pair to resume partial fetches of a long section without
 * counting from its start again: any virtual offset v >= vat of the section
 * is offset v - vat of msg[raw..end).
 */
uint64_t mime_crlf_seek(const char *msg, uint64_t start, uint64_t end, uint64_t voff,
	    uint64_t *vat);
/*
 * Writes the CRLF form of msg[start..end) from virtual offset voff, at
 * most vlen octets (UINT64_MAX: all), through out (called with runs, never
 * empty; -1 from it stops with -1). Returns 0 or -1.
 */
int	 mime_crlf_write(const char *msg, uint64_t start, uint64_t end, uint64_t voff,
	    uint64_t vlen, int (*out)(void *, const char *, size_t), void *arg);

/*
 * BODY[section] (RFC 3501 6.4.5): a part path and what is wanted of it.
 * "HEADER.FIELDS (A B)" keeps its names in names[] (pointers into the
 * parsed text).
 */
enum mime_sec_kind {
	MIME_SEC_ALL,		/* BODY[] or BODY[1.2] */
	MIME_SEC_HEADER,
	MIME_SEC_TEXT,
	MIME_SEC_MIME,
	MIME_SEC_FIELDS,
	MIME_SEC_FIELDS_NOT,
};

#define MIME_SEC_MAX_PATH	MIME_MAX_DEPTH
#define MIME_SEC_MAX_NAMES	64

struct mime_section {
	uint32_t	 path[MIME_SEC_MAX_PATH];	/* 1-based part numbers */
	size_t		 npath;
	enum mime_sec_kind kind;
	const char	*names[MIME_SEC_MAX_NAMES];
	size_t		 namelens[MIME_SEC_MAX_NAMES];
	size_t		 nnames;
};

/* Parses the text between the brackets. Returns 0 or -1 with errstr. */
int	 mime_section_parse(const char *s, size_t len, struct mime_section *,
	    const char **errstr);

/*
 * Where a section is. For ranges (everything but FIELDS and FIELDS_NOT)
 * *start and *end are raw offsets: the server writes them with
 * mime_crlf_write. For FIELDS and FIELDS_NOT *start and *end give the header the
 * fields are taken from and mime_section_fields builds the text. Returns 1,
 * or 0 when the message has no such part (IMAP answers an empty string,
 * as Dovecot does).
 */
int	 mime_section_find(const struct mime_tree *, const struct mime_section *,
	    uint64_t *start, uint64_t *end);
/*
 * HEADER.FIELDS [.NOT]: the matching fields of header msg[start..end) in
 * CRLF form, followed by the blank line, appended to out.
 */
int	 mime_section_fields(const char *msg, uint64_t start, uint64_t end,
	    const struct mime_section *, struct buf *out);

#endif
