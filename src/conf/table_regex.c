/* Regexes of tables: compiled with a bound on their cost, checked at load, compiled once on first use. */
#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/table.h"
#include "conf/table_priv.h"
#include "lib/xalloc.h"

#define RE_FLAGS	(REG_EXTENDED | REG_ICASE | REG_NOSUB)

static _Thread_local char regex_err[512];
static pthread_mutex_t	 regex_lock = PTHREAD_MUTEX_INITIALIZER;

#define RE_LEN_MAX	1024
#define RE_COST_MAX	5000	/* estimated tree nodes of one compiled pattern */
#define RE_DEPTH_MAX	32

/*
 * glibc's regcomp copies a subtree for each repetition, so "a++++..." or
 * "((a{99}){99}){99}" take memory exponential in the pattern. The size of
 * the compiled tree is estimated here and such patterns are refused before
 * they reach it.
 */
static int
regex_sane(const char *re)
{
	unsigned long	 cost[RE_DEPTH_MAX + 1], last = 0, n, m;
	const char	*p;
	char		*end;
	int		 depth = 0, quant = 0, was_quant;

	if (strlen(re) > RE_LEN_MAX)
		return 0;
	cost[0] = 0;
	for (p = re; *p; p++) {
		/* "a+*": adjacent repetitions are undefined in POSIX and slow in glibc. */
		was_quant = quant;
		quant = *p == '*' || *p == '+' || *p == '?' ||
		    (*p == '{' && isdigit((unsigned char)p[1]));
		if (quant && was_quant)
			return 0;
		switch (*p) {
		case '(':
			if (++depth > RE_DEPTH_MAX)
				return 0;
			cost[depth] = 0;
			last = 0;
			continue;
		case ')':
			if (depth == 0) {
				last = 1;
				break;
			}
			last = cost[depth--] + 1;
			cost[depth] += last;
			continue;
		case '*':
		case '+':
		case '?':
			cost[depth] += last;
			last *= 2;
			break;
		case '{':
			if (!isdigit((unsigned char)p[1])) {
				last = 1;
				cost[depth]++;
				break;
			}
			n = strtoul(p + 1, &end, 10);
			m = n;
			if (*end == ',' && isdigit((unsigned char)end[1]))
				m = strtoul(end + 1, &end, 10);
			else if (*end == ',')
				end++;
			if (n > 1000 || m > 1000)
				return 0;
			p = *end == '}' ? end : end - 1;
			cost[depth] += last * (m > n ? m : n);
			last += last * (m > n ? m : n);
			break;
		case '[':
			/* A bracket expression is one node: skip to its ']'. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']')
				p++;
			if (*p == '\0')
				return 1;	/* unbalanced: regcomp says why */
			last = 1;
			cost[depth]++;
			break;
		case '\\':
			if (p[1])
				p++;
			/* FALLTHROUGH */
		default:
			last = 1;
			cost[depth]++;
			break;
		}
		if (cost[depth] > RE_COST_MAX || last > RE_COST_MAX)
			return 0;
	}
	return 1;
}

int
table_regcomp(regex_t *re, const char *pattern)
{
	if (!regex_sane(pattern))
		return REG_ESPACE;
	return regcomp(re, pattern, RE_FLAGS);
}

/* Compiles entry i if needed; 0 when usable. */
int
table_regex_ready(struct table_cache *c, size_t i, int *err)
{
	size_t	 j;
	int	 r;

	/* Routing runs on worker threads: the first use compiles under the lock. */
	pthread_mutex_lock(&regex_lock);

	if (c->nre < c->nkeys) {
		c->re = xreallocarray(c->re, c->nkeys, sizeof(*c->re));
		c->re_state = xreallocarray(c->re_state, c->nkeys, sizeof(*c->re_state));
		for (j = c->nre; j < c->nkeys; j++)
			c->re_state[j] = RE_UNCOMPILED;
		c->nre = c->nkeys;
	}
	if (c->re_state[i] == RE_UNCOMPILED) {
		*err = table_regcomp(&c->re[i], c->keys[i]);
		c->re_state[i] = *err == 0 ? RE_OK : RE_BAD;
	} else
		*err = c->re_state[i] == RE_OK ? 0 : REG_BADPAT;
	r = c->re_state[i] == RE_OK ? 0 : -1;
	pthread_mutex_unlock(&regex_lock);
	return r;
}

int
table_check_regex(const struct table *t, const char **errstr)
{
	regex_t	 re;
	char	 msg[128];
	size_t	 i;
	int	 err;

	for (i = 0; i < t->cache->nkeys; i++) {
		if (table_regex_ready(t->cache, i, &err) == 0)
			continue;
		/* Compile again for the message: the cached state keeps no text. */
		if ((err = table_regcomp(&re, t->cache->keys[i])) == REG_ESPACE)
			snprintf(msg, sizeof(msg), "too long or too many repetitions");
		else
			regerror(err, &re, msg, sizeof(msg));
		if (err == 0)
			regfree(&re);
		snprintf(regex_err, sizeof(regex_err), "table %s: bad regex \"%s\": %s",
		    t->name, t->cache->keys[i], msg);
		*errstr = regex_err;
		return -1;
	}
	return 0;
}

