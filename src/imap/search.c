/* SEARCH, SORT and THREAD jobs: the program compiled on the event loop, matched on a worker, answered on the loop. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/imap_write.h"
#include "mail/mime.h"
#include "mail/mime_charset.h"
#include "mail/mime_header.h"
#include "mail/mime_text.h"
#include "imap/search.h"
#include "imap/search_fields.h"
#include "imap/search_fold.h"
#include "imap/search_job.h"
#include "imap/search_priv.h"

/* What evaluating a key needs: the list, the search fields, the file. */
enum { LV_MEM, LV_FIELDS, LV_FILE };
enum { T_FALSE, T_TRUE, T_UNKNOWN };

/* Text kept of a message for the keys that read its file, made once. */
struct mtext {
	bool		 body_done, text_done;
	struct buf	 body, text;	/* folded */
	struct buf	 hdr;		/* HEADER: one field's value, folded */
	struct search_scratch sc;
};

struct mctx {
	struct search		*s;
	const struct search_msg	*m;
	uint32_t		 seq;
	int			 lvl;
	bool			 have_fields;
	struct search_fields	 f;
	struct buf		*fbuf;
	bool			 open;
	struct search_text	 txt;
	struct mime_tree	*own;
	const struct mime_tree	*tree;
	struct mtext		*mt;
	struct buf		*tmp;
	int			 gone;
	int			 error;
};

static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The calendar day of an instant in a zone, as days since 1970-01-01. */
static int64_t
day_of(int64_t t, int tz)
{
	int64_t	 l = t + (int64_t)tz * 60;

	return l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
}

/* --- compiling ------------------------------------------------------ */

static int
cmp_range(const void *a, const void *b)
{
	const struct search_range	*x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* A sequence or UID set as sorted, merged ranges; star is what "*" stands for. */
static void
compile_set(struct search_node *n, const struct imap_seqset *set, uint32_t star)
{
	size_t	 i, k;

	if (set->saved) {
		n->saved = true;
		return;
	}
	n->r = xreallocarray(NULL, set->n ? set->n : 1, sizeof(*n->r));
	for (i = k = 0; i < set->n; i++) {
		uint32_t	 a = set->r[i].first, b = set->r[i].last;

		if (a == IMAP_SEQ_STAR)
			a = star;
		if (b == IMAP_SEQ_STAR)
			b = star;
		if (a > b) {
			uint32_t	 t = a;

			a = b;
			b = t;
		}
		if (b == 0)
			continue;	/* "*" of an empty mailbox */
		n->r[k].lo = a ? a : 1;
		n->r[k++].hi = b;
	}
	qsort(n->r, k, sizeof(*n->r), cmp_range);
	n->nr = 0;
	for (i = 0; i < k; i++) {
		if (n->nr > 0 && n->r[i].lo <= n->r[n->nr - 1].hi + 1ULL) {
			if (n->r[i].hi > n->r[n->nr - 1].hi)
				n->r[n->nr - 1].hi = n->r[i].hi;
		} else
			n->r[n->nr++] = n->r[i];
	}
}

/* A search string: to UTF-8 from the CHARSET, then folded. */
static void
needle(struct search *s, struct search_node *n, const struct imap_str *str)
{
	struct buf	 b, u;

	buf_init(&b, 0);
	buf_init(&u, 0);
	if (s->charset != NULL)
		(void)mime_charset_to_utf8(s->charset, str->p ? str->p : "",
		    str->len, &u);
	else
		(void)buf_add(&u, str->p ? str->p : "", str->len);
	(void)search_fold(&b, u.data ? u.data : "", u.len);
	buf_free(&u);
	n->len = b.len;
	n->str = b.len ? buf_release(&b) : xstrdup("");
	buf_free(&b);
}

static struct search_node *
compile(struct search *s, const struct imap_search_key *k)
{
	struct search_node	*n, **tail;
	const struct imap_search_key *c;
	uint32_t		 maxuid;
	size_t			 i;

	n = xcalloc(1, sizeof(*n));
	n->op = k->op;
	n->lvl = LV_MEM;
	switch (k->op) {
	case IMAP_SK_AND:
	case IMAP_SK_OR:
	case IMAP_SK_NOT:
		tail = &n->sub;
		for (c = k->u.sub; c != NULL; c = c->next) {
			*tail = compile(s, c);
			if ((*tail)->lvl > n->lvl)
				n->lvl = (*tail)->lvl;
			tail = &(*tail)->next;
			if (k->op == IMAP_SK_NOT ||
			    (k->op == IMAP_SK_OR && n->sub->next != NULL))
				break;
		}
		break;
	case IMAP_SK_BCC:
	case IMAP_SK_CC:
	case IMAP_SK_FROM:
	case IMAP_SK_SUBJECT:
	case IMAP_SK_TO:
		n->lvl = LV_FIELDS;
		s->need_fields = true;
		needle(s, n, &k->u.str);
		break;
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		n->lvl = LV_FILE;
		needle(s, n, &k->u.str);
		break;
	case IMAP_SK_HEADER:
		n->lvl = LV_FILE;
		n->name = xstrndup(k->u.header.name.p ? k->u.header.name.p : "",
		    k->u.header.name.len);
		needle(s, n, &k->u.header.value);
		break;
	case IMAP_SK_KEYWORD:
	case IMAP_SK_UNKEYWORD:
		/* A keyword the mailbox does not have: no bit, never set. */
		for (i = 0; i < s->nkw && i < SEARCH_KEYWORDS_MAX; i++)
			if (strlen(s->kwnames[i]) == k->u.str.len &&
			    strncasecmp(s->kwnames[i], k->u.str.p,
			    k->u.str.len) == 0)
				n->num |= 1ULL << i;
		break;
	case IMAP_SK_BEFORE:
	case IMAP_SK_ON:
	case IMAP_SK_SINCE:
		n->day = days_from_civil(k->u.date.year, k->u.date.mon,
		    k->u.date.day);
		break;
	case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON:
	case IMAP_SK_SENTSINCE:
		n->lvl = LV_FIELDS;
		s->need_fields = true;
		n->day = days_from_civil(k->u.date.year, k->u.date.mon,
		    k->u.date.day);
		break;
	case IMAP_SK_LARGER:
	case IMAP_SK_SMALLER:
	case IMAP_SK_YOUNGER:
	case IMAP_SK_OLDER:
		n->num = k->u.number;
		break;
	case IMAP_SK_MODSEQ:
		n->num = k->u.modseq.value;
		break;
	case IMAP_SK_SEQSET:
		compile_set(n, &k->u.set, s->n);
		break;
	case IMAP_SK_UID:
		maxuid = s->n > 0 ? s->msgs[s->n - 1].uid : 0;
		compile_set(n, &k->u.set, maxuid);
		break;
	default:
		break;
	}
	return n;
}

static void
node_free(struct search_node *n)
{
	struct search_node	*next;

	for (; n != NULL; n = next) {
		next = n->next;
		node_free(n->sub);
		free(n->str);
		free(n->name);
		free(n->r);
		free(n);
	}
}

static const char *const charsets[] = { "UTF-8", "US-ASCII" };

struct search *
search_new(const struct imap_request *req, const struct search_mailbox *mb)
{
	const struct imap_search	*prog;
	struct search			*s;
	struct imap_search_key		 and;

	s = xcalloc(1, sizeof(*s));
	s->cmd = req->id;
	s->uid = req->uid;
	s->tag = xstrdup(req->tag ? req->tag : "*");
	s->resp = IMAP_OK;
	s->now = mb->now;
	if (mb->src != NULL)
		s->src = *mb->src;
	s->n = mb->n;
	s->msgs = xreallocarray(NULL, mb->n ? mb->n : 1, sizeof(*s->msgs));
	if (mb->n > 0)
		memcpy(s->msgs, mb->msgs, mb->n * sizeof(*s->msgs));
	s->kwnames = mb->kwnames;
	s->nkw = mb->nkw;
	s->saved = xreallocarray(NULL, mb->nsaved ? mb->nsaved : 1,
	    sizeof(*s->saved));
	s->nsaved = mb->nsaved;
	if (mb->nsaved > 0)
		memcpy(s->saved, mb->saved, mb->nsaved * sizeof(*s->saved));

	switch (req->id) {
	case IMAP_CMD_SORT:
		prog = &req->u.sort.search;
		s->ncrit = req->u.sort.ncrit;
		s->crit = xreallocarray(NULL, s->ncrit ? s->ncrit : 1,
		    sizeof(*s->crit));
		memcpy(s->crit, req->u.sort.crit, s->ncrit * sizeof(*s->crit));
		break;
	case IMAP_CMD_THREAD:
		prog = &req->u.thread.search;
		s->alg = req->u.thread.alg;
		if (s->alg != IMAP_THREAD_ORDEREDSUBJECT &&
		    s->alg != IMAP_THREAD_REFERENCES) {
			s->resp = IMAP_BAD;
			(void)snprintf(s->text, sizeof(s->text),
			    "Unknown THREAD algorithm");
		}
		break;
	default:
		prog = &req->u.search;
		s->ret = prog->ret;
		/* IMAP4rev2 answers SEARCH with ESEARCH, ALL by default (RFC 9051 6.4.4). */
		s->esearch = prog->ret_set ||
		    (mb->enabled & IMAP_ENA_IMAP4REV2) != 0;
		if (!prog->ret_set)
			s->ret = IMAP_SEARCH_RET_ALL;
		break;
	}
	s->uses_modseq = prog->uses_modseq;
	/*
	 * UTF-8 and US-ASCII, which RFC 9051 requires, and any charset iconv
	 * converts (CHARSET ISO-2022-JP from Japanese clients, as Dovecot
	 * takes it); [BADCHARSET] lists the two every server has.
	 */
	if (prog->charset_set && strcasecmp(prog->charset.p, "UTF-8") != 0 &&
	    strcasecmp(prog->charset.p, "US-ASCII") != 0) {
		struct buf	 probe;

		buf_init(&probe, 0);
		if (mime_charset_to_utf8(prog->charset.p, "a", 1, &probe) == -1) {
			s->resp = IMAP_NO;
			s->badcharset = true;
			(void)snprintf(s->text, sizeof(s->text),
			    "Unsupported charset");
		} else
			s->charset = prog->charset.p;
		buf_free(&probe);
	}
	if (s->resp == IMAP_OK) {
		/* The program is an AND of its keys. */
		memset(&and, 0, sizeof(and));
		and.op = IMAP_SK_AND;
		and.u.sub = prog->keys;
		s->prog = compile(s, &and);
	}
	/* kwnames and charset were only needed to compile. */
	s->kwnames = NULL;
	s->charset = NULL;
	return s;
}

/* --- matching ------------------------------------------------------- */

static bool
in_set(const struct search_node *n, uint32_t v)
{
	size_t	 lo = 0, hi = n->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v < n->r[mid].lo)
			hi = mid;
		else if (v > n->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool
in_saved(const struct search *s, uint32_t uid)
{
	size_t	 lo = 0, hi = s->nsaved, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (uid < s->saved[mid])
			hi = mid;
		else if (uid > s->saved[mid])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static int
contains(const char *hay, size_t hlen, const struct search_node *n)
{
	if (n->len == 0)
		return T_TRUE;
	return hay != NULL && memmem(hay, hlen, n->str, n->len) != NULL ?
	    T_TRUE : T_FALSE;
}

static int
field_key(struct mctx *c, const struct search_node *n, int sf)
{
	if (c->lvl < LV_FIELDS)
		return T_UNKNOWN;
	/* An empty string matches the messages that have the field. */
	if (n->len == 0)
		return (c->f.present & SF_HAS(sf)) ? T_TRUE : T_FALSE;
	return contains(c->f.s[sf], c->f.len[sf], n);
}

static int
sent_key(struct mctx *c, const struct search_node *n)
{
	int64_t	 d;

	if (c->lvl < LV_FIELDS)
		return T_UNKNOWN;
	/* No Date: field that parses: 1970-01-01, as Dovecot has it. */
	d = c->f.date_set ? day_of(c->f.date, c->f.tz) : 0;
	switch (n->op) {
	case IMAP_SK_SENTBEFORE:
		return d < n->day;
	case IMAP_SK_SENTON:
		return d == n->day;
	default:
		return d >= n->day;
	}
}

/* HEADER name value: decoded values of the message header's fields of that name. */
static int
header_key(struct mctx *c, const struct search_node *n)
{
	const struct mime_part	*p = &c->tree->parts[0];
	struct mime_hdr		 h;
	struct mime_field	 f;
	int			 r = T_FALSE;

	mime_hdr_init(&h, c->txt.msg + p->hdr_off,
	    (size_t)(p->body_off - p->hdr_off));
	while (r == T_FALSE && mime_hdr_next(&h, &f)) {
		if (f.nocolon || !mime_field_is(&f, n->name))
			continue;
		if (n->len == 0)
			return T_TRUE;
		c->tmp->len = 0;
		mime_words_decode(f.value, f.valuelen, c->tmp);
		c->mt->hdr.len = 0;
		(void)search_fold(&c->mt->hdr, c->tmp->data ? c->tmp->data :
		    "", c->tmp->len);
		r = contains(c->mt->hdr.data, c->mt->hdr.len, n);
	}
	return r;
}

static int
text_key(struct mctx *c, const struct search_node *n)
{
	struct mtext	*t = c->mt;
	bool		 body = n->op == IMAP_SK_BODY;
	struct buf	*b = body ? &t->body : &t->text;
	bool		*done = body ? &t->body_done : &t->text_done;

	if (!*done) {
		b->len = 0;
		(void)search_text_fold(b, &c->mt->sc, c->txt.msg, c->tree, body ?
		    MIME_TEXT_BODIES : MIME_TEXT_HEADERS | MIME_TEXT_BODIES);
		*done = true;
	}
	return contains(b->data, b->len, n);
}

static int
flag(const struct mctx *c, unsigned f)
{
	return (c->m->flags & f) ? T_TRUE : T_FALSE;
}

static int	 eval(struct mctx *, const struct search_node *);

static int
eval_list(struct mctx *c, const struct search_node *n)
{
	const struct search_node	*k;
	int				 r = T_TRUE, v;

	for (k = n; k != NULL; k = k->next) {
		/* A key that needs more than is there waits: cheaper ones first. */
		if (k->lvl > c->lvl) {
			r = T_UNKNOWN;
			continue;
		}
		if ((v = eval(c, k)) == T_FALSE)
			return T_FALSE;
		if (v == T_UNKNOWN)
			r = T_UNKNOWN;
	}
	return r;
}

static int
eval(struct mctx *c, const struct search_node *n)
{
	const struct search_msg	*m = c->m;
	int			 a, b;

	if (n->lvl > c->lvl && n->op != IMAP_SK_AND && n->op != IMAP_SK_OR &&
	    n->op != IMAP_SK_NOT)
		return T_UNKNOWN;
	switch (n->op) {
	case IMAP_SK_ALL:
		return T_TRUE;
	case IMAP_SK_AND:
		return eval_list(c, n->sub);
	case IMAP_SK_OR:
		if ((a = eval(c, n->sub)) == T_TRUE)
			return T_TRUE;
		if ((b = eval(c, n->sub->next)) == T_TRUE)
			return T_TRUE;
		return a == T_UNKNOWN || b == T_UNKNOWN ? T_UNKNOWN : T_FALSE;
	case IMAP_SK_NOT:
		a = eval(c, n->sub);
		return a == T_UNKNOWN ? T_UNKNOWN : !a;
	case IMAP_SK_ANSWERED:
		return flag(c, IMAP_FLAG_ANSWERED);
	case IMAP_SK_DELETED:
		return flag(c, IMAP_FLAG_DELETED);
	case IMAP_SK_DRAFT:
		return flag(c, IMAP_FLAG_DRAFT);
	case IMAP_SK_FLAGGED:
		return flag(c, IMAP_FLAG_FLAGGED);
	case IMAP_SK_SEEN:
		return flag(c, IMAP_FLAG_SEEN);
	case IMAP_SK_RECENT:
		return flag(c, SEARCH_MSG_RECENT);
	case IMAP_SK_UNANSWERED:
		return !flag(c, IMAP_FLAG_ANSWERED);
	case IMAP_SK_UNDELETED:
		return !flag(c, IMAP_FLAG_DELETED);
	case IMAP_SK_UNDRAFT:
		return !flag(c, IMAP_FLAG_DRAFT);
	case IMAP_SK_UNFLAGGED:
		return !flag(c, IMAP_FLAG_FLAGGED);
	case IMAP_SK_UNSEEN:
		return !flag(c, IMAP_FLAG_SEEN);
	case IMAP_SK_NEW:
		return flag(c, SEARCH_MSG_RECENT) && !flag(c, IMAP_FLAG_SEEN);
	case IMAP_SK_OLD:
		return !flag(c, SEARCH_MSG_RECENT);
	case IMAP_SK_KEYWORD:
		return (m->kw & n->num) != 0;
	case IMAP_SK_UNKEYWORD:
		return (m->kw & n->num) == 0;
	case IMAP_SK_BEFORE:
		return day_of(m->internaldate, m->tz) < n->day;
	case IMAP_SK_ON:
		return day_of(m->internaldate, m->tz) == n->day;
	case IMAP_SK_SINCE:
		return day_of(m->internaldate, m->tz) >= n->day;
	case IMAP_SK_LARGER:
		return m->size > n->num;
	case IMAP_SK_SMALLER:
		return m->size < n->num;
	case IMAP_SK_YOUNGER:
		return m->internaldate >= (int64_t)c->s->now - (int64_t)n->num;
	case IMAP_SK_OLDER:
		return m->internaldate < (int64_t)c->s->now - (int64_t)n->num;
	case IMAP_SK_MODSEQ:
		return m->modseq >= n->num;
	case IMAP_SK_SEQSET:
		return n->saved ? in_saved(c->s, m->uid) : in_set(n, c->seq);
	case IMAP_SK_UID:
		return n->saved ? in_saved(c->s, m->uid) : in_set(n, m->uid);
	case IMAP_SK_SUBJECT:
		return field_key(c, n, SF_SUBJECT);
	case IMAP_SK_FROM:
		return field_key(c, n, SF_FROM);
	case IMAP_SK_TO:
		return field_key(c, n, SF_TO);
	case IMAP_SK_CC:
		return field_key(c, n, SF_CC);
	case IMAP_SK_BCC:
		return field_key(c, n, SF_BCC);
	case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON:
	case IMAP_SK_SENTSINCE:
		return sent_key(c, n);
	case IMAP_SK_HEADER:
		return header_key(c, n);
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		return text_key(c, n);
	default:
		return T_FALSE;
	}
}

/* Opens the message file: 1, 0 when gone, -1 on error (the job stops). */
static int
open_msg(struct mctx *c)
{
	const char	*err = NULL;
	int		 r;

	if (c->open)
		return 1;
	if (c->gone)
		return 0;
	if (c->s->src.open == NULL) {
		c->gone = 1;
		return 0;
	}
	memset(&c->txt, 0, sizeof(c->txt));
	r = c->s->src.open(c->s->src.arg, c->m->uid, c->m->priv, &c->txt, &err);
	if (r <= 0) {
		if (r == 0)
			c->gone = 1;
		else {
			c->error = 1;
			(void)snprintf(c->s->text, sizeof(c->s->text),
			    "Cannot read message UID %u%s%s", c->m->uid,
			    err ? ": " : "", err ? err : "");
		}
		return r;
	}
	c->open = true;
	c->tree = c->txt.tree;
	if (c->tree == NULL) {
		if ((c->own = mime_parse(c->txt.msg, c->txt.len)) == NULL) {
			c->error = 1;
			(void)snprintf(c->s->text, sizeof(c->s->text),
			    "Message UID %u too large", c->m->uid);
			return -1;
		}
		c->tree = c->own;
	}
	return 1;
}

/* The search fields: from the index, else built from the file. */
static int
load_fields(struct mctx *c)
{
	int	 r;

	if (c->have_fields)
		return 1;
	c->fbuf->len = 0;
	if (c->s->src.fields != NULL && c->s->src.fields(c->s->src.arg,
	    c->m->uid, c->m->priv, c->fbuf) == 1 &&
	    search_fields_parse(c->fbuf->data, c->fbuf->len, &c->f) == 0) {
		c->have_fields = true;
		if (c->lvl < LV_FIELDS)
			c->lvl = LV_FIELDS;
		return 1;
	}
	if ((r = open_msg(c)) != 1)
		return r;
	c->fbuf->len = 0;
	if (search_fields_build(c->fbuf, c->txt.msg, c->txt.len, c->tree) ==
	    -1 || search_fields_parse(c->fbuf->data, c->fbuf->len, &c->f) == -1)
		memset(&c->f, 0, sizeof(c->f));
	c->have_fields = true;
	c->lvl = LV_FILE;
	return 1;
}

static void
close_msg(struct mctx *c)
{
	if (c->open && c->s->src.close != NULL)
		c->s->src.close(c->s->src.arg, c->m->uid, c->m->priv, &c->txt);
	c->open = false;
	mime_free(&c->own);
	c->tree = NULL;
}

/* A buffer that held one huge message gives its memory back. */
static void
trim(struct buf *b)
{
	if (b->cap > 1024 * 1024)
		buf_free(b);
	else
		buf_reset(b);
}

static void
add_match(struct search *s, uint32_t seq, const struct search_msg *m)
{
	if (s->nm == s->capm) {
		s->capm = s->capm ? s->capm * 2 : 64;
		s->mseq = xreallocarray(s->mseq, s->capm, sizeof(*s->mseq));
		s->muid = xreallocarray(s->muid, s->capm, sizeof(*s->muid));
	}
	s->mseq[s->nm] = seq;
	s->muid[s->nm++] = m->uid;
	if (m->modseq > s->hmodseq)
		s->hmodseq = m->modseq;
}

void
search_run(struct search *s)
{
	struct mctx	 c;
	struct mtext	 mt;
	struct buf	 fbuf, tmp;
	uint32_t	 i;
	int		 r;
	bool		 keys = s->cmd == IMAP_CMD_SORT ||
			    s->cmd == IMAP_CMD_THREAD;

	if (s->resp != IMAP_OK || s->ran)
		return;
	s->ran = true;
	memset(&mt, 0, sizeof(mt));
	buf_init(&mt.body, 0);
	buf_init(&mt.text, 0);
	buf_init(&mt.hdr, 0);
	buf_init(&mt.sc.raw, 0);
	buf_init(&mt.sc.utf, 0);
	buf_init(&fbuf, 0);
	buf_init(&tmp, 0);
	search_keys_init(s);
	for (i = 0; i < s->n; i++) {
		memset(&c, 0, sizeof(c));
		c.s = s;
		c.m = &s->msgs[i];
		c.seq = i + 1;
		c.lvl = LV_MEM;
		c.fbuf = &fbuf;
		c.tmp = &tmp;
		c.mt = &mt;
		mt.body_done = mt.text_done = false;
		r = eval(&c, s->prog);
		/* The search fields when a key reads them, then the file. */
		if (r == T_UNKNOWN && s->need_fields && load_fields(&c) == 1)
			r = eval(&c, s->prog);
		if (r == T_UNKNOWN && !c.error && open_msg(&c) == 1) {
			c.lvl = LV_FILE;
			r = eval(&c, s->prog);
		}
		/* SORT and THREAD keep the keys of what matched. */
		if (r == T_TRUE && keys && !c.error)
			(void)load_fields(&c);
		if (c.error) {
			close_msg(&c);
			s->resp = IMAP_NO;
			s->code = IMAP_CODE_SERVERBUG;
			break;
		}
		if (c.gone) {
			s->gone++;
			r = T_FALSE;
		}
		if (r == T_TRUE) {
			add_match(s, i + 1, c.m);
			if (keys)
				search_keys_add(s, i, c.have_fields ? &c.f :
				    NULL);
		}
		close_msg(&c);
		trim(&mt.body);
		trim(&mt.text);
		trim(&mt.hdr);
		trim(&mt.sc.raw);
		trim(&mt.sc.utf);
		trim(&tmp);
	}
	if (s->resp == IMAP_OK && keys)
		search_keys_finish(s);
	buf_free(&mt.body);
	buf_free(&mt.text);
	buf_free(&mt.hdr);
	buf_free(&mt.sc.raw);
	buf_free(&mt.sc.utf);
	buf_free(&fbuf);
	buf_free(&tmp);
}

/* --- answering ------------------------------------------------------ */

static const char *
cmd_name(const struct search *s)
{
	switch (s->cmd) {
	case IMAP_CMD_SORT:
		return s->uid ? "UID SORT" : "SORT";
	case IMAP_CMD_THREAD:
		return s->uid ? "UID THREAD" : "THREAD";
	default:
		return s->uid ? "UID SEARCH" : "SEARCH";
	}
}

static int
write_numbers(struct buf *out, const uint32_t *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (buf_addf(out, " %u", v[i]) == -1)
			return -1;
	return 0;
}

static int
write_modseq(const struct search *s, struct buf *out)
{
	/* RFC 7162 3.1.5: the highest MODSEQ of what is returned. */
	if (s->uses_modseq && s->nm > 0)
		return buf_addf(out, " (MODSEQ %llu)",
		    (unsigned long long)s->hmodseq);
	return 0;
}

static int
write_esearch(const struct search *s, struct buf *out)
{
	struct imap_esearch	 e;
	const uint32_t		*v = s->uid ? s->muid : s->mseq;

	/* RFC 5182 2.1: SAVE alone answers nothing. */
	if ((s->ret & ~IMAP_SEARCH_RET_SAVE) == 0)
		return 0;
	memset(&e, 0, sizeof(e));
	e.tag = s->tag;
	e.taglen = strlen(s->tag);
	e.uid = s->uid;
	e.ret = s->ret;
	e.count = (uint32_t)s->nm;
	if (s->nm > 0) {
		e.min = v[0];
		e.max = v[s->nm - 1];
	}
	e.all = v;
	e.nall = s->nm;
	e.modseq_set = s->uses_modseq;
	e.modseq = s->hmodseq;
	return imap_write_esearch(out, &e);
}

int
search_write(const struct search *s, struct buf *out)
{
	if (s->resp != IMAP_OK)
		return 0;
	switch (s->cmd) {
	case IMAP_CMD_SORT:
		if (buf_adds(out, "* SORT") == -1 ||
		    write_numbers(out, s->order, s->nm) == -1 ||
		    write_modseq(s, out) == -1)
			return -1;
		return buf_adds(out, "\r\n");
	case IMAP_CMD_THREAD:
		if (buf_adds(out, "* THREAD") == -1 || (s->threads.len > 0 &&
		    (buf_addc(out, ' ') == -1 || buf_add(out, s->threads.data,
		    s->threads.len) == -1)))
			return -1;
		return buf_adds(out, "\r\n");
	default:
		if (s->esearch)
			return write_esearch(s, out);
		if (buf_adds(out, "* SEARCH") == -1 ||
		    write_numbers(out, s->uid ? s->muid : s->mseq, s->nm) ==
		    -1 || write_modseq(s, out) == -1)
			return -1;
		return buf_adds(out, "\r\n");
	}
}

int
search_write_status(const struct search *s, struct buf *out)
{
	char	 text[sizeof(s->text) + 32];

	if (imap_write_begin(out, s->tag, strlen(s->tag), s->resp) == -1)
		return -1;
	if (s->badcharset) {
		if (imap_write_code_badcharset(out, charsets, 2) == -1)
			return -1;
	} else if (s->code != IMAP_CODE_NONE &&
	    imap_write_code(out, s->code) == -1)
		return -1;
	if (s->resp == IMAP_OK)
		(void)snprintf(text, sizeof(text), "%s completed", cmd_name(s));
	else
		(void)snprintf(text, sizeof(text), "%s", s->text);
	return imap_write_end(out, text);
}

enum imap_resp
search_result(const struct search *s)
{
	return s->resp;
}

int
search_take_saved(struct search *s, uint32_t **uids, size_t *n)
{
	bool	 minmax;

	if (s->cmd != IMAP_CMD_SEARCH || !(s->ret & IMAP_SEARCH_RET_SAVE))
		return 0;
	*uids = NULL;
	*n = 0;
	if (s->resp != IMAP_OK || s->nm == 0)
		return 1;
	/* RFC 5182 2.1: with MIN or MAX but neither ALL nor COUNT, only those. */
	minmax = (s->ret & (IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX)) &&
	    !(s->ret & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT));
	if (minmax) {
		*uids = xreallocarray(NULL, 2, sizeof(**uids));
		if (s->ret & IMAP_SEARCH_RET_MIN)
			(*uids)[(*n)++] = s->muid[0];
		if ((s->ret & IMAP_SEARCH_RET_MAX) &&
		    (*n == 0 || s->muid[s->nm - 1] != (*uids)[0]))
			(*uids)[(*n)++] = s->muid[s->nm - 1];
		return 1;
	}
	*uids = xreallocarray(NULL, s->nm, sizeof(**uids));
	memcpy(*uids, s->muid, s->nm * sizeof(**uids));
	*n = s->nm;
	return 1;
}

size_t
search_gone(const struct search *s)
{
	return s->gone;
}

size_t
search_matches(const struct search *s, const uint32_t **seqs,
    const uint32_t **uids)
{
	if (seqs != NULL)
		*seqs = s->mseq;
	if (uids != NULL)
		*uids = s->muid;
	return s->nm;
}

void
search_free(struct search **sp)
{
	struct search	*s = *sp;

	if (s == NULL)
		return;
	node_free(s->prog);
	search_keys_free(s);
	free(s->tag);
	free(s->msgs);
	free(s->saved);
	free(s->crit);
	free(s->mseq);
	free(s->muid);
	free(s->order);
	buf_free(&s->threads);
	free(s);
	*sp = NULL;
}
