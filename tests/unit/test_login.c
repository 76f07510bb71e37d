/* Tests for route/login: credentials lookups fold case as the man page says. */
#include <string.h>

#include "harness.h"
#include "conf/table.h"
#include "route/login.h"

static void
test_fold(void)
{
	struct table	*t = table_new("creds", TABLE_INLINE_MAP, NULL);
	const char	*err, *v;
	char		 found[100];

	T_EQ_INT(table_add(t, "alice@example.org", "$2b$a", &err), 0);
	T_EQ_INT(table_add(t, "Bob@Example.ORG", "$2b$b", &err), 0);
	T_EQ_INT(table_add(t, "carol@example.org", "$2b$c1", &err), 0);
	T_EQ_INT(table_add(t, "Carol@example.org", "$2b$c2", &err), 0);
	/* The audit's probe: the local part compared with case. */
	T_ASSERT((v = login_lookup(t, "Alice@Example.org", found, sizeof(found))) != NULL);
	T_EQ_STR(v, "$2b$a");
	T_EQ_STR(found, "alice@example.org");
	T_ASSERT((v = login_lookup(t, "bob@example.org", found, sizeof(found))) != NULL);
	T_EQ_STR(v, "$2b$b");
	T_EQ_STR(found, "bob@example.org");
	/* An exact key wins over folding, and keeps the login as given. */
	T_ASSERT((v = login_lookup(t, "Bob@Example.ORG", found, sizeof(found))) != NULL);
	T_EQ_STR(found, "Bob@Example.ORG");
	T_ASSERT((v = login_lookup(t, "Carol@example.org", found, sizeof(found))) != NULL);
	T_EQ_STR(v, "$2b$c2");
	T_ASSERT((v = login_lookup(t, "CAROL@example.org", found, sizeof(found))) != NULL);
	T_EQ_STR(v, "$2b$c1");	/* the first of the folded duplicates */
	T_ASSERT(login_lookup(t, "dave@example.org", found, sizeof(found)) == NULL);
	T_ASSERT(login_lookup(t, "alice@example.org.", found, sizeof(found)) == NULL);
	table_free(t);
}

void
test_main(void)
{
	t_run("fold", test_fold);
}
