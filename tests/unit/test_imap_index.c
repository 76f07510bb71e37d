/* Tests for src/imap/imap_index*.c: UIDs, flags from names, a lost index rebuilt from dovecot-uidlist, deltas, COPY/MOVE, STATUS. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "imap/imap_index.h"
#include "imap/imap_uidlist.h"
#include "lib/buf.h"
#include "mail/maildir_name.h"
#include "store/folder.h"
#include "store/maildir.h"
#include "store/scan.h"

static char	 tdir[64];

/* A call that must succeed; its errstr is shown when it does not. */
#define OKE(e) do { if ((e) != 0) { t_fail(__FILE__, __LINE__, "%s: %s",	\
	#e, err ? err : "?"); return; } } while (0)
static int	 seq;

static void
rmtree(const char *path)
{
	char	 cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

/* A new user's Maildir: INBOX and the default folders. */
static void
mkroot(char *root, size_t len, const char *name)
{
	const char	*err = NULL;

	snprintf(root, len, "%s/%s", tdir, name);
	if (folder_create_defaults(root, &err) == -1)
		fprintf(stderr, "%s: %s\n", root, err);
}

/* A message file in dir/sub named like a delivery, its base returned in base. */
static void
deliver(const char *dir, const char *sub, const char *flags, char *base,
    size_t blen)
{
	char		 p[1024], body[128];
	int		 fd, n;

	n = snprintf(body, sizeof(body), "Subject: test %d\nFrom: a@b\n\nbody %d\n",
	    seq, seq);
	snprintf(base, blen, "%d.M%dP1Q%d.host,S=%d", 1700000000 + seq, seq, seq,
	    n);
	seq++;
	snprintf(p, sizeof(p), "%s/%s/%s%s%s", dir, sub, base,
	    flags ? ":2," : "", flags ? flags : "");
	if ((fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0600)) == -1 ||
	    write(fd, body, (size_t)n) != n)
		perror(p);
	close(fd);
}

/* The file name of base in dir (cur/ or new/), or NULL. */
static const char *
find(const char *dir, const char *base)
{
	static char	 out[512];
	struct scan_dir	 d;
	const char	*err = NULL;
	int		 rc;

	if (scan_dir_open(&d, dir, &err) == -1)
		return NULL;
	rc = scan_locate(&d, base, out, sizeof(out));
	scan_dir_close(&d);
	return rc == -1 ? NULL : out;
}

static const struct imsg *
by_uid(const struct idb_sync *s, uint32_t uid)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		if (s->msgs[i].uid == uid)
			return &s->msgs[i];
	return NULL;
}

static void
t_uids(void)
{
	char		 root[256], b[3][128], p[1024];
	struct idb	*db;
	struct idb_sync	 s;
	struct idb_date	 dv[4];
	struct timespec	 times[2];
	const char	*err = NULL;
	struct uidlist	 ul;
	struct uidlist_stamp st;
	int		 i;

	mkroot(root, sizeof(root), "uids");
	for (i = 0; i < 3; i++)
		deliver(root, "new", NULL, b[i], sizeof(b[i]));
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", IDB_LOAD | IDB_TO_CUR, &s, &err));
	T_EQ_INT(s.n, 3);
	T_EQ_INT(s.f.uidnext, 4);
	for (i = 0; i < 3; i++) {
		/* Base order is delivery order: UIDs follow it. */
		T_EQ_INT(s.msgs[i].uid, i + 1);
		T_EQ_INT(s.msgs[i].sub, SCAN_CUR);
		T_ASSERT(strncmp(s.msgs[i].name, b[i], strlen(b[i])) == 0);
		/* A folder's first index stats no file: dates come when asked. */
		T_EQ_INT(s.msgs[i].idate, IDB_UNDATED);
	}
	/* SELECT moved them: new/ is empty, cur/ has BASE:2, */
	T_ASSERT(find(root, b[0]) != NULL && strstr(find(root, b[0]), ":2,") != NULL);

	/* The mtime is the internal date; a file gone meanwhile gets its name's time. */
	snprintf(p, sizeof(p), "%s/cur/%s", root, find(root, b[1]));
	times[0].tv_sec = times[1].tv_sec = 1600000000;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	T_ASSERT(utimensat(AT_FDCWD, p, times, 0) == 0);
	for (i = 0; i < 3; i++) {
		dv[i].uid = s.msgs[i].uid;
		dv[i].sub = s.msgs[i].sub;
		dv[i].name = s.msgs[i].name;
	}
	dv[3].uid = 99;
	dv[3].sub = SCAN_CUR;
	dv[3].name = "1700000099.M1P1Q99.host:2,";
	OKE(idb_dates(db, root, "", s.f.id, dv, 4, &err));
	T_EQ_INT(dv[1].idate, 1600000000);
	T_ASSERT(dv[0].idate > 1600000000 && dv[2].idate > 1600000000);
	T_EQ_INT(dv[3].idate, 1700000099);
	idb_sync_free(&s);
	/* Kept in the index: loaded again, dated. */
	OKE(idb_sync(db, root, "", IDB_LOAD | IDB_RESCAN, &s, &err));
	T_EQ_INT(s.n, 3);
	T_EQ_INT(s.msgs[1].idate, 1600000000);
	T_EQ_INT(s.msgs[0].idate, dv[0].idate);
	idb_sync_free(&s);

	/* The uid list beside them holds what the index holds. */
	T_EQ_INT(uidlist_read(root, &ul, &st, &err), 1);
	T_EQ_INT(ul.n, 3);
	T_EQ_INT(ul.v[2].uid, 3);
	T_EQ_STR(ul.v[2].base, b[2]);
	uidlist_free(&ul);

	/* A new message goes after, never reusing a UID. */
	deliver(root, "new", NULL, b[0], sizeof(b[0]));
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	T_EQ_INT(s.n, 4);
	T_EQ_INT(s.msgs[3].uid, 4);
	T_EQ_INT(s.msgs[3].sub, SCAN_NEW);
	idb_sync_free(&s);
	idb_close(&db);
}

static void
t_rebuild(void)
{
	char			 root[256], b[4][128], p[1024];
	struct idb		*db;
	struct idb_sync		 s;
	struct idb_delta	 d;
	struct idb_store	 req;
	const char		*err = NULL;
	uint32_t		 uids[1], uv;
	int			 i;

	mkroot(root, sizeof(root), "rebuild");
	for (i = 0; i < 4; i++)
		deliver(root, "new", NULL, b[i], sizeof(b[i]));
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", IDB_LOAD | IDB_TO_CUR, &s, &err));
	uv = s.f.uidvalidity;
	idb_sync_free(&s);

	/* \Seen and \Flagged on UID 2: the file name says so. */
	memset(&req, 0, sizeof(req));
	uids[0] = 2;
	req.uids = uids;
	req.n = 1;
	req.op = IDB_STORE_ADD;
	req.sys = MAILDIR_F_SEEN | MAILDIR_F_FLAGGED;
	OKE(idb_store(db, root, "", &req, &d, &err));
	T_EQ_INT(d.nchanged, 1);
	T_EQ_INT(d.changed[0].uid, 2);
	T_ASSERT(d.changed[0].modseq > 1);
	T_ASSERT(strstr(find(root, b[1]), ":2,FS") != NULL);
	idb_delta_free(&d);

	/* UID 1 expunged so the next sync has a hole at 1, and UID 4 too. */
	snprintf(p, sizeof(p), "%s/cur/%s", root, find(root, b[0]));
	T_ASSERT(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/cur/%s", root, find(root, b[3]));
	T_ASSERT(unlink(p) == 0);
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	T_EQ_INT(s.n, 2);
	T_EQ_INT(s.f.uidnext, 5);
	idb_sync_free(&s);

	/* The index is lost: UIDVALIDITY, UIDs and flags survive, and UID 4 is not reused. */
	idb_close(&db);
	idb_remove(root);
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	T_EQ_INT(s.f.uidvalidity, uv);
	T_EQ_INT(s.n, 2);
	T_ASSERT(by_uid(&s, 2) != NULL);
	T_ASSERT(by_uid(&s, 3) != NULL);
	T_EQ_INT(by_uid(&s, 2)->sys, MAILDIR_F_SEEN | MAILDIR_F_FLAGGED);
	T_EQ_INT(s.f.uidnext, 5);
	idb_sync_free(&s);
	deliver(root, "new", NULL, b[0], sizeof(b[0]));
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	T_EQ_INT(s.n, 3);
	T_EQ_INT(s.msgs[2].uid, 5);
	idb_sync_free(&s);

	/* A corrupt file is a cache miss, not an error. */
	idb_close(&db);
	snprintf(p, sizeof(p), "%s/" IDB_FILE, root);
	{
		int	 fd = open(p, O_WRONLY | O_TRUNC);

		T_ASSERT(fd != -1);
		T_ASSERT(write(fd, "garbage garbage garbage garbage", 31) == 31);
		close(fd);
	}
	snprintf(p, sizeof(p), "%s/" IDB_FILE "-wal", root);
	unlink(p);
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	T_EQ_INT(s.f.uidvalidity, uv);
	T_EQ_INT(s.n, 3);
	T_EQ_INT(s.msgs[2].uid, 5);
	idb_sync_free(&s);
	idb_close(&db);
}

/* A user moved from Dovecot: its dovecot-uidlist and dovecot-keywords are kept. */
static void
t_dovecot_import(void)
{
	char		 root[256], b[3][128], p[512];
	struct idb	*db;
	struct idb_sync	 s;
	const char	*err = NULL;
	FILE		*f;
	int		 i;

	mkroot(root, sizeof(root), "dovecot");
	deliver(root, "cur", "Sa", b[0], sizeof(b[0]));
	deliver(root, "cur", "RS", b[1], sizeof(b[1]));
	deliver(root, "new", NULL, b[2], sizeof(b[2]));
	snprintf(p, sizeof(p), "%s/dovecot-uidlist", root);
	T_ASSERT((f = fopen(p, "w")) != NULL);
	fprintf(f, "3 V1275660208 N120 G3085f01b7f11094c501100008c4a11c1\n");
	fprintf(f, "17 :%s:2,S\n", b[0]);
	fprintf(f, "42 W1234 :%s\n", b[1]);
	fclose(f);
	snprintf(p, sizeof(p), "%s/dovecot-keywords", root);
	T_ASSERT((f = fopen(p, "w")) != NULL);
	fprintf(f, "0 $Forwarded\n1 Junk\n");
	fclose(f);

	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	T_EQ_INT(s.f.uidvalidity, 1275660208);
	T_EQ_INT(s.n, 3);
	T_EQ_INT(s.msgs[0].uid, 17);
	T_EQ_INT(s.msgs[0].kw, 1);
	T_EQ_INT(s.msgs[1].uid, 42);
	T_EQ_INT(s.msgs[1].sys, MAILDIR_F_ANSWERED | MAILDIR_F_SEEN);
	/* Not in the list: after N. */
	T_EQ_INT(s.msgs[2].uid, 120);
	T_EQ_INT(s.f.uidnext, 121);
	T_EQ_STR(s.kw.name[0], "$Forwarded");
	T_EQ_STR(s.kw.name[1], "Junk");
	idb_sync_free(&s);
	idb_close(&db);

	/* The list was extended, not replaced: Dovecot's UIDs are still there. */
	{
		struct uidlist		 ul;
		struct uidlist_stamp	 st;

		T_EQ_INT(uidlist_read(root, &ul, &st, &err), 1);
		T_EQ_INT(ul.uidvalidity, 1275660208);
		T_EQ_INT(ul.n, 3);
		T_EQ_INT(ul.v[0].uid, 17);
		T_EQ_INT(ul.v[2].uid, 120);
		uidlist_free(&ul);
	}
	(void)i;
}

static void
t_events(void)
{
	char			 root[256], b[3][128], p[512], q[512];
	struct idb		*db;
	struct idb_sync		 s;
	struct idb_delta	 d;
	struct idb_event	 ev[3];
	const char		*err = NULL;
	uint64_t		 m0;

	mkroot(root, sizeof(root), "events");
	deliver(root, "new", NULL, b[0], sizeof(b[0]));
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	m0 = s.f.modseq;
	idb_sync_free(&s);

	/* A delivery, and another program flagging the first one. */
	deliver(root, "new", NULL, b[1], sizeof(b[1]));
	snprintf(p, sizeof(p), "%s/new/%s", root, b[0]);
	snprintf(q, sizeof(q), "%s/cur/%s:2,F", root, b[0]);
	T_ASSERT(rename(p, q) == 0);
	memset(ev, 0, sizeof(ev));
	ev[0].name = b[1];
	ev[0].sub = SCAN_NEW;
	ev[1].name = b[0];
	ev[1].sub = SCAN_NEW;
	ev[1].gone = 1;
	snprintf(p, sizeof(p), "%s:2,F", b[0]);
	ev[2].name = p;
	ev[2].sub = SCAN_CUR;
	OKE(idb_events(db, root, "", 0, ev, 3, &d, &err));
	T_EQ_INT(d.nadded, 1);
	T_EQ_INT(d.added[0].uid, 2);
	T_EQ_INT(d.nchanged, 1);
	T_EQ_INT(d.changed[0].uid, 1);
	T_EQ_INT(d.changed[0].sys, MAILDIR_F_FLAGGED);
	T_ASSERT(d.changed[0].modseq > m0);
	T_EQ_INT(d.nexpunged, 0);
	idb_delta_free(&d);

	/* Removed by another program: expunged, with a MODSEQ for QRESYNC. */
	snprintf(q, sizeof(q), "%s/cur/%s:2,F", root, b[0]);
	T_ASSERT(unlink(q) == 0);
	ev[0].name = p;
	ev[0].sub = SCAN_CUR;
	ev[0].gone = 1;
	OKE(idb_events(db, root, "", 0, ev, 1, &d, &err));
	T_EQ_INT(d.nexpunged, 1);
	T_EQ_INT(d.expunged[0], 1);
	idb_delta_free(&d);
	{
		uint32_t	*v;
		size_t		 n;

		OKE(idb_vanished(db, 1, m0, &v, &n, &err));
		T_EQ_INT(n, 1);
		T_EQ_INT(v[0], 1);
		free(v);
	}
	/* An event for a file that is still there under the index's name changes nothing. */
	ev[0].name = b[1];
	ev[0].sub = SCAN_NEW;
	ev[0].gone = 1;
	OKE(idb_events(db, root, "", 0, ev, 1, &d, &err));
	T_EQ_INT(d.nexpunged + d.nadded + d.nchanged, 0);
	idb_delta_free(&d);
	idb_close(&db);
}

static void
t_expunge_copy_move(void)
{
	char			 root[256], b[3][128], trash[512];
	struct idb		*db;
	struct idb_sync		 s;
	struct idb_delta	 d;
	struct idb_status	 st;
	const char		*err = NULL;
	uint32_t		 uids[3] = { 1, 2, 3 };

	mkroot(root, sizeof(root), "copy");
	deliver(root, "cur", "T", b[0], sizeof(b[0]));
	deliver(root, "cur", "Sa", b[1], sizeof(b[1]));
	deliver(root, "new", NULL, b[2], sizeof(b[2]));
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	idb_sync_free(&s);

	/* COPY carries flags and keywords by name; the target gets new UIDs. */
	{
		FILE	*f;
		char	 p[512];

		snprintf(p, sizeof(p), "%s/dovecot-keywords", root);
		T_ASSERT((f = fopen(p, "w")) != NULL);
		fprintf(f, "0 Work\n");
		fclose(f);
	}
	OKE(idb_copy(db, root, "", uids + 1, 1, ".Archive", 0, &d, &err));
	T_EQ_INT(d.nuids, 1);
	T_EQ_INT(d.uids[0], 1);
	T_EQ_INT(d.nadded, 1);
	T_EQ_INT(d.added[0].sys, MAILDIR_F_SEEN);
	T_EQ_INT(d.added[0].kw, 1);
	T_ASSERT(d.kw_changed);
	T_EQ_STR(d.kw.name[0], "Work");
	idb_delta_free(&d);
	T_ASSERT(find(root, b[1]) != NULL);	/* the source stays */

	/* MOVE: gone from the source (expunged), there in the target. */
	OKE(idb_copy(db, root, "", uids + 2, 1, ".Trash", 1, &d, &err));
	T_EQ_INT(d.nexpunged, 1);
	T_EQ_INT(d.expunged[0], 3);
	T_EQ_INT(d.nuids, 1);
	idb_delta_free(&d);
	T_ASSERT(find(root, b[2]) == NULL);
	snprintf(trash, sizeof(trash), "%s/.Trash", root);
	OKE(idb_status(db, root, ".Trash", 0, &st, &err));
	T_EQ_INT(st.messages, 1);
	T_EQ_INT(st.unseen, 1);

	/* No target: ENOENT, the client's TRYCREATE. */
	T_ASSERT(idb_copy(db, root, "", uids, 1, ".Nope", 0, &d, &err) == -1);
	T_EQ_INT(errno, ENOENT);

	/* EXPUNGE removes what is flagged \Deleted, and only that. */
	OKE(idb_expunge(db, root, "", NULL, 0, &d, &err));
	T_EQ_INT(d.nexpunged, 1);
	T_EQ_INT(d.expunged[0], 1);
	idb_delta_free(&d);
	T_ASSERT(find(root, b[0]) == NULL);
	OKE(idb_status(db, root, "", IDB_STATUS_SIZE, &st, &err));
	T_EQ_INT(st.messages, 1);
	T_EQ_INT(st.unseen, 0);
	T_ASSERT(st.size > 0);
	idb_close(&db);
	(void)trash;
}

static void
t_store_unchanged(void)
{
	char			 root[256], b[2][128];
	struct idb		*db;
	struct idb_sync		 s;
	struct idb_delta	 d;
	struct idb_store	 req;
	const char		*err, *kw[1] = { "Important" };
	uint32_t		 uids[2] = { 1, 2 };
	uint64_t		 m1;

	mkroot(root, sizeof(root), "store");
	deliver(root, "cur", "", b[0], sizeof(b[0]));
	deliver(root, "cur", "", b[1], sizeof(b[1]));
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", IDB_LOAD, &s, &err));
	m1 = s.msgs[0].modseq;
	idb_sync_free(&s);

	memset(&req, 0, sizeof(req));
	req.uids = uids;
	req.n = 1;
	req.op = IDB_STORE_ADD;
	req.kw = kw;
	req.nkw = 1;
	OKE(idb_store(db, root, "", &req, &d, &err));
	T_ASSERT(d.kw_changed);
	T_EQ_STR(d.kw.name[0], "Important");
	T_EQ_INT(d.changed[0].kw, 1);
	T_ASSERT(strstr(find(root, b[0]), ":2,a") != NULL);
	idb_delta_free(&d);

	/* UNCHANGEDSINCE below the message's MODSEQ: refused, reported, untouched. */
	req.n = 2;
	req.kw = NULL;
	req.nkw = 0;
	req.sys = MAILDIR_F_DELETED;
	req.unchangedsince_set = 1;
	req.unchangedsince = m1;
	OKE(idb_store(db, root, "", &req, &d, &err));
	T_EQ_INT(d.nmodified, 1);
	T_EQ_INT(d.modified[0], 1);
	T_EQ_INT(d.nchanged, 1);
	T_EQ_INT(d.changed[0].uid, 2);
	idb_delta_free(&d);
	T_ASSERT(strchr(find(root, b[0]), 'T') == NULL);
	idb_close(&db);
}

static void
t_folder_forget(void)
{
	char		 root[256], b[128];
	struct idb	*db;
	struct idb_sync	 s;
	const char	*err = NULL;
	uint32_t	 uv;

	mkroot(root, sizeof(root), "forget");
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, ".Archive", IDB_LOAD, &s, &err));
	uv = s.f.uidvalidity;
	idb_sync_free(&s);
	/* DELETE and CREATE again: a new UIDVALIDITY, never the old one. */
	T_ASSERT(folder_delete(root, "Archive", FOLDER_DELETE_MESSAGES, &err) == 0);
	OKE(idb_folder_forget(db, ".Archive", 0, &err));
	T_ASSERT(folder_create(root, "Archive", &err) == 0);
	deliver(tdir, "forget/.Archive/new", NULL, b, sizeof(b));
	OKE(idb_sync(db, root, ".Archive", IDB_LOAD, &s, &err));
	T_ASSERT(s.f.uidvalidity > uv);
	T_EQ_INT(s.msgs[0].uid, 1);
	uv = s.f.uidvalidity;
	idb_sync_free(&s);

	/* RENAME keeps the folder's UIDs under its new name. */
	T_ASSERT(folder_rename(root, "Archive", "Old", &err) == 0);
	OKE(idb_folder_rename(db, ".Archive", ".Old", &err));
	OKE(idb_sync(db, root, ".Old", IDB_LOAD, &s, &err));
	T_EQ_INT(s.f.uidvalidity, uv);
	T_EQ_INT(s.n, 1);
	idb_sync_free(&s);
	idb_close(&db);
}

/*
 * The header-only items are those of the whole parse, and the cache
 * walked in UID order finds what was stored, in any order of asking.
 */
static void
t_cache_head(void)
{
	static const char *const msgs[] = {
		"Subject: =?utf-8?q?caf=C3=A9?= and more\nFrom: \"A B\" <a@b.example>\n"
		"To: c@d.example, e@f.example\nDate: Tue, 1 Jan 2019 10:00:00 +0900\n"
		"Message-ID: <x@y>\nContent-Type: multipart/mixed; boundary=zz\n\n"
		"--zz\nContent-Type: text/plain\n\nSubject: not this one\n--zz--\n",
		"Subject: crlf\r\nFrom: x@y\r\nIn-Reply-To: <a@b>\r\n\r\nbody\r\n\r\nmore\r\n",
		"Subject: no body at all\nFrom: x@y\n",
		"\nFrom: not a header\n",
		"",
	};
	char			 root[256];
	struct idb		*db;
	struct idb_sync		 s;
	struct idb_cached	 full, head, got;
	struct buf		 b;
	const char		*err = NULL;
	size_t			 i, n = sizeof(msgs) / sizeof(msgs[0]);
	int			 k, rc;

	for (i = 0; i < n; i++) {
		T_EQ_INT(idb_cache_build(msgs[i], strlen(msgs[i]), &full), 0);
		T_EQ_INT(idb_cache_build_head(msgs[i], strlen(msgs[i]), &head), 0);
		T_EQ_INT(head.item[IDB_C_ENVELOPE].len, full.item[IDB_C_ENVELOPE].len);
		T_ASSERT(memcmp(head.item[IDB_C_ENVELOPE].data,
		    full.item[IDB_C_ENVELOPE].data, full.item[IDB_C_ENVELOPE].len) == 0);
		T_EQ_INT(head.item[IDB_C_FIELDS].len, full.item[IDB_C_FIELDS].len);
		T_ASSERT(memcmp(head.item[IDB_C_FIELDS].data,
		    full.item[IDB_C_FIELDS].data, full.item[IDB_C_FIELDS].len) == 0);
		idb_cached_free(&full);
		idb_cached_free(&head);
	}

	mkroot(root, sizeof(root), "cachehead");
	OKE(idb_open(root, &db, &err));
	OKE(idb_sync(db, root, "", 0, &s, &err));
	/* UIDs 2, 4, ... 40 get the head items, 3 the whole parse. */
	for (i = 2; i <= 40; i += 2) {
		char	 m[64];

		snprintf(m, sizeof(m), "Subject: number %zu\n\nx\n", i);
		T_EQ_INT(idb_cache_build_head(m, strlen(m), &head), 0);
		OKE(idb_cache_put_head(db, s.f.id, (uint32_t)i, &head, &err));
		idb_cached_free(&head);
	}
	T_EQ_INT(idb_cache_build(msgs[0], strlen(msgs[0]), &full), 0);
	OKE(idb_cache_put(db, s.f.id, 3, &full, &err));
	OKE(idb_read_begin(db, &err));
	buf_init(&b, 0);
	/* Ascending, with gaps and misses; then backwards; then a jump. */
	for (k = 1; k <= 41; k++) {
		b.len = 0;
		rc = idb_cache_head(db, s.f.id, (uint32_t)k, IDB_C_ENVELOPE,
		    &b, &err);
		T_EQ_INT(rc, k >= 2 && k <= 40 && (k % 2 == 0 || k == 3));
		if (rc == 1 && k != 3)
			T_ASSERT(memmem(b.data, b.len, "number", 6) != NULL);
	}
	for (k = 40; k >= 2; k -= 2) {
		b.len = 0;
		T_EQ_INT(idb_cache_head(db, s.f.id, (uint32_t)k, IDB_C_FIELDS, &b,
		    &err), 1);
		T_ASSERT(b.len > 4 && memcmp(b.data, "TGSF", 4) == 0);
	}
	b.len = 0;
	T_EQ_INT(idb_cache_head(db, s.f.id, 3, IDB_C_ENVELOPE, &b, &err), 1);
	T_EQ_INT(b.len, full.item[IDB_C_ENVELOPE].len);
	idb_read_end(db);
	/* Head items alone are not a whole entry: the rest is built when asked. */
	OKE(idb_cache_get(db, s.f.id, 4, &got, &err));
	T_EQ_INT(got.have, 0);
	idb_cached_free(&got);
	OKE(idb_cache_get(db, s.f.id, 3, &got, &err));
	T_EQ_INT(got.have, 1);
	T_EQ_INT(got.item[IDB_C_MIME].len, full.item[IDB_C_MIME].len);
	idb_cached_free(&got);
	idb_cached_free(&full);
	buf_free(&b);
	idb_sync_free(&s);
	idb_close(&db);
}

static void
t_uidlist_parse(void)
{
	struct uidlist	 l;
	const char	*err = NULL;
	const char	 v1[] = "1 1000 5\n1 a.b.c:2,S\n3 d.e.f\n2 g.h\n";
	const char	 v3[] = "3 V99 N2 Gabc\n5 :x.y\n4 :z\n7 W12 S10 :q.r:2,RS\n8 :torn";
	const char	 bad[] = "3 N2\n1 :a\n";

	T_ASSERT(uidlist_parse(v1, sizeof(v1) - 1, &l, &err) == 0);
	T_EQ_INT(l.version, 1);
	T_EQ_INT(l.uidvalidity, 1000);
	T_EQ_INT(l.n, 2);		/* 2 after 3 does not increase */
	T_EQ_STR(l.v[0].base, "a.b.c");
	T_EQ_INT(l.uidnext, 5);
	uidlist_free(&l);
	T_ASSERT(uidlist_parse(v3, sizeof(v3) - 1, &l, &err) == 0);
	T_EQ_INT(l.uidvalidity, 99);
	T_EQ_INT(l.n, 2);
	T_EQ_STR(l.v[1].base, "q.r");
	T_EQ_INT(l.v[1].uid, 7);
	T_EQ_INT(l.uidnext, 8);		/* raised past the last UID */
	T_EQ_INT(l.skipped, 2);
	uidlist_free(&l);
	T_ASSERT(uidlist_parse(bad, sizeof(bad) - 1, &l, &err) == -1);
}

static void
t_keywords_parse(void)
{
	struct keywords	 k;
	const char	 t[] = "0 $Forwarded\n3 Junk\n3 Dup\n30 Far\n1 bad(name\n2 \\Seen\n4 junk\n";

	T_ASSERT(keywords_parse(t, sizeof(t) - 1, &k) == 0);
	T_EQ_STR(k.name[0], "$Forwarded");
	T_EQ_STR(k.name[3], "Junk");
	T_ASSERT(k.name[1] == NULL);
	T_ASSERT(k.name[2] == NULL);
	T_ASSERT(k.name[4] == NULL);	/* the same keyword without case */
	T_EQ_INT(keywords_find(&k, "junk", 4), 3);
	keywords_free(&k);
}

void
test_main(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/test_imap_index.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	t_run("uidlist_parse", t_uidlist_parse);
	t_run("keywords_parse", t_keywords_parse);
	t_run("uids", t_uids);
	t_run("rebuild", t_rebuild);
	t_run("dovecot_import", t_dovecot_import);
	t_run("events", t_events);
	t_run("expunge_copy_move", t_expunge_copy_move);
	t_run("store_unchanged", t_store_unchanged);
	t_run("folder_forget", t_folder_forget);
	t_run("cache_head", t_cache_head);
	rmtree(tdir);
}
