/* Tests for src/imap/section.c: Dovecot's answers for BODY, BINARY and RFC822 items, chunked reads and partial windows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "lib/readfile.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"
#include "mail/mime.h"
#include "imap/section.h"

/* Run from the top of the tree (make unit does), where tests/data is. */
#define MIME	"tests/data/mime"
#define DATA	"tests/data/imapsection"

/*
 * Where tegami answers otherwise than Dovecot 2.3.19 on purpose (see
 * tests/data/imapsection/README): the untagged response tegami gives
 * instead, and its status.
 */
static const struct deviation {
	const char	*tag;
	const char	*want;
	const char	*status;
} deviations[] = {
	/* BINARY.SIZE of a known part while another part's encoding is unknown. */
	{ "f92", NULL, "NO [UNKNOWN-CTE" },
	/* The parser holds to nz-number for a partial count; Dovecot takes 0. */
	{ "f55", NULL, "BAD" },
	{ "f94", "* 5 FETCH (BINARY.SIZE[1] 4)\r\n", "OK" },
	{ "f105", "* 6 FETCH (BINARY.SIZE[1] 5)\r\n", "OK" },
	/* "Content-Transfer-Encoding:" CRLF " quoted-printable" is folded, not unknown. */
	{ "f102", "* 6 FETCH (BINARY[] ~{250}\r\nFrom: a@example.org\r\n"
	    "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
	    "Content-Type: text/plain\r\nX-After: 1\r\n"
	    "Content-Transfer-Encoding: binary\r\n\r\nhello\r\n--XX\r\n"
	    "Content-Type: text/plain\r\nX-Last: yes\r\n"
	    "Content-Transfer-Encoding: binary\r\n\r\nq=p\r\n--XX--\r\n)\r\n",
	    "OK" },
	{ "f103", "* 6 FETCH (BINARY.SIZE[] 250)\r\n", "OK" },
	{ "f158", "* 6 FETCH (BINARY[2] ~{3}\r\nq=p)\r\n", "OK" },
	{ "f161", "* 6 FETCH (BINARY.SIZE[2] 3)\r\n", "OK" },
	{ "f167", "* 6 FETCH (BINARY[2.1] ~{3}\r\nq=p)\r\n", "OK" },
};

static struct imap_reader	 rd;
static int			 rd_live;

static int
parse(struct imap_request *req, const char *cmd)
{
	struct imap_parse_opts	 o = { IMAP_CAP_ALL, 0 };
	struct buf		 in;
	size_t			 used;
	int			 rc = -1;

	if (rd_live)
		imap_reader_free(&rd);
	imap_reader_init(&rd, NULL);
	rd_live = 1;
	buf_init(&in, 0);
	buf_adds(&in, cmd);
	buf_adds(&in, "\r\n");
	if (imap_reader_feed(&rd, in.data, in.len, &used) == IMAP_RD_COMMAND)
		rc = imap_parse(req, imap_reader_command(&rd), &o);
	buf_free(&in);
	return rc;
}

/* The responses of a transcript or .ref: lines joined through {n} and ~{n} literals. */
static size_t
split(const char *t, size_t len, const char **r, size_t *rl, size_t max)
{
	size_t		 i = 0, n = 0, st, e, lit;
	const char	*b;

	while (i < len && n < max) {
		st = i;
		for (;;) {
			const char	*nl = memchr(t + i, '\n', len - i);

			if (nl == NULL) {
				i = len;
				break;
			}
			e = (size_t)(nl - t);
			i = e + 1;
			if (e >= 2 && t[e - 1] == '\r' && t[e - 2] == '}') {
				b = t + e - 2;
				while (b > t + st && b[-1] >= '0' && b[-1] <= '9')
					b--;
				if (b > t + st && b[-1] == '{') {
					lit = strtoul(b, NULL, 10);
					i += lit;
					continue;
				}
			}
			break;
		}
		r[n] = t + st;
		rl[n++] = i - st;
	}
	return n;
}

/* One body item answered as a FETCH response with the section API. */
static int
answer(struct buf *out, unsigned seq, const struct imap_request *req,
    const char *msg, size_t len, const struct mime_tree *t, char *status,
    size_t statuslen)
{
	struct section	*s;
	enum imap_code	 code = IMAP_CODE_NONE;
	const char	*err = NULL;
	unsigned	 items = req->u.fetch.items & ~(unsigned)IMAP_FETCH_UID;

	buf_reset(out);
	snprintf(status, statuslen, "OK");
	if (items == IMAP_FETCH_RFC822_SIZE) {
		buf_addf(out, "* %u FETCH (RFC822.SIZE %llu)\r\n", seq,
		    (unsigned long long)t->vsize);
		return 0;
	}
	if (items != 0)
		s = section_open_rfc822(items, msg, len, t);
	else
		s = section_open(&req->u.fetch.bodies[0], msg, len, t, &code,
		    &err);
	if (s == NULL) {
		snprintf(status, statuslen, "NO [%s", code ==
		    IMAP_CODE_UNKNOWN_CTE ? "UNKNOWN-CTE" : "?");
		return -1;
	}
	buf_addf(out, "* %u FETCH (", seq);
	if (section_write(s, out) == -1)
		return -1;
	buf_adds(out, ")\r\n");
	section_free(&s);
	return 0;
}

/* The same item read in chunks of n octets equals the whole. */
static int
chunked(const struct imap_request *req, const char *msg, size_t len,
    const struct mime_tree *t, size_t n, struct buf *out)
{
	struct section	*s;
	enum imap_code	 code;
	const char	*err;
	char		 chunk[8192];
	size_t		 k;
	unsigned	 items = req->u.fetch.items & ~(unsigned)IMAP_FETCH_UID;

	buf_reset(out);
	if (items != 0)
		s = section_open_rfc822(items, msg, len, t);
	else
		s = section_open(&req->u.fetch.bodies[0], msg, len, t, &code,
		    &err);
	if (s == NULL)
		return -1;
	section_write_head(s, out);
	while ((k = section_read(s, chunk, n)) > 0)
		buf_add(out, chunk, k);
	k = out->len;
	section_free(&s);
	return (int)k;
}

/* --- BODY[section] against tests/data/mime ------------------------------- */

static void
test_mime_refs(void)
{
	FILE		*f;
	char		 line[4096], path[4200], cmd[1024];
	char		*msg, *ref;
	size_t		 mlen, rlen, nr, rl[64], i, compared = 0;
	const char	*r[64];
	struct buf	 out;
	char		 status[32];

	if ((f = fopen(MIME "/sections", "r")) == NULL) {
		t_fail(__FILE__, __LINE__, "no %s/sections", MIME);
		return;
	}
	buf_init(&out, 0);
	while (fgets(line, sizeof(line), f) != NULL) {
		char		*name, *rest, *secs[40];
		size_t		 ns = 0, depth = 0;
		struct mime_tree *t;

		if (line[0] == '#' || (rest = strchr(line, ':')) == NULL)
			continue;
		*rest++ = '\0';
		name = line;
		rest[strcspn(rest, "\n")] = '\0';
		/* Sections are separated by spaces outside "(...)", as make-refs.sh splits them. */
		for (char *p = rest, *st = NULL; ; p++) {
			if (*p == '\0' || (*p == ' ' && depth == 0 && p[1] != '(')) {
				if (st != NULL && ns < 40) {
					secs[ns++] = st;
					if (*p == '\0')
						break;
					*p = '\0';
					st = NULL;
					continue;
				}
				if (*p == '\0')
					break;
				continue;
			}
			if (st == NULL)
				st = p;
			depth += *p == '(';
			depth -= *p == ')';
		}
		snprintf(path, sizeof(path), MIME "/%s.eml", name);
		if (readfile(path, 1 << 24, &msg, &mlen) == -1)
			continue;
		snprintf(path, sizeof(path), MIME "/%s.ref", name);
		if (readfile(path, 1 << 24, &ref, &rlen) == -1) {
			free(msg);
			continue;
		}
		t = mime_parse(msg, mlen);
		nr = split(ref, rlen, r, rl, 64);
		for (i = 0; i < ns && i + 1 < nr; i++) {
			struct imap_request	 req;
			const char		*s = secs[i], *lt;

			/* 37-global: tegami parses message/global; Dovecot has a leaf. */
			if (strcmp(name, "37-global") == 0)
				continue;
			if (strcmp(s, "<>") == 0)
				snprintf(cmd, sizeof(cmd), "a FETCH 1 (BODY.PEEK[])");
			else if (s[0] == '<')
				snprintf(cmd, sizeof(cmd), "a FETCH 1 (BODY.PEEK[]%s)", s);
			else if ((lt = strchr(s, '<')) != NULL)
				snprintf(cmd, sizeof(cmd), "a FETCH 1 (BODY.PEEK[%.*s]%s)",
				    (int)(lt - s), s, lt);
			else
				snprintf(cmd, sizeof(cmd), "a FETCH 1 (BODY.PEEK[%s])", s);
			memset(&req, 0, sizeof(req));
			if (parse(&req, cmd) == -1) {
				t_fail(__FILE__, __LINE__, "%s: %s: %s", name, cmd,
				    req.err);
				imap_request_free(&req);
				continue;
			}
			answer(&out, 1, &req, msg, mlen, t, status, sizeof(status));
			imap_request_free(&req);
			compared++;
			if (out.len != rl[i + 1] ||
			    memcmp(out.data, r[i + 1], out.len) != 0)
				t_fail(__FILE__, __LINE__, "%s: %s:\n  got:  %s\n"
				    "  want: %.*s", name, cmd, out.data,
				    (int)rl[i + 1], r[i + 1]);
		}
		mime_free(&t);
		free(msg);
		free(ref);
	}
	fclose(f);
	buf_free(&out);
	if (compared < 150)
		t_fail(__FILE__, __LINE__, "only %zu sections compared", compared);
}

/* --- BINARY, BODY and RFC822 against tests/data/imapsection ------------- */

struct box {
	char			*msg[32];
	size_t			 len[32];
	struct mime_tree	*tree[32];
	size_t			 n;
};

static int
load_box(struct box *b)
{
	FILE	*f;
	char	 line[256], name[128], path[256];

	memset(b, 0, sizeof(*b));
	if ((f = fopen(DATA "/mailbox", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL && b->n < 32) {
		if (line[0] == '#' || sscanf(line, "%127s", name) != 1)
			continue;
		snprintf(path, sizeof(path), DATA "/msgs/%s", name);
		if (readfile(path, 1 << 24, &b->msg[b->n], &b->len[b->n]) == -1)
			break;
		b->tree[b->n] = mime_parse(b->msg[b->n], b->len[b->n]);
		b->n++;
	}
	fclose(f);
	return 0;
}

static void
free_box(struct box *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++) {
		free(b->msg[i]);
		mime_free(&b->tree[i]);
	}
}

static void
test_dovecot(void)
{
	struct box	 b;
	char		*t, status[32], want_status[32];
	size_t		 tlen, nr, i, k, compared = 0;
	const char	**r;
	size_t		*rl;
	struct buf	 out, want, ch;

	if (load_box(&b) == -1 || b.n < 10 ||
	    readfile(DATA "/transcript.ref", 1 << 24, &t, &tlen) == -1) {
		t_fail(__FILE__, __LINE__, "cannot load " DATA);
		return;
	}
	r = calloc(4096, sizeof(*r));
	rl = calloc(4096, sizeof(*rl));
	nr = split(t, tlen, r, rl, 4096);
	buf_init(&out, 0);
	buf_init(&want, 0);
	buf_init(&ch, 0);
	for (i = 0; i < nr; i++) {
		struct imap_request	 req;
		char			 cmd[512], tag[16];
		unsigned		 seq;
		const char		*wantp, *wants;

		if (rl[i] < 4 || strncmp(r[i], "C: f", 4) != 0)
			continue;
		snprintf(cmd, sizeof(cmd), "%.*s", (int)(rl[i] - 5), r[i] + 3);
		if (sscanf(cmd, "%15s FETCH %u", tag, &seq) != 2 || seq == 0 ||
		    seq > b.n)
			continue;
		/* Dovecot's answer: responses up to the tagged one; "(UID n)" alone comes with a NO. */
		buf_reset(&want);
		for (k = i + 1; k < nr && r[k][0] == '*'; k++)
			if (memmem(r[k], rl[k], " FETCH (UID ", 12) == NULL)
				buf_add(&want, r[k], rl[k]);
		if (k == nr)
			break;
		snprintf(want_status, sizeof(want_status), "%.*s",
		    (int)(rl[k] - 2), r[k]);
		wants = want_status + strlen(tag) + 1;
		if (strncmp(wants, "NO [", 4) == 0)
			((char *)wants)[strcspn(wants, "]")] = '\0';
		else
			((char *)wants)[strcspn(wants, " ")] = '\0';
		wantp = want.data ? want.data : "";
		for (k = 0; k < sizeof(deviations) / sizeof(deviations[0]); k++)
			if (strcmp(deviations[k].tag, tag) == 0) {
				wantp = deviations[k].want ? deviations[k].want : "";
				wants = deviations[k].status;
			}
		memset(&req, 0, sizeof(req));
		if (parse(&req, cmd) == -1) {
			compared++;
			if (strcmp(wants, "BAD") != 0)
				t_fail(__FILE__, __LINE__, "%s: %s", cmd, req.err);
			imap_request_free(&req);
			continue;
		}
		answer(&out, seq, &req, b.msg[seq - 1], b.len[seq - 1],
		    b.tree[seq - 1], status, sizeof(status));
		compared++;
		if (strcmp(status, wants) != 0 || out.len != strlen(wantp) +
		    (wantp == want.data ? want.len - strlen(wantp) : 0) ||
		    memcmp(out.data ? out.data : "", wantp, out.len) != 0)
			t_fail(__FILE__, __LINE__, "%s\n  got:  %s%s\n  want: %s%s",
			    cmd, out.data ? out.data : "", status, wantp, wants);
		/* Any chunk size gives the same octets. */
		if (strcmp(status, "OK") == 0 &&
		    !(req.u.fetch.items & IMAP_FETCH_RFC822_SIZE)) {
			size_t	 sizes[] = { 1, 3, 64, 8192 }, z;
			size_t	 hl = strlen("* ") + (size_t)snprintf(NULL, 0,
			    "%u", seq) + strlen(" FETCH (");

			for (z = 0; z < 4; z++) {
				int	 n = chunked(&req, b.msg[seq - 1],
				    b.len[seq - 1], b.tree[seq - 1], sizes[z], &ch);

				if (n < 0 || (size_t)n + hl + 3 != out.len ||
				    memcmp(ch.data, out.data + hl, (size_t)n) != 0)
					t_fail(__FILE__, __LINE__, "%s: chunks "
					    "of %zu differ", cmd, sizes[z]);
			}
		}
		imap_request_free(&req);
	}
	if (compared < 150)
		t_fail(__FILE__, __LINE__, "only %zu commands compared", compared);
	buf_free(&out);
	buf_free(&want);
	buf_free(&ch);
	free(r);
	free(rl);
	free(t);
	free_box(&b);
}


/* --- the pieces ------------------------------------------------------------ */

/* Opens item of a message given as text; NULL when refused (code set). */
static struct section *
open_item(const char *item, const char *msg, struct mime_tree **t,
    enum imap_code *code)
{
	struct imap_request	 req;
	struct section		*s = NULL;
	char			 cmd[256];
	const char		*err;
	unsigned		 items;

	snprintf(cmd, sizeof(cmd), "a FETCH 1 (%s)", item);
	memset(&req, 0, sizeof(req));
	*code = IMAP_CODE_NONE;
	if (parse(&req, cmd) == -1) {
		imap_request_free(&req);
		return NULL;
	}
	if (*t == NULL)
		*t = mime_parse(msg, strlen(msg));
	items = req.u.fetch.items & ~(unsigned)IMAP_FETCH_UID;
	if (items != 0)
		s = section_open_rfc822(items, msg, strlen(msg), *t);
	else
		s = section_open(&req.u.fetch.bodies[0], msg, strlen(msg), *t,
		    code, &err);
	imap_request_free(&req);
	return s;
}

static char *
item_text(const char *item, const char *msg, size_t *len)
{
	struct mime_tree	*t = NULL;
	struct section		*s;
	enum imap_code		 code;
	struct buf		 b;

	buf_init(&b, 0);
	if ((s = open_item(item, msg, &t, &code)) == NULL) {
		mime_free(&t);
		return NULL;
	}
	section_write(s, &b);
	section_free(&s);
	mime_free(&t);
	*len = b.len;
	return buf_release(&b);
}

static const char mixed[] =
    "From: a@example.org\n"
    "Content-Type: multipart/mixed; boundary=XX\n"
    "\n"
    "--XX\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "aGVs!bG8\n=\nxx\n"
    "--XX\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "a=ZZb=4\n"
    "--XX\n"
    "Content-Type: text/plain\n"
    "\n"
    "bare\nlf\r\ncrlf\n\n"
    "--XX--\n";

/* Malformed base64 and quoted-printable decode leniently, as mail readers do. */
static void
test_lenient(void)
{
	char	*p;
	size_t	 n;

	p = item_text("BINARY.PEEK[1]", mixed, &n);
	T_ASSERT(p != NULL);
	/* "!" and "=" are skipped, "xx" is a cut quantum: "hello" and what it gives. */
	T_ASSERT(strncmp(p, "BINARY[1] ~{", 12) == 0);
	T_ASSERT(strstr(p, "hello") != NULL);
	free(p);
	p = item_text("BINARY.PEEK[2]", mixed, &n);
	T_ASSERT(p != NULL);
	T_EQ_STR(p, "BINARY[2] ~{7}\r\na=ZZb=4");
	free(p);
}

/* Every <off.count> window is the slice of the whole, across segments and CRLF halves. */
static void
test_windows(void)
{
	static const char *const items[] = { "BODY.PEEK[]", "BODY.PEEK[3]",
	    "BINARY.PEEK[]", "BINARY.PEEK[1]", "BODY.PEEK[HEADER.FIELDS (From)]",
	    "BINARY.PEEK[3]" };
	char		 item[128], *whole, *part, *lit;
	size_t		 i, off, cnt, wn, pn, start, len;

	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		whole = item_text(items[i], mixed, &wn);
		T_ASSERT(whole != NULL);
		lit = strstr(whole, "}\r\n");
		T_ASSERT(lit != NULL);
		start = (size_t)(lit - whole) + 3;
		len = wn - start;
		T_EQ_INT(strtoul(strchr(whole, '{') + 1, NULL, 10), len);
		for (off = 0; off <= len + 1; off++)
			for (cnt = 1; cnt <= 9; cnt += 4) {
				size_t	 want = off >= len ? 0 :
				    (cnt < len - off ? cnt : len - off);

				snprintf(item, sizeof(item), "%s<%zu.%zu>", items[i],
				    off, cnt);
				part = item_text(item, mixed, &pn);
				T_ASSERT(part != NULL);
				lit = strstr(part, "}\r\n");
				T_ASSERT(lit != NULL);
				T_EQ_INT(pn - (size_t)(lit - part) - 3, want);
				T_ASSERT(memcmp(lit + 3, whole + start + off, want) == 0);
				free(part);
			}
		free(whole);
	}
}

/* BODY carries NUL as 0x80 in a {n} literal; BINARY keeps it, in ~{n}. */
static void
test_nul(void)
{
	static const char msg[] = "Subject: x\n\na\0b\n";
	struct mime_tree	*t;
	struct section		*s;
	struct buf		 b;
	enum imap_code		 code;
	const char		*err;
	struct imap_fetch_body	 f;
	uint32_t		 one = 1;

	t = mime_parse(msg, sizeof(msg) - 1);
	memset(&f, 0, sizeof(f));
	f.kind = IMAP_FB_BODY;
	f.part = &one;
	f.nparts = 1;
	buf_init(&b, 0);
	s = section_open(&f, msg, sizeof(msg) - 1, t, &code, &err);
	T_ASSERT(s != NULL);
	section_write(s, &b);
	T_EQ_INT(b.len, 18);
	T_ASSERT(memcmp(b.data, "BODY[1] {5}\r\na\x80" "b\r\n", 18) == 0);
	section_free(&s);
	b.len = 0;
	f.kind = IMAP_FB_BINARY;
	s = section_open(&f, msg, sizeof(msg) - 1, t, &code, &err);
	T_ASSERT(s != NULL);
	section_write(s, &b);
	T_EQ_INT(b.len, 21);
	T_ASSERT(memcmp(b.data, "BINARY[1] ~{5}\r\na\0b\r\n", 21) == 0);
	section_free(&s);
	buf_free(&b);
	mime_free(&t);
}

/* Which items set \Seen; BINARY.SIZE has no data; unknown encodings are refused. */
static void
test_seen_and_refusals(void)
{
	static const struct { const char *item; int seen; } v[] = {
		{ "BODY[1]", 1 }, { "BODY.PEEK[1]", 0 }, { "BINARY[1]", 1 },
		{ "BINARY.PEEK[1]", 0 }, { "BINARY.SIZE[1]", 0 }, { "RFC822", 1 },
		{ "RFC822.HEADER", 0 }, { "RFC822.TEXT", 1 },
	};
	static const char uu[] = "Content-Transfer-Encoding: x-uuencode\n\nbegin\n";
	struct mime_tree	*t = NULL;
	struct section		*s;
	enum imap_code		 code;
	struct buf		 b;
	size_t			 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = open_item(v[i].item, mixed, &t, &code);
		T_ASSERT(s != NULL);
		T_EQ_INT(section_sets_seen(s), v[i].seen);
		section_free(&s);
	}
	buf_init(&b, 0);
	s = open_item("BINARY.SIZE[2]", mixed, &t, &code);
	T_ASSERT(s != NULL);
	T_EQ_INT(section_length(s), 0);
	section_write(s, &b);
	T_EQ_STR(b.data, "BINARY.SIZE[2] 7");
	section_free(&s);
	mime_free(&t);
	T_ASSERT(open_item("BINARY.PEEK[1]", uu, &t, &code) == NULL);
	T_EQ_INT(code, IMAP_CODE_UNKNOWN_CTE);
	/* BODY of the same part is fine. */
	s = open_item("BODY.PEEK[1]", uu, &t, &code);
	T_ASSERT(s != NULL);
	section_free(&s);
	mime_free(&t);
	buf_free(&b);
}

/* A 4.5 MB base64 part streams in 16 KiB chunks to its decoded octets. */
static void
test_stream_large(void)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf		 m;
	struct mime_tree	*t = NULL;
	struct section		*s;
	enum imap_code		 code;
	char			 chunk[16384], line[76];
	unsigned char		 one[57];
	size_t			 i, n, total = 0, lines = 80000, bad = 0;

	/* A line is the alphabet then its first 12 letters: 57 octets, decoded here. */
	memcpy(line, b64, 64);
	memcpy(line + 64, b64, 12);
	for (i = 0; i < 19; i++) {
		unsigned	 v = (unsigned)((strchr(b64, line[4 * i]) - b64) << 18 |
		    (strchr(b64, line[4 * i + 1]) - b64) << 12 |
		    (strchr(b64, line[4 * i + 2]) - b64) << 6 |
		    (strchr(b64, line[4 * i + 3]) - b64));

		one[3 * i] = (unsigned char)(v >> 16);
		one[3 * i + 1] = (unsigned char)(v >> 8);
		one[3 * i + 2] = (unsigned char)v;
	}
	buf_init(&m, 0);
	buf_adds(&m, "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n\n");
	for (i = 0; i < lines; i++) {
		buf_add(&m, line, 76);
		buf_addc(&m, '\n');
	}
	s = open_item("BINARY.PEEK[1]", m.data, &t, &code);
	T_ASSERT(s != NULL);
	T_EQ_INT(section_length(s), lines * 57);
	while ((n = section_read(s, chunk, sizeof(chunk))) > 0)
		for (i = 0; i < n; i++, total++)
			if ((unsigned char)chunk[i] != one[total % 57])
				bad++;
	T_EQ_INT(total, lines * 57);
	T_EQ_INT(bad, 0);
	section_free(&s);
	mime_free(&t);
	buf_free(&m);
}

void
test_main(void)
{
	t_run("mime_refs", test_mime_refs);
	t_run("dovecot", test_dovecot);
	t_run("lenient", test_lenient);
	t_run("windows", test_windows);
	t_run("nul", test_nul);
	t_run("seen_and_refusals", test_seen_and_refusals);
	t_run("stream_large", test_stream_large);
}
