/* Unit tests for the importers' parsers: vpasswd lines and quotas, .qmail files, Postfix's main.cf, master.cf and maps. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ctl/postconf.h"
#include "ctl/vpasswd.h"

static int
vp(const char *line, struct vpasswd *v)
{
	const char	*err;

	return vpasswd_parse(line, strlen(line), v, &err);
}

static void
test_vpasswd(void)
{
	struct vpasswd	 v;

	T_EQ_INT(vp("test:$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1:1:0:Test User:"
	    "/home/vpopmail/domains/mailtest.example.jp/test:NOQUOTA:passowrd", &v), 1);
	T_EQ_STR(v.name, "test");
	T_EQ_STR(v.crypted, "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1");
	T_EQ_INT(v.uid_flags, 1);
	T_EQ_STR(v.gecos, "Test User");
	T_EQ_STR(v.dir, "/home/vpopmail/domains/mailtest.example.jp/test");
	T_EQ_STR(v.quota, "NOQUOTA");
	T_EQ_STR(v.clear, "passowrd");
	vpasswd_clear(&v);
	/* Seven fields: no clear password. */
	T_EQ_INT(vp("bob:abNANd1rDfiNc:0:0:Bob:/d/bob:52428800S\r", &v), 1);
	T_ASSERT(v.clear == NULL);
	T_EQ_STR(v.quota, "52428800S");
	vpasswd_clear(&v);
	T_EQ_INT(vp("# comment", &v), 0);
	T_EQ_INT(vp("   ", &v), 0);
	T_EQ_INT(vp("a:b:0:0:g:/d", &v), -1);			/* six fields */
	T_EQ_INT(vp("a:b:0:0:g:/d:q:c:extra", &v), -1);	/* nine */
	T_EQ_INT(vp("a@b:x:0:0:g:/d:q", &v), -1);
	T_EQ_INT(vp("../x:x:0:0:g:/d:q", &v), -1);
	T_EQ_INT(vp(":x:0:0:g:/d:q", &v), -1);
	T_EQ_INT(vp("a:x:zero:0:g:/d:q", &v), -1);
	T_EQ_INT(vp("a:x:0:0:g\001:/d:q", &v), -1);
}

static void
test_vpasswd_quota(void)
{
	uint64_t	 b, c;

	T_EQ_INT(vpasswd_quota("NOQUOTA", &b, &c), 0);
	T_EQ_INT(b, 0);
	T_EQ_INT(vpasswd_quota("52428800S", &b, &c), 0);
	T_EQ_INT(b, 52428800);
	T_EQ_INT(c, 0);
	T_EQ_INT(vpasswd_quota("50000000S,1000C", &b, &c), 0);
	T_EQ_INT(b, 50000000);
	T_EQ_INT(c, 1000);
	T_EQ_INT(vpasswd_quota("2000000", &b, &c), 0);
	T_EQ_INT(b, 2000000);
	T_EQ_INT(vpasswd_quota("10X", &b, &c), -1);
	T_EQ_INT(vpasswd_quota("S", &b, &c), -1);
	T_EQ_INT(vpasswd_quota("99999999999999999999S", &b, &c), -1);
}

static void
test_dotqmail(void)
{
	static const char text[] =
	    "# forwards\n"
	    "&bob@example.com\n"
	    "carol@example.net\n"
	    "/home/vpopmail/domains/x.org/dave/Maildir/\n"
	    "./Mailbox\n"
	    "| /home/vpopmail/bin/vdelivermail '' bounce-no-mailbox\n"
	    "\n";
	struct dotqmail	 dq;
	const char	*err;
	char		 arg[256];

	T_EQ_INT(dotqmail_parse(text, strlen(text), &dq, &err), 0);
	T_EQ_INT(dq.n, 5);
	T_EQ_INT(dq.v[0].kind, DOTQMAIL_FORWARD);
	T_EQ_STR(dq.v[0].value, "bob@example.com");
	T_EQ_INT(dq.v[1].kind, DOTQMAIL_FORWARD);
	T_EQ_STR(dq.v[1].value, "carol@example.net");
	T_EQ_INT(dq.v[2].kind, DOTQMAIL_MAILDIR);
	T_EQ_INT(dq.v[3].kind, DOTQMAIL_MBOX);
	T_EQ_INT(dq.v[4].kind, DOTQMAIL_PROGRAM);
	T_EQ_INT(dotqmail_vdelivermail(dq.v[4].value, arg, sizeof(arg)), 0);
	T_EQ_STR(arg, "bounce-no-mailbox");
	dotqmail_free(&dq);
	T_EQ_INT(dotqmail_vdelivermail("/home/vpopmail/bin/vdelivermail '' "
	    "postmaster@x.org", arg, sizeof(arg)), 0);
	T_EQ_STR(arg, "postmaster@x.org");
	T_EQ_INT(dotqmail_vdelivermail("preline /usr/bin/procmail", arg,
	    sizeof(arg)), -1);
	T_EQ_INT(dotqmail_parse(" &leading-blank\n", 16, &dq, &err), -1);
	T_EQ_INT(dotqmail_parse("&a b\n", 5, &dq, &err), -1);
	T_EQ_INT(dotqmail_parse("&\n", 2, &dq, &err), -1);
	T_EQ_INT(dotqmail_parse("a\0b\n", 4, &dq, &err), -1);
}

static void
test_dotqmail_ext(void)
{
	char	 local[64];
	int	 wild;

	T_EQ_INT(dotqmail_ext(".qmail-Sales", ".qmail-", local, sizeof(local), &wild), 0);
	T_EQ_STR(local, "sales");
	T_EQ_INT(wild, 0);
	T_EQ_INT(dotqmail_ext(".qmail-info:desk", ".qmail-", local, sizeof(local),
	    &wild), 0);
	T_EQ_STR(local, "info.desk");
	T_EQ_INT(dotqmail_ext(".qmail-default", ".qmail-", local, sizeof(local),
	    &wild), 0);
	T_EQ_STR(local, "");
	T_EQ_INT(wild, 1);
	T_EQ_INT(dotqmail_ext(".qmail-list-default", ".qmail-", local, sizeof(local),
	    &wild), 0);
	T_EQ_STR(local, "list");
	T_EQ_INT(wild, 1);
	T_EQ_INT(dotqmail_ext(".qmail", ".qmail-", local, sizeof(local), &wild), -1);
	T_EQ_INT(dotqmail_ext(".qmail-", ".qmail-", local, sizeof(local), &wild), -1);
}

static void
test_main_cf(void)
{
	static const char text[] =
	    "# main.cf\n"
	    "myhostname = mail.example.gr.jp\n"
	    "mydomain = example.gr.jp\n"
	    "mydestination = $myhostname, localhost.$mydomain,\n"
	    "    localhost, ${mydomain}\n"
	    "smtpd_client_restrictions = permit_mynetworks,\n"
	    "\treject_rbl_client bl.spamcop.net,   # not a comment\n"
	    "  permit\n"
	    "relay = ${relayhost?[$relayhost]}${relayhost:none}\n"
	    "cost = $$5\n"
	    "myhostname = later.example\n";
	struct postconf	 pc;
	char		 err[128], *v, **l;
	size_t		 n;

	T_EQ_INT(postconf_parse_main(text, strlen(text), &pc, err, sizeof(err)), 0);
	T_EQ_STR(postconf_get(&pc, "myhostname"), "later.example");
	v = postconf_expand(&pc, NULL, "mydestination");
	T_EQ_STR(v, "later.example, localhost.example.gr.jp, localhost, example.gr.jp");
	l = postconf_list(v, &n);
	T_EQ_INT(n, 4);
	T_EQ_STR(l[1], "localhost.example.gr.jp");
	postconf_list_free(l, n);
	free(v);
	T_EQ_STR(postconf_get(&pc, "smtpd_client_restrictions"),
	    "permit_mynetworks, reject_rbl_client bl.spamcop.net,   # not a comment "
	    "permit");
	v = postconf_expand(&pc, NULL, "relay");
	T_EQ_STR(v, "none");
	free(v);
	v = postconf_expand(&pc, NULL, "cost");
	T_EQ_STR(v, "$5");
	free(v);
	T_ASSERT(postconf_expand(&pc, NULL, "nonexistent") == NULL);
	postconf_free(&pc);
	T_EQ_INT(postconf_parse_main("  leading = x\n", 14, &pc, err, sizeof(err)), -1);
	T_EQ_INT(postconf_parse_main("no equals sign\n", 15, &pc, err, sizeof(err)), -1);
	T_EQ_INT(postconf_parse_main("bad-name = x\n", 13, &pc, err, sizeof(err)), -1);
}

static void
test_expand_limits(void)
{
	static const char text[] =
	    "a = $b$b$b$b$b$b$b$b$b$b\nb = $c$c$c$c$c$c$c$c$c$c\n"
	    "c = $d$d$d$d$d$d$d$d$d$d\nd = $e$e$e$e$e$e$e$e$e$e\n"
	    "e = $f$f$f$f$f$f$f$f$f$f\nf = $g$g$g$g$g$g$g$g$g$g\n"
	    "g = $a\nloop = $loop\n";
	struct postconf	 pc;
	char		 err[128], *v;

	T_EQ_INT(postconf_parse_main(text, strlen(text), &pc, err, sizeof(err)), 0);
	v = postconf_expand(&pc, NULL, "a");
	T_ASSERT(v != NULL && strlen(v) < POSTCONF_EXPAND_MAX);
	free(v);
	v = postconf_expand(&pc, NULL, "loop");
	T_EQ_STR(v, "");
	free(v);
	postconf_free(&pc);
}

static void
test_defaults(void)
{
	struct postconf	 pc, def;
	char		 err[128], *v;

	T_EQ_INT(postconf_parse_main("myhostname = m.x.org\n", 21, &pc, err,
	    sizeof(err)), 0);
	T_EQ_INT(postconf_parse_main("mydestination = $myhostname, localhost\n",
	    39, &def, err, sizeof(err)), 0);
	v = postconf_expand(&pc, &def, "mydestination");
	T_EQ_STR(v, "m.x.org, localhost");
	free(v);
	postconf_free(&pc);
	postconf_free(&def);
}

static void
test_map(void)
{
	static const char text[] =
	    "example.gr.jp smtp:[127.0.0.1]:10025\n"
	    ".example.gr.jp\tsmtp:[127.0.0.1]:10025\n"
	    "# c\n"
	    "long    a,\n"
	    "        b\n"
	    "keyonly\n";
	struct postconf	 pc;
	char		 err[128], type[16], path[256];

	T_EQ_INT(postconf_parse_map(text, strlen(text), &pc, err, sizeof(err)), 0);
	T_EQ_INT(pc.n, 4);
	T_EQ_STR(pc.v[1].name, ".example.gr.jp");
	T_EQ_STR(pc.v[1].value, "smtp:[127.0.0.1]:10025");
	T_EQ_STR(pc.v[2].value, "a, b");
	T_EQ_STR(pc.v[3].value, "");
	postconf_free(&pc);
	T_EQ_INT(postconf_map_ref("hash:/etc/postfix/transport", type, sizeof(type),
	    path, sizeof(path)), 0);
	T_EQ_STR(type, "hash");
	T_EQ_STR(path, "/etc/postfix/transport");
	T_EQ_INT(postconf_map_ref("/etc/aliases", type, sizeof(type), path,
	    sizeof(path)), -1);
}

static void
test_master_cf(void)
{
	static const char text[] =
	    "smtp      inet  n       -       y       -       -       smtpd\n"
	    "submission inet n       -       n       -       -       smtpd\n"
	    "  -o smtpd_tls_security_level=encrypt\n"
	    "  -o smtpd_sasl_auth_enable=yes\n"
	    "  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }\n"
	    "#smtps     inet  n       -       y       -       -       smtpd\n"
	    "pickup    unix  n       -       y       60      1       pickup\n";
	struct postconf_master	 m;
	char			 err[128];

	T_EQ_INT(postconf_parse_master(text, strlen(text), &m, err, sizeof(err)), 0);
	T_EQ_INT(m.n, 3);
	T_EQ_STR(m.v[1].name, "submission");
	T_EQ_STR(m.v[1].command, "smtpd");
	T_EQ_STR(postconf_get(&m.v[1].opts, "smtpd_tls_security_level"), "encrypt");
	T_EQ_STR(postconf_get(&m.v[1].opts, "smtpd_client_restrictions"),
	    "permit_sasl_authenticated, reject");
	T_EQ_STR(m.v[2].wakeup, "60");
	postconf_master_free(&m);
	T_EQ_INT(postconf_parse_master("smtp inet n - y - -\n", 20, &m, err,
	    sizeof(err)), -1);
	T_EQ_INT(postconf_parse_master("smtp inet n - y - - smtpd -o\n", 29, &m, err,
	    sizeof(err)), -1);
	T_EQ_INT(postconf_parse_master("smtp inet n - y - - smtpd -o novalue\n", 37,
	    &m, err, sizeof(err)), -1);
}

void
test_main(void)
{
	t_run("vpasswd", test_vpasswd);
	t_run("vpasswd quota", test_vpasswd_quota);
	t_run("dotqmail", test_dotqmail);
	t_run("dotqmail ext", test_dotqmail_ext);
	t_run("main.cf", test_main_cf);
	t_run("expansion limits", test_expand_limits);
	t_run("defaults", test_defaults);
	t_run("map", test_map);
	t_run("master.cf", test_master_cf);
}
