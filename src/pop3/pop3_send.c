/* What POP3 sends at length: messages (RETR, TOP) with CRLF and dot-stuffing, and listings, as the client takes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dio.h"
#include "mail/maildir_name.h"
#include "mailbox/mailbox.h"
#include "net/conn.h"
#include "pop3/pop3_priv.h"
#include "store/scan.h"

#define CHUNK	32768

int
pop3_send_message(struct pop3_session *p, size_t i, long lines)
{
	struct pop3_msg	*m = &p->msgs[i];
	enum scan_sub	 sub;
	char		 name[MAILDIR_NAME_MAX + 1];
	const char	*errstr;
	int		 fd;

	/* Another program may have renamed it (a flag set over IMAP): found by its base. */
	if ((fd = scan_open_msg(&p->dir, SCAN_CUR, m->name, name, sizeof(name),
	    &sub, &errstr)) == -1)
		return -1;
	p->fd = fd;
	p->off = 0;
	p->top = lines < 0 ? -1 : 1;
	p->body_lines = lines;
	p->in_body = 0;
	p->at_bol = 1;
	p->prev_cr = 0;
	p->prev_lf = 1;		/* an empty first line: no header at all */
	p->send = SEND_MESSAGE;
	p->state = P3_SENDING;
	if (lines < 0)
		m->retrieved = 1;
	/*
	 * RFC 1939 names the size "exact" but clients only show it: the W=
	 * size where the name has it, else the file's, which is what
	 * qmail-pop3d said to the same clients.
	 */
	pop3_printf(p, "+OK %llu octets\r\n", (unsigned long long)m->size);
	return 0;
}

void
pop3_send_listing(struct pop3_session *p, enum pop3_send what)
{
	p->send = what;
	p->next = 0;
	p->state = P3_SENDING;
	pop3_printf(p, "+OK %s\r\n", what == SEND_LIST ?
	    "scan listing follows" : "unique-id listing follows");
}

/*
 * Bytes of the file as they go on the wire: LF as CRLF, a '.' beginning a
 * line doubled. TOP stops after the header, the empty line and body_lines
 * lines of the body. Returns 1 when TOP's lines are all out.
 */
static int
transform(struct pop3_session *p, const char *in, size_t n, struct buf *out,
    size_t *used)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		char	 ch = in[i];

		if (p->at_bol && ch == '.')
			buf_addc(out, '.');
		if (ch == '\n') {
			if (!p->prev_cr)
				buf_addc(out, '\r');
			buf_addc(out, '\n');
			if (p->top >= 0) {
				if (!p->in_body && p->prev_lf) {
					p->in_body = 1;	/* the empty line ends the header */
					if (p->body_lines == 0) {
						p->at_bol = 1;
						*used = i + 1;
						return 1;
					}
				} else if (p->in_body && --p->body_lines == 0) {
					p->at_bol = 1;
					*used = i + 1;
					return 1;
				}
			}
			p->prev_lf = 1;
			p->at_bol = 1;
			p->prev_cr = 0;
			continue;
		}
		buf_addc(out, ch);
		p->prev_cr = ch == '\r';
		/* A CR is not yet content: "\r\n" alone is still an empty line. */
		if (ch != '\r')
			p->prev_lf = 0;
		p->at_bol = 0;
	}
	*used = n;
	return 0;
}

static void
end_message(struct pop3_session *p, struct buf *out)
{
	if (!p->at_bol)
		buf_adds(out, "\r\n");
	buf_adds(out, ".\r\n");
	close(p->fd);
	p->fd = -1;
	p->send = SEND_NONE;
}

/*
 * The file is read as it goes out, without asking its size first: a
 * short read is its end (a Maildir file does not change once delivered).
 * A message of up to CHUNK octets costs one read and, with its +OK line
 * and terminating dot, one write.
 */
static int
more_message(struct pop3_session *p)
{
	char		 chunk[CHUNK];
	size_t		 used;
	ssize_t		 got;

	while (conn_output_len(p->conn) + p->out.len < POP3_OUT_HIGH) {
		if ((got = pread(p->fd, chunk, sizeof(chunk), (off_t)p->off)) == -1 &&
		    errno == EINTR)
			continue;
		/* An error cuts it short: what was sent is all there is. */
		if (got <= 0) {
			end_message(p, &p->out);
			return 1;
		}
		if (transform(p, chunk, (size_t)got, &p->out, &used)) {
			end_message(p, &p->out);
			return 1;
		}
		p->off += used;
		if ((size_t)got < sizeof(chunk)) {
			end_message(p, &p->out);
			return 1;
		}
	}
	return 0;
}

static int
more_listing(struct pop3_session *p)
{
	char		 uid[POP3_UIDL_MAX + 1];

	while (p->next < p->nmsgs && conn_output_len(p->conn) + p->out.len <
	    POP3_OUT_HIGH) {
		const struct pop3_msg	*m = &p->msgs[p->next++];

		if (m->deleted)
			continue;
		if (p->send == SEND_LIST)
			buf_addf(&p->out, "%zu %llu\r\n", p->next,
			    (unsigned long long)m->size);
		else {
			pop3_uidl(m, uid, sizeof(uid));
			buf_addf(&p->out, "%zu %s\r\n", p->next, uid);
		}
	}
	if (p->next >= p->nmsgs) {
		buf_adds(&p->out, ".\r\n");
		p->send = SEND_NONE;
	}
	return p->send == SEND_NONE;
}

int
pop3_send_more(struct pop3_session *p)
{
	int	 done;

	if (p->send == SEND_MESSAGE)
		done = more_message(p);
	else if (p->send == SEND_LIST || p->send == SEND_UIDL)
		done = more_listing(p);
	else
		done = 1;
	if (!done) {
		/* Given to the connection first, so that it knows what waits. */
		pop3_flush(p);
		conn_notify_output(p->conn, POP3_OUT_LOW);
	}
	return done;
}

void
pop3_send_abort(struct pop3_session *p)
{
	if (p->send == SEND_MESSAGE && p->fd != -1)
		close(p->fd);
	p->fd = -1;
	p->send = SEND_NONE;
}
