/* Authentication-Results: reading the authserv-id of a field, removing forged ones of ours, writing our own. */
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mail/authres.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 tspecials, plus SP and controls: what a token cannot hold. */
static int
is_tchar(unsigned char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Skips white space and comments (nested, quoted-pairs inside); -1 when a comment is unclosed or too deep. */
static int
skip_cfws(const char *v, size_t len, size_t *i)
{
	int	 depth = 0;

	while (*i < len) {
		if (depth == 0 && is_wsp(v[*i])) {
			(*i)++;
			continue;
		}
		if (v[*i] == '(') {
			if (++depth > AUTHRES_COMMENT_DEPTH)
				return -1;
			(*i)++;
			continue;
		}
		if (depth == 0)
			return 0;
		if (v[*i] == ')')
			depth--;
		else if (v[*i] == '\\' && *i + 1 < len)
			(*i)++;
		(*i)++;
	}
	return depth == 0 ? 0 : -1;
}

int
authres_id(const char *v, size_t len, char *out, size_t outlen)
{
	size_t	 i = 0, o = 0;

	if (outlen == 0 || skip_cfws(v, len, &i) == -1 || i == len)
		return -1;
	if (v[i] == '"') {
		for (i++; i < len && v[i] != '"'; i++) {
			if (v[i] == '\\' && i + 1 < len)
				i++;
			else if (v[i] == '\r' || v[i] == '\n')
				continue;	/* folding inside the string */
			if (o + 1 >= outlen || o >= AUTHRES_ID_MAX)
				return -1;
			out[o++] = v[i];
		}
		if (i == len)
			return -1;
	} else {
		for (; i < len && is_tchar((unsigned char)v[i]); i++) {
			if (o + 1 >= outlen || o >= AUTHRES_ID_MAX)
				return -1;
			out[o++] = v[i];
		}
	}
	if (o == 0)
		return -1;
	out[o] = '\0';
	return (int)o;
}

/* Equal ignoring case and one trailing dot on either side. */
static int
same_id(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

int
authres_is_ours(const char *value, size_t len, const char *id)
{
	char	 found[AUTHRES_ID_MAX + 1];

	if (id == NULL || authres_id(value, len, found, sizeof(found)) == -1)
		return 0;
	return same_id(found, id);
}

/* The name of the field starting at line[0..n), its colon included, is Authentication-Results. */
static int
is_authres(const char *line, size_t n, size_t *valoff)
{
	size_t	 k = sizeof(AUTHRES_FIELD) - 1, i;

	if (n <= k || strncasecmp(line, AUTHRES_FIELD, k) != 0)
		return 0;
	/* White space may precede the colon (RFC 5322 4.5.2, obsolete syntax). */
	for (i = k; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == n || line[i] != ':')
		return 0;
	*valoff = i + 1;
	return 1;
}

size_t
authres_strip(char *hdr, size_t len, const char *id, size_t *removed)
{
	size_t	 i = 0, o = 0, start, end, next, valoff, n = 0;
	char	*nl;

	if (removed != NULL)
		*removed = 0;
	while (i < len) {
		/* One field: its first line and every continuation line. */
		start = i;
		nl = memchr(hdr + i, '\n', len - i);
		next = nl ? (size_t)(nl - hdr) + 1 : len;
		if (next - start == 1 || (next - start == 2 && hdr[start] == '\r')) {
			break;	/* the empty line: the body follows, untouched */
		}
		while (next < len && (hdr[next] == ' ' || hdr[next] == '\t')) {
			nl = memchr(hdr + next, '\n', len - next);
			next = nl ? (size_t)(nl - hdr) + 1 : len;
		}
		end = next;
		if (is_authres(hdr + start, end - start, &valoff) &&
		    authres_is_ours(hdr + start + valoff, end - start - valoff,
		    id)) {
			n++;
		} else {
			if (o != start)
				memmove(hdr + o, hdr + start, end - start);
			o += end - start;
		}
		i = end;
	}
	if (i < len) {
		if (o != i)
			memmove(hdr + o, hdr + i, len - i);
		o += len - i;
	}
	if (removed != NULL)
		*removed = n;
	return o;
}

static int
add_id(struct buf *out, const char *id)
{
	const char	*p;
	int		 token = *id != '\0', rc = 0;

	for (p = id; *p != '\0'; p++)
		if (!is_tchar((unsigned char)*p))
			token = 0;
	if (token)
		return buf_adds(out, id);
	rc |= buf_addc(out, '"');
	for (p = id; *p != '\0'; p++) {
		/* Line ends cannot be written in a header value; drop them. */
		if (*p == '\r' || *p == '\n')
			continue;
		if (*p == '"' || *p == '\\')
			rc |= buf_addc(out, '\\');
		rc |= buf_addc(out, *p);
	}
	rc |= buf_addc(out, '"');
	return rc ? -1 : 0;
}

int
authres_header(struct buf *out, const char *id, const char *const *resinfo,
    size_t n)
{
	size_t	 i;
	int	 rc = 0;

	rc |= buf_adds(out, AUTHRES_FIELD ": ");
	rc |= add_id(out, id);
	rc |= buf_addc(out, ';');
	if (n == 0)
		rc |= buf_adds(out, " none");
	for (i = 0; i < n; i++) {
		rc |= buf_adds(out, "\n\t");
		rc |= buf_adds(out, resinfo[i]);
		if (i + 1 < n)
			rc |= buf_addc(out, ';');
	}
	rc |= buf_addc(out, '\n');
	return rc ? -1 : 0;
}
