/* The MIME parser: one forward pass over the message, parts with raw offsets and CRLF sizes. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/mime.h"
#include "mail/mime_header.h"

#define ENV_MAX_OCC	100	/* occurrences of one address field kept */

struct bound {
	uint32_t	 off, len;	/* in the arena */
};

/* The fields of one header that the tree keeps. */
struct fields {
	struct mime_field	 ct, cte, id, desc, md5, loc, disp, lang;
	int			 have_ct, have_cte, have_id, have_desc, have_md5;
	int			 have_loc, have_disp, have_lang, have_mimever;
	struct mime_field	 env[MIME_ENV_N][ENV_MAX_OCC];
	size_t			 nenv[MIME_ENV_N];
};

struct parser {
	const char		*msg;
	size_t			 len;
	struct mime_tree	*t;
	uint32_t		 partcap, kvcap, envcap;
	struct buf		 arena;
	struct bound		 bnd[MIME_MAX_DEPTH + 1];
	size_t			 nbnd;
	/* Running LF counts: lf and bare (LF without CR) octets before pos. */
	size_t			 cpos;
	uint64_t		 clf, cbare;
	uint32_t		*last;	/* each part's last child, so adding one is O(1) */
	struct fields		*F;	/* scratch of interpret(), reused */
	struct mime_params	*pp;
};

/* How a part's scan stopped: at EOF (hit -1) or at a boundary line of the stack. */
struct stop {
	size_t	 end;		/* the part's end, line end before the boundary taken off */
	int	 hit;		/* stack index of the boundary, -1 at EOF */
	int	 close;		/* it was a close delimiter */
	size_t	 line;		/* where the boundary line starts */
	size_t	 outer;		/* where the enclosing parts end (see scan_header) */
};

/* Moves the counting cursor to pos and returns the counts before it. */
static void
count_to(struct parser *P, size_t pos, uint64_t *lf, uint64_t *bare)
{
	const char	*m = P->msg, *nl;
	size_t		 a, b;
	uint64_t	 l = 0, br = 0;
	int		 back = pos < P->cpos;

	a = back ? pos : P->cpos;
	b = back ? P->cpos : pos;
	while (a < b && (nl = memchr(m + a, '\n', b - a)) != NULL) {
		a = (size_t)(nl - m);
		l++;
		if (a == 0 || m[a - 1] != '\r')
			br++;
		a++;
	}
	if (back) {
		P->clf -= l;
		P->cbare -= br;
	} else {
		P->clf += l;
		P->cbare += br;
	}
	P->cpos = pos;
	*lf = P->clf;
	*bare = P->cbare;
}

static uint32_t
new_part(struct parser *P, uint32_t parent)
{
	struct mime_tree	*t = P->t;
	struct mime_part	*p;
	uint32_t		 i = t->nparts, c;

	if (t->nparts == P->partcap) {
		P->partcap = P->partcap ? P->partcap * 2 : 8;
		t->parts = xreallocarray(t->parts, P->partcap, sizeof(*t->parts));
		P->last = xreallocarray(P->last, P->partcap, sizeof(*P->last));
	}
	P->last[i] = MIME_NONE;
	p = &t->parts[i];
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->child = p->next = p->env = MIME_NONE;
	p->type.off = p->subtype.off = p->cte.off = p->id.off = MIME_NONE;
	p->desc.off = p->md5.off = p->loc.off = p->disp.off = MIME_NONE;
	p->nlangs = MIME_NONE;
	t->nparts++;
	if (parent != MIME_NONE) {
		struct mime_part	*pp = &t->parts[parent];

		p->depth = (uint16_t)(pp->depth + 1);
		if ((c = P->last[parent]) == MIME_NONE)
			pp->child = i;
		else
			t->parts[c].next = i;
		P->last[parent] = i;
		pp->nchildren++;
	}
	return i;
}

static uint32_t
add_kv(struct parser *P, const struct mime_kv *kv, size_t n)
{
	struct mime_tree	*t = P->t;
	uint32_t		 first = t->nkv;

	if (n == 0)
		return first;
	while (t->nkv + n > P->kvcap) {
		P->kvcap = P->kvcap ? P->kvcap * 2 : 32;
		t->kv = xreallocarray(t->kv, P->kvcap, sizeof(*t->kv));
	}
	memcpy(t->kv + t->nkv, kv, n * sizeof(*kv));
	t->nkv += (uint32_t)n;
	return first;
}

static struct mime_str
add_str(struct parser *P, const char *s, size_t n, int unfold)
{
	struct mime_str	 r = { MIME_NONE, 0 };
	size_t		 before = P->arena.len;

	if (unfold)
		mime_unfold(&P->arena, s, n);
	else if (buf_add(&P->arena, s, n) == -1)
		return r;
	r.off = (uint32_t)before;
	r.len = (uint32_t)(P->arena.len - before);
	return r;
}

/* If the line [ls, le) is "--" boundary...: its stack index (longest match wins), else -1. */
static int
boundary_line(const struct parser *P, size_t ls, size_t le, int *close)
{
	const char	*m = P->msg + ls;
	size_t		 n = le - ls, i, best = 0;
	int		 found = -1;

	if (n < 2 || m[0] != '-' || m[1] != '-')
		return -1;
	for (i = P->nbnd; i-- > 0;) {
		const struct bound	*b = &P->bnd[i];

		if (b->len + 2 > n || (found >= 0 && b->len <= best))
			continue;
		if (memcmp(m + 2, P->arena.data + b->off, b->len) == 0) {
			found = (int)i;
			best = b->len;
		}
	}
	if (found >= 0)
		*close = n >= best + 4 && m[best + 2] == '-' && m[best + 3] == '-';
	return found;
}

static size_t
line_end(const struct parser *P, size_t pos)
{
	const char	*nl = memchr(P->msg + pos, '\n', P->len - pos);

	return nl ? (size_t)(nl - P->msg) : P->len;
}

/* The first boundary line at or after pos (a line start); fills s->hit/close/line, or hit -1. */
static void
next_boundary(const struct parser *P, size_t pos, struct stop *s)
{
	const char	*p;

	s->hit = -1;
	s->line = P->len;
	if (P->nbnd == 0)
		return;
	while (pos < P->len) {
		if (P->msg[pos] == '-' && (s->hit = boundary_line(P, pos,
		    line_end(P, pos), &s->close)) >= 0) {
			s->line = pos;
			return;
		}
		p = memmem(P->msg + pos, P->len - pos, "\n--", 3);
		if (p == NULL)
			break;
		pos = (size_t)(p - P->msg) + 1;
	}
	s->hit = -1;
}

/*
 * The line end before a boundary line at pos belongs to the boundary, but
 * only when it lies inside the region being scanned: a region that starts
 * right at the boundary line (an empty part, an empty epilogue) keeps
 * nothing and gives nothing (Dovecot's sizes).
 */
static size_t
strip(const struct parser *P, size_t pos, size_t region)
{
	if (pos > region && P->msg[pos - 1] == '\n') {
		pos--;
		if (pos > region && P->msg[pos - 1] == '\r')
			pos--;
	}
	return pos;
}

static size_t
after_line(const struct parser *P, size_t pos)
{
	size_t	 e = line_end(P, pos);

	return e < P->len ? e + 1 : e;
}

/*
 * The header from start: returns where the body starts (after the blank
 * line). A boundary line or EOF before a blank line ends the header there,
 * with s->hit set (or flags F_HDR_EOF); the body is then empty.
 */
static size_t
scan_header(const struct parser *P, size_t start, struct stop *s, int *eof)
{
	size_t	 pos = start, le;

	s->hit = -1;
	*eof = 0;
	while (pos < P->len) {
		le = line_end(P, pos);
		if (le == pos || (le == pos + 1 && P->msg[pos] == '\r'))
			return le < P->len ? le + 1 : le;
		if (P->nbnd > 0 && P->msg[pos] == '-' &&
		    (s->hit = boundary_line(P, pos, le, &s->close)) >= 0) {
			/*
			 * The header loses its last line end to the boundary,
			 * but the parts around it end after it (Dovecot reads
			 * that line end with the header line before it sees
			 * the boundary; only this header's size is cut).
			 */
			s->line = pos;
			s->end = strip(P, pos, start);
			s->outer = pos;
			return s->end;
		}
		pos = le < P->len ? le + 1 : le;
	}
	*eof = 1;
	return P->len;
}

static const char *const env_names[MIME_ENV_N] = {
	"date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc",
	"in-reply-to", "message-id",
};

static int
env_is_addr(int i)
{
	return i >= MIME_ENV_FROM && i <= MIME_ENV_BCC;
}

static void
first(struct mime_field *dst, int *have, const struct mime_field *f)
{
	if (!*have && f->valuelen <= MIME_MAX_FIELD) {
		*dst = *f;
		*have = 1;
	}
}

static int
disp_has_params(const struct parser *P, const struct mime_field *f)
{
	struct buf	 arena;
	struct mime_kv	 type;
	int		 has;

	buf_init(&arena, 0);
	has = mime_disp_parse(f->value, f->valuelen, &arena, &type, P->pp) == 0 &&
	    P->pp->n > 0;
	buf_free(&arena);
	return has;
}

static int
lang_has_tags(const struct parser *P, const struct mime_field *f)
{
	struct buf	 arena;
	int		 has;

	buf_init(&arena, 0);
	has = mime_lang_parse(f->value, f->valuelen, &arena, P->pp) == 0 &&
	    P->pp->n > 0;
	buf_free(&arena);
	return has;
}

static void
collect(const struct parser *P, size_t start, size_t end, int message,
    struct fields *F)
{
	struct mime_hdr		 h;
	struct mime_field	 f;
	int			 i;

	if (end - start > MIME_MAX_HEADER)
		end = start + MIME_MAX_HEADER;
	mime_hdr_init(&h, P->msg + start, end - start);
	while (mime_hdr_next(&h, &f)) {
		if (f.end > P->msg + end)
			break;	/* cut by the header limit */
		if (f.nocolon || f.namelen == 0)
			continue;
		if (f.namelen > 8 && strncasecmp(f.name, "content-", 8) == 0) {
			if (mime_field_is(&f, "content-type"))
				first(&F->ct, &F->have_ct, &f);
			else if (mime_field_is(&f, "content-transfer-encoding")) {
				size_t	 o, n;

				/* The first valid one counts (Dovecot). */
				if (mime_token_only(f.value, f.valuelen, &o, &n))
					first(&F->cte, &F->have_cte, &f);
			}
			else if (mime_field_is(&f, "content-id"))
				first(&F->id, &F->have_id, &f);
			else if (mime_field_is(&f, "content-description"))
				first(&F->desc, &F->have_desc, &f);
			else if (mime_field_is(&f, "content-md5"))
				first(&F->md5, &F->have_md5, &f);
			else if (mime_field_is(&f, "content-location"))
				first(&F->loc, &F->have_loc, &f);
			else if (mime_field_is(&f, "content-disposition")) {
				/* One without parameters gives way to the next (Dovecot). */
				if (F->have_disp && !disp_has_params(P, &F->disp))
					F->have_disp = 0;
				first(&F->disp, &F->have_disp, &f);
			}
			else if (mime_field_is(&f, "content-language")) {
				/* The first one with a tag counts (Dovecot). */
				if (lang_has_tags(P, &f))
					first(&F->lang, &F->have_lang, &f);
			}
			continue;
		}
		if (!message || f.valuelen > MIME_MAX_FIELD)
			continue;
		if (mime_field_is(&f, "mime-version")) {
			F->have_mimever = 1;
			continue;
		}
		for (i = 0; i < MIME_ENV_N; i++) {
			if (!mime_field_is(&f, env_names[i]))
				continue;
			if (!env_is_addr(i))
				F->nenv[i] = 0;	/* the last one counts */
			if (F->nenv[i] < ENV_MAX_OCC)
				F->env[i][F->nenv[i]++] = f;
			break;
		}
	}
}

static void
store_params(struct parser *P, const struct mime_params *pp, uint32_t *first,
    uint32_t *n)
{
	*first = add_kv(P, pp->kv, pp->n);
	*n = (uint32_t)pp->n;
}

static void
store_env(struct parser *P, uint32_t idx, const struct fields *F)
{
	struct mime_tree	*t = P->t;
	struct mime_env		 e;
	struct mime_kv		 kv;
	struct mime_str		 s;
	size_t			 i, k;

	for (i = 0; i < MIME_ENV_N; i++) {
		e.first[i] = t->nkv;
		e.n[i] = 0;
		for (k = 0; k < F->nenv[i]; k++) {
			s = add_str(P, F->env[i][k].value, F->env[i][k].valuelen, 0);
			if (s.off == MIME_NONE)
				break;
			memset(&kv, 0, sizeof(kv));
			kv.koff = s.off;
			kv.klen = s.len;
			(void)add_kv(P, &kv, 1);
			e.n[i]++;
		}
	}
	if (t->nenvs == P->envcap) {
		P->envcap = P->envcap ? P->envcap * 2 : 4;
		t->envs = xreallocarray(t->envs, P->envcap, sizeof(*t->envs));
	}
	t->envs[t->nenvs] = e;
	t->parts[idx].env = t->nenvs++;
}

/* Interprets a part's header: type, kind, Content-* fields, the envelope. */
static void
interpret(struct parser *P, uint32_t idx, int message, int in_digest,
    struct bound *boundary)
{
	struct fields		*F = P->F;
	struct mime_params	*pp = P->pp;
	struct mime_part	*p = &P->t->parts[idx];
	struct mime_kv		 ts;
	size_t			 off, n, i;
	const char		*a;

	boundary->len = 0;
	F->have_ct = F->have_cte = F->have_id = F->have_desc = 0;
	F->have_md5 = F->have_loc = F->have_disp = F->have_lang = 0;
	F->have_mimever = 0;
	memset(F->nenv, 0, sizeof(F->nenv));
	collect(P, p->hdr_off, p->body_off, message, F);
	if (F->have_ct && mime_ctype_parse(F->ct.value, F->ct.valuelen,
	    &P->arena, &ts, pp) == 0 && mime_params_2231(&P->arena, pp) == 0) {
		p = &P->t->parts[idx];
		p->type.off = ts.koff;
		p->type.len = ts.klen;
		p->subtype.off = ts.voff;
		p->subtype.len = ts.vlen;
		store_params(P, pp, &p->params, &p->nparams);
	} else {
		p->type = add_str(P, in_digest ? "message" : "text",
		    in_digest ? 7 : 4, 0);
		p->subtype = add_str(P, in_digest ? "rfc822" : "plain",
		    in_digest ? 6 : 5, 0);
	}
	p = &P->t->parts[idx];
	a = P->arena.data;
	if (p->type.len == 9 && strncasecmp(a + p->type.off, "multipart", 9) == 0) {
		p->kind = MIME_MULTIPART;
		for (i = 0; i < p->nparams; i++) {
			const struct mime_kv	*kv = &P->t->kv[p->params + i];

			if (kv->klen == 8 && strncasecmp(a + kv->koff,
			    "boundary", 8) == 0) {
				/* The first boundary parameter counts. */
				if (kv->vlen > 0 && kv->vlen <= MIME_MAX_BOUNDARY) {
					boundary->off = kv->voff;
					boundary->len = kv->vlen;
				}
				break;
			}
		}
	} else if (p->type.len == 7 && strncasecmp(a + p->type.off,
	    "message", 7) == 0 && ((p->subtype.len == 6 &&
	    strncasecmp(a + p->subtype.off, "rfc822", 6) == 0) ||
	    (p->subtype.len == 6 && strncasecmp(a + p->subtype.off,
	    "global", 6) == 0)))
		p->kind = MIME_MESSAGE;
	/*
	 * A message header without MIME-Version or Content-Type is not MIME:
	 * its other Content-* fields mean nothing (Dovecot ignores them).
	 */
	if (message && !F->have_ct && !F->have_mimever) {
		store_env(P, idx, F);
		return;
	}
	if (F->have_cte && mime_token_only(F->cte.value, F->cte.valuelen, &off, &n))
		p->cte = add_str(P, F->cte.value + off, n, 0);
	p = &P->t->parts[idx];
	if (F->have_id)
		p->id = add_str(P, F->id.value, F->id.valuelen, 1);
	if (F->have_desc)
		p->desc = add_str(P, F->desc.value, F->desc.valuelen, 1);
	if (F->have_md5)
		p->md5 = add_str(P, F->md5.value, F->md5.valuelen, 1);
	if (F->have_loc)
		p->loc = add_str(P, F->loc.value, F->loc.valuelen, 1);
	if (F->have_disp && mime_disp_parse(F->disp.value, F->disp.valuelen,
	    &P->arena, &ts, pp) == 0 && mime_params_2231(&P->arena, pp) == 0) {
		p->disp.off = ts.koff;
		p->disp.len = ts.klen;
		store_params(P, pp, &p->dparams, &p->ndparams);
	}
	p = &P->t->parts[idx];
	if (F->have_lang && mime_lang_parse(F->lang.value, F->lang.valuelen,
	    &P->arena, pp) == 0 && pp->n > 0)
		store_params(P, pp, &p->langs, &p->nlangs);
	if (message)
		store_env(P, idx, F);
}

/*
 * A blank line right before a boundary line is that boundary's line end:
 * the part ends before it and its header has no blank line (Dovecot looks
 * for "\n--boundary" where the blank line starts), while the parts around
 * it end at the boundary line, as after a header line (scan_header). The part's own
 * boundary, known only now, wins when it matches as well (it is the
 * innermost), and then the blank line ends the header as usual.
 */
static int
blank_before_boundary(const struct parser *P, size_t start, size_t body,
    const struct bound *own, struct stop *s)
{
	size_t	 e, le;

	if (P->nbnd == 0 || body <= start || body >= P->len ||
	    P->msg[body - 1] != '\n' || P->msg[body] != '-')
		return 0;
	e = body - 1;
	if (e > start && P->msg[e - 1] == '\r')
		e--;
	if (e != start && P->msg[e - 1] != '\n')
		return 0;	/* the header ended at EOF, not at a blank line */
	le = line_end(P, body);
	if ((s->hit = boundary_line(P, body, le, &s->close)) < 0)
		return 0;
	if (own->len > 0 && own->len >= P->bnd[s->hit].len &&
	    le - body >= own->len + 2 &&
	    memcmp(P->msg + body + 2, P->arena.data + own->off, own->len) == 0) {
		s->hit = -1;
		return 0;
	}
	s->line = body;
	s->end = e;
	s->outer = body;
	return 1;
}

static void parse_part(struct parser *, uint32_t, size_t, int, int, struct stop *);

/* A message/rfc822 part without body still has a message: an empty one. */
static void
empty_message(struct parser *P, uint32_t parent, size_t pos)
{
	uint32_t		 idx = new_part(P, parent);
	struct mime_part	*p = &P->t->parts[idx];
	struct bound		 b;

	p->hdr_off = p->body_off = p->body_end = pos;
	p->flags |= MIME_F_HDR_EOF;
	interpret(P, idx, 1, 0, &b);
}

/* The rest of a region, up to a boundary of the stack or EOF. */
static void
scan_to_boundary(const struct parser *P, size_t region, struct stop *s)
{
	next_boundary(P, region, s);
	s->end = s->hit < 0 ? P->len : strip(P, s->line, region);
}

static void
parse_multipart(struct parser *P, uint32_t idx, size_t body, struct bound b,
    struct stop *s)
{
	struct mime_tree	*t = P->t;
	int			 mine = (int)P->nbnd;
	size_t			 region = body, next;
	int			 digest;

	digest = t->parts[idx].subtype.len == 6 && strncasecmp(P->arena.data +
	    t->parts[idx].subtype.off, "digest", 6) == 0;
	P->bnd[P->nbnd++] = b;
	scan_to_boundary(P, region, s);		/* the preamble */
	while (s->hit == mine) {
		next = after_line(P, s->line);
		if (s->close || t->nparts >= MIME_MAX_PARTS) {
			/* The epilogue: own boundary lines in it are text. */
			if (!s->close)
				t->parts[idx].flags |= MIME_F_OPAQUE;
			P->nbnd--;
			if (s->close)
				region = next;
			else
				region = s->line;
			scan_to_boundary(P, region, s);
			return;
		}
		parse_part(P, new_part(P, idx), next, 0, digest, s);
	}
	P->nbnd--;
}

/*
 * Parses the part idx starting at start (its header). message: its header
 * is a message header (ENVELOPE fields). in_digest: the default type is
 * message/rfc822. Fills s with where and why it stopped.
 */
static void
parse_part(struct parser *P, uint32_t idx, size_t start, int message,
    int in_digest, struct stop *s)
{
	struct mime_part	*p;
	struct bound		 b;
	uint64_t		 lf0, bare0, lf1, bare1, lf2, bare2;
	size_t			 body, end;
	int			 eof;

	count_to(P, start, &lf0, &bare0);
	body = scan_header(P, start, s, &eof);
	p = &P->t->parts[idx];
	p->hdr_off = start;
	p->body_off = body;
	if (eof || s->hit >= 0)
		p->flags |= MIME_F_HDR_EOF;
	interpret(P, idx, message, in_digest, &b);
	if (!eof && s->hit < 0 && blank_before_boundary(P, start, body, &b, s)) {
		body = s->end;
		P->t->parts[idx].body_off = body;
		P->t->parts[idx].flags |= MIME_F_HDR_EOF;
	}
	p = &P->t->parts[idx];
	/* Too deep, or too many parts: the part is one opaque body. */
	if (p->kind != MIME_LEAF && (p->depth + 1 >= MIME_MAX_DEPTH ||
	    (p->kind == MIME_MESSAGE && P->t->nparts >= MIME_MAX_PARTS))) {
		p->kind = MIME_LEAF;
		p->flags |= MIME_F_OPAQUE;
	}
	count_to(P, body, &lf1, &bare1);
	p->hdr_vsize = (body - start) + (bare1 - bare0);
	if (eof || s->hit >= 0) {
		/* The header ran into EOF or a boundary: no body. */
		if (eof) {
			s->hit = -1;
			s->end = s->outer = P->len;
		}
		if (p->kind == MIME_MESSAGE)
			empty_message(P, idx, body);
	} else if (p->kind == MIME_MULTIPART && b.len > 0)
		parse_multipart(P, idx, body, b, s);
	else if (p->kind == MIME_MESSAGE)
		parse_part(P, new_part(P, idx), body, 1, 0, s);
	else
		scan_to_boundary(P, body, s);
	end = s->end < body ? body : s->end;
	p = &P->t->parts[idx];
	p->body_end = end;
	count_to(P, end, &lf2, &bare2);
	p->body_vsize = (end - body) + (bare2 - bare1);
	p->body_lines = lf2 - lf1;
	if (p->flags & MIME_F_HDR_EOF)
		s->end = s->outer;
}

struct mime_tree *
mime_parse(const char *msg, size_t len)
{
	struct parser		 P;
	struct mime_tree	*t;
	struct stop		 s;

	if ((uint64_t)len >= UINT32_MAX)
		return NULL;
	memset(&P, 0, sizeof(P));
	P.msg = msg != NULL ? msg : "";
	P.len = len;
	P.t = t = xcalloc(1, sizeof(*t));
	buf_init(&P.arena, UINT32_MAX - 1);
	P.F = xmalloc(sizeof(*P.F));
	P.pp = xmalloc(sizeof(*P.pp));
	parse_part(&P, new_part(&P, MIME_NONE), 0, 1, 0, &s);
	free(P.F);
	free(P.pp);
	free(P.last);
	t->size = len;
	t->vsize = t->parts[0].hdr_vsize + t->parts[0].body_vsize;
	t->strslen = (uint32_t)P.arena.len;
	t->strs = buf_release(&P.arena);
	if (t->strs == NULL)
		t->strs = xstrdup("");
	return t;
}

void
mime_free(struct mime_tree **tp)
{
	struct mime_tree	*t = *tp;

	if (t == NULL)
		return;
	free(t->parts);
	free(t->kv);
	free(t->envs);
	free(t->strs);
	x_free(tp);
}

const char *
mime_str(const struct mime_tree *t, struct mime_str s, size_t *len)
{
	*len = 0;
	if (s.off == MIME_NONE)
		return NULL;
	*len = s.len;
	return t->strs + s.off;
}

const char *
mime_kv_key(const struct mime_tree *t, const struct mime_kv *kv, size_t *len)
{
	*len = kv->klen;
	return t->strs + kv->koff;
}

const char *
mime_kv_value(const struct mime_tree *t, const struct mime_kv *kv, size_t *len)
{
	*len = kv->vlen;
	return t->strs + kv->voff;
}

const struct mime_part *
mime_child(const struct mime_tree *t, const struct mime_part *p, uint32_t n)
{
	uint32_t	 c = p->child;

	while (c != MIME_NONE && n-- > 0)
		c = t->parts[c].next;
	return c == MIME_NONE ? NULL : &t->parts[c];
}

static int
str_is(const struct mime_tree *t, struct mime_str s, const char *want)
{
	size_t	 n = strlen(want);

	return s.off != MIME_NONE && s.len == n &&
	    strncasecmp(t->strs + s.off, want, n) == 0;
}

int
mime_is(const struct mime_tree *t, const struct mime_part *p, const char *type,
    const char *subtype)
{
	return str_is(t, p->type, type) &&
	    (subtype == NULL || str_is(t, p->subtype, subtype));
}

/*
 * A LF counts as a bare one when the octet before it in the message is not
 * CR, whatever range is asked for: a range may then start anywhere (a
 * resumed partial fetch) and still agree with the sizes of the tree, whose
 * ranges never start right after a CR.
 */
static int
bare_lf(const char *msg, const char *nl)
{
	return nl == msg || nl[-1] != '\r';
}

uint64_t
mime_vsize(const char *msg, uint64_t start, uint64_t end)
{
	const char	*p = msg + start, *e = msg + end, *nl;
	uint64_t	 n = end - start;

	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		n += bare_lf(msg, nl);
		p = nl + 1;
	}
	return n;
}

uint64_t
mime_crlf_seek(const char *msg, uint64_t start, uint64_t end, uint64_t voff,
    uint64_t *vat)
{
	const char	*p = msg + start, *e = msg + end, *nl, *run;
	uint64_t	 v = 0, n, w;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		run = nl ? nl : e;
		n = (uint64_t)(run - p);
		if (v + n > voff) {
			*vat = voff;
			return (uint64_t)(p - msg) + (voff - v);
		}
		v += n;
		if (nl == NULL)
			break;
		w = bare_lf(msg, nl) ? 2 : 1;
		if (v + w > voff) {
			*vat = v;
			return (uint64_t)(nl - msg);
		}
		v += w;
		p = nl + 1;
	}
	*vat = v;
	return end;
}

int
mime_crlf_write(const char *msg, uint64_t start, uint64_t end, uint64_t voff,
    uint64_t vlen, int (*out)(void *, const char *, size_t), void *arg)
{
	const char	*p, *e = msg + end, *nl, *run;
	uint64_t	 vat;
	size_t		 n;

	p = msg + mime_crlf_seek(msg, start, end, voff, &vat);
	/* voff on the LF half of a bare LF: its CR is already behind. */
	if (vat < voff && p < e && vlen > 0) {
		if (out(arg, "\n", 1) == -1)
			return -1;
		vlen--;
		p++;
	}
	while (p < e && vlen > 0) {
		nl = memchr(p, '\n', (size_t)(e - p));
		run = nl ? nl : e;
		n = (size_t)(run - p);
		if (n > vlen)
			n = (size_t)vlen;
		if (n > 0 && out(arg, p, n) == -1)
			return -1;
		vlen -= n;
		p += n;
		if (p != nl || vlen == 0)
			continue;	/* the end, or vlen ran out */
		if (bare_lf(msg, nl)) {
			if (out(arg, vlen >= 2 ? "\r\n" : "\r", vlen >= 2 ? 2 : 1) == -1)
				return -1;
			vlen -= vlen >= 2 ? 2 : 1;
		} else {
			if (out(arg, "\n", 1) == -1)
				return -1;
			vlen--;
		}
		p = nl + 1;
	}
	return 0;
}
