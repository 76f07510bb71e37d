/* IMAP commands described: names, the states they run in, what they do to message numbers, their extension. */
#ifndef TEGAMI_IMAP_CMD_H
#define TEGAMI_IMAP_CMD_H

#include <stddef.h>
#include <stdint.h>

/* Connection states (RFC 9051 3), as bits so a command can list several. */
#define IMAP_ST_NOTAUTH		0x01
#define IMAP_ST_AUTH		0x02
#define IMAP_ST_SELECTED	0x04
#define IMAP_ST_LOGOUT		0x08

enum imap_cmd_id {
	IMAP_CMD_NONE = 0,
	IMAP_CMD_CAPABILITY,
	IMAP_CMD_NOOP,
	IMAP_CMD_LOGOUT,
	IMAP_CMD_ID,
	IMAP_CMD_STARTTLS,
	IMAP_CMD_AUTHENTICATE,
	IMAP_CMD_LOGIN,
	IMAP_CMD_ENABLE,
	IMAP_CMD_SELECT,
	IMAP_CMD_EXAMINE,
	IMAP_CMD_CREATE,
	IMAP_CMD_DELETE,
	IMAP_CMD_RENAME,
	IMAP_CMD_SUBSCRIBE,
	IMAP_CMD_UNSUBSCRIBE,
	IMAP_CMD_LIST,
	IMAP_CMD_LSUB,
	IMAP_CMD_NAMESPACE,
	IMAP_CMD_STATUS,
	IMAP_CMD_APPEND,
	IMAP_CMD_IDLE,
	IMAP_CMD_GETQUOTA,
	IMAP_CMD_GETQUOTAROOT,
	IMAP_CMD_SETQUOTA,
	IMAP_CMD_CHECK,
	IMAP_CMD_CLOSE,
	IMAP_CMD_UNSELECT,
	IMAP_CMD_EXPUNGE,
	IMAP_CMD_SEARCH,
	IMAP_CMD_FETCH,
	IMAP_CMD_STORE,
	IMAP_CMD_COPY,
	IMAP_CMD_MOVE,
	IMAP_CMD_SORT,
	IMAP_CMD_THREAD,
	IMAP_CMD_COUNT
};

/*
 * Capabilities a server may offer, as bits: commands and grammar that
 * belong to one are refused (BAD) when it is not offered. IMAP4rev2
 * includes many (RFC 9051 appendix E); a server offering it sets them too.
 */
#define IMAP_CAP_IMAP4REV2		(1ULL << 0)
#define IMAP_CAP_STARTTLS		(1ULL << 1)
#define IMAP_CAP_IDLE			(1ULL << 2)
#define IMAP_CAP_UIDPLUS		(1ULL << 3)
#define IMAP_CAP_MOVE			(1ULL << 4)
#define IMAP_CAP_LITERAL_PLUS		(1ULL << 5)
#define IMAP_CAP_LITERAL_MINUS		(1ULL << 6)
#define IMAP_CAP_SASL_IR		(1ULL << 7)
#define IMAP_CAP_NAMESPACE		(1ULL << 8)
#define IMAP_CAP_ID			(1ULL << 9)
#define IMAP_CAP_ENABLE			(1ULL << 10)
#define IMAP_CAP_UNSELECT		(1ULL << 11)
#define IMAP_CAP_CHILDREN		(1ULL << 12)
#define IMAP_CAP_LIST_EXTENDED		(1ULL << 13)
#define IMAP_CAP_LIST_STATUS		(1ULL << 14)
#define IMAP_CAP_SPECIAL_USE		(1ULL << 15)
#define IMAP_CAP_CREATE_SPECIAL_USE	(1ULL << 16)
#define IMAP_CAP_CONDSTORE		(1ULL << 17)
#define IMAP_CAP_QRESYNC		(1ULL << 18)
#define IMAP_CAP_ESEARCH		(1ULL << 19)
#define IMAP_CAP_SEARCHRES		(1ULL << 20)
#define IMAP_CAP_SORT			(1ULL << 21)
#define IMAP_CAP_SORT_DISPLAY		(1ULL << 22)
#define IMAP_CAP_THREAD			(1ULL << 23)
#define IMAP_CAP_MULTIAPPEND		(1ULL << 24)
#define IMAP_CAP_BINARY			(1ULL << 25)
#define IMAP_CAP_UTF8_ACCEPT		(1ULL << 26)
#define IMAP_CAP_QUOTA			(1ULL << 27)
#define IMAP_CAP_STATUS_SIZE		(1ULL << 28)
#define IMAP_CAP_APPENDLIMIT		(1ULL << 29)
#define IMAP_CAP_WITHIN			(1ULL << 30)
#define IMAP_CAP_ALL			((1ULL << 31) - 1)

/* What a client turned on with ENABLE (RFC 5161). */
#define IMAP_ENA_CONDSTORE	0x01
#define IMAP_ENA_QRESYNC	0x02
#define IMAP_ENA_UTF8_ACCEPT	0x04
#define IMAP_ENA_IMAP4REV2	0x08

/* Command flags. */
#define IMAP_CMDF_UID		0x0001	/* the UID form */
/* Takes message sequence numbers (SEARCH and friends: see imap_request_uses_seqs). */
#define IMAP_CMDF_SEQS		0x0002
/* No untagged EXPUNGE may be sent while it runs (RFC 9051 7.5.1). */
#define IMAP_CMDF_NO_EXPUNGE	0x0004
/* Removes messages itself, renumbering the rest. */
#define IMAP_CMDF_EXPUNGES	0x0008
/* Changes or leaves the selected mailbox. */
#define IMAP_CMDF_MAILBOX	0x0010
/* Reads continuation lines (AUTHENTICATE, IDLE): put the reader in line mode. */
#define IMAP_CMDF_LINES		0x0020
/* Input pipelined after it must be dropped, not read (STARTTLS). */
#define IMAP_CMDF_FLUSH_INPUT	0x0040
/* Pipelined commands wait until it completes. */
#define IMAP_CMDF_BARRIER	0x0080
/* Not in IMAP4rev2: BAD once IMAP4rev2 is enabled. */
#define IMAP_CMDF_REV1		0x0100

struct imap_cmd_def {
	const char		*name;	/* "FETCH", "UID FETCH" */
	enum imap_cmd_id	 id;
	unsigned		 states;
	unsigned		 flags;
	uint64_t		 cap;	/* 0: IMAP4rev1 itself */
};

/* The command of that name (any case), or NULL. uid: after "UID SP". */
const struct imap_cmd_def *imap_cmd_find(const char *name, size_t len,
	    int uid);
const struct imap_cmd_def *imap_cmd_get(enum imap_cmd_id, int uid);
/* Whether def may run in state with these capabilities and ENABLE bits. */
int	 imap_cmd_allowed(const struct imap_cmd_def *, unsigned state,
	    uint64_t caps, unsigned enabled);
/* All rows, for the server's dispatch table. */
const struct imap_cmd_def *imap_cmd_all(size_t *n);

/* The capability's name as advertised ("LITERAL+"), NULL for no single bit. */
const char	*imap_cap_name(uint64_t bit);
/* The ENABLE bit of a capability name (any case), 0 if it cannot be enabled. */
unsigned	 imap_enable_bit(const char *name, size_t len, uint64_t caps);

#endif
