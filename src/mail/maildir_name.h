/* Maildir file names: base (the POP3 UIDL), S= and W= sizes, ":2," flags, new unique names. No I/O. */
#ifndef TEGAMI_MAILDIR_NAME_H
#define TEGAMI_MAILDIR_NAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * A name is BASE[:INFO]. BASE is UNIQ[,FIELD...], UNIQ being
 * TIME.M<usec>P<pid>Q<n>.HOST for names tegami makes, and the fields
 * Maildir++'s S=<size> and Dovecot's W=<virtual size> (the size with CRLF
 * line ends). INFO is "2," and the flag letters. The base never changes
 * while the message lives, so it is the message's identity: the POP3 UIDL
 * (as qmail-pop3d and vpopmail gave it) and the key of the IMAP index.
 */
#define MAILDIR_NAME_MAX	255	/* a whole file name: NAME_MAX */
#define MAILDIR_BASE_MAX	200	/* bases we make: room for ":2," and 52 letters */

/*
 * A set of flag characters. The Maildir spec defines the capital letters
 * D F P R S T; Dovecot writes IMAP keywords as the lowercase letters a-z
 * (their names live in its dovecot-keywords file). Any other printable
 * ASCII character but '/', ',' and ':' is kept too, so a flag change never
 * drops a letter another program put there.
 */
struct maildir_flags {
	uint64_t	 bits[2];
};

/* The system flags, as a bit mask. */
#define MAILDIR_F_DRAFT		0x01	/* D  \Draft */
#define MAILDIR_F_FLAGGED	0x02	/* F  \Flagged */
#define MAILDIR_F_PASSED	0x04	/* P  forwarded, bounced; no IMAP flag */
#define MAILDIR_F_ANSWERED	0x08	/* R  \Answered (replied) */
#define MAILDIR_F_SEEN		0x10	/* S  \Seen */
#define MAILDIR_F_DELETED	0x20	/* T  \Deleted (trashed) */
#define MAILDIR_F_ALL		0x3f

enum maildir_info {
	MAILDIR_INFO_NONE,	/* no ':' (a message in new/, usually) */
	MAILDIR_INFO_2,		/* ":2,FLAGS" */
	MAILDIR_INFO_OTHER,	/* ":1,..." or anything else: no flags known */
};

struct maildir_name {
	size_t			 base_len;	/* name[0..base_len): before the first ':' */
	size_t			 uniq_len;	/* name[0..uniq_len): before the first ',' of the base */
	uint64_t		 size;		/* S=, when has_size */
	uint64_t		 vsize;		/* W=, when has_vsize */
	int			 has_size;
	int			 has_vsize;
	enum maildir_info	 info;
	struct maildir_flags	 flags;		/* empty unless MAILDIR_INFO_2 */
};

/*
 * Parses name[0..len). -1 for what is not a message file name: empty,
 * longer than MAILDIR_NAME_MAX, starting with '.' (Maildir readers skip dot
 * files), an empty base, or a '/', NUL, control byte or DEL anywhere.
 * A malformed S= or W= is not an error: the size is then unknown (the first
 * of each counts). Characters of the flags that cannot be flags are ignored.
 */
int	 maildir_name_parse(const char *name, size_t len, struct maildir_name *);

/*
 * The seconds a name starts with ("SECONDS.", as tegami, Dovecot and
 * qmail name deliveries), else -1.
 */
int64_t	 maildir_name_time(const char *name);

/*
 * Writes to dst the base of name (any of its info replaced) followed by
 * ":2," and the flags in ASCII order: capitals first, then keywords, as
 * the Maildir spec and Dovecot write them. dst may be name. Returns the
 * length, or -1 when name does not parse, or the result would be longer
 * than MAILDIR_NAME_MAX or not fit dstlen with its NUL.
 */
int	 maildir_name_set_flags(char *dst, size_t dstlen, const char *name,
	    const struct maildir_flags *);

/* What a new unique name is made of: the clock, the process, a counter. */
struct maildir_newname {
	int64_t		 sec;
	long		 usec;		/* 0..999999 */
	long		 pid;
	unsigned	 seq;		/* per-process counter, unique within a microsecond */
	const char	*host;
	uint64_t	 size;		/* written as ,S= when has_size */
	uint64_t	 vsize;		/* written as ,W= when has_vsize */
	int		 has_size;
	int		 has_vsize;
};

/*
 * TIME.M<usec>P<pid>Q<seq>.HOST[,S=<size>][,W=<vsize>]. In HOST, '/' and
 * ':' (which cannot be in a file name that carries ":2,"), ',' (which would
 * end the base's first field), control bytes, space, DEL and non-ASCII
 * bytes are written as octal escapes (\057), as the Maildir spec says, so
 * a base is printable ASCII (RFC 1939's UIDL alphabet). The host is cut so
 * the whole stays within MAILDIR_BASE_MAX. Returns the length, or -1 when
 * dstlen is too small or a number is out of range.
 */
int	 maildir_name_make(char *dst, size_t dstlen, const struct maildir_newname *);

/* Flag sets. A character that cannot be a flag is refused with -1. */
void	 maildir_flags_clear(struct maildir_flags *);
int	 maildir_flags_add(struct maildir_flags *, int c);
void	 maildir_flags_del(struct maildir_flags *, int c);
int	 maildir_flags_has(const struct maildir_flags *, int c);
int	 maildir_flags_equal(const struct maildir_flags *, const struct maildir_flags *);
/* Adds every flag character of s[0..len), ignoring the others. */
void	 maildir_flags_add_str(struct maildir_flags *, const char *s, size_t len);
/* The letters in ASCII order, NUL-terminated; returns their count. dst needs 95 bytes. */
size_t	 maildir_flags_format(const struct maildir_flags *, char *dst, size_t dstlen);

/* The system flags (MAILDIR_F_*) of a set; setting them leaves other letters alone. */
unsigned maildir_flags_sys(const struct maildir_flags *);
void	 maildir_flags_set_sys(struct maildir_flags *, unsigned mask);
/* Keyword letters a-z as bits 0-25. */
uint32_t maildir_flags_keywords(const struct maildir_flags *);
void	 maildir_flags_set_keywords(struct maildir_flags *, uint32_t mask);

/* One system flag (a single MAILDIR_F_* bit) and its letter, or 0. */
int	 maildir_flag_letter(unsigned flag);
unsigned maildir_flag_of_letter(int c);
/* Its IMAP name ("\Seen"), or NULL (Passed has none). */
const char *maildir_flag_imap(unsigned flag);
/* The MAILDIR_F_* bit of an IMAP system flag, case-insensitive; 0 if none (\Recent is not stored). */
unsigned maildir_flag_from_imap(const char *s, size_t len);

#endif
