/* Tests for src/mail/imap_parse*.c: every command valid and invalid, the RFC examples, real clients' commands, extensions on and off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"

static const struct imap_parse_opts all = { IMAP_CAP_ALL, 0 };
static const struct imap_parse_opts none = { 0, 0 };
static const struct imap_parse_opts rev2 = { IMAP_CAP_ALL,
	IMAP_ENA_IMAP4REV2 };
static const struct imap_parse_opts utf8 = { IMAP_CAP_ALL,
	IMAP_ENA_UTF8_ACCEPT };
static const struct imap_parse_opts qres = { IMAP_CAP_ALL,
	IMAP_ENA_QRESYNC | IMAP_ENA_CONDSTORE };

/* Narrow sets: one extension or ENABLE alone. */
static const struct imap_parse_opts rev2_bare = { 0, IMAP_ENA_IMAP4REV2 };
static const struct imap_parse_opts utf8_bare = { IMAP_CAP_UTF8_ACCEPT,
	IMAP_ENA_UTF8_ACCEPT };
static const struct imap_parse_opts esearch_bare = { IMAP_CAP_ESEARCH, 0 };
static const struct imap_parse_opts sort_bare = { IMAP_CAP_SORT, 0 };

static struct imap_reader	 rd;
static int			 rd_live;
static struct imap_request	 req;

/*
 * Runs cmd (the wire form without its final CRLF) through a reader that
 * takes every literal into the text, then parses it. Returns what
 * imap_parse returns; req lives until the next call.
 */
static int
P(const char *cmd, size_t len, const struct imap_parse_opts *o)
{
	struct buf		 in;
	size_t			 off = 0, used;
	enum imap_rd_status	 st;
	int			 rc;

	imap_request_free(&req);
	if (rd_live)
		imap_reader_free(&rd);
	imap_reader_init(&rd, NULL);
	rd_live = 1;
	buf_init(&in, 0);
	buf_add(&in, cmd, len);
	buf_adds(&in, "\r\n");
	for (;;) {
		st = imap_reader_feed(&rd, in.data + off, in.len - off, &used);
		off += used;
		if (st == IMAP_RD_LITERAL) {
			imap_reader_accept(&rd, IMAP_LIT_BUFFER, 0);
			continue;
		}
		if (st != IMAP_RD_COMMAND) {
			fprintf(stderr, "reader: %d for %s\n", st, cmd);
			abort();
		}
		break;
	}
	rc = imap_parse(&req, imap_reader_command(&rd), o);
	buf_free(&in);
	return rc;
}

#define OKO(s, o) do { if (P(s, sizeof(s) - 1, o) != 0) {		\
	t_fail(__FILE__, __LINE__, "refused: %s: %s", s, req.err);	\
	return; } } while (0)
#define BADO(s, o) do { if (P(s, sizeof(s) - 1, o) != -1) {		\
	t_fail(__FILE__, __LINE__, "accepted: %s", s); return; }	\
	if (req.err[0] == '\0') {					\
	t_fail(__FILE__, __LINE__, "no text: %s", s); return; } } while (0)
#define OK(s)	OKO(s, &all)
#define BAD(s)	BADO(s, &all)

/* Feeds up to the first literal and asks imap_parse_prefix about it. */
static int
prefix(const char *cmd, const struct imap_parse_opts *o)
{
	struct imap_reader	 r;
	size_t			 used;
	int			 rc = -2;

	imap_reader_init(&r, NULL);
	if (imap_reader_feed(&r, cmd, strlen(cmd), &used) == IMAP_RD_LITERAL) {
		imap_request_free(&req);
		rc = imap_parse_prefix(&req, imap_reader_command(&r), o);
	}
	imap_reader_free(&r);
	return rc;
}

static void
test_tag_and_name(void)
{
	OK("a001 CAPABILITY");
	T_EQ_STR(req.tag, "a001");
	T_EQ_INT(req.id, IMAP_CMD_CAPABILITY);
	OK("A1 capability");
	OK("x]y NoOp");
	T_EQ_STR(req.tag, "x]y");
	BAD("a+b NOOP");
	T_ASSERT(req.tag == NULL);
	BAD("* NOOP");
	T_ASSERT(req.tag == NULL);
	BAD("");
	T_EQ_STR(req.err, "Empty command line");
	BAD("a");
	BAD("a ");
	BAD(" a NOOP");
	BAD("a  NOOP");
	BAD("a FOOBAR");
	T_EQ_STR(req.tag, "a");
	T_EQ_STR(req.err, "Unknown command FOOBAR");
	T_ASSERT(req.def == NULL);
	BAD("a UID FOOBAR 1");
	T_EQ_STR(req.err, "Unknown command UID FOOBAR");
	BAD("a UID");
	BAD("a UID NOOP");
	BAD("a NOOP\r");
	/* RFC 3501 6: "Arguments: none". */
	BAD("A1 CAPABILITY x");
	BAD("A1 NOOP x");
	BAD("A1 LOGOUT x");
	BAD("A1 CHECK x");
	BAD("A1 CLOSE x");
	BAD("A1 EXPUNGE x");
	BAD("A1 NOOP ");
	T_EQ_STR(req.err, "Trailing space");
	BAD("A1 STARTTLS x");
	BAD("A1 NAMESPACE x");
	BAD("A1 UNSELECT x");
	BAD("A1 IDLE x");
	OK("a STARTTLS");
	OK("a NAMESPACE");
	OK("a UNSELECT");
	OK("a IDLE");
	OK("a LOGOUT");
	/* Control characters in error texts are replaced. */
	BAD("a FOO\001BAR");
	T_ASSERT(strchr(req.err, '\001') == NULL);
}

/* Extensions not offered are unknown commands; IMAP4rev2 drops two. */
static void
test_gating(void)
{
	BADO("a MOVE 1 x", &none);
	BADO("a UID MOVE 1 x", &none);
	BADO("a UID EXPUNGE 1", &none);
	BADO("a IDLE", &none);
	BADO("a NAMESPACE", &none);
	BADO("a UNSELECT", &none);
	BADO("a GETQUOTAROOT INBOX", &none);
	BADO("a SORT (DATE) UTF-8 ALL", &none);
	BADO("a THREAD REFERENCES UTF-8 ALL", &none);
	BADO("a ENABLE CONDSTORE", &none);
	BADO("a ID NIL", &none);
	OKO("a CHECK", &all);
	BADO("a CHECK", &rev2);
	OKO("a LSUB \"\" \"*\"", &all);
	BADO("a LSUB \"\" \"*\"", &rev2);
	T_EQ_STR(req.err, "Unknown command LSUB");
}

static void
test_login(void)
{
	OK("a001 LOGIN SMITH SESAME");
	T_EQ_STR(req.u.login.user.p, "SMITH");
	T_EQ_STR(req.u.login.pass.p, "SESAME");
	OK("2 LOGIN \"user@example.org\" \"p\\\"a\\\\ss\"");
	T_EQ_STR(req.u.login.pass.p, "p\"a\\ss");
	T_EQ_INT(req.u.login.pass.kind, IMAP_STR_QUOTED);
	OK("a LOGIN {4}\r\nfred {6}\r\nfoobar");
	T_EQ_STR(req.u.login.user.p, "fred");
	T_EQ_INT(req.u.login.user.kind, IMAP_STR_LITERAL);
	OK("a LOGIN {8}\r\ntestuser testpass");
	OK("A1 LOGIN NIL NIL");
	T_EQ_STR(req.u.login.user.p, "NIL");
	BAD("A1 LOGIN testuser");
	BAD("A1 LOGIN");
	BAD("A1 LOGIN a b c");
	BAD("A1 LOGIN (a) b");
	BAD("A1 LOGIN a \"b");
	BAD("A1 LOGIN a \"b\\x\"");
	/* RFC 9755 5: no UTF-8 in quoted strings before ENABLE. */
	BAD("A1 LOGIN testuser \"caf\xc3\xa9\"");
	/* NUL only in literal8, which LOGIN does not take. */
	BAD("a LOGIN {3}\r\na\0b c");
	BAD("a LOGIN ~{3}\r\nabc c");
	BAD("a LOGIN \"\" \"a\tb\"" "\x01");
	OK("a LOGIN \"\" \"a\tb\"");
}

static void
test_authenticate(void)
{
	OK("A001 AUTHENTICATE GSSAPI");
	T_EQ_STR(req.u.auth.mech.p, "GSSAPI");
	T_ASSERT(!req.u.auth.ir_set);
	OK("a AUTHENTICATE PLAIN AHRlc3QAdGVzdA==");
	T_ASSERT(req.u.auth.ir_set);
	T_EQ_INT(req.u.auth.ir.len, 10);
	T_ASSERT(memcmp(req.u.auth.ir.p, "\0test\0test", 10) == 0);
	OK("a AUTHENTICATE PLAIN =");
	T_ASSERT(req.u.auth.ir_set);
	T_EQ_INT(req.u.auth.ir.len, 0);
	BAD("a AUTHENTICATE PLAIN ");
	BAD("a AUTHENTICATE");
	BAD("a AUTHENTICATE \"PLAIN\"");
	BAD("a AUTHENTICATE PLAIN AHRlc3QAdGVzdA");
	BAD("a AUTHENTICATE PLAIN AHRl=3QAdGVzdA==");
	BAD("a AUTHENTICATE PLAIN not!base64");
	BAD("a AUTHENTICATE PLAIN AAAA BBBB");
	/* RFC 4959: no initial response without SASL-IR. */
	BADO("a AUTHENTICATE PLAIN AHRlc3QAdGVzdA==", &none);
	OKO("a AUTHENTICATE PLAIN", &none);
}

static void
test_sasl_and_done(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	T_EQ_INT(imap_parse_sasl("*", 1, &b), 1);
	T_EQ_INT(imap_parse_sasl("", 0, &b), 0);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(imap_parse_sasl("dGVzdA==", 8, &b), 0);
	T_EQ_STR(b.data, "test");
	buf_reset(&b);
	T_EQ_INT(imap_parse_sasl("dGVzdDE=", 8, &b), 0);
	T_EQ_STR(b.data, "test1");
	T_EQ_INT(imap_parse_sasl("not base64!", 11, &b), -1);
	T_EQ_INT(imap_parse_sasl("dGVzdA=", 7, &b), -1);
	T_EQ_INT(imap_parse_sasl("dG=zdA==", 8, &b), -1);
	T_EQ_INT(imap_parse_sasl("dGVzdA== ", 9, &b), -1);
	T_EQ_INT(imap_parse_sasl("**", 2, &b), -1);
	buf_free(&b);
	T_EQ_INT(imap_parse_done("DONE", 4), 0);
	T_EQ_INT(imap_parse_done("done", 4), 0);
	T_EQ_INT(imap_parse_done("NOOP", 4), -1);
	T_EQ_INT(imap_parse_done("DONE ", 5), -1);
	T_EQ_INT(imap_parse_done("", 0), -1);
}

static void
test_enable_id(void)
{
	OK("a ENABLE CONDSTORE UTF8=ACCEPT");
	T_EQ_INT(req.u.enable.n, 2);
	T_EQ_STR(req.u.enable.names[1].p, "UTF8=ACCEPT");
	OK("t2 ENABLE IMAP4rev2");
	BAD("a ENABLE");
	BAD("a ENABLE \"CONDSTORE\"");
	BAD("a ENABLE (CONDSTORE)");
	OK("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" "
	    "\"Pink Floyd Music Limited\")");
	T_EQ_INT(req.u.id.n, 3);
	T_EQ_STR(req.u.id.pairs[2].value.p, "Pink Floyd Music Limited");
	OK("a ID NIL");
	T_ASSERT(req.u.id.nil);
	OK("a ID nil");
	OK("a ID ()");
	OK("a ID (\"name\" NIL)");
	T_EQ_INT(req.u.id.pairs[0].value.kind, IMAP_STR_NIL);
	BAD("a ID");
	BAD("a ID (name \"x\")");
	BAD("a ID (\"name\")");
	BAD("a ID (\"name\" \"x\"");
	BAD("a ID FOO");
	BAD("a ID (\"name\" \"x\") x");
	BAD("a ID (\"0123456789012345678901234567890\" \"x\")");
	{
		struct buf	 b;
		int		 i, rc;

		buf_init(&b, 0);
		buf_adds(&b, "a ID (");
		for (i = 0; i < 31; i++)
			buf_addf(&b, "%s\"f%d\" \"v\"", i ? " " : "", i);
		buf_adds(&b, ")");
		rc = P(b.data, b.len, &all);
		buf_free(&b);
		T_EQ_INT(rc, -1);
	}
}

static void
test_mailboxes(void)
{
	OK("A142 SELECT INBOX");
	T_ASSERT(req.u.select.mbox.inbox);
	OK("A142 SELECT inbox");
	T_ASSERT(req.u.select.mbox.inbox);
	T_EQ_STR(req.u.select.mbox.name.p, "inbox");
	OK("A932 EXAMINE blurdybloop");
	T_ASSERT(!req.u.select.mbox.inbox);
	OK("A003 CREATE owatagusiam/");
	OK("A683 DELETE blurdybloop");
	OK("A683 RENAME blurdybloop sarasoop");
	T_EQ_STR(req.u.rename.to.name.p, "sarasoop");
	OK("A002 SUBSCRIBE #news.comp.mail.mime");
	OK("A002 UNSUBSCRIBE #news.comp.mail.mime");
	OK("a SELECT \"&U,BTF2XlZyyKng-\"");
	OK("a SELECT {5}\r\nINBOX");
	OK("a SELECT a]b");
	OK("A1 CREATE nil");
	BAD("A1 SELECT");
	BAD("A1 SELECT INBOX INBOX");
	BAD("A1 SELECT (INBOX)");
	BAD("A1 EXAMINE");
	BAD("A1 CREATE");
	BAD("A1 DELETE");
	BAD("A1 RENAME INBOX");
	BAD("A1 SUBSCRIBE");
	BAD("A1 UNSUBSCRIBE");
	BAD("a SELECT a%b");
	BAD("a SELECT a*b");
	/* 8-bit names: only as UTF-8 after ENABLE UTF8=ACCEPT or IMAP4rev2. */
	BAD("A1 CREATE {4}\r\ncaf\xe9");
	BAD("A1 CREATE {5}\r\ncaf\xc3\xa9");
	BAD("A1 CREATE \"caf\xc3\xa9\"");
	OKO("A1 CREATE \"caf\xc3\xa9\"", &utf8);
	T_ASSERT(req.u.create.mbox.utf8);
	OKO("A1 CREATE {5}\r\ncaf\xc3\xa9", &rev2);
	BADO("A1 CREATE \"caf\xe9\"", &utf8);
	BADO("A1 CREATE {4}\r\ncaf\xe9", &utf8);
	/* RFC 6855 3: no controls, no LINE or PARAGRAPH SEPARATOR. */
	BADO("A1 CREATE \"a\xc2\x85" "b\"", &utf8);
	BADO("A1 CREATE \"a\xe2\x80\xa8" "b\"", &rev2);
	BADO("A1 CREATE \"a\xe2\x80\xa9" "b\"", &rev2);
	BAD("A1 CREATE {3}\r\na\rb");
	BAD("A1 CREATE \"a\tb\"");
	OK("a GETQUOTAROOT INBOX");
	BAD("a GETQUOTAROOT");
	BAD("a GETQUOTAROOT INBOX x");
	BAD("a GETQUOTA a b");
	OK("G0001 GETQUOTA \"!partition/sda4\"");
	T_EQ_STR(req.u.quota.root.p, "!partition/sda4");
	OK("S0000 SETQUOTA \"#user/alice\" (STORAGE 510)");
	T_EQ_INT(req.u.quota.n, 1);
	T_EQ_STR(req.u.quota.res[0].name.p, "STORAGE");
	T_EQ_INT(req.u.quota.res[0].limit, 510);
	OK("a SETQUOTA \"\" ()");
	OK("a SETQUOTA \"\" (STORAGE 1 MESSAGE 2 X-FOO 9223372036854775807)");
	BAD("a SETQUOTA \"\" (STORAGE)");
	BAD("a SETQUOTA \"\" (STORAGE -1)");
	BAD("a SETQUOTA \"\" (STORAGE 9223372036854775808)");
	BAD("a SETQUOTA \"\" STORAGE 1");
	BAD("a GETQUOTA");
}

static void
test_create_use(void)
{
	OK("t2 CREATE MySpecial (USE (\\Drafts \\Sent))");
	T_EQ_INT(req.u.create.use, IMAP_USE_DRAFTS | IMAP_USE_SENT);
	OK("a CREATE x (USE ())");
	OK("a CREATE x (USE (\\all \\Archive \\Flagged \\Junk \\Trash \\Foo))");
	T_EQ_INT(req.u.create.nuse_other, 1);
	T_EQ_STR(req.u.create.use_other[0].p, "\\Foo");
	BAD("a CREATE x ()");
	BAD("a CREATE x (USE)");
	BAD("a CREATE x (USE (Sent))");
	BAD("a CREATE x (USE (\\Sent) USE (\\Sent))");
	BAD("a CREATE x (FOO)");
	BAD("a CREATE x (USE (\\Sent)");
	BADO("a CREATE x (USE (\\Sent))", &none);
}

static void
test_select_params(void)
{
	OK("A102 SELECT Shared (CONDSTORE)");
	T_ASSERT(req.u.select.condstore);
	BAD("A1 SELECT INBOX ()");
	BAD("A1 SELECT INBOX (FOO)");
	BAD("A1 SELECT INBOX (CONDSTORE CONDSTORE)");
	BAD("A1 SELECT INBOX (\"CONDSTORE\")");
	BADO("A1 SELECT INBOX (CONDSTORE)", &none);
	/* QRESYNC: only after ENABLE QRESYNC (RFC 7162 3.2.3). */
	BAD("A1 SELECT INBOX (QRESYNC (1 1))");
	OKO("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 "
	    "41,43:211,214:541))", &qres);
	T_ASSERT(req.u.select.qresync);
	T_EQ_INT(req.u.select.uidvalidity, 67890007);
	T_EQ_INT(req.u.select.modseq, 20050715194045000LL);
	T_EQ_INT(req.u.select.known_uids.n, 3);
	T_EQ_INT(req.u.select.known_uids.r[2].last, 541);
	T_ASSERT(!req.u.select.seq_match);
	OKO("B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 "
	    "(5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,"
	    "29979,29982,29985,29988,29991,29994,29997)))", &qres);
	T_ASSERT(req.u.select.seq_match);
	T_EQ_INT(req.u.select.known_seqs.n, 4);
	T_EQ_INT(req.u.select.known_seq_uids.n, 13);
	OKO("A1 SELECT INBOX (QRESYNC (1 1 (1 1)))", &qres);
	OKO("A1 SELECT INBOX (QRESYNC (1 1 1:3 (1 1)) CONDSTORE)", &qres);
	BADO("A1 SELECT INBOX (QRESYNC)", &qres);
	BADO("A1 EXAMINE INBOX (QRESYNC (1))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (0 1))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (4294967296 1))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 0))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 9223372036854775808))", &qres);
	OKO("A1 SELECT INBOX (QRESYNC (4294967295 9223372036854775807))",
	    &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 1:*))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 0:3))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 $))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 1:3 (1:2 1:3)))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 1:3 (2,1 3,1)))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 1:3 (2:1 3:2)))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 1:3 ()))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 1:3 (1 1) x))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1) QRESYNC (1 1))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 1 1:3 (1 1))", &qres);
	BADO("A1 SELECT INBOX (QRESYNC (1 \"1\"))", &qres);
}

static void
test_list(void)
{
	OK("A101 LIST \"\" \"\"");
	T_ASSERT(!req.u.list.extended);
	T_EQ_INT(req.u.list.npat, 1);
	T_EQ_INT(req.u.list.pat[0].len, 0);
	OK("A102 LIST #news.comp.mail.misc \"\"");
	OK("A202 LIST ~/Mail/ %");
	T_EQ_STR(req.u.list.pat[0].p, "%");
	OK("A682 LIST \"\" *");
	OK("a LIST \"\" INBOX.*]%");
	OK("A002 LSUB \"#news.\" \"comp.mail.*\"");
	T_EQ_STR(req.u.list.ref.name.p, "#news.");
	OK("A01 LIST (SUBSCRIBED) \"\" \"*\"");
	T_ASSERT(req.u.list.extended);
	T_EQ_INT(req.u.list.sel, IMAP_LIST_SEL_SUBSCRIBED);
	OK("A02 LIST \"\" \"%\" RETURN (CHILDREN)");
	T_EQ_INT(req.u.list.ret, IMAP_LIST_RET_CHILDREN);
	OK("A03 LIST (REMOTE) \"\" \"*\"");
	OK("A04 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN)");
	OK("A05 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")");
	T_EQ_INT(req.u.list.npat, 3);
	T_EQ_STR(req.u.list.pat[2].p, "Sent/%");
	OK("A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))");
	T_EQ_INT(req.u.list.ret, IMAP_LIST_RET_STATUS);
	T_EQ_INT(req.u.list.status_items,
	    IMAP_STATUS_MESSAGES | IMAP_STATUS_UNSEEN);
	OK("t1 LIST (SPECIAL-USE) \"\" *");
	T_EQ_INT(req.u.list.sel, IMAP_LIST_SEL_SPECIAL_USE);
	OK("a LIST \"\" \"%\" RETURN (SPECIAL-USE)");
	OK("A1 LIST (SUBSCRIBED REMOTE RECURSIVEMATCH) \"\" \"*\" RETURN ()");
	OK("A1 LIST () \"\" \"*\"");
	OK("A1 LIST \"\" \"*\" RETURN (STATUS (MESSAGES SIZE))");
	OK("9 list (SUBSCRIBED) \"\" \"*\" RETURN (SPECIAL-USE)");
	BAD("A1 LIST \"\"");
	BAD("A1 LSUB \"\"");
	BAD("A1 LIST");
	BAD("A1 LIST (RECURSIVEMATCH) \"\" \"*\"");
	BAD("A1 LIST (REMOTE RECURSIVEMATCH) \"\" \"*\"");
	BAD("A1 LIST (SPECIAL-USE RECURSIVEMATCH) \"\" \"*\"");
	BAD("A1 LIST (FOO) \"\" \"*\"");
	BAD("A1 LIST \"\" \"*\" RETURN (FOO)");
	BAD("A1 LIST (\"SUBSCRIBED\") \"\" \"*\"");
	BAD("A1 LIST (SUBSCRIBED (x)) \"\" \"*\"");
	BAD("A1 LIST \"\" \"*\" RETURN (CHILDREN (x))");
	BAD("A1 LIST \"\" ()");
	BAD("A1 LIST \"\" ((\"INBOX\"))");
	BAD("A1 LIST () (\"INBOX\") \"*\"");
	BAD("A1 LIST (SUBSCRIBED) \"\"");
	BAD("A1 LIST \"\" \"*\" RETURN");
	BAD("A1 LIST \"\" \"*\" RETURN CHILDREN");
	BAD("A1 LIST \"\" \"*\" RETURNS (CHILDREN)");
	BAD("A1 LIST \"\" \"*\" RETURN (CHILDREN) x");
	BAD("A1 LIST \"\" \"*\" RETURN (STATUS)");
	BAD("A1 LIST \"\" \"*\" RETURN (STATUS ())");
	BAD("A1 LIST \"\" \"*\" RETURN (STATUS (FOO))");
	BAD("A1 LIST \"\" \"*\" RETURN (CHILDREN");
	BAD("A1 LSUB \"\" \"*\" RETURN (CHILDREN)");
	BAD("A1 LSUB \"\" (\"*\")");
	BADO("A01 LIST (SUBSCRIBED) \"\" \"*\"", &none);
	BADO("A1 LIST \"\" (\"INBOX\")", &none);
	BADO("A1 LIST \"\" \"*\" RETURN (CHILDREN)", &none);
}

static void
test_status(void)
{
	OK("A042 STATUS blurdybloop (UIDNEXT MESSAGES)");
	T_EQ_INT(req.u.status.items, IMAP_STATUS_UIDNEXT | IMAP_STATUS_MESSAGES);
	OK("a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED "
	    "SIZE HIGHESTMODSEQ APPENDLIMIT DELETED-STORAGE)");
	T_EQ_INT(req.u.status.items, 0x3ff);
	OK("a STATUS INBOX (messages messages)");
	BAD("A1 STATUS INBOX");
	BAD("A1 STATUS INBOX ()");
	BAD("A1 STATUS INBOX (FOO)");
	T_EQ_STR(req.err, "Unknown status item FOO");
	BAD("A1 STATUS INBOX MESSAGES");
	BAD("A1 STATUS INBOX (MESSAGES");
	BAD("A1 STATUS INBOX (MESSAGES) x");
	BAD("A1 STATUS INBOX ( MESSAGES)");
	/* RFC 9051: no RECENT; SIZE and DELETED come with it. */
	BADO("A1 STATUS INBOX (MESSAGES RECENT)", &rev2);
	OKO("A1 STATUS INBOX (MESSAGES SIZE DELETED)",
	    &rev2_bare);
	BADO("A1 STATUS INBOX (SIZE)", &none);
	BADO("A1 STATUS INBOX (HIGHESTMODSEQ)", &none);
	BADO("A1 STATUS INBOX (APPENDLIMIT)", &none);
	BADO("A1 STATUS INBOX (DELETED)", &none);
	OKO("A1 STATUS INBOX (RECENT)", &none);
}

static void
test_append(void)
{
	static const char msg[] =
	    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
	    "From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
	    "Subject: afternoon meeting\r\n"
	    "To: mooch@owatagu.siam.edu.example\r\n"
	    "Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
	    "\r\n"
	    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
	struct buf	 b;
	int		 rc;

	buf_init(&b, 0);
	buf_addf(&b, "A003 APPEND saved-messages (\\Seen) {%zu}\r\n%s",
	    sizeof(msg) - 1, msg);
	rc = P(b.data, b.len, &all);
	buf_free(&b);
	T_EQ_INT(rc, 0);
	T_EQ_INT(req.u.append.nmsgs, 1);
	T_ASSERT(req.u.append.msgs[0].flags_set);
	T_EQ_INT(req.u.append.msgs[0].flags.sys, IMAP_FLAG_SEEN);
	T_EQ_INT(req.u.append.msgs[0].size, sizeof(msg) - 1);
	T_ASSERT(memcmp(req.u.append.msgs[0].data, msg, sizeof(msg) - 1) == 0);

	OK("a APPEND INBOX {3}\r\nabc");
	T_ASSERT(!req.u.append.msgs[0].flags_set);
	OK("a APPEND INBOX () {3}\r\nabc");
	T_ASSERT(req.u.append.msgs[0].flags_set);
	OK("a APPEND \"Sent\" (\\Seen) \" 3-Mar-2024 10:00:00 +0100\" {3}\r\nabc");
	T_ASSERT(req.u.append.msgs[0].date_set);
	T_EQ_INT(req.u.append.msgs[0].date.day, 3);
	T_EQ_INT(req.u.append.msgs[0].date.zone, 60);
	OK("a APPEND INBOX \"02-jan-2020 03:04:05 -0230\" {3}\r\nabc");
	T_EQ_INT(req.u.append.msgs[0].date.mon, 1);
	T_EQ_INT(req.u.append.msgs[0].date.zone, -150);
	T_EQ_INT(imap_datetime_time(&req.u.append.msgs[0].date),
	    1577934245 + 150 * 60);
	OK("a APPEND INBOX (\\Seen $MDNSent \\Draft) {3+}\r\nabc");
	T_EQ_INT(req.u.append.msgs[0].flags.nkw, 1);
	T_EQ_STR(req.u.append.msgs[0].flags.kw[0].p, "$MDNSent");
	/* MULTIAPPEND (RFC 3502 6) */
	OK("A003 APPEND saved-messages (\\Seen) {3}\r\nabc (\\Seen) {2}\r\nde");
	T_EQ_INT(req.u.append.nmsgs, 2);
	T_EQ_INT(req.u.append.msgs[1].size, 2);
	T_EQ_INT(req.u.append.msgs[1].lit, 1);
	BADO("A1 APPEND INBOX {3}\r\nabc {3}\r\ndef", &none);
	OK("a APPEND {5}\r\nINBOX {3}\r\nabc");
	T_EQ_INT(req.u.append.msgs[0].lit, 1);
	/* BINARY (RFC 3516) */
	OK("a APPEND INBOX ~{3}\r\na\0b");
	T_ASSERT(req.u.append.msgs[0].binary);
	BADO("A1 APPEND INBOX ~{3}\r\nabc", &none);
	BAD("a APPEND INBOX {3}\r\na\0b");
	/* UTF8 (RFC 6855 4) */
	OKO("a APPEND INBOX UTF8 (~{3}\r\nabc)", &utf8);
	T_ASSERT(req.u.append.msgs[0].utf8);
	OKO("a APPEND INBOX UTF8 (~{3}\r\nabc)",
	    &utf8_bare);
	BAD("a APPEND INBOX UTF8 (~{3}\r\nabc)");
	BADO("a APPEND INBOX UTF8 ({3}\r\nabc)", &utf8);
	BADO("a APPEND INBOX UTF8 (~{3}\r\nabc", &utf8);
	BADO("a APPEND INBOX UTF8 ~{3}\r\nabc", &utf8);
	BAD("A1 APPEND INBOX");
	BAD("A1 APPEND INBOX \"Subject: x\"");
	BAD("A1 APPEND INBOX Subject");
	BAD("A1 APPEND INBOX \"32-Jan-2020 00:00:00 +0000\" {3}\r\nabc");
	BAD("A1 APPEND INBOX \"29-Feb-2019 00:00:00 +0000\" {3}\r\nabc");
	OK("A1 APPEND INBOX \"29-Feb-2020 23:59:60 +1400\" {3}\r\nabc");
	BAD("A1 APPEND INBOX \"2-Jan-2020 00:00:00 +0000\" {3}\r\nabc");
	BAD("A1 APPEND INBOX \"02-Jan-2020 24:00:00 +0000\" {3}\r\nabc");
	BAD("A1 APPEND INBOX \"02-Jan-2020 00:00:00 0000\" {3}\r\nabc");
	BAD("A1 APPEND INBOX \"02-Jan-2020 00:00:00 +000\" {3}\r\nabc");
	BAD("A1 APPEND INBOX \"02-Jan-20 00:00:00 +0000\" {3}\r\nabc");
	BAD("A1 APPEND INBOX \"02-Foo-2020 00:00:00 +0000\" {3}\r\nabc");
	BAD("A1 APPEND INBOX 02-Jan-2020 {3}\r\nabc");
	BAD("A1 APPEND INBOX (\"Seen\") {3}\r\nabc");
	BAD("A1 APPEND INBOX (\\Recent) {3}\r\nabc");
	BAD("A1 APPEND INBOX (\\Foo) {3}\r\nabc");
	BAD("A1 APPEND INBOX (\\*) {3}\r\nabc");
	BAD("A1 APPEND INBOX \"02-Jan-2020 00:00:00 +0000\" (\\Seen) {3}\r\nabc");
	BAD("A1 APPEND INBOX () () {3}\r\nabc");
	BAD("A1 APPEND INBOX CATENATE (TEXT {3}\r\nabc)");
	BAD("A1 APPEND INBOX {3}\r\nabc x");
	BAD("A1 APPEND INBOX {3}\r\nabc ");
	BAD("A1 APPEND INBOX  {3}\r\nabc");
	BAD("A1 APPEND (\\Seen) {3}\r\nabc");
}

/* A streamed message leaves no data in the text; the parser says where it went. */
static void
test_append_streamed(void)
{
	struct imap_reader	 r;
	size_t			 used, off = 0;
	static const char	 in[] =
	    "a APPEND Sent (\\Seen) {5}\r\nhello (\\Draft) ~{2}\r\nhi\r\n";
	enum imap_rd_status	 st;
	int			 datas = 0;

	imap_reader_init(&r, NULL);
	for (;;) {
		st = imap_reader_feed(&r, in + off, sizeof(in) - 1 - off, &used);
		off += used;
		if (st == IMAP_RD_LITERAL)
			imap_reader_accept(&r, IMAP_LIT_STREAM, 0);
		else if (st == IMAP_RD_DATA)
			datas++;
		else
			break;
	}
	T_EQ_INT(st, IMAP_RD_COMMAND);
	T_EQ_INT(datas, 2);
	imap_request_free(&req);
	T_EQ_INT(imap_parse(&req, imap_reader_command(&r), &all), 0);
	T_EQ_INT(req.u.append.nmsgs, 2);
	T_ASSERT(req.u.append.msgs[0].streamed);
	T_ASSERT(req.u.append.msgs[0].data == NULL);
	T_EQ_INT(req.u.append.msgs[0].size, 5);
	T_EQ_INT(req.u.append.msgs[0].lit, 0);
	T_ASSERT(req.u.append.msgs[1].binary);
	T_EQ_INT(req.u.append.msgs[1].lit, 1);
	T_EQ_INT(req.u.append.msgs[1].flags.sys, IMAP_FLAG_DRAFT);
	imap_reader_free(&r);
}

static void
test_seqsets(void)
{
	OK("A654 FETCH 2:4 FLAGS");
	T_EQ_INT(req.u.fetch.set.n, 1);
	T_EQ_INT(req.u.fetch.set.r[0].first, 2);
	T_EQ_INT(req.u.fetch.set.r[0].last, 4);
	OK("a FETCH 4:2,*,7:*,*:1,9 FLAGS");
	T_EQ_INT(req.u.fetch.set.n, 5);
	T_EQ_INT(req.u.fetch.set.r[0].first, 4);
	T_EQ_INT(req.u.fetch.set.r[1].first, IMAP_SEQ_STAR);
	T_EQ_INT(req.u.fetch.set.r[2].last, IMAP_SEQ_STAR);
	T_EQ_INT(req.u.fetch.set.r[4].last, 9);
	OK("A1 UID FETCH 1:4294967295 FLAGS");
	T_EQ_INT(req.u.fetch.set.r[0].last, 4294967295U);
	BAD("A1 FETCH 0 FLAGS");
	BAD("A1 UID FETCH 4294967296 FLAGS");
	T_EQ_STR(req.err, "Number out of range: 4294967296");
	BAD("A2 UID FETCH 1:9999999999 FLAGS");
	BAD("A3 UID STORE 1,4294967296 +FLAGS (\\Seen)");
	BAD("a FETCH 1, FLAGS");
	BAD("a FETCH ,1 FLAGS");
	BAD("a FETCH 1: FLAGS");
	BAD("a FETCH 1:2:3 FLAGS");
	BAD("a FETCH 1x FLAGS");
	BAD("a FETCH -1 FLAGS");
	BAD("a FETCH \"1\" FLAGS");
	BAD("a FETCH ** FLAGS");
	/* RFC 5182: "$" with SEARCHRES, on its own. */
	OK("A283 FETCH $ (UID INTERNALDATE FLAGS RFC822.SIZE)");
	T_ASSERT(req.u.fetch.set.saved);
	T_EQ_INT(req.u.fetch.set.n, 0);
	BADO("A1 FETCH $ FLAGS", &none);
	BAD("A2 FETCH 1,$ FLAGS");
	BAD("A2 FETCH $,1 FLAGS");
	BAD("A2 FETCH $:4 FLAGS");
	OK("a UID COPY $ Trash");
	OK("a UID EXPUNGE $");
	OKO("a FETCH $ FLAGS", &rev2_bare);
}

static void
test_fetch(void)
{
	const struct imap_fetch_body	*b;

	OK("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])");
	T_EQ_INT(req.u.fetch.items, IMAP_FETCH_FLAGS);
	T_EQ_INT(req.u.fetch.nbodies, 1);
	b = &req.u.fetch.bodies[0];
	T_EQ_INT(b->kind, IMAP_FB_BODY);
	T_ASSERT(!b->peek);
	T_EQ_INT(b->text, IMAP_SECTION_HEADER_FIELDS);
	T_EQ_INT(b->nfields, 2);
	T_EQ_STR(b->fields[1].p, "FROM");
	OK("a1 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS "
	    "(From To Cc Bcc Subject Date Message-ID Priority X-Priority "
	    "References Newsgroups In-Reply-To Content-Type Reply-To)])");
	T_ASSERT(req.uid);
	T_EQ_INT(req.u.fetch.items,
	    IMAP_FETCH_UID | IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_FLAGS);
	T_ASSERT(req.u.fetch.bodies[0].peek);
	T_EQ_INT(req.u.fetch.bodies[0].nfields, 14);
	OK("a FETCH 1 ALL");
	T_EQ_INT(req.u.fetch.items, IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
	    IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE);
	OK("a FETCH 1 fast");
	T_EQ_INT(req.u.fetch.items, IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
	    IMAP_FETCH_RFC822_SIZE);
	OK("a FETCH 1 FULL");
	T_ASSERT(req.u.fetch.items & IMAP_FETCH_BODY);
	OK("a FETCH 1 (ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER "
	    "RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE UID MODSEQ)");
	T_EQ_INT(req.u.fetch.items, 0x7ff);
	OK("a FETCH 1 BODY[]");
	T_EQ_INT(req.u.fetch.bodies[0].text, IMAP_SECTION_NONE);
	T_EQ_INT(req.u.fetch.bodies[0].nparts, 0);
	OK("a FETCH 1 BODY.PEEK[]<0.10240>");
	b = &req.u.fetch.bodies[0];
	T_ASSERT(b->peek && b->partial);
	T_EQ_INT(b->offset, 0);
	T_EQ_INT(b->count, 10240);
	OK("a FETCH 1 (BODY[1.2.3] BODY[1.2.MIME] BODY[4.TEXT] BODY[2.HEADER] "
	    "BODY[TEXT] BODY[HEADER] BODY[3.HEADER.FIELDS.NOT (X-A \"X-B\")])");
	T_EQ_INT(req.u.fetch.nbodies, 7);
	b = req.u.fetch.bodies;
	T_EQ_INT(b[0].nparts, 3);
	T_EQ_INT(b[0].part[2], 3);
	T_EQ_INT(b[1].text, IMAP_SECTION_MIME);
	T_EQ_INT(b[2].text, IMAP_SECTION_TEXT);
	T_EQ_INT(b[2].part[0], 4);
	T_EQ_INT(b[3].text, IMAP_SECTION_HEADER);
	T_EQ_INT(b[6].text, IMAP_SECTION_HEADER_FIELDS_NOT);
	T_EQ_STR(b[6].fields[1].p, "X-B");
	OK("a FETCH 1 body[header.fields ({4}\r\nFrom)]");
	T_EQ_STR(req.u.fetch.bodies[0].fields[0].p, "From");
	/* BINARY (RFC 3516) */
	OK("t FETCH 1 (BINARY[1.2]<0.10> BINARY.PEEK[] BINARY.SIZE[1])");
	b = req.u.fetch.bodies;
	T_EQ_INT(b[0].kind, IMAP_FB_BINARY);
	T_ASSERT(b[0].partial);
	T_ASSERT(b[1].peek);
	T_EQ_INT(b[2].kind, IMAP_FB_BINARY_SIZE);
	BAD("a FETCH 1 BINARY[1.TEXT]");
	BAD("a FETCH 1 BINARY.SIZE[1]<0.1>");
	BAD("a FETCH 1 BINARY");
	BADO("A1 FETCH 1 BINARY.PEEK[1]", &none);
	BADO("A1 FETCH 1 MODSEQ", &none);
	/* Invalid forms. */
	BAD("A1 FETCH 1");
	BAD("A1 FETCH 1 ()");
	BAD("A1 FETCH 1 (FOO)");
	T_EQ_STR(req.err, "Unknown FETCH attribute FOO");
	BAD("A1 FETCH 1 FOO");
	BAD("a FETCH 1 (ALL)");
	BAD("a FETCH 1 (FLAGS ALL)");
	BAD("a FETCH 1 ALL FLAGS");
	BAD("a FETCH 1 (FLAGS");
	BAD("a FETCH 1 (FLAGS) x");
	BAD("a FETCH 1 (FLAGS  UID)");
	BAD("a FETCH 1 ( FLAGS)");
	BAD("a FETCH 1 BODY.PEEK");
	BAD("a FETCH 1 BODY[");
	BAD("a FETCH 1 BODY[0]");
	BAD("a FETCH 1 BODY[1.]");
	BAD("a FETCH 1 BODY[.1]");
	BAD("a FETCH 1 BODY[MIME]");
	BAD("a FETCH 1 BODY[HEADER.FIELDS]");
	BAD("a FETCH 1 BODY[HEADER.FIELDS ()]");
	BAD("a FETCH 1 BODY[HEADER.FIELDS (From]");
	BAD("a FETCH 1 BODY[HEADER.FIELDS(From)]");
	BAD("a FETCH 1 BODY[TEXT.HEADER]");
	BAD("a FETCH 1 BODY[4294967296]");
	BAD("a FETCH 1 BODY[]<0>");
	BAD("a FETCH 1 BODY[]<0.0>");
	BAD("a FETCH 1 BODY[]<.1>");
	BAD("a FETCH 1 BODY[]<0.1");
	BAD("a FETCH 1 BODY[]x");
	BAD("a FETCH 1 BODY<0.1>");
	BAD("a FETCH 1 BODYSTRUCTURE[]");
	BAD("a FETCH 1 {4}\r\nFLAG");
	/* RFC 9051: no RFC822 items; number64 partials. */
	BADO("A1 FETCH 1 RFC822", &rev2);
	BADO("A2 UID FETCH 1 (FLAGS RFC822.TEXT)", &rev2);
	BADO("A2 UID FETCH 1 (FLAGS RFC822.HEADER)", &rev2);
	OKO("A2 UID FETCH 1 (FLAGS RFC822.SIZE)", &rev2);
	BAD("A1 FETCH 1 BODY.PEEK[]<4294967296.1>");
	OKO("A1 FETCH 1 BODY.PEEK[]<4294967296.1>", &rev2);
	T_EQ_INT(req.u.fetch.bodies[0].offset, 4294967296LL);
	BADO("A1 FETCH 1 BODY.PEEK[]<9223372036854775808.1>", &rev2);
}

static void
test_fetch_modifiers(void)
{
	OK("a103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)");
	T_ASSERT(req.u.fetch.changedsince_set);
	T_EQ_INT(req.u.fetch.changedsince, 12345);
	OK("A3 FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775807)");
	BAD("A1 FETCH 1 FLAGS (CHANGEDSINCE 0)");
	BAD("A2 FETCH 1 FLAGS (CHANGEDSINCE \"1\")");
	BAD("A4 FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)");
	BAD("A4 FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)");
	BAD("A4 FETCH 1 FLAGS ()");
	BAD("A4 FETCH 1 FLAGS (FOO)");
	BAD("A4 FETCH 1 FLAGS CHANGEDSINCE 1");
	BADO("A4 FETCH 1 FLAGS (CHANGEDSINCE 1)", &none);
	/* VANISHED: UID FETCH, CHANGEDSINCE, ENABLE QRESYNC. */
	BAD("A1 UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)");
	OKO("A1 UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)", &qres);
	T_ASSERT(req.u.fetch.vanished);
	OKO("A1 UID FETCH 1:* FLAGS (VANISHED CHANGEDSINCE 1)", &qres);
	BADO("A1 FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)", &qres);
	BADO("A1 UID FETCH 1:* FLAGS (VANISHED)", &qres);
	BADO("A1 UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED VANISHED)",
	    &qres);
}

static void
test_store(void)
{
	OK("A003 STORE 2:4 +FLAGS (\\Deleted)");
	T_EQ_INT(req.u.store.op, IMAP_STORE_ADD);
	T_ASSERT(!req.u.store.silent);
	T_EQ_INT(req.u.store.flags.sys, IMAP_FLAG_DELETED);
	OK("a STORE 1 -FLAGS.SILENT \\Seen \\answered $Label1");
	T_EQ_INT(req.u.store.op, IMAP_STORE_REMOVE);
	T_ASSERT(req.u.store.silent);
	T_EQ_INT(req.u.store.flags.sys, IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED);
	T_EQ_INT(req.u.store.flags.nkw, 1);
	OK("a STORE 1 FLAGS ()");
	T_EQ_INT(req.u.store.op, IMAP_STORE_SET);
	T_EQ_INT(req.u.store.flags.sys, 0);
	OK("a STORE 1 flags (\\FLAGGED \\draft foo bar)");
	T_EQ_INT(req.u.store.flags.nkw, 2);
	OK("s100 UID STORE 1:* (UNCHANGEDSINCE 320162338) +FLAGS.SILENT "
	    "(\\Deleted)");
	T_ASSERT(req.u.store.unchangedsince_set);
	T_EQ_INT(req.u.store.unchangedsince, 320162338);
	OK("A6 STORE 1 (UNCHANGEDSINCE 0) +FLAGS (x)");
	BAD("A5 STORE 1 (UNCHANGEDSINCE \"0\") +FLAGS (x)");
	BAD("A5 STORE 1 (UNCHANGEDSINCE 1 UNCHANGEDSINCE 1) +FLAGS (x)");
	BAD("A5 STORE 1 () +FLAGS (x)");
	BADO("A6 STORE 1 (UNCHANGEDSINCE 0) +FLAGS (x)", &none);
	BAD("A1 STORE 1 FOO (\\Seen)");
	BAD("A1 STORE 1 +FLAGS");
	BAD("A1 STORE 1 +FLAGS ");
	BAD("A1 STORE 1 +FLAGS (\\Recent)");
	T_EQ_STR(req.err, "\\Recent cannot be set by a client");
	BAD("A1 STORE 1 +FLAGS \\Recent");
	BAD("A1 STORE 1 +FLAGS (\\*)");
	BAD("A1 STORE 1 +FLAGS (\\Foo)");
	BAD("A1 STORE 1 +FLAGS (\"x\")");
	BAD("A1 STORE 1 +FLAGS (x");
	BAD("A1 STORE 1 +FLAGS (x) y");
	BAD("A1 STORE 1 *FLAGS (x)");
	BAD("A1 STORE 1 +FLAGS.LOUD (x)");
	BAD("A1 STORE +FLAGS (x)");
	BAD("A1 STORE 1 +FLAGS (x]y)");
	BAD("A1 STORE 1 +FLAGS (\\)");
}

static void
test_copy_move_expunge(void)
{
	OK("A003 COPY 2:4 MEETING");
	T_EQ_STR(req.u.copy.mbox.name.p, "MEETING");
	OK("a UID MOVE 42:69 \"Trash\"");
	T_ASSERT(req.uid);
	T_EQ_INT(req.id, IMAP_CMD_MOVE);
	OK("a MOVE 1 Trash");
	OK("A003 UID EXPUNGE 3000:3002");
	T_EQ_INT(req.u.expunge.r[0].last, 3002);
	BAD("A1 COPY 1");
	BAD("A1 COPY INBOX");
	BAD("a UID EXPUNGE");
	BAD("a UID EXPUNGE 1 2");
	BAD("a MOVE 1 Trash x");
}

static const struct imap_search_key *
nth(const struct imap_search_key *k, int n)
{
	while (n-- > 0 && k != NULL)
		k = k->next;
	return k;
}

static void
test_search(void)
{
	const struct imap_search_key	*k;

	OK("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
	k = req.u.search.keys;
	T_EQ_INT(k->op, IMAP_SK_FLAGGED);
	T_EQ_INT(nth(k, 1)->op, IMAP_SK_SINCE);
	T_EQ_INT(nth(k, 1)->u.date.day, 1);
	T_EQ_INT(nth(k, 1)->u.date.mon, 2);
	T_EQ_INT(nth(k, 1)->u.date.year, 1994);
	T_EQ_INT(nth(k, 2)->op, IMAP_SK_NOT);
	T_EQ_INT(nth(k, 2)->u.sub->op, IMAP_SK_FROM);
	T_EQ_STR(nth(k, 2)->u.sub->u.str.p, "Smith");
	T_ASSERT(nth(k, 3) == NULL);
	T_ASSERT(!req.u.search.ret_set);
	OK("A283 SEARCH TEXT \"string not in mailbox\"");
	OK("A284 SEARCH CHARSET UTF-8 TEXT {6}\r\nXX\xe6\x97\xa5X");
	T_ASSERT(req.u.search.charset_set);
	T_ASSERT(req.u.search.utf8);
	OK("a SEARCH OR FROM Smith (TO Jones SUBJECT \"x\") UNSEEN");
	k = req.u.search.keys;
	T_EQ_INT(k->op, IMAP_SK_OR);
	T_EQ_INT(k->u.sub->op, IMAP_SK_FROM);
	T_EQ_INT(k->u.sub->next->op, IMAP_SK_AND);
	T_EQ_INT(k->u.sub->next->u.sub->next->op, IMAP_SK_SUBJECT);
	T_EQ_INT(nth(k, 1)->op, IMAP_SK_UNSEEN);
	OK("a SEARCH 1:5,7 UID 10:* HEADER X-TUID abc LARGER 100 SMALLER 2000 "
	    "KEYWORD $Junk UNKEYWORD foo BEFORE \"1-Jan-2000\" ON 31-Dec-1999 "
	    "SENTBEFORE 1-Jan-2000 SENTON 1-Jan-2000 SENTSINCE 1-Jan-2000 "
	    "BCC a CC b BODY c TO d ANSWERED DELETED DRAFT NEW OLD RECENT SEEN "
	    "UNANSWERED UNDELETED UNDRAFT UNFLAGGED ALL");
	T_ASSERT(req.u.search.uses_seqs);
	k = req.u.search.keys;
	T_EQ_INT(k->op, IMAP_SK_SEQSET);
	T_EQ_INT(nth(k, 1)->op, IMAP_SK_UID);
	T_EQ_STR(nth(k, 2)->u.header.name.p, "X-TUID");
	T_EQ_STR(nth(k, 2)->u.header.value.p, "abc");
	T_EQ_INT(nth(k, 3)->u.number, 100);
	OK("a UID SEARCH UID 1:*");
	T_ASSERT(!req.u.search.uses_seqs);
	T_ASSERT(!imap_request_uses_seqs(&req));
	OK("a UID SEARCH 1:2");
	T_ASSERT(imap_request_uses_seqs(&req));
	OK("a SEARCH UID 1");
	T_ASSERT(imap_request_uses_seqs(&req));
	OK("a SEARCH NOT NOT NOT ALL");
	OK("a SEARCH ((SEEN) (OR SEEN (UNSEEN)))");
	OK("a SEARCH HEADER Subject \"\"");
	OK("A4 SEARCH SUBJECT NIL");
	T_EQ_STR(req.u.search.keys->u.str.p, "NIL");
	OK("a search all");
	/* Invalid forms. */
	BAD("A1 SEARCH FOO");
	T_EQ_STR(req.err, "Unknown search key FOO");
	BAD("A1 SEARCH \"x\"");
	T_EQ_STR(req.err, "Invalid search key: \"x\"");
	BAD("A1 SEARCH");
	BAD("A1 SEARCH ");
	BAD("A1 SEARCH ()");
	BAD("A1 SEARCH (ALL");
	BAD("A1 SEARCH ALL)");
	BAD("A1 SEARCH OR ALL");
	BAD("A1 SEARCH NOT");
	BAD("A1 SEARCH FROM");
	BAD("A1 SEARCH ALL  SEEN");
	BAD("A1 SEARCH KEYWORD \\Seen");
	BAD("A1 SEARCH KEYWORD \"foo\"");
	BAD("A1 SEARCH HEADER Subject");
	BAD("A1 SEARCH LARGER x");
	BAD("A1 SEARCH LARGER -1");
	BAD("A1 SEARCH UID");
	BAD("A1 SEARCH SINCE 32-Jan-2020");
	BAD("A1 SEARCH SINCE 1-Jan-20");
	BAD("A1 SEARCH SINCE 001-Jan-2020");
	BAD("A1 SEARCH SINCE \"1-Jan-2020");
	BAD("A1 SEARCH SINCE 1-Jan-2020x");
	BAD("A1 SEARCH SINCE 1-January-2020");
	BAD("A1 SEARCH SINCE 1/1/2020");
	OK("A1 SEARCH SINCE 29-feb-2000");
	BAD("A1 SEARCH SINCE 29-Feb-1900");
	/* RFC 3501 6.4.4: without CHARSET the strings are US-ASCII. */
	BAD("A1 SEARCH SUBJECT {5}\r\ncaf\xc3\xa9");
	BAD("A1 SEARCH CHARSET US-ASCII SUBJECT {5}\r\ncaf\xc3\xa9");
	BAD("A1 SEARCH CHARSET UTF-8 SUBJECT {4}\r\ncaf\xe9");
	OK("A1 SEARCH CHARSET UTF-8 SUBJECT {5}\r\ncaf\xc3\xa9");
	BAD("A1 SEARCH CHARSET UTF-8 SUBJECT \"caf\xc3\xa9\"");
	/* The server answers NO [BADCHARSET] for what it does not know. */
	OK("A1 SEARCH CHARSET KOI8-R SUBJECT x");
	T_EQ_STR(req.u.search.charset.p, "KOI8-R");
	OK("A1 SEARCH CHARSET \"ISO-8859-1\" SUBJECT {1}\r\n\xe9");
	BAD("A1 SEARCH CHARSET SUBJECT x");
	BAD("A1 SEARCH CHARSET (UTF-8) SUBJECT x");
	/* RFC 6855 3 / 9755: no CHARSET after ENABLE UTF8=ACCEPT. */
	BADO("A1 SEARCH CHARSET UTF-8 SUBJECT x", &utf8);
	OKO("A1 SEARCH SUBJECT \"caf\xc3\xa9\"", &utf8);
	T_ASSERT(req.u.search.utf8);
	BADO("A1 SEARCH SUBJECT \"caf\xe9\"", &utf8);
	OKO("A1 SEARCH CHARSET UTF-8 SUBJECT \"caf\xc3\xa9\"", &rev2);
	/* RFC 9051: no NEW, OLD, RECENT; LARGER and SMALLER are number64. */
	BADO("A1 SEARCH NEW", &rev2);
	BADO("A2 SEARCH OR OLD SEEN", &rev2);
	BADO("A3 UID SEARCH RECENT", &rev2);
	BAD("A2 SEARCH LARGER 4294967296");
	OKO("A2 SEARCH LARGER 4294967296", &rev2);
	BADO("A1 SEARCH SMALLER 9223372036854775808", &rev2);
}

static void
test_search_extensions(void)
{
	const struct imap_search_key	*k;

	/* ESEARCH (RFC 4731) */
	OK("A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "
	    "\"Smith\"");
	T_ASSERT(req.u.search.ret_set);
	T_EQ_INT(req.u.search.ret, IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_COUNT);
	OK("A283 SEARCH RETURN () FLAGGED");
	T_EQ_INT(req.u.search.ret, IMAP_SEARCH_RET_ALL);
	OK("a SEARCH RETURN (MIN MAX ALL COUNT SAVE) CHARSET UTF-8 ALL");
	T_EQ_INT(req.u.search.ret, 0x1f);
	BAD("A1 SEARCH RETURN (FOO) ALL");
	BAD("A1 SEARCH RETURN MIN ALL");
	BAD("A1 SEARCH CHARSET UTF-8 RETURN (MIN) ALL");
	BAD("A1 SEARCH RETURN (MIN)");
	BAD("A1 SEARCH RETURN (MIN");
	BADO("A1 SEARCH RETURN (MIN) ALL", &none);
	/* SEARCHRES (RFC 5182) */
	OK("A301 SEARCH RETURN (SAVE) SINCE 1-Feb-1994 OR FROM Smith FROM Jones");
	OK("A302 SEARCH $ SMALLER 4096");
	T_ASSERT(req.u.search.keys->u.set.saved);
	BADO("A1 SEARCH RETURN (SAVE) ALL",
	    &esearch_bare);
	/* CONDSTORE MODSEQ (RFC 7162 3.1.5) */
	OK("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338");
	k = req.u.search.keys;
	T_EQ_INT(k->op, IMAP_SK_MODSEQ);
	T_ASSERT(k->u.modseq.entry_set);
	T_EQ_STR(k->u.modseq.entry.p, "/flags/\\draft");
	T_EQ_INT(k->u.modseq.type, IMAP_ENTRY_ALL);
	T_EQ_INT(k->u.modseq.value, 620162338);
	T_ASSERT(req.u.search.uses_modseq);
	OK("a SEARCH MODSEQ 0");
	OK("a SEARCH MODSEQ \"/flags/$Junk\" priv 5");
	OK("a SEARCH MODSEQ \"/FLAGS/\\\\Seen\" SHARED 5");
	BAD("A1 SEARCH MODSEQ \"/flags/\\\\recent\" all 1");
	BAD("A1 SEARCH MODSEQ \"/flags/\\\\seen\" any 1");
	BAD("A1 SEARCH MODSEQ \"/flags/\" all 1");
	BAD("A1 SEARCH MODSEQ \"/foo/x\" all 1");
	BAD("A1 SEARCH MODSEQ /flags/x all 1");
	BAD("A1 SEARCH MODSEQ \"/flags/x\" 1");
	BAD("A1 SEARCH MODSEQ 9223372036854775808");
	BAD("A1 SEARCH MODSEQ");
	BADO("A1 SEARCH MODSEQ 1", &none);
	/* WITHIN (RFC 5032) */
	OK("a SEARCH YOUNGER 3600 OLDER 60");
	T_EQ_INT(req.u.search.keys->op, IMAP_SK_YOUNGER);
	T_EQ_INT(req.u.search.keys->u.number, 3600);
	BAD("a SEARCH YOUNGER 0");
	BADO("a SEARCH YOUNGER 1", &none);
}

/* SEARCH nests: each NOT, OR and parenthesis counts. */
static void
test_search_depth(void)
{
	struct buf	 b;
	int		 i, rc;

	buf_init(&b, 0);
	buf_adds(&b, "a SEARCH ");
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX - 1; i++)
		buf_adds(&b, "NOT ");
	buf_adds(&b, "ALL");
	rc = P(b.data, b.len, &all);
	T_EQ_INT(rc, 0);
	buf_reset(&b);
	buf_adds(&b, "a SEARCH ");
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX; i++)
		buf_adds(&b, "NOT ");
	buf_adds(&b, "ALL");
	rc = P(b.data, b.len, &all);
	T_EQ_INT(rc, -1);
	T_EQ_STR(req.err, "SEARCH nested too deep");
	buf_reset(&b);
	buf_adds(&b, "a SEARCH ");
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX; i++)
		buf_adds(&b, "(");
	buf_adds(&b, "ALL");
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX; i++)
		buf_adds(&b, ")");
	rc = P(b.data, b.len, &all);
	T_EQ_INT(rc, -1);
	/* Long flat lists are fine. */
	buf_reset(&b);
	buf_adds(&b, "a SEARCH");
	for (i = 0; i < 2000; i++)
		buf_adds(&b, " OR SEEN DRAFT");
	rc = P(b.data, b.len, &all);
	T_EQ_INT(rc, 0);
	buf_free(&b);
}

static void
test_sort_thread(void)
{
	OK("A283 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994");
	T_EQ_INT(req.u.sort.ncrit, 1);
	T_EQ_INT(req.u.sort.crit[0].key, IMAP_SORT_SUBJECT);
	T_EQ_STR(req.u.sort.search.charset.p, "UTF-8");
	OK("A284 SORT (SUBJECT) US-ASCII TEXT \"not in mailbox\"");
	OK("A285 SORT (SUBJECT REVERSE DATE) UTF-8 ALL");
	T_EQ_INT(req.u.sort.ncrit, 2);
	T_ASSERT(req.u.sort.crit[1].reverse);
	T_EQ_INT(req.u.sort.crit[1].key, IMAP_SORT_DATE);
	OK("A286 SORT (ARRIVAL CC FROM SIZE TO DISPLAYFROM DISPLAYTO) "
	    "US-ASCII ALL");
	OK("a UID SORT (REVERSE ARRIVAL) UTF-8 UNDELETED 1:100");
	T_ASSERT(imap_request_uses_seqs(&req));
	BAD("a SORT () UTF-8 ALL");
	BAD("a SORT (FOO) UTF-8 ALL");
	BAD("a SORT (REVERSE) UTF-8 ALL");
	BAD("a SORT (REVERSE REVERSE DATE) UTF-8 ALL");
	BAD("a SORT DATE UTF-8 ALL");
	BAD("a SORT (DATE) ALL");
	BAD("a SORT (DATE) UTF-8");
	BADO("a SORT (DISPLAYFROM) UTF-8 ALL",
	    &sort_bare);
	OK("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000");
	T_EQ_INT(req.u.thread.alg, IMAP_THREAD_ORDEREDSUBJECT);
	OK("A284 THREAD ORDEREDSUBJECT US-ASCII TEXT \"gewp\"");
	OK("A285 UID THREAD REFERENCES US-ASCII SINCE 5-MAR-2000");
	T_EQ_INT(req.u.thread.alg, IMAP_THREAD_REFERENCES);
	T_ASSERT(req.uid);
	OK("a THREAD REFS UTF-8 ALL");
	T_EQ_INT(req.u.thread.alg, IMAP_THREAD_OTHER);
	BAD("a THREAD UTF-8 ALL");
	BAD("a THREAD \"REFERENCES\" UTF-8 ALL");
	BAD("a THREAD REFERENCES");
}

/* The continuation request is only sent where a literal may stand. */
static void
test_prefix(void)
{
	T_EQ_INT(prefix("A1 LOGIN {8}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 LOGIN user {8}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 APPEND INBOX {3}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 APPEND Drafts (\\Draft) {3}\r\n", &all), 0);
	T_EQ_STR(req.tag, "A1");
	T_EQ_INT(req.id, IMAP_CMD_APPEND);
	T_EQ_STR(req.u.append.mbox.name.p, "Drafts");
	T_EQ_INT(prefix("A1 APPEND {5}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 APPEND INBOX (\\Seen) \"01-Jan-2020 00:00:00 "
	    "+0000\" {3}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 SEARCH CHARSET UTF-8 SUBJECT {5}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 SELECT {5}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 FETCH 1 BODY[HEADER.FIELDS ({4}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 ID (\"name\" {3}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 FOOBAR {3}\r\n", &all), -1);
	T_EQ_STR(req.err, "Unknown command FOOBAR");
	T_EQ_INT(prefix("A1 NOOP {3}\r\n", &all), -1);
	T_EQ_INT(prefix("A1 FETCH 1 {3}\r\n", &all), -1);
	T_EQ_INT(prefix("A1 SEARCH {3}\r\n", &all), -1);
	T_EQ_INT(prefix("A1 LOGIN x{3}\r\n", &all), -1);
	T_EQ_INT(prefix("A1 APPEND INBOX ~{3}\r\n", &none), -1);
	T_EQ_INT(prefix("A1 APPEND INBOX ~{3}\r\n", &all), 0);
	T_EQ_INT(prefix("A1 LOGIN ~{3}\r\n", &all), -1);
	T_EQ_INT(prefix("A1 APPEND INBOX \"bad\" {3}\r\n", &all), -1);
	T_EQ_INT(prefix("A1 APPEND INBOX {3}\r\n", &none), 0);
	T_EQ_INT(prefix("A1 REPLACE 1 INBOX {3}\r\n", &all), -1);
	T_EQ_INT(prefix("A1 LSUB \"\" {1}\r\n", &rev2), -1);
	T_EQ_INT(prefix("A1 LOGIN {1+}\r\n", &none), -1);
	T_EQ_INT(prefix("A1 LOGIN {1+}\r\n", &all), 0);
}

/* What real clients send (from their source and traces). */
static void
test_clients(void)
{
	/* Thunderbird */
	OK("1 capability");
	OK("2 authenticate PLAIN");
	OK("3 ID (\"name\" \"Thunderbird\" \"version\" \"115.10.1\")");
	OK("4 select \"INBOX\" (CONDSTORE)");
	OK("5 UID fetch 1:* (FLAGS)");
	OK("6 getquotaroot \"INBOX\"");
	OK("7 UID fetch 63 (UID RFC822.SIZE FLAGS BODY.PEEK[]<0.10240>)");
	OK("8 UID store 63 +FLAGS (\\Seen)");
	OK("9 lsub \"\" \"*\"");
	OK("10 UID move 12 \"Trash\"");
	OK("11 UID fetch 1:* (FLAGS) (CHANGEDSINCE 123)");
	OK("12 list (SUBSCRIBED) \"\" \"*\" RETURN (SPECIAL-USE)");
	OK("13 UID fetch 63 (UID RFC822.SIZE BODY.PEEK[] BODY.PEEK[1.MIME])");
	OK("14 expunge");
	/* neomutt */
	OK("a0004 SELECT \"INBOX\"");
	OK("a0005 UID FETCH 1:4 (UID FLAGS INTERNALDATE RFC822.SIZE "
	    "BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC MESSAGE-ID "
	    "REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO "
	    "LINES LIST-POST LIST-SUBSCRIBE LIST-UNSUBSCRIBE X-LABEL "
	    "X-ORIGINAL-TO)])");
	OK("a0006 UID STORE 3 +FLAGS.SILENT (\\Seen)");
	OK("a0007 UID SEARCH OR OR SUBJECT foo FROM foo TO foo");
	OK("a0008 APPEND \"Sent\" (\\Seen) \" 3-Mar-2024 10:00:00 +0100\" "
	    "{3}\r\nabc");
	OK("a0009 ENABLE QRESYNC");
	OK("a0010 UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE 42)");
	/* mbsync */
	OK("2 LOGIN \"user\" \"pass\"");
	OK("5 LIST \"\" \"*\"");
	OK("7 UID FETCH 1:1000000000 (UID FLAGS)");
	OK("8 UID FETCH 5:7 (UID FLAGS BODY.PEEK[HEADER.FIELDS (X-TUID)])");
	OK("9 UID STORE 3 +FLAGS.SILENT (\\Deleted)");
	OK("10 UID EXPUNGE 3");
	OK("11 APPEND \"INBOX\" (\\Seen) \"12-Jan-2024 10:00:00 +0000\" "
	    "{3+}\r\nabc");
	OK("12 UID SEARCH HEADER X-TUID abcdefghijkl");
	OK("13 CLOSE");
	/* iOS Mail */
	OK("1.3 ID (\"name\" \"iPhone Mail\" \"version\" \"19E241\" \"os\" "
	    "\"iOS\" \"os-version\" \"15.4.1 (19E241)\")");
	OK("4.1 STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY "
	    "HIGHESTMODSEQ)");
	OK("5.2 UID FETCH 100:* (FLAGS UID BODY.PEEK[HEADER.FIELDS (From "
	    "Subject Date)] BODYSTRUCTURE RFC822.SIZE INTERNALDATE)");
	OK("6.1 UID FETCH 5 (BODY.PEEK[1.MIME] BODY.PEEK[1]<0.4096>)");
	OK("7.1 UID SEARCH 1:* NOT DELETED");
	/* imapflow */
	OK("3 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==");
	OK("4 ENABLE CONDSTORE UTF8=ACCEPT");
	OK("6 LIST \"\" \"*\" RETURN (SPECIAL-USE SUBSCRIBED STATUS (MESSAGES "
	    "UNSEEN))");
	OK("8 FETCH 1:* (UID FLAGS MODSEQ)");
	OK("10 UID SEARCH RETURN (ALL) SEEN");
	OK("13 APPEND INBOX (\\Seen) {21}\r\nSubject: x\r\n\r\nbody ok");
	OK("17 UID FETCH 5 (UID BODY.PEEK[]<0.1024>)");
}

void
test_main(void)
{
	t_run("tag_and_name", test_tag_and_name);
	t_run("gating", test_gating);
	t_run("login", test_login);
	t_run("authenticate", test_authenticate);
	t_run("sasl_and_done", test_sasl_and_done);
	t_run("enable_id", test_enable_id);
	t_run("mailboxes", test_mailboxes);
	t_run("create_use", test_create_use);
	t_run("select_params", test_select_params);
	t_run("list", test_list);
	t_run("status", test_status);
	t_run("append", test_append);
	t_run("append_streamed", test_append_streamed);
	t_run("seqsets", test_seqsets);
	t_run("fetch", test_fetch);
	t_run("fetch_modifiers", test_fetch_modifiers);
	t_run("store", test_store);
	t_run("copy_move_expunge", test_copy_move_expunge);
	t_run("search", test_search);
	t_run("search_extensions", test_search_extensions);
	t_run("search_depth", test_search_depth);
	t_run("sort_thread", test_sort_thread);
	t_run("prefix", test_prefix);
	t_run("clients", test_clients);
	imap_request_free(&req);
	if (rd_live)
		imap_reader_free(&rd);
}
