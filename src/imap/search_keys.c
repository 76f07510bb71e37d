/* SORT and THREAD after the matching: the keys each match needs, kept compactly, then the order or the threads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "imap/search_job.h"
#include "imap/search_priv.h"
#include "imap/sort.h"
#include "imap/thread.h"

/*
 * A record per match in karena: i64 date; u8 reply; then strings as u32
 * length + octets: for SORT those its criteria read, for THREAD the base
 * subject, Message-ID and references (a u16 count first).
 */

static const int sort_sf[IMAP_SORT_DISPLAYTO + 1] = {
	[IMAP_SORT_ARRIVAL] = -1, [IMAP_SORT_DATE] = -1, [IMAP_SORT_SIZE] = -1,
	[IMAP_SORT_CC] = SF_SORTCC, [IMAP_SORT_FROM] = SF_SORTFROM,
	[IMAP_SORT_TO] = SF_SORTTO, [IMAP_SORT_SUBJECT] = SF_BASESUBJ,
	[IMAP_SORT_DISPLAYFROM] = SF_DISPFROM, [IMAP_SORT_DISPLAYTO] = SF_DISPTO,
};

static void
put(struct buf *b, uint64_t v, int n)
{
	unsigned char	 c[8];
	int		 i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	(void)buf_add(b, c, (size_t)n);
}

static uint64_t
get(const unsigned char **p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | (*p)[i];
	*p += n;
	return v;
}

static void
put_str(struct buf *b, const char *s, size_t len)
{
	put(b, len, 4);
	(void)buf_add(b, s, len);
}

static const char *
get_str(const unsigned char **p, uint32_t *len)
{
	const char	*s;

	*len = (uint32_t)get(p, 4);
	s = (const char *)*p;
	*p += *len;
	return s;
}

void
search_keys_init(struct search *s)
{
	/* A record can be larger than the arena allows: then it is cut and skipped below. */
	buf_init(&s->karena, SIZE_MAX / 2);
}

void
search_keys_add(struct search *s, uint32_t idx, const struct search_fields *f)
{
	const struct search_msg	*m = &s->msgs[idx];
	size_t			 i;

	s->koff = xreallocarray(s->koff, s->capm, sizeof(*s->koff));
	s->koff[s->nm - 1] = s->karena.len;
	put(&s->karena, (uint64_t)(f != NULL && f->date_set ? f->date :
	    m->internaldate), 8);
	put(&s->karena, f != NULL && f->reply, 1);
	if (s->cmd == IMAP_CMD_SORT) {
		for (i = 0; i < s->ncrit; i++) {
			int	 sf = sort_sf[s->crit[i].key];

			if (sf >= 0)
				put_str(&s->karena, f ? f->s[sf] : "",
				    f ? f->len[sf] : 0);
		}
		return;
	}
	put_str(&s->karena, f ? f->s[SF_BASESUBJ] : "", f ? f->len[SF_BASESUBJ] : 0);
	put_str(&s->karena, f ? f->s[SF_MSGID] : "", f ? f->len[SF_MSGID] : 0);
	put(&s->karena, f ? f->nrefs : 0, 2);
	for (i = 0; f != NULL && i < f->nrefs; i++)
		put_str(&s->karena, f->refs[i], f->reflens[i]);
}

static void
finish_sort(struct search *s)
{
	struct sort_item	*v;
	const unsigned char	*p;
	size_t			 i, k;

	v = xcalloc(s->nm ? s->nm : 1, sizeof(*v));
	for (i = 0; i < s->nm; i++) {
		const struct search_msg	*m = &s->msgs[s->mseq[i] - 1];

		p = (const unsigned char *)s->karena.data + s->koff[i];
		v[i].seq = s->mseq[i];
		v[i].num = s->uid ? s->muid[i] : s->mseq[i];
		v[i].size = m->size;
		v[i].arrival = m->internaldate;
		v[i].date = (int64_t)get(&p, 8);
		(void)get(&p, 1);
		for (k = 0; k < s->ncrit; k++) {
			int	 key = s->crit[k].key;

			if (sort_sf[key] >= 0)
				v[i].str[key] = get_str(&p, &v[i].len[key]);
		}
	}
	sort_items(v, s->nm, s->crit, s->ncrit);
	s->order = xreallocarray(NULL, s->nm ? s->nm : 1, sizeof(*s->order));
	for (i = 0; i < s->nm; i++)
		s->order[i] = v[i].num;
	free(v);
}

static void
finish_thread(struct search *s)
{
	struct thread_msg	*v;
	const char		**refs;
	size_t			*reflens, nref = 0, i, k, cap = 0;
	const unsigned char	*p;
	uint32_t		 len;

	v = xcalloc(s->nm ? s->nm : 1, sizeof(*v));
	/* A first pass counts the references, so their arrays are not moved later. */
	for (i = 0; i < s->nm; i++) {
		p = (const unsigned char *)s->karena.data + s->koff[i] + 9;
		(void)get_str(&p, &len);
		(void)get_str(&p, &len);
		cap += get(&p, 2);
	}
	refs = xreallocarray(NULL, cap ? cap : 1, sizeof(*refs));
	reflens = xreallocarray(NULL, cap ? cap : 1, sizeof(*reflens));
	for (i = 0; i < s->nm; i++) {
		p = (const unsigned char *)s->karena.data + s->koff[i];
		v[i].seq = s->mseq[i];
		v[i].num = s->uid ? s->muid[i] : s->mseq[i];
		v[i].date = (int64_t)get(&p, 8);
		v[i].reply = get(&p, 1) != 0;
		v[i].subj = get_str(&p, &len);
		v[i].subjlen = len;
		v[i].id = get_str(&p, &len);
		v[i].idlen = len;
		v[i].nrefs = get(&p, 2);
		v[i].refs = refs + nref;
		v[i].reflens = reflens + nref;
		for (k = 0; k < v[i].nrefs; k++) {
			refs[nref] = get_str(&p, &len);
			reflens[nref++] = len;
		}
	}
	buf_init(&s->threads, 0);
	if (s->alg == IMAP_THREAD_REFERENCES)
		(void)thread_references(&s->threads, v, s->nm);
	else
		(void)thread_orderedsubject(&s->threads, v, s->nm);
	free(refs);
	free(reflens);
	free(v);
}

void
search_keys_finish(struct search *s)
{
	if (s->cmd == IMAP_CMD_SORT)
		finish_sort(s);
	else
		finish_thread(s);
	buf_free(&s->karena);
}

void
search_keys_free(struct search *s)
{
	buf_free(&s->karena);
	free(s->koff);
	s->koff = NULL;
}
