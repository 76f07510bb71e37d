/* POP3 command lines (RFC 1939, RFC 2449, RFC 5034, RFC 2595, RFC 6856) parsed into a verb and checked arguments. */
#ifndef TEGAMI_POP3_CMD_H
#define TEGAMI_POP3_CMD_H

#include <stddef.h>

/*
 * RFC 2449 4: a command line is at most 255 octets with its CRLF, each
 * argument at most 40. AUTH's initial response (RFC 5034 4) and PASS
 * (passwords with spaces, longer than 40: every server takes them) are
 * the exceptions, bounded by the caller's line maximum.
 */
#define POP3_LINE_MAX		255
#define POP3_ARG_MAX		40

enum pop3_verb {
	POP3_UNKNOWN,
	POP3_USER, POP3_PASS, POP3_APOP, POP3_AUTH, POP3_STLS, POP3_CAPA,
	POP3_QUIT, POP3_STAT, POP3_LIST, POP3_RETR, POP3_DELE, POP3_NOOP,
	POP3_RSET, POP3_TOP, POP3_UIDL, POP3_UTF8, POP3_LAST,
};

struct pop3_cmd {
	enum pop3_verb	 verb;
	/* USER: the name; PASS: the rest of the line; AUTH: mechanism; UTF8: nothing */
	const char	*arg;
	size_t		 arglen;
	/* AUTH: the initial response as sent (base64 or "="), or NULL */
	const char	*ir;
	size_t		 irlen;
	/* LIST, UIDL: nmsg 1 when a message number was given; RETR, DELE: 1; TOP: 2 */
	unsigned	 nnum;
	unsigned long	 num[2];	/* message number (>= 1), TOP's line count (>= 0) */
};

/*
 * Parses line[0..len) (without CRLF). Keywords are case-insensitive.
 * Returns 0, or -1 with *err the text of the -ERR answer (a known verb
 * with wrong arguments, or an unknown one: cmd->verb says which).
 */
int	 pop3_cmd_parse(struct pop3_cmd *, const char *line, size_t len,
	    const char **err);

#endif
