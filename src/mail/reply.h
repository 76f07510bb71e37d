/* SMTP replies (RFC 5321 4.2, RFC 2034 enhanced status codes), safe from client text. */
#ifndef TEGAMI_REPLY_H
#define TEGAMI_REPLY_H

#include <stdarg.h>
#include <stddef.h>

struct buf;

#define REPLY_LINE_MAX	512	/* reply line incl. CRLF, RFC 5321 4.5.3.1.5 */

/*
 * Appends one reply line, "250 2.0.0 text\r\n" (enhanced may be NULL).
 * The formatted text never brings a CR or LF into the output (they become
 * spaces; other control octets become '?') and is cut, at a character
 * boundary, so that the line fits REPLY_LINE_MAX. code must be 200-599 and
 * enhanced a class.subject.detail code of the same class: anything else is
 * a broken invariant. If out cannot take the whole reply, nothing is added.
 */
void	 reply_format(struct buf *out, int code, const char *enhanced,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 reply_vformat(struct buf *out, int code, const char *enhanced,
	    const char *fmt, va_list) __attribute__((format(printf, 4, 0)));
/* 1 when code is 200-599 and enhanced (may be NULL) a class.subject.detail code of its class (RFC 3463). */
int	 reply_codes_valid(int code, const char *enhanced);

/*
 * An aliases(5) error entry, "error:550 5.1.1 text" (case-insensitive
 * "error:"): a 4XX or 5XX code, then blanks, an optional enhanced code of
 * the same class (a first word of digits and dots must be one), and text.
 * Data from a table: a bad entry is an error here, never a reply that
 * reply_format() would take for a broken invariant. 0 with *code,
 * enhanced (class.0.0 when none) and *text (into s), or -1 with errstr
 * (static text).
 */
int	 reply_error_entry(const char *s, int *code, char enhanced[8],
	    const char **text, const char **errstr);

/*
 * A multi-line reply, as EHLO needs (no enhanced codes, RFC 2034 3):
 * "250-a\r\n250-b\r\n250 c\r\n". n must be at least 1.
 */
void	 reply_multi(struct buf *out, int code, const char *const lines[],
	    size_t n);
/* The same with an enhanced code on every line (enhanced may be NULL). */
void	 reply_lines(struct buf *out, int code, const char *enhanced,
	    const char *const lines[], size_t n);

#endif
