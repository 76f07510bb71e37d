/* THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES, with loops, depth and sizes that stay linear on hostile headers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "imap/thread.h"

#define NONE	UINT32_MAX

/*
 * Before a parent/child link, RFC 5256 asks that the parent not descend
 * from the child. A child without children cannot have the parent below it,
 * the common case; otherwise the walk up from the parent stops after this
 * many steps and the link is not made, so threading stays O(n) per
 * message however deep a crafted chain of references is.
 */
#define LOOP_WALK_MAX	4096

/* --- a map of strings to container numbers ---------------------------- */

struct smap {
	uint32_t	*slot;		/* container + 1; 0 empty */
	size_t		 cap, n;
};

struct cont {
	uint32_t	 msg;		/* index into msgs; NONE: a dummy */
	uint32_t	 parent, first, last, prev, next;
	uint32_t	 nchildren;
	const char	*id;		/* NULL for none */
	size_t		 idlen;
};

struct ctx {
	const struct thread_msg	*msgs;
	size_t			 n;
	struct cont		*c;
	uint32_t		 nc, capc;
	struct smap		 ids;
};

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

typedef const char *(*key_fn)(const struct ctx *, uint32_t, size_t *);

static uint32_t *
smap_find(struct smap *m, const struct ctx *x, key_fn key, const char *s,
    size_t n)
{
	size_t		 i;
	const char	*k;
	size_t		 kn;

	for (i = hash(s, n) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->slot[i] == 0)
			return &m->slot[i];
		k = key(x, m->slot[i] - 1, &kn);
		if (kn == n && memcmp(k, s, n) == 0)
			return &m->slot[i];
	}
}

static void
smap_init(struct smap *m, size_t n)
{
	m->cap = 16;
	while (m->cap < n * 2)
		m->cap *= 2;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
	m->n = 0;
}

static void
smap_put(struct smap *m, const struct ctx *x, key_fn key, uint32_t v)
{
	uint32_t	*old = m->slot, *p;
	size_t		 oldcap = m->cap, i, n;
	const char	*k;

	if ((m->n + 1) * 2 > m->cap) {
		m->cap *= 2;
		m->slot = xcalloc(m->cap, sizeof(*m->slot));
		for (i = 0; i < oldcap; i++)
			if (old[i] != 0) {
				k = key(x, old[i] - 1, &n);
				*smap_find(m, x, key, k, n) = old[i];
			}
		free(old);
	}
	k = key(x, v, &n);
	p = smap_find(m, x, key, k, n);
	if (*p == 0)
		m->n++;
	*p = v + 1;
}

/* --- containers --------------------------------------------------------- */

static const char *
id_key(const struct ctx *x, uint32_t c, size_t *n)
{
	*n = x->c[c].idlen;
	return x->c[c].id;
}

static uint32_t
cont_new(struct ctx *x, const char *id, size_t idlen, uint32_t msg)
{
	struct cont	*c;

	if (x->nc == x->capc) {
		x->capc = x->capc ? x->capc * 2 : 64;
		x->c = xreallocarray(x->c, x->capc, sizeof(*x->c));
	}
	c = &x->c[x->nc];
	memset(c, 0, sizeof(*c));
	c->msg = msg;
	c->parent = c->first = c->last = c->prev = c->next = NONE;
	c->id = id;
	c->idlen = idlen;
	if (id != NULL)
		smap_put(&x->ids, x, id_key, x->nc);
	return x->nc++;
}

/* The container of an id, a new dummy when none has it. */
static uint32_t
cont_get(struct ctx *x, const char *id, size_t idlen)
{
	uint32_t	*p = smap_find(&x->ids, x, id_key, id, idlen);

	if (*p != 0)
		return *p - 1;
	return cont_new(x, id, idlen, NONE);
}

static void
unlink_cont(struct ctx *x, uint32_t k)
{
	struct cont	*c = &x->c[k];
	struct cont	*p;

	if (c->parent == NONE)
		return;
	p = &x->c[c->parent];
	if (c->prev != NONE)
		x->c[c->prev].next = c->next;
	else
		p->first = c->next;
	if (c->next != NONE)
		x->c[c->next].prev = c->prev;
	else
		p->last = c->prev;
	p->nchildren--;
	c->parent = c->prev = c->next = NONE;
}

static void
link_cont(struct ctx *x, uint32_t parent, uint32_t k)
{
	struct cont	*p = &x->c[parent], *c = &x->c[k];

	c->parent = parent;
	c->next = NONE;
	c->prev = p->last;
	if (p->last != NONE)
		x->c[p->last].next = k;
	else
		p->first = k;
	p->last = k;
	p->nchildren++;
}

/* Whether linking parent -> child would make a loop (or cost too much to know). */
static int
would_loop(const struct ctx *x, uint32_t parent, uint32_t child)
{
	uint32_t	 k;
	size_t		 steps = 0;

	if (parent == child)
		return 1;
	if (x->c[child].first == NONE)
		return 0;
	for (k = parent; k != NONE; k = x->c[k].parent)
		if (k == child || ++steps > LOOP_WALK_MAX)
			return 1;
	return 0;
}

/* --- ordering ------------------------------------------------------------ */

/* The message a container sorts by: itself, or a dummy's first child. */
static uint32_t
sort_msg(const struct ctx *x, uint32_t k)
{
	while (k != NONE && x->c[k].msg == NONE)
		k = x->c[k].first;
	return k == NONE ? NONE : x->c[k].msg;
}

static int
cmp_msg(const struct thread_msg *a, const struct thread_msg *b)
{
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct skey {
	uint32_t		 cont;
	const struct thread_msg	*m;
};

static int
cmp_skey(const void *x, const void *y)
{
	const struct skey	*a = x, *b = y;

	if (a->m == NULL || b->m == NULL)
		return (a->m == NULL) - (b->m == NULL);
	return cmp_msg(a->m, b->m);
}

/* Sorts the children of k by sent date (RFC 5256 2.2), ties by sequence. */
static void
sort_children(struct ctx *x, uint32_t k, struct skey **tmp, size_t *tmpcap)
{
	struct cont	*p = &x->c[k];
	uint32_t	 c, i, n = p->nchildren, m;

	if (n < 2)
		return;
	if (*tmpcap < n) {
		*tmpcap = n;
		*tmp = xreallocarray(*tmp, n, sizeof(**tmp));
	}
	for (i = 0, c = p->first; c != NONE; c = x->c[c].next, i++) {
		(*tmp)[i].cont = c;
		m = sort_msg(x, c);
		(*tmp)[i].m = m == NONE ? NULL : &x->msgs[m];
	}
	qsort(*tmp, n, sizeof(**tmp), cmp_skey);
	p->first = (*tmp)[0].cont;
	p->last = (*tmp)[n - 1].cont;
	for (i = 0; i < n; i++) {
		c = (*tmp)[i].cont;
		x->c[c].prev = i > 0 ? (*tmp)[i - 1].cont : NONE;
		x->c[c].next = i + 1 < n ? (*tmp)[i + 1].cont : NONE;
	}
}

/* Every container below k in pre-order, k first. */
static uint32_t *
preorder(const struct ctx *x, uint32_t k, size_t *n)
{
	uint32_t	*out, *stack, c;
	size_t		 no = 0, ns = 0;

	out = xreallocarray(NULL, x->nc, sizeof(*out));
	stack = xreallocarray(NULL, x->nc, sizeof(*stack));
	stack[ns++] = k;
	while (ns > 0) {
		k = stack[--ns];
		out[no++] = k;
		for (c = x->c[k].last; c != NONE; c = x->c[c].prev)
			stack[ns++] = c;
	}
	free(stack);
	*n = no;
	return out;
}

/* --- output -------------------------------------------------------------- */

enum { W_LIST, W_MEMBERS, W_CLOSE };

struct witem {
	uint32_t	 k;
	uint8_t		 what;
};

/*
 * thread-list = "(" (thread-members / thread-nested) ")"; a message and
 * its only child continue one list, two or more children are nested
 * lists. An explicit stack: a crafted thread is as deep as the mailbox is
 * large.
 */
static int
write_tree(struct buf *out, const struct ctx *x, uint32_t root)
{
	struct witem	*st;
	size_t		 ns = 0;
	uint32_t	 k, c;
	int		 e = 0;

	st = xreallocarray(NULL, (size_t)x->nc * 2 + 2, sizeof(*st));
	for (c = x->c[root].last; c != NONE; c = x->c[c].prev)
		st[ns++] = (struct witem){ c, W_LIST };
	while (ns > 0 && e == 0) {
		struct witem	 it = st[--ns];

		if (it.what == W_CLOSE) {
			e |= buf_addc(out, ')');
			continue;
		}
		if (it.what == W_LIST) {
			e |= buf_addc(out, '(');
			st[ns++] = (struct witem){ 0, W_CLOSE };
		}
		for (k = it.k;;) {
			const struct cont	*p = &x->c[k];

			if (p->msg == NONE && p->nchildren == 1) {
				k = p->first;
				continue;
			}
			if (p->msg != NONE)
				e |= buf_addf(out, "%u", x->msgs[p->msg].num);
			if (p->nchildren == 0)
				break;
			if (p->msg != NONE)
				e |= buf_addc(out, ' ');
			if (p->nchildren == 1) {
				k = p->first;
				continue;
			}
			for (c = p->last; c != NONE; c = x->c[c].prev)
				st[ns++] = (struct witem){ c, W_LIST };
			break;
		}
	}
	free(st);
	return e ? -1 : 0;
}

/* --- REFERENCES -------------------------------------------------------- */

static int
cmp_seq(const void *a, const void *b, void *arg)
{
	const struct thread_msg	*m = arg;
	uint32_t		 x = m[*(const uint32_t *)a].seq;
	uint32_t		 y = m[*(const uint32_t *)b].seq;

	return x < y ? -1 : x > y;
}

/* Step 1: containers and links from the messages, in sequence order. */
static void
link_messages(struct ctx *x)
{
	uint32_t	*order, i, k, cm, prev, *p;
	size_t		 r;

	order = xreallocarray(NULL, x->n ? x->n : 1, sizeof(*order));
	for (i = 0; i < x->n; i++)
		order[i] = i;
	qsort_r(order, x->n, sizeof(*order), cmp_seq, (void *)x->msgs);
	for (i = 0; i < x->n; i++) {
		const struct thread_msg	*m = &x->msgs[order[i]];

		/* A message without id, or whose id came before: a unique one. */
		cm = NONE;
		if (m->id != NULL && m->idlen > 0) {
			p = smap_find(&x->ids, x, id_key, m->id, m->idlen);
			if (*p == 0)
				cm = cont_new(x, m->id, m->idlen, order[i]);
			else if (x->c[*p - 1].msg == NONE) {
				cm = *p - 1;
				x->c[cm].msg = order[i];
			}
		}
		if (cm == NONE)
			cm = cont_new(x, NULL, 0, order[i]);
		/* (A) each reference the parent of the next, unless set already. */
		prev = NONE;
		for (r = 0; r < m->nrefs; r++) {
			if (m->reflens[r] == 0)
				continue;
			k = cont_get(x, m->refs[r], m->reflens[r]);
			if (prev != NONE && x->c[k].parent == NONE &&
			    !would_loop(x, prev, k))
				link_cont(x, prev, k);
			prev = k;
		}
		/* (B) the last reference is the parent, whatever was before. */
		unlink_cont(x, cm);
		if (prev != NONE && !would_loop(x, prev, cm))
			link_cont(x, prev, cm);
	}
	free(order);
}

/* Step 3: dummies without children go, others give their children to their parent. */
static void
prune(struct ctx *x, uint32_t root)
{
	uint32_t	*stack, k, c, next, f, l, ch;
	size_t		 ns = 0;

	stack = xreallocarray(NULL, x->nc, sizeof(*stack));
	stack[ns++] = root;
	while (ns > 0) {
		k = stack[--ns];
		for (c = x->c[k].first; c != NONE; c = next) {
			struct cont	*p = &x->c[c];

			next = p->next;
			if (p->msg != NONE || (p->nchildren > 1 && k == root)) {
				if (p->nchildren > 0)
					stack[ns++] = c;
				continue;
			}
			if (p->nchildren == 0) {
				unlink_cont(x, c);
				continue;
			}
			/* Splice the children in its place, then look at them. */
			f = p->first;
			l = p->last;
			for (ch = f; ch != NONE; ch = x->c[ch].next)
				x->c[ch].parent = k;
			x->c[f].prev = p->prev;
			x->c[l].next = p->next;
			if (p->prev != NONE)
				x->c[p->prev].next = f;
			else
				x->c[k].first = f;
			if (p->next != NONE)
				x->c[p->next].prev = l;
			else
				x->c[k].last = l;
			x->c[k].nchildren += p->nchildren - 1;
			p->first = p->last = p->parent = p->prev = p->next = NONE;
			p->nchildren = 0;
			next = f;
		}
	}
	free(stack);
}

static const char *
subj_key(const struct ctx *x, uint32_t k, size_t *n)
{
	uint32_t	 m = sort_msg(x, k);

	*n = m == NONE ? 0 : x->msgs[m].subjlen;
	return m == NONE ? "" : x->msgs[m].subj;
}

static int
is_dummy(const struct ctx *x, uint32_t k)
{
	return x->c[k].msg == NONE;
}

static int
is_reply(const struct ctx *x, uint32_t k)
{
	return !is_dummy(x, k) && x->msgs[x->c[k].msg].reply;
}

/* Step 5: threads of the same base subject gathered. */
static void
gather_subjects(struct ctx *x, uint32_t root)
{
	struct smap	 subj;
	uint32_t	*kids, n = 0, i, k, t, *p, d, c, next;
	const char	*s;
	size_t		 slen;

	kids = xreallocarray(NULL, x->c[root].nchildren + 1, sizeof(*kids));
	for (k = x->c[root].first; k != NONE; k = x->c[k].next)
		kids[n++] = k;
	smap_init(&subj, n);
	/* (B) one container per subject: prefer dummies, then non-replies. */
	for (i = 0; i < n; i++) {
		k = kids[i];
		if ((s = subj_key(x, k, &slen)), slen == 0)
			continue;
		p = smap_find(&subj, x, subj_key, s, slen);
		if (*p == 0) {
			smap_put(&subj, x, subj_key, k);
			continue;
		}
		t = *p - 1;
		if (!is_dummy(x, t) && (is_dummy(x, k) ||
		    (is_reply(x, t) && !is_reply(x, k))))
			*p = k + 1;
	}
	/* (C) merge each thread into the table's one. */
	for (i = 0; i < n; i++) {
		k = kids[i];
		if ((s = subj_key(x, k, &slen)), slen == 0)
			continue;
		p = smap_find(&subj, x, subj_key, s, slen);
		t = *p - 1;
		if (t == k)
			continue;
		unlink_cont(x, k);
		if (is_dummy(x, k) && is_dummy(x, t)) {
			for (c = x->c[k].first; c != NONE; c = next) {
				next = x->c[c].next;
				unlink_cont(x, c);
				link_cont(x, t, c);
			}
		} else if (is_dummy(x, t) || (is_reply(x, k) && !is_reply(x, t)))
			link_cont(x, t, k);
		else {
			/* A new dummy takes the table's place among the root's children. */
			d = cont_new(x, NULL, 0, NONE);
			x->c[d].parent = root;
			x->c[d].prev = x->c[t].prev;
			x->c[d].next = x->c[t].next;
			if (x->c[t].prev != NONE)
				x->c[x->c[t].prev].next = d;
			else
				x->c[root].first = d;
			if (x->c[t].next != NONE)
				x->c[x->c[t].next].prev = d;
			else
				x->c[root].last = d;
			x->c[t].parent = x->c[t].prev = x->c[t].next = NONE;
			link_cont(x, d, t);
			link_cont(x, d, k);
			*p = d + 1;
		}
	}
	free(subj.slot);
	free(kids);
}

int
thread_references(struct buf *out, const struct thread_msg *msgs, size_t n)
{
	struct ctx	 x;
	struct skey	*tmp = NULL;
	size_t		 tmpcap = 0, no, i;
	uint32_t	 root, k, next, *order;
	int		 r;

	memset(&x, 0, sizeof(x));
	x.msgs = msgs;
	x.n = n;
	smap_init(&x.ids, n);
	link_messages(&x);
	/* (2) the messages without parent under a root. */
	root = cont_new(&x, NULL, 0, NONE);
	for (k = 0; k < root; k++)
		if (x.c[k].parent == NONE)
			link_cont(&x, root, k);
	prune(&x, root);
	/* (4) the top level by date, a dummy by its first child. */
	for (k = x.c[root].first; k != NONE; k = next) {
		next = x.c[k].next;
		if (is_dummy(&x, k))
			sort_children(&x, k, &tmp, &tmpcap);
	}
	sort_children(&x, root, &tmp, &tmpcap);
	gather_subjects(&x, root);
	/* (6) every set of siblings by date, the deepest first. */
	order = preorder(&x, root, &no);
	for (i = no; i-- > 0;)
		sort_children(&x, order[i], &tmp, &tmpcap);
	free(order);
	r = write_tree(out, &x, root);
	free(tmp);
	free(x.c);
	free(x.ids.slot);
	return r;
}

/* --- ORDEREDSUBJECT ----------------------------------------------------- */

static int
cmp_subject(const void *a, const void *b, void *arg)
{
	const struct thread_msg	*m = arg;
	const struct thread_msg	*x = &m[*(const uint32_t *)a];
	const struct thread_msg	*y = &m[*(const uint32_t *)b];
	size_t			 n = x->subjlen < y->subjlen ? x->subjlen : y->subjlen;
	int			 r = n ? memcmp(x->subj, y->subj, n) : 0;

	if (r != 0)
		return r < 0 ? -1 : 1;
	if (x->subjlen != y->subjlen)
		return x->subjlen < y->subjlen ? -1 : 1;
	return cmp_msg(x, y);
}

static int
cmp_first(const void *a, const void *b, void *arg)
{
	const struct thread_msg	*m = arg;

	return cmp_msg(&m[((const uint32_t *)a)[0]], &m[((const uint32_t *)b)[0]]);
}

/*
 * RFC 5256 3: sorted by base subject, then sent date; each subject one
 * thread whose first message is the parent of all the others; threads by
 * the date of their first message.
 */
int
thread_orderedsubject(struct buf *out, const struct thread_msg *msgs, size_t n)
{
	uint32_t	*order, (*th)[2];
	size_t		 i, j, nth = 0, k;
	int		 e = 0;

	if (n == 0)
		return 0;
	order = xreallocarray(NULL, n, sizeof(*order));
	th = xreallocarray(NULL, n, sizeof(*th));
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), cmp_subject, (void *)msgs);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && msgs[order[j]].subjlen ==
		    msgs[order[i]].subjlen && memcmp(msgs[order[j]].subj,
		    msgs[order[i]].subj, msgs[order[i]].subjlen) == 0; j++)
			;
		/* th[k] = { first message, index of the thread's start in order } */
		th[nth][0] = order[i];
		th[nth++][1] = (uint32_t)i;
	}
	qsort_r(th, nth, sizeof(*th), cmp_first, (void *)msgs);
	for (k = 0; k < nth && e == 0; k++) {
		i = th[k][1];
		for (j = i + 1; j < n && msgs[order[j]].subjlen ==
		    msgs[order[i]].subjlen && memcmp(msgs[order[j]].subj,
		    msgs[order[i]].subj, msgs[order[i]].subjlen) == 0; j++)
			;
		e |= buf_addf(out, "(%u", msgs[order[i]].num);
		if (j - i == 2)
			e |= buf_addf(out, " %u", msgs[order[i + 1]].num);
		else if (j - i > 2) {
			e |= buf_addc(out, ' ');
			for (i++; i < j; i++)
				e |= buf_addf(out, "(%u)", msgs[order[i]].num);
		}
		e |= buf_addc(out, ')');
	}
	free(order);
	free(th);
	return e ? -1 : 0;
}
