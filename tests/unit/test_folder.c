/* Tests for src/store/folder.c: name mapping, list, create, delete, rename, subscriptions, a new user's folders. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lib/log.h"
#include "store/folder.h"
#include "store/maildir.h"

static char	 tdir[64];

static void
rmtree(const char *path)
{
	char	 cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

static void
mkroot(char *root, size_t len, const char *name)
{
	const char	*err;

	snprintf(root, len, "%s/%s", tdir, name);
	if (maildir_create(root, &err) == -1)
		fprintf(stderr, "%s: %s\n", root, err);
}

static int
isdir(const char *root, const char *sub)
{
	char		 p[1024];
	struct stat	 st;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
isfile(const char *root, const char *sub)
{
	char		 p[1024];
	struct stat	 st;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int
touch(const char *root, const char *sub)
{
	char	 p[1024];
	int	 fd;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((fd = open(p, O_CREAT | O_WRONLY, 0600)) == -1)
		return -1;
	close(fd);
	return 0;
}

static int
mkd(const char *root, const char *sub)
{
	char	 p[1024];

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	return mkdir(p, 0700);
}

/* Entries of root/sub that start with prefix. */
static int
count(const char *root, const char *sub, const char *prefix)
{
	char		 p[1024];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static char *
slurp(const char *root, const char *sub)
{
	static char	 b[4096];
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

/* name maps to dir, and dir back to back (the canonical name). */
static int
maps(const char *name, const char *dir, const char *back)
{
	char		 d[FOLDER_DIR_MAX + 1], n[FOLDER_NAME_MAX + 1];
	const char	*err = NULL;

	if (folder_dir(name, d, sizeof(d), &err) == -1) {
		fprintf(stderr, "folder_dir(%s): %s\n", name, err);
		return 0;
	}
	if (strcmp(d, dir) != 0) {
		fprintf(stderr, "folder_dir(%s) = %s, want %s\n", name, d, dir);
		return 0;
	}
	if (folder_name(dir, n, sizeof(n), &err) == -1) {
		fprintf(stderr, "folder_name(%s): %s\n", dir, err);
		return 0;
	}
	if (strcmp(n, back) != 0) {
		fprintf(stderr, "folder_name(%s) = %s, want %s\n", dir, n, back);
		return 0;
	}
	return 1;
}

static int
name_refused(const char *name)
{
	char		 d[FOLDER_DIR_MAX + 1];
	const char	*err = NULL;

	return folder_dir(name, d, sizeof(d), &err) == -1 && err != NULL &&
	    errno == EINVAL;
}

static int
dir_refused(const char *dir)
{
	char		 n[FOLDER_NAME_MAX + 1];
	const char	*err = NULL;

	return folder_name(dir, n, sizeof(n), &err) == -1 && err != NULL;
}

static void
t_names(void)
{
	char		 big[FOLDER_NAME_MAX + 2], d[FOLDER_DIR_MAX + 1];
	const char	*err;
	char		*p;
	int		 i;

	T_ASSERT(maps("INBOX", "", "INBOX"));
	T_ASSERT(maps("inbox", "", "INBOX"));
	T_ASSERT(maps("Inbox", "", "INBOX"));
	T_ASSERT(maps("Sent", ".Sent", "Sent"));
	T_ASSERT(maps("a/b", ".a.b", "a/b"));
	T_ASSERT(maps("a/b/c d", ".a.b.c d", "a/b/c d"));
	T_ASSERT(maps("Entw\xc3\xbcrfe", ".Entw&APw-rfe", "Entw\xc3\xbcrfe"));
	T_ASSERT(maps("\xe4\xb8\x8b\xe6\x9b\xb8\xe3\x81\x8d", ".&Tgtm+DBN-",
	    "\xe4\xb8\x8b\xe6\x9b\xb8\xe3\x81\x8d"));
	T_ASSERT(maps("\xe4\xbb\x95\xe4\xba\x8b/2024\xe5\xb9\xb4",
	    ".&TtVOiw-.2024&XnQ-", "\xe4\xbb\x95\xe4\xba\x8b/2024\xe5\xb9\xb4"));
	T_ASSERT(maps("inbox/x", ".INBOX.x", "INBOX/x"));
	T_ASSERT(maps("a/inbox", ".a.inbox", "a/inbox"));
	T_ASSERT(maps("Tom & Jerry", ".Tom &- Jerry", "Tom & Jerry"));
	T_ASSERT(maps("50%*", ".50%*", "50%*"));	/* mapped; refused only by create */

	T_ASSERT(name_refused(""));
	T_ASSERT(name_refused("/a"));
	T_ASSERT(name_refused("a/"));
	T_ASSERT(name_refused("/"));
	T_ASSERT(name_refused("a//b"));
	T_ASSERT(name_refused("a.b"));
	T_ASSERT(name_refused("."));
	T_ASSERT(name_refused(".."));
	T_ASSERT(name_refused("a/../b"));
	T_ASSERT(name_refused(".hidden"));
	T_ASSERT(name_refused("a\tb"));
	T_ASSERT(name_refused("a\nb"));
	T_ASSERT(name_refused("a\x7f"));
	T_ASSERT(name_refused("\xff"));
	T_ASSERT(name_refused("caf\xc3"));
	/* Depth and length. */
	big[0] = '\0';
	for (i = 0; i < FOLDER_DEPTH_MAX; i++)
		strcat(big, i ? "/a" : "a");
	T_EQ_INT(folder_dir(big, d, sizeof(d), &err), 0);
	strcat(big, "/a");
	T_ASSERT(name_refused(big));
	memset(big, 'x', 254);
	big[254] = '\0';
	T_EQ_INT(folder_dir(big, d, sizeof(d), &err), 0);
	T_EQ_INT(strlen(d), 255);
	strcat(big, "x");
	T_EQ_INT(folder_dir(big, d, sizeof(d), &err), -1);
	memset(big, 'y', FOLDER_NAME_MAX + 1);
	big[FOLDER_NAME_MAX + 1] = '\0';
	T_ASSERT(name_refused(big));
	/* Too small a buffer is not a cut name. */
	T_EQ_INT(folder_dir("Sent", d, 5, &err), -1);
	T_EQ_INT(folder_dir("Sent", d, 6, &err), 0);

	T_ASSERT(dir_refused("."));
	T_ASSERT(dir_refused(".."));
	T_ASSERT(dir_refused("..a"));
	T_ASSERT(dir_refused(".a..b"));
	T_ASSERT(dir_refused(".a."));
	T_ASSERT(dir_refused("a"));
	T_ASSERT(dir_refused("cur"));
	T_ASSERT(dir_refused(".INBOX"));		/* would be a second INBOX */
	T_ASSERT(dir_refused(".inbox.x"));		/* ".INBOX.x" is that folder */
	T_ASSERT(dir_refused(".&AGE-"));		/* "a" in disguise */
	T_ASSERT(dir_refused(".Entw&APw-&AOk-"));	/* two sections in a row */
	T_ASSERT(dir_refused(".&AAE-"));		/* a control character */
	T_ASSERT(dir_refused(".caf\xc3\xa9"));	/* raw UTF-8 is not modified UTF-7 */
	T_ASSERT(dir_refused(".a&b"));

	p = folder_path("/m", "a/b", &err);
	T_EQ_STR(p, "/m/.a.b");
	free(p);
	p = folder_path("/m", "INBOX", &err);
	T_EQ_STR(p, "/m");
	free(p);
	T_ASSERT(folder_path("/m", "../x", &err) == NULL);
}

static void
t_list(void)
{
	const char		*err = NULL;
	char			 root[256];
	struct folder_list	 l;

	mkroot(root, sizeof(root), "list");
	T_EQ_INT(mkd(root, ".Sent"), 0);
	T_EQ_INT(mkd(root, ".a.b"), 0);
	T_EQ_INT(mkd(root, ".Entw&APw-rfe"), 0);
	T_EQ_INT(mkd(root, ".bad..x"), 0);
	T_EQ_INT(mkd(root, ".INBOX"), 0);
	T_EQ_INT(mkd(root, "plain"), 0);
	T_EQ_INT(touch(root, ".file"), 0);
	T_EQ_INT(touch(root, "maildirsize"), 0);
	T_EQ_INT(folder_list(root, &l, &err), 0);
	T_EQ_INT(l.n, 4);
	T_EQ_INT(l.skipped, 2);
	T_EQ_STR(l.v[0].name, "INBOX");
	T_EQ_STR(l.v[0].dir, "");
	T_EQ_STR(l.v[1].name, "Entw\xc3\xbcrfe");
	T_EQ_STR(l.v[1].dir, ".Entw&APw-rfe");
	T_EQ_STR(l.v[2].name, "Sent");
	T_EQ_STR(l.v[3].name, "a/b");
	T_EQ_STR(l.v[3].dir, ".a.b");
	folder_list_free(&l);
	T_EQ_INT(folder_list("/nonexistent/x", &l, &err), -1);
}

static void
t_create(void)
{
	const char	*err = NULL;
	char		 root[256], p[512], name[MAILDIR_NAME_MAX + 1];
	struct stat	 st;
	int		 fd;

	mkroot(root, sizeof(root), "create");
	T_EQ_INT(folder_create(root, "Work/Projects", &err), 0);
	T_ASSERT(isdir(root, ".Work.Projects/cur"));
	T_ASSERT(isdir(root, ".Work.Projects/new"));
	T_ASSERT(isdir(root, ".Work.Projects/tmp"));
	T_ASSERT(isfile(root, ".Work.Projects/maildirfolder"));
	snprintf(p, sizeof(p), "%s/.Work.Projects", root);
	T_EQ_INT(stat(p, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0700);
	T_ASSERT(!isdir(root, ".Work"));	/* parents are not made */
	T_EQ_INT(count(root, "tmp", ""), 0);	/* nothing left where it was built */

	T_EQ_INT(folder_create(root, "Work/Projects", &err), -1);
	T_EQ_INT(errno, EEXIST);
	T_EQ_INT(count(root, "tmp", ""), 0);
	T_EQ_INT(folder_create(root, "inbox", &err), -1);
	T_EQ_INT(errno, EEXIST);
	T_EQ_INT(folder_create(root, "a*b", &err), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(folder_create(root, "a%", &err), -1);
	T_EQ_INT(folder_create(root, "a.b", &err), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(folder_create(root, "\xe4\xb8\x8b\xe6\x9b\xb8\xe3\x81\x8d", &err), 0);
	T_ASSERT(isdir(root, ".&Tgtm+DBN-/cur"));

	/* Delivery finds it; the IMAP side reads the same directory. */
	snprintf(p, sizeof(p), "%s/msg", tdir);
	fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0600);
	T_ASSERT(fd != -1 && write(fd, "x\n", 2) == 2);
	T_EQ_INT(maildir_deliver(root, ".Work.Projects", NULL, 0, fd, 0, 2,
	    name, sizeof(name), &err), DELIVER_OK);
	close(fd);
	T_EQ_INT(count(root, ".Work.Projects/new", ""), 1);

	/* A root that is not a Maildir. */
	snprintf(p, sizeof(p), "%s/notmd", tdir);
	T_EQ_INT(mkdir(p, 0700), 0);
	T_EQ_INT(folder_create(p, "x", &err), -1);
	T_EQ_INT(errno, ENOENT);
}

static void
t_delete(void)
{
	const char		*err = NULL;
	char			 root[256];
	struct folder_list	 l;

	mkroot(root, sizeof(root), "delete");
	T_EQ_INT(folder_create(root, "Empty", &err), 0);
	T_EQ_INT(folder_delete(root, "Empty", 0, &err), 0);
	T_ASSERT(!isdir(root, ".Empty"));
	T_EQ_INT(count(root, "tmp", ""), 0);

	/* Messages: refused without the flag, deleted with it. */
	T_EQ_INT(folder_create(root, "Full", &err), 0);
	T_EQ_INT(touch(root, ".Full/cur/1.M1P1Q1.h,S=0:2,S"), 0);
	T_EQ_INT(folder_delete(root, "Full", 0, &err), -1);
	T_EQ_INT(errno, ENOTEMPTY);
	T_ASSERT(isfile(root, ".Full/cur/1.M1P1Q1.h,S=0:2,S"));
	T_EQ_INT(touch(root, ".Full/dovecot-uidlist"), 0);
	T_EQ_INT(mkd(root, ".Full/cur/odd"), 0);
	T_EQ_INT(touch(root, ".Full/cur/odd/x"), 0);
	T_EQ_INT(folder_delete(root, "Full", FOLDER_DELETE_MESSAGES, &err), 0);
	T_ASSERT(!isdir(root, ".Full"));
	T_EQ_INT(count(root, "tmp", ""), 0);

	/* Children stay: "a" becomes a name with children, no folder. */
	T_EQ_INT(folder_create(root, "a", &err), 0);
	T_EQ_INT(folder_create(root, "a/b", &err), 0);
	T_EQ_INT(folder_delete(root, "a", 0, &err), 0);
	T_ASSERT(!isdir(root, ".a") && isdir(root, ".a.b/cur"));
	T_EQ_INT(folder_list(root, &l, &err), 0);
	T_EQ_INT(l.n, 2);
	T_EQ_STR(l.v[1].name, "a/b");
	folder_list_free(&l);

	T_EQ_INT(folder_delete(root, "INBOX", FOLDER_DELETE_MESSAGES, &err), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(folder_delete(root, "Nope", 0, &err), -1);
	T_EQ_INT(errno, ENOENT);

	/* What a crash left under tmp/ is swept by the next delete. */
	T_EQ_INT(mkd(root, "tmp/tegami-deleted.1.M1P1Q1.h"), 0);
	T_EQ_INT(mkd(root, "tmp/tegami-deleted.1.M1P1Q1.h/cur"), 0);
	T_EQ_INT(touch(root, "tmp/tegami-deleted.1.M1P1Q1.h/cur/m"), 0);
	T_EQ_INT(touch(root, "tmp/1.M2P1Q1.h"), 0);	/* a delivery's: not ours */
	T_EQ_INT(mkd(root, "tmp/tegami-folder.young"), 0);	/* maybe in progress */
	T_EQ_INT(mkd(root, "tmp/tegami-folder.old"), 0);
	T_EQ_INT(mkd(root, "tmp/tegami-folder.old/cur"), 0);
	{
		char		 p[512];
		struct timespec	 ts[2] = { { 1000, 0 }, { 1000, 0 } };

		snprintf(p, sizeof(p), "%s/tmp/tegami-folder.old", root);
		T_EQ_INT(utimensat(AT_FDCWD, p, ts, 0), 0);
	}
	T_EQ_INT(folder_delete(root, "a/b", 0, &err), 0);
	T_EQ_INT(count(root, "tmp", "tegami-deleted."), 0);
	T_EQ_INT(count(root, "tmp", "tegami-folder.old"), 0);
	T_EQ_INT(count(root, "tmp", "tegami-folder.young"), 1);
	T_EQ_INT(count(root, "tmp", ""), 2);
}

static void
t_rename(void)
{
	const char	*err = NULL;
	char		 root[256];

	mkroot(root, sizeof(root), "rename");
	T_EQ_INT(folder_create(root, "a", &err), 0);
	T_EQ_INT(folder_create(root, "a/b", &err), 0);
	T_EQ_INT(folder_create(root, "a/b/c", &err), 0);
	T_EQ_INT(folder_create(root, "ab", &err), 0);
	T_EQ_INT(touch(root, ".a.b/cur/1.M1P1Q1.h,S=0:2,S"), 0);
	T_EQ_INT(folder_rename(root, "a", "z", &err), 0);
	T_ASSERT(isdir(root, ".z/cur") && isdir(root, ".z.b/cur") &&
	    isdir(root, ".z.b.c/cur"));
	T_ASSERT(!isdir(root, ".a") && !isdir(root, ".a.b") &&
	    !isdir(root, ".a.b.c"));
	T_ASSERT(isfile(root, ".z.b/cur/1.M1P1Q1.h,S=0:2,S"));
	T_ASSERT(isdir(root, ".ab"));	/* a sibling that shares a prefix stays */

	/* Every target is checked before anything moves. */
	T_EQ_INT(folder_create(root, "y", &err), 0);
	T_EQ_INT(folder_create(root, "y/b/c", &err), 0);
	T_EQ_INT(folder_rename(root, "z", "y", &err), -1);
	T_EQ_INT(errno, EEXIST);
	T_ASSERT(isdir(root, ".z") && isdir(root, ".z.b") && isdir(root, ".z.b.c"));
	T_EQ_INT(folder_rename(root, "z", "z/q", &err), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(folder_rename(root, "z", "z", &err), -1);
	T_EQ_INT(errno, EEXIST);
	T_EQ_INT(folder_rename(root, "nope", "x", &err), -1);
	T_EQ_INT(errno, ENOENT);
	T_EQ_INT(folder_rename(root, "z", "INBOX", &err), -1);
	T_EQ_INT(errno, EEXIST);
	T_EQ_INT(folder_rename(root, "z", "x*", &err), -1);
	T_EQ_INT(errno, EINVAL);

	/* A name that is only a parent: its children move. */
	T_EQ_INT(folder_create(root, "p/q", &err), 0);
	T_EQ_INT(folder_rename(root, "p", "r/s", &err), 0);
	T_ASSERT(isdir(root, ".r.s.q/cur") && !isdir(root, ".p.q"));
	/* Into modified UTF-7. */
	T_EQ_INT(folder_rename(root, "ab", "Entw\xc3\xbcrfe", &err), 0);
	T_ASSERT(isdir(root, ".Entw&APw-rfe/cur"));
}

static void
t_rename_inbox(void)
{
	const char	*err = NULL;
	char		 root[256];

	mkroot(root, sizeof(root), "rename-inbox");
	T_EQ_INT(touch(root, "new/1.M1P1Q1.h,S=0"), 0);
	T_EQ_INT(touch(root, "cur/2.M1P1Q1.h,S=0:2,S"), 0);
	T_EQ_INT(touch(root, "cur/3.M1P1Q1.h,S=0:2,RS"), 0);
	T_EQ_INT(folder_create(root, "INBOX/kid", &err), 0);
	T_EQ_INT(touch(root, ".INBOX.kid/cur/4.M1P1Q1.h,S=0:2,"), 0);
	T_EQ_INT(folder_rename(root, "inbox", "Old Mail", &err), 0);
	T_EQ_INT(count(root, "new", ""), 0);
	T_EQ_INT(count(root, "cur", ""), 0);
	T_ASSERT(isfile(root, ".Old Mail/new/1.M1P1Q1.h,S=0"));
	T_ASSERT(isfile(root, ".Old Mail/cur/2.M1P1Q1.h,S=0:2,S"));
	T_ASSERT(isfile(root, ".Old Mail/cur/3.M1P1Q1.h,S=0:2,RS"));
	T_ASSERT(isfile(root, ".Old Mail/maildirfolder"));
	T_ASSERT(isfile(root, ".INBOX.kid/cur/4.M1P1Q1.h,S=0:2,"));
	/* Again: the target exists. */
	T_EQ_INT(folder_rename(root, "INBOX", "Old Mail", &err), -1);
	T_EQ_INT(errno, EEXIST);
}

static int
has_name(char **v, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

static void
t_subscriptions(void)
{
	const char	*err = NULL;
	char		 root[256], **v;
	size_t		 n;
	pid_t		 pid;
	int		 st;

	mkroot(root, sizeof(root), "subs");
	T_EQ_INT(folder_subscriptions(root, &v, &n, &err), 0);
	T_EQ_INT(n, 0);
	folder_names_free(v, n);
	T_EQ_INT(folder_subscribe(root, "Sent", 1, &err), 0);
	T_EQ_INT(folder_subscribe(root, "Entw\xc3\xbcrfe", 1, &err), 0);
	T_EQ_INT(folder_subscribe(root, "a/b", 1, &err), 0);
	T_EQ_INT(folder_subscribe(root, "inbox", 1, &err), 0);
	T_EQ_STR(slurp(root, "subscriptions"), "Sent\nEntw&APw-rfe\na.b\nINBOX\n");
	T_EQ_INT(folder_subscriptions(root, &v, &n, &err), 0);
	T_EQ_INT(n, 4);
	T_EQ_STR(v[0], "Entw\xc3\xbcrfe");
	T_EQ_STR(v[1], "INBOX");
	T_EQ_STR(v[2], "Sent");
	T_EQ_STR(v[3], "a/b");
	folder_names_free(v, n);
	/* Twice is once; unsubscribing what is not there changes nothing. */
	T_EQ_INT(folder_subscribe(root, "Sent", 1, &err), 0);
	T_EQ_INT(folder_subscribe(root, "Nope", 0, &err), 0);
	T_EQ_STR(slurp(root, "subscriptions"), "Sent\nEntw&APw-rfe\na.b\nINBOX\n");
	T_EQ_INT(folder_subscribe(root, "a/b", 0, &err), 0);
	T_EQ_INT(folder_subscribe(root, "INBOX", 0, &err), 0);
	T_EQ_STR(slurp(root, "subscriptions"), "Sent\nEntw&APw-rfe\n");
	T_EQ_INT(count(root, ".", "subscriptions.lock"), 0);
	T_EQ_INT(folder_subscribe(root, "a..b", 1, &err), -1);

	/* Lines that are not folder names, and others' duplicates, are kept. */
	T_EQ_INT(spit(root, "subscriptions", "odd..line\nSent\nSent\n\n"), 0);
	T_EQ_INT(folder_subscribe(root, "x", 1, &err), 0);
	T_EQ_STR(slurp(root, "subscriptions"), "odd..line\nSent\nSent\nx\n");
	T_EQ_INT(folder_subscriptions(root, &v, &n, &err), 0);
	T_EQ_INT(n, 2);
	folder_names_free(v, n);

	/* Dovecot 2.3's version 2 stays version 2. */
	T_EQ_INT(spit(root, "subscriptions", "V\t2\n\nSent\na\tb\n"), 0);
	T_EQ_INT(folder_subscriptions(root, &v, &n, &err), 0);
	T_EQ_INT(n, 2);
	T_ASSERT(has_name(v, n, "Sent") && has_name(v, n, "a/b"));
	folder_names_free(v, n);
	T_EQ_INT(folder_subscribe(root, "x/y", 1, &err), 0);
	T_EQ_INT(folder_subscribe(root, "a/b", 0, &err), 0);
	T_EQ_STR(slurp(root, "subscriptions"), "V\t2\n\nSent\nx\ty\n");

	/* A stale lock is taken over; a live one is waited for. */
	T_EQ_INT(spit(root, "subscriptions.lock", ""), 0);
	{
		char		 p[512];
		struct timespec	 ts[2] = { { 1000, 0 }, { 1000, 0 } };

		snprintf(p, sizeof(p), "%s/subscriptions.lock", root);
		T_EQ_INT(utimensat(AT_FDCWD, p, ts, 0), 0);
	}
	T_EQ_INT(folder_subscribe(root, "z", 1, &err), 0);
	T_EQ_INT(count(root, ".", "subscriptions.lock"), 0);
	T_EQ_INT(spit(root, "subscriptions.lock", "held"), 0);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		char	 p[512];

		usleep(300 * 1000);
		snprintf(p, sizeof(p), "%s/subscriptions.lock", root);
		_exit(unlink(p) == 0 ? 0 : 1);
	}
	T_EQ_INT(folder_subscribe(root, "w", 1, &err), 0);
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	T_EQ_STR(slurp(root, "subscriptions"), "V\t2\n\nSent\nx\ty\nz\nw\n");
}

static void
t_subs_parse(void)
{
	char		**v = NULL;
	size_t		 n = 0;
	char		*big;
	const char	*s;

	s = "b\na\nb\nINBOX\n..x\n\n.y\ninbox\nc.d";
	T_EQ_INT(folder_subs_parse(s, strlen(s), &v, &n), 1);
	T_EQ_INT(n, 4);
	T_EQ_STR(v[0], "INBOX");
	T_EQ_STR(v[1], "a");
	T_EQ_STR(v[2], "b");
	T_EQ_STR(v[3], "c/d");
	folder_names_free(v, n);
	v = NULL;
	n = 0;
	s = "V\t2\n\nx\ty\nx.y\nq\001t\n";
	T_EQ_INT(folder_subs_parse(s, strlen(s), &v, &n), 2);
	T_EQ_INT(n, 1);
	T_EQ_STR(v[0], "x/y");
	folder_names_free(v, n);
	v = NULL;
	n = 0;
	big = calloc(1, FOLDER_SUBS_MAX + 1);
	T_EQ_INT(folder_subs_parse(big, FOLDER_SUBS_MAX + 1, &v, &n), -1);
	T_EQ_INT(n, 0);
	free(big);
}

static void
t_defaults(void)
{
	const char		*err = NULL;
	char			 root[256], again[4096];
	struct folder_list	 l;
	struct stat		 st1, st2;
	char			 p[512];

	snprintf(root, sizeof(root), "%s/vmail/example.org/alice/Maildir", tdir);
	T_EQ_INT(folder_create_defaults(root, &err), 0);
	T_ASSERT(isdir(root, "cur") && isdir(root, "new") && isdir(root, "tmp"));
	T_EQ_INT(folder_list(root, &l, &err), 0);
	T_EQ_INT(l.n, 6);
	T_EQ_STR(l.v[0].name, "INBOX");
	T_EQ_STR(l.v[1].name, "Archive");
	T_EQ_STR(l.v[2].name, "Drafts");
	T_EQ_STR(l.v[3].name, "Junk");
	T_EQ_STR(l.v[4].name, "Sent");
	T_EQ_STR(l.v[5].name, "Trash");
	folder_list_free(&l);
	T_ASSERT(isfile(root, ".Trash/maildirfolder"));
	T_EQ_STR(slurp(root, "subscriptions"),
	    "Drafts\nSent\nTrash\nJunk\nArchive\nINBOX\n");
	snprintf(again, sizeof(again), "%s", slurp(root, "subscriptions"));

	/* Again: nothing changes, not even the file. */
	snprintf(p, sizeof(p), "%s/subscriptions", root);
	T_EQ_INT(stat(p, &st1), 0);
	T_EQ_INT(folder_create_defaults(root, &err), 0);
	T_EQ_INT(stat(p, &st2), 0);
	T_EQ_INT(st1.st_ino, st2.st_ino);
	T_EQ_STR(slurp(root, "subscriptions"), again);

	/* A special folder removed by hand comes back; the others stay as they are. */
	snprintf(p, sizeof(p), "rm -rf '%s/.Junk'", root);
	T_EQ_INT(system(p), 0);
	snprintf(p, sizeof(p), "%s/.Sent", root);
	T_EQ_INT(stat(p, &st1), 0);
	T_EQ_INT(folder_create_defaults(root, &err), 0);
	T_ASSERT(isdir(root, ".Junk/cur") && isfile(root, ".Junk/maildirfolder"));
	T_EQ_INT(stat(p, &st2), 0);
	T_EQ_INT(st1.st_ino, st2.st_ino);
	T_EQ_STR(slurp(root, "subscriptions"), again);

	T_EQ_STR(folder_special_use("Sent"), "\\Sent");
	T_EQ_STR(folder_special_use("Drafts"), "\\Drafts");
	T_EQ_STR(folder_special_use("Trash"), "\\Trash");
	T_EQ_STR(folder_special_use("Junk"), "\\Junk");
	T_EQ_STR(folder_special_use("Archive"), "\\Archive");
	T_ASSERT(folder_special_use("INBOX") == NULL);
	T_ASSERT(folder_special_use("sent") == NULL);
}

void
test_main(void)
{
	log_init(1, 0);
	snprintf(tdir, sizeof(tdir), "/tmp/test_folder.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	t_run("names", t_names);
	t_run("list", t_list);
	t_run("create", t_create);
	t_run("delete", t_delete);
	t_run("rename", t_rename);
	t_run("rename_inbox", t_rename_inbox);
	t_run("subscriptions", t_subscriptions);
	t_run("subs_parse", t_subs_parse);
	t_run("defaults", t_defaults);
	rmtree(tdir);
}
