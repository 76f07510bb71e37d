/* The action directive: delivery methods, their options, and relay host URLs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/xalloc.h"

/* Options of local delivery and relays; an unquoted maildir path is none of these. */
static const char *const local_opts[] = {
	"alias", "over-quota", "quota", "ttl", "user", "userbase", "virtual",
	"wrapper", NULL,
};
static const char *const relay_opts[] = {
	"backup", "helo", "helo-src", "domain", "host", "pki", "ca", "srs", "tls",
	"auth", "mail-from", "src", "ttl", NULL,
};

static int
in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* [proto://[label@]]host[:port], as smtpd.conf(5) describes relay-url. */
int
conf_parse_relay_url(const char *url, struct relay_host *rh, char *err, size_t errlen,
    int use_services)
{
	static const struct {
		const char	*name;
		enum relay_proto proto;
		int		 port;
	} protos[] = {
		{ "smtp", RELAY_SMTP, 25 }, { "smtp+tls", RELAY_SMTP_TLS, 25 },
		{ "smtp+notls", RELAY_SMTP_NOTLS, 25 }, { "smtps", RELAY_SMTPS, 465 },
		{ "lmtp", RELAY_LMTP, 0 },
	};
	const char	*sep, *host, *at, *end, *colon;
	size_t		 i, n;

	memset(rh, 0, sizeof(*rh));
	rh->proto = RELAY_SMTP;
	rh->port = 25;
	host = url;
	if ((sep = strstr(url, "://")) != NULL) {
		n = (size_t)(sep - url);
		for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (strlen(protos[i].name) == n && strncmp(url, protos[i].name, n) == 0)
				break;
		if (i == sizeof(protos) / sizeof(protos[0])) {
			snprintf(err, errlen, "unknown relay protocol \"%.*s\"", (int)n, url);
			return -1;
		}
		rh->proto = protos[i].proto;
		rh->port = protos[i].port;
		host = sep + 3;
	}
	if ((at = strrchr(host, '@')) != NULL) {
		if (at == host) {
			snprintf(err, errlen, "empty label in relay host \"%s\"", url);
			return -1;
		}
		rh->label = xstrndup(host, (size_t)(at - host));
		host = at + 1;
	}
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL || end == host + 1) {
			snprintf(err, errlen, "bad address in relay host \"%s\"", url);
			goto fail;
		}
		rh->host = xstrndup(host + 1, (size_t)(end - host - 1));
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL) {
			snprintf(err, errlen, "bad relay host \"%s\"", url);
			goto fail;
		}
	} else if ((colon = strchr(host, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		rh->host = xstrndup(host, (size_t)(colon - host));
	} else {
		/* No port, or a bare IPv6 address whose colons are not a port. */
		rh->host = xstrdup(host);
		colon = NULL;
	}
	if (rh->host[0] == '\0') {
		snprintf(err, errlen, "missing host in relay host \"%s\"", url);
		goto fail;
	}
	if (colon != NULL && parse_port(colon + 1, &rh->port, use_services) == -1) {
		snprintf(err, errlen, "invalid port in relay host \"%s\"", url);
		goto fail;
	}
	if (rh->port == 0) {
		snprintf(err, errlen, "lmtp relay host \"%s\" needs a port", url);
		goto fail;
	}
	return 0;

fail:
	x_free(&rh->label);
	x_free(&rh->host);
	return -1;
}

static int
opt_string(struct parser *p, char **dst, const char *opt)
{
	char	*s;

	if ((s = p_string(p, opt)) == NULL)
		return -1;
	if (*dst != NULL) {
		perr(p, p->dfile, p->dline, "action option %s given twice", opt);
		free(s);
		return -1;
	}
	*dst = s;
	return 0;
}

static int
opt_table(struct parser *p, struct table **dst, const char *opt)
{
	if (*dst != NULL) {
		perr(p, p->dfile, p->dline, "action option %s given twice", opt);
		return -1;
	}
	*dst = p_table_arg(p, 0, opt);
	return *dst ? 0 : -1;
}

/* quota SIZE|none: the limit of a Maildir whose maildirsize names none. */
static int
opt_quota(struct parser *p, struct action *a)
{
	long long	 n;
	char		*s;

	if ((s = p_string(p, "a size after quota")) == NULL)
		return -1;
	if (strcmp(s, "none") == 0)
		n = 0;
	else if ((n = conf_parse_size(s)) <= 0) {
		perr(p, p->dfile, p->dline, "quota takes a size (\"500M\", \"2G\") "
		    "or none, not \"%s\"", s);
		free(s);
		return -1;
	}
	free(s);
	if (a->quota) {
		perr(p, p->dfile, p->dline, "action option quota given twice");
		return -1;
	}
	a->quota = (unsigned long long)n;
	return 0;
}

static int
action_option(struct parser *p, struct action *a, const char *kw)
{
	char	 err[256], *s;
	int	 relay = a->method == ACTION_RELAY;

	if (!in_list(relay ? relay_opts : local_opts, kw)) {
		if (in_list(relay ? local_opts : relay_opts, kw))
			perr(p, p->dfile, p->dline, "action option \"%s\" is not valid for %s",
			    kw, relay ? "relay actions" : "local delivery");
		else
			perr(p, p->dfile, p->dline, "unknown action option \"%s\"", kw);
		return -1;
	}
	if (strcmp(kw, "ttl") == 0) {
		if (a->ttl) {
			perr(p, p->dfile, p->dline, "action option ttl given twice");
			return -1;
		}
		return p_delay(p, "ttl", &a->ttl);
	}
	if (strcmp(kw, "quota") == 0)
		return opt_quota(p, a);
	if (strcmp(kw, "over-quota") == 0) {
		if ((s = p_string(p, "bounce or defer after over-quota")) == NULL)
			return -1;
		if (strcmp(s, "defer") == 0)
			a->over_quota_defer = 1;
		else if (strcmp(s, "bounce") != 0) {
			perr(p, p->dfile, p->dline, "over-quota takes bounce or "
			    "defer, not \"%s\"", s);
			free(s);
			return -1;
		}
		free(s);
		return 0;
	}
	if (strcmp(kw, "alias") == 0)
		return opt_table(p, &a->alias, kw);
	if (strcmp(kw, "virtual") == 0)
		return opt_table(p, &a->virtual, kw);
	if (strcmp(kw, "userbase") == 0)
		return opt_table(p, &a->userbase, kw);
	if (strcmp(kw, "user") == 0)
		return opt_string(p, &a->user, kw);
	if (strcmp(kw, "wrapper") == 0)
		return opt_string(p, &a->wrapper, kw);
	/* relay */
	if (strcmp(kw, "backup") == 0) {
		a->backup = 1;
		if (tok_accept(p, "mx"))
			return opt_string(p, &a->backup_mx, "backup mx");
		return 0;
	}
	if (strcmp(kw, "helo") == 0)
		return opt_string(p, &a->helo, kw);
	if (strcmp(kw, "helo-src") == 0)
		return opt_table(p, &a->helo_src, kw);
	if (strcmp(kw, "domain") == 0)
		return opt_table(p, &a->relay_domain, kw);
	if (strcmp(kw, "auth") == 0)
		return opt_table(p, &a->relay_auth, kw);
	if (strcmp(kw, "pki") == 0)
		return opt_string(p, &a->pki, kw);
	if (strcmp(kw, "ca") == 0)
		return opt_string(p, &a->ca, kw);
	if (strcmp(kw, "mail-from") == 0)
		return opt_string(p, &a->mail_from, kw);
	if (strcmp(kw, "srs") == 0) {
		a->srs = 1;
		return 0;
	}
	if (strcmp(kw, "tls") == 0) {
		a->tls = 1;
		if (tok_accept(p, "no-verify"))
			a->tls_noverify = 1;
		return 0;
	}
	if (strcmp(kw, "src") == 0) {
		if (tok_peek(p)->type == T_LT || tok_peek(p)->type == T_LBRACE)
			return opt_table(p, &a->src_table, kw);
		return opt_string(p, &a->src, kw);
	}
	/* host */
	if (a->host != NULL) {
		perr(p, p->dfile, p->dline, "action option host given twice");
		return -1;
	}
	if ((s = p_string(p, "a relay URL")) == NULL)
		return -1;
	a->host = xcalloc(1, sizeof(*a->host));
	if (conf_parse_relay_url(s, a->host, err, sizeof(err), p->allow_fs) == -1) {
		perr(p, p->dfile, p->dline, "%s", err);
		x_free(&a->host);
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

static int
action_method(struct parser *p, struct action *a)
{
	struct token	*t;
	char		*m;
	int		 r = 0;

	if ((m = p_string(p, "a delivery method")) == NULL)
		return -1;
	if (strcmp(m, "maildir") == 0) {
		a->method = ACTION_MAILDIR;
		t = tok_peek(p);
		if (t->type == T_STRING || (t->type == T_WORD && !tok_is(p, "junk") &&
		    !in_list(local_opts, t->text) && !in_list(relay_opts, t->text)))
			a->path = tok_take_text(p);
		if (tok_accept(p, "junk"))
			a->junk = 1;
		if (a->path)
			r = p_format(p, a->path, p->dfile, p->dline, "maildir path");
	} else if (strcmp(m, "mbox") == 0) {
		a->method = ACTION_MBOX;
	} else if (strcmp(m, "mda") == 0) {
		a->method = ACTION_MDA;
		if ((a->command = p_string(p, "an mda command")) == NULL)
			r = -1;
		else
			r = p_format(p, a->command, p->dfile, p->dline, "mda command");
	} else if (strcmp(m, "lmtp") == 0) {
		a->method = ACTION_LMTP;
		if ((a->command = p_string(p, "an lmtp destination")) == NULL)
			r = -1;
		else if (tok_accept(p, "rcpt-to"))
			a->lmtp_rcpt_to = 1;
	} else if (strcmp(m, "relay") == 0) {
		a->method = ACTION_RELAY;
	} else if (strcmp(m, "expand-only") == 0) {
		a->method = ACTION_EXPAND_ONLY;
	} else if (strcmp(m, "forward-only") == 0) {
		a->method = ACTION_FORWARD_ONLY;
	} else {
		perr(p, p->dfile, p->dline, "unknown delivery method \"%s\"", m);
		r = -1;
	}
	free(m);
	return r;
}

static int
action_check(struct parser *p, struct action *a)
{
	int	 r = 0;

	if (a->alias && a->virtual) {
		perr(p, p->dfile, p->dline, "alias and virtual are mutually exclusive");
		r = -1;
	}
	if (a->method == ACTION_MBOX && a->user) {
		perr(p, p->dfile, p->dline, "user is not usable with mbox delivery");
		r = -1;
	}
	if ((a->quota || a->over_quota_defer) && a->method != ACTION_MAILDIR) {
		perr(p, p->dfile, p->dline, "quota and over-quota are only valid "
		    "with maildir delivery");
		r = -1;
	}
	if (a->relay_auth && a->host == NULL) {
		perr(p, p->dfile, p->dline, "auth requires host");
		r = -1;
	}
	if (a->tls && a->host && a->host->proto == RELAY_SMTP_NOTLS) {
		perr(p, p->dfile, p->dline, "tls cannot be used with smtp+notls://");
		r = -1;
	}
	if (a->host && a->relay_domain) {
		perr(p, p->dfile, p->dline, "host and domain are mutually exclusive");
		r = -1;
	}
	if (a->src && a->src_table) {
		perr(p, p->dfile, p->dline, "action option src given twice");
		r = -1;
	}
	return r;
}

int
parse_action(struct parser *p)
{
	struct conf	*c = p->conf;
	struct action	*a;
	struct token	*t;
	char		*kw;
	int		 r;

	a = xcalloc(1, sizeof(*a));
	a->conf_file = p->dfile;
	a->conf_line = p->dline;
	if ((a->name = p_string(p, "an action name")) == NULL) {
		free(a);
		return -1;
	}
	if (conf_action(c, a->name) != NULL)
		perr(p, p->dfile, p->dline, "duplicate action \"%s\"", a->name);
	r = action_method(p, a);
	while (r == 0 && !tok_at_eol(p)) {
		t = tok_peek(p);
		if (t->type != T_WORD) {
			r = perr_unexpected(p, "in action");
			break;
		}
		kw = tok_take_text(p);
		r = action_option(p, a, kw);
		free(kw);
	}
	if (r == 0)
		r = action_check(p, a);
	c->actions = xreallocarray(c->actions, c->nactions + 1, sizeof(*c->actions));
	c->actions[c->nactions++] = a;
	return r;
}
