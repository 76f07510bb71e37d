/* Tests for src/mail/maildir_name.c: bases, S= and W=, flags, IMAP flags, new unique names. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mail/maildir_name.h"

static int
parse(const char *s, struct maildir_name *mn)
{
	return maildir_name_parse(s, strlen(s), mn);
}

static void
t_parse_dovecot(void)
{
	const char		*n = "1700000000.M1P2Q3.host,S=1234,W=1260:2,RS";
	struct maildir_name	 mn;

	T_EQ_INT(parse(n, &mn), 0);
	T_EQ_INT(mn.base_len, strlen("1700000000.M1P2Q3.host,S=1234,W=1260"));
	T_EQ_INT(mn.uniq_len, strlen("1700000000.M1P2Q3.host"));
	T_ASSERT(mn.has_size && mn.size == 1234);
	T_ASSERT(mn.has_vsize && mn.vsize == 1260);
	T_EQ_INT(mn.info, MAILDIR_INFO_2);
	T_EQ_INT(maildir_flags_sys(&mn.flags), MAILDIR_F_ANSWERED | MAILDIR_F_SEEN);
	T_ASSERT(maildir_flags_has(&mn.flags, 'R'));
	T_ASSERT(!maildir_flags_has(&mn.flags, 'F'));
}

static void
t_parse_forms(void)
{
	struct maildir_name	 mn;
	char			 letters[96];

	/* qmail: no fields, no info (a message in new/). */
	T_EQ_INT(parse("1059033463.2837.mail.example.org", &mn), 0);
	T_EQ_INT(mn.base_len, strlen("1059033463.2837.mail.example.org"));
	T_EQ_INT(mn.uniq_len, mn.base_len);
	T_ASSERT(!mn.has_size && !mn.has_vsize);
	T_EQ_INT(mn.info, MAILDIR_INFO_NONE);

	/* Courier: S= only, empty flags. */
	T_EQ_INT(parse("1059033463.M1P2.h,S=0:2,", &mn), 0);
	T_ASSERT(mn.has_size && mn.size == 0);
	T_EQ_INT(mn.info, MAILDIR_INFO_2);
	T_EQ_INT(maildir_flags_format(&mn.flags, letters, sizeof(letters)), 0);

	/* Experimental info: no flags known, the base still found. */
	T_EQ_INT(parse("a,S=5:1,xyz", &mn), 0);
	T_EQ_INT(mn.info, MAILDIR_INFO_OTHER);
	T_EQ_INT(mn.base_len, 5);
	T_EQ_INT(maildir_flags_format(&mn.flags, letters, sizeof(letters)), 0);
	T_EQ_INT(parse("a:", &mn), 0);
	T_EQ_INT(mn.info, MAILDIR_INFO_OTHER);
	T_EQ_INT(parse("a:2", &mn), 0);
	T_EQ_INT(mn.info, MAILDIR_INFO_OTHER);

	/* Unordered, repeated and odd letters; ':' and ',' are not flags. */
	T_EQ_INT(parse("b:2,SaRS,F:x\xc3\xa9", &mn), 0);
	T_EQ_INT(maildir_flags_format(&mn.flags, letters, sizeof(letters)), 5);
	T_EQ_STR(letters, "FRSax");
	T_EQ_INT(maildir_flags_keywords(&mn.flags), 1 | 1 << ('x' - 'a'));

	/* Sizes: the first of each counts; a malformed one is unknown. */
	T_EQ_INT(parse("c,S=12,S=13,W=7,W=8", &mn), 0);
	T_ASSERT(mn.size == 12 && mn.vsize == 7);
	T_EQ_INT(parse("c,S=abc,W=", &mn), 0);
	T_ASSERT(!mn.has_size && !mn.has_vsize);
	T_EQ_INT(parse("c,S=18446744073709551615", &mn), 0);
	T_ASSERT(mn.has_size && mn.size == UINT64_MAX);
	T_EQ_INT(parse("c,S=18446744073709551616", &mn), 0);
	T_ASSERT(!mn.has_size);
	T_EQ_INT(parse("c,S=-1,S=4", &mn), 0);
	T_ASSERT(!mn.has_size);	/* the first S= was malformed: unknown, not the second */
	T_EQ_INT(parse("c,X=1,,S=+3", &mn), 0);
	T_ASSERT(!mn.has_size);
	T_EQ_INT(mn.uniq_len, 1);
	/* S= in the info is not the size. */
	T_EQ_INT(parse("d:2,S=4", &mn), 0);
	T_ASSERT(!mn.has_size);
}

static void
t_parse_refused(void)
{
	struct maildir_name	 mn;
	char			 big[300];

	T_EQ_INT(parse("", &mn), -1);
	T_EQ_INT(parse(".", &mn), -1);
	T_EQ_INT(parse("..", &mn), -1);
	T_EQ_INT(parse(".hidden", &mn), -1);
	T_EQ_INT(parse(":2,S", &mn), -1);
	T_EQ_INT(parse("a/b", &mn), -1);
	T_EQ_INT(parse("a\nb", &mn), -1);
	T_EQ_INT(parse("a\x7f", &mn), -1);
	T_EQ_INT(maildir_name_parse("a\0b", 3, &mn), -1);
	memset(big, 'x', sizeof(big));
	T_EQ_INT(maildir_name_parse(big, 255, &mn), 0);
	T_EQ_INT(maildir_name_parse(big, 256, &mn), -1);
}

static void
t_set_flags(void)
{
	struct maildir_flags	 f;
	struct maildir_name	 mn;
	char			 out[300], big[300];

	maildir_flags_clear(&f);
	T_EQ_INT(maildir_flags_add(&f, 'S'), 0);
	T_EQ_INT(maildir_flags_add(&f, 'a'), 0);
	T_EQ_INT(maildir_flags_add(&f, 'R'), 0);
	T_EQ_INT(maildir_flags_add(&f, 'F'), 0);
	T_EQ_INT(maildir_flags_add(&f, ':'), -1);
	T_EQ_INT(maildir_flags_add(&f, ','), -1);
	T_EQ_INT(maildir_flags_add(&f, '/'), -1);
	T_EQ_INT(maildir_flags_add(&f, ' '), -1);
	T_EQ_INT(maildir_flags_add(&f, 0xe9), -1);
	T_EQ_INT(maildir_name_set_flags(out, sizeof(out), "1.M2P3Q4.h,S=9",
	    &f), (int)strlen("1.M2P3Q4.h,S=9:2,FRSa"));
	T_EQ_STR(out, "1.M2P3Q4.h,S=9:2,FRSa");
	/* Replacing flags keeps the base and any letter still set. */
	maildir_flags_del(&f, 'S');
	T_ASSERT(maildir_name_set_flags(out, sizeof(out), out, &f) > 0);
	T_EQ_STR(out, "1.M2P3Q4.h,S=9:2,FRa");
	/* Other info is replaced by :2, */
	T_ASSERT(maildir_name_set_flags(out, sizeof(out), "x:1,abc", &f) > 0);
	T_EQ_STR(out, "x:2,FRa");
	maildir_flags_clear(&f);
	T_ASSERT(maildir_name_set_flags(out, sizeof(out), "x:2,S", &f) > 0);
	T_EQ_STR(out, "x:2,");
	T_EQ_INT(parse(out, &mn), 0);
	T_EQ_INT(mn.info, MAILDIR_INFO_2);

	/* Too small a buffer, a name that does not parse, over NAME_MAX. */
	T_EQ_INT(maildir_name_set_flags(out, 4, "x:2,S", &f), -1);
	T_EQ_INT(maildir_name_set_flags(out, 5, "x:2,S", &f), 4);
	T_EQ_INT(maildir_name_set_flags(out, 5, "xy", &f), -1);
	T_EQ_INT(maildir_name_set_flags(out, 6, "xy", &f), 5);
	T_EQ_INT(maildir_name_set_flags(out, sizeof(out), ".x", &f), -1);
	memset(big, 'b', 252);
	big[252] = '\0';
	T_EQ_INT(maildir_name_set_flags(out, sizeof(out), big, &f), 255);
	(void)maildir_flags_add(&f, 'S');
	T_EQ_INT(maildir_name_set_flags(out, sizeof(out), big, &f), -1);
}

static void
t_sysflags(void)
{
	struct maildir_flags	 f;
	static const struct {
		unsigned	 flag;
		int		 letter;
		const char	*imap;
	} want[] = {
		{ MAILDIR_F_DRAFT, 'D', "\\Draft" },
		{ MAILDIR_F_FLAGGED, 'F', "\\Flagged" },
		{ MAILDIR_F_PASSED, 'P', NULL },
		{ MAILDIR_F_ANSWERED, 'R', "\\Answered" },
		{ MAILDIR_F_SEEN, 'S', "\\Seen" },
		{ MAILDIR_F_DELETED, 'T', "\\Deleted" },
	};
	size_t	 i;
	char	 letters[96];

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		T_EQ_INT(maildir_flag_letter(want[i].flag), want[i].letter);
		T_EQ_INT(maildir_flag_of_letter(want[i].letter), want[i].flag);
		if (want[i].imap == NULL) {
			T_ASSERT(maildir_flag_imap(want[i].flag) == NULL);
			continue;
		}
		T_EQ_STR(maildir_flag_imap(want[i].flag), want[i].imap);
		T_EQ_INT(maildir_flag_from_imap(want[i].imap,
		    strlen(want[i].imap)), want[i].flag);
	}
	T_EQ_INT(maildir_flag_from_imap("\\SEEN", 5), MAILDIR_F_SEEN);
	T_EQ_INT(maildir_flag_from_imap("\\seen", 5), MAILDIR_F_SEEN);
	T_EQ_INT(maildir_flag_from_imap("\\Seen", 4), 0);
	T_EQ_INT(maildir_flag_from_imap("\\Recent", 7), 0);
	T_EQ_INT(maildir_flag_from_imap("Seen", 4), 0);
	T_EQ_INT(maildir_flag_letter(MAILDIR_F_SEEN | MAILDIR_F_DRAFT), 0);
	T_EQ_INT(maildir_flag_of_letter('s'), 0);

	/* Setting the system flags keeps keywords and unknown letters. */
	maildir_flags_clear(&f);
	maildir_flags_add_str(&f, "SPbz$", 5);
	maildir_flags_set_sys(&f, MAILDIR_F_DRAFT | MAILDIR_F_DELETED);
	maildir_flags_format(&f, letters, sizeof(letters));
	T_EQ_STR(letters, "$DTbz");
	T_EQ_INT(maildir_flags_sys(&f), MAILDIR_F_DRAFT | MAILDIR_F_DELETED);
	T_EQ_INT(maildir_flags_keywords(&f), 1 << 1 | 1 << 25);
	maildir_flags_set_keywords(&f, 1);
	maildir_flags_format(&f, letters, sizeof(letters));
	T_EQ_STR(letters, "$DTa");
	/* A short buffer gets the first letters and a NUL. */
	T_EQ_INT(maildir_flags_format(&f, letters, 3), 2);
	T_EQ_STR(letters, "$D");
}

static void
t_make(void)
{
	struct maildir_newname	 nn;
	struct maildir_name	 mn;
	char			 out[400], host[300];
	int			 n;

	memset(&nn, 0, sizeof(nn));
	nn.sec = 1700000000;
	nn.usec = 42;
	nn.pid = 4711;
	nn.seq = 7;
	nn.host = "mx/1:2,3.example";
	nn.size = 4242;
	nn.has_size = 1;
	n = maildir_name_make(out, sizeof(out), &nn);
	T_EQ_STR(out, "1700000000.M42P4711Q7.mx\\0571\\0722\\0543.example,S=4242");
	T_EQ_INT(n, strlen(out));
	T_EQ_INT(parse(out, &mn), 0);
	T_EQ_INT(mn.base_len, strlen(out));
	T_EQ_INT(mn.uniq_len, strlen(out) - strlen(",S=4242"));
	T_ASSERT(mn.has_size && mn.size == 4242 && !mn.has_vsize);

	nn.host = "h \x01\xff";
	nn.vsize = 4300;
	nn.has_vsize = 1;
	T_ASSERT(maildir_name_make(out, sizeof(out), &nn) > 0);
	T_EQ_STR(out, "1700000000.M42P4711Q7.h\\040\\001\\377,S=4242,W=4300");
	T_EQ_INT(parse(out, &mn), 0);
	T_ASSERT(mn.vsize == 4300);

	/* A tmp/ name: no size yet. */
	nn.has_size = nn.has_vsize = 0;
	nn.host = "h";
	T_ASSERT(maildir_name_make(out, sizeof(out), &nn) > 0);
	T_EQ_STR(out, "1700000000.M42P4711Q7.h");

	/* A long host is cut so the base stays within the limit. */
	memset(host, 'a', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	host[100] = '/';
	nn.host = host;
	nn.has_size = 1;
	n = maildir_name_make(out, sizeof(out), &nn);
	T_EQ_INT(n, MAILDIR_BASE_MAX);
	T_EQ_INT(strlen(out), MAILDIR_BASE_MAX);
	T_ASSERT(strstr(out, ",S=4242") == out + n - 7);
	T_EQ_INT(parse(out, &mn), 0);
	/* The cut never splits an escape. */
	host[100] = 'a';
	host[169] = ':';	/* its escape would end past the limit: left out */
	n = maildir_name_make(out, sizeof(out), &nn);
	T_EQ_INT(n, MAILDIR_BASE_MAX - 2);
	T_EQ_INT(strlen(out), MAILDIR_BASE_MAX - 2);
	T_ASSERT(strchr(out, '\\') == NULL);
	host[169] = 'a';
	host[167] = ':';	/* fits exactly */
	n = maildir_name_make(out, sizeof(out), &nn);
	T_EQ_INT(n, MAILDIR_BASE_MAX);
	T_ASSERT(strstr(out, "a\\072,S=4242") != NULL);

	/* Out of range, and a buffer too small. */
	nn.host = "h";
	nn.usec = 1000000;
	T_EQ_INT(maildir_name_make(out, sizeof(out), &nn), -1);
	nn.usec = 0;
	nn.sec = -1;
	T_EQ_INT(maildir_name_make(out, sizeof(out), &nn), -1);
	nn.sec = 1;
	T_EQ_INT(maildir_name_make(out, sizeof(out), &nn), (int)strlen("1.M0P4711Q7.h,S=4242"));
	T_EQ_INT(maildir_name_make(out, strlen("1.M0P4711Q7.h,S=4242"), &nn), -1);
}

/* The arrival time a name starts with: what orders UIDs and dates a message before its stat. */
static void
t_time(void)
{
	T_EQ_INT(maildir_name_time("1700000001.M5P1Q2.host,S=20:2,S"), 1700000001);
	T_EQ_INT(maildir_name_time("7.qmail"), 7);
	/* No seconds, no dot after them, or more digits than any time has. */
	T_EQ_INT(maildir_name_time("host.1700000001"), -1);
	T_EQ_INT(maildir_name_time("1700000001"), -1);
	T_EQ_INT(maildir_name_time("1700000001_2.host"), -1);
	T_EQ_INT(maildir_name_time(".1700000001"), -1);
	T_EQ_INT(maildir_name_time("1234567890123456789.host"), -1);
}

void
test_main(void)
{
	t_run("parse_dovecot", t_parse_dovecot);
	t_run("parse_forms", t_parse_forms);
	t_run("parse_refused", t_parse_refused);
	t_run("set_flags", t_set_flags);
	t_run("sysflags", t_sysflags);
	t_run("make", t_make);
	t_run("time", t_time);
}
