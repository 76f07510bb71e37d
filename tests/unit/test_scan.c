/* Tests for src/store/scan.c: listings, sizes without stat, moves and flags under renames by others, 100,000 entries. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "mail/maildir_name.h"
#include "store/maildir.h"
#include "store/scan.h"

static char	 tdir[64];

static void
rmtree(const char *path)
{
	char	 cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

/* A fresh Maildir under tdir. */
static void
mkmd(char *md, size_t len, const char *name)
{
	const char	*err;

	snprintf(md, len, "%s/%s", tdir, name);
	if (maildir_create(md, &err) == -1)
		fprintf(stderr, "%s: %s\n", md, err);
}

/* Writes md/sub/name with data. */
static int
put(const char *md, const char *sub, const char *name, const char *data)
{
	char	 p[1024];
	int	 fd;
	ssize_t	 n;

	snprintf(p, sizeof(p), "%s/%s/%s", md, sub, name);
	if ((fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600)) == -1)
		return -1;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -1;
}

static int
exists(const char *md, const char *sub, const char *name)
{
	char	 p[1024];

	snprintf(p, sizeof(p), "%s/%s/%s", md, sub, name);
	return access(p, F_OK) == 0;
}

static int
count(const char *md, const char *sub)
{
	char		 p[512];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(p, sizeof(p), "%s/%s", md, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
ren(const char *md, const char *from, const char *to)
{
	char	 a[1024], b[1024];

	snprintf(a, sizeof(a), "%s/%s", md, from);
	snprintf(b, sizeof(b), "%s/%s", md, to);
	return rename(a, b);
}

static void
t_list(void)
{
	const char		*err = NULL;
	char			 md[256], p[512];
	struct scan_dir		 d;
	struct scan		 s;
	const struct scan_entry	*e;

	mkmd(md, sizeof(md), "list");
	T_EQ_INT(put(md, "new", "1000.M1P1Q1.h,S=10", "0123456789"), 0);
	T_EQ_INT(put(md, "cur", "1000.M2P1Q1.h,S=20,W=21:2,RS", "x"), 0);
	T_EQ_INT(put(md, "cur", "999.qmail.h:2,F", "seven!\n"), 0);
	T_EQ_INT(put(md, "cur", ".hidden", "x"), 0);
	T_EQ_INT(put(md, "new", "bad\001name", "x"), 0);
	snprintf(p, sizeof(p), "%s/cur/adir", md);
	T_ASSERT(mkdir(p, 0700) == 0);

	T_EQ_INT(scan_dir_open(&d, md, &err), 0);
	T_EQ_INT(scan_list(&d, 0, &s, &err), 0);
	T_EQ_INT(s.n, 3);
	T_EQ_INT(s.skipped, 2);		/* the control byte, the directory */
	T_EQ_INT(s.stats, 1);		/* only the name without S= */
	T_EQ_INT(s.dups, 0);
	/* Sorted by base. */
	T_EQ_STR(s.v[0].name, "1000.M1P1Q1.h,S=10");
	T_EQ_STR(s.v[1].name, "1000.M2P1Q1.h,S=20,W=21:2,RS");
	T_EQ_STR(s.v[2].name, "999.qmail.h:2,F");

	T_EQ_INT(s.v[0].sub, SCAN_NEW);
	T_EQ_INT(s.v[0].size, 10);
	T_ASSERT(s.v[0].vsize == SCAN_NOSIZE);
	T_EQ_INT(s.v[0].mtime, -1);
	T_EQ_INT(maildir_flags_sys(&s.v[0].flags), 0);

	T_EQ_INT(s.v[1].sub, SCAN_CUR);
	T_EQ_INT(s.v[1].size, 20);	/* S= is believed: the file is not read */
	T_EQ_INT(s.v[1].vsize, 21);
	T_EQ_INT(s.v[1].base_len, strlen("1000.M2P1Q1.h,S=20,W=21"));
	T_EQ_INT(maildir_flags_sys(&s.v[1].flags),
	    MAILDIR_F_ANSWERED | MAILDIR_F_SEEN);

	T_EQ_INT(s.v[2].size, 7);	/* from stat */
	T_ASSERT(s.v[2].mtime >= time(NULL) - 60);
	T_EQ_INT(s.v[2].base_len, strlen("999.qmail.h"));

	e = scan_find(&s, "999.qmail.h", 11);
	T_ASSERT(e == &s.v[2]);
	T_ASSERT(scan_find(&s, "1000.M1P1Q1.h,S=10", 18) == &s.v[0]);
	T_ASSERT(scan_find(&s, "1000.M1P1Q1.h", 13) == NULL);
	T_ASSERT(scan_find(&s, "zzz", 3) == NULL);
	T_ASSERT(scan_find(&s, "", 0) == NULL);
	scan_free(&s);

	/* SCAN_MTIME stats everything. */
	T_EQ_INT(scan_list(&d, SCAN_MTIME, &s, &err), 0);
	T_EQ_INT(s.n, 3);
	T_EQ_INT(s.stats, 3);
	T_ASSERT(s.v[0].mtime > 0 && s.v[1].mtime > 0);
	scan_free(&s);
	scan_dir_close(&d);

	snprintf(p, sizeof(p), "%s/.Nope", md);
	T_EQ_INT(scan_dir_open(&d, p, &err), -1);
	T_EQ_INT(errno, ENOENT);
	T_EQ_INT(d.fd, -1);
}

/* One base in new/ and cur/ (a move seen half-way): listed once, from cur/. */
static void
t_dups(void)
{
	const char	*err = NULL;
	char		 md[256];
	struct scan_dir	 d;
	struct scan	 s;

	mkmd(md, sizeof(md), "dups");
	T_EQ_INT(put(md, "new", "5.M1P1Q1.h,S=1", "a"), 0);
	T_EQ_INT(put(md, "cur", "5.M1P1Q1.h,S=1:2,S", "a"), 0);
	T_EQ_INT(put(md, "new", "4.M1P1Q1.h,S=1", "a"), 0);
	T_EQ_INT(put(md, "cur", "6.M1P1Q1.h,S=1:2,", "a"), 0);
	T_EQ_INT(put(md, "cur", "6.M1P1Q1.h,S=1:2,T", "a"), 0);
	T_EQ_INT(scan_dir_open(&d, md, &err), 0);
	T_EQ_INT(scan_list(&d, 0, &s, &err), 0);
	T_EQ_INT(s.n, 3);
	T_EQ_INT(s.dups, 2);
	T_EQ_STR(s.v[0].name, "4.M1P1Q1.h,S=1");
	T_EQ_STR(s.v[1].name, "5.M1P1Q1.h,S=1:2,S");
	T_EQ_INT(s.v[1].sub, SCAN_CUR);
	T_EQ_INT(s.v[2].base_len, strlen("6.M1P1Q1.h,S=1"));
	scan_free(&s);
	scan_dir_close(&d);
}

static void
t_to_cur(void)
{
	const char	*err = NULL;
	char		 md[256], out[MAILDIR_NAME_MAX + 1];
	struct scan_dir	 d;

	mkmd(md, sizeof(md), "tocur");
	T_EQ_INT(put(md, "new", "1.M1P1Q1.h,S=1", "a"), 0);
	T_EQ_INT(put(md, "new", "2.M1P1Q1.h,S=1:2,S", "a"), 0);
	T_EQ_INT(put(md, "new", "3.M1P1Q1.h,S=1", "a"), 0);
	T_EQ_INT(put(md, "new", "4.M1P1Q1.h,S=1", "a"), 0);
	T_EQ_INT(scan_dir_open(&d, md, &err), 0);

	T_EQ_INT(scan_to_cur(&d, "1.M1P1Q1.h,S=1", out, sizeof(out), &err), 0);
	T_EQ_STR(out, "1.M1P1Q1.h,S=1:2,");
	T_ASSERT(exists(md, "cur", out) && !exists(md, "new", "1.M1P1Q1.h,S=1"));
	/* Flags already in the name are kept. */
	T_EQ_INT(scan_to_cur(&d, "2.M1P1Q1.h,S=1:2,S", out, sizeof(out), &err), 0);
	T_EQ_STR(out, "2.M1P1Q1.h,S=1:2,S");
	/* Moved by another program first (and flagged): found by its base. */
	T_EQ_INT(ren(md, "new/3.M1P1Q1.h,S=1", "cur/3.M1P1Q1.h,S=1:2,RS"), 0);
	T_EQ_INT(scan_to_cur(&d, "3.M1P1Q1.h,S=1", out, sizeof(out), &err), 0);
	T_EQ_STR(out, "3.M1P1Q1.h,S=1:2,RS");
	T_EQ_INT(count(md, "cur"), 3);
	/* Removed by another program. */
	T_EQ_INT(ren(md, "new/4.M1P1Q1.h,S=1", "gone"), 0);
	T_EQ_INT(scan_to_cur(&d, "4.M1P1Q1.h,S=1", out, sizeof(out), &err), -1);
	T_EQ_INT(errno, ENOENT);
	T_ASSERT(strstr(err, "no longer") != NULL);
	T_EQ_INT(scan_to_cur(&d, "../x", out, sizeof(out), &err), -1);
	scan_dir_close(&d);
}

static void
t_set_flags(void)
{
	const char		*err = NULL;
	char			 md[256], out[MAILDIR_NAME_MAX + 1];
	struct scan_dir		 d;
	struct maildir_flags	 f;
	struct stat		 st1, st2;
	char			 p[1024];

	mkmd(md, sizeof(md), "flags");
	T_EQ_INT(put(md, "cur", "1.M1P1Q1.h,S=1:2,RS", "a"), 0);
	T_EQ_INT(put(md, "new", "2.M1P1Q1.h,S=1", "a"), 0);
	T_EQ_INT(scan_dir_open(&d, md, &err), 0);

	maildir_flags_clear(&f);
	maildir_flags_set_sys(&f, MAILDIR_F_FLAGGED | MAILDIR_F_SEEN);
	(void)maildir_flags_add(&f, 'c');
	T_EQ_INT(scan_set_flags(&d, SCAN_CUR, "1.M1P1Q1.h,S=1:2,RS", &f, out,
	    sizeof(out), &err), 0);
	T_EQ_STR(out, "1.M1P1Q1.h,S=1:2,FSc");
	T_ASSERT(exists(md, "cur", out));
	T_EQ_INT(count(md, "cur"), 1);

	/* Nothing to change: no rename (the inode's ctime stays). */
	snprintf(p, sizeof(p), "%s/cur/%s", md, out);
	T_EQ_INT(stat(p, &st1), 0);
	T_EQ_INT(scan_set_flags(&d, SCAN_CUR, "1.M1P1Q1.h,S=1:2,FSc", &f, out,
	    sizeof(out), &err), 0);
	T_EQ_STR(out, "1.M1P1Q1.h,S=1:2,FSc");
	T_EQ_INT(stat(p, &st2), 0);
	T_EQ_INT(st1.st_ctim.tv_nsec, st2.st_ctim.tv_nsec);

	/* Renamed meanwhile by another program: found again, given our flags. */
	T_EQ_INT(ren(md, "cur/1.M1P1Q1.h,S=1:2,FSc", "cur/1.M1P1Q1.h,S=1:2,FRSTc"), 0);
	maildir_flags_set_sys(&f, MAILDIR_F_SEEN);
	T_EQ_INT(scan_set_flags(&d, SCAN_CUR, "1.M1P1Q1.h,S=1:2,FSc", &f, out,
	    sizeof(out), &err), 0);
	T_EQ_STR(out, "1.M1P1Q1.h,S=1:2,Sc");
	T_EQ_INT(count(md, "cur"), 1);

	/* A message still in new/ goes to cur/ with its flags. */
	T_EQ_INT(scan_set_flags(&d, SCAN_NEW, "2.M1P1Q1.h,S=1", &f, out,
	    sizeof(out), &err), 0);
	T_EQ_STR(out, "2.M1P1Q1.h,S=1:2,Sc");
	T_EQ_INT(count(md, "new"), 0);
	T_EQ_INT(count(md, "cur"), 2);

	/* Expunged by another program. */
	T_EQ_INT(ren(md, "cur/2.M1P1Q1.h,S=1:2,Sc", "x"), 0);
	T_EQ_INT(scan_set_flags(&d, SCAN_CUR, "2.M1P1Q1.h,S=1:2,Sc", &f, out,
	    sizeof(out), &err), -1);
	T_EQ_INT(errno, ENOENT);
	T_EQ_INT(scan_sync(&d, &err), 0);
	scan_dir_close(&d);
}

static void
t_expunge(void)
{
	const char	*err = NULL;
	char		 md[256];
	struct scan_dir	 d;

	mkmd(md, sizeof(md), "expunge");
	T_EQ_INT(put(md, "cur", "1.M1P1Q1.h,S=1:2,S", "a"), 0);
	T_EQ_INT(put(md, "cur", "2.M1P1Q1.h,S=1:2,S", "a"), 0);
	T_EQ_INT(put(md, "new", "3.M1P1Q1.h,S=1", "a"), 0);
	T_EQ_INT(put(md, "cur", "4.M1P1Q1.h,S=1:2,", "a"), 0);
	T_EQ_INT(scan_dir_open(&d, md, &err), 0);
	T_EQ_INT(scan_expunge(&d, SCAN_CUR, "1.M1P1Q1.h,S=1:2,S", 0, &err), 0);
	T_ASSERT(!exists(md, "cur", "1.M1P1Q1.h,S=1:2,S"));
	/* Renamed meanwhile: the renamed file goes. */
	T_EQ_INT(ren(md, "cur/2.M1P1Q1.h,S=1:2,S", "cur/2.M1P1Q1.h,S=1:2,ST"), 0);
	T_EQ_INT(scan_expunge(&d, SCAN_CUR, "2.M1P1Q1.h,S=1:2,S", 1, &err), 0);
	T_EQ_INT(count(md, "cur"), 1);
	/* Moved to cur/ meanwhile. */
	T_EQ_INT(ren(md, "new/3.M1P1Q1.h,S=1", "cur/3.M1P1Q1.h,S=1:2,"), 0);
	T_EQ_INT(scan_expunge(&d, SCAN_NEW, "3.M1P1Q1.h,S=1", 1, &err), 0);
	T_EQ_INT(count(md, "cur"), 1);
	/* By its base alone. */
	T_EQ_INT(scan_expunge(&d, SCAN_CUR, "4.M1P1Q1.h,S=1", 1, &err), 0);
	T_EQ_INT(count(md, "cur"), 0);
	/* Already gone: done. A base that only shares a prefix is not it. */
	T_EQ_INT(put(md, "cur", "5.M1P1Q1.h,S=10:2,", "a"), 0);
	T_EQ_INT(scan_expunge(&d, SCAN_CUR, "5.M1P1Q1.h,S=1", 1, &err), 0);
	T_EQ_INT(count(md, "cur"), 1);
	scan_dir_close(&d);
}

static void
t_open(void)
{
	const char	*err = NULL;
	char		 md[256], out[MAILDIR_NAME_MAX + 1], buf[16];
	struct scan_dir	 d;
	enum scan_sub	 sub;
	int		 fd;

	mkmd(md, sizeof(md), "open");
	T_EQ_INT(put(md, "cur", "1.M1P1Q1.h,S=5:2,S", "hello"), 0);
	T_EQ_INT(put(md, "new", "2.M1P1Q1.h,S=3", "new"), 0);
	T_EQ_INT(scan_dir_open(&d, md, &err), 0);
	fd = scan_open_msg(&d, SCAN_CUR, "1.M1P1Q1.h,S=5:2,S", out, sizeof(out),
	    &sub, &err);
	T_ASSERT(fd != -1);
	T_EQ_INT(read(fd, buf, sizeof(buf)), 5);
	close(fd);
	T_EQ_STR(out, "1.M1P1Q1.h,S=5:2,S");
	T_EQ_INT(sub, SCAN_CUR);
	/* By the base alone, as POP3 knows it (the UIDL). */
	fd = scan_open_msg(&d, SCAN_CUR, "1.M1P1Q1.h,S=5", out, sizeof(out),
	    &sub, &err);
	T_ASSERT(fd != -1);
	close(fd);
	T_EQ_STR(out, "1.M1P1Q1.h,S=5:2,S");
	/* Moved from new/ to cur/ by another reader. */
	T_EQ_INT(ren(md, "new/2.M1P1Q1.h,S=3", "cur/2.M1P1Q1.h,S=3:2,S"), 0);
	fd = scan_open_msg(&d, SCAN_NEW, "2.M1P1Q1.h,S=3", out, sizeof(out),
	    &sub, &err);
	T_ASSERT(fd != -1);
	T_EQ_INT(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	T_EQ_INT(sub, SCAN_CUR);
	T_EQ_STR(out, "2.M1P1Q1.h,S=3:2,S");
	/* Gone, and names that would leave the folder. */
	T_EQ_INT(scan_open_msg(&d, SCAN_CUR, "9.M1P1Q1.h", out, sizeof(out),
	    &sub, &err), -1);
	T_EQ_INT(errno, ENOENT);
	T_EQ_INT(scan_open_msg(&d, SCAN_CUR, "../../etc/passwd", out,
	    sizeof(out), &sub, &err), -1);
	T_EQ_INT(scan_open_msg(&d, SCAN_CUR, "..", out, sizeof(out), &sub,
	    &err), -1);
	scan_dir_close(&d);
}

static void
t_move(void)
{
	const char		*err = NULL;
	char			 md[256], sent[300], out[MAILDIR_NAME_MAX + 1];
	struct scan_dir		 a, b;
	struct maildir_flags	 f;

	mkmd(md, sizeof(md), "move");
	snprintf(sent, sizeof(sent), "%s/.Sent", md);
	T_EQ_INT(maildir_create(sent, &err), 0);
	T_EQ_INT(put(md, "cur", "1.M1P1Q1.h,S=1:2,S", "a"), 0);
	T_EQ_INT(put(md, "new", "2.M1P1Q1.h,S=1", "a"), 0);
	T_EQ_INT(put(md, "cur", "3.M1P1Q1.h,S=1:2,", "a"), 0);
	T_EQ_INT(put(sent, "cur", "3.M1P1Q1.h,S=1:2,", "b"), 0);
	T_EQ_INT(scan_dir_open(&a, md, &err), 0);
	T_EQ_INT(scan_dir_open(&b, sent, &err), 0);
	T_EQ_INT(scan_move(&a, SCAN_CUR, "1.M1P1Q1.h,S=1:2,S", &b, NULL, out,
	    sizeof(out), &err), 0);
	T_EQ_STR(out, "1.M1P1Q1.h,S=1:2,S");
	T_ASSERT(exists(sent, "cur", out) && !exists(md, "cur", out));
	maildir_flags_clear(&f);
	maildir_flags_set_sys(&f, MAILDIR_F_SEEN | MAILDIR_F_ANSWERED);
	T_EQ_INT(scan_move(&a, SCAN_NEW, "2.M1P1Q1.h,S=1", &b, &f, out,
	    sizeof(out), &err), 0);
	T_EQ_STR(out, "2.M1P1Q1.h,S=1:2,RS");
	T_EQ_INT(count(md, "new"), 0);
	/* Never over an existing file. */
	T_EQ_INT(scan_move(&a, SCAN_CUR, "3.M1P1Q1.h,S=1:2,", &b, NULL, out,
	    sizeof(out), &err), -1);
	T_EQ_INT(errno, EEXIST);
	T_ASSERT(exists(md, "cur", "3.M1P1Q1.h,S=1:2,"));
	T_EQ_INT(count(sent, "cur"), 3);
	scan_dir_close(&a);
	scan_dir_close(&b);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * 100,000 messages: one readdir, a stat only for the 1,000 names without
 * S=. The time goes to stderr; the bound is loose enough for a busy
 * machine and an ASan build, and still fails a stat per entry on a cold
 * cache or a quadratic step.
 */
static void
t_hundred_thousand(void)
{
	enum { N = 100000, NOSIZE = 1000 };
	const char		*err = NULL;
	char			 md[256], p[512], name[128];
	struct scan_dir		 d;
	struct scan		 s;
	const struct scan_entry	*e;
	double			 t0, t_plain, t_mtime;
	int			 curfd, fd, i;

	mkmd(md, sizeof(md), "big");
	snprintf(p, sizeof(p), "%s/cur", md);
	curfd = open(p, O_RDONLY | O_DIRECTORY);
	T_ASSERT(curfd != -1);
	t0 = now();
	for (i = 0; i < N; i++) {
		if (i % (N / NOSIZE) == 0)
			snprintf(name, sizeof(name),
			    "%d.M%dP4242Q%d.mail.example.org:2,S",
			    1700000000 + i / 10, i % 1000000, i);
		else
			snprintf(name, sizeof(name),
			    "%d.M%dP4242Q%d.mail.example.org,S=%d,W=%d:2,%s",
			    1700000000 + i / 10, i % 1000000, i, 1000 + i,
			    1020 + i, i % 3 ? "S" : "RS");
		fd = openat(curfd, name, O_CREAT | O_WRONLY | O_EXCL, 0600);
		if (fd == -1) {
			t_fail(__FILE__, __LINE__, "create %s: %s", name,
			    strerror(errno));
			close(curfd);
			return;
		}
		close(fd);
	}
	close(curfd);
	fprintf(stderr, "hundred_thousand: created %d files in %.2f s\n", N,
	    now() - t0);

	T_EQ_INT(scan_dir_open(&d, md, &err), 0);
	t0 = now();
	T_EQ_INT(scan_list(&d, 0, &s, &err), 0);
	t_plain = now() - t0;
	T_EQ_INT(s.n, N);
	T_EQ_INT(s.stats, NOSIZE);
	T_EQ_INT(s.skipped, 0);
	for (i = 1; i < N; i++)
		if (strcmp(s.v[i - 1].name, s.v[i].name) >= 0)
			break;
	T_EQ_INT(i, N);
	e = scan_find(&s, "1700000005.M52P4242Q52.mail.example.org,S=1052,W=1072",
	    strlen("1700000005.M52P4242Q52.mail.example.org,S=1052,W=1072"));
	T_ASSERT(e != NULL && e->size == 1052 && e->vsize == 1072);
	T_EQ_INT(maildir_flags_sys(&e->flags), MAILDIR_F_SEEN);
	e = scan_find(&s, "1700000010.M100P4242Q100.mail.example.org",
	    strlen("1700000010.M100P4242Q100.mail.example.org"));
	T_ASSERT(e != NULL && e->size == 0 && e->mtime > 0);
	scan_free(&s);

	t0 = now();
	T_EQ_INT(scan_list(&d, SCAN_MTIME, &s, &err), 0);
	t_mtime = now() - t0;
	T_EQ_INT(s.n, N);
	T_EQ_INT(s.stats, N);
	scan_free(&s);
	scan_dir_close(&d);
	fprintf(stderr, "hundred_thousand: scan of %d entries %.3f s "
	    "(%d stat), with SCAN_MTIME %.3f s\n", N, t_plain, NOSIZE, t_mtime);
	T_ASSERT(t_plain < 5.0);
	rmtree(md);
}

void
test_main(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/test_scan.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	t_run("list", t_list);
	t_run("dups", t_dups);
	t_run("to_cur", t_to_cur);
	t_run("set_flags", t_set_flags);
	t_run("expunge", t_expunge);
	t_run("open", t_open);
	t_run("move", t_move);
	t_run("hundred_thousand", t_hundred_thousand);
	rmtree(tdir);
}
