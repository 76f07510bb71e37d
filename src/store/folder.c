/* Maildir++ folders: name mapping, listing, create/delete/rename by whole-directory renames, subscriptions. */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/errstr.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "mail/mutf7.h"
#include "store/folder.h"
#include "store/maildir.h"

#define SUBS_FILE	"subscriptions"
#define SUBS_LOCK	"subscriptions.lock"	/* Dovecot's dotlock name for it */
#define SUBS_V2		"V\t2\n\n"
#define LOCK_STALE	30	/* seconds: Dovecot's change timeout for this lock */
#define LOCK_WAIT_MS	5000
#define TREE_DEPTH_MAX	8	/* directories below a folder, when removing it */
#define SWEEP_AGE	3600	/* seconds before a folder left half built is removed */

static const struct {
	const char	*name;
	const char	*use;
} special[] = {
	{ "Drafts", "\\Drafts" },
	{ "Sent", "\\Sent" },
	{ "Trash", "\\Trash" },
	{ "Junk", "\\Junk" },
	{ "Archive", "\\Archive" },
};
#define NSPECIAL	(sizeof(special) / sizeof(special[0]))

static int
fail_with(const char **errstr, const char *why, int err)
{
	*errstr = why;
	errno = err;
	return -1;
}

static int
control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int
folder_dir(const char *name, char *dir, size_t dirlen, const char **errstr)
{
	struct buf	 b;
	const char	*p, *slash;
	size_t		 len = strlen(name), l, i, depth = 0;

	if (len == 0 || len > FOLDER_NAME_MAX)
		return fail_with(errstr, "folder name empty or too long", EINVAL);
	if (strcasecmp(name, "INBOX") == 0) {
		if (dirlen < 1)
			return fail_with(errstr, "buffer too small", ENAMETOOLONG);
		dir[0] = '\0';
		return 0;
	}
	if (name[0] == '/' || name[len - 1] == '/')
		return fail_with(errstr, "folder name begins or ends with '/'",
		    EINVAL);
	buf_init(&b, FOLDER_DIR_MAX);
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		l = slash ? (size_t)(slash - p) : strlen(p);
		if (l == 0) {
			fail_with(errstr, "empty level in folder name", EINVAL);
			goto fail;
		}
		if (++depth > FOLDER_DEPTH_MAX) {
			fail_with(errstr, "too many levels in folder name", EINVAL);
			goto fail;
		}
		for (i = 0; i < l; i++) {
			if (p[i] == '.') {
				fail_with(errstr, "'.' in a folder name level "
				    "(it separates levels on disk)", EINVAL);
				goto fail;
			}
			if (control((unsigned char)p[i])) {
				fail_with(errstr, "control character in folder name",
				    EINVAL);
				goto fail;
			}
		}
		if (buf_addc(&b, '.') == -1) {
			fail_with(errstr, "folder name too long", ENAMETOOLONG);
			goto fail;
		}
		if (depth == 1 && l == 5 && strncasecmp(p, "INBOX", 5) == 0) {
			if (buf_adds(&b, "INBOX") == -1) {
				fail_with(errstr, "folder name too long",
				    ENAMETOOLONG);
				goto fail;
			}
		} else if (mutf7_encode(&b, p, l, errstr) == -1) {
			errno = EINVAL;
			goto fail;
		}
		if (slash == NULL)
			break;
	}
	if (b.len >= dirlen) {
		fail_with(errstr, "buffer too small", ENAMETOOLONG);
		goto fail;
	}
	memcpy(dir, b.data, b.len + 1);
	buf_free(&b);
	return 0;
fail:
	buf_free(&b);
	return -1;
}

int
folder_name(const char *dir, char *name, size_t namelen, const char **errstr)
{
	struct buf	 b;
	char		 again[FOLDER_DIR_MAX + 1];
	const char	*p, *dot, *why;
	size_t		 len = strlen(dir), l, i, start, depth = 0;

	if (len == 0) {
		if (namelen < 6)
			return fail_with(errstr, "buffer too small", ENAMETOOLONG);
		memcpy(name, "INBOX", 6);
		return 0;
	}
	if (dir[0] != '.' || len > FOLDER_DIR_MAX)
		return fail_with(errstr, "not a Maildir++ folder directory", EINVAL);
	buf_init(&b, FOLDER_NAME_MAX);
	for (p = dir + 1;; p = dot + 1) {
		dot = strchr(p, '.');
		l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0) {
			fail_with(errstr, "empty level in folder directory", EINVAL);
			goto fail;
		}
		if (++depth > FOLDER_DEPTH_MAX) {
			fail_with(errstr, "too many levels in folder directory",
			    EINVAL);
			goto fail;
		}
		if (depth > 1 && buf_addc(&b, '/') == -1) {
			fail_with(errstr, "folder name too long", ENAMETOOLONG);
			goto fail;
		}
		start = b.len;
		if (mutf7_decode(&b, p, l, &why) == -1) {
			fail_with(errstr, why, EINVAL);
			goto fail;
		}
		for (i = start; i < b.len; i++)
			if (control((unsigned char)b.data[i])) {
				fail_with(errstr, "control character in folder "
				    "directory", EINVAL);
				goto fail;
			}
		if (dot == NULL)
			break;
	}
	/* One name, one directory: ".inbox.x" or a second spelling is not a folder. */
	if (folder_dir(b.data, again, sizeof(again), &why) == -1 ||
	    strcmp(again, dir) != 0) {
		fail_with(errstr, "folder directory not in canonical form", EINVAL);
		goto fail;
	}
	if (b.len >= namelen) {
		fail_with(errstr, "buffer too small", ENAMETOOLONG);
		goto fail;
	}
	memcpy(name, b.data, b.len + 1);
	buf_free(&b);
	return 0;
fail:
	buf_free(&b);
	return -1;
}

char *
folder_path(const char *root, const char *name, const char **errstr)
{
	char	 dir[FOLDER_DIR_MAX + 1];

	if (folder_dir(name, dir, sizeof(dir), errstr) == -1)
		return NULL;
	return dir[0] ? xasprintf("%s/%s", root, dir) : xstrdup(root);
}

const char *
folder_special_use(const char *name)
{
	size_t	 i;

	for (i = 0; i < NSPECIAL; i++)
		if (strcmp(special[i].name, name) == 0)
			return special[i].use;
	return NULL;
}

/* A directory, or a link to one (Courier's shared folders are links). */
static int
is_dir(int dirfd, const struct dirent *de)
{
	struct stat	 st;

	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
		return 0;
	return fstatat(dirfd, de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* A fresh open file description of dirfd for readdir (the offset is not shared). */
static DIR *
listing(int dirfd, const char *sub)
{
	DIR	*d;
	int	 fd, saved;

	if ((fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

static int
cmp_folder(const void *a, const void *b)
{
	return strcmp(((const struct folder *)a)->name,
	    ((const struct folder *)b)->name);
}

void
folder_list_free(struct folder_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].dir);
	}
	x_free(&l->v);
	l->n = 0;
}

int
folder_list(const char *root, struct folder_list *l, const char **errstr)
{
	struct dirent	*de;
	DIR		*d;
	char		 name[FOLDER_NAME_MAX + 1];
	const char	*why;
	size_t		 cap = 16;
	int		 saved;

	memset(l, 0, sizeof(*l));
	if ((d = opendir(root)) == NULL) {
		*errstr = errstr_sys("cannot read Maildir", errno);
		return -1;
	}
	l->v = xreallocarray(NULL, cap, sizeof(*l->v));
	l->v[0].name = xstrdup("INBOX");
	l->v[0].dir = xstrdup("");
	l->n = 1;
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || !is_dir(dirfd(d), de))
			continue;
		if (folder_name(de->d_name, name, sizeof(name), &why) == -1) {
			l->skipped++;
			continue;
		}
		if (l->n == cap) {
			cap *= 2;
			l->v = xreallocarray(l->v, cap, sizeof(*l->v));
		}
		l->v[l->n].name = xstrdup(name);
		l->v[l->n].dir = xstrdup(de->d_name);
		l->n++;
	}
	saved = errno;
	closedir(d);
	if (saved != 0) {
		*errstr = errstr_sys("cannot read Maildir", saved);
		folder_list_free(l);
		errno = saved;
		return -1;
	}
	qsort(l->v + 1, l->n - 1, sizeof(*l->v), cmp_folder);
	return 0;
}

/* Removes every entry of dir/name and then it; links are removed, never followed. */
static int
remove_tree(int parent, const char *name, int depth)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, pass, removed, saved;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(parent, name, 0) == -1 && errno != ENOENT ?
			    -1 : 0;
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* Entries removed while reading may hide others: read until a pass removes nothing. */
	for (pass = 0; pass < 4; pass++) {
		removed = 0;
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
				removed++;
				continue;
			}
			if (errno == ENOENT)
				continue;
			if (errno != EISDIR && errno != EPERM)
				goto fail;
			if (depth >= TREE_DEPTH_MAX) {
				errno = ELOOP;
				goto fail;
			}
			if (remove_tree(dirfd(d), de->d_name, depth + 1) == -1)
				goto fail;
			removed++;
		}
		if (removed == 0)
			break;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return -1;
	return 0;
fail:
	saved = errno;
	closedir(d);
	errno = saved;
	return -1;
}

/* 1 if the folder at dirfd/dir has a message in new/ or cur/, 0 if not, -1 on error. */
static int
has_messages(int dirfd, const char *dir)
{
	static const char *const subs[] = { "new", "cur" };
	struct dirent	*de;
	DIR		*d;
	char		 p[FOLDER_DIR_MAX + 8];
	size_t		 i;
	int		 found = 0;

	for (i = 0; i < 2 && !found; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		if ((d = listing(dirfd, p)) == NULL) {
			if (errno == ENOENT)
				continue;	/* half made by a crash: no messages there */
			return -1;
		}
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.') {
				found = 1;
				break;
			}
		closedir(d);
	}
	return found;
}

/* A name under root/tmp/ that no Maildir++ reader takes for a folder. */
static void
tmp_name(char *dst, size_t len, const char *what)
{
	char	 u[MAILDIR_NAME_MAX + 1];

	(void)maildir_unique(u, sizeof(u), MAILDIR_NOSIZE, MAILDIR_NOSIZE);
	snprintf(dst, len, "tegami-%s.%s", what, u);
}

static int
open_root(const char *root, int *rootfd, int *tmpfd, const char **errstr)
{
	*tmpfd = -1;
	if ((*rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys("cannot open Maildir", errno);
		return -1;
	}
	if (tmpfd != NULL && (*tmpfd = openat(*rootfd, "tmp",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		int	 saved = errno;

		*errstr = errstr_sys("cannot open Maildir tmp/", saved);
		close(*rootfd);
		*rootfd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

static void
close_root(int rootfd, int tmpfd)
{
	if (tmpfd != -1)
		close(tmpfd);
	if (rootfd != -1)
		close(rootfd);
}

/* Builds a whole folder under tmp/ and renames it to dir in the root. */
static int
create_dir(int rootfd, int tmpfd, const char *dir, const char **errstr)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	char	 t[MAILDIR_NAME_MAX + 32];
	size_t	 i;
	int	 fd = -1, mfd, saved;

	tmp_name(t, sizeof(t), "folder");
	if (mkdirat(tmpfd, t, 0700) == -1) {
		*errstr = errstr_sys("cannot create folder", errno);
		return -1;
	}
	if ((fd = openat(tmpfd, t, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto sysfail;
	for (i = 0; i < 3; i++)
		if (mkdirat(fd, subs[i], 0700) == -1)
			goto sysfail;
	mfd = openat(fd, "maildirfolder",
	    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (mfd == -1)
		goto sysfail;
	close(mfd);
	if (dio_fsync_dirfd(fd) == -1)
		goto sysfail;
	if (maildir_rename_excl(tmpfd, t, rootfd, dir) == -1) {
		saved = errno;
		*errstr = saved == EEXIST ? "folder exists" :
		    errstr_sys("cannot create folder", saved);
		goto fail;
	}
	close(fd);
	if (dio_fsync_dirfd(rootfd) == -1) {
		*errstr = errstr_sys("cannot fsync Maildir", errno);
		return -1;
	}
	return 0;
sysfail:
	saved = errno;
	*errstr = errstr_sys("cannot create folder", saved);
fail:
	if (fd != -1)
		close(fd);
	remove_tree(tmpfd, t, 0);
	errno = saved;
	return -1;
}

/*
 * Leftovers of what a crash interrupted under tmp/: deleted folders at
 * once, folders being built once an hour old (a younger one may be
 * another process's create in progress).
 */
static void
sweep_tmp(int tmpfd)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;

	if ((d = listing(tmpfd, ".")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "tegami-folder.", 14) == 0) {
			if (fstatat(dirfd(d), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1 ||
			    st.st_mtime >= time(NULL) - SWEEP_AGE)
				continue;
		} else if (strncmp(de->d_name, "tegami-deleted.", 15) != 0)
			continue;
		if (remove_tree(dirfd(d), de->d_name, 0) == -1)
			log_msg(LOG_WARNING, "maildir tmp/%s remove error=\"%s\"",
			    de->d_name, strerror(errno));
	}
	closedir(d);
}

int
folder_create(const char *root, const char *name, const char **errstr)
{
	char	 dir[FOLDER_DIR_MAX + 1];
	int	 rootfd, tmpfd, r;

	if (folder_dir(name, dir, sizeof(dir), errstr) == -1)
		return -1;
	if (dir[0] == '\0')
		return fail_with(errstr, "INBOX always exists", EEXIST);
	if (strpbrk(name, "*%") != NULL)
		return fail_with(errstr, "'*' and '%' are IMAP wildcards, not "
		    "folder names", EINVAL);
	if (open_root(root, &rootfd, &tmpfd, errstr) == -1)
		return -1;
	sweep_tmp(tmpfd);
	r = create_dir(rootfd, tmpfd, dir, errstr);
	close_root(rootfd, tmpfd);
	return r;
}

/* Moves every message of from/{new,cur} into to/{new,cur}; the count moved. */
static long
move_messages(int fromfd, int tofd, const char **errstr)
{
	static const char *const subs[] = { "new", "cur" };
	struct dirent	*de;
	DIR		*d;
	size_t		 i;
	long		 n = 0;
	int		 dst;

	for (i = 0; i < 2; i++) {
		if ((d = listing(fromfd, subs[i])) == NULL) {
			if (errno == ENOENT)
				continue;
			*errstr = errstr_sys("cannot read Maildir", errno);
			return -1;
		}
		if ((dst = openat(tofd, subs[i],
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			*errstr = errstr_sys("cannot open Maildir", errno);
			closedir(d);
			return -1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (maildir_rename_excl(dirfd(d), de->d_name, dst,
			    de->d_name) == 0)
				n++;
			else if (errno != ENOENT) {
				*errstr = errstr_sys("cannot move message", errno);
				close(dst);
				closedir(d);
				return -1;
			}
		}
		/* The destination first: durable there before gone from here. */
		if (dio_fsync_dirfd(dst) == -1 || dio_fsync_dirfd(dirfd(d)) == -1) {
			*errstr = errstr_sys("cannot fsync Maildir", errno);
			close(dst);
			closedir(d);
			return -1;
		}
		close(dst);
		closedir(d);
	}
	return n;
}

int
folder_delete(const char *root, const char *name, int flags,
    const char **errstr)
{
	char		 dir[FOLDER_DIR_MAX + 1], t[MAILDIR_NAME_MAX + 32];
	struct stat	 st;
	int		 rootfd, tmpfd, fd, r, saved;

	if (folder_dir(name, dir, sizeof(dir), errstr) == -1)
		return -1;
	if (dir[0] == '\0')
		return fail_with(errstr, "INBOX cannot be deleted", EINVAL);
	if (open_root(root, &rootfd, &tmpfd, errstr) == -1)
		return -1;
	sweep_tmp(tmpfd);
	if (fstatat(rootfd, dir, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		saved = errno;
		*errstr = saved == ENOENT ? "no such folder" :
		    errstr_sys("cannot find folder", saved);
		goto fail;
	}
	if (!(flags & FOLDER_DELETE_MESSAGES)) {
		if ((r = has_messages(rootfd, dir)) != 0) {
			saved = r == 1 ? ENOTEMPTY : errno;
			*errstr = r == 1 ? "folder is not empty" :
			    errstr_sys("cannot read folder", saved);
			goto fail;
		}
	}
	/* Out of every reader's sight in one step; then removed at leisure. */
	tmp_name(t, sizeof(t), "deleted");
	if (dio_renameat(rootfd, dir, tmpfd, t) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot delete folder", saved);
		goto fail;
	}
	if (dio_fsync_dirfd(rootfd) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot fsync Maildir", saved);
		goto fail;
	}
	if (!(flags & FOLDER_DELETE_MESSAGES) && has_messages(tmpfd, t) == 1) {
		/* A delivery came between the check and the rename: give it back. */
		if (maildir_rename_excl(tmpfd, t, rootfd, dir) == 0)
			(void)dio_fsync_dirfd(rootfd);
		else if ((fd = openat(rootfd, dir,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
			int	 tfd = openat(tmpfd, t,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			/* The delivery made the folder again: its messages go there. */
			if (tfd != -1) {
				(void)move_messages(tfd, fd, errstr);
				close(tfd);
			}
			close(fd);
			remove_tree(tmpfd, t, 0);
		}
		saved = ENOTEMPTY;
		*errstr = "folder is not empty";
		goto fail;
	}
	if (remove_tree(tmpfd, t, 0) == -1)
		log_msg(LOG_WARNING, "maildir %s/tmp/%s remove error=\"%s\"",
		    root, t, strerror(errno));
	close_root(rootfd, tmpfd);
	return 0;
fail:
	close_root(rootfd, tmpfd);
	errno = saved;
	return -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
rename_inbox(int rootfd, int tmpfd, const char *tdir, const char **errstr)
{
	int	 tofd;
	long	 n;

	if (create_dir(rootfd, tmpfd, tdir, errstr) == -1)
		return -1;
	if ((tofd = openat(rootfd, tdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		*errstr = errstr_sys("cannot open folder", errno);
		return -1;
	}
	n = move_messages(rootfd, tofd, errstr);
	close(tofd);
	return n == -1 ? -1 : 0;
}

int
folder_rename(const char *root, const char *from, const char *to,
    const char **errstr)
{
	char		 fdir[FOLDER_DIR_MAX + 1], tdir[FOLDER_DIR_MAX + 1];
	char		 dst[FOLDER_DIR_MAX + 2];
	char		**olds = NULL;
	struct dirent	*de;
	struct stat	 st;
	DIR		*d = NULL;
	size_t		 flen, n = 0, cap = 0, i, done = 0;
	int		 rootfd, tmpfd, saved = 0;

	if (folder_dir(from, fdir, sizeof(fdir), errstr) == -1 ||
	    folder_dir(to, tdir, sizeof(tdir), errstr) == -1)
		return -1;
	if (tdir[0] == '\0')
		return fail_with(errstr, "INBOX always exists", EEXIST);
	if (strpbrk(to, "*%") != NULL)
		return fail_with(errstr, "'*' and '%' are IMAP wildcards, not "
		    "folder names", EINVAL);
	if (strcmp(fdir, tdir) == 0)
		return fail_with(errstr, "folder exists", EEXIST);
	flen = strlen(fdir);
	if (flen > 0 && strncmp(tdir, fdir, flen) == 0 && tdir[flen] == '.')
		return fail_with(errstr, "a folder cannot move under itself",
		    EINVAL);
	if (open_root(root, &rootfd, &tmpfd, errstr) == -1)
		return -1;
	if (flen == 0) {
		if (rename_inbox(rootfd, tmpfd, tdir, errstr) == -1)
			saved = errno;
		goto done;
	}

	/* The folder and its children: ".from" and ".from.*". */
	if ((d = listing(rootfd, ".")) == NULL) {
		saved = errno;
		*errstr = errstr_sys("cannot read Maildir", saved);
		goto done;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, fdir, flen) != 0 ||
		    (de->d_name[flen] != '\0' && de->d_name[flen] != '.'))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			olds = xreallocarray(olds, cap, sizeof(*olds));
		}
		olds[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		saved = ENOENT;
		*errstr = "no such folder";
		goto done;
	}
	/* Parents before children; every target checked before anything moves. */
	qsort(olds, n, sizeof(*olds), cmp_str);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(dst, sizeof(dst), "%s%s", tdir,
		    olds[i] + flen) > FOLDER_DIR_MAX) {
			saved = ENAMETOOLONG;
			*errstr = "new folder name too long";
			goto done;
		}
		if (fstatat(rootfd, dst, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			saved = EEXIST;
			*errstr = "folder exists";
			goto done;
		}
	}
	for (done = 0; done < n; done++) {
		snprintf(dst, sizeof(dst), "%s%s", tdir, olds[done] + flen);
		if (maildir_rename_excl(rootfd, olds[done], rootfd, dst) == -1) {
			saved = errno;
			*errstr = errstr_sys("cannot rename folder", saved);
			break;
		}
	}
	if (saved != 0) {
		/* Put back what moved, so the hierarchy is not left split. */
		while (done-- > 0) {
			snprintf(dst, sizeof(dst), "%s%s", tdir,
			    olds[done] + flen);
			(void)maildir_rename_excl(rootfd, dst, rootfd, olds[done]);
		}
	}
	if (dio_fsync_dirfd(rootfd) == -1 && saved == 0) {
		saved = errno;
		*errstr = errstr_sys("cannot fsync Maildir", saved);
	}
done:
	for (i = 0; i < n; i++)
		free(olds[i]);
	free(olds);
	close_root(rootfd, tmpfd);
	errno = saved;
	return saved ? -1 : 0;
}

/* Subscriptions. */

void
folder_names_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The IMAP name of one line ("a.b" or, in version 2, "a\tb"), or NULL. */
static char *
subs_line_name(const char *line, size_t len, int version)
{
	char	 dir[FOLDER_DIR_MAX + 2], name[FOLDER_NAME_MAX + 1];
	size_t	 i, o = 1;
	const char *why;

	if (len == 5 && memcmp(line, "INBOX", 5) == 0)
		return xstrdup("INBOX");
	dir[0] = '.';
	for (i = 0; i < len; i++) {
		char	 c = line[i];

		if (o >= sizeof(dir) - 1)
			return NULL;
		if (version == 2 && c == '\t')
			c = '.';
		else if (version == 2 && c == '\001') {
			/* Dovecot's tab escapes; none can be in a folder name we map. */
			return NULL;
		} else if (version == 2 && c == '.')
			return NULL;
		dir[o++] = c;
	}
	dir[o] = '\0';
	if (folder_name(dir, name, sizeof(name), &why) == -1)
		return NULL;
	return xstrdup(name);
}

/* The line for a canonical IMAP name in the given version. */
static char *
subs_line(const char *dir, int version)
{
	char	*s, *p;

	if (dir[0] == '\0')
		return xstrdup("INBOX");
	s = xstrdup(dir + 1);
	if (version == 2)
		for (p = s; *p != '\0'; p++)
			if (*p == '.')
				*p = '\t';
	return s;
}

int
folder_subs_parse(const char *text, size_t len, char ***names, size_t *n)
{
	const char	*p = text, *end = text + len, *nl;
	char		*name;
	size_t		 cap = *n, i, o, first = *n;
	int		 version = 1;

	if (len > FOLDER_SUBS_MAX)
		return -1;
	if (len >= 5 && memcmp(text, SUBS_V2, 5) == 0) {
		version = 2;
		p += 5;
	}
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p || (name = subs_line_name(p, (size_t)(nl - p),
		    version)) == NULL)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xreallocarray(*names, cap, sizeof(**names));
		}
		(*names)[(*n)++] = name;
	}
	/* Sorted, each once. */
	if (*n - first > 1)
		qsort(*names + first, *n - first, sizeof(**names), cmp_str);
	for (i = o = first; i < *n; i++) {
		if (o > first && strcmp((*names)[o - 1], (*names)[i]) == 0) {
			free((*names)[i]);
			continue;
		}
		(*names)[o++] = (*names)[i];
	}
	*n = o;
	return version;
}

/* Reads the subscriptions file whole into b (a missing file is empty). */
static int
subs_read(int rootfd, struct buf *b, const char **errstr)
{
	char	 tmp[8192];
	ssize_t	 r;
	int	 fd;

	if ((fd = openat(rootfd, SUBS_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			return 0;
		*errstr = errstr_sys("cannot read subscriptions", errno);
		return -1;
	}
	for (;;) {
		r = read(fd, tmp, sizeof(tmp));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_add(b, tmp, (size_t)r) == -1) {
			close(fd);
			return fail_with(errstr, "subscriptions file too large",
			    EFBIG);
		}
	}
	if (r == -1) {
		int	 saved = errno;

		*errstr = errstr_sys("cannot read subscriptions", saved);
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

int
folder_subscriptions(const char *root, char ***names, size_t *n,
    const char **errstr)
{
	struct buf	 b;
	int		 rootfd, r;

	*names = NULL;
	*n = 0;
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys("cannot open Maildir", errno);
		return -1;
	}
	buf_init(&b, FOLDER_SUBS_MAX);
	r = subs_read(rootfd, &b, errstr);
	close(rootfd);
	if (r == 0)
		(void)folder_subs_parse(b.data ? b.data : "", b.len, names, n);
	buf_free(&b);
	return r;
}

/* Takes Dovecot's dotlock: the file that will replace the subscriptions. */
static int
subs_lock(int rootfd, const char **errstr)
{
	struct timespec	 pause = { 0, 20 * 1000 * 1000 };
	struct stat	 st;
	int		 fd, waited;

	for (waited = 0;; waited += 20) {
		fd = openat(rootfd, SUBS_LOCK, O_CREAT | O_EXCL | O_WRONLY |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1)
			return fd;
		if (errno != EEXIST) {
			*errstr = errstr_sys("cannot lock subscriptions", errno);
			return -1;
		}
		/* A lock left by a crash goes stale, as Dovecot's does. */
		if (fstatat(rootfd, SUBS_LOCK, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime < time(NULL) - LOCK_STALE) {
			unlinkat(rootfd, SUBS_LOCK, 0);
			continue;
		}
		if (waited >= LOCK_WAIT_MS)
			return fail_with(errstr, "subscriptions are locked",
			    EAGAIN);
		nanosleep(&pause, NULL);
	}
}

/* Subscribes (on) or unsubscribes the canonical names dirs[0..n). */
static int
subs_update(const char *root, char **dirs, size_t n, int on,
    const char **errstr)
{
	struct buf	 old, out;
	const char	*p, *end, *nl, *text;
	char		*name, *line, **wants;
	int		*have, rootfd, lockfd = -1, version = 1, changed = 0;
	int		 r = -1, saved = 0, keep, locked = 0;
	size_t		 i;

	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys("cannot open Maildir", errno);
		return -1;
	}
	have = xcalloc(n ? n : 1, sizeof(*have));
	wants = xcalloc(n ? n : 1, sizeof(*wants));
	for (i = 0; i < n; i++) {
		wants[i] = xmalloc(FOLDER_NAME_MAX + 1);
		if (folder_name(dirs[i], wants[i], FOLDER_NAME_MAX + 1,
		    errstr) == -1) {
			saved = errno;
			goto done;
		}
	}
	buf_init(&old, FOLDER_SUBS_MAX);
	buf_init(&out, FOLDER_SUBS_MAX + FOLDER_DIR_MAX * n + 64);
	if ((lockfd = subs_lock(rootfd, errstr)) == -1)
		goto done;
	locked = 1;
	if (subs_read(rootfd, &old, errstr) == -1)
		goto done;
	text = old.data ? old.data : "";
	p = text;
	end = text + old.len;
	if (old.len >= 5 && memcmp(text, SUBS_V2, 5) == 0) {
		version = 2;
		p += 5;
		buf_adds(&out, SUBS_V2);
	}
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		keep = 1;
		if ((name = subs_line_name(p, (size_t)(nl - p), version)) !=
		    NULL) {
			for (i = 0; i < n; i++) {
				if (strcmp(wants[i], name) != 0)
					continue;
				/* Unsubscribed, or a second line for one name. */
				if (!on || have[i])
					keep = 0;
				have[i] = 1;
			}
			free(name);
		}
		if (!keep) {
			changed = 1;
			continue;
		}
		if (nl > p) {
			buf_add(&out, p, (size_t)(nl - p));
			buf_addc(&out, '\n');
		}
	}
	if (on)
		for (i = 0; i < n; i++) {
			if (have[i])
				continue;
			line = subs_line(dirs[i], version);
			buf_adds(&out, line);
			buf_addc(&out, '\n');
			free(line);
			changed = 1;
		}
	if (!changed) {
		r = 0;
		goto done;
	}
	if (dio_write(lockfd, out.data ? out.data : "", out.len) == -1 ||
	    dio_fsync(lockfd) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot write subscriptions", saved);
		goto done;
	}
	saved = dio_close(lockfd);
	lockfd = -1;
	if (saved == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot write subscriptions", saved);
		goto done;
	}
	saved = 0;
	if (dio_renameat(rootfd, SUBS_LOCK, rootfd, SUBS_FILE) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot replace subscriptions", saved);
		goto done;
	}
	locked = 0;	/* the lock is the file now */
	if (dio_fsync_dirfd(rootfd) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot fsync Maildir", saved);
		goto done;
	}
	r = 0;
done:
	if (r == -1 && saved == 0)
		saved = errno;
	if (lockfd != -1)
		close(lockfd);
	/* Unless it became the file, the lock goes. */
	if (locked && (r == -1 || !changed))
		unlinkat(rootfd, SUBS_LOCK, 0);
	buf_free(&old);
	buf_free(&out);
	for (i = 0; i < n; i++)
		free(wants[i]);
	free(wants);
	free(have);
	close(rootfd);
	errno = saved;
	return r;
}

int
folder_subscribe(const char *root, const char *name, int on,
    const char **errstr)
{
	char	 dir[FOLDER_DIR_MAX + 1], *dirs[1];

	if (folder_dir(name, dir, sizeof(dir), errstr) == -1)
		return -1;
	dirs[0] = dir;
	return subs_update(root, dirs, 1, on, errstr);
}

static int
folder_is_dir(const char *root, const char *dir)
{
	struct stat	 st;
	char		*p = xasprintf("%s/%s", root, dir);
	int		 rc;

	rc = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return rc;
}

int
folder_create_defaults(const char *root, const char **errstr)
{
	char	 dirs[NSPECIAL + 1][FOLDER_DIR_MAX + 1];
	char	*list[NSPECIAL + 1];
	size_t	 i;

	if (maildir_create(root, errstr) == -1)
		return -1;
	for (i = 0; i < NSPECIAL; i++) {
		if (folder_dir(special[i].name, dirs[i], sizeof(dirs[i]),
		    errstr) == -1)
			return -1;
		list[i] = dirs[i];
		/*
		 * Already there (every login but the first): not made again in
		 * tmp/ with its fsync only for the rename to find it there.
		 */
		if (folder_is_dir(root, dirs[i]))
			continue;
		if (folder_create(root, special[i].name, errstr) == -1 &&
		    errno != EEXIST)
			return -1;
	}
	dirs[NSPECIAL][0] = '\0';
	list[NSPECIAL] = dirs[NSPECIAL];
	return subs_update(root, list, NSPECIAL + 1, 1, errstr);
}
