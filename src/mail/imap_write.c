/* IMAP response writing: the choice between atom, quoted and literal, compact sets, dates and the status line grammar. */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_write.h"

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static const char *const codes[IMAP_CODE_COUNT] = {
	[IMAP_CODE_NONE] = NULL,
	[IMAP_CODE_ALERT] = "ALERT",
	[IMAP_CODE_ALREADYEXISTS] = "ALREADYEXISTS",
	[IMAP_CODE_AUTHENTICATIONFAILED] = "AUTHENTICATIONFAILED",
	[IMAP_CODE_AUTHORIZATIONFAILED] = "AUTHORIZATIONFAILED",
	[IMAP_CODE_CANNOT] = "CANNOT",
	[IMAP_CODE_CLIENTBUG] = "CLIENTBUG",
	[IMAP_CODE_CLOSED] = "CLOSED",
	[IMAP_CODE_CONTACTADMIN] = "CONTACTADMIN",
	[IMAP_CODE_CORRUPTION] = "CORRUPTION",
	[IMAP_CODE_EXPIRED] = "EXPIRED",
	[IMAP_CODE_EXPUNGEISSUED] = "EXPUNGEISSUED",
	[IMAP_CODE_HASCHILDREN] = "HASCHILDREN",
	[IMAP_CODE_INUSE] = "INUSE",
	[IMAP_CODE_LIMIT] = "LIMIT",
	[IMAP_CODE_NONEXISTENT] = "NONEXISTENT",
	[IMAP_CODE_NOPERM] = "NOPERM",
	[IMAP_CODE_OVERQUOTA] = "OVERQUOTA",
	[IMAP_CODE_PARSE] = "PARSE",
	[IMAP_CODE_PRIVACYREQUIRED] = "PRIVACYREQUIRED",
	[IMAP_CODE_READ_ONLY] = "READ-ONLY",
	[IMAP_CODE_READ_WRITE] = "READ-WRITE",
	[IMAP_CODE_SERVERBUG] = "SERVERBUG",
	[IMAP_CODE_TRYCREATE] = "TRYCREATE",
	[IMAP_CODE_UIDNOTSTICKY] = "UIDNOTSTICKY",
	[IMAP_CODE_UNAVAILABLE] = "UNAVAILABLE",
	[IMAP_CODE_UNKNOWN_CTE] = "UNKNOWN-CTE",
	[IMAP_CODE_USEATTR] = "USEATTR",
	[IMAP_CODE_NOMODSEQ] = "NOMODSEQ",
	[IMAP_CODE_TOOBIG] = "TOOBIG",
	[IMAP_CODE_NOTSAVED] = "NOTSAVED",
	[IMAP_CODE_UIDVALIDITY] = "UIDVALIDITY",
	[IMAP_CODE_UIDNEXT] = "UIDNEXT",
	[IMAP_CODE_UNSEEN] = "UNSEEN",
	[IMAP_CODE_HIGHESTMODSEQ] = "HIGHESTMODSEQ",
};

static const char *const resps[] = {
	[IMAP_OK] = "OK", [IMAP_NO] = "NO", [IMAP_BAD] = "BAD",
	[IMAP_BYE] = "BYE", [IMAP_PREAUTH] = "PREAUTH",
};

static int
astring_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\", c) == NULL;
}

/* Strict UTF-8, the same rules as the parser's. */
static int
valid_utf8(const unsigned char *p, size_t n)
{
	size_t	 i = 0, len, k;

	while (i < n) {
		uint32_t	 v;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			len = 2;
			v = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			len = 3;
			v = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			len = 4;
			v = p[i] & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			v = (v << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
		    (len == 4 && (v < 0x10000 || v > 0x10ffff)))
			return 0;
		i += len;
	}
	return 1;
}

/* Copies data with NUL octets turned into spaces: no string carries NUL. */
static int
add_data(struct buf *b, const char *p, size_t n)
{
	const char	*z;

	while (n > 0 && (z = memchr(p, '\0', n)) != NULL) {
		size_t	 k = (size_t)(z - p);

		if (buf_add(b, p, k) == -1 || buf_addc(b, ' ') == -1)
			return -1;
		p += k + 1;
		n -= k + 1;
	}
	return buf_add(b, p, n);
}

int
imap_write_literal(struct buf *b, const char *p, size_t n)
{
	if (buf_addf(b, "{%zu}\r\n", n) == -1)
		return -1;
	return add_data(b, p, n);
}

int
imap_write_literal8(struct buf *b, const char *p, size_t n)
{
	if (buf_addf(b, "~{%zu}\r\n", n) == -1)
		return -1;
	return buf_add(b, p, n);
}

int
imap_write_string(struct buf *b, const char *p, size_t n, unsigned flags)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 i, esc = 0;
	int			 high = 0;

	if (n > IMAP_W_QUOTED_MAX)
		return imap_write_literal(b, p, n);
	for (i = 0; i < n; i++) {
		if (u[i] == '\r' || u[i] == '\n' || u[i] == '\0')
			return imap_write_literal(b, p, n);
		if (u[i] == '"' || u[i] == '\\')
			esc++;
		if (u[i] >= 0x80)
			high = 1;
	}
	if (esc > IMAP_W_ESCAPES_MAX || (high && (!(flags & IMAP_W_UTF8) ||
	    !valid_utf8(u, n))))
		return imap_write_literal(b, p, n);
	if (buf_addc(b, '"') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((u[i] == '"' || u[i] == '\\') && buf_addc(b, '\\') == -1)
			return -1;
		if (buf_addc(b, p[i]) == -1)
			return -1;
	}
	return buf_addc(b, '"');
}

int
imap_write_astring(struct buf *b, const char *p, size_t n, unsigned flags)
{
	size_t	 i;

	if (n == 0 || (n == 3 && strncasecmp(p, "NIL", 3) == 0))
		return imap_write_string(b, p, n, flags);
	for (i = 0; i < n; i++)
		if (!astring_char((unsigned char)p[i]))
			return imap_write_string(b, p, n, flags);
	return buf_add(b, p, n);
}

int
imap_write_nstring(struct buf *b, const char *p, size_t n, unsigned flags)
{
	if (p == NULL)
		return buf_adds(b, "NIL");
	return imap_write_string(b, p, n, flags);
}

static const char *const sysflags[] = {
	"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft",
};

int
imap_write_flags(struct buf *b, unsigned sys, const char *const *kw,
    size_t nkw, unsigned wflags)
{
	size_t	 i;
	int	 sep = 0;

	if (buf_addc(b, '(') == -1)
		return -1;
	for (i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++) {
		if (!(sys & (1U << i)))
			continue;
		if ((sep && buf_addc(b, ' ') == -1) ||
		    buf_adds(b, sysflags[i]) == -1)
			return -1;
		sep = 1;
	}
	if (wflags & IMAP_WF_RECENT) {
		if ((sep && buf_addc(b, ' ') == -1) ||
		    buf_adds(b, "\\Recent") == -1)
			return -1;
		sep = 1;
	}
	for (i = 0; i < nkw; i++) {
		if ((sep && buf_addc(b, ' ') == -1) || buf_adds(b, kw[i]) == -1)
			return -1;
		sep = 1;
	}
	if (wflags & IMAP_WF_STAR) {
		if ((sep && buf_addc(b, ' ') == -1) || buf_adds(b, "\\*") == -1)
			return -1;
	}
	return buf_addc(b, ')');
}

int
imap_write_seqset(struct buf *b, const uint32_t *v, size_t n)
{
	size_t	 i = 0, j;
	int	 sep = 0;

	while (i < n) {
		if (v[i] == 0) {
			i++;
			continue;
		}
		for (j = i; j + 1 < n && v[j] != UINT32_MAX &&
		    v[j + 1] == v[j] + 1; j++)
			;
		if ((sep && buf_addc(b, ',') == -1) ||
		    buf_addf(b, "%" PRIu32, v[i]) == -1 ||
		    (j > i && buf_addf(b, ":%" PRIu32, v[j]) == -1))
			return -1;
		sep = 1;
		i = j + 1;
	}
	return sep ? 0 : -1;
}

static int
seq_number(struct buf *b, uint32_t v)
{
	if (v == IMAP_SEQ_STAR)
		return buf_addc(b, '*');
	return buf_addf(b, "%" PRIu32, v);
}

int
imap_write_ranges(struct buf *b, const struct imap_seq_range *r, size_t n)
{
	size_t	 i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((i > 0 && buf_addc(b, ',') == -1) ||
		    seq_number(b, r[i].first) == -1)
			return -1;
		if (r[i].last != r[i].first && (buf_addc(b, ':') == -1 ||
		    seq_number(b, r[i].last) == -1))
			return -1;
	}
	return 0;
}

int
imap_write_datetime(struct buf *b, time_t t, int zone)
{
	struct tm	 tm;
	int		 z = zone < 0 ? -zone : zone;
	time_t		 local = t + (time_t)zone * 60;

	if (gmtime_r(&local, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		return -1;
	return buf_addf(b, "\"%02d-%s-%04d %02d:%02d:%02d %c%02d%02d\"",
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, zone < 0 ? '-' : '+', z / 60 % 100, z % 60);
}

int
imap_write_section(struct buf *b, const struct imap_fetch_body *f)
{
	static const char *const texts[] = {
		[IMAP_SECTION_NONE] = "",
		[IMAP_SECTION_HEADER] = "HEADER",
		[IMAP_SECTION_HEADER_FIELDS] = "HEADER.FIELDS",
		[IMAP_SECTION_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
		[IMAP_SECTION_TEXT] = "TEXT",
		[IMAP_SECTION_MIME] = "MIME",
	};
	size_t	 i;

	if (buf_adds(b, f->kind == IMAP_FB_BODY ? "BODY[" :
	    f->kind == IMAP_FB_BINARY ? "BINARY[" : "BINARY.SIZE[") == -1)
		return -1;
	for (i = 0; i < f->nparts; i++)
		if (buf_addf(b, "%s%" PRIu32, i ? "." : "", f->part[i]) == -1)
			return -1;
	if (f->text != IMAP_SECTION_NONE && f->text < sizeof(texts) /
	    sizeof(texts[0])) {
		if ((f->nparts > 0 && buf_addc(b, '.') == -1) ||
		    buf_adds(b, texts[f->text]) == -1)
			return -1;
	}
	if (f->nfields > 0) {
		if (buf_adds(b, " (") == -1)
			return -1;
		for (i = 0; i < f->nfields; i++)
			if ((i > 0 && buf_addc(b, ' ') == -1) ||
			    imap_write_astring(b, f->fields[i].p,
			    f->fields[i].len, 0) == -1)
				return -1;
		if (buf_addc(b, ')') == -1)
			return -1;
	}
	if (buf_addc(b, ']') == -1)
		return -1;
	/* The origin octet only (RFC 9051 7.5.2). */
	if (f->partial && f->kind != IMAP_FB_BINARY_SIZE &&
	    buf_addf(b, "<%" PRIu64 ">", f->offset) == -1)
		return -1;
	return 0;
}

int
imap_write_caps(struct buf *b, uint64_t caps)
{
	uint64_t	 bit;

	if (buf_adds(b, "IMAP4rev1") == -1)
		return -1;
	for (bit = 1; bit <= caps && bit != 0; bit <<= 1) {
		const char	*name;

		if (!(caps & bit) || (name = imap_cap_name(bit)) == NULL)
			continue;
		if (bit == IMAP_CAP_THREAD &&
		    buf_adds(b, " THREAD=ORDEREDSUBJECT") == -1)
			return -1;
		if (buf_addc(b, ' ') == -1 || buf_adds(b, name) == -1)
			return -1;
	}
	return 0;
}

int
imap_write_begin(struct buf *b, const char *tag, size_t taglen,
    enum imap_resp r)
{
	if (tag == NULL) {
		tag = "*";
		taglen = 1;
	}
	if (buf_add(b, tag, taglen) == -1 || buf_addc(b, ' ') == -1 ||
	    buf_adds(b, resps[r]) == -1)
		return -1;
	return buf_addc(b, ' ');
}

int
imap_write_code(struct buf *b, enum imap_code code)
{
	if (code <= IMAP_CODE_NONE || code >= IMAP_CODE_COUNT)
		return 0;
	return buf_addf(b, "[%s] ", codes[code]);
}

int
imap_write_code_num(struct buf *b, enum imap_code code, uint64_t v)
{
	if (code <= IMAP_CODE_NONE || code >= IMAP_CODE_COUNT)
		return 0;
	return buf_addf(b, "[%s %" PRIu64 "] ", codes[code], v);
}

int
imap_write_code_permflags(struct buf *b, unsigned sys, const char *const *kw,
    size_t nkw, int new_keywords)
{
	if (buf_adds(b, "[PERMANENTFLAGS ") == -1 ||
	    imap_write_flags(b, sys, kw, nkw, new_keywords ? IMAP_WF_STAR : 0) ==
	    -1)
		return -1;
	return buf_adds(b, "] ");
}

int
imap_write_code_copyuid(struct buf *b, uint32_t uidvalidity,
    const uint32_t *src, const uint32_t *dst, size_t n)
{
	if (buf_addf(b, "[COPYUID %" PRIu32 " ", uidvalidity) == -1 ||
	    imap_write_seqset(b, src, n) == -1 || buf_addc(b, ' ') == -1 ||
	    imap_write_seqset(b, dst, n) == -1)
		return -1;
	return buf_adds(b, "] ");
}

int
imap_write_code_appenduid(struct buf *b, uint32_t uidvalidity,
    const uint32_t *uids, size_t n)
{
	if (buf_addf(b, "[APPENDUID %" PRIu32 " ", uidvalidity) == -1 ||
	    imap_write_seqset(b, uids, n) == -1)
		return -1;
	return buf_adds(b, "] ");
}

int
imap_write_code_modified(struct buf *b, const uint32_t *v, size_t n)
{
	if (buf_adds(b, "[MODIFIED ") == -1 || imap_write_seqset(b, v, n) == -1)
		return -1;
	return buf_adds(b, "] ");
}

int
imap_write_code_badcharset(struct buf *b, const char *const *cs, size_t n)
{
	size_t	 i;

	if (buf_adds(b, "[BADCHARSET") == -1)
		return -1;
	if (n > 0) {
		if (buf_adds(b, " (") == -1)
			return -1;
		for (i = 0; i < n; i++)
			if ((i > 0 && buf_addc(b, ' ') == -1) ||
			    imap_write_astring(b, cs[i], strlen(cs[i]), 0) == -1)
				return -1;
		if (buf_addc(b, ')') == -1)
			return -1;
	}
	return buf_adds(b, "] ");
}

int
imap_write_code_capability(struct buf *b, uint64_t caps, const char *extra)
{
	if (buf_adds(b, "[CAPABILITY ") == -1 || imap_write_caps(b, caps) == -1)
		return -1;
	if (extra != NULL && extra[0] != '\0' && (buf_addc(b, ' ') == -1 ||
	    buf_adds(b, extra) == -1))
		return -1;
	return buf_adds(b, "] ");
}

/* Text of a response line: TEXT-CHARs only, so no CR, LF or controls. */
static int
add_text(struct buf *b, const char *text)
{
	size_t	 i;

	for (i = 0; text[i] != '\0'; i++) {
		unsigned char	 c = (unsigned char)text[i];

		if (buf_addc(b, c < 0x20 || c == 0x7f ? ' ' : c >= 0x80 ?
		    '?' : (char)c) == -1)
			return -1;
	}
	return 0;
}

int
imap_write_end(struct buf *b, const char *text)
{
	/* RFC 3501: text = 1*TEXT-CHAR, never empty. */
	if (add_text(b, text[0] != '\0' ? text : "Done") == -1)
		return -1;
	return buf_adds(b, "\r\n");
}

int
imap_write_status(struct buf *b, const char *tag, size_t taglen,
    enum imap_resp r, enum imap_code code, const char *text)
{
	if (imap_write_begin(b, tag, taglen, r) == -1 ||
	    imap_write_code(b, code) == -1)
		return -1;
	return imap_write_end(b, text);
}

int
imap_write_continue(struct buf *b, const char *text)
{
	/* May be empty: an empty SASL challenge is "+ " CRLF. */
	if (buf_adds(b, "+ ") == -1 || add_text(b, text) == -1)
		return -1;
	return buf_adds(b, "\r\n");
}

int
imap_write_esearch(struct buf *b, const struct imap_esearch *e)
{
	if (buf_adds(b, "* ESEARCH") == -1)
		return -1;
	if (e->tag != NULL && (buf_adds(b, " (TAG ") == -1 ||
	    imap_write_string(b, e->tag, e->taglen, 0) == -1 ||
	    buf_addc(b, ')') == -1))
		return -1;
	if (e->uid && buf_adds(b, " UID") == -1)
		return -1;
	/* RFC 4731 3.1: MIN, MAX and ALL only when something matched. */
	if (e->count > 0) {
		if ((e->ret & IMAP_SEARCH_RET_MIN) &&
		    buf_addf(b, " MIN %" PRIu32, e->min) == -1)
			return -1;
		if ((e->ret & IMAP_SEARCH_RET_MAX) &&
		    buf_addf(b, " MAX %" PRIu32, e->max) == -1)
			return -1;
		if ((e->ret & IMAP_SEARCH_RET_ALL) && e->nall > 0 &&
		    (buf_adds(b, " ALL ") == -1 ||
		    imap_write_seqset(b, e->all, e->nall) == -1))
			return -1;
	}
	if ((e->ret & IMAP_SEARCH_RET_COUNT) &&
	    buf_addf(b, " COUNT %" PRIu32, e->count) == -1)
		return -1;
	if (e->modseq_set && e->count > 0 &&
	    buf_addf(b, " MODSEQ %" PRIu64, e->modseq) == -1)
		return -1;
	return buf_adds(b, "\r\n");
}

int
imap_write_vanished(struct buf *b, int earlier, const uint32_t *v, size_t n)
{
	if (buf_adds(b, earlier ? "* VANISHED (EARLIER) " : "* VANISHED ") ==
	    -1 || imap_write_seqset(b, v, n) == -1)
		return -1;
	return buf_adds(b, "\r\n");
}
