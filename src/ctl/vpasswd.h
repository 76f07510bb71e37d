/* vpopmail's vpasswd files and qmail's .qmail files, as the importers read them. Pure. */
#ifndef TEGAMI_VPASSWD_H
#define TEGAMI_VPASSWD_H

#include <stddef.h>
#include <stdint.h>

/* Hard limits: these files come from another system, maybe a hostile one. */
#define VPASSWD_LINE_MAX	4096
#define VPASSWD_FILE_MAX	((size_t)64 * 1024 * 1024)
#define DOTQMAIL_FILE_MAX	(64 * 1024)
#define DOTQMAIL_LINES_MAX	1000
#define DOTQMAIL_LINE_MAX	1024

/*
 * One vpasswd line: name:crypted:uid:gid:gecos:dir:quota[:clear], the
 * uid and gid fields being vpopmail's flag words. The clear field exists
 * with --enable-clear-passwd. Strings point into a private copy.
 */
struct vpasswd {
	char		*copy;
	const char	*name, *crypted, *gecos, *dir, *quota, *clear;
	unsigned long	 uid_flags, gid_flags;
};

/*
 * Parses line[0..len) (no newline). Returns 1 with *vp filled in, 0 for a
 * blank or '#' line, -1 with errstr (static) when it is no vpasswd line: a
 * name that is empty, over 64 octets, or holds what a local part cannot
 * (blanks, '@', '/', control characters, a leading '.'), fewer than 7
 * fields or more than 8, flags that are not numbers, a line over
 * VPASSWD_LINE_MAX. vpasswd_clear frees.
 */
int	 vpasswd_parse(const char *line, size_t len, struct vpasswd *,
	    const char **errstr);
void	 vpasswd_clear(struct vpasswd *);

/*
 * vpopmail's quota field: "NOQUOTA" (or empty) is 0 and 0; "52428800S",
 * "50000000S,1000C" and a bare number of bytes as older versions wrote.
 * -1 when it is none of these.
 */
int	 vpasswd_quota(const char *, uint64_t *bytes, uint64_t *count);

/* What one line of a .qmail file does (dot-qmail(5)). */
enum dotqmail_kind {
	DOTQMAIL_FORWARD,	/* &address, or a line starting with a letter or digit */
	DOTQMAIL_MAILDIR,	/* a path ending in '/' */
	DOTQMAIL_MBOX,		/* another path (starting with '/' or '.') */
	DOTQMAIL_PROGRAM,	/* |command */
};

struct dotqmail_line {
	enum dotqmail_kind	 kind;
	char			*value;		/* address, path or command, trimmed */
};

struct dotqmail {
	struct dotqmail_line	*v;
	size_t			 n;
};

/*
 * Parses a .qmail file: '#' lines and blank lines are skipped, a line
 * with another first character (a control character, a blank) is an error.
 * -1 with errstr when the text is over DOTQMAIL_FILE_MAX, has more than
 * DOTQMAIL_LINES_MAX lines, a line over DOTQMAIL_LINE_MAX, a NUL, or a
 * line that is none of the kinds.
 */
int	 dotqmail_parse(const char *text, size_t len, struct dotqmail *,
	    const char **errstr);
void	 dotqmail_free(struct dotqmail *);

/*
 * The last argument of a vdelivermail command ("| /home/vpopmail/bin/
 * vdelivermail '' bounce-no-mailbox"), quotes removed, into dst: what
 * vpopmail does with mail for unknown users of the domain (bounce-no-
 * mailbox, delete, an address, or a user's directory). 0, or -1 when
 * command does not run vdelivermail.
 */
int	 dotqmail_vdelivermail(const char *command, char *dst, size_t dstlen);

/*
 * The local part a ".qmail-EXT" file name stands for: after the prefix
 * (".qmail-"), ':' meaning '.', lowercased; "-default" at the end (or all
 * of it) sets *wildcard and is dropped. -1 when name does not start with
 * prefix or the rest is empty or has a '/'.
 */
int	 dotqmail_ext(const char *name, const char *prefix, char *dst,
	    size_t dstlen, int *wildcard);

#endif
