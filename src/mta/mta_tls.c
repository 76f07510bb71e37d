/* TLS for the relay client: contexts for verified smarthosts and opportunistic MX delivery. */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mta/mta_priv.h"

/* Contexts of actions with their own "ca": loaded on first use. */
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
	if (conf->smtp_ciphers != NULL)
		(void)SSL_CTX_set_cipher_list(c, conf->smtp_ciphers);
	return c;
}

static SSL_CTX	*ctx_for(const struct action *, int, const char **);

/*
 * Called before privileges are dropped: CA files of "ca" directives are
 * often readable by root only, like the keys beside them.
 */
int
mta_tls_init(const struct conf *conf, const char **errstr)
{
	size_t	 i;

	if (mta.tls_verify != NULL)
		return 0;
	mta.conf = (struct conf *)conf;
	if ((mta.tls_verify = ctx_new(conf, errstr)) == NULL ||
	    (mta.tls_opportunistic = ctx_new(conf, errstr)) == NULL)
		return -1;
	if (SSL_CTX_set_default_verify_paths(mta.tls_verify) != 1)
		log_msg(LOG_WARNING, "mta: no system CA store: verified relaying "
		    "will fail");
	/* Opportunistic TLS takes what the MX offers, even old protocol versions. */
	SSL_CTX_set_min_proto_version(mta.tls_opportunistic, TLS1_VERSION);
	for (i = 0; i < conf->nactions; i++) {
		const struct action	*a = conf->actions[i];
		const char		*e;

		if (a->method == ACTION_RELAY && a->ca != NULL &&
		    ctx_for(a, 1, &e) == NULL)
			log_msg(LOG_WARNING, "mta: action %s: ca %s: %s", a->name,
			    a->ca, e);
	}
	return 0;
}

static SSL_CTX *
ctx_for(const struct action *a, int verify, const char **errstr)
{
	struct ca_ctx	*cc;
	struct ca	*ca;

	if (!verify)
		return mta.tls_opportunistic;
	if (a == NULL || a->ca == NULL)
		return mta.tls_verify;
	for (cc = ca_ctxs; cc; cc = cc->next)
		if (strcmp(cc->name, a->ca) == 0)
			return cc->ctx;
	ca = NULL;
	for (size_t i = 0; i < mta.conf->ncas; i++)
		if (strcmp(mta.conf->cas[i]->name, a->ca) == 0)
			ca = mta.conf->cas[i];
	if (ca == NULL) {
		*errstr = "unknown ca";
		return NULL;
	}
	cc = xcalloc(1, sizeof(*cc));
	cc->name = xstrdup(a->ca);
	if ((cc->ctx = ctx_new(mta.conf, errstr)) == NULL ||
	    SSL_CTX_load_verify_locations(cc->ctx, ca->cert, NULL) != 1) {
		if (cc->ctx)
			SSL_CTX_free(cc->ctx);
		free(cc->name);
		free(cc);
		*errstr = "cannot load the ca certificate file";
		return NULL;
	}
	cc->next = ca_ctxs;
	ca_ctxs = cc;
	return cc->ctx;
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
