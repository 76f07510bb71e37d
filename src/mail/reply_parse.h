/* The SMTP client's view of the server: replies (RFC 5321 4.2) and EHLO keywords. */
#ifndef TEGAMI_REPLY_PARSE_H
#define TEGAMI_REPLY_PARSE_H

#include <stddef.h>

#define REPLY_PARSE_LINE_MAX	2048	/* longer lines are a protocol error (RFC: 512) */
#define REPLY_PARSE_LINES_MAX	100	/* lines in one reply */
#define REPLY_PARSE_TEXT_MAX	1024	/* kept text, lines joined by spaces */

struct reply_parse {
	int	 code;		/* 200..599 once a line was read */
	size_t	 nlines;
	int	 done;
	size_t	 len;
	char	 text[REPLY_PARSE_TEXT_MAX];	/* "550 5.1.1 user unknown more" */
};

void	 reply_parse_init(struct reply_parse *);
/*
 * Feeds one line (without CRLF). Returns 1 when it was the last line of
 * the reply, 0 when more follow, -1 with errstr (static) on a malformed
 * line: a code not of three digits with 2..5 first, a code differing from
 * the first line's, a separator other than '-' or ' ', too many lines.
 * *linetext (may be NULL) points into line after the separator, for EHLO.
 * Control octets, C1 controls, invalid UTF-8 and bidi marks in the text
 * become ? in r->text.
 */
int	 reply_parse_feed(struct reply_parse *, const char *line, size_t len,
	    const char **linetext, size_t *linetextlen, const char **errstr);

/* Server capabilities from the EHLO reply. */
#define EHLO_EXT_STARTTLS	0x0001
#define EHLO_EXT_PIPELINING	0x0002
#define EHLO_EXT_SIZE		0x0004
#define EHLO_EXT_8BITMIME	0x0008
#define EHLO_EXT_SMTPUTF8	0x0010
#define EHLO_EXT_DSN		0x0020
#define EHLO_EXT_AUTH		0x0040
#define EHLO_EXT_CHUNKING	0x0080
#define EHLO_EXT_ENHANCED	0x0100

#define EHLO_AUTH_PLAIN		0x01
#define EHLO_AUTH_LOGIN		0x02

struct ehlo_caps {
	unsigned	 ext;
	unsigned long long size;	/* SIZE limit; 0 = none announced */
	unsigned	 auth;		/* MTA_AUTH_* offered */
};

/* One EHLO line after the first (the greeting name): "SIZE 1000", "AUTH PLAIN LOGIN". */
void	 ehlo_caps_line(struct ehlo_caps *, const char *text, size_t len);

#endif
