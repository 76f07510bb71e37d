/* Tests for src/mail/mime*.c and imap_*.c: Dovecot's answers for tests/data/mime, byte for byte, and the parts around them. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/imap_bodystructure.h"
#include "mail/imap_envelope.h"
#include "mail/mime.h"

/* Run from the top of the tree (make unit does), where tests/data is. */
#define DATA	"tests/data/mime"

/*
 * Where tegami answers differently from Dovecot 2.3.19 on purpose (see
 * tests/data/mime/README): the Dovecot text in the .ref is replaced by
 * tegami's before the comparison, and the Dovecot text must be there.
 */
static const struct deviation {
	const char	*name;
	const char	*dovecot;
	const char	*tegami;
} deviations[] = {
	/*
	 * Dovecot keeps the blank after the colon of a header line that
	 * crosses the end of its read buffer (the result depends on where
	 * the line falls in the file), so this 20000-octet Subject comes out
	 * as a literal; tegami drops that blank always (RFC 5322 unfolding
	 * gives the same text) and the subject is a plain quoted string.
	 */
	{ "31-long-line", "ENVELOPE (NIL {20000}\r\nx", "ENVELOPE (NIL \"x" },
	{ "31-long-line", "x ((NIL NIL \"a\"", "x\" ((NIL NIL \"a\"" },
	/*
	 * message/global (RFC 6532 3.7) is an embedded message like
	 * message/rfc822, and RFC 9051's media-message names it: Dovecot
	 * 2.3 treats it as an opaque leaf.
	 */
	{ "37-global",
	  "BODYSTRUCTURE (\"message\" \"global\" NIL NIL NIL \"7bit\" 66 NIL NIL NIL NIL)",
	  "BODYSTRUCTURE (\"message\" \"global\" NIL NIL NIL \"7bit\" 66 (NIL {9}\r\n\xe5\x9b\xbd\xe9\x9a\x9b\xe5\x8c\x96 ((\"=?utf-8?q?x?=\" NIL \"x\" \"example.org\")) ((\"=?utf-8?q?x?=\" NIL \"x\" \"example.org\")) ((\"=?utf-8?q?x?=\" NIL \"x\" \"example.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)" },
	{ "37-global",
	  "BODY (\"message\" \"global\" NIL NIL NIL \"7bit\" 66)",
	  "BODY (\"message\" \"global\" NIL NIL NIL \"7bit\" 66 (NIL {9}\r\n\xe5\x9b\xbd\xe9\x9a\x9b\xe5\x8c\x96 ((\"=?utf-8?q?x?=\" NIL \"x\" \"example.org\")) ((\"=?utf-8?q?x?=\" NIL \"x\" \"example.org\")) ((\"=?utf-8?q?x?=\" NIL \"x\" \"example.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1) 4)" },
	/* With it parsed, its parts exist: 1.HEADER and 1.TEXT are not empty. */
	{ "37-global", "(BODY[1.HEADER] {0}\r\n)",
	  "(BODY[1.HEADER] {59}\r\nFrom: =?utf-8?q?x?= <x@example.org>\r\nSubject: \xe5\x9b\xbd\xe9\x9a\x9b\xe5\x8c\x96\r\n\r\n)" },
	{ "37-global", "(BODY[1.TEXT] {0}\r\n)", "(BODY[1.TEXT] {7}\r\ninner\r\n)" },
};

static char *
slurp(const char *path, size_t *len)
{
	struct stat	 st;
	char		*p;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	p = xmalloc((size_t)st.st_size + 1);
	if (read(fd, p, (size_t)st.st_size) != st.st_size) {
		close(fd);
		free(p);
		return NULL;
	}
	close(fd);
	p[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	return p;
}

static int
appendf(void *arg, const char *p, size_t n)
{
	if (n == 0)
		abort();
	return buf_add(arg, p, n);
}

/* The sections of one line of tests/data/mime/sections ("(...)" lists kept whole). */
static size_t
split_sections(char *rest, char **secs, size_t max)
{
	size_t	 n = 0;
	int	 depth = 0;
	char	*p, *st = NULL;

	for (p = rest;; p++) {
		if (*p == '\0' || *p == '\n' || (*p == ' ' && depth == 0 &&
		    p[1] != '(')) {
			if (st != NULL && n < max)
				secs[n++] = st;
			st = NULL;
			if (*p == '\0' || *p == '\n') {
				*p = '\0';
				return n;
			}
			*p = '\0';
			continue;
		}
		if (st == NULL)
			st = p;
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
	}
}

/* One FETCH response for BODY[spec], as Dovecot writes it. */
static int
fetch_section(struct buf *out, const char *msg, const struct mime_tree *t,
    const char *spec)
{
	struct mime_section	 sec;
	struct buf		 data;
	const char		*err, *lt = strchr(spec, '<');
	char			 label[512];
	size_t			 n = lt ? (size_t)(lt - spec) : strlen(spec), i;
	unsigned long long	 off = 0, len = UINT64_MAX;
	uint64_t		 start, end;
	int			 found;

	if (n >= sizeof(label))
		return -1;
	for (i = 0; i < n; i++)
		label[i] = (char)toupper((unsigned char)spec[i]);
	label[n] = '\0';
	if (lt != NULL && sscanf(lt, "<%llu.%llu>", &off, &len) != 2)
		return -1;
	if (mime_section_parse(spec, n, &sec, &err) == -1) {
		fprintf(stderr, "  section %s: %s\n", spec, err);
		return -1;
	}
	buf_init(&data, 0);
	found = mime_section_find(t, &sec, &start, &end);
	if (found && (sec.kind == MIME_SEC_FIELDS || sec.kind == MIME_SEC_FIELDS_NOT)) {
		struct buf	 f;

		buf_init(&f, 0);
		(void)mime_section_fields(msg, start, end, &sec, &f);
		if (off < f.len)
			(void)buf_add(&data, f.data + off,
			    len < f.len - off ? len : f.len - off);
		buf_free(&f);
	} else if (found)
		(void)mime_crlf_write(msg, start, end, off, len, appendf, &data);
	(void)buf_addf(out, "* 1 FETCH (BODY[%s]", label);
	if (lt != NULL)
		(void)buf_addf(out, "<%llu>", off);
	(void)buf_addf(out, " {%zu}\r\n", data.len);
	(void)buf_add(out, data.data ? data.data : "", data.len);
	(void)buf_add(out, ")\r\n", 3);
	buf_free(&data);
	return 0;
}

/* What tegami answers to the commands make-refs.sh sent for name. */
static int
answer(const char *name, char *sections, struct buf *out)
{
	char			 path[4200], *msg, *secs[64];
	size_t			 len, n, i;
	struct mime_tree	*t;

	snprintf(path, sizeof(path), "%s/%s.eml", DATA, name);
	if ((msg = slurp(path, &len)) == NULL)
		return -1;
	t = mime_parse(msg, len);
	(void)buf_addf(out, "* 1 FETCH (RFC822.SIZE %llu ENVELOPE ",
	    (unsigned long long)t->vsize);
	(void)imap_envelope(out, t, 0);
	(void)buf_add(out, " BODYSTRUCTURE ", 15);
	(void)imap_bodystructure(out, t, 0, 1);
	(void)buf_add(out, " BODY ", 6);
	(void)imap_bodystructure(out, t, 0, 0);
	(void)buf_add(out, ")\r\n", 3);
	n = split_sections(sections, secs, 64);
	for (i = 0; i < n; i++) {
		char	 spec[512];

		/* "<>" stands for BODY[] (make-refs.sh). */
		snprintf(spec, sizeof(spec), "%s", strcmp(secs[i], "<>") == 0 ?
		    "" : secs[i]);
		if (fetch_section(out, msg, t, spec) == -1) {
			mime_free(&t);
			free(msg);
			return -1;
		}
	}
	mime_free(&t);
	free(msg);
	return 0;
}

/* The .ref with the deviations of name applied; -1 when one is not there. */
static int
expected(const char *name, struct buf *ref)
{
	char	 path[4200], *s, *hit;
	size_t	 len, i, dl;

	snprintf(path, sizeof(path), "%s/%s.ref", DATA, name);
	if ((s = slurp(path, &len)) == NULL)
		return -1;
	(void)buf_add(ref, s, len);
	free(s);
	for (i = 0; i < sizeof(deviations) / sizeof(deviations[0]); i++) {
		const struct deviation	*d = &deviations[i];
		struct buf		 tmp;

		if (strcmp(d->name, name) != 0)
			continue;
		dl = strlen(d->dovecot);
		if ((hit = memmem(ref->data, ref->len, d->dovecot, dl)) == NULL) {
			fprintf(stderr, "  %s: deviation not in the .ref: %s\n",
			    name, d->dovecot);
			return -1;
		}
		buf_init(&tmp, 0);
		(void)buf_add(&tmp, ref->data, (size_t)(hit - ref->data));
		(void)buf_adds(&tmp, d->tegami);
		(void)buf_add(&tmp, hit + dl, ref->len - (size_t)(hit -
		    ref->data) - dl);
		buf_free(ref);
		*ref = tmp;
	}
	return 0;
}

static int	 refs_done, refs_same;

static void
compare(const char *name, char *sections)
{
	struct buf	 got, want;
	size_t		 i;
	int		 ok;

	buf_init(&got, 0);
	buf_init(&want, 0);
	refs_done++;
	if (answer(name, sections, &got) == -1 || expected(name, &want) == -1) {
		t_fail(__FILE__, __LINE__, "%s: cannot build the answer", name);
		goto done;
	}
	ok = got.len == want.len && memcmp(got.data, want.data, got.len) == 0;
	if (!ok) {
		for (i = 0; i < got.len && i < want.len &&
		    got.data[i] == want.data[i]; i++)
			;
		t_fail(__FILE__, __LINE__, "%s differs at octet %zu:\n"
		    "  tegami:  %.300s\n  dovecot: %.300s", name, i,
		    got.data + (i > 60 ? i - 60 : 0),
		    want.data + (i > 60 ? i - 60 : 0));
		goto done;
	}
	refs_same++;
done:
	buf_free(&got);
	buf_free(&want);
}

static void
test_refs(void)
{
	FILE	*f;
	char	 line[4096], *colon;

	f = fopen(DATA "/sections", "r");
	T_ASSERT(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || (colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		compare(line, colon + 1);
	}
	fclose(f);
	fprintf(stderr, "  test_mime: %d of %d messages as Dovecot answers them\n",
	    refs_same, refs_done);
	T_ASSERT(refs_done >= 25);
}

void
test_main(void)
{
	t_run("dovecot_refs", test_refs);
}
