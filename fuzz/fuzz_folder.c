/* libFuzzer target: folder names to directories and back (one spelling each), and the subscriptions parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/folder.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
as_name(const char *s)
{
	char		 dir[FOLDER_DIR_MAX + 1], name[FOLDER_NAME_MAX + 1];
	char		 dir2[FOLDER_DIR_MAX + 1];
	const char	*err;

	if (folder_dir(s, dir, sizeof(dir), &err) == -1)
		return;
	if (strlen(dir) > FOLDER_DIR_MAX || (dir[0] != '\0' && dir[0] != '.'))
		abort();
	/* The directory names one folder, whose name leads back to it. */
	if (folder_name(dir, name, sizeof(name), &err) == -1 ||
	    folder_dir(name, dir2, sizeof(dir2), &err) == -1 ||
	    strcmp(dir, dir2) != 0)
		abort();
	if (strcmp(name, s) != 0 && strncasecmp(name, "INBOX", 5) != 0)
		abort();	/* only INBOX's case is made canonical */
}

static void
as_dir(const char *s)
{
	char		 dir[FOLDER_DIR_MAX + 1], name[FOLDER_NAME_MAX + 1];
	const char	*err;

	if (folder_name(s, name, sizeof(name), &err) == -1)
		return;
	if (folder_dir(name, dir, sizeof(dir), &err) == -1 ||
	    strcmp(dir, s) != 0 || strchr(name, '.') != NULL)
		abort();
}

static void
as_subscriptions(const char *s, size_t len)
{
	char		**v = NULL, dir[FOLDER_DIR_MAX + 1], name[FOLDER_NAME_MAX + 1];
	const char	*err;
	size_t		 n = 0, i;

	if (folder_subs_parse(s, len, &v, &n) == -1)
		abort();	/* under the size limit */
	for (i = 0; i < n; i++) {
		if (folder_dir(v[i], dir, sizeof(dir), &err) == -1 ||
		    folder_name(dir, name, sizeof(name), &err) == -1 ||
		    strcmp(name, v[i]) != 0)
			abort();
		if (i > 0 && strcmp(v[i - 1], v[i]) >= 0)
			abort();	/* sorted, each once */
	}
	folder_names_free(v, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	as_subscriptions(s, size);
	if (memchr(s, '\0', size) == NULL) {
		as_name(s);
		as_dir(s);
	}
	free(s);
	return 0;
}
