/* The spool on disk: queue files, their commit, scan at start-up, quarantine. */
#ifndef TEGAMI_SPOOL_H
#define TEGAMI_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "mail/envelope.h"

/*
 * Layout under the spool root (see docs/queue.md):
 *   incoming/ID   being received: message bytes only, no trailer yet
 *   queue/ID      committed: message, envelope text, trailer
 *   corrupt/ID    quarantined: a queue file whose trailer is missing or wrong
 * A queue file is  [message][envelope text][trailer line]  where the trailer
 * is "\nTEGAMI-TRAILER v1 <msglen> <envlen>\n" padded to SPOOL_TRAILER_LEN.
 */
#define SPOOL_TRAILER_LEN	64

struct spool {
	char	*root;
	int	 incoming_fd;	/* directory fds */
	int	 queue_fd;
	int	 corrupt_fd;
};

/* Creates the directories (mode 0700) if needed and opens them. */
int	 spool_open(struct spool *, const char *root, const char **errstr);
void	 spool_close(struct spool *);

/* New random 16-hex-digit id; a clash fails spool_create or the commit (EEXIST). */
void	 spool_new_id(char id[17]);

/* Creates incoming/ID for writing (O_EXCL, 0600, O_RDWR); returns the fd or -1. */
int	 spool_create(struct spool *, const char *id);

/*
 * Commits incoming/ID: appends the envelope and trailer after msglen bytes of
 * message (the fd's current content), fsyncs the file, renames it into
 * queue/, fsyncs queue/. Blocking: run it off the event loop. On failure the
 * incoming file is removed and -1 returned with errno (ENOSPC, EDQUOT: the
 * caller answers 452 4.3.1; EINVAL: the envelope cannot be stored or its id
 * is not ID). The fd stays open and the caller's to close. Nothing is left
 * in queue/ after a failure.
 */
int	 spool_commit(struct spool *, const char *id, int fd, size_t msglen,
	    struct envelope *);
/* Removes incoming/ID (aborted transaction). */
void	 spool_abort(struct spool *, const char *id);

/*
 * Opens queue/ID and reads its envelope. Returns the fd (read-write, so the
 * state bytes can be rewritten), *msglen is the message length at offset 0.
 * A file without a valid trailer is moved to corrupt/ and -1 returned with
 * *errstr set (static text) and errno EBADMSG; any other errno (ENOENT, EIO)
 * means the file was left where it is. The envelope is initialised here;
 * on success the caller frees it with envelope_free and closes the fd.
 */
int	 spool_load(struct spool *, const char *id, struct envelope *,
	    size_t *msglen, const char **errstr);
/* Rewrites one delivery's state byte in place (no fsync: see docs/queue.md). */
int	 spool_set_state(int fd, struct delivery *, enum delivery_state);
/* Removes queue/ID when every delivery is done or failed. */
int	 spool_remove(struct spool *, const char *id);

/* Calls fn for every id in queue/; removes stale incoming/ files (never committed). */
int	 spool_scan(struct spool *, void (*fn)(const char *id, void *), void *arg);

/* 1 if id is 16 lowercase hex digits (a name spool functions accept). */
int	 spool_valid_id(const char *id);
/* The trailer record, exposed for tests and the fuzzer. */
void	 spool_trailer_format(char out[SPOOL_TRAILER_LEN], size_t msglen,
	    size_t envlen);
/* 0 if t (len must be SPOOL_TRAILER_LEN) is a well-formed trailer; -1 if not. */
int	 spool_trailer_parse(const char *t, size_t len, size_t *msglen,
	    size_t *envlen);

#endif
