/*
 * MIME parser speed: MiB/s on large messages and time for 100,000 typical
 * 4 KiB messages (parse; parse + ENVELOPE + BODYSTRUCTURE; parse + search
 * text).
 *
 *   make && cc -O2 -std=c17 -D_GNU_SOURCE -Isrc bench/mime_parse.c \
 *       build/libtegami.a -o build/mime_parse && build/mime_parse
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "mail/imap_bodystructure.h"
#include "mail/imap_envelope.h"
#include "mail/mime.h"
#include "mail/mime_text.h"

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A 4 KiB message as mail clients send them: alternative text and HTML, LF line ends. */
static void
typical(struct buf *m, unsigned n)
{
	unsigned	 i;

	buf_reset(m);
	(void)buf_addf(m,
	    "Return-Path: <sender%u@example.org>\n"
	    "Delivered-To: rcpt@example.net\n"
	    "Received: from mail.example.org (mail.example.org [192.0.2.1])\n"
	    "\tby mx.example.net (tegami) with ESMTPS id 4F2B7C1A%u\n"
	    "\tfor <rcpt@example.net>; Tue, 3 Nov 2026 10:00:%02u +0000\n"
	    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\n"
	    "\th=from:to:subject:date:message-id; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
	    "\tb=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n"
	    "From: \"Sender Name\" <sender%u@example.org>\n"
	    "To: Recipient <rcpt@example.net>, other@example.net\n"
	    "Cc: =?utf-8?q?J=C3=B6rg?= <j@example.de>\n"
	    "Subject: =?utf-8?b?5pel5pys6Kqe44Gu5Lu25ZCN?= report %u\n"
	    "Date: Tue, 3 Nov 2026 10:00:%02u +0000\n"
	    "Message-ID: <%u.abcdef@example.org>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"=_b%u\"\n\n",
	    n, n, n % 60, n, n, n % 60, n, n);
	(void)buf_addf(m, "--=_b%u\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n", n);
	for (i = 0; i < 18; i++)
		(void)buf_adds(m, "Lorem ipsum dolor sit amet, consectetur adipiscing "
		    "elit, sed do eiusmod =E2=9C=93 tempor.\n");
	(void)buf_addf(m, "--=_b%u\nContent-Type: text/html; charset=utf-8\n\n"
	    "<html><body>\n", n);
	while (m->len < 4000)
		(void)buf_adds(m, "<p>Lorem ipsum dolor sit amet, consectetur.</p>\n");
	(void)buf_addf(m, "</body></html>\n--=_b%u--\n", n);
}

/* size octets: a text part and a base64 attachment of 76-column lines. */
static void
large(struct buf *m, size_t size, int text)
{
	buf_reset(m);
	(void)buf_adds(m, "From: a@example.org\nSubject: large\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\nhello\n--b\n");
	if (text)
		(void)buf_adds(m, "Content-Type: text/plain\n\n");
	else
		(void)buf_adds(m, "Content-Type: application/octet-stream\n"
		    "Content-Transfer-Encoding: base64\n\n");
	while (m->len < size)
		(void)buf_adds(m, text ? "short line of text\n" :
		    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\n");
	(void)buf_adds(m, "--b--\n");
}

int
main(void)
{
	struct buf		 m, out;
	struct mime_tree	*t;
	double			 t0, dt;
	unsigned		 i;
	size_t			 total = 0;
	int			 text;

	setvbuf(stdout, NULL, _IONBF, 0);
	buf_init(&m, (size_t)256 * 1024 * 1024);
	buf_init(&out, 0);
	for (text = 0; text <= 1; text++) {
		large(&m, 64 * 1024 * 1024, text);
		t0 = now();
		for (i = 0; i < 5; i++) {
			t = mime_parse(m.data, m.len);
			mime_free(&t);
		}
		dt = (now() - t0) / 5;
		printf("%s: %.1f MiB in %.1f ms: %.2f ms/MiB (%.0f MiB/s)\n",
		    text ? "64 MiB of 19-octet text lines" :
		    "64 MiB base64 attachment", (double)m.len / 1048576, dt * 1e3,
		    dt * 1e3 / ((double)m.len / 1048576),
		    ((double)m.len / 1048576) / dt);
	}
	t0 = now();
	for (i = 0; i < 100000; i++) {
		typical(&m, i);
		total += m.len;
	}
	dt = now() - t0;	/* building the messages, subtracted below */
	t0 = now();
	for (i = 0; i < 100000; i++) {
		typical(&m, i);
		t = mime_parse(m.data, m.len);
		mime_free(&t);
	}
	printf("100000 messages of %zu octets on average: parse %.3f s (%.2f us each)\n",
	    total / 100000, now() - t0 - dt, (now() - t0 - dt) * 10);
	t0 = now();
	for (i = 0; i < 100000; i++) {
		typical(&m, i);
		t = mime_parse(m.data, m.len);
		buf_reset(&out);
		(void)imap_envelope(&out, t, 0);
		(void)imap_bodystructure(&out, t, 0, 1);
		mime_free(&t);
	}
	printf("100000 messages: parse + ENVELOPE + BODYSTRUCTURE %.3f s (%.2f us each)\n",
	    now() - t0 - dt, (now() - t0 - dt) * 10);
	t0 = now();
	for (i = 0; i < 100000; i++) {
		typical(&m, i);
		t = mime_parse(m.data, m.len);
		buf_reset(&out);
		(void)mime_text_search(&out, m.data, t,
		    MIME_TEXT_HEADERS | MIME_TEXT_BODIES);
		mime_free(&t);
	}
	printf("100000 messages: parse + search text (UTF-8 headers and bodies) %.3f s (%.2f us each)\n",
	    now() - t0 - dt, (now() - t0 - dt) * 10);
	buf_free(&m);
	buf_free(&out);
	return 0;
}
