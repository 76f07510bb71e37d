/* dkim-sign and mail-auth in the configuration: which filter signs for a domain, whose key is whose, our authserv-id. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "conf/table.h"
#include "conf/table_priv.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "lib/readfile.h"
#include "lib/xalloc.h"
#include "mail/dkim.h"
#include "mail/dkim_key.h"

/* Where the bundle notes a key's algorithm: this, then the key's path. */
#define CONF_DKIM_ALG_META	"meta:dkim-alg:"

/* domain (lowercase) is one of f's domains. */
static int
names(const struct filter *f, const char *domain)
{
	if (f->domain != NULL)
		return strcasecmp(f->domain, domain) == 0;
	return f->domains != NULL && f->domains->cache != NULL &&
	    map_has(f->domains->cache->fold, domain);
}

int
conf_dkim_signs(const struct filter *f, const char *domain, char *d, size_t dlen)
{
	char		 low[256];
	const char	*p;
	size_t		 i, n = strlen(domain);

	if (f == NULL || f->kind != FILTER_DKIM_SIGN || n == 0 || n >= sizeof(low))
		return 0;
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)domain[i]);
	/* The domain itself, then (subdomains) each parent with two labels or more. */
	for (p = low; p != NULL; p = f->subdomains ? strchr(p, '.') : NULL) {
		if (*p == '.')
			p++;
		if (strchr(p, '.') == NULL && p != low)
			break;
		if (names(f, p)) {
			if ((size_t)snprintf(d, dlen, "%s", p) >= dlen)
				return 0;
			return 1;
		}
	}
	return 0;
}

int
conf_dkim_is_key(const struct conf *c, const char *path)
{
	size_t	 i;

	for (i = 0; i < c->nfilters; i++) {
		const struct filter	*f = c->filters[i];

		if (f->kind != FILTER_DKIM_SIGN)
			continue;
		if ((f->key != NULL && strcmp(f->key, path) == 0) ||
		    (f->key2 != NULL && strcmp(f->key2, path) == 0))
			return 1;
	}
	return 0;
}

int
conf_has_mail_auth(const struct conf *c)
{
	size_t	 i;

	for (i = 0; i < c->nfilters; i++)
		if (c->filters[i]->kind == FILTER_MAIL_AUTH)
			return 1;
	return 0;
}

const char *
conf_authserv_id(const struct conf *c)
{
	return c->admd != NULL && c->admd[0] != '\0' ? c->admd : c->hostname;
}

/* One key into the bundle, once, after checking that it signs. */
static int
bundle_key(const struct conf *c, const struct filter *f, const char *path,
    struct bundle *out, struct buf *errors)
{
	const struct bundle_file *had = bundle_get(out, path);
	EVP_PKEY		*key = NULL;
	const char		*errstr;
	char			*data;
	size_t			 len, i;
	int			 r = 0;

	for (i = 0; i < c->npkis; i++)
		if (strcmp(c->pkis[i]->key, path) == 0 ||
		    strcmp(c->pkis[i]->cert, path) == 0) {
			buf_addf(errors, "%s:%d: dkim-sign key %s is a file of pki "
			    "%s: a signing key is kept apart from TLS\n",
			    f->conf_file, f->conf_line, path, c->pkis[i]->name);
			return -1;
		}
	if (had != NULL && had->kind != BUNDLE_PEM) {
		buf_addf(errors, "%s:%d: dkim-sign key %s: not a key (the "
		    "configuration reads it as another file)\n", f->conf_file,
		    f->conf_line, path);
		return -1;
	}
	if (had != NULL) {
		/* Named twice, or a CA file: checked again all the same. */
		data = xmalloc(had->len + 1);
		memcpy(data, had->data, had->len + 1);
		len = had->len;
	} else if (readfile(path, CONF_PEM_MAX, &data, &len) == -1) {
		buf_addf(errors, "%s:%d: cannot read dkim-sign key %s: %s\n",
		    f->conf_file, f->conf_line, path, errno == EFBIG ?
		    "file too large" : strerror(errno));
		return -1;
	}
	if (dkim_key_load_private(data, len, &key, &errstr) == -1 ||
	    dkim_key_signable(key, &errstr) == -1) {
		buf_addf(errors, "%s:%d: dkim-sign key %s: %s\n", f->conf_file,
		    f->conf_line, path, errstr);
		r = -1;
	} else {
		char		*meta = xasprintf("%s%s", CONF_DKIM_ALG_META, path);
		const char	*alg = dkim_alg_name(dkim_key_alg(key));

		if (had == NULL)
			bundle_put(out, BUNDLE_PEM, path, data, len);
		bundle_put(out, BUNDLE_META, meta, alg, strlen(alg));
		free(meta);
	}
	EVP_PKEY_free(key);
	explicit_bzero(data, len);
	free(data);
	return r;
}

int
conf_bundle_dkim_keys(const struct conf *c, struct bundle *out, struct buf *errors)
{
	size_t	 i;
	int	 r = 0;

	for (i = 0; i < c->nfilters; i++) {
		const struct filter	*f = c->filters[i];

		if (f->kind != FILTER_DKIM_SIGN)
			continue;
		if (f->key != NULL && bundle_key(c, f, f->key, out, errors) == -1)
			r = -1;
		if (f->key2 != NULL && bundle_key(c, f, f->key2, out, errors) == -1)
			r = -1;
	}
	return r;
}

static int
alg_of(const struct bundle *b, const char *path)
{
	const struct bundle_file	*bf;
	char				*meta;

	if (path == NULL)
		return DKIM_ALG_UNKNOWN;
	meta = xasprintf("%s%s", CONF_DKIM_ALG_META, path);
	bf = bundle_get(b, meta);
	free(meta);
	if (bf == NULL || bf->withheld)
		return DKIM_ALG_UNKNOWN;
	if (strcmp(bf->data, dkim_alg_name(DKIM_ALG_RSA_SHA256)) == 0)
		return DKIM_ALG_RSA_SHA256;
	if (strcmp(bf->data, dkim_alg_name(DKIM_ALG_ED25519_SHA256)) == 0)
		return DKIM_ALG_ED25519_SHA256;
	return DKIM_ALG_UNKNOWN;
}

void
conf_dkim_algs(struct conf *c, const struct bundle *b)
{
	size_t	 i;

	for (i = 0; i < c->nfilters; i++) {
		struct filter	*f = c->filters[i];

		if (f->kind != FILTER_DKIM_SIGN)
			continue;
		f->dkim_alg = alg_of(b, f->key);
		f->dkim_alg2 = alg_of(b, f->key2);
	}
}
