/* The envelope's text form in the queue file: writer and strict parser. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/digits.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "lib/xalloc.h"
#include "mail/envelope.h"

/*
 * Limits shared by writer and parser: the writer refuses what the parser
 * would refuse, or a committed message would be quarantined on load.
 */
#define ENV_LINE_MAX	(64 * 1024)		/* bytes per line, newline included */
#define ENV_TEXT_MAX	(16 * 1024 * 1024)	/* bytes of envelope text */
#define ENV_RCPT_MAX	100000			/* deliveries */

#define ENV_VERSION	"1"

static const char *const method_names[] = {
	[DELIVER_MAILDIR] = "maildir",
	[DELIVER_MBOX] = "mbox",
	[DELIVER_MDA] = "mda",
	[DELIVER_LMTP] = "lmtp",
	[DELIVER_RELAY] = "relay",
};
#define NMETHODS	(sizeof(method_names) / sizeof(method_names[0]))

/* The string fields of a D line, in their order on the line; the last is optional. */
#define D_NSTR	8
#define D_NREQ	7

void
envelope_init(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
delivery_free(struct delivery *d)
{
	x_free(&d->rcpt);
	x_free(&d->dest);
	x_free(&d->action);
	x_free(&d->account);
	x_free(&d->path);
	x_free(&d->notify);
	x_free(&d->orcpt);
	x_free(&d->sender);
}

void
envelope_free(struct envelope *e)
{
	size_t	 i;

	x_free(&e->sender);
	x_free(&e->helo);
	x_free(&e->client_addr);
	x_free(&e->client_name);
	x_free(&e->prepend);
	x_free(&e->auth_user);
	x_free(&e->envid);
	for (i = 0; i < e->ndeliveries; i++)
		delivery_free(&e->deliveries[i]);
	x_free(&e->deliveries);
	map_free(e->seen, NULL);
	envelope_init(e);
}

/*
 * The array's capacity is implied by its length: the next power of two, so
 * adding is amortised O(1) without a capacity field callers must keep.
 */
static struct delivery *
delivery_slot(struct envelope *e)
{
	size_t	 n = e->ndeliveries;

	if (n == 0)
		e->deliveries = xreallocarray(e->deliveries, 1, sizeof(*e->deliveries));
	else if ((n & (n - 1)) == 0)
		e->deliveries = xreallocarray(e->deliveries, n, 2 * sizeof(*e->deliveries));
	e->ndeliveries++;
	return &e->deliveries[n];
}

void
envelope_add(struct envelope *e, const struct delivery *d)
{
	struct delivery	*n = delivery_slot(e);

	n->state = d->state ? d->state : DSTATE_PENDING;
	n->method = d->method;
	n->rcpt = dup_or_null(d->rcpt);
	n->dest = dup_or_null(d->dest);
	n->action = dup_or_null(d->action);
	n->account = dup_or_null(d->account);
	n->path = dup_or_null(d->path);
	n->notify = dup_or_null(d->notify);
	n->orcpt = dup_or_null(d->orcpt);
	n->sender = dup_or_null(d->sender);
	n->state_offset = 0;
}

/* What makes two deliveries one: fields joined by LF, which none of them holds. */
static void
delivery_key(struct buf *k, const struct delivery *d)
{
	buf_reset(k);
	buf_addf(k, "%d\n%s\n%s\n", (int)d->method, d->account ? d->account : "",
	    d->path ? d->path : "");
	if (d->method == DELIVER_MAILDIR || d->method == DELIVER_MBOX)
		return;
	buf_addf(k, "%s\n%s\n%s", d->action ? d->action : "",
	    d->dest ? d->dest : "", d->sender ? d->sender : "");
}

int
envelope_add_unique(struct envelope *e, const struct delivery *d)
{
	struct buf	 k;
	size_t		 i;
	int		 added = 0;

	/* One delivery needs no index: most messages have one recipient. */
	if (e->ndeliveries == 0) {
		envelope_add(e, d);
		return 1;
	}
	buf_init(&k, 0);
	if (e->seen == NULL) {
		e->seen = map_new();
		for (i = 0; i < e->ndeliveries; i++) {
			delivery_key(&k, &e->deliveries[i]);
			map_set(e->seen, k.data, NULL);
		}
	}
	delivery_key(&k, d);
	if (!map_has(e->seen, k.data)) {
		map_set(e->seen, k.data, NULL);
		envelope_add(e, d);
		added = 1;
	}
	buf_free(&k);
	return added;
}

/* Bytes written as %XX: the escape itself, the separator, controls and DEL. */
static int
needs_escape(unsigned char c)
{
	return c == '%' || c <= ' ' || c == 0x7f;
}

static int
add_escaped(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (needs_escape(*p)) {
			char	 esc[3] = { '%', hex[*p >> 4], hex[*p & 0xf] };

			if (buf_add(b, esc, 3) == -1)
				return -1;
		} else if (buf_addc(b, (char)*p) == -1)
			return -1;
	}
	return 0;
}

/* A D-line field: "-" stands for NULL, so a value of "-" is written escaped. */
static int
add_field(struct buf *b, const char *s)
{
	if (buf_addc(b, ' ') == -1)
		return -1;
	if (s == NULL)
		return buf_addc(b, '-');
	if (strcmp(s, "-") == 0)
		return buf_adds(b, "%2D");
	return add_escaped(b, s);
}

static int
add_line(struct buf *b, char key, const char *val)
{
	if (val == NULL)
		return 0;
	if (buf_addc(b, key) == -1 || buf_addc(b, ' ') == -1 ||
	    add_escaped(b, val) == -1 || buf_addc(b, '\n') == -1)
		return -1;
	return 0;
}

static int
valid_id(const char *id, size_t len)
{
	size_t	 i;

	if (len != 16)
		return 0;
	for (i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

static int
add_delivery(struct buf *b, const struct delivery *d)
{
	const char	*f[D_NSTR] = { d->rcpt, d->dest, d->action, d->account,
			    d->path, d->notify, d->orcpt, d->sender };
	size_t		 i, n = d->sender != NULL ? D_NSTR : D_NREQ;

	if (d->state != DSTATE_PENDING && d->state != DSTATE_DONE &&
	    d->state != DSTATE_FAILED)
		return -1;
	if ((size_t)d->method >= NMETHODS)
		return -1;
	if (buf_addf(b, "D %c %s", (char)d->state, method_names[d->method]) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (add_field(b, f[i]) == -1)
			return -1;
	return buf_addc(b, '\n');
}

void
envelope_set_offsets(struct envelope *e, const char *text, size_t len,
    size_t base)
{
	size_t	 pos = 0, k = 0;

	/* Each delivery's state is the third byte of its "D" line, in order. */
	while (pos < len && k < e->ndeliveries) {
		const char	*nl = memchr(text + pos, '\n', len - pos);
		size_t		 end = nl ? (size_t)(nl - text) + 1 : len;

		if (end - pos > 2 && text[pos] == 'D' && text[pos + 1] == ' ')
			e->deliveries[k++].state_offset = base + pos + 2;
		pos = end;
	}
}

int
envelope_serialize(const struct envelope *e, struct buf *out)
{
	size_t	 i, n, start, line;

	if (!valid_id(e->id, strlen(e->id)) || e->sender == NULL ||
	    e->ctime < 0 || e->ndeliveries == 0 ||
	    e->ndeliveries > ENV_RCPT_MAX)
		return -1;
	start = out->len;
	if (buf_addf(out, "V " ENV_VERSION "\nI %s\nT %lld\n", e->id,
	    (long long)e->ctime) == -1)
		goto fail;
	line = out->len;
	if (add_line(out, 'S', e->sender) == -1 ||
	    add_line(out, 'H', e->helo) == -1 ||
	    add_line(out, 'A', e->client_addr) == -1 ||
	    add_line(out, 'N', e->client_name) == -1 ||
	    add_line(out, 'U', e->auth_user) == -1 ||
	    add_line(out, 'E', e->envid) == -1 ||
	    add_line(out, 'P', e->prepend) == -1)
		goto fail;
	if (buf_addf(out, "R %d\n8 %d\nX %d\n", e->dsn_ret_full ? 1 : 0,
	    e->body_8bit ? 1 : 0, e->smtputf8 ? 1 : 0) == -1)
		goto fail;
	/* Written only when set, so that envelopes of other versions read alike. */
	if (e->junk && buf_addf(out, "J 1\n") == -1)
		goto fail;
	for (i = 0; i < e->ndeliveries; i++) {
		if (add_delivery(out, &e->deliveries[i]) == -1)
			goto fail;
	}
	/* Every line within the parser's limit (the first three are short). */
	for (i = line; i < out->len; i += n) {
		const char	*nl = memchr(out->data + i, '\n', out->len - i);

		n = (size_t)(nl - (out->data + i)) + 1;
		if (n > ENV_LINE_MAX)
			goto fail;
	}
	if (out->len - start > ENV_TEXT_MAX)
		goto fail;
	return 0;
fail:
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return -1;
}


/* Decodes one escaped value; only bytes the writer could have produced are accepted. */
static char *
unescape(const char *s, size_t n, const char **errstr)
{
	char	*out, *o;
	size_t	 i;

	o = out = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c == '%') {
			int	 hi, lo;

			if (n - i < 3 || (hi = hex_value(s[i + 1])) == -1 ||
			    (lo = hex_value(s[i + 2])) == -1) {
				*errstr = "bad %-escape";
				goto fail;
			}
			if (hi == 0 && lo == 0) {
				*errstr = "escaped NUL byte";
				goto fail;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (needs_escape(c)) {
			*errstr = "unescaped control character or space";
			goto fail;
		} else
			*o++ = (char)c;
	}
	*o = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

static int
parse_flag(const char *v, size_t n, int *flag)
{
	if (n != 1 || (v[0] != '0' && v[0] != '1'))
		return -1;
	*flag = v[0] == '1';
	return 0;
}

static int
parse_time(const char *v, size_t n, time_t *t)
{
	long long	 x = 0;
	size_t		 i;

	if (n == 0 || n > 19 || (n > 1 && v[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');	/* 19 digits cannot overflow */
	}
	if ((long long)(time_t)x != x)
		return -1;
	*t = (time_t)x;
	return 0;
}

static int
parse_delivery(struct envelope *e, const char *v, size_t n, size_t stoff,
    const char **errstr)
{
	struct delivery	*d;
	char		**f[D_NSTR];
	const char	*p = v, *end = v + n, *sp;
	size_t		 i, mlen;

	if (e->ndeliveries >= ENV_RCPT_MAX) {
		*errstr = "too many deliveries";
		return -1;
	}
	if (n < 2 || v[1] != ' ' || (v[0] != DSTATE_PENDING &&
	    v[0] != DSTATE_DONE && v[0] != DSTATE_FAILED)) {
		*errstr = "bad delivery state";
		return -1;
	}
	p += 2;
	sp = memchr(p, ' ', (size_t)(end - p));
	mlen = sp ? (size_t)(sp - p) : (size_t)(end - p);
	for (i = 0; i < NMETHODS; i++)
		if (strlen(method_names[i]) == mlen &&
		    memcmp(method_names[i], p, mlen) == 0)
			break;
	if (i == NMETHODS) {
		*errstr = "unknown delivery method";
		return -1;
	}
	d = delivery_slot(e);
	memset(d, 0, sizeof(*d));
	d->state = (enum delivery_state)v[0];
	d->method = (enum delivery_method)i;
	d->state_offset = stoff;
	f[0] = &d->rcpt, f[1] = &d->dest, f[2] = &d->action;
	f[3] = &d->account, f[4] = &d->path, f[5] = &d->notify;
	f[6] = &d->orcpt, f[7] = &d->sender;
	p += mlen;
	for (i = 0; i < D_NSTR; i++) {
		size_t	 flen;

		if (i == D_NREQ && p == end)
			break;
		if (p == end || *p != ' ') {
			*errstr = "too few delivery fields";
			return -1;
		}
		p++;
		sp = memchr(p, ' ', (size_t)(end - p));
		flen = sp ? (size_t)(sp - p) : (size_t)(end - p);
		if (!(flen == 1 && *p == '-') &&
		    (*f[i] = unescape(p, flen, errstr)) == NULL)
			return -1;
		p += flen;
	}
	if (p != end) {
		*errstr = "too many delivery fields";
		return -1;
	}
	return 0;
}

/* Parses one string field once; a repeated key is an error. */
static int
parse_string(char **dst, const char *v, size_t n, const char **errstr)
{
	if (*dst != NULL) {
		*errstr = "duplicate field";
		return -1;
	}
	if ((*dst = unescape(v, n, errstr)) == NULL)
		return -1;
	return 0;
}

int
envelope_parse(struct envelope *e, const char *text, size_t len, size_t base,
    const char **errstr)
{
	enum { SEEN_I = 1, SEEN_T = 2, SEEN_R = 4, SEEN_8 = 8, SEEN_X = 16, SEEN_J = 32 };
	size_t	 pos = 0;
	int	 seen = 0, bit;

	envelope_init(e);
	if (len > ENV_TEXT_MAX) {
		*errstr = "envelope too large";
		goto fail;
	}
	if (base > SIZE_MAX - len) {
		*errstr = "envelope offset out of range";
		goto fail;
	}
	while (pos < len) {
		const char	*line = text + pos, *nl, *v;
		size_t		 rest = len - pos, llen, n;

		nl = memchr(line, '\n', rest < ENV_LINE_MAX ? rest : ENV_LINE_MAX);
		if (nl == NULL) {
			*errstr = rest < ENV_LINE_MAX ? "unterminated line" :
			    "line too long";
			goto fail;
		}
		llen = (size_t)(nl - line);
		if (llen < 2 || line[1] != ' ') {
			*errstr = "malformed line";
			goto fail;
		}
		v = line + 2;
		n = llen - 2;
		if (pos == 0) {
			if (line[0] != 'V' || n != strlen(ENV_VERSION) ||
			    memcmp(v, ENV_VERSION, n) != 0) {
				*errstr = "missing or unsupported version";
				goto fail;
			}
			pos += llen + 1;
			continue;
		}
		bit = 0;
		switch (line[0]) {
		case 'I':
			bit = SEEN_I;
			if (!valid_id(v, n)) {
				*errstr = "bad queue id";
				goto fail;
			}
			if (!(seen & bit)) {
				memcpy(e->id, v, 16);
				e->id[16] = '\0';
			}
			break;
		case 'T':
			bit = SEEN_T;
			if (parse_time(v, n, &e->ctime) == -1) {
				*errstr = "bad time";
				goto fail;
			}
			break;
		case 'S':
			if (parse_string(&e->sender, v, n, errstr) == -1)
				goto fail;
			break;
		case 'H':
			if (parse_string(&e->helo, v, n, errstr) == -1)
				goto fail;
			break;
		case 'A':
			if (parse_string(&e->client_addr, v, n, errstr) == -1)
				goto fail;
			break;
		case 'N':
			if (parse_string(&e->client_name, v, n, errstr) == -1)
				goto fail;
			break;
		case 'U':
			if (parse_string(&e->auth_user, v, n, errstr) == -1)
				goto fail;
			break;
		case 'E':
			if (parse_string(&e->envid, v, n, errstr) == -1)
				goto fail;
			break;
		case 'P':
			if (parse_string(&e->prepend, v, n, errstr) == -1)
				goto fail;
			break;
		case 'R':
		case '8':
		case 'X':
			bit = line[0] == 'R' ? SEEN_R : line[0] == '8' ? SEEN_8 : SEEN_X;
			if (parse_flag(v, n, line[0] == 'R' ? &e->dsn_ret_full :
			    line[0] == '8' ? &e->body_8bit : &e->smtputf8) == -1) {
				*errstr = "bad flag value";
				goto fail;
			}
			break;
		case 'J':
			bit = SEEN_J;
			if (parse_flag(v, n, &e->junk) == -1) {
				*errstr = "bad flag value";
				goto fail;
			}
			break;
		case 'D':
			if (parse_delivery(e, v, n, base + pos + 2, errstr) == -1)
				goto fail;
			break;
		default:
			*errstr = "unknown key";
			goto fail;
		}
		if (bit != 0) {
			if (seen & bit) {
				*errstr = "duplicate field";
				goto fail;
			}
			seen |= bit;
		}
		pos += llen + 1;
	}
	if (pos == 0) {
		*errstr = "empty envelope";
		goto fail;
	}
	if (!(seen & SEEN_I) || !(seen & SEEN_T) || e->sender == NULL) {
		*errstr = "missing required field";
		goto fail;
	}
	if (e->ndeliveries == 0) {
		*errstr = "no deliveries";
		goto fail;
	}
	return 0;
fail:
	envelope_free(e);
	return -1;
}
