/* Options and one-line errors of the administration commands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl/admin.h"

int
admin_fail(const char *prog, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
admin_usage(const char *prog, const char *usage, int help)
{
	if (help) {
		printf(tr("usage: %s\n"), usage);
		return 0;
	}
	fprintf(stderr, tr("%s: wrong arguments (usage: %s)\n"), prog, usage);
	return 1;
}

static const struct admin_opt *
find_opt(const struct admin_opt *opts, const char *name, size_t len)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

int
admin_getopt(const char *prog, int argc, char **argv,
    const struct admin_opt *opts, int *help, int *npos)
{
	const struct admin_opt	*o;
	const char		*name, *eq, *val;
	int			 i, n = 0, only_pos = 0;
	size_t			 len;

	*help = 0;
	for (i = 0; i < argc; i++) {
		const char	*a = argv[i];

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			argv[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			*help = 1;
			continue;
		}
		name = a + (a[1] == '-' ? 2 : 1);
		if (a[1] != '-' && strlen(name) != 1) {
			admin_fail(prog, tr("unknown option %s"), a);
			return -1;
		}
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((o = find_opt(opts, name, len)) == NULL) {
			admin_fail(prog, tr("unknown option %s"), a);
			return -1;
		}
		if (!o->has_arg) {
			if (eq != NULL) {
				admin_fail(prog, tr("option --%s takes no value"),
				    o->name);
				return -1;
			}
			*o->flag = 1;
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			admin_fail(prog, tr("option %s needs a value"), a);
			return -1;
		}
		*o->value = val;
	}
	*npos = n;
	return 0;
}
