/* tegamictl import: the subcommands, the report of what was and was not carried over, reading the other system's files. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/import.h"
#include "lib/xalloc.h"

#define IMPORT_USAGE	"tegamictl import vpopmail DIR [--copy-mail] | qmail DIR " \
			"[--dir OUT] | postfix DIR [--dir OUT] | dovecot-passwd FILE; " \
			"each with --dry-run"

void
imp_did(struct import *im, const char *fmt, ...)
{
	va_list	 ap;

	im->done++;
	printf("  %s ", im->dry_run ? "~" : "+");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void
imp_skip(struct import *im, const char *fmt, ...)
{
	va_list	 ap;

	im->skipped++;
	printf("  ! %s", tr("not carried over: "));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int
imp_summary(struct import *im)
{
	if (im->dry_run)
		printf(tr("dry run: %u things would be done, %u not carried over; "
		    "nothing was written\n"), im->done, im->skipped);
	else
		printf(tr("%u things done, %u not carried over (the lines with "
		    "!)\n"), im->done, im->skipped);
	return 0;
}

int
imp_read(const char *path, size_t max, struct buf *out, const char **errstr)
{
	struct stat	 st;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd;

	buf_init(out, max);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return 1;
		*errstr = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		*errstr = tr("not a regular file");
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_add(out, chunk, (size_t)n) == -1) {
			close(fd);
			buf_free(out);
			*errstr = tr("file too large");
			return -1;
		}
	}
	close(fd);
	if (n == -1) {
		buf_free(out);
		*errstr = strerror(errno);
		return -1;
	}
	if (out->data == NULL)
		buf_adds(out, "");
	return 0;
}

char **
imp_lines(const char *path, int fold, size_t *n)
{
	struct buf	 b;
	const char	*errstr;
	char		**v = NULL, *p, *nl, *s;
	size_t		 i;

	*n = 0;
	if (imp_read(path, 1024 * 1024, &b, &errstr) != 0)
		return NULL;
	for (p = b.data; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		while (isspace((unsigned char)*p))
			p++;
		s = p + strlen(p);
		while (s > p && isspace((unsigned char)s[-1]))
			*--s = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (fold)
			for (i = 0; p[i]; i++)
				p[i] = (char)tolower((unsigned char)p[i]);
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrdup(p);
		if (!nl)
			break;
	}
	buf_free(&b);
	return v;
}

void
imp_lines_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
ctl_import(const char *conf_path, int argc, char **argv)
{
	struct import	 im;
	const char	*kind = argc > 1 ? argv[1] : "", *out = NULL;
	char		 prog[64];
	int		 help = 0, dry = 0, copy = 0, n;
	const struct admin_opt opts[] = {
		{ "dry-run", 0, NULL, &dry },
		{ "copy-mail", 0, NULL, &copy },
		{ "dir", 1, &out, NULL },
		{ NULL, 0, NULL, NULL },
	};

	if (argc < 2)
		return admin_usage("tegamictl import", IMPORT_USAGE, 0);
	if (strcmp(kind, "-h") == 0 || strcmp(kind, "--help") == 0)
		return admin_usage("tegamictl import", IMPORT_USAGE, 1);
	snprintf(prog, sizeof(prog), "tegamictl import %s", kind);
	if (admin_getopt(prog, argc - 2, argv + 2, opts, &help, &n) == -1)
		return 1;
	if (help)
		return admin_usage(prog, IMPORT_USAGE, 1);
	if (n != 1)
		return admin_fail(prog, tr("which directory or file? (usage: %s)"),
		    IMPORT_USAGE);
	memset(&im, 0, sizeof(im));
	im.prog = prog;
	im.conf_path = conf_path;
	im.dry_run = dry;
	im.copy_mail = copy;
	im.out_dir = out;
	if (strcmp(kind, "vpopmail") == 0)
		return import_vpopmail(&im, argv[2]);
	if (strcmp(kind, "dovecot-passwd") == 0)
		return import_dovecot(&im, argv[2]);
	if (strcmp(kind, "qmail") == 0)
		return import_qmail(&im, argv[2]);
	if (strcmp(kind, "postfix") == 0)
		return import_postfix(&im, argv[2]);
	return admin_fail("tegamictl import", tr("unknown kind %s (usage: %s)"),
	    kind, IMPORT_USAGE);
}
