/* dovecot-uidlist and dovecot-keywords: parsed with hard limits, written under Dovecot's locks. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imap/imap_uidlist.h"
#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/errstr.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"

#define UIDLIST		"dovecot-uidlist"
#define UIDLIST_LOCK	"dovecot-uidlist.lock"
#define KEYWORDS	"dovecot-keywords"
#define KEYWORDS_LOCK	"dovecot-keywords.lock"

/* Dovecot's own times for its dot-locks: stale after 2 minutes; we wait up to 10 s. */
#define LOCK_STALE_SECS	120
#define LOCK_WAIT_MS	10000

/* ---- parsing ---- */

static int
parse_u32(const char *s, size_t len, uint32_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* The next blank-separated token of line[*i..len). */
static int
token(const char *line, size_t len, size_t *i, const char **t, size_t *tlen)
{
	while (*i < len && line[*i] == ' ')
		(*i)++;
	if (*i >= len)
		return 0;
	*t = line + *i;
	while (*i < len && line[*i] != ' ')
		(*i)++;
	*tlen = (size_t)(line + *i - *t);
	return 1;
}

static int
parse_header(const char *line, size_t len, struct uidlist *l)
{
	const char	*t;
	size_t		 i = 0, tlen;
	uint32_t	 v;

	if (!token(line, len, &i, &t, &tlen) || parse_u32(t, tlen, &v) == -1 ||
	    v < 1 || v > 3)
		return -1;
	l->version = (int)v;
	if (l->version == 1) {
		if (!token(line, len, &i, &t, &tlen) ||
		    parse_u32(t, tlen, &l->uidvalidity) == -1 ||
		    !token(line, len, &i, &t, &tlen) ||
		    parse_u32(t, tlen, &l->uidnext) == -1)
			return -1;
	} else {
		while (token(line, len, &i, &t, &tlen)) {
			if (tlen < 2)
				continue;
			if (t[0] == 'V' &&
			    parse_u32(t + 1, tlen - 1, &l->uidvalidity) == -1)
				return -1;
			if (t[0] == 'N' &&
			    parse_u32(t + 1, tlen - 1, &l->uidnext) == -1)
				return -1;
		}
	}
	return l->uidvalidity == 0 ? -1 : 0;
}

/* The name of an entry line: after " :" in versions 2 and 3, else the second token. */
static int
parse_entry(const char *line, size_t len, int version, uint32_t *uid,
    const char **name, size_t *namelen)
{
	const char	*t, *colon;
	size_t		 i = 0, tlen;

	if (!token(line, len, &i, &t, &tlen) || parse_u32(t, tlen, uid) == -1 ||
	    *uid == 0)
		return -1;
	colon = NULL;
	if (version >= 2) {
		/* Fields may follow the UID; the name starts after " :". */
		for (; i + 1 < len; i++)
			if (line[i] == ' ' && line[i + 1] == ':') {
				colon = line + i + 2;
				break;
			}
	}
	if (colon != NULL) {
		*name = colon;
		*namelen = (size_t)(line + len - colon);
	} else if (token(line, len, &i, &t, &tlen)) {
		*name = t;
		*namelen = tlen;
	} else
		return -1;
	return 0;
}

void
uidlist_free(struct uidlist *l)
{
	free(l->v);
	free(l->strs);
	memset(l, 0, sizeof(*l));
}

int
uidlist_parse(const char *text, size_t len, struct uidlist *l,
    const char **errstr)
{
	const char		*p = text, *end = text + len, *nl, *name;
	size_t			 linelen, namelen, cap = 0, off = 0;
	struct maildir_name	 mn;
	uint32_t		 uid, last = 0;
	int			 first = 1;
	size_t			*offs = NULL;

	memset(l, 0, sizeof(*l));
	if (len > UIDLIST_FILE_MAX) {
		*errstr = "dovecot-uidlist is too big";
		return -1;
	}
	/* Bases are at most as long as the text: one allocation holds them all. */
	l->strs = xmalloc(len + 1);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;	/* a last line without newline: a torn append */
		linelen = (size_t)(nl - p);
		if (linelen > 0 && p[linelen - 1] == '\r')
			linelen--;
		if (first) {
			first = 0;
			if (linelen > UIDLIST_LINE_MAX ||
			    parse_header(p, linelen, l) == -1) {
				*errstr = "dovecot-uidlist: unknown header";
				free(offs);
				uidlist_free(l);
				return -1;
			}
		} else if (nl == end && end[-1] != '\n') {
			l->skipped++;
		} else if (linelen == 0) {
			/* blank lines are nothing */
		} else if (linelen > UIDLIST_LINE_MAX ||
		    parse_entry(p, linelen, l->version, &uid, &name,
		    &namelen) == -1 || uid <= last ||
		    maildir_name_parse(name, namelen, &mn) == -1 ||
		    mn.base_len > UINT16_MAX) {
			l->skipped++;
		} else {
			if (l->n == cap) {
				cap = cap ? cap * 2 : 64;
				l->v = xreallocarray(l->v, cap, sizeof(*l->v));
				offs = xreallocarray(offs, cap, sizeof(*offs));
			}
			memcpy(l->strs + off, name, mn.base_len);
			l->strs[off + mn.base_len] = '\0';
			l->v[l->n].uid = uid;
			l->v[l->n].len = (uint16_t)mn.base_len;
			offs[l->n] = off;
			off += mn.base_len + 1;
			l->n++;
			last = uid;
		}
		p = nl + 1;
	}
	if (first) {
		*errstr = "dovecot-uidlist is empty";
		free(offs);
		uidlist_free(l);
		return -1;
	}
	/* The pointers are set once the arena stops moving. */
	for (size_t i = 0; i < l->n; i++)
		l->v[i].base = l->strs + offs[i];
	free(offs);
	if (last != UINT32_MAX && l->uidnext <= last)
		l->uidnext = last + 1;
	if (l->uidnext == 0)
		l->uidnext = 1;
	return 0;
}

/* ---- files ---- */

static int64_t
mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static void
stamp_of(const struct stat *st, struct uidlist_stamp *s)
{
	s->ino = (int64_t)st->st_ino;
	s->size = (int64_t)st->st_size;
	s->mtime_ns = mtime_ns(st);
}

void
uidlist_stamp(const char *dir, struct uidlist_stamp *s)
{
	char		*path = xasprintf("%s/" UIDLIST, dir);
	struct stat	 st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) == 0)
		stamp_of(&st, s);
	free(path);
}

int
uidlist_stamp_equal(const struct uidlist_stamp *a, const struct uidlist_stamp *b)
{
	return a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns;
}

/* Reads a whole small file; 1 read, 0 missing or over max, -1 error. */
static int
slurp(const char *path, size_t max, struct buf *out, struct stat *st,
    const char **errstr)
{
	char	 tmp[65536];
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		*errstr = errstr_sys(path, errno);
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) ||
	    (uint64_t)st->st_size > max) {
		close(fd);
		return 0;
	}
	buf_init(out, max + 1);
	for (;;) {
		if ((r = read(fd, tmp, sizeof(tmp))) == -1) {
			if (errno == EINTR)
				continue;
			*errstr = errstr_sys(path, errno);
			close(fd);
			buf_free(out);
			return -1;
		}
		if (r == 0)
			break;
		if (buf_add(out, tmp, (size_t)r) == -1) {
			/* It grew past the limit while we read. */
			close(fd);
			buf_free(out);
			return 0;
		}
	}
	close(fd);
	return 1;
}

int
uidlist_read(const char *dir, struct uidlist *l, struct uidlist_stamp *s,
    const char **errstr)
{
	char		*path = xasprintf("%s/" UIDLIST, dir);
	struct buf	 b;
	struct stat	 st;
	const char	*perr;
	int		 rc;

	memset(s, 0, sizeof(*s));
	memset(l, 0, sizeof(*l));
	rc = slurp(path, UIDLIST_FILE_MAX, &b, &st, errstr);
	free(path);
	if (rc <= 0)
		return rc;
	stamp_of(&st, s);
	rc = uidlist_parse(b.data, b.len, l, &perr) == 0 ? 1 : 0;
	buf_free(&b);
	return rc;
}

/*
 * Dovecot's dot-lock: the lock file created exclusively; one not changed
 * for LOCK_STALE_SECS is a dead writer's and is taken over. Returns the
 * lock's descriptor (open for writing) or -1 with errno.
 */
static int
lock_take(int dirfd, const char *name)
{
	struct timespec	 pause = { 0, 20 * 1000 * 1000 };
	struct stat	 st;
	int		 fd, waited = 0;

	for (;;) {
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
		if (fstatat(dirfd, name, &st, 0) == 0 &&
		    time(NULL) - st.st_mtime > LOCK_STALE_SECS) {
			(void)unlinkat(dirfd, name, 0);
			continue;
		}
		if (waited >= LOCK_WAIT_MS) {
			errno = EWOULDBLOCK;
			return -1;
		}
		nanosleep(&pause, NULL);
		waited += 20;
	}
}

/* Writes text into the lock, fsyncs it and renames it over the file. */
static int
replace_locked(int dirfd, const char *lock, const char *file, const char *text,
    size_t len, struct stat *st, const char **errstr)
{
	int	 fd;

	if ((fd = lock_take(dirfd, lock)) == -1) {
		*errstr = errstr_sys(lock, errno);
		return -1;
	}
	if (dio_write(fd, text, len) == -1 || dio_fsync(fd) == -1 ||
	    (st != NULL && fstat(fd, st) == -1)) {
		*errstr = errstr_sys(lock, errno);
		close(fd);
		(void)unlinkat(dirfd, lock, 0);
		return -1;
	}
	if (dio_close(fd) == -1 || dio_renameat(dirfd, lock, dirfd, file) == -1) {
		*errstr = errstr_sys(file, errno);
		(void)unlinkat(dirfd, lock, 0);
		return -1;
	}
	return 0;
}

static void
add_entries(struct buf *b, const struct uidlist_entry *e, size_t n)
{
	char		 num[16];
	size_t		 i, k;
	uint32_t	 u;

	/* By hand, not buf_addf: a first index writes 100,000 lines at once. */
	for (i = 0; i < n; i++) {
		k = sizeof(num);
		num[--k] = ' ';
		u = e[i].uid;
		do
			num[--k] = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		buf_add(b, num + k, sizeof(num) - k);
		buf_addc(b, ':');
		buf_add(b, e[i].base, e[i].len);
		buf_addc(b, '\n');
	}
}

static void
add_header(struct buf *b, uint32_t uidvalidity, uint32_t uidnext)
{
	unsigned char	 g[16];
	size_t		 i;

	/* The mailbox GUID only needs to be unique; Dovecot keeps what it finds. */
	arc4random_buf(g, sizeof(g));
	buf_addf(b, "3 V%u N%u G", uidvalidity, uidnext);
	for (i = 0; i < sizeof(g); i++)
		buf_addf(b, "%02x", g[i]);
	buf_addc(b, '\n');
}

int
uidlist_write(const char *dir, uint32_t uidvalidity, uint32_t uidnext,
    const struct uidlist_entry *e, size_t n, struct uidlist_stamp *s,
    const char **errstr)
{
	struct buf	 b;
	struct stat	 st;
	int		 dirfd, rc;

	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys(dir, errno);
		return -1;
	}
	buf_init(&b, 0);
	add_header(&b, uidvalidity, uidnext);
	add_entries(&b, e, n);
	rc = replace_locked(dirfd, UIDLIST_LOCK, UIDLIST, b.data, b.len, &st,
	    errstr);
	if (rc == 0 && s != NULL)
		stamp_of(&st, s);
	buf_free(&b);
	close(dirfd);
	return rc;
}

int
uidlist_append(const char *dir, uint32_t uidvalidity, uint32_t uidnext,
    const struct uidlist_entry *e, size_t n, struct uidlist_stamp *s,
    const char **errstr)
{
	struct buf	 b;
	struct stat	 st;
	int		 dirfd, lockfd, fd, rc = -1;

	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys(dir, errno);
		return -1;
	}
	if (faccessat(dirfd, UIDLIST, F_OK, 0) == -1) {
		close(dirfd);
		return uidlist_write(dir, uidvalidity, uidnext, e, n, s, errstr);
	}
	if ((lockfd = lock_take(dirfd, UIDLIST_LOCK)) == -1) {
		*errstr = errstr_sys(UIDLIST_LOCK, errno);
		close(dirfd);
		return -1;
	}
	buf_init(&b, 0);
	add_entries(&b, e, n);
	/* One O_APPEND write: a reader sees whole lines or a torn last one it skips. */
	if ((fd = openat(dirfd, UIDLIST, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1 ||
	    dio_write(fd, b.data, b.len) == -1 || fstat(fd, &st) == -1)
		*errstr = errstr_sys(UIDLIST, errno);
	else {
		rc = 0;
		if (s != NULL)
			stamp_of(&st, s);
	}
	if (fd != -1)
		close(fd);
	close(lockfd);
	(void)unlinkat(dirfd, UIDLIST_LOCK, 0);
	buf_free(&b);
	close(dirfd);
	return rc;
}

/* ---- keywords ---- */

int
keyword_valid(const char *name, size_t len)
{
	size_t	 i;

	if (len == 0 || len > KEYWORD_LEN_MAX || name[0] == '\\')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)name[i];

		/* atom-specials of RFC 3501, and ']' (resp-specials) */
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return 0;
	}
	return 1;
}

void
keywords_free(struct keywords *k)
{
	int	 i;

	for (i = 0; i < KEYWORDS_MAX; i++)
		x_free(&k->name[i]);
}

int
keywords_find(const struct keywords *k, const char *name, size_t len)
{
	int	 i;

	for (i = 0; i < KEYWORDS_MAX; i++)
		if (k->name[i] != NULL && strlen(k->name[i]) == len &&
		    strncasecmp(k->name[i], name, len) == 0)
			return i;
	return -1;
}

int
keywords_parse(const char *text, size_t len, struct keywords *k)
{
	const char	*p = text, *end = text + len, *nl, *sp;
	uint32_t	 idx;

	memset(k, 0, sizeof(*k));
	if (len > KEYWORDS_FILE_MAX)
		return -1;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((sp = memchr(p, ' ', (size_t)(nl - p))) == NULL ||
		    parse_u32(p, (size_t)(sp - p), &idx) == -1 ||
		    idx >= KEYWORDS_MAX || k->name[idx] != NULL ||
		    !keyword_valid(sp + 1, (size_t)(nl - sp - 1)) ||
		    keywords_find(k, sp + 1, (size_t)(nl - sp - 1)) != -1)
			continue;
		k->name[idx] = xstrndup(sp + 1, (size_t)(nl - sp - 1));
	}
	return 0;
}

void
keywords_read(const char *dir, struct keywords *k)
{
	char		*path = xasprintf("%s/" KEYWORDS, dir);
	const char	*errstr;
	struct buf	 b;
	struct stat	 st;

	memset(k, 0, sizeof(*k));
	if (slurp(path, KEYWORDS_FILE_MAX, &b, &st, &errstr) == 1) {
		(void)keywords_parse(b.data, b.len, k);
		buf_free(&b);
	}
	free(path);
}

int
keywords_write(const char *dir, const struct keywords *k, const char **errstr)
{
	struct buf	 b;
	int		 dirfd, i, rc;

	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = errstr_sys(dir, errno);
		return -1;
	}
	buf_init(&b, 0);
	for (i = 0; i < KEYWORDS_MAX; i++)
		if (k->name[i] != NULL)
			buf_addf(&b, "%d %s\n", i, k->name[i]);
	rc = replace_locked(dirfd, KEYWORDS_LOCK, KEYWORDS, b.data, b.len, NULL,
	    errstr);
	buf_free(&b);
	close(dirfd);
	return rc;
}
