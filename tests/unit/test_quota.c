/* Tests for src/store/quota.c: maildirsize as Courier, vpopmail and Dovecot write it, the spec's recalculation rules. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "store/maildir.h"
#include "store/quota.h"

static char	 tdir[64];

static void
rmtree(const char *path)
{
	char	 cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

static int
parse(const char *s, struct quota_file *qf)
{
	return quota_parse(s, strlen(s), qf);
}

static int
spit(const char *root, const char *sub, const char *text)
{
	char	 p[1024];
	int	 fd;
	ssize_t	 n;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600)) == -1)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static char *
slurp(const char *root, const char *sub)
{
	static char	 b[8192];
	char		 p[1024];
	ssize_t		 n;
	int		 fd;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((fd = open(p, O_RDONLY)) == -1)
		return NULL;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	b[n < 0 ? 0 : n] = '\0';
	return b;
}

/* A file of n bytes. */
static int
sized(const char *root, const char *sub, size_t n)
{
	char	 p[1024], *b;
	int	 fd, ok;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600)) == -1)
		return -1;
	b = calloc(1, n + 1);
	ok = write(fd, b, n) == (ssize_t)n;
	free(b);
	close(fd);
	return ok ? 0 : -1;
}

static void
age(const char *root, const char *sub, time_t secs)
{
	char		 p[1024];
	struct timespec	 ts[2];

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - secs;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, p, ts, 0);
}

/*
 * A Maildir holding: 1000 (S=) + 7 (stat'ed) in the root, 500 in .Sent,
 * 300 in .Trash and 200 flagged T, which the spec's count leaves out.
 */
static void
mkmd(char *root, size_t len, const char *name)
{
	const char	*err;
	char		 p[512];

	snprintf(root, len, "%s/%s", tdir, name);
	maildir_create(root, &err);
	snprintf(p, sizeof(p), "%s/.Sent", root);
	maildir_create(p, &err);
	snprintf(p, sizeof(p), "%s/.Trash", root);
	maildir_create(p, &err);
	spit(root, "new/1.M1P1Q1.h,S=1000", "x");		/* S= is believed */
	sized(root, "cur/2.qmail.h:2,S", 7);
	sized(root, ".Sent/cur/3.M1P1Q1.h,S=500:2,S", 500);
	sized(root, ".Trash/cur/4.M1P1Q1.h,S=300:2,S", 300);
	sized(root, "cur/5.M1P1Q1.h,S=200:2,ST", 200);
	spit(root, "cur/.hidden", "xxxxxxxxxx");
}

static void
t_parse(void)
{
	struct quota_file	 qf;
	char			 big[QUOTA_FILE_MAX + 2];

	/* What vpopmail writes: its quota string, then "%ld %d" lines. */
	T_EQ_INT(parse("52428800S\n2048 1\n-2048 -1\n10000 3\n", &qf), 0);
	T_EQ_INT(qf.limit.bytes, 52428800);
	T_EQ_INT(qf.limit.count, 0);
	T_EQ_INT(qf.bytes, 10000);
	T_EQ_INT(qf.count, 3);
	T_EQ_INT(qf.lines, 3);
	/* Courier pads lines; Dovecot writes both limits. */
	T_EQ_INT(parse("10000000S,1000C\n      1234    1\n    -1234   -1\n", &qf), 0);
	T_EQ_INT(qf.limit.bytes, 10000000);
	T_EQ_INT(qf.limit.count, 1000);
	T_EQ_INT(qf.bytes, 0);
	T_EQ_INT(qf.count, 0);
	T_EQ_INT(qf.lines, 2);
	T_EQ_INT(parse("1000C,5000S\n0 0\n", &qf), 0);
	T_ASSERT(qf.limit.bytes == 5000 && qf.limit.count == 1000);
	/* Header only; an empty header; an unknown letter is ignored. */
	T_EQ_INT(parse("5S\n", &qf), 0);
	T_EQ_INT(qf.lines, 0);
	T_EQ_INT(parse("\n1 1\n", &qf), 0);
	T_ASSERT(qf.limit.bytes == 0 && qf.limit.count == 0 && qf.bytes == 1);
	T_EQ_INT(parse("100B,7S\n", &qf), 0);
	T_EQ_INT(qf.limit.bytes, 7);

	T_EQ_INT(parse("", &qf), -1);
	T_EQ_INT(parse("5S", &qf), -1);			/* no newline */
	T_EQ_INT(parse("5S\n1 1", &qf), -1);		/* a torn last line */
	T_EQ_INT(parse("S\n", &qf), -1);
	T_EQ_INT(parse("5\n", &qf), -1);
	T_EQ_INT(parse("5S,\n", &qf), -1);
	T_EQ_INT(parse("5S 6C\n", &qf), -1);
	T_EQ_INT(parse("-5S\n", &qf), -1);
	T_EQ_INT(parse("NOQUOTA\n", &qf), -1);
	T_EQ_INT(parse("5S\n1\n", &qf), -1);
	T_EQ_INT(parse("5S\n1 2 3\n", &qf), -1);
	T_EQ_INT(parse("5S\n\n", &qf), -1);
	T_EQ_INT(parse("5S\n1x 2\n", &qf), -1);
	T_EQ_INT(parse("5S\n1 -\n", &qf), -1);
	T_EQ_INT(parse("99999999999999999999S\n", &qf), -1);
	T_EQ_INT(parse("5S\n9223372036854775807 0\n1 0\n", &qf), -1);	/* sum overflow */
	T_EQ_INT(parse("5S\n-9223372036854775808 0\n", &qf), 0);
	T_EQ_INT(quota_parse("5S\n\0 0\n", 7, &qf), -1);
	memset(big, '\n', sizeof(big));
	memcpy(big, "5S\n", 3);
	T_EQ_INT(quota_parse(big, QUOTA_FILE_MAX - 1, &qf), -1);	/* empty lines */
	memset(big, ' ', sizeof(big));
	memcpy(big, "5S\n0 0", 6);
	big[QUOTA_FILE_MAX - 2] = '\n';
	T_EQ_INT(quota_parse(big, QUOTA_FILE_MAX - 1, &qf), 0);
	big[QUOTA_FILE_MAX - 1] = '\n';
	T_EQ_INT(quota_parse(big, QUOTA_FILE_MAX, &qf), -1);	/* the spec's limit */
}

static void
t_format(void)
{
	struct quota_limit	 l = { 0, 0 };
	struct quota_file	 qf;
	char			 b[64], line[80];

	quota_format_limit(&l, b, sizeof(b));
	T_EQ_STR(b, "");
	l.bytes = 10485760;
	quota_format_limit(&l, b, sizeof(b));
	T_EQ_STR(b, "10485760S");
	l.count = 1000;
	quota_format_limit(&l, b, sizeof(b));
	T_EQ_STR(b, "10485760S,1000C");
	snprintf(line, sizeof(line), "%s\n", b);
	T_EQ_INT(parse(line, &qf), 0);
	T_ASSERT(qf.limit.bytes == l.bytes && qf.limit.count == l.count);
	l.bytes = 0;
	quota_format_limit(&l, b, sizeof(b));
	T_EQ_STR(b, "1000C");
}

static void
t_no_quota(void)
{
	const char		*err = NULL;
	char			 root[256];
	struct quota		 q;
	struct quota_limit	 none = { 0, 0 };

	mkmd(root, sizeof(root), "noquota");
	/* No configuration, no file: no quota, and no file made. */
	T_EQ_INT(quota_check(root, NULL, 0, 1u << 30, 1, &q, &err), QUOTA_OK);
	T_ASSERT(slurp(root, "maildirsize") == NULL);
	/* Configured as none: the file is not even read. */
	T_EQ_INT(spit(root, "maildirsize", "1S\n5 1\n"), 0);
	T_EQ_INT(quota_check(root, &none, 0, 100, 1, &q, &err), QUOTA_OK);
	/* A file no limit can be read from: none. */
	T_EQ_INT(spit(root, "maildirsize", "NOQUOTA\n"), 0);
	T_EQ_INT(quota_check(root, NULL, 0, 100, 1, &q, &err), QUOTA_OK);
	T_EQ_STR(slurp(root, "maildirsize"), "NOQUOTA\n");
	T_EQ_INT(quota_check("/nonexistent/md", NULL, 0, 1, 1, &q, &err), -1);
}

static void
t_recalc(void)
{
	const char		*err = NULL;
	char			 root[256];
	struct quota		 q;
	struct quota_limit	 l = { 2000, 0 };

	mkmd(root, sizeof(root), "recalc");
	/* Missing file, a configured limit: counted and written. */
	T_EQ_INT(quota_check(root, &l, 0, 0, 0, &q, &err), QUOTA_OK);
	T_EQ_INT(q.recalculated, 1);
	T_EQ_INT(q.bytes, 1507);	/* 1000 + 7 + 500: not Trash, not T */
	T_EQ_INT(q.count, 3);
	T_EQ_STR(slurp(root, "maildirsize"), "2000S\n1507 3\n");
	T_EQ_INT(q.limit.bytes, 2000);

	/* Fits up to the limit exactly. */
	T_EQ_INT(quota_check(root, &l, 0, 493, 1, &q, &err), QUOTA_OK);
	T_EQ_INT(q.recalculated, 0);
	T_EQ_INT(quota_check(root, &l, 0, 494, 1, &q, &err), QUOTA_OVER);
	T_EQ_INT(q.recalculated, 0);	/* one line, fresh: the file is believed */

	/* Dovecot's counting: Trash and deleted messages too. */
	T_EQ_INT(quota_recalc(root, &l, QUOTA_TRASH | QUOTA_DELETED, &q, &err), 0);
	T_EQ_INT(q.bytes, 2007);
	T_EQ_INT(q.count, 5);
	T_EQ_STR(slurp(root, "maildirsize"), "2000S\n2007 5\n");

	/* The configuration changed: the file follows it. */
	l.bytes = 5000;
	l.count = 10;
	T_EQ_INT(quota_check(root, &l, 0, 0, 0, &q, &err), QUOTA_OK);
	T_EQ_INT(q.recalculated, 1);
	T_EQ_STR(slurp(root, "maildirsize"), "5000S,10C\n1507 3\n");
	/* Counts are limits too. */
	T_EQ_INT(quota_check(root, &l, 0, 0, 7, &q, &err), QUOTA_OK);
	T_EQ_INT(quota_check(root, &l, 0, 0, 8, &q, &err), QUOTA_OVER);

	/* Unparsable, and at 5120 bytes: recalculated. */
	T_EQ_INT(spit(root, "maildirsize", "5000S,10C\ngarbage\n"), 0);
	T_EQ_INT(quota_check(root, &l, 0, 0, 0, &q, &err), QUOTA_OK);
	T_EQ_INT(q.recalculated, 1);
	{
		char	 big[QUOTA_FILE_MAX + 16];
		size_t	 o;

		o = (size_t)snprintf(big, sizeof(big), "5000S,10C\n");
		while (o < QUOTA_FILE_MAX)
			o += (size_t)snprintf(big + o, sizeof(big) - o, "1 1\n-1 -1\n");
		T_EQ_INT(spit(root, "maildirsize", big), 0);
	}
	T_EQ_INT(quota_check(root, &l, 0, 0, 0, &q, &err), QUOTA_OK);
	T_EQ_INT(q.recalculated, 1);
	T_EQ_STR(slurp(root, "maildirsize"), "5000S,10C\n1507 3\n");
	/* A negative sum is a file gone wrong. */
	T_EQ_INT(spit(root, "maildirsize", "5000S,10C\n-5 0\n"), 0);
	T_EQ_INT(quota_check(root, &l, 0, 0, 0, &q, &err), QUOTA_OK);
	T_EQ_INT(q.recalculated, 1);
	T_EQ_INT(quota_recalc(root, &(struct quota_limit){ 0, 0 }, 0, &q, &err), -1);
}

/* The spec's rules for a file that says "over quota". */
static void
t_over_rules(void)
{
	const char	*err = NULL;
	char		 root[256];
	struct quota	 q;

	mkmd(root, sizeof(root), "over");
	/* One line and fresh: believed, even if wrong. */
	T_EQ_INT(spit(root, "maildirsize", "1600S\n1700 3\n"), 0);
	T_EQ_INT(quota_check(root, NULL, 0, 10, 1, &q, &err), QUOTA_OVER);
	T_EQ_INT(q.recalculated, 0);
	T_EQ_STR(slurp(root, "maildirsize"), "1600S\n1700 3\n");
	/* Older than 15 minutes: counted again, and it fits. */
	age(root, "maildirsize", QUOTA_STALE + 60);
	T_EQ_INT(quota_check(root, NULL, 0, 10, 1, &q, &err), QUOTA_OK);
	T_EQ_INT(q.recalculated, 1);
	T_EQ_INT(q.bytes, 1507);
	T_EQ_STR(slurp(root, "maildirsize"), "1600S\n1507 3\n");
	/* More than one line: counted again at once. */
	T_EQ_INT(spit(root, "maildirsize", "1600S\n1507 3\n100 1\n"), 0);
	T_EQ_INT(quota_check(root, NULL, 0, 0, 0, &q, &err), QUOTA_OK);
	T_EQ_INT(q.recalculated, 1);
	/* Really over: still over once counted. */
	T_EQ_INT(spit(root, "maildirsize", "1600S\n1000 1\n507 2\n"), 0);
	T_EQ_INT(quota_check(root, NULL, 0, 94, 1, &q, &err), QUOTA_OVER);
	T_EQ_INT(q.recalculated, 1);
	T_EQ_INT(q.bytes, 1507);
	T_EQ_INT(quota_check(root, NULL, 0, 93, 1, &q, &err), QUOTA_OK);
	/* The caller's limit wins over the file's. */
	T_EQ_INT(quota_check(root, &(struct quota_limit){ 1 << 20, 0 }, 0, 94, 1,
	    &q, &err), QUOTA_OK);
	T_EQ_STR(slurp(root, "maildirsize"), "1048576S\n1507 3\n");
}

/* A Maildir vpopmail looked after: its file is read and kept as it is, with our lines added. */
static void
t_vpopmail(void)
{
	const char	*err = NULL;
	char		 root[256], p[512];
	struct quota	 q;

	mkmd(root, sizeof(root), "vpop");
	T_EQ_INT(spit(root, "maildirsize", "52428800S\n1507 3\n2048 1\n"), 0);
	T_EQ_INT(quota_get(root, NULL, 0, &q, &err), 0);
	T_EQ_INT(q.limit.bytes, 52428800);
	T_EQ_INT(q.bytes, 3555);
	T_EQ_INT(q.count, 4);
	T_EQ_INT(q.recalculated, 0);
	T_EQ_INT(quota_record(root, 4096, 1, &err), 0);
	T_EQ_INT(quota_record(root, -2048, -1, &err), 0);
	T_EQ_STR(slurp(root, "maildirsize"),
	    "52428800S\n1507 3\n2048 1\n4096 1\n-2048 -1\n");
	T_EQ_INT(quota_check(root, NULL, 0, 1000, 1, &q, &err), QUOTA_OK);
	T_EQ_INT(q.bytes, 5603);
	T_EQ_INT(q.count, 4);
	/* Without a file, recording does nothing (the next check counts). */
	snprintf(p, sizeof(p), "%s/maildirsize", root);
	T_EQ_INT(unlink(p), 0);
	T_EQ_INT(quota_record(root, 10, 1, &err), 0);
	T_ASSERT(slurp(root, "maildirsize") == NULL);
	T_EQ_INT(quota_get(root, NULL, 0, &q, &err), 0);
	T_EQ_INT(q.limit.bytes, 0);
}

void
test_main(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/test_quota.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	t_run("parse", t_parse);
	t_run("format", t_format);
	t_run("no_quota", t_no_quota);
	t_run("recalc", t_recalc);
	t_run("over_rules", t_over_rules);
	t_run("vpopmail", t_vpopmail);
	rmtree(tdir);
}
