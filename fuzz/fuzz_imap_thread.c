/* libFuzzer target: Message-ID lists, base subjects, search fields and both THREAD algorithms on hostile headers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "imap/search_fields.h"
#include "imap/search_priv.h"
#include "imap/sort.h"
#include "imap/thread.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXMSG	64

static int
count_id(void *arg, const char *id, size_t n)
{
	if (n == 0 || n > THREAD_ID_MAX || memchr(id, '@', n) == NULL)
		abort();
	(*(size_t *)arg)++;
	return 0;
}

/* Balanced parentheses and only digits, spaces and parentheses. */
static void
check_threads(const struct buf *b, size_t n)
{
	size_t	 i, nums = 0;
	long	 depth = 0;

	for (i = 0; i < b->len; i++) {
		char	 c = b->data[i];

		if (c == '(')
			depth++;
		else if (c == ')') {
			if (--depth < 0)
				abort();
		} else if (c >= '0' && c <= '9') {
			if (i == 0 || b->data[i - 1] < '0' || b->data[i - 1] > '9')
				nums++;
		} else if (c != ' ')
			abort();
	}
	/* Every message once. */
	if (depth != 0 || nums != n)
		abort();
}

/*
 * The input is messages separated by a NUL octet; each becomes search
 * fields, and the messages are threaded both ways.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data, *end = p + size, *e;
	struct buf		 blob[MAXMSG], out, base;
	struct search_fields	 f[MAXMSG];
	struct thread_msg	 m[MAXMSG];
	size_t			 n = 0, i, k;
	bool			 reply;

	k = 0;
	(void)thread_msgids(p, size, SIZE_MAX, count_id, &k);
	buf_init(&base, 0);
	(void)sort_base_subject(&base, p, size < 4096 ? size : 4096, &reply);
	buf_free(&base);
	while (p < end && n < MAXMSG) {
		if ((e = memchr(p, '\0', (size_t)(end - p))) == NULL)
			e = end;
		buf_init(&blob[n], 0);
		if (search_fields_build(&blob[n], p, (size_t)(e - p), NULL) == -1 ||
		    search_fields_parse(blob[n].data, blob[n].len, &f[n]) == -1)
			abort();
		memset(&m[n], 0, sizeof(m[n]));
		m[n].seq = m[n].num = (uint32_t)(n + 1);
		m[n].date = f[n].date_set ? f[n].date : (int64_t)n;
		m[n].subj = f[n].s[SF_BASESUBJ];
		m[n].subjlen = f[n].len[SF_BASESUBJ];
		m[n].reply = f[n].reply;
		m[n].id = f[n].s[SF_MSGID];
		m[n].idlen = f[n].len[SF_MSGID];
		m[n].refs = f[n].refs;
		m[n].reflens = f[n].reflens;
		m[n].nrefs = f[n].nrefs;
		n++;
		p = e + 1;
	}
	buf_init(&out, 0);
	if (thread_references(&out, m, n) == -1)
		abort();
	check_threads(&out, n);
	out.len = 0;
	if (thread_orderedsubject(&out, m, n) == -1)
		abort();
	check_threads(&out, n);
	buf_free(&out);
	for (i = 0; i < n; i++)
		buf_free(&blob[i]);
	return 0;
}
