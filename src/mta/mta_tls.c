/* TLS for the relay client: contexts for verified smarthosts and opportunistic MX delivery. */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "lib/log.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "mta/mta_priv.h"

/* Contexts of actions with their own "ca", made from the CA files' text. */
struct ca_ctx {
	struct ca_ctx	*next;
	char		*name;
	SSL_CTX		*ctx;
};
static struct ca_ctx	*ca_ctxs;

static SSL_CTX *
ctx_new(const struct conf *conf, const char **errstr)
{
	SSL_CTX	*c;

	if ((c = SSL_CTX_new(TLS_client_method())) == NULL) {
		*errstr = "SSL_CTX_new failed";
		return NULL;
	}
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	/* The result is checked after the handshake, so the error can say why. */
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
	if (conf->smtp_ciphers != NULL)
		(void)SSL_CTX_set_cipher_list(c, conf->smtp_ciphers);
	return c;
}

/* A context that trusts the certificates of one CA file's text. */
static SSL_CTX *
ca_ctx_new(const struct conf *conf, const struct bundle_file *f,
    const char **errstr)
{
	SSL_CTX		*c;

	if ((c = ctx_new(conf, errstr)) == NULL)
		return NULL;
	if (tls_store_add_pem(SSL_CTX_get_cert_store(c), f->data, f->len) == 0) {
		SSL_CTX_free(c);
		*errstr = "no certificate in the ca file";
		return NULL;
	}
	return c;
}

static void
ca_ctxs_free(struct ca_ctx *cc)
{
	struct ca_ctx	*next;

	for (; cc != NULL; cc = next) {
		next = cc->next;
		SSL_CTX_free(cc->ctx);
		free(cc->name);
		free(cc);
	}
}

int
mta_tls_init(const struct conf *conf, const struct bundle *b,
    const char **errstr)
{
	struct ca_ctx	*list = NULL, *cc;
	const char	*e;
	size_t		 i;

	if (mta.tls_verify == NULL) {
		if ((mta.tls_verify = ctx_new(conf, errstr)) == NULL ||
		    (mta.tls_opportunistic = ctx_new(conf, errstr)) == NULL)
			return -1;
		if (SSL_CTX_set_default_verify_paths(mta.tls_verify) != 1)
			log_msg(LOG_WARNING, "mta: no system CA store: verified "
			    "relaying will fail");
		/* Opportunistic TLS takes what the MX offers, even old protocol versions. */
		SSL_CTX_set_min_proto_version(mta.tls_opportunistic, TLS1_VERSION);
	}
	/* The "ca" of relay actions, from the files' text the parent read. */
	for (i = 0; i < conf->ncas; i++) {
		const struct ca			*ca = conf->cas[i];
		const struct bundle_file	*f = b ? bundle_get(b, ca->cert) : NULL;

		if (f == NULL || f->withheld) {
			log_msg(LOG_WARNING, "mta: ca %s: %s not read", ca->name,
			    ca->cert);
			continue;
		}
		cc = xcalloc(1, sizeof(*cc));
		cc->name = xstrdup(ca->name);
		if ((cc->ctx = ca_ctx_new(conf, f, &e)) == NULL) {
			log_msg(LOG_WARNING, "mta: ca %s: %s", ca->name, e);
			free(cc->name);
			free(cc);
			continue;
		}
		cc->next = list;
		list = cc;
	}
	/* Connections under way keep their contexts: OpenSSL counts the references. */
	ca_ctxs_free(ca_ctxs);
	ca_ctxs = list;
	return 0;
}

static SSL_CTX *
ctx_for(const struct action *a, int verify, const char **errstr)
{
	struct ca_ctx	*cc;

	if (!verify)
		return mta.tls_opportunistic;
	if (a == NULL || a->ca == NULL)
		return mta.tls_verify;
	for (cc = ca_ctxs; cc; cc = cc->next)
		if (strcmp(cc->name, a->ca) == 0)
			return cc->ctx;
	*errstr = "the action's ca could not be loaded";
	return NULL;
}

SSL *
mta_tls_new(const struct action *a, const char *host, int verify,
    const char **errstr)
{
	SSL_CTX			*c;
	SSL			*ssl;
	struct in6_addr		 a6;
	int			 literal;

	if ((c = ctx_for(a, verify, errstr)) == NULL)
		return NULL;
	if ((ssl = SSL_new(c)) == NULL) {
		*errstr = "SSL_new failed";
		return NULL;
	}
	literal = inet_pton(AF_INET, host, &a6) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
	/* RFC 6066: SNI carries host names only. */
	if (!literal)
		SSL_set_tlsext_host_name(ssl, host);
	if (verify) {
		if (literal) {
			X509_VERIFY_PARAM	*vp = SSL_get0_param(ssl);

			X509_VERIFY_PARAM_set1_ip_asc(vp, host);
		} else
			SSL_set1_host(ssl, host);
	}
	return ssl;
}

int
mta_tls_check(SSL *ssl, int verify, char *why, size_t whylen)
{
	long		 r;
	X509		*peer;

	if (!verify)
		return 0;
	if ((peer = SSL_get1_peer_certificate(ssl)) == NULL) {
		snprintf(why, whylen, "server sent no certificate");
		return -1;
	}
	X509_free(peer);
	if ((r = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(why, whylen, "certificate verification failed: %s",
		    X509_verify_cert_error_string(r));
		return -1;
	}
	return 0;
}
