/* The From rewrite of masquerading senders and the header-section end. */
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/header.h"

static const char *
rewrite(const char *hdr, const char *addr, int *r)
{
	static struct buf	 out;

	buf_free(&out);
	buf_init(&out, 0);
	*r = header_masquerade_from(&out, hdr, strlen(hdr), addr);
	return out.data ? out.data : "";
}

static void
t_display_name_kept(void)
{
	int	 r;

	T_EQ_STR(rewrite("Subject: s\nFrom: \"Alice A.\" <other@evil.example>\nTo: b@x\n\nbody\n",
	    "alice@example.org", &r),
	    "Subject: s\nFrom: \"Alice A.\" <alice@example.org>\nTo: b@x\n\nbody\n");
	T_EQ_INT(r, 1);
}

static void
t_bare_address_and_folding(void)
{
	int	 r;

	T_EQ_STR(rewrite("from: other@evil.example,\n\tsecond@evil.example\nTo: b@x\n\n",
	    "alice@example.org", &r), "From: alice@example.org\nTo: b@x\n\n");
	T_EQ_INT(r, 1);
}

static void
t_only_first_from_and_not_in_body(void)
{
	int	 r;

	T_EQ_STR(rewrite("To: b@x\n\nFrom: in the body <x@y>\n", "a@b", &r),
	    "To: b@x\n\nFrom: in the body <x@y>\n");
	T_EQ_INT(r, 0);
	T_EQ_STR(rewrite("From: <x@y>\nFrom: <z@y>\n\n", "a@b", &r),
	    "From: <a@b>\nFrom: <z@y>\n\n");
	/* A field merely starting with "From" is another field. */
	T_EQ_STR(rewrite("From-Name: x\n\n", "a@b", &r), "From-Name: x\n\n");
	T_EQ_INT(r, 0);
}

static void
t_header_end(void)
{
	T_EQ_INT(header_end("A: b\n\nbody", 10), 6);
	T_EQ_INT(header_end("A: b\nC: d\n", 10), 0);
	T_EQ_INT(header_end("\nbody", 5), 1);
}

void
test_main(void)
{
	t_run("display_name_kept", t_display_name_kept);
	t_run("bare_address_and_folding", t_bare_address_and_folding);
	t_run("only_first_from", t_only_first_from_and_not_in_body);
	t_run("header_end", t_header_end);
}
