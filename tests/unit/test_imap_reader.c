/* Tests for src/mail/imap_reader.c: lines, literals (LITERAL+/-, literal8), streaming, limits, resynchronisation, chunking. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/imap_reader.h"

/* What the driver does with an announced literal. */
enum policy {
	P_BUFFER,	/* accept everything into the text */
	P_STREAM,	/* stream messages, buffer the rest */
	P_REFUSE,	/* refuse every literal */
	P_REFUSE_MSG,	/* refuse message literals only */
	P_EARLY,	/* buffer, but any input left counts as sent early */
};

/*
 * Feeds in[0..len) and writes every event to log as text:
 *   C<tag>|<text>|<lits>;   a command (lits as size/flags)
 *   L<size><s|n><b><m>;     a literal announcement and the answer
 *   D<data>;                a streamed literal, whole (at its last chunk)
 *   E<status> <text>|<tag>; an error
 *   N<line>;                a line asked for
 *   F;                      fatal
 * chunk 0: the whole input at once; > 0 that many octets a call; -1
 * random sizes from seed. line_after: the command name after which a line
 * is asked for ("IDLE").
 */
static void
run(struct buf *log, const char *in, size_t len,
    const struct imap_reader_limits *lim, enum policy pol, long chunk,
    unsigned seed)
{
	struct imap_reader	 r;
	struct buf		 data;
	size_t			 off = 0, end, used;
	enum imap_rd_status	 st;

	imap_reader_init(&r, lim);
	buf_init(log, 0);
	buf_init(&data, 0);
	srand(seed);
	end = 0;
	for (;;) {
		if (end <= off) {
			if (chunk == 0)
				end = len;
			else if (chunk > 0)
				end = off + (size_t)chunk;
			else
				end = off + (size_t)(rand() % 7);
			if (end > len)
				end = len;
		}
		st = imap_reader_feed(&r, in + off, end - off, &used);
		if (used > end - off)
			abort();
		off += used;
		switch (st) {
		case IMAP_RD_MORE:
			if (used != 0 && off != end)
				abort();
			if (off == len) {
				imap_reader_free(&r);
				buf_free(&data);
				return;
			}
			break;
		case IMAP_RD_COMMAND: {
			const struct imap_rd_cmd *c = imap_reader_command(&r);
			size_t	 i;

			buf_addf(log, "C%.*s|", (int)c->taglen,
			    c->tag ? c->tag : "");
			buf_add(log, c->text, c->len);
			buf_adds(log, "|");
			for (i = 0; i < c->nlits; i++)
				buf_addf(log, "%llu%s%s%s%s,",
				    (unsigned long long)c->lits[i].size,
				    c->lits[i].nonsync ? "+" : "",
				    c->lits[i].binary ? "~" : "",
				    c->lits[i].streamed ? "s" : "",
				    c->lits[i].nul ? "0" : "");
			buf_adds(log, ";");
			if (c->len >= 4 && c->tag != NULL &&
			    strncmp(c->text + c->len - 4, "IDLE", 4) == 0)
				imap_reader_expect_line(&r);
			break;
		}
		case IMAP_RD_LITERAL: {
			const struct imap_lit *l = imap_reader_literal(&r);
			enum imap_rd_accept a;
			int	 refuse = pol == P_REFUSE ||
			    (pol == P_REFUSE_MSG && l->message);

			buf_addf(log, "L%llu%s%s%s", (unsigned long long)l->size,
			    l->nonsync ? "n" : "s", l->binary ? "b" : "",
			    l->message ? "m" : "");
			if (refuse) {
				buf_adds(log, imap_reader_refuse(&r) == -1 ?
				    "!close;" : "!;");
				break;
			}
			/*
			 * The tests' clients wait for the "+" unless P_EARLY:
			 * then what follows was sent before it.
			 */
			a = imap_reader_accept(&r, pol == P_STREAM ?
			    IMAP_LIT_STREAM : IMAP_LIT_BUFFER,
			    pol == P_EARLY && off < len);
			buf_addf(log, "%s;", a == IMAP_ACC_CONTINUE ? "+" :
			    a == IMAP_ACC_GO ? "" : a == IMAP_ACC_EARLY ?
			    "early" : "noroom");
			if (a == IMAP_ACC_NOROOM &&
			    imap_reader_accept(&r, IMAP_LIT_STREAM, 0) ==
			    IMAP_ACC_NOROOM)
				abort();
			break;
		}
		case IMAP_RD_DATA: {
			const char	*p;
			size_t		 n;
			int		 last;

			imap_reader_data(&r, &p, &n, &last);
			buf_add(&data, p, n);
			if (last) {
				buf_adds(log, "D");
				buf_add(log, data.data, data.len);
				buf_adds(log, ";");
				buf_reset(&data);
			}
			break;
		}
		case IMAP_RD_LINE: {
			const char	*p;
			size_t		 n;

			imap_reader_line(&r, &p, &n);
			buf_adds(log, "N");
			buf_add(log, p, n);
			buf_adds(log, ";");
			break;
		}
		case IMAP_RD_ERROR: {
			const struct imap_rd_error *e = imap_reader_error(&r);
			const struct imap_rd_cmd *c = imap_reader_command(&r);

			buf_addf(log, "E%s %s|%.*s;", e->status, e->text,
			    c->tag ? (int)c->taglen : 1, c->tag ? c->tag : "*");
			break;
		}
		case IMAP_RD_FATAL:
			buf_adds(log, "F;");
			imap_reader_free(&r);
			buf_free(&data);
			return;
		}
	}
}

/* Runs whole, byte by byte and in random chunks; all must give want. */
static int
check(const char *in, size_t len, const struct imap_reader_limits *lim,
    enum policy pol, const char *want, size_t wantlen)
{
	struct buf	 log;
	long		 chunks[] = { 0, 1, 2, 3, -1, -1, -1 };
	size_t		 i;
	int		 ok = 1;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		run(&log, in, len, lim, pol, chunks[i], (unsigned)i);
		if (log.len != wantlen || memcmp(log.data, want, wantlen) != 0) {
			fprintf(stderr, "chunk %ld:\n got  %s\n want %s\n",
			    chunks[i], log.data ? log.data : "", want);
			ok = 0;
		}
		buf_free(&log);
		if (!ok)
			break;
	}
	return ok;
}

#define CHECK(in, lim, pol, want) \
	T_ASSERT(check(in, sizeof(in) - 1, lim, pol, want, sizeof(want) - 1))

static void
test_simple(void)
{
	CHECK("a NOOP\r\n", NULL, P_BUFFER, "Ca|a NOOP|;");
	CHECK("a1 CAPABILITY\r\na2 LOGIN fred \"x y\"\r\n", NULL, P_BUFFER,
	    "Ca1|a1 CAPABILITY|;Ca2|a2 LOGIN fred \"x y\"|;");
	/* A tag is what precedes the first SP, checked against tag chars. */
	CHECK("a+b NOOP\r\n(x NOOP\r\nc]d NOOP\r\n", NULL, P_BUFFER,
	    "C|a+b NOOP|;C|(x NOOP|;Cc]d|c]d NOOP|;");
	/* Empty lines and lines without SP still reach the parser. */
	CHECK("\r\nabc\r\n", NULL, P_BUFFER, "C||;Cabc|abc|;");
	/* A CR without LF is content, for the parser to refuse. */
	CHECK("a NO\rOP\r\n", NULL, P_BUFFER, "Ca|a NO\rOP|;");
}

static void
test_sync_literal(void)
{
	CHECK("a LOGIN {3}\r\nfoo {3}\r\nbar\r\n", NULL, P_BUFFER,
	    "L3s+;L3s+;Ca|a LOGIN {3}\r\nfoo {3}\r\nbar|3,3,;");
	/* The data is opaque: CRLF, quotes and braces in it are data. */
	CHECK("a LOGIN {6}\r\n\"\r\n{1} x\r\n", NULL, P_BUFFER,
	    "L6s+;Ca|a LOGIN {6}\r\n\"\r\n{1} x|6,;");
	/* A literal of nothing still waits for the continuation. */
	CHECK("a LOGIN {0}\r\n {0}\r\n\r\n", NULL, P_BUFFER,
	    "L0s+;L0s+;Ca|a LOGIN {0}\r\n {0}\r\n|0,0,;");
	/* Leading zeros are digits too. */
	CHECK("a X {003}\r\nabc\r\n", NULL, P_BUFFER,
	    "L3s+;Ca|a X {003}\r\nabc|3,;");
}

/*
 * RFC 3501 4.3: a client MUST wait for the "+". Data already there when
 * the continuation would be sent is refused and read as the next command.
 */
static void
test_early_data(void)
{
	static const char in[] =
	    "A1 LOGIN {8}\r\ntestuser testpass\r\n"
	    "A2 LOGIN {0}\r\n testpass\r\nA3 NOOP\r\n";
	struct imap_reader	 r;
	size_t			 used, off = 0;
	const struct imap_rd_error *e;

	CHECK("A1 LOGIN {8}\r\ntestuser testpass\r\n"
	    "A2 LOGIN {0}\r\n testpass\r\nA3 NOOP\r\n", NULL, P_EARLY,
	    "L8searly;Ctestuser|testuser testpass|;L0searly;C| testpass|;"
	    "CA3|A3 NOOP|;");

	/* The error names the refused command's tag. */
	imap_reader_init(&r, NULL);
	T_EQ_INT(imap_reader_feed(&r, in, sizeof(in) - 1, &used),
	    IMAP_RD_LITERAL);
	off += used;
	T_EQ_INT(imap_reader_accept(&r, IMAP_LIT_BUFFER, 1), IMAP_ACC_EARLY);
	e = imap_reader_error(&r);
	T_EQ_INT(e->code, IMAP_RD_ERR_EARLY_DATA);
	T_EQ_STR(e->status, "BAD");
	T_EQ_INT(imap_reader_command(&r)->taglen, 2);
	T_ASSERT(memcmp(imap_reader_command(&r)->tag, "A1", 2) == 0);
	/* A non-synchronizing literal may come at once. */
	imap_reader_free(&r);
	imap_reader_init(&r, NULL);
	T_EQ_INT(imap_reader_feed(&r, "a LOGIN {1+}\r\nx y\r\n", 19, &used),
	    IMAP_RD_LITERAL);
	T_EQ_INT(imap_reader_accept(&r, IMAP_LIT_BUFFER, 1), IMAP_ACC_GO);
	imap_reader_free(&r);
}

static void
test_nonsync_literal(void)
{
	CHECK("a LOGIN {3+}\r\nfoo {3+}\r\nbar\r\nb NOOP\r\n", NULL, P_BUFFER,
	    "L3n;L3n;Ca|a LOGIN {3+}\r\nfoo {3+}\r\nbar|3+,3+,;Cb|b NOOP|;");
	/* A refused {N+} is read and dropped with the rest of its command. */
	CHECK("a LOGIN {3+}\r\nfoo {3+}\r\nbar\r\nb NOOP\r\n", NULL, P_REFUSE,
	    "L3n!;Cb|b NOOP|;");
	/* A refused {N} ends the command: the client sends no data. */
	CHECK("a LOGIN {3}\r\nb NOOP\r\n", NULL, P_REFUSE, "L3s!;Cb|b NOOP|;");
}

/* RFC 7888 5: with LITERAL- a {N+} of more than 4096 octets is refused. */
static void
test_literal_minus(void)
{
	struct imap_reader_limits lim;
	struct buf	 in, want;
	char		*data = malloc(4097);

	imap_reader_default_limits(&lim);
	lim.literal_plus = 0;
	memset(data, 'x', 4097);
	buf_init(&in, 0);
	buf_init(&want, 0);
	buf_adds(&in, "A1 APPEND INBOX {4097+}\r\n");
	buf_add(&in, data, 4097);
	buf_adds(&in, "\r\nA2 APPEND INBOX {4096+}\r\n");
	buf_add(&in, data, 4096);
	buf_adds(&in, "\r\nA3 NOOP\r\n");
	buf_addf(&want, "EBAD [TOOBIG] Non-synchronizing literals are limited "
	    "to 4096 octets|A1;L4096nm;CA2|A2 APPEND INBOX {4096+}\r\n");
	buf_add(&want, data, 4096);
	buf_adds(&want, "|4096+,;CA3|A3 NOOP|;");
	T_ASSERT(check(in.data, in.len, &lim, P_BUFFER, want.data, want.len));
	/* With LITERAL+ the same is fine. */
	lim.literal_plus = 1;
	buf_reset(&want);
	buf_addf(&want, "L4097nm;CA1|A1 APPEND INBOX {4097+}\r\n");
	buf_add(&want, data, 4097);
	buf_adds(&want, "|4097+,;L4096nm;CA2|A2 APPEND INBOX {4096+}\r\n");
	buf_add(&want, data, 4096);
	buf_adds(&want, "|4096+,;CA3|A3 NOOP|;");
	T_ASSERT(check(in.data, in.len, &lim, P_BUFFER, want.data, want.len));
	buf_free(&in);
	buf_free(&want);
	free(data);
}

static void
test_literal8(void)
{
	CHECK("a APPEND INBOX ~{3}\r\na\0b\r\n", NULL, P_BUFFER,
	    "L3sbm+;Ca|a APPEND INBOX ~{3}\r\na\0b|3~0,;");
	/* RFC 7888 6: literal8 may be non-synchronizing too. */
	CHECK("a APPEND INBOX UTF8 (~{2+}\r\nab)\r\n", NULL, P_BUFFER,
	    "L2nbm;Ca|a APPEND INBOX UTF8 (~{2+}\r\nab)|2+~,;");
	/* NUL in a plain literal is noted for the parser. */
	CHECK("a LOGIN {3}\r\na\0b x\r\n", NULL, P_BUFFER,
	    "L3s+;Ca|a LOGIN {3}\r\na\0b x|30,;");
}

/* Only a marker that ends the line, outside a quoted string, is a literal. */
static void
test_not_literals(void)
{
	CHECK("a LOGIN {3} x\r\n", NULL, P_BUFFER, "Ca|a LOGIN {3} x|;");
	CHECK("a LOGIN \"{3}\"\r\n", NULL, P_BUFFER, "Ca|a LOGIN \"{3}\"|;");
	CHECK("a LOGIN \"x {3}\r\n", NULL, P_BUFFER, "Ca|a LOGIN \"x {3}|;");
	CHECK("a LOGIN \"\\\" {3}\r\n", NULL, P_BUFFER,
	    "Ca|a LOGIN \"\\\" {3}|;");
	CHECK("a X {}\r\nb X {+}\r\nc X {1a}\r\nd X {1++}\r\n", NULL,
	    P_BUFFER, "Ca|a X {}|;Cb|b X {+}|;Cc|c X {1a}|;"
	    "Cd|d X {1++}|;");
	/* A quoted string closed before the marker does not hide it. */
	CHECK("a LOGIN \"u\\\"\" {1}\r\nx\r\n", NULL, P_BUFFER,
	    "L1s+;Ca|a LOGIN \"u\\\"\" {1}\r\nx|1,;");
	/* Framing does not care what precedes the brace: the parser does. */
	CHECK("a LOGIN x{1}\r\ny\r\n", NULL, P_BUFFER,
	    "L1s+;Ca|a LOGIN x{1}\r\ny|1,;");
}

static void
test_append_stream(void)
{
	CHECK("a APPEND INBOX (\\Seen) {10}\r\n0123456789\r\nb NOOP\r\n", NULL,
	    P_STREAM, "L10sm+;D0123456789;"
	    "Ca|a APPEND INBOX (\\Seen) {10}\r\n|10s,;Cb|b NOOP|;");
	/* The mailbox as a literal is buffered; messages after it stream. */
	CHECK("a APPEND {5}\r\nINBOX {3}\r\nabc {2+}\r\nde\r\n", NULL,
	    P_STREAM, "L5s+;L3sm+;Dabc;L2nm;Dde;"
	    "Ca|a APPEND {5}\r\nINBOX {3}\r\n {2+}\r\n|5,3s,2+s,;");
	/* An empty message still ends with one DATA event. */
	CHECK("a append INBOX {0}\r\n\r\n", NULL, P_STREAM,
	    "L0sm+;D;Ca|a append INBOX {0}\r\n|0s,;");
	/* UTF8 (~{N}) and a date before the message. */
	CHECK("a APPEND x \"01-Jan-2020 00:00:00 +0000\" UTF8 (~{2}\r\nhi)\r\n",
	    NULL, P_STREAM, "L2sbm+;Dhi;Ca|a APPEND x \"01-Jan-2020 "
	    "00:00:00 +0000\" UTF8 (~{2}\r\n)|2~s,;");
	/* Literals of other commands never stream. */
	CHECK("a LOGIN {2}\r\nab c\r\n", NULL, P_STREAM,
	    "L2s+;Ca|a LOGIN {2}\r\nab c|2,;");
	/* APPENDX is no APPEND. */
	CHECK("a APPENDX x {1}\r\nz\r\n", NULL, P_STREAM,
	    "L1s+;Ca|a APPENDX x {1}\r\nz|1,;");
	/* A refused {N} ends its command; data sent anyway is a new one. */
	CHECK("a APPEND INBOX {3}\r\nabc\r\n", NULL, P_REFUSE_MSG,
	    "L3sm!;Cabc|abc|;");
}

static void
test_message_limit(void)
{
	struct imap_reader_limits lim;

	imap_reader_default_limits(&lim);
	lim.message_max = 10;
	CHECK("a APPEND INBOX {11}\r\nb NOOP\r\n", &lim, P_STREAM,
	    "ENO [TOOBIG] Message larger than the APPENDLIMIT|a;Cb|b NOOP|;");
	CHECK("a APPEND INBOX {11+}\r\n01234567890\r\nb NOOP\r\n", &lim,
	    P_STREAM, "ENO [TOOBIG] Message larger than the APPENDLIMIT|a;"
	    "Cb|b NOOP|;");
	CHECK("a APPEND INBOX {10}\r\n0123456789\r\n", &lim, P_STREAM,
	    "L10sm+;D0123456789;Ca|a APPEND INBOX {10}\r\n|10s,;");
	/* Buffering a message is bounded by cmd_max + message_max. */
	lim.cmd_max = 40;
	CHECK("a APPEND INBOX {10}\r\n0123456789 {10}\r\n0123456789\r\n",
	    &lim, P_BUFFER, "L10sm+;L10sm+;Ca|a APPEND INBOX {10}\r\n"
	    "0123456789 {10}\r\n0123456789|10,10,;");
	CHECK("a APPEND INBOX {10}\r\n0123456789 {10}\r\n0123456789 {10}\r\n"
	    "0123456789\r\n", &lim, P_BUFFER,
	    "L10sm+;L10sm+;L10smnoroom;D0123456789;Ca|a APPEND INBOX {10}\r\n"
	    "0123456789 {10}\r\n0123456789 {10}\r\n|10,10,10s,;");
}

static void
test_literal_limits(void)
{
	struct imap_reader_limits lim;

	imap_reader_default_limits(&lim);
	lim.literal_max = 4;
	lim.cmd_max = 35;
	CHECK("a LOGIN {5}\r\nb NOOP\r\n", &lim, P_BUFFER,
	    "EBAD [TOOBIG] Literal too big|a;Cb|b NOOP|;");
	CHECK("a LOGIN {5+}\r\n12345 x\r\nb NOOP\r\n", &lim, P_BUFFER,
	    "EBAD [TOOBIG] Literal too big|a;Cb|b NOOP|;");
	/* The command's total: text and literals. */
	CHECK("a LOGIN {4}\r\n1234 {4}\r\n1234 {4}\r\n1234\r\nb NOOP\r\n",
	    &lim, P_BUFFER, "L4s+;L4s+;EBAD [TOOBIG] Literal too big|a;"
	    "C1234|1234|;Cb|b NOOP|;");
	/* Sizes beyond number64 cannot be skipped: {N} is refused, {N+} fatal. */
	CHECK("a LOGIN {99999999999999999999}\r\nb NOOP\r\n", NULL, P_BUFFER,
	    "EBAD [TOOBIG] Literal size out of range|a;Cb|b NOOP|;");
	CHECK("a LOGIN {99999999999999999999+}\r\nb NOOP\r\n", NULL, P_BUFFER,
	    "F;");
	CHECK("a LOGIN {9223372036854775807}\r\nb NOOP\r\n", NULL, P_BUFFER,
	    "EBAD [TOOBIG] Literal too big|a;Cb|b NOOP|;");
	/* A refused {N+} over discard_max closes the connection. */
	lim.discard_max = 100;
	CHECK("a LOGIN {101+}\r\n", &lim, P_BUFFER, "F;");
	CHECK("a LOGIN {100+}\r\n", &lim, P_BUFFER,
	    "EBAD [TOOBIG] Literal too big|a;");
	lim.literal_max = 1000;
	lim.cmd_max = 1000;
	CHECK("a LOGIN {101+}\r\n", &lim, P_REFUSE, "L101n!close;F;");
}

static void
test_line_limits(void)
{
	struct imap_reader_limits lim;

	imap_reader_default_limits(&lim);
	lim.line_max = 20;
	CHECK("a 12345678901234567890\r\nb NOOP\r\n", &lim, P_BUFFER,
	    "EBAD [TOOBIG] Command line too long|a;Cb|b NOOP|;");
	/* Exactly line_max octets is fine. */
	CHECK("a 123456789012345678\r\n", &lim, P_BUFFER,
	    "Ca|a 123456789012345678|;");
	/* A dropped line that ends in {N+}: its data is skipped too. */
	CHECK("a 12345678901234567890 {5+}\r\nc NOP {3+}\r\nxyz\r\nb NOOP\r\n",
	    &lim, P_BUFFER, "EBAD [TOOBIG] Command line too long|a;"
	    "Cb|b NOOP|;");
	/* ... and one ending in {N}: the command ends there. */
	CHECK("a 12345678901234567890 {5}\r\nb NOOP\r\n", &lim, P_BUFFER,
	    "EBAD [TOOBIG] Command line too long|a;Cb|b NOOP|;");
	/* A tag not finished before the limit is unknown. */
	CHECK("123456789012345678901234 NOOP\r\nb NOOP\r\n", &lim, P_BUFFER,
	    "EBAD [TOOBIG] Command line too long|*;Cb|b NOOP|;");
	/* Each line of a command has its own limit. */
	CHECK("a LOGIN {1}\r\nx 1234567890123456789\r\n", &lim, P_BUFFER,
	    "L1s+;Ca|a LOGIN {1}\r\nx 1234567890123456789|1,;");
}

static void
test_args_depth(void)
{
	struct imap_reader_limits lim;

	imap_reader_default_limits(&lim);
	lim.args_max = 5;
	lim.depth_max = 2;
	CHECK("a b c d e\r\na b c d e f\r\nz NOOP\r\n", &lim, P_BUFFER,
	    "Ca|a b c d e|;EBAD [LIMIT] Too many arguments|a;Cz|z NOOP|;");
	/* A quoted string with spaces is one argument; a list counts. */
	CHECK("a b \"c d e f\" (g)\r\n", &lim, P_BUFFER,
	    "Ca|a b \"c d e f\" (g)|;");
	CHECK("a ((x))\r\na (((x)))\r\nz NOOP\r\n", &lim, P_BUFFER,
	    "Ca|a ((x))|;EBAD [LIMIT] Lists nested too deep|a;Cz|z NOOP|;");
	/* Parentheses inside quotes do not nest. */
	CHECK("a \"(((\"\r\n", &lim, P_BUFFER, "Ca|a \"(((\"|;");
}

/* A client that ends lines with LF alone gets BAD and keeps its session. */
static void
test_bare_lf(void)
{
	CHECK("A1 NOOP\nA2 NOOP\r\n", NULL, P_BUFFER,
	    "EBAD Lines must end with CRLF|A1;CA2|A2 NOOP|;");
	CHECK("A1 LOGIN {3+}\nabc\r\nA2 NOOP\r\n", NULL, P_BUFFER,
	    "EBAD Lines must end with CRLF|A1;CA2|A2 NOOP|;");
	CHECK("A1 LOGIN {3}\nA2 NOOP\r\n", NULL, P_BUFFER,
	    "EBAD Lines must end with CRLF|A1;CA2|A2 NOOP|;");
}

static void
test_line_mode(void)
{
	struct imap_reader_limits lim;

	CHECK("a IDLE\r\nDONE\r\nb NOOP\r\n", NULL, P_BUFFER,
	    "Ca|a IDLE|;NDONE;Cb|b NOOP|;");
	/* A line is a line: braces and quotes are text. */
	CHECK("a IDLE\r\n\"{3}\r\nb NOOP\r\n", NULL, P_BUFFER,
	    "Ca|a IDLE|;N\"{3};Cb|b NOOP|;");
	CHECK("a IDLE\r\nDONE\nb NOOP\r\n", NULL, P_BUFFER,
	    "Ca|a IDLE|;EBAD Lines must end with CRLF|*;Cb|b NOOP|;");
	imap_reader_default_limits(&lim);
	lim.line_max = 10;
	CHECK("a IDLE\r\n0123456789x\r\nb NOOP\r\n", &lim, P_BUFFER,
	    "Ca|a IDLE|;EBAD [TOOBIG] Command line too long|*;Cb|b NOOP|;");
}

/* Octets of every kind, split every way, give the same events. */
static void
test_chunking(void)
{
	static const char in[] =
	    "a1 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS "
	    "(From To Cc Bcc Subject Date Message-ID Priority X-Priority "
	    "References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n"
	    "a2 APPEND Sent (\\Seen) {20+}\r\nSubject: x\r\n\r\nbody\r\n\r\n"
	    "a3 LOGIN {4}\r\nuser \"p\\\"w\"\r\n"
	    "a4 SEARCH CHARSET UTF-8 SUBJECT {4}\r\n\xe6\x97\xa5x\r\n"
	    "a5 NOOP\n\r\r\n";
	struct buf	 a, b;
	unsigned	 seed;
	int		 pol;

	for (pol = P_BUFFER; pol <= P_EARLY; pol++) {
		run(&a, in, sizeof(in) - 1, NULL, pol, 0, 0);
		for (seed = 0; seed < 200; seed++) {
			run(&b, in, sizeof(in) - 1, NULL, pol, -1, seed);
			T_EQ_STR(b.data, a.data);
			buf_free(&b);
		}
		buf_free(&a);
	}
}

void
test_main(void)
{
	t_run("simple", test_simple);
	t_run("sync_literal", test_sync_literal);
	t_run("early_data", test_early_data);
	t_run("nonsync_literal", test_nonsync_literal);
	t_run("literal_minus", test_literal_minus);
	t_run("literal8", test_literal8);
	t_run("not_literals", test_not_literals);
	t_run("append_stream", test_append_stream);
	t_run("message_limit", test_message_limit);
	t_run("literal_limits", test_literal_limits);
	t_run("line_limits", test_line_limits);
	t_run("args_depth", test_args_depth);
	t_run("bare_lf", test_bare_lf);
	t_run("line_mode", test_line_mode);
	t_run("chunking", test_chunking);
}
