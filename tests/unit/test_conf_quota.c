/* Unit tests for the quota and over-quota options of maildir actions. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "conf/conf.h"
#include "lib/buf.h"

static struct conf *
load(const char *text, struct buf *errs)
{
	buf_init(errs, 0);
	return conf_load_buffer("t.conf", text, strlen(text), errs, NULL);
}

static void
test_options(void)
{
	struct buf	 e;
	struct conf	*c;

	c = load("action \"a\" maildir \"/m/%{dest.user}\" quota 500M over-quota defer\n"
	    "action \"b\" maildir quota none over-quota bounce\n"
	    "action \"c\" maildir\n"
	    "match for local action \"a\"\n", &e);
	T_ASSERT(c != NULL);
	T_EQ_INT(conf_action(c, "a")->quota, 500ULL * 1024 * 1024);
	T_EQ_INT(conf_action(c, "a")->over_quota_defer, 1);
	T_EQ_INT(conf_action(c, "b")->quota, 0);
	T_EQ_INT(conf_action(c, "b")->over_quota_defer, 0);
	T_EQ_INT(conf_action(c, "c")->quota, 0);
	conf_free(c);
	buf_free(&e);
}

static void
test_refused(void)
{
	static const char *const bad[] = {
		"action \"a\" maildir quota\nmatch for local action \"a\"\n",
		"action \"a\" maildir quota -5\nmatch for local action \"a\"\n",
		"action \"a\" maildir quota 1M quota 2M\nmatch for local action \"a\"\n",
		"action \"a\" relay quota 1M\nmatch for local action \"a\"\n",
		"action \"a\" mbox over-quota defer\nmatch for local action \"a\"\n",
		"action \"a\" maildir over-quota never\nmatch for local action \"a\"\n",
	};
	struct buf	 e;
	struct conf	*c;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = load(bad[i], &e);
		if (c != NULL) {
			t_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
			conf_free(c);
		} else if (e.data == NULL || strstr(e.data, "t.conf:1: ") == NULL)
			t_fail(__FILE__, __LINE__, "no FILE:LINE error for %s", bad[i]);
		buf_free(&e);
	}
}

void
test_main(void)
{
	t_run("quota options", test_options);
	t_run("refused", test_refused);
}
