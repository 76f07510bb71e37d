/* Tests for src/mail/dot.c: unstuffing, the end marker, smuggling sequences, limits, chunking. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/dot.h"

struct result {
	enum dot_status	 status;
	size_t		 consumed;	/* total over all feeds */
	enum dot_error	 error;
	int		 eightbit;
	size_t		 size;
	struct buf	 out;
	size_t		 calls;		/* output callback invocations */
};

struct sink {
	struct result	*r;
	size_t		 fail_after;	/* calls before the callback fails; 0: never */
};

static int
collect(void *arg, const char *p, size_t n)
{
	struct sink	*s = arg;

	s->r->calls++;
	if (n == 0)
		abort();	/* never called with nothing */
	if (s->fail_after && s->r->calls >= s->fail_after)
		return -1;
	return buf_add(&s->r->out, p, n);
}

/*
 * Feeds in[0..len) in chunks: chunk 0 means the whole input at once, 1 byte
 * by byte, and -1 random sizes from seed. Stops at DOT_END.
 */
static void
run(struct result *r, const char *in, size_t len, size_t max, long chunk,
    unsigned seed, size_t fail_after)
{
	struct dot	 d;
	struct sink	 s = { r, fail_after };
	size_t		 off = 0, n, used;

	memset(r, 0, sizeof(*r));
	buf_init(&r->out, 0);
	dot_init(&d, max);
	srand(seed);
	r->status = DOT_MORE;
	do {
		if (chunk == 0)
			n = len - off;
		else if (chunk > 0)
			n = (size_t)chunk;
		else
			n = (size_t)(rand() % 97);	/* includes empty feeds */
		if (n > len - off)
			n = len - off;
		used = 12345;
		r->status = dot_feed(&d, in + off, n, &used, collect, &s);
		if (r->status == DOT_MORE && used != n)
			abort();
		if (used > n)
			abort();
		off += used;
	} while (r->status == DOT_MORE && off < len);
	r->consumed = off;
	r->error = d.error;
	r->eightbit = d.eightbit;
	r->size = d.size;
	if (r->size != r->out.len && d.error != DOT_ERR_WRITE)
		abort();
}

static int
same(const struct result *a, const struct result *b)
{
	if (a->status != b->status || a->consumed != b->consumed ||
	    a->error != b->error || a->eightbit != b->eightbit ||
	    a->size != b->size || a->out.len != b->out.len ||
	    (a->out.len && memcmp(a->out.data, b->out.data, a->out.len) != 0)) {
		fprintf(stderr, "  status %d/%d consumed %zu/%zu error %d/%d "
		    "8bit %d/%d size %zu/%zu outlen %zu/%zu\n", a->status,
		    b->status, a->consumed, b->consumed, a->error, b->error,
		    a->eightbit, b->eightbit, a->size, b->size, a->out.len,
		    b->out.len);
		return 0;
	}
	return 1;
}

/* Decodes in whole and checks status, error, output and where it stopped. */
static int
decode_is(const char *in, size_t len, size_t max, enum dot_status st,
    enum dot_error err, const char *want, size_t consumed)
{
	struct result	 r;
	int		 ok;

	run(&r, in, len, max, 0, 0, 0);
	ok = r.status == st && r.error == err && r.consumed == consumed &&
	    r.out.len == strlen(want) && memcmp(r.out.data ? r.out.data : "",
	    want, r.out.len) == 0;
	if (!ok)
		fprintf(stderr, "  status %d error %d consumed %zu out \"%s\"\n",
		    r.status, r.error, r.consumed, r.out.data ? r.out.data : "");
	buf_free(&r.out);
	return ok;
}

#define DEC(in, st, err, want, cons)	\
	T_ASSERT(decode_is((in), sizeof(in) - 1, 0, (st), (err), (want), (cons)))

static void
test_basic(void)
{
	DEC("Subject: hi\r\n\r\nbody\r\n.\r\n", DOT_END, DOT_OK,
	    "Subject: hi\r\n\r\nbody\r\n", 24);
	/* An empty message: the end marker as the first line. */
	DEC(".\r\n", DOT_END, DOT_OK, "", 3);
	DEC("\r\n.\r\n", DOT_END, DOT_OK, "\r\n", 5);
	/* Dot-unstuffing (RFC 5321 4.5.2): the first dot of a line goes. */
	DEC("..\r\n.\r\n", DOT_END, DOT_OK, ".\r\n", 7);
	DEC("..foo\r\n.bar\r\n...\r\n.\r\n", DOT_END, DOT_OK,
	    ".foo\r\nbar\r\n..\r\n", 21);
	/* Dots elsewhere stay. */
	DEC("a.\r\n a\r\n.\r\n", DOT_END, DOT_OK, "a.\r\n a\r\n", 11);
	/* What follows the end marker is left (pipelined commands). */
	DEC("x\r\n.\r\nQUIT\r\n", DOT_END, DOT_OK, "x\r\n", 6);
	/* Without the end marker, everything is consumed and written. */
	DEC("x\r\ny", DOT_MORE, DOT_OK, "x\r\ny", 4);
	DEC("x\r\n.", DOT_MORE, DOT_OK, "x\r\n", 4);
	DEC("x\r\n.\r", DOT_MORE, DOT_OK, "x\r\n", 5);
	DEC("x\r", DOT_MORE, DOT_OK, "x", 2);
	/* ".\r\n" not at the start of a line is text. */
	DEC("x.\r\n.\r\n", DOT_END, DOT_OK, "x.\r\n", 7);
}

static void
test_smuggling(void)
{
	/* None of these is an end marker; each is an error, and decoding goes on. */
	DEC("a\r\n\n.\nMAIL FROM:<x@y>\r\n", DOT_MORE, DOT_ERR_BARE_LF,
	    "a\r\n", 23);
	DEC("a\n.\nb", DOT_MORE, DOT_ERR_BARE_LF, "a", 5);
	DEC("a\r\n.\nb\r\n", DOT_MORE, DOT_ERR_BARE_LF, "a\r\n", 8);
	DEC("a\r.\rb\r\n", DOT_MORE, DOT_ERR_BARE_CR, "a", 7);
	DEC("a\n.\r\nb\r\n", DOT_MORE, DOT_ERR_BARE_LF, "a", 8);
	DEC("a\r\n.\rb\r\n", DOT_MORE, DOT_ERR_BARE_CR, "a\r\n", 8);
	DEC("a\r\r\n.\r\n", DOT_END, DOT_ERR_BARE_CR, "a", 7);
	DEC("\n.\r\n", DOT_MORE, DOT_ERR_BARE_LF, "", 4);
	DEC(".\n", DOT_MORE, DOT_ERR_BARE_LF, "", 2);
	DEC(".\r.\r\n", DOT_MORE, DOT_ERR_BARE_CR, "", 5);
	DEC("\r.\r\n", DOT_MORE, DOT_ERR_BARE_CR, "", 4);
	/* The real end marker still ends it, with the error kept. */
	DEC("a\n.\nMAIL FROM:<x@y>\r\nRCPT TO:<z@y>\r\nDATA\r\n\r\n.\r\nQUIT\r\n",
	    DOT_END, DOT_ERR_BARE_LF, "a", 47);
	DEC("a\r\n\r.\r\nb\r\n.\r\n", DOT_END, DOT_ERR_BARE_CR, "a\r\n", 13);
}

static void
test_line_length(void)
{
	char	 in[2100];
	size_t	 n;

	/* 998 octets + CRLF = 1000: passes. */
	memset(in, 'x', 998);
	memcpy(in + 998, "\r\n.\r\n", 5);
	n = 1003;
	{
		struct result	 r;

		run(&r, in, n, 0, 0, 0, 0);
		T_EQ_INT(r.status, DOT_END);
		T_EQ_INT(r.error, DOT_OK);
		T_EQ_INT(r.out.len, 1000);
		buf_free(&r.out);
		run(&r, in, n, 0, 1, 0, 0);
		T_EQ_INT(r.error, DOT_OK);
		buf_free(&r.out);
	}
	/* 999 + CRLF = 1001: refused; the 998 before the offence are written. */
	memset(in, 'x', 999);
	memcpy(in + 999, "\r\n.\r\n", 5);
	n = 1004;
	{
		struct result	 r;

		run(&r, in, n, 0, 0, 0, 0);
		T_EQ_INT(r.status, DOT_END);
		T_EQ_INT(r.error, DOT_ERR_LINE_TOO_LONG);
		T_EQ_INT(r.out.len, 998);
		T_EQ_INT(r.consumed, 1004);
		buf_free(&r.out);
		run(&r, in, n, 0, 1, 0, 0);
		T_EQ_INT(r.error, DOT_ERR_LINE_TOO_LONG);
		T_EQ_INT(r.out.len, 998);
		buf_free(&r.out);
	}
	/* A stuffed line: the dot is not content, so "." + 998 + CRLF passes. */
	in[0] = '.';
	memset(in + 1, 'y', 998);
	memcpy(in + 999, "\r\n.\r\n", 5);
	{
		struct result	 r;

		run(&r, in, 1004, 0, 0, 0, 0);
		T_EQ_INT(r.error, DOT_OK);
		T_EQ_INT(r.out.len, 1000);
		T_EQ_INT(r.out.data[0], 'y');
		buf_free(&r.out);
	}
	/* The limit is per line: two long lines in a row both pass. */
	memset(in, 'z', 998);
	memcpy(in + 998, "\r\n", 2);
	memset(in + 1000, 'z', 998);
	memcpy(in + 1998, "\r\n.\r\n", 5);
	{
		struct result	 r;

		run(&r, in, 2003, 0, -1, 7, 0);
		T_EQ_INT(r.error, DOT_OK);
		T_EQ_INT(r.out.len, 2000);
		buf_free(&r.out);
	}
	/* An endless line without CRLF is caught before its end. */
	memset(in, 'w', 2000);
	{
		struct result	 r;

		run(&r, in, 2000, 0, 0, 0, 0);
		T_EQ_INT(r.status, DOT_MORE);
		T_EQ_INT(r.error, DOT_ERR_LINE_TOO_LONG);
		T_EQ_INT(r.out.len, 998);
		buf_free(&r.out);
	}
}

static void
test_size(void)
{
	static const char msg[] = "12345678\r\n.\r\n";	/* 10 message octets */
	struct result	 r;

	run(&r, msg, sizeof(msg) - 1, 10, 0, 0, 0);
	T_EQ_INT(r.error, DOT_OK);
	T_EQ_INT(r.size, 10);
	buf_free(&r.out);
	run(&r, msg, sizeof(msg) - 1, 9, 0, 0, 0);
	T_EQ_INT(r.status, DOT_END);
	T_EQ_INT(r.error, DOT_ERR_TOO_BIG);
	T_EQ_INT(r.size, 9);
	T_EQ_INT(r.consumed, 13);
	T_ASSERT(memcmp(r.out.data, "12345678\r", 9) == 0);
	buf_free(&r.out);
	/* Byte by byte: same cut. */
	run(&r, msg, sizeof(msg) - 1, 9, 1, 0, 0);
	T_EQ_INT(r.error, DOT_ERR_TOO_BIG);
	T_EQ_INT(r.size, 9);
	buf_free(&r.out);
	/* Stuffing dots do not count. */
	run(&r, "..\r\n..\r\n.\r\n", 11, 6, 0, 0, 0);
	T_EQ_INT(r.error, DOT_OK);
	T_EQ_INT(r.size, 6);
	buf_free(&r.out);
	/* max_size 0: no limit. */
	run(&r, msg, sizeof(msg) - 1, 0, 0, 0, 0);
	T_EQ_INT(r.error, DOT_OK);
	buf_free(&r.out);
}

static void
test_nul_and_8bit(void)
{
	struct result	 r;
	static const char nul[] = "abc\0def\r\n.\r\n";
	static const char utf[] = "Subject: \xe6\x97\xa5\r\n.\r\n";
	static const char late[] = "0123456789abcdef0123456789abcdef\0"
	    "0123456789abcdef\xff\r\n.\r\n";

	run(&r, nul, sizeof(nul) - 1, 0, 0, 0, 0);
	T_EQ_INT(r.status, DOT_END);
	T_EQ_INT(r.error, DOT_ERR_NUL);
	T_EQ_INT(r.out.len, 3);
	T_EQ_INT(r.eightbit, 0);
	buf_free(&r.out);
	run(&r, utf, sizeof(utf) - 1, 0, 0, 0, 0);
	T_EQ_INT(r.error, DOT_OK);
	T_EQ_INT(r.eightbit, 1);
	buf_free(&r.out);
	run(&r, "plain\r\n.\r\n", 10, 0, 0, 0, 0);
	T_EQ_INT(r.eightbit, 0);
	buf_free(&r.out);
	/* 8-bit octets after a NUL, in the word-at-a-time part and the tail. */
	run(&r, late, sizeof(late) - 1, 0, 0, 0, 0);
	T_EQ_INT(r.error, DOT_ERR_NUL);
	T_EQ_INT(r.eightbit, 1);
	T_EQ_INT(r.out.len, 32);
	buf_free(&r.out);
	/* 0x80 in each position of an 8-octet word. */
	{
		char	 in[32];
		int	 i;

		for (i = 0; i < 16; i++) {
			memcpy(in, "abcdefghijklmnop\r\n.\r\n", 21);
			in[i] = (char)0x80;
			run(&r, in, 21, 0, 0, 0, 0);
			T_EQ_INT(r.eightbit, 1);
			T_EQ_INT(r.error, DOT_OK);
			buf_free(&r.out);
		}
	}
}

static void
test_write_error(void)
{
	struct result	 r;

	/* The second write fails: sticky, nothing more is written, the end is still found. */
	run(&r, "a\r\n.b\r\nc\r\n.\r\nNOOP\r\n", 19, 0, 0, 0, 2);
	T_EQ_INT(r.status, DOT_END);
	T_EQ_INT(r.error, DOT_ERR_WRITE);
	T_EQ_INT(r.consumed, 13);
	T_EQ_INT(r.calls, 2);
	T_EQ_STR(r.out.data, "a\r\n");
	buf_free(&r.out);
}

static void
test_after_end(void)
{
	struct dot	 d;
	struct result	 r;
	struct sink	 s = { &r, 0 };
	size_t		 used;

	memset(&r, 0, sizeof(r));
	buf_init(&r.out, 0);
	dot_init(&d, 0);
	T_EQ_INT(dot_feed(&d, "x\r\n.\r\nmore", 10, &used, collect, &s), DOT_END);
	T_EQ_INT(used, 6);
	T_EQ_INT(dot_feed(&d, "more", 4, &used, collect, &s), DOT_END);
	T_EQ_INT(used, 0);
	T_EQ_STR(r.out.data, "x\r\n");
	buf_free(&r.out);
	/* dot_init starts over. */
	dot_init(&d, 0);
	T_EQ_INT(dot_feed(&d, "y\r\n", 3, &used, collect, &s), DOT_MORE);
	T_EQ_INT(d.error, DOT_OK);
	buf_free(&r.out);
}

/* Runs are large: a message without stuffed lines comes out in one call when fed whole. */
static void
test_large_runs(void)
{
	struct buf	 m;
	struct result	 r;
	int		 i;

	buf_init(&m, 0);
	for (i = 0; i < 500; i++)
		buf_addf(&m, "Line %d of a message body with some text in it.\r\n", i);
	buf_adds(&m, ".\r\n");
	run(&r, m.data, m.len, 0, 0, 0, 0);
	T_EQ_INT(r.error, DOT_OK);
	T_EQ_INT(r.calls, 1);
	T_EQ_INT(r.out.len, m.len - 3);
	buf_free(&r.out);
	/* One stuffed line splits it in two. */
	buf_reset(&m);
	buf_adds(&m, "a\r\n..b\r\nc\r\n.\r\n");
	run(&r, m.data, m.len, 0, 0, 0, 0);
	T_EQ_INT(r.calls, 2);
	T_EQ_STR(r.out.data, "a\r\n.b\r\nc\r\n");
	buf_free(&r.out);
	buf_free(&m);
}

static const char *const messages[] = {
	"Received: from client.example.net (client.example.net [192.0.2.7])\r\n"
	"\tby mx.example.org (tegami) with ESMTP id 0123456789abcdef;\r\n"
	"\tMon, 2 Jan 2006 22:04:05 +0000\r\n"
	"From: Alice <alice@example.net>\r\n"
	"To: Bob <bob@example.org>\r\n"
	"Subject: =?UTF-8?B?5pel5pys6Kqe?=\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\r\n"
	"..a line that began with a dot\r\n"
	"...\r\n"
	"..\r\n"
	"\r\n"
	"--b1--\r\n"
	".\r\n"
	"MAIL FROM:<next@example.net>\r\n",

	"From: x@y\r\n\r\n.\r\n",

	".\r\n",

	("Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\n"
	"DATA\r\n\r\nevil\r\n.\r\nQUIT\r\n"),

	"Subject: cr\r\n\r\nhello\r.\rRSET\r\n.\r\n",

	"a\r\nb\0c\r\n.\r\n",

	"no end marker\r\n..yet\r\n.",
};

static void
check_splits(const char *in, size_t len, size_t max)
{
	struct result	 whole, r;
	size_t		 i;
	unsigned	 seed;

	run(&whole, in, len, max, 0, 0, 0);
	run(&r, in, len, max, 1, 0, 0);
	if (!same(&whole, &r))
		t_fail(__FILE__, __LINE__, "byte by byte differs (max %zu)", max);
	buf_free(&r.out);
	for (seed = 1; seed <= 50; seed++) {
		run(&r, in, len, max, -1, seed, 0);
		if (!same(&whole, &r))
			t_fail(__FILE__, __LINE__, "random chunks, seed %u", seed);
		buf_free(&r.out);
	}
	/* Every cut into two pieces. */
	for (i = 0; i <= len; i++) {
		struct dot	 d;
		struct sink	 s = { &r, 0 };
		size_t		 u1, u2 = 0;
		enum dot_status	 st;

		memset(&r, 0, sizeof(r));
		buf_init(&r.out, 0);
		dot_init(&d, max);
		st = dot_feed(&d, in, i, &u1, collect, &s);
		if (st == DOT_MORE)
			st = dot_feed(&d, in + i, len - i, &u2, collect, &s);
		r.status = st;
		r.consumed = u1 + u2;
		r.error = d.error;
		r.eightbit = d.eightbit;
		r.size = d.size;
		if (!same(&whole, &r))
			t_fail(__FILE__, __LINE__, "cut at %zu (max %zu)", i, max);
		buf_free(&r.out);
	}
	buf_free(&whole.out);
}

static void
test_chunking(void)
{
	size_t	 i, len;

	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		len = strlen(messages[i]);
		if (i == 5)
			len = 11;	/* holds a NUL */
		check_splits(messages[i], len, 0);
		/* With a size limit that cuts inside the message. */
		check_splits(messages[i], len, 40);
		check_splits(messages[i], len, 1);
	}
	/* The first message: exact expected output. */
	{
		struct result	 r;
		const char	*m = messages[0];
		const char	*end = strstr(m, "\r\n.\r\nMAIL");

		run(&r, m, strlen(m), 0, 0, 0, 0);
		T_EQ_INT(r.status, DOT_END);
		T_EQ_INT(r.error, DOT_OK);
		T_EQ_INT(r.eightbit, 1);
		T_EQ_INT(r.consumed, (size_t)(end - m) + 5);
		T_ASSERT(strstr(r.out.data, "\r\n.a line that began") != NULL);
		T_ASSERT(strstr(r.out.data, "\r\n..\r\n.\r\n\r\n--b1--\r\n") != NULL);
		T_EQ_INT(r.out.len, (size_t)(end - m) + 2 - 3);
		buf_free(&r.out);
	}
}

/* An independent, byte-at-a-time model of the decoder. */
struct model {
	int		 st;	/* 0 bol, 1 text, 2 cr, 3 dot, 4 dotcr */
	size_t		 linelen, size, max;
	enum dot_error	 error;
	int		 eightbit;
	struct buf	 out;
};

static void
model_put(struct model *m, char c)
{
	if (m->error)
		return;
	if (m->size == m->max) {
		m->error = DOT_ERR_TOO_BIG;
		return;
	}
	buf_addc(&m->out, c);
	m->size++;
}

static void
model_err(struct model *m, enum dot_error e)
{
	if (!m->error)
		m->error = e;
}

/* Returns the octets consumed; *ended says whether the end marker was seen. */
static size_t
model_run(struct model *m, const unsigned char *in, size_t len, int *ended)
{
	size_t	 i;

	*ended = 0;
	for (i = 0; i < len; i++) {
		unsigned char	 c = in[i];

		if (m->st == 0) {
			m->linelen = 0;
			if (c == '.') {
				m->st = 3;
				continue;
			}
			m->st = 1;
		} else if (m->st == 3) {
			if (c == '\r') {
				m->st = 4;
				continue;
			}
			m->st = 1;
		} else if (m->st == 4) {
			if (c == '\n') {
				*ended = 1;
				return i + 1;
			}
			model_err(m, DOT_ERR_BARE_CR);
			m->st = 1;
		} else if (m->st == 2) {
			if (c == '\n') {
				model_put(m, '\r');
				model_put(m, '\n');
				m->st = 0;
				continue;
			}
			model_err(m, DOT_ERR_BARE_CR);
			m->st = 1;
		}
		if (c == '\r') {
			m->st = 2;
			continue;
		}
		if (c == '\n') {
			model_err(m, DOT_ERR_BARE_LF);
			continue;
		}
		if (c >= 0x80)
			m->eightbit = 1;
		if (++m->linelen > DOT_LINE_MAX - 2)
			model_err(m, DOT_ERR_LINE_TOO_LONG);
		if (c == '\0')
			model_err(m, DOT_ERR_NUL);
		model_put(m, (char)c);
	}
	return len;
}

static void
test_against_model(void)
{
	static const char alphabet[] = "\r\n.\r\n.a\0\x80 x";
	unsigned char	 in[3000];
	unsigned	 iter;

	srand(4242);
	for (iter = 0; iter < 3000; iter++) {
		struct model	 m;
		struct result	 r;
		size_t		 len, i, cons, max;
		int		 ended;

		len = (size_t)(rand() % (iter < 2500 ? 40 : 2500));
		for (i = 0; i < len; i++) {
			/* Mostly text, so that long lines happen too. */
			if (iter >= 2500 && rand() % 100 < 97)
				in[i] = 'q';
			else
				in[i] = (unsigned char)alphabet[rand() %
				    (sizeof(alphabet) - 1)];
		}
		max = (size_t)(rand() % 4 == 0 ? rand() % 30 + 1 : 0);
		memset(&m, 0, sizeof(m));
		m.max = max ? max : SIZE_MAX;
		buf_init(&m.out, 0);
		cons = model_run(&m, in, len, &ended);
		run(&r, (const char *)in, len, max, iter % 3 == 0 ? 0 : -1,
		    iter, 0);
		if (r.status != (ended ? DOT_END : DOT_MORE) ||
		    r.consumed != cons || r.error != m.error ||
		    r.eightbit != m.eightbit || r.out.len != m.out.len ||
		    (r.out.len && memcmp(r.out.data, m.out.data, r.out.len))) {
			t_fail(__FILE__, __LINE__, "iteration %u len %zu: "
			    "status %d/%d consumed %zu/%zu error %d/%d "
			    "8bit %d/%d out %zu/%zu", iter, len, r.status,
			    ended, r.consumed, cons, r.error, m.error,
			    r.eightbit, m.eightbit, r.out.len, m.out.len);
			buf_free(&m.out);
			buf_free(&r.out);
			return;
		}
		buf_free(&m.out);
		buf_free(&r.out);
	}
}

static void
test_strerror(void)
{
	T_EQ_STR(dot_strerror(DOT_ERR_BARE_LF),
	    "bare LF in message (CRLF line ends required)");
	T_EQ_STR(dot_strerror(DOT_ERR_TOO_BIG), "message too big");
	T_EQ_STR(dot_strerror((enum dot_error)99), "unknown error");
}

void
test_main(void)
{
	t_run("basic", test_basic);
	t_run("smuggling", test_smuggling);
	t_run("line_length", test_line_length);
	t_run("size", test_size);
	t_run("nul_and_8bit", test_nul_and_8bit);
	t_run("write_error", test_write_error);
	t_run("after_end", test_after_end);
	t_run("large_runs", test_large_runs);
	t_run("chunking", test_chunking);
	t_run("against_model", test_against_model);
	t_run("strerror", test_strerror);
}
