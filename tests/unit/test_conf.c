/* Unit tests for tegami.conf: the seed configs, every directive, and the errors of the broken fixtures. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "conf/bundle.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "route/lookup.h"
#include "lib/xalloc.h"

/* Run from the top of the tree (make unit does), where tests/data is. */
#define DATA	"tests/data/conf"

static struct buf	 errs, warns;

static struct conf *
parse(const char *text)
{
	buf_reset(&errs);
	buf_reset(&warns);
	return conf_load_buffer("t.conf", text, strlen(text), &errs, &warns);
}

static const char *
errors(void)
{
	return errs.data ? errs.data : "";
}

static const char *
warnings(void)
{
	return warns.data ? warns.data : "";
}

/* The one error a config gives, or NULL when it loads. */
static int
fails_with(const char *text, const char *want)
{
	struct conf	*c = parse(text);

	if (c != NULL) {
		conf_free(c);
		fprintf(stderr, "  config loaded, wanted \"%s\"\n", want);
		return 0;
	}
	if (strcmp(errors(), want) != 0) {
		fprintf(stderr, "  got \"%s\", want \"%s\"\n", errors(), want);
		return 0;
	}
	return 1;
}

static const struct cond *
find_cond(const struct match *m, enum cond_type type)
{
	size_t	 i;

	for (i = 0; i < m->nconds; i++)
		if (m->conds[i].type == type)
			return &m->conds[i];
	return NULL;
}

static void
test_seed000(void)
{
	struct conf	*c;
	struct listener	*l;
	struct action	*a;

	c = conf_load(DATA "/seed000.conf", &errs, &warns);
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_INT(c->ntables, 4);
	T_EQ_INT(c->nlisteners, 5);
	l = c->listeners[0];
	T_EQ_STR(l->on, "::1");
	T_EQ_INT(l->port, 25);
	T_EQ_INT(l->flags, 0);
	l = c->listeners[2];
	T_EQ_STR(l->on, "::");
	T_EQ_INT(l->port, 587);
	T_EQ_INT(l->flags, LF_TLS | LF_TLS_REQUIRE | LF_AUTH);
	T_EQ_STR(l->pki, "mail.example.com");
	T_ASSERT(l->auth == conf_table(c, "creds"));
	T_EQ_STR(table_get(l->auth, "foo@example.dom.tld"),
	    "$2b$09$CVZ5aRnCFBehKOpfPgPXH.TnD67wy0m5T6sNw6ZnL7mn4OM60xtcy");
	a = conf_action(c, "delivery");
	T_ASSERT(a != NULL);
	T_EQ_INT(a->method, ACTION_MAILDIR);
	T_EQ_STR(a->path, "/usr/local/vpopmail/domains/%{rcpt.domain}/%{rcpt.user}/Maildir");
	T_ASSERT(a->virtual == conf_table(c, "vusers"));
	T_EQ_STR(table_get(a->virtual, "bar@example.dom.tld"), "vpopmail");
	a = conf_action(c, "relay");
	T_ASSERT(a->host != NULL);
	T_EQ_INT(a->host->proto, RELAY_SMTP);
	T_EQ_STR(a->host->host, "192.168.1.100");
	T_EQ_INT(a->host->port, 25);
	T_EQ_INT(c->nmatches, 4);
	/* "match for domain <domains>": from local is implied. */
	T_ASSERT(find_cond(c->matches[0], COND_FROM_LOCAL) != NULL);
	T_ASSERT(find_cond(c->matches[0], COND_FOR_DOMAIN)->table == conf_table(c, "domains"));
	T_ASSERT(c->matches[0]->action == conf_action(c, "delivery"));
	T_ASSERT(find_cond(c->matches[2], COND_AUTH) != NULL);
	T_ASSERT(find_cond(c->matches[2], COND_FROM_ANY) != NULL);
	T_ASSERT(find_cond(c->matches[2], COND_FOR_ANY) != NULL);
	/* The virtual targets' account is this host's to have, or -n says so. */
	if (getpwnam("vpopmail") != NULL)
		T_EQ_STR(warnings(), "");
	else
		T_EQ_STR(warnings(), "tests/data/conf/seed000/vusers:1: "
		    "foo@example.dom.tld: target account \"vpopmail\" does not "
		    "exist: mail to it is deferred (451) until it does\n"
		    "tests/data/conf/seed000/vusers:2: bar@example.dom.tld: target "
		    "account \"vpopmail\" does not exist: mail to it is deferred "
		    "(451) until it does\n");
	conf_free(c);
}

static void
test_seed001(void)
{
	struct conf	*c;
	struct listener	*l;
	struct filter	*f;
	struct action	*a;

	c = conf_load(DATA "/seed001.conf", &errs, &warns);
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_INT(c->nlisteners, 4);
	T_ASSERT(c->listeners[0]->flags & LF_SOCKET);
	l = c->listeners[2];
	T_EQ_STR(l->on, "vio0");
	T_EQ_INT(l->flags, LF_TLS);
	T_EQ_STR(l->hostname, "mail.mtkn.jp");
	T_EQ_STR(l->filter, "{check_rdns, check_fcrdns}");
	f = conf_filter(c, l->filter);
	T_ASSERT(f != NULL);
	T_EQ_INT(f->kind, FILTER_CHAIN);
	T_EQ_INT(f->nchain, 2);
	T_EQ_STR(f->chain[1], "check_fcrdns");
	l = c->listeners[3];
	T_EQ_INT(l->port, 587);	/* port submission */
	T_EQ_INT(l->flags, LF_IMPLICIT_TLS | LF_MASK_SRC | LF_AUTH);
	T_EQ_STR(l->filter, "dkim_sign");
	f = conf_filter(c, "dkim_sign");
	T_EQ_INT(f->kind, FILTER_PROC_EXEC);
	/* The doubled backslashes of the web page join the lines. */
	T_EQ_STR(f->command, "filter-dkimsign -d mail.mtkn.jp -s selector1\t-k /etc/mail/dkim/private.key");
	T_EQ_STR(f->user, "_dkimsign");
	T_EQ_STR(f->group, "_dkimsign");
	f = conf_filter(c, "check_rdns");
	T_EQ_INT(f->kind, FILTER_BUILTIN);
	T_EQ_INT(f->phase, PHASE_CONNECT);
	T_EQ_INT(f->nconds, 1);
	T_EQ_INT(f->conds[0].type, FCOND_RDNS);
	T_EQ_INT(f->conds[0].negate, 1);
	T_EQ_INT(f->decision, DECISION_DISCONNECT);
	T_EQ_STR(f->message, "550 no rDNS.");
	a = conf_action(c, "domain");
	T_EQ_STR(a->path, "/var/vmail/%{dest.domain:lowercase}/%{dest.user:lowercase}");
	T_EQ_STR(table_get(a->virtual, "user@mtkn.jp"), "vmail");
	T_EQ_STR(table_get(conf_table(c, "passwd"), "user@mtkn.jp"),
	    "$2b$09$qWBK9kYFVPhdNF2JpKrCEuNEGM4TCsu3qOjAgXznOI65QFcGpbfpW::::::");
	T_EQ_STR(find_cond(c->matches[0], COND_FOR_DOMAIN)->value, "mtkn.jp");
	/* Interfaces missing here are only a warning. */
	T_ASSERT(strstr(warnings(), "seed001.conf:31: listen on \"vio0\": no such interface") != NULL);
	conf_free(c);
}

/* Every .conf under tests/data/conf/broken gives exactly the error of its first line. */
static void
test_broken(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 line[512], *path, *want, *nl;
	FILE		*f;
	struct conf	*c;
	int		 n = 0;

	T_ASSERT((d = opendir(DATA "/broken")) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) < 6 ||
		    strcmp(de->d_name + strlen(de->d_name) - 5, ".conf") != 0)
			continue;
		path = xasprintf(DATA "/broken/%s", de->d_name);
		f = fopen(path, "r");
		T_ASSERT(f != NULL && fgets(line, sizeof(line), f) != NULL);
		fclose(f);
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		T_ASSERT(strncmp(line, "# expect: ", 10) == 0);
		/* "N: msg" is in this file; "FILE:N: msg" in a file beside it. */
		if (strspn(line + 10, "0123456789") > 0 &&
		    line[10 + strspn(line + 10, "0123456789")] == ':')
			want = xasprintf("%s:%s\n", path, line + 10);
		else
			want = xasprintf(DATA "/broken/%s\n", line + 10);
		c = conf_load(path, &errs, &warns);
		if (c != NULL || strcmp(errors(), want) != 0)
			t_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", path,
			    errors(), want);
		conf_free(c);
		buf_reset(&errs);
		buf_reset(&warns);
		free(path);
		free(want);
		n++;
	}
	closedir(d);
	T_ASSERT(n >= 10);
}

/* The syntax that design.md pins for tegami's additions, as written there. */
static void
test_design_additions(void)
{
	struct conf	*c;

	c = parse("hostname \"mail.example.org\"          # server name\n"
	    "spool \"/var/spool/tegami\"            # queue root\n"
	    "socket \"/run/tegami.sock\"            # control + local enqueue socket\n"
	    "user \"_tegami\"                       # unprivileged account\n"
	    "resolver 127.0.0.1 port 5353         # DNS servers\n"
	    "pki mail cert \"/c\"\npki mail key \"/k\"\ntable creds { u@example.org = x }\n"
	    "listen on 0.0.0.0 port 993 imaps pki mail auth <creds>\n"
	    "listen on 0.0.0.0 port 143 imap tls-require pki mail auth <creds>\n"
	    "listen on 0.0.0.0 port 995 pop3s pki mail auth <creds>\n"
	    "listen on 0.0.0.0 port 110 pop3 tls pki mail auth <creds>\n"
	    "filter sign dkim-sign domain example.org selector s1 key "
	    "\"/etc/tegami/dkim/example.org.key\"\n"
	    "filter check mail-auth enforce\n"
	    "filter rbl phase connect match dnsbl \"zen.example\" disconnect \"554 5.7.1 listed\"\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_INT(c->nlisteners, 4);
	T_EQ_INT(c->listeners[0]->proto, PROTO_IMAP);
	T_EQ_INT(c->listeners[3]->proto, PROTO_POP3);
	T_EQ_INT(c->listeners[3]->flags, LF_TLS | LF_AUTH);
	T_EQ_INT(conf_filter(c, "sign")->kind, FILTER_DKIM_SIGN);
	T_EQ_INT(conf_filter(c, "check")->kind, FILTER_MAIL_AUTH);
	T_EQ_INT(conf_filter(c, "rbl")->kind, FILTER_RBL);
	T_EQ_INT(c->resolvers[0].port, 5353);
	conf_free(c);
}

static void
test_lexer(void)
{
	struct conf	*c;

	/* Macros outside quotes only, continuation, comments anywhere. */
	c = parse("lan_addr = \"192.168.0.1\"\n"
	    "dir = \"/var\"\n"
	    "listen on $lan_addr \\\n"
	    "   port 2525 # a comment\n"
	    "# a comment ending in a backslash goes on \\\n"
	    "this line is still the comment\n"
	    "action 'a' maildir \"$dir/%{rcpt.user}\"\n"
	    "action b maildir $dir/mail\n"
	    "match for local action a\n"
	    "match for any action b\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_STR(c->listeners[0]->on, "192.168.0.1");
	T_EQ_INT(c->listeners[0]->port, 2525);
	T_EQ_STR(conf_action(c, "a")->path, "$dir/%{rcpt.user}");
	T_EQ_STR(conf_action(c, "b")->path, "/var/mail");
	conf_free(c);

	/* Escaped quotes, single quotes, a quoted string continued on the next line. */
	c = parse("admd \"say \\\"hi\\\"\"\n"
	    "hostname 'mail.example.org'\n"
	    "smtp ciphers \"HIGH:\\\n"
	    "!aNULL\"\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_STR(c->admd, "say \"hi\"");
	T_EQ_STR(c->hostname, "mail.example.org");
	T_EQ_STR(c->smtp_ciphers, "HIGH:!aNULL");
	conf_free(c);

	/* A UTF-8 byte order mark and CRLF line ends are fine. */
	c = parse("\xef\xbb\xbfhostname \"a.example\"\r\nspool \\\r\n \"/s\"\r\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_STR(c->hostname, "a.example");
	T_EQ_STR(c->spool, "/s");
	conf_free(c);

	T_ASSERT(fails_with("listen on $nope\n", "t.conf:1: macro \"nope\" not defined\n"));
	T_ASSERT(fails_with("listen = \"x\"\n", "t.conf:1: unexpected '=' after listen "
	    "(expected on)\n"));
	T_ASSERT(fails_with("port = \"x\"\n", "t.conf:1: macro name \"port\" is a reserved word\n"));
	T_ASSERT(fails_with("a = $a\nhostname $a\n", "t.conf:1: macro \"a\" not defined\n"
	    "t.conf:2: macro \"a\" not defined\n"));
	c = parse("b = \"x\"\nhostname \"$b\"\n");
	T_ASSERT(c != NULL);
	T_EQ_STR(c->hostname, "$b");
	conf_free(c);
	T_ASSERT(fails_with("hostname \"abc\n", "t.conf:1: unterminated quoted string\n"));
	T_ASSERT(fails_with("\n\nspool\n", "t.conf:3: expected spool directory, got end of line\n"));
	T_ASSERT(fails_with("include \"/etc/passwd\"\n", "t.conf:1: include is not allowed here\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 port 25 port\n",
	    "t.conf:1: expected a port, got end of line\n"));
	/* tegamid -n tells the truth: two ports are not both listened on. */
	T_ASSERT(fails_with("listen on 127.0.0.1 port 25 port 26\n",
	    "t.conf:1: port given twice\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 port 25\nlisten on 127.0.0.1 mask-src\n",
	    "t.conf:2: listen on 127.0.0.1 port 25 given twice (first at t.conf:1)\n"));
	T_ASSERT(fails_with("hostname \"a\" extra\n",
	    "t.conf:1: unexpected \"extra\" at the end of the directive\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 ( \n",
	    "t.conf:1: unexpected character '\\x28'\n"));
}

static void
test_errors_collected(void)
{
	/* Every error, in line order, even those found after the last line. */
	T_ASSERT(fails_with(
	    "match for any action missing\n"
	    "listen on 127.0.0.2 port 0\n"
	    "bogus\n"
	    "listen on 127.0.0.1 auth <nope>\n"
	    "smtp max-message-size -1\n"
	    "queue ttl 0d\n",
	    "t.conf:1: unknown action \"missing\"\n"
	    "t.conf:2: invalid port \"0\"\n"
	    "t.conf:3: unknown keyword \"bogus\"\n"
	    "t.conf:4: unknown table \"nope\"\n"
	    "t.conf:5: invalid max-message-size \"-1\"\n"
	    "t.conf:6: invalid queue ttl \"0d\" (expected a number and s, m, h or d)\n"));
}

static void
test_defaults(void)
{
	struct conf	*c = parse("");

	T_ASSERT(c != NULL);
	T_EQ_STR(c->spool, "/var/spool/tegami");
	T_EQ_STR(c->socket, "/run/tegami.sock");
	T_EQ_STR(c->user, "_tegami");
	T_EQ_INT(c->max_message_size, 35 * 1024 * 1024);
	T_EQ_INT(c->max_rcpt, 1000);
	T_EQ_INT(c->max_mails, 100);
	T_EQ_INT(c->sub_addr_delim, '+');
	T_EQ_STR(c->smtp_ciphers, "HIGH:!aNULL:!MD5");
	T_EQ_INT(c->queue_ttl, 4 * 86400);
	T_EQ_INT(c->backoff_min, 60);
	T_EQ_INT(c->backoff_max, 3600);
	T_EQ_INT(c->nbounce_warn, 1);
	T_EQ_INT(c->bounce_warn[0], 4 * 3600);
	T_EQ_INT(c->mta_max_deferred, 100);
	T_EQ_INT(c->srs_ttl, 4 * 86400);
	T_ASSERT(c->hostname != NULL && c->hostname[0] != '\0');
	conf_free(c);
}

static void
test_globals(void)
{
	struct conf	*c;

	c = parse("hostname \"mail.example.org\"\n"
	    "spool \"/srv/spool\"\n"
	    "socket \"/tmp/t.sock\"\n"
	    "user \"_mail\"\n"
	    "resolver 127.0.0.1 port 5353\n"
	    "resolver ::1\n"
	    "admd \"example.org\"\n"
	    "smtp max-message-size 10M\n"
	    "smtp limit max-mails 5 max-rcpt 7\n"
	    "smtp sub-addr-delim \"-\"\n"
	    "smtp ciphers \"HIGH\"\n"
	    "queue ttl 2d\n"
	    "queue backoff 30s 2h\n"
	    "queue compression\n"
	    "bounce warn-interval 1h, 6h,2d\n"
	    "mta max-deferred 7\n"
	    "srs key \"k1\"\n"
	    "srs key backup \"k0\"\n"
	    "srs ttl 30m\n"
	    "mda wrapper w \"/usr/bin/env %{mda}\"\n"
	    "proc p \"/usr/libexec/filter\" user nobody\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_STR(c->hostname, "mail.example.org");
	T_EQ_STR(c->spool, "/srv/spool");
	T_EQ_STR(c->socket, "/tmp/t.sock");
	T_EQ_STR(c->user, "_mail");
	T_EQ_INT(c->nresolvers, 2);
	T_EQ_STR(c->resolvers[0].addr, "127.0.0.1");
	T_EQ_INT(c->resolvers[0].port, 5353);
	T_EQ_INT(c->resolvers[1].port, 53);
	T_EQ_STR(c->admd, "example.org");
	T_EQ_INT(c->max_message_size, 10 * 1024 * 1024);
	T_EQ_INT(c->max_mails, 5);
	T_EQ_INT(c->max_rcpt, 7);
	T_EQ_INT(c->sub_addr_delim, '-');
	T_EQ_STR(c->smtp_ciphers, "HIGH");
	T_EQ_INT(c->queue_ttl, 2 * 86400);
	T_EQ_INT(c->backoff_min, 30);
	T_EQ_INT(c->backoff_max, 2 * 3600);
	T_EQ_INT(c->queue_compression, 1);
	T_EQ_INT(c->nbounce_warn, 3);
	T_EQ_INT(c->bounce_warn[2], 2 * 86400);
	T_EQ_INT(c->mta_max_deferred, 7);
	T_EQ_STR(c->srs_key, "k1");
	T_EQ_STR(c->srs_key_backup, "k0");
	T_EQ_INT(c->srs_ttl, 1800);
	T_EQ_INT(c->nwrappers, 1);
	T_EQ_STR(conf_proc(c, "p"), "/usr/libexec/filter");
	T_ASSERT(conf_proc(c, "q") == NULL);
	conf_free(c);

	T_ASSERT(fails_with("bounce warn-interval 1h, 2h, 3h, 4h, 5h\n",
	    "t.conf:1: at most 4 warn-interval delays\n"));
	T_ASSERT(fails_with("smtp sub-addr-delim \"@\"\n", "t.conf:1: sub-addr-delim must "
	    "be one printable character other than '@'\n"));
	T_ASSERT(fails_with("resolver dns.example.org\n",
	    "t.conf:1: resolver \"dns.example.org\": not an IP address\n"));
	T_ASSERT(fails_with("smtp limit max-rcpt 0\n",
	    "t.conf:1: invalid max-rcpt \"0\" (expected 1 to 1000000)\n"));
	T_ASSERT(fails_with("mda wrapper w \"%{mda:bogus}\"\n", "t.conf:1: mda wrapper "
	    "command \"%{mda:bogus}\": unknown format modifier \"%{mda:bogus}\"\n"));
	T_ASSERT(fails_with("proc p \"a\"\nproc p \"b\"\n", "t.conf:2: duplicate proc \"p\"\n"));
	/* Parsed, not carried out: said, and where running without it is unsafe, refused. */
	T_ASSERT(fails_with("queue encryption \"key\"\n", "t.conf:1: queue "
	    "encryption is not implemented by this version: without it queue "
	    "files are stored unencrypted\n"));
	c = parse("queue compression\nmta max-deferred 7\nadmd \"x\"\n"
	    "pki p cert \"/c\"\npki p key \"/k\"\npki p dhe auto\n"
	    "action \"m\" mda \"/bin/cat\"\naction \"l\" lmtp \"/run/l.sock\"\n"
	    "match from any for domain \"a.test\" action \"m\"\n"
	    "match from any for domain \"b.test\" action \"l\"\n");
	T_ASSERT(c != NULL);
	T_EQ_STR(warnings(), "t.conf:1: queue compression is not applied by this "
	    "version: queue files are stored as they came\n"
	    "t.conf:2: mta max-deferred is not applied by this version\n"
	    "t.conf:4: pki p: dhe is not applied by this version: TLS uses ECDHE "
	    "only\n"
	    "t.conf:7: action \"m\": mda delivery is not carried out by this "
	    "version: its mail is accepted, deferred and bounced after the queue "
	    "ttl\n"
	    "t.conf:8: action \"l\": lmtp delivery is not carried out by this "
	    "version: its mail is accepted, deferred and bounced after the queue "
	    "ttl\n");
	conf_free(c);
}

static void
test_sizes_delays(void)
{
	T_EQ_INT(conf_parse_size("35M"), 35LL * 1024 * 1024);
	T_EQ_INT(conf_parse_size("1024"), 1024);
	T_EQ_INT(conf_parse_size("10k"), 10240);
	T_EQ_INT(conf_parse_size("10KB"), 10240);
	T_EQ_INT(conf_parse_size("1G"), 1LL << 30);
	T_EQ_INT(conf_parse_size("2t"), 2LL << 40);
	T_EQ_INT(conf_parse_size(""), -1);
	T_EQ_INT(conf_parse_size("M"), -1);
	T_EQ_INT(conf_parse_size("-5"), -1);
	T_EQ_INT(conf_parse_size("10Q"), -1);
	T_EQ_INT(conf_parse_size("10MM"), -1);
	T_EQ_INT(conf_parse_size("99999999999999999999"), -1);
	T_EQ_INT(conf_parse_size("9999999999T"), -1);
	T_EQ_INT(conf_parse_delay("4d"), 4 * 86400);
	T_EQ_INT(conf_parse_delay("30m"), 1800);
	T_EQ_INT(conf_parse_delay("10s"), 10);
	T_EQ_INT(conf_parse_delay("2h"), 7200);
	T_EQ_INT(conf_parse_delay("0s"), 0);
	T_EQ_INT(conf_parse_delay("10"), -1);
	T_EQ_INT(conf_parse_delay("h"), -1);
	T_EQ_INT(conf_parse_delay("1w"), -1);
	T_EQ_INT(conf_parse_delay("1hh"), -1);
	T_EQ_INT(conf_parse_delay("99999999999d"), -1);
}

static void
test_tables(void)
{
	struct conf	*c;
	struct table	*t;

	c = parse("table lst { a, \"b c\",\n  d }\n"
	    "table map {\n  k1 = v1,\n  \"k2\" = \"v 2\" }\n"
	    "table nocomma { x y z }\n"
	    "table f file:/etc/aliases\n"
	    "table g \"/etc/other\"\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	t = conf_table(c, "lst");
	T_EQ_INT(t->backend, TABLE_INLINE_LIST);
	T_EQ_INT(t->nentries, 3);
	T_ASSERT(table_has(t, "b c"));
	t = conf_table(c, "map");
	T_EQ_INT(t->backend, TABLE_INLINE_MAP);
	T_EQ_STR(table_get(t, "k2"), "v 2");
	T_EQ_INT(conf_table(c, "nocomma")->nentries, 3);
	/* In memory, file tables are declared but never read. */
	t = conf_table(c, "f");
	T_EQ_INT(t->backend, TABLE_FILE);
	T_EQ_STR(t->path, "/etc/aliases");
	T_EQ_INT(t->nentries, 0);
	T_EQ_STR(conf_table(c, "g")->path, "/etc/other");
	T_EQ_INT(t->conf_line, 7);
	conf_free(c);

	T_ASSERT(fails_with("table t { a, b = c }\n",
	    "t.conf:1: table mixes values and key = value pairs\n"));
	T_ASSERT(fails_with("table t { }\n", "t.conf:1: empty table: give at least one value\n"));
	T_ASSERT(fails_with("table t { a\n", "t.conf:1: unterminated '{' list\n"));
	T_ASSERT(fails_with("table t { a }\ntable t { b }\n", "t.conf:2: duplicate table \"t\"\n"));
	T_ASSERT(fails_with("table t ldap:/etc/x\n",
	    "t.conf:1: table backend \"ldap\" is not supported, use file:\n"));
	T_ASSERT(fails_with("table t db:/etc/x.db\n",
	    "t.conf:1: db tables are not supported, use file:\n"));
}

static void
test_table_relative_path(void)
{
	struct conf	*c;
	struct table	*t;

	/* A relative path is relative to the config file naming it. */
	c = conf_load(DATA "/seed000.conf", &errs, &warns);
	T_ASSERT(c != NULL);
	t = conf_table(c, "domains");
	T_EQ_STR(t->path, DATA "/seed000/domains");
	T_ASSERT(table_match_domain(t, "EXAMPLE.dom.tld"));
	T_EQ_INT(conf_reload_tables(c, &(const char *){ NULL }), 0);
	T_ASSERT(table_match_domain(t, "example.dom.tld"));
	conf_free(c);
}

static void
test_listen(void)
{
	struct conf	*c;
	struct listener	*l;

	c = parse("hostname \"mail.example.org\"\n"
	    "pki mail.example.org cert \"/c\"\n"
	    "pki mail.example.org key \"/k\"\n"
	    "pki other cert \"c.pem\"\n"
	    "pki other key \"k.pem\"\n"
	    "ca myca cert \"/ca\"\n"
	    "table creds { \"a@example.org\" = \"{PLAIN}x\" }\n"
	    "table names { 127.0.0.1 = \"mx.example.org\" }\n"
	    "table senders { \"a@example.org\" = \"a@example.org\" }\n"
	    "filter f phase connect match rdns bypass\n"
	    "listen on any inet6 port smtps smtps\n"
	    "listen on lo tls-require verify pki other ca myca auth-optional <creds> "
	    "hostnames <names> senders <senders> masquerade tag T filter f mask-src "
	    "received-auth no-dsn proxy-v2 hostname mx.example.org\n"
	    "listen on 0.0.0.0 port 993 imaps auth <creds> maildir \"/var/vmail/%{dest.domain}/%{dest.user}\"\n"
	    "listen on 0.0.0.0 imap tls-require auth <creds>\n"
	    "listen on 0.0.0.0 pop3s auth <creds>\n"
	    "listen on 0.0.0.0 pop3 tls auth <creds>\n"
	    "listen on socket filter f tag local\n"
	    "listen on localhost port 10025 inet4 auth\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_INT(c->nlisteners, 8);
	l = c->listeners[0];
	T_EQ_INT(l->family, AF_INET6);
	T_EQ_INT(l->port, 465);
	T_EQ_INT(l->flags, LF_IMPLICIT_TLS);
	/* No pki given: the one named like the server. */
	T_EQ_STR(l->pki, "mail.example.org");
	l = c->listeners[1];
	T_EQ_INT(l->flags, LF_TLS | LF_TLS_REQUIRE | LF_TLS_VERIFY | LF_AUTH_OPTIONAL |
	    LF_MASQUERADE | LF_MASK_SRC | LF_RECEIVED_AUTH | LF_NO_DSN | LF_PROXY_V2);
	T_EQ_STR(l->pki, "other");
	T_EQ_STR(l->ca, "myca");
	T_ASSERT(l->auth == conf_table(c, "creds"));
	T_ASSERT(l->hostnames == conf_table(c, "names"));
	T_ASSERT(l->senders == conf_table(c, "senders"));
	T_EQ_STR(l->tag, "T");
	T_EQ_STR(l->filter, "f");
	T_EQ_STR(l->hostname, "mx.example.org");
	T_EQ_INT(l->port, 25);
	l = c->listeners[2];
	T_EQ_INT(l->proto, PROTO_IMAP);
	T_EQ_INT(l->port, 993);
	T_EQ_INT(l->flags, LF_IMPLICIT_TLS | LF_AUTH);
	T_EQ_STR(l->maildir, "/var/vmail/%{dest.domain}/%{dest.user}");
	T_EQ_INT(c->listeners[3]->port, 143);
	T_ASSERT(c->listeners[3]->maildir == NULL);	/* no maildir action to copy */
	T_EQ_INT(c->listeners[3]->flags, LF_TLS | LF_TLS_REQUIRE | LF_AUTH);
	T_EQ_INT(c->listeners[4]->proto, PROTO_POP3);
	T_EQ_INT(c->listeners[4]->port, 995);
	T_EQ_INT(c->listeners[5]->port, 110);
	l = c->listeners[6];
	T_EQ_INT(l->flags, LF_SOCKET);
	T_EQ_STR(l->tag, "local");
	l = c->listeners[7];
	T_EQ_INT(l->flags, LF_AUTH);
	T_ASSERT(l->auth == NULL);
	T_EQ_INT(l->family, AF_INET);
	/*
	 * In memory nothing is checked against this host's interfaces, and a
	 * builtin filter is applied: the warnings are for what is not.
	 */
	T_ASSERT(strstr(warnings(), "t.conf:12: listen option hostnames is not "
	    "applied by this version: the greeting names mx.example.org\n"
	    "t.conf:12: listen option proxy-v2 is not applied by this version: a "
	    "PROXY header is read as a command\n") != NULL);
	T_ASSERT(strstr(warnings(), "IMAP") == NULL);	/* IMAP listeners are served */
	conf_free(c);

	T_ASSERT(fails_with("pki x cert \"/c\"\npki x key \"/k\"\n"
	    "listen on 127.0.0.1 port 25 tls pki x smtps\n",
	    "t.conf:3: tls and smtps are mutually exclusive\n"));
	/* Without maildir, an IMAP listener takes the first maildir action's path. */
	c = parse("pki \"*\" cert \"/c\"\npki \"*\" key \"/k\"\ntable c { a = b }\n"
	    "action m mbox\naction v maildir \"/v/%{rcpt.domain}/%{rcpt.user}\"\n"
	    "action w maildir \"/w/%{rcpt.user}\"\nlisten on 127.0.0.1 pop3s auth <c>\n");
	T_ASSERT(c != NULL);
	T_EQ_STR(c->listeners[0]->maildir, "/v/%{rcpt.domain}/%{rcpt.user}");
	conf_free(c);
	T_ASSERT(fails_with("listen on 127.0.0.1 pki nope\n", "t.conf:1: unknown pki \"nope\"\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 filter nope\n",
	    "t.conf:1: unknown filter \"nope\"\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 ca nope\n", "t.conf:1: unknown ca \"nope\"\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 port 70000\n",
	    "t.conf:1: invalid port \"70000\"\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 imap\n",
	    "t.conf:1: imap listener requires auth <table>\n"));
	T_ASSERT(fails_with("table c { a = b }\nlisten on 127.0.0.1 pop3 auth\n",
	    "t.conf:2: pop3 listener requires auth <table>\n"));
	T_ASSERT(fails_with("pki x cert \"/c\"\npki x key \"/k\"\ntable c { a = b }\n"
	    "listen on 127.0.0.1 imaps tls pki x auth <c>\n",
	    "t.conf:4: tls and imaps are mutually exclusive\n"));
	T_ASSERT(fails_with("table c { a = b }\nlisten on 127.0.0.1 imap auth <c> "
	    "maildir \"%{dest.usr}\"\n",
	    "t.conf:2: maildir \"%{dest.usr}\": unknown format token \"%{dest.usr}\"\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 maildir \"/x\"\n",
	    "t.conf:1: maildir is only valid on imap and pop3 listeners\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 inet4 inet6\n",
	    "t.conf:1: address family given twice\n"));
	T_ASSERT(fails_with("listen on 127.0.0.1 wibble\n",
	    "t.conf:1: unknown listen option \"wibble\"\n"));
	T_ASSERT(fails_with("listen on socket port 25\n", "t.conf:1: listen on socket accepts "
	    "only filter, mask-src and tag, not \"port\"\n"));
	/* OpenSMTPD's fallback: the "*" pki. */
	c = parse("pki \"*\" cert \"/c\"\npki \"*\" key \"/k\"\nlisten on 127.0.0.1 tls\n");
	T_ASSERT(c != NULL);
	T_EQ_STR(c->listeners[0]->pki, "*");
	conf_free(c);
	T_ASSERT(fails_with("pki a cert \"/c\"\n", "t.conf:1: pki a has no key\n"));
	T_ASSERT(fails_with("pki a cert \"/c\"\npki a cert \"/d\"\npki a key \"/k\"\n",
	    "t.conf:2: pki a: cert given twice\n"));
	T_ASSERT(fails_with("pki a dhe big\n", "t.conf:1: pki a: dhe must be none, legacy or auto\n"
	    "t.conf:1: pki a has no cert\nt.conf:1: pki a has no key\n"));
}

static void
test_listener_addrs(void)
{
	struct listener		 l;
	struct sockaddr_storage	*ss;
	const char		*err;
	char			 ip[64];
	size_t			 n;

	memset(&l, 0, sizeof(l));
	l.port = 2525;
	l.on = "any";
	T_EQ_INT(conf_listener_addrs(&l, &ss, &n, &err), 0);
	T_EQ_INT(n, 2);
	T_EQ_INT(ss[0].ss_family, AF_INET);
	T_EQ_INT(ntohs(((struct sockaddr_in *)&ss[0])->sin_port), 2525);
	T_EQ_INT(ss[1].ss_family, AF_INET6);
	free(ss);
	l.family = AF_INET6;
	T_EQ_INT(conf_listener_addrs(&l, &ss, &n, &err), 0);
	T_EQ_INT(n, 1);
	T_EQ_INT(ss[0].ss_family, AF_INET6);
	free(ss);
	l.family = AF_UNSPEC;
	l.on = "127.0.0.2";
	T_EQ_INT(conf_listener_addrs(&l, &ss, &n, &err), 0);
	T_EQ_INT(n, 1);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss[0])->sin_addr, ip, sizeof(ip));
	T_EQ_STR(ip, "127.0.0.2");
	free(ss);
	l.family = AF_INET6;
	T_EQ_INT(conf_listener_addrs(&l, &ss, &n, &err), -1);
	T_EQ_STR(err, "listen on 127.0.0.2: address does not match the family inet6");
	/* Linux's loopback interface is "lo"; OpenBSD's "lo0" is not here. */
	l.family = AF_INET;
	l.on = "lo";
	T_EQ_INT(conf_listener_addrs(&l, &ss, &n, &err), 0);
	T_ASSERT(n >= 1);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss[0])->sin_addr, ip, sizeof(ip));
	T_EQ_STR(ip, "127.0.0.1");
	free(ss);
	l.on = "lo0";
	T_EQ_INT(conf_listener_addrs(&l, &ss, &n, &err), -1);
	T_EQ_STR(err, "listen on lo0: no such interface on this host");
	l.on = "localhost";
	T_EQ_INT(conf_listener_addrs(&l, &ss, &n, &err), 0);
	T_EQ_INT(n, 1);
	free(ss);
	l.on = "socket";
	l.flags = LF_SOCKET;
	T_EQ_INT(conf_listener_addrs(&l, &ss, &n, &err), -1);
}

static void
test_actions(void)
{
	struct conf	*c;
	struct action	*a;

	c = parse("table t { a = b }\ntable l { 127.0.0.1 }\npki p cert \"/c\"\npki p key \"/k\"\n"
	    "ca ca1 cert \"/ca\"\nmda wrapper w \"/bin/w %{mda}\"\n"
	    "action m1 maildir\n"
	    "action m2 maildir junk alias <t> ttl 1h\n"
	    "action m3 maildir \"~/Mail\" junk user vmail userbase <t>\n"
	    "action m4 maildir \"/var/vmail/%{rcpt.domain}\" virtual <t>\n"
	    "action mb mbox alias <t>\n"
	    "action md mda \"/usr/bin/procmail -f %{sender}\" wrapper w\n"
	    "action lm lmtp \"/run/dovecot/lmtp\" rcpt-to\n"
	    "action r1 relay\n"
	    "action r2 relay host smtp+tls://label@smtp.example.com auth <t> tls\n"
	    "action r3 relay host \"smtps://[2001:db8::1]\" pki p ca ca1\n"
	    "action r4 relay host lmtp://127.0.0.1:24 helo mx.example.org mail-from \"a@b\"\n"
	    "action r5 relay host smtp+notls://relay:submission src 192.0.2.1 srs\n"
	    "action r6 relay backup mx mx1.example.org helo-src <t> src <l> tls no-verify\n"
	    "action r7 relay backup domain <t>\n"
	    "action x1 expand-only\naction x2 forward-only\n"
	    "match for any action m1\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	a = conf_action(c, "m1");
	T_EQ_INT(a->method, ACTION_MAILDIR);
	T_ASSERT(a->path == NULL && !a->junk);
	a = conf_action(c, "m2");
	T_ASSERT(a->path == NULL && a->junk);
	T_EQ_INT(a->ttl, 3600);
	T_ASSERT(a->alias == conf_table(c, "t"));
	a = conf_action(c, "m3");
	T_EQ_STR(a->path, "~/Mail");
	T_EQ_STR(a->user, "vmail");
	T_ASSERT(a->userbase != NULL && a->junk);
	T_EQ_INT(conf_action(c, "mb")->method, ACTION_MBOX);
	a = conf_action(c, "md");
	T_EQ_STR(a->command, "/usr/bin/procmail -f %{sender}");
	T_EQ_STR(a->wrapper, "w");
	a = conf_action(c, "lm");
	T_EQ_INT(a->method, ACTION_LMTP);
	T_EQ_STR(a->command, "/run/dovecot/lmtp");
	T_EQ_INT(a->lmtp_rcpt_to, 1);
	T_ASSERT(conf_action(c, "r1")->host == NULL);
	a = conf_action(c, "r2");
	T_EQ_INT(a->host->proto, RELAY_SMTP_TLS);
	T_EQ_STR(a->host->label, "label");
	T_EQ_STR(a->host->host, "smtp.example.com");
	T_EQ_INT(a->host->port, 25);
	T_ASSERT(a->relay_auth != NULL && a->tls);
	a = conf_action(c, "r3");
	T_EQ_INT(a->host->proto, RELAY_SMTPS);
	T_EQ_STR(a->host->host, "2001:db8::1");
	T_EQ_INT(a->host->port, 465);
	T_EQ_STR(a->pki, "p");
	T_EQ_STR(a->ca, "ca1");
	a = conf_action(c, "r4");
	T_EQ_INT(a->host->proto, RELAY_LMTP);
	T_EQ_INT(a->host->port, 24);
	T_EQ_STR(a->helo, "mx.example.org");
	T_EQ_STR(a->mail_from, "a@b");
	a = conf_action(c, "r5");
	T_EQ_INT(a->host->proto, RELAY_SMTP_NOTLS);
	T_EQ_STR(a->host->host, "relay");
	T_EQ_INT(a->host->port, 587);
	T_EQ_STR(a->src, "192.0.2.1");
	T_EQ_INT(a->srs, 1);
	a = conf_action(c, "r6");
	T_ASSERT(a->backup && a->tls && a->tls_noverify);
	T_EQ_STR(a->backup_mx, "mx1.example.org");
	T_ASSERT(a->helo_src != NULL && a->src_table == conf_table(c, "l"));
	a = conf_action(c, "r7");
	T_ASSERT(a->backup && a->backup_mx == NULL && a->relay_domain != NULL);
	T_EQ_INT(conf_action(c, "x1")->method, ACTION_EXPAND_ONLY);
	T_EQ_INT(conf_action(c, "x2")->method, ACTION_FORWARD_ONLY);
	/* Every action but m1 is unused: warnings, not errors. */
	T_ASSERT(strstr(warnings(), "t.conf:8: action \"m2\" is not used by any match\n") != NULL);
	T_ASSERT(strstr(warnings(), "action \"m1\"") == NULL);
	conf_free(c);

	T_ASSERT(fails_with("action a relay host lmtp://127.0.0.1\nmatch for any action a\n",
	    "t.conf:1: lmtp relay host \"lmtp://127.0.0.1\" needs a port\n"));
	T_ASSERT(fails_with("action a relay host gopher://x\nmatch for any action a\n",
	    "t.conf:1: unknown relay protocol \"gopher\"\n"));
	T_ASSERT(fails_with("action a relay host smtp://x:99999\nmatch for any action a\n",
	    "t.conf:1: invalid port in relay host \"smtp://x:99999\"\n"));
	T_ASSERT(fails_with("action a relay host \"smtp://[::1\"\nmatch for any action a\n",
	    "t.conf:1: bad address in relay host \"smtp://[::1\"\n"));
	T_ASSERT(fails_with("action a mbox user u\nmatch for any action a\n",
	    "t.conf:1: user is not usable with mbox delivery\n"));
	T_ASSERT(fails_with("table t { a }\naction a relay auth <t>\nmatch for any action a\n",
	    "t.conf:2: auth requires host\n"));
	T_ASSERT(fails_with("action a relay host smtp+notls://x tls\nmatch for any action a\n",
	    "t.conf:1: tls cannot be used with smtp+notls://\n"));
	T_ASSERT(fails_with("action a maildir user u virtual\nmatch for any action a\n",
	    "t.conf:1: unexpected end of line virtual\n"));
	T_ASSERT(fails_with("action a relay alias <t>\nmatch for any action a\n",
	    "t.conf:1: action option \"alias\" is not valid for relay actions\n"));
	T_ASSERT(fails_with("action a maildir helo x\nmatch for any action a\n",
	    "t.conf:1: action option \"helo\" is not valid for local delivery\n"));
	T_ASSERT(fails_with("action a deliver\n", "t.conf:1: unknown delivery method \"deliver\"\n"));
	T_ASSERT(fails_with("action a mbox\naction a mbox\nmatch for any action a\n",
	    "t.conf:2: duplicate action \"a\"\n"));
	T_ASSERT(fails_with("action a mda \"x\" wrapper w\nmatch for any action a\n",
	    "t.conf:1: unknown mda wrapper \"w\"\n"));
	T_ASSERT(fails_with("action a relay pki nope\nmatch for any action a\n",
	    "t.conf:1: unknown pki \"nope\"\n"));
	T_ASSERT(fails_with("action a mda \"%{rcpt[x]}\"\nmatch for any action a\n",
	    "t.conf:1: mda command \"%{rcpt[x]}\": bad slice in format token \"%{rcpt[x]}\"\n"));
	T_ASSERT(fails_with("action a maildir ttl 5\nmatch for any action a\n",
	    "t.conf:1: invalid ttl \"5\" (expected a number and s, m, h or d)\n"));
}

static void
test_matches(void)
{
	struct conf		*c;
	const struct match	*m;
	const struct cond	*cd;

	c = parse("table l { a, b }\naction a mbox\n"
	    "match from any for domain <l> action a\n"
	    "match !from src 10.0.0.0/8 mail-from \"@example.com\" for any reject\n"
	    "match from auth regex \"^a\" for rcpt-to { x@y, z@w } helo <l> tag T tls action a\n"
	    "match auth from rdns for any action a\n"
	    "match from rdns \"mx.example.org\" !for local action a\n"
	    "match from socket for domain regex \"example\\.(org|net)$\" action a\n"
	    "match auth <l> from any rcpt-to regex \"^x\" tag regex \"^T\" !tls action a\n"
	    "match from mail-from <l> for any action a\n"
	    "match for local action a\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_INT(c->nmatches, 9);
	m = c->matches[1];
	T_ASSERT(m->reject && m->action == NULL);
	cd = find_cond(m, COND_FROM_SRC);
	T_ASSERT(cd != NULL && cd->negate && cd->table == NULL);
	T_EQ_STR(cd->value, "10.0.0.0/8");
	T_EQ_STR(find_cond(m, COND_MAIL_FROM)->value, "@example.com");
	T_ASSERT(find_cond(m, COND_FROM_LOCAL) == NULL);
	m = c->matches[2];
	cd = find_cond(m, COND_FROM_AUTH);
	T_ASSERT(cd->regex && !cd->negate);
	T_EQ_STR(cd->value, "^a");
	cd = find_cond(m, COND_FOR_RCPT_TO);
	T_ASSERT(cd->table != NULL && table_has(cd->table, "z@w"));
	T_ASSERT(find_cond(m, COND_HELO)->table == conf_table(c, "l"));
	T_EQ_STR(find_cond(m, COND_TAG)->value, "T");
	T_ASSERT(find_cond(m, COND_TLS) != NULL);
	m = c->matches[3];
	T_ASSERT(find_cond(m, COND_AUTH)->value == NULL);
	cd = find_cond(m, COND_FROM_RDNS);
	T_ASSERT(cd->value == NULL && cd->table == NULL);
	m = c->matches[4];
	T_EQ_STR(find_cond(m, COND_FROM_RDNS)->value, "mx.example.org");
	T_ASSERT(find_cond(m, COND_FOR_LOCAL)->negate);
	m = c->matches[5];
	T_ASSERT(find_cond(m, COND_FROM_SOCKET) != NULL);
	T_ASSERT(find_cond(m, COND_FOR_DOMAIN)->regex);
	m = c->matches[6];
	T_ASSERT(find_cond(m, COND_AUTH)->table != NULL);
	T_ASSERT(find_cond(m, COND_TLS)->negate);
	T_ASSERT(find_cond(m, COND_FOR_LOCAL) != NULL);
	T_ASSERT(find_cond(m, COND_TAG)->regex);
	m = c->matches[8];
	T_EQ_INT(m->nconds, 2);
	T_ASSERT(find_cond(m, COND_FROM_LOCAL) != NULL && find_cond(m, COND_FOR_LOCAL) != NULL);
	T_ASSERT(m->action == conf_action(c, "a"));
	conf_free(c);

	T_ASSERT(fails_with("action a mbox\nmatch from any for any action a reject\n",
	    "t.conf:2: match cannot both reject and use an action\n"));
	T_ASSERT(fails_with("match from any for any\n",
	    "t.conf:1: match needs \"action NAME\" or \"reject\"\n"));
	T_ASSERT(fails_with("match from any from local reject\n",
	    "t.conf:1: match: from given twice\n"));
	T_ASSERT(fails_with("match auth from auth reject\n", "t.conf:1: match: the same auth, "
	    "mail-from or rcpt-to condition given twice\n"));
	T_ASSERT(fails_with("match helo x helo y reject\n", "t.conf:1: match: helo given twice\n"));
	T_ASSERT(fails_with("match from src 300.0.0.1 reject\n",
	    "t.conf:1: from src: invalid address \"300.0.0.1\"\n"));
	T_ASSERT(fails_with("match for domain regex \"(\" reject\n",
	    "t.conf:1: after for domain: bad regex \"(\"\n"));
	T_ASSERT(fails_with("match from where reject\n", "t.conf:1: unexpected \"where\" after "
	    "from (expected any, auth, local, mail-from, rdns, socket or src)\n"));
	T_ASSERT(fails_with("match tag reject\n", "t.conf:1: unexpected \"reject\" after tag\n"));
	T_ASSERT(fails_with("match for domain <nope> reject\n", "t.conf:1: unknown table \"nope\"\n"));
	T_ASSERT(fails_with("match !reject\n", "t.conf:1: unexpected \"reject\" after '!'\n"));
}

static void
test_filters(void)
{
	struct conf	*c;
	struct filter	*f;

	c = parse("table l { a }\nproc p1 \"/bin/cat\"\n"
	    "filter a phase connect match !fcrdns disconnect \"550 no FCrDNS\"\n"
	    "filter b phase helo match helo regex <l> reject \"554 bad helo\"\n"
	    "filter c phase mail-from match mail-from <l> !auth junk\n"
	    "filter d phase rcpt-to match rcpt-to { x@y } rewrite \"z@w\"\n"
	    "filter e phase commit match src <l> bypass\n"
	    "filter g phase data match rdns <l> auth reject \"451 later\"\n"
	    "filter ch chain { a, b,\n c }\n"
	    "filter pf proc p1\n"
	    "filter pe proc-exec \"/usr/local/bin/f -x\" user u group g\n"
	    "filter sign dkim-sign domain example.org selector s1 key \"/etc/tegami/dkim.key\"\n"
	    "filter auth1 check mail-auth\nfilter auth2 check mail-auth enforce\n"
	    "filter rbl rbl phase connect match dnsbl \"zen.example\" disconnect \"554 5.7.1 listed\"\n"
	    /* design.md's spellings: check and rbl as names. */
	    "filter check mail-auth enforce\n"
	    "filter rbl2 phase rcpt-to match !dnsbl \"list.example\" reject \"451 try later\"\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	f = conf_filter(c, "a");
	T_EQ_INT(f->conds[0].type, FCOND_FCRDNS);
	T_ASSERT(f->conds[0].negate);
	f = conf_filter(c, "b");
	T_EQ_INT(f->phase, PHASE_HELO);
	T_ASSERT(f->conds[0].regex && f->conds[0].table == conf_table(c, "l"));
	T_EQ_INT(f->decision, DECISION_REJECT);
	f = conf_filter(c, "c");
	T_EQ_INT(f->nconds, 2);
	T_EQ_INT(f->conds[1].type, FCOND_AUTH);
	T_ASSERT(f->conds[1].negate && f->conds[1].table == NULL);
	T_EQ_INT(f->decision, DECISION_JUNK);
	f = conf_filter(c, "d");
	T_EQ_INT(f->decision, DECISION_REWRITE);
	T_EQ_STR(f->message, "z@w");
	T_ASSERT(table_has(f->conds[0].table, "x@y"));
	T_EQ_INT(conf_filter(c, "e")->decision, DECISION_BYPASS);
	f = conf_filter(c, "ch");
	T_EQ_INT(f->kind, FILTER_CHAIN);
	T_EQ_INT(f->nchain, 3);
	T_EQ_STR(conf_filter(c, "pf")->command, "p1");
	f = conf_filter(c, "pe");
	T_EQ_INT(f->kind, FILTER_PROC_EXEC);
	T_EQ_STR(f->command, "/usr/local/bin/f -x");
	T_EQ_STR(f->group, "g");
	f = conf_filter(c, "sign");
	T_EQ_INT(f->kind, FILTER_DKIM_SIGN);
	T_EQ_STR(f->domain, "example.org");
	T_EQ_STR(f->selector, "s1");
	T_EQ_STR(f->key, "/etc/tegami/dkim.key");
	T_ASSERT(f->key2 == NULL && f->selector2 == NULL && !f->subdomains);
	T_EQ_INT(f->dkim_hcanon, 1);	/* relaxed/relaxed unless said */
	T_EQ_INT(f->dkim_bcanon, 1);
	T_EQ_INT(conf_filter(c, "auth1")->kind, FILTER_MAIL_AUTH);
	T_EQ_INT(conf_filter(c, "auth1")->enforce, 0);
	T_EQ_INT(conf_filter(c, "auth2")->enforce, 1);
	f = conf_filter(c, "rbl");
	T_EQ_INT(f->kind, FILTER_RBL);
	T_EQ_INT(f->conds[0].type, FCOND_DNSBL);
	T_EQ_STR(f->conds[0].value, "zen.example");
	T_EQ_STR(f->message, "554 5.7.1 listed");
	f = conf_filter(c, "check");
	T_EQ_INT(f->kind, FILTER_MAIL_AUTH);
	T_EQ_INT(f->enforce, 1);
	f = conf_filter(c, "rbl2");
	T_EQ_INT(f->kind, FILTER_RBL);
	T_EQ_INT(f->phase, PHASE_RCPT_TO);
	T_EQ_INT(f->nconds, 1);
	T_ASSERT(f->conds[0].negate);
	T_EQ_STR(f->conds[0].value, "list.example");
	T_EQ_INT(f->decision, DECISION_REJECT);
	conf_free(c);
	T_ASSERT(fails_with("filter r rbl phase connect match rdns bypass\n",
	    "t.conf:1: rbl filter needs match dnsbl or rhsbl \"zone\"\n"));
	T_ASSERT(fails_with("filter r check enforce\n",
	    "t.conf:1: unexpected \"enforce\" after check (expected mail-auth)\n"));

	T_ASSERT(fails_with("filter a phase connect match helo { x } bypass\n",
	    "t.conf:1: filter condition helo is not available at phase connect\n"));
	T_ASSERT(fails_with("filter a phase connect match rdns reject \"hello\"\n",
	    "t.conf:1: filter message \"hello\" must start with a 4xx or 5xx code\n"));
	T_ASSERT(fails_with("filter a phase commit match rdns junk\n",
	    "t.conf:1: junk is not possible at phase commit\n"));
	T_ASSERT(fails_with("filter a phase connect match rdns rewrite \"x\"\n",
	    "t.conf:1: rewrite is only possible at phases helo, ehlo, mail-from and rcpt-to\n"));
	T_ASSERT(fails_with("filter a phase bogus match rdns bypass\n", "t.conf:1: unexpected "
	    "\"bogus\" after phase (expected connect, helo, ehlo, mail-from, rcpt-to, data or commit)\n"));
	T_ASSERT(fails_with("filter c chain { x }\n", "t.conf:1: unknown filter \"x\"\n"));
	T_ASSERT(fails_with("filter a phase connect match rdns bypass\nfilter c chain { a }\n"
	    "filter d chain { c }\n",
	    "t.conf:3: filter chain \"d\" cannot contain the chain \"c\"\n"));
	T_ASSERT(fails_with("filter p proc nope\n", "t.conf:1: unknown proc \"nope\"\n"));
	T_ASSERT(fails_with("filter s dkim-sign domain d selector s\n",
	    "t.conf:1: dkim-sign needs domain, selector and key\n"));
	T_ASSERT(fails_with("filter s dkim-sign domain d selector s key \"/k\" "
	    "selector t\n", "t.conf:1: dkim-sign: each selector needs its key\n"));
	T_ASSERT(fails_with("filter s dkim-sign domain d selector s key \"/k\" "
	    "selector s key \"/k2\"\n", "t.conf:1: dkim-sign: two keys need two "
	    "selectors and two key files\n"));
	T_ASSERT(fails_with("filter s dkim-sign domain d selector a key \"/k\" "
	    "selector b key \"/k2\" selector c\n",
	    "t.conf:1: dkim-sign: at most two selectors and two keys\n"));
	T_ASSERT(fails_with("filter s dkim-sign domain d selector \"a b\" key \"/k\"\n",
	    "t.conf:1: dkim-sign: a selector is a DNS name: labels of letters, "
	    "digits and '-' separated by dots\n"));
	T_ASSERT(fails_with("filter s dkim-sign domain \"x..y\" selector s key \"/k\"\n",
	    "t.conf:1: dkim-sign: domain \"x..y\" is not a domain name\n"));
	T_ASSERT(fails_with("filter s dkim-sign domain d selector s key \"/k\" "
	    "canonicalization loose\n", "t.conf:1: canonicalization \"loose\": "
	    "relaxed, simple, or header/body (relaxed/simple ...)\n"));
	T_ASSERT(fails_with("filter s dkim-sign domain d domain e selector s key \"/k\"\n",
	    "t.conf:1: dkim-sign option given twice\n"));
	T_ASSERT(fails_with("filter s frobnicate\n", "t.conf:1: unknown filter type \"frobnicate\"\n"));
	T_ASSERT(fails_with("filter a check mail-auth\nfilter a check mail-auth\n",
	    "t.conf:2: duplicate filter \"a\"\n"));
}

/* DNS lists, HELO hygiene, rewrite values, and which filters are said not to run. */
static void
test_filters_inbound(void)
{
	struct conf	*c;
	struct filter	*f;

	c = parse("table zones { \"a.example\", \"b.example=127.0.0.[2..4]\" }\n"
	    "table ok { 10.0.0.0/8 }\n"
	    "filter z phase connect match !src <ok> dnsbl <zones> rdns "
	    "reject \"554 5.7.1 listed\"\n"
	    "filter s phase mail-from match rhsbl \"dbl.example\" reject \"554 no\"\n"
	    "filter s2 phase rcpt-to match rhsbl sender \"dbl.example\" junk\n"
	    "filter cl phase connect match rhsbl client { \"dbl.example\" } junk\n"
	    "filter he phase ehlo match rhsbl helo \"dbl.example\" !helo-valid "
	    "!helo-fqdn helo-self reject \"550 bad helo\"\n"
	    "filter rw1 phase mail-from match auth rewrite \"<>\"\n"
	    "filter rw2 phase mail-from match auth rewrite \"<a@b.example>\"\n"
	    "filter rw3 phase helo match helo { x } rewrite \"[192.0.2.1]\"\n"
	    "filter pe proc-exec \"/bin/cat\"\n"
	    "smtp limit max-sessions-per-address 5 max-connection-rate 30/2m\n"
	    "smtp timeout command 30s session 1h dnsbl 2s\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	/* Only what does not run yet is warned about. */
	T_EQ_STR(warnings(), "t.conf:11: filter \"pe\" is not applied by this "
	    "version of tegamid: mail passes it unfiltered\n");
	f = conf_filter(c, "z");
	T_EQ_INT(f->kind, FILTER_RBL);
	T_EQ_INT(f->nconds, 3);
	T_EQ_INT(f->conds[1].type, FCOND_DNSBL);
	T_ASSERT(f->conds[1].table == conf_table(c, "zones"));
	f = conf_filter(c, "s");
	T_EQ_INT(f->conds[0].type, FCOND_RHSBL);
	T_EQ_INT(f->conds[0].target, RHSBL_SENDER);
	T_EQ_STR(f->conds[0].value, "dbl.example");
	T_EQ_INT(conf_filter(c, "s2")->conds[0].target, RHSBL_SENDER);
	T_EQ_INT(conf_filter(c, "cl")->conds[0].target, RHSBL_CLIENT);
	f = conf_filter(c, "he");
	T_EQ_INT(f->conds[0].target, RHSBL_HELO);
	T_EQ_INT(f->conds[1].type, FCOND_HELO_VALID);
	T_ASSERT(f->conds[1].negate);
	T_EQ_INT(f->conds[2].type, FCOND_HELO_FQDN);
	T_EQ_INT(f->conds[3].type, FCOND_HELO_SELF);
	T_ASSERT(!f->conds[3].negate);
	T_EQ_STR(conf_filter(c, "rw1")->message, "<>");
	T_EQ_INT(c->max_sessions_per_addr, 5);
	T_EQ_INT(c->conn_rate_max, 30);
	T_EQ_INT(c->conn_rate_window, 120);
	T_EQ_INT(c->smtp_timeout_command, 30);
	T_EQ_INT(c->smtp_timeout_session, 3600);
	T_EQ_INT(c->dnsbl_timeout, 2);
	conf_free(c);

	T_ASSERT(fails_with("filter a phase connect match rhsbl \"d.example\" junk\n",
	    "t.conf:1: filter condition rhsbl sender is not available at phase "
	    "connect\n"));
	T_ASSERT(fails_with("filter a phase connect match rhsbl helo \"d.example\" junk\n",
	    "t.conf:1: filter condition rhsbl helo is not available at phase "
	    "connect\n"));
	T_ASSERT(fails_with("filter a phase connect match helo-self junk\n",
	    "t.conf:1: filter condition helo-self is not available at phase "
	    "connect\n"));
	T_ASSERT(fails_with("filter a phase connect match dnsbl \"bad zone\" junk\n",
	    "t.conf:1: a DNS list zone must be a domain name\n"));
	T_ASSERT(fails_with("filter a phase connect match dnsbl { \"z.example=1.2.3\" } "
	    "junk\n", "t.conf:1: bad DNS list answer codes (expected e.g. "
	    "127.0.0.2 or 127.0.0.[2..11])\n"));
	T_ASSERT(fails_with("filter a phase helo match helo { x } rewrite \"a b\"\n",
	    "t.conf:1: rewrite \"a b\": invalid character in name\n"));
	T_ASSERT(fails_with("filter a phase rcpt-to match auth rewrite \"<>\"\n",
	    "t.conf:1: rewrite \"<>\": missing domain\n"));
	T_ASSERT(fails_with("filter a phase rcpt-to match auth rewrite \"postmaster\"\n",
	    "t.conf:1: rewrite \"postmaster\": missing domain\n"));
	T_ASSERT(fails_with("smtp limit max-connection-rate 30\n",
	    "t.conf:1: max-connection-rate wants N/DELAY (e.g. 30/60s; N up to "
	    "1000000, DELAY up to 1d; 0/60s: no limit)\n"));
	T_ASSERT(fails_with("smtp limit max-connection-rate 30/0s\n",
	    "t.conf:1: max-connection-rate wants N/DELAY (e.g. 30/60s; N up to "
	    "1000000, DELAY up to 1d; 0/60s: no limit)\n"));
	T_ASSERT(fails_with("smtp timeout command 2h\n",
	    "t.conf:1: invalid timeout \"2h\" (from 1s to 3600s)\n"));
	T_ASSERT(fails_with("smtp timeout\n",
	    "t.conf:1: unexpected end of line after smtp timeout (expected command, "
	    "data, session or dnsbl)\n"));
}

static void
test_include(void)
{
	char		 dir[] = "/tmp/test_conf.XXXXXX";
	char		*main_path, *inc_path, *cmd;
	FILE		*f;
	struct conf	*c;

	T_ASSERT(mkdtemp(dir) != NULL);
	buf_reset(&errs);
	main_path = xasprintf("%s/main.conf", dir);
	inc_path = xasprintf("%s/inc.conf", dir);
	f = fopen(main_path, "w");
	fputs("x = \"from-macro\"\nlisten on 127.0.0.1\ninclude \"inc.conf\"\n"
	    "match for local action a\n", f);
	fclose(f);
	f = fopen(inc_path, "w");
	fputs("# included\naction a maildir \"/m/%{rcpt.user}\" user $x\n", f);
	fclose(f);
	c = conf_load(main_path, &errs, &warns);
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_STR(conf_action(c, "a")->user, "from-macro");
	T_EQ_STR(conf_action(c, "a")->conf_file, inc_path);
	T_EQ_INT(conf_action(c, "a")->conf_line, 2);
	T_EQ_INT(c->matches[0]->conf_line, 4);
	T_EQ_STR(c->matches[0]->conf_file, main_path);
	conf_free(c);

	/* An include of itself stops at the depth limit. */
	f = fopen(inc_path, "w");
	fputs("include \"inc.conf\"\n", f);
	fclose(f);
	buf_reset(&errs);
	c = conf_load(main_path, &errs, &warns);
	T_ASSERT(c == NULL);
	T_ASSERT(strstr(errors(), "inc.conf:1: include \"inc.conf\": nested too deeply\n") != NULL);

	buf_reset(&errs);
	T_ASSERT(conf_load("/nonexistent/tegami.conf", &errs, &warns) == NULL);
	T_EQ_STR(errors(), "/nonexistent/tegami.conf: cannot open: No such file or directory\n");
	cmd = xasprintf("rm -rf %s", dir);
	T_EQ_INT(system(cmd), 0);
	free(cmd);
	free(main_path);
	free(inc_path);
}

static void
test_reload(void)
{
	char		 dir[] = "/tmp/test_conf.XXXXXX";
	char		*path, *cmd;
	const char	*err = NULL;
	struct conf	*c;
	FILE		*f;

	T_ASSERT(mkdtemp(dir) != NULL);
	path = xasprintf("%s/t.conf", dir);
	f = fopen(path, "w");
	fputs("table a file:a\ntable b file:b\n", f);
	fclose(f);
	cmd = xasprintf("cd %s && printf 'x 1\\n' > a && printf 'y 1\\n' > b", dir);
	T_EQ_INT(system(cmd), 0);
	free(cmd);
	buf_reset(&errs);
	c = conf_load(path, &errs, &warns);
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	/* a breaks, b changes: b is reloaded all the same, a keeps its content. */
	cmd = xasprintf("cd %s && printf 'x:\\n' > a && printf 'y 2\\n' > b", dir);
	T_EQ_INT(system(cmd), 0);
	free(cmd);
	T_EQ_INT(conf_reload_tables(c, &err), -1);
	T_ASSERT(err != NULL && strstr(err, "/a:1: missing value after ':'") != NULL);
	T_EQ_STR(table_get(conf_table(c, "a"), "x"), "1");
	T_EQ_STR(table_get(conf_table(c, "b"), "y"), "2");
	conf_free(c);
	cmd = xasprintf("rm -rf %s", dir);
	T_EQ_INT(system(cmd), 0);
	free(cmd);
	free(path);
}

/* dkim-sign keys travel in the bundle, checked: they must load and be able to sign. */
static void
test_dkim_keys_bundled(void)
{
	char		 dir[] = "/tmp/test_conf.XXXXXX", cwd[1024];
	char		*path, *cmd;
	struct bundle	*b;
	struct conf	*c;
	FILE		*f;

	T_ASSERT(getcwd(cwd, sizeof(cwd)) != NULL);
	T_ASSERT(mkdtemp(dir) != NULL);
	path = xasprintf("%s/t.conf", dir);
	f = fopen(path, "w");
	fprintf(f, "filter s dkim-sign domain example.org selector rsa key "
	    "\"%s/tests/data/dkim/rsa2048.pem\" selector ed key \"ed.pem\"\n", cwd);
	fclose(f);
	cmd = xasprintf("cp %s/tests/data/dkim/ed25519.pem %s/ed.pem", cwd, dir);
	T_EQ_INT(system(cmd), 0);
	free(cmd);
	buf_reset(&errs);
	b = bundle_new();
	c = conf_load_recorded(path, b, &errs, &warns);
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	cmd = xasprintf("%s/ed.pem", dir);
	T_ASSERT(bundle_get(b, cmd) != NULL && bundle_get(b, cmd)->kind == BUNDLE_PEM);
	T_ASSERT(conf_dkim_is_key(c, cmd));
	free(cmd);
	/* The algorithms are known without the keys: smtp writes a= from them. */
	T_EQ_INT(conf_filter(c, "s")->dkim_alg, 1);	/* DKIM_ALG_RSA_SHA256 */
	T_EQ_INT(conf_filter(c, "s")->dkim_alg2, 2);	/* DKIM_ALG_ED25519_SHA256 */
	conf_free(c);
	c = conf_load_bundle(path, b, &errs, &warns);
	T_ASSERT(c != NULL);
	T_EQ_INT(conf_filter(c, "s")->dkim_alg, 1);
	T_EQ_INT(conf_filter(c, "s")->dkim_alg2, 2);
	conf_free(c);
	bundle_free(b);

	/* A key too short to sign with, a file that is no key, a missing file. */
	f = fopen(path, "w");
	fprintf(f, "filter s dkim-sign domain example.org selector s key "
	    "\"%s/tests/data/dkim/rsa512.pem\"\n"
	    "filter t dkim-sign domain example.org selector s key \"t.conf\"\n"
	    "filter u dkim-sign domain example.org selector s key \"nope.pem\"\n", cwd);
	fclose(f);
	buf_reset(&errs);
	b = bundle_new();
	c = conf_load_recorded(path, b, &errs, &warns);
	T_ASSERT(c == NULL);
	T_ASSERT(strstr(errors(), "t.conf:1: dkim-sign key ") != NULL);
	T_ASSERT(strstr(errors(), "rsa512.pem: ") != NULL);
	if (strstr(errors(), "t.conf:2: dkim-sign key ") == NULL) { t_fail(__FILE__, __LINE__, "%s", errors()); return; }
	T_ASSERT(strstr(errors(), "t.conf:3: cannot read dkim-sign key ") != NULL);
	T_ASSERT(strstr(errors(), "No such file or directory") != NULL);
	bundle_free(b);
	cmd = xasprintf("rm -rf %s", dir);
	T_EQ_INT(system(cmd), 0);
	free(cmd);
	free(path);
}

static void
test_garbage(void)
{
	struct buf	 b;
	struct conf	*c;
	size_t		 i;

	/* Many errors are capped, and binary input is survived. */
	buf_init(&b, 0);
	for (i = 0; i < 500; i++)
		buf_addf(&b, "bogus%zu\n", i);
	c = parse(b.data);
	T_ASSERT(c == NULL);
	T_ASSERT(strstr(errors(), "t.conf:100: unknown keyword \"bogus99\"\n") != NULL);
	T_ASSERT(strstr(errors(), "bogus100\"") == NULL);
	T_ASSERT(strstr(errors(), "t.conf: too many errors (500), the first 100 shown\n") != NULL);
	buf_free(&b);
	c = conf_load_buffer("bin", "\x01\x02\0\xff{{<<\"", 10, &errs, &warns);
	T_ASSERT(c == NULL);
}

/* smtp timeout: any of its three deadlines, 0 (the session's default) when left out. */
static void
test_smtp_timeout(void)
{
	struct conf	*c;

	c = parse("smtp timeout data 1m command 20s\nsmtp timeout session 2h\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_INT(c->smtp_timeout_command, 20);
	T_EQ_INT(c->smtp_timeout_data, 60);
	T_EQ_INT(c->smtp_timeout_session, 7200);
	conf_free(c);
	c = parse("smtp timeout command 1s\n");
	T_ASSERT(c != NULL);
	T_EQ_INT(c->smtp_timeout_data, 0);
	T_EQ_INT(c->smtp_timeout_session, 0);
	conf_free(c);
	T_ASSERT(fails_with("smtp timeout\n", "t.conf:1: unexpected end of line "
	    "after smtp timeout (expected command, data, session or dnsbl)\n"));
	T_ASSERT(fails_with("smtp timeout command 0s\n", "t.conf:1: invalid "
	    "timeout \"0s\" (from 1s to 3600s)\n"));
	T_ASSERT(fails_with("smtp timeout idle 5m\n", "t.conf:1: unexpected "
	    "\"idle\" after smtp timeout (expected command, data, session or "
	    "dnsbl)\n"));
}

/* What actions read from tables is checked where it is loaded: error: replies, relay URLs. */
static void
test_table_checks(void)
{
	T_ASSERT(fails_with("table v { crash@example.org = \"error:550 5.01.1 boom\" }\n"
	    "action \"d\" maildir virtual <v>\n"
	    "match from any for any action \"d\"\n",
	    "t.conf:1: table v: crash@example.org: invalid enhanced status code "
	    "(RFC 3463: class.subject.detail, the class of the reply code, no "
	    "leading zeros): \"error:550 5.01.1 boom\"\n"));
	T_ASSERT(fails_with("table a { x = \"bob, error:250 fine\" }\n"
	    "action \"d\" mbox alias <a>\n"
	    "match from any for any action \"d\"\n",
	    "t.conf:1: table a: x: error: needs a 4XX or 5XX code, then text: "
	    "\"error:250 fine\"\n"));
	T_ASSERT(fails_with("table r { remote.test = \"ftp://h\" }\n"
	    "action \"out\" relay domain <r>\n"
	    "match from any for any action \"out\"\n",
	    "t.conf:1: table r: remote.test: unknown relay protocol \"ftp\"\n"));
	T_ASSERT(fails_with("table r { remote.test }\n"
	    "action \"out\" relay domain <r>\n"
	    "match from any for any action \"out\"\n",
	    "t.conf:1: table r: remote.test: relay domain <r> needs a relay URL "
	    "for each domain\n"));
}

/* dkim-sign: two keys, a domain table, canonicalization, subdomains, and which filter signs what. */
static void
test_dkim_sign(void)
{
	struct conf	*c;
	struct filter	*f;
	char		 d[256];

	c = parse("table signed { example.com, Example.NET }\n"
	    "filter two dkim-sign domain example.org selector rsa key \"/k/rsa.key\" "
	    "selector ed key \"ed.key\" canonicalization simple subdomains\n"
	    "filter tab dkim-sign selector s1 key \"/k/t.key\" domain <signed> "
	    "canonicalization \"relaxed/simple\"\n"
	    "filter simple dkim-sign domain a.example selector s key \"/k/a\" "
	    "canonicalization simple/relaxed\n"
	    "filter ma check mail-auth\n"
	    "admd \"example.org\"\n");
	T_EQ_STR(errors(), "");
	T_ASSERT(c != NULL);
	T_EQ_STR(warnings(), "");
	f = conf_filter(c, "two");
	T_EQ_STR(f->selector, "rsa");
	T_EQ_STR(f->key, "/k/rsa.key");
	T_EQ_STR(f->selector2, "ed");
	T_EQ_STR(f->key2, "ed.key");	/* relative to the directory of t.conf: none here */
	T_EQ_INT(f->dkim_hcanon, 0);
	T_EQ_INT(f->dkim_bcanon, 0);
	T_EQ_INT(f->subdomains, 1);
	T_EQ_INT(conf_dkim_signs(f, "example.org", d, sizeof(d)), 1);
	T_EQ_STR(d, "example.org");
	/* A subdomain is signed with the parent's key and d= the parent. */
	T_EQ_INT(conf_dkim_signs(f, "Mail.Lists.EXAMPLE.org", d, sizeof(d)), 1);
	T_EQ_STR(d, "example.org");
	T_EQ_INT(conf_dkim_signs(f, "example.org.evil", d, sizeof(d)), 0);
	T_EQ_INT(conf_dkim_signs(f, "badexample.org", d, sizeof(d)), 0);
	T_EQ_INT(conf_dkim_signs(f, "org", d, sizeof(d)), 0);
	f = conf_filter(c, "tab");
	T_ASSERT(f->domain == NULL && f->domains == conf_table(c, "signed"));
	T_EQ_INT(f->dkim_hcanon, 1);
	T_EQ_INT(f->dkim_bcanon, 0);
	T_EQ_INT(conf_dkim_signs(f, "EXAMPLE.com", d, sizeof(d)), 1);
	T_EQ_STR(d, "example.com");
	T_EQ_INT(conf_dkim_signs(f, "example.net", d, sizeof(d)), 1);
	/* Without subdomains, only the names themselves. */
	T_EQ_INT(conf_dkim_signs(f, "sub.example.com", d, sizeof(d)), 0);
	T_EQ_INT(conf_dkim_signs(f, "example.org", d, sizeof(d)), 0);
	f = conf_filter(c, "simple");
	T_EQ_INT(f->dkim_hcanon, 0);
	T_EQ_INT(f->dkim_bcanon, 1);
	/* Not a dkim-sign filter: signs nothing. */
	T_EQ_INT(conf_dkim_signs(conf_filter(c, "ma"), "a.example", d, sizeof(d)), 0);
	T_EQ_INT(conf_dkim_is_key(c, "/k/rsa.key"), 1);
	T_EQ_INT(conf_dkim_is_key(c, "ed.key"), 1);
	T_EQ_INT(conf_dkim_is_key(c, "/k/t.key"), 1);
	T_EQ_INT(conf_dkim_is_key(c, "/k/other"), 0);
	T_EQ_INT(conf_has_mail_auth(c), 1);
	T_EQ_STR(conf_authserv_id(c), "example.org");
	conf_free(c);

	c = parse("hostname \"mx.example.org\"\n");
	T_ASSERT(c != NULL);
	T_EQ_INT(conf_has_mail_auth(c), 0);
	T_EQ_STR(conf_authserv_id(c), "mx.example.org");
	conf_free(c);
}

void
test_main(void)
{
	buf_init(&errs, 0);
	buf_init(&warns, 0);
	/* git keeps no modes but +x, and a pki key readable by others is refused. */
	chmod(DATA "/seed000/mail.example.com.key", 0600);
	chmod(DATA "/seed001/mail.mtkn.jp.key", 0600);
	t_run("seed000", test_seed000);
	t_run("seed001", test_seed001);
	t_run("broken", test_broken);
	t_run("design_additions", test_design_additions);
	t_run("lexer", test_lexer);
	t_run("errors_collected", test_errors_collected);
	t_run("defaults", test_defaults);
	t_run("globals", test_globals);
	t_run("smtp_timeout", test_smtp_timeout);
	t_run("table_checks", test_table_checks);
	t_run("sizes_delays", test_sizes_delays);
	t_run("tables", test_tables);
	t_run("table_relative_path", test_table_relative_path);
	t_run("listen", test_listen);
	t_run("listener_addrs", test_listener_addrs);
	t_run("actions", test_actions);
	t_run("matches", test_matches);
	t_run("filters", test_filters);
	t_run("filters_inbound", test_filters_inbound);
	t_run("dkim_sign", test_dkim_sign);
	t_run("include", test_include);
	t_run("reload", test_reload);
	t_run("dkim_keys_bundled", test_dkim_keys_bundled);
	t_run("garbage", test_garbage);
	buf_free(&errs);
	buf_free(&warns);
}
