/* The filter directive: builtin phase filters, chains, procs, and tegami's dkim-sign, mail-auth, rbl. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "dns/dnsbl.h"
#include "lib/xalloc.h"
#include "mail/addr.h"
#include "mail/helo.h"

static const char *const phases[] = {
	[PHASE_CONNECT] = "connect", [PHASE_HELO] = "helo", [PHASE_EHLO] = "ehlo",
	[PHASE_MAIL_FROM] = "mail-from", [PHASE_RCPT_TO] = "rcpt-to",
	[PHASE_DATA] = "data", [PHASE_COMMIT] = "commit",
};

static const struct {
	const char		*word;
	enum filter_cond_type	 type;
	int			 arg;		/* 0 none, 1 optional, 2 required */
	enum filter_phase	 from;		/* first phase where the data exists */
} fconds[] = {
	{ "fcrdns", FCOND_FCRDNS, 0, PHASE_CONNECT },
	{ "rdns", FCOND_RDNS, 1, PHASE_CONNECT },
	{ "src", FCOND_SRC, 2, PHASE_CONNECT },
	{ "helo", FCOND_HELO, 2, PHASE_HELO },
	{ "helo-valid", FCOND_HELO_VALID, 0, PHASE_HELO },
	{ "helo-fqdn", FCOND_HELO_FQDN, 0, PHASE_HELO },
	{ "helo-self", FCOND_HELO_SELF, 0, PHASE_HELO },
	{ "auth", FCOND_AUTH, 1, PHASE_MAIL_FROM },
	{ "mail-from", FCOND_MAIL_FROM, 2, PHASE_MAIL_FROM },
	{ "rcpt-to", FCOND_RCPT_TO, 2, PHASE_RCPT_TO },
};

static int
parse_phase(struct parser *p, struct filter *f)
{
	size_t	 i;

	if (!tok_accept(p, "phase"))
		return perr_unexpected(p, "in filter (expected phase)");
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		if (tok_accept(p, phases[i])) {
			f->phase = (enum filter_phase)i;
			return 0;
		}
	return perr_unexpected(p, "after phase (expected connect, helo, ehlo, "
	    "mail-from, rcpt-to, data or commit)");
}

static struct filter_cond *
add_fcond(struct filter *f, enum filter_cond_type type, int negate)
{
	struct filter_cond	*fc;

	f->conds = xreallocarray(f->conds, f->nconds + 1, sizeof(*f->conds));
	fc = &f->conds[f->nconds++];
	memset(fc, 0, sizeof(*fc));
	fc->type = type;
	fc->negate = negate;
	return fc;
}

static int
is_decision(struct parser *p)
{
	return tok_is(p, "bypass") || tok_is(p, "disconnect") || tok_is(p, "junk") ||
	    tok_is(p, "reject") || tok_is(p, "rewrite");
}

/* A list zone, or every entry of an inline list, must be "zone[=codes]". */
static int
check_zones(struct parser *p, const struct filter_cond *fc)
{
	struct dnsbl_zone	 z;
	const char		*err, *key, *value;
	size_t			 iter = 0;

	if (fc->value != NULL) {
		if (dnsbl_zone_parse(&z, fc->value, &err) == -1)
			goto bad;
		return 0;
	}
	/* A file table is read later: its bad entries are logged and skipped then. */
	if (fc->table->backend == TABLE_FILE)
		return 0;
	while (table_iter(fc->table, &iter, &key, &value))
		if (dnsbl_zone_parse(&z, key, &err) == -1)
			goto bad;
	return 0;
bad:
	perr(p, p->dfile, p->dline, "%s", err);
	return -1;
}

/*
 * dnsbl "zone[=codes]" | <zones>, and rhsbl [sender|client|helo] likewise;
 * the current token is dnsbl or rhsbl.
 */
static int
parse_dnslist(struct parser *p, struct filter *f, int negate)
{
	struct filter_cond	*fc;
	enum filter_phase	 from = PHASE_CONNECT;
	struct token		*t;
	const char		*word = tok_is(p, "dnsbl") ? "dnsbl" : "rhsbl";

	tok_advance(p);
	fc = add_fcond(f, word[0] == 'd' ? FCOND_DNSBL : FCOND_RHSBL, negate);
	if (fc->type == FCOND_RHSBL) {
		/* The sender's domain unless said otherwise (Postfix's reject_rhsbl_sender). */
		fc->target = RHSBL_SENDER;
		from = PHASE_MAIL_FROM;
		if (tok_accept(p, "client")) {
			fc->target = RHSBL_CLIENT;
			from = PHASE_CONNECT;
		} else if (tok_accept(p, "helo")) {
			fc->target = RHSBL_HELO;
			from = PHASE_HELO;
		} else
			(void)tok_accept(p, "sender");
	}
	if (f->phase < from) {
		perr(p, p->dfile, p->dline, "filter condition %s%s is not available "
		    "at phase %s", word, fc->target == RHSBL_HELO ? " helo" :
		    fc->type == FCOND_RHSBL && fc->target == RHSBL_SENDER ?
		    " sender" : "", phases[f->phase]);
		return -1;
	}
	t = tok_peek(p);
	if (t->type == T_LT || t->type == T_LBRACE) {
		if ((fc->table = p_table_arg(p, 0, "in filter condition")) == NULL)
			return -1;
	} else if ((fc->value = p_string(p, "a DNS list zone")) == NULL)
		return -1;
	return check_zones(p, fc);
}

/* Builtin conditions until the decision; the current token follows "match". */
static int
parse_fconds(struct parser *p, struct filter *f)
{
	struct filter_cond	*fc;
	const char		*err;
	struct token		*t;
	size_t			 i;
	int			 negate;

	while (!is_decision(p)) {
		negate = 0;
		if (tok_peek(p)->type == T_BANG) {
			tok_advance(p);
			negate = 1;
		}
		if (tok_is(p, "dnsbl") || tok_is(p, "rhsbl")) {
			if (parse_dnslist(p, f, negate) == -1)
				return -1;
			/* A rule with list lookups: the "rbl" of "filter rbl phase ...". */
			f->kind = FILTER_RBL;
			continue;
		}
		for (i = 0; i < sizeof(fconds) / sizeof(fconds[0]); i++)
			if (tok_is(p, fconds[i].word))
				break;
		if (i == sizeof(fconds) / sizeof(fconds[0]))
			return perr_unexpected(p, "in filter conditions");
		if (f->phase < fconds[i].from) {
			perr(p, p->dfile, p->dline, "filter condition %s is not available "
			    "at phase %s", fconds[i].word, phases[f->phase]);
			return -1;
		}
		tok_advance(p);
		fc = add_fcond(f, fconds[i].type, negate);
		if (fconds[i].arg == 0)
			continue;
		if (tok_accept(p, "regex"))
			fc->regex = 1;
		t = tok_peek(p);
		if (fconds[i].arg == 1 && !fc->regex && t->type != T_LT &&
		    t->type != T_LBRACE && t->type != T_STRING)
			continue;
		if ((fc->table = p_table_arg(p, 1, "in filter condition")) == NULL)
			return -1;
		if (fc->regex && table_check_regex(fc->table, &err) == -1) {
			perr(p, p->dfile, p->dline, "%s", err);
			return -1;
		}
	}
	if (f->nconds == 0)
		return perr_unexpected(p, "after match (expected a condition)");
	return 0;
}

/* "550 no rDNS": decisions carrying a message need an SMTP code. */
static int
valid_reply(const char *s)
{
	return (s[0] == '4' || s[0] == '5') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && (s[3] == ' ' || s[3] == '\0');
}

/* What a command's argument is rewritten to must be valid where it goes. */
static int
check_rewrite(struct parser *p, struct filter *f)
{
	struct mailaddr	 a;
	const char	*v = f->message, *err = "invalid value";
	char		 tmp[ADDR_PATH_MAX + 3];
	size_t		 n = strlen(v);

	if (f->phase == PHASE_HELO || f->phase == PHASE_EHLO) {
		if (helo_classify(v, n, NULL, 0, NULL, &err) != HELO_INVALID)
			return 0;
		perr(p, p->dfile, p->dline, "rewrite \"%s\": %s", v, err);
		return -1;
	}
	/* "<a@b>" or "a@b"; "<>" or "" is the null sender, at mail-from only. */
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		v++;
		n -= 2;
	}
	if (n == 0 && f->phase == PHASE_MAIL_FROM)
		return 0;
	if (n < sizeof(tmp)) {
		memcpy(tmp, v, n);
		tmp[n] = '\0';
		if (addr_parse(&a, tmp, 0, &err) == 0)
			return 0;
	} else
		err = "address too long";
	perr(p, p->dfile, p->dline, "rewrite \"%s\": %s", f->message, err);
	return -1;
}

static int
parse_decision(struct parser *p, struct filter *f)
{
	if (tok_accept(p, "bypass"))
		f->decision = DECISION_BYPASS;
	else if (tok_accept(p, "junk")) {
		f->decision = DECISION_JUNK;
		if (f->phase == PHASE_COMMIT) {
			perr(p, p->dfile, p->dline, "junk is not possible at phase commit");
			return -1;
		}
	} else if (tok_accept(p, "rewrite")) {
		f->decision = DECISION_REWRITE;
		if (f->phase != PHASE_HELO && f->phase != PHASE_EHLO &&
		    f->phase != PHASE_MAIL_FROM && f->phase != PHASE_RCPT_TO) {
			perr(p, p->dfile, p->dline, "rewrite is only possible at phases "
			    "helo, ehlo, mail-from and rcpt-to");
			return -1;
		}
		if ((f->message = p_string(p, "a rewrite value")) == NULL)
			return -1;
		return check_rewrite(p, f);
	} else if (tok_is(p, "disconnect") || tok_is(p, "reject")) {
		f->decision = tok_is(p, "reject") ? DECISION_REJECT : DECISION_DISCONNECT;
		tok_advance(p);
		if ((f->message = p_string(p, "a message")) == NULL)
			return -1;
		if (!valid_reply(f->message)) {
			perr(p, p->dfile, p->dline, "filter message \"%s\" must start with "
			    "a 4xx or 5xx code", f->message);
			return -1;
		}
	} else
		return perr_unexpected(p, "where a decision was expected");
	return 0;
}

/* A selector or domain: dot-separated labels of letters, digits, '-' and '_', 63 octets each. */
static int
dkim_selector_ok(const char *s)
{
	size_t	 label = 0, i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* canonicalization relaxed|simple[/relaxed|simple]: RFC 6376's c=, the body simple when not named. */
static int
parse_canon(struct parser *p, struct filter *f)
{
	char	*v, *slash;
	int	 c[2], i;

	if ((v = p_string(p, "a canonicalization")) == NULL)
		return -1;
	c[1] = 0;
	slash = strchr(v, '/');
	for (i = 0; i < (slash ? 2 : 1); i++) {
		const char	*w = i == 0 ? v : slash + 1;
		size_t		 n = i == 0 && slash ? (size_t)(slash - v) : strlen(w);

		if (n == 7 && strncmp(w, "relaxed", 7) == 0)
			c[i] = 1;
		else if (n == 6 && strncmp(w, "simple", 6) == 0)
			c[i] = 0;
		else {
			perr(p, p->dfile, p->dline, "canonicalization \"%s\": "
			    "relaxed, simple, or header/body (relaxed/simple ...)", v);
			free(v);
			return -1;
		}
	}
	free(v);
	f->dkim_hcanon = c[0];
	f->dkim_bcanon = c[1];
	return 0;
}

/*
 * domain D|<table> selector S key "F" [selector S2 key "F2"]
 * [canonicalization C] [subdomains]: the first selector goes with the first
 * key, the second with the second.
 */
static int
parse_dkim(struct parser *p, struct filter *f)
{
	char	**dst, *s;
	int	 canon = 0;
	struct token *t;

	f->dkim_hcanon = f->dkim_bcanon = 1;
	while (!tok_at_eol(p)) {
		if (tok_accept(p, "subdomains")) {
			f->subdomains = 1;
			continue;
		}
		if (tok_accept(p, "canonicalization")) {
			if (canon++) {
				perr(p, p->dfile, p->dline, "dkim-sign option given twice");
				return -1;
			}
			if (parse_canon(p, f) == -1)
				return -1;
			continue;
		}
		if (tok_accept(p, "domain")) {
			if (f->domain != NULL || f->domains != NULL) {
				perr(p, p->dfile, p->dline, "dkim-sign option given twice");
				return -1;
			}
			t = tok_peek(p);
			if (t->type == T_LT || t->type == T_LBRACE) {
				if ((f->domains = p_table_arg(p, 0,
				    "in dkim-sign domain")) == NULL)
					return -1;
				continue;
			}
			dst = &f->domain;
		} else if (tok_accept(p, "selector"))
			dst = f->selector == NULL ? &f->selector : &f->selector2;
		else if (tok_accept(p, "key"))
			dst = f->key == NULL ? &f->key : &f->key2;
		else
			return perr_unexpected(p, "in dkim-sign (expected domain, selector, "
			    "key, canonicalization or subdomains)");
		if ((s = p_string(p, "a value")) == NULL)
			return -1;
		if (*dst != NULL) {
			perr(p, p->dfile, p->dline, "dkim-sign: at most two selectors "
			    "and two keys");
			free(s);
			return -1;
		}
		*dst = (dst == &f->key || dst == &f->key2) ? p_path(s, p->dfile) : s;
		if (dst == &f->key || dst == &f->key2)
			free(s);
	}
	if ((f->domain == NULL && f->domains == NULL) || f->selector == NULL ||
	    f->key == NULL) {
		perr(p, p->dfile, p->dline, "dkim-sign needs domain, selector and key");
		return -1;
	}
	if ((f->selector2 == NULL) != (f->key2 == NULL)) {
		perr(p, p->dfile, p->dline, "dkim-sign: each selector needs its key");
		return -1;
	}
	if (f->selector2 != NULL && (strcmp(f->selector, f->selector2) == 0 ||
	    strcmp(f->key, f->key2) == 0)) {
		perr(p, p->dfile, p->dline, "dkim-sign: two keys need two selectors "
		    "and two key files");
		return -1;
	}
	if (!dkim_selector_ok(f->selector) ||
	    (f->selector2 != NULL && !dkim_selector_ok(f->selector2))) {
		perr(p, p->dfile, p->dline, "dkim-sign: a selector is a DNS name: "
		    "labels of letters, digits and '-' separated by dots");
		return -1;
	}
	if (f->domain != NULL && !dkim_selector_ok(f->domain)) {
		perr(p, p->dfile, p->dline, "dkim-sign: domain \"%s\" is not a "
		    "domain name", f->domain);
		return -1;
	}
	return 0;
}

static int
parse_chain(struct parser *p, struct filter *f)
{
	struct token	*t;

	if (tok_peek(p)->type != T_LBRACE)
		return perr_unexpected(p, "after chain (expected '{')");
	tok_advance(p);
	for (;;) {
		while ((t = tok_peek(p))->type == T_COMMA || t->type == T_NL)
			tok_advance(p);
		if (t->type == T_RBRACE)
			break;
		if (t->type != T_WORD && t->type != T_STRING)
			return perr_unexpected(p, "in filter chain");
		f->chain = xreallocarray(f->chain, f->nchain + 1, sizeof(*f->chain));
		f->chain[f->nchain++] = tok_take_text(p);
	}
	tok_advance(p);
	if (f->nchain == 0) {
		perr(p, p->dfile, p->dline, "empty filter chain");
		return -1;
	}
	return 0;
}

/* phase P match CONDITIONS DECISION */
static int
parse_builtin(struct parser *p, struct filter *f)
{
	f->kind = FILTER_BUILTIN;
	if (parse_phase(p, f) == -1)
		return -1;
	if (!tok_accept(p, "match"))
		return perr_unexpected(p, "in filter (expected match)");
	if (parse_fconds(p, f) == -1)
		return -1;
	return parse_decision(p, f);
}

static int
parse_kind(struct parser *p, struct filter *f)
{
	if (tok_accept(p, "chain")) {
		f->kind = FILTER_CHAIN;
		return parse_chain(p, f);
	}
	if (tok_accept(p, "proc")) {
		f->kind = FILTER_PROC;
		return (f->command = p_string(p, "a proc name")) ? 0 : -1;
	}
	if (tok_accept(p, "proc-exec")) {
		f->kind = FILTER_PROC_EXEC;
		if ((f->command = p_string(p, "a command")) == NULL)
			return -1;
		for (;;) {
			char	**dst;

			if (tok_accept(p, "user"))
				dst = &f->user;
			else if (tok_accept(p, "group"))
				dst = &f->group;
			else
				return 0;
			if (*dst != NULL) {
				perr(p, p->dfile, p->dline, "proc-exec: user or group given twice");
				return -1;
			}
			if ((*dst = p_string(p, "a user or group name")) == NULL)
				return -1;
		}
	}
	/*
	 * design.md writes "filter check mail-auth" and "filter rbl phase ...
	 * match dnsbl": the words check and rbl may come before the type, or be
	 * the filter's name.
	 */
	if (tok_accept(p, "rbl")) {
		if (!tok_is(p, "phase"))
			return perr_unexpected(p, "after rbl (expected phase)");
		if (parse_builtin(p, f) == -1)
			return -1;
		if (f->kind != FILTER_RBL) {
			perr(p, p->dfile, p->dline, "rbl filter needs match dnsbl or "
			    "rhsbl \"zone\"");
			return -1;
		}
		return 0;
	}
	if (tok_is(p, "phase"))
		return parse_builtin(p, f);
	if (tok_accept(p, "dkim-sign")) {
		f->kind = FILTER_DKIM_SIGN;
		return parse_dkim(p, f);
	}
	if (tok_accept(p, "check") && !tok_is(p, "mail-auth"))
		return perr_unexpected(p, "after check (expected mail-auth)");
	if (tok_accept(p, "mail-auth")) {
		f->kind = FILTER_MAIL_AUTH;
		f->enforce = tok_accept(p, "enforce");
		return 0;
	}
	if (tok_peek(p)->type == T_WORD)
		perr_tok(p, "unknown filter type \"%s\"", tok_peek(p)->text);
	else
		perr_unexpected(p, "after the filter name");
	return -1;
}

int
parse_filter(struct parser *p)
{
	struct conf	*c = p->conf;
	struct filter	*f;
	int		 r;

	f = xcalloc(1, sizeof(*f));
	f->conf_file = p->dfile;
	f->conf_line = p->dline;
	if ((f->name = p_string(p, "a filter name")) == NULL) {
		free(f);
		return -1;
	}
	if (conf_filter(c, f->name) != NULL)
		perr(p, p->dfile, p->dline, "duplicate filter \"%s\"", f->name);
	r = parse_kind(p, f);
	c->filters = xreallocarray(c->filters, c->nfilters + 1, sizeof(*c->filters));
	c->filters[c->nfilters++] = f;
	return r;
}
