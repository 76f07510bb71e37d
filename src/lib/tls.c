/* TLS server contexts: one per pki, SNI switching, TLS 1.2 minimum, optional client certificate checks. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "lib/tls.h"
#include "lib/xalloc.h"

struct tls_pki {
	char		*name;
	SSL_CTX		*ctx;
};

struct tls_ca {
	char		*name;		/* NULL: the system's CAs */
	X509_STORE	*store;
};

struct tls_server {
	char		*ciphers;
	struct tls_pki	*pkis;
	size_t		 npkis;
	struct tls_ca	*cas;
	size_t		 ncas;
};

static int	 ex_verify_store = -1;	/* SSL ex_data: the X509_STORE to verify with */
static char	 errbuf[512];

static const char *
tls_err(const char *what, const char *path)
{
	unsigned long	 e = ERR_get_error();
	char		 reason[256];

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "unknown error");
	ERR_clear_error();
	snprintf(errbuf, sizeof(errbuf), "%s %s: %s", what, path, reason);
	return errbuf;
}

struct tls_server *
tls_server_new(const char *ciphers, const char **errstr)
{
	struct tls_server	*ts;
	SSL_CTX			*probe;

	if (ex_verify_store == -1)
		ex_verify_store = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	/* Refuse a cipher list OpenSSL does not understand now, not at the first client. */
	if ((probe = SSL_CTX_new(TLS_server_method())) == NULL) {
		*errstr = "SSL_CTX_new failed";
		return NULL;
	}
	if (SSL_CTX_set_cipher_list(probe, ciphers) != 1) {
		SSL_CTX_free(probe);
		ERR_clear_error();
		*errstr = "smtp ciphers: no usable cipher in the list";
		return NULL;
	}
	SSL_CTX_free(probe);
	ts = xcalloc(1, sizeof(*ts));
	ts->ciphers = xstrdup(ciphers);
	return ts;
}

void
tls_server_free(struct tls_server *ts)
{
	size_t	 i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->npkis; i++) {
		SSL_CTX_free(ts->pkis[i].ctx);
		free(ts->pkis[i].name);
	}
	for (i = 0; i < ts->ncas; i++) {
		X509_STORE_free(ts->cas[i].store);
		free(ts->cas[i].name);
	}
	free(ts->pkis);
	free(ts->cas);
	free(ts->ciphers);
	free(ts);
}

static struct tls_pki *
pki_find(struct tls_server *ts, const char *name)
{
	size_t	 i;

	for (i = 0; i < ts->npkis; i++)
		if (strcasecmp(ts->pkis[i].name, name) == 0)
			return &ts->pkis[i];
	return NULL;
}

/* SNI: the pki named exactly, else "*", else the listener's (nothing changes). */
static int
tls_on_servername(SSL *ssl, int *alert, void *arg)
{
	struct tls_server	*ts = arg;
	struct tls_pki		*k;
	X509_STORE		*store;
	const char		*name;

	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	if ((k = pki_find(ts, name)) == NULL && (k = pki_find(ts, "*")) == NULL)
		return SSL_TLSEXT_ERR_OK;
	if (k->ctx != SSL_get_SSL_CTX(ssl)) {
		int	 mode = SSL_get_verify_mode(ssl);

		SSL_set_SSL_CTX(ssl, k->ctx);
		/* The verify store lives with the certificate that was just replaced. */
		if ((store = SSL_get_ex_data(ssl, ex_verify_store)) != NULL)
			SSL_set1_verify_cert_store(ssl, store);
		SSL_set_verify(ssl, mode, NULL);
	}
	return SSL_TLSEXT_ERR_OK;
}

/* The leaf certificate, then the chain, from PEM text. */
static int
use_chain_pem(SSL_CTX *ctx, const char *pem, size_t len)
{
	BIO	*bio;
	X509	*x, *ca;
	int	 ok = 0;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return 0;
	if ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) == NULL)
		goto done;
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		X509_free(x);
		goto done;
	}
	X509_free(x);
	SSL_CTX_clear_chain_certs(ctx);
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
			X509_free(ca);
			goto done;
		}
	/* The end of the PEM text is the expected way out of the loop. */
	if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	ok = 1;
done:
	BIO_free(bio);
	return ok;
}

static int
use_key_pem(SSL_CTX *ctx, const char *pem, size_t len)
{
	BIO		*bio;
	EVP_PKEY	*k;
	int		 ok;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return 0;
	/* No pass phrase prompt, ever: a daemon has no terminal. */
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	if (k == NULL)
		return 0;
	ok = SSL_CTX_use_PrivateKey(ctx, k);
	EVP_PKEY_free(k);
	return ok;
}

int
tls_server_add_pem(struct tls_server *ts, const char *name, const char *certpath,
    const char *cert, size_t certlen, const char *keypath, const char *key,
    size_t keylen, const char **errstr)
{
	SSL_CTX		*ctx;
	static const unsigned char sid[] = "tegami";

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		*errstr = tls_err("SSL_CTX_new for", name);
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Idle sessions give their record buffers back (see conn_starttls). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	if (SSL_CTX_set_cipher_list(ctx, ts->ciphers) != 1) {
		*errstr = tls_err("cipher list for pki", name);
		goto fail;
	}
	if (!use_chain_pem(ctx, cert, certlen)) {
		*errstr = tls_err("cannot load certificate", certpath);
		goto fail;
	}
	if (!use_key_pem(ctx, key, keylen)) {
		*errstr = tls_err("cannot load key", keypath);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*errstr = tls_err("key does not match the certificate:", keypath);
		goto fail;
	}
	SSL_CTX_set_tlsext_servername_callback(ctx, tls_on_servername);
	SSL_CTX_set_tlsext_servername_arg(ctx, ts);
	ts->pkis = xreallocarray(ts->pkis, ts->npkis + 1, sizeof(*ts->pkis));
	ts->pkis[ts->npkis].name = xstrdup(name);
	ts->pkis[ts->npkis].ctx = ctx;
	ts->npkis++;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -1;
}

static struct tls_ca *
ca_add(struct tls_server *ts, const char *name, X509_STORE *store)
{
	ts->cas = xreallocarray(ts->cas, ts->ncas + 1, sizeof(*ts->cas));
	ts->cas[ts->ncas].name = name ? xstrdup(name) : NULL;
	ts->cas[ts->ncas].store = store;
	return &ts->cas[ts->ncas++];
}

int
tls_store_add_pem(X509_STORE *store, const char *pem, size_t len)
{
	BIO	*bio;
	X509	*x;
	int	 n = 0;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return 0;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		X509_free(x);
	}
	BIO_free(bio);
	/* The end of the text ends the loop with an error to forget. */
	ERR_clear_error();
	return n;
}

int
tls_server_add_ca_pem(struct tls_server *ts, const char *name, const char *path,
    const char *pem, size_t len, const char **errstr)
{
	X509_STORE	*store;

	if ((store = X509_STORE_new()) == NULL) {
		*errstr = tls_err("cannot load CA file", path);
		return -1;
	}
	if (tls_store_add_pem(store, pem, len) == 0) {
		X509_STORE_free(store);
		snprintf(errbuf, sizeof(errbuf), "cannot load CA file %s: no "
		    "certificate in it", path);
		*errstr = errbuf;
		return -1;
	}
	ca_add(ts, name, store);
	return 0;
}

static X509_STORE *
ca_store(struct tls_server *ts, const char *name)
{
	X509_STORE	*store;
	size_t		 i;

	for (i = 0; i < ts->ncas; i++)
		if ((name == NULL && ts->cas[i].name == NULL) ||
		    (name && ts->cas[i].name && strcmp(ts->cas[i].name, name) == 0))
			return ts->cas[i].store;
	if (name != NULL)
		return NULL;
	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_set_default_paths(store) != 1) {
		X509_STORE_free(store);
		ERR_clear_error();
		return NULL;
	}
	return ca_add(ts, NULL, store)->store;
}

SSL *
tls_server_ssl(struct tls_server *ts, const char *pki, int verify,
    const char *ca, const char **errstr)
{
	struct tls_pki	*k;
	X509_STORE	*store = NULL;
	SSL		*ssl;

	if (ts == NULL || pki == NULL || (k = pki_find(ts, pki)) == NULL) {
		*errstr = "no certificate for this listener";
		return NULL;
	}
	if (verify && (store = ca_store(ts, ca)) == NULL) {
		*errstr = "unknown ca";
		return NULL;
	}
	if ((ssl = SSL_new(k->ctx)) == NULL) {
		*errstr = tls_err("SSL_new for pki", pki);
		return NULL;
	}
	if (verify) {
		SSL_set_ex_data(ssl, ex_verify_store, store);
		SSL_set1_verify_cert_store(ssl, store);
		SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		    NULL);
	}
	return ssl;
}

void
tls_info(SSL *ssl, const char **version, const char **cipher, int *bits)
{
	*version = SSL_get_version(ssl);
	*cipher = SSL_get_cipher_name(ssl);
	*bits = SSL_get_cipher_bits(ssl, NULL);
}

int
tls_key_mode_check(const char *path, const char **errstr)
{
	struct stat	 st;

	if (stat(path, &st) == -1)
		return 0;
	if (st.st_mode & 077) {
		snprintf(errbuf, sizeof(errbuf), "key file %s is readable by others; "
		    "chmod 600 it", path);
		*errstr = errbuf;
		return -1;
	}
	return 0;
}
