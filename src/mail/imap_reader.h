/* IMAP command framing: lines and literals assembled into whole commands, fed any chunks of input. */
#ifndef TEGAMI_IMAP_READER_H
#define TEGAMI_IMAP_READER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/*
 * Defaults, each a reason:
 * - a line: RFC 7162 4 asks servers to take at least 8192 octets; clients
 *   send long UID sets, so 64 KiB, as Dovecot's default;
 * - a command: the buffered text and literals of anything but an APPEND
 *   message; nothing legitimate comes near 1 MiB;
 * - a literal other than a message (passwords, names, search strings);
 * - a message: APPENDLIMIT (RFC 7889), the SMTP side's default size;
 * - a refused non-synchronizing literal is read and dropped up to 64 MiB
 *   (RFC 7888 leaves the choice between that and closing);
 * - tokens and parenthesis depth: a SEARCH with hundreds of keys fits.
 */
#define IMAP_RD_LINE_MAX	((size_t)64 * 1024)
#define IMAP_RD_CMD_MAX		((size_t)1024 * 1024)
#define IMAP_RD_LITERAL_MAX	((size_t)64 * 1024)
#define IMAP_RD_MESSAGE_MAX	((uint64_t)35 * 1024 * 1024)
#define IMAP_RD_DISCARD_MAX	((uint64_t)64 * 1024 * 1024)
#define IMAP_RD_ARGS_MAX	8192
#define IMAP_RD_DEPTH_MAX	64
#define IMAP_LITERAL_MINUS_MAX	4096	/* RFC 7888 5 */

struct imap_reader_limits {
	size_t		 line_max;	/* one line, without CRLF or literal data */
	size_t		 cmd_max;	/* text plus buffered literals of a command */
	size_t		 literal_max;	/* one literal that is not a message */
	uint64_t	 message_max;	/* one APPEND message literal */
	uint64_t	 discard_max;	/* largest refused {N+} read and dropped */
	unsigned	 args_max;	/* tokens (atoms, strings, lists) */
	unsigned	 depth_max;	/* parenthesis nesting */
	int		 literal_plus;	/* LITERAL+: any {N+}; else LITERAL- */
};

/* One literal of a command; the order is the order in the text. */
struct imap_lit {
	size_t		 off;		/* text offset of its first data octet */
	uint64_t	 size;		/* octets announced */
	unsigned	 binary:1;	/* literal8 "~{N}" */
	unsigned	 nonsync:1;	/* "{N+}" */
	unsigned	 message:1;	/* an APPEND message, not the mailbox */
	unsigned	 streamed:1;	/* handed out as DATA, not in the text */
	unsigned	 pending:1;	/* announced, data not read yet */
	unsigned	 nul:1;		/* the data holds a NUL octet */
};

/*
 * A command as it came on the wire without its final CRLF: lines joined
 * by CRLF, each literal as "{N}" CRLF and its N octets (none when
 * streamed or pending). Valid until the reader is fed again.
 */
struct imap_rd_cmd {
	const char		*text;
	size_t			 len;
	const struct imap_lit	*lits;
	size_t			 nlits;
	const char		*tag;	/* not NUL-terminated; NULL if none */
	size_t			 taglen;
};

enum imap_rd_status {
	IMAP_RD_MORE,		/* all input used; feed more */
	IMAP_RD_COMMAND,	/* a whole command: imap_reader_command() */
	IMAP_RD_LITERAL,	/* a literal is announced: accept or refuse it */
	IMAP_RD_DATA,		/* bytes of a streamed literal: imap_reader_data() */
	IMAP_RD_LINE,		/* the line asked for: imap_reader_line() */
	IMAP_RD_ERROR,		/* answer now (imap_reader_error()); it resynchronises */
	IMAP_RD_FATAL,		/* cannot resynchronise: BYE and close */
};

enum imap_rd_err {
	IMAP_RD_OK = 0,
	IMAP_RD_ERR_LINE_TOO_LONG,
	IMAP_RD_ERR_CMD_TOO_LONG,
	IMAP_RD_ERR_LITERAL_TOO_BIG,	/* over literal_max or cmd_max */
	IMAP_RD_ERR_MESSAGE_TOO_BIG,	/* over message_max (NO [TOOBIG]) */
	IMAP_RD_ERR_LITERAL_MINUS,	/* {N+} over 4096 with LITERAL- */
	IMAP_RD_ERR_LITERAL_NUMBER,	/* a size beyond 2^63-1 */
	IMAP_RD_ERR_TOO_MANY_ARGS,
	IMAP_RD_ERR_TOO_DEEP,
	IMAP_RD_ERR_BARE_LF,		/* a line ended by LF alone */
	IMAP_RD_ERR_EARLY_DATA,		/* literal data before the "+" */
	IMAP_RD_ERR_DISCARD_TOO_BIG,	/* fatal: {N+} too big to read and drop */
};

struct imap_rd_error {
	enum imap_rd_err	 code;
	const char		*status;	/* "BAD" or "NO" */
	const char		*text;		/* resp-text, maybe with a code */
};

/* How an accepted literal is read. */
enum imap_lit_mode {
	IMAP_LIT_BUFFER,	/* into the command text */
	IMAP_LIT_STREAM,	/* as DATA events (APPEND messages only) */
};

enum imap_rd_accept {
	IMAP_ACC_CONTINUE,	/* synchronizing: send "+ ..." now */
	IMAP_ACC_GO,		/* non-synchronizing: nothing to send */
	IMAP_ACC_EARLY,		/* data came before the "+": answer the error */
	IMAP_ACC_NOROOM,	/* BUFFER would pass cmd_max + message_max */
};

struct imap_reader {
	/* all private */
	struct imap_reader_limits lim;
	struct buf	 text;
	struct imap_lit	*lits;
	size_t		 nlits, litcap;
	int		 state;
	int		 discard;	/* the command is refused: drop to its end */
	int		 line_mode;	/* the next line is a bare line */
	int		 append;	/* the command is APPEND */
	int		 first_line;
	size_t		 linelen, linestart;
	int		 quote;		/* 0, 1 in a quoted string, 2 after "\" */
	int		 intok;
	unsigned	 depth, ntok, ntop;
	int		 mark;		/* "{N}" at the end of the line so far */
	int		 mark_digits, mark_plus, mark_tilde, mark_big;
	uint64_t	 mark_num;
	char		 prev;
	uint64_t	 left;		/* literal octets still to come */
	int		 litmode;	/* buffer, stream or skip */
	size_t		 msgbuf;	/* message octets buffered */
	size_t		 tagoff, taglen;
	int		 hastag, tagdone;
	const char	*data;		/* the last DATA chunk */
	size_t		 datalen;
	int		 datalast;
	struct imap_rd_error err;
	struct imap_rd_cmd view;
};

void	 imap_reader_default_limits(struct imap_reader_limits *);
/* lim NULL: the defaults. */
void	 imap_reader_init(struct imap_reader *, const struct imap_reader_limits *);
void	 imap_reader_free(struct imap_reader *);

/*
 * Reads in[0..len) up to the next event and returns it, *consumed set to
 * the octets used (all of them for IMAP_RD_MORE). The events for a given
 * input are the same however it is split between calls, provided the
 * caller answers IMAP_RD_LITERAL the same way.
 *
 * IMAP_RD_COMMAND: imap_reader_command() is the command; the next call
 * starts the next one. IMAP_RD_LITERAL: imap_reader_command() is the
 * command so far, ending with the announced literal (pending); the caller
 * checks it (imap_parse_prefix()) and calls imap_reader_accept() or
 * imap_reader_refuse() before feeding again. IMAP_RD_ERROR: the caller
 * answers at once with imap_reader_error() and the command's tag; the
 * reader drops the rest of that command by itself (reading and dropping
 * the data of {N+} literals, never expecting the data of {N}), so the
 * next command is read normally. IMAP_RD_FATAL: nothing more is read.
 */
enum imap_rd_status imap_reader_feed(struct imap_reader *, const char *in,
	    size_t len, size_t *consumed);

const struct imap_rd_cmd *imap_reader_command(const struct imap_reader *);
/* The announced literal, after IMAP_RD_LITERAL. */
const struct imap_lit *imap_reader_literal(const struct imap_reader *);
/*
 * Takes the announced literal. data_waiting: the caller already holds
 * input it has not fed, which for {N} means the client did not wait for
 * the continuation request (RFC 3501 4.3): the command is dropped
 * (IMAP_ACC_EARLY, imap_reader_error() says why) and that input is read
 * as the next command. STREAM is for message literals; for others it
 * means BUFFER. On IMAP_ACC_NOROOM nothing changed: stream it or refuse
 * (also the answer when no literal is waiting for a decision).
 */
enum imap_rd_accept imap_reader_accept(struct imap_reader *,
	    enum imap_lit_mode, int data_waiting);
/*
 * Refuses the announced literal: {N} ends the command (the client sends
 * no data); {N+} data and the rest of the command are read and dropped.
 * Returns -1 (close the connection) when that data is over discard_max.
 */
int	 imap_reader_refuse(struct imap_reader *);

/* After IMAP_RD_DATA: a chunk of the input; last marks the literal's end. */
void	 imap_reader_data(const struct imap_reader *, const char **p,
	    size_t *n, int *last);

/* The next line is returned whole as IMAP_RD_LINE (IDLE's DONE, SASL). */
void	 imap_reader_expect_line(struct imap_reader *);
/* After IMAP_RD_LINE: the line without CRLF; valid until the next feed. */
void	 imap_reader_line(const struct imap_reader *, const char **p,
	    size_t *n);

const struct imap_rd_error *imap_reader_error(const struct imap_reader *);

#endif
