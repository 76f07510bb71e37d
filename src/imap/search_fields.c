/* The search fields of a message: its header decoded and folded once, as bytes the index keeps, and read back. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mail/mime.h"
#include "mail/mime_addr.h"
#include "mail/mime_charset.h"
#include "mail/mime_date.h"
#include "mail/mime_header.h"
#include "imap/search_fields.h"
#include "imap/search_fold.h"
#include "imap/search_priv.h"
#include "imap/sort.h"
#include "imap/thread.h"

/*
 * Layout, little-endian: "TGSF" u16 version; u8 flags (1: date, 2:
 * reply), u8 present; i64 date; i32 zone; then SF_NSTR strings as u32
 * length + octets; u16 number of references, each u16 length + octets.
 */
#define MAGIC		"TGSF"
#define FL_DATE		0x01
#define FL_REPLY	0x02

enum { A_FROM, A_TO, A_CC, A_BCC, A_N };

struct build {
	struct buf		 subj;		/* every Subject, decoded, one a line */
	struct buf		 base;		/* the base subject of the first */
	bool			 have_subj, reply;
	struct mime_addrlist	 addr[A_N];
	unsigned		 present;
	bool			 date_set;
	time_t			 date;
	int			 tz;
	bool			 have_id, have_refs, have_irt;
	struct buf		 id;
	/* The newest SEARCH_FIELDS_REFS_MAX references, a ring. */
	struct buf		 refs[SEARCH_FIELDS_REFS_MAX];
	size_t			 nrefs, refhead;
	struct buf		 irt;
};

static int
put(struct buf *b, uint64_t v, int n)
{
	unsigned char	 c[8];
	int		 i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	return buf_add(b, c, (size_t)n);
}

/* At most SEARCH_FIELDS_STR_MAX octets, cut before a UTF-8 continuation. */
static int
put_str(struct buf *b, const char *s, size_t len)
{
	if (len > SEARCH_FIELDS_STR_MAX) {
		len = SEARCH_FIELDS_STR_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	if (put(b, len, 4) == -1)
		return -1;
	return len ? buf_add(b, s, len) : 0;
}

static int
keep_id(void *arg, const char *id, size_t len)
{
	struct buf	*b = arg;

	(void)buf_add(b, id, len);
	return -1;		/* the first is enough */
}

static int
keep_ref(void *arg, const char *id, size_t len)
{
	struct build	*x = arg;
	struct buf	*slot;

	slot = &x->refs[(x->refhead + x->nrefs) % SEARCH_FIELDS_REFS_MAX];
	if (x->nrefs == SEARCH_FIELDS_REFS_MAX) {
		/* Full: the oldest goes, its slot takes the newest. */
		slot = &x->refs[x->refhead];
		x->refhead = (x->refhead + 1) % SEARCH_FIELDS_REFS_MAX;
	} else
		x->nrefs++;
	slot->len = 0;
	(void)buf_add(slot, id, len);
	return 0;
}

static void
field(struct build *x, const struct mime_field *f)
{
	static const char *const names[A_N] = { "From", "To", "Cc", "Bcc" };
	static const int bits[A_N] = { SF_FROM, SF_TO, SF_CC, SF_BCC };
	struct buf	 tmp;
	int		 i;

	if (f->nocolon || f->namelen == 0)
		return;
	if (mime_field_is(f, "Subject")) {
		x->present |= SF_HAS(SF_SUBJECT);
		buf_init(&tmp, 0);
		mime_words_decode(f->value, f->valuelen, &tmp);
		if (x->subj.len > 0)
			(void)buf_addc(&x->subj, '\n');
		if (x->subj.len < SEARCH_FIELDS_STR_MAX)
			(void)buf_add(&x->subj, tmp.data ? tmp.data : "", tmp.len);
		if (!x->have_subj) {
			x->have_subj = true;
			(void)sort_base_subject(&x->base, tmp.data ? tmp.data : "",
			    tmp.len, &x->reply);
		}
		buf_free(&tmp);
		return;
	}
	for (i = 0; i < A_N; i++)
		if (mime_field_is(f, names[i])) {
			x->present |= SF_HAS(bits[i]);
			mime_addr_parse(f->value, f->valuelen, &x->addr[i]);
			return;
		}
	if (mime_field_is(f, "Date")) {
		if (!x->date_set && mime_date_parse(f->value, f->valuelen,
		    &x->date, &x->tz) == 0)
			x->date_set = true;
	} else if (mime_field_is(f, "Message-ID")) {
		if (!x->have_id && thread_msgids(f->value, f->valuelen, 1,
		    keep_id, &x->id) > 0)
			x->have_id = true;
	} else if (mime_field_is(f, "References")) {
		if (!x->have_refs)
			x->have_refs = thread_msgids(f->value, f->valuelen,
			    SIZE_MAX, keep_ref, x) > 0;
	} else if (mime_field_is(f, "In-Reply-To")) {
		if (!x->have_irt && thread_msgids(f->value, f->valuelen, 1,
		    keep_id, &x->irt) > 0)
			x->have_irt = true;
	}
}

/* A display name that is not one atom is written quoted (RFC 5322 atext; 8-bit counts as text). */
static bool
needs_quotes(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x80 && !((*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *s) != NULL))
			return true;
	return false;
}

/*
 * The text FROM, TO, CC and BCC match: each address as Dovecot writes it
 * before matching, "name <mailbox@host>" with the name quoted when it is
 * not one atom, then encoded words decoded; ", " between addresses,
 * "group:" members ";" for groups.
 */
static void
addr_text(const struct mime_addrlist *l, struct buf *out)
{
	const struct mime_addr	*a;
	struct buf		 raw;
	size_t			 i;
	bool			 sep = false;
	const char		*p;

	buf_init(&raw, 0);
	for (i = 0; i < l->n && raw.len < SEARCH_FIELDS_STR_MAX; i++) {
		a = &l->a[i];
		if (a->group) {
			if (a->mailbox == NULL) {
				(void)buf_addc(&raw, ';');
				sep = true;
				continue;
			}
			if (sep)
				(void)buf_adds(&raw, ", ");
			(void)buf_adds(&raw, a->mailbox);
			(void)buf_addc(&raw, ':');
			sep = false;
			continue;
		}
		if (sep)
			(void)buf_adds(&raw, ", ");
		else if (raw.len > 0 && raw.data[raw.len - 1] == ':')
			(void)buf_addc(&raw, ' ');
		sep = true;
		if (a->name != NULL && a->name[0] != '\0') {
			if (needs_quotes(a->name)) {
				(void)buf_addc(&raw, '"');
				for (p = a->name; *p != '\0'; p++) {
					if (*p == '"' || *p == '\\')
						(void)buf_addc(&raw, '\\');
					(void)buf_addc(&raw, *p);
				}
				(void)buf_addc(&raw, '"');
			} else
				(void)buf_adds(&raw, a->name);
			if (a->mailbox == NULL)
				continue;
			(void)buf_addc(&raw, ' ');
		}
		if (a->mailbox == NULL)
			continue;
		(void)buf_addf(&raw, "<%s%s%s>", a->mailbox, a->host ? "@" : "",
		    a->host ? a->host : "");
	}
	mime_words_decode(raw.data ? raw.data : "", raw.len, out);
	buf_free(&raw);
}

/* Appends the fold of s[0..len) (a SORT key: i;unicode-casemap, as Dovecot sorts). */
static void
fold_key(struct buf *out, const char *s, size_t len)
{
	(void)search_fold(out, s ? s : "", len);
}

/*
 * SORT FROM/TO/CC: the first address's local part (RFC 5256 3); a group
 * first gives its name, as Dovecot has it.
 */
static void
sort_mailbox(const struct mime_addrlist *l, struct buf *out)
{
	const struct mime_addr	*a = l->n > 0 ? &l->a[0] : NULL;

	if (a != NULL && a->mailbox != NULL)
		fold_key(out, a->mailbox, strlen(a->mailbox));
}

/* DISPLAYFROM/TO (RFC 5957): the display name, else mailbox@host (a group: its name). */
static void
sort_display(const struct mime_addrlist *l, struct buf *out)
{
	const struct mime_addr	*a = l->n > 0 ? &l->a[0] : NULL;
	struct buf		 t;

	if (a == NULL)
		return;
	buf_init(&t, 0);
	if (a->group) {
		if (a->mailbox != NULL)
			mime_words_decode(a->mailbox, strlen(a->mailbox), &t);
	} else if (a->name != NULL)
		mime_words_decode(a->name, strlen(a->name), &t);
	while (t.len > 0 && t.data[t.len - 1] == ' ')
		t.len--;
	if (t.len == 0 && !a->group && a->mailbox != NULL)
		(void)buf_addf(&t, "%s%s%s", a->mailbox, a->host ? "@" : "",
		    a->host ? a->host : "");
	fold_key(out, t.data, t.len);
	buf_free(&t);
}

static int
write_fields(struct build *x, struct buf *out)
{
	struct buf	 s[SF_NSTR];
	size_t		 i;
	int		 e = 0;

	for (i = 0; i < SF_NSTR; i++)
		buf_init(&s[i], 0);
	(void)search_fold(&s[SF_SUBJECT], x->subj.data ? x->subj.data : "",
	    x->subj.len);
	for (i = 0; i < A_N; i++) {
		struct buf	 t;

		buf_init(&t, 0);
		addr_text(&x->addr[i], &t);
		(void)search_fold(&s[SF_FROM + i], t.data ? t.data : "", t.len);
		buf_free(&t);
	}
	fold_key(&s[SF_BASESUBJ], x->base.data, x->base.len);
	sort_mailbox(&x->addr[A_FROM], &s[SF_SORTFROM]);
	sort_mailbox(&x->addr[A_TO], &s[SF_SORTTO]);
	sort_mailbox(&x->addr[A_CC], &s[SF_SORTCC]);
	sort_display(&x->addr[A_FROM], &s[SF_DISPFROM]);
	sort_display(&x->addr[A_TO], &s[SF_DISPTO]);
	if (x->have_id)
		(void)buf_add(&s[SF_MSGID], x->id.data, x->id.len);

	e |= buf_add(out, MAGIC, 4) | put(out, SEARCH_FIELDS_VERSION, 2);
	e |= put(out, (x->date_set ? FL_DATE : 0) | (x->reply ? FL_REPLY : 0), 1);
	e |= put(out, x->present, 1);
	e |= put(out, (uint64_t)(int64_t)x->date, 8);
	e |= put(out, (uint64_t)(uint32_t)(int32_t)x->tz, 4);
	for (i = 0; i < SF_NSTR; i++)
		e |= put_str(out, s[i].data ? s[i].data : "", s[i].len);
	/* RFC 5256 REFERENCES 1.A: References, else In-Reply-To's first id. */
	if (x->nrefs > 0) {
		e |= put(out, x->nrefs, 2);
		for (i = 0; i < x->nrefs; i++) {
			const struct buf *r = &x->refs[(x->refhead + i) %
			    SEARCH_FIELDS_REFS_MAX];

			e |= put(out, r->len, 2) | buf_add(out, r->data, r->len);
		}
	} else if (x->have_irt) {
		e |= put(out, 1, 2) | put(out, x->irt.len, 2) |
		    buf_add(out, x->irt.data, x->irt.len);
	} else
		e |= put(out, 0, 2);
	for (i = 0; i < SF_NSTR; i++)
		buf_free(&s[i]);
	return e ? -1 : 0;
}

int
search_fields_build(struct buf *out, const char *msg, size_t len,
    const struct mime_tree *t)
{
	struct mime_tree	*own = NULL;
	const struct mime_part	*p;
	struct mime_hdr		 h;
	struct mime_field	 f;
	struct build		 x;
	size_t			 i;
	int			 r;

	if (t == NULL && (t = own = mime_parse(msg, len)) == NULL)
		return -1;
	memset(&x, 0, sizeof(x));
	buf_init(&x.subj, 0);
	buf_init(&x.base, 0);
	buf_init(&x.id, 0);
	buf_init(&x.irt, 0);
	for (i = 0; i < SEARCH_FIELDS_REFS_MAX; i++)
		buf_init(&x.refs[i], 0);
	p = &t->parts[0];
	mime_hdr_init(&h, msg + p->hdr_off, (size_t)(p->body_off - p->hdr_off));
	while (mime_hdr_next(&h, &f))
		field(&x, &f);
	r = write_fields(&x, out);
	buf_free(&x.subj);
	buf_free(&x.base);
	buf_free(&x.id);
	buf_free(&x.irt);
	for (i = 0; i < SEARCH_FIELDS_REFS_MAX; i++)
		buf_free(&x.refs[i]);
	for (i = 0; i < A_N; i++)
		mime_addrlist_free(&x.addr[i]);
	mime_free(&own);
	return r;
}

static uint64_t
get(const unsigned char *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int
search_fields_parse(const void *data, size_t len, struct search_fields *f)
{
	const unsigned char	*p = data, *end = p + len;
	size_t			 i, n;

	memset(f, 0, sizeof(*f));
	if (len < 20 || memcmp(p, MAGIC, 4) != 0 ||
	    get(p + 4, 2) != SEARCH_FIELDS_VERSION)
		return -1;
	f->date_set = (p[6] & FL_DATE) != 0;
	f->reply = (p[6] & FL_REPLY) != 0;
	f->present = p[7];
	f->date = (int64_t)get(p + 8, 8);
	f->tz = (int)(int32_t)(uint32_t)get(p + 16, 4);
	p += 20;
	for (i = 0; i < SF_NSTR; i++) {
		if (end - p < 4)
			return -1;
		n = get(p, 4);
		p += 4;
		if (n > SEARCH_FIELDS_STR_MAX || (size_t)(end - p) < n)
			return -1;
		f->s[i] = (const char *)p;
		f->len[i] = (uint32_t)n;
		p += n;
	}
	if (end - p < 2)
		return -1;
	f->nrefs = get(p, 2);
	p += 2;
	if (f->nrefs > SEARCH_FIELDS_REFS_MAX)
		return -1;
	for (i = 0; i < f->nrefs; i++) {
		if (end - p < 2)
			return -1;
		n = get(p, 2);
		p += 2;
		if ((size_t)(end - p) < n)
			return -1;
		f->refs[i] = (const char *)p;
		f->reflens[i] = n;
		p += n;
	}
	return p == end ? 0 : -1;
}

bool
search_fields_current(const void *p, size_t len)
{
	struct search_fields	 f;

	return search_fields_parse(p, len, &f) == 0;
}
