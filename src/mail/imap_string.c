/* IMAP strings: quoted when possible, literals when not, and the text-for-people form of ENVELOPE. */
#include <string.h>

#include "lib/buf.h"
#include "mail/imap_string.h"

static int
literal(struct buf *out, const char *s, size_t len)
{
	size_t	 i, st;

	if (buf_addf(out, "{%zu}\r\n", len) == -1)
		return -1;
	for (i = st = 0; i < len; i++) {
		if (s[i] != '\0')
			continue;
		if (buf_add(out, s + st, i - st) == -1 ||
		    buf_addc(out, (char)0x80) == -1)
			return -1;
		st = i + 1;
	}
	return buf_add(out, s + st, len - st);
}

int
imap_nstring(struct buf *out, const char *s, size_t len)
{
	size_t	 i, st;

	if (s == NULL)
		return buf_add(out, "NIL", 3);
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			return literal(out, s, len);
	}
	if (buf_addc(out, '"') == -1)
		return -1;
	for (i = st = 0; i < len; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		if (buf_add(out, s + st, i - st) == -1 ||
		    buf_addc(out, '\\') == -1)
			return -1;
		st = i;
	}
	if (buf_add(out, s + st, len - st) == -1)
		return -1;
	return buf_addc(out, '"');
}

int
imap_nstring_nolf(struct buf *out, const char *s, size_t len)
{
	struct buf	 tmp;
	size_t		 i;
	int		 r;

	if (s == NULL || (memchr(s, '\r', len) == NULL &&
	    memchr(s, '\n', len) == NULL))
		return imap_nstring(out, s, len);
	buf_init(&tmp, 0);
	for (i = 0; i < len; i++)
		if (s[i] != '\r' && s[i] != '\n' && buf_addc(&tmp, s[i]) == -1) {
			buf_free(&tmp);
			return -1;
		}
	r = imap_nstring(out, tmp.data ? tmp.data : "", tmp.len);
	buf_free(&tmp);
	return r;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
imap_string_for_humans(struct buf *out, const char *s, size_t len)
{
	struct buf	 tmp;
	size_t		 i;
	int		 change = 0, r, space = 0;

	if (s == NULL)
		return buf_add(out, "NIL", 3);
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c == '\r' || c == '\n' || c == '\t' || c == '"' ||
		    c == '\\' || c == '\0' || c >= 0x80 ||
		    (c == ' ' && (i == 0 || i + 1 == len || s[i - 1] == ' ')))
			change = 1;
	}
	if (!change) {
		if (buf_addc(out, '"') == -1 || buf_add(out, s, len) == -1)
			return -1;
		return buf_addc(out, '"');
	}
	buf_init(&tmp, 0);
	for (i = 0; i < len; i++) {
		if (is_ws(s[i])) {
			space = tmp.len > 0;
			continue;
		}
		if ((space && buf_addc(&tmp, ' ') == -1) ||
		    buf_addc(&tmp, s[i]) == -1) {
			buf_free(&tmp);
			return -1;
		}
		space = 0;
	}
	r = tmp.len == 0 ? buf_add(out, "\"\"", 2) : literal(out, tmp.data,
	    tmp.len);
	buf_free(&tmp);
	return r;
}
