/* Tests for src/conf/secrets.c and the AUTH settings of the parser: credentials wiped after fork, auth-throttle and auth-cost. */
#include <string.h>

#include "harness.h"
#include "conf/conf.h"
#include "conf/table.h"
#include "lib/buf.h"

static struct conf *
load(const char *text, struct buf *errors)
{
	buf_init(errors, 0);
	return conf_load_buffer("t.conf", text, strlen(text), errors, NULL);
}

static void
test_drop_secrets(void)
{
	const char	*text =
	    "table creds { alice@example.org = \"$2b$10$abcdefghijklmnopqrstuv\", "
	    "Bob@Example.org = \"{PLAIN}pw\" }\n"
	    "table users { alice@example.org }\n"
	    "listen on 127.0.0.1 port 2587 auth <creds>\n"
	    "action \"out\" relay host smtp+tls://label@smtp.example.net auth <creds>\n"
	    "match auth from any for any action \"out\"\n";
	struct buf	 errors;
	struct conf	*c = load(text, &errors);
	struct table	*t;

	T_ASSERT(c != NULL);
	t = conf_table(c, "creds");
	T_ASSERT(t != NULL);
	T_EQ_STR(table_get(t, "alice@example.org"), "$2b$10$abcdefghijklmnopqrstuv");
	T_EQ_STR(table_get_fold(t, "bob@example.org"), "{PLAIN}pw");
	conf_drop_secrets(c);
	/* The logins stay (for "from auth <creds>"), the hashes are gone. */
	T_ASSERT(table_has(t, "alice@example.org"));
	T_ASSERT(table_get(t, "alice@example.org") == NULL);
	T_ASSERT(table_get_fold(t, "bob@example.org") == NULL);
	T_EQ_INT(t->nentries, 2);
	/* Other tables are untouched. */
	T_ASSERT(table_has(conf_table(c, "users"), "alice@example.org"));
	conf_drop_secrets(c);	/* twice is harmless */
	conf_free(c);
	buf_free(&errors);
}

static void
test_auth_settings(void)
{
	struct buf	 errors;
	struct conf	*c;

	c = load("listen on 127.0.0.1\n", &errors);
	T_ASSERT(c != NULL);
	T_EQ_INT(c->auth_throttle_fails, 10);
	T_EQ_INT(c->auth_throttle_within, 600);
	T_EQ_INT(c->auth_ban, 900);
	T_EQ_INT(c->auth_cost, 10);
	conf_free(c);
	buf_free(&errors);

	c = load("smtp auth-throttle 5 within 2m ban 1h\nsmtp auth-cost 12\n", &errors);
	T_ASSERT(c != NULL);
	T_EQ_INT(c->auth_throttle_fails, 5);
	T_EQ_INT(c->auth_throttle_within, 120);
	T_EQ_INT(c->auth_ban, 3600);
	T_EQ_INT(c->auth_cost, 12);
	conf_free(c);
	buf_free(&errors);

	c = load("smtp auth-throttle 3 ban 30s\n", &errors);
	T_ASSERT(c != NULL);
	T_EQ_INT(c->auth_throttle_fails, 3);
	T_EQ_INT(c->auth_throttle_within, 600);
	T_EQ_INT(c->auth_ban, 30);
	conf_free(c);
	buf_free(&errors);

	c = load("hostname \"x.example\"\nsmtp auth-cost 3\n", &errors);
	T_ASSERT(c == NULL);
	T_ASSERT(strstr(errors.data, "t.conf:2: ") != NULL);
	buf_free(&errors);
	c = load("smtp auth-throttle 0\n", &errors);
	T_ASSERT(c == NULL);
	buf_free(&errors);
	c = load("smtp auth-throttle 5 within\n", &errors);
	T_ASSERT(c == NULL);
	T_ASSERT(strstr(errors.data, "t.conf:1: ") != NULL);
	buf_free(&errors);
	c = load("smtp auth-throttle 5 forever\n", &errors);
	T_ASSERT(c == NULL);
	buf_free(&errors);
}

void
test_main(void)
{
	t_run("drop_secrets", test_drop_secrets);
	t_run("auth_settings", test_auth_settings);
}
