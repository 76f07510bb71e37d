/* Tests for src/imap/search*.c, sort*.c, thread*.c: Dovecot's answers for tests/data/imapsearch, and the pieces alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "lib/buf.h"
#include "lib/readfile.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"
#include "mail/mime.h"
#include "imap/search.h"
#include "imap/search_fields.h"
#include "imap/search_fold.h"
#include "imap/search_priv.h"
#include "imap/sort.h"
#include "imap/thread.h"

/* Run from the top of the tree (make unit does), where tests/data is. */
#define DATA	"tests/data/imapsearch"
#define MAXMSG	64

/*
 * Where tegami answers otherwise than Dovecot 2.3.19, on purpose (see
 * tests/data/imapsearch/README): the answer tegami gives instead.
 */
static const struct deviation {
	const char	*tag;
	const char	*want;
} deviations[] = {
	/* Raw ISO-2022-JP in a header and in an undeclared body is decoded. */
	{ "s55", "* SEARCH 28\r\n" },
	{ "s105", "* SEARCH 5 28\r\n" },
	{ "s106", "* SEARCH 5 28\r\n" },
	{ "e30", "* ESEARCH (TAG \"e30\") COUNT 2\r\n" },
	/* Shift_JIS is CP932, where NEC's row 13 has U+2460 (folded to "1"). */
	{ "s84", "* SEARCH 6 21\r\n" },
	/* NFKD folds the ligature U+FB01 to "fi" (RFC 5051). */
	{ "s92", "* SEARCH 9\r\n" },
	/* Message 28's subject sorts by its decoded text, not by ESC. */
	{ "o5", "* SORT 22 24 29 20 30 23 31 12 9 19 8 21 17 18 1 2 3 4 14 16 "
	    "10 13 25 26 27 11 32 33 15 28 6 5 7\r\n" },
	{ "o6", "* SORT 7 5 6 28 15 32 33 11 25 26 27 13 10 1 2 3 4 14 16 18 "
	    "17 21 8 19 9 12 31 23 30 20 29 24 22\r\n" },
	{ "o12", "* SORT 22 24 29 20 30 23 31 12 9 19 8 21 17 18 1 2 3 4 14 16 "
	    "10 13 26 25 27 11 32 33 15 28 6 5 7\r\n" },
	/* The parser refuses a day the month does not have. */
	{ "s135", NULL },
	/* RFC 5256 4: "THREAD" alone when nothing matched, no space after. */
	{ "t6", "* THREAD\r\n" },
};

struct entry {
	char	*cmd;		/* the command line, without CRLF */
	size_t	 cmdlen;
	char	*tag;
	char	*untagged;	/* Dovecot's untagged responses of interest */
	char	*tagged;
};

static struct {
	char			*msg[MAXMSG];
	size_t			 len[MAXMSG];
	struct mime_tree	*tree[MAXMSG];
	struct buf		 fields[MAXMSG];
	struct search_msg	 m[MAXMSG];
	uint32_t		 n;
	char			*kw[SEARCH_KEYWORDS_MAX];
	size_t			 nkw;
	uint32_t		*saved;
	size_t			 nsaved;
	struct entry		*e;
	size_t			 ne;
	int			 mode;	/* 0 files, 1 index fields, 2 files and trees */
	int			 opens;
} box;

static int
src_fields(void *arg, uint32_t uid, void *priv, struct buf *out)
{
	if (box.mode != 1 || uid == 0 || uid > box.n)
		return 0;
	return buf_add(out, box.fields[uid - 1].data, box.fields[uid - 1].len) ==
	    0 ? 1 : -1;
}

static int
src_open(void *arg, uint32_t uid, void *priv, struct search_text *t,
    const char **errstr)
{
	if (uid == 0 || uid > box.n)
		return 0;
	box.opens++;
	t->msg = box.msg[uid - 1];
	t->len = box.len[uid - 1];
	t->tree = box.mode == 2 ? box.tree[uid - 1] : NULL;
	return 1;
}

static const struct search_src src = { NULL, src_fields, src_open, NULL };

static int
month(const char *s)
{
	static const char *const m[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int	 i;

	for (i = 0; i < 12; i++)
		if (strncmp(s, m[i], 3) == 0)
			return i + 1;
	return 0;
}

/* "* 1 FETCH (UID 1 FLAGS (\Seen \Recent) INTERNALDATE "..." RFC822.SIZE 216 MODSEQ (3))" */
static int
load_msg(const char *line)
{
	struct search_msg	*m;
	struct imap_datetime	 dt;
	const char		*p, *q;
	char			 mon[4], word[64];
	unsigned		 seq, uid;
	int			 zone, n;
	unsigned long long	 size, modseq;
	size_t			 i;

	if (sscanf(line, "* %u FETCH (UID %u FLAGS (", &seq, &uid) != 2 ||
	    seq == 0 || seq > MAXMSG)
		return -1;
	m = &box.m[seq - 1];
	memset(m, 0, sizeof(*m));
	m->uid = uid;
	p = strstr(line, "FLAGS (") + 7;
	while (*p != ')') {
		for (q = p; *q != ' ' && *q != ')'; q++)
			;
		n = (int)(q - p);
		snprintf(word, sizeof(word), "%.*s", n, p);
		if (strcmp(word, "\\Seen") == 0)
			m->flags |= IMAP_FLAG_SEEN;
		else if (strcmp(word, "\\Answered") == 0)
			m->flags |= IMAP_FLAG_ANSWERED;
		else if (strcmp(word, "\\Flagged") == 0)
			m->flags |= IMAP_FLAG_FLAGGED;
		else if (strcmp(word, "\\Deleted") == 0)
			m->flags |= IMAP_FLAG_DELETED;
		else if (strcmp(word, "\\Draft") == 0)
			m->flags |= IMAP_FLAG_DRAFT;
		else if (strcmp(word, "\\Recent") == 0)
			m->flags |= SEARCH_MSG_RECENT;
		else {
			for (i = 0; i < box.nkw && strcmp(box.kw[i], word) != 0; i++)
				;
			if (i == box.nkw)
				box.kw[box.nkw++] = strdup(word);
			m->kw |= 1ULL << i;
		}
		p = *q == ' ' ? q + 1 : q;
	}
	p = strstr(line, "INTERNALDATE \"");
	if (p == NULL || sscanf(p, "INTERNALDATE \"%d-%3s-%d %d:%d:%d %d\"",
	    &dt.day, mon, &dt.year, &dt.hour, &dt.min, &dt.sec, &zone) != 7)
		return -1;
	dt.mon = month(mon);
	dt.zone = (zone < 0 ? -1 : 1) * ((abs(zone) / 100) * 60 + abs(zone) % 100);
	m->internaldate = imap_datetime_time(&dt);
	m->tz = dt.zone;
	if ((p = strstr(line, "RFC822.SIZE ")) == NULL ||
	    sscanf(p, "RFC822.SIZE %llu MODSEQ (%llu)", &size, &modseq) != 2)
		return -1;
	m->size = size;
	m->modseq = modseq;
	if (seq > box.n)
		box.n = seq;
	return 0;
}

static void
append(char **s, const char *p, size_t n)
{
	size_t	 old = *s ? strlen(*s) : 0;

	*s = realloc(*s, old + n + 1);
	memcpy(*s + old, p, n);
	(*s)[old + n] = '\0';
}

/* The transcript as entries; the mailbox from the FETCH of p12. */
static int
load(void)
{
	char		*t, *p, *e, path[256], name[128];
	size_t		 len, n = 0;
	FILE		*f;
	struct entry	*cur = NULL;

	if (box.n > 0)
		return 0;
	if (readfile(DATA "/transcript.ref", 1 << 24, &t, &len) == -1)
		return -1;
	box.e = calloc(512, sizeof(*box.e));
	for (p = t; p < t + len; p = e + 2) {
		if ((e = strstr(p, "\r\n")) == NULL)
			break;
		if (strncmp(p, "C: ", 3) == 0) {
			cur = &box.e[box.ne++];
			cur->cmd = strndup(p + 3, (size_t)(e - p - 3));
			cur->cmdlen = (size_t)(e - p - 3);
			cur->tag = strndup(cur->cmd, strcspn(cur->cmd, " "));
			continue;
		}
		if (cur == NULL)
			continue;
		if (strncmp(p, "* ", 2) != 0) {
			cur->tagged = strndup(p, (size_t)(e - p));
			continue;
		}
		if (strcmp(cur->tag, "p12") == 0) {
			char	*line = strndup(p, (size_t)(e - p));

			if (load_msg(line) == -1) {
				fprintf(stderr, "bad FETCH line: %s\n", line);
				return -1;
			}
			free(line);
			continue;
		}
		/* Keyword announcements are the engine's, not the search's. */
		if (strncmp(p, "* FLAGS ", 8) == 0 ||
		    strncmp(p, "* OK [PERMANENTFLAGS", 20) == 0)
			continue;
		append(&cur->untagged, p, (size_t)(e - p + 2));
	}
	free(t);
	if ((f = fopen(DATA "/mailbox", "r")) == NULL)
		return -1;
	while (fgets(path, sizeof(path), f) != NULL) {
		if (path[0] == '#' || sscanf(path, "%127s", name) != 1)
			continue;
		snprintf(path, sizeof(path), DATA "/msgs/%s", name);
		if (readfile(path, 1 << 24, &box.msg[n], &box.len[n]) == -1) {
			fclose(f);
			return -1;
		}
		box.tree[n] = mime_parse(box.msg[n], box.len[n]);
		buf_init(&box.fields[n], 0);
		if (search_fields_build(&box.fields[n], box.msg[n], box.len[n],
		    NULL) == -1)
			return -1;
		n++;
	}
	fclose(f);
	return n == box.n ? 0 : -1;
}

static struct imap_reader	 rd;
static int			 rd_live;

/*
 * The wire form of a command line: a quoted string with 8-bit octets (which
 * Dovecot takes, IMAP4rev1's grammar not) becomes the literal clients send.
 */
static void
wire(struct buf *in, const char *cmd, size_t len)
{
	struct buf	 lit;
	size_t		 i, j;
	int		 eight;

	buf_init(&lit, 0);
	for (i = 0; i < len; i++) {
		if (cmd[i] != '"') {
			buf_addc(in, cmd[i]);
			continue;
		}
		/* The quoted string's content, its escapes undone. */
		buf_reset(&lit);
		for (j = i + 1, eight = 0; j < len && cmd[j] != '"'; j++) {
			if (cmd[j] == '\\' && j + 1 < len)
				j++;
			if ((unsigned char)cmd[j] >= 0x80)
				eight = 1;
			buf_addc(&lit, cmd[j]);
		}
		if (!eight || j == len) {
			buf_add(in, cmd + i, j - i + (j < len));
			i = j;
			continue;
		}
		buf_addf(in, "{%zu}\r\n", lit.len);
		buf_add(in, lit.data, lit.len);
		i = j;
	}
	buf_adds(in, "\r\n");
	buf_free(&lit);
}

/* Parses one command line (literals taken into the text). */
static int
parse(struct imap_request *req, const char *cmd, size_t len, unsigned enabled)
{
	struct imap_parse_opts	 o = { IMAP_CAP_ALL, enabled };
	struct buf		 in;
	size_t			 off = 0, used;
	enum imap_rd_status	 st;
	int			 rc = -1;

	if (rd_live)
		imap_reader_free(&rd);
	imap_reader_init(&rd, NULL);
	rd_live = 1;
	buf_init(&in, 0);
	wire(&in, cmd, len);
	for (;;) {
		st = imap_reader_feed(&rd, in.data + off, in.len - off, &used);
		off += used;
		if (st == IMAP_RD_LITERAL) {
			imap_reader_accept(&rd, IMAP_LIT_BUFFER, 0);
			continue;
		}
		break;
	}
	if (st == IMAP_RD_COMMAND)
		rc = imap_parse(req, imap_reader_command(&rd), &o);
	buf_free(&in);
	return rc;
}

/* "tag OK ..." -> "OK", "tag NO [BADCHARSET ...] ..." -> "NO [BADCHARSET". */
static void
status_of(const char *line, char *out, size_t outlen)
{
	const char	*p = strchr(line, ' ');
	size_t		 n;

	p = p ? p + 1 : line;
	n = strcspn(p, " ");
	if (p[n] == ' ' && p[n + 1] == '[')
		n += 1 + strcspn(p + n + 1, " ]");
	snprintf(out, outlen, "%.*s", (int)n, p);
}

/* Runs one command as the engine would; the output, "" on a parse error. */
static void
run(const struct entry *en, unsigned enabled, struct buf *out, char *status,
    size_t statuslen)
{
	struct imap_request	 req;
	struct search_mailbox	 mb;
	struct search		*s;
	struct buf		 st;
	uint32_t		*saved;
	size_t			 nsaved;

	buf_reset(out);
	memset(&req, 0, sizeof(req));
	if (parse(&req, en->cmd, en->cmdlen, enabled) == -1) {
		snprintf(status, statuslen, "BAD");
		imap_request_free(&req);
		return;
	}
	memset(&mb, 0, sizeof(mb));
	mb.msgs = box.m;
	mb.n = box.n;
	mb.kwnames = (const char *const *)box.kw;
	mb.nkw = box.nkw;
	mb.saved = box.saved;
	mb.nsaved = box.nsaved;
	mb.enabled = enabled;
	mb.now = time(NULL);
	mb.src = &src;
	s = search_new(&req, &mb);
	imap_request_free(&req);
	search_run(s);
	(void)search_write(s, out);
	buf_init(&st, 0);
	(void)search_write_status(s, &st);
	status_of(st.data, status, statuslen);
	buf_free(&st);
	if (search_take_saved(s, &saved, &nsaved)) {
		free(box.saved);
		box.saved = saved;
		box.nsaved = nsaved;
	}
	search_free(&s);
}

static void
dovecot_mode(int mode)
{
	struct buf	 out;
	char		 status[64], want_status[64];
	size_t		 i, k, checked = 0;
	const char	*want;
	int		 bad = 0;

	if (load() == -1) {
		t_fail(__FILE__, __LINE__, "cannot load " DATA);
		return;
	}
	box.mode = mode;
	free(box.saved);
	box.saved = NULL;
	box.nsaved = 0;
	buf_init(&out, 0);
	for (i = 0; i < box.ne; i++) {
		const struct entry	*en = &box.e[i];

		if (strchr("seot", en->tag[0]) == NULL || en->tagged == NULL)
			continue;
		run(en, IMAP_ENA_CONDSTORE, &out, status, sizeof(status));
		want = en->untagged ? en->untagged : "";
		status_of(en->tagged, want_status, sizeof(want_status));
		/* A deviation's answer; none: the command is refused (BAD). */
		for (k = 0; k < sizeof(deviations) / sizeof(deviations[0]); k++)
			if (strcmp(deviations[k].tag, en->tag) == 0) {
				want = deviations[k].want ? deviations[k].want : "";
				if (deviations[k].want == NULL)
					snprintf(want_status, sizeof(want_status),
					    "BAD");
			}
		checked++;
		if (strcmp(out.data ? out.data : "", want) != 0 ||
		    strcmp(status, want_status) != 0) {
			t_fail(__FILE__, __LINE__, "mode %d: %s\n  got:  %s%s\n"
			    "  want: %s%s", mode, en->cmd, out.data ? out.data :
			    "", status, want, want_status);
			bad = 1;
		}
	}
	buf_free(&out);
	if (!bad && checked < 150)
		t_fail(__FILE__, __LINE__, "only %zu commands checked", checked);
}

static void
test_dovecot_files(void)
{
	dovecot_mode(0);
}

static void
test_dovecot_index(void)
{
	box.opens = 0;
	dovecot_mode(1);
}

static void
test_dovecot_trees(void)
{
	dovecot_mode(2);
}


/* --- the pieces ------------------------------------------------------------ */

static char *
fold(const char *s)
{
	struct buf	 b;

	buf_init(&b, 0);
	search_fold(&b, s, strlen(s));
	buf_addc(&b, '\0');
	return buf_release(&b);
}

static int
fold_eq(const char *a, const char *b)
{
	char	*x = fold(a), *y = fold(b);
	int	 r = strcmp(x, y) == 0;

	free(x);
	free(y);
	return r;
}

static void
test_fold(void)
{
	char	*p;

	T_EQ_STR(search_fold_version(), "14.0.0");
	p = fold("Hello, World 123");
	T_EQ_STR(p, "HELLO, WORLD 123");
	free(p);
	T_ASSERT(fold_eq("ＡＢＣ　ｄｅｆ", "abc def"));
	T_ASSERT(fold_eq("ｶﾀｶﾅ", "カタカナ"));
	T_ASSERT(fold_eq("ｶﾞ", "ガ"));
	T_ASSERT(fold_eq("ǆ", "DŽ"));
	T_ASSERT(fold_eq("ﬁle", "FILE"));
	T_ASSERT(fold_eq("①", "1"));
	T_ASSERT(fold_eq("Ｇｒüße", "GRÜßE"));
	T_ASSERT(!fold_eq("ß", "SS"));		/* simple mapping only */
	T_ASSERT(fold_eq("한", "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab"));
	/* Combining marks in canonical order, however they came. */
	T_ASSERT(fold_eq("a\xcc\x81\xcc\x96", "a\xcc\x96\xcc\x81"));
	T_ASSERT(fold_eq("é", "E\xcc\x81"));
	T_ASSERT(!fold_eq("e", "é"));
	/* Not UTF-8: the octets as they are. */
	p = fold("a\xff\xc3z");
	T_EQ_STR(p, "A\xff\xc3Z");
	free(p);
}

static void
test_base_subject(void)
{
	static const struct {
		const char	*in, *out;
		int		 reply;
	} v[] = {
		{ "Re: foo", "FOO", 1 },
		{ "RE: [list] Re: foo (fwd)", "FOO", 1 },
		{ "[list] foo", "FOO", 0 },
		{ "[list]", "[LIST]", 0 },
		{ "[fwd: foo]", "FOO", 1 },
		{ "Fwd: Re: [x] [y] Re:  foo \t  bar  ", "FOO BAR", 1 },
		{ "re:", "", 1 },
		{ "Re[2]: foo", "FOO", 1 },
		{ "fw : foo", "FOO", 1 },
		{ "Re:foo", "FOO", 1 },
		{ "Rebound: foo", "REBOUND: FOO", 0 },
		{ "  foo  (fwd) (FWD) ", "FOO", 1 },
		{ "[fwd: Re: [list] bar] (fwd)", "BAR", 1 },
		{ "foo\r\n bar", "FOO BAR", 0 },
		{ "[a][b] Re: x", "X", 1 },
		{ "Rê: x", "Rê: X", 0 },	/* ASCII only; search_fields folds the rest */
		{ "", "", 0 },
	};
	struct buf	 b;
	size_t		 i;
	bool		 reply;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		T_EQ_INT(sort_base_subject(&b, v[i].in, strlen(v[i].in), &reply), 0);
		buf_addc(&b, '\0');
		T_EQ_STR(b.data, v[i].out);
		T_EQ_INT(reply, v[i].reply);
	}
	buf_free(&b);
}

static int
collect_id(void *arg, const char *id, size_t n)
{
	struct buf	*b = arg;

	buf_add(b, id, n);
	buf_addc(b, '|');
	return 0;
}

static char *
ids(const char *v, size_t max)
{
	struct buf	 b;

	buf_init(&b, 0);
	thread_msgids(v, strlen(v), max, collect_id, &b);
	buf_addc(&b, '\0');
	return buf_release(&b);
}

static void
test_msgids(void)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "<a@b>", "a@b|" },
		{ "<a@b> <c@d>", "a@b|c@d|" },
		{ "junk <x@y> (comment <z@w>) <e@f>", "x@y|e@f|" },
		{ "< a @ b >", "a@b|" },
		{ "<a\r\n @b>", "a@b|" },
		{ "<noat> <@b> <a@> <a@b", "" },
		{ "<<a@b>", "a@b|" },
		{ "<\"x y\"@b>", "\"x y\"@b|" },
		{ "\"<q@q>\" <r@r>", "r@r|" },
		{ "<a(c)@b>", "a@b|" },
		{ "", "" },
	};
	struct buf	 big;
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		p = ids(v[i].in, SIZE_MAX);
		T_EQ_STR(p, v[i].out);
		free(p);
	}
	p = ids("<a@b> <c@d> <e@f>", 2);
	T_EQ_STR(p, "a@b|c@d|");
	free(p);
	/* An id longer than THREAD_ID_MAX is no id. */
	buf_init(&big, 0);
	buf_addc(&big, '<');
	for (i = 0; i < THREAD_ID_MAX; i++)
		buf_addc(&big, 'x');
	buf_adds(&big, "@y> <ok@y>");
	p = ids(big.data, SIZE_MAX);
	T_EQ_STR(p, "ok@y|");
	free(p);
	buf_free(&big);
}

static struct thread_msg *
tmsgs(size_t n)
{
	struct thread_msg	*v = calloc(n, sizeof(*v));
	size_t			 i;

	for (i = 0; i < n; i++) {
		v[i].seq = v[i].num = (uint32_t)(i + 1);
		v[i].date = (int64_t)i;
		v[i].subj = "S";
		v[i].subjlen = 1;
	}
	return v;
}

/* RFC 5256 REFERENCES on small cases, and linear on a crafted 100,000-message chain. */
static void
test_thread_references(void)
{
	struct thread_msg	*v;
	struct buf		 out;
	char			 id[100][16];
	const char		*refs[100][2];
	size_t			 reflens[100][2], i, n = 100000;
	char			(*bid)[16];
	const char		**bref;
	size_t			*blen;
	clock_t			 c0;

	buf_init(&out, 0);
	/* 1 <- 2 <- 3, 4 answers 1, 5 has an unknown parent, 6 another subject. */
	v = tmsgs(6);
	for (i = 0; i < 6; i++) {
		snprintf(id[i], sizeof(id[i]), "m%zu@x", i + 1);
		v[i].id = id[i];
		v[i].idlen = strlen(id[i]);
	}
	refs[1][0] = id[0];
	refs[2][0] = id[0];
	refs[2][1] = id[1];
	refs[3][0] = id[0];
	refs[4][0] = "ghost@x";
	for (i = 1; i <= 4; i++) {
		size_t	 k;

		v[i].refs = refs[i];
		v[i].reflens = reflens[i];
		v[i].nrefs = i == 2 ? 2 : 1;
		for (k = 0; k < v[i].nrefs; k++)
			reflens[i][k] = strlen(refs[i][k]);
	}
	v[5].subj = "T";
	thread_references(&out, v, 6);
	buf_addc(&out, '\0');
	/* 5 has subject S like 1's thread and no reply marker: a dummy takes both. */
	T_EQ_STR(out.data, "((1 (2 3)(4))(5))(6)");
	buf_reset(&out);
	thread_orderedsubject(&out, v, 6);
	buf_addc(&out, '\0');
	T_EQ_STR(out.data, "(1 (2)(3)(4)(5))(6)");
	free(v);

	/* A chain: each message answers the one before; dates backwards. */
	v = tmsgs(n);
	bid = calloc(n, sizeof(*bid));
	bref = calloc(n, sizeof(*bref));
	blen = calloc(n, sizeof(*blen));
	for (i = 0; i < n; i++) {
		snprintf(bid[i], sizeof(bid[i]), "c%zu@x", i);
		v[i].id = bid[i];
		v[i].idlen = strlen(bid[i]);
		v[i].date = (int64_t)(n - i);
		if (i > 0) {
			bref[i] = bid[i - 1];
			blen[i] = strlen(bid[i - 1]);
			v[i].refs = &bref[i];
			v[i].reflens = &blen[i];
			v[i].nrefs = 1;
		}
	}
	buf_reset(&out);
	c0 = clock();
	T_EQ_INT(thread_references(&out, v, n), 0);
	T_ASSERT(clock() - c0 < 2 * CLOCKS_PER_SEC);
	T_ASSERT(strncmp(out.data, "(1 2 3 4 ", 9) == 0);
	T_ASSERT(out.len > 9 && memcmp(out.data + out.len - 8, " 100000)", 8) == 0);
	/* Every message a reply to the one after it: a loop at each step is refused. */
	for (i = 0; i + 1 < n; i++) {
		bref[i] = bid[i + 1];
		blen[i] = strlen(bid[i + 1]);
		v[i].refs = &bref[i];
		v[i].reflens = &blen[i];
		v[i].nrefs = 1;
	}
	bref[n - 1] = bid[0];
	blen[n - 1] = strlen(bid[0]);
	v[n - 1].refs = &bref[n - 1];
	v[n - 1].reflens = &blen[n - 1];
	v[n - 1].nrefs = 1;
	buf_reset(&out);
	c0 = clock();
	T_EQ_INT(thread_references(&out, v, n), 0);
	T_ASSERT(clock() - c0 < 5 * CLOCKS_PER_SEC);
	T_ASSERT(out.len > 0);
	free(bid);
	free(bref);
	free(blen);
	free(v);
	buf_free(&out);
}

/* Damaged or stale index bytes are refused, and the search reads the file. */
static void
test_fields_blob(void)
{
	static const char msg[] = "From: A <a@x>\nSubject: Re: hello\n"
	    "Date: Mon, 7 Feb 2022 10:00:00 +0900\nMessage-ID: <i@x>\n"
	    "References: <r1@x> <r2@x>\n\nbody\n";
	struct search_fields	 f;
	struct buf		 b;
	size_t			 i;

	buf_init(&b, 0);
	T_EQ_INT(search_fields_build(&b, msg, sizeof(msg) - 1, NULL), 0);
	T_ASSERT(search_fields_current(b.data, b.len));
	T_EQ_INT(search_fields_parse(b.data, b.len, &f), 0);
	T_ASSERT(f.reply);
	T_ASSERT(f.date_set);
	T_EQ_INT(f.tz, 540);
	T_EQ_INT(f.nrefs, 2);
	T_ASSERT(f.len[SF_MSGID] == 3 && memcmp(f.s[SF_MSGID], "i@x", 3) == 0);
	T_ASSERT(f.len[SF_BASESUBJ] == 5 && memcmp(f.s[SF_BASESUBJ], "HELLO", 5) == 0);
	T_ASSERT(memmem(f.s[SF_FROM], f.len[SF_FROM], "A <A@X>", 7) != NULL);
	for (i = 0; i < b.len; i++)
		T_ASSERT(!search_fields_current(b.data, i));
	b.data[4] ^= 1;
	T_ASSERT(!search_fields_current(b.data, b.len));
	buf_free(&b);
}

/* Runs cmd over box with the given options; the untagged output in out. */
static void
run_cmd(const char *cmd, unsigned enabled, struct buf *out, char *status,
    size_t statuslen)
{
	struct entry	 en;

	memset(&en, 0, sizeof(en));
	en.cmd = (char *)cmd;
	en.cmdlen = strlen(cmd);
	run(&en, enabled, out, status, statuslen);
}

static void
test_rev2_and_modes(void)
{
	struct buf	 out;
	char		 st[64];
	int		 opens;

	T_ASSERT(load() == 0);
	buf_init(&out, 0);
	box.mode = 1;
	/* IMAP4rev2 answers SEARCH with ESEARCH, ALL by default. */
	run_cmd("x SEARCH SEEN", IMAP_ENA_IMAP4REV2, &out, st, sizeof(st));
	T_EQ_STR(out.data, "* ESEARCH (TAG \"x\") ALL 1:3,5,11,20:22\r\n");
	run_cmd("x UID SEARCH SUBJECT nosuch", IMAP_ENA_IMAP4REV2, &out, st,
	    sizeof(st));
	T_EQ_STR(out.data, "* ESEARCH (TAG \"x\") UID\r\n");
	run_cmd("x SEARCH CHARSET X-NOSUCH ALL", 0, &out, st, sizeof(st));
	T_EQ_STR(st, "NO [BADCHARSET");
	/* Keys the list answers open nothing; the index answers SUBJECT. */
	box.opens = 0;
	run_cmd("x SEARCH SEEN UNFLAGGED 1:20 LARGER 10", 0, &out, st, sizeof(st));
	T_EQ_INT(box.opens, 0);
	run_cmd("x SEARCH SUBJECT meeting", 0, &out, st, sizeof(st));
	T_EQ_INT(box.opens, 0);
	/* BODY opens only what the cheaper keys leave: the 8 seen messages. */
	run_cmd("x SEARCH SEEN BODY budget", 0, &out, st, sizeof(st));
	T_EQ_STR(out.data, "* SEARCH 1\r\n");
	T_EQ_INT(box.opens, 8);
	/* Without the index every message is read once. */
	box.mode = 0;
	box.opens = 0;
	run_cmd("x SEARCH OR SUBJECT meeting BODY budget", 0, &out, st, sizeof(st));
	opens = box.opens;
	T_EQ_INT(opens, (int)box.n);
	buf_free(&out);
}

static int
open_fail(void *arg, uint32_t uid, void *priv, struct search_text *t,
    const char **errstr)
{
	if (uid == 3) {
		*errstr = "EIO";
		return -1;
	}
	return uid == 2 ? 0 : src_open(arg, uid, priv, t, errstr);
}

/* A message that cannot be read stops with NO [SERVERBUG]; one gone matches nothing. */
static void
test_read_errors(void)
{
	struct search_src	 s2 = { NULL, NULL, open_fail, NULL };
	struct search_mailbox	 mb;
	struct imap_request	 req;
	struct search		*s;
	struct buf		 out;
	uint32_t		*saved;
	size_t			 n;

	T_ASSERT(load() == 0);
	box.mode = 0;
	memset(&mb, 0, sizeof(mb));
	mb.msgs = box.m;
	mb.n = 2;
	mb.src = &s2;
	memset(&req, 0, sizeof(req));
	T_EQ_INT(parse(&req, "x SEARCH RETURN (SAVE ALL) BODY e",
	    strlen("x SEARCH RETURN (SAVE ALL) BODY e"), 0), 0);
	s = search_new(&req, &mb);
	search_run(s);
	T_EQ_INT(search_result(s), IMAP_OK);
	T_EQ_INT(search_gone(s), 1);
	buf_init(&out, 0);
	search_write(s, &out);
	T_EQ_STR(out.data, "* ESEARCH (TAG \"x\") ALL 1\r\n");
	search_free(&s);
	mb.n = 3;
	s = search_new(&req, &mb);
	search_run(s);
	T_EQ_INT(search_result(s), IMAP_NO);
	buf_reset(&out);
	search_write(s, &out);
	T_EQ_INT(out.len, 0);
	search_write_status(s, &out);
	T_ASSERT(strncmp(out.data, "x NO [SERVERBUG] ", 17) == 0);
	/* RFC 5182 2.1: a failed SAVE leaves $ empty. */
	T_EQ_INT(search_take_saved(s, &saved, &n), 1);
	T_EQ_INT(n, 0);
	free(saved);
	search_free(&s);
	imap_request_free(&req);
	buf_free(&out);
}

/* 100,000 messages: flag keys alone touch no file and take little time. */
static void
test_large_mailbox(void)
{
	struct search_mailbox	 mb;
	struct imap_request	 req;
	struct search		*s;
	struct search_msg	*m;
	const uint32_t		*seqs;
	size_t			 i, n = 100000;
	clock_t			 c0;

	m = calloc(n, sizeof(*m));
	for (i = 0; i < n; i++) {
		m[i].uid = (uint32_t)(i * 2 + 1);
		m[i].flags = i % 3 ? IMAP_FLAG_SEEN : 0;
		m[i].size = i;
	}
	memset(&mb, 0, sizeof(mb));
	mb.msgs = m;
	mb.n = (uint32_t)n;
	mb.src = &src;
	box.opens = 0;
	memset(&req, 0, sizeof(req));
	T_EQ_INT(parse(&req, "x UID SEARCH UNSEEN UID 1:100001 NOT LARGER 60000",
	    strlen("x UID SEARCH UNSEEN UID 1:100001 NOT LARGER 60000"), 0), 0);
	c0 = clock();
	s = search_new(&req, &mb);
	search_run(s);
	T_ASSERT(clock() - c0 < CLOCKS_PER_SEC / 2);
	T_EQ_INT(search_matches(s, &seqs, NULL), 16667);
	T_EQ_INT(seqs[1], 4);
	T_EQ_INT(box.opens, 0);
	search_free(&s);
	imap_request_free(&req);
	free(m);
}

void
test_main(void)
{
	t_run("fold", test_fold);
	t_run("base_subject", test_base_subject);
	t_run("msgids", test_msgids);
	t_run("thread_references", test_thread_references);
	t_run("fields_blob", test_fields_blob);
	t_run("rev2_and_modes", test_rev2_and_modes);
	t_run("read_errors", test_read_errors);
	t_run("large_mailbox", test_large_mailbox);
	t_run("dovecot_files", test_dovecot_files);
	t_run("dovecot_index", test_dovecot_index);
	t_run("dovecot_trees", test_dovecot_trees);
}
