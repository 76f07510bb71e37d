/* FETCH responses on a worker: items from the view's snapshot, the index's cache, and message files mapped one at a time. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imap/imap_fetch.h"
#include "imap/imap_index.h"
#include "imap/section.h"
#include "lib/buf.h"
#include "lib/readfile.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "mail/mime.h"
#include "store/scan.h"

/*
 * A step writes responses until about budget octets are out, then
 * returns: the session sends them and asks for the next step once the
 * client has read them. Where it stopped is kept here: the message, the
 * item, and an open section whose data goes out in pieces, so a 50 MB
 * attachment costs one step's buffer, never its size. Parsed structures
 * a message did not have in the index are stored as they are made.
 */

enum item {
	IT_UID, IT_FLAGS, IT_INTERNALDATE, IT_SIZE, IT_MODSEQ, IT_ENVELOPE,
	IT_BODY, IT_BODYSTRUCTURE, IT_RFC822_HEADER, IT_RFC822_TEXT, IT_RFC822,
	IT_SECTION,		/* IT_SECTION + k: bodies[k] */
};

#define CHUNK	(64 * 1024)

/*
 * Files up to this size are read, not mapped: the worker's munmap of each
 * file made the kernel flush every thread's TLB (an IPI to each CPU),
 * more than a third of a FETCH ENVELOPE that parses 100,000 messages.
 */
#define READ_MAX	(1024 * 1024)

struct fetch_state {
	struct fetch_spec	 spec;
	char			*root, *dir, *path;
	int64_t			 folder;
	struct fetch_msg	*m;
	size_t			 n;
	char			*kw[KEYWORDS_MAX];

	int			*items;
	size_t			 nitems;

	size_t			 i;		/* message */
	size_t			 item;		/* next item of it */
	int			 started;	/* "* n FETCH (" written */
	int			 sp;		/* a space before the next item */

	int			 open;
	void			*map;		/* the file: mapped, or read into rbuf */
	size_t			 maplen;
	int			 mapped;
	char			*rbuf;		/* kept from message to message */
	size_t			 rcap;
	struct mime_tree	*tree;
	struct idb_cached	 c;
	struct section		*sec;
	uint64_t		 vsize;

	struct scan_dir		 d;
	int			 dopen;
	char			 chunk[CHUNK];
};

int
fetch_needs_worker(const struct fetch_spec *sp)
{
	return sp->nbodies > 0 || (sp->items & (IMAP_FETCH_ENVELOPE |
	    IMAP_FETCH_BODY | IMAP_FETCH_BODYSTRUCTURE | IMAP_FETCH_RFC822 |
	    IMAP_FETCH_RFC822_HEADER | IMAP_FETCH_RFC822_TEXT)) != 0;
}

int
fetch_sets_seen(const struct fetch_spec *sp)
{
	size_t	 i;

	if (sp->items & (IMAP_FETCH_RFC822 | IMAP_FETCH_RFC822_TEXT))
		return 1;
	for (i = 0; i < sp->nbodies; i++)
		if (!sp->bodies[i].peek && sp->bodies[i].kind != IMAP_FB_BINARY_SIZE)
			return 1;
	return 0;
}

struct fetch_state *
fetch_new(const struct fetch_spec *sp, const char *root, const char *dir,
    int64_t folder)
{
	struct fetch_state	*st = xcalloc(1, sizeof(*st));
	static const struct {
		unsigned	 bit;
		int		 it;
	} order[] = {
		{ IMAP_FETCH_UID, IT_UID },
		{ IMAP_FETCH_FLAGS, IT_FLAGS },
		{ IMAP_FETCH_INTERNALDATE, IT_INTERNALDATE },
		{ IMAP_FETCH_RFC822_SIZE, IT_SIZE },
		{ IMAP_FETCH_MODSEQ, IT_MODSEQ },
		{ IMAP_FETCH_ENVELOPE, IT_ENVELOPE },
		{ IMAP_FETCH_BODY, IT_BODY },
		{ IMAP_FETCH_BODYSTRUCTURE, IT_BODYSTRUCTURE },
		{ IMAP_FETCH_RFC822_HEADER, IT_RFC822_HEADER },
		{ IMAP_FETCH_RFC822_TEXT, IT_RFC822_TEXT },
		{ IMAP_FETCH_RFC822, IT_RFC822 },
	};
	size_t			 k;

	st->spec = *sp;
	st->root = xstrdup(root);
	st->dir = xstrdup(dir);
	st->path = idb_path(root, dir);
	st->folder = folder;
	st->items = xcalloc(sizeof(order) / sizeof(order[0]) + sp->nbodies + 1,
	    sizeof(*st->items));
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		/* FLAGS and MODSEQ have a place even unasked: \Seen set now, CONDSTORE. */
		if ((sp->items & order[k].bit) || order[k].it == IT_FLAGS ||
		    order[k].it == IT_MODSEQ)
			st->items[st->nitems++] = order[k].it;
	}
	for (k = 0; k < sp->nbodies; k++)
		st->items[st->nitems++] = IT_SECTION + (int)k;
	return st;
}

static void
close_msg(struct fetch_state *st)
{
	if (st->sec != NULL)
		section_free(&st->sec);
	mime_free(&st->tree);
	if (st->map != NULL && st->mapped)
		munmap(st->map, st->maplen);
	st->map = NULL;
	st->mapped = 0;
	st->maplen = 0;
	idb_cached_free(&st->c);
	st->open = 0;
}

static void
free_batch(struct fetch_state *st)
{
	size_t	 i;

	for (i = 0; i < st->n; i++)
		free(st->m[i].name);
	free(st->m);
	st->m = NULL;
	st->n = 0;
	for (i = 0; i < KEYWORDS_MAX; i++)
		x_free(&st->kw[i]);
}

void
fetch_free(struct fetch_state **pst)
{
	struct fetch_state	*st = *pst;

	if (st == NULL)
		return;
	close_msg(st);
	free_batch(st);
	if (st->dopen)
		scan_dir_close(&st->d);
	free(st->rbuf);
	free(st->items);
	free(st->root);
	free(st->dir);
	free(st->path);
	free(st);
	*pst = NULL;
}

void
fetch_batch(struct fetch_state *st, struct fetch_msg *m, size_t n,
    const struct keywords *kw)
{
	int	 i;

	free_batch(st);
	st->m = m;
	st->n = n;
	st->i = 0;
	st->item = 0;
	st->started = 0;
	for (i = 0; i < KEYWORDS_MAX; i++)
		st->kw[i] = kw->name[i] ? xstrdup(kw->name[i]) : NULL;
}

struct fetch_msg *
fetch_msgs(struct fetch_state *st, size_t *n)
{
	*n = st->n;
	return st->m;
}

/* ---- one message ---- */

static int
want_cache(const struct fetch_state *st, const struct fetch_msg *m)
{
	return (st->spec.items & (IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY |
	    IMAP_FETCH_BODYSTRUCTURE)) || ((st->spec.items &
	    IMAP_FETCH_RFC822_SIZE) && m->vsize == 0);
}

/* ENVELOPE, and nothing else that needs the cache or the file. */
static int
only_envelope(const struct fetch_state *st, const struct fetch_msg *m)
{
	return (st->spec.items & IMAP_FETCH_ENVELOPE) && !(st->spec.items &
	    (IMAP_FETCH_BODY | IMAP_FETCH_BODYSTRUCTURE | IMAP_FETCH_RFC822 |
	    IMAP_FETCH_RFC822_HEADER | IMAP_FETCH_RFC822_TEXT)) &&
	    st->spec.nbodies == 0 && !((st->spec.items &
	    IMAP_FETCH_RFC822_SIZE) && m->vsize == 0);
}

static int
want_file(const struct fetch_state *st)
{
	return st->spec.nbodies > 0 || (st->spec.items & (IMAP_FETCH_RFC822 |
	    IMAP_FETCH_RFC822_HEADER | IMAP_FETCH_RFC822_TEXT));
}

/* The whole file (maplen octets, as fstat said) into rbuf; a shorter one is cut there. */
static int
read_file(struct fetch_state *st, int fd)
{
	ssize_t	 got;

	if ((got = readfile_into(fd, st->maplen, &st->rbuf, &st->rcap)) == -1)
		return -1;
	st->maplen = (size_t)got;
	st->map = st->rbuf;
	return 0;
}

static int
map_file(struct fetch_state *st, struct fetch_msg *m, const char **errstr)
{
	char		 now[MAILDIR_NAME_MAX + 1];
	struct stat	 sb;
	int		 fd, sub;

	if (!st->dopen) {
		if (scan_dir_open(&st->d, st->path, errstr) == -1)
			return -1;
		st->dopen = 1;
	}
	fd = openat(m->sub == SCAN_CUR ? st->d.curfd : st->d.newfd, m->name,
	    O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		/* Renamed by another program (a flag): found again by its base. */
		if ((sub = scan_locate(&st->d, m->name, now, sizeof(now))) == -1)
			return 0;
		fd = openat(sub == SCAN_CUR ? st->d.curfd : st->d.newfd, now,
		    O_RDONLY | O_CLOEXEC);
	}
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return -1;
	}
	st->maplen = (size_t)sb.st_size;
	if (st->maplen > 0 && st->maplen <= READ_MAX) {
		if (read_file(st, fd) == -1) {
			close(fd);
			return -1;
		}
	} else if (st->maplen > 0) {
		st->map = mmap(NULL, st->maplen, PROT_READ, MAP_PRIVATE, fd, 0);
		if (st->map == MAP_FAILED) {
			st->map = NULL;
			close(fd);
			return -1;
		}
		st->mapped = 1;
	}
	close(fd);
	return 1;
}

/* 1 open, 0 gone, -1 error. */
static int
open_msg(struct fetch_state *st, struct idb *db, struct fetch_msg *m,
    const char **errstr)
{
	const char	*e;
	int		 rc, need_tree = want_file(st), mapped = 0;

	st->vsize = m->vsize;
	memset(&st->c, 0, sizeof(st->c));
	if (only_envelope(st, m) && db != NULL) {
		/* The small row alone, walked in UID order: no parts, no MIME tree. */
		for (int i = 0; i < IDB_C_N; i++)
			buf_init(&st->c.item[i], 0);
		if (idb_cache_head(db, st->folder, m->uid, IDB_C_ENVELOPE,
		    &st->c.item[IDB_C_ENVELOPE], &e) == 1) {
			st->c.have = 1;
			st->open = 1;
			return 1;
		}
		idb_cached_free(&st->c);
		/* Not cached: the header alone is parsed, and its items stored. */
		if ((rc = map_file(st, m, errstr)) <= 0)
			return rc;
		if (idb_cache_build_head(st->map ? st->map : "", st->maplen,
		    &st->c) == 0)
			(void)idb_cache_put_head(db, st->folder, m->uid, &st->c,
			    &e);
		st->open = 1;
		return 1;
	}
	if ((want_cache(st, m) || need_tree) && db != NULL &&
	    idb_cache_get(db, st->folder, m->uid, &st->c, &e) == -1)
		st->c.have = 0;
	if (need_tree || (want_cache(st, m) && !st->c.have) ||
	    ((st->spec.items & IMAP_FETCH_RFC822_SIZE) && st->vsize == 0)) {
		if ((rc = map_file(st, m, errstr)) <= 0)
			return rc;
		mapped = 1;
	}
	if (mapped && !st->c.have && (want_cache(st, m) || need_tree)) {
		idb_cached_free(&st->c);
		if (idb_cache_build(st->map ? st->map : "", st->maplen, &st->c) == 0 &&
		    db != NULL)
			(void)idb_cache_put(db, st->folder, m->uid, &st->c, &e);
		if (st->c.have)
			st->vsize = st->c.vsize;
	}
	if (need_tree) {
		if (st->c.have)
			st->tree = mime_unserialize(st->c.item[IDB_C_MIME].data,
			    st->c.item[IDB_C_MIME].len, st->maplen, &e);
		if (st->tree == NULL)
			st->tree = mime_parse(st->map ? st->map : "", st->maplen);
		if (st->tree == NULL)
			return -1;
	}
	if (st->vsize == 0 && mapped && st->maplen > 0)
		st->vsize = st->tree ? st->tree->vsize :
		    mime_vsize(st->map, 0, st->maplen);
	if (st->vsize != m->vsize)
		m->new_vsize = st->vsize;
	st->open = 1;
	return 1;
}

static void
write_flags(struct fetch_state *st, const struct fetch_msg *m, struct buf *b)
{
	const char	*kw[KEYWORDS_MAX];
	size_t		 n = 0;
	unsigned	 f = 0;
	int		 i;

	for (i = 0; i < KEYWORDS_MAX; i++)
		if ((m->kw & (1U << i)) && st->kw[i] != NULL)
			kw[n++] = st->kw[i];
	if (m->sys & MAILDIR_F_ANSWERED)
		f |= IMAP_FLAG_ANSWERED;
	if (m->sys & MAILDIR_F_FLAGGED)
		f |= IMAP_FLAG_FLAGGED;
	if (m->sys & MAILDIR_F_DELETED)
		f |= IMAP_FLAG_DELETED;
	if (m->sys & MAILDIR_F_SEEN)
		f |= IMAP_FLAG_SEEN;
	if (m->sys & MAILDIR_F_DRAFT)
		f |= IMAP_FLAG_DRAFT;
	imap_write_flags(b, f, kw, n, st->spec.recent && m->recent ?
	    IMAP_WF_RECENT : 0);
}

static void
sep(struct fetch_state *st, struct buf *b)
{
	if (st->sp)
		buf_addc(b, ' ');
	st->sp = 1;
}

/*
 * Streams the open section into out up to budget. 1 when all of it went,
 * 0 when more is left for the next step.
 */
static int
stream(struct fetch_state *st, struct buf *out, size_t budget)
{
	size_t	 k, want;

	for (;;) {
		want = CHUNK;
		if (out->len >= budget)
			return 0;
		if (budget - out->len < want)
			want = budget - out->len;
		if ((k = section_read(st->sec, st->chunk, want)) == 0)
			break;
		buf_add(out, st->chunk, k);
	}
	section_free(&st->sec);
	return 1;
}

/* Writes one item. 1 done, 0 a section is left streaming, -1 error. */
static int
write_item(struct fetch_state *st, struct fetch_msg *m, int it, struct buf *out,
    size_t budget, enum imap_code *code, const char **errstr)
{
	struct tm	 tm;
	time_t		 t;

	switch (it) {
	case IT_UID:
		sep(st, out);
		buf_addf(out, "UID %u", m->uid);
		return 1;
	case IT_FLAGS:
		if (!(st->spec.items & IMAP_FETCH_FLAGS) && !m->add_flags)
			return 1;
		sep(st, out);
		buf_adds(out, "FLAGS ");
		write_flags(st, m, out);
		return 1;
	case IT_INTERNALDATE:
		sep(st, out);
		buf_adds(out, "INTERNALDATE ");
		t = (time_t)m->idate;
		localtime_r(&t, &tm);
		imap_write_datetime(out, t, (int)(tm.tm_gmtoff / 60));
		return 1;
	case IT_SIZE:
		sep(st, out);
		buf_addf(out, "RFC822.SIZE %llu", (unsigned long long)st->vsize);
		return 1;
	case IT_MODSEQ:
		if (!st->spec.modseq && !(st->spec.items & IMAP_FETCH_MODSEQ))
			return 1;
		sep(st, out);
		buf_addf(out, "MODSEQ (%llu)", (unsigned long long)m->modseq);
		return 1;
	case IT_ENVELOPE:
	case IT_BODY:
	case IT_BODYSTRUCTURE: {
		int	 ci = it == IT_ENVELOPE ? IDB_C_ENVELOPE : it == IT_BODY ?
		    IDB_C_BODY : IDB_C_BODYSTRUCTURE;

		sep(st, out);
		buf_adds(out, it == IT_ENVELOPE ? "ENVELOPE " : it == IT_BODY ?
		    "BODY " : "BODYSTRUCTURE ");
		if (st->c.have)
			buf_add(out, st->c.item[ci].data, st->c.item[ci].len);
		else
			buf_adds(out, it == IT_ENVELOPE ?
			    "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" :
			    "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0)");
		return 1;
	}
	default:
		break;
	}
	if (st->sec == NULL) {
		if (it >= IT_SECTION)
			st->sec = section_open(&st->spec.bodies[it - IT_SECTION],
			    st->map ? st->map : "", st->maplen, st->tree, code,
			    errstr);
		else
			st->sec = section_open_rfc822(it == IT_RFC822 ?
			    IMAP_FETCH_RFC822 : it == IT_RFC822_HEADER ?
			    IMAP_FETCH_RFC822_HEADER : IMAP_FETCH_RFC822_TEXT,
			    st->map ? st->map : "", st->maplen, st->tree);
		if (st->sec == NULL) {
			if (*errstr == NULL)
				*errstr = "Cannot fetch this section";
			return -1;
		}
		sep(st, out);
		section_write_head(st->sec, out);
	}
	return stream(st, out, budget);
}

enum fetch_rc
fetch_step(struct fetch_state *st, struct idb *db, struct buf *out,
    size_t budget, enum imap_code *code, const char **errstr)
{
	struct fetch_msg	*m;
	int			 rc;

	*code = IMAP_CODE_NONE;
	*errstr = NULL;
	while (st->i < st->n) {
		m = &st->m[st->i];
		if (!st->open) {
			if ((rc = open_msg(st, db, m, errstr)) == -1) {
				*code = IMAP_CODE_SERVERBUG;
				if (*errstr == NULL)
					*errstr = "Message cannot be read";
				close_msg(st);
				return FETCH_ERROR;
			}
			if (rc == 0) {
				/* Expunged by another program since the view saw it. */
				m->gone = 1;
				close_msg(st);
				st->i++;
				continue;
			}
			st->item = 0;
			st->started = 0;
		}
		if (!st->started) {
			buf_addf(out, "* %u FETCH (", m->seq);
			st->started = 1;
			st->sp = 0;
		}
		while (st->item < st->nitems) {
			rc = write_item(st, m, st->items[st->item], out, budget,
			    code, errstr);
			if (rc == -1) {
				if (*code == IMAP_CODE_NONE)
					*code = IMAP_CODE_SERVERBUG;
				close_msg(st);
				return FETCH_ERROR;
			}
			if (rc == 0)
				return FETCH_MORE;	/* the section goes on next step */
			st->item++;
			if (out->len >= budget && st->item < st->nitems)
				return FETCH_MORE;
		}
		buf_adds(out, ")\r\n");
		close_msg(st);
		st->i++;
		if (out->len >= budget && st->i < st->n)
			return FETCH_MORE;
	}
	return FETCH_BATCH_DONE;
}
