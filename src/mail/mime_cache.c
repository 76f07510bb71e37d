/* The part tree as bytes for the IMAP index cache, and back, checked as untrusted input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/mime.h"

/*
 * Layout, little-endian: "TGMIME" u16 version; u64 size, vsize; u32
 * nparts, nkv, nenvs, strslen; the parts, the key/values and the envelopes
 * as fixed records of u32/u64 fields; the arena; u64 FNV-1a of all that
 * precedes it. A reader of another version rebuilds from the message.
 */
#define MAGIC		"TGMIME"
#define PART_SIZE	(4 * 4 + 2 + 1 + 1 + 6 * 8 + 8 * 8 + 7 * 4)
#define KV_SIZE		(4 * 4)
#define ENV_SIZE	(MIME_ENV_N * 2 * 4)

static uint64_t
fnv(const unsigned char *p, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
put(struct buf *b, uint64_t v, int n)
{
	unsigned char	 c[8];
	int		 i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	return buf_add(b, c, (size_t)n);
}

static int
put_str(struct buf *b, struct mime_str s)
{
	return put(b, s.off, 4) | put(b, s.len, 4);
}

int
mime_serialize(const struct mime_tree *t, struct buf *out)
{
	size_t		 start = out->len;
	uint32_t	 i;
	int		 e = 0, k;

	e |= buf_add(out, MAGIC, 6) | put(out, MIME_SERIAL_VERSION, 2);
	e |= put(out, t->size, 8) | put(out, t->vsize, 8);
	e |= put(out, t->nparts, 4) | put(out, t->nkv, 4);
	e |= put(out, t->nenvs, 4) | put(out, t->strslen, 4);
	for (i = 0; i < t->nparts && e == 0; i++) {
		const struct mime_part	*p = &t->parts[i];

		e |= put(out, p->parent, 4) | put(out, p->child, 4);
		e |= put(out, p->next, 4) | put(out, p->nchildren, 4);
		e |= put(out, p->depth, 2) | put(out, p->kind, 1);
		e |= put(out, p->flags, 1);
		e |= put(out, p->hdr_off, 8) | put(out, p->body_off, 8);
		e |= put(out, p->body_end, 8) | put(out, p->hdr_vsize, 8);
		e |= put(out, p->body_vsize, 8) | put(out, p->body_lines, 8);
		e |= put_str(out, p->type) | put_str(out, p->subtype);
		e |= put_str(out, p->cte) | put_str(out, p->id);
		e |= put_str(out, p->desc) | put_str(out, p->md5);
		e |= put_str(out, p->loc) | put_str(out, p->disp);
		e |= put(out, p->params, 4) | put(out, p->nparams, 4);
		e |= put(out, p->dparams, 4) | put(out, p->ndparams, 4);
		e |= put(out, p->langs, 4) | put(out, p->nlangs, 4);
		e |= put(out, p->env, 4);
	}
	for (i = 0; i < t->nkv && e == 0; i++) {
		e |= put(out, t->kv[i].koff, 4) | put(out, t->kv[i].klen, 4);
		e |= put(out, t->kv[i].voff, 4) | put(out, t->kv[i].vlen, 4);
	}
	for (i = 0; i < t->nenvs && e == 0; i++)
		for (k = 0; k < MIME_ENV_N; k++)
			e |= put(out, t->envs[i].first[k], 4) |
			    put(out, t->envs[i].n[k], 4);
	e |= buf_add(out, t->strs, t->strslen);
	if (e == 0)
		e |= put(out, fnv((const unsigned char *)out->data + start,
		    out->len - start), 8);
	if (e != 0) {
		out->len = start;
		return -1;
	}
	return 0;
}

struct rd {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static uint64_t
get(struct rd *r, int n)
{
	uint64_t	 v = 0;
	int		 i;

	if (r->left < (size_t)n) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	r->left -= (size_t)n;
	return v;
}

static struct mime_str
get_str(struct rd *r)
{
	struct mime_str	 s;

	s.off = (uint32_t)get(r, 4);
	s.len = (uint32_t)get(r, 4);
	return s;
}

static int
str_ok(const struct mime_tree *t, struct mime_str s)
{
	if (s.off == MIME_NONE)
		return s.len == 0;
	return s.off <= t->strslen && s.len <= t->strslen - s.off;
}

static int
range_ok(const struct mime_tree *t, uint32_t first, uint32_t n)
{
	return first <= t->nkv && n <= t->nkv - first;
}

/* Everything a reader of the tree relies on, checked. */
static const char *
check(const struct mime_tree *t, uint64_t msglen)
{
	uint32_t	 i, c, n, k;

	if (t->nparts == 0 || t->size != msglen)
		return "tree does not fit the message";
	for (i = 0; i < t->nkv; i++)
		if (t->kv[i].koff > t->strslen ||
		    t->kv[i].klen > t->strslen - t->kv[i].koff ||
		    t->kv[i].voff > t->strslen ||
		    t->kv[i].vlen > t->strslen - t->kv[i].voff)
			return "string out of range";
	for (i = 0; i < t->nenvs; i++)
		for (k = 0; k < MIME_ENV_N; k++)
			if (!range_ok(t, t->envs[i].first[k], t->envs[i].n[k]))
				return "envelope out of range";
	for (i = 0; i < t->nparts; i++) {
		const struct mime_part	*p = &t->parts[i];

		/* Parents before children, siblings in order: no cycles. */
		if ((i == 0) != (p->parent == MIME_NONE) ||
		    (i > 0 && p->parent >= i) ||
		    (p->child != MIME_NONE && (p->child <= i ||
		    p->child >= t->nparts)) ||
		    (p->next != MIME_NONE && (p->next <= i ||
		    p->next >= t->nparts)))
			return "broken tree";
		if (i > 0 && p->depth != t->parts[p->parent].depth + 1)
			return "broken depth";
		if (i == 0 && p->depth != 0)
			return "broken depth";
		for (c = p->child, n = 0; c != MIME_NONE; c = t->parts[c].next, n++)
			if (t->parts[c].parent != i)
				return "broken tree";
		if (n != p->nchildren || p->kind > MIME_MESSAGE ||
		    (p->kind == MIME_MESSAGE && n != 1) ||
		    (p->kind == MIME_LEAF && n != 0))
			return "broken tree";
		if (p->hdr_off > p->body_off || p->body_off > p->body_end ||
		    p->body_end > msglen ||
		    p->hdr_vsize < p->body_off - p->hdr_off ||
		    p->hdr_vsize > 2 * (p->body_off - p->hdr_off) ||
		    p->body_vsize < p->body_end - p->body_off ||
		    p->body_vsize > 2 * (p->body_end - p->body_off) ||
		    p->body_lines > p->body_end - p->body_off)
			return "part out of range";
		if (!str_ok(t, p->type) || !str_ok(t, p->subtype) ||
		    !str_ok(t, p->cte) || !str_ok(t, p->id) ||
		    !str_ok(t, p->desc) || !str_ok(t, p->md5) ||
		    !str_ok(t, p->loc) || !str_ok(t, p->disp) ||
		    !range_ok(t, p->params, p->nparams) ||
		    !range_ok(t, p->dparams, p->ndparams) ||
		    (p->nlangs != MIME_NONE && !range_ok(t, p->langs, p->nlangs)) ||
		    (p->env != MIME_NONE && p->env >= t->nenvs))
			return "part field out of range";
	}
	if (t->vsize != t->parts[0].hdr_vsize + t->parts[0].body_vsize)
		return "size mismatch";
	return NULL;
}

struct mime_tree *
mime_unserialize(const char *data, size_t len, uint64_t msglen,
    const char **errstr)
{
	struct rd		 r = { (const unsigned char *)data, len, 0 };
	struct mime_tree	*t;
	uint32_t		 i;
	int			 k;

	if (len < 6 + 2 + 8 || memcmp(data, MAGIC, 6) != 0) {
		*errstr = "not a serialised MIME tree";
		return NULL;
	}
	if (fnv((const unsigned char *)data, len - 8) !=
	    (r.p = (const unsigned char *)data + len - 8, r.left = 8, get(&r, 8))) {
		*errstr = "checksum mismatch";
		return NULL;
	}
	r.p = (const unsigned char *)data + 6;
	r.left = len - 6 - 8;
	if (get(&r, 2) != MIME_SERIAL_VERSION) {
		*errstr = "other serialisation version";
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->size = get(&r, 8);
	t->vsize = get(&r, 8);
	t->nparts = (uint32_t)get(&r, 4);
	t->nkv = (uint32_t)get(&r, 4);
	t->nenvs = (uint32_t)get(&r, 4);
	t->strslen = (uint32_t)get(&r, 4);
	if (r.bad || t->nparts > r.left / PART_SIZE ||
	    t->nkv > r.left / KV_SIZE || t->nenvs > r.left / ENV_SIZE ||
	    (uint64_t)t->nparts * PART_SIZE + (uint64_t)t->nkv * KV_SIZE +
	    (uint64_t)t->nenvs * ENV_SIZE + t->strslen != r.left) {
		*errstr = "length mismatch";
		goto fail;
	}
	t->parts = xcalloc(t->nparts ? t->nparts : 1, sizeof(*t->parts));
	t->kv = xcalloc(t->nkv ? t->nkv : 1, sizeof(*t->kv));
	t->envs = xcalloc(t->nenvs ? t->nenvs : 1, sizeof(*t->envs));
	for (i = 0; i < t->nparts; i++) {
		struct mime_part	*p = &t->parts[i];

		p->parent = (uint32_t)get(&r, 4);
		p->child = (uint32_t)get(&r, 4);
		p->next = (uint32_t)get(&r, 4);
		p->nchildren = (uint32_t)get(&r, 4);
		p->depth = (uint16_t)get(&r, 2);
		p->kind = (uint8_t)get(&r, 1);
		p->flags = (uint8_t)get(&r, 1);
		p->hdr_off = get(&r, 8);
		p->body_off = get(&r, 8);
		p->body_end = get(&r, 8);
		p->hdr_vsize = get(&r, 8);
		p->body_vsize = get(&r, 8);
		p->body_lines = get(&r, 8);
		p->type = get_str(&r);
		p->subtype = get_str(&r);
		p->cte = get_str(&r);
		p->id = get_str(&r);
		p->desc = get_str(&r);
		p->md5 = get_str(&r);
		p->loc = get_str(&r);
		p->disp = get_str(&r);
		p->params = (uint32_t)get(&r, 4);
		p->nparams = (uint32_t)get(&r, 4);
		p->dparams = (uint32_t)get(&r, 4);
		p->ndparams = (uint32_t)get(&r, 4);
		p->langs = (uint32_t)get(&r, 4);
		p->nlangs = (uint32_t)get(&r, 4);
		p->env = (uint32_t)get(&r, 4);
	}
	for (i = 0; i < t->nkv; i++) {
		t->kv[i].koff = (uint32_t)get(&r, 4);
		t->kv[i].klen = (uint32_t)get(&r, 4);
		t->kv[i].voff = (uint32_t)get(&r, 4);
		t->kv[i].vlen = (uint32_t)get(&r, 4);
	}
	for (i = 0; i < t->nenvs; i++)
		for (k = 0; k < MIME_ENV_N; k++) {
			t->envs[i].first[k] = (uint32_t)get(&r, 4);
			t->envs[i].n[k] = (uint32_t)get(&r, 4);
		}
	t->strs = xmalloc((size_t)t->strslen + 1);
	memcpy(t->strs, r.p, t->strslen);
	t->strs[t->strslen] = '\0';
	if (r.bad || (*errstr = check(t, msglen)) != NULL) {
		if (r.bad)
			*errstr = "short data";
		goto fail;
	}
	return t;
fail:
	mime_free(&t);
	return NULL;
}
