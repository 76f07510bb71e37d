/* The table of IMAP commands the server dispatches on; it only describes, it runs nothing. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_cmd.h"

#define ANY	(IMAP_ST_NOTAUTH | IMAP_ST_AUTH | IMAP_ST_SELECTED)
#define NAUTH	IMAP_ST_NOTAUTH
#define AUTHD	(IMAP_ST_AUTH | IMAP_ST_SELECTED)
#define SEL	IMAP_ST_SELECTED

/*
 * Where the flags come from: RFC 9051 5.5 and 7.5.1 (no EXPUNGE during
 * FETCH, STORE and SEARCH, and by RFC 5256 SORT and THREAD; their UID
 * forms allow it), RFC 3501 6.2.1 and RFC 2595 (nothing read after
 * STARTTLS before the handshake), RFC 5161 3.1 (ENABLE before SELECT, and
 * it changes how later commands parse, hence a barrier).
 */
static const struct imap_cmd_def cmds[] = {
	{ "CAPABILITY", IMAP_CMD_CAPABILITY, ANY, 0, 0 },
	{ "NOOP", IMAP_CMD_NOOP, ANY, 0, 0 },
	{ "LOGOUT", IMAP_CMD_LOGOUT, ANY, IMAP_CMDF_BARRIER, 0 },
	{ "ID", IMAP_CMD_ID, ANY, 0, IMAP_CAP_ID },
	{ "STARTTLS", IMAP_CMD_STARTTLS, NAUTH,
	    IMAP_CMDF_FLUSH_INPUT | IMAP_CMDF_BARRIER, IMAP_CAP_STARTTLS },
	{ "AUTHENTICATE", IMAP_CMD_AUTHENTICATE, NAUTH,
	    IMAP_CMDF_LINES | IMAP_CMDF_BARRIER, 0 },
	{ "LOGIN", IMAP_CMD_LOGIN, NAUTH, IMAP_CMDF_BARRIER, 0 },
	{ "ENABLE", IMAP_CMD_ENABLE, IMAP_ST_AUTH, IMAP_CMDF_BARRIER,
	    IMAP_CAP_ENABLE },
	{ "SELECT", IMAP_CMD_SELECT, AUTHD,
	    IMAP_CMDF_MAILBOX | IMAP_CMDF_BARRIER, 0 },
	{ "EXAMINE", IMAP_CMD_EXAMINE, AUTHD,
	    IMAP_CMDF_MAILBOX | IMAP_CMDF_BARRIER, 0 },
	{ "CREATE", IMAP_CMD_CREATE, AUTHD, 0, 0 },
	{ "DELETE", IMAP_CMD_DELETE, AUTHD, 0, 0 },
	{ "RENAME", IMAP_CMD_RENAME, AUTHD, 0, 0 },
	{ "SUBSCRIBE", IMAP_CMD_SUBSCRIBE, AUTHD, 0, 0 },
	{ "UNSUBSCRIBE", IMAP_CMD_UNSUBSCRIBE, AUTHD, 0, 0 },
	{ "LIST", IMAP_CMD_LIST, AUTHD, 0, 0 },
	{ "LSUB", IMAP_CMD_LSUB, AUTHD, IMAP_CMDF_REV1, 0 },
	{ "NAMESPACE", IMAP_CMD_NAMESPACE, AUTHD, 0, IMAP_CAP_NAMESPACE },
	{ "STATUS", IMAP_CMD_STATUS, AUTHD, 0, 0 },
	{ "APPEND", IMAP_CMD_APPEND, AUTHD, 0, 0 },
	{ "IDLE", IMAP_CMD_IDLE, AUTHD, IMAP_CMDF_LINES | IMAP_CMDF_BARRIER,
	    IMAP_CAP_IDLE },
	{ "GETQUOTA", IMAP_CMD_GETQUOTA, AUTHD, 0, IMAP_CAP_QUOTA },
	{ "GETQUOTAROOT", IMAP_CMD_GETQUOTAROOT, AUTHD, 0, IMAP_CAP_QUOTA },
	{ "SETQUOTA", IMAP_CMD_SETQUOTA, AUTHD, 0, IMAP_CAP_QUOTA },
	{ "CHECK", IMAP_CMD_CHECK, SEL, IMAP_CMDF_REV1, 0 },
	{ "CLOSE", IMAP_CMD_CLOSE, SEL,
	    IMAP_CMDF_MAILBOX | IMAP_CMDF_EXPUNGES | IMAP_CMDF_BARRIER, 0 },
	{ "UNSELECT", IMAP_CMD_UNSELECT, SEL,
	    IMAP_CMDF_MAILBOX | IMAP_CMDF_BARRIER, IMAP_CAP_UNSELECT },
	{ "EXPUNGE", IMAP_CMD_EXPUNGE, SEL, IMAP_CMDF_EXPUNGES, 0 },
	{ "SEARCH", IMAP_CMD_SEARCH, SEL,
	    IMAP_CMDF_SEQS | IMAP_CMDF_NO_EXPUNGE, 0 },
	{ "FETCH", IMAP_CMD_FETCH, SEL,
	    IMAP_CMDF_SEQS | IMAP_CMDF_NO_EXPUNGE, 0 },
	{ "STORE", IMAP_CMD_STORE, SEL,
	    IMAP_CMDF_SEQS | IMAP_CMDF_NO_EXPUNGE, 0 },
	{ "COPY", IMAP_CMD_COPY, SEL, IMAP_CMDF_SEQS, 0 },
	{ "MOVE", IMAP_CMD_MOVE, SEL, IMAP_CMDF_SEQS | IMAP_CMDF_EXPUNGES,
	    IMAP_CAP_MOVE },
	{ "SORT", IMAP_CMD_SORT, SEL, IMAP_CMDF_SEQS | IMAP_CMDF_NO_EXPUNGE,
	    IMAP_CAP_SORT },
	{ "THREAD", IMAP_CMD_THREAD, SEL,
	    IMAP_CMDF_SEQS | IMAP_CMDF_NO_EXPUNGE, IMAP_CAP_THREAD },
	{ "UID SEARCH", IMAP_CMD_SEARCH, SEL, IMAP_CMDF_UID, 0 },
	{ "UID FETCH", IMAP_CMD_FETCH, SEL, IMAP_CMDF_UID, 0 },
	{ "UID STORE", IMAP_CMD_STORE, SEL, IMAP_CMDF_UID, 0 },
	{ "UID COPY", IMAP_CMD_COPY, SEL, IMAP_CMDF_UID, 0 },
	{ "UID MOVE", IMAP_CMD_MOVE, SEL, IMAP_CMDF_UID | IMAP_CMDF_EXPUNGES,
	    IMAP_CAP_MOVE },
	{ "UID EXPUNGE", IMAP_CMD_EXPUNGE, SEL,
	    IMAP_CMDF_UID | IMAP_CMDF_EXPUNGES, IMAP_CAP_UIDPLUS },
	{ "UID SORT", IMAP_CMD_SORT, SEL, IMAP_CMDF_UID, IMAP_CAP_SORT },
	{ "UID THREAD", IMAP_CMD_THREAD, SEL, IMAP_CMDF_UID, IMAP_CAP_THREAD },
};

static const struct {
	uint64_t	 bit;
	const char	*name;
} caps[] = {
	{ IMAP_CAP_IMAP4REV2, "IMAP4rev2" },
	{ IMAP_CAP_STARTTLS, "STARTTLS" },
	{ IMAP_CAP_IDLE, "IDLE" },
	{ IMAP_CAP_UIDPLUS, "UIDPLUS" },
	{ IMAP_CAP_MOVE, "MOVE" },
	{ IMAP_CAP_LITERAL_PLUS, "LITERAL+" },
	{ IMAP_CAP_LITERAL_MINUS, "LITERAL-" },
	{ IMAP_CAP_SASL_IR, "SASL-IR" },
	{ IMAP_CAP_NAMESPACE, "NAMESPACE" },
	{ IMAP_CAP_ID, "ID" },
	{ IMAP_CAP_ENABLE, "ENABLE" },
	{ IMAP_CAP_UNSELECT, "UNSELECT" },
	{ IMAP_CAP_CHILDREN, "CHILDREN" },
	{ IMAP_CAP_LIST_EXTENDED, "LIST-EXTENDED" },
	{ IMAP_CAP_LIST_STATUS, "LIST-STATUS" },
	{ IMAP_CAP_SPECIAL_USE, "SPECIAL-USE" },
	{ IMAP_CAP_CREATE_SPECIAL_USE, "CREATE-SPECIAL-USE" },
	{ IMAP_CAP_CONDSTORE, "CONDSTORE" },
	{ IMAP_CAP_QRESYNC, "QRESYNC" },
	{ IMAP_CAP_ESEARCH, "ESEARCH" },
	{ IMAP_CAP_SEARCHRES, "SEARCHRES" },
	{ IMAP_CAP_SORT, "SORT" },
	{ IMAP_CAP_SORT_DISPLAY, "SORT=DISPLAY" },
	{ IMAP_CAP_THREAD, "THREAD=REFERENCES" },
	{ IMAP_CAP_MULTIAPPEND, "MULTIAPPEND" },
	{ IMAP_CAP_BINARY, "BINARY" },
	{ IMAP_CAP_UTF8_ACCEPT, "UTF8=ACCEPT" },
	{ IMAP_CAP_QUOTA, "QUOTA" },
	{ IMAP_CAP_STATUS_SIZE, "STATUS=SIZE" },
	{ IMAP_CAP_APPENDLIMIT, "APPENDLIMIT" },
	{ IMAP_CAP_WITHIN, "WITHIN" },
};

const struct imap_cmd_def *
imap_cmd_find(const char *name, size_t len, int uid)
{
	size_t	 i, n;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char	*s = cmds[i].name;

		if (!(cmds[i].flags & IMAP_CMDF_UID) != !uid)
			continue;
		if (uid)
			s += 4;
		n = strlen(s);
		if (n == len && strncasecmp(s, name, len) == 0)
			return &cmds[i];
	}
	return NULL;
}

const struct imap_cmd_def *
imap_cmd_get(enum imap_cmd_id id, int uid)
{
	size_t	 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].id == id &&
		    !(cmds[i].flags & IMAP_CMDF_UID) == !uid)
			return &cmds[i];
	return NULL;
}

int
imap_cmd_allowed(const struct imap_cmd_def *def, unsigned state,
    uint64_t capa, unsigned enabled)
{
	if (def == NULL || !(def->states & state))
		return 0;
	if (def->cap != 0 && !(capa & def->cap))
		return 0;
	if ((def->flags & IMAP_CMDF_REV1) && (enabled & IMAP_ENA_IMAP4REV2))
		return 0;
	return 1;
}

const struct imap_cmd_def *
imap_cmd_all(size_t *n)
{
	*n = sizeof(cmds) / sizeof(cmds[0]);
	return cmds;
}

const char *
imap_cap_name(uint64_t bit)
{
	size_t	 i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (caps[i].bit == bit)
			return caps[i].name;
	return NULL;
}

static int
is(const char *name, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(name, word, len) == 0;
}

unsigned
imap_enable_bit(const char *name, size_t len, uint64_t capa)
{
	if (is(name, len, "CONDSTORE") && (capa & IMAP_CAP_CONDSTORE))
		return IMAP_ENA_CONDSTORE;
	/* RFC 7162 3.2.3: enabling QRESYNC enables CONDSTORE too. */
	if (is(name, len, "QRESYNC") && (capa & IMAP_CAP_QRESYNC))
		return IMAP_ENA_QRESYNC | IMAP_ENA_CONDSTORE;
	if (is(name, len, "UTF8=ACCEPT") && (capa & IMAP_CAP_UTF8_ACCEPT))
		return IMAP_ENA_UTF8_ACCEPT;
	if (is(name, len, "IMAP4rev2") && (capa & IMAP_CAP_IMAP4REV2))
		return IMAP_ENA_IMAP4REV2;
	return 0;
}
