/* LIST (LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, CHILDREN), LSUB and STATUS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/mutf7.h"
#include "store/folder.h"

/*
 * The folder list and the subscriptions are read on a worker, and so are
 * the counts of LIST-STATUS; the response is written there too (it is
 * pure formatting) and sent in one piece. Patterns are matched against
 * names as the client writes them: modified UTF-7, or UTF-8 once the
 * client enabled it.
 */
#define PATTERN_MAX	1024

struct list_job {
	struct imap_session	*s;
	char			*root;
	int			 lsub, extended, utf8;
	unsigned		 sel, ret, status_items;
	char			**pats;		/* reference + pattern, as sent */
	size_t			 npat;
	char			**open_dirs;	/* folders open in views: no sync */
	size_t			 nopen;
	uint64_t		 appendlimit;
	uint32_t		*open_recent;	/* their \Recent boundaries */
	struct buf		 out;
	int			 rc;
	char			 err[256];
};

/* ---- matching ---- */

/* '*' matches anything, '%' anything but '/'; INBOX without case. */
static int
match(const char *pat, const char *name)
{
	size_t	 pl = strlen(pat), nl = strlen(name), i, j;
	char	*prev, *cur, *t;
	int	 ok;

	if (pl > PATTERN_MAX)
		return 0;
	prev = xcalloc(nl + 1, 1);
	cur = xcalloc(nl + 1, 1);
	prev[0] = 1;
	for (j = 1; j <= nl; j++)
		prev[j] = 0;
	for (i = 1; i <= pl; i++) {
		char	 p = pat[i - 1];

		cur[0] = prev[0] && (p == '*' || p == '%');
		for (j = 1; j <= nl; j++) {
			char	 c = name[j - 1];

			if (p == '*')
				cur[j] = prev[j] || cur[j - 1];
			else if (p == '%')
				cur[j] = prev[j] || (cur[j - 1] && c != '/');
			else
				cur[j] = prev[j - 1] && p == c;
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	ok = prev[nl];
	free(prev);
	free(cur);
	return ok;
}

/* Matching with INBOX's first level compared without case (RFC 3501 5.1). */
static int
match_name(const char *pat, const char *name)
{
	char	*p, *n;
	int	 ok;

	if (strncmp(name, "INBOX", 5) != 0 || (name[5] != '\0' && name[5] != '/'))
		return match(pat, name);
	if (strncasecmp(pat, "INBOX", 5) != 0)
		return match(pat, name);
	p = xstrdup(pat);
	n = xstrdup(name);
	memcpy(p, "INBOX", 5);
	ok = match(p, n);
	free(p);
	free(n);
	return ok;
}

/* ---- the set of names ---- */

struct entry {
	char		*name;		/* UTF-8 */
	char		*client;	/* as the client reads it */
	int		 real;		/* a folder */
	int		 subscribed;
	int		 children;	/* a folder below it */
	int		 subchildren;	/* a subscribed name below it */
	const char	*special;
};

struct entries {
	struct entry	*v;
	size_t		 n;
};

static struct entry *
find(struct entries *e, const char *name)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->v[i].name, name) == 0)
			return &e->v[i];
	return NULL;
}

static struct entry *
add(struct entries *e, const char *name, int utf8)
{
	struct entry	*x;
	struct buf	 b;
	const char	*err;

	if ((x = find(e, name)) != NULL)
		return x;
	e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
	x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	x->name = xstrdup(name);
	if (utf8)
		x->client = xstrdup(name);
	else {
		buf_init(&b, 0);
		if (mutf7_encode(&b, name, strlen(name), &err) == -1)
			x->client = xstrdup(name);
		else
			x->client = buf_release(&b);
		buf_free(&b);
	}
	return x;
}

/* Each parent of name ("a" and "a/b" of "a/b/c"). */
static void
add_parents(struct entries *e, const char *name, int utf8, int subscribed)
{
	char	*p = xstrdup(name), *slash;
	struct entry *x;

	while ((slash = strrchr(p, '/')) != NULL) {
		*slash = '\0';
		x = add(e, p, utf8);
		if (subscribed)
			x->subchildren = 1;
		else
			x->children = 1;
	}
	free(p);
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry	*x = a, *y = b;
	int			 xi = strcmp(x->name, "INBOX") == 0;
	int			 yi = strcmp(y->name, "INBOX") == 0;

	if (xi != yi)
		return yi - xi;
	return strcmp(x->name, y->name);
}

static void
entries_free(struct entries *e)
{
	size_t	 i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].name);
		free(e->v[i].client);
	}
	free(e->v);
}

/* ---- STATUS ---- */

static void
status_items(struct buf *b, unsigned items, const struct idb_status *st,
    uint64_t appendlimit)
{
	int	 sp = 0;

#define ITEM(bit, fmt, v) do {						\
	if (items & (bit)) {						\
		buf_addf(b, "%s" fmt, sp ? " " : "", v);		\
		sp = 1;							\
	}								\
} while (0)
	buf_addc(b, '(');
	ITEM(IMAP_STATUS_MESSAGES, "MESSAGES %u", st->messages);
	ITEM(IMAP_STATUS_RECENT, "RECENT %u", st->recent);
	ITEM(IMAP_STATUS_UIDNEXT, "UIDNEXT %u", st->uidnext);
	ITEM(IMAP_STATUS_UIDVALIDITY, "UIDVALIDITY %u", st->uidvalidity);
	ITEM(IMAP_STATUS_UNSEEN, "UNSEEN %u", st->unseen);
	ITEM(IMAP_STATUS_DELETED, "DELETED %u", st->deleted);
	ITEM(IMAP_STATUS_SIZE, "SIZE %llu", (unsigned long long)st->size);
	ITEM(IMAP_STATUS_HIGHESTMODSEQ, "HIGHESTMODSEQ %llu",
	    (unsigned long long)st->modseq);
	ITEM(IMAP_STATUS_APPENDLIMIT, "APPENDLIMIT %llu",
	    (unsigned long long)appendlimit);
	ITEM(IMAP_STATUS_DELETED_STORAGE, "DELETED-STORAGE %llu",
	    (unsigned long long)(st->deleted_size + 1023) / 1024);
#undef ITEM
	buf_adds(b, ")");
}

/* The counts of one folder: from the index, synced unless a view keeps it. */
static int
one_status(struct idb *db, const char *root, const char *dir, unsigned items,
    char **open_dirs, const uint32_t *open_recent, size_t nopen,
    struct idb_status *st, const char **errstr)
{
	size_t	 i;
	int	 flags = (items & IMAP_STATUS_SIZE) ? IDB_STATUS_SIZE : 0;
	int	 open = -1;

	for (i = 0; i < nopen; i++)
		if (strcmp(open_dirs[i], dir) == 0)
			open = (int)i;
	if (open != -1)
		flags |= IDB_STATUS_NOSYNC;
	if (idb_status(db, root, dir, flags, st, errstr) == -1)
		return -1;
	return 0;
}

/* ---- LIST ---- */

static void
write_entry(struct list_job *j, struct idb *db, const struct entry *x,
    int childinfo)
{
	struct buf	*b = &j->out;
	int		 sp = 0;
	unsigned	 iw = j->utf8 ? IMAP_W_UTF8 : 0;

#define ATTR(s) do { buf_adds(b, sp ? " " s : s); sp = 1; } while (0)
	buf_adds(b, j->lsub ? "* LSUB (" : "* LIST (");
	if (!x->real) {
		if (j->extended && !j->lsub)
			ATTR("\\NonExistent");
		else
			ATTR("\\Noselect");
	}
	if (!j->lsub) {
		if (x->children)
			ATTR("\\HasChildren");
		else
			ATTR("\\HasNoChildren");
	}
	if (x->subscribed && !j->lsub && ((j->ret & IMAP_LIST_RET_SUBSCRIBED) ||
	    (j->sel & IMAP_LIST_SEL_SUBSCRIBED)))
		ATTR("\\Subscribed");
	if (x->special != NULL && !j->lsub) {
		buf_adds(b, sp ? " " : "");
		buf_adds(b, x->special);
		sp = 1;
	}
#undef ATTR
	buf_adds(b, ") \"/\" ");
	imap_write_astring(b, x->client, strlen(x->client), iw);
	if (childinfo)
		buf_adds(b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	buf_adds(b, "\r\n");
	if ((j->ret & IMAP_LIST_RET_STATUS) && x->real && db != NULL) {
		struct idb_status	 st;
		const char		*e;
		char			 dir[FOLDER_DIR_MAX + 1];

		if (folder_dir(x->name, dir, sizeof(dir), &e) == 0 &&
		    one_status(db, j->root, dir, j->status_items, j->open_dirs,
		    j->open_recent, j->nopen, &st, &e) == 0) {
			buf_adds(b, "* STATUS ");
			imap_write_astring(b, x->client, strlen(x->client), iw);
			buf_addc(b, ' ');
			status_items(b, j->status_items, &st, j->appendlimit);
			buf_adds(b, "\r\n");
		}
	}
}

static void
list_work(struct idb *db, void *arg)
{
	struct list_job		*j = arg;
	struct folder_list	 fl;
	struct entries		 e = { NULL, 0 };
	char			**subs = NULL;
	size_t			 nsubs = 0, i, p;
	const char		*err;
	struct entry		*x;
	int			 want_subs;

	buf_init(&j->out, 0);
	/* LIST "" "": the hierarchy delimiter and the root name. */
	if (!j->lsub && j->npat == 1 && j->pats[0][0] == '\0') {
		buf_adds(&j->out, "* LIST (\\Noselect) \"/\" \"\"\r\n");
		return;
	}
	if (folder_list(j->root, &fl, &err) == -1) {
		j->rc = -1;
		snprintf(j->err, sizeof(j->err), "%s", err);
		return;
	}
	want_subs = j->lsub || (j->sel & IMAP_LIST_SEL_SUBSCRIBED) ||
	    (j->ret & IMAP_LIST_RET_SUBSCRIBED);
	if (want_subs && folder_subscriptions(j->root, &subs, &nsubs, &err) == -1)
		nsubs = 0;
	for (i = 0; i < fl.n; i++) {
		x = add(&e, fl.v[i].name, j->utf8);
		x->real = 1;
		x->special = folder_special_use(fl.v[i].name);
		add_parents(&e, fl.v[i].name, j->utf8, 0);
	}
	for (i = 0; i < nsubs; i++) {
		x = add(&e, strcasecmp(subs[i], "INBOX") == 0 ? "INBOX" : subs[i],
		    j->utf8);
		x->subscribed = 1;
		add_parents(&e, x->name, j->utf8, 1);
	}
	/* add_parents may have moved the array: flags of real children found again. */
	for (i = 0; i < e.n; i++) {
		size_t	 k, l = strlen(e.v[i].name);

		for (k = 0; k < e.n && !e.v[i].children; k++)
			if (e.v[k].real && strncmp(e.v[k].name, e.v[i].name, l) == 0 &&
			    e.v[k].name[l] == '/')
				e.v[i].children = 1;
	}
	qsort(e.v, e.n, sizeof(*e.v), cmp_entry);
	for (i = 0; i < e.n; i++) {
		struct entry	*y = &e.v[i];
		int		 matched = 0, ok, childinfo = 0;

		for (p = 0; p < j->npat && !matched; p++)
			matched = match_name(j->pats[p], y->client);
		if (!matched)
			continue;
		if (j->lsub) {
			/* LSUB: subscribed names, and parents of subscribed names as \Noselect. */
			if (!y->subscribed && !y->subchildren)
				continue;
			if (!y->subscribed) {
				int	 real = y->real;

				y->real = 0;
				write_entry(j, db, y, 0);
				y->real = real;
				continue;
			}
			write_entry(j, db, y, 0);
			continue;
		}
		ok = 1;
		if ((j->sel & IMAP_LIST_SEL_SUBSCRIBED) && !y->subscribed)
			ok = 0;
		if ((j->sel & IMAP_LIST_SEL_SPECIAL_USE) && y->special == NULL)
			ok = 0;
		if (!ok && (j->sel & IMAP_LIST_SEL_RECURSIVEMATCH) &&
		    (j->sel & IMAP_LIST_SEL_SUBSCRIBED) && y->subchildren)
			childinfo = 1;
		if (!ok && !childinfo)
			continue;
		/* Parents that are no folder are listed only without selection options. */
		if (!y->real && !y->subscribed && !childinfo && (j->sel &
		    (IMAP_LIST_SEL_SUBSCRIBED | IMAP_LIST_SEL_SPECIAL_USE)))
			continue;
		write_entry(j, db, y, childinfo);
	}
	entries_free(&e);
	folder_names_free(subs, nsubs);
	folder_list_free(&fl);
}

static void
list_done(void *arg)
{
	struct list_job		*j = arg;
	struct imap_session	*s = j->s;
	size_t			 i;

	if (!imap_session_release(s)) {
		if (j->rc == -1) {
			log_msg(LOG_WARNING, "imap list root=%s: %s", j->root,
			    j->err);
			imap_complete(s, IMAP_NO, IMAP_CODE_SERVERBUG,
			    "Cannot list mailboxes now");
		} else {
			imap_send(s, &j->out);
			imap_complete(s, IMAP_OK, IMAP_CODE_NONE, j->lsub ?
			    "Lsub completed" : "List completed");
		}
	}
	buf_free(&j->out);
	for (i = 0; i < j->npat; i++)
		free(j->pats[i]);
	free(j->pats);
	for (i = 0; i < j->nopen; i++)
		free(j->open_dirs[i]);
	free(j->open_dirs);
	free(j->open_recent);
	free(j->root);
	free(j);
}

static void
open_views(struct imap_session *s, char ***dirs, uint32_t **recent, size_t *n)
{
	struct imap_view	*v;

	*dirs = NULL;
	*recent = NULL;
	*n = 0;
	TAILQ_FOREACH(v, &s->user->views, entry) {
		if (!v->loaded || v->gone)
			continue;
		*dirs = xreallocarray(*dirs, *n + 1, sizeof(**dirs));
		*recent = xreallocarray(*recent, *n + 1, sizeof(**recent));
		(*dirs)[*n] = xstrdup(v->dir);
		(*recent)[*n] = v->recent;
		(*n)++;
	}
}

void
imap_cmd_list(struct imap_session *s, struct imap_request *req)
{
	struct imap_list	*l = &req->u.list;
	struct list_job		*j = xcalloc(1, sizeof(*j));
	size_t			 i;

	j->s = s;
	j->root = xstrdup(s->user->root);
	j->lsub = req->id == IMAP_CMD_LSUB;
	j->extended = l->extended;
	j->utf8 = (imap_wflags(s) & IMAP_W_UTF8) != 0;
	j->sel = l->sel;
	j->ret = l->ret;
	j->status_items = l->status_items;
	j->appendlimit = s->appendlimit;
	/* RFC 5258 3: RECURSIVEMATCH with SUBSCRIBED; SUBSCRIBED selection returns \Subscribed. */
	j->pats = xcalloc(l->npat + 1, sizeof(*j->pats));
	for (i = 0; i < l->npat; i++) {
		const char	*ref = l->ref.name.p ? l->ref.name.p : "";
		size_t		 rl = l->ref.name.p ? l->ref.name.len : 0;

		/* A pattern starting with the delimiter is not relative to the reference. */
		if (l->pat[i].len > 0 && l->pat[i].p[0] == '/')
			rl = 0;
		j->pats[i] = xasprintf("%.*s%.*s", (int)rl, ref,
		    (int)l->pat[i].len, l->pat[i].p);
		if (l->pat[i].len == 0 && rl > 0 && !j->lsub) {
			/* LIST ref "": the delimiter and the root of ref. */
			free(j->pats[i]);
			j->pats[i] = xstrdup("");
		}
	}
	j->npat = l->npat;
	if (j->ret & IMAP_LIST_RET_STATUS)
		open_views(s, &j->open_dirs, &j->open_recent, &j->nopen);
	imap_cmd_wait(s, NULL);
	imap_session_hold(s);
	imap_job(s->user, list_work, list_done, j);
}

/* ---- STATUS ---- */

struct status_job {
	struct imap_session	*s;
	char			*root;
	char			 name[FOLDER_NAME_MAX + 1], dir[FOLDER_DIR_MAX + 1];
	unsigned		 items;
	int			 open;
	uint32_t		 recent;
	struct idb_status	 st;
	int			 rc, err;
	char			 errstr[256];
};

static void
status_work(struct idb *db, void *arg)
{
	struct status_job	*j = arg;
	const char		*e = NULL;
	char			*dirs[1] = { j->dir };
	uint32_t		 rec[1] = { j->recent };

	if (db == NULL) {
		j->rc = -1;
		j->err = EIO;
		return;
	}
	errno = 0;
	j->rc = one_status(db, j->root, j->dir, j->items, dirs, rec,
	    j->open ? 1 : 0, &j->st, &e);
	j->err = errno;
	if (j->rc == -1)
		snprintf(j->errstr, sizeof(j->errstr), "%s", e ? e : "failed");
}

static void
status_done(void *arg)
{
	struct status_job	*j = arg;
	struct imap_session	*s = j->s;
	struct imap_view	*v;
	struct buf		*b;

	if (imap_session_release(s))
		goto done;
	if (j->rc == -1) {
		if (j->err == ENOENT)
			imap_complete(s, IMAP_NO, IMAP_CODE_NONEXISTENT,
			    "Mailbox doesn't exist");
		else {
			log_msg(LOG_WARNING, "imap status root=%s: %s", j->root,
			    j->errstr);
			imap_complete(s, IMAP_NO, IMAP_CODE_SERVERBUG,
			    "Status unavailable");
		}
		goto done;
	}
	/* \Recent of an open folder is the view's: what no session has seen. */
	if ((v = imap_view_find(s->user, j->dir)) != NULL && v->loaded)
		j->st.recent = (uint32_t)(v->n - imap_view_upper(v,
		    v->recent > 0 ? v->recent - 1 : 0));
	b = &s->out;
	buf_reset(b);
	buf_adds(b, "* STATUS ");
	imap_write_mbox(s, b, j->name);
	buf_addc(b, ' ');
	status_items(b, j->items, &j->st, s->appendlimit);
	buf_adds(b, "\r\n");
	imap_send(s, b);
	imap_complete(s, IMAP_OK, IMAP_CODE_NONE, "Status completed");
done:
	free(j->root);
	free(j);
}

void
imap_cmd_status(struct imap_session *s, struct imap_request *req)
{
	struct status_job	*j = xcalloc(1, sizeof(*j));
	struct imap_view	*v;
	const char		*e;

	if (imap_mbox_name(s, &req->u.status.mbox, j->name, sizeof(j->name),
	    j->dir, sizeof(j->dir), &e) == -1) {
		free(j);
		imap_complete(s, IMAP_NO, IMAP_CODE_NONEXISTENT, e);
		return;
	}
	if (req->u.status.items & IMAP_STATUS_HIGHESTMODSEQ)
		s->enabled |= IMAP_ENA_CONDSTORE;
	j->s = s;
	j->root = xstrdup(s->user->root);
	j->items = req->u.status.items;
	if ((v = imap_view_find(s->user, j->dir)) != NULL && v->loaded) {
		j->open = 1;
		j->recent = v->recent;
	}
	imap_cmd_wait(s, NULL);
	imap_session_hold(s);
	imap_job(s->user, status_work, status_done, j);
}
