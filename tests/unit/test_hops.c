/* Tests for mail/hops: Received and our Delivered-To fields counted in the header only, in any chunking. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/hops.h"

static int
ours(void *arg, const char *addr)
{
	return strcasecmp(addr, arg) == 0;
}

/* The counts of text fed whole, and fed split at every offset: the same or -1. */
static int
count(const char *text, const char *me)
{
	struct hops	 h;
	size_t		 n = strlen(text), i;
	int		 whole;

	hops_init(&h, ours, (void *)me);
	hops_feed(&h, text, n);
	hops_end(&h);
	whole = (int)hops_count(&h);
	for (i = 0; i <= n; i++) {
		hops_init(&h, ours, (void *)me);
		hops_feed(&h, text, i);
		hops_feed(&h, text + i, n - i);
		hops_end(&h);
		if ((int)hops_count(&h) != whole) {
			fprintf(stderr, "  split at %zu: %u, whole: %d\n", i,
			    hops_count(&h), whole);
			return -1;
		}
	}
	return whole;
}

static void
test_counts(void)
{
	T_EQ_INT(count("Received: from a by b; date\r\nReceived: x\r\n"
	    "Subject: hi\r\n\r\nReceived: in the body\r\n", NULL), 2);
	/* LF line ends (the queue's), case, folding. */
	T_EQ_INT(count("received: x\n\tfolded on\nRECEIVED:y\nX-Received: no\n"
	    "Received-SPF: no\n\nReceived: body\n", NULL), 2);
	/* Delivered-To counts only for one of ours, with or without brackets. */
	T_EQ_INT(count("Delivered-To: alice@example.org\r\nDelivered-To: "
	    "<ALICE@example.org> \r\nDelivered-To: bob@example.org\r\n"
	    "Delivered-To:\r\n alice@example.org\r\n\r\n", "alice@example.org"), 3);
	/* The last field before the end of a message with no body. */
	T_EQ_INT(count("Delivered-To: alice@example.org", "alice@example.org"), 1);
	/* No body separator: a line without a colon is not a field. */
	T_EQ_INT(count("Received: a\r\nnot a field\r\nReceived: b\r\n", NULL), 2);
	/* Not at a line start, a bare CR, a long name. */
	T_EQ_INT(count("Subject: Received: x\r\n\rReceived: y\r\n"
	    "Xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxreceived: z\r\n\r\n", NULL), 0);
	T_EQ_INT(count("", NULL), 0);
	T_EQ_INT(count("\r\nReceived: x\r\n", NULL), 0);
}

static void
test_limits(void)
{
	struct buf	 b;
	struct hops	 h;
	int		 i;

	/* The audit's message: 150 Received fields. */
	buf_init(&b, 0);
	for (i = 0; i < 150; i++)
		buf_addf(&b, "Received: from h%d by h%d; Thu, 1 Jan 2026\r\n", i, i + 1);
	buf_adds(&b, "\r\nbody\r\n");
	hops_init(&h, NULL, NULL);
	hops_feed(&h, b.data, b.len);
	T_EQ_INT(hops_count(&h), 150);
	T_ASSERT(h.done);
	T_ASSERT(hops_count(&h) >= HOPS_MAX);
	/* A header past HOPS_HEADER_MAX is not read on. */
	buf_reset(&b);
	buf_adds(&b, "X-Long: ");
	while (b.len < HOPS_HEADER_MAX)
		buf_adds(&b, "aaaaaaaaaaaaaaaa");
	buf_adds(&b, "\r\nReceived: late\r\n\r\n");
	hops_init(&h, NULL, NULL);
	hops_feed(&h, b.data, b.len);
	T_EQ_INT(hops_count(&h), 0);
	T_ASSERT(h.done);
	buf_free(&b);
}

void
test_main(void)
{
	t_run("counts", test_counts);
	t_run("limits", test_limits);
}
