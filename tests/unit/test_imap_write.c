/* Tests for src/mail/imap_write.c: string forms, flags, compact sets, dates, sections, status lines and codes, and what the parser reads back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"
#include "mail/imap_write.h"

static struct buf	 b;

static const char *
out(void)
{
	return b.data ? b.data : "";
}

#define W(call, want) do { buf_reset(&b); T_EQ_INT(call, 0);		\
	T_EQ_STR(out(), want); } while (0)
/* With binary data: compares lengths too. */
#define WB(call, want) do { buf_reset(&b); T_EQ_INT(call, 0);		\
	T_EQ_INT(b.len, sizeof(want) - 1);				\
	T_ASSERT(memcmp(b.data, want, b.len) == 0); } while (0)

static void
test_strings(void)
{
	W(imap_write_string(&b, "abc", 3, 0), "\"abc\"");
	W(imap_write_string(&b, "", 0, 0), "\"\"");
	W(imap_write_string(&b, "a\"b\\c", 5, 0), "\"a\\\"b\\\\c\"");
	W(imap_write_string(&b, "a\r\nb", 4, 0), "{4}\r\na\r\nb");
	W(imap_write_string(&b, "a\rb", 3, 0), "{3}\r\na\rb");
	WB(imap_write_string(&b, "a\0b", 3, 0), "{3}\r\na b");
	/* 8-bit: quoted only as UTF-8 once the client enabled it. */
	W(imap_write_string(&b, "caf\xc3\xa9", 5, 0), "{5}\r\ncaf\xc3\xa9");
	W(imap_write_string(&b, "caf\xc3\xa9", 5, IMAP_W_UTF8),
	    "\"caf\xc3\xa9\"");
	W(imap_write_string(&b, "caf\xe9", 4, IMAP_W_UTF8), "{4}\r\ncaf\xe9");
	W(imap_write_string(&b, "\xed\xa0\x80", 3, IMAP_W_UTF8),
	    "{3}\r\n\xed\xa0\x80");
	/* Quote-heavy values go as literals. */
	W(imap_write_string(&b, "\"\"\"\"\"\"\"\"", 8, 0),
	    "\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\"");
	W(imap_write_string(&b, "\"\"\"\"\"\"\"\"\\", 9, 0),
	    "{9}\r\n\"\"\"\"\"\"\"\"\\");
	W(imap_write_astring(&b, "INBOX", 5, 0), "INBOX");
	W(imap_write_astring(&b, "a]b", 3, 0), "a]b");
	W(imap_write_astring(&b, "a b", 3, 0), "\"a b\"");
	W(imap_write_astring(&b, "a%b", 3, 0), "\"a%b\"");
	W(imap_write_astring(&b, "a*b", 3, 0), "\"a*b\"");
	W(imap_write_astring(&b, "", 0, 0), "\"\"");
	W(imap_write_astring(&b, "nil", 3, 0), "\"nil\"");
	W(imap_write_astring(&b, "NILS", 4, 0), "NILS");
	W(imap_write_astring(&b, "{3}", 3, 0), "\"{3}\"");
	W(imap_write_nstring(&b, NULL, 0, 0), "NIL");
	W(imap_write_nstring(&b, "NIL", 3, 0), "\"NIL\"");
	WB(imap_write_literal8(&b, "a\0b", 3), "~{3}\r\na\0b");
	W(imap_write_literal(&b, "x", 1), "{1}\r\nx");
}

static void
test_long_strings(void)
{
	char	*s = malloc(IMAP_W_QUOTED_MAX + 1);

	memset(s, 'x', IMAP_W_QUOTED_MAX + 1);
	buf_reset(&b);
	T_EQ_INT(imap_write_string(&b, s, IMAP_W_QUOTED_MAX, 0), 0);
	T_EQ_INT(b.data[0], '"');
	T_EQ_INT(b.len, IMAP_W_QUOTED_MAX + 2);
	buf_reset(&b);
	T_EQ_INT(imap_write_string(&b, s, IMAP_W_QUOTED_MAX + 1, 0), 0);
	T_ASSERT(strncmp(b.data, "{1025}\r\n", 8) == 0);
	T_EQ_INT(b.len, IMAP_W_QUOTED_MAX + 1 + 8);
	free(s);
}

/* What the writer writes, the parser reads back as the same value. */
static void
test_round_trip(void)
{
	static const struct {
		const char	*s;
		size_t		 n;
	} v[] = {
		{ "plain", 5 }, { "", 0 }, { "two words", 9 }, { "NIL", 3 },
		{ "q\"uote\\", 7 }, { "a\r\nb", 4 }, { "caf\xc3\xa9", 5 },
		{ "]x]", 3 }, { "%*", 2 }, { "\"\"\"\"\"\"\"\"\"\"", 10 },
		{ "{5}", 3 }, { "(x)", 3 }, { "a\tb", 3 },
	};
	const struct imap_parse_opts	 o = { IMAP_CAP_ALL, 0 };
	size_t				 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct imap_reader	 r;
		struct imap_request	 req;
		size_t			 used, off = 0;
		enum imap_rd_status	 st;

		buf_reset(&b);
		buf_adds(&b, "a LOGIN ");
		T_EQ_INT(imap_write_astring(&b, v[i].s, v[i].n, 0), 0);
		buf_adds(&b, " x\r\n");
		imap_reader_init(&r, NULL);
		while ((st = imap_reader_feed(&r, b.data + off, b.len - off,
		    &used)) == IMAP_RD_LITERAL) {
			off += used;
			imap_reader_accept(&r, IMAP_LIT_BUFFER, 0);
		}
		T_EQ_INT(st, IMAP_RD_COMMAND);
		T_EQ_INT(imap_parse(&req, imap_reader_command(&r), &o), 0);
		T_EQ_INT(req.u.login.user.len, v[i].n);
		T_ASSERT(memcmp(req.u.login.user.p, v[i].s, v[i].n) == 0);
		imap_request_free(&req);
		imap_reader_free(&r);
	}
}

static void
test_flags(void)
{
	static const char *const kw[] = { "$Forwarded", "Junk" };

	W(imap_write_flags(&b, 0, NULL, 0, 0), "()");
	W(imap_write_flags(&b, IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED, NULL, 0, 0),
	    "(\\Answered \\Seen)");
	W(imap_write_flags(&b, 0x1f, kw, 2, IMAP_WF_RECENT),
	    "(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\Recent "
	    "$Forwarded Junk)");
	W(imap_write_flags(&b, 0, kw, 1, IMAP_WF_STAR), "($Forwarded \\*)");
	W(imap_write_flags(&b, 0, NULL, 0, IMAP_WF_STAR), "(\\*)");
}

static void
test_seqsets(void)
{
	static const uint32_t	 a[] = { 1, 2, 3, 5, 9, 10 };
	static const uint32_t	 d[] = { 5, 4, 3 };
	static const uint32_t	 top[] = { 4294967294U, 4294967295U, 1, 2 };
	static const uint32_t	 z[] = { 0, 7, 0 };
	static const struct imap_seq_range r[] = {
		{ 1, 1 }, { 3, IMAP_SEQ_STAR }, { 9, 4 },
	};

	W(imap_write_seqset(&b, a, 6), "1:3,5,9:10");
	W(imap_write_seqset(&b, d, 3), "5,4,3");
	W(imap_write_seqset(&b, top, 4), "4294967294:4294967295,1:2");
	W(imap_write_seqset(&b, z, 3), "7");
	buf_reset(&b);
	T_EQ_INT(imap_write_seqset(&b, z, 1), -1);
	T_EQ_INT(imap_write_seqset(&b, a, 0), -1);
	W(imap_write_ranges(&b, r, 3), "1,3:*,9:4");
	W(imap_write_vanished(&b, 1, (const uint32_t[]){ 300, 301, 302, 405 },
	    4), "* VANISHED (EARLIER) 300:302,405\r\n");
	W(imap_write_vanished(&b, 0, a, 1), "* VANISHED 1\r\n");
}

static void
test_datetime(void)
{
	static const char *const cases[] = {
		"\"17-Jul-1996 02:44:25 -0700\"",
		"\"01-Jan-1970 00:00:00 +0000\"",
		"\"29-Feb-2020 23:59:59 +1400\"",
		"\"31-Dec-1999 12:00:00 -0230\"",
	};
	const struct imap_parse_opts	 o = { IMAP_CAP_ALL, 0 };
	size_t				 i;

	W(imap_write_datetime(&b, 0, 0), "\"01-Jan-1970 00:00:00 +0000\"");
	W(imap_write_datetime(&b, 837596665, -420),
	    "\"17-Jul-1996 02:44:25 -0700\"");
	/* Parsed, converted to seconds, and written in its zone: the same. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imap_reader	 r;
		struct imap_request	 req;
		char			 line[128];
		size_t			 used;

		snprintf(line, sizeof(line), "a APPEND x %s {0}\r\n\r\n",
		    cases[i]);
		imap_reader_init(&r, NULL);
		T_EQ_INT(imap_reader_feed(&r, line, strlen(line), &used),
		    IMAP_RD_LITERAL);
		imap_reader_accept(&r, IMAP_LIT_BUFFER, 0);
		T_EQ_INT(imap_reader_feed(&r, line + used, strlen(line) - used,
		    &used), IMAP_RD_COMMAND);
		T_EQ_INT(imap_parse(&req, imap_reader_command(&r), &o), 0);
		W(imap_write_datetime(&b,
		    imap_datetime_time(&req.u.append.msgs[0].date),
		    req.u.append.msgs[0].date.zone), cases[i]);
		imap_request_free(&req);
		imap_reader_free(&r);
	}
}

static void
test_section(void)
{
	static const uint32_t	 parts[] = { 1, 2 };
	static const struct imap_str fields[] = {
		{ "From", 4, IMAP_STR_ATOM, 0 }, { "X y", 3, IMAP_STR_QUOTED, 0 },
	};
	struct imap_fetch_body	 f;

	memset(&f, 0, sizeof(f));
	W(imap_write_section(&b, &f), "BODY[]");
	f.partial = 1;
	f.offset = 100;
	f.count = 50;
	f.peek = 1;
	W(imap_write_section(&b, &f), "BODY[]<100>");
	f.part = parts;
	f.nparts = 2;
	f.text = IMAP_SECTION_HEADER_FIELDS;
	f.fields = fields;
	f.nfields = 2;
	W(imap_write_section(&b, &f),
	    "BODY[1.2.HEADER.FIELDS (From \"X y\")]<100>");
	memset(&f, 0, sizeof(f));
	f.text = IMAP_SECTION_TEXT;
	W(imap_write_section(&b, &f), "BODY[TEXT]");
	f.part = parts;
	f.nparts = 1;
	f.text = IMAP_SECTION_MIME;
	W(imap_write_section(&b, &f), "BODY[1.MIME]");
	f.kind = IMAP_FB_BINARY_SIZE;
	f.text = IMAP_SECTION_NONE;
	W(imap_write_section(&b, &f), "BINARY.SIZE[1]");
	f.kind = IMAP_FB_BINARY;
	f.nparts = 0;
	W(imap_write_section(&b, &f), "BINARY[]");
}

static void
test_status(void)
{
	static const char *const kw[] = { "$MDNSent" };
	static const uint32_t	 src[] = { 304, 319, 320 };
	static const uint32_t	 dst[] = { 3956, 3957, 3958 };
	static const char *const cs[] = { "UTF-8", "US-ASCII" };

	W(imap_write_status(&b, "a1", 2, IMAP_OK, IMAP_CODE_NONE,
	    "NOOP completed"), "a1 OK NOOP completed\r\n");
	W(imap_write_status(&b, NULL, 0, IMAP_BAD, IMAP_CODE_CLIENTBUG,
	    "Empty command line"), "* BAD [CLIENTBUG] Empty command line\r\n");
	W(imap_write_status(&b, "A003", 4, IMAP_NO, IMAP_CODE_TRYCREATE,
	    "No such mailbox"), "A003 NO [TRYCREATE] No such mailbox\r\n");
	W(imap_write_status(&b, "x", 1, IMAP_OK, IMAP_CODE_READ_ONLY, "EXAMINE"),
	    "x OK [READ-ONLY] EXAMINE\r\n");
	W(imap_write_status(&b, "x", 1, IMAP_NO, IMAP_CODE_UNKNOWN_CTE, "x"),
	    "x NO [UNKNOWN-CTE] x\r\n");
	W(imap_write_status(&b, NULL, 0, IMAP_BYE, IMAP_CODE_NONE, "bye"),
	    "* BYE bye\r\n");
	W(imap_write_status(&b, NULL, 0, IMAP_PREAUTH, IMAP_CODE_NONE, ""),
	    "* PREAUTH Done\r\n");
	/* Text cannot break the line. */
	W(imap_write_status(&b, "t", 1, IMAP_NO, IMAP_CODE_NONE,
	    "a\r\nt2 OK b\xff"), "t NO a  t2 OK b?\r\n");
	buf_reset(&b);
	T_EQ_INT(imap_write_begin(&b, "a1", 2, IMAP_OK), 0);
	T_EQ_INT(imap_write_code_num(&b, IMAP_CODE_UIDVALIDITY, 3857529045U), 0);
	T_EQ_INT(imap_write_end(&b, "UIDs valid"), 0);
	T_EQ_STR(out(), "a1 OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
	buf_reset(&b);
	T_EQ_INT(imap_write_begin(&b, NULL, 0, IMAP_OK), 0);
	T_EQ_INT(imap_write_code_permflags(&b, IMAP_FLAG_DELETED |
	    IMAP_FLAG_SEEN, kw, 1, 1), 0);
	T_EQ_INT(imap_write_end(&b, "Limited"), 0);
	T_EQ_STR(out(), "* OK [PERMANENTFLAGS (\\Deleted \\Seen $MDNSent \\*)] "
	    "Limited\r\n");
	W(imap_write_code_copyuid(&b, 38505, src, dst, 3),
	    "[COPYUID 38505 304,319:320 3956:3958] ");
	W(imap_write_code_appenduid(&b, 38505, dst, 1), "[APPENDUID 38505 3956] ");
	W(imap_write_code_appenduid(&b, 38505, dst, 3),
	    "[APPENDUID 38505 3956:3958] ");
	W(imap_write_code_modified(&b, src, 2), "[MODIFIED 304,319] ");
	W(imap_write_code_badcharset(&b, cs, 2), "[BADCHARSET (UTF-8 US-ASCII)] ");
	W(imap_write_code_badcharset(&b, NULL, 0), "[BADCHARSET] ");
	W(imap_write_code_num(&b, IMAP_CODE_HIGHESTMODSEQ, 715194045007ULL),
	    "[HIGHESTMODSEQ 715194045007] ");
	W(imap_write_code(&b, IMAP_CODE_CLOSED), "[CLOSED] ");
	W(imap_write_code(&b, IMAP_CODE_NONE), "");
	W(imap_write_continue(&b, "Ready"), "+ Ready\r\n");
	W(imap_write_continue(&b, ""), "+ \r\n");
}

static void
test_codes_all(void)
{
	static const char *const names[] = {
		"ALERT", "ALREADYEXISTS", "AUTHENTICATIONFAILED",
		"AUTHORIZATIONFAILED", "CANNOT", "CLIENTBUG", "CLOSED",
		"CONTACTADMIN", "CORRUPTION", "EXPIRED", "EXPUNGEISSUED",
		"HASCHILDREN", "INUSE", "LIMIT", "NONEXISTENT", "NOPERM",
		"OVERQUOTA", "PARSE", "PRIVACYREQUIRED", "READ-ONLY",
		"READ-WRITE", "SERVERBUG", "TRYCREATE", "UIDNOTSTICKY",
		"UNAVAILABLE", "UNKNOWN-CTE", "USEATTR", "NOMODSEQ", "TOOBIG",
		"NOTSAVED",
	};
	char	 want[64];
	int	 i;

	for (i = IMAP_CODE_ALERT; i <= IMAP_CODE_NOTSAVED; i++) {
		snprintf(want, sizeof(want), "[%s] ", names[i - 1]);
		W(imap_write_code(&b, (enum imap_code)i), want);
	}
}

static void
test_caps(void)
{
	buf_reset(&b);
	T_EQ_INT(imap_write_caps(&b, 0), 0);
	T_EQ_STR(out(), "IMAP4rev1");
	buf_reset(&b);
	T_EQ_INT(imap_write_caps(&b, IMAP_CAP_ALL), 0);
	T_ASSERT(strncmp(out(), "IMAP4rev1 IMAP4rev2 STARTTLS IDLE", 33) == 0);
	T_ASSERT(strstr(out(), " LITERAL+ LITERAL- ") != NULL);
	T_ASSERT(strstr(out(), " THREAD=ORDEREDSUBJECT THREAD=REFERENCES ") !=
	    NULL);
	T_ASSERT(strstr(out(), " UTF8=ACCEPT ") != NULL);
	T_ASSERT(out()[b.len - 1] != ' ');
	W(imap_write_code_capability(&b, IMAP_CAP_IDLE, "AUTH=PLAIN"),
	    "[CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] ");
}

static void
test_esearch(void)
{
	static const uint32_t	 all[] = { 2, 10, 11 };
	struct imap_esearch	 e;

	memset(&e, 0, sizeof(e));
	e.tag = "A282";
	e.taglen = 4;
	e.ret = IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_COUNT;
	e.min = 2;
	e.max = 11;
	e.count = 3;
	e.all = all;
	e.nall = 3;
	W(imap_write_esearch(&b, &e), "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n");
	e.uid = 1;
	e.ret = IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_MAX;
	W(imap_write_esearch(&b, &e),
	    "* ESEARCH (TAG \"A282\") UID MAX 11 ALL 2,10:11\r\n");
	e.count = 0;
	e.nall = 0;
	e.ret = IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_MIN |
	    IMAP_SEARCH_RET_COUNT;
	W(imap_write_esearch(&b, &e), "* ESEARCH (TAG \"A282\") UID COUNT 0\r\n");
	e.ret = IMAP_SEARCH_RET_ALL;
	W(imap_write_esearch(&b, &e), "* ESEARCH (TAG \"A282\") UID\r\n");
	e.count = 1;
	e.nall = 1;
	e.modseq_set = 1;
	e.modseq = 917162500;
	W(imap_write_esearch(&b, &e),
	    "* ESEARCH (TAG \"A282\") UID ALL 2 MODSEQ 917162500\r\n");
}

/* A full buf refuses, never overruns. */
static void
test_limits(void)
{
	struct buf	 small;

	buf_init(&small, 10);
	T_EQ_INT(imap_write_string(&small, "0123456789", 10, 0), -1);
	T_ASSERT(small.len <= 10);
	buf_reset(&small);
	T_EQ_INT(imap_write_string(&small, "01234567", 8, 0), 0);
	T_EQ_INT(small.len, 10);
	buf_reset(&small);
	T_EQ_INT(imap_write_status(&small, "a", 1, IMAP_OK, IMAP_CODE_NONE,
	    "long text here"), -1);
	buf_free(&small);
}

void
test_main(void)
{
	buf_init(&b, 0);
	t_run("strings", test_strings);
	t_run("long_strings", test_long_strings);
	t_run("round_trip", test_round_trip);
	t_run("flags", test_flags);
	t_run("seqsets", test_seqsets);
	t_run("datetime", test_datetime);
	t_run("section", test_section);
	t_run("status", test_status);
	t_run("codes_all", test_codes_all);
	t_run("caps", test_caps);
	t_run("esearch", test_esearch);
	t_run("limits", test_limits);
	buf_free(&b);
}
