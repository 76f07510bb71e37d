/* The Received: header of RFC 5321 4.4, folded, with every foreign string made safe. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/utf8.h"
#include "mail/addr.h"
#include "mail/received.h"

/* Longest piece of foreign text copied: keeps every folded line under 998 octets. */
#define FIELD_MAX	255
#define HEADER_MAX	4096

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * Comment text (RFC 5322 ctext): control and non-ASCII octets become '?',
 * and the three characters that end or escape a comment are quoted-pairs.
 */
static int
add_ctext(struct buf *b, const char *s)
{
	size_t	 i, o = 0;
	int	 r = 0;

	for (i = 0; s[i] != '\0' && o < FIELD_MAX; i++, o++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			c = '?';
		else if (c == '(' || c == ')' || c == '\\') {
			if (o + 2 > FIELD_MAX)
				break;
			r |= buf_addc(b, '\\');
			o++;
		}
		r |= buf_addc(b, (char)c);
	}
	return r;
}

/*
 * A bare token (a domain, an address literal, an id): only what such a
 * token may hold passes, the rest becomes '?', so that no client string can
 * open a comment, end the clause list with ';' or break the line.
 */
static int
add_token(struct buf *b, const char *s, const char *extra)
{
	size_t	 i;
	int	 r = 0;

	if (s == NULL || *s == '\0')
		return buf_adds(b, "unknown");
	for (i = 0; s[i] != '\0' && i < FIELD_MAX; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (!is_alnum(c) && strchr(extra, c) == NULL)
			c = '?';
		r |= buf_addc(b, (char)c);
	}
	return r;
}

/* A path inside <>: printable ASCII and well-formed UTF-8 (SMTPUTF8) pass. */
static int
add_path(struct buf *b, const char *s)
{
	size_t	 i, l, n = strlen(s);
	int	 r = 0;

	if (n > FIELD_MAX + 1)
		n = FIELD_MAX + 1;
	for (i = 0; i < n; i += l) {
		unsigned char	 c = (unsigned char)s[i];

		l = 1;
		if (c >= 0x80 && (l = utf8_safe_len(s + i, n - i)) > 1) {
			r |= buf_add(b, s + i, l);
			continue;
		}
		l = 1;
		if (c < 0x20 || c >= 0x7f)
			c = '?';
		r |= buf_addc(b, (char)c);
	}
	return r;
}

const char *
received_protocol(int esmtp, int tls, int auth, int utf8)
{
	static const char *const esmtp_names[] = {
		"ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA",
	};
	static const char *const utf8_names[] = {
		"UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA",
	};
	int	 i = (tls ? 2 : 0) + (auth ? 1 : 0);

	if (!esmtp)
		return "SMTP";
	return utf8 ? utf8_names[i] : esmtp_names[i];
}

void
received_date(char *dst, size_t dstlen, time_t t)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm	 tm;
	long		 off;
	char		 sign = '+';

	/* Day and month names by hand: strftime would follow the locale. */
	if (localtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		(void)snprintf(dst, dstlen, "Thu, 1 Jan 1970 00:00:00 +0000");
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	(void)snprintf(dst, dstlen, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60, off % 60);
}

int
received_header(struct buf *out, const struct received_info *ri)
{
	struct buf	 b;
	char		 date[64];
	int		 r = 0;

	/* Built aside, so that a full out gets all of the header or none of it. */
	buf_init(&b, HEADER_MAX);
	r |= buf_adds(&b, "Received: ");
	if (!ri->mask_src) {
		r |= buf_adds(&b, "from ");
		r |= add_token(&b, ri->helo, "-._[]:");
		r |= buf_adds(&b, " (");
		if (ri->rdns != NULL && ri->rdns[0] != '\0')
			r |= add_ctext(&b, ri->rdns);
		else
			r |= buf_adds(&b, "unknown");
		if (ri->addr != NULL && ri->addr[0] != '\0') {
			r |= buf_adds(&b, " [");
			if (strchr(ri->addr, ':') != NULL &&
			    strncasecmp(ri->addr, "IPv6:", 5) != 0)
				r |= buf_adds(&b, "IPv6:");
			r |= add_token(&b, ri->addr, ".:");
			r |= buf_addc(&b, ']');
		}
		r |= buf_adds(&b, ")\r\n\t");
	}
	r |= buf_adds(&b, "by ");
	r |= add_token(&b, ri->hostname, "-.");
	if (ri->local) {
		/* Who enqueued it, as Postfix says "(Postfix, from userid N)". */
		r |= buf_addf(&b, " (tegami, from userid %u", ri->local_uid);
		if (ri->local_user != NULL) {
			r |= buf_adds(&b, " (");
			r |= add_ctext(&b, ri->local_user);
			r |= buf_addc(&b, ')');
		}
		r |= buf_adds(&b, ") with ");
	} else
		r |= buf_adds(&b, " (tegami) with ");
	r |= add_token(&b, ri->protocol ? ri->protocol : "SMTP", "");
	if (ri->queue_id != NULL && ri->queue_id[0] != '\0') {
		r |= buf_adds(&b, " id ");
		r |= add_token(&b, ri->queue_id, "-._");
	}
	if (ri->tls_version != NULL) {
		r |= buf_adds(&b, "\r\n\t(");
		r |= add_ctext(&b, ri->tls_version);
		if (ri->tls_cipher != NULL) {
			r |= buf_addc(&b, ':');
			r |= add_ctext(&b, ri->tls_cipher);
		}
		if (ri->tls_bits > 0)
			r |= buf_addf(&b, ":%d", ri->tls_bits);
		r |= buf_addc(&b, ')');
	}
	if (ri->auth_user != NULL) {
		r |= buf_adds(&b, "\r\n\t(authenticated as ");
		r |= add_ctext(&b, ri->auth_user);
		r |= buf_addc(&b, ')');
	}
	if (ri->recipient != NULL) {
		r |= buf_adds(&b, "\r\n\tfor <");
		r |= add_path(&b, ri->recipient);
		r |= buf_addc(&b, '>');
	}
	received_date(date, sizeof(date), ri->when);
	r |= buf_addf(&b, ";\r\n\t%s\r\n", date);
	if (r == 0)
		r = buf_add(out, b.data, b.len);
	buf_free(&b);
	return r ? -1 : 0;
}
