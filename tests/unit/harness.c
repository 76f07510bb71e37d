/* Runs the tests of one file and prints "NAME: N passed, N failed". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static int	 passed, failed, current_failed;
static const char *current;

void
t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "FAIL %s: %s:%d: ", current, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	current_failed = 1;
}

void
t_run(const char *name, void (*fn)(void))
{
	current = name;
	current_failed = 0;
	fn();
	if (current_failed)
		failed++;
	else
		passed++;
}

int
main(int argc, char **argv)
{
	const char	*self = strrchr(argv[0], '/');

	(void)argc;
	test_main();
	printf("%s: %d passed, %d failed\n", self ? self + 1 : argv[0], passed, failed);
	return failed ? 1 : 0;
}
