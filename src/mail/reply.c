/* SMTP reply lines: checked codes, cleaned and bounded text, multi-line continuation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "mail/reply.h"

/* "class.subject.detail" with class matching the reply code (RFC 3463 2). */
static int
valid_enhanced(int code, const char *e)
{
	size_t	 i, n;

	if (e[0] != '0' + code / 100 || e[1] != '.')
		return 0;
	e += 2;
	for (i = 0; i < 2; i++) {
		for (n = 0; e[n] >= '0' && e[n] <= '9'; n++)
			;
		if (n < 1 || n > 3 || (n > 1 && e[0] == '0'))
			return 0;
		e += n;
		if (*e != (i == 0 ? '.' : '\0'))
			return 0;
		e++;
	}
	return 1;
}

int
reply_codes_valid(int code, const char *enhanced)
{
	return code >= 200 && code <= 599 &&
	    (enhanced == NULL || valid_enhanced(code, enhanced));
}

int
reply_error_entry(const char *s, int *code, char enhanced[8], const char **text,
    const char **errstr)
{
	const char	*p;
	size_t		 n, i;

	if (strncasecmp(s, "error:", 6) != 0) {
		*errstr = "not an error: entry";
		return -1;
	}
	p = s + 6;
	if (!(p[0] == '4' || p[0] == '5') || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '\t')) {
		*errstr = "error: needs a 4XX or 5XX code, then text";
		return -1;
	}
	*code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	p += 3 + strspn(p + 3, " \t");
	snprintf(enhanced, 8, "%c.0.0", s[6]);
	n = strcspn(p, " \t");
	for (i = 0; i < n && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.'); i++)
		;
	if (n > 0 && i == n && memchr(p, '.', n) != NULL) {
		/* Digits and dots: an enhanced code, and a valid one of this class. */
		if (n >= 8) {
			*errstr = "enhanced status code too long";
			return -1;
		}
		memcpy(enhanced, p, n);
		enhanced[n] = '\0';
		if (!valid_enhanced(*code, enhanced)) {
			*errstr = "invalid enhanced status code (RFC 3463: "
			    "class.subject.detail, the class of the reply code, "
			    "no leading zeros)";
			return -1;
		}
		p += n + strspn(p + n, " \t");
	}
	if (*p == '\0') {
		*errstr = "error: entry without text";
		return -1;
	}
	for (i = 0; p[i] != '\0'; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
			*errstr = "control character in error: text";
			return -1;
		}
	*text = p;
	return 0;
}

static void
check_codes(int code, const char *enhanced)
{
	if (code < 200 || code > 599)
		fatalx("reply code %d out of range", code);
	if (enhanced != NULL && !valid_enhanced(code, enhanced))
		fatalx("reply %d: bad enhanced code \"%s\"", code, enhanced);
}

/* Appends one line to b: code, separator, enhanced code, cleaned text, CRLF. */
static int
add_line(struct buf *b, int code, char sep, const char *enhanced,
    const char *text)
{
	char	 line[REPLY_LINE_MAX];
	size_t	 o, i, room;

	o = (size_t)snprintf(line, sizeof(line), "%03d%c%s%s", code, sep,
	    enhanced ? enhanced : "", enhanced && *text ? " " : "");
	if (enhanced == NULL && *text == '\0' && sep == ' ')
		o--;	/* "250\r\n": textstring may not be empty */
	room = sizeof(line) - 2;
	for (i = 0; text[i] != '\0' && o < room; i++) {
		unsigned char	 c = (unsigned char)text[i];

		if (c == '\r' || c == '\n')
			c = ' ';
		else if (c < 0x20 || c == 0x7f)
			c = '?';
		line[o++] = (char)c;
	}
	/* Cut inside a UTF-8 character: drop its leading octets too. */
	if (text[i] != '\0' && ((unsigned char)text[i] & 0xc0) == 0x80) {
		while (o > 0 && ((unsigned char)line[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)line[o - 1] & 0xc0) == 0xc0)
			o--;
	}
	line[o++] = '\r';
	line[o++] = '\n';
	return buf_add(b, line, o);
}

void
reply_vformat(struct buf *out, int code, const char *enhanced,
    const char *fmt, va_list ap)
{
	char	 text[REPLY_LINE_MAX];

	check_codes(code, enhanced);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	(void)add_line(out, code, ' ', enhanced, text);
}

void
reply_format(struct buf *out, int code, const char *enhanced,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	reply_vformat(out, code, enhanced, fmt, ap);
	va_end(ap);
}

void
reply_lines(struct buf *out, int code, const char *enhanced,
    const char *const lines[], size_t n)
{
	struct buf	 b;
	size_t		 i;
	int		 r = 0;

	check_codes(code, enhanced);
	if (n == 0)
		fatalx("reply %d without lines", code);
	/* Built aside: a full out gets the whole reply or none of it. */
	buf_init(&b, out->max);
	for (i = 0; i < n; i++)
		r |= add_line(&b, code, i + 1 < n ? '-' : ' ', enhanced,
		    lines[i] ? lines[i] : "");
	if (r == 0)
		(void)buf_add(out, b.data, b.len);
	buf_free(&b);
}

void
reply_multi(struct buf *out, int code, const char *const lines[], size_t n)
{
	reply_lines(out, code, NULL, lines, n);
}
