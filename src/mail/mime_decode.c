/* base64 (RFC 2045 6.8) and quoted-printable (6.7) decoders that take input in any chunks. */
#include <string.h>
#include <strings.h>

#include "lib/digits.h"
#include "lib/buf.h"
#include "mail/mime_decode.h"

enum { QP_TEXT, QP_CR, QP_EQ, QP_EQ1, QP_EQ_WS, QP_EQ_CR };

enum mime_cte
mime_cte_kind(const char *t, size_t len)
{
	static const struct {
		const char	*name;
		enum mime_cte	 cte;
	} names[] = {
		{ "7bit", MIME_CTE_7BIT }, { "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY }, { "base64", MIME_CTE_BASE64 },
		{ "quoted-printable", MIME_CTE_QP },
	};
	size_t	 i;

	if (t == NULL)
		return MIME_CTE_7BIT;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len == strlen(names[i].name) &&
		    strncasecmp(t, names[i].name, len) == 0)
			return names[i].cte;
	return MIME_CTE_UNKNOWN;
}

void
mime_decoder_init(struct mime_decoder *d, enum mime_cte cte)
{
	memset(d, 0, sizeof(*d));
	d->cte = cte;
}


/*
 * state counts '=' padding seen in the current quantum: data after
 * padding starts a new quantum (concatenated base64 blocks, common in
 * the wild) but is malformed.
 */
static int
b64(struct mime_decoder *d, const char *in, size_t len, struct buf *out)
{
	char	 tmp[768];
	size_t	 i, n = 0;
	int	 v;

	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)in[i];

		if ((v = base64_value((unsigned char)(c), BASE64_STD)) < 0) {
			if (c == '=') {
				/* Padding: only after 2 or 3 characters of a quantum. */
				if (d->bits == 0 && d->state == 0)
					d->malformed = 1;
				d->state++;
				d->bits = 0;
				d->acc = 0;
			} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
				d->malformed = 1;
			continue;
		}
		if (d->state > 0) {
			d->malformed = 1;
			d->state = 0;
		}
		d->acc = (d->acc << 6) | (unsigned)v;
		d->bits += 6;
		if (d->bits >= 8) {
			d->bits -= 8;
			tmp[n++] = (char)((d->acc >> d->bits) & 0xff);
			d->acc &= (1u << d->bits) - 1;
			if (n == sizeof(tmp)) {
				if (buf_add(out, tmp, n) == -1)
					return -1;
				n = 0;
			}
		}
	}
	return buf_add(out, tmp, n);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The blanks held back: they were not trailing after all. */
static int
flush_ws(struct mime_decoder *d, struct buf *out)
{
	size_t	 n = d->ws;

	d->ws = 0;
	return buf_add(out, d->wsbuf, n);
}

/*
 * One octet of quoted-printable. Line ends come out as CRLF (the
 * canonical form the encoding stands for); trailing blanks of a line go
 * (RFC 2045 6.7 rule 3); a run of more than 64 blanks is let through
 * whole, trailing or not.
 */
static int
qp_octet(struct mime_decoder *d, unsigned char c, struct buf *out)
{
	int	 h;

	switch (d->state) {
	case QP_CR:
		d->state = QP_TEXT;
		if (c == '\n') {
			d->ws = 0;
			return buf_add(out, "\r\n", 2);
		}
		d->malformed = 1;
		if (flush_ws(d, out) == -1 || buf_addc(out, '\r') == -1)
			return -1;
		return qp_octet(d, c, out);
	case QP_EQ:
		if ((h = hexval(c)) >= 0) {
			d->hold = (char)c;
			d->state = QP_EQ1;
			return 0;
		}
		if (c == '\n') {
			d->state = QP_TEXT;	/* soft line break */
			return 0;
		}
		if (c == '\r' || c == ' ' || c == '\t') {
			d->state = c == '\r' ? QP_EQ_CR : QP_EQ_WS;
			return 0;
		}
		d->malformed = 1;
		d->state = QP_TEXT;
		if (buf_addc(out, '=') == -1)
			return -1;
		return qp_octet(d, c, out);
	case QP_EQ1:
		d->state = QP_TEXT;
		if ((h = hexval(c)) >= 0)
			return buf_addc(out, (char)(hexval((unsigned char)d->hold) *
			    16 + h));
		d->malformed = 1;
		if (buf_addc(out, '=') == -1 || buf_addc(out, d->hold) == -1)
			return -1;
		return qp_octet(d, c, out);
	case QP_EQ_WS:
		if (c == ' ' || c == '\t')
			return 0;
		if (c == '\n' || c == '\r') {
			d->state = c == '\r' ? QP_EQ_CR : QP_TEXT;
			return 0;
		}
		/* "= x": not a soft break after all. */
		d->malformed = 1;
		d->state = QP_TEXT;
		if (buf_add(out, "= ", 2) == -1)
			return -1;
		return qp_octet(d, c, out);
	case QP_EQ_CR:
		d->state = QP_TEXT;
		if (c == '\n')
			return 0;
		d->malformed = 1;
		return qp_octet(d, c, out);
	}
	/* QP_TEXT */
	if (c == ' ' || c == '\t') {
		if (d->ws == sizeof(d->wsbuf) && flush_ws(d, out) == -1)
			return -1;
		d->wsbuf[d->ws++] = (char)c;
		return 0;
	}
	if (c == '\n') {
		d->ws = 0;
		return buf_add(out, "\r\n", 2);
	}
	if (c == '\r') {
		d->state = QP_CR;
		return 0;
	}
	if (flush_ws(d, out) == -1)
		return -1;
	if (c == '=') {
		d->state = QP_EQ;
		return 0;
	}
	if (c >= 0x80 || (c < 0x20 && c != '\t'))
		d->malformed = 1;
	return buf_addc(out, (char)c);
}

/* An octet quoted-printable takes as it is: printable ASCII but "=". */
static int
plain_qp(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '=';
}

int
mime_decoder_feed(struct mime_decoder *d, const char *in, size_t len,
    struct buf *out)
{
	size_t	 i;

	switch (d->cte) {
	case MIME_CTE_BASE64:
		return b64(d, in, len, out);
	case MIME_CTE_QP:
		for (i = 0; i < len;) {
			size_t	 run = i;

			/* Plain text goes in runs; the state machine gets the rest. */
			if (d->state == QP_TEXT && d->ws == 0) {
				while (run < len && plain_qp((unsigned char)in[run]))
					run++;
				if (run > i && buf_add(out, in + i, run - i) == -1)
					return -1;
				if ((i = run) == len)
					break;
			}
			if (qp_octet(d, (unsigned char)in[i++], out) == -1)
				return -1;
		}
		return 0;
	default:
		return buf_add(out, in, len);
	}
}

int
mime_decoder_end(struct mime_decoder *d, struct buf *out)
{
	int	 r = 0;

	if (d->cte == MIME_CTE_BASE64) {
		/* 6 leftover bits cannot make an octet; 2 or 4 are the zero fill. */
		if (d->bits == 6 || (d->bits > 0 && d->state == 0) ||
		    (d->acc != 0 && d->bits > 0))
			d->malformed = 1;
	} else if (d->cte == MIME_CTE_QP) {
		switch (d->state) {
		case QP_EQ1:
			d->malformed = 1;
			r = buf_addc(out, '=') == -1 || buf_addc(out, d->hold) == -1 ?
			    -1 : 0;
			break;
		case QP_CR:
			d->malformed = 1;
			break;
		default:
			break;
		}
		d->ws = 0;	/* trailing blanks of the last line */
	}
	d->state = 0;
	d->bits = 0;
	d->acc = 0;
	return r;
}
