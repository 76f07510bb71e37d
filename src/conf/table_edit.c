/* Editing a file table in place: one entry at a time, every other line kept as written, the file replaced atomically. */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf/table_edit.h"
#include "conf/table_priv.h"
#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/map.h"
#include "lib/xalloc.h"

static _Thread_local char edit_err[512];

static int
blank(char c)
{
	return isspace((unsigned char)c);
}

/* An address literal as a whole key: its colons are not separators (as table.c). */
static int
addr_token(const char *s, size_t len)
{
	char		 tmp[64];
	struct netaddr	 na;

	if (len >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return table_parse_netaddr(tmp, &na) == 0;
}

int
table_edit_split(const char *line, size_t len, struct table_edit_parts *pt)
{
	size_t	 i, end, p, tok_end, colon;

	if (memchr(line, '\0', len) != NULL)
		return -1;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++)
		if (line[i] == '#' && (i == 0 || blank(line[i - 1]))) {
			len = i;
			break;
		}
	end = len;
	while (end > 0 && blank(line[end - 1]))
		end--;
	p = 0;
	while (p < end && blank(line[p]))
		p++;
	if (p == end)
		return 0;
	for (tok_end = p; tok_end < end && !blank(line[tok_end]); tok_end++)
		;
	memset(pt, 0, sizeof(*pt));
	pt->sep = ' ';
	for (colon = p; colon < tok_end && line[colon] != ':'; colon++)
		;
	if (colon < tok_end && !addr_token(line + p, tok_end - p)) {
		if (colon == p)
			return -1;		/* empty key before ':' */
		pt->key_off = p;
		pt->key_len = colon - p;
		pt->sep = ':';
		p = colon + 1;
		while (p < end && blank(line[p]))
			p++;
		if (p == end)
			return -1;		/* missing value after ':' */
		pt->val_off = p;
		pt->val_len = end - p;
		return 1;
	}
	pt->key_off = p;
	pt->key_len = tok_end - p;
	if (tok_end == end)
		return 1;			/* a list entry */
	p = tok_end;
	while (p < end && blank(line[p]))
		p++;
	if (line[p] == ':' && (p + 1 == end || blank(line[p + 1]))) {
		p++;
		while (p < end && blank(line[p]))
			p++;
	}
	if (p == end)
		return -1;
	pt->val_off = p;
	pt->val_len = end - p;
	return 1;
}

static void
add_line(struct table_edit *te, char *line)
{
	if (te->nlines == te->caplines) {
		te->caplines = te->caplines ? te->caplines * 2 : 64;
		te->lines = xreallocarray(te->lines, te->caplines, sizeof(*te->lines));
	}
	te->lines[te->nlines++] = line;
}

static int
read_all(int fd, const char *path, struct buf *b)
{
	char	 chunk[65536];
	ssize_t	 n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(edit_err, sizeof(edit_err), "%s: %s", path,
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > TABLE_EDIT_FILE_MAX ||
		    buf_add(b, chunk, (size_t)n) == -1) {
			snprintf(edit_err, sizeof(edit_err), "%s: file too large "
			    "(over %zu MiB)", path, TABLE_EDIT_FILE_MAX >> 20);
			return -1;
		}
	}
}

/*
 * The directories this process holds locked: flock(2) belongs to an open
 * file, so a second table of the same directory opened while the first
 * is (the importers keep several open) must share the lock, not wait for
 * itself. Not thread-safe: tegamictl and the parent edit on one thread.
 */
static struct dirlock {
	dev_t	 dev;
	ino_t	 ino;
	int	 fd;
	int	 refs;
} dirlocks[8];

/*
 * Locks the directory of path: renames replace the file, so the file
 * itself cannot carry the lock.
 */
static int
lock_dir(struct table_edit *te)
{
	char		*copy = xstrdup(te->path), *dir = dirname(copy);
	struct stat	 st;
	size_t		 i;
	int		 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(edit_err, sizeof(edit_err), "%s: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		free(copy);
		return -1;
	}
	for (i = 0; i < sizeof(dirlocks) / sizeof(dirlocks[0]); i++)
		if (dirlocks[i].refs > 0 && dirlocks[i].dev == st.st_dev &&
		    dirlocks[i].ino == st.st_ino) {
			close(fd);
			dirlocks[i].refs++;
			te->lockfd = (int)i;
			free(copy);
			return 0;
		}
	for (i = 0; i < sizeof(dirlocks) / sizeof(dirlocks[0]); i++)
		if (dirlocks[i].refs == 0)
			break;
	if (i == sizeof(dirlocks) / sizeof(dirlocks[0])) {
		snprintf(edit_err, sizeof(edit_err), "%s: too many directories "
		    "locked", dir);
		close(fd);
		free(copy);
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		snprintf(edit_err, sizeof(edit_err), "cannot lock %s: %s", dir,
		    strerror(errno));
		close(fd);
		free(copy);
		return -1;
	}
	dirlocks[i].dev = st.st_dev;
	dirlocks[i].ino = st.st_ino;
	dirlocks[i].fd = fd;
	dirlocks[i].refs = 1;
	te->lockfd = (int)i;
	free(copy);
	return 0;
}

static void
unlock_dir(struct table_edit *te)
{
	struct dirlock	*l;

	if (te->lockfd < 0)
		return;
	l = &dirlocks[te->lockfd];
	if (--l->refs == 0)
		close(l->fd);	/* releases the flock */
	te->lockfd = -1;
}

int
table_edit_open(struct table_edit *te, const char *path, mode_t new_mode,
    const char **errstr)
{
	struct stat	 st;
	struct buf	 b;
	size_t		 off = 0, n;
	const char	*nl;
	int		 fd = -1;

	memset(te, 0, sizeof(*te));
	te->path = xstrdup(path);
	te->lockfd = -1;
	te->mode = new_mode;
	te->uid = geteuid();
	te->gid = getegid();
	buf_init(&b, TABLE_EDIT_FILE_MAX + 1);
	if (lock_dir(te) == -1)
		goto fail;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT) {
			buf_free(&b);
			return 0;
		}
		snprintf(edit_err, sizeof(edit_err), "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(edit_err, sizeof(edit_err), "%s: not a regular file", path);
		goto fail;
	}
	te->exists = 1;
	te->mode = st.st_mode & 07777;
	te->uid = st.st_uid;
	te->gid = st.st_gid;
	if (read_all(fd, path, &b) == -1)
		goto fail;
	close(fd);
	fd = -1;
	while (off < b.len) {
		nl = memchr(b.data + off, '\n', b.len - off);
		n = nl ? (size_t)(nl - (b.data + off)) : b.len - off;
		/* table_load measures a line without its '\r'. */
		if (n - (n > 0 && b.data[off + n - 1] == '\r') >
		    TABLE_EDIT_LINE_MAX) {
			snprintf(edit_err, sizeof(edit_err), "%s:%zu: line too long "
			    "(over 64 KiB)", path, te->nlines + 1);
			goto fail;
		}
		if (memchr(b.data + off, '\0', n) != NULL) {
			snprintf(edit_err, sizeof(edit_err), "%s:%zu: NUL byte in "
			    "line", path, te->nlines + 1);
			goto fail;
		}
		add_line(te, xstrndup(b.data + off, n));
		off += n + (nl != NULL);
	}
	buf_free(&b);
	return 0;

fail:
	if (fd != -1)
		close(fd);
	buf_free(&b);
	table_edit_close(te);
	*errstr = edit_err;
	return -1;
}

void
table_edit_close(struct table_edit *te)
{
	size_t	 i;

	for (i = 0; i < te->nlines; i++)
		free(te->lines[i]);
	free(te->lines);
	free(te->path);
	free(te->last_key);
	free(te->last_value);
	if (te->index != NULL)
		map_free(te->index, NULL);
	unlock_dir(te);
	memset(te, 0, sizeof(*te));
	te->lockfd = -1;
}

static int
parts_of(const struct table_edit *te, size_t i, struct table_edit_parts *pt)
{
	return table_edit_split(te->lines[i], strlen(te->lines[i]), pt);
}

static char *
folded(const char *s, size_t n)
{
	char	*f = xstrndup(s, n);
	size_t	 i;

	for (i = 0; i < n; i++)
		f[i] = (char)tolower((unsigned char)f[i]);
	return f;
}

/* Folded key -> line of its first entry: finds stay cheap in a file of many thousands. */
static void
build_index(struct table_edit *te)
{
	struct table_edit_parts	 pt;
	size_t			 i;
	char			*k;

	if (te->index != NULL)
		map_free(te->index, NULL);
	te->index = map_new();
	for (i = 0; i < te->nlines; i++) {
		if (parts_of(te, i, &pt) != 1)
			continue;
		k = folded(te->lines[i] + pt.key_off, pt.key_len);
		if (!map_has(te->index, k))
			map_set(te->index, k, (void *)(uintptr_t)(i + 1));
		free(k);
	}
	te->index_stale = 0;
}

long
table_edit_find(const struct table_edit *cte, const char *key)
{
	struct table_edit	*te = (struct table_edit *)cte;
	char			*k;
	uintptr_t		 v;

	if (te->index == NULL || te->index_stale)
		build_index(te);
	k = folded(key, strlen(key));
	v = (uintptr_t)map_get(te->index, k);
	free(k);
	return v == 0 ? -1 : (long)(v - 1);
}

char *
table_edit_key(const struct table_edit *te, size_t i)
{
	struct table_edit_parts	 pt;

	if (i >= te->nlines || parts_of(te, i, &pt) != 1)
		return NULL;
	return xstrndup(te->lines[i] + pt.key_off, pt.key_len);
}

char *
table_edit_value(const struct table_edit *te, size_t i)
{
	struct table_edit_parts	 pt;

	if (i >= te->nlines || parts_of(te, i, &pt) != 1 || pt.val_len == 0)
		return NULL;
	return xstrndup(te->lines[i] + pt.val_off, pt.val_len);
}

int
table_edit_check(const char *key, const char *value, const char **errstr)
{
	size_t	 i;

	if (key == NULL || *key == '\0' || *key == '#') {
		*errstr = "empty key, or a key starting with '#'";
		return -1;
	}
	for (i = 0; key[i]; i++)
		if (iscntrl((unsigned char)key[i]) || blank(key[i]) || key[i] == ':') {
			*errstr = "a key holds no blanks, ':' or control characters";
			return -1;
		}
	if (value == NULL)
		return 0;
	if (*value == '\0' || blank(*value) || blank(value[strlen(value) - 1]) ||
	    *value == '#') {
		*errstr = "empty value, or blanks around it";
		return -1;
	}
	/* "key : value" reads a lone ':' as the separator. */
	if (value[0] == ':' && (value[1] == '\0' || blank(value[1]))) {
		*errstr = "a value cannot start with a lone ':'";
		return -1;
	}
	for (i = 0; value[i]; i++) {
		if (iscntrl((unsigned char)value[i]) && value[i] != '\t') {
			*errstr = "a value holds no control characters";
			return -1;
		}
		if (value[i] == '#' && blank(value[i - 1])) {
			*errstr = "a '#' after a blank would start a comment";
			return -1;
		}
	}
	return 0;
}

/* The separator most entries of the file use; ':' when there are none yet. */
static char
file_style(const struct table_edit *te)
{
	struct table_edit_parts	 pt;
	size_t			 i, colon = 0, space = 0;

	for (i = 0; i < te->nlines; i++)
		if (parts_of(te, i, &pt) == 1 && pt.val_len > 0) {
			if (pt.sep == ':')
				colon++;
			else
				space++;
		}
	return space > colon ? '\t' : ':';
}

static char *
make_line(const char *key, const char *value, char sep)
{
	if (value == NULL)
		return xstrdup(key);
	return xasprintf("%s%c%s", key, sep, value);
}

/* Remembers the entry a batch must bring into memory. */
static void
note_last(struct table_edit *te, const char *key, const char *value)
{
	free(te->last_key);
	free(te->last_value);
	te->last_key = xstrdup(key);
	te->last_value = value ? xstrdup(value) : NULL;
}

int
table_edit_set(struct table_edit *te, const char *key, const char *value,
    const char **errstr)
{
	struct table_edit_parts	 pt;
	long			 first;
	char			*line, *k;
	size_t			 i, rest;

	if (table_edit_check(key, value, errstr) == -1)
		return -1;
	if ((first = table_edit_find(te, key)) == -1) {
		if (te->style == 0)
			te->style = file_style(te);
		add_line(te, make_line(key, value, te->style));
		k = folded(key, strlen(key));
		map_set(te->index, k, (void *)(uintptr_t)te->nlines);
		free(k);
		note_last(te, key, value);
		te->changed = 1;
		return 0;
	}
	/* Keep the key as written and what follows the value (a comment). */
	line = te->lines[first];
	(void)parts_of(te, (size_t)first, &pt);
	if (value == NULL)
		te->lines[first] = xstrndup(line + pt.key_off, pt.key_len);
	else if (pt.val_len == 0)
		te->lines[first] = xasprintf("%.*s%c%s", (int)pt.key_len,
		    line + pt.key_off, file_style(te), value);
	else {
		rest = pt.val_off + pt.val_len;
		te->lines[first] = xasprintf("%.*s%s%s", (int)pt.val_off, line,
		    value, line + rest);
	}
	free(line);
	/* Later duplicates were never read (the first wins): drop them. */
	for (i = (size_t)first + 1; i < te->nlines; i++)
		if (parts_of(te, i, &pt) == 1 && pt.key_len == strlen(key) &&
		    strncasecmp(te->lines[i] + pt.key_off, key, pt.key_len) == 0) {
			free(te->lines[i]);
			memmove(te->lines + i, te->lines + i + 1,
			    (te->nlines - i - 1) * sizeof(*te->lines));
			te->nlines--;
			te->index_stale = 1;
			i--;
		}
	note_last(te, key, value);
	te->changed = 1;
	return 0;
}

size_t
table_edit_del(struct table_edit *te, const char *key)
{
	long	 i;
	size_t	 n = 0;

	while ((i = table_edit_find(te, key)) != -1) {
		free(te->lines[i]);
		memmove(te->lines + i, te->lines + i + 1,
		    (te->nlines - (size_t)i - 1) * sizeof(*te->lines));
		te->nlines--;
		te->index_stale = 1;
		n++;
	}
	if (n)
		te->changed = 1;
	return n;
}

int
table_edit_commit(struct table_edit *te, const char **errstr)
{
	struct buf	 b;
	char		*copy, *dir, *tmp = NULL;
	size_t		 i;
	int		 fd = -1, saved;

	if (!te->changed)
		return 0;
	buf_init(&b, 0);
	for (i = 0; i < te->nlines; i++) {
		buf_adds(&b, te->lines[i]);
		buf_addc(&b, '\n');
	}
	copy = xstrdup(te->path);
	dir = dirname(copy);
	tmp = xasprintf("%s/.%s.XXXXXX", dir, strrchr(te->path, '/') ?
	    strrchr(te->path, '/') + 1 : te->path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		saved = errno;
		x_free(&tmp);
		goto fail;
	}
	/* The owner may only be given away by root; the mode always follows. */
	if (geteuid() == 0)
		(void)fchown(fd, te->uid, te->gid);
	if (fchmod(fd, te->mode) == -1 || dio_write(fd, b.data, b.len) == -1 ||
	    dio_fsync(fd) == -1) {
		saved = errno;
		goto fail;
	}
	if (dio_close(fd) == -1) {
		fd = -1;
		saved = errno;
		goto fail;
	}
	fd = -1;
	if (dio_rename(tmp, te->path) == -1) {
		saved = errno;
		goto fail;
	}
	x_free(&tmp);
	if (dio_fsync_dir(dir) == -1) {
		saved = errno;
		goto fail;
	}
	te->changed = 0;
	te->exists = 1;
	free(copy);
	buf_free(&b);
	return 0;

fail:
	snprintf(edit_err, sizeof(edit_err), "cannot write %s: %s", te->path,
	    strerror(saved));
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(copy);
	buf_free(&b);
	*errstr = edit_err;
	return -1;
}

int
table_edit_is_bcrypt(const char *h)
{
	static const char alpha[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t	 i;

	if (strlen(h) != 60 || strncmp(h, "$2b$", 4) != 0 ||
	    !isdigit((unsigned char)h[4]) || !isdigit((unsigned char)h[5]) ||
	    h[6] != '$')
		return 0;
	for (i = 7; i < 60; i++)
		if (strchr(alpha, h[i]) == NULL)
			return 0;
	return 1;
}

int
table_edit_rehash(const char *path, const char *key, const char *old_value,
    const char *new_hash, const char **errstr)
{
	struct table_edit	 te;
	struct table_edit_parts	 pt;
	const char		*val, *hash, *end;
	char			*line;
	long			 i;
	int			 r = 0, prefixed;

	if (!table_edit_is_bcrypt(new_hash)) {
		*errstr = "the new hash is not a bcrypt ($2b$) hash";
		return -1;
	}
	if (table_edit_open(&te, path, 0600, errstr) == -1)
		return -1;
	if ((i = table_edit_find(&te, key)) == -1)
		goto done;
	line = te.lines[i];
	(void)parts_of(&te, (size_t)i, &pt);
	val = line + pt.val_off;
	if (pt.val_len == 0 || pt.val_len != strlen(old_value) ||
	    strncmp(val, old_value, pt.val_len) != 0)
		goto done;
	/* The hash: after a {SCHEME} prefix, up to the passwd-file fields. */
	prefixed = val[0] == '{';
	hash = prefixed ? memchr(val, '}', pt.val_len) : val;
	if (hash == NULL)
		goto done;
	if (prefixed)
		hash++;
	end = memchr(hash, ':', (size_t)(val + pt.val_len - hash));
	if (end == NULL)
		end = val + pt.val_len;
	if ((size_t)(end - hash) >= 4 && (strncmp(hash, "$2b$", 4) == 0 ||
	    strncmp(hash, "$2y$", 4) == 0 || strncmp(hash, "$2a$", 4) == 0) &&
	    strncmp(val, "{PLAIN}", 7) != 0)
		goto done;		/* already bcrypt */
	te.lines[i] = xasprintf("%.*s%s%s%s", (int)pt.val_off, line,
	    prefixed ? "{BLF-CRYPT}" : "", new_hash, end);
	free(line);
	te.changed = 1;
	if (table_edit_commit(&te, errstr) == -1)
		r = -1;
	else
		r = 1;
done:
	table_edit_close(&te);
	return r;
}
