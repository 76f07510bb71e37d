/* Maildir++ quota: the maildirsize file Courier, vpopmail and Dovecot keep in the Maildir root. */
#ifndef TEGAMI_QUOTA_H
#define TEGAMI_QUOTA_H

#include <stddef.h>
#include <stdint.h>

/*
 * maildirsize (Courier's README.maildirquota): the first line is the limit,
 * "10000000S,1000C" (bytes and/or messages; vpopmail writes "52428800S"),
 * each further line "BYTES COUNT" for one change, negative for removals.
 * The usage is the sum of those lines. Adding is one O_APPEND write, no
 * lock, so concurrent writers can race; the file is therefore recalculated
 * from the Maildir (the spec's rules):
 *   - when it is missing, unparsable or QUOTA_FILE_MAX bytes or more;
 *   - when it says "over quota" and it has more than one line of changes or
 *     is older than 15 minutes (so an over-quota Maildir emptied by a
 *     program that does not keep the file is noticed within 15 minutes);
 *   - when the caller's limit differs from the file's first line (the new
 *     file carries the caller's limit).
 * A recalculation counts new/ and cur/ of the root and of every Maildir++
 * folder but .Trash, a size from S= where the name has one (else stat),
 * leaving out messages flagged T (deleted), as Courier and vpopmail do; it
 * writes the file in tmp/, fsyncs it and renames it into place. If a
 * directory changed meanwhile it tries once more, then removes the file so
 * the next check starts again.
 *
 * Functions are reentrant; every path is the Maildir root (a delivery to
 * root/.Junk counts against root).
 */
#define QUOTA_FILE_MAX		5120
#define QUOTA_STALE		(15 * 60)

/* 0 means no limit of that kind. */
struct quota_limit {
	uint64_t	 bytes;
	uint64_t	 count;
};

/* What a maildirsize file says. */
struct quota_file {
	struct quota_limit	 limit;		/* its first line */
	int64_t			 bytes;		/* sum of the lines after it */
	int64_t			 count;
	size_t			 lines;		/* lines after the first */
};

/*
 * Parses the text of a maildirsize file (pure). -1 when it is not one: a
 * first line that is not a comma-separated list of NUMBER LETTER (S bytes,
 * C messages, other letters ignored), a later line that is not two
 * decimal integers separated by blanks, text not ending in a newline, a
 * NUL, a number or sum out of 64-bit range, or QUOTA_FILE_MAX bytes or
 * more.
 */
int	 quota_parse(const char *text, size_t len, struct quota_file *);

/* The first line for a limit: "NS", "NC" or "NS,NC"; "" when there is none. */
void	 quota_format_limit(const struct quota_limit *, char *dst, size_t dstlen);

/* Count .Trash too, as Dovecot does by default. */
#define QUOTA_TRASH	0x01
/* Count messages flagged T (deleted, not yet expunged) too. */
#define QUOTA_DELETED	0x02

struct quota {
	struct quota_limit	 limit;		/* the limit in force */
	int64_t			 bytes;		/* usage */
	int64_t			 count;
	int			 recalculated;	/* the Maildir was counted */
};

enum quota_result {
	QUOTA_OK,
	QUOTA_OVER,	/* the caller answers 552 5.2.2, NO [OVERQUOTA], or defers */
};

/*
 * Whether adding bytes and count fits. The limit is conf when given (the
 * configuration wins), else the file's first line; with neither (no conf
 * and no file, or no limit in either) there is no quota and nothing is read
 * or written. Fits when usage + added <= limit, as the spec says. Returns
 * QUOTA_OK or QUOTA_OVER with the usage in *q (may be NULL), or -1 with
 * errstr.
 */
int	 quota_check(const char *root, const struct quota_limit *conf, int flags,
	    uint64_t bytes, uint64_t count, struct quota *q, const char **errstr);

/* The usage and limit, with the same rules (IMAP GETQUOTA). */
int	 quota_get(const char *root, const struct quota_limit *conf, int flags,
	    struct quota *q, const char **errstr);

/* Counts the Maildir and writes a new maildirsize with limit (which must not be empty). */
int	 quota_recalc(const char *root, const struct quota_limit *limit,
	    int flags, struct quota *q, const char **errstr);

/*
 * Records a change after it happened: one line "BYTES COUNT" appended with
 * O_APPEND in one write (bytes -size and count -1 for a removal). Nothing
 * is done when there is no maildirsize: the next check makes one if a
 * limit applies. Not fsync'd: a line lost in a crash is found again by the
 * next recalculation.
 */
int	 quota_record(const char *root, int64_t bytes, int64_t count,
	    const char **errstr);

#endif
