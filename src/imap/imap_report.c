/* A session's message numbering over a shared view, and the untagged EXISTS, EXPUNGE, VANISHED and FETCH FLAGS it is owed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_priv.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"
#include "mail/mutf7.h"
#include "store/folder.h"

/*
 * A session's messages are the view's messages up to the highest UID it
 * was told of (uid_hwm), plus the ones expunged since that it was not told
 * of yet (pend): those keep their numbers until an EXPUNGE or VANISHED
 * may be sent (RFC 9051 7.5.1). Sequence number of view message idx:
 * idx + 1 + the pending UIDs below its UID.
 */

static size_t
pend_below(const struct imap_session *s, uint32_t uid)
{
	size_t	 lo = 0, hi = s->npend, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->pend[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t
imap_count(const struct imap_session *s)
{
	if (s->view == NULL)
		return 0;
	return (uint32_t)(imap_view_upper(s->view, s->uid_hwm) + s->npend);
}

uint32_t
imap_seq_of(const struct imap_session *s, size_t idx)
{
	return (uint32_t)(idx + 1 + pend_below(s, s->view->msgs[idx].uid));
}

int
imap_is_recent(const struct imap_session *s, uint32_t uid)
{
	return uid >= s->recent_lo && uid < s->recent_hi;
}

/* IMAP_FLAG_* of Maildir letters. */
static unsigned
imap_sys(uint8_t sys)
{
	unsigned	 f = 0;

	if (sys & MAILDIR_F_ANSWERED)
		f |= IMAP_FLAG_ANSWERED;
	if (sys & MAILDIR_F_FLAGGED)
		f |= IMAP_FLAG_FLAGGED;
	if (sys & MAILDIR_F_DELETED)
		f |= IMAP_FLAG_DELETED;
	if (sys & MAILDIR_F_SEEN)
		f |= IMAP_FLAG_SEEN;
	if (sys & MAILDIR_F_DRAFT)
		f |= IMAP_FLAG_DRAFT;
	return f;
}

void
imap_write_msg_flags(struct imap_session *s, struct buf *b,
    const struct imsg *m)
{
	const char	*kw[KEYWORDS_MAX];
	size_t		 n = 0;
	int		 i;
	unsigned	 wf = 0;

	for (i = 0; i < KEYWORDS_MAX; i++)
		if ((m->kw & (1U << i)) && s->view->kw.name[i] != NULL)
			kw[n++] = s->view->kw.name[i];
	if (!(s->enabled & IMAP_ENA_IMAP4REV2) && imap_is_recent(s, m->uid))
		wf |= IMAP_WF_RECENT;
	imap_write_flags(b, imap_sys(m->sys), kw, n, wf);
}

static uint32_t
recent_count(const struct imap_session *s)
{
	struct imap_view	*v = s->view;
	size_t			 lo, hi;

	if (s->recent_lo >= s->recent_hi)
		return 0;
	lo = imap_view_upper(v, s->recent_lo - 1);
	hi = imap_view_upper(v, s->recent_hi - 1 < s->uid_hwm ?
	    s->recent_hi - 1 : s->uid_hwm);
	return hi > lo ? (uint32_t)(hi - lo) : 0;
}

void
imap_report(struct imap_session *s, int flags)
{
	struct imap_view	*v = s->view;
	struct buf		*b = &s->out;
	uint32_t		 last, old_hwm;
	size_t			 i, k;

	if (v == NULL || !v->loaded || s->closing || s->conn == NULL)
		return;
	buf_reset(b);
	if ((flags & IMAP_REPORT_EXPUNGE) && s->npend > 0) {
		if (s->enabled & IMAP_ENA_QRESYNC)
			imap_write_vanished(b, 0, s->pend, s->npend);
		else {
			/* Highest first: each number is still right when it is read. */
			for (i = s->npend; i-- > 0;)
				buf_addf(b, "* %zu EXPUNGE\r\n", imap_view_upper(v,
				    s->pend[i]) + i + 1);
		}
		s->npend = 0;
		if (s->pendcap > 64) {
			x_free(&s->pend);
			s->pendcap = 0;
		}
	}
	old_hwm = s->uid_hwm;
	last = v->n > 0 ? v->msgs[v->n - 1].uid : 0;
	if (last > s->uid_hwm) {
		s->uid_hwm = last;
		buf_addf(b, "* %u EXISTS\r\n", imap_count(s));
		if (!(s->enabled & IMAP_ENA_IMAP4REV2))
			buf_addf(b, "* %u RECENT\r\n", recent_count(s));
	}
	if (v->modseq > s->flags_modseq) {
		k = imap_view_upper(v, old_hwm);
		for (i = 0; i < k; i++) {
			const struct imsg	*m = &v->msgs[i];

			if (m->modseq <= s->flags_modseq)
				continue;
			buf_addf(b, "* %u FETCH (", imap_seq_of(s, i));
			if (s->enabled & IMAP_ENA_QRESYNC)
				buf_addf(b, "UID %u ", m->uid);
			buf_adds(b, "FLAGS ");
			imap_write_msg_flags(s, b, m);
			if (s->enabled & IMAP_ENA_CONDSTORE)
				buf_addf(b, " MODSEQ (%llu)",
				    (unsigned long long)m->modseq);
			buf_adds(b, ")\r\n");
		}
		s->flags_modseq = v->modseq;
	}
	imap_send(s, b);
}

void
imap_unselect(struct imap_session *s)
{
	struct imap_view	*v = s->view;

	if (v == NULL)
		return;
	if (s->waiting_view)
		TAILQ_REMOVE(&v->waiting, s, ventry);
	else {
		TAILQ_REMOVE(&v->sessions, s, ventry);
		if (!s->readonly && v->rw > 0)
			v->rw--;
	}
	s->waiting_view = 0;
	s->view = NULL;
	x_free(&s->pend);
	s->npend = s->pendcap = 0;
	x_free(&s->saved);
	s->nsaved = 0;
	s->uid_hwm = 0;
	s->flags_modseq = 0;
	s->recent_lo = s->recent_hi = 0;
	if (s->state == IMAP_ST_SELECTED)
		s->state = IMAP_ST_AUTH;
	imap_view_unref(v);
}

/* ---- sets ---- */

struct range {
	uint32_t	 lo, hi;
};

static int
cmp_range(const void *a, const void *b)
{
	const struct range	*x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int
cmp_smsg(const void *a, const void *b)
{
	const struct imap_smsg	*x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static size_t
lower_u32(const uint32_t *v, size_t n, uint32_t x)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The view index of the first message with a UID of at least uid. */
static size_t
view_lower(const struct imap_view *v, uint32_t uid)
{
	return uid == 0 ? 0 : imap_view_upper(v, uid - 1);
}

/* The session's messages with UIDs in the ranges (sorted, disjoint). */
static size_t
by_uid_ranges(struct imap_session *s, const struct range *r, size_t nr,
    struct imap_smsg **out)
{
	struct imap_view	*v = s->view;
	size_t			 k = imap_view_upper(v, s->uid_hwm), i, j, n = 0;
	size_t			 cap = 0;
	struct imap_smsg	*o = NULL;

	for (i = 0; i < nr; i++) {
		for (j = view_lower(v, r[i].lo); j < k && v->msgs[j].uid <= r[i].hi;
		    j++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				o = xreallocarray(o, cap, sizeof(*o));
			}
			o[n].uid = v->msgs[j].uid;
			o[n].vidx = (int64_t)j;
			n++;
		}
		for (j = lower_u32(s->pend, s->npend, r[i].lo);
		    j < s->npend && s->pend[j] <= r[i].hi; j++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				o = xreallocarray(o, cap, sizeof(*o));
			}
			o[n].uid = s->pend[j];
			o[n].vidx = -1;
			n++;
		}
	}
	if (s->npend > 0 && n > 1)
		qsort(o, n, sizeof(*o), cmp_smsg);
	for (i = 0; i < n; i++)
		o[i].seq = (uint32_t)(o[i].vidx >= 0 ?
		    imap_seq_of(s, (size_t)o[i].vidx) :
		    view_lower(v, o[i].uid) + lower_u32(s->pend, s->npend,
		    o[i].uid) + 1);
	*out = o;
	return n;
}

/* Sorted, merged ranges; star is what "*" stands for. */
static size_t
normalize(const struct imap_seqset *set, uint32_t star, struct range **out)
{
	struct range	*r = xcalloc(set->n + 1, sizeof(*r));
	size_t		 i, o = 0;

	for (i = 0; i < set->n; i++) {
		uint32_t	 a = set->r[i].first == IMAP_SEQ_STAR ? star :
		    set->r[i].first;
		uint32_t	 b = set->r[i].last == IMAP_SEQ_STAR ? star :
		    set->r[i].last;

		r[i].lo = a < b ? a : b;
		r[i].hi = a < b ? b : a;
	}
	qsort(r, set->n, sizeof(*r), cmp_range);
	for (i = 0; i < set->n; i++) {
		if (o > 0 && r[i].lo <= r[o - 1].hi + (uint64_t)1) {
			if (r[i].hi > r[o - 1].hi)
				r[o - 1].hi = r[i].hi;
			continue;
		}
		r[o++] = r[i];
	}
	*out = r;
	return o;
}

size_t
imap_resolve(struct imap_session *s, const struct imap_seqset *set, int uid,
    struct imap_smsg **out)
{
	struct imap_view	*v = s->view;
	struct range		*r;
	size_t			 nr, n, i, k;
	uint32_t		 count, star;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (set->saved) {
		/* "$": the saved result, as UIDs whatever the command's form. */
		r = xcalloc(s->nsaved + 1, sizeof(*r));
		for (i = nr = 0; i < s->nsaved; i++) {
			if (nr > 0 && s->saved[i] == r[nr - 1].hi + 1) {
				r[nr - 1].hi = s->saved[i];
				continue;
			}
			r[nr].lo = r[nr].hi = s->saved[i];
			nr++;
		}
		n = by_uid_ranges(s, r, nr, out);
		free(r);
		return n;
	}
	if (uid) {
		k = imap_view_upper(v, s->uid_hwm);
		star = k > 0 ? v->msgs[k - 1].uid : 0;
		if (s->npend > 0 && s->pend[s->npend - 1] > star)
			star = s->pend[s->npend - 1];
		if (star == 0)
			return 0;
		nr = normalize(set, star, &r);
		n = by_uid_ranges(s, r, nr, out);
		free(r);
		return n;
	}
	count = imap_count(s);
	nr = normalize(set, count, &r);
	/* RFC 3501 9 (seq-number): a number past the last message, or "*" of none, is BAD. */
	for (i = n = 0; i < nr; i++) {
		if (r[i].lo == 0 || r[i].hi > count) {
			free(r);
			return IMAP_RESOLVE_BAD;
		}
		n += r[i].hi - r[i].lo + 1;
	}
	*out = xcalloc(n + 1, sizeof(**out));
	k = 0;
	if (s->npend == 0) {
		for (i = 0; i < nr; i++) {
			uint32_t	 q;

			if (r[i].lo > count || r[i].lo == 0)
				continue;
			for (q = r[i].lo; q <= r[i].hi; q++) {
				(*out)[k].seq = q;
				(*out)[k].vidx = q - 1;
				(*out)[k].uid = v->msgs[q - 1].uid;
				k++;
			}
		}
	} else {
		/* Walk the merged list of view messages and pending expunges. */
		size_t		 vi = 0, pi = 0, ri = 0;
		size_t		 vk = imap_view_upper(v, s->uid_hwm);
		uint32_t	 q;

		for (q = 1; q <= count && ri < nr; q++) {
			int		 frompend;
			uint32_t	 u;

			frompend = pi < s->npend && (vi >= vk ||
			    s->pend[pi] < v->msgs[vi].uid);
			u = frompend ? s->pend[pi] : v->msgs[vi].uid;
			while (ri < nr && r[ri].hi < q)
				ri++;
			if (ri < nr && q >= r[ri].lo) {
				(*out)[k].seq = q;
				(*out)[k].uid = u;
				(*out)[k].vidx = frompend ? -1 : (int64_t)vi;
				k++;
			}
			if (frompend)
				pi++;
			else
				vi++;
		}
	}
	free(r);
	return k;
}

/* ---- mailbox names ---- */

int
imap_mbox_name(struct imap_session *s, const struct imap_mailbox *mb,
    char *name, size_t namelen, char *dir, size_t dirlen, const char **errstr)
{
	struct buf	 b;

	if (mb->inbox) {
		snprintf(name, namelen, "INBOX");
		snprintf(dir, dirlen, "%s", "");
		return 0;
	}
	if (mb->utf8) {
		if (mb->name.len >= namelen) {
			*errstr = "Mailbox name too long";
			return -1;
		}
		memcpy(name, mb->name.p, mb->name.len);
		name[mb->name.len] = '\0';
		if (strlen(name) != mb->name.len) {
			*errstr = "Invalid mailbox name";
			return -1;
		}
	} else {
		buf_init(&b, namelen);
		if (mutf7_decode(&b, mb->name.p, mb->name.len, errstr) == -1 ||
		    b.len >= namelen) {
			buf_free(&b);
			*errstr = "Invalid mailbox name";
			return -1;
		}
		memcpy(name, b.data, b.len);
		name[b.len] = '\0';
		buf_free(&b);
	}
	if (folder_dir(name, dir, dirlen, errstr) == -1) {
		*errstr = "Invalid mailbox name";
		return -1;
	}
	/* "inbox/x" is kept as the folder says: INBOX's own case. */
	if (strncasecmp(name, "INBOX/", 6) == 0)
		memcpy(name, "INBOX", 5);
	return 0;
}

void
imap_write_mbox(struct imap_session *s, struct buf *b, const char *name)
{
	struct buf	 m;
	const char	*e;

	if (imap_wflags(s) & IMAP_W_UTF8) {
		imap_write_astring(b, name, strlen(name), IMAP_W_UTF8);
		return;
	}
	buf_init(&m, 0);
	if (mutf7_encode(&m, name, strlen(name), &e) == -1)
		imap_write_astring(b, name, strlen(name), 0);
	else
		imap_write_astring(b, m.data, m.len, 0);
	buf_free(&m);
}
