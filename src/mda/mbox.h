/* mbox delivery: mboxrd From-quoting, fcntl and dot locking, all or nothing. */
#ifndef TEGAMI_MBOX_H
#define TEGAMI_MBOX_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "mail/deliver.h"

/*
 * Appends one message to the mbox at path (usually /var/mail/USER): the
 * "From SENDER DATE" line (sender "" is MAILER-DAEMON, date in asctime form,
 * local time), header then len bytes of msgfd from offset, CRLF turned into
 * LF, lines matching ^>*From  given one more '>' (mboxrd), a final newline
 * if missing and a blank line. The file is locked with path.lock (O_EXCL,
 * stale after 5 minutes; skipped when the directory does not let us create
 * it) and an fcntl write lock; on any failure it is cut back to its old size
 * so no reader ever sees half a message; it is fsync'd before DELIVER_OK.
 * A lock still held after the wait (mbox_set_lock_wait) is TEMPFAIL; a path
 * that is a directory or not a regular file is PERMFAIL. errstr points to
 * per-thread storage valid until the thread's next delivery.
 */
enum deliver_result mbox_deliver(const char *path, const char *sender,
	    time_t when, const char *header, size_t headerlen, int msgfd,
	    off_t offset, size_t len, const char **errstr);

/* How long a delivery waits for either lock before TEMPFAIL (default 20 s). */
void	 mbox_set_lock_wait(unsigned int ms);

#endif
