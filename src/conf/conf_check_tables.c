/* Entries of the tables actions read: error: replies, target accounts, relay URLs, reported with FILE:LINE. */
#include <ctype.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "conf/table.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "mail/reply.h"

/* Warnings about missing accounts per table, then one line saying how many more. */
#define ACCOUNT_WARNINGS_MAX	10

struct tcheck {
	struct parser		*p;
	const struct table	*t;
	const struct action	*a;
	int			 errors;	/* check error: entries */
	int			 accounts;	/* check virtual target accounts */
	struct map		*known;		/* account name -> "y" or "n" */
	size_t			 missing;
};

/*
 * The line of the file table t that defines key: the file is read again
 * only when something is to be reported, and each line is split by the
 * table loader itself, so the rules of table(5) are not written twice.
 */
static int
line_of(const struct table *t, const char *key)
{
	struct table	*one;
	const char	*k, *v, *err;
	char		*line = NULL;
	size_t		 cap = 0, iter;
	ssize_t		 n;
	int		 lineno = 0, found = 0;
	FILE		*f;

	if (t->backend != TABLE_FILE || (f = fopen(t->path, "re")) == NULL)
		return 0;
	one = table_new("line", TABLE_INLINE_MAP, NULL);
	while (!found && (n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (table_load_buffer(one, line, (size_t)n, &err) == -1)
			continue;
		iter = 0;
		if (table_iter(one, &iter, &k, &v) && strcmp(k, key) == 0)
			found = 1;
	}
	table_free(one);
	free(line);
	fclose(f);
	return found ? lineno : 0;
}

/* A file table's entry is reported at its own line, an inline one at the table's. */
static void
report(struct tcheck *c, int error, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(struct tcheck *c, int error, const char *key, const char *fmt, ...)
{
	struct buf	 msg;
	va_list		 ap;
	int		 line = 0;

	buf_init(&msg, 0);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (c->t->backend == TABLE_FILE)
		line = line_of(c->t, key);
	if (line > 0 && error)
		perr(c->p, c->t->path, line, "%s: %s", key, msg.data);
	else if (line > 0)
		pwarn(c->p, c->t->path, line, "%s: %s", key, msg.data);
	else if (error)
		perr(c->p, c->t->conf_file, c->t->conf_line, "table %s: %s: %s",
		    c->t->name, key, msg.data);
	else
		pwarn(c->p, c->t->conf_file, c->t->conf_line, "table %s: %s: %s",
		    c->t->name, key, msg.data);
	buf_free(&msg);
}

/* A virtual target that names an account: no '@', no path, command or keyword. */
static int
names_account(const char *t)
{
	return strchr(t, '@') == NULL && t[0] != '|' && t[0] != '/' &&
	    strncasecmp(t, ":include:", 9) != 0 && strncasecmp(t, "error:", 6) != 0;
}

static int
account_exists(struct tcheck *c, const char *name)
{
	const char	*v;
	int		 ok;

	if ((v = map_get(c->known, name)) != NULL)
		return v[0] == 'y';
	if (c->a->userbase != NULL)
		ok = table_get_fold(c->a->userbase, name) != NULL;
	else
		ok = getpwnam(name) != NULL;
	map_set(c->known, name, ok ? "y" : "n");
	return ok;
}

static void
check_target(struct tcheck *c, const char *key, const char *t)
{
	const char	*text, *errstr;
	char		 enhanced[8];
	int		 code;

	if (strncasecmp(t, "error:", 6) == 0) {
		if (c->errors && reply_error_entry(t, &code, enhanced, &text, &errstr) == -1)
			report(c, 1, key, "%s: \"%s\"", errstr, t);
		return;
	}
	if (!c->accounts || !names_account(t))
		return;
	if (t[0] == '\\')
		t++;
	if (*t == '\0' || account_exists(c, t))
		return;
	if (++c->missing <= ACCOUNT_WARNINGS_MAX)
		report(c, 0, key, "target account \"%s\" does not exist%s: mail to "
		    "it is deferred (451) until it does", t, c->a->userbase ?
		    " in the userbase" : "");
}

/* The targets of a value, split as expansion splits them: commas outside quotes. */
static void
check_value(struct tcheck *c, const char *key, const char *value)
{
	struct buf	 t;
	const char	*p, *s;
	int		 quoted = 0;

	buf_init(&t, 0);
	for (p = value;; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (*p != '\0' && (*p != ',' || quoted)) {
			buf_addc(&t, *p);
			continue;
		}
		while (t.len > 0 && isspace((unsigned char)t.data[t.len - 1]))
			t.data[--t.len] = '\0';
		if (t.len > 0) {
			s = t.data + strspn(t.data, " \t");
			if (*s != '\0')
				check_target(c, key, s);
		}
		buf_reset(&t);
		if (*p == '\0')
			break;
	}
	buf_free(&t);
}

static void
check_table(struct parser *p, const struct action *a, const struct table *t,
    int errors, int accounts)
{
	struct tcheck	 c;
	const char	*k, *v;
	size_t		 iter = 0;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.t = t;
	c.a = a;
	c.errors = errors;
	c.accounts = accounts;
	if (!errors && !accounts)
		return;
	c.known = map_new();
	while (table_iter(t, &iter, &k, &v))
		if (v != NULL)
			check_value(&c, k, v);
	if (c.missing > ACCOUNT_WARNINGS_MAX)
		pwarn(p, t->conf_file, t->conf_line, "table %s: %zu more target "
		    "accounts do not exist", t->name, c.missing - ACCOUNT_WARNINGS_MAX);
	map_free(c.known, NULL);
}

/* relay domain <table>: every value a relay URL, as the relay process will parse it. */
static void
check_relay_domains(struct parser *p, const struct action *a)
{
	struct tcheck	 c;
	struct relay_host rh;
	const char	*k, *v;
	char		 err[256];
	size_t		 iter = 0;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.t = a->relay_domain;
	c.a = a;
	while (table_iter(c.t, &iter, &k, &v)) {
		if (v == NULL) {
			report(&c, 1, k, "relay domain <%s> needs a relay URL for each "
			    "domain", c.t->name);
			continue;
		}
		if (conf_parse_relay_url(v, &rh, err, sizeof(err), p->allow_fs) == -1) {
			report(&c, 1, k, "%s", err);
			continue;
		}
		free(rh.label);
		free(rh.host);
	}
}

/* Whether an earlier action expands through t already: its error: entries are checked once. */
static int
seen_before(const struct conf *conf, size_t i, const struct table *t)
{
	size_t	 j;

	for (j = 0; j < i; j++)
		if (conf->actions[j]->virtual == t || conf->actions[j]->alias == t)
			return 1;
	return 0;
}

void
conf_check_tables(struct parser *p)
{
	const struct conf	*conf = p->conf;
	const struct action	*a;
	size_t			 i;

	for (i = 0; i < conf->nactions; i++) {
		a = conf->actions[i];
		/*
		 * Accounts are this host's: only when the files are, and only
		 * where the action's "user" does not stand for them all.
		 */
		if (a->user != NULL && p->allow_fs && getpwnam(a->user) == NULL)
			pwarn(p, a->conf_file, a->conf_line, "action \"%s\": user "
			    "\"%s\" does not exist: its mail is deferred (451) until it "
			    "does", a->name, a->user);
		if (a->virtual != NULL)
			check_table(p, a, a->virtual, !seen_before(conf, i, a->virtual),
			    p->allow_fs && a->user == NULL);
		if (a->alias != NULL && a->alias != a->virtual)
			check_table(p, a, a->alias, !seen_before(conf, i, a->alias), 0);
		if (a->relay_domain != NULL)
			check_relay_domains(p, a);
	}
}
