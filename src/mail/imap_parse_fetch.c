/* IMAP FETCH (attributes, sections, partials, RFC 3516 BINARY, RFC 7162 modifiers) and STORE parsed. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_parse.h"
#include "mail/imap_parse_priv.h"

#define MACRO_FAST	(IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | \
			 IMAP_FETCH_RFC822_SIZE)
#define MACRO_ALL	(MACRO_FAST | IMAP_FETCH_ENVELOPE)
#define MACRO_FULL	(MACRO_ALL | IMAP_FETCH_BODY)

struct bodies {
	struct imap_fetch_body	*v;
	size_t			 n, cap;
};

static const struct {
	const char	*name;
	unsigned	 bit;
	bool		 rev1;		/* gone from IMAP4rev2 */
	uint64_t	 cap;
} simple[] = {
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE, false, 0 },
	{ "FLAGS", IMAP_FETCH_FLAGS, false, 0 },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE, false, 0 },
	{ "RFC822", IMAP_FETCH_RFC822, true, 0 },
	{ "RFC822.HEADER", IMAP_FETCH_RFC822_HEADER, true, 0 },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE, false, 0 },
	{ "RFC822.TEXT", IMAP_FETCH_RFC822_TEXT, true, 0 },
	{ "BODY", IMAP_FETCH_BODY, false, 0 },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE, false, 0 },
	{ "UID", IMAP_FETCH_UID, false, 0 },
	{ "MODSEQ", IMAP_FETCH_MODSEQ, false, IMAP_CAP_CONDSTORE },
};

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* section-part = nz-number *("." nz-number) */
static int
section_part(struct pctx *c, struct imap_fetch_body *b)
{
	uint32_t	*v = NULL;
	size_t		 n = 0, cap = 0;

	while (is_digit(ip_peek(c))) {
		uint64_t	 x = 0;

		while (is_digit(ip_peek(c))) {
			x = x * 10 + (uint64_t)(c->s[c->pos] - '0');
			if (x > NUMBER_MAX)
				return ip_fail(c, "Section part number out of "
				    "range");
			c->pos++;
		}
		if (x == 0)
			return ip_fail(c, "Section part numbers start at 1");
		if (n == cap && (v = ip_grow(c, v, n, &cap, sizeof(*v))) == NULL)
			return -1;
		v[n++] = (uint32_t)x;
		if (ip_peek(c) != '.' || c->pos + 1 >= c->len ||
		    !is_digit((unsigned char)c->s[c->pos + 1]))
			break;
		c->pos++;
	}
	b->part = v;
	b->nparts = n;
	return 0;
}

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" */
static int
header_list(struct pctx *c, struct imap_fetch_body *b)
{
	struct imap_str	*v = NULL;
	size_t		 n = 0, cap = 0;

	if (ip_sp(c) == -1 || ip_expect(c, '(', "header field list") == -1)
		return -1;
	if (ip_peek(c) == ')')
		return ip_fail(c, "Empty header field list");
	for (;;) {
		if (n == cap && (v = ip_grow(c, v, n, &cap, sizeof(*v))) == NULL)
			return -1;
		if (ip_astring(c, S_NO_8BIT, &v[n]) == -1)
			return -1;
		n++;
		if (ip_accept(c, ')'))
			break;
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated header field list");
		if (ip_sp(c) == -1)
			return -1;
	}
	b->fields = v;
	b->nfields = n;
	return 0;
}

/*
 * section = "[" [section-spec] "]"
 * section-spec = section-msgtext / (section-part ["." section-text])
 * section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
 * section-text = section-msgtext / "MIME"
 */
static int
section(struct pctx *c, struct imap_fetch_body *b)
{
	struct span	 sp;

	c->pos++;	/* "[" */
	if (ip_accept(c, ']'))
		return 0;
	if (is_digit(ip_peek(c))) {
		if (section_part(c, b) == -1)
			return -1;
		if (ip_accept(c, ']'))
			return 0;
		if (!ip_accept(c, '.'))
			return ip_fail_tok(c, "Invalid section:");
	}
	sp.p = c->s + c->pos;
	while (c->pos < c->len && ((c->s[c->pos] >= 'A' && c->s[c->pos] <= 'Z') ||
	    (c->s[c->pos] >= 'a' && c->s[c->pos] <= 'z') || c->s[c->pos] == '.'))
		c->pos++;
	sp.n = (size_t)(c->s + c->pos - sp.p);
	if (ip_is(sp, "HEADER"))
		b->text = IMAP_SECTION_HEADER;
	else if (ip_is(sp, "TEXT"))
		b->text = IMAP_SECTION_TEXT;
	else if (ip_is(sp, "MIME") && b->nparts > 0)
		b->text = IMAP_SECTION_MIME;
	else if (ip_is(sp, "HEADER.FIELDS")) {
		b->text = IMAP_SECTION_HEADER_FIELDS;
		if (header_list(c, b) == -1)
			return -1;
	} else if (ip_is(sp, "HEADER.FIELDS.NOT")) {
		b->text = IMAP_SECTION_HEADER_FIELDS_NOT;
		if (header_list(c, b) == -1)
			return -1;
	} else
		return ip_fail(c, "Invalid section %.*s",
		    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
	if (!ip_accept(c, ']'))
		return ip_fail_tok(c, "Expected \"]\" after the section, not");
	return 0;
}

/* partial = "<" number "." nz-number ">" (number64 in IMAP4rev2) */
static int
partial(struct pctx *c, struct imap_fetch_body *b)
{
	uint64_t	 max = ip_rev2(c) ? NUMBER64_MAX : NUMBER_MAX;
	uint64_t	 v;
	size_t		 start;

	if (!ip_accept(c, '<'))
		return 0;
	b->partial = true;
	for (int i = 0; i < 2; i++) {
		start = c->pos;
		v = 0;
		while (is_digit(ip_peek(c))) {
			unsigned	 d = (unsigned)(c->s[c->pos] - '0');

			if (v > (max - d) / 10)
				return ip_fail(c, "Partial range out of range");
			v = v * 10 + d;
			c->pos++;
		}
		if (c->pos == start)
			return ip_fail(c, "Invalid partial range (<offset.count>)");
		if (i == 0) {
			b->offset = v;
			if (!ip_accept(c, '.'))
				return ip_fail(c, "Invalid partial range "
				    "(<offset.count>)");
		} else
			b->count = v;
	}
	if (!ip_accept(c, '>'))
		return ip_fail(c, "Invalid partial range (<offset.count>)");
	if (b->count == 0)
		return ip_fail(c, "A partial range counts at least one octet");
	return 0;
}

static int
body_att(struct pctx *c, struct bodies *bs, uint8_t kind, bool peek)
{
	struct imap_fetch_body	*b;

	if (bs->n == bs->cap && (bs->v = ip_grow(c, bs->v, bs->n, &bs->cap,
	    sizeof(*bs->v))) == NULL)
		return -1;
	b = &bs->v[bs->n];
	b->kind = kind;
	b->peek = peek;
	if (ip_peek(c) != '[')
		return ip_fail(c, "Missing section after %s",
		    kind == IMAP_FB_BODY ? "BODY.PEEK" : "BINARY");
	if (kind == IMAP_FB_BODY) {
		if (section(c, b) == -1)
			return -1;
	} else {
		/* section-binary = "[" [section-part] "]" */
		c->pos++;
		if (section_part(c, b) == -1)
			return -1;
		if (!ip_accept(c, ']'))
			return ip_fail_tok(c, "Invalid binary section:");
	}
	if (kind != IMAP_FB_BINARY_SIZE && partial(c, b) == -1)
		return -1;
	bs->n++;
	return 0;
}

/* One fetch-att. */
static int
fetch_att(struct pctx *c, struct imap_fetch *f, struct bodies *bs)
{
	struct span	 sp;
	size_t		 i;

	if (ip_keyword(c, &sp, "FETCH attribute") == -1)
		return -1;
	if (ip_peek(c) == '[') {
		if (ip_is(sp, "BODY") || ip_is(sp, "BODY.PEEK"))
			return body_att(c, bs, IMAP_FB_BODY, sp.n == 9);
		if (!ip_cap(c, IMAP_CAP_BINARY))
			goto unknown;
		if (ip_is(sp, "BINARY") || ip_is(sp, "BINARY.PEEK"))
			return body_att(c, bs, IMAP_FB_BINARY, sp.n == 11);
		if (ip_is(sp, "BINARY.SIZE"))
			return body_att(c, bs, IMAP_FB_BINARY_SIZE, false);
		goto unknown;
	}
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (!ip_is(sp, simple[i].name))
			continue;
		if ((simple[i].rev1 && ip_rev2(c)) ||
		    (simple[i].cap && !ip_cap(c, simple[i].cap)))
			break;
		f->items |= simple[i].bit;
		return 0;
	}
	if (ip_is(sp, "BODY.PEEK") || (ip_cap(c, IMAP_CAP_BINARY) &&
	    (ip_is(sp, "BINARY") || ip_is(sp, "BINARY.PEEK") ||
	    ip_is(sp, "BINARY.SIZE"))))
		return ip_fail(c, "Missing section after %.*s", (int)sp.n, sp.p);
 unknown:
	return ip_fail(c, "Unknown FETCH attribute %.*s",
	    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
}

/*
 * fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"
 * fetch-modifier = "CHANGEDSINCE" SP mod-sequence-value / "VANISHED"
 */
static int
fetch_modifiers(struct pctx *c, struct imap_fetch *f)
{
	struct span	 sp;

	if (ip_sp(c) == -1 || ip_expect(c, '(', "FETCH modifiers") == -1)
		return -1;
	if (ip_peek(c) == ')')
		return ip_fail(c, "Empty FETCH modifier list");
	for (;;) {
		if (ip_keyword(c, &sp, "FETCH modifier") == -1)
			return -1;
		if (ip_is(sp, "CHANGEDSINCE") && ip_cap(c, IMAP_CAP_CONDSTORE)) {
			if (f->changedsince_set)
				return ip_fail(c, "CHANGEDSINCE given twice");
			if (ip_sp(c) == -1 || ip_nz_number(c, NUMBER64_MAX,
			    &f->changedsince) == -1)
				return -1;
			f->changedsince_set = true;
		} else if (ip_is(sp, "VANISHED") &&
		    ip_cap(c, IMAP_CAP_QRESYNC)) {
			if (!(c->opts->enabled & IMAP_ENA_QRESYNC))
				return ip_fail(c, "VANISHED needs ENABLE "
				    "QRESYNC");
			if (!c->req->uid)
				return ip_fail(c, "VANISHED is for UID FETCH");
			if (f->vanished)
				return ip_fail(c, "VANISHED given twice");
			f->vanished = true;
		} else
			return ip_fail(c, "Unknown FETCH modifier %.*s",
			    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
		if (ip_accept(c, ')'))
			break;
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated FETCH modifiers");
		if (ip_sp(c) == -1)
			return -1;
	}
	if (f->vanished && !f->changedsince_set)
		return ip_fail(c, "VANISHED needs CHANGEDSINCE");
	return 0;
}

/*
 * fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
 *         fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
 */
int
ip_fetch(struct pctx *c, struct imap_fetch *f)
{
	struct bodies	 bs = { NULL, 0, 0 };

	if (ip_sp(c) == -1 || ip_seqset(c, ip_seqflags(c), &f->set) == -1 ||
	    ip_sp(c) == -1)
		return -1;
	if (ip_accept(c, '(')) {
		if (ip_peek(c) == ')')
			return ip_fail(c, "Empty FETCH attribute list");
		for (;;) {
			if (fetch_att(c, f, &bs) == -1)
				return -1;
			if (ip_accept(c, ')'))
				break;
			if (ip_at_end(c))
				return ip_fail(c, "Unterminated FETCH attribute "
				    "list");
			if (ip_sp(c) == -1)
				return -1;
		}
	} else {
		size_t		 save = c->pos;
		struct span	 sp;

		ip_word(c, &sp);
		if (ip_peek(c) != '[' && ip_is(sp, "ALL"))
			f->items = MACRO_ALL;
		else if (ip_peek(c) != '[' && ip_is(sp, "FAST"))
			f->items = MACRO_FAST;
		else if (ip_peek(c) != '[' && ip_is(sp, "FULL"))
			f->items = MACRO_FULL;
		else {
			c->pos = save;
			if (fetch_att(c, f, &bs) == -1)
				return -1;
		}
	}
	f->bodies = bs.v;
	f->nbodies = bs.n;
	if (!ip_at_end(c) && fetch_modifiers(c, f) == -1)
		return -1;
	return ip_end(c);
}

/*
 * store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
 * store-modifiers = SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"
 * store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
 *                   (flag-list / (flag *(SP flag)))
 */
int
ip_store(struct pctx *c, struct imap_store *st)
{
	struct span	 sp;
	size_t		 cap = 0;

	if (ip_sp(c) == -1 || ip_seqset(c, ip_seqflags(c), &st->set) == -1 ||
	    ip_sp(c) == -1)
		return -1;
	if (ip_accept(c, '(')) {
		if (ip_peek(c) == ')')
			return ip_fail(c, "Empty STORE modifier list");
		for (;;) {
			if (ip_keyword(c, &sp, "STORE modifier") == -1)
				return -1;
			if (!ip_is(sp, "UNCHANGEDSINCE") ||
			    !ip_cap(c, IMAP_CAP_CONDSTORE))
				return ip_fail(c, "Unknown STORE modifier %.*s",
				    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
			if (st->unchangedsince_set)
				return ip_fail(c, "UNCHANGEDSINCE given twice");
			if (ip_sp(c) == -1 || ip_number(c, NUMBER64_MAX,
			    &st->unchangedsince) == -1)
				return -1;
			st->unchangedsince_set = true;
			if (ip_accept(c, ')'))
				break;
			if (ip_at_end(c))
				return ip_fail(c, "Unterminated STORE modifiers");
			if (ip_sp(c) == -1)
				return -1;
		}
		if (ip_sp(c) == -1)
			return -1;
	}
	if (ip_accept(c, '+'))
		st->op = IMAP_STORE_ADD;
	else if (ip_accept(c, '-'))
		st->op = IMAP_STORE_REMOVE;
	else
		st->op = IMAP_STORE_SET;
	if (ip_keyword(c, &sp, "STORE item") == -1)
		return -1;
	if (ip_is(sp, "FLAGS.SILENT"))
		st->silent = true;
	else if (!ip_is(sp, "FLAGS"))
		return ip_fail(c, "Unknown STORE item %.*s",
		    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
	if (ip_sp(c) == -1)
		return -1;
	if (ip_peek(c) == '(') {
		if (ip_flag_list(c, &st->flags) == -1)
			return -1;
		return ip_end(c);
	}
	for (;;) {
		if (ip_flag(c, &st->flags, &cap) == -1)
			return -1;
		if (ip_at_end(c))
			return 0;
		if (ip_sp(c) == -1)
			return -1;
	}
}
