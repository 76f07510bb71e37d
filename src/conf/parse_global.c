/* Top-level directives: macros, include, table, pki, ca and the global settings. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "lib/tls.h"
#include "lib/xalloc.h"

#define APPEND(arr, n, v) do {						\
	(arr) = xreallocarray((arr), (n) + 1, sizeof(*(arr)));		\
	(arr)[(n)++] = (v);						\
} while (0)

/* A one-string directive such as hostname "x"; the last one given wins. */
/* A file table's content, from the disk or from the bundle of a reload. */
static int
p_table_file(struct parser *p, struct table *t, const char **errstr)
{
	static char	 err[512];
	char		*data;
	size_t		 len;
	int		 withheld, r;

	if (p_read_file(p, BUNDLE_TABLE, t->path, TABLE_FILE_MAX, &data, &len,
	    &withheld) == -1) {
		snprintf(err, sizeof(err), "%s: %s", t->path, errno == EFBIG ?
		    "file too large (over 256 MiB)" : errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		*errstr = err;
		return -1;
	}
	r = table_load_buffer(t, data, len, errstr);
	explicit_bzero(data, len);
	free(data);
	return r;
}

static int
set_string(struct parser *p, char **dst, const char *what, int is_path)
{
	char	*s;

	if ((s = p_string(p, what)) == NULL)
		return -1;
	if (*s == '\0') {
		perr(p, p->dfile, p->dline, "empty %s", what);
		free(s);
		return -1;
	}
	free(*dst);
	*dst = is_path ? p_path(s, p->dfile) : xstrdup(s);
	free(s);
	return 0;
}

static int
d_hostname(struct parser *p)
{
	return set_string(p, &p->conf->hostname, "host name", 0);
}

static int
d_spool(struct parser *p)
{
	return set_string(p, &p->conf->spool, "spool directory", 1);
}

static int
d_socket(struct parser *p)
{
	return set_string(p, &p->conf->socket, "socket path", 1);
}

static int
d_user(struct parser *p)
{
	return set_string(p, &p->conf->user, "user name", 0);
}

static int
d_admd(struct parser *p)
{
	/* The authserv-id of the mail-auth filter's Authentication-Results. */
	return set_string(p, &p->conf->admd, "authserv-id", 0);
}

static int
d_resolver(struct parser *p)
{
	struct conf	*c = p->conf;
	struct resolver	 r;
	unsigned char	 a[16];
	long long	 port = 53;
	char		*addr;

	if ((addr = p_string(p, "a resolver address")) == NULL)
		return -1;
	if (inet_pton(AF_INET, addr, a) != 1 && inet_pton(AF_INET6, addr, a) != 1) {
		perr(p, p->dfile, p->dline, "resolver \"%s\": not an IP address", addr);
		free(addr);
		return -1;
	}
	if (tok_accept(p, "port") && p_number(p, "port", 1, 65535, &port) == -1) {
		free(addr);
		return -1;
	}
	r.addr = addr;
	r.port = (int)port;
	APPEND(c->resolvers, c->nresolvers, r);
	return 0;
}

/* "file:/path", "/path", "db:..." (refused), "NAME:..." (unknown backend). */
static int
table_path(struct parser *p, const char *spec, char **path)
{
	const char	*colon = strchr(spec, ':');
	size_t		 i;

	*path = NULL;
	if (strncmp(spec, "db:", 3) == 0) {
		perr(p, p->dfile, p->dline, "db tables are not supported, use file:");
		return -1;
	}
	if (strncmp(spec, "file:", 5) == 0)
		spec += 5;
	else if (colon != NULL && colon != spec) {
		for (i = 0; spec + i < colon && (isalnum((unsigned char)spec[i]) ||
		    spec[i] == '-' || spec[i] == '_'); i++)
			;
		if (spec + i == colon) {
			perr(p, p->dfile, p->dline, "table backend \"%.*s\" is not supported, "
			    "use file:", (int)i, spec);
			return -1;
		}
	}
	if (*spec == '\0') {
		perr(p, p->dfile, p->dline, "empty table path");
		return -1;
	}
	*path = p_path(spec, p->dfile);
	return 0;
}

static int
d_table(struct parser *p)
{
	struct conf	*c = p->conf;
	struct table	*t;
	const char	*err;
	char		*name, *spec, *path;
	size_t		 plen;
	int		 dup;

	if ((name = p_string(p, "a table name")) == NULL)
		return -1;
	dup = conf_table(c, name) != NULL;
	if (dup)
		perr(p, p->dfile, p->dline, "duplicate table \"%s\"", name);
	if (tok_peek(p)->type == T_LBRACE) {
		t = table_new(name, TABLE_INLINE_LIST, NULL);
		t->conf_file = p->dfile;
		t->conf_line = p->dline;
		free(name);
		if (p_inline_table(p, t) == -1 || dup) {
			table_free(t);
			return -1;
		}
		APPEND(c->tables, c->ntables, t);
		return 0;
	}
	if ((spec = p_string(p, "a table path or '{'")) == NULL ||
	    table_path(p, spec, &path) == -1) {
		free(name);
		free(spec);
		return -1;
	}
	free(spec);
	t = table_new(name, TABLE_FILE, path);
	t->conf_file = p->dfile;
	t->conf_line = p->dline;
	free(name);
	free(path);
	if (p->allow_fs && p_table_file(p, t, &err) == -1) {
		/* A bad line names the table file; an unreadable file the directive. */
		plen = strlen(t->path);
		if (strncmp(err, t->path, plen) == 0 && err[plen] == ':' &&
		    isdigit((unsigned char)err[plen + 1]))
			perr_msg(p, err);
		else
			perr(p, p->dfile, p->dline, "table %s: %s", t->name, err);
	}
	if (dup) {
		table_free(t);
		return 0;
	}
	APPEND(c->tables, c->ntables, t);
	return 0;
}

static int
d_pki(struct parser *p)
{
	struct conf	*c = p->conf;
	struct pki	*k;
	char		*name, *v, **dst;
	const char	*what, *err;

	if ((name = p_string(p, "a pki name")) == NULL)
		return -1;
	if ((k = conf_pki(c, name)) == NULL) {
		k = xcalloc(1, sizeof(*k));
		k->name = name;
		k->conf_file = p->dfile;
		k->conf_line = p->dline;
		APPEND(c->pkis, c->npkis, k);
	} else
		free(name);
	if (tok_accept(p, "cert")) {
		dst = &k->cert;
		what = "cert";
	} else if (tok_accept(p, "key")) {
		dst = &k->key;
		what = "key";
	} else if (tok_accept(p, "dhe")) {
		dst = &k->dhe;
		what = "dhe";
	} else
		return perr_unexpected(p, "in pki (expected cert, key or dhe)");
	if ((v = p_string(p, what)) == NULL)
		return -1;
	if (*dst != NULL) {
		perr(p, p->dfile, p->dline, "pki %s: %s given twice", k->name, what);
		free(v);
		return -1;
	}
	if (dst == &k->dhe && strcmp(v, "none") != 0 && strcmp(v, "legacy") != 0 &&
	    strcmp(v, "auto") != 0) {
		perr(p, p->dfile, p->dline, "pki %s: dhe must be none, legacy or auto",
		    k->name);
		free(v);
		return -1;
	}
	*dst = dst == &k->dhe ? xstrdup(v) : p_path(v, p->dfile);
	free(v);
	/* Checked here, not when the daemon loads it, so that -n says it too. */
	if (dst == &k->key && p->checks && tls_key_mode_check(k->key, &err) == -1) {
		perr(p, p->dfile, p->dline, "%s", err);
		return -1;
	}
	return 0;
}

static int
d_ca(struct parser *p)
{
	struct conf	*c = p->conf;
	struct ca	*ca;
	char		*name, *v;
	size_t		 i;

	if ((name = p_string(p, "a ca name")) == NULL)
		return -1;
	if (!tok_accept(p, "cert")) {
		free(name);
		return perr_unexpected(p, "in ca (expected cert)");
	}
	if ((v = p_string(p, "a certificate file")) == NULL) {
		free(name);
		return -1;
	}
	for (i = 0; i < c->ncas; i++)
		if (strcmp(c->cas[i]->name, name) == 0) {
			perr(p, p->dfile, p->dline, "duplicate ca \"%s\"", name);
			free(name);
			free(v);
			return -1;
		}
	ca = xcalloc(1, sizeof(*ca));
	ca->name = name;
	ca->cert = p_path(v, p->dfile);
	ca->conf_file = p->dfile;
	ca->conf_line = p->dline;
	free(v);
	APPEND(c->cas, c->ncas, ca);
	return 0;
}

static int
d_mda(struct parser *p)
{
	struct conf		*c = p->conf;
	struct mda_wrapper	*w;
	char			*name, *cmd;
	size_t			 i;

	if (!tok_accept(p, "wrapper"))
		return perr_unexpected(p, "after mda (expected wrapper)");
	if ((name = p_string(p, "a wrapper name")) == NULL)
		return -1;
	if ((cmd = p_string(p, "a wrapper command")) == NULL) {
		free(name);
		return -1;
	}
	for (i = 0; i < c->nwrappers; i++)
		if (strcmp(c->wrappers[i]->name, name) == 0) {
			perr(p, p->dfile, p->dline, "duplicate mda wrapper \"%s\"", name);
			free(name);
			free(cmd);
			return -1;
		}
	p_format(p, cmd, p->dfile, p->dline, "mda wrapper command");
	w = xcalloc(1, sizeof(*w));
	w->name = name;
	w->command = cmd;
	APPEND(c->wrappers, c->nwrappers, w);
	return 0;
}

static int
d_mta(struct parser *p)
{
	long long	 n;

	if (!tok_accept(p, "max-deferred"))
		return perr_unexpected(p, "after mta (expected max-deferred)");
	if (p_number(p, "max-deferred", 0, 1000000, &n) == -1)
		return -1;
	p->conf->mta_max_deferred = (unsigned)n;
	pwarn(p, p->dfile, p->dline, "mta max-deferred is not applied by this "
	    "version");
	return 0;
}

static int
d_queue(struct parser *p)
{
	struct conf	*c = p->conf;

	if (tok_accept(p, "ttl"))
		return p_delay(p, "queue ttl", &c->queue_ttl);
	if (tok_accept(p, "backoff")) {
		/* Postfix's minimal_backoff_time and maximal_backoff_time. */
		if (p_delay(p, "queue backoff minimum", &c->backoff_min) == -1 ||
		    p_delay(p, "queue backoff maximum", &c->backoff_max) == -1)
			return -1;
		if (c->backoff_min < 1 || c->backoff_max < c->backoff_min) {
			perr(p, p->dfile, p->dline, "queue backoff: the maximum "
			    "must be at least the minimum, both at least 1s");
			return -1;
		}
		return 0;
	}
	if (tok_accept(p, "compression")) {
		c->queue_compression = 1;
		pwarn(p, p->dfile, p->dline, "queue compression is not applied by "
		    "this version: queue files are stored as they came");
		return 0;
	}
	if (tok_accept(p, "encryption")) {
		free(c->queue_encryption);
		c->queue_encryption = tok_at_eol(p) ? xstrdup("") :
		    p_string(p, "an encryption key");
		/*
		 * Asked for encrypted queue files, plain ones are worse than
		 * a refusal: an error, not a warning.
		 */
		if (c->queue_encryption != NULL)
			perr(p, p->dfile, p->dline, "queue encryption is not "
			    "implemented by this version: without it queue files "
			    "are stored unencrypted");
		return c->queue_encryption ? 0 : -1;
	}
	return perr_unexpected(p, "after queue (expected ttl, backoff, compression or encryption)");
}

static int
d_bounce(struct parser *p)
{
	struct conf	*c = p->conf;
	time_t		 d;

	if (!tok_accept(p, "warn-interval"))
		return perr_unexpected(p, "after bounce (expected warn-interval)");
	c->nbounce_warn = 0;
	for (;;) {
		if (p_delay(p, "warn-interval delay", &d) == -1)
			return -1;
		if (c->nbounce_warn == 4) {
			perr(p, p->dfile, p->dline, "at most 4 warn-interval delays");
			return -1;
		}
		c->bounce_warn[c->nbounce_warn++] = d;
		if (tok_peek(p)->type != T_COMMA)
			break;
		tok_advance(p);
	}
	return 0;
}

/* smtp auth-throttle FAILS [within DELAY] [ban DELAY] */
static int
smtp_auth_throttle(struct parser *p)
{
	struct conf	*c = p->conf;
	long long	 n;

	if (p_number(p, "auth-throttle failures", 1, 100000, &n) == -1)
		return -1;
	c->auth_throttle_fails = (unsigned)n;
	for (;;) {
		if (tok_accept(p, "within")) {
			if (p_delay(p, "within delay", &c->auth_throttle_within) == -1)
				return -1;
		} else if (tok_accept(p, "ban")) {
			if (p_delay(p, "ban delay", &c->auth_ban) == -1)
				return -1;
		} else if (tok_at_eol(p))
			return 0;
		else
			return perr_unexpected(p,
			    "after smtp auth-throttle (expected within or ban)");
	}
}

/* max-connection-rate N/DELAY: connections from one client address within DELAY. */
static int
smtp_conn_rate(struct parser *p)
{
	struct conf	*c = p->conf;
	char		*s, *slash, *end;
	long long	 window;
	unsigned long	 n;

	if ((s = p_string(p, "a rate (N/DELAY)")) == NULL)
		return -1;
	if ((slash = strchr(s, '/')) == NULL)
		goto bad;
	*slash = '\0';
	n = strtoul(s, &end, 10);
	if (end == s || *end != '\0' || n > 1000000 || s[0] == '-')
		goto bad;
	if ((window = conf_parse_delay(slash + 1)) <= 0 || window > 86400)
		goto bad;
	c->conn_rate_max = (unsigned)n;
	c->conn_rate_window = (time_t)window;
	free(s);
	return 0;
bad:
	perr(p, p->dfile, p->dline, "max-connection-rate wants N/DELAY "
	    "(e.g. 30/60s; N up to 1000000, DELAY up to 1d; 0/60s: no limit)");
	free(s);
	return -1;
}

/* smtp timeout command|data|session|dnsbl DELAY ... (any of them, in any order) */
static int
smtp_timeouts(struct parser *p)
{
	struct conf	*c = p->conf;
	time_t		*dst;
	long long	 d, max;
	char		*s;
	int		 any = 0;

	for (;;) {
		if (tok_accept(p, "command")) {
			dst = &c->smtp_timeout_command;
			max = 3600;
		} else if (tok_accept(p, "data")) {
			dst = &c->smtp_timeout_data;
			max = 86400;
		} else if (tok_accept(p, "session")) {
			dst = &c->smtp_timeout_session;
			max = 7 * 86400;
		} else if (tok_accept(p, "dnsbl")) {
			dst = &c->dnsbl_timeout;
			max = 60;
		} else if (any && tok_at_eol(p))
			return 0;
		else
			return perr_unexpected(p, "after smtp timeout (expected "
			    "command, data, session or dnsbl)");
		if ((s = p_string(p, "a delay")) == NULL)
			return -1;
		d = conf_parse_delay(s);
		if (d <= 0 || d > max) {
			perr(p, p->dfile, p->dline, "invalid timeout \"%s\" (from 1s "
			    "to %llds)", s, max);
			free(s);
			return -1;
		}
		free(s);
		*dst = (time_t)d;
		any = 1;
	}
}

static int
d_smtp(struct parser *p)
{
	struct conf	*c = p->conf;
	long long	 n, size;
	char		*s;
	int		 any = 0;

	if (tok_accept(p, "auth-throttle"))
		return smtp_auth_throttle(p);
	if (tok_accept(p, "auth-cost")) {
		if (p_number(p, "auth-cost", 4, 31, &n) == -1)
			return -1;
		c->auth_cost = (int)n;
		return 0;
	}
	if (tok_accept(p, "ciphers")) {
		if ((s = p_string(p, "a cipher list")) == NULL)
			return -1;
		free(c->smtp_ciphers);
		c->smtp_ciphers = s;
		return 0;
	}
	if (tok_accept(p, "limit")) {
		for (;;) {
			if (tok_accept(p, "max-mails")) {
				if (p_number(p, "max-mails", 1, 1000000, &n) == -1)
					return -1;
				c->max_mails = (unsigned)n;
			} else if (tok_accept(p, "max-rcpt")) {
				if (p_number(p, "max-rcpt", 1, 1000000, &n) == -1)
					return -1;
				c->max_rcpt = (unsigned)n;
			} else if (tok_accept(p, "max-sessions")) {
				if (p_number(p, "max-sessions", 1, 1000000, &n) == -1)
					return -1;
				c->max_sessions = (unsigned)n;
			} else if (tok_accept(p, "max-sessions-per-address")) {
				/* 0: no limit per address. */
				if (p_number(p, "max-sessions-per-address", 0, 1000000,
				    &n) == -1)
					return -1;
				c->max_sessions_per_addr = (unsigned)n;
			} else if (tok_accept(p, "max-connection-rate")) {
				if (smtp_conn_rate(p) == -1)
					return -1;
			} else if (any && tok_at_eol(p))
				return 0;
			else
				return perr_unexpected(p, "after smtp limit (expected "
				    "max-mails, max-rcpt, max-sessions, "
				    "max-sessions-per-address or max-connection-rate)");
			any = 1;
		}
	}
	if (tok_accept(p, "timeout"))
		return smtp_timeouts(p);
	if (tok_accept(p, "max-message-size")) {
		if ((s = p_string(p, "a size")) == NULL)
			return -1;
		if ((size = conf_parse_size(s)) <= 0) {
			perr(p, p->dfile, p->dline, "invalid max-message-size \"%s\"", s);
			free(s);
			return -1;
		}
		free(s);
		c->max_message_size = (size_t)size;
		return 0;
	}
	if (tok_accept(p, "sub-addr-delim")) {
		if ((s = p_string(p, "a character")) == NULL)
			return -1;
		if (strlen(s) != 1 || !isgraph((unsigned char)s[0]) || s[0] == '@') {
			perr(p, p->dfile, p->dline, "sub-addr-delim must be one printable "
			    "character other than '@'");
			free(s);
			return -1;
		}
		c->sub_addr_delim = s[0];
		free(s);
		return 0;
	}
	return perr_unexpected(p, "after smtp");
}

static int
d_srs(struct parser *p)
{
	struct conf	*c = p->conf;
	char		*s, **dst;

	if (tok_accept(p, "ttl"))
		return p_delay(p, "srs ttl", &c->srs_ttl);
	if (!tok_accept(p, "key"))
		return perr_unexpected(p, "after srs (expected key or ttl)");
	dst = tok_accept(p, "backup") ? &c->srs_key_backup : &c->srs_key;
	if ((s = p_string(p, "an srs secret")) == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

static int
d_proc(struct parser *p)
{
	struct conf	*c = p->conf;
	char		*name, *cmd, *u;

	if ((name = p_string(p, "a proc name")) == NULL)
		return -1;
	if ((cmd = p_string(p, "a proc command")) == NULL) {
		free(name);
		return -1;
	}
	/* user and group are accepted as for proc-exec; processes run as given. */
	while (tok_is(p, "user") || tok_is(p, "group")) {
		tok_advance(p);
		if ((u = p_string(p, "a user or group")) == NULL) {
			free(name);
			free(cmd);
			return -1;
		}
		free(u);
	}
	if (conf_proc(c, name) != NULL) {
		perr(p, p->dfile, p->dline, "duplicate proc \"%s\"", name);
		free(name);
		free(cmd);
		return -1;
	}
	APPEND(c->procs, c->nprocs, xasprintf("%s %s", name, cmd));
	free(name);
	free(cmd);
	return 0;
}

static int
d_macro(struct parser *p, char *name)
{
	char	*value, *old;
	size_t	 i;

	tok_advance(p);		/* '=' */
	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_') {
			perr(p, p->dfile, p->dline, "invalid macro name \"%s\"", name);
			return -1;
		}
	if (lex_is_keyword(name)) {
		perr(p, p->dfile, p->dline, "macro name \"%s\" is a reserved word", name);
		return -1;
	}
	if ((value = p_string(p, "a macro value")) == NULL)
		return -1;
	old = map_set(p->macros, name, value);
	free(old);
	return 0;
}

static int
d_include(struct parser *p)
{
	struct token	*t;
	char		*s, *path;

	if ((s = p_string(p, "an include path")) == NULL)
		return -1;
	t = tok_peek(p);
	if (t->type != T_NL && t->type != T_EOF) {
		free(s);
		return perr_unexpected(p, "after include path");
	}
	tok_advance(p);
	if (!p->allow_fs) {
		perr(p, p->dfile, p->dline, "include is not allowed here");
		free(s);
		return 1;
	}
	if (p->depth >= CONF_INCLUDE_DEPTH) {
		perr(p, p->dfile, p->dline, "include \"%s\": nested too deeply", s);
		free(s);
		return 1;
	}
	path = p_path(s, p->dfile);
	lex_push_file(p, path, s, p->dfile, p->dline);
	free(path);
	free(s);
	return 1;
}

static const struct {
	const char	*keyword;
	int		(*parse)(struct parser *);
} directives[] = {
	{ "action",	parse_action },
	{ "admd",	d_admd },
	{ "bounce",	d_bounce },
	{ "ca",		d_ca },
	{ "filter",	parse_filter },
	{ "hostname",	d_hostname },
	{ "include",	d_include },
	{ "listen",	parse_listen },
	{ "match",	parse_match },
	{ "mda",	d_mda },
	{ "mta",	d_mta },
	{ "pki",	d_pki },
	{ "proc",	d_proc },
	{ "queue",	d_queue },
	{ "resolver",	d_resolver },
	{ "smtp",	d_smtp },
	{ "socket",	d_socket },
	{ "spool",	d_spool },
	{ "srs",	d_srs },
	{ "table",	d_table },
	{ "user",	d_user },
};

void
parse_all(struct parser *p)
{
	struct token	*t;
	char		*word;
	size_t		 i;
	int		 r;

	for (;;) {
		t = tok_peek(p);
		if (t->type == T_EOF)
			return;
		if (t->type == T_NL) {
			tok_advance(p);
			continue;
		}
		if (t->type != T_WORD) {
			perr_unexpected(p, "at the start of a line");
			tok_skip_line(p);
			continue;
		}
		p->dfile = t->file;
		p->dline = t->line;
		for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
			if (strcmp(t->text, directives[i].keyword) == 0)
				break;
		word = tok_take_text(p);
		if (i < sizeof(directives) / sizeof(directives[0])) {
			r = directives[i].parse(p);
		} else if (tok_peek(p)->type == T_EQ) {
			r = d_macro(p, word);
		} else {
			perr(p, p->dfile, p->dline, "unknown keyword \"%s\"", word);
			r = -1;
		}
		free(word);
		if (r == 1)
			continue;	/* include: its line is consumed */
		if (r == 0 && !tok_at_eol(p))
			perr_unexpected(p, "at the end of the directive");
		tok_skip_line(p);
	}
}
