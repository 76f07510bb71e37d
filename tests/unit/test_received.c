/* Tests for src/mail/received.c: the Received: header, protocol names, dates, sanitising. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/received.h"

#define T_2006	((time_t)1136239445)	/* Mon, 2 Jan 2006 22:04:05 UTC */

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* Every line ends in CRLF, no CR or LF elsewhere, continuation lines start with a tab, none over 998. */
static int
well_folded(const char *h, size_t len)
{
	size_t	 i, start = 0;

	for (i = 0; i < len; i++) {
		if (h[i] == '\r') {
			if (i + 1 >= len || h[i + 1] != '\n')
				return 0;
			if (i - start > 998)
				return 0;
			i++;
			start = i + 1;
			if (start < len && h[start] != '\t')
				return 0;
		} else if (h[i] == '\n' || (unsigned char)h[i] < 0x09 ||
		    ((unsigned char)h[i] > 0x09 && (unsigned char)h[i] < 0x20))
			return 0;
	}
	return len >= 2 && h[len - 2] == '\r' && h[len - 1] == '\n';
}

/* Outside quoted strings, unescaped parentheses pair up on every line. */
static int
comments_balanced(const char *h)
{
	int	 depth = 0, quoted = 0;

	for (; *h; h++) {
		if (*h == '\\' && (depth > 0 || quoted) && h[1] != '\0')
			h++;
		else if (*h == '"' && depth == 0)
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (*h == '(')
			depth++;
		else if (*h == ')' && --depth < 0)
			return 0;
		else if (*h == '\n' && depth != 0)
			return 0;
	}
	return depth == 0 && !quoted;
}

static void
test_full(void)
{
	struct received_info	 ri;
	struct buf		 b;

	set_tz("UTC0");
	memset(&ri, 0, sizeof(ri));
	ri.helo = "client.example.net";
	ri.rdns = "mail.example.net";
	ri.addr = "192.0.2.7";
	ri.hostname = "mx.example.org";
	ri.protocol = received_protocol(1, 1, 1, 0);
	ri.tls_version = "TLSv1.3";
	ri.tls_cipher = "TLS_AES_256_GCM_SHA384";
	ri.tls_bits = 256;
	ri.auth_user = "alice@example.org";
	ri.queue_id = "0123456789abcdef";
	ri.recipient = "bob@example.org";
	ri.when = T_2006;
	buf_init(&b, 0);
	T_EQ_INT(received_header(&b, &ri), 0);
	T_EQ_STR(b.data,
	    "Received: from client.example.net (mail.example.net [192.0.2.7])\r\n"
	    "\tby mx.example.org (tegami) with ESMTPSA id 0123456789abcdef\r\n"
	    "\t(TLSv1.3:TLS_AES_256_GCM_SHA384:256)\r\n"
	    "\t(authenticated as alice@example.org)\r\n"
	    "\tfor <bob@example.org>;\r\n"
	    "\tMon, 2 Jan 2006 22:04:05 +0000\r\n");
	T_ASSERT(well_folded(b.data, b.len));
	buf_free(&b);
}

static void
test_minimal(void)
{
	struct received_info	 ri;
	struct buf		 b;

	set_tz("UTC0");
	memset(&ri, 0, sizeof(ri));
	ri.helo = "[192.0.2.7]";
	ri.addr = "2001:db8::7";
	ri.hostname = "mx.example.org";
	ri.protocol = received_protocol(0, 0, 0, 0);
	ri.queue_id = "q1";
	ri.when = T_2006;
	buf_init(&b, 0);
	/* Appends: what was in the buffer stays. */
	buf_adds(&b, "X: y\r\n");
	T_EQ_INT(received_header(&b, &ri), 0);
	T_EQ_STR(b.data,
	    "X: y\r\n"
	    "Received: from [192.0.2.7] (unknown [IPv6:2001:db8::7])\r\n"
	    "\tby mx.example.org (tegami) with SMTP id q1;\r\n"
	    "\tMon, 2 Jan 2006 22:04:05 +0000\r\n");
	buf_reset(&b);
	/* No HELO, no address (a local submission). */
	ri.helo = NULL;
	ri.addr = NULL;
	ri.queue_id = NULL;
	T_EQ_INT(received_header(&b, &ri), 0);
	T_EQ_STR(b.data,
	    "Received: from unknown (unknown)\r\n"
	    "\tby mx.example.org (tegami) with SMTP;\r\n"
	    "\tMon, 2 Jan 2006 22:04:05 +0000\r\n");
	buf_free(&b);
}

static void
test_mask_src(void)
{
	struct received_info	 ri;
	struct buf		 b;

	set_tz("UTC0");
	memset(&ri, 0, sizeof(ri));
	ri.helo = "secret.example.net";
	ri.rdns = "secret.example.net";
	ri.addr = "192.0.2.7";
	ri.mask_src = 1;
	ri.hostname = "mx.example.org";
	ri.protocol = received_protocol(1, 0, 0, 1);
	ri.queue_id = "q2";
	ri.recipient = "\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b.jp";
	ri.when = T_2006;
	buf_init(&b, 0);
	T_EQ_INT(received_header(&b, &ri), 0);
	T_EQ_STR(b.data,
	    "Received: by mx.example.org (tegami) with UTF8SMTP id q2\r\n"
	    "\tfor <\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b.jp>;\r\n"
	    "\tMon, 2 Jan 2006 22:04:05 +0000\r\n");
	T_ASSERT(strstr(b.data, "secret") == NULL);
	T_ASSERT(strstr(b.data, "192.0.2.7") == NULL);
	buf_free(&b);
}

static void
test_sanitise(void)
{
	struct received_info	 ri;
	struct buf		 b;

	set_tz("UTC0");
	memset(&ri, 0, sizeof(ri));
	ri.helo = "evil\r\nX-Injected: yes (x);";
	ri.rdns = "a(b)c\\d\r\n";
	ri.addr = "192.0.2.7]) by fake";
	ri.hostname = "mx.example.org";
	ri.protocol = "ESMTP";
	ri.tls_version = "TLSv1.2)";
	ri.tls_cipher = "X\n";
	ri.auth_user = "bob) (by admin\x01";
	ri.queue_id = "id;\r\nX";
	ri.recipient = "\"john doe\"@x.y\r\nBcc: z\x80";
	ri.when = T_2006;
	buf_init(&b, 0);
	T_EQ_INT(received_header(&b, &ri), 0);
	T_EQ_STR(b.data,
	    "Received: from evil??X-Injected:?yes??x?? (a\\(b\\)c\\\\d?? [192.0.2.7???by?fake])\r\n"
	    "\tby mx.example.org (tegami) with ESMTP id id???X\r\n"
	    "\t(TLSv1.2\\):X?)\r\n"
	    "\t(authenticated as bob\\) \\(by admin?)\r\n"
	    "\tfor <\"john doe\"@x.y??Bcc: z?>;\r\n"
	    "\tMon, 2 Jan 2006 22:04:05 +0000\r\n");
	T_ASSERT(well_folded(b.data, b.len));
	T_ASSERT(comments_balanced(b.data));
	buf_free(&b);
}

static void
test_long_fields(void)
{
	struct received_info	 ri;
	struct buf		 b;
	char			 big[2000], paren[1000];

	set_tz("UTC0");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(paren, '(', sizeof(paren) - 1);
	paren[sizeof(paren) - 1] = '\0';
	memset(&ri, 0, sizeof(ri));
	ri.helo = big;
	ri.rdns = paren;
	ri.addr = big;
	ri.hostname = big;
	ri.protocol = "ESMTP";
	ri.auth_user = paren;
	ri.tls_version = paren;
	ri.tls_cipher = paren;
	ri.queue_id = big;
	ri.recipient = big;
	ri.when = T_2006;
	buf_init(&b, 0);
	T_EQ_INT(received_header(&b, &ri), 0);
	T_ASSERT(well_folded(b.data, b.len));
	T_ASSERT(comments_balanced(b.data));
	T_ASSERT(b.len < 4096);
	buf_free(&b);
}

static void
test_full_buffer(void)
{
	struct received_info	 ri;
	struct buf		 b;

	memset(&ri, 0, sizeof(ri));
	ri.helo = "client.example.net";
	ri.hostname = "mx.example.org";
	ri.protocol = "ESMTP";
	ri.when = T_2006;
	buf_init(&b, 40);
	buf_adds(&b, "kept");
	T_EQ_INT(received_header(&b, &ri), -1);
	T_EQ_INT(b.len, 4);
	T_EQ_STR(b.data, "kept");
	buf_free(&b);
}

static void
test_protocol(void)
{
	/* RFC 3848 and RFC 6531 3.7.3 names. */
	T_EQ_STR(received_protocol(0, 0, 0, 0), "SMTP");
	T_EQ_STR(received_protocol(1, 0, 0, 0), "ESMTP");
	T_EQ_STR(received_protocol(1, 1, 0, 0), "ESMTPS");
	T_EQ_STR(received_protocol(1, 0, 1, 0), "ESMTPA");
	T_EQ_STR(received_protocol(1, 1, 1, 0), "ESMTPSA");
	T_EQ_STR(received_protocol(1, 0, 0, 1), "UTF8SMTP");
	T_EQ_STR(received_protocol(1, 1, 0, 1), "UTF8SMTPS");
	T_EQ_STR(received_protocol(1, 0, 1, 1), "UTF8SMTPA");
	T_EQ_STR(received_protocol(1, 1, 1, 1), "UTF8SMTPSA");
}

static void
test_date(void)
{
	char	 d[64];

	set_tz("UTC0");
	received_date(d, sizeof(d), T_2006);
	T_EQ_STR(d, "Mon, 2 Jan 2006 22:04:05 +0000");
	set_tz("JST-9");
	received_date(d, sizeof(d), T_2006);
	T_EQ_STR(d, "Tue, 3 Jan 2006 07:04:05 +0900");
	set_tz("NST3:30");
	received_date(d, sizeof(d), T_2006);
	T_EQ_STR(d, "Mon, 2 Jan 2006 18:34:05 -0330");
	set_tz("NPT-5:45");
	received_date(d, sizeof(d), (time_t)1709166600);
	T_EQ_STR(d, "Thu, 29 Feb 2024 06:15:00 +0545");
	set_tz("UTC0");
	received_date(d, sizeof(d), (time_t)0);
	T_EQ_STR(d, "Thu, 1 Jan 1970 00:00:00 +0000");
}

/* Local enqueue: who it was, as the peer's uid and its name (a comment, made safe). */
static void
test_local(void)
{
	struct received_info	 ri;
	struct buf		 b;

	set_tz("UTC0");
	memset(&ri, 0, sizeof(ri));
	ri.mask_src = 1;
	ri.hostname = "mx.example.org";
	ri.protocol = received_protocol(1, 0, 0, 0);
	ri.queue_id = "q3";
	ri.local = 1;
	ri.local_uid = 1000;
	ri.local_user = "alice";
	ri.when = T_2006;
	buf_init(&b, 0);
	T_EQ_INT(received_header(&b, &ri), 0);
	T_EQ_STR(b.data,
	    "Received: by mx.example.org (tegami, from userid 1000 (alice)) "
	    "with ESMTP id q3;\r\n"
	    "\tMon, 2 Jan 2006 22:04:05 +0000\r\n");
	buf_reset(&b);
	ri.local_uid = 4294967294u;
	ri.local_user = "ev)il\r\n";
	T_EQ_INT(received_header(&b, &ri), 0);
	T_ASSERT(strstr(b.data, "(tegami, from userid 4294967294 (ev\\)il?" "?)) with") != NULL);
	buf_reset(&b);
	ri.local_user = NULL;
	T_EQ_INT(received_header(&b, &ri), 0);
	T_ASSERT(strstr(b.data, "(tegami, from userid 4294967294) with") != NULL);
	buf_free(&b);
}

void
test_main(void)
{
	t_run("local", test_local);
	t_run("full", test_full);
	t_run("minimal", test_minimal);
	t_run("mask_src", test_mask_src);
	t_run("sanitise", test_sanitise);
	t_run("long_fields", test_long_fields);
	t_run("full_buffer", test_full_buffer);
	t_run("protocol", test_protocol);
	t_run("date", test_date);
}
