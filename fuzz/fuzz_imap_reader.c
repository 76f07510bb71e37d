/* libFuzzer target: imap_reader_feed, where input-driven chunking must give the events one whole feed gives. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* data[1] bits */
#define F_SMALL		0x01	/* tiny limits, to reach every refusal */
#define F_MINUS		0x02	/* LITERAL- rather than LITERAL+ */
#define F_STREAM	0x04	/* stream message literals */
#define F_PREFIX	0x08	/* accept a literal only if imap_parse_prefix says so */
#define F_EARLY		0x10	/* input not yet fed counts as sent before "+" */
#define F_REFUSE	0x20	/* refuse every literal */
#define F_LINES		0x40	/* ask for a line after every command */

static const struct imap_parse_opts opts = { IMAP_CAP_ALL, 0 };

static void
check_command(const struct imap_rd_cmd *c, const struct imap_reader_limits *lim)
{
	size_t	 i, prev = 0;

	if (c->len > 0 && c->text == NULL)
		abort();
	if (c->tag != NULL && (c->taglen == 0 || c->tag < c->text ||
	    c->tag + c->taglen > c->text + c->len))
		abort();
	for (i = 0; i < c->nlits; i++) {
		const struct imap_lit	*l = &c->lits[i];

		/* Each literal's data starts right after "}" CRLF. */
		if (l->off < 3 || l->off > c->len || l->off < prev ||
		    memcmp(c->text + l->off - 3, "}\r\n", 3) != 0)
			abort();
		if (!l->streamed && !l->pending &&
		    l->size > c->len - l->off)
			abort();
		if (l->streamed && !l->message)
			abort();
		if (!l->message && l->size > lim->literal_max)
			abort();
		prev = l->off;
	}
}

/*
 * Feeds body in chunks from sizes[] (cycled; none: the whole input at
 * once) and logs every event into log.
 */
static void
run(struct buf *log, const uint8_t *body, size_t len, const uint8_t *sizes,
    size_t nsizes, unsigned flags, const struct imap_reader_limits *lim)
{
	struct imap_reader	 r;
	struct buf		 data;
	size_t			 off = 0, used, k = 0, n;
	enum imap_rd_status	 st;
	char			*chunk;
	int			 last_empty = 0;

	imap_reader_init(&r, lim);
	buf_init(log, 0);
	buf_init(&data, 0);
	for (;;) {
		n = nsizes ? sizes[k++ % nsizes] : len - off;
		if (n > len - off)
			n = len - off;
		/* Empty feeds are allowed, but never twice in a row. */
		if (n == 0 && last_empty && off < len)
			n = 1;
		last_empty = n == 0;
		/* Each chunk in its own allocation, so ASan sees overreads. */
		if ((chunk = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(chunk, body + off, n);
		st = imap_reader_feed(&r, chunk, n, &used);
		if (used > n || (st == IMAP_RD_MORE && used != n))
			abort();
		if (st == IMAP_RD_DATA) {
			const char	*p;
			size_t		 dn;
			int		 last;

			imap_reader_data(&r, &p, &dn, &last);
			if (dn > used || (dn > 0 && (p < chunk ||
			    p + dn > chunk + used)))
				abort();
			buf_add(&data, p, dn);
			if (last) {
				buf_addf(log, "D%zu:", data.len);
				buf_add(log, data.data, data.len);
				buf_reset(&data);
			}
		}
		free(chunk);
		off += used;
		switch (st) {
		case IMAP_RD_MORE:
		case IMAP_RD_DATA:
			break;
		case IMAP_RD_COMMAND: {
			const struct imap_rd_cmd *c = imap_reader_command(&r);

			check_command(c, lim);
			buf_addf(log, "C%zu,%zu,%zu:", c->len, c->nlits,
			    c->taglen);
			buf_add(log, c->text, c->len);
			for (size_t i = 0; i < c->nlits; i++)
				buf_addf(log, "/%llu%d%d", (unsigned long long)
				    c->lits[i].size, c->lits[i].streamed,
				    c->lits[i].nul);
			if (flags & F_LINES)
				imap_reader_expect_line(&r);
			break;
		}
		case IMAP_RD_LITERAL: {
			const struct imap_lit	*l = imap_reader_literal(&r);
			struct imap_request	 req;
			int			 ok = !(flags & F_REFUSE);

			if (l == NULL || !l->pending)
				abort();
			check_command(imap_reader_command(&r), lim);
			if (flags & F_PREFIX) {
				if (imap_parse_prefix(&req, imap_reader_command(&r),
				    &opts) == -1) {
					if (req.err[0] == '\0')
						abort();
					ok = 0;
				}
				imap_request_free(&req);
			}
			buf_addf(log, "L%llu%d%d%d", (unsigned long long)l->size,
			    l->nonsync, l->binary, l->message);
			if (!ok) {
				buf_addf(log, "r%d", imap_reader_refuse(&r));
				break;
			}
			n = imap_reader_accept(&r, (flags & F_STREAM) ?
			    IMAP_LIT_STREAM : IMAP_LIT_BUFFER,
			    (flags & F_EARLY) && off < len);
			if (n == IMAP_ACC_NOROOM)
				n = 10 + imap_reader_accept(&r, IMAP_LIT_STREAM, 0);
			buf_addf(log, "a%zu", n);
			break;
		}
		case IMAP_RD_LINE: {
			const char	*p;
			size_t		 ln;

			imap_reader_line(&r, &p, &ln);
			buf_addf(log, "N%zu:", ln);
			buf_add(log, p, ln);
			break;
		}
		case IMAP_RD_ERROR: {
			const struct imap_rd_error *e = imap_reader_error(&r);
			const struct imap_rd_cmd *c = imap_reader_command(&r);

			if (e->code == IMAP_RD_OK || e->text == NULL)
				abort();
			buf_addf(log, "E%d,%zu;", e->code, c->taglen);
			break;
		}
		case IMAP_RD_FATAL:
			buf_adds(log, "F");
			goto out;
		}
		if (off == len && st == IMAP_RD_MORE)
			break;
	}
 out:
	imap_reader_free(&r);
	buf_free(&data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_reader_limits lim;
	struct buf	 whole, split;
	const uint8_t	*sizes, *body;
	size_t		 nsizes, len;
	unsigned	 flags;

	/* data[0]: how many chunk sizes follow; data[1]: F_* flags. */
	if (size < 2)
		return 0;
	nsizes = data[0] % 16;
	flags = data[1];
	if (size - 2 < nsizes)
		return 0;
	sizes = data + 2;
	body = sizes + nsizes;
	len = size - 2 - nsizes;
	if (nsizes == 0) {
		sizes = (const uint8_t *)"\001";
		nsizes = 1;
	}
	imap_reader_default_limits(&lim);
	lim.literal_plus = !(flags & F_MINUS);
	if (flags & F_SMALL) {
		lim.line_max = 64;
		lim.cmd_max = 256;
		lim.literal_max = 32;
		lim.message_max = 64;
		lim.discard_max = 128;
		lim.args_max = 16;
		lim.depth_max = 4;
	}
	run(&whole, body, len, NULL, 0, flags, &lim);
	run(&split, body, len, sizes, nsizes, flags, &lim);
	if (whole.len != split.len ||
	    (whole.len && memcmp(whole.data, split.data, whole.len) != 0))
		abort();
	buf_free(&whole);
	buf_free(&split);
	return 0;
}
