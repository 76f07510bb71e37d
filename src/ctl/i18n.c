/* tegamictl's messages in the user's language: the catalog lookup and the choice of language. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/i18n.h"
#include "lib/map.h"

static enum i18n_lang	 lang = I18N_EN;
static struct map	*ja;

/* "ja", "ja_JP", "ja_JP.UTF-8", "ja_JP.utf8@variant" */
static int
is_japanese(const char *v)
{
	const char	*dot;
	size_t		 n;

	if (strncmp(v, "ja", 2) != 0 || (v[2] != '\0' && v[2] != '_' &&
	    v[2] != '.' && v[2] != '@'))
		return 0;
	if ((dot = strchr(v, '.')) == NULL)
		return 1;
	dot++;
	n = strcspn(dot, "@");
	/* Other codesets (EUC-JP, Shift_JIS) would show UTF-8 text as garbage. */
	return (n == 5 && strncasecmp(dot, "UTF-8", 5) == 0) ||
	    (n == 4 && strncasecmp(dot, "utf8", 4) == 0);
}

enum i18n_lang
i18n_from_env(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char	*v;
	size_t		 i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0')
			return is_japanese(v) ? I18N_JA : I18N_EN;
	return I18N_EN;
}

void
i18n_set(enum i18n_lang l)
{
	size_t	 i;

	lang = l;
	if (l == I18N_JA && ja == NULL) {
		ja = map_new();
		for (i = 0; i < i18n_ja_count; i++)
			map_set(ja, i18n_ja[i].en, (void *)i18n_ja[i].text);
	}
}

enum i18n_lang
i18n_get(void)
{
	return lang;
}

const char *
tr(const char *en)
{
	const char	*t;

	if (lang == I18N_JA && (t = map_get(ja, en)) != NULL)
		return t;
	return en;
}
