/* libFuzzer target: DKIM tag lists and DKIM-Signature fields (parse, write back, parse again), and whole messages through the verifier. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mail/dkim.h"
#include "mail/dkim_sig.h"
#include "mail/dkim_tags.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_tags(const char *s, size_t len)
{
	struct dkim_tags	 t;
	const char		*errstr;
	size_t			 i;

	if (dkim_tags_parse(&t, s, len, &errstr) == -1)
		return;
	if (t.n == 0 || t.n > DKIM_TAGS_MAX)
		abort();
	for (i = 0; i < t.n; i++) {
		const struct dkim_tag	*g = &t.tag[i];

		if (g->namelen == 0 || g->name < s || g->name + g->namelen >
		    s + len || g->value < s || g->value + g->valuelen >
		    s + len || g->vstart > g->vend || g->vend > len ||
		    (size_t)(g->value - s) < g->vstart ||
		    (size_t)(g->value - s) + g->valuelen > g->vend)
			abort();
		/* Names are unique: looking one up finds this very tag. */
		{
			char	 name[64];

			if (g->namelen < sizeof(name)) {
				memcpy(name, g->name, g->namelen);
				name[g->namelen] = '\0';
				if (dkim_tags_get(&t, name) != g)
					abort();
			}
		}
	}
}

/* A signature that parses is written back and parses to the same. */
static void
check_sig(const char *s, size_t len)
{
	struct dkim_sig	*a, *b;
	struct buf	 out;
	const char	*errstr;
	char		*v;
	size_t		 i;

	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	if (a == NULL || b == NULL)
		abort();
	buf_init(&out, 0);
	if (dkim_sig_parse(a, s, len, &errstr) == 0) {
		if (a->alg == DKIM_ALG_UNKNOWN || a->alg == DKIM_ALG_RSA_SHA1 ||
		    a->d[0] == '\0' || a->s[0] == '\0' || a->nh == 0 ||
		    a->blen == 0 || a->bhlen != 32 || a->refused)
			abort();
		if (dkim_sig_write(&out, a, 0) == -1 ||
		    dkim_sig_write_b(&out, a, 0) == -1)
			abort();
		v = out.data + strlen(DKIM_SIG_FIELD) + 1;
		/* Without the final line end. */
		if (dkim_sig_parse(b, v, out.len - (size_t)(v - out.data) - 1,
		    &errstr) == -1)
			abort();
		if (a->alg != b->alg || a->hcanon != b->hcanon ||
		    a->bcanon != b->bcanon || strcmp(a->d, b->d) != 0 ||
		    strcmp(a->s, b->s) != 0 || strcmp(a->i, b->i) != 0 ||
		    a->has_i != b->has_i || a->blen != b->blen ||
		    memcmp(a->b, b->b, a->blen) != 0 ||
		    memcmp(a->bh, b->bh, 32) != 0 || a->nh != b->nh ||
		    a->has_t != b->has_t || a->t != b->t ||
		    a->has_x != b->has_x || a->x != b->x)
			abort();
		for (i = 0; i < a->nh; i++)
			if (strcmp(dkim_sig_hname(a, i), dkim_sig_hname(b, i)) !=
			    0)
				abort();
	} else if (a->refused && a->alg != DKIM_ALG_RSA_SHA1)
		abort();
	buf_free(&out);
	free(a);
	free(b);
}

/* Any message, with any signatures, through the verifier; the key is fixed. */
static void
check_message(const char *s, size_t len)
{
	static const char	 rec[] = "v=DKIM1; k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
	struct dkim_hdr		*h;
	struct dkim_verify	*v;
	struct dkim_verdict	 vd;
	struct buf		 ar;
	const char		*errstr;
	char			 name[DKIM_DOMAIN_MAX + 1];
	size_t			 n, body, i;

	if ((h = calloc(64, sizeof(*h))) == NULL)
		abort();
	if (dkim_hdr_split(s, len, h, 64, &n, &body, &errstr) == -1) {
		free(h);
		return;
	}
	if (body > len || (v = dkim_verify_new(h, n, 1528637909, 300,
	    &errstr)) == NULL)
		abort();
	if (dkim_verify_body(v, s + body, len - body) == -1 ||
	    dkim_verify_body_end(v) == -1)
		abort();
	buf_init(&ar, 0);
	for (i = 0; i < dkim_verify_count(v); i++) {
		int	 q = dkim_verify_query(v, i, name, sizeof(name));

		dkim_verify_result(v, i, q == 0 ? DKIM_DNS_OK :
		    DKIM_DNS_NOTFOUND, rec, sizeof(rec) - 1, &vd);
		if (vd.result == DKIM_NONE || (vd.result == DKIM_PASS &&
		    vd.reason != DKIM_R_OK) || (vd.result != DKIM_PASS &&
		    vd.detail == NULL))
			abort();
		if (dkim_authres(&ar, &vd) == -1)
			abort();
	}
	if (dkim_verify_count(v) > DKIM_VERIFY_MAX)
		abort();
	buf_free(&ar);
	dkim_verify_free(&v);
	free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data + 1;

	if (size < 1)
		return 0;
	/* data[0] picks what the rest is. */
	if (data[0] & 1)
		check_message(s, size - 1);
	else {
		check_tags(s, size - 1);
		check_sig(s, size - 1);
	}
	return 0;
}
