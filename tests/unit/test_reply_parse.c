/* Unit tests for the relay client's reply parser, EHLO keywords and the DATA encoder. */
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/dotstuff.h"
#include "mail/reply_parse.h"

static int
feed(struct reply_parse *r, const char *line, const char **errstr)
{
	const char	*lt;
	size_t		 ltlen;

	return reply_parse_feed(r, line, strlen(line), &lt, &ltlen, errstr);
}

static void
test_single_line(void)
{
	struct reply_parse	 r;
	const char		*e;

	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "250 2.1.0 Ok", &e), 1);
	T_EQ_INT(r.code, 250);
	T_EQ_STR(r.text, "250 2.1.0 Ok");
	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "354", &e), 1);	/* a bare code is a complete reply */
	T_EQ_STR(r.text, "354");
}

static void
test_multi_line(void)
{
	struct reply_parse	 r;
	const char		*e;

	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "550-5.1.1 The email account that you tried", &e), 0);
	T_EQ_INT(feed(&r, "550-5.1.1 to reach does not exist.", &e), 0);
	T_EQ_INT(feed(&r, "550 5.1.1 Please check", &e), 1);
	T_EQ_INT(r.code, 550);
	T_EQ_INT(r.nlines, 3);
	/* The repeated enhanced code is dropped from later lines. */
	T_EQ_STR(r.text, "550 5.1.1 The email account that you tried to reach "
	    "does not exist. Please check");
	/* Feeding after the end is an error. */
	T_EQ_INT(feed(&r, "250 ok", &e), -1);
}

static void
test_malformed(void)
{
	struct reply_parse	 r;
	const char		*e;

	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "25", &e), -1);
	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "abc hello", &e), -1);
	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "650 no such class", &e), -1);
	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "199 too low", &e), -1);
	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "250_x", &e), -1);
	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "250-first", &e), 0);
	T_EQ_INT(feed(&r, "251 other code", &e), -1);
	T_EQ_STR(e, "reply lines with different codes");
}

static void
test_limits_and_control_bytes(void)
{
	struct reply_parse	 r;
	const char		*e;
	char			 line[REPLY_PARSE_LINE_MAX + 2];
	int			 i;

	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "421 bad\x01\x7f" "byte", &e), 1);
	T_EQ_STR(r.text, "421 bad??byte");
	/* The audit's relay reply: 0x9B (CSI) alone, as U+009B, an OSC title, a bidi override. */
	reply_parse_init(&r);
	T_EQ_INT(feed(&r, "550 5.1.1 no\x9b[31m \xc2\x9b\x1b]0;x\x07 \xe2\x80\xae"
	    "ok \xe6\x97\xa5", &e), 1);
	T_EQ_STR(r.text, "550 5.1.1 no?[31m ???]0;x? ???ok \xe6\x97\xa5");
	reply_parse_init(&r);
	for (i = 0; i < REPLY_PARSE_LINES_MAX; i++)
		T_EQ_INT(feed(&r, "250-x", &e), 0);
	T_EQ_INT(feed(&r, "250 x", &e), -1);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "250 ", 4);
	reply_parse_init(&r);
	T_EQ_INT(feed(&r, line, &e), -1);
	/* Text beyond REPLY_PARSE_TEXT_MAX is cut, NUL-terminated. */
	reply_parse_init(&r);
	line[REPLY_PARSE_LINE_MAX - 1] = '\0';
	memcpy(line, "250-", 4);
	T_EQ_INT(feed(&r, line, &e), 0);
	T_EQ_INT(r.len, sizeof(r.text) - 1);
	T_EQ_INT(strlen(r.text), sizeof(r.text) - 1);
}

static void
test_ehlo_caps(void)
{
	struct ehlo_caps	 c;

	memset(&c, 0, sizeof(c));
	ehlo_caps_line(&c, "PIPELINING", 10);
	ehlo_caps_line(&c, "SIZE 35882577", 13);
	ehlo_caps_line(&c, "8bitmime", 8);
	ehlo_caps_line(&c, "AUTH LOGIN PLAIN XOAUTH2", 24);
	ehlo_caps_line(&c, "STARTTLS", 8);
	ehlo_caps_line(&c, "DSN", 3);
	ehlo_caps_line(&c, "SMTPUTF8", 8);
	ehlo_caps_line(&c, "CHUNKING", 8);
	T_EQ_INT(c.ext, EHLO_EXT_PIPELINING | EHLO_EXT_SIZE | EHLO_EXT_8BITMIME |
	    EHLO_EXT_AUTH | EHLO_EXT_STARTTLS | EHLO_EXT_DSN | EHLO_EXT_SMTPUTF8 |
	    EHLO_EXT_CHUNKING);
	T_EQ_INT(c.size, 35882577);
	T_EQ_INT(c.auth, EHLO_AUTH_PLAIN | EHLO_AUTH_LOGIN);

	/* Prefixes are not keywords; the old "AUTH=LOGIN" form is understood. */
	memset(&c, 0, sizeof(c));
	ehlo_caps_line(&c, "STARTTLSX", 9);
	ehlo_caps_line(&c, "DSNX", 4);
	ehlo_caps_line(&c, "AUTH=LOGIN", 10);
	T_EQ_INT(c.ext, EHLO_EXT_AUTH);
	T_EQ_INT(c.auth, EHLO_AUTH_LOGIN);
	memset(&c, 0, sizeof(c));
	ehlo_caps_line(&c, "SIZE", 4);
	T_EQ_INT(c.ext, EHLO_EXT_SIZE);
	T_EQ_INT(c.size, 0);	/* no limit given */
	ehlo_caps_line(&c, "SIZE 99999999999999999999999", 27);
	T_EQ_INT(c.size, 0);	/* absurd: no limit */
}

static void
encode_all(const char *in, const size_t *cuts, size_t ncuts, struct buf *out)
{
	struct dotstuff	 d;
	size_t		 i, prev = 0;

	dotstuff_init(&d);
	for (i = 0; i <= ncuts; i++) {
		size_t	 end = i < ncuts ? cuts[i] : strlen(in);

		dotstuff_encode(&d, in + prev, end - prev, out);
		prev = end;
	}
	dotstuff_end(&d, out);
}

static void
test_data_encoding(void)
{
	static const char	*in = "Subject: x\n\n.a\n..b\nc.\n.\nend";
	static const char	*want = "Subject: x\r\n\r\n..a\r\n...b\r\nc.\r\n..\r\n"
	    "end\r\n.\r\n";
	struct buf		 out;
	size_t			 cuts[40], i, n;

	buf_init(&out, 0);
	encode_all(in, NULL, 0, &out);
	T_EQ_STR(out.data, want);
	/* Every split into two and three chunks gives the same bytes. */
	n = strlen(in);
	for (i = 0; i <= n; i++) {
		buf_reset(&out);
		cuts[0] = i;
		encode_all(in, cuts, 1, &out);
		T_EQ_STR(out.data, want);
		if (i + 1 <= n) {
			buf_reset(&out);
			cuts[1] = i + 1;
			encode_all(in, cuts, 2, &out);
			T_EQ_STR(out.data, want);
		}
	}
	/* A message ending in LF gets no extra line. */
	buf_reset(&out);
	encode_all("a\n", NULL, 0, &out);
	T_EQ_STR(out.data, "a\r\n.\r\n");
	buf_reset(&out);
	encode_all("", NULL, 0, &out);
	T_EQ_STR(out.data, ".\r\n");
	buf_free(&out);
}

/*
 * A lone CR in a stored message (what BDAT let through before it refused
 * bare CR) leaves as a line end of its own, dot-stuffed: the audit's
 * "A<CR>.<CR>MAIL FROM" never reaches the next server as "<CR>.<CR>".
 */
static void
test_data_encoding_lone_cr(void)
{
	static const char	*in = "A\r.\rMAIL FROM:<x@evil.test>\rB\nC\r\nD\r";
	static const char	*want = "A\r\n..\r\nMAIL FROM:<x@evil.test>\r\nB\r\n"
	    "C\r\nD\r\n.\r\n";
	struct buf		 out;
	size_t			 cuts[2], i, n = strlen(in);

	buf_init(&out, 0);
	for (i = 0; i <= n; i++) {
		buf_reset(&out);
		cuts[0] = i;
		encode_all(in, cuts, 1, &out);
		T_EQ_STR(out.data, want);
	}
	buf_reset(&out);
	encode_all("\r\r\n.\r", NULL, 0, &out);
	T_EQ_STR(out.data, "\r\n\r\n..\r\n.\r\n");
	buf_free(&out);
}

void
test_main(void)
{
	t_run("single_line", test_single_line);
	t_run("data_encoding_lone_cr", test_data_encoding_lone_cr);
	t_run("multi_line", test_multi_line);
	t_run("malformed", test_malformed);
	t_run("limits_and_control_bytes", test_limits_and_control_bytes);
	t_run("ehlo_caps", test_ehlo_caps);
	t_run("data_encoding", test_data_encoding);
}
