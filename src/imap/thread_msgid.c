/* Message-IDs of Message-ID, References and In-Reply-To fields for THREAD REFERENCES, leniently as mail has them. */
#include <stddef.h>

#include "imap/thread.h"

/* Past a comment at v[i] == '(' (nested, with quoted pairs). */
static size_t
comment(const char *v, size_t len, size_t i)
{
	size_t	 depth = 0;

	for (; i < len; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

/* Past a quoted string at v[i] == '"'. */
static size_t
quoted(const char *v, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '"')
			return i + 1;
	}
	return len;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
thread_msgids(const char *v, size_t len, size_t max,
    int (*fn)(void *, const char *, size_t), void *arg)
{
	char	 id[THREAD_ID_MAX];
	size_t	 i = 0, n, count = 0, st, left;
	int	 ok, at;

	while (i < len && count < max) {
		if (v[i] == '(') {
			i = comment(v, len, i);
			continue;
		}
		if (v[i] == '"') {
			i = quoted(v, len, i);
			continue;
		}
		if (v[i++] != '<')
			continue;
		/* id-left "@" id-right, CFWS dropped, quoted parts kept with their quotes. */
		n = 0;
		ok = 1;
		at = 0;
		left = 0;
		while (i < len && v[i] != '>' && v[i] != '<') {
			if (blank(v[i])) {
				i++;
				continue;
			}
			if (v[i] == '(') {
				i = comment(v, len, i);
				continue;
			}
			st = i;
			if (v[i] == '"')
				i = quoted(v, len, i);
			else {
				if (v[i] == '@' && !at) {
					at = 1;
					left = n;
				}
				i++;
			}
			if (n + (i - st) > sizeof(id))
				ok = 0;
			else {
				for (; st < i; st++)
					id[n++] = v[st];
			}
		}
		/* Unterminated, or a new "<" before ">": not an id (the "<" starts again). */
		if (i >= len || v[i] == '<')
			continue;
		i++;
		if (!ok || !at || left == 0 || left + 1 >= n)
			continue;
		count++;
		if (fn(arg, id, n) == -1)
			break;
	}
	return count;
}
