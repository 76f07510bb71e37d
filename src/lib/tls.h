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
 * Loads a certificate chain (PEM, leaf first) and its key for the name
 * (a host name or "*"). Reading needs the caller's privileges: the parent
 * does it, the children inherit the loaded keys. -1 with errstr (static
 * storage, overwritten by the next call) naming the file and the reason.
 */
int	 tls_server_add(struct tls_server *, const char *name, const char *cert,
	    const char *key, const char **errstr);
/* Loads a CA bundle (PEM) under a name, for client certificate checks. */
int	 tls_server_add_ca(struct tls_server *, const char *name, const char *file,
	    const char **errstr);

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
