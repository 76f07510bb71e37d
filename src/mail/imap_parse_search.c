/* IMAP SEARCH keys (RFC 3501/9051, 4731 RETURN, 5182 $, 7162 MODSEQ, 5032 WITHIN), SORT and THREAD (RFC 5256, 5957) parsed. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_parse.h"
#include "mail/imap_parse_priv.h"

/* How the search strings are held to their charset. */
enum cs { CS_ASCII, CS_UTF8, CS_OTHER };

struct sctx {
	struct imap_search	*s;
	enum cs			 cs;
};

enum kind { K_NONE, K_STR, K_DATE, K_KEYWORD, K_NUMBER, K_NZ };

static const struct {
	const char	*name;
	uint8_t		 op;
	uint8_t		 kind;
	bool		 rev1;		/* gone from IMAP4rev2 */
	uint64_t	 cap;
} keys[] = {
	{ "ALL", IMAP_SK_ALL, K_NONE, false, 0 },
	{ "ANSWERED", IMAP_SK_ANSWERED, K_NONE, false, 0 },
	{ "BCC", IMAP_SK_BCC, K_STR, false, 0 },
	{ "BEFORE", IMAP_SK_BEFORE, K_DATE, false, 0 },
	{ "BODY", IMAP_SK_BODY, K_STR, false, 0 },
	{ "CC", IMAP_SK_CC, K_STR, false, 0 },
	{ "DELETED", IMAP_SK_DELETED, K_NONE, false, 0 },
	{ "DRAFT", IMAP_SK_DRAFT, K_NONE, false, 0 },
	{ "FLAGGED", IMAP_SK_FLAGGED, K_NONE, false, 0 },
	{ "FROM", IMAP_SK_FROM, K_STR, false, 0 },
	{ "KEYWORD", IMAP_SK_KEYWORD, K_KEYWORD, false, 0 },
	{ "LARGER", IMAP_SK_LARGER, K_NUMBER, false, 0 },
	{ "NEW", IMAP_SK_NEW, K_NONE, true, 0 },
	{ "OLD", IMAP_SK_OLD, K_NONE, true, 0 },
	{ "ON", IMAP_SK_ON, K_DATE, false, 0 },
	{ "RECENT", IMAP_SK_RECENT, K_NONE, true, 0 },
	{ "SEEN", IMAP_SK_SEEN, K_NONE, false, 0 },
	{ "SENTBEFORE", IMAP_SK_SENTBEFORE, K_DATE, false, 0 },
	{ "SENTON", IMAP_SK_SENTON, K_DATE, false, 0 },
	{ "SENTSINCE", IMAP_SK_SENTSINCE, K_DATE, false, 0 },
	{ "SINCE", IMAP_SK_SINCE, K_DATE, false, 0 },
	{ "SMALLER", IMAP_SK_SMALLER, K_NUMBER, false, 0 },
	{ "SUBJECT", IMAP_SK_SUBJECT, K_STR, false, 0 },
	{ "TEXT", IMAP_SK_TEXT, K_STR, false, 0 },
	{ "TO", IMAP_SK_TO, K_STR, false, 0 },
	{ "UNANSWERED", IMAP_SK_UNANSWERED, K_NONE, false, 0 },
	{ "UNDELETED", IMAP_SK_UNDELETED, K_NONE, false, 0 },
	{ "UNDRAFT", IMAP_SK_UNDRAFT, K_NONE, false, 0 },
	{ "UNFLAGGED", IMAP_SK_UNFLAGGED, K_NONE, false, 0 },
	{ "UNKEYWORD", IMAP_SK_UNKEYWORD, K_KEYWORD, false, 0 },
	{ "UNSEEN", IMAP_SK_UNSEEN, K_NONE, false, 0 },
	{ "YOUNGER", IMAP_SK_YOUNGER, K_NZ, false, IMAP_CAP_WITHIN },
	{ "OLDER", IMAP_SK_OLDER, K_NZ, false, IMAP_CAP_WITHIN },
};

/* A search string, held to the charset (RFC 3501 6.4.4, RFC 6855 3). */
static int
sstring(struct pctx *c, struct sctx *x, struct imap_str *out)
{
	if (ip_astring(c, 0, out) == -1)
		return -1;
	if (!out->eightbit)
		return 0;
	if (x->cs == CS_ASCII)
		return ip_fail(c, "8-bit search text needs CHARSET UTF-8");
	if (x->cs == CS_UTF8 && !ip_valid_utf8(out->p, out->len))
		return ip_fail(c, "Invalid UTF-8 in search text");
	return 0;
}

/*
 * search-modsequence = "MODSEQ" [SP entry-name SP entry-type-req] SP
 * mod-sequence-valzer; entry-name = DQUOTE "/flags/" attr-flag DQUOTE.
 */
static int
modseq(struct pctx *c, struct imap_search_key *k)
{
	struct span	 sp;
	const char	*f;
	size_t		 n;

	if (ip_peek(c) == '"') {
		struct imap_str	*e = &k->u.modseq.entry;

		if (ip_string(c, S_NO_8BIT, e) == -1)
			return -1;
		if (e->len < 8 || strncasecmp(e->p, "/flags/", 7) != 0)
			return ip_fail(c, "MODSEQ entry names are "
			    "\"/flags/<flag>\"");
		f = e->p + 7;
		n = e->len - 7;
		if (f[0] == '\\') {
			f++;
			n--;
			if (n == 6 && strncasecmp(f, "Recent", 6) == 0)
				return ip_fail(c, "MODSEQ of \\Recent");
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)f[i] <= 0x20 ||
			    (unsigned char)f[i] >= 0x7f ||
			    strchr("(){%*\"\\]", f[i]) != NULL)
				return ip_fail(c, "Invalid flag in a MODSEQ "
				    "entry name");
		if (n == 0)
			return ip_fail(c, "Invalid flag in a MODSEQ entry name");
		if (ip_sp(c) == -1 || ip_keyword(c, &sp, "entry type") == -1)
			return -1;
		if (ip_is(sp, "all"))
			k->u.modseq.type = IMAP_ENTRY_ALL;
		else if (ip_is(sp, "priv"))
			k->u.modseq.type = IMAP_ENTRY_PRIV;
		else if (ip_is(sp, "shared"))
			k->u.modseq.type = IMAP_ENTRY_SHARED;
		else
			return ip_fail(c, "MODSEQ entry types are priv, "
			    "shared or all");
		k->u.modseq.entry_set = true;
		if (ip_sp(c) == -1)
			return -1;
	}
	return ip_number(c, NUMBER64_MAX, &k->u.modseq.value);
}

static int	 key(struct pctx *, struct sctx *, struct imap_search_key **);

/* key *(SP key), up to close (")" or the end of the command). */
static int
key_list(struct pctx *c, struct sctx *x, struct imap_search_key **first,
    bool paren)
{
	struct imap_search_key	**tail = first;

	for (;;) {
		if (key(c, x, tail) == -1)
			return -1;
		tail = &(*tail)->next;
		if (paren && ip_accept(c, ')'))
			return 0;
		if (ip_at_end(c)) {
			if (paren)
				return ip_fail(c, "Unterminated parenthesis");
			return 0;
		}
		if (ip_sp(c) == -1)
			return -1;
	}
}

static int
key(struct pctx *c, struct sctx *x, struct imap_search_key **out)
{
	struct imap_search_key	*k;
	struct span		 sp;
	size_t			 i;
	int			 ch = ip_peek(c), rc = -1;

	if (++c->depth > IMAP_SEARCH_DEPTH_MAX)
		return ip_fail(c, "SEARCH nested too deep");
	if ((k = ip_alloc(c, 1, sizeof(*k))) == NULL)
		return -1;
	*out = k;
	if (ch == '(') {
		c->pos++;
		k->op = IMAP_SK_AND;
		if (ip_peek(c) == ')')
			rc = ip_fail(c, "Empty parenthesis in SEARCH");
		else
			rc = key_list(c, x, &k->u.sub, true);
		goto done;
	}
	if ((ch >= '0' && ch <= '9') || ch == '*' || ch == '$') {
		k->op = IMAP_SK_SEQSET;
		x->s->uses_seqs = true;
		rc = ip_seqset(c, ip_seqflags(c), &k->u.set);
		goto done;
	}
	if (ip_keyword(c, &sp, "search key") == -1)
		goto done;
	if (ip_is(sp, "NOT")) {
		k->op = IMAP_SK_NOT;
		rc = ip_sp(c) == -1 ? -1 : key(c, x, &k->u.sub);
		goto done;
	}
	if (ip_is(sp, "OR")) {
		k->op = IMAP_SK_OR;
		if (ip_sp(c) == -1 || key(c, x, &k->u.sub) == -1 ||
		    ip_sp(c) == -1)
			goto done;
		rc = key(c, x, &k->u.sub->next);
		goto done;
	}
	if (ip_is(sp, "UID")) {
		k->op = IMAP_SK_UID;
		if (ip_sp(c) == -1)
			goto done;
		rc = ip_seqset(c, ip_seqflags(c), &k->u.set);
		goto done;
	}
	if (ip_is(sp, "HEADER")) {
		k->op = IMAP_SK_HEADER;
		if (ip_sp(c) == -1 ||
		    ip_astring(c, S_NO_8BIT, &k->u.header.name) == -1 ||
		    ip_sp(c) == -1)
			goto done;
		rc = sstring(c, x, &k->u.header.value);
		goto done;
	}
	if (ip_is(sp, "MODSEQ") && ip_cap(c, IMAP_CAP_CONDSTORE)) {
		k->op = IMAP_SK_MODSEQ;
		x->s->uses_modseq = true;
		rc = ip_sp(c) == -1 ? -1 : modseq(c, k);
		goto done;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!ip_is(sp, keys[i].name))
			continue;
		if ((keys[i].rev1 && ip_rev2(c)) ||
		    (keys[i].cap && !ip_cap(c, keys[i].cap)))
			break;
		k->op = keys[i].op;
		if (keys[i].kind == K_NONE) {
			rc = 0;
			goto done;
		}
		if (ip_sp(c) == -1)
			goto done;
		switch (keys[i].kind) {
		case K_STR:
			rc = sstring(c, x, &k->u.str);
			break;
		case K_DATE:
			rc = ip_date(c, &k->u.date);
			break;
		case K_KEYWORD:
			rc = ip_flag_keyword(c, &k->u.str);
			break;
		case K_NUMBER:
			rc = ip_number(c, ip_rev2(c) ? NUMBER64_MAX : NUMBER_MAX,
			    &k->u.number);
			break;
		case K_NZ:
			rc = ip_nz_number(c, NUMBER_MAX, &k->u.number);
			break;
		}
		goto done;
	}
	rc = ip_fail(c, "Unknown search key %.*s", (int)(sp.n > 30 ? 30 : sp.n),
	    sp.p);
 done:
	c->depth--;
	return rc;
}

/* charset = atom / quoted; decides how search strings are checked. */
static int
charset(struct pctx *c, struct sctx *x)
{
	struct imap_str	*cs = &x->s->charset;

	if (ip_peek(c) == '"') {
		if (ip_string(c, S_NO_8BIT, cs) == -1)
			return -1;
	} else if (ip_flag_keyword(c, cs) == -1)
		return -1;
	x->s->charset_set = true;
	if (cs->len == 5 && strcasecmp(cs->p, "UTF-8") == 0)
		x->cs = CS_UTF8;
	else if (cs->len == 8 && strcasecmp(cs->p, "US-ASCII") == 0)
		x->cs = CS_ASCII;
	else
		x->cs = CS_OTHER;	/* the server answers [BADCHARSET] */
	x->s->utf8 = x->cs == CS_UTF8;
	return 0;
}

/* search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP ...)] ")" */
static int
return_opts(struct pctx *c, struct imap_search *s)
{
	struct span	 sp;
	bool		 first = true;

	if (ip_expect(c, '(', "RETURN option list") == -1)
		return -1;
	s->ret_set = true;
	while (!ip_accept(c, ')')) {
		if (!first && ip_sp(c) == -1)
			return -1;
		first = false;
		if (ip_keyword(c, &sp, "RETURN option") == -1)
			return -1;
		if (ip_is(sp, "MIN"))
			s->ret |= IMAP_SEARCH_RET_MIN;
		else if (ip_is(sp, "MAX"))
			s->ret |= IMAP_SEARCH_RET_MAX;
		else if (ip_is(sp, "ALL"))
			s->ret |= IMAP_SEARCH_RET_ALL;
		else if (ip_is(sp, "COUNT"))
			s->ret |= IMAP_SEARCH_RET_COUNT;
		else if (ip_is(sp, "SAVE") && (ip_cap(c, IMAP_CAP_SEARCHRES) ||
		    ip_rev2(c)))
			s->ret |= IMAP_SEARCH_RET_SAVE;
		else
			return ip_fail(c, "Unknown SEARCH RETURN option %.*s",
			    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated RETURN option list");
	}
	/* RFC 4731 3.1: RETURN () means RETURN (ALL). */
	if (s->ret == 0)
		s->ret = IMAP_SEARCH_RET_ALL;
	return 0;
}

/* search-program = ["CHARSET" SP charset SP] search-key *(SP search-key) */
static int
program(struct pctx *c, struct imap_search *s, bool need_charset)
{
	struct sctx	 x = { s, ip_utf8(c) ? CS_UTF8 : CS_ASCII };
	struct span	 sp;
	size_t		 save = c->pos;

	s->utf8 = x.cs == CS_UTF8;
	if (need_charset) {
		if (charset(c, &x) == -1 || ip_sp(c) == -1)
			return -1;
	} else {
		ip_word(c, &sp);
		if (ip_is(sp, "CHARSET") && ip_peek(c) == ' ') {
			if (c->opts->enabled & IMAP_ENA_UTF8_ACCEPT)
				return ip_fail(c, "No CHARSET after ENABLE "
				    "UTF8=ACCEPT");
			if (ip_sp(c) == -1 || charset(c, &x) == -1 ||
			    ip_sp(c) == -1)
				return -1;
		} else
			c->pos = save;
	}
	if (key_list(c, &x, &s->keys, false) == -1)
		return -1;
	return ip_end(c);
}

/* search = "SEARCH" [search-return-opts] SP search-program */
int
ip_search(struct pctx *c, struct imap_search *s)
{
	struct span	 sp;
	size_t		 save;

	if (ip_sp(c) == -1)
		return -1;
	save = c->pos;
	ip_word(c, &sp);
	if (ip_is(sp, "RETURN") && (ip_cap(c, IMAP_CAP_ESEARCH) ||
	    ip_rev2(c))) {
		if (ip_sp(c) == -1 || return_opts(c, s) == -1 || ip_sp(c) == -1)
			return -1;
	} else
		c->pos = save;
	return program(c, s, false);
}

/*
 * sort = ["UID" SP] "SORT" SP sort-criteria SP search-criteria
 * sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
 * sort-criterion = ["REVERSE" SP] sort-key
 * search-criteria = charset 1*(SP search-key)
 */
int
ip_sort(struct pctx *c, struct imap_sort *so)
{
	static const struct {
		const char	*name;
		uint8_t		 key;
		uint64_t	 cap;
	} sk[] = {
		{ "ARRIVAL", IMAP_SORT_ARRIVAL, 0 },
		{ "CC", IMAP_SORT_CC, 0 },
		{ "DATE", IMAP_SORT_DATE, 0 },
		{ "FROM", IMAP_SORT_FROM, 0 },
		{ "SIZE", IMAP_SORT_SIZE, 0 },
		{ "SUBJECT", IMAP_SORT_SUBJECT, 0 },
		{ "TO", IMAP_SORT_TO, 0 },
		{ "DISPLAYFROM", IMAP_SORT_DISPLAYFROM, IMAP_CAP_SORT_DISPLAY },
		{ "DISPLAYTO", IMAP_SORT_DISPLAYTO, IMAP_CAP_SORT_DISPLAY },
	};
	struct imap_sort_crit	*v = NULL;
	size_t			 n = 0, cap = 0, i;

	if (ip_sp(c) == -1 || ip_expect(c, '(', "sort criteria") == -1)
		return -1;
	if (ip_peek(c) == ')')
		return ip_fail(c, "Empty sort criteria");
	for (;;) {
		struct span	 sp;
		bool		 rev = false, found = false;

		if (ip_keyword(c, &sp, "sort key") == -1)
			return -1;
		if (ip_is(sp, "REVERSE")) {
			rev = true;
			if (ip_sp(c) == -1 || ip_keyword(c, &sp, "sort key") ==
			    -1)
				return -1;
		}
		if (n == cap && (v = ip_grow(c, v, n, &cap, sizeof(*v))) == NULL)
			return -1;
		for (i = 0; i < sizeof(sk) / sizeof(sk[0]); i++)
			if (ip_is(sp, sk[i].name) &&
			    (sk[i].cap == 0 || ip_cap(c, sk[i].cap))) {
				v[n].key = sk[i].key;
				v[n].reverse = rev;
				found = true;
				break;
			}
		if (!found)
			return ip_fail(c, "Unknown sort key %.*s",
			    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
		n++;
		if (ip_accept(c, ')'))
			break;
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated sort criteria");
		if (ip_sp(c) == -1)
			return -1;
	}
	so->crit = v;
	so->ncrit = n;
	if (ip_sp(c) == -1)
		return -1;
	return program(c, &so->search, true);
}

/* thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria */
int
ip_thread(struct pctx *c, struct imap_thread *t)
{
	if (ip_sp(c) == -1 || ip_flag_keyword(c, &t->alg_name) == -1)
		return -1;
	if (strcasecmp(t->alg_name.p, "ORDEREDSUBJECT") == 0)
		t->alg = IMAP_THREAD_ORDEREDSUBJECT;
	else if (strcasecmp(t->alg_name.p, "REFERENCES") == 0)
		t->alg = IMAP_THREAD_REFERENCES;
	else
		t->alg = IMAP_THREAD_OTHER;	/* the server says NO */
	if (ip_sp(c) == -1)
		return -1;
	return program(c, &t->search, true);
}
