/* TODO(wt/imapsearch): placeholders until search.c, section.c and search_fields.c are merged; this file goes then. */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "imap/search_fields.h"
#include "lib/buf.h"

int
search_fields_build(struct buf *out, const char *msg, size_t len,
    const struct mime_tree *t)
{
	return buf_add(out, "\0", 1);
}

bool
search_fields_current(const void *p, size_t len)
{
	return true;
}

/* ---- search.h ---- */
#include <string.h>

#include "imap/search.h"
#include "imap/section.h"
#include "lib/xalloc.h"
#include "mail/mime.h"

struct search {
	char	*tag;
};

struct search *
search_new(const struct imap_request *req, const struct search_mailbox *mb)
{
	struct search	*s = xcalloc(1, sizeof(*s));

	s->tag = xstrdup(req->tag ? req->tag : "*");
	return s;
}

void
search_run(struct search *s)
{
}

int
search_write(const struct search *s, struct buf *out)
{
	return 0;
}

int
search_write_status(const struct search *s, struct buf *out)
{
	return buf_addf(out, "%s NO [SERVERBUG] SEARCH is not there yet\r\n",
	    s->tag);
}

enum imap_resp
search_result(const struct search *s)
{
	return IMAP_NO;
}

int
search_take_saved(struct search *s, uint32_t **uids, size_t *n)
{
	return 0;
}

size_t
search_gone(const struct search *s)
{
	return 0;
}

size_t
search_matches(const struct search *s, const uint32_t **seqs,
    const uint32_t **uids)
{
	return 0;
}

void
search_free(struct search **ps)
{
	if (*ps != NULL)
		free((*ps)->tag);
	x_free(ps);
}

/* ---- section.h: BODY[], HEADER, TEXT only ---- */

struct section {
	struct buf	 head;
	struct buf	 data;
	size_t		 off;
	bool		 seen;
};

static int
stub_add(void *arg, const char *p, size_t n)
{
	return buf_add(arg, p, n);
}

static struct section *
stub_range(const char *name, const char *msg, uint64_t start, uint64_t end,
    bool seen)
{
	struct section	*s = xcalloc(1, sizeof(*s));

	buf_init(&s->head, 0);
	buf_init(&s->data, 0);
	mime_crlf_write(msg, start, end, 0, UINT64_MAX, stub_add, &s->data);
	buf_addf(&s->head, "%s {%zu}\r\n", name, s->data.len);
	s->seen = seen;
	return s;
}

struct section *
section_open(const struct imap_fetch_body *f, const char *msg, size_t len,
    const struct mime_tree *t, enum imap_code *code, const char **errstr)
{
	const struct mime_part	*p = &t->parts[0];

	if (f->nparts > 0 || f->kind != IMAP_FB_BODY) {
		*code = IMAP_CODE_SERVERBUG;
		*errstr = "not there yet";
		return NULL;
	}
	switch (f->text) {
	case IMAP_SECTION_NONE:
		return stub_range("BODY[]", msg, 0, len, !f->peek);
	case IMAP_SECTION_HEADER:
		return stub_range("BODY[HEADER]", msg, p->hdr_off, p->body_off,
		    !f->peek);
	case IMAP_SECTION_TEXT:
		return stub_range("BODY[TEXT]", msg, p->body_off, len, !f->peek);
	default:
		*code = IMAP_CODE_SERVERBUG;
		*errstr = "not there yet";
		return NULL;
	}
}

struct section *
section_open_rfc822(unsigned item, const char *msg, size_t len,
    const struct mime_tree *t)
{
	const struct mime_part	*p = &t->parts[0];

	if (item == IMAP_FETCH_RFC822_HEADER)
		return stub_range("RFC822.HEADER", msg, p->hdr_off, p->body_off,
		    false);
	if (item == IMAP_FETCH_RFC822_TEXT)
		return stub_range("RFC822.TEXT", msg, p->body_off, len, true);
	return stub_range("RFC822", msg, 0, len, true);
}

int
section_write_head(const struct section *s, struct buf *out)
{
	return buf_add(out, s->head.data, s->head.len);
}

uint64_t
section_length(const struct section *s)
{
	return s->data.len;
}

size_t
section_read(struct section *s, char *dst, size_t room)
{
	size_t	 n = s->data.len - s->off;

	if (n > room)
		n = room;
	memcpy(dst, s->data.data + s->off, n);
	s->off += n;
	return n;
}

int
section_write(struct section *s, struct buf *out)
{
	return section_write_head(s, out) == 0 &&
	    buf_add(out, s->data.data + s->off, s->data.len - s->off) == 0 ? 0 : -1;
}

bool
section_sets_seen(const struct section *s)
{
	return s->seen;
}

void
section_free(struct section **ps)
{
	if (*ps == NULL)
		return;
	buf_free(&(*ps)->head);
	buf_free(&(*ps)->data);
	x_free(ps);
}
