/* BODY[section] of RFC 3501 6.4.5: parsing the section text and finding its octets in the tree. */
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mail/mime.h"
#include "mail/mime_header.h"

static int
word(const char *s, size_t len, size_t *i, const char *w)
{
	size_t	 n = strlen(w);

	if (len - *i < n || strncasecmp(s + *i, w, n) != 0)
		return 0;
	*i += n;
	return 1;
}

/* The header-list of HEADER.FIELDS: "(" astring *(SP astring) ")". */
static int
names(const char *s, size_t len, size_t i, struct mime_section *sec,
    const char **errstr)
{
	size_t	 st;

	if (i >= len || s[i] != ' ' || i + 1 >= len || s[i + 1] != '(') {
		*errstr = "header list expected";
		return -1;
	}
	for (i += 2;;) {
		if (i >= len) {
			*errstr = "unterminated header list";
			return -1;
		}
		if (s[i] == ')' && sec->nnames > 0)
			break;
		if (sec->nnames > 0) {
			if (s[i] != ' ') {
				*errstr = "space expected in header list";
				return -1;
			}
			i++;
		}
		if (sec->nnames == MIME_SEC_MAX_NAMES) {
			*errstr = "too many header names";
			return -1;
		}
		if (i < len && s[i] == '"') {
			st = ++i;
			while (i < len && s[i] != '"' && s[i] != '\\')
				i++;
			if (i >= len || s[i] != '"') {
				*errstr = "bad quoted header name";
				return -1;
			}
			sec->names[sec->nnames] = s + st;
			sec->namelens[sec->nnames++] = i - st;
			i++;
			continue;
		}
		st = i;
		while (i < len && s[i] > ' ' && s[i] < 0x7f && s[i] != ')' &&
		    s[i] != '(' && s[i] != '"')
			i++;
		if (i == st) {
			*errstr = "header name expected";
			return -1;
		}
		sec->names[sec->nnames] = s + st;
		sec->namelens[sec->nnames++] = i - st;
	}
	if (i + 1 != len) {
		*errstr = "junk after header list";
		return -1;
	}
	return 0;
}

int
mime_section_parse(const char *s, size_t len, struct mime_section *sec,
    const char **errstr)
{
	size_t		 i = 0;
	uint64_t	 n;

	memset(sec, 0, sizeof(*sec));
	sec->kind = MIME_SEC_ALL;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (s[i] == '0') {
			*errstr = "part numbers start at 1";
			return -1;
		}
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if ((n = n * 10 + (uint64_t)(s[i] - '0')) > UINT32_MAX) {
				*errstr = "part number too big";
				return -1;
			}
		if (sec->npath == MIME_SEC_MAX_PATH) {
			*errstr = "section too deep";
			return -1;
		}
		sec->path[sec->npath++] = (uint32_t)n;
		if (i == len)
			return 0;
		if (s[i] != '.') {
			*errstr = "bad section";
			return -1;
		}
		i++;
	}
	if (i == len) {
		if (sec->npath > 0) {
			*errstr = "section ends in a dot";
			return -1;
		}
		return 0;
	}
	if (word(s, len, &i, "HEADER.FIELDS.NOT")) {
		sec->kind = MIME_SEC_FIELDS_NOT;
		return names(s, len, i, sec, errstr);
	}
	if (word(s, len, &i, "HEADER.FIELDS")) {
		sec->kind = MIME_SEC_FIELDS;
		return names(s, len, i, sec, errstr);
	}
	if (word(s, len, &i, "HEADER"))
		sec->kind = MIME_SEC_HEADER;
	else if (word(s, len, &i, "TEXT"))
		sec->kind = MIME_SEC_TEXT;
	else if (sec->npath > 0 && word(s, len, &i, "MIME"))
		sec->kind = MIME_SEC_MIME;
	else {
		*errstr = "unknown section";
		return -1;
	}
	if (i != len) {
		*errstr = "junk after section";
		return -1;
	}
	return 0;
}

int
mime_section_find(const struct mime_tree *t, const struct mime_section *sec,
    uint64_t *start, uint64_t *end)
{
	const struct mime_part	*msg = &t->parts[0], *p = NULL;
	size_t			 i;
	int			 self = 0;

	/*
	 * A part that is not multipart has one part, itself: "1" below it
	 * names it again, once (so 1.1 of a text part in a multipart is that
	 * part, as Dovecot has it, and 1.1 of a one-part message is nothing).
	 */
	for (i = 0; i < sec->npath; i++) {
		uint32_t	 k = sec->path[i];

		/* Below a message/rfc822 part are the parts of its message. */
		if (p != NULL && p->kind == MIME_MESSAGE) {
			if (p->child == MIME_NONE)
				return 0;
			msg = &t->parts[p->child];
			p = NULL;
		}
		if (p == NULL) {
			if (msg->kind == MIME_MULTIPART) {
				p = mime_child(t, msg, k - 1);
				self = 0;
			} else if (k == 1) {
				p = msg;
				self = 1;
			}
		} else if (p->kind == MIME_MULTIPART) {
			p = mime_child(t, p, k - 1);
			self = 0;
		} else if (self || k != 1)
			p = NULL;
		else
			self = 1;
		if (p == NULL)
			return 0;
	}
	if (p != NULL) {
		switch (sec->kind) {
		case MIME_SEC_ALL:
			*start = p->body_off;
			*end = p->body_end;
			return 1;
		case MIME_SEC_MIME:
			*start = p->hdr_off;
			*end = p->body_off;
			return 1;
		default:
			if (p->kind != MIME_MESSAGE || p->child == MIME_NONE)
				return 0;
			msg = &t->parts[p->child];
			break;
		}
	}
	switch (sec->kind) {
	case MIME_SEC_ALL:
		*start = msg->hdr_off;
		*end = msg->body_end;
		return 1;
	case MIME_SEC_TEXT:
		*start = msg->body_off;
		*end = msg->body_end;
		return 1;
	case MIME_SEC_MIME:
		return 0;
	default:
		*start = msg->hdr_off;
		*end = msg->body_off;
		return 1;
	}
}

static int
appendf(void *arg, const char *p, size_t n)
{
	return buf_add(arg, p, n);
}

int
mime_section_fields(const char *msg, uint64_t start, uint64_t end,
    const struct mime_section *sec, struct buf *out)
{
	struct mime_hdr		 h;
	struct mime_field	 f;
	size_t			 i;
	int			 match;

	mime_hdr_init(&h, msg + start, (size_t)(end - start));
	while (mime_hdr_next(&h, &f)) {
		match = 0;
		for (i = 0; i < sec->nnames && !f.nocolon; i++)
			if (f.namelen == sec->namelens[i] && f.namelen > 0 &&
			    strncasecmp(f.name, sec->names[i], f.namelen) == 0)
				match = 1;
		if (match != (sec->kind == MIME_SEC_FIELDS))
			continue;
		if (mime_crlf_write(msg, (uint64_t)(f.start - msg),
		    (uint64_t)(f.end - msg), 0, UINT64_MAX, appendf, out) == -1)
			return -1;
		if (f.end[-1] != '\n' && buf_add(out, "\r\n", 2) == -1)
			return -1;
	}
	return buf_add(out, "\r\n", 2);
}
