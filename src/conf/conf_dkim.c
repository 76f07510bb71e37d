/* dkim-sign and mail-auth in the configuration: which filter signs for a domain, whose key is whose, our authserv-id. */
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

/*
 * Whether the PEM text is a key that can sign, checked in a child process
 * that only says so: the parent forks every process of tegami, and a key
 * parsed in its memory would leave copies there (the crypto library's
 * buffers of the decoding, freed but not wiped) that every child inherits.
 * 0 with the algorithm's name in alg, or -1 with the reason in why.
 */
static int
check_apart(const char *data, size_t len, char *alg, size_t alglen, char *why,
    size_t whylen)
{
	EVP_PKEY	*key = NULL;
	const char	*errstr;
	char		 msg[256];
	size_t		 n = 0;
	ssize_t		 r;
	pid_t		 pid;
	int		 p[2], status;

	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		snprintf(why, whylen, "cannot check it: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		if (dkim_key_load_private(data, len, &key, &errstr) == -1 ||
		    dkim_key_signable(key, &errstr) == -1)
			r = snprintf(msg, sizeof(msg), "-%s", errstr);
		else
			r = snprintf(msg, sizeof(msg), "+%s",
			    dkim_alg_name(dkim_key_alg(key)));
		(void)!write(p[1], msg, (size_t)r);
		_exit(0);
	}
	close(p[1]);
	while (n < sizeof(msg) - 1 && (r = read(p[0], msg + n,
	    sizeof(msg) - 1 - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		n += (size_t)r;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	msg[n] = '\0';
	if (n < 2 || msg[0] != '+') {
		snprintf(why, whylen, "%s", n >= 2 ? msg + 1 : "cannot check it");
		return -1;
	}
	snprintf(alg, alglen, "%s", msg + 1);
	return 0;
}

/* One key into the bundle, once, after checking that it signs. */
static int
bundle_key(const struct conf *c, const struct filter *f, const char *path,
    struct bundle *out, struct buf *errors)
{
	const struct bundle_file *had = bundle_get(out, path);
	char			*data, *meta, alg[256], why[256];
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
	if (check_apart(data, len, alg, sizeof(alg), why, sizeof(why)) == -1) {
		buf_addf(errors, "%s:%d: dkim-sign key %s: %s\n", f->conf_file,
		    f->conf_line, path, why);
		r = -1;
	} else {
		if (had == NULL)
			bundle_put(out, BUNDLE_PEM, path, data, len);
		meta = xasprintf("%s%s", CONF_DKIM_ALG_META, path);
		bundle_put(out, BUNDLE_META, meta, alg, strlen(alg));
		free(meta);
	}
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
