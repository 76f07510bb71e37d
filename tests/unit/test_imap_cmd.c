/* Tests for src/mail/imap_cmd.c: lookups, states per RFC 9051 and the extensions, capability gating, flags, ENABLE names. */
#include <string.h>

#include "harness.h"
#include "mail/imap_cmd.h"

#define FIND(s, uid)	imap_cmd_find(s, strlen(s), uid)
#define ALLOWED(s, uid, st) \
	imap_cmd_allowed(FIND(s, uid), st, IMAP_CAP_ALL, 0)

static void
test_find(void)
{
	const struct imap_cmd_def	*d;

	d = FIND("fetch", 0);
	T_ASSERT(d != NULL);
	T_EQ_INT(d->id, IMAP_CMD_FETCH);
	T_ASSERT(!(d->flags & IMAP_CMDF_UID));
	d = FIND("Fetch", 1);
	T_ASSERT(d != NULL);
	T_EQ_STR(d->name, "UID FETCH");
	T_ASSERT(d->flags & IMAP_CMDF_UID);
	T_ASSERT(FIND("UID FETCH", 0) == NULL);
	T_ASSERT(FIND("FETCHX", 0) == NULL);
	T_ASSERT(FIND("FETC", 0) == NULL);
	T_ASSERT(FIND("", 0) == NULL);
	/* Only these have a UID form. */
	T_ASSERT(FIND("NOOP", 1) == NULL);
	T_ASSERT(FIND("APPEND", 1) == NULL);
	T_ASSERT(FIND("EXPUNGE", 1) != NULL);
	T_ASSERT(FIND("MOVE", 1) != NULL);
	T_ASSERT(FIND("SORT", 1) != NULL);
	T_ASSERT(FIND("THREAD", 1) != NULL);
	T_ASSERT(imap_cmd_get(IMAP_CMD_COPY, 1) == FIND("COPY", 1));
	T_ASSERT(imap_cmd_get(IMAP_CMD_NOOP, 1) == NULL);
}

/* Every id has a row, every name one row. */
static void
test_table(void)
{
	const struct imap_cmd_def	*all;
	size_t				 n, i, j;
	int				 id;

	all = imap_cmd_all(&n);
	for (id = IMAP_CMD_NONE + 1; id < IMAP_CMD_COUNT; id++)
		T_ASSERT(imap_cmd_get((enum imap_cmd_id)id, 0) != NULL);
	for (i = 0; i < n; i++) {
		T_ASSERT(all[i].states != 0);
		T_ASSERT(!(all[i].states & IMAP_ST_LOGOUT));
		for (j = i + 1; j < n; j++)
			T_ASSERT(strcmp(all[i].name, all[j].name) != 0);
		/* A UID form is named so, and the others are not. */
		T_EQ_INT(!!(all[i].flags & IMAP_CMDF_UID),
		    strncmp(all[i].name, "UID ", 4) == 0);
	}
}

static void
test_states(void)
{
	const unsigned	 N = IMAP_ST_NOTAUTH, A = IMAP_ST_AUTH,
			 S = IMAP_ST_SELECTED;

	/* RFC 9051 6.1: any state. */
	T_ASSERT(ALLOWED("CAPABILITY", 0, N) && ALLOWED("CAPABILITY", 0, S));
	T_ASSERT(ALLOWED("NOOP", 0, N) && ALLOWED("LOGOUT", 0, A));
	T_ASSERT(ALLOWED("ID", 0, N));
	T_ASSERT(!ALLOWED("NOOP", 0, IMAP_ST_LOGOUT));
	/* 6.2: not authenticated only. */
	T_ASSERT(ALLOWED("LOGIN", 0, N) && !ALLOWED("LOGIN", 0, A) &&
	    !ALLOWED("LOGIN", 0, S));
	T_ASSERT(ALLOWED("AUTHENTICATE", 0, N) &&
	    !ALLOWED("AUTHENTICATE", 0, A));
	T_ASSERT(ALLOWED("STARTTLS", 0, N) && !ALLOWED("STARTTLS", 0, S));
	/* 6.3: authenticated, and so selected too. */
	static const char *const authd[] = {
		"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
		"UNSUBSCRIBE", "LIST", "LSUB", "NAMESPACE", "STATUS", "APPEND",
		"IDLE", "GETQUOTA", "GETQUOTAROOT", "SETQUOTA",
	};
	for (size_t i = 0; i < sizeof(authd) / sizeof(authd[0]); i++) {
		T_ASSERT(!ALLOWED(authd[i], 0, N));
		T_ASSERT(ALLOWED(authd[i], 0, A));
		T_ASSERT(ALLOWED(authd[i], 0, S));
	}
	/* RFC 5161 3.1: ENABLE before a mailbox is selected. */
	T_ASSERT(ALLOWED("ENABLE", 0, A) && !ALLOWED("ENABLE", 0, S) &&
	    !ALLOWED("ENABLE", 0, N));
	/* 6.4: selected only. */
	static const char *const sel[] = {
		"CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH", "FETCH",
		"STORE", "COPY", "MOVE", "SORT", "THREAD",
	};
	for (size_t i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
		T_ASSERT(!ALLOWED(sel[i], 0, N));
		T_ASSERT(!ALLOWED(sel[i], 0, A));
		T_ASSERT(ALLOWED(sel[i], 0, S));
	}
	T_ASSERT(ALLOWED("FETCH", 1, S) && !ALLOWED("FETCH", 1, A));
	T_ASSERT(ALLOWED("EXPUNGE", 1, S));
}

static void
test_gating(void)
{
	const unsigned	 S = IMAP_ST_SELECTED;

	T_ASSERT(!imap_cmd_allowed(FIND("MOVE", 0), S, 0, 0));
	T_ASSERT(imap_cmd_allowed(FIND("MOVE", 0), S, IMAP_CAP_MOVE, 0));
	T_ASSERT(!imap_cmd_allowed(FIND("EXPUNGE", 1), S, IMAP_CAP_MOVE, 0));
	T_ASSERT(imap_cmd_allowed(FIND("EXPUNGE", 1), S, IMAP_CAP_UIDPLUS, 0));
	T_ASSERT(imap_cmd_allowed(FIND("EXPUNGE", 0), S, 0, 0));
	T_ASSERT(!imap_cmd_allowed(FIND("IDLE", 0), S, 0, 0));
	/* RFC 9051 appendix E: CHECK and LSUB are gone once it is on. */
	T_ASSERT(imap_cmd_allowed(FIND("CHECK", 0), S, IMAP_CAP_ALL, 0));
	T_ASSERT(!imap_cmd_allowed(FIND("CHECK", 0), S, IMAP_CAP_ALL,
	    IMAP_ENA_IMAP4REV2));
	T_ASSERT(!imap_cmd_allowed(FIND("LSUB", 0), S, IMAP_CAP_ALL,
	    IMAP_ENA_IMAP4REV2));
	T_ASSERT(imap_cmd_allowed(FIND("LIST", 0), S, IMAP_CAP_ALL,
	    IMAP_ENA_IMAP4REV2));
	T_ASSERT(!imap_cmd_allowed(NULL, S, IMAP_CAP_ALL, 0));
}

static void
test_flags(void)
{
	/* RFC 9051 7.5.1: no EXPUNGE during FETCH, STORE, SEARCH; UID forms allow it. */
	T_ASSERT(FIND("FETCH", 0)->flags & IMAP_CMDF_NO_EXPUNGE);
	T_ASSERT(FIND("STORE", 0)->flags & IMAP_CMDF_NO_EXPUNGE);
	T_ASSERT(FIND("SEARCH", 0)->flags & IMAP_CMDF_NO_EXPUNGE);
	T_ASSERT(!(FIND("FETCH", 1)->flags & IMAP_CMDF_NO_EXPUNGE));
	T_ASSERT(!(FIND("COPY", 0)->flags & IMAP_CMDF_NO_EXPUNGE));
	T_ASSERT(!(FIND("NOOP", 0)->flags & IMAP_CMDF_NO_EXPUNGE));
	T_ASSERT(FIND("COPY", 0)->flags & IMAP_CMDF_SEQS);
	T_ASSERT(!(FIND("COPY", 1)->flags & IMAP_CMDF_SEQS));
	T_ASSERT(FIND("EXPUNGE", 0)->flags & IMAP_CMDF_EXPUNGES);
	T_ASSERT(FIND("MOVE", 1)->flags & IMAP_CMDF_EXPUNGES);
	T_ASSERT(FIND("CLOSE", 0)->flags & IMAP_CMDF_MAILBOX);
	T_ASSERT(FIND("STARTTLS", 0)->flags & IMAP_CMDF_FLUSH_INPUT);
	T_ASSERT(FIND("AUTHENTICATE", 0)->flags & IMAP_CMDF_LINES);
	T_ASSERT(FIND("IDLE", 0)->flags & IMAP_CMDF_LINES);
	T_ASSERT(FIND("ENABLE", 0)->flags & IMAP_CMDF_BARRIER);
}

static void
test_caps(void)
{
	T_EQ_STR(imap_cap_name(IMAP_CAP_LITERAL_PLUS), "LITERAL+");
	T_EQ_STR(imap_cap_name(IMAP_CAP_UTF8_ACCEPT), "UTF8=ACCEPT");
	T_EQ_STR(imap_cap_name(IMAP_CAP_IMAP4REV2), "IMAP4rev2");
	T_ASSERT(imap_cap_name(0) == NULL);
	T_ASSERT(imap_cap_name(IMAP_CAP_MOVE | IMAP_CAP_IDLE) == NULL);
	for (uint64_t bit = 1; bit & IMAP_CAP_ALL; bit <<= 1)
		T_ASSERT(imap_cap_name(bit) != NULL);
	T_EQ_INT(imap_enable_bit("condstore", 9, IMAP_CAP_ALL),
	    IMAP_ENA_CONDSTORE);
	T_EQ_INT(imap_enable_bit("QRESYNC", 7, IMAP_CAP_ALL),
	    IMAP_ENA_QRESYNC | IMAP_ENA_CONDSTORE);
	T_EQ_INT(imap_enable_bit("UTF8=ACCEPT", 11, IMAP_CAP_ALL),
	    IMAP_ENA_UTF8_ACCEPT);
	T_EQ_INT(imap_enable_bit("IMAP4REV2", 9, IMAP_CAP_ALL),
	    IMAP_ENA_IMAP4REV2);
	T_EQ_INT(imap_enable_bit("IMAP4rev2", 9, 0), 0);
	T_EQ_INT(imap_enable_bit("IDLE", 4, IMAP_CAP_ALL), 0);
	T_EQ_INT(imap_enable_bit("CONDSTOR", 8, IMAP_CAP_ALL), 0);
}

void
test_main(void)
{
	t_run("find", test_find);
	t_run("table", test_table);
	t_run("states", test_states);
	t_run("gating", test_gating);
	t_run("flags", test_flags);
	t_run("caps", test_caps);
}
