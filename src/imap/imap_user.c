/* One user of the mailbox process: its index, and its jobs run one at a time on the worker pool. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mailbox/mailbox.h"
#include "store/folder.h"

/*
 * Jobs of one user run in order and one at a time: the index has one
 * SQLite connection, and a change (a STORE, an EXPUNGE) must reach the
 * views before the next job reads what it changed. Jobs of different
 * users run side by side on the pool.
 */

static struct map	*users;

/* The user's index file, as stat(2) finds it now. */
static int
index_stat(const struct imap_user *u, struct stat *st)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/" IDB_FILE, u->root);
	return stat(path, st);
}

/* Whether the index file at root is still the one the user's db has open. */
static int
index_replaced(const struct imap_user *u)
{
	struct stat	 st;

	/* db_dev and db_ino are written by a job: read them only between jobs. */
	if (u->running || u->db_ino == 0)
		return 0;
	return index_stat(u, &st) == -1 || st.st_dev != u->db_dev ||
	    st.st_ino != u->db_ino;
}

struct imap_user *
imap_user_get(const char *root)
{
	struct imap_user	*u;

	if (users == NULL)
		users = map_new();
	/*
	 * Only lingering views hold a user without sessions. If its index was
	 * removed meanwhile (a damaged index deleted by hand, a restore), they
	 * describe a database that is gone: drop them, and have the next job
	 * open the file anew, which rebuilds it from the Maildir.
	 */
	if ((u = map_get(users, root)) != NULL && TAILQ_EMPTY(&u->sessions) &&
	    index_replaced(u)) {
		imap_view_drop_lingering(u);
		if ((u = map_get(users, root)) != NULL)
			atomic_store(&u->reopen, 1);
	}
	if ((u = map_get(users, root)) != NULL) {
		u->refs++;
		return u;
	}
	u = xcalloc(1, sizeof(*u));
	u->root = xstrdup(root);
	u->refs = 1;
	TAILQ_INIT(&u->jobs);
	TAILQ_INIT(&u->views);
	TAILQ_INIT(&u->sessions);
	map_set(users, root, u);
	return u;
}

void
imap_user_ref(struct imap_user *u)
{
	u->refs++;
}

static void
user_free(struct imap_user *u)
{
	map_del(users, u->root);
	/* The index is closed on the loop: no job of this user runs now. */
	idb_close(&u->db);
	free(u->root);
	free(u);
}

void
imap_user_unref(struct imap_user *u)
{
	if (--u->refs == 0)
		user_free(u);
}

static void	job_start(struct imap_user *);

static void
job_work(void *arg)
{
	struct imap_job	*j = arg;
	struct imap_user *u = j->user;

	if (u->db != NULL && idb_broken(u->db)) {
		/* A cache: the next open starts afresh and reads the UID lists. */
		log_msg(LOG_WARNING, "imap index root=%s is damaged, rebuilding",
		    u->root);
		idb_close(&u->db);
		idb_remove(u->root);
	}
	if (atomic_exchange(&u->reopen, 0) && u->db != NULL)
		idb_close(&u->db);
	if (u->db == NULL) {
		struct stat	 st;

		/*
		 * A new user's first login: INBOX and the special folders
		 * (and the root the index goes into). Running it again
		 * changes nothing.
		 */
		if (folder_create_defaults(u->root, &u->db_error) == -1 ||
		    idb_open(u->root, &u->db, &u->db_error) == -1)
			u->db = NULL;
		if (u->db != NULL && index_stat(u, &st) == 0) {
			u->db_dev = st.st_dev;
			u->db_ino = st.st_ino;
		}
	}
	j->work(u->db, j->arg);
}

static void
job_done(void *arg)
{
	struct imap_job	*j = arg;
	struct imap_user *u = j->user;

	/*
	 * The user counts as busy while done runs: a job it asks for waits in
	 * the queue behind the events flushed below. Started at once, it would
	 * keep the events from ever being flushed (a NOOP or CHECK waiting for
	 * them would then ask again, for ever).
	 */
	if (j->done != NULL)
		j->done(j->arg);
	free(j);
	u->running = 0;
	/* What inotify saw meanwhile is filtered against the views now up to date. */
	imap_view_flush_events(u);
	job_start(u);
	imap_user_unref(u);
}

static void
job_start(struct imap_user *u)
{
	struct imap_job	*j;

	if (u->running || (j = TAILQ_FIRST(&u->jobs)) == NULL)
		return;
	TAILQ_REMOVE(&u->jobs, j, entry);
	u->running = 1;
	pool_run(mailbox_pool(), job_work, job_done, j);
}

void
imap_job(struct imap_user *u, imap_work_fn work, imap_done_fn done, void *arg)
{
	struct imap_job	*j = xcalloc(1, sizeof(*j));

	j->user = u;
	j->work = work;
	j->done = done;
	j->arg = arg;
	u->refs++;
	TAILQ_INSERT_TAIL(&u->jobs, j, entry);
	job_start(u);
}
