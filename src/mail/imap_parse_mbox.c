/* IMAP mailbox commands parsed: LIST (RFC 5258, 5819, 6154), LSUB, STATUS, SELECT (RFC 7162), CREATE, APPEND (RFC 3502, 3516, 6855). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mail/imap_parse.h"
#include "mail/imap_parse_priv.h"

/* An option word of LIST or SELECT: an atom, never a string. */
static int
option(struct pctx *c, struct span *sp, const char *what)
{
	if (ip_peek(c) == '"' || ip_peek(c) == '{')
		return ip_fail(c, "%s options are atoms, not strings", what);
	if (ip_keyword(c, sp, what) == -1)
		return -1;
	/* option-value only belongs to options that take one. */
	if (ip_peek(c) == ' ' && c->pos + 1 < c->len && c->s[c->pos + 1] == '(')
		return ip_fail(c, "%s option %.*s takes no value", what,
		    (int)(sp->n > 30 ? 30 : sp->n), sp->p);
	return 0;
}

/*
 * list-select-opts (RFC 5258 6): either at least one base option
 * (SUBSCRIBED) with any others, or independent ones only (REMOTE,
 * SPECIAL-USE). RECURSIVEMATCH modifies a base option and cannot stand
 * without one.
 */
static int
select_opts(struct pctx *c, struct imap_list *l)
{
	struct span	 sp;
	bool		 first = true;

	c->pos++;	/* "(" */
	while (!ip_accept(c, ')')) {
		if (!first && ip_sp(c) == -1)
			return -1;
		first = false;
		if (option(c, &sp, "LIST selection") == -1)
			return -1;
		if (ip_is(sp, "SUBSCRIBED"))
			l->sel |= IMAP_LIST_SEL_SUBSCRIBED;
		else if (ip_is(sp, "REMOTE"))
			l->sel |= IMAP_LIST_SEL_REMOTE;
		else if (ip_is(sp, "RECURSIVEMATCH"))
			l->sel |= IMAP_LIST_SEL_RECURSIVEMATCH;
		else if (ip_is(sp, "SPECIAL-USE") &&
		    ip_cap(c, IMAP_CAP_SPECIAL_USE))
			l->sel |= IMAP_LIST_SEL_SPECIAL_USE;
		else
			return ip_fail(c, "Unknown LIST selection option %.*s",
			    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated LIST selection options");
	}
	if ((l->sel & IMAP_LIST_SEL_RECURSIVEMATCH) &&
	    !(l->sel & IMAP_LIST_SEL_SUBSCRIBED))
		return ip_fail(c, "RECURSIVEMATCH needs SUBSCRIBED");
	return 0;
}

/* status-att of STATUS and of LIST's RETURN (STATUS (...)). */
int
ip_status_att(struct pctx *c, unsigned *items)
{
	struct span	 sp;
	unsigned	 bit = 0;

	if (ip_keyword(c, &sp, "status item") == -1)
		return -1;
	if (ip_is(sp, "MESSAGES"))
		bit = IMAP_STATUS_MESSAGES;
	else if (ip_is(sp, "RECENT") && !ip_rev2(c))
		bit = IMAP_STATUS_RECENT;
	else if (ip_is(sp, "UIDNEXT"))
		bit = IMAP_STATUS_UIDNEXT;
	else if (ip_is(sp, "UIDVALIDITY"))
		bit = IMAP_STATUS_UIDVALIDITY;
	else if (ip_is(sp, "UNSEEN"))
		bit = IMAP_STATUS_UNSEEN;
	else if (ip_is(sp, "DELETED") &&
	    (ip_rev2(c) || ip_cap(c, IMAP_CAP_QUOTA)))
		bit = IMAP_STATUS_DELETED;
	else if (ip_is(sp, "SIZE") &&
	    (ip_rev2(c) || ip_cap(c, IMAP_CAP_STATUS_SIZE)))
		bit = IMAP_STATUS_SIZE;
	else if (ip_is(sp, "HIGHESTMODSEQ") && ip_cap(c, IMAP_CAP_CONDSTORE))
		bit = IMAP_STATUS_HIGHESTMODSEQ;
	else if (ip_is(sp, "APPENDLIMIT") && ip_cap(c, IMAP_CAP_APPENDLIMIT))
		bit = IMAP_STATUS_APPENDLIMIT;
	else if (ip_is(sp, "DELETED-STORAGE") && ip_cap(c, IMAP_CAP_QUOTA))
		bit = IMAP_STATUS_DELETED_STORAGE;
	else
		return ip_fail(c, "Unknown status item %.*s",
		    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
	*items |= bit;
	return 0;
}

/* "(" status-att *(SP status-att) ")" */
static int
status_list(struct pctx *c, unsigned *items)
{
	if (ip_expect(c, '(', "status item list") == -1)
		return -1;
	if (ip_peek(c) == ')')
		return ip_fail(c, "Empty status item list");
	for (;;) {
		if (ip_status_att(c, items) == -1)
			return -1;
		if (ip_accept(c, ')'))
			return 0;
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated status item list");
		if (ip_sp(c) == -1)
			return -1;
	}
}

/* list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")" */
static int
return_opts(struct pctx *c, struct imap_list *l)
{
	struct span	 sp;
	bool		 first = true;

	if (ip_keyword(c, &sp, "RETURN") == -1)
		return -1;
	if (!ip_is(sp, "RETURN"))
		return ip_fail(c, "Expected RETURN, not %.*s",
		    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
	if (!ip_cap(c, IMAP_CAP_LIST_EXTENDED))
		return ip_fail(c, "RETURN options need LIST-EXTENDED");
	if (ip_sp(c) == -1 || ip_expect(c, '(', "RETURN option list") == -1)
		return -1;
	while (!ip_accept(c, ')')) {
		if (!first && ip_sp(c) == -1)
			return -1;
		first = false;
		if (ip_peek(c) == '"')
			return ip_fail(c, "LIST return options are atoms");
		if (ip_keyword(c, &sp, "RETURN option") == -1)
			return -1;
		if (ip_is(sp, "STATUS") && ip_cap(c, IMAP_CAP_LIST_STATUS)) {
			if (ip_sp(c) == -1 ||
			    status_list(c, &l->status_items) == -1)
				return -1;
			l->ret |= IMAP_LIST_RET_STATUS;
		} else {
			if (ip_peek(c) == ' ' && c->pos + 1 < c->len &&
			    c->s[c->pos + 1] == '(')
				return ip_fail(c, "RETURN option %.*s takes no "
				    "value", (int)(sp.n > 30 ? 30 : sp.n), sp.p);
			if (ip_is(sp, "SUBSCRIBED"))
				l->ret |= IMAP_LIST_RET_SUBSCRIBED;
			else if (ip_is(sp, "CHILDREN"))
				l->ret |= IMAP_LIST_RET_CHILDREN;
			else if (ip_is(sp, "SPECIAL-USE") &&
			    ip_cap(c, IMAP_CAP_SPECIAL_USE))
				l->ret |= IMAP_LIST_RET_SPECIAL_USE;
			else
				return ip_fail(c, "Unknown LIST return option "
				    "%.*s", (int)(sp.n > 30 ? 30 : sp.n), sp.p);
		}
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated RETURN option list");
	}
	return ip_end(c);
}

/*
 * list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
 *        [SP list-return-opts]
 */
int
ip_list(struct pctx *c, struct imap_list *l)
{
	struct imap_str	*pat = NULL;
	size_t		 n = 0, cap = 0;

	if (ip_sp(c) == -1)
		return -1;
	if (ip_peek(c) == '(') {
		if (!ip_cap(c, IMAP_CAP_LIST_EXTENDED))
			return ip_fail(c, "LIST selection options need "
			    "LIST-EXTENDED");
		l->extended = true;
		if (select_opts(c, l) == -1 || ip_sp(c) == -1)
			return -1;
	}
	if (ip_peek(c) == '(')
		return ip_fail(c, "The reference name is no list");
	if (ip_mailbox(c, &l->ref) == -1 || ip_sp(c) == -1)
		return -1;
	if (ip_accept(c, '(')) {
		if (!ip_cap(c, IMAP_CAP_LIST_EXTENDED))
			return ip_fail(c, "Pattern lists need LIST-EXTENDED");
		l->extended = true;
		if (ip_peek(c) == ')')
			return ip_fail(c, "Empty pattern list");
		for (;;) {
			if (n == cap && (pat = ip_grow(c, pat, n, &cap,
			    sizeof(*pat))) == NULL)
				return -1;
			if (ip_list_mailbox(c, &pat[n++]) == -1)
				return -1;
			if (ip_accept(c, ')'))
				break;
			if (ip_at_end(c))
				return ip_fail(c, "Unterminated pattern list");
			if (ip_sp(c) == -1)
				return -1;
		}
	} else {
		if ((pat = ip_alloc(c, 1, sizeof(*pat))) == NULL ||
		    ip_list_mailbox(c, &pat[0]) == -1)
			return -1;
		n = 1;
	}
	l->pat = pat;
	l->npat = n;
	if (ip_at_end(c))
		return 0;
	if (ip_sp(c) == -1)
		return -1;
	l->extended = true;
	return return_opts(c, l);
}

/* lsub = "LSUB" SP mailbox SP list-mailbox */
int
ip_lsub(struct pctx *c, struct imap_list *l)
{
	struct imap_str	*pat;

	if (ip_sp(c) == -1 || ip_mailbox(c, &l->ref) == -1 || ip_sp(c) == -1)
		return -1;
	if ((pat = ip_alloc(c, 1, sizeof(*pat))) == NULL ||
	    ip_list_mailbox(c, pat) == -1)
		return -1;
	l->pat = pat;
	l->npat = 1;
	return ip_end(c);
}

/* status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")" */
int
ip_status(struct pctx *c, struct imap_status *st)
{
	if (ip_sp(c) == -1 || ip_mailbox(c, &st->mbox) == -1 ||
	    ip_sp(c) == -1 || status_list(c, &st->items) == -1)
		return -1;
	return ip_end(c);
}

/* Numbers of a set that must be ascending without "*" (RFC 7162 3.2.5.2). */
static int
ascending_count(struct pctx *c, const struct imap_seqset *set,
    uint64_t *count)
{
	uint32_t	 prev = 0;
	size_t		 i;

	*count = 0;
	for (i = 0; i < set->n; i++) {
		if (set->r[i].first > set->r[i].last ||
		    (i > 0 && set->r[i].first <= prev))
			return ip_fail(c, "QRESYNC sequence match sets must "
			    "be in ascending order");
		*count += (uint64_t)set->r[i].last - set->r[i].first + 1;
		prev = set->r[i].last;
	}
	return 0;
}

/*
 * "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
 * [SP seq-match-data] ")"; seq-match-data = "(" known-sequence-set SP
 * known-uid-set ")"
 */
static int
qresync(struct pctx *c, struct imap_select *s)
{
	uint64_t	 v, na, nb;

	if (!(c->opts->enabled & IMAP_ENA_QRESYNC))
		return ip_fail(c, "QRESYNC must be enabled first");
	if (s->qresync)
		return ip_fail(c, "QRESYNC given twice");
	s->qresync = true;
	if (ip_sp(c) == -1 || ip_expect(c, '(', "QRESYNC parameters") == -1)
		return -1;
	if (ip_nz_number(c, NUMBER_MAX, &v) == -1)
		return -1;
	s->uidvalidity = (uint32_t)v;
	if (ip_sp(c) == -1 || ip_nz_number(c, NUMBER64_MAX, &s->modseq) == -1)
		return -1;
	if (ip_accept(c, ')'))
		return 0;
	if (ip_sp(c) == -1)
		return -1;
	if (ip_peek(c) != '(') {
		if (ip_seqset(c, Q_NO_STAR, &s->known_uids) == -1)
			return -1;
		if (ip_accept(c, ')'))
			return 0;
		if (ip_sp(c) == -1)
			return -1;
	}
	if (ip_expect(c, '(', "sequence match data") == -1)
		return -1;
	if (ip_peek(c) == ')')
		return ip_fail(c, "Empty sequence match data");
	if (ip_seqset(c, Q_NO_STAR, &s->known_seqs) == -1 || ip_sp(c) == -1 ||
	    ip_seqset(c, Q_NO_STAR, &s->known_seq_uids) == -1)
		return -1;
	if (ip_expect(c, ')', "\")\" after sequence match data") == -1 ||
	    ip_expect(c, ')', "\")\" after QRESYNC parameters") == -1)
		return -1;
	if (ascending_count(c, &s->known_seqs, &na) == -1 ||
	    ascending_count(c, &s->known_seq_uids, &nb) == -1)
		return -1;
	if (na != nb)
		return ip_fail(c, "QRESYNC sequence match sets differ in size");
	s->seq_match = true;
	return 0;
}

/* select = "SELECT" SP mailbox [SP "(" select-param *(SP select-param) ")"] */
int
ip_select(struct pctx *c, struct imap_select *s)
{
	struct span	 sp;

	if (ip_sp(c) == -1 || ip_mailbox(c, &s->mbox) == -1)
		return -1;
	if (ip_at_end(c))
		return 0;
	if (ip_sp(c) == -1 || ip_expect(c, '(', "SELECT parameters") == -1)
		return -1;
	if (ip_peek(c) == ')')
		return ip_fail(c, "Empty SELECT parameter list");
	for (;;) {
		if (ip_peek(c) == '"')
			return ip_fail(c, "SELECT parameters are atoms");
		if (ip_keyword(c, &sp, "SELECT parameter") == -1)
			return -1;
		if (ip_is(sp, "CONDSTORE") && ip_cap(c, IMAP_CAP_CONDSTORE)) {
			if (s->condstore)
				return ip_fail(c, "CONDSTORE given twice");
			s->condstore = true;
		} else if (ip_is(sp, "QRESYNC") && ip_cap(c, IMAP_CAP_QRESYNC)) {
			if (qresync(c, s) == -1)
				return -1;
		} else
			return ip_fail(c, "Unknown SELECT parameter %.*s",
			    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
		if (ip_accept(c, ')'))
			break;
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated SELECT parameters");
		if (ip_sp(c) == -1)
			return -1;
	}
	return ip_end(c);
}

static const struct {
	const char	*name;
	unsigned	 bit;
} uses[] = {
	{ "\\All", IMAP_USE_ALL }, { "\\Archive", IMAP_USE_ARCHIVE },
	{ "\\Drafts", IMAP_USE_DRAFTS }, { "\\Flagged", IMAP_USE_FLAGGED },
	{ "\\Junk", IMAP_USE_JUNK }, { "\\Sent", IMAP_USE_SENT },
	{ "\\Trash", IMAP_USE_TRASH },
};

/* "USE" SP "(" [use-attr *(SP use-attr)] ")" (RFC 6154 6) */
static int
use_list(struct pctx *c, struct imap_create *cr)
{
	struct imap_str	*other = NULL;
	size_t		 n = 0, cap = 0, i;
	bool		 first = true;

	if (ip_sp(c) == -1 || ip_expect(c, '(', "USE list") == -1)
		return -1;
	while (!ip_accept(c, ')')) {
		struct span	 sp;
		bool		 known = false;

		if (!first && ip_sp(c) == -1)
			return -1;
		first = false;
		if (!ip_accept(c, '\\'))
			return ip_fail_tok(c, "Special-use attributes start "
			    "with \\:");
		if (ip_atom(c, &sp) == -1)
			return -1;
		for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
			if (ip_is(sp, uses[i].name + 1)) {
				cr->use |= uses[i].bit;
				known = true;
			}
		if (!known) {
			if (n == cap && (other = ip_grow(c, other, n, &cap,
			    sizeof(*other))) == NULL)
				return -1;
			if ((other[n].p = ip_strdup(c, sp.p - 1, sp.n + 1)) ==
			    NULL)
				return -1;
			other[n].len = sp.n + 1;
			n++;
		}
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated USE list");
	}
	cr->use_other = other;
	cr->nuse_other = n;
	return 0;
}

/* create = "CREATE" SP mailbox [SP "(" create-param *(SP create-param) ")"] */
int
ip_create(struct pctx *c, struct imap_create *cr)
{
	struct span	 sp;
	bool		 use = false;

	if (ip_sp(c) == -1 || ip_mailbox(c, &cr->mbox) == -1)
		return -1;
	if (ip_at_end(c))
		return 0;
	if (ip_sp(c) == -1 || ip_expect(c, '(', "CREATE parameters") == -1)
		return -1;
	if (ip_peek(c) == ')')
		return ip_fail(c, "Empty CREATE parameter list");
	for (;;) {
		if (ip_keyword(c, &sp, "CREATE parameter") == -1)
			return -1;
		if (!ip_is(sp, "USE") ||
		    !ip_cap(c, IMAP_CAP_CREATE_SPECIAL_USE))
			return ip_fail(c, "Unknown CREATE parameter %.*s",
			    (int)(sp.n > 30 ? 30 : sp.n), sp.p);
		if (use)
			return ip_fail(c, "USE given twice");
		use = true;
		if (use_list(c, cr) == -1)
			return -1;
		if (ip_accept(c, ')'))
			break;
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated CREATE parameters");
		if (ip_sp(c) == -1)
			return -1;
	}
	return ip_end(c);
}

/* append-data = literal / literal8 / "UTF8" SP "(" literal8 ")" */
static int
append_data(struct pctx *c, struct imap_append_msg *m, bool utf8)
{
	const struct imap_lit	*lit;
	struct imap_str		 s;

	if (ip_message_literal(c, utf8 ? S_UTF8DATA : 0, &s, &lit) == -1)
		return -1;
	m->binary = s.kind == IMAP_STR_LITERAL8;
	m->data = s.p;
	m->size = lit->size;
	m->streamed = lit->streamed;
	m->lit = (size_t)(lit - c->lits);
	return 0;
}

/*
 * append = "APPEND" SP mailbox 1*append-message (more than one with
 * MULTIAPPEND); append-message = [SP flag-list] [SP date-time] SP
 * append-data
 */
int
ip_append(struct pctx *c, struct imap_append *a)
{
	struct imap_append_msg	*msgs = NULL, *m;
	size_t			 n = 0, cap = 0;

	if (ip_sp(c) == -1 || ip_mailbox(c, &a->mbox) == -1)
		return -1;
	while (!ip_at_end(c)) {
		int	 step = 0;	/* 1 after flags, 2 after the date */

		if (n == 1 && !ip_cap(c, IMAP_CAP_MULTIAPPEND))
			return ip_fail(c, "More than one message needs "
			    "MULTIAPPEND");
		if (n == cap && (msgs = ip_grow(c, msgs, n, &cap,
		    sizeof(*msgs))) == NULL)
			return -1;
		m = &msgs[n];
		for (;;) {
			int	 ch;

			if (ip_sp(c) == -1)
				return -1;
			ch = ip_peek(c);
			if (ch == '(' && step < 1) {
				if (ip_flag_list(c, &m->flags) == -1)
					return -1;
				m->flags_set = true;
				step = 1;
			} else if (ch == '"' && step < 2) {
				if (ip_datetime(c, &m->date) == -1)
					return -1;
				m->date_set = true;
				step = 2;
			} else if (ch == '{' || ch == '~') {
				if (append_data(c, m, false) == -1)
					return -1;
				break;
			} else {
				struct span	 sp;

				ip_word(c, &sp);
				if (!ip_is(sp, "UTF8")) {
					c->pos -= sp.n;
					return ip_fail_tok(c, "Expected the "
					    "message as a literal, not");
				}
				if (!(c->opts->enabled & IMAP_ENA_UTF8_ACCEPT))
					return ip_fail(c, "UTF8 data needs ENABLE "
					    "UTF8=ACCEPT");
				if (ip_sp(c) == -1 ||
				    ip_expect(c, '(', "\"(\" after UTF8") == -1)
					return -1;
				if (ip_peek(c) != '~')
					return ip_fail(c, "UTF8 data is a literal8");
				if (append_data(c, m, true) == -1)
					return -1;
				if (ip_expect(c, ')', "\")\" after UTF8 data") == -1)
					return -1;
				m->utf8 = true;
				break;
			}
		}
		n++;
	}
	if (n == 0)
		return ip_fail(c, "Missing message");
	a->msgs = msgs;
	a->nmsgs = n;
	return 0;
}
