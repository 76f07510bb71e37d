/* libFuzzer target: SEARCH keys on a hostile message read from the file and from its search fields, which must agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"
#include "imap/search.h"
#include "imap/search_fields.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char	*g_msg;
static size_t		 g_len;
static struct buf	 g_fields;
static int		 g_index;

static int
src_fields(void *arg, uint32_t uid, void *priv, struct buf *out)
{
	if (!g_index)
		return 0;
	return buf_add(out, g_fields.data, g_fields.len) == 0 ? 1 : -1;
}

static int
src_open(void *arg, uint32_t uid, void *priv, struct search_text *t,
    const char **errstr)
{
	t->msg = g_msg;
	t->len = g_len;
	t->tree = NULL;
	return 1;
}

static const struct search_src src = { NULL, src_fields, src_open, NULL };

/* The untagged answer to cmd over one message, through the index or the file. */
static void
answer(const char *cmd, int index, struct buf *out)
{
	struct imap_parse_opts	 o = { IMAP_CAP_ALL, IMAP_ENA_CONDSTORE };
	struct imap_reader	 rd;
	struct imap_request	 req;
	struct search_mailbox	 mb;
	struct search_msg	 m;
	struct search		*s;
	size_t			 used;
	char			 line[512];
	int			 n;

	out->len = 0;
	n = snprintf(line, sizeof(line), "%s\r\n", cmd);
	imap_reader_init(&rd, NULL);
	memset(&req, 0, sizeof(req));
	if (imap_reader_feed(&rd, line, (size_t)n, &used) != IMAP_RD_COMMAND ||
	    imap_parse(&req, imap_reader_command(&rd), &o) == -1)
		abort();
	memset(&m, 0, sizeof(m));
	m.uid = 7;
	m.size = g_len;
	memset(&mb, 0, sizeof(mb));
	mb.msgs = &m;
	mb.n = 1;
	mb.src = &src;
	g_index = index;
	s = search_new(&req, &mb);
	search_run(s);
	if (search_write(s, out) == -1 || search_write_status(s, out) == -1)
		abort();
	search_free(&s);
	imap_request_free(&req);
	imap_reader_free(&rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"SUBJECT %s", "FROM %s", "BCC %s", "SENTBEFORE 1-Jan-2000",
		"SENTSINCE 1-Jan-2020", "CC \"\"", "OR TO %s NOT FROM %s",
	};
	static const char *const cmds[] = {
		"a SORT (SUBJECT DATE FROM DISPLAYTO) UTF-8 ALL",
		"a THREAD REFERENCES UTF-8 ALL",
	};
	struct buf	 a, b;
	char		 word[4], key[128], cmd[160];
	size_t		 i;

	if (size > 8192)
		return 0;
	g_msg = (const char *)data;
	g_len = size;
	buf_init(&g_fields, 0);
	if (search_fields_build(&g_fields, g_msg, g_len, NULL) == -1 ||
	    !search_fields_current(g_fields.data, g_fields.len))
		abort();
	/* A two-letter word from the input, so that keys can match. */
	for (i = 0; i < 2; i++)
		word[i] = size > i && data[i] >= 'a' && data[i] <= 'z' ?
		    (char)data[i] : "ex"[i];
	word[2] = '\0';
	buf_init(&a, 0);
	buf_init(&b, 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(key, sizeof(key), keys[i], word, word);
		snprintf(cmd, sizeof(cmd), "a SEARCH %s", key);
		answer(cmd, 0, &a);
		answer(cmd, 1, &b);
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			abort();
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		answer(cmds[i], 0, &a);
		answer(cmds[i], 1, &b);
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			abort();
	}
	/* BODY and TEXT read the file whatever the index has. */
	snprintf(cmd, sizeof(cmd), "a SEARCH OR BODY %s TEXT %s", word, word);
	answer(cmd, 1, &a);
	buf_free(&a);
	buf_free(&b);
	buf_free(&g_fields);
	return 0;
}
