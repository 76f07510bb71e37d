/* vpopmail's vpasswd files and qmail's .qmail files, as the importers read them. Pure. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/vpasswd.h"
#include "lib/xalloc.h"

static int
name_ok(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '@' || c == '/' || c == ':' ||
		    c == ',' || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

static int
flags(const char *s, unsigned long *out)
{
	char	*end;

	if (*s == '\0') {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end != '\0' ? -1 : 0;
}

int
vpasswd_parse(const char *line, size_t len, struct vpasswd *vp,
    const char **errstr)
{
	char	*f[9], *p;
	size_t	 n = 0, i;

	memset(vp, 0, sizeof(*vp));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > VPASSWD_LINE_MAX) {
		*errstr = "line too long";
		return -1;
	}
	if (memchr(line, '\0', len) != NULL) {
		*errstr = "NUL in line";
		return -1;
	}
	for (i = 0; i < len && isspace((unsigned char)line[i]); i++)
		;
	if (i == len || line[i] == '#')
		return 0;
	vp->copy = xstrndup(line, len);
	for (p = vp->copy; n < 9; n++) {
		f[n] = p;
		if ((p = strchr(p, ':')) == NULL) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n < 7 || n > 8 || p != NULL) {
		*errstr = "not 7 or 8 fields separated by ':'";
		goto fail;
	}
	for (i = 0; i < n; i++)
		for (p = f[i]; *p; p++)
			if (iscntrl((unsigned char)*p)) {
				*errstr = "control character in a field";
				goto fail;
			}
	if (!name_ok(f[0])) {
		*errstr = "the name is no local part";
		goto fail;
	}
	if (flags(f[2], &vp->uid_flags) == -1 || flags(f[3], &vp->gid_flags) == -1) {
		*errstr = "the flag fields are not numbers";
		goto fail;
	}
	vp->name = f[0];
	vp->crypted = f[1];
	vp->gecos = f[4];
	vp->dir = f[5];
	vp->quota = f[6];
	vp->clear = n == 8 && f[7][0] != '\0' ? f[7] : NULL;
	return 1;
fail:
	vpasswd_clear(vp);
	return -1;
}

void
vpasswd_clear(struct vpasswd *vp)
{
	if (vp->copy)
		explicit_bzero(vp->copy, strlen(vp->copy));
	free(vp->copy);
	memset(vp, 0, sizeof(*vp));
}

static int
number(const char *s, size_t n, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
vpasswd_quota(const char *s, uint64_t *bytes, uint64_t *count)
{
	const char	*p = s, *comma;
	size_t		 n;
	uint64_t	 v;

	*bytes = *count = 0;
	if (*s == '\0' || strcasecmp(s, "NOQUOTA") == 0)
		return 0;
	if (number(s, strlen(s), bytes) == 0)
		return 0;
	while (*p) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n < 2 || number(p, n - 1, &v) == -1)
			return -1;
		if (p[n - 1] == 'S')
			*bytes = v;
		else if (p[n - 1] == 'C')
			*count = v;
		else
			return -1;
		p += n + (comma != NULL);
	}
	return 0;
}

static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	return xstrndup(s, n);
}

int
dotqmail_parse(const char *text, size_t len, struct dotqmail *dq,
    const char **errstr)
{
	const char		*nl, *line;
	struct dotqmail_line	 l;
	size_t			 off = 0, n;

	memset(dq, 0, sizeof(*dq));
	if (len > DOTQMAIL_FILE_MAX) {
		*errstr = "file too large";
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		*errstr = "NUL in file";
		return -1;
	}
	while (off < len) {
		line = text + off;
		nl = memchr(line, '\n', len - off);
		n = nl ? (size_t)(nl - line) : len - off;
		off += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > DOTQMAIL_LINE_MAX) {
			*errstr = "line too long";
			goto fail;
		}
		if (n == 0 || line[0] == '#')
			continue;
		if (dq->n == DOTQMAIL_LINES_MAX) {
			*errstr = "too many lines";
			goto fail;
		}
		memset(&l, 0, sizeof(l));
		if (line[0] == '|') {
			l.kind = DOTQMAIL_PROGRAM;
			l.value = trimmed(line + 1, n - 1);
		} else if (line[0] == '/' || line[0] == '.') {
			l.value = trimmed(line, n);
			l.kind = l.value[strlen(l.value) - 1] == '/' ?
			    DOTQMAIL_MAILDIR : DOTQMAIL_MBOX;
		} else if (line[0] == '&') {
			l.kind = DOTQMAIL_FORWARD;
			l.value = trimmed(line + 1, n - 1);
		} else if (isalnum((unsigned char)line[0])) {
			l.kind = DOTQMAIL_FORWARD;
			l.value = trimmed(line, n);
		} else {
			*errstr = "a line that is no forward, path or program";
			goto fail;
		}
		if (l.value[0] == '\0' || strpbrk(l.value, "\r\t") != NULL ||
		    (l.kind == DOTQMAIL_FORWARD && strpbrk(l.value, " ,") != NULL)) {
			free(l.value);
			*errstr = "an empty or malformed line";
			goto fail;
		}
		dq->v = xreallocarray(dq->v, dq->n + 1, sizeof(*dq->v));
		dq->v[dq->n++] = l;
	}
	return 0;
fail:
	dotqmail_free(dq);
	return -1;
}

void
dotqmail_free(struct dotqmail *dq)
{
	size_t	 i;

	for (i = 0; i < dq->n; i++)
		free(dq->v[i].value);
	free(dq->v);
	memset(dq, 0, sizeof(*dq));
}

int
dotqmail_vdelivermail(const char *cmd, char *dst, size_t dstlen)
{
	const char	*p, *end, *last = NULL;
	size_t		 n, lastn = 0;
	int		 words = 0, seen = 0;

	for (p = cmd; *p;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*p == '\'' || *p == '"') {
			end = strchr(p + 1, *p);
			if (end == NULL)
				return -1;
			last = p + 1;
			lastn = (size_t)(end - p - 1);
			p = end + 1;
		} else {
			end = p + strcspn(p, " \t");
			last = p;
			lastn = (size_t)(end - p);
			n = lastn;
			if (n >= 12 && strncmp(p + n - 12, "vdelivermail", 12) == 0 &&
			    (n == 12 || p[n - 13] == '/'))
				seen = 1;
			p = end;
		}
		words++;
	}
	if (!seen || words < 3 || lastn >= dstlen)
		return -1;
	memcpy(dst, last, lastn);
	dst[lastn] = '\0';
	return 0;
}

int
dotqmail_ext(const char *name, const char *prefix, char *dst, size_t dstlen,
    int *wildcard)
{
	size_t	 pl = strlen(prefix), n, i;
	const char *ext;

	*wildcard = 0;
	if (strncmp(name, prefix, pl) != 0)
		return -1;
	ext = name + pl;
	n = strlen(ext);
	if (n == 7 && strcmp(ext, "default") == 0) {
		*wildcard = 1;
		n = 0;
	} else if (n > 8 && strcmp(ext + n - 8, "-default") == 0) {
		*wildcard = 1;
		n -= 8;
	} else if (n == 0)
		return -1;
	if (n >= dstlen || memchr(ext, '/', n) != NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)ext[i] <= ' ' || ext[i] == '@')
			return -1;
		dst[i] = ext[i] == ':' ? '.' : (char)tolower((unsigned char)ext[i]);
	}
	dst[n] = '\0';
	return 0;
}
