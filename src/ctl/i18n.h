/* tegamictl's messages in the user's language: English in the source, Japanese from a catalog. */
#ifndef TEGAMI_I18N_H
#define TEGAMI_I18N_H

#include <stddef.h>

/*
 * The English text is the message's key, as gettext does it, so that the
 * compiler checks every printf argument against it (format_arg) and a
 * message without a translation still reads well. A translation has the
 * same conversions in the same order; tests/unit/test_i18n.c checks that
 * the catalog has exactly the keys the source uses.
 */
struct i18n_entry {
	const char	*en;
	const char	*text;
};

extern const struct i18n_entry	i18n_ja[];
extern const size_t		i18n_ja_count;

enum i18n_lang { I18N_EN, I18N_JA };

/*
 * The language of LC_ALL, else LC_MESSAGES, else LANG: Japanese for "ja"
 * and "ja_JP..." in UTF-8 (or with no codeset named), English otherwise.
 */
enum i18n_lang	 i18n_from_env(void);
/* Chooses the language of tr(); the default is English until this is called. */
void		 i18n_set(enum i18n_lang);
enum i18n_lang	 i18n_get(void);

/* Marks a literal for the catalog where it is kept and translated later with tr(). */
#define TR_MARK(s)	(s)

/* The message in the chosen language. */
const char	*tr(const char *en) __attribute__((format_arg(1)));

#endif
