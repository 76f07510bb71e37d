/* Unit tests for tegamictl's catalogs: the Japanese one has exactly the English keys the source uses, with the same conversions. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ctl/i18n.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "lib/xalloc.h"

/* The messages of the source: every tr("...") and TR_MARK("...") of src/ctl/. */
static struct map	*source_keys;
static size_t		 nsource;

/* Decodes C string literals from p (after the opening parenthesis) up to ')'. 0, or -1. */
static int
literal(const char *p, struct buf *out, const char **end)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == ')') {
			*end = p;
			return 0;
		}
		if (*p != '"')
			return -1;
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return -1;
			if (*p != '\\') {
				buf_addc(out, *p);
				continue;
			}
			p++;
			switch (*p) {
			case 'n':
				buf_addc(out, '\n');
				break;
			case 't':
				buf_addc(out, '\t');
				break;
			case '"':
			case '\\':
			case '\'':
				buf_addc(out, *p);
				break;
			default:
				return -1;
			}
		}
		p++;
	}
}

static int
scan_file(const char *path)
{
	static const char *const marks[] = { "tr(", "TR_MARK(" };
	struct buf	 text, key;
	const char	*p, *end;
	char		 chunk[4096];
	FILE		*f;
	size_t		 n, i;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	buf_init(&text, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&text, chunk, n);
	fclose(f);
	for (i = 0; i < 2; i++)
		for (p = text.data; (p = strstr(p, marks[i])) != NULL; p++) {
			/* A call, not the tail of another name (str(, attr(). */
			if (p > text.data && (p[-1] == '_' || (p[-1] >= 'a' &&
			    p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z')))
				continue;
			p += strlen(marks[i]);
			if (*p != '"')
				continue;	/* tr(variable): its literals are marked */
			buf_init(&key, 0);
			if (literal(p, &key, &end) == 0 && key.data != NULL) {
				if (!map_has(source_keys, key.data)) {
					map_set(source_keys, key.data, NULL);
					nsource++;
				}
			} else
				t_fail(__FILE__, __LINE__, "%s: cannot read the message "
				    "at \"%.40s\"", path, p);
			buf_free(&key);
		}
	buf_free(&text);
	return 0;
}

static void
load_source(void)
{
	struct dirent	*e;
	DIR		*d;
	char		*path;

	source_keys = map_new();
	if ((d = opendir("src/ctl")) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t	 n = strlen(e->d_name);

		if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
			continue;
		path = xasprintf("src/ctl/%s", e->d_name);
		scan_file(path);
		free(path);
	}
	closedir(d);
}

/* The conversions of a printf format, as one string ("s d zu llu"). */
static void
conversions(const char *fmt, char *out, size_t outlen)
{
	const char	*p;
	size_t		 o = 0;

	out[0] = '\0';
	for (p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		while (*p && strchr("-+ #0123456789.*", *p))
			p++;
		while (*p && strchr("hlLqjzt", *p))
			o += (size_t)snprintf(out + o, outlen - o, "%c", *p++);
		o += (size_t)snprintf(out + o, outlen - o, "%c ", *p ? *p : '?');
		if (*p == '\0' || o >= outlen)
			break;
	}
}

static void
test_source_found(void)
{
	load_source();
	/* The test runs from the top of the tree (make unit); far more than this are used. */
	T_ASSERT(nsource > 100);
}

static void
test_same_keys(void)
{
	struct map	*ja = map_new();
	const char	*k;
	size_t		 i, it = 0, missing = 0;

	for (i = 0; i < i18n_ja_count; i++) {
		if (map_has(ja, i18n_ja[i].en))
			t_fail(__FILE__, __LINE__, "twice in the catalog: \"%s\"",
			    i18n_ja[i].en);
		map_set(ja, i18n_ja[i].en, (void *)i18n_ja[i].text);
		if (!map_has(source_keys, i18n_ja[i].en))
			t_fail(__FILE__, __LINE__, "in the Japanese catalog but no "
			    "longer in the source: \"%s\"", i18n_ja[i].en);
	}
	while (map_iter(source_keys, &it, &k, NULL))
		if (!map_has(ja, k)) {
			if (missing++ < 20)
				t_fail(__FILE__, __LINE__, "no Japanese for \"%s\"", k);
		}
	T_EQ_INT(missing, 0);
	map_free(ja, NULL);
}

static void
test_same_conversions(void)
{
	char	 a[256], b[256];
	size_t	 i, la, lb;

	for (i = 0; i < i18n_ja_count; i++) {
		conversions(i18n_ja[i].en, a, sizeof(a));
		conversions(i18n_ja[i].text, b, sizeof(b));
		if (strcmp(a, b) != 0)
			t_fail(__FILE__, __LINE__, "\"%s\": conversions \"%s\" in "
			    "English, \"%s\" in Japanese", i18n_ja[i].en, a, b);
		/* A message ending a line ends one in both languages. */
		la = strlen(i18n_ja[i].en);
		lb = strlen(i18n_ja[i].text);
		if (lb == 0 || (la > 0 && i18n_ja[i].en[la - 1] == '\n') !=
		    (i18n_ja[i].text[lb - 1] == '\n'))
			t_fail(__FILE__, __LINE__, "\"%s\": the newline at the end "
			    "differs", i18n_ja[i].en);
	}
}

static void
test_language_choice(void)
{
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	setenv("LANG", "ja_JP.UTF-8", 1);
	T_EQ_INT(i18n_from_env(), I18N_JA);
	setenv("LANG", "ja_JP.utf8", 1);
	T_EQ_INT(i18n_from_env(), I18N_JA);
	setenv("LANG", "ja", 1);
	T_EQ_INT(i18n_from_env(), I18N_JA);
	setenv("LANG", "ja_JP.eucJP", 1);
	T_EQ_INT(i18n_from_env(), I18N_EN);
	setenv("LANG", "jam_JM.UTF-8", 1);
	T_EQ_INT(i18n_from_env(), I18N_EN);
	setenv("LANG", "ja_JP.UTF-8", 1);
	setenv("LC_ALL", "C", 1);
	T_EQ_INT(i18n_from_env(), I18N_EN);
	setenv("LC_ALL", "", 1);
	setenv("LC_MESSAGES", "en_US.UTF-8", 1);
	T_EQ_INT(i18n_from_env(), I18N_EN);
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANG");
	T_EQ_INT(i18n_from_env(), I18N_EN);
}

static void
test_lookup(void)
{
	const char	*en = i18n_ja[0].en;

	i18n_set(I18N_EN);
	T_EQ_STR(tr(en), en);
	i18n_set(I18N_JA);
	T_EQ_STR(tr(en), i18n_ja[0].text);
	/* A message nobody translated reads in English. */
	T_EQ_STR(tr("no such message %s"), "no such message %s");
	i18n_set(I18N_EN);
}

void
test_main(void)
{
	t_run("the source's messages are found", test_source_found);
	t_run("both catalogs have the same keys", test_same_keys);
	t_run("the same conversions", test_same_conversions);
	t_run("language from the environment", test_language_choice);
	t_run("lookup", test_lookup);
	map_free(source_keys, NULL);
}
