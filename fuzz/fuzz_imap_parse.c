/* libFuzzer target: imap_parse on whatever the reader assembles, with checks of the requests and of the writer's strings read back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_reader.h"
#include "mail/imap_write.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_str(const struct imap_str *s)
{
	if (s->kind == IMAP_STR_NIL) {
		if (s->p != NULL)
			abort();
		return;
	}
	if (s->p == NULL || s->p[s->len] != '\0')
		abort();
	if (s->kind != IMAP_STR_LITERAL8 && memchr(s->p, '\0', s->len) != NULL)
		abort();
}

static void
check_set(const struct imap_seqset *set)
{
	size_t	 i;

	if (set->saved ? set->n != 0 : set->n == 0)
		abort();
	for (i = 0; i < set->n; i++)
		(void)set->r[i].first;
}

/* A search tree: every node reachable, AND lists non-empty, OR has two. */
static void
check_keys(const struct imap_search_key *k, int depth)
{
	if (depth > IMAP_SEARCH_DEPTH_MAX + 1)
		abort();
	for (; k != NULL; k = k->next) {
		switch (k->op) {
		case IMAP_SK_AND:
			if (k->u.sub == NULL)
				abort();
			check_keys(k->u.sub, depth + 1);
			break;
		case IMAP_SK_NOT:
			if (k->u.sub == NULL || k->u.sub->next != NULL)
				abort();
			check_keys(k->u.sub, depth + 1);
			break;
		case IMAP_SK_OR:
			if (k->u.sub == NULL || k->u.sub->next == NULL ||
			    k->u.sub->next->next != NULL)
				abort();
			check_keys(k->u.sub, depth + 1);
			break;
		case IMAP_SK_SEQSET:
		case IMAP_SK_UID:
			check_set(&k->u.set);
			break;
		case IMAP_SK_SUBJECT:
		case IMAP_SK_FROM:
		case IMAP_SK_TEXT:
		case IMAP_SK_BODY:
			check_str(&k->u.str);
			break;
		}
	}
}

/* Parses one whole command text; returns parse's result. */
static int
parse_text(struct imap_request *req, const char *text, size_t len,
    const struct imap_parse_opts *o)
{
	struct imap_reader	 r;
	size_t			 off = 0, used;
	enum imap_rd_status	 st;
	int			 rc = -2;

	imap_reader_init(&r, NULL);
	while ((st = imap_reader_feed(&r, text + off, len - off, &used)) ==
	    IMAP_RD_LITERAL) {
		off += used;
		imap_reader_accept(&r, IMAP_LIT_BUFFER, 0);
	}
	if (st == IMAP_RD_COMMAND)
		rc = imap_parse(req, imap_reader_command(&r), o);
	imap_reader_free(&r);
	return rc;
}

/* What imap_write_astring makes of a LOGIN's strings reads back the same. */
static void
round_trip(const struct imap_request *req, const struct imap_parse_opts *o)
{
	struct imap_request	 again;
	struct buf		 b;

	buf_init(&b, 0);
	buf_adds(&b, "t LOGIN ");
	imap_write_astring(&b, req->u.login.user.p, req->u.login.user.len, 0);
	buf_addc(&b, ' ');
	imap_write_astring(&b, req->u.login.pass.p, req->u.login.pass.len, 0);
	buf_adds(&b, "\r\n");
	if (parse_text(&again, b.data, b.len, o) != 0 ||
	    again.u.login.user.len != req->u.login.user.len ||
	    again.u.login.pass.len != req->u.login.pass.len ||
	    memcmp(again.u.login.user.p, req->u.login.user.p,
	    req->u.login.user.len) != 0 ||
	    memcmp(again.u.login.pass.p, req->u.login.pass.p,
	    req->u.login.pass.len) != 0)
		abort();
	imap_request_free(&again);
	buf_free(&b);
}

static void
check(const struct imap_request *req, const struct imap_parse_opts *o)
{
	size_t	 i;

	if (req->def == NULL || req->tag == NULL || req->tag[0] == '\0')
		abort();
	switch (req->id) {
	case IMAP_CMD_LOGIN:
		check_str(&req->u.login.user);
		check_str(&req->u.login.pass);
		round_trip(req, o);
		break;
	case IMAP_CMD_FETCH:
		check_set(&req->u.fetch.set);
		for (i = 0; i < req->u.fetch.nbodies; i++) {
			const struct imap_fetch_body *f = &req->u.fetch.bodies[i];
			struct buf	 b;

			if (f->partial && f->count == 0)
				abort();
			for (size_t j = 0; j < f->nparts; j++)
				if (f->part[j] == 0)
					abort();
			buf_init(&b, 0);
			if (imap_write_section(&b, f) == -1)
				abort();
			buf_free(&b);
		}
		if (req->u.fetch.vanished && (!req->uid ||
		    !req->u.fetch.changedsince_set))
			abort();
		break;
	case IMAP_CMD_SEARCH:
		if (req->u.search.keys == NULL)
			abort();
		check_keys(req->u.search.keys, 0);
		break;
	case IMAP_CMD_APPEND:
		if (req->u.append.nmsgs == 0)
			abort();
		break;
	case IMAP_CMD_LIST:
		if (req->u.list.npat == 0)
			abort();
		for (i = 0; i < req->u.list.npat; i++)
			check_str(&req->u.list.pat[i]);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t	 capsets[4] = {
		IMAP_CAP_ALL, 0, IMAP_CAP_ALL & ~IMAP_CAP_BINARY,
		IMAP_CAP_ESEARCH | IMAP_CAP_CONDSTORE,
	};
	struct imap_parse_opts	 o;
	struct imap_reader	 r;
	size_t			 off = 0, used;
	enum imap_rd_status	 st;
	char			*in;

	/* data[0]: capabilities (bits 0-1) and ENABLE bits (bits 2-5). */
	if (size < 1)
		return 0;
	o.caps = capsets[data[0] & 3];
	o.enabled = (data[0] >> 2) & 0xf;
	size--;
	if ((in = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(in, data + 1, size);
	imap_reader_init(&r, NULL);
	for (;;) {
		struct imap_request	 req, again;
		int			 rc;

		st = imap_reader_feed(&r, in + off, size - off, &used);
		off += used;
		if (st == IMAP_RD_MORE || st == IMAP_RD_FATAL)
			break;
		if (st == IMAP_RD_LITERAL) {
			rc = imap_parse_prefix(&req, imap_reader_command(&r), &o);
			imap_request_free(&req);
			if (rc == 0)
				imap_reader_accept(&r, IMAP_LIT_BUFFER, 0);
			else if (imap_reader_refuse(&r) == -1)
				break;
			continue;
		}
		if (st != IMAP_RD_COMMAND)
			continue;
		rc = imap_parse(&req, imap_reader_command(&r), &o);
		if (rc == 0)
			check(&req, &o);
		else {
			size_t	 i, n = strlen(req.err);

			if (n == 0)
				abort();
			for (i = 0; i < n; i++)
				if (req.err[i] < 0x20 || req.err[i] >= 0x7f)
					abort();
		}
		/* The same text parses the same way again. */
		if (imap_parse(&again, imap_reader_command(&r), &o) != rc ||
		    strcmp(again.err, req.err) != 0)
			abort();
		imap_request_free(&again);
		imap_request_free(&req);
	}
	imap_reader_free(&r);
	free(in);
	return 0;
}
