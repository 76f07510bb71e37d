/* ENVELOPE: the ten header fields of RFC 3501 7.4.2, in Dovecot's form. */
#include <string.h>

#include "lib/buf.h"
#include "mail/imap_envelope.h"
#include "mail/imap_string.h"
#include "mail/mime.h"
#include "mail/mime_addr.h"

/* The last value of a string field, or NULL. */
static const char *
field(const struct mime_tree *t, const struct mime_env *e, int f, size_t *len)
{
	*len = 0;
	if (e->n[f] == 0)
		return NULL;
	return mime_kv_key(t, &t->kv[e->first[f] + e->n[f] - 1], len);
}

static void
addresses(const struct mime_tree *t, const struct mime_env *e, int f,
    struct mime_addrlist *l)
{
	const char	*v;
	size_t		 i, len;

	for (i = 0; i < e->n[f]; i++) {
		v = mime_kv_key(t, &t->kv[e->first[f] + i], &len);
		mime_addr_parse(v, len, l);
	}
}

static int
str(struct buf *out, const char *s)
{
	return imap_nstring(out, s, s ? strlen(s) : 0);
}

static int
addrlist(struct buf *out, const struct mime_addrlist *l)
{
	const struct mime_addr	*a;
	size_t			 i;

	if (l->n == 0)
		return buf_add(out, "NIL", 3);
	if (buf_addc(out, '(') == -1)
		return -1;
	for (i = 0; i < l->n; i++) {
		a = &l->a[i];
		if (buf_addc(out, '(') == -1)
			return -1;
		if (a->group) {
			if (buf_add(out, "NIL NIL ", 8) == -1 ||
			    str(out, a->mailbox) == -1 ||
			    buf_add(out, " NIL)", 5) == -1)
				return -1;
			continue;
		}
		if (imap_string_for_humans(out, a->name,
		    a->name ? strlen(a->name) : 0) == -1 ||
		    buf_addc(out, ' ') == -1 || str(out, a->route) == -1 ||
		    buf_addc(out, ' ') == -1 ||
		    str(out, a->mailbox ? a->mailbox : "MISSING_MAILBOX") == -1 ||
		    buf_addc(out, ' ') == -1 ||
		    str(out, a->host ? a->host : "MISSING_DOMAIN") == -1 ||
		    buf_addc(out, ')') == -1)
			return -1;
	}
	return buf_addc(out, ')');
}

int
imap_envelope(struct buf *out, const struct mime_tree *t, uint32_t idx)
{
	const struct mime_env	*e;
	struct mime_addrlist	 l[MIME_ENV_N];
	const char		*v;
	size_t			 len;
	int			 f, r = -1;

	if (idx >= t->nparts || t->parts[idx].env == MIME_NONE)
		return buf_add(out, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)", 41);
	e = &t->envs[t->parts[idx].env];
	memset(l, 0, sizeof(l));
	for (f = MIME_ENV_FROM; f <= MIME_ENV_BCC; f++)
		addresses(t, e, f, &l[f]);
	if (buf_addc(out, '(') == -1)
		goto done;
	v = field(t, e, MIME_ENV_DATE, &len);
	if (imap_nstring_nolf(out, v, len) == -1 || buf_addc(out, ' ') == -1)
		goto done;
	v = field(t, e, MIME_ENV_SUBJECT, &len);
	if (imap_string_for_humans(out, v, len) == -1)
		goto done;
	for (f = MIME_ENV_FROM; f <= MIME_ENV_BCC; f++) {
		const struct mime_addrlist	*a = &l[f];

		if ((f == MIME_ENV_SENDER || f == MIME_ENV_REPLY_TO) && a->n == 0)
			a = &l[MIME_ENV_FROM];
		if (buf_addc(out, ' ') == -1 || addrlist(out, a) == -1)
			goto done;
	}
	v = field(t, e, MIME_ENV_IN_REPLY_TO, &len);
	if (buf_addc(out, ' ') == -1 || imap_nstring_nolf(out, v, len) == -1)
		goto done;
	v = field(t, e, MIME_ENV_MESSAGE_ID, &len);
	if (buf_addc(out, ' ') == -1 || imap_nstring_nolf(out, v, len) == -1 ||
	    buf_addc(out, ')') == -1)
		goto done;
	r = 0;
done:
	for (f = 0; f < MIME_ENV_N; f++)
		mime_addrlist_free(&l[f]);
	return r;
}
