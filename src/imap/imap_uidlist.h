/* Dovecot's UID list (dovecot-uidlist) and keyword names (dovecot-keywords) of a Maildir folder: parse, read, write. */
#ifndef TEGAMI_IMAP_UIDLIST_H
#define TEGAMI_IMAP_UIDLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * dovecot-uidlist, in each folder's Maildir, maps message base names to
 * IMAP UIDs. Version 3 (Dovecot 1.1 and later):
 *
 *	3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1
 *	1 :1275660208.M1P2.host,S=123
 *	7 W1234 :1275660209.M3P4.host,S=1200
 *
 * a header of lettered fields (V the UIDVALIDITY, N the next UID, others
 * ignored), then one line per message: its UID, optional lettered fields,
 * and ':' followed by the file name. Version 1 (Courier's courierimapuiddb
 * form) is "1 UIDVALIDITY NEXTUID" and lines "UID NAME"; version 2 has the
 * lettered header of 3 and lines of either form. The name is cut at its
 * first ':' (a name with ":2,FLAGS" names the same message).
 *
 * tegami reads the file when its index has no folder (a user moved from
 * Dovecot keeps UIDs and UIDVALIDITY), and writes it in version 3 form so
 * that a lost index loses no UID (docs/imap.md). Writers take Dovecot's
 * lock, dovecot-uidlist.lock, created exclusively.
 *
 * Limits against a hostile or broken file: UIDLIST_FILE_MAX bytes,
 * UIDLIST_LINE_MAX bytes a line; UIDs must increase from line to line
 * (later lines that do not are skipped and counted), a name must parse as
 * a Maildir name.
 */
#define UIDLIST_FILE_MAX	((size_t)256 * 1024 * 1024)
#define UIDLIST_LINE_MAX	1024

struct uidlist_entry {
	uint32_t	 uid;
	uint16_t	 len;		/* of the base */
	char		*base;		/* the name up to its first ':', NUL-terminated */
};

struct uidlist {
	int			 version;	/* 1, 2 or 3 */
	uint32_t		 uidvalidity;
	uint32_t		 uidnext;	/* the header's, raised past the last UID */
	struct uidlist_entry	*v;		/* ascending UIDs */
	size_t			 n;
	size_t			 skipped;	/* lines that were not entries */
	char			*strs;		/* private: the bases */
};

/*
 * Parses the text of a dovecot-uidlist. -1 (with errstr) when the header
 * is not one of the three versions, has no UIDVALIDITY, or the text is
 * over UIDLIST_FILE_MAX; malformed lines after the header are skipped.
 */
int	 uidlist_parse(const char *text, size_t len, struct uidlist *,
	    const char **errstr);
void	 uidlist_free(struct uidlist *);

/* What a file looked like when read or written: a changed one is read again. */
struct uidlist_stamp {
	int64_t		 ino;
	int64_t		 size;
	int64_t		 mtime_ns;
};

/*
 * Reads dir/dovecot-uidlist. Returns 1 with the list and its stamp, 0 when
 * there is none or it does not parse (stamp zeroed), -1 on an I/O error.
 */
int	 uidlist_read(const char *dir, struct uidlist *, struct uidlist_stamp *,
	    const char **errstr);
/* The stamp of dir/dovecot-uidlist as it is now (zeroed when missing). */
void	 uidlist_stamp(const char *dir, struct uidlist_stamp *);
int	 uidlist_stamp_equal(const struct uidlist_stamp *,
	    const struct uidlist_stamp *);

/*
 * Rewrites the whole file (under the lock: written into the lock file,
 * fsync'd, renamed over the file) with header V and N and the entries,
 * which must be in ascending UID order. stamp gets the new file's.
 */
int	 uidlist_write(const char *dir, uint32_t uidvalidity, uint32_t uidnext,
	    const struct uidlist_entry *, size_t n, struct uidlist_stamp *,
	    const char **errstr);
/*
 * Appends entries (UIDs above every UID in the file) under the lock with
 * one write, as Dovecot adds new messages; a missing file is written whole
 * with uidvalidity and uidnext. stamp gets the new file's.
 */
int	 uidlist_append(const char *dir, uint32_t uidvalidity, uint32_t uidnext,
	    const struct uidlist_entry *, size_t n, struct uidlist_stamp *,
	    const char **errstr);

/*
 * dovecot-keywords: "INDEX NAME" lines, INDEX 0 for the letter 'a' of
 * Maildir flags up to 25 for 'z'. Names must be IMAP atoms that are not
 * system flags; other lines are skipped.
 */
#define KEYWORDS_MAX		26
#define KEYWORDS_FILE_MAX	(64 * 1024)
#define KEYWORD_LEN_MAX		128

struct keywords {
	char	*name[KEYWORDS_MAX];	/* NULL: the letter is unused */
};

int	 keywords_parse(const char *text, size_t len, struct keywords *);
void	 keywords_free(struct keywords *);
/* Reads dir/dovecot-keywords; a missing or unreadable file is no keywords. */
void	 keywords_read(const char *dir, struct keywords *);
/* Rewrites dir/dovecot-keywords under Dovecot's lock (dovecot-keywords.lock). */
int	 keywords_write(const char *dir, const struct keywords *, const char **errstr);
/* The index of name (case-insensitive, as IMAP keywords compare), or -1. */
int	 keywords_find(const struct keywords *, const char *name, size_t len);
/* 1 when name may be a keyword: an atom, not starting with '\', not too long. */
int	 keyword_valid(const char *name, size_t len);

#endif
