/* The server certificates of a configuration, loaded from its bundle. */
#ifndef TEGAMI_TLS_CONF_H
#define TEGAMI_TLS_CONF_H

struct buf;
struct bundle;
struct conf;
struct tls_server;

/*
 * The certificates and keys of every pki and the ca files, from the text the
 * bundle holds (the parent read the files with its privileges). NULL with
 * "FILE:LINE: ..." lines appended to errors.
 */
struct tls_server *tls_conf_load(const struct conf *, const struct bundle *,
		    struct buf *errors);

#endif
