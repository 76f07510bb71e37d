/* IMAP command framing: a byte-at-a-time state machine over lines, quoted strings and literal markers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/imap_reader.h"

enum {
	ST_START,	/* a new command begins with the next octet */
	ST_LINE,	/* inside a line */
	ST_CR,		/* after a CR, waiting for its LF */
	ST_LIT,		/* inside literal data */
	ST_DECIDE,	/* a literal announced, waiting for accept or refuse */
	ST_DONE,	/* an event returned; the next feed starts afresh */
	ST_FATAL,
};

enum { LIT_BUFFER, LIT_STREAM, LIT_SKIP };

/* The end of the line so far, as a literal marker "[~]{digits[+]}". */
enum { MARK_NONE, MARK_NUM, MARK_PLUS, MARK_CLOSED };

#define NUMBER64_MAX	((uint64_t)INT64_MAX)

static const struct {
	const char	*status;
	const char	*text;
} errors[] = {
	[IMAP_RD_OK] = { "OK", "" },
	[IMAP_RD_ERR_LINE_TOO_LONG] = { "BAD", "[TOOBIG] Command line too long" },
	[IMAP_RD_ERR_CMD_TOO_LONG] = { "BAD", "[TOOBIG] Command too long" },
	[IMAP_RD_ERR_LITERAL_TOO_BIG] = { "BAD", "[TOOBIG] Literal too big" },
	[IMAP_RD_ERR_MESSAGE_TOO_BIG] = { "NO",
	    "[TOOBIG] Message larger than the APPENDLIMIT" },
	[IMAP_RD_ERR_LITERAL_MINUS] = { "BAD",
	    "[TOOBIG] Non-synchronizing literals are limited to 4096 octets" },
	[IMAP_RD_ERR_LITERAL_NUMBER] = { "BAD", "[TOOBIG] Literal size out of range" },
	[IMAP_RD_ERR_TOO_MANY_ARGS] = { "BAD", "[LIMIT] Too many arguments" },
	[IMAP_RD_ERR_TOO_DEEP] = { "BAD", "[LIMIT] Lists nested too deep" },
	[IMAP_RD_ERR_BARE_LF] = { "BAD", "Lines must end with CRLF" },
	[IMAP_RD_ERR_EARLY_DATA] = { "BAD",
	    "Literal data sent before the continuation request" },
	[IMAP_RD_ERR_DISCARD_TOO_BIG] = { "BAD",
	    "[TOOBIG] Literal too big to skip" },
};

void
imap_reader_default_limits(struct imap_reader_limits *lim)
{
	lim->line_max = IMAP_RD_LINE_MAX;
	lim->cmd_max = IMAP_RD_CMD_MAX;
	lim->literal_max = IMAP_RD_LITERAL_MAX;
	lim->message_max = IMAP_RD_MESSAGE_MAX;
	lim->discard_max = IMAP_RD_DISCARD_MAX;
	lim->args_max = IMAP_RD_ARGS_MAX;
	lim->depth_max = IMAP_RD_DEPTH_MAX;
	lim->literal_plus = 1;
}

void
imap_reader_init(struct imap_reader *r, const struct imap_reader_limits *lim)
{
	memset(r, 0, sizeof(*r));
	if (lim != NULL)
		r->lim = *lim;
	else
		imap_reader_default_limits(&r->lim);
	/* Limits are checked here, before any add; buf's own max is a backstop. */
	buf_init(&r->text, SIZE_MAX / 2);
	r->state = ST_START;
}

void
imap_reader_free(struct imap_reader *r)
{
	buf_free(&r->text);
	x_free(&r->lits);
	r->nlits = r->litcap = 0;
}

static void
reset(struct imap_reader *r)
{
	buf_reset(&r->text);
	r->nlits = 0;
	r->discard = 0;
	r->append = 0;
	r->first_line = 1;
	r->linelen = 0;
	r->linestart = 0;
	r->quote = 0;
	r->intok = 0;
	r->depth = r->ntok = r->ntop = 0;
	r->mark = MARK_NONE;
	r->prev = 0;
	r->left = 0;
	r->msgbuf = 0;
	r->hastag = 0;
	r->tagdone = 0;
	r->tagoff = r->taglen = 0;
	r->err.code = IMAP_RD_OK;
	r->state = ST_LINE;
}

static void
set_error(struct imap_reader *r, enum imap_rd_err code)
{
	r->err.code = code;
	r->err.status = errors[code].status;
	r->err.text = errors[code].text;
	r->discard = 1;
}

static int
is_tag_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\+", c) == NULL;
}

/*
 * The tag is what precedes the first SP of the first line, or the whole
 * line when it has none. Decided at that SP, at the end of the first line,
 * or (when still open) never: an error before it leaves the command
 * untagged.
 */
static void
take_tag(struct imap_reader *r, int line_complete)
{
	const char	*p = r->text.data;
	size_t		 i, n = r->text.len;

	if (r->tagdone || p == NULL)
		return;
	for (i = 0; i < n && p[i] != ' '; i++)
		;
	if (i == n && !line_complete)
		return;		/* no SP yet: the tag may go on */
	r->tagdone = 1;
	if (i == 0)
		return;
	for (n = 0; n < i; n++)
		if (!is_tag_char((unsigned char)p[n]))
			return;
	r->tagoff = 0;
	r->taglen = i;
	r->hastag = 1;
}

/* At the end of the first line: the tag, and whether this is APPEND. */
static void
first_line_done(struct imap_reader *r)
{
	const char	*p = r->text.data, *name;
	size_t		 n = r->text.len, i;

	take_tag(r, !r->discard);
	r->first_line = 0;
	if (!r->hastag || p == NULL || r->discard)
		return;
	i = r->taglen + 1;
	if (i > n)
		return;
	name = p + i;
	if (n - i >= 6 && strncasecmp(name, "APPEND", 6) == 0 &&
	    (n - i == 6 || name[6] == ' '))
		r->append = 1;
}

static int
store(struct imap_reader *r, const char *p, size_t n)
{
	if (n > r->lim.cmd_max + r->msgbuf ||
	    r->text.len > r->lim.cmd_max + r->msgbuf - n) {
		set_error(r, IMAP_RD_ERR_CMD_TOO_LONG);
		return -1;
	}
	if (buf_add(&r->text, p, n) == -1) {
		set_error(r, IMAP_RD_ERR_CMD_TOO_LONG);
		return -1;
	}
	return 0;
}

static void
new_token(struct imap_reader *r, int *report)
{
	r->ntok++;
	if (r->depth == 0)
		r->ntop++;
	if (r->ntok > r->lim.args_max && !r->discard) {
		set_error(r, IMAP_RD_ERR_TOO_MANY_ARGS);
		*report = 1;
	}
}

/*
 * Follows one octet of a command line outside literal data: quoted
 * strings (where nothing is syntax), tokens, parentheses and the literal
 * marker that may end the line. Sets *report on a new error.
 */
static void
lex(struct imap_reader *r, unsigned char c, int *report)
{
	if (r->quote == 1) {
		if (c == '"')
			r->quote = 0;
		else if (c == '\\')
			r->quote = 2;
		r->mark = MARK_NONE;
		r->prev = (char)c;
		return;
	}
	if (r->quote == 2) {
		r->quote = 1;
		r->prev = (char)c;
		return;
	}
	switch (c) {
	case ' ':
		r->intok = 0;
		r->mark = MARK_NONE;
		if (r->first_line && !r->tagdone && !r->discard)
			take_tag(r, 0);
		break;
	case '(':
		r->intok = 0;
		r->mark = MARK_NONE;
		new_token(r, report);
		if (++r->depth > r->lim.depth_max && !r->discard) {
			set_error(r, IMAP_RD_ERR_TOO_DEEP);
			*report = 1;
		}
		break;
	case ')':
		r->intok = 0;
		r->mark = MARK_NONE;
		if (r->depth > 0)
			r->depth--;
		break;
	case '"':
		if (!r->intok)
			new_token(r, report);
		r->intok = 1;
		r->quote = 1;
		r->mark = MARK_NONE;
		break;
	default:
		if (!r->intok)
			new_token(r, report);
		r->intok = 1;
		if (c == '{') {
			r->mark = MARK_NUM;
			r->mark_num = 0;
			r->mark_digits = 0;
			r->mark_plus = 0;
			r->mark_big = 0;
			r->mark_tilde = r->prev == '~';
		} else if (r->mark == MARK_NUM && c >= '0' && c <= '9') {
			if (r->mark_num > (NUMBER64_MAX - (c - '0')) / 10)
				r->mark_big = 1;
			else
				r->mark_num = r->mark_num * 10 + (c - '0');
			r->mark_digits = 1;
		} else if (r->mark == MARK_NUM && c == '+' && r->mark_digits) {
			r->mark = MARK_PLUS;
			r->mark_plus = 1;
		} else if (c == '}' && ((r->mark == MARK_NUM &&
		    r->mark_digits) || r->mark == MARK_PLUS))
			r->mark = MARK_CLOSED;
		else
			r->mark = MARK_NONE;
		break;
	}
	r->prev = (char)c;
}

/* One octet of a command line (not CR or LF). */
static void
line_octet(struct imap_reader *r, char c, int *report)
{
	r->linelen++;
	if (!r->discard) {
		if (r->linelen > r->lim.line_max) {
			set_error(r, IMAP_RD_ERR_LINE_TOO_LONG);
			*report = 1;
		} else if (store(r, &c, 1) == -1)
			*report = 1;
	}
	if (!r->line_mode)
		lex(r, (unsigned char)c, report);
}

static void
new_line(struct imap_reader *r)
{
	r->linelen = 0;
	r->linestart = r->text.len;
	r->quote = 0;
	r->mark = MARK_NONE;
	r->prev = 0;
}

static int
add_lit(struct imap_reader *r, struct imap_lit *l)
{
	if (r->nlits == r->litcap) {
		size_t	 cap = r->litcap ? r->litcap * 2 : 8;

		r->lits = xreallocarray(r->lits, cap, sizeof(*r->lits));
		r->litcap = cap;
	}
	r->lits[r->nlits++] = *l;
	return 0;
}

/*
 * A refused literal: {N} ends the command here, as the client waits for
 * a "+" that never comes; {N+} data is on its way and is read and dropped.
 */
static enum imap_rd_status
drop_literal(struct imap_reader *r, uint64_t size, int nonsync, int big)
{
	r->discard = 1;
	if (!nonsync) {
		r->state = ST_DONE;
		return IMAP_RD_ERROR;
	}
	if (big || size > r->lim.discard_max) {
		set_error(r, IMAP_RD_ERR_DISCARD_TOO_BIG);
		r->state = ST_FATAL;
		return IMAP_RD_FATAL;
	}
	r->left = size;
	r->litmode = LIT_SKIP;
	r->state = ST_LIT;
	return IMAP_RD_ERROR;
}

/*
 * The end of a command line. Returns the event to report, or IMAP_RD_MORE
 * to go on reading (a dropped command ended, or a literal is being
 * skipped).
 */
static enum imap_rd_status
line_end(struct imap_reader *r, int bare)
{
	struct imap_lit	 l;
	uint64_t	 size;
	int		 report = 0, nonsync, big;

	if (r->line_mode) {
		r->line_mode = 0;
		if (bare && !r->discard) {
			set_error(r, IMAP_RD_ERR_BARE_LF);
			r->state = ST_DONE;
			return IMAP_RD_ERROR;
		}
		if (r->discard) {
			r->state = ST_START;
			return IMAP_RD_MORE;
		}
		r->state = ST_DONE;
		return IMAP_RD_LINE;
	}
	if (r->first_line)
		first_line_done(r);
	if (bare && !r->discard) {
		set_error(r, IMAP_RD_ERR_BARE_LF);
		report = 1;
	}
	if (r->quote != 0 || r->mark != MARK_CLOSED) {
		/* The command ends here. */
		if (r->discard) {
			r->state = report ? ST_DONE : ST_START;
			return report ? IMAP_RD_ERROR : IMAP_RD_MORE;
		}
		r->state = ST_DONE;
		return IMAP_RD_COMMAND;
	}

	size = r->mark_num;
	nonsync = r->mark_plus == 1;
	big = r->mark_big;
	if (r->discard) {
		enum imap_rd_status	 st = drop_literal(r, size, nonsync, big);

		if (st == IMAP_RD_FATAL)
			return st;
		if (!nonsync)
			r->state = report ? ST_DONE : ST_START;
		return report ? IMAP_RD_ERROR : IMAP_RD_MORE;
	}

	memset(&l, 0, sizeof(l));
	l.size = size;
	l.nonsync = nonsync;
	l.binary = r->mark_tilde;
	/* In APPEND only the mailbox (the third top-level token) is no message. */
	l.message = r->append && !(r->depth == 0 && r->ntop == 3);
	if (big) {
		set_error(r, IMAP_RD_ERR_LITERAL_NUMBER);
		return drop_literal(r, size, nonsync, big);
	}
	if (nonsync && !r->lim.literal_plus && size > IMAP_LITERAL_MINUS_MAX) {
		set_error(r, IMAP_RD_ERR_LITERAL_MINUS);
		return drop_literal(r, size, nonsync, big);
	}
	if (l.message && size > r->lim.message_max) {
		set_error(r, IMAP_RD_ERR_MESSAGE_TOO_BIG);
		return drop_literal(r, size, nonsync, big);
	}
	if (!l.message && size > r->lim.literal_max) {
		set_error(r, IMAP_RD_ERR_LITERAL_TOO_BIG);
		return drop_literal(r, size, nonsync, big);
	}
	if (store(r, "\r\n", 2) == -1)
		return drop_literal(r, size, nonsync, big);
	if (!l.message && (size > r->lim.cmd_max ||
	    r->text.len > r->lim.cmd_max - size)) {
		set_error(r, IMAP_RD_ERR_LITERAL_TOO_BIG);
		return drop_literal(r, size, nonsync, big);
	}
	l.off = r->text.len;
	l.pending = 1;
	add_lit(r, &l);
	r->state = ST_DECIDE;
	return IMAP_RD_LITERAL;
}

/* The literal's data is all read: the command goes on with a new line. */
static void
literal_done(struct imap_reader *r)
{
	if (r->nlits > 0 && r->litmode != LIT_SKIP)
		r->lits[r->nlits - 1].pending = 0;
	new_line(r);
	r->intok = 1;	/* whatever follows the data directly is no new token */
	r->state = ST_LINE;
}

enum imap_rd_status
imap_reader_feed(struct imap_reader *r, const char *in, size_t len,
    size_t *consumed)
{
	size_t		 i = 0, n;
	int		 report;
	enum imap_rd_status st;

	*consumed = 0;
	for (;;) {
		switch (r->state) {
		case ST_FATAL:
			return IMAP_RD_FATAL;
		case ST_DECIDE:
			/* The caller must answer the announcement first. */
			*consumed = i;
			return IMAP_RD_LITERAL;
		case ST_DONE:
		case ST_START:
			if (i == len) {
				*consumed = i;
				return IMAP_RD_MORE;
			}
			reset(r);
			break;
		case ST_CR:
			if (i == len) {
				*consumed = i;
				return IMAP_RD_MORE;
			}
			if (in[i] == '\n') {
				i++;
				r->state = ST_LINE;
				st = line_end(r, 0);
				if (r->state == ST_LINE)
					new_line(r);
				if (st != IMAP_RD_MORE) {
					*consumed = i;
					return st;
				}
				break;
			}
			/* A CR on its own is line content; the parser refuses it. */
			report = 0;
			r->state = ST_LINE;
			line_octet(r, '\r', &report);
			if (report) {
				*consumed = i;
				return IMAP_RD_ERROR;
			}
			break;
		case ST_LINE:
			report = 0;
			while (i < len && !report) {
				char	 c = in[i];

				if (c == '\r') {
					i++;
					r->state = ST_CR;
					break;
				}
				if (c == '\n') {
					i++;
					st = line_end(r, 1);
					if (r->state == ST_LINE)
						new_line(r);
					if (st != IMAP_RD_MORE) {
						*consumed = i;
						return st;
					}
					break;
				}
				/* A run of plain octets of a discarded line. */
				if (r->discard && r->line_mode) {
					const char	*e = in + i;

					while (e < in + len && *e != '\r' &&
					    *e != '\n')
						e++;
					r->linelen += (size_t)(e - (in + i));
					i = (size_t)(e - in);
					continue;
				}
				line_octet(r, c, &report);
				i++;
			}
			if (report) {
				*consumed = i;
				return IMAP_RD_ERROR;
			}
			if (i == len && r->state == ST_LINE) {
				*consumed = i;
				return IMAP_RD_MORE;
			}
			break;
		case ST_LIT:
			if (r->left == 0) {
				int		 stream = r->litmode == LIT_STREAM;

				literal_done(r);
				if (stream) {
					r->data = in + i;
					r->datalen = 0;
					r->datalast = 1;
					*consumed = i;
					return IMAP_RD_DATA;
				}
				break;
			}
			if (i == len) {
				*consumed = i;
				return IMAP_RD_MORE;
			}
			n = len - i;
			if (n > r->left)
				n = (size_t)r->left;
			if (r->litmode == LIT_SKIP) {
				r->left -= n;
				i += n;
				if (r->left == 0)
					literal_done(r);
				break;
			}
			if (memchr(in + i, '\0', n) != NULL)
				r->lits[r->nlits - 1].nul = 1;
			if (r->litmode == LIT_BUFFER) {
				if (buf_add(&r->text, in + i, n) == -1) {
					/* Cannot happen: room was checked. */
					set_error(r, IMAP_RD_ERR_CMD_TOO_LONG);
					r->state = ST_FATAL;
					*consumed = i;
					return IMAP_RD_FATAL;
				}
				r->left -= n;
				i += n;
				if (r->left == 0)
					literal_done(r);
				break;
			}
			r->data = in + i;
			r->datalen = n;
			r->left -= n;
			i += n;
			r->datalast = r->left == 0;
			if (r->left == 0)
				literal_done(r);
			*consumed = i;
			return IMAP_RD_DATA;
		}
	}
}

const struct imap_rd_cmd *
imap_reader_command(const struct imap_reader *r)
{
	struct imap_reader	*w = (struct imap_reader *)r;

	w->view.text = r->text.data ? r->text.data : "";
	w->view.len = r->text.len;
	w->view.lits = r->lits;
	w->view.nlits = r->nlits;
	w->view.tag = r->hastag ? w->view.text + r->tagoff : NULL;
	w->view.taglen = r->hastag ? r->taglen : 0;
	return &w->view;
}

const struct imap_lit *
imap_reader_literal(const struct imap_reader *r)
{
	if (r->state != ST_DECIDE || r->nlits == 0)
		return NULL;
	return &r->lits[r->nlits - 1];
}

enum imap_rd_accept
imap_reader_accept(struct imap_reader *r, enum imap_lit_mode mode,
    int data_waiting)
{
	struct imap_lit	*l;

	if (r->state != ST_DECIDE)
		return IMAP_ACC_NOROOM;
	l = &r->lits[r->nlits - 1];
	if (!l->nonsync && data_waiting) {
		set_error(r, IMAP_RD_ERR_EARLY_DATA);
		r->state = ST_DONE;
		return IMAP_ACC_EARLY;
	}
	if (mode == IMAP_LIT_STREAM && l->message) {
		l->streamed = 1;
		r->litmode = LIT_STREAM;
	} else {
		if (l->message) {
			size_t	 room = r->lim.cmd_max + r->lim.message_max;

			if (l->size > room || r->text.len > room - l->size)
				return IMAP_ACC_NOROOM;
			r->msgbuf += (size_t)l->size;
		}
		r->litmode = LIT_BUFFER;
	}
	r->left = l->size;
	r->state = ST_LIT;
	return l->nonsync ? IMAP_ACC_GO : IMAP_ACC_CONTINUE;
}

int
imap_reader_refuse(struct imap_reader *r)
{
	struct imap_lit	*l;

	if (r->state != ST_DECIDE)
		return 0;
	l = &r->lits[r->nlits - 1];
	return drop_literal(r, l->size, l->nonsync, 0) == IMAP_RD_FATAL ? -1 : 0;
}

void
imap_reader_data(const struct imap_reader *r, const char **p, size_t *n,
    int *last)
{
	*p = r->data;
	*n = r->datalen;
	*last = r->datalast;
}

void
imap_reader_expect_line(struct imap_reader *r)
{
	r->line_mode = 1;
}

void
imap_reader_line(const struct imap_reader *r, const char **p, size_t *n)
{
	*p = r->text.data ? r->text.data : "";
	*n = r->text.len;
}

const struct imap_rd_error *
imap_reader_error(const struct imap_reader *r)
{
	return &r->err;
}
