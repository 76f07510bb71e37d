/* Folder listings from one readdir of new/ and cur/, and the renames and unlinks IMAP and POP3 need. */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dio.h"
#include "lib/errstr.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "store/maildir.h"
#include "store/scan.h"

/* File names live in chunks that never move, so entries can point into them. */
#define CHUNK_SIZE	(64 * 1024)

struct scan_chunk {
	struct scan_chunk	*next;
	size_t			 used;
	char			 data[CHUNK_SIZE];
};

/* Times a cur/ that keeps changing under the listing is read again. */
#define RESCANS		2

static int
subfd(struct scan_dir *d, enum scan_sub sub)
{
	return sub == SCAN_CUR ? d->curfd : d->newfd;
}

int
scan_dir_open(struct scan_dir *d, const char *path, const char **errstr)
{
	int	 saved;

	d->newfd = d->curfd = -1;
	if ((d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d->newfd = openat(d->fd, "new",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d->curfd = openat(d->fd, "cur",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		saved = errno;
		*errstr = errstr_sys("cannot open Maildir", saved);
		scan_dir_close(d);
		errno = saved;
		return -1;
	}
	return 0;
}

void
scan_dir_close(struct scan_dir *d)
{
	if (d->curfd != -1)
		close(d->curfd);
	if (d->newfd != -1)
		close(d->newfd);
	if (d->fd != -1)
		close(d->fd);
	d->fd = d->newfd = d->curfd = -1;
}

void
scan_free(struct scan *s)
{
	struct scan_chunk	*c;

	while ((c = s->chunks) != NULL) {
		s->chunks = c->next;
		free(c);
	}
	x_free(&s->v);
	s->n = s->cap = 0;
}

static const char *
keep_name(struct scan *s, const char *name, size_t len)
{
	struct scan_chunk	*c = s->chunks;
	char			*p;

	if (c == NULL || CHUNK_SIZE - c->used < len + 1) {
		c = xmalloc(sizeof(*c));
		c->used = 0;
		c->next = s->chunks;
		s->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, name, len + 1);
	c->used += len + 1;
	return p;
}

static struct scan_entry *
new_entry(struct scan *s)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	return &s->v[s->n++];
}

/* A fresh open file description, so concurrent listings do not share a read offset. */
static DIR *
open_listing(int dirfd)
{
	DIR	*dir;
	int	 fd, saved;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return NULL;
	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return dir;
}

/* Appends the messages of one subdirectory. */
static int
read_sub(struct scan *s, int dirfd, enum scan_sub sub, int flags)
{
	struct maildir_name	 mn;
	struct scan_entry	*e;
	struct dirent		*de;
	struct stat		 st;
	DIR			*dir;
	size_t			 len;
	int			 saved;

	if ((dir = open_listing(dirfd)) == NULL)
		return -1;
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		len = strlen(de->d_name);
		if ((de->d_type != DT_REG && de->d_type != DT_UNKNOWN) ||
		    maildir_name_parse(de->d_name, len, &mn) == -1) {
			s->skipped++;
			continue;
		}
		st.st_mtime = -1;
		if (!mn.has_size || (flags & SCAN_MTIME)) {
			s->stats++;
			if (fstatat(dirfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode)) {
				/* Gone since readdir (expunged, renamed), or not a file. */
				s->skipped++;
				continue;
			}
			if (!mn.has_size)
				mn.size = (uint64_t)st.st_size;
		}
		e = new_entry(s);
		e->name = keep_name(s, de->d_name, len);
		e->size = mn.size;
		e->vsize = mn.has_vsize ? mn.vsize : SCAN_NOSIZE;
		e->mtime = (int64_t)st.st_mtime;
		e->flags = mn.flags;
		e->base_len = (uint16_t)mn.base_len;
		e->sub = (uint8_t)sub;
	}
	saved = errno;
	closedir(dir);
	errno = saved;
	return saved == 0 ? 0 : -1;
}

static int
same_time(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int
cmp_base(const char *a, size_t alen, const char *b, size_t blen)
{
	int	 c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* By base, and cur/ before new/ for one base, so the cur/ one is kept. */
static int
cmp_entry(const void *pa, const void *pb)
{
	const struct scan_entry	*a = pa, *b = pb;
	int			 c;

	c = cmp_base(a->name, a->base_len, b->name, b->base_len);
	if (c != 0)
		return c;
	return (int)b->sub - (int)a->sub;
}

int
scan_list(struct scan_dir *d, int flags, struct scan *s, const char **errstr)
{
	struct stat	 before, after;
	size_t		 i, o, ncur0;
	int		 tries;

	memset(s, 0, sizeof(*s));
	if (read_sub(s, d->newfd, SCAN_NEW, flags) == -1) {
		*errstr = errstr_sys("cannot read new/", errno);
		goto fail;
	}
	ncur0 = s->n;
	for (tries = 0;; tries++) {
		size_t	 skipped = s->skipped, stats = s->stats;

		if (fstat(d->curfd, &before) == -1 ||
		    read_sub(s, d->curfd, SCAN_CUR, flags) == -1 ||
		    fstat(d->curfd, &after) == -1) {
			*errstr = errstr_sys("cannot read cur/", errno);
			goto fail;
		}
		if (same_time(&before, &after) || tries == RESCANS)
			break;
		/* Read it again; the names kept in chunks are only wasted space. */
		s->n = ncur0;
		s->skipped = skipped;
		s->stats = stats;
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_entry);
	for (i = o = 0; i < s->n; i++) {
		if (o > 0 && cmp_base(s->v[o - 1].name, s->v[o - 1].base_len,
		    s->v[i].name, s->v[i].base_len) == 0) {
			s->dups++;
			continue;
		}
		s->v[o++] = s->v[i];
	}
	s->n = o;
	return 0;
fail:
	scan_free(s);
	return -1;
}

const struct scan_entry *
scan_find(const struct scan *s, const char *base, size_t len)
{
	size_t	 lo = 0, hi = s->n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = cmp_base(base, len, s->v[mid].name, s->v[mid].base_len);
		if (c == 0)
			return &s->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The base length of name (which may be a base alone). */
static size_t
base_len(const char *name)
{
	return strcspn(name, ":");
}

/* Looks for base in one subdirectory; 0 and the name in out when found. */
static int
find_in(int dirfd, const char *base, size_t blen, char *out, size_t outlen)
{
	struct dirent	*de;
	DIR		*dir;
	int		 found = -1, saved;

	if ((dir = open_listing(dirfd)) == NULL)
		return -1;
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, base, blen) == 0 &&
		    (de->d_name[blen] == ':' || de->d_name[blen] == '\0')) {
			if ((size_t)snprintf(out, outlen, "%s", de->d_name) >=
			    outlen) {
				errno = ENAMETOOLONG;
				break;
			}
			found = 0;
			break;
		}
		errno = 0;
	}
	saved = errno;
	closedir(dir);
	if (found == -1)
		errno = saved ? saved : ENOENT;
	return found;
}

int
scan_locate(struct scan_dir *d, const char *name, char *out, size_t outlen)
{
	size_t	 blen = base_len(name);

	if (blen == 0 || name[0] == '.' || strchr(name, '/') != NULL) {
		errno = ENOENT;
		return -1;
	}
	if (find_in(d->curfd, name, blen, out, outlen) == 0)
		return SCAN_CUR;
	if (errno == ENOENT && find_in(d->newfd, name, blen, out, outlen) == 0)
		return SCAN_NEW;
	return -1;
}

/*
 * Renames the message (sub/name, or wherever its base is now) into cur/
 * with its flags set to f, or kept when f is NULL. Returns 0 with the new
 * name in out.
 */
static int
rename_to_cur(struct scan_dir *d, enum scan_sub sub, const char *name,
    const struct maildir_flags *f, char *out, size_t outlen,
    const char **errstr)
{
	struct maildir_name	 mn;
	char			 cur[MAILDIR_NAME_MAX + 1], to[MAILDIR_NAME_MAX + 1];
	int			 attempt, where = (int)sub;

	snprintf(cur, sizeof(cur), "%s", name);
	for (attempt = 0;; attempt++) {
		if (maildir_name_parse(cur, strlen(cur), &mn) == -1) {
			*errstr = "not a message file name";
			errno = EINVAL;
			return -1;
		}
		if (maildir_name_set_flags(to, sizeof(to), cur,
		    f ? f : &mn.flags) == -1) {
			*errstr = "message name too long";
			errno = ENAMETOOLONG;
			return -1;
		}
		if (where == SCAN_CUR && strcmp(cur, to) == 0) {
			/* Nothing to rename; but the message must still be there. */
			if (faccessat(d->curfd, cur, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				break;
		} else if (maildir_rename_excl(subfd(d, (enum scan_sub)where), cur,
		    d->curfd, to) == 0)
			break;
		if (errno != ENOENT || attempt == 1) {
			*errstr = errstr_sys("cannot rename message", errno);
			return -1;
		}
		/* Renamed or moved by someone else: find it once, try once more. */
		if ((where = scan_locate(d, name, cur, sizeof(cur))) == -1) {
			*errstr = "message no longer exists";
			return -1;
		}
	}
	if ((size_t)snprintf(out, outlen, "%s", to) >= outlen) {
		*errstr = "name buffer too small";
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
scan_to_cur(struct scan_dir *d, const char *name, char *out, size_t outlen,
    const char **errstr)
{
	return rename_to_cur(d, SCAN_NEW, name, NULL, out, outlen, errstr);
}

int
scan_set_flags(struct scan_dir *d, enum scan_sub sub, const char *name,
    const struct maildir_flags *f, char *out, size_t outlen,
    const char **errstr)
{
	return rename_to_cur(d, sub, name, f, out, outlen, errstr);
}

int
scan_expunge(struct scan_dir *d, enum scan_sub sub, const char *name, int sync,
    const char **errstr)
{
	char	 found[MAILDIR_NAME_MAX + 1];
	int	 fd = subfd(d, sub), where;

	if (unlinkat(fd, name, 0) == -1) {
		if (errno != ENOENT) {
			*errstr = errstr_sys("cannot remove message", errno);
			return -1;
		}
		if ((where = scan_locate(d, name, found, sizeof(found))) == -1) {
			if (errno == ENOENT)
				return 0;	/* already gone: what was asked */
			*errstr = errstr_sys("cannot find message", errno);
			return -1;
		}
		fd = subfd(d, (enum scan_sub)where);
		if (unlinkat(fd, found, 0) == -1 && errno != ENOENT) {
			*errstr = errstr_sys("cannot remove message", errno);
			return -1;
		}
	}
	if (sync && dio_fsync_dirfd(fd) == -1) {
		*errstr = errstr_sys("cannot fsync Maildir", errno);
		return -1;
	}
	return 0;
}

int
scan_open_msg(struct scan_dir *d, enum scan_sub sub, const char *name,
    char *out, size_t outlen, enum scan_sub *subp, const char **errstr)
{
	char	 found[MAILDIR_NAME_MAX + 1];
	int	 fd, where = (int)sub;

	snprintf(found, sizeof(found), "%s", name);
	if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0') {
		*errstr = "not a message file name";
		errno = EINVAL;
		return -1;
	}
	fd = openat(subfd(d, sub), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if ((where = scan_locate(d, name, found, sizeof(found))) == -1) {
			*errstr = errno == ENOENT ? "message no longer exists" :
			    errstr_sys("cannot find message", errno);
			return -1;
		}
		fd = openat(subfd(d, (enum scan_sub)where), found,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1) {
		*errstr = errstr_sys("cannot open message", errno);
		return -1;
	}
	if (out != NULL && (size_t)snprintf(out, outlen, "%s", found) >= outlen) {
		close(fd);
		*errstr = "name buffer too small";
		errno = ENAMETOOLONG;
		return -1;
	}
	if (subp != NULL)
		*subp = (enum scan_sub)where;
	return fd;
}

int
scan_move(struct scan_dir *from, enum scan_sub sub, const char *name,
    struct scan_dir *to, const struct maildir_flags *f, char *out,
    size_t outlen, const char **errstr)
{
	struct maildir_name	 mn;
	char			 cur[MAILDIR_NAME_MAX + 1], dst[MAILDIR_NAME_MAX + 1];
	int			 where = (int)sub, attempt;

	snprintf(cur, sizeof(cur), "%s", name);
	for (attempt = 0;; attempt++) {
		if (maildir_name_parse(cur, strlen(cur), &mn) == -1) {
			*errstr = "not a message file name";
			errno = EINVAL;
			return -1;
		}
		if (maildir_name_set_flags(dst, sizeof(dst), cur,
		    f ? f : &mn.flags) == -1) {
			*errstr = "message name too long";
			errno = ENAMETOOLONG;
			return -1;
		}
		if (maildir_rename_excl(subfd(from, (enum scan_sub)where), cur,
		    to->curfd, dst) == 0)
			break;
		if (errno != ENOENT || attempt == 1) {
			*errstr = errstr_sys("cannot move message", errno);
			return -1;
		}
		if ((where = scan_locate(from, name, cur, sizeof(cur))) == -1) {
			*errstr = "message no longer exists";
			return -1;
		}
	}
	/* The destination first: once it is durable the message cannot be lost. */
	if (dio_fsync_dirfd(to->curfd) == -1 ||
	    dio_fsync_dirfd(subfd(from, (enum scan_sub)where)) == -1) {
		*errstr = errstr_sys("cannot fsync Maildir", errno);
		return -1;
	}
	if ((size_t)snprintf(out, outlen, "%s", dst) >= outlen) {
		*errstr = "name buffer too small";
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
scan_sync(struct scan_dir *d, const char **errstr)
{
	if (dio_fsync_dirfd(d->curfd) == -1 || dio_fsync_dirfd(d->newfd) == -1) {
		*errstr = errstr_sys("cannot fsync Maildir", errno);
		return -1;
	}
	return 0;
}
