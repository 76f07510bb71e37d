/* Internals of the IMAP engine: users, shared folder views, sessions and the pieces commands share. */
#ifndef TEGAMI_IMAP_PRIV_H
#define TEGAMI_IMAP_PRIV_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_index.h"
#include "imap/imap_uidlist.h"
#include "lib/buf.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"
#include "mail/imap_write.h"

struct conn;
struct event;
struct event_base;
struct mailbox_client;
struct imap_session;
struct imap_view;

/* ---- limits (docs/imap.md) ---- */
#define IMAP_AUTOLOGOUT_SECS	(30 * 60)	/* RFC 9051 5.4: at least 30 minutes */
#define IMAP_WRITE_SECS		(10 * 60)	/* output pending and none of it taken */
#define IMAP_BAD_MAX		20		/* BAD answers in a row, then BYE */
#define IMAP_APPENDLIMIT_DEFAULT ((uint64_t)35 * 1024 * 1024)
/* FETCH output is made in steps of about this much, as the client reads. */
#define IMAP_FETCH_STEP		(128 * 1024)
/* Messages whose data the loop itself writes per step (FLAGS, UID...). */
#define IMAP_FETCH_STEP_MSGS	2000

/* ---- the user: one per Maildir root in this process ---- */

typedef void	(*imap_work_fn)(struct idb *, void *);
typedef void	(*imap_done_fn)(void *);

struct imap_job {
	TAILQ_ENTRY(imap_job)	 entry;
	struct imap_user	*user;
	imap_work_fn		 work;
	imap_done_fn		 done;
	void			*arg;
};

TAILQ_HEAD(imap_jobq, imap_job);
TAILQ_HEAD(imap_viewq, imap_view);
TAILQ_HEAD(imap_sessq, imap_session);

struct imap_user {
	char			*root;
	unsigned		 refs;		/* sessions, views and queued jobs */
	struct idb		*db;		/* touched by jobs only */
	const char		*db_error;	/* why it could not be opened */
	struct imap_jobq	 jobs;
	int			 running;	/* a job is on the pool */
	struct imap_viewq	 views;
	struct imap_sessq	 sessions;
	int			 defaults_done;
	/* The index file the open db is (set by the job that opened it). */
	dev_t			 db_dev;
	ino_t			 db_ino;
	atomic_int		 reopen;	/* the file was replaced: the next job opens it anew */
};

struct imap_user *imap_user_get(const char *root);
void		 imap_user_ref(struct imap_user *);
void		 imap_user_unref(struct imap_user *);
/*
 * Runs work(db, arg) on a worker with the user's index to itself (jobs of
 * one user run one at a time, in order), then done(arg) on the loop.
 * db is NULL when the index cannot be opened (u->db_error says why).
 */
void		 imap_job(struct imap_user *, imap_work_fn, imap_done_fn, void *);
struct event_base *imap_base(void);

/* ---- shared views of a folder ---- */

struct imap_view {
	TAILQ_ENTRY(imap_view)	 entry;
	struct imap_user	*user;
	char			*name;		/* IMAP name, UTF-8 */
	char			*dir;		/* "" or ".a.b" */
	unsigned		 refs;
	int			 loaded;
	int			 failed;	/* the first sync failed: errstr */
	char			*error;
	int			 gone;		/* deleted or renamed away */
	int64_t			 folder_id;
	uint32_t		 uidvalidity;
	uint32_t		 uidnext;
	uint64_t		 modseq;
	uint32_t		 recent;	/* first UID no session has had as \Recent */
	struct imsg		*msgs;		/* ascending UIDs */
	size_t			 n, cap;
	uint32_t		*hash;		/* base -> index + 1 */
	size_t			 hashcap;
	int			 hash_ok;	/* hash is of msgs (built when first asked) */
	struct keywords		 kw;
	struct imap_sessq	 sessions;
	unsigned		 rw;		/* sessions that selected it read-write */
	int			 wd_new, wd_cur;
	struct idb_event	*ev;		/* inotify events not given to a job yet */
	size_t			 nev, evcap;
	int			 ev_job;	/* an events job is queued */
	int			 overflow;	/* rescan: events were lost */
	struct imap_sessq	 waiting;	/* SELECT waiting for the first sync */
	struct event		*linger;	/* no reference left: freed when it fires */
	int			 lingering;	/* linger is pending */
	int			 expired;	/* linger fired while a job held it */
	int			 touched;	/* has events from the inotify read in progress */
	int			 dated;		/* no message is IDB_UNDATED (imap_dates.c) */
};

/*
 * A view no session holds any more stays loaded this long, its inotify
 * watches on, so that the next SELECT of the folder (a client that
 * reconnects, or opens a second connection) reads no index: loading
 * 100,000 messages' rows costs about 50 ms of CPU.
 */
#define VIEW_LINGER_SECS	60

/* The view of dir, made (and its first sync queued) if there is none. */
struct imap_view *imap_view_get(struct imap_user *, const char *dir,
		    const char *name);
void		 imap_view_ref(struct imap_view *);
void		 imap_view_unref(struct imap_view *);
/* Frees the user's views that no session holds (its index file was replaced). */
/* Runs then(s) once s's view has no inotify events waiting (a job applies them first). */
void		 imap_view_barrier(struct imap_session *, void (*)(struct imap_session *));
/* Gives the view's waiting inotify events to a job, unless its user runs one. */
void		 imap_view_flush(struct imap_view *);
void		 imap_view_drop_lingering(struct imap_user *);
/* The view of dir if one is open. */
struct imap_view *imap_view_find(struct imap_user *, const char *dir);
/* Index of uid in msgs, or -1. */
ssize_t		 imap_view_find_uid(const struct imap_view *, uint32_t uid);
/* Index of the first message with a UID above uid. */
size_t		 imap_view_upper(const struct imap_view *, uint32_t uid);
/*
 * Applies a change the index made (in the order jobs finish) and tells
 * every session of the view; from is the session whose command made it
 * (NULL for inotify). added apply when to_view is this view.
 */
void		 imap_view_apply(struct imap_view *, struct idb_delta *,
		    struct imap_session *from);
/* Adds delta->added to the view (COPY/MOVE/APPEND target). */
void		 imap_view_add(struct imap_view *, struct idb_delta *);
/* Gives events waiting in views of u to jobs (when no job of u runs). */
void		 imap_view_flush_events(struct imap_user *);
/* inotify found a change in the view's directories. */
void		 imap_view_event(struct imap_view *, const char *name, int sub,
		    int gone);
void		 imap_view_overflow(struct imap_view *);
/* The folder was deleted by a session of this process: its sessions are closed. */
void		 imap_view_gone(struct imap_user *, const char *dir, int children);
/* RENAME by a session of this process: views of from and its children follow. */
void		 imap_view_renamed(struct imap_user *, const char *from,
		    const char *to);
/* SELECT read-write: messages still in new/ go to cur/. */
void		 imap_view_to_cur(struct imap_view *);
/* A job that needs the view's messages later: keyword names as an array. */
size_t		 imap_view_kwnames(const struct imap_view *, const char **names,
		    uint32_t *bits);

/* ---- inotify ---- */
int		 imap_notify_add(struct imap_view *, const char *path);
void		 imap_notify_remove(struct imap_view *);
/* Reads what the kernel has queued now (NOOP, IDLE start). */
void		 imap_notify_poll(void);

/* ---- sessions ---- */

/* A message of the session's numbering: vidx is the view's index, or -1 when expunged but not yet told. */
struct imap_smsg {
	uint32_t	 seq;
	uint32_t	 uid;
	int64_t		 vidx;
};

struct imap_cmd;

struct imap_session {
	TAILQ_ENTRY(imap_session) entry;	/* user's sessions */
	TAILQ_ENTRY(imap_session) ventry;	/* view's sessions (or waiting) */
	TAILQ_ENTRY(imap_session) aentry;	/* every session of the process */
	struct mailbox_client	*mc;
	struct imap_user	*user;
	struct conn		*conn;
	struct imap_reader	 rd;
	unsigned		 state;		/* IMAP_ST_* */
	uint64_t		 caps;
	unsigned		 enabled;	/* IMAP_ENA_* */
	uint64_t		 appendlimit;

	/* selected */
	struct imap_view	*view;
	int			 readonly;
	int			 waiting_view;	/* in view->waiting */
	uint32_t		 uid_hwm;	/* highest UID told by EXISTS */
	uint32_t		*pend;		/* expunged, not told yet (ascending) */
	size_t			 npend, pendcap;
	uint64_t		 flags_modseq;	/* FETCH FLAGS told up to this MODSEQ */
	uint32_t		 recent_lo, recent_hi;	/* \Recent: [lo, hi) */
	uint32_t		*saved;		/* "$" (RFC 5182) */
	size_t			 nsaved;

	/* the command in progress */
	struct imap_request	*req;
	struct imap_cmd		*cmd;		/* the running command's state */
	int			 busy;		/* waiting for a job or output */
	int			 idling;
	int			 closing;
	int			 freed;		/* free once no job holds it */
	unsigned		 jobs;		/* jobs holding the session */
	unsigned		 bad;		/* BAD in a row */
	int			 logout;
	int			 in_process;
	struct buf		 out;
};

/* What a command keeps while it waits; freed by imap_cmd_finish. */
struct imap_cmd {
	void	(*free)(struct imap_session *, struct imap_cmd *);
	/* Output drained (CONN_EV_OUTPUT): go on producing. */
	void	(*resume)(struct imap_session *, struct imap_cmd *);
	/* APPEND: message literal data. */
	int	(*data)(struct imap_session *, struct imap_cmd *, const char *,
		    size_t, int last);
};

/* Writing. */
void		 imap_send(struct imap_session *, const struct buf *);
void		 imap_sendf(struct imap_session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* "tag OK text" and the like, with one code. */
void		 imap_tagged(struct imap_session *, enum imap_resp, enum imap_code,
		    const char *text);
void		 imap_tagged_num(struct imap_session *, enum imap_resp,
		    enum imap_code, uint64_t, const char *text);
void		 imap_untagged(struct imap_session *, enum imap_resp,
		    enum imap_code, const char *text);
/*
 * The command's end: untagged updates (expunges unless the command
 * forbids them, RFC 9051 7.5.1), the tagged line, then imap_cmd_finish.
 */
void		 imap_complete(struct imap_session *, enum imap_resp,
		    enum imap_code, const char *text);
/* Ends the command in progress: frees it and reads the next one. */
void		 imap_cmd_finish(struct imap_session *);
/* The command waits (a job, output): nothing more is read until finish. */
void		 imap_cmd_wait(struct imap_session *, struct imap_cmd *);
/* Jobs that hold a session keep it from being freed. */
void		 imap_session_hold(struct imap_session *);
/* 1 when the session went away while held: the caller drops it (then it is freed). */
int		 imap_session_release(struct imap_session *);
void		 imap_session_close(struct imap_session *, const char *bye);
/* A view the session selected changed (another session, inotify). */
void		 imap_session_changed(struct imap_session *);
/* The first sync of the view SELECT waited for is done. */
void		 imap_session_view_ready(struct imap_session *);
void		 imap_session_process(struct imap_session *);
/* String flags for responses: 1 when UTF-8 may be sent quoted. */
unsigned	 imap_wflags(const struct imap_session *);
/* The capabilities as sent after login. */
void		 imap_write_capability(struct imap_session *, struct buf *);

/* Untagged updates at the points RFC 9051 7.5.1 allows. */
#define IMAP_REPORT_EXPUNGE	0x01	/* EXPUNGE/VANISHED may be sent */
void		 imap_report(struct imap_session *, int flags);
/* Leaves the selected state (UNSELECT, CLOSE, a new SELECT, logout). */
void		 imap_unselect(struct imap_session *);

/* The session's numbering. */
uint32_t	 imap_count(const struct imap_session *);
/* Message sequence number of view index idx (it must be known to the session). */
uint32_t	 imap_seq_of(const struct imap_session *, size_t idx);
/*
 * Resolves a set: sequence numbers (uid 0) or UIDs, "$" included, to
 * messages in ascending order. Returns the count; *out is malloc'ed.
 * UIDs not in the session's mailbox are left out; expunged messages not
 * yet told are given with vidx -1. IMAP_RESOLVE_BAD (nothing allocated)
 * for sequence numbers past the last message: the command is BAD.
 */
#define IMAP_RESOLVE_BAD	((size_t)-1)
size_t		 imap_resolve(struct imap_session *, const struct imap_seqset *,
		    int uid, struct imap_smsg **out);
/* The FLAGS list of a message as the session sees it (\Recent for rev1). */
void		 imap_write_msg_flags(struct imap_session *, struct buf *,
		    const struct imsg *);
int		 imap_is_recent(const struct imap_session *, uint32_t uid);

/* Mailbox names from the client to folder names and directories. */
int		 imap_mbox_name(struct imap_session *, const struct imap_mailbox *,
		    char *name, size_t namelen, char *dir, size_t dirlen,
		    const char **errstr);
/* A folder name as the client reads it (modified UTF-7 unless UTF-8 is on). */
void		 imap_write_mbox(struct imap_session *, struct buf *, const char *name);

/* MAILDIR_F_* of IMAP_FLAG_*. */
unsigned	 imap_maildir_sys(unsigned imap);

/* ---- commands ---- */
typedef void	(*imap_cmd_fn)(struct imap_session *, struct imap_request *);

/* Whether the command reads internal dates (imap_dates.c). */
int	 imap_cmd_needs_dates(const struct imap_request *);
/* Runs then(s, s->req) once every message of s's view has its internal date. */
void	 imap_run_dated(struct imap_session *, imap_cmd_fn then);

void	 imap_cmd_capability(struct imap_session *, struct imap_request *);
void	 imap_cmd_noop(struct imap_session *, struct imap_request *);
void	 imap_cmd_logout(struct imap_session *, struct imap_request *);
void	 imap_cmd_id(struct imap_session *, struct imap_request *);
void	 imap_cmd_enable(struct imap_session *, struct imap_request *);
void	 imap_cmd_namespace(struct imap_session *, struct imap_request *);
void	 imap_cmd_select(struct imap_session *, struct imap_request *);
void	 imap_cmd_unselect(struct imap_session *, struct imap_request *);
void	 imap_cmd_check(struct imap_session *, struct imap_request *);
void	 imap_cmd_create(struct imap_session *, struct imap_request *);
void	 imap_cmd_delete(struct imap_session *, struct imap_request *);
void	 imap_cmd_rename(struct imap_session *, struct imap_request *);
void	 imap_cmd_subscribe(struct imap_session *, struct imap_request *);
void	 imap_cmd_list(struct imap_session *, struct imap_request *);
void	 imap_cmd_status(struct imap_session *, struct imap_request *);
void	 imap_cmd_append(struct imap_session *, struct imap_request *);
void	 imap_cmd_idle(struct imap_session *, struct imap_request *);
void	 imap_cmd_quota(struct imap_session *, struct imap_request *);
void	 imap_cmd_expunge(struct imap_session *, struct imap_request *);
void	 imap_cmd_fetch(struct imap_session *, struct imap_request *);
void	 imap_cmd_store(struct imap_session *, struct imap_request *);
void	 imap_cmd_copy(struct imap_session *, struct imap_request *);
void	 imap_cmd_search(struct imap_session *, struct imap_request *);

/* IDLE's DONE (or anything else) arrived. */
void	 imap_idle_line(struct imap_session *, const char *, size_t);
/* APPEND: a message literal is announced; 0 to take it (streamed), -1 answered and refused. */
int	 imap_append_literal(struct imap_session *, struct imap_request *,
	    const struct imap_lit *);
/* The selected folder's \Recent for a new SELECT: [lo, hi). */
void	 imap_select_done(struct imap_session *);

#endif
