/* Unit tests for editing file tables: line splitting as table_load reads it, set/del/commit, and the rehash writer. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "conf/table.h"
#include "conf/table_edit.h"
#include "lib/xalloc.h"

static char	 tmpdir[] = "/tmp/test_table_edit.XXXXXX";

static char *
put(const char *name, const char *text)
{
	char	*path = xasprintf("%s/%s", tmpdir, name);
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*s;
	long	 n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = xmalloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		abort();
	s[n] = '\0';
	fclose(f);
	return s;
}

/* key and value of a line as strings ("" for a list entry); r the return of split. */
static int
split(const char *line, char *key, char *val)
{
	struct table_edit_parts	 pt;
	int			 r;

	key[0] = val[0] = '\0';
	r = table_edit_split(line, strlen(line), &pt);
	if (r == 1) {
		memcpy(key, line + pt.key_off, pt.key_len);
		key[pt.key_len] = '\0';
		memcpy(val, line + pt.val_off, pt.val_len);
		val[pt.val_len] = '\0';
	}
	return r;
}

static void
test_split(void)
{
	char	 k[128], v[128];

	T_EQ_INT(split("alice@example.org vmail", k, v), 1);
	T_EQ_STR(k, "alice@example.org");
	T_EQ_STR(v, "vmail");
	T_EQ_INT(split("alice@example.org:$2b$10$abc:1000:1000::", k, v), 1);
	T_EQ_STR(k, "alice@example.org");
	T_EQ_STR(v, "$2b$10$abc:1000:1000::");
	T_EQ_INT(split("  key  :  a, b   # comment", k, v), 1);
	T_EQ_STR(k, "key");
	T_EQ_STR(v, "a, b");
	T_EQ_INT(split("example.org\r", k, v), 1);
	T_EQ_STR(k, "example.org");
	T_EQ_STR(v, "");
	T_EQ_INT(split("::1 localhost", k, v), 1);
	T_EQ_STR(k, "::1");
	T_EQ_STR(v, "localhost");
	T_EQ_INT(split("a#b c#d", k, v), 1);
	T_EQ_STR(k, "a#b");
	T_EQ_STR(v, "c#d");
	T_EQ_INT(split("# only a comment", k, v), 0);
	T_EQ_INT(split("   \t ", k, v), 0);
	T_EQ_INT(split(":value", k, v), -1);
	T_EQ_INT(split("key:", k, v), -1);
	T_EQ_INT(split("key :", k, v), -1);
}

/* What table_load makes of a file must be what table_edit_split says, line by line. */
static void
test_split_agrees_with_load(void)
{
	static const char text[] =
	    "# header\n"
	    "a@x.org b@x.org, c@x.org\n"
	    "d@x.org:$1$salt$hash:1000:1000::/home/d:/bin/sh\n"
	    "e@x.org : f@x.org # trailing\n"
	    "10.0.0.0/8 net\n"
	    "listed\n";
	struct table	*t;
	const char	*err, *p, *nl;
	char		 line[256], k[256], v[256];

	t = table_new("t", TABLE_INLINE_MAP, NULL);
	T_ASSERT(table_load_buffer(t, text, strlen(text), &err) == 0);
	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		if (split(line, k, v) != 1)
			continue;
		T_ASSERT(table_has(t, k));
		if (v[0] == '\0')
			T_ASSERT(table_get(t, k) == NULL);
		else
			T_EQ_STR(table_get(t, k), v);
	}
	table_free(t);
}

static void
test_set_keeps_other_lines(void)
{
	struct table_edit	 te;
	const char		*err;
	char			*path, *got;
	struct stat		 st;

	path = put("vusers", "# virtual users\n"
	    "Alice@example.org\tvmail   # the first\n"
	    "bob@example.org\tvmail\n"
	    "alice@example.org\tignored-duplicate\n");
	chmod(path, 0640);
	T_ASSERT(table_edit_open(&te, path, 0644, &err) == 0);
	T_EQ_INT(table_edit_find(&te, "ALICE@example.org"), 1);
	T_EQ_INT(table_edit_find(&te, "nobody@example.org"), -1);
	T_ASSERT(table_edit_set(&te, "alice@example.org", "alice@example.net", &err) == 0);
	T_ASSERT(table_edit_set(&te, "carol@example.org", "vmail", &err) == 0);
	T_EQ_INT(table_edit_del(&te, "bob@EXAMPLE.org"), 1);
	T_ASSERT(table_edit_commit(&te, &err) == 0);
	table_edit_close(&te);
	got = slurp(path);
	T_EQ_STR(got, "# virtual users\n"
	    "Alice@example.org\talice@example.net   # the first\n"
	    "carol@example.org\tvmail\n");
	free(got);
	T_ASSERT(stat(path, &st) == 0);
	T_EQ_INT(st.st_mode & 07777, 0640);
	free(path);
}

static void
test_new_file_and_style(void)
{
	struct table_edit	 te;
	const char		*err;
	char			*path, *got, *v;
	struct stat		 st;

	path = xasprintf("%s/creds", tmpdir);
	T_ASSERT(table_edit_open(&te, path, 0600, &err) == 0);
	T_EQ_INT(te.exists, 0);
	T_ASSERT(table_edit_set(&te, "a@x.org", "$2b$10$x", &err) == 0);
	T_ASSERT(table_edit_commit(&te, &err) == 0);
	table_edit_close(&te);
	got = slurp(path);
	T_EQ_STR(got, "a@x.org:$2b$10$x\n");
	free(got);
	T_ASSERT(stat(path, &st) == 0);
	T_EQ_INT(st.st_mode & 07777, 0600);

	/* A file whose entries are blank-separated gets blank-separated entries. */
	free(path);
	path = put("blank", "x@y.org\tone\nz@y.org two\n");
	T_ASSERT(table_edit_open(&te, path, 0644, &err) == 0);
	T_ASSERT(table_edit_set(&te, "w@y.org", "three", &err) == 0);
	v = table_edit_value(&te, (size_t)table_edit_find(&te, "Z@Y.ORG"));
	T_EQ_STR(v, "two");
	free(v);
	T_ASSERT(table_edit_commit(&te, &err) == 0);
	table_edit_close(&te);
	got = slurp(path);
	T_EQ_STR(got, "x@y.org\tone\nz@y.org two\nw@y.org\tthree\n");
	free(got);

	/* A list table (domains): keys alone; a file without a final newline. */
	free(path);
	path = put("domains", "example.org");
	T_ASSERT(table_edit_open(&te, path, 0644, &err) == 0);
	T_ASSERT(table_edit_set(&te, "example.net", NULL, &err) == 0);
	T_ASSERT(table_edit_commit(&te, &err) == 0);
	table_edit_close(&te);
	got = slurp(path);
	T_EQ_STR(got, "example.org\nexample.net\n");
	free(got);
	free(path);
}

static void
test_check(void)
{
	const char	*err;

	T_ASSERT(table_edit_check("a@b", "vmail", &err) == 0);
	T_ASSERT(table_edit_check("a@b", "x@y, z@w", &err) == 0);
	T_ASSERT(table_edit_check("a b", "v", &err) == -1);
	T_ASSERT(table_edit_check("a:b", "v", &err) == -1);
	T_ASSERT(table_edit_check("#a", NULL, &err) == -1);
	T_ASSERT(table_edit_check("a", "v # no", &err) == -1);
	T_ASSERT(table_edit_check("a", "v\nw", &err) == -1);
	T_ASSERT(table_edit_check("a", " v", &err) == -1);
	T_ASSERT(table_edit_check("a", ": v", &err) == -1);
	T_ASSERT(table_edit_check("a", "", &err) == -1);
}

#define NEWHASH	"$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"

static void
test_rehash(void)
{
	const char	*err;
	char		*path, *got;

	T_ASSERT(table_edit_is_bcrypt(NEWHASH));
	T_ASSERT(!table_edit_is_bcrypt("$1$salt$hash"));
	T_ASSERT(!table_edit_is_bcrypt(NEWHASH "\n"));
	path = put("passwd",
	    "# shared with Dovecot\n"
	    "a@x.org:$1$salt$oldhash:1000:1000::/var/vmail/x.org/a::\n"
	    "b@x.org:{MD5-CRYPT}$1$s$h\n"
	    "c@x.org {PLAIN}secret  # from vpopmail\n"
	    "d@x.org:$2b$10$alreadybcrypt\n");
	T_EQ_INT(table_edit_rehash(path, "A@X.ORG",
	    "$1$salt$oldhash:1000:1000::/var/vmail/x.org/a::", NEWHASH, &err), 1);
	T_EQ_INT(table_edit_rehash(path, "b@x.org", "{MD5-CRYPT}$1$s$h", NEWHASH,
	    &err), 1);
	T_EQ_INT(table_edit_rehash(path, "c@x.org", "{PLAIN}secret", NEWHASH, &err), 1);
	/* Already bcrypt, changed meanwhile, or gone: nothing to do. */
	T_EQ_INT(table_edit_rehash(path, "d@x.org", "$2b$10$alreadybcrypt", NEWHASH,
	    &err), 0);
	T_EQ_INT(table_edit_rehash(path, "b@x.org", "{MD5-CRYPT}$1$s$h", NEWHASH,
	    &err), 0);
	T_EQ_INT(table_edit_rehash(path, "e@x.org", "x", NEWHASH, &err), 0);
	T_EQ_INT(table_edit_rehash(path, "d@x.org", "$2b$10$alreadybcrypt",
	    "$1$not$bcrypt", &err), -1);
	got = slurp(path);
	T_EQ_STR(got, "# shared with Dovecot\n"
	    "a@x.org:" NEWHASH ":1000:1000::/var/vmail/x.org/a::\n"
	    "b@x.org:{BLF-CRYPT}" NEWHASH "\n"
	    "c@x.org {BLF-CRYPT}" NEWHASH "  # from vpopmail\n"
	    "d@x.org:$2b$10$alreadybcrypt\n");
	free(got);
	free(path);
}

static void
test_refuses_bad_files(void)
{
	struct table_edit	 te;
	const char		*err;
	char			*path = xasprintf("%s/nul", tmpdir);
	FILE			*f = fopen(path, "w");

	T_ASSERT(f != NULL);
	fwrite("a b\n\0c d\n", 1, 9, f);
	fclose(f);
	T_ASSERT(table_edit_open(&te, path, 0644, &err) == -1);
	T_ASSERT(strstr(err, ":2: NUL") != NULL);
	free(path);
	path = xasprintf("%s", tmpdir);
	T_ASSERT(table_edit_open(&te, path, 0644, &err) == -1);
	free(path);
}

/* Two tables of one directory open at once (an import) share the lock instead of waiting. */
static void
test_two_tables_one_directory(void)
{
	struct table_edit	 a, b;
	const char		*err;
	char			*pa = put("one", "x 1\n"), *pb = put("two", "y 2\n");
	char			*got;

	alarm(10);		/* a wait for ourselves would hang here */
	T_ASSERT(table_edit_open(&a, pa, 0644, &err) == 0);
	T_ASSERT(table_edit_open(&b, pb, 0644, &err) == 0);
	T_ASSERT(table_edit_set(&a, "x2", "3", &err) == 0);
	T_ASSERT(table_edit_set(&b, "y2", "4", &err) == 0);
	T_ASSERT(table_edit_commit(&b, &err) == 0);
	table_edit_close(&b);
	T_ASSERT(table_edit_commit(&a, &err) == 0);
	table_edit_close(&a);
	/* The lock is gone with the last one: a third open does not wait. */
	T_ASSERT(table_edit_open(&a, pa, 0644, &err) == 0);
	table_edit_close(&a);
	alarm(0);
	got = slurp(pa);
	T_EQ_STR(got, "x 1\nx2\t3\n");
	free(got);
	free(pa);
	free(pb);
}

/* Finding keys in a big file goes through the index; duplicates and removals keep it right. */
static void
test_index(void)
{
	struct table_edit	 te;
	const char		*err;
	char			 k[32];
	char			*path = put("big", "dup a\ndup b\n");
	int			 i;

	T_ASSERT(table_edit_open(&te, path, 0644, &err) == 0);
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "u%d@x.org", i);
		T_ASSERT(table_edit_set(&te, k, "vmail", &err) == 0);
	}
	T_EQ_INT(table_edit_find(&te, "U4999@X.ORG"), 5001);
	T_EQ_INT(table_edit_find(&te, "dup"), 0);
	T_EQ_INT(table_edit_del(&te, "u0@x.org"), 1);
	T_EQ_INT(table_edit_find(&te, "u4999@x.org"), 5000);
	T_EQ_INT(table_edit_find(&te, "u0@x.org"), -1);
	/* Setting a duplicated key drops the later ones. */
	T_ASSERT(table_edit_set(&te, "dup", "c", &err) == 0);
	T_EQ_INT(table_edit_find(&te, "u4999@x.org"), 4999);
	T_EQ_STR(te.last_key, "dup");
	T_EQ_STR(te.last_value, "c");
	table_edit_close(&te);
	free(path);
}

void
test_main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		abort();
	t_run("split", test_split);
	t_run("split agrees with load", test_split_agrees_with_load);
	t_run("set keeps other lines", test_set_keeps_other_lines);
	t_run("new file and style", test_new_file_and_style);
	t_run("check", test_check);
	t_run("rehash", test_rehash);
	t_run("refuses bad files", test_refuses_bad_files);
	t_run("two tables of one directory", test_two_tables_one_directory);
	t_run("index", test_index);
	{
		char	*cmd = xasprintf("rm -rf %s", tmpdir);

		if (system(cmd) != 0)
			abort();
		free(cmd);
	}
}
