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

/*
 * A reload (MSG_CONF) of a process that serves listeners with TLS: reads
 * the update, loads its certificates, and refuses a changed set of
 * listeners. Returns 1 with *conf and *tls replaced and the old
 * configuration in *old: the caller points what it has at the new one,
 * then frees old and answers conf_update_done(..., 1). Returns 0 when the
 * update was not applied (already answered).
 */
struct conf_update;
struct ipc;
struct ipc_msg;
int	 tls_conf_reload(struct ipc_msg *, struct ipc *parent, struct conf **conf,
	    struct tls_server **tls, struct conf_update *, struct conf **old);

#endif
