/* Loading the configuration: defaults, the server name, lookups by name, and freeing it all. */
#include <sys/socket.h>

#include <netdb.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "lib/readfile.h"
#include "lib/xalloc.h"

static struct conf *
conf_new(void)
{
	struct conf	*c = xcalloc(1, sizeof(*c));

	atomic_init(&c->refs, 1);
	/* Numbers get their defaults now: a directive may then override them. */
	c->max_message_size = 35 * 1024 * 1024;
	c->max_rcpt = 1000;
	c->max_mails = 100;
	c->max_sessions_per_addr = 50;
	c->sub_addr_delim = '+';
	c->queue_ttl = 4 * 86400;
	c->backoff_min = 60;
	c->backoff_max = 3600;
	c->bounce_warn[0] = 4 * 3600;
	c->nbounce_warn = 1;
	c->mta_max_deferred = 100;
	c->srs_ttl = 4 * 86400;
	c->auth_throttle_fails = 10;
	c->auth_throttle_within = 600;
	c->auth_ban = 900;
	c->auth_cost = 10;
	return c;
}

/* /etc/mailname's first line, else gethostname(3), made canonical if it has no dot. */
static char *
default_hostname(int allow_fs)
{
	struct addrinfo	 hints, *res = NULL;
	char		 line[256], host[256];
	char		*name = NULL;
	FILE		*f;
	size_t		 n;

	if (allow_fs && (f = fopen("/etc/mailname", "re")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL) {
			n = strcspn(line, " \t\r\n");
			line[n] = '\0';
			if (n > 0)
				name = xstrdup(line);
		}
		fclose(f);
		if (name)
			return name;
	}
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		return xstrdup("localhost");
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') == NULL && allow_fs) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		hints.ai_family = AF_UNSPEC;
		if (getaddrinfo(host, NULL, &hints, &res) == 0 && res &&
		    res->ai_canonname && strchr(res->ai_canonname, '.')) {
			name = xstrdup(res->ai_canonname);
			freeaddrinfo(res);
			return name;
		}
		if (res)
			freeaddrinfo(res);
	}
	return xstrdup(host);
}

static void
conf_defaults(struct conf *c, const struct parser *p)
{
	const struct bundle_file	*meta;

	/* A reload in a running process takes the name the parent found. */
	if (c->hostname == NULL && p->bundle_in != NULL &&
	    (meta = bundle_get(p->bundle_in, BUNDLE_META_HOSTNAME)) != NULL &&
	    meta->len > 0)
		c->hostname = xstrdup(meta->data);
	if (c->hostname == NULL)
		c->hostname = default_hostname(p->allow_fs && p->bundle_in == NULL);
	if (c->spool == NULL)
		c->spool = xstrdup("/var/spool/tegami");
	if (c->socket == NULL)
		c->socket = xstrdup("/run/tegami.sock");
	if (c->user == NULL)
		c->user = xstrdup("_tegami");
	if (c->smtp_ciphers == NULL)
		c->smtp_ciphers = xstrdup("HIGH:!aNULL:!MD5");
}

static struct conf *
conf_run(struct parser *p, const char *path, const char *data, size_t len)
{
	struct conf	*c = p->conf;

	p->macros = map_new();
	c->file = xstrdup(path);
	if (data != NULL)
		lex_push_buffer(p, path, data, len);
	if (data != NULL || lex_push_file(p, path, path, NULL, 0) == 0)
		parse_all(p);
	if (p->have_tok)
		tok_advance(p);
	lex_free(p);
	map_free(p->macros, free);
	/* References are checked even after syntax errors: report everything at once. */
	conf_defaults(c, p);
	conf_check(p);
	perr_flush(p);
	if (p->nerrors) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *
conf_load(const char *path, struct buf *errors, struct buf *warnings)
{
	return conf_load_recorded(path, NULL, errors, warnings);
}

struct conf *
conf_load_recorded(const char *path, struct bundle *out, struct buf *errors,
    struct buf *warnings)
{
	struct parser	 p;
	struct conf	*c;

	memset(&p, 0, sizeof(p));
	p.conf = conf_new();
	p.allow_fs = 1;
	p.checks = 1;
	p.bundle_out = out;
	p.errors = errors;
	p.warnings = warnings;
	if ((c = conf_run(&p, path, NULL, 0)) != NULL && out != NULL) {
		bundle_put(out, BUNDLE_META, BUNDLE_META_HOSTNAME, c->hostname,
		    strlen(c->hostname));
		if (conf_bundle_pems(c, out, errors) == -1) {
			conf_free(c);
			return NULL;
		}
		conf_dkim_algs(c, out);
	}
	return c;
}

struct conf *
conf_load_bundle(const char *path, const struct bundle *in, struct buf *errors,
    struct buf *warnings)
{
	struct parser	 p;
	struct conf	*c;

	memset(&p, 0, sizeof(p));
	p.conf = conf_new();
	p.allow_fs = 1;
	p.bundle_in = in;
	p.errors = errors;
	p.warnings = warnings;
	if ((c = conf_run(&p, path, NULL, 0)) != NULL)
		conf_dkim_algs(c, in);
	return c;
}

/* One certificate, key or CA file into the bundle; FILE:LINE when it cannot be read. */
static int
bundle_pem(struct bundle *out, const char *path, const char *file, int line,
    const char *what, struct buf *errors)
{
	char	*data;
	size_t	 len;

	if (bundle_get(out, path) != NULL)
		return 0;
	if (readfile(path, CONF_PEM_MAX, &data, &len) == -1) {
		buf_addf(errors, "%s:%d: %s %s: %s\n", file, line, what, path,
		    errno == EFBIG ? "file too large" : strerror(errno));
		return -1;
	}
	bundle_put(out, BUNDLE_PEM, path, data, len);
	explicit_bzero(data, len);
	free(data);
	return 0;
}

int
conf_bundle_pems(const struct conf *c, struct bundle *out, struct buf *errors)
{
	size_t	 i;
	int	 r = 0;

	for (i = 0; i < c->npkis; i++) {
		const struct pki	*k = c->pkis[i];

		if (bundle_pem(out, k->cert, k->conf_file, k->conf_line,
		    "cannot read certificate", errors) == -1)
			r = -1;
		if (bundle_pem(out, k->key, k->conf_file, k->conf_line,
		    "cannot read key", errors) == -1)
			r = -1;
	}
	for (i = 0; i < c->ncas; i++)
		if (bundle_pem(out, c->cas[i]->cert, c->cas[i]->conf_file,
		    c->cas[i]->conf_line, "cannot read CA file", errors) == -1)
			r = -1;
	if (conf_bundle_dkim_keys(c, out, errors) == -1)
		r = -1;
	return r;
}

struct conf *
conf_load_buffer(const char *name, const char *data, size_t len, struct buf *errors,
    struct buf *warnings)
{
	struct parser	 p;

	memset(&p, 0, sizeof(p));
	p.conf = conf_new();
	p.allow_fs = 0;
	p.errors = errors;
	p.warnings = warnings;
	return conf_run(&p, name, data ? data : "", data ? len : 0);
}

int
conf_reload_tables(struct conf *c, const char **errstr)
{
	const char	*err;
	size_t		 i;
	int		 r = 0;

	/* A broken table keeps its old content and the others are still reloaded. */
	for (i = 0; i < c->ntables; i++)
		if (c->tables[i]->backend == TABLE_FILE &&
		    table_load(c->tables[i], &err) == -1) {
			*errstr = err;
			r = -1;
		}
	return r;
}

struct table *
conf_table(const struct conf *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->ntables; i++)
		if (strcmp(c->tables[i]->name, name) == 0)
			return c->tables[i];
	return NULL;
}

struct action *
conf_action(const struct conf *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nactions; i++)
		if (strcmp(c->actions[i]->name, name) == 0)
			return c->actions[i];
	return NULL;
}

struct pki *
conf_pki(const struct conf *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->npkis; i++)
		if (strcmp(c->pkis[i]->name, name) == 0)
			return c->pkis[i];
	return NULL;
}

struct filter *
conf_filter(const struct conf *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nfilters; i++)
		if (strcmp(c->filters[i]->name, name) == 0)
			return c->filters[i];
	return NULL;
}

const char *
conf_proc(const struct conf *c, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < c->nprocs; i++)
		if (strncmp(c->procs[i], name, n) == 0 && c->procs[i][n] == ' ')
			return c->procs[i] + n + 1;
	return NULL;
}

/* "35M", "1024", "10k", "1G": bytes, or -1. */
long long
conf_parse_size(const char *s)
{
	unsigned long long	 v, mul = 1;
	char			*end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0':				break;
	case 'b': mul = 1;			end++; break;
	case 'k': mul = 1024ULL;		end++; break;
	case 'm': mul = 1024ULL * 1024;		end++; break;
	case 'g': mul = 1024ULL * 1024 * 1024;	end++; break;
	case 't': mul = 1024ULL * 1024 * 1024 * 1024; end++; break;
	default:
		return -1;
	}
	if (mul > 1 && tolower((unsigned char)*end) == 'b')
		end++;
	if (*end != '\0' || v > (unsigned long long)LLONG_MAX / mul)
		return -1;
	return (long long)(v * mul);
}

/* "4d", "30m", "10s", "2h": seconds, or -1. */
long long
conf_parse_delay(const char *s)
{
	unsigned long long	 v, mul;
	char			*end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (end[0]) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default:
		return -1;
	}
	/* Keep it well inside time_t arithmetic: at most about 100 years. */
	if (v > 3200000000ULL / mul)
		return -1;
	return (long long)(v * mul);
}

static void
free_cond_values(struct cond *conds, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(conds[i].value);
	free(conds);
}

static void
action_free(struct action *a)
{
	free(a->name);
	free(a->path);
	free(a->command);
	free(a->user);
	free(a->wrapper);
	if (a->host) {
		free(a->host->label);
		free(a->host->host);
		free(a->host);
	}
	free(a->backup_mx);
	free(a->helo);
	free(a->pki);
	free(a->ca);
	free(a->mail_from);
	free(a->src);
	free(a);
}

static void
filter_free(struct filter *f)
{
	size_t	 i;

	free(f->name);
	for (i = 0; i < f->nconds; i++)
		free(f->conds[i].value);
	free(f->conds);
	free(f->message);
	for (i = 0; i < f->nchain; i++)
		free(f->chain[i]);
	free(f->chain);
	free(f->command);
	free(f->user);
	free(f->group);
	free(f->domain);
	free(f->selector);
	free(f->key);
	free(f->selector2);
	free(f->key2);
	free(f);
}

struct conf *
conf_ref(struct conf *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
conf_free(struct conf *c)
{
	size_t	 i;

	if (c == NULL || atomic_fetch_sub(&c->refs, 1) > 1)
		return;
	for (i = 0; i < c->ntables; i++)
		table_free(c->tables[i]);
	free(c->tables);
	for (i = 0; i < c->nanon_tables; i++)
		table_free(c->anon_tables[i]);
	free(c->anon_tables);
	for (i = 0; i < c->npkis; i++) {
		free(c->pkis[i]->name);
		free(c->pkis[i]->cert);
		free(c->pkis[i]->key);
		free(c->pkis[i]->dhe);
		free(c->pkis[i]);
	}
	free(c->pkis);
	for (i = 0; i < c->ncas; i++) {
		free(c->cas[i]->name);
		free(c->cas[i]->cert);
		free(c->cas[i]);
	}
	free(c->cas);
	for (i = 0; i < c->nlisteners; i++)
		listener_free(c->listeners[i]);
	free(c->listeners);
	for (i = 0; i < c->nactions; i++)
		action_free(c->actions[i]);
	free(c->actions);
	for (i = 0; i < c->nmatches; i++) {
		free_cond_values(c->matches[i]->conds, c->matches[i]->nconds);
		free(c->matches[i]->action_name);
		free(c->matches[i]);
	}
	free(c->matches);
	for (i = 0; i < c->nfilters; i++)
		filter_free(c->filters[i]);
	free(c->filters);
	for (i = 0; i < c->nwrappers; i++) {
		free(c->wrappers[i]->name);
		free(c->wrappers[i]->command);
		free(c->wrappers[i]);
	}
	free(c->wrappers);
	for (i = 0; i < c->nprocs; i++)
		free(c->procs[i]);
	free(c->procs);
	for (i = 0; i < c->nresolvers; i++)
		free(c->resolvers[i].addr);
	free(c->resolvers);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->file);
	free(c->hostname);
	free(c->spool);
	free(c->socket);
	free(c->user);
	free(c->admd);
	free(c->smtp_ciphers);
	free(c->queue_encryption);
	free(c->srs_key);
	free(c->srs_key_backup);
	free(c);
}
