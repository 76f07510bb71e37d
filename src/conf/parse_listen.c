/* The listen on directive: SMTP, IMAP and POP3 listeners with their options. */
#include <netdb.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/xalloc.h"

/* Service names are looked up here first: /etc/services is missing in many containers. */
static const struct {
	const char	*name;
	int		 port;
} services[] = {
	{ "smtp", 25 }, { "submission", 587 }, { "submissions", 465 },
	{ "smtps", 465 }, { "urd", 465 }, { "imap", 143 }, { "imap2", 143 },
	{ "imaps", 993 }, { "pop3", 110 }, { "pop3s", 995 }, { "lmtp", 24 },
};

int
parse_port(const char *s, int *port, int use_services)
{
	struct servent	*se;
	long		 v;
	char		*end;
	size_t		 i;

	if (isdigit((unsigned char)s[0])) {
		v = strtol(s, &end, 10);
		if (*end != '\0' || v < 1 || v > 65535)
			return -1;
		*port = (int)v;
		return 0;
	}
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strcmp(services[i].name, s) == 0) {
			*port = services[i].port;
			return 0;
		}
	if (use_services && (se = getservbyname(s, "tcp")) != NULL) {
		*port = ntohs((unsigned short)se->s_port);
		return 0;
	}
	return -1;
}

/* filter { a, b } on a listener: an anonymous chain named after its members. */
static char *
listener_chain(struct parser *p, struct listener *l)
{
	struct conf	*c = p->conf;
	struct filter	*f;
	struct token	*t;
	char		*name, *tmp;

	f = xcalloc(1, sizeof(*f));
	f->kind = FILTER_CHAIN;
	f->conf_file = p->dfile;
	f->conf_line = p->dline;
	tok_advance(p);		/* '{' */
	name = xstrdup("{");
	for (;;) {
		while ((t = tok_peek(p))->type == T_COMMA || t->type == T_NL)
			tok_advance(p);
		if (t->type == T_RBRACE)
			break;
		if (t->type != T_WORD && t->type != T_STRING) {
			perr_unexpected(p, "in filter list");
			goto fail;
		}
		f->chain = xreallocarray(f->chain, f->nchain + 1, sizeof(*f->chain));
		f->chain[f->nchain++] = tok_take_text(p);
		tmp = xasprintf("%s%s%s", name, f->nchain > 1 ? ", " : "",
		    f->chain[f->nchain - 1]);
		free(name);
		name = tmp;
	}
	tok_advance(p);
	if (f->nchain == 0) {
		perr(p, p->dfile, p->dline, "empty filter list");
		goto fail;
	}
	tmp = xasprintf("%s}", name);
	free(name);
	f->name = tmp;
	(void)l;
	c->filters = xreallocarray(c->filters, c->nfilters + 1, sizeof(*c->filters));
	c->filters[c->nfilters++] = f;
	return xstrdup(f->name);

fail:
	free(name);
	for (size_t i = 0; i < f->nchain; i++)
		free(f->chain[i]);
	free(f->chain);
	free(f);
	return NULL;
}

/* A string option that may be given once. */
static int
once(struct parser *p, char **dst, const char *opt)
{
	char	*s;

	if ((s = p_string(p, opt)) == NULL)
		return -1;
	if (*dst != NULL) {
		perr(p, p->dfile, p->dline, "listen option %s given twice", opt);
		free(s);
		return -1;
	}
	*dst = s;
	return 0;
}

static int
listen_option(struct parser *p, struct listener *l, const char *kw, int *smtps)
{
	struct token	*t;
	char		*s;

	if (strcmp(kw, "inet4") == 0 || strcmp(kw, "inet6") == 0) {
		if (l->family != AF_UNSPEC) {
			perr(p, p->dfile, p->dline, "address family given twice");
			return -1;
		}
		l->family = kw[4] == '4' ? AF_INET : AF_INET6;
	} else if (strcmp(kw, "port") == 0) {
		if ((s = p_string(p, "a port")) == NULL)
			return -1;
		if (l->port != 0) {
			/* Which one would be meant? Both are not listened on. */
			perr(p, p->dfile, p->dline, "port given twice");
			free(s);
			return -1;
		}
		if (parse_port(s, &l->port, p->allow_fs) == -1) {
			perr(p, p->dfile, p->dline, "invalid port \"%s\"", s);
			free(s);
			return -1;
		}
		free(s);
	} else if (strcmp(kw, "tls") == 0) {
		l->flags |= LF_TLS;
	} else if (strcmp(kw, "tls-require") == 0) {
		l->flags |= LF_TLS | LF_TLS_REQUIRE;
		if (tok_accept(p, "verify"))
			l->flags |= LF_TLS_VERIFY;
	} else if (strcmp(kw, "smtps") == 0) {
		l->flags |= LF_IMPLICIT_TLS;
		*smtps = 1;
	} else if (strcmp(kw, "pki") == 0) {
		return once(p, &l->pki, "pki");
	} else if (strcmp(kw, "ca") == 0) {
		return once(p, &l->ca, "ca");
	} else if (strcmp(kw, "hostname") == 0) {
		return once(p, &l->hostname, "hostname");
	} else if (strcmp(kw, "tag") == 0) {
		return once(p, &l->tag, "tag");
	} else if (strcmp(kw, "auth") == 0 || strcmp(kw, "auth-optional") == 0) {
		l->flags |= kw[4] ? LF_AUTH_OPTIONAL : LF_AUTH;
		t = tok_peek(p);
		if (t->type == T_LT || t->type == T_LBRACE) {
			if (l->auth != NULL) {
				perr(p, p->dfile, p->dline, "auth table given twice");
				return -1;
			}
			if ((l->auth = p_table_arg(p, 0, "auth table")) == NULL)
				return -1;
		}
	} else if (strcmp(kw, "hostnames") == 0) {
		if (l->hostnames != NULL) {
			perr(p, p->dfile, p->dline, "listen option hostnames given twice");
			return -1;
		}
		if ((l->hostnames = p_table_arg(p, 0, "after hostnames")) == NULL)
			return -1;
	} else if (strcmp(kw, "senders") == 0) {
		if (l->senders != NULL) {
			perr(p, p->dfile, p->dline, "listen option senders given twice");
			return -1;
		}
		if ((l->senders = p_table_arg(p, 0, "after senders")) == NULL)
			return -1;
		if (tok_accept(p, "masquerade"))
			l->flags |= LF_MASQUERADE;
	} else if (strcmp(kw, "filter") == 0) {
		if (l->filter != NULL) {
			perr(p, p->dfile, p->dline, "listen option filter given twice");
			return -1;
		}
		if (tok_peek(p)->type == T_LBRACE)
			l->filter = listener_chain(p, l);
		else
			l->filter = p_string(p, "a filter name");
		return l->filter ? 0 : -1;
	} else if (strcmp(kw, "mask-src") == 0) {
		l->flags |= LF_MASK_SRC;
	} else if (strcmp(kw, "received-auth") == 0) {
		l->flags |= LF_RECEIVED_AUTH;
	} else if (strcmp(kw, "no-dsn") == 0) {
		l->flags |= LF_NO_DSN;
	} else if (strcmp(kw, "proxy-v2") == 0) {
		l->flags |= LF_PROXY_V2;
	} else if (strcmp(kw, "imap") == 0 || strcmp(kw, "imaps") == 0 ||
	    strcmp(kw, "pop3") == 0 || strcmp(kw, "pop3s") == 0) {
		if (l->proto != PROTO_SMTP) {
			perr(p, p->dfile, p->dline, "protocol given twice");
			return -1;
		}
		l->proto = kw[0] == 'i' ? PROTO_IMAP : PROTO_POP3;
		if (kw[4] == 's')
			l->flags |= LF_IMPLICIT_TLS;
	} else if (strcmp(kw, "maildir") == 0) {
		if (once(p, &l->maildir, "maildir") == -1)
			return -1;
		return p_format(p, l->maildir, p->dfile, p->dline, "maildir");
	} else {
		perr(p, p->dfile, p->dline, "unknown listen option \"%s\"", kw);
		return -1;
	}
	return 0;
}

/* Combinations that cannot work, found once the whole line is read. */
static int
listen_check(struct parser *p, struct listener *l, int smtps)
{
	const char	*proto = l->proto == PROTO_IMAP ? "imap" : "pop3";
	int		 bad = 0;

	if (smtps && (l->flags & LF_TLS)) {
		perr(p, p->dfile, p->dline, "tls and smtps are mutually exclusive");
		bad = 1;
	}
	if ((l->flags & LF_AUTH) && (l->flags & LF_AUTH_OPTIONAL)) {
		perr(p, p->dfile, p->dline, "auth and auth-optional are mutually exclusive");
		bad = 1;
	}
	if (l->proto == PROTO_SMTP) {
		if (l->maildir) {
			perr(p, p->dfile, p->dline,
			    "maildir is only valid on imap and pop3 listeners");
			bad = 1;
		}
		if (l->port == 0)
			l->port = smtps ? 465 : 25;
		return bad ? -1 : 0;
	}
	if (smtps) {
		perr(p, p->dfile, p->dline, "smtps on a %s listener: use %ss", proto, proto);
		bad = 1;
	}
	if ((l->flags & LF_IMPLICIT_TLS) && (l->flags & LF_TLS)) {
		perr(p, p->dfile, p->dline, "tls and %ss are mutually exclusive", proto);
		bad = 1;
	}
	if (l->auth == NULL) {
		perr(p, p->dfile, p->dline, "%s listener requires auth <table>", proto);
		bad = 1;
	}
	if (l->flags & (LF_AUTH_OPTIONAL | LF_MASK_SRC | LF_RECEIVED_AUTH | LF_NO_DSN |
	    LF_PROXY_V2 | LF_MASQUERADE) || l->senders || l->filter || l->hostnames) {
		perr(p, p->dfile, p->dline, "%s listener with an SMTP-only option", proto);
		bad = 1;
	}
	l->flags |= LF_AUTH;
	if (l->port == 0) {
		if (l->proto == PROTO_IMAP)
			l->port = (l->flags & LF_IMPLICIT_TLS) ? 993 : 143;
		else
			l->port = (l->flags & LF_IMPLICIT_TLS) ? 995 : 110;
	}
	return bad ? -1 : 0;
}

void
listener_free(struct listener *l)
{
	free(l->on);
	free(l->pki);
	free(l->ca);
	free(l->hostname);
	free(l->tag);
	free(l->filter);
	free(l->maildir);
	free(l);
}

int
parse_listen(struct parser *p)
{
	struct conf	*c = p->conf;
	struct listener	*l;
	struct token	*t;
	char		*kw;
	int		 smtps = 0, r = 0;

	if (!tok_accept(p, "on"))
		return perr_unexpected(p, "after listen (expected on)");
	l = xcalloc(1, sizeof(*l));
	l->proto = PROTO_SMTP;
	l->family = AF_UNSPEC;
	l->conf_file = p->dfile;
	l->conf_line = p->dline;
	if (tok_accept(p, "socket")) {
		l->on = xstrdup("socket");
		l->flags |= LF_SOCKET;
	} else if ((l->on = p_string(p, "an interface, address or host name")) == NULL) {
		listener_free(l);
		return -1;
	}
	while (!tok_at_eol(p)) {
		t = tok_peek(p);
		if (t->type != T_WORD) {
			r = perr_unexpected(p, "in listen on");
			break;
		}
		kw = tok_take_text(p);
		if ((l->flags & LF_SOCKET) && strcmp(kw, "filter") != 0 &&
		    strcmp(kw, "mask-src") != 0 && strcmp(kw, "tag") != 0) {
			perr(p, p->dfile, p->dline,
			    "listen on socket accepts only filter, mask-src and tag, not \"%s\"",
			    kw);
			free(kw);
			r = -1;
			break;
		}
		r = listen_option(p, l, kw, &smtps);
		free(kw);
		if (r == -1)
			break;
	}
	if (r == 0 && !(l->flags & LF_SOCKET))
		r = listen_check(p, l, smtps);
	/* Keep even a faulty listener: later checks still see its references. */
	c->listeners = xreallocarray(c->listeners, c->nlisteners + 1, sizeof(*c->listeners));
	c->listeners[c->nlisteners++] = l;
	return r;
}
