/* Tables of table(5): reading file and inline tables, and the plain key lookups. */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/table.h"
#include "conf/table_priv.h"
#include "lib/map.h"
#include "lib/xalloc.h"

/* Error text of the last failed load; per thread so reloads cannot mix messages. */
static _Thread_local char table_err[512];

struct table *
table_new(const char *name, enum table_backend backend, const char *path)
{
	struct table	*t;

	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->backend = backend;
	t->path = path ? xstrdup(path) : NULL;
	t->entries = map_new();
	t->cache = xcalloc(1, sizeof(*t->cache));
	t->cache->fold = map_new();
	return t;
}

void
table_cache_free(struct table_cache *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	map_free(c->fold, NULL);
	for (i = 0; i < c->nre; i++)
		if (c->re_state[i] == RE_OK)
			regfree(&c->re[i]);
	free(c->re);
	free(c->re_state);
	for (i = 0; i < c->nkeys; i++)
		free(c->keys[i]);
	free(c->keys);
	free(c->nets);
	free(c);
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	map_free(t->entries, free);
	table_cache_free(t->cache);
	free(t->name);
	free(t->path);
	free(t);
}

int
table_parse_netaddr(const char *s, struct netaddr *na)
{
	char		 buf[INET6_ADDRSTRLEN + 8];
	const char	*slash;
	char		*end;
	size_t		 len;
	unsigned long	 bits;

	if (strncasecmp(s, "ipv6:", 5) == 0)
		s += 5;
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(na, 0, sizeof(*na));
	if (inet_pton(AF_INET, buf, na->addr) == 1) {
		na->family = AF_INET;
		na->bits = 32;
	} else if (inet_pton(AF_INET6, buf, na->addr) == 1) {
		na->family = AF_INET6;
		na->bits = 128;
	} else
		return -1;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || *end != '\0' || bits > na->bits)
			return -1;
		na->bits = (unsigned)bits;
	}
	return 0;
}

/* Adds to a table content being built; duplicates keep the first value. */
static void
content_add(struct map *entries, struct table_cache *c, const char *key,
    const char *value)
{
	struct netaddr	 na;
	char		*fold;
	size_t		 i;

	if (map_has(entries, key))
		return;
	map_set(entries, key, value ? xstrdup(value) : NULL);
	if (c->nkeys == c->capkeys) {
		c->capkeys = c->capkeys ? c->capkeys * 2 : 16;
		c->keys = xreallocarray(c->keys, c->capkeys, sizeof(*c->keys));
	}
	c->keys[c->nkeys++] = xstrdup(key);

	fold = xstrdup(key);
	for (i = 0; fold[i]; i++)
		fold[i] = (char)tolower((unsigned char)fold[i]);
	if (!map_has(c->fold, fold))
		map_set(c->fold, fold, map_get(entries, key));
	free(fold);

	if (table_parse_netaddr(key, &na) == 0) {
		if (c->nnets == c->capnets) {
			c->capnets = c->capnets ? c->capnets * 2 : 8;
			c->nets = xreallocarray(c->nets, c->capnets, sizeof(*c->nets));
		}
		c->nets[c->nnets++] = na;
	}
}

int
table_add(struct table *t, const char *key, const char *value, const char **errstr)
{
	if (*key == '\0') {
		*errstr = "empty key in table";
		return -1;
	}
	content_add(t->entries, t->cache, key, value);
	t->nentries = map_count(t->entries);
	return 0;
}

/* An address literal as a whole key: its colons are not separators. */
static int
is_addr_token(const char *s, size_t len)
{
	char		 buf[INET6_ADDRSTRLEN + 16];
	struct netaddr	 na;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return table_parse_netaddr(buf, &na) == 0;
}

/*
 * Splits one line (already without its newline) into key and value.
 * Returns 1 with an entry, 0 for a blank or comment line, -1 with a message.
 */
static int
split_line(char *line, char **key, char **value, const char **msg)
{
	char	*p, *end, *tok_end, *colon;

	/* A '#' starts a comment at the start of a line or after blank space. */
	for (p = line; *p; p++)
		if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	p = line;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return 0;

	for (tok_end = p; *tok_end && !isspace((unsigned char)*tok_end); tok_end++)
		;
	colon = memchr(p, ':', (size_t)(tok_end - p));
	if (colon != NULL && !is_addr_token(p, (size_t)(tok_end - p))) {
		/* "key:value", "key: a, b", "user@dom:$2b$...:1000:1000::" */
		*colon = '\0';
		*key = p;
		p = colon + 1;
		while (isspace((unsigned char)*p))
			p++;
		if (**key == '\0') {
			*msg = "empty key before ':'";
			return -1;
		}
		if (*p == '\0') {
			*msg = "missing value after ':'";
			return -1;
		}
		*value = p;
		return 1;
	}
	*key = p;
	if (*tok_end == '\0') {
		*value = NULL;
		return 1;
	}
	*tok_end = '\0';
	p = tok_end + 1;
	while (isspace((unsigned char)*p))
		p++;
	/* "key : value": a lone ':' between blanks is a separator too. */
	if (*p == ':' && (p[1] == '\0' || isspace((unsigned char)p[1]))) {
		p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	*value = *p ? p : NULL;
	if (*value == NULL) {
		*msg = "missing value after ':'";
		return -1;
	}
	return 1;
}

int
table_load_buffer(struct table *t, const char *data, size_t len, const char **errstr)
{
	struct map		*entries;
	struct table_cache	*cache;
	const char		*name = t->path ? t->path : t->name;
	const char		*nl, *msg = NULL;
	char			*line = NULL, *key, *value;
	size_t			 off = 0, llen, lineno = 0;
	int			 r;

	entries = map_new();
	cache = xcalloc(1, sizeof(*cache));
	cache->fold = map_new();
	if (len > TABLE_FILE_MAX) {
		snprintf(table_err, sizeof(table_err), "%s: file too large (over %zu MiB)",
		    name, TABLE_FILE_MAX / (1024 * 1024));
		goto fail;
	}
	while (off < len) {
		lineno++;
		nl = memchr(data + off, '\n', len - off);
		llen = nl ? (size_t)(nl - (data + off)) : len - off;
		if (llen > 0 && data[off + llen - 1] == '\r')
			llen--;
		if (llen > TABLE_LINE_MAX) {
			msg = "line too long (over 64 KiB)";
			goto fail_line;
		}
		if (memchr(data + off, '\0', llen) != NULL) {
			msg = "NUL byte in line (is this a db file?)";
			goto fail_line;
		}
		line = xstrndup(data + off, llen);
		r = split_line(line, &key, &value, &msg);
		if (r == -1)
			goto fail_line;
		if (r == 1)
			content_add(entries, cache, key, value);
		x_free(&line);
		off += nl ? (size_t)(nl - (data + off)) + 1 : len - off;
	}
	map_free(t->entries, free);
	table_cache_free(t->cache);
	t->entries = entries;
	t->cache = cache;
	t->nentries = map_count(entries);
	return 0;

fail_line:
	snprintf(table_err, sizeof(table_err), "%s:%zu: %s", name, lineno, msg);
fail:
	free(line);
	map_free(entries, free);
	table_cache_free(cache);
	*errstr = table_err;
	return -1;
}

int
table_load(struct table *t, const char **errstr)
{
	struct stat	 st;
	char		*data = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1, r;

	if (t->backend != TABLE_FILE || t->path == NULL) {
		snprintf(table_err, sizeof(table_err), "%s: not a file table", t->name);
		goto fail;
	}
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(table_err, sizeof(table_err), "%s: %s", t->path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(table_err, sizeof(table_err), "%s: not a regular file", t->path);
		goto fail;
	}
	if ((size_t)st.st_size > TABLE_FILE_MAX) {
		snprintf(table_err, sizeof(table_err), "%s: file too large (over %zu MiB)",
		    t->path, TABLE_FILE_MAX / (1024 * 1024));
		goto fail;
	}
	/* Read to EOF rather than trusting st_size: the file may grow meanwhile. */
	data = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		if (len == (size_t)st.st_size + 1) {
			if (len > TABLE_FILE_MAX) {
				snprintf(table_err, sizeof(table_err),
				    "%s: file too large (over %zu MiB)", t->path,
				    TABLE_FILE_MAX / (1024 * 1024));
				goto fail;
			}
			st.st_size = (off_t)(len * 2 > TABLE_FILE_MAX + 1 ?
			    TABLE_FILE_MAX + 1 : len * 2);
			data = xreallocarray(data, (size_t)st.st_size + 1, 1);
		}
		n = read(fd, data + len, (size_t)st.st_size + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(table_err, sizeof(table_err), "%s: %s", t->path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	r = table_load_buffer(t, data, len, errstr);
	free(data);
	return r;

fail:
	if (fd != -1)
		close(fd);
	free(data);
	*errstr = table_err;
	return -1;
}

const char *
table_get(const struct table *t, const char *key)
{
	return map_get(t->entries, key);
}

const char *
table_get_fold(const struct table *t, const char *key)
{
	char		 small[256], *fold;
	const char	*v;
	size_t		 i, len = strlen(key);

	fold = len < sizeof(small) ? small : xmalloc(len + 1);
	for (i = 0; i <= len; i++)
		fold[i] = (char)tolower((unsigned char)key[i]);
	v = map_get(t->cache->fold, fold);
	if (fold != small)
		free(fold);
	return v;
}

int
table_has(const struct table *t, const char *value)
{
	return map_has(t->entries, value);
}

int
table_iter(const struct table *t, size_t *iter, const char **key, const char **value)
{
	void	*v;

	if (!map_iter(t->entries, iter, key, &v))
		return 0;
	if (value)
		*value = v;
	return 1;
}
