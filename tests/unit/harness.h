/* A tiny unit-test harness: each test file defines test_main(), which calls t_run(). */
#ifndef TEGAMI_HARNESS_H
#define TEGAMI_HARNESS_H

#include <stddef.h>

void	test_main(void);
void	t_run(const char *name, void (*fn)(void));
void	t_fail(const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define T_ASSERT(c) do { if (!(c)) { t_fail(__FILE__, __LINE__, "%s", #c); return; } } while (0)
#define T_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b);	\
	if (_a != _b) { t_fail(__FILE__, __LINE__, "%s == %lld, want %lld", #a, _a, _b); return; } } while (0)
#define T_EQ_STR(a, b) do { const char *_a = (a), *_b = (b);			\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) {			\
		t_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", #a,	\
		    _a ? _a : "(null)", _b ? _b : "(null)"); return; } } while (0)

#endif
