/* IMAP commands parsed: tag, name, the per-request arena, errors, and the commands with few arguments. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/imap_cmd.h"
#include "mail/imap_parse.h"
#include "mail/imap_parse_priv.h"

#define ARENA_BLOCK	8192
#define ARENA_ALIGN	16
#define ERR_TOKEN_MAX	30

struct imap_arena {
	struct imap_arena *next;
	size_t		 used, cap;
	size_t		 total;		/* over the chain, kept in the head */
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

int
ip_fail(struct pctx *c, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 i;

	if (c->pending || c->failed)
		return -1;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->req->err, sizeof(c->req->err), fmt, ap);
	va_end(ap);
	/* Client text may be in it: keep the response line clean. */
	for (i = 0; c->req->err[i] != '\0'; i++) {
		unsigned char	 ch = (unsigned char)c->req->err[i];

		if (ch < 0x20 || ch >= 0x7f)
			c->req->err[i] = '?';
	}
	return -1;
}

int
ip_fail_tok(struct pctx *c, const char *what)
{
	size_t	 n = 0;

	if (ip_at_end(c))
		return ip_fail(c, "%s the end of the command", what);
	while (c->pos + n < c->len && n < ERR_TOKEN_MAX &&
	    c->s[c->pos + n] != ' ' && c->s[c->pos + n] != '\r' &&
	    (n == 0 || (c->s[c->pos + n] != '(' && c->s[c->pos + n] != ')')))
		n++;
	return ip_fail(c, "%s %.*s", what, (int)n, c->s + c->pos);
}

void *
ip_alloc(struct pctx *c, size_t n, size_t size)
{
	struct imap_arena	*a = c->req->arena, *b;
	size_t			 need;
	void			*p;

	if (size != 0 && n > SIZE_MAX / size / 2) {
		ip_fail(c, "Command too complex");
		return NULL;
	}
	need = (n * size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	if (a == NULL || a->cap - a->used < need) {
		size_t	 cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		size_t	 total = a ? a->total : 0;

		if (total + cap > c->arena_max) {
			ip_fail(c, "Command too complex");
			return NULL;
		}
		b = xmalloc(sizeof(*b) + cap);
		b->next = a;
		b->used = 0;
		b->cap = cap;
		b->total = total + cap;
		c->req->arena = a = b;
	}
	p = a->data + a->used;
	a->used += need;
	memset(p, 0, need);
	return p;
}

void *
ip_grow(struct pctx *c, void *old, size_t n, size_t *cap, size_t size)
{
	size_t	 ncap = *cap ? *cap * 2 : 8;
	void	*p;

	if ((p = ip_alloc(c, ncap, size)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, old, n * size);
	*cap = ncap;
	return p;
}

char *
ip_strdup(struct pctx *c, const char *s, size_t n)
{
	char	*d;

	if (n == SIZE_MAX || (d = ip_alloc(c, n + 1, 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

unsigned
ip_seqflags(const struct pctx *c)
{
	return ip_cap(c, IMAP_CAP_SEARCHRES) || ip_rev2(c) ? Q_SAVED : 0;
}

void
imap_request_free(struct imap_request *req)
{
	struct imap_arena	*a, *next;

	for (a = req->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	req->arena = NULL;
}

/* base64 (RFC 3501 9): groups of 4, "=" padding only at the end. */
static int
b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Decodes into d (room for n / 4 * 3); returns the length or -1. */
static long
b64decode(const char *s, size_t n, unsigned char *d)
{
	size_t	 i, o = 0;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		int	 v[4], k, pad = 0;

		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = b64val((unsigned char)s[i + k])) < 0)
				return -1;
		}
		d[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			d[o++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			d[o++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	return (long)o;
}

int
imap_parse_sasl(const char *line, size_t len, struct buf *out)
{
	unsigned char	*d;
	long		 n;

	if (len == 1 && line[0] == '*')
		return 1;
	if (len == 0)
		return 0;
	if (len % 4 != 0)
		return -1;
	d = xmalloc(len / 4 * 3);
	n = b64decode(line, len, d);
	if (n < 0 || buf_add(out, d, (size_t)n) == -1) {
		free(d);
		return -1;
	}
	free(d);
	return 0;
}

int
imap_parse_done(const char *line, size_t len)
{
	return len == 4 && strncasecmp(line, "DONE", 4) == 0 ? 0 : -1;
}

time_t
imap_datetime_time(const struct imap_datetime *t)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->mon - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	return timegm(&tm) - (time_t)t->zone * 60;
}

static int
arg_mailbox(struct pctx *c, struct imap_mailbox *m)
{
	if (ip_sp(c) == -1 || ip_mailbox(c, m) == -1)
		return -1;
	return 0;
}

/* LOGIN SP userid SP password */
static int
p_login(struct pctx *c)
{
	if (ip_sp(c) == -1 || ip_astring(c, 0, &c->req->u.login.user) == -1 ||
	    ip_sp(c) == -1 || ip_astring(c, 0, &c->req->u.login.pass) == -1)
		return -1;
	return ip_end(c);
}

/* AUTHENTICATE SP auth-type [SP (base64 / "=")] (RFC 4959) */
static int
p_authenticate(struct pctx *c)
{
	struct span	 sp, ir;
	unsigned char	*d;
	long		 n;

	if (ip_sp(c) == -1 || ip_atom(c, &sp) == -1)
		return -1;
	if ((c->req->u.auth.mech.p = ip_strdup(c, sp.p, sp.n)) == NULL)
		return -1;
	c->req->u.auth.mech.len = sp.n;
	if (ip_at_end(c))
		return 0;
	if (ip_peek(c) == ' ' && c->pos + 1 == c->len)
		return ip_fail(c, "Empty initial response: send \"=\"");
	if (ip_sp(c) == -1)
		return -1;
	if (!ip_cap(c, IMAP_CAP_SASL_IR))
		return ip_fail(c, "Initial responses need SASL-IR");
	ir.p = c->s + c->pos;
	ir.n = c->len - c->pos;
	if (memchr(ir.p, ' ', ir.n) != NULL)
		return ip_fail(c, "Too many arguments");
	c->pos = c->len;
	c->req->u.auth.ir_set = true;
	if (ir.n == 1 && ir.p[0] == '=') {
		c->req->u.auth.ir.p = "";
		return 0;
	}
	if ((d = ip_alloc(c, ir.n / 4 * 3 + 1, 1)) == NULL)
		return -1;
	if ((n = b64decode(ir.p, ir.n, d)) < 0)
		return ip_fail(c, "Invalid base64 in the initial response");
	c->req->u.auth.ir.p = (const char *)d;
	c->req->u.auth.ir.len = (size_t)n;
	return 0;
}

/* ENABLE 1*(SP capability) */
static int
p_enable(struct pctx *c)
{
	struct imap_str	*v = NULL;
	size_t		 n = 0, cap = 0;

	do {
		if (ip_sp(c) == -1)
			return -1;
		if (n == cap && (v = ip_grow(c, v, n, &cap, sizeof(*v))) == NULL)
			return -1;
		if (ip_flag_keyword(c, &v[n]) == -1)
			return -1;
		n++;
	} while (!ip_at_end(c));
	c->req->u.enable.names = v;
	c->req->u.enable.n = n;
	return 0;
}

/* ID SP ("(" [string SP nstring *(SP string SP nstring)] ")" / NIL), RFC 2971 */
static int
p_id(struct pctx *c)
{
	struct imap_id_pair	*v = NULL;
	size_t			 n = 0, cap = 0;

	if (ip_sp(c) == -1)
		return -1;
	if (!ip_accept(c, '(')) {
		struct span	 sp;

		if (ip_atom(c, &sp) == -1)
			return -1;
		if (!ip_is(sp, "NIL"))
			return ip_fail(c, "ID takes a list or NIL");
		c->req->u.id.nil = true;
		return ip_end(c);
	}
	while (!ip_accept(c, ')')) {
		if (n > 0 && ip_sp(c) == -1)
			return -1;
		if (n == IMAP_ID_PAIRS_MAX)
			return ip_fail(c, "ID: at most 30 field-value pairs");
		if (n == cap && (v = ip_grow(c, v, n, &cap, sizeof(*v))) == NULL)
			return -1;
		if (ip_string(c, 0, &v[n].field) == -1 || ip_sp(c) == -1 ||
		    ip_nstring(c, 0, &v[n].value) == -1)
			return -1;
		if (v[n].field.len > IMAP_ID_FIELD_MAX)
			return ip_fail(c, "ID: field names are at most 30 octets");
		if (v[n].value.len > IMAP_ID_VALUE_MAX)
			return ip_fail(c, "ID: values are at most 1024 octets");
		n++;
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated ID list");
	}
	c->req->u.id.pairs = v;
	c->req->u.id.n = n;
	return ip_end(c);
}

/* SETQUOTA SP quota-root-name SP "(" [resource-name SP number64 *(...)] ")" */
static int
p_setquota(struct pctx *c)
{
	struct imap_quota_res	*v = NULL;
	size_t			 n = 0, cap = 0;

	if (ip_sp(c) == -1 || ip_astring(c, 0, &c->req->u.quota.root) == -1 ||
	    ip_sp(c) == -1 || ip_expect(c, '(', "resource list") == -1)
		return -1;
	while (!ip_accept(c, ')')) {
		if (n > 0 && ip_sp(c) == -1)
			return -1;
		if (n == cap && (v = ip_grow(c, v, n, &cap, sizeof(*v))) == NULL)
			return -1;
		if (ip_flag_keyword(c, &v[n].name) == -1 || ip_sp(c) == -1 ||
		    ip_number(c, NUMBER64_MAX, &v[n].limit) == -1)
			return -1;
		n++;
		if (ip_at_end(c))
			return ip_fail(c, "Unterminated resource list");
	}
	c->req->u.quota.res = v;
	c->req->u.quota.n = n;
	return ip_end(c);
}

/* COPY / MOVE SP sequence-set SP mailbox */
static int
p_copy(struct pctx *c)
{
	if (ip_sp(c) == -1 ||
	    ip_seqset(c, ip_seqflags(c), &c->req->u.copy.set) == -1 ||
	    arg_mailbox(c, &c->req->u.copy.mbox) == -1)
		return -1;
	return ip_end(c);
}

static int
dispatch(struct pctx *c)
{
	struct imap_request	*req = c->req;

	switch (req->id) {
	case IMAP_CMD_CAPABILITY:
	case IMAP_CMD_NOOP:
	case IMAP_CMD_LOGOUT:
	case IMAP_CMD_STARTTLS:
	case IMAP_CMD_NAMESPACE:
	case IMAP_CMD_IDLE:
	case IMAP_CMD_CHECK:
	case IMAP_CMD_CLOSE:
	case IMAP_CMD_UNSELECT:
		return ip_end(c);
	case IMAP_CMD_EXPUNGE:
		if (!req->uid)
			return ip_end(c);
		if (ip_sp(c) == -1 ||
		    ip_seqset(c, ip_seqflags(c), &req->u.expunge) == -1)
			return -1;
		return ip_end(c);
	case IMAP_CMD_LOGIN:
		return p_login(c);
	case IMAP_CMD_AUTHENTICATE:
		return p_authenticate(c);
	case IMAP_CMD_ENABLE:
		return p_enable(c);
	case IMAP_CMD_ID:
		return p_id(c);
	case IMAP_CMD_SELECT:
	case IMAP_CMD_EXAMINE:
		return ip_select(c, &req->u.select);
	case IMAP_CMD_CREATE:
		return ip_create(c, &req->u.create);
	case IMAP_CMD_DELETE:
	case IMAP_CMD_SUBSCRIBE:
	case IMAP_CMD_UNSUBSCRIBE:
	case IMAP_CMD_GETQUOTAROOT:
		if (arg_mailbox(c, &req->u.mbox) == -1)
			return -1;
		return ip_end(c);
	case IMAP_CMD_RENAME:
		if (arg_mailbox(c, &req->u.rename.from) == -1 ||
		    arg_mailbox(c, &req->u.rename.to) == -1)
			return -1;
		return ip_end(c);
	case IMAP_CMD_LIST:
		return ip_list(c, &req->u.list);
	case IMAP_CMD_LSUB:
		return ip_lsub(c, &req->u.list);
	case IMAP_CMD_STATUS:
		return ip_status(c, &req->u.status);
	case IMAP_CMD_APPEND:
		return ip_append(c, &req->u.append);
	case IMAP_CMD_GETQUOTA:
		if (ip_sp(c) == -1 ||
		    ip_astring(c, 0, &req->u.quota.root) == -1)
			return -1;
		return ip_end(c);
	case IMAP_CMD_SETQUOTA:
		return p_setquota(c);
	case IMAP_CMD_SEARCH:
		return ip_search(c, &req->u.search);
	case IMAP_CMD_FETCH:
		return ip_fetch(c, &req->u.fetch);
	case IMAP_CMD_STORE:
		return ip_store(c, &req->u.store);
	case IMAP_CMD_COPY:
	case IMAP_CMD_MOVE:
		return p_copy(c);
	case IMAP_CMD_SORT:
		return ip_sort(c, &req->u.sort);
	case IMAP_CMD_THREAD:
		return ip_thread(c, &req->u.thread);
	case IMAP_CMD_NONE:
	case IMAP_CMD_COUNT:
		break;
	}
	return ip_fail(c, "Unknown command");
}

static bool
tag_char(int ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("(){%*\"\\+", ch) == NULL;
}

/* tag SP command-name [SP "UID"] ... */
static int
parse_command(struct pctx *c)
{
	struct imap_request	*req = c->req;
	const struct imap_cmd_def *def;
	struct span		 name;
	size_t			 start = 0;
	bool			 uid = false;

	while (c->pos < c->len && c->s[c->pos] != ' ') {
		if (!tag_char((unsigned char)c->s[c->pos]))
			return ip_fail(c, c->len == 0 ? "Empty command line" :
			    "Invalid tag");
		c->pos++;
	}
	if (c->pos == 0)
		return ip_fail(c, c->len == 0 ? "Empty command line" :
		    "Missing tag");
	if ((req->tag = ip_strdup(c, c->s, c->pos)) == NULL)
		return -1;
	if (!ip_accept(c, ' ') || ip_at_end(c))
		return ip_fail(c, "Missing command");
	start = c->pos;
	ip_word(c, &name);
	if (name.n == 0)
		return ip_fail_tok(c, "Invalid command name");
	if (ip_is(name, "UID")) {
		uid = true;
		if (!ip_accept(c, ' ') || ip_at_end(c))
			return ip_fail(c, "Missing command after UID");
		ip_word(c, &name);
	}
	def = imap_cmd_find(name.p, name.n, uid);
	if (def == NULL || (def->cap != 0 && !ip_cap(c, def->cap)) ||
	    ((def->flags & IMAP_CMDF_REV1) && ip_rev2(c))) {
		c->pos = start;
		return ip_fail(c, "Unknown command %s%.*s", uid ? "UID " : "",
		    (int)(name.n > ERR_TOKEN_MAX ? ERR_TOKEN_MAX : name.n),
		    name.p);
	}
	req->def = def;
	req->id = def->id;
	req->uid = uid;
	return dispatch(c);
}

static void
setup(struct pctx *c, struct imap_request *req, const struct imap_rd_cmd *cmd,
    const struct imap_parse_opts *opts, bool prefix)
{
	memset(req, 0, sizeof(*req));
	memset(c, 0, sizeof(*c));
	c->s = cmd->text;
	c->len = cmd->len;
	c->lits = cmd->lits;
	c->nlits = cmd->nlits;
	c->opts = opts;
	c->req = req;
	c->prefix = prefix;
	/* Everything parsed is bounded by the text it came from. */
	c->arena_max = 64 * 1024 + 16 * cmd->len;
}

int
imap_parse(struct imap_request *req, const struct imap_rd_cmd *cmd,
    const struct imap_parse_opts *opts)
{
	struct pctx	 c;

	setup(&c, req, cmd, opts, false);
	if (parse_command(&c) == -1) {
		if (req->err[0] == '\0')
			snprintf(req->err, sizeof(req->err), "Syntax error");
		return -1;
	}
	return 0;
}

int
imap_parse_prefix(struct imap_request *req, const struct imap_rd_cmd *cmd,
    const struct imap_parse_opts *opts)
{
	struct pctx	 c;

	setup(&c, req, cmd, opts, true);
	if (parse_command(&c) == -1 && c.pending)
		return 0;
	if (req->err[0] == '\0')
		snprintf(req->err, sizeof(req->err), "Malformed literal");
	return -1;
}

bool
imap_request_uses_seqs(const struct imap_request *req)
{
	if (req->def == NULL)
		return false;
	switch (req->id) {
	case IMAP_CMD_SEARCH:
		return !req->uid || req->u.search.uses_seqs;
	case IMAP_CMD_SORT:
		return !req->uid || req->u.sort.search.uses_seqs;
	case IMAP_CMD_THREAD:
		return !req->uid || req->u.thread.search.uses_seqs;
	default:
		return !req->uid && (req->def->flags & IMAP_CMDF_SEQS);
	}
}
