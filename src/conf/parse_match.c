/* The match directive: from/for/transaction conditions, then an action or reject. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "conf/table_priv.h"
#include "lib/xalloc.h"

/* Words that end an optional argument: the next condition or the verdict. */
static const char *const match_words[] = {
	"from", "for", "auth", "helo", "mail-from", "rcpt-to", "tag", "tls",
	"action", "reject", NULL,
};

static int
is_match_word(const char *s)
{
	const char *const *w;

	for (w = match_words; *w; w++)
		if (strcmp(*w, s) == 0)
			return 1;
	return 0;
}

/* [regex] value|<table>|{...}; with optional, the argument may be absent. */
static int
cond_arg(struct parser *p, struct cond *cd, const char *what, int optional)
{
	struct token	*t;
	const char	*err;
	regex_t		 re;
	struct netaddr	 na;

	if (tok_accept(p, "regex"))
		cd->regex = 1;
	t = tok_peek(p);
	if (t->type == T_LT || t->type == T_LBRACE) {
		if ((cd->table = p_table_arg(p, 0, what)) == NULL)
			return -1;
		if (cd->regex && table_check_regex(cd->table, &err) == -1) {
			perr(p, p->dfile, p->dline, "%s", err);
			return -1;
		}
		return 0;
	}
	if (t->type == T_STRING || (t->type == T_WORD && !is_match_word(t->text))) {
		cd->value = tok_take_text(p);
		if (cd->regex) {
			if (table_regcomp(&re, cd->value) != 0) {
				perr(p, p->dfile, p->dline, "%s: bad regex \"%s\"", what,
				    cd->value);
				return -1;
			}
			regfree(&re);
		} else if (cd->type == COND_FROM_SRC &&
		    table_parse_netaddr(cd->value, &na) == -1) {
			perr(p, p->dfile, p->dline, "from src: invalid address \"%s\"",
			    cd->value);
			return -1;
		}
		return 0;
	}
	if (optional && !cd->regex)
		return 0;
	perr_unexpected(p, what);
	return -1;
}

static struct cond *
add_cond(struct match *m, enum cond_type type, int negate)
{
	struct cond	*cd;

	m->conds = xreallocarray(m->conds, m->nconds + 1, sizeof(*m->conds));
	cd = &m->conds[m->nconds++];
	memset(cd, 0, sizeof(*cd));
	cd->type = type;
	cd->negate = negate;
	return cd;
}

static int
match_from(struct parser *p, struct match *m, int negate)
{
	struct cond	*cd;

	if (tok_accept(p, "any"))
		add_cond(m, COND_FROM_ANY, negate);
	else if (tok_accept(p, "local"))
		add_cond(m, COND_FROM_LOCAL, negate);
	else if (tok_accept(p, "socket"))
		add_cond(m, COND_FROM_SOCKET, negate);
	else if (tok_accept(p, "auth")) {
		cd = add_cond(m, COND_FROM_AUTH, negate);
		return cond_arg(p, cd, "after from auth", 1);
	} else if (tok_accept(p, "rdns")) {
		cd = add_cond(m, COND_FROM_RDNS, negate);
		return cond_arg(p, cd, "after from rdns", 1);
	} else if (tok_accept(p, "mail-from")) {
		cd = add_cond(m, COND_FROM_MAIL_FROM, negate);
		return cond_arg(p, cd, "after from mail-from", 0);
	} else if (tok_accept(p, "src")) {
		cd = add_cond(m, COND_FROM_SRC, negate);
		return cond_arg(p, cd, "after from src", 0);
	} else
		return perr_unexpected(p,
		    "after from (expected any, auth, local, mail-from, rdns, socket or src)");
	return 0;
}

static int
match_for(struct parser *p, struct match *m, int negate)
{
	struct cond	*cd;

	if (tok_accept(p, "any"))
		add_cond(m, COND_FOR_ANY, negate);
	else if (tok_accept(p, "local"))
		add_cond(m, COND_FOR_LOCAL, negate);
	else if (tok_accept(p, "domain")) {
		cd = add_cond(m, COND_FOR_DOMAIN, negate);
		return cond_arg(p, cd, "after for domain", 0);
	} else if (tok_accept(p, "rcpt-to")) {
		cd = add_cond(m, COND_FOR_RCPT_TO, negate);
		return cond_arg(p, cd, "after for rcpt-to", 0);
	} else
		return perr_unexpected(p,
		    "after for (expected any, local, domain or rcpt-to)");
	return 0;
}

static const struct {
	const char	*word;
	enum cond_type	 type;
	int		 arg;		/* 0 none, 1 optional, 2 required */
} transaction_opts[] = {
	{ "auth", COND_AUTH, 1 },
	{ "helo", COND_HELO, 2 },
	{ "mail-from", COND_MAIL_FROM, 2 },
	{ "rcpt-to", COND_RCPT_TO, 2 },
	{ "tag", COND_TAG, 2 },
	{ "tls", COND_TLS, 0 },
};

static void
match_free(struct match *m)
{
	size_t	 i;

	for (i = 0; i < m->nconds; i++)
		free(m->conds[i].value);
	free(m->conds);
	free(m->action_name);
	free(m);
}

static int
has_cond(const struct match *m, enum cond_type first, enum cond_type last)
{
	size_t	 i;

	for (i = 0; i < m->nconds; i++)
		if (m->conds[i].type >= first && m->conds[i].type <= last)
			return 1;
	return 0;
}

int
parse_match(struct parser *p)
{
	struct conf	*c = p->conf;
	struct match	*m;
	struct cond	*cd;
	char		 what[64];
	size_t		 i;
	int		 negate, r = 0, have_from = 0, have_for = 0, verdict = 0;

	m = xcalloc(1, sizeof(*m));
	m->conf_file = p->dfile;
	m->conf_line = p->dline;
	while (r == 0 && !tok_at_eol(p)) {
		negate = 0;
		if (tok_peek(p)->type == T_BANG) {
			tok_advance(p);
			negate = 1;
		}
		if (tok_is(p, "action") || tok_is(p, "reject")) {
			if (negate) {
				r = perr_unexpected(p, "after '!'");
				break;
			}
			if (verdict++) {
				perr(p, p->dfile, p->dline,
				    "match cannot both reject and use an action");
				r = -1;
				break;
			}
			if (tok_accept(p, "reject"))
				m->reject = 1;
			else {
				tok_advance(p);
				if ((m->action_name = p_string(p, "an action name")) == NULL)
					r = -1;
			}
			continue;
		}
		if (verdict) {
			r = perr_unexpected(p, "after the action of a match");
			break;
		}
		if (tok_accept(p, "from")) {
			if (have_from++) {
				perr(p, p->dfile, p->dline, "match: from given twice");
				r = -1;
				break;
			}
			r = match_from(p, m, negate);
			continue;
		}
		if (tok_accept(p, "for")) {
			if (have_for++) {
				perr(p, p->dfile, p->dline, "match: for given twice");
				r = -1;
				break;
			}
			r = match_for(p, m, negate);
			continue;
		}
		for (i = 0; i < sizeof(transaction_opts) / sizeof(transaction_opts[0]); i++)
			if (tok_is(p, transaction_opts[i].word))
				break;
		if (i == sizeof(transaction_opts) / sizeof(transaction_opts[0])) {
			if (tok_peek(p)->type == T_WORD) {
				perr_tok(p, "unknown match option \"%s\"", tok_peek(p)->text);
				r = -1;
			} else
				r = perr_unexpected(p, "in match");
			break;
		}
		if (has_cond(m, transaction_opts[i].type, transaction_opts[i].type)) {
			perr(p, p->dfile, p->dline, "match: %s given twice",
			    transaction_opts[i].word);
			r = -1;
			break;
		}
		tok_advance(p);
		cd = add_cond(m, transaction_opts[i].type, negate);
		snprintf(what, sizeof(what), "after %s", transaction_opts[i].word);
		if (transaction_opts[i].arg)
			r = cond_arg(p, cd, what, transaction_opts[i].arg == 1);
	}
	/* "from auth" and "auth" test the same thing, as do the mail-from and rcpt-to pairs. */
	if (r == 0 && (has_cond(m, COND_FROM_AUTH, COND_FROM_AUTH) + has_cond(m, COND_AUTH,
	    COND_AUTH) > 1 || has_cond(m, COND_FROM_MAIL_FROM, COND_FROM_MAIL_FROM) +
	    has_cond(m, COND_MAIL_FROM, COND_MAIL_FROM) > 1 || has_cond(m,
	    COND_FOR_RCPT_TO, COND_FOR_RCPT_TO) + has_cond(m, COND_RCPT_TO, COND_RCPT_TO) > 1)) {
		perr(p, p->dfile, p->dline, "match: the same auth, mail-from or rcpt-to "
		    "condition given twice");
		r = -1;
	}
	if (r == 0 && !verdict) {
		perr(p, p->dfile, p->dline, "match needs \"action NAME\" or \"reject\"");
		r = -1;
	}
	if (r == -1) {
		match_free(m);
		return -1;
	}
	/* smtpd.conf(5): without from, from local; without for, for local. */
	if (!have_from)
		add_cond(m, COND_FROM_LOCAL, 0);
	if (!have_for)
		add_cond(m, COND_FOR_LOCAL, 0);
	c->matches = xreallocarray(c->matches, c->nmatches + 1, sizeof(*c->matches));
	c->matches[c->nmatches++] = m;
	return 0;
}
