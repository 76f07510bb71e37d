/* TLS server side: OpenSSL contexts per certificate, chosen by SNI, and the facts a Received header shows. */
#ifndef TEGAMI_TLS_H
#define TEGAMI_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct tls_server;

/*
 * An empty set. ciphers is the OpenSSL cipher list for TLS 1.2 (TLS 1.3
 * suites are OpenSSL's defaults); TLS 1.2 is the minimum. NULL with errstr
 * (static text) when ciphers is not understood.
 */
struct tls_server *tls_server_new(const char *ciphers, const char **errstr);
void	 tls_server_free(struct tls_server *);

/*
 * Adds a certificate chain (PEM text, leaf first) and its key (PEM) for the
 * name (a host name or "*"). The parent reads the files; running processes
 * get their text in the configuration bundle. The paths are for messages.
 * -1 with errstr (static storage, overwritten by the next call).
 */
int	 tls_server_add_pem(struct tls_server *, const char *name,
	    const char *certpath, const char *cert, size_t certlen,
	    const char *keypath, const char *key, size_t keylen, const char **errstr);
/* Adds the certificates of PEM text to a store; returns how many. */
int	 tls_store_add_pem(X509_STORE *, const char *pem, size_t len);
/* A CA bundle (PEM text) under a name, for client certificate checks. */
int	 tls_server_add_ca_pem(struct tls_server *, const char *name,
	    const char *path, const char *pem, size_t len, const char **errstr);

/*
 * A new server SSL for one connection. pki names the certificate when the
 * client sends no SNI or an unknown one; SNI picks the pki of that exact
 * name, else "*", else stays with pki. verify: require a client
 * certificate that chains to the CA named ca (NULL: the system's CAs).
 * NULL with errstr when pki or ca is unknown.
 */
SSL	*tls_server_ssl(struct tls_server *, const char *pki, int verify,
	    const char *ca, const char **errstr);

/* The negotiated version ("TLSv1.3"), cipher and its bits, after the handshake. */
void	 tls_info(SSL *, const char **version, const char **cipher, int *bits);

/*
 * A key file must not be readable by group or others. 0 when it is fine or
 * cannot be examined (reading it later reports that), -1 with errstr.
 */
int	 tls_key_mode_check(const char *path, const char **errstr);

#endif
