/* Postfix's main.cf, master.cf and lookup-table sources, as the importer reads them. Pure. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/postconf.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

/*
 * Calls fn for each logical line: comments and blank lines dropped,
 * continuation lines (starting with a blank) joined with one space.
 */
typedef int	(*logical_fn)(const char *line, int lineno, void *arg, char *err,
		    size_t errlen);

static int
logical_lines(const char *text, size_t len, logical_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct buf	 cur;
	const char	*line, *nl;
	size_t		 off = 0, n;
	int		 lineno = 0, start = 0, r = 0;

	if (len > POSTCONF_FILE_MAX) {
		snprintf(err, errlen, "file too large");
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL in file");
		return -1;
	}
	buf_init(&cur, POSTCONF_LINE_MAX);
	while (off < len && r == 0) {
		line = text + off;
		nl = memchr(line, '\n', len - off);
		n = nl ? (size_t)(nl - line) : len - off;
		off += n + (nl != NULL);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		/* A comment line or a blank one never continues anything. */
		{
			size_t	 i = 0;

			while (i < n && isspace((unsigned char)line[i]))
				i++;
			if (i == n || line[i] == '#')
				continue;
			if (i > 0 && cur.len > 0) {
				if (buf_addc(&cur, ' ') == -1 ||
				    buf_add(&cur, line + i, n - i) == -1) {
					snprintf(err, errlen, "line %d: line too long",
					    lineno);
					r = -1;
				}
				continue;
			}
			if (i > 0) {
				snprintf(err, errlen, "line %d: continues nothing",
				    lineno);
				r = -1;
				continue;
			}
		}
		if (cur.len > 0)
			r = fn(cur.data, start, arg, err, errlen);
		buf_reset(&cur);
		start = lineno;
		if (r == 0 && buf_add(&cur, line, n) == -1) {
			snprintf(err, errlen, "line %d: line too long", lineno);
			r = -1;
		}
	}
	if (r == 0 && cur.len > 0)
		r = fn(cur.data, start, arg, err, errlen);
	buf_free(&cur);
	return r;
}

static char *
trim(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static int
add_entry(struct postconf *pc, char *name, char *value, int line, char *err,
    size_t errlen)
{
	if (pc->n >= POSTCONF_ENTRIES_MAX) {
		free(name);
		free(value);
		snprintf(err, errlen, "line %d: too many entries", line);
		return -1;
	}
	pc->v = xreallocarray(pc->v, pc->n + 1, sizeof(*pc->v));
	pc->v[pc->n].name = name;
	pc->v[pc->n].value = value;
	pc->v[pc->n].line = line;
	pc->n++;
	return 0;
}

static int
main_line(const char *line, int lineno, void *arg, char *err, size_t errlen)
{
	const char	*eq = strchr(line, '=');
	char		*name;
	size_t		 i;

	if (eq == NULL) {
		snprintf(err, errlen, "line %d: no \"name = value\"", lineno);
		return -1;
	}
	name = trim(line, (size_t)(eq - line));
	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_') {
			snprintf(err, errlen, "line %d: \"%.40s\" is no parameter "
			    "name", lineno, name);
			free(name);
			return -1;
		}
	if (i == 0) {
		free(name);
		snprintf(err, errlen, "line %d: no parameter name", lineno);
		return -1;
	}
	return add_entry(arg, name, trim(eq + 1, strlen(eq + 1)), lineno, err,
	    errlen);
}

int
postconf_parse_main(const char *text, size_t len, struct postconf *pc,
    char *err, size_t errlen)
{
	memset(pc, 0, sizeof(*pc));
	if (logical_lines(text, len, main_line, pc, err, errlen) == -1) {
		postconf_free(pc);
		return -1;
	}
	return 0;
}

static int
map_line(const char *line, int lineno, void *arg, char *err, size_t errlen)
{
	size_t	 k = strcspn(line, " \t");

	return add_entry(arg, xstrndup(line, k), trim(line + k, strlen(line + k)),
	    lineno, err, errlen);
}

int
postconf_parse_map(const char *text, size_t len, struct postconf *pc,
    char *err, size_t errlen)
{
	memset(pc, 0, sizeof(*pc));
	if (logical_lines(text, len, map_line, pc, err, errlen) == -1) {
		postconf_free(pc);
		return -1;
	}
	return 0;
}

void
postconf_free(struct postconf *pc)
{
	size_t	 i;

	for (i = 0; i < pc->n; i++) {
		free(pc->v[i].name);
		free(pc->v[i].value);
	}
	free(pc->v);
	memset(pc, 0, sizeof(*pc));
}

const char *
postconf_get(const struct postconf *pc, const char *name)
{
	size_t	 i;

	for (i = pc ? pc->n : 0; i > 0; i--)
		if (strcmp(pc->v[i - 1].name, name) == 0)
			return pc->v[i - 1].value;
	return NULL;
}

static const char *
lookup(const struct postconf *c, const struct postconf *d, const char *name)
{
	const char	*v = postconf_get(c, name);

	return v ? v : postconf_get(d, name);
}

/* Work per expansion: "$a" = "$b$b$b...", "$b" = "$c$c$c..." must not take forever. */
#define EXPAND_WORK_MAX	POSTCONF_EXPAND_MAX

static void
expand_into(struct buf *out, const struct postconf *c, const struct postconf *d,
    const char *v, int depth, size_t *work)
{
	const char	*p = v, *end, *val;
	char		 name[128], op;
	size_t		 n;

	if (depth > POSTCONF_EXPAND_DEPTH)
		return;
	while (*p) {
		if (++*work > EXPAND_WORK_MAX || out->len + 1 >= POSTCONF_EXPAND_MAX)
			return;
		if (*p != '$') {
			if (buf_addc(out, *p++) == -1)
				return;
			continue;
		}
		p++;
		if (*p == '$') {
			buf_addc(out, '$');
			p++;
			continue;
		}
		op = 0;
		if (*p == '{' || *p == '(') {
			char	 close = *p == '{' ? '}' : ')';

			if ((end = strchr(p, close)) == NULL) {
				buf_adds(out, p - 1);
				return;
			}
			n = strcspn(p + 1, "?:}) ");
			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, p + 1, n);
			name[n] = '\0';
			if (p[1 + n] == '?' || p[1 + n] == ':')
				op = p[1 + n];
			val = lookup(c, d, name);
			if (op == 0 && val)
				expand_into(out, c, d, val, depth + 1, work);
			else if (op != 0 && ((op == '?') == (val && *val))) {
				/* ${name?text}: text when set; ${name:text}: when not. */
				char	*text = xstrndup(p + 2 + n,
				    (size_t)(end - (p + 2 + n)));

				expand_into(out, c, d, text, depth + 1, work);
				free(text);
			}
			p = end + 1;
			continue;
		}
		n = 0;
		while (isalnum((unsigned char)p[n]) || p[n] == '_')
			n++;
		if (n == 0) {
			buf_addc(out, '$');
			continue;
		}
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		if ((val = lookup(c, d, name)) != NULL)
			expand_into(out, c, d, val, depth + 1, work);
	}
}

char *
postconf_expand(const struct postconf *c, const struct postconf *d,
    const char *name)
{
	struct buf	 out;
	const char	*v = lookup(c, d, name);
	size_t		 work = 0;

	if (v == NULL)
		return NULL;
	buf_init(&out, POSTCONF_EXPAND_MAX - 1);
	expand_into(&out, c, d, v, 0, &work);
	if (out.data == NULL)
		return xstrdup("");
	return buf_release(&out);
}

char **
postconf_list(const char *value, size_t *n)
{
	char		**v = NULL;
	const char	*p = value;
	size_t		 k;

	*n = 0;
	while (p && *p) {
		p += strspn(p, ", \t");
		k = strcspn(p, ", \t");
		if (k == 0)
			break;
		if (*n >= POSTCONF_ENTRIES_MAX)
			break;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrndup(p, k);
		p += k;
	}
	return v;
}

void
postconf_list_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
master_line(const char *line, int lineno, void *arg, char *err, size_t errlen)
{
	struct postconf_master	*m = arg;
	struct postconf_service	 s;
	char			*f[8], **words, *eq;
	size_t			 nw, i;

	/* master.cf fields are blank-separated; commas belong to values. */
	words = NULL;
	nw = 0;
	{
		const char	*p = line;
		size_t		 k;

		while (*p) {
			p += strspn(p, " \t");
			if (*p == '\0')
				break;
			if (*p == '{') {
				/* "{ name = value }" is one argument. */
				const char	*end = strchr(p, '}');

				k = end ? (size_t)(end - p) + 1 : strlen(p);
			} else
				k = strcspn(p, " \t");
			if (nw >= 1000) {
				postconf_list_free(words, nw);
				snprintf(err, errlen, "line %d: too many words", lineno);
				return -1;
			}
			words = xreallocarray(words, nw + 1, sizeof(*words));
			words[nw++] = xstrndup(p, k);
			p += k;
		}
	}
	if (nw < 8) {
		postconf_list_free(words, nw);
		snprintf(err, errlen, "line %d: a service needs 8 fields", lineno);
		return -1;
	}
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 7; i++)
		f[i] = words[i];
	s.name = f[0];
	s.type = f[1];
	s.priv = f[2];
	s.unpriv = f[3];
	s.chroot = f[4];
	s.wakeup = f[5];
	s.maxproc = f[6];
	s.command = words[7];
	s.line = lineno;
	for (i = 8; i < nw; i++) {
		char	*o;

		if (strcmp(words[i], "-o") != 0) {
			free(words[i]);
			continue;
		}
		free(words[i]);
		if (i + 1 >= nw) {
			snprintf(err, errlen, "line %d: -o without a value", lineno);
			goto fail;
		}
		o = words[++i];
		if (o[0] == '{') {
			size_t	 n = strlen(o);

			/* "{ name = value }" */
			memmove(o, o + 1, n);
			if (n >= 2 && o[n - 2] == '}')
				o[n - 2] = '\0';
		}
		if ((eq = strchr(o, '=')) == NULL || eq == o) {
			snprintf(err, errlen, "line %d: -o %.40s is no name=value",
			    lineno, o);
			free(o);
			goto fail;
		}
		if (add_entry(&s.opts, trim(o, (size_t)(eq - o)),
		    trim(eq + 1, strlen(eq + 1)), lineno, err, errlen) == -1) {
			free(o);
			goto fail;
		}
		free(o);
	}
	free(words);
	m->v = xreallocarray(m->v, m->n + 1, sizeof(*m->v));
	m->v[m->n++] = s;
	return 0;
fail:
	for (i++; i < nw; i++)
		free(words[i]);
	for (i = 0; i < 8; i++)
		free(words[i]);
	free(words);
	postconf_free(&s.opts);
	return -1;
}

int
postconf_parse_master(const char *text, size_t len, struct postconf_master *m,
    char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (logical_lines(text, len, master_line, m, err, errlen) == -1) {
		postconf_master_free(m);
		return -1;
	}
	return 0;
}

void
postconf_master_free(struct postconf_master *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++) {
		struct postconf_service	*s = &m->v[i];

		free(s->name);
		free(s->type);
		free(s->priv);
		free(s->unpriv);
		free(s->chroot);
		free(s->wakeup);
		free(s->maxproc);
		free(s->command);
		postconf_free(&s->opts);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

int
postconf_map_ref(const char *ref, char *type, size_t typelen, char *path,
    size_t pathlen)
{
	const char	*colon = strchr(ref, ':');
	size_t		 n;

	if (colon == NULL || colon == ref)
		return -1;
	n = (size_t)(colon - ref);
	if (n >= typelen || strlen(colon + 1) >= pathlen || colon[1] == '\0')
		return -1;
	memcpy(type, ref, n);
	type[n] = '\0';
	snprintf(path, pathlen, "%s", colon + 1);
	return 0;
}
