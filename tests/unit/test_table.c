/* Unit tests for table(5) files, inline tables and the role lookups. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "conf/table.h"
#include "route/lookup.h"
#include "lib/xalloc.h"

static char	 tmpdir[] = "/tmp/test_table.XXXXXX";

static char *
write_file(const char *name, const char *data, size_t len)
{
	char	*path = xasprintf("%s/%s", tmpdir, name);
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		abort();
	fwrite(data, 1, len, f);
	fclose(f);
	return path;
}

static struct table *
load_text(const char *name, const char *text, const char **errstr)
{
	char		*path = write_file(name, text, strlen(text));
	struct table	*t = table_new(name, TABLE_FILE, path);

	free(path);
	if (table_load(t, errstr) == -1) {
		table_free(t);
		return NULL;
	}
	return t;
}

static struct sockaddr_storage ss;

static const struct sockaddr *
sa(const char *ip)
{
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		abort();
	return (struct sockaddr *)&ss;
}

static void
test_aliases(void)
{
	const char	*err = NULL;
	struct table	*t;

	t = load_text("aliases",
	    "# aliases(5)\n"
	    "\n"
	    "root: admin, bob\r\n"
	    "Postmaster:root\n"
	    "   MAILER-DAEMON :   postmaster   # trailing comment\n"
	    "abuse\tadmin@example.org\n"
	    "pipe: \"|/usr/bin/vacation bob\"\n"
	    "root: ignored-duplicate\n"
	    "\t# indented comment\n"
	    "error: error:550 gone\n", &err);
	T_ASSERT(t != NULL);
	T_EQ_INT(t->nentries, 6);
	T_EQ_STR(table_get(t, "root"), "admin, bob");
	T_EQ_STR(table_get(t, "Postmaster"), "root");
	T_ASSERT(table_get(t, "postmaster") == NULL);
	T_EQ_STR(table_get_fold(t, "postmaster"), "root");
	T_EQ_STR(table_get_fold(t, "ROOT"), "admin, bob");
	T_EQ_STR(table_get_fold(t, "mailer-daemon"), "postmaster");
	T_EQ_STR(table_get(t, "abuse"), "admin@example.org");
	T_EQ_STR(table_get(t, "pipe"), "\"|/usr/bin/vacation bob\"");
	T_EQ_STR(table_get(t, "error"), "error:550 gone");
	T_ASSERT(table_get(t, "nobody") == NULL);
	table_free(t);
}

static void
test_creds(void)
{
	const char	*err = NULL, *k, *v;
	struct table	*t;
	size_t		 it = 0;

	/* The shared OpenSMTPD/Dovecot passwd file of seed 001, and table(5) creds. */
	t = load_text("passwd",
	    "user@mtkn.jp:$2b$09$abcdefghijklmnopqrstuu5XYmZcF.Ld2VvnqYk9x4tq1bZq9pSa:1000:1000::/home/user::\n"
	    "user1   $2b$10$hIJ4QfMcp.90nJwKqGbKM.MybArjHOTpEtoTV.DgLYAiThuoYmTSe\n"
	    "bob {PLAIN}secret\n", &err);
	T_ASSERT(t != NULL);
	T_EQ_STR(table_get(t, "user@mtkn.jp"),
	    "$2b$09$abcdefghijklmnopqrstuu5XYmZcF.Ld2VvnqYk9x4tq1bZq9pSa:1000:1000::/home/user::");
	T_EQ_STR(table_get_fold(t, "USER@Mtkn.JP"),
	    "$2b$09$abcdefghijklmnopqrstuu5XYmZcF.Ld2VvnqYk9x4tq1bZq9pSa:1000:1000::/home/user::");
	T_EQ_STR(table_get(t, "user1"), "$2b$10$hIJ4QfMcp.90nJwKqGbKM.MybArjHOTpEtoTV.DgLYAiThuoYmTSe");
	T_EQ_STR(table_get(t, "bob"), "{PLAIN}secret");
	/* Iteration is in file order. */
	T_ASSERT(table_iter(t, &it, &k, &v));
	T_EQ_STR(k, "user@mtkn.jp");
	T_ASSERT(table_iter(t, &it, &k, &v));
	T_EQ_STR(k, "user1");
	T_ASSERT(table_iter(t, &it, &k, &v));
	T_EQ_STR(k, "bob");
	T_ASSERT(!table_iter(t, &it, &k, &v));
	table_free(t);
}

static void
test_netaddr(void)
{
	const char	*err = NULL;
	struct table	*t;

	t = load_text("nets",
	    "192.168.1.1\n"
	    "::1\n"
	    "ipv6:2001:db8::/32\n"
	    "10.0.0.0/8\n"
	    "172.16.0.0/12\n"
	    "not-an-address\n", &err);
	T_ASSERT(t != NULL);
	T_EQ_INT(t->nentries, 6);
	T_ASSERT(table_has(t, "::1"));
	T_ASSERT(table_has(t, "ipv6:2001:db8::/32"));
	T_ASSERT(table_get(t, "::1") == NULL);
	T_ASSERT(table_match_netaddr(t, sa("192.168.1.1")));
	T_ASSERT(!table_match_netaddr(t, sa("192.168.1.2")));
	T_ASSERT(table_match_netaddr(t, sa("10.255.0.1")));
	T_ASSERT(table_match_netaddr(t, sa("172.31.255.255")));
	T_ASSERT(!table_match_netaddr(t, sa("172.32.0.0")));
	T_ASSERT(table_match_netaddr(t, sa("::1")));
	T_ASSERT(!table_match_netaddr(t, sa("::2")));
	T_ASSERT(table_match_netaddr(t, sa("2001:db8:ffff::1")));
	T_ASSERT(!table_match_netaddr(t, sa("2001:db9::1")));
	/* IPv4-mapped clients of a dual-stack socket match IPv4 entries. */
	T_ASSERT(table_match_netaddr(t, sa("::ffff:10.1.2.3")));
	T_ASSERT(!table_match_netaddr(t, NULL));
	table_free(t);

	T_ASSERT(table_pattern_netaddr("0.0.0.0/0", sa("203.0.113.9")));
	T_ASSERT(!table_pattern_netaddr("0.0.0.0/0", sa("2001:db8::1")));
	T_ASSERT(table_pattern_netaddr("192.0.2.2/31", sa("192.0.2.3")));
	T_ASSERT(!table_pattern_netaddr("192.0.2.2/31", sa("192.0.2.4")));
	T_ASSERT(table_pattern_netaddr("ipv6:::1", sa("::1")));
	T_ASSERT(!table_pattern_netaddr("10.0.0.0/33", sa("10.0.0.1")));
	T_ASSERT(!table_pattern_netaddr("10.0.0.0/", sa("10.0.0.1")));
	T_ASSERT(!table_pattern_netaddr("bogus", sa("10.0.0.1")));
}

static void
test_addrname(void)
{
	const char	*err = NULL;
	struct table	*t;

	/* table(5) addrname: IPv6 keys hold colons that are not separators. */
	t = load_text("addrname",
	    "::1\t\tlocalhost\n"
	    "127.0.0.1   localhost\n"
	    "88.190.23.165 www.opensmtpd.org\n"
	    "ipv6:::2 two\n"
	    "host ::1\n"
	    "key : value\n", &err);
	T_ASSERT(t != NULL);
	T_EQ_STR(table_get(t, "::1"), "localhost");
	T_EQ_STR(table_get(t, "88.190.23.165"), "www.opensmtpd.org");
	T_EQ_STR(table_get(t, "ipv6:::2"), "two");
	T_EQ_STR(table_get(t, "host"), "::1");
	T_EQ_STR(table_get(t, "key"), "value");
	table_free(t);
}

static void
test_domain(void)
{
	const char	*err = NULL;
	struct table	*t;

	t = load_text("domains", "example.org\n*.Example.NET\nMtkn.jp\n", &err);
	T_ASSERT(t != NULL);
	T_ASSERT(table_match_domain(t, "example.org"));
	T_ASSERT(table_match_domain(t, "EXAMPLE.org"));
	T_ASSERT(table_match_domain(t, "mtkn.jp"));
	T_ASSERT(!table_match_domain(t, "sub.example.org"));
	T_ASSERT(table_match_domain(t, "mail.example.net"));
	T_ASSERT(table_match_domain(t, "a.b.example.net"));
	T_ASSERT(!table_match_domain(t, "example.net"));
	T_ASSERT(!table_match_domain(t, "badexample.net"));
	T_ASSERT(!table_match_domain(t, ""));
	T_ASSERT(!table_match_domain(t, "."));
	table_free(t);
	T_ASSERT(table_pattern_domain("*.example.org", "a.example.org"));
	T_ASSERT(!table_pattern_domain("*.example.org", "example.org"));
	T_ASSERT(table_pattern_domain("Example.org", "example.ORG"));
}

static void
test_mailaddr(void)
{
	const char	*err = NULL;
	struct table	*t;

	t = load_text("senders",
	    "postmaster\n"
	    "@example.org\n"
	    "bob@example.com\n"
	    "alice+list@example.com\n"
	    "carol@*.example.net\n", &err);
	T_ASSERT(t != NULL);
	T_ASSERT(table_match_mailaddr(t, "postmaster@anywhere.test"));
	T_ASSERT(table_match_mailaddr(t, "Postmaster@anywhere.test"));
	T_ASSERT(table_match_mailaddr(t, "anyone@example.org"));
	T_ASSERT(table_match_mailaddr(t, "anyone@EXAMPLE.ORG"));
	T_ASSERT(!table_match_mailaddr(t, "anyone@sub.example.org"));
	T_ASSERT(table_match_mailaddr(t, "bob@example.com"));
	T_ASSERT(table_match_mailaddr(t, "bob+tag@example.com"));
	T_ASSERT(!table_match_mailaddr_delim(t, "bob+tag@example.com", 0));
	T_ASSERT(table_match_mailaddr_delim(t, "bob-tag@example.com", '-'));
	T_ASSERT(!table_match_mailaddr(t, "bobby@example.com"));
	/* An entry with a tag must be matched with it. */
	T_ASSERT(table_match_mailaddr(t, "alice+list@example.com"));
	T_ASSERT(!table_match_mailaddr(t, "alice@example.com"));
	T_ASSERT(!table_match_mailaddr(t, "alice+other@example.com"));
	T_ASSERT(table_match_mailaddr(t, "carol@mx.example.net"));
	T_ASSERT(!table_match_mailaddr(t, "carol@example.net"));
	T_ASSERT(!table_match_mailaddr(t, ""));
	table_free(t);
	T_ASSERT(table_pattern_mailaddr("@", "x@y", '+'));
	T_ASSERT(table_pattern_mailaddr("@", "", '+'));
	T_ASSERT(!table_pattern_mailaddr("@example.org", "", '+'));
	/* A leading delimiter is part of the name, not a tag. */
	T_ASSERT(!table_pattern_mailaddr("x@example.org", "+x@example.org", '+'));
}

static void
test_regex(void)
{
	const char	*err = NULL;
	struct table	*t;

	t = load_text("re", "^mx[0-9]+\\.example\\.org$\n^spam\n", &err);
	T_ASSERT(t != NULL);
	T_EQ_INT(table_check_regex(t, &err), 0);
	T_ASSERT(table_match_regex(t, "MX12.example.org"));
	T_ASSERT(!table_match_regex(t, "mx.example.org"));
	T_ASSERT(table_match_regex(t, "spammer"));
	T_ASSERT(!table_match_regex(t, "nospam"));
	/* Cached: a second lookup gives the same answer. */
	T_ASSERT(table_match_regex(t, "mx1.example.org"));
	table_free(t);

	t = load_text("badre", "ok\n(unclosed\n", &err);
	T_ASSERT(t != NULL);
	T_EQ_INT(table_check_regex(t, &err), -1);
	T_ASSERT(strstr(err, "table badre: bad regex \"(unclosed\"") == err);
	T_ASSERT(table_match_regex(t, "ok"));
	T_ASSERT(!table_match_regex(t, "(unclosed"));
	table_free(t);
	T_ASSERT(table_pattern_regex("^a.c$", "ABC"));
	T_ASSERT(table_pattern_regex("^(ab|cd){2,3}[0-9]+$", "abcdab12"));
	T_ASSERT(table_pattern_regex("^[]a]+$", "]a]"));
	/* Patterns whose compiled form would be huge are refused, not compiled. */
	T_ASSERT(!table_pattern_regex("1+++++++++++++++++++++++++++++++++++++67", "167"));
	T_ASSERT(!table_pattern_regex("((((a{99}){99}){99}){99})", "a"));
	T_ASSERT(!table_pattern_regex("a{1001}", "a"));
	T_ASSERT(!table_pattern_regex("asaes++*++++++++++I/25", "asaes"));
	T_ASSERT(!table_pattern_regex("a{2}{3}", "aaaaaa"));
	T_ASSERT(table_pattern_regex("(a+)+b", "aab"));
	T_ASSERT(table_pattern_regex("^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$", "j.doe+x@mail.example.org"));
	t = table_new("huge", TABLE_INLINE_LIST, NULL);
	T_EQ_INT(table_add(t, "(x+)+(y+)+((z{50}){50}){50}", NULL, &err), 0);
	T_EQ_INT(table_check_regex(t, &err), -1);
	T_EQ_STR(err, "table huge: bad regex \"(x+)+(y+)+((z{50}){50}){50}\": too long or "
	    "too many repetitions");
	table_free(t);
	T_ASSERT(!table_pattern_regex("(", "("));
}

static void
test_errors(void)
{
	const char	*err = NULL;
	struct table	*t;
	char		*big, *path, *want;
	size_t		 n;

	T_ASSERT(load_text("e1", "ok value\nkey:\n", &err) == NULL);
	want = xasprintf("%s/e1:2: missing value after ':'", tmpdir);
	T_EQ_STR(err, want);
	free(want);
	T_ASSERT(load_text("e2", "a\n\n:value\n", &err) == NULL);
	want = xasprintf("%s/e2:3: empty key before ':'", tmpdir);
	T_EQ_STR(err, want);
	free(want);

	n = 70 * 1024;
	big = xmalloc(n + 16);
	memcpy(big, "first\n", 6);
	memset(big + 6, 'a', n);
	memcpy(big + 6 + n, "\nlast\n", 7);
	path = write_file("long", big, n + 12);
	t = table_new("long", TABLE_FILE, path);
	T_EQ_INT(table_load(t, &err), -1);
	want = xasprintf("%s:2: line too long (over 64 KiB)", path);
	T_EQ_STR(err, want);
	free(want);
	table_free(t);
	free(path);
	free(big);

	path = write_file("nul", "a\nb\0c\n", 6);
	t = table_new("nul", TABLE_FILE, path);
	T_EQ_INT(table_load(t, &err), -1);
	T_ASSERT(strstr(err, ":2: NUL byte") != NULL);
	table_free(t);
	free(path);

	t = table_new("missing", TABLE_FILE, "/nonexistent/tegami/table");
	T_EQ_INT(table_load(t, &err), -1);
	T_EQ_STR(err, "/nonexistent/tegami/table: No such file or directory");
	table_free(t);

	t = table_new("dir", TABLE_FILE, "/");
	T_EQ_INT(table_load(t, &err), -1);
	T_EQ_STR(err, "/: not a regular file");
	table_free(t);

	/* Exactly 64 KiB is allowed. */
	n = 64 * 1024;
	big = xmalloc(n + 1);
	memset(big, 'b', n);
	t = table_new("edge", TABLE_INLINE_LIST, NULL);
	T_EQ_INT(table_load_buffer(t, big, n, &err), 0);
	T_EQ_INT(t->nentries, 1);
	table_free(t);
	free(big);
}

static void
test_reload_keeps_old(void)
{
	const char	*err = NULL;
	char		*path = write_file("reload", "a 1\nb 2\n", 8);
	struct table	*t = table_new("reload", TABLE_FILE, path);

	T_EQ_INT(table_load(t, &err), 0);
	T_EQ_STR(table_get(t, "a"), "1");
	free(write_file("reload", "a 9\nbroken:\n", 12));
	T_EQ_INT(table_load(t, &err), -1);
	T_EQ_STR(table_get(t, "a"), "1");
	T_EQ_STR(table_get(t, "b"), "2");
	T_EQ_INT(t->nentries, 2);
	free(write_file("reload", "a 9\nc 3\n192.0.2.1\n", 18));
	T_EQ_INT(table_load(t, &err), 0);
	T_EQ_STR(table_get(t, "a"), "9");
	T_ASSERT(table_get(t, "b") == NULL);
	T_EQ_STR(table_get_fold(t, "C"), "3");
	T_ASSERT(table_match_netaddr(t, sa("192.0.2.1")));
	T_EQ_INT(t->nentries, 3);
	table_free(t);
	free(path);
}

static void
test_inline(void)
{
	const char	*err = NULL;
	struct table	*t = table_new("vusers", TABLE_INLINE_MAP, NULL);

	T_EQ_INT(table_add(t, "Foo@Example.dom.tld", "vpopmail", &err), 0);
	T_EQ_INT(table_add(t, "bar@example.dom.tld", "vpopmail", &err), 0);
	T_EQ_INT(table_add(t, "bar@example.dom.tld", "other", &err), 0);
	T_EQ_INT(table_add(t, "", "x", &err), -1);
	T_EQ_INT(t->nentries, 2);
	T_EQ_STR(table_get_fold(t, "foo@example.dom.tld"), "vpopmail");
	T_EQ_STR(table_get(t, "bar@example.dom.tld"), "vpopmail");
	T_ASSERT(table_match_mailaddr(t, "FOO@example.dom.tld"));
	table_free(t);
}

static void
cleanup(void)
{
	char	*cmd = xasprintf("rm -rf %s", tmpdir);

	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(cmd);
}

void
test_main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		abort();
	t_run("aliases", test_aliases);
	t_run("creds", test_creds);
	t_run("netaddr", test_netaddr);
	t_run("addrname", test_addrname);
	t_run("domain", test_domain);
	t_run("mailaddr", test_mailaddr);
	t_run("regex", test_regex);
	t_run("errors", test_errors);
	t_run("reload_keeps_old", test_reload_keeps_old);
	t_run("inline", test_inline);
	cleanup();
}
