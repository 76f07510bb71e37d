/* Unit tests for format specifiers, starting with every example of smtpd.conf(5). */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "route/format.h"
#include "lib/buf.h"

static char	 result[1024];
static const char *err;

/* The expansion of fmt, or "ERR: <message>". */
static const char *
expand(const char *fmt, const struct format_ctx *ctx)
{
	struct buf	 b;

	buf_init(&b, 0);
	err = NULL;
	if (format_expand(&b, fmt, ctx, &err) == -1)
		snprintf(result, sizeof(result), "ERR: %s", err);
	else
		snprintf(result, sizeof(result), "%s", b.data ? b.data : "");
	buf_free(&b);
	return result;
}

static struct format_ctx
ctx_rcpt(const char *rcpt)
{
	struct format_ctx	 c;

	memset(&c, 0, sizeof(c));
	c.sender = "sender+x@Origin.example";
	c.rcpt = rcpt;
	c.dest = rcpt;
	c.user_name = "vmail";
	c.user_dir = "/home/vmail";
	c.mbox_from = "sender@origin.example";
	c.sub_addr_delim = '+';
	return c;
}

static void
test_manpage_slices(void)
{
	struct format_ctx	 c = ctx_rcpt("someone@example.org");

	T_EQ_STR(expand("%{rcpt.domain[0]}", &c), "e");
	T_EQ_STR(expand("%{rcpt.domain[1]}", &c), "x");
	T_EQ_STR(expand("%{rcpt.domain[8:]}", &c), "org");
	T_EQ_STR(expand("%{rcpt.domain[-3:]}", &c), "org");
	T_EQ_STR(expand("%{rcpt.domain[0:6]}", &c), "example");
	T_EQ_STR(expand("%{rcpt.domain[0:-4]}", &c), "example");
}

static void
test_manpage_modifiers(void)
{
	struct format_ctx	 c = ctx_rcpt("User+Tag@Example.org");

	T_EQ_STR(expand("%{rcpt:lowercase}", &c), "user+tag@example.org");
	T_EQ_STR(expand("%{rcpt:uppercase}", &c), "USER+TAG@EXAMPLE.ORG");
	T_EQ_STR(expand("%{rcpt:strip}", &c), "User@Example.org");
	T_EQ_STR(expand("%{rcpt:lowercase|strip}", &c), "user@example.org");
}

static void
test_manpage_sanitise(void)
{
	struct format_ctx	 c = ctx_rcpt("user+t?g@example.org");

	T_EQ_STR(expand("%{rcpt}", &c), "user+t:g@example.org");
	T_EQ_STR(expand("%{rcpt:raw}", &c), "user+t?g@example.org");
}

static void
test_tokens(void)
{
	struct format_ctx	 c = ctx_rcpt("bob@example.org");

	c.dest = "Robert@Mail.Example.org";
	c.mda = "/usr/bin/procmail -f -";
	T_EQ_STR(expand("%{sender}", &c), "sender+x@Origin.example");
	T_EQ_STR(expand("%{sender.user}", &c), "sender+x");
	T_EQ_STR(expand("%{sender.domain}", &c), "Origin.example");
	T_EQ_STR(expand("%{rcpt.user}/%{rcpt.domain}", &c), "bob/example.org");
	T_EQ_STR(expand("%{dest}", &c), "Robert@Mail.Example.org");
	T_EQ_STR(expand("%{dest.user:lowercase}", &c), "robert");
	T_EQ_STR(expand("%{dest.domain}", &c), "Mail.Example.org");
	T_EQ_STR(expand("%{user.username}", &c), "vmail");
	T_EQ_STR(expand("%{user.directory}/Maildir", &c), "/home/vmail/Maildir");
	T_EQ_STR(expand("%{mbox.from}", &c), "sender@origin.example");
	/* The mda command of a wrapper is the system's, kept whole. */
	T_EQ_STR(expand("/usr/bin/env %{mda}", &c), "/usr/bin/env /usr/bin/procmail -f -");
	T_EQ_STR(expand("~/Maildir", &c), "/home/vmail/Maildir");
	T_EQ_STR(expand("~", &c), "/home/vmail");
	T_EQ_STR(expand("a~b", &c), "a~b");
	T_EQ_STR(expand("100% of %{RCPT.USER}", &c), "100% of bob");
	T_EQ_STR(expand("", &c), "");
	/* Seed 001's maildir path. */
	T_EQ_STR(expand("/var/vmail/%{dest.domain:lowercase}/%{dest.user:lowercase}", &c),
	    "/var/vmail/mail.example.org/robert");
	/* The null sender. */
	c.sender = "";
	T_EQ_STR(expand("<%{sender}><%{sender.user}><%{sender.domain}>", &c), "<><><>");
	T_EQ_STR(expand("%{sender[0]}", &c), "");
}

static void
test_strip(void)
{
	struct format_ctx	 c = ctx_rcpt("a-b+c@example.org");

	T_EQ_STR(expand("%{rcpt:strip}", &c), "a-b@example.org");
	T_EQ_STR(expand("%{rcpt.user:strip}", &c), "a-b");
	c.sub_addr_delim = '-';
	T_EQ_STR(expand("%{rcpt:strip}", &c), "a@example.org");
	c.sub_addr_delim = '\0';
	T_EQ_STR(expand("%{rcpt:strip}", &c), "a-b+c@example.org");
	/* A leading delimiter is the whole name, not a tag. */
	c = ctx_rcpt("+list@example.org");
	T_EQ_STR(expand("%{rcpt:strip}", &c), "+list@example.org");
	c = ctx_rcpt("plain@example.org");
	T_EQ_STR(expand("%{rcpt:strip|uppercase}", &c), "PLAIN@EXAMPLE.ORG");
}

static void
test_hostile(void)
{
	struct format_ctx	 c = ctx_rcpt("../../etc/passwd@example.org");

	/* Nothing from an envelope can make a path climb or a command split. */
	T_EQ_STR(expand("/var/vmail/%{rcpt.user}", &c), "/var/vmail/:.:..:etc:passwd");
	c = ctx_rcpt("..@example.org");
	T_EQ_STR(expand("/m/%{rcpt.user}/", &c), "/m/:./");
	c = ctx_rcpt("a..@example.org");
	T_EQ_STR(expand("/m/%{rcpt.user[1:]}/", &c), "/m/:./");
	c = ctx_rcpt("x;rm -rf $HOME`id`|y@example.org");
	T_EQ_STR(expand("%{rcpt.user}", &c), "x:rm:-rf::HOME:id::y");
	c = ctx_rcpt("caf\xc3\xa9@example.org");
	T_EQ_STR(expand("%{rcpt.user}", &c), "caf::");
	T_EQ_STR(expand("%{rcpt.user:raw}", &c), "caf\xc3\xa9");
}

static void
test_slices_edges(void)
{
	struct format_ctx	 c = ctx_rcpt("abc@example.org");

	T_EQ_STR(expand("%{rcpt.user[-1]}", &c), "c");
	T_EQ_STR(expand("%{rcpt.user[-3]}", &c), "a");
	T_EQ_STR(expand("%{rcpt.user[-4]}", &c), "ERR: format slice selects nothing");
	T_EQ_STR(expand("%{rcpt.user[0:100]}", &c), "abc");
	T_EQ_STR(expand("%{rcpt.user[1:1]}", &c), "b");
	T_EQ_STR(expand("%{rcpt.user[-10:]}", &c), "ERR: format slice selects nothing");
	T_EQ_STR(expand("%{rcpt.user[3]}", &c), "ERR: format slice beyond the end of the value");
	T_EQ_STR(expand("%{rcpt.user[2:1]}", &c), "ERR: format slice selects nothing");
	/* Modifiers come first, then the slice. */
	T_EQ_STR(expand("%{rcpt.domain[0:6]:uppercase}", &c), "EXAMPLE");
}

static void
test_errors(void)
{
	struct format_ctx	 c = ctx_rcpt("a@b");
	struct buf		 b;

	T_EQ_STR(expand("%{rcpt.usr}", &c), "ERR: unknown format token \"%{rcpt.usr}\"");
	T_EQ_STR(expand("%{}", &c), "ERR: empty format token \"%{}\"");
	T_EQ_STR(expand("%{rcpt:lower}", &c), "ERR: unknown format modifier \"%{rcpt:lower}\"");
	T_EQ_STR(expand("%{rcpt:lowercase|}", &c),
	    "ERR: unknown format modifier \"%{rcpt:lowercase|}\"");
	T_EQ_STR(expand("/x/%{rcpt", &c), "ERR: unterminated %{ in format");
	T_EQ_STR(expand("%{rcpt[}", &c), "ERR: bad slice in format token \"%{rcpt[}\"");
	T_EQ_STR(expand("%{rcpt[1:2:3]}", &c), "ERR: bad slice in format token \"%{rcpt[1:2:3]}\"");
	T_EQ_STR(expand("%{rcpt[a]}", &c), "ERR: bad slice in format token \"%{rcpt[a]}\"");
	T_EQ_STR(expand("%{rcpt[1]x}", &c), "ERR: bad slice in format token \"%{rcpt[1]x}\"");
	T_EQ_STR(expand("%{rcpt[99999999]}", &c),
	    "ERR: bad slice in format token \"%{rcpt[99999999]}\"");
	c.mda = NULL;
	T_EQ_STR(expand("%{mda}", &c), "ERR: format token not available here");
	c.user_dir = NULL;
	T_EQ_STR(expand("~/Maildir", &c), "ERR: home directory not available here");

	/* On error the buffer is left as it was. */
	buf_init(&b, 0);
	buf_adds(&b, "keep");
	T_EQ_INT(format_expand(&b, "/a/%{rcpt}/%{nope}", &c, &err), -1);
	T_EQ_STR(b.data, "keep");
	buf_free(&b);

	/* format_check needs no context. */
	T_EQ_INT(format_check("/var/vmail/%{dest.domain:lowercase}/%{dest.user[0]}/~", &err), 0);
	T_EQ_INT(format_check("~/Maildir", &err), 0);
	T_EQ_INT(format_check("%{user.home}", &err), -1);
	T_EQ_STR(err, "unknown format token \"%{user.home}\"");
}

void
test_main(void)
{
	t_run("manpage_slices", test_manpage_slices);
	t_run("manpage_modifiers", test_manpage_modifiers);
	t_run("manpage_sanitise", test_manpage_sanitise);
	t_run("tokens", test_tokens);
	t_run("strip", test_strip);
	t_run("hostile", test_hostile);
	t_run("slices_edges", test_slices_edges);
	t_run("errors", test_errors);
}
