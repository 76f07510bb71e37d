/*
 * SEARCH, SORT and THREAD speed on a generated 100,000-message mailbox:
 * building the search fields (what indexing a message costs), SEARCH
 * SUBJECT from the index's search fields and from the message files, SEARCH
 * BODY from the files (parsed here, or with the index's cached tree), SORT
 * and THREAD from the index. BENCH_ONLY=text runs the lines whose label has text. "files" are in memory, or with a directory
 * argument written there once and mapped per message (warm page cache).
 *
 *   make && cc -O2 -std=c17 -D_GNU_SOURCE -Isrc bench/imap_search.c \
 *       build/libtegami.a -lpthread -o build/imap_search && build/imap_search [DIR] [N]
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"
#include "mail/mime.h"
#include "imap/search.h"
#include "imap/search_fields.h"

static char		**msgs;
static size_t		*lens;
static struct mime_tree	**trees;
static struct buf	*fields;
static const char	*dir;
static int		 use_index, use_tree;
static size_t		 opens;

static double
clock_of(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_of(CLOCK_MONOTONIC);
}

/* CPU time of this thread: what a busy machine's other work does not inflate. */
static double
cpu(void)
{
	return clock_of(CLOCK_THREAD_CPUTIME_ID);
}

/*
 * A 4 KiB message as mail clients send them; every 100th has "needle" in
 * its subject and "zebra" in its body, every 10th a Japanese subject, and
 * every 7th answers the one before.
 */
static void
typical(struct buf *m, unsigned n)
{
	unsigned	 i;

	buf_reset(m);
	(void)buf_addf(m,
	    "Return-Path: <sender%u@example.org>\n"
	    "Received: from mail.example.org (mail.example.org [192.0.2.1])\n"
	    "\tby mx.example.net (tegami) with ESMTPS id 4F2B7C1A%u\n"
	    "\tfor <rcpt@example.net>; Tue, 3 Nov 2026 10:00:%02u +0000\n"
	    "From: \"Sender %u\" <sender%u@example.org>\n"
	    "To: Recipient <rcpt@example.net>, other@example.net\n"
	    "Cc: =?utf-8?q?J=C3=B6rg?= <j@example.de>\n",
	    n, n, n % 60, n % 500, n % 500);
	if (n % 10 == 3)
		(void)buf_addf(m, "Subject: =?utf-8?b?5pel5pys6Kqe44Gu5Lu25ZCN?= %u\n", n);
	else
		(void)buf_addf(m, "Subject: %sWeekly report %u%s\n",
		    n % 7 ? "" : "Re: ", n % 997, n % 100 == 42 ? " needle" : "");
	(void)buf_addf(m,
	    "Date: Tue, 3 Nov 2026 %02u:%02u:%02u +0000\n"
	    "Message-ID: <%u.abcdef@example.org>\n", n / 3600 % 24, n / 60 % 60,
	    n % 60, n);
	if (n % 7 == 0 && n > 0)
		(void)buf_addf(m, "In-Reply-To: <%u.abcdef@example.org>\n"
		    "References: <%u.abcdef@example.org>\n", n - 1, n - 1);
	(void)buf_addf(m, "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"=_b%u\"\n\n", n);
	(void)buf_addf(m, "--=_b%u\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n", n);
	for (i = 0; i < 18; i++)
		(void)buf_adds(m, "Lorem ipsum dolor sit amet, consectetur adipiscing "
		    "elit, sed do eiusmod =E2=9C=93 tempor.\n");
	if (n % 100 == 42)
		(void)buf_adds(m, "A zebra was seen.\n");
	(void)buf_addf(m, "--=_b%u\nContent-Type: text/html; charset=utf-8\n\n"
	    "<html><body>\n", n);
	while (m->len < 4000)
		(void)buf_adds(m, "<p>Lorem ipsum dolor sit amet, consectetur.</p>\n");
	(void)buf_addf(m, "</body></html>\n--=_b%u--\n", n);
}

static int
src_fields(void *arg __attribute__((unused)), uint32_t uid, void *priv, struct buf *out)
{
	if (!use_index)
		return 0;
	return buf_add(out, fields[uid - 1].data, fields[uid - 1].len) == 0 ? 1 : -1;
}

static int
src_open(void *arg, uint32_t uid, void *priv, struct search_text *t,
    const char **errstr)
{
	char		 path[4096];
	struct stat	 st;
	int		 fd;
	void		*p;

	opens++;
	t->tree = use_tree ? trees[uid - 1] : NULL;
	if (dir == NULL) {
		t->msg = msgs[uid - 1];
		t->len = lens[uid - 1];
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%u", dir, uid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || (p = mmap(NULL, (size_t)st.st_size,
	    PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	close(fd);
	t->msg = p;
	t->len = (size_t)st.st_size;
	t->handle = p;
	return 1;
}

static void
src_close(void *arg, uint32_t uid, void *priv, struct search_text *t)
{
	if (dir != NULL)
		munmap(t->handle, t->len);
}

static const struct search_src src = { NULL, src_fields, src_open, src_close };

/* Runs cmd over the mailbox; prints the time, the opens and the answer's start. */
static void
run(const char *label, const char *cmd, const struct search_mailbox *mb)
{
	struct imap_parse_opts	 o = { IMAP_CAP_ALL, 0 };
	struct imap_reader	 rd;
	struct imap_request	 req;
	struct search		*s;
	struct buf		 in, out;
	size_t			 used, off;
	enum imap_rd_status	 st;
	double			 t0, c0, dt, dc;

	if (getenv("BENCH_ONLY") != NULL && strstr(label, getenv("BENCH_ONLY")) == NULL)
		return;
	buf_init(&in, 0);
	buf_init(&out, 0);
	(void)buf_addf(&in, "%s\r\n", cmd);
	imap_reader_init(&rd, NULL);
	memset(&req, 0, sizeof(req));
	for (off = 0; (st = imap_reader_feed(&rd, in.data + off, in.len - off,
	    &used)) == IMAP_RD_LITERAL; off += used)
		(void)imap_reader_accept(&rd, IMAP_LIT_BUFFER, 0);
	if (st != IMAP_RD_COMMAND ||
	    imap_parse(&req, imap_reader_command(&rd), &o) == -1) {
		fprintf(stderr, "cannot parse %s: %s\n", cmd, req.err);
		exit(1);
	}
	opens = 0;
	t0 = now();
	c0 = cpu();
	s = search_new(&req, mb);
	search_run(s);
	(void)search_write(s, &out);
	dt = now() - t0;
	dc = cpu() - c0;
	printf("%-40s %7.3f s %7.3f s cpu %6zu files  %.40s%s\n", label, dt,
	    dc, opens, out.data, out.len > 40 ? "..." : "");
	search_free(&s);
	imap_request_free(&req);
	imap_reader_free(&rd);
	buf_free(&in);
	buf_free(&out);
}

int
main(int argc, char **argv)
{
	struct search_mailbox	 mb;
	struct search_msg	*m;
	struct buf		 b;
	size_t			 n = 100000, i, total = 0, ftotal = 0;
	double			 t0;
	char			 path[4096];
	FILE			*f;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "-") != 0)
		dir = argv[1];
	if (argc > 2)
		n = strtoul(argv[2], NULL, 10);
	msgs = calloc(n, sizeof(*msgs));
	lens = calloc(n, sizeof(*lens));
	trees = calloc(n, sizeof(*trees));
	fields = calloc(n, sizeof(*fields));
	m = calloc(n, sizeof(*m));
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		typical(&b, (unsigned)i);
		msgs[i] = malloc(b.len);
		memcpy(msgs[i], b.data, b.len);
		lens[i] = b.len;
		total += b.len;
		m[i].uid = (uint32_t)(i + 1);
		m[i].flags = i % 3 ? IMAP_FLAG_SEEN : 0;
		m[i].size = b.len;
		m[i].internaldate = 1793000000 + (int64_t)i;
		if (dir != NULL) {
			snprintf(path, sizeof(path), "%s/%zu", dir, i + 1);
			if ((f = fopen(path, "w")) == NULL ||
			    fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
				perror(path);
				return 1;
			}
		}
	}
	printf("%zu messages, %.0f octets on average, files %s\n", n,
	    (double)total / (double)n, dir ? dir : "in memory");
	t0 = cpu();
	for (i = 0; i < n; i++) {
		buf_init(&fields[i], 0);
		(void)search_fields_build(&fields[i], msgs[i], lens[i], NULL);
		ftotal += fields[i].len;
	}
	printf("%-40s %7.3f s cpu (%.2f us each, %.0f octets each)\n",
	    "build search fields (parse, decode, fold)", cpu() - t0,
	    (cpu() - t0) * 1e6 / (double)n, (double)ftotal / (double)n);
	t0 = cpu();
	for (i = 0; i < n; i++)
		trees[i] = mime_parse(msgs[i], lens[i]);
	printf("%-40s %7.3f s cpu\n", "parse trees (the index's cache)", cpu() - t0);

	memset(&mb, 0, sizeof(mb));
	mb.msgs = m;
	mb.n = (uint32_t)n;
	mb.src = &src;
	use_index = 1;
	run("SEARCH SUBJECT needle (index)", "a SEARCH SUBJECT needle", &mb);
	run("SEARCH FROM sender42 (index)", "a SEARCH FROM \"sender42@\"", &mb);
	run("SEARCH UNSEEN SUBJECT report (index)", "a SEARCH UNSEEN SUBJECT report", &mb);
	run("SEARCH SUBJECT 日本語 (index)", "a SEARCH CHARSET UTF-8 SUBJECT {9}\r\n日本語", &mb);
	run("SORT (SUBJECT) (index)", "a SORT (SUBJECT) UTF-8 ALL", &mb);
	run("SORT (REVERSE DATE) (index)", "a SORT (REVERSE DATE) UTF-8 ALL", &mb);
	run("THREAD REFERENCES (index)", "a THREAD REFERENCES UTF-8 ALL", &mb);
	run("THREAD ORDEREDSUBJECT (index)", "a THREAD ORDEREDSUBJECT UTF-8 ALL", &mb);
	use_index = 0;
	run("SEARCH SUBJECT needle (files)", "a SEARCH SUBJECT needle", &mb);
	run("SEARCH BODY zebra (files)", "a SEARCH BODY zebra", &mb);
	use_tree = 1;
	run("SEARCH BODY zebra (files, cached trees)", "a SEARCH BODY zebra", &mb);
	run("SEARCH TEXT zebra (files, cached trees)", "a SEARCH TEXT zebra", &mb);
	use_index = 1;
	run("SEARCH UNSEEN BODY zebra (index, trees)", "a SEARCH UNSEEN BODY zebra", &mb);
	if (dir != NULL)
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%zu", dir, i + 1);
			(void)unlink(path);
		}
	return 0;
}
