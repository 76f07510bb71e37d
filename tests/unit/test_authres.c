/* Authentication-Results: authserv-ids read, forged fields of ours removed, our field written; RFC 5322 3.6 counts. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/authres.h"
#include "mail/dkim.h"
#include "mail/msgcheck.h"

static void
test_id(void)
{
	char	 id[300];
	const char *v;

	v = " mx.example.org; spf=pass smtp.mailfrom=a.example";
	T_EQ_INT(authres_id(v, strlen(v), id, sizeof(id)), 14);
	T_EQ_STR(id, "mx.example.org");
	/* Comments and folding before it, a version after it. */
	v = " (a (nested) comment \\) here)\r\n\tMX.Example.ORG 1; none";
	T_EQ_INT(authres_id(v, strlen(v), id, sizeof(id)), 14);
	T_EQ_STR(id, "MX.Example.ORG");
	/* A quoted-string, with a quoted-pair. */
	v = " \"mx.ex\\\"ample.org\"; none";
	T_ASSERT(authres_id(v, strlen(v), id, sizeof(id)) > 0);
	T_EQ_STR(id, "mx.ex\"ample.org");
	/* Nothing, an unclosed comment, an unclosed string, a special first. */
	T_EQ_INT(authres_id("", 0, id, sizeof(id)), -1);
	T_EQ_INT(authres_id(" (open", 6, id, sizeof(id)), -1);
	T_EQ_INT(authres_id(" \"open", 6, id, sizeof(id)), -1);
	T_EQ_INT(authres_id(" ;none", 6, id, sizeof(id)), -1);
	/* Too deep a nest of comments is malformed, not skipped forever. */
	{
		char	 deep[64];

		memset(deep, '(', 40);
		memcpy(deep + 40, "x", 2);
		T_EQ_INT(authres_id(deep, strlen(deep), id, sizeof(id)), -1);
	}
	/* Longer than AUTHRES_ID_MAX, or than out. */
	{
		char	 big[400];

		memset(big, 'a', 300);
		big[300] = '\0';
		T_EQ_INT(authres_id(big, 300, id, sizeof(id)), -1);
		T_EQ_INT(authres_id("abcdef", 6, id, 4), -1);
	}
	v = " mx.example.org.; none";
	T_EQ_INT(authres_is_ours(v, strlen(v), "MX.EXAMPLE.ORG"), 1);
	T_EQ_INT(authres_is_ours(v, strlen(v), "example.org"), 0);
	T_EQ_INT(authres_is_ours(v, strlen(v), NULL), 0);
	v = " mx.example.org.evil; none";
	T_EQ_INT(authres_is_ours(v, strlen(v), "mx.example.org"), 0);
}

static void
test_strip(void)
{
	char		 h[1024];
	size_t		 n, removed;
	const char	*in =
	    "Authentication-Results: mx.example.org; dkim=pass\n"
	    "Received: from a\n"
	    "authentication-results : (forged)\n\tmx.example.org;\n\tdmarc=pass\n"
	    "Authentication-Results: other.example; spf=fail\n"
	    "X-Authentication-Results: mx.example.org; x\n"
	    "Authentication-Results-Other: mx.example.org; x\n"
	    "Subject: hi\n"
	    "\n"
	    "Authentication-Results: mx.example.org; in the body\n";
	const char	*want =
	    "Received: from a\n"
	    "Authentication-Results: other.example; spf=fail\n"
	    "X-Authentication-Results: mx.example.org; x\n"
	    "Authentication-Results-Other: mx.example.org; x\n"
	    "Subject: hi\n"
	    "\n"
	    "Authentication-Results: mx.example.org; in the body\n";

	snprintf(h, sizeof(h), "%s", in);
	n = authres_strip(h, strlen(h), "mx.example.org", &removed);
	h[n] = '\0';
	T_EQ_INT(removed, 2);
	T_EQ_STR(h, want);
	/* CRLF, and a header without a body. */
	snprintf(h, sizeof(h), "A: 1\r\nAuthentication-Results: MX.example.org;\r\n"
	    " none\r\nB: 2\r\n");
	n = authres_strip(h, strlen(h), "mx.example.org", &removed);
	h[n] = '\0';
	T_EQ_INT(removed, 1);
	T_EQ_STR(h, "A: 1\r\nB: 2\r\n");
	/* A field we cannot read stays; nothing of ours: unchanged. */
	snprintf(h, sizeof(h), "Authentication-Results: (unclosed mx.example.org\nB: 2\n");
	T_EQ_INT(authres_strip(h, strlen(h), "mx.example.org", &removed), strlen(h));
	T_EQ_INT(removed, 0);
	/* The last line without its line end. */
	snprintf(h, sizeof(h), "B: 2\nAuthentication-Results: mx.example.org; none");
	n = authres_strip(h, strlen(h), "mx.example.org", NULL);
	h[n] = '\0';
	T_EQ_STR(h, "B: 2\n");
}

static void
test_header(void)
{
	struct buf		 b;
	const char *const	 r[] = { "spf=pass smtp.mailfrom=a.example",
	    "dkim=none", "dmarc=pass (p=none dis=none) header.from=a.example" };

	buf_init(&b, 0);
	T_EQ_INT(authres_header(&b, "mx.example.org", r, 3), 0);
	T_EQ_STR(b.data, "Authentication-Results: mx.example.org;\n"
	    "\tspf=pass smtp.mailfrom=a.example;\n"
	    "\tdkim=none;\n"
	    "\tdmarc=pass (p=none dis=none) header.from=a.example\n");
	/* What we write, we recognise as ours. */
	T_EQ_INT(authres_is_ours(b.data + 23, b.len - 23, "mx.example.org"), 1);
	buf_reset(&b);
	T_EQ_INT(authres_header(&b, "our admd", NULL, 0), 0);
	T_EQ_STR(b.data, "Authentication-Results: \"our admd\"; none\n");
	T_EQ_INT(authres_is_ours(b.data + 23, b.len - 23, "our admd"), 1);
	buf_free(&b);
}

static void
test_counts(void)
{
	struct dkim_hdr	 h[32];
	char		 why[128];
	const char	*errstr;
	size_t		 n, body;
	const char	*ok = "From: a@b.example\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Subject: x\nReceived: a\nReceived: b\n\nbody\n";
	const char	*nodate = "From: a@b.example\nSubject: x\n\n";
	const char	*twofrom = "From: a@b.example\nDate: x\nfrom : c@d.example\n\n";
	const char	*twosubj = "From: a@b.example\nDate: x\nSubject: 1\nSubject: 2\n\n";
	const char	*nofrom = "Date: x\n\n";

	T_EQ_INT(dkim_hdr_split(ok, strlen(ok), h, 32, &n, &body, &errstr), 0);
	T_EQ_INT(msgcheck_counts(h, n, why, sizeof(why)), 0);
	T_EQ_INT(dkim_hdr_split(nodate, strlen(nodate), h, 32, &n, &body, &errstr), 0);
	T_EQ_INT(msgcheck_counts(h, n, why, sizeof(why)), -1);
	T_EQ_STR(why, "no Date header field");
	T_EQ_INT(dkim_hdr_split(twofrom, strlen(twofrom), h, 32, &n, &body, &errstr), 0);
	T_EQ_INT(msgcheck_counts(h, n, why, sizeof(why)), -1);
	T_EQ_STR(why, "2 From header fields");
	T_EQ_INT(dkim_hdr_split(twosubj, strlen(twosubj), h, 32, &n, &body, &errstr), 0);
	T_EQ_INT(msgcheck_counts(h, n, why, sizeof(why)), -1);
	T_EQ_STR(why, "2 Subject header fields");
	T_EQ_INT(dkim_hdr_split(nofrom, strlen(nofrom), h, 32, &n, &body, &errstr), 0);
	T_EQ_INT(msgcheck_counts(h, n, why, sizeof(why)), -1);
	T_EQ_STR(why, "no From header field");
}

void
test_main(void)
{
	t_run("id", test_id);
	t_run("strip", test_strip);
	t_run("header", test_header);
	t_run("counts", test_counts);
}
