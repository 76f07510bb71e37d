/* RFC 3464 delivery status notifications: text, delivery-status fields and the returned original. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/xalloc.h"
#include "mail/smtp_cmd.h"
#include "queue/bounce.h"

#define FOLD_AT		76	/* fold report fields longer than this at a space */

static const char *const action_names[] = {
	[BOUNCE_FAILED] = "failed",
	[BOUNCE_DELAYED] = "delayed",
	[BOUNCE_DELIVERED] = "delivered",
};

void
bounce_date(time_t t, char out[40])
{
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;

	/* Names spelled out here: strftime's %a and %b follow the locale. */
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, 40, "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wday[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of a run of 1 to max digits at s, 0 if none or too long. */
static size_t
digits(const char *s, size_t max)
{
	size_t	 n = 0;

	while (is_digit(s[n]))
		n++;
	return n >= 1 && n <= max ? n : 0;
}

int
bounce_status(const char *text, char cls, char out[16])
{
	const char	*p;
	size_t		 a, b;

	if (text == NULL)
		return -1;
	for (p = text; *p != '\0'; p++) {
		/* A code starts a word: at the start or after a space. */
		if (p != text && p[-1] != ' ' && p[-1] != '\t' && p[-1] != '(')
			continue;
		if (p[0] != cls || p[1] != '.')
			continue;
		if ((a = digits(p + 2, 3)) == 0 || p[2 + a] != '.')
			continue;
		if ((b = digits(p + 3 + a, 3)) == 0)
			continue;
		if (p[3 + a + b] != '\0' && p[3 + a + b] != ' ' &&
		    p[3 + a + b] != ':' && p[3 + a + b] != ')' &&
		    p[3 + a + b] != ',')
			continue;
		/* RFC 3463: no leading zeros except a lone 0. */
		if ((a > 1 && p[2] == '0') || (b > 1 && p[3 + a] == '0'))
			continue;
		memcpy(out, p, 3 + a + b);
		out[3 + a + b] = '\0';
		return 0;
	}
	return -1;
}

int
bounce_remote(const char *text, char *host, size_t hostlen, char *reply,
    size_t replylen)
{
	static const char	 tag[] = "remote-mta=", suffix[] = " (host ";
	const char		*sp, *h;
	size_t			 n, len;

	if (text == NULL)
		return 0;
	len = strlen(text);
	if (strncmp(text, tag, sizeof(tag) - 1) == 0) {
		h = text + sizeof(tag) - 1;
		if ((sp = strchr(h, ' ')) == NULL || sp == h)
			return 0;
		n = (size_t)(sp - h);
		if (n >= hostlen)
			return 0;
		memcpy(host, h, n);
		host[n] = '\0';
		snprintf(reply, replylen, "%s", sp + 1);
		return 1;
	}
	if (len < sizeof(suffix) + 1 || text[len - 1] != ')' ||
	    (h = memmem(text, len, suffix, sizeof(suffix) - 1)) == NULL)
		return 0;
	/* The last " (host " is the one the relay client appended. */
	while ((sp = memmem(h + 1, len - (size_t)(h + 1 - text), suffix,
	    sizeof(suffix) - 1)) != NULL)
		h = sp;
	n = len - 1 - (size_t)(h + sizeof(suffix) - 1 - text);
	if (n == 0 || n >= hostlen || memchr(h + sizeof(suffix) - 1, ' ', n))
		return 0;
	memcpy(host, h + sizeof(suffix) - 1, n);
	host[n] = '\0';
	n = (size_t)(h - text);
	if (n >= replylen)
		n = replylen - 1;
	memcpy(reply, text, n);
	reply[n] = '\0';
	return 1;
}

/* A 3-digit SMTP reply code at the start of text. */
static int
is_smtp_reply(const char *t)
{
	return t != NULL && (t[0] == '2' || t[0] == '4' || t[0] == '5') &&
	    is_digit(t[1]) && is_digit(t[2]) && (t[3] == ' ' || t[3] == '-' ||
	    t[3] == '\0');
}

/*
 * Text from anywhere (a remote reply, a file name) made safe for one line of
 * the report: controls become spaces, runs of them one, and the length is
 * capped. UTF-8 and other 8-bit bytes stay; the report then says 8bit.
 */
static void
clean(char *dst, size_t dstlen, const char *src)
{
	size_t	 n = 0;
	int	 space = 1;

	for (; src && *src != '\0' && n + 4 < dstlen; src++) {
		unsigned char	 c = (unsigned char)*src;

		if (c < 0x20 || c == 0x7f) {
			if (space)
				continue;
			c = ' ';
		}
		space = c == ' ';
		dst[n++] = (char)c;
		if (n >= BOUNCE_TEXT_MAX) {
			memcpy(dst + n, "...", 3);
			n += 3;
			break;
		}
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

/* "Name: value", folded at spaces so that lines stay near FOLD_AT columns. */
static void
add_field(struct buf *b, const char *name, const char *value)
{
	char		 v[BOUNCE_TEXT_MAX + 8];
	const char	*p, *sp;
	size_t		 col;

	clean(v, sizeof(v), value);
	buf_addf(b, "%s:", name);
	col = strlen(name) + 1;
	for (p = v; *p != '\0'; ) {
		size_t	 w;

		while (*p == ' ')
			p++;
		sp = strchr(p, ' ');
		w = sp ? (size_t)(sp - p) : strlen(p);
		if (w == 0)
			break;
		if (col + 1 + w > FOLD_AT && col > strlen(name) + 1) {
			buf_adds(b, "\n\t");
			col = 8;
		} else {
			buf_addc(b, ' ');
			col++;
		}
		buf_add(b, p, w);
		col += w;
		p += w;
	}
	buf_addc(b, '\n');
}

/* ORCPT is "addr-type;xtext" (RFC 3461 4.2); the report gives it decoded. */
static int
orcpt_decode(const char *orcpt, char *dst, size_t dstlen)
{
	const char	*semi;
	char		 type[64], addr[SMTP_ORCPT_MAX + 1];
	size_t		 n;

	if (orcpt == NULL || (semi = strchr(orcpt, ';')) == NULL)
		return -1;
	n = (size_t)(semi - orcpt);
	if (n == 0 || n >= sizeof(type))
		return -1;
	memcpy(type, orcpt, n);
	type[n] = '\0';
	if (xtext_decode(addr, sizeof(addr), semi + 1) == -1 || addr[0] == '\0')
		return -1;
	snprintf(dst, dstlen, "%s; %s", type, addr);
	return 0;
}

static const char *
default_status(enum bounce_action a)
{
	return a == BOUNCE_FAILED ? "5.0.0" : a == BOUNCE_DELAYED ? "4.0.0" :
	    "2.0.0";
}

/* The Status of a recipient: given, else found in its text, else the default. */
static void
rcpt_status(const struct bounce_rcpt *r, char out[16])
{
	char	 cls = r->action == BOUNCE_FAILED ? '5' :
		    r->action == BOUNCE_DELAYED ? '4' : '2';

	if (r->status != NULL) {
		snprintf(out, 16, "%s", r->status);
		return;
	}
	/* An expired delivery fails with the 4.x.x of its last attempt. */
	if (bounce_status(r->text, cls, out) == 0 ||
	    (r->action == BOUNCE_FAILED && bounce_status(r->text, '4', out) == 0))
		return;
	snprintf(out, 16, "%s", default_status(r->action));
}

static void
add_rcpt_fields(struct buf *b, const struct bounce_rcpt *r)
{
	char		 v[2 * BOUNCE_TEXT_MAX], host[256], status[16];
	char		 date[40], reply[BOUNCE_TEXT_MAX + 8];
	const char	*diag = r->text;

	buf_addc(b, '\n');
	if (orcpt_decode(r->orcpt, v, sizeof(v)) == 0)
		add_field(b, "Original-Recipient", v);
	snprintf(v, sizeof(v), "rfc822; %s", r->rcpt);
	add_field(b, "Final-Recipient", v);
	if (r->dest != NULL && strcmp(r->dest, r->rcpt) != 0) {
		snprintf(v, sizeof(v), "rfc822; %s", r->dest);
		add_field(b, "X-Actual-Recipient", v);
	}
	add_field(b, "Action", action_names[r->action]);
	rcpt_status(r, status);
	add_field(b, "Status", status);
	if (bounce_remote(r->text, host, sizeof(host), reply, sizeof(reply))) {
		snprintf(v, sizeof(v), "dns; %s", host);
		add_field(b, "Remote-MTA", v);
		diag = reply;
	}
	/* Only a server's reply is an SMTP diagnostic; a connection error is not. */
	if (is_smtp_reply(diag)) {
		snprintf(v, sizeof(v), "smtp; %s", diag);
		add_field(b, "Diagnostic-Code", v);
	}
	if (r->last_attempt != 0) {
		bounce_date(r->last_attempt, date);
		add_field(b, "Last-Attempt-Date", date);
	}
	if (r->action == BOUNCE_DELAYED && r->retry_until != 0) {
		bounce_date(r->retry_until, date);
		add_field(b, "Will-Retry-Until", date);
	}
}

static size_t
count_action(const struct bounce_msg *m, enum bounce_action a)
{
	size_t	 i, n = 0;

	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].action == a)
			n++;
	return n;
}

/* The human part: what happened, in plain words, then one line per recipient. */
static void
add_text(struct buf *b, const struct bounce_msg *m, int full, int too_big)
{
	static const char *const intro[] = {
		[BOUNCE_FAILED] = "Your message could not be delivered to the "
		    "recipients below.\nThe mail system has given up on them; "
		    "this is a permanent error.\n",
		[BOUNCE_DELAYED] = "Your message has not been delivered yet to the "
		    "recipients below.\nThe mail system is still trying; you do "
		    "not need to send it again.\nYou will be told if it gives "
		    "up.\n",
		[BOUNCE_DELIVERED] = "Your message was delivered to the "
		    "recipients below, as you asked to be told.\n",
	};
	char	 line[BOUNCE_TEXT_MAX + 8], date[40];
	size_t	 i;
	int	 a;

	buf_addf(b, "This is the mail system at %s.\n", m->hostname);
	for (a = BOUNCE_FAILED; a <= BOUNCE_DELIVERED; a++) {
		if (count_action(m, (enum bounce_action)a) == 0)
			continue;
		buf_addf(b, "\n%s\n", intro[a]);
		for (i = 0; i < m->nrcpts; i++) {
			const struct bounce_rcpt *r = &m->rcpts[i];

			if ((int)r->action != a)
				continue;
			if (r->dest != NULL && strcmp(r->dest, r->rcpt) != 0)
				buf_addf(b, "<%s> (delivered as <%s>):\n", r->rcpt,
				    r->dest);
			else
				buf_addf(b, "<%s>:\n", r->rcpt);
			clean(line, sizeof(line), r->text);
			buf_addf(b, "    %s\n", line[0] ? line : "no details");
			if (a == BOUNCE_DELAYED && r->retry_until != 0) {
				bounce_date(r->retry_until, date);
				buf_addf(b, "    (retried until %s)\n", date);
			}
		}
	}
	buf_adds(b, "\n");
	if (full)
		buf_adds(b, "Your message is attached below.\n");
	else if (too_big)
		buf_addf(b, "Your message was over %d bytes: only its header is "
		    "attached below.\n", BOUNCE_FULL_MAX);
	else
		buf_adds(b, "The header of your message is attached below.\n");
	buf_addf(b, "For help, write to postmaster@%s and include this "
	    "report.\n", m->hostname);
}

/* Reads len bytes at offset 0 of fd into b. */
static int
read_original(int fd, size_t len, struct buf *b, const char **errstr)
{
	char	 chunk[16384];
	size_t	 off = 0;

	while (off < len) {
		size_t	 want = len - off < sizeof(chunk) ? len - off : sizeof(chunk);

		if (dio_pread(fd, chunk, want, (off_t)off) == -1) {
			*errstr = errno == ENODATA ?
			    "queue file shorter than its message" :
			    "cannot read the queue file";
			return -1;
		}
		if (buf_add(b, chunk, want) == -1) {
			*errstr = "original message too large";
			return -1;
		}
		off += want;
	}
	return 0;
}

/* Keeps the header of the message in b: up to the empty line, at most BOUNCE_HEADERS_MAX. */
static void
keep_header(struct buf *b)
{
	const char	*end;
	size_t		 n;

	if (b->len == 0)
		return;
	if (b->data[0] == '\n')
		n = 0;
	else if ((end = memmem(b->data, b->len, "\n\n", 2)) != NULL)
		n = (size_t)(end - b->data) + 1;
	else
		n = b->len;
	if (n > BOUNCE_HEADERS_MAX) {
		n = BOUNCE_HEADERS_MAX;
		while (n > 0 && b->data[n - 1] != '\n')
			n--;
	}
	b->len = n;
	b->data[n] = '\0';
}

static int
has_8bit(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] > 0x7f)
			return 1;
	return 0;
}

/* Header fields made after the body that a report carries with the original. */
#define BOUNCE_PREPEND_MAX	(64 * 1024)

int
bounce_build(const struct bounce_msg *m, int msgfd, size_t msglen,
    struct buf *out, int *eightbit, const char **errstr)
{
	struct buf	 orig, text, report;
	char		 boundary[80], date[40];
	const char	*od;
	size_t		 start = out->len, nfailed, i;
	int		 full, too_big, attempt;

	buf_init(&orig, BOUNCE_FULL_MAX + 1 + BOUNCE_PREPEND_MAX);
	buf_init(&text, 0);
	/* The original as it would have been delivered: those fields first. */
	if (m->prepend != NULL && strlen(m->prepend) <= BOUNCE_PREPEND_MAX)
		buf_adds(&orig, m->prepend);
	buf_init(&report, 0);
	nfailed = count_action(m, BOUNCE_FAILED);
	/* RFC 3461 4.3: RET applies to failures; other reports carry headers only. */
	full = m->ret_full && nfailed > 0 && msglen <= BOUNCE_FULL_MAX;
	too_big = m->ret_full && nfailed > 0 && !full;
	if (read_original(msgfd, full ? msglen : (msglen < BOUNCE_HEADERS_MAX + 2 ?
	    msglen : BOUNCE_HEADERS_MAX + 2), &orig, errstr) == -1)
		goto fail;
	if (!full)
		keep_header(&orig);
	od = orig.len > 0 ? orig.data : "";

	/* The boundary must not occur in what it encloses. */
	for (attempt = 0; ; attempt++) {
		snprintf(boundary, sizeof(boundary), "=_tegami-dsn/%s/%d", m->qid,
		    attempt);
		if (memmem(od, orig.len, boundary, strlen(boundary)) == NULL)
			break;
		if (attempt == 100) {
			*errstr = "no usable MIME boundary";
			goto fail;
		}
	}

	add_text(&text, m, full, too_big);
	snprintf(date, sizeof(date), "dns; %s", m->hostname);
	add_field(&report, "Reporting-MTA", date);
	add_field(&report, "X-Tegami-Queue-ID", m->qid);
	if (m->envid != NULL && m->envid[0] != '\0')
		add_field(&report, "Original-Envelope-Id", m->envid);
	if (m->arrival != 0) {
		bounce_date(m->arrival, date);
		add_field(&report, "Arrival-Date", date);
	}
	for (i = 0; i < m->nrcpts; i++)
		add_rcpt_fields(&report, &m->rcpts[i]);
	*eightbit = has_8bit(text.data, text.len) ||
	    has_8bit(report.data, report.len) || has_8bit(od, orig.len);

	bounce_date(m->now, date);
	buf_addf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\n",
	    m->hostname);
	buf_addf(out, "To: <%s>\n", m->sender);
	buf_addf(out, "Subject: %s\n", nfailed > 0 ?
	    "Undelivered Mail Returned to Sender" :
	    count_action(m, BOUNCE_DELAYED) > 0 ?
	    "Delayed Mail (still being retried)" :
	    "Successful Mail Delivery Report");
	buf_addf(out, "Date: %s\nMessage-ID: <%s>\n", date, m->message_id);
	/* RFC 3834: an automatic reply, so responders do not answer it. */
	buf_adds(out, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n");
	buf_addf(out, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n", boundary);
	buf_addf(out, "Content-Transfer-Encoding: %s\n\n",
	    *eightbit ? "8bit" : "7bit");
	buf_addf(out, "This is a MIME-encapsulated message.\n\n--%s\n"
	    "Content-Description: Notification\n"
	    "Content-Type: text/plain; charset=%s\n\n", boundary,
	    has_8bit(text.data, text.len) ? "utf-8" : "us-ascii");
	buf_add(out, text.data, text.len);
	buf_addf(out, "\n--%s\nContent-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n%s\n", boundary,
	    has_8bit(report.data, report.len) ?
	    "Content-Transfer-Encoding: 8bit\n" : "");
	buf_add(out, report.data, report.len);
	buf_addf(out, "\n--%s\nContent-Description: %s\nContent-Type: %s\n%s\n",
	    boundary, full ? "Undelivered Message" : nfailed > 0 ?
	    "Undelivered Message Headers" : "Message Headers",
	    full ? "message/rfc822" : "text/rfc822-headers",
	    has_8bit(od, orig.len) ? "Content-Transfer-Encoding: 8bit\n" : "");
	buf_add(out, od, orig.len);
	if (orig.len > 0 && od[orig.len - 1] != '\n')
		buf_addc(out, '\n');
	if (buf_addf(out, "\n--%s--\n", boundary) == -1) {
		*errstr = "report too large";
		goto fail;
	}
	buf_free(&orig);
	buf_free(&text);
	buf_free(&report);
	return 0;
fail:
	buf_free(&orig);
	buf_free(&text);
	buf_free(&report);
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return -1;
}
