/* tegamictl's messages in Japanese, keyed by their English text (see i18n.h). */
#include <stddef.h>

#include "ctl/i18n.h"

const struct i18n_entry i18n_ja[] = {
	{ "usage: %s\n", "使い方: %s\n" },
};

const size_t i18n_ja_count = sizeof(i18n_ja) / sizeof(i18n_ja[0]);
