/* Tests for the DSN builder: golden report, RET=FULL/HDRS, status codes, remote replies, limits. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lib/buf.h"
#include "queue/bounce.h"

#define T0	1700000000	/* Tue, 14 Nov 2023 22:13:20 +0000 */

static const char original[] =
    "Received: from client.example.com (client.example.com [192.0.2.1])\n"
    "\tby mx.example.org with ESMTP id 0123456789abcdef\n"
    "From: Alice <alice@example.org>\n"
    "To: bob@example.net\n"
    "Subject: lunch\n"
    "Message-ID: <m1@example.org>\n"
    "\n"
    "Shall we meet at noon?\n"
    "Body line two.\n";

/* A temporary file holding data, open for reading. */
static int
tmpfile_with(const char *data, size_t len)
{
	char	 path[] = "/tmp/test_bounce.XXXXXX";
	int	 fd;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct bounce_msg
base_msg(const struct bounce_rcpt *r, size_t n)
{
	struct bounce_msg	 m;

	memset(&m, 0, sizeof(m));
	m.hostname = "mx.example.org";
	m.qid = "0123456789abcdef";
	m.sender = "alice@example.org";
	m.arrival = T0 - 3600;
	m.now = T0;
	m.message_id = "fedcba9876543210.0123456789abcdef@mx.example.org";
	m.rcpts = r;
	m.nrcpts = n;
	return m;
}

/* Builds the report of m over original into out; -1 on error. */
static int
build(const struct bounce_msg *m, const char *orig, struct buf *out, int *e8)
{
	const char	*errstr = NULL;
	int		 fd, r;

	if ((fd = tmpfile_with(orig, strlen(orig))) == -1)
		return -1;
	buf_init(out, 0);
	r = bounce_build(m, fd, strlen(orig), out, e8, &errstr);
	close(fd);
	return r;
}

static const char golden[] =
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
    "To: <alice@example.org>\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
    "Message-ID: <fedcba9876543210.0123456789abcdef@mx.example.org>\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"=_tegami-dsn/0123456789abcdef/0\"\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "\n"
    "--=_tegami-dsn/0123456789abcdef/0\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "This is the mail system at mx.example.org.\n"
    "\n"
    "Your message could not be delivered to the recipients below.\n"
    "The mail system has given up on them; this is a permanent error.\n"
    "\n"
    "<bob@example.net>:\n"
    "    remote-mta=mx.example.net 550 5.1.1 <bob@example.net>: User unknown\n"
    "\n"
    "The header of your message is attached below.\n"
    "For help, write to postmaster@mx.example.org and include this report.\n"
    "\n"
    "--=_tegami-dsn/0123456789abcdef/0\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.org\n"
    "X-Tegami-Queue-ID: 0123456789abcdef\n"
    "Original-Envelope-Id: QQ314159\n"
    "Arrival-Date: Tue, 14 Nov 2023 21:13:20 +0000\n"
    "\n"
    "Original-Recipient: rfc822; Bob+x@example.net\n"
    "Final-Recipient: rfc822; bob@example.net\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.example.net\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: User unknown\n"
    "Last-Attempt-Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
    "\n"
    "--=_tegami-dsn/0123456789abcdef/0\n"
    "Content-Description: Undelivered Message Headers\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "Received: from client.example.com (client.example.com [192.0.2.1])\n"
    "\tby mx.example.org with ESMTP id 0123456789abcdef\n"
    "From: Alice <alice@example.org>\n"
    "To: bob@example.net\n"
    "Subject: lunch\n"
    "Message-ID: <m1@example.org>\n"
    "\n"
    "--=_tegami-dsn/0123456789abcdef/0--\n";

static void
test_golden_failed_headers_only(void)
{
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .orcpt = "rfc822;Bob+2Bx@example.net",
	    .text = "remote-mta=mx.example.net 550 5.1.1 <bob@example.net>: "
	    "User unknown", .last_attempt = T0 };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	int			 e8 = -1;

	m.envid = "QQ314159";
	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_EQ_INT(e8, 0);
	T_EQ_STR(out.data, golden);
	buf_free(&out);
}

static void
test_ret_full_returns_the_whole_message(void)
{
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = "/var/vmail/x: Not a directory" };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	int			 e8;

	m.ret_full = 1;
	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "Content-Type: message/rfc822\n\n"
	    "Received: from client") != NULL);
	T_ASSERT(strstr(out.data, "Shall we meet at noon?\nBody line two.\n\n"
	    "--=_tegami-dsn/0123456789abcdef/0--\n") != NULL);
	T_ASSERT(strstr(out.data, "text/rfc822-headers") == NULL);
	T_ASSERT(strstr(out.data, "Your message is attached below.") != NULL);
	/* Our own failure text: no Diagnostic-Code, default status. */
	T_ASSERT(strstr(out.data, "Status: 5.0.0\n") != NULL);
	T_ASSERT(strstr(out.data, "Diagnostic-Code") == NULL);
	T_ASSERT(strstr(out.data, "Remote-MTA") == NULL);
	T_ASSERT(strstr(out.data, "Original-Recipient") == NULL);
	T_ASSERT(strstr(out.data, "Original-Envelope-Id") == NULL);
	buf_free(&out);
}

/* Fields made after the body travel with the original, first, as delivery puts them. */
static void
test_prepended_fields_come_with_the_original(void)
{
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = "550 no" };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	int			 e8;

	m.prepend = "Authentication-Results: mx.example.org; spf=pass\n";
	T_EQ_INT(build(&m, original, &out, &e8), 0);
	/* Headers only (no RET=FULL): the field is in the kept header, before Received. */
	T_ASSERT(strstr(out.data, "Content-Type: text/rfc822-headers\n\n"
	    "Authentication-Results: mx.example.org; spf=pass\nReceived: from client")
	    != NULL);
	buf_free(&out);
	m.ret_full = 1;
	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "Content-Type: message/rfc822\n\n"
	    "Authentication-Results: mx.example.org; spf=pass\nReceived: from client")
	    != NULL);
	buf_free(&out);
}

static void
test_hdrs_leave_the_body_out(void)
{
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = "x" };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	int			 e8;

	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "Shall we meet") == NULL);
	T_ASSERT(strstr(out.data, "Subject: lunch\n") != NULL);
	buf_free(&out);
}

static void
test_full_over_the_limit_falls_back_to_headers(void)
{
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = "x" };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	char			*big;
	size_t			 hl = strlen("Subject: big\n\n"), n;
	int			 e8;

	n = BOUNCE_FULL_MAX + 10;
	big = malloc(n + 1);
	T_ASSERT(big != NULL);
	memcpy(big, "Subject: big\n\n", hl);
	memset(big + hl, 'a', n - hl);
	big[n - 1] = '\n';
	big[n] = '\0';
	m.ret_full = 1;
	T_EQ_INT(build(&m, big, &out, &e8), 0);
	free(big);
	T_ASSERT(strstr(out.data, "Content-Type: text/rfc822-headers\n\n"
	    "Subject: big\n\n--=_tegami") != NULL);
	T_ASSERT(strstr(out.data, "only its header is attached") != NULL);
	T_ASSERT(out.len < 8192);
	buf_free(&out);
}

static void
test_delay_report(void)
{
	struct bounce_rcpt	 r = { .action = BOUNCE_DELAYED,
	    .rcpt = "carol@example.net", .text = "remote-mta=mx.example.net "
	    "451 4.3.0 try later", .last_attempt = T0,
	    .retry_until = T0 + 86400 };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	int			 e8;

	m.ret_full = 1;		/* no failure: headers only (RFC 3461 4.3) */
	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "Subject: Delayed Mail (still being "
	    "retried)\n") != NULL);
	T_ASSERT(strstr(out.data, "Action: delayed\nStatus: 4.3.0\n") != NULL);
	T_ASSERT(strstr(out.data, "Will-Retry-Until: Wed, 15 Nov 2023 "
	    "22:13:20 +0000\n") != NULL);
	T_ASSERT(strstr(out.data, "Content-Description: Message Headers\n"
	    "Content-Type: text/rfc822-headers\n") != NULL);
	T_ASSERT(strstr(out.data, "Shall we meet") == NULL);
	buf_free(&out);
}

static void
test_success_report_and_mixed(void)
{
	struct bounce_rcpt	 r[2] = {
		{ .action = BOUNCE_DELIVERED, .rcpt = "bob@example.org",
		  .text = "delivered to /vmail/bob/Maildir/new/x" },
		{ .action = BOUNCE_DELIVERED, .rcpt = "list@example.org",
		  .dest = "carol@example.org", .text = "ok" },
	};
	struct bounce_msg	 m = base_msg(r, 2);
	struct buf		 out;
	int			 e8;

	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "Subject: Successful Mail Delivery Report\n")
	    != NULL);
	T_ASSERT(strstr(out.data, "Final-Recipient: rfc822; bob@example.org\n"
	    "Action: delivered\nStatus: 2.0.0\n") != NULL);
	T_ASSERT(strstr(out.data, "Final-Recipient: rfc822; list@example.org\n"
	    "X-Actual-Recipient: rfc822; carol@example.org\n") != NULL);
	T_ASSERT(strstr(out.data, "<list@example.org> (delivered as "
	    "<carol@example.org>):") != NULL);
	buf_free(&out);

	/* A failure among them makes it a bounce. */
	r[1].action = BOUNCE_FAILED;
	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "Subject: Undelivered Mail Returned to "
	    "Sender\n") != NULL);
	T_ASSERT(strstr(out.data, "Action: delivered\n") != NULL);
	T_ASSERT(strstr(out.data, "Action: failed\n") != NULL);
	buf_free(&out);
}

static void
test_expired_keeps_the_temporary_code(void)
{
	struct bounce_rcpt	 r[2] = {
		{ .action = BOUNCE_FAILED, .rcpt = "a@example.net",
		  .status = "4.4.7", .text = "Message expired" },
		{ .action = BOUNCE_FAILED, .rcpt = "b@example.net",
		  .text = "Message expired; last error: 452 4.2.2 mailbox full" },
	};
	struct bounce_msg	 m = base_msg(r, 2);
	struct buf		 out;
	int			 e8;

	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "rfc822; a@example.net\nAction: failed\n"
	    "Status: 4.4.7\n") != NULL);
	T_ASSERT(strstr(out.data, "rfc822; b@example.net\nAction: failed\n"
	    "Status: 4.2.2\n") != NULL);
	buf_free(&out);
}

static void
test_boundary_avoids_the_content(void)
{
	static const char evil[] = "Subject: x\n"
	    "X-A: --=_tegami-dsn/0123456789abcdef/0\n"
	    "X-B: --=_tegami-dsn/0123456789abcdef/1\n\nbody\n";
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = "x" };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	int			 e8;

	T_EQ_INT(build(&m, evil, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "boundary=\"=_tegami-dsn/0123456789abcdef/2\"")
	    != NULL);
	buf_free(&out);
}

static void
test_text_is_cleaned_folded_and_capped(void)
{
	char			 longtext[3000];
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = longtext };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	const char		*p, *line;
	int			 e8;

	snprintf(longtext, sizeof(longtext), "550 5.7.1 evil\r\nInjected: yes");
	for (size_t i = strlen(longtext); i < sizeof(longtext) - 1; i++)
		longtext[i] = i % 10 == 0 ? ' ' : 'w';
	longtext[sizeof(longtext) - 1] = '\0';
	T_EQ_INT(build(&m, original, &out, &e8), 0);
	/* No header line can be forged by a reply holding CR LF. */
	T_ASSERT(strstr(out.data, "\nInjected: yes") == NULL);
	T_ASSERT(strstr(out.data, "Diagnostic-Code: smtp; 550 5.7.1 evil "
	    "Injected: yes") != NULL);
	T_ASSERT(strstr(out.data, "...") != NULL);
	/* Every line within RFC 5322's 998 octets; report fields folded near 78. */
	for (line = out.data; (p = strchr(line, '\n')) != NULL; line = p + 1) {
		T_ASSERT(p - line <= 998);
		if (strncmp(line, "Diagnostic-Code:", 16) == 0 || line[0] == '\t')
			T_ASSERT(p - line <= 80);
	}
	buf_free(&out);
}

static void
test_8bit_content_is_declared(void)
{
	static const char u8[] = "Subject: =?utf-8?q?x?=\nX-Name: J\xc3\xbcrgen\n\n"
	    "b\n";
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = "x" };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	int			 e8 = 0;

	T_EQ_INT(build(&m, u8, &out, &e8), 0);
	T_EQ_INT(e8, 1);
	T_ASSERT(strstr(out.data, "MIME-Version: 1.0\nContent-Type: multipart/"
	    "report") != NULL);
	T_ASSERT(strstr(out.data, "Content-Transfer-Encoding: 8bit\n\nThis is")
	    != NULL);
	T_ASSERT(strstr(out.data, "Content-Type: text/rfc822-headers\n"
	    "Content-Transfer-Encoding: 8bit\n") != NULL);
	buf_free(&out);
}

static void
test_header_without_body_and_empty_message(void)
{
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = "x" };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	int			 e8;

	T_EQ_INT(build(&m, "Subject: no newline", &out, &e8), 0);
	T_ASSERT(strstr(out.data, "Subject: no newline\n\n--=_tegami") != NULL);
	buf_free(&out);
	T_EQ_INT(build(&m, "", &out, &e8), 0);
	T_ASSERT(strstr(out.data, "text/rfc822-headers\n\n\n--=_tegami") != NULL);
	buf_free(&out);
}

static void
test_unreadable_original_fails(void)
{
	struct bounce_rcpt	 r = { .action = BOUNCE_FAILED,
	    .rcpt = "bob@example.net", .text = "x" };
	struct bounce_msg	 m = base_msg(&r, 1);
	struct buf		 out;
	const char		*errstr = NULL;
	int			 fd, e8;

	buf_init(&out, 0);
	buf_adds(&out, "keep");
	/* Shorter than the length the queue says: refused, out unchanged. */
	T_ASSERT((fd = tmpfile_with("Subject: x\n", 11)) != -1);
	T_EQ_INT(bounce_build(&m, fd, 500, &out, &e8, &errstr), -1);
	T_ASSERT(errstr != NULL);
	T_EQ_STR(out.data, "keep");
	close(fd);
	T_EQ_INT(bounce_build(&m, -1, 10, &out, &e8, &errstr), -1);
	T_EQ_STR(out.data, "keep");
	buf_free(&out);
}

static void
test_status_finder(void)
{
	char	 s[16];

	T_EQ_INT(bounce_status("550 5.1.1 <x>: unknown", '5', s), 0);
	T_EQ_STR(s, "5.1.1");
	T_EQ_INT(bounce_status("452 4.2.2 full", '4', s), 0);
	T_EQ_STR(s, "4.2.2");
	T_EQ_INT(bounce_status("550 5.1.1 x", '4', s), -1);
	T_EQ_INT(bounce_status("bad 5.123.456 ok", '5', s), 0);
	T_EQ_STR(s, "5.123.456");
	T_EQ_INT(bounce_status("(5.7.1) denied", '5', s), 0);
	T_EQ_STR(s, "5.7.1");
	T_EQ_INT(bounce_status("5.1.1:", '5', s), 0);
	T_EQ_INT(bounce_status("x5.1.1 y", '5', s), -1);
	T_EQ_INT(bounce_status("5.1234.1", '5', s), -1);
	T_EQ_INT(bounce_status("5.01.1", '5', s), -1);
	T_EQ_INT(bounce_status("5.1.1x", '5', s), -1);
	T_EQ_INT(bounce_status("5.1.", '5', s), -1);
	T_EQ_INT(bounce_status("5.", '5', s), -1);
	T_EQ_INT(bounce_status("", '5', s), -1);
	T_EQ_INT(bounce_status(NULL, '5', s), -1);
	T_EQ_INT(bounce_status("/a/5.1.1", '5', s), -1);
}

static void
test_remote_text(void)
{
	char	 host[16], reply[64];

	T_EQ_INT(bounce_remote("remote-mta=mx.example.net 550 no", host,
	    sizeof(host), reply, sizeof(reply)), 1);
	T_EQ_STR(host, "mx.example.net");
	T_EQ_STR(reply, "550 no");
	T_EQ_INT(bounce_remote("550 5.1.1 (x) no (host mx.example.net)", host,
	    sizeof(host), reply, sizeof(reply)), 1);
	T_EQ_STR(host, "mx.example.net");
	T_EQ_STR(reply, "550 5.1.1 (x) no");
	T_EQ_INT(bounce_remote("connection refused (host 192.0.2.7)", host,
	    sizeof(host), reply, sizeof(reply)), 1);
	T_EQ_STR(host, "192.0.2.7");
	T_EQ_STR(reply, "connection refused");
	T_EQ_INT(bounce_remote("no (host a b)", host, sizeof(host), reply,
	    sizeof(reply)), 0);
	T_EQ_INT(bounce_remote("no (host )", host, sizeof(host), reply,
	    sizeof(reply)), 0);
	T_EQ_INT(bounce_remote("(host x)", host, sizeof(host), reply,
	    sizeof(reply)), 0);
	T_EQ_INT(bounce_remote(" (host x)", host, sizeof(host), reply,
	    sizeof(reply)), 1);
	T_EQ_STR(reply, "");
	T_EQ_INT(bounce_remote("no (host x", host, sizeof(host), reply,
	    sizeof(reply)), 0);
	T_EQ_INT(bounce_remote("remote-mta= 550", host, sizeof(host), reply,
	    sizeof(reply)), 0);
	T_EQ_INT(bounce_remote("remote-mta=x", host, sizeof(host), reply,
	    sizeof(reply)), 0);
	T_EQ_INT(bounce_remote("remote-mta=a-very-long-host-name.example 5",
	    host, sizeof(host), reply, sizeof(reply)), 0);
	T_EQ_INT(bounce_remote("/var/vmail: x", host, sizeof(host), reply,
	    sizeof(reply)), 0);
	T_EQ_INT(bounce_remote(NULL, host, sizeof(host), reply,
	    sizeof(reply)), 0);
}

static void
test_relay_client_form_in_the_report(void)
{
	struct bounce_rcpt	 r[2] = {
		{ .action = BOUNCE_FAILED, .rcpt = "a@example.net",
		  .text = "550 5.7.1 <a@example.net>: denied (host mx.example.net)" },
		{ .action = BOUNCE_FAILED, .rcpt = "b@example.net",
		  .text = "Message expired; last error: connection refused "
		  "(host 192.0.2.7)", .status = "4.4.7" },
	};
	struct bounce_msg	 m = base_msg(r, 2);
	struct buf		 out;
	int			 e8;

	T_EQ_INT(build(&m, original, &out, &e8), 0);
	T_ASSERT(strstr(out.data, "Status: 5.7.1\nRemote-MTA: dns; "
	    "mx.example.net\nDiagnostic-Code: smtp; 550 5.7.1 <a@example.net>: "
	    "denied\n") != NULL);
	/* A connection error names the host but is no SMTP diagnostic. */
	T_ASSERT(strstr(out.data, "Status: 4.4.7\nRemote-MTA: dns; 192.0.2.7\n"
	    "Last-Attempt") != NULL || strstr(out.data, "Status: 4.4.7\n"
	    "Remote-MTA: dns; 192.0.2.7\n\n") != NULL);
	buf_free(&out);
}

static void
test_date(void)
{
	char	 d[40];

	bounce_date(0, d);
	T_EQ_STR(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	bounce_date(951782400, d);	/* leap day */
	T_EQ_STR(d, "Tue, 29 Feb 2000 00:00:00 +0000");
}

void
test_main(void)
{
	t_run("golden_failed_headers_only", test_golden_failed_headers_only);
	t_run("ret_full_returns_the_whole_message",
	    test_ret_full_returns_the_whole_message);
	t_run("hdrs_leave_the_body_out", test_hdrs_leave_the_body_out);
	t_run("prepended_fields_come_with_the_original",
	    test_prepended_fields_come_with_the_original);
	t_run("full_over_the_limit_falls_back_to_headers",
	    test_full_over_the_limit_falls_back_to_headers);
	t_run("delay_report", test_delay_report);
	t_run("success_report_and_mixed", test_success_report_and_mixed);
	t_run("expired_keeps_the_temporary_code",
	    test_expired_keeps_the_temporary_code);
	t_run("boundary_avoids_the_content", test_boundary_avoids_the_content);
	t_run("text_is_cleaned_folded_and_capped",
	    test_text_is_cleaned_folded_and_capped);
	t_run("8bit_content_is_declared", test_8bit_content_is_declared);
	t_run("header_without_body_and_empty_message",
	    test_header_without_body_and_empty_message);
	t_run("unreadable_original_fails", test_unreadable_original_fails);
	t_run("status_finder", test_status_finder);
	t_run("remote_text", test_remote_text);
	t_run("relay_client_form_in_the_report",
	    test_relay_client_form_in_the_report);
	t_run("date", test_date);
}
