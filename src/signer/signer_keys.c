/* The signer's keys: loaded from the bundle, found by the (domain, selector) a request names, only as the configuration allows. */
#include <string.h>

#include <openssl/evp.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "lib/xalloc.h"
#include "mail/dkim.h"
#include "mail/dkim_key.h"
#include "signer/signer.h"

struct signer_keys {
	struct map	*by_path;	/* key file -> EVP_PKEY */
};

static void
pkey_free(void *k)
{
	/* OpenSSL clears the private key's memory when it frees it. */
	EVP_PKEY_free(k);
}

static int
load_one(struct signer_keys *ks, const struct filter *f, const char *path,
    const struct bundle *b, struct buf *errors)
{
	const struct bundle_file	*bf = bundle_get(b, path);
	EVP_PKEY			*key = NULL;
	const char			*errstr;

	if (map_has(ks->by_path, path))
		return 0;
	if (bf == NULL || bf->withheld) {
		buf_addf(errors, "%s:%d: dkim-sign key %s: not given to the signer\n",
		    f->conf_file, f->conf_line, path);
		return -1;
	}
	if (dkim_key_load_private(bf->data, bf->len, &key, &errstr) == -1 ||
	    dkim_key_signable(key, &errstr) == -1) {
		buf_addf(errors, "%s:%d: dkim-sign key %s: %s\n", f->conf_file,
		    f->conf_line, path, errstr);
		EVP_PKEY_free(key);
		return -1;
	}
	map_set(ks->by_path, path, key);
	return 0;
}

struct signer_keys *
signer_keys_load(const struct conf *c, const struct bundle *b, struct buf *errors)
{
	struct signer_keys	*ks = xcalloc(1, sizeof(*ks));
	size_t			 i;
	int			 r = 0;

	ks->by_path = map_new();
	for (i = 0; i < c->nfilters; i++) {
		const struct filter	*f = c->filters[i];

		if (f->kind != FILTER_DKIM_SIGN)
			continue;
		if (load_one(ks, f, f->key, b, errors) == -1)
			r = -1;
		if (f->key2 != NULL && load_one(ks, f, f->key2, b, errors) == -1)
			r = -1;
	}
	if (r == -1) {
		signer_keys_free(ks);
		return NULL;
	}
	return ks;
}

void
signer_keys_free(struct signer_keys *ks)
{
	if (ks == NULL)
		return;
	map_free(ks->by_path, pkey_free);
	free(ks);
}

size_t
signer_keys_count(const struct signer_keys *ks)
{
	return map_count(ks->by_path);
}

EVP_PKEY *
signer_keys_find(const struct signer_keys *ks, const struct conf *c,
    const char *domain, const char *selector, enum dkim_alg alg,
    const char **errstr)
{
	EVP_PKEY	*key;
	const char	*path;
	char		 d[256];
	size_t		 i;

	*errstr = "no dkim-sign filter signs as this domain";
	for (i = 0; i < c->nfilters; i++) {
		const struct filter	*f = c->filters[i];

		if (!conf_dkim_signs(f, domain, d, sizeof(d)) ||
		    strcmp(d, domain) != 0)
			continue;
		if (strcmp(f->selector, selector) == 0)
			path = f->key;
		else if (f->selector2 != NULL && strcmp(f->selector2, selector) == 0)
			path = f->key2;
		else {
			*errstr = "no such selector for this domain";
			continue;
		}
		if ((key = map_get(ks->by_path, path)) == NULL) {
			*errstr = "key not loaded";
			return NULL;
		}
		if (dkim_key_alg(key) != alg) {
			*errstr = "the key is of another algorithm";
			return NULL;
		}
		return key;
	}
	return NULL;
}
