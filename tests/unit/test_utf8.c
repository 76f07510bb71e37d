/* Tests for lib/utf8: well-formedness, the unsafe code points, escaping and sanitising. */
#include <string.h>

#include "harness.h"
#include "lib/utf8.h"

static void
test_len(void)
{
	uint32_t	 cp = 0;

	T_EQ_INT(utf8_len("a", 1, &cp), 1);
	T_EQ_INT(cp, 'a');
	T_EQ_INT(utf8_len("\xc3\xa9", 2, &cp), 2);
	T_EQ_INT(cp, 0xe9);
	T_EQ_INT(utf8_len("\xe2\x80\xae", 3, &cp), 3);
	T_EQ_INT(cp, 0x202e);
	T_EQ_INT(utf8_len("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	T_EQ_INT(cp, 0x10ffff);
	T_EQ_INT(utf8_len("\xc0\xaf", 2, NULL), 0);		/* overlong */
	T_EQ_INT(utf8_len("\xed\xa0\x80", 3, NULL), 0);		/* surrogate */
	T_EQ_INT(utf8_len("\xf4\x90\x80\x80", 4, NULL), 0);	/* > U+10FFFF */
	T_EQ_INT(utf8_len("\xe2\x80", 2, NULL), 0);		/* truncated */
	T_EQ_INT(utf8_len("\x9b", 1, NULL), 0);			/* lone continuation */
	T_EQ_INT(utf8_len("", 0, NULL), 0);
}

static void
test_unsafe(void)
{
	static const uint32_t bad[] = { 0x00, 0x07, 0x09, 0x0a, 0x0d, 0x1b, 0x7f,
	    0x80, 0x85, 0x9b, 0x9f, 0x061c, 0x200b, 0x200e, 0x200f, 0x2028,
	    0x2029, 0x202a, 0x202e, 0x2066, 0x2069, 0xfeff };
	static const uint32_t good[] = { 0x20, 'a', 0x7e, 0xa0, 0xe9, 0x3042,
	    0x200a, 0x2030, 0x2070, 0xfffd, 0x1f600 };
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!utf8_cp_unsafe(bad[i])) {
			t_fail(__FILE__, __LINE__, "U+%04X taken as safe", bad[i]);
			return;
		}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (utf8_cp_unsafe(good[i])) {
			t_fail(__FILE__, __LINE__, "U+%04X taken as unsafe", good[i]);
			return;
		}
	T_EQ_INT(utf8_safe_len("\xc2\x85", 2), 0);
	T_EQ_INT(utf8_safe_len("\xe6\x97\xa5", 3), 3);
}

static void
test_escape(void)
{
	char	 out[64];

	/* The audit's probes: ESC and CR from a command, U+202E, U+009B, 0x9B alone. */
	utf8_escape(out, sizeof(out), "SHOW\x1b[2JQ\rX", 11);
	T_EQ_STR(out, "SHOW\\033[2JQ\\015X");
	utf8_escape(out, sizeof(out), "a\xe2\x80\xae" "b", 5);
	T_EQ_STR(out, "a\\342\\200\\256b");
	utf8_escape(out, sizeof(out), "x\xc2\x9by\x9bz", 6);
	T_EQ_STR(out, "x\\302\\233y\\233z");
	/* Safe UTF-8 and backslashes stay as they are. */
	utf8_escape(out, sizeof(out), "\xe6\x97\xa5\\n", 5);
	T_EQ_STR(out, "\xe6\x97\xa5\\n");
	/* Cut at a whole escape or character, always terminated. */
	T_EQ_INT(utf8_escape(out, 6, "ab\x1b" "cd", 5), 2);
	T_EQ_STR(out, "ab");
	T_EQ_INT(utf8_escape(out, 4, "a\xe6\x97\xa5", 4), 1);
	T_EQ_STR(out, "a");
	T_EQ_INT(utf8_escape(out, 1, "abc", 3), 0);
	T_EQ_STR(out, "");
}

static void
test_sanitize(void)
{
	static const char	 in[] = "5.1.1 no\x9b[31m \xc2\x9b\xe2\x80\xae\xe6\x97\xa5";
	static const char	 want[] = "5.1.1 no?[31m ?????\xe6\x97\xa5";
	char			 s[sizeof(in)];

	memcpy(s, in, sizeof(in));
	utf8_sanitize(s, sizeof(in) - 1);
	T_EQ_STR(s, want);
}

void
test_main(void)
{
	t_run("len", test_len);
	t_run("unsafe", test_unsafe);
	t_run("escape", test_escape);
	t_run("sanitize", test_sanitize);
}
