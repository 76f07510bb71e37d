/* The server certificates of a configuration, from the text of its bundle: for every process that speaks TLS to clients. */
#include <stdio.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "conf/conf_update.h"
#include "lib/buf.h"
#include "lib/tls.h"
#include "net/tls_conf.h"

/* The text of a file the configuration names, from its bundle. */
static const struct bundle_file *
pem(const struct bundle *b, const char *path, const char *file, int line,
    struct buf *errors)
{
	const struct bundle_file	*f = bundle_get(b, path);

	if (f == NULL || f->withheld) {
		buf_addf(errors, "%s:%d: %s was not read\n", file, line, path);
		return NULL;
	}
	return f;
}

struct tls_server *
tls_conf_load(const struct conf *c, const struct bundle *b, struct buf *errors)
{
	const struct bundle_file	*cert, *key, *ca;
	struct tls_server		*ts;
	const char			*errstr;
	size_t				 i;
	int				 failed = 0;

	if ((ts = tls_server_new(c->smtp_ciphers, &errstr)) == NULL) {
		buf_addf(errors, "%s: %s\n", c->file, errstr);
		return NULL;
	}
	for (i = 0; i < c->npkis; i++) {
		const struct pki	*k = c->pkis[i];

		if ((cert = pem(b, k->cert, k->conf_file, k->conf_line, errors)) == NULL ||
		    (key = pem(b, k->key, k->conf_file, k->conf_line, errors)) == NULL) {
			failed = 1;
			continue;
		}
		if (tls_server_add_pem(ts, k->name, k->cert, cert->data, cert->len,
		    k->key, key->data, key->len, &errstr) == -1) {
			buf_addf(errors, "%s:%d: pki %s: %s\n", k->conf_file,
			    k->conf_line, k->name, errstr);
			failed = 1;
		}
	}
	for (i = 0; i < c->ncas; i++) {
		const struct ca	*x = c->cas[i];

		if ((ca = pem(b, x->cert, x->conf_file, x->conf_line, errors)) == NULL ||
		    tls_server_add_ca_pem(ts, x->name, x->cert, ca->data, ca->len,
		    &errstr) == -1) {
			if (ca != NULL)
				buf_addf(errors, "%s:%d: ca %s: %s\n", x->conf_file,
				    x->conf_line, x->name, errstr);
			failed = 1;
		}
	}
	if (failed) {
		tls_server_free(ts);
		return NULL;
	}
	return ts;
}


int
tls_conf_reload(struct ipc_msg *m, struct ipc *parent, struct conf **conf,
    struct tls_server **tls, struct conf_update *u, struct conf **old)
{
	struct tls_server	*nt;

	conf_update_read(m, (*conf)->file, u);
	if (u->conf == NULL) {
		conf_update_done(parent, u, 0, NULL);
		return 0;
	}
	if ((nt = tls_conf_load(u->conf, u->bundle, u->errors)) == NULL) {
		conf_free(u->conf);
		conf_update_done(parent, u, 0, NULL);
		return 0;
	}
	/* Sockets are the parent's, bound at start: a new set needs a restart. */
	if (u->conf->nlisteners != (*conf)->nlisteners) {
		conf_free(u->conf);
		tls_server_free(nt);
		conf_update_done(parent, u, 0, "listeners changed");
		return 0;
	}
	*old = *conf;
	*conf = u->conf;
	tls_server_free(*tls);
	*tls = nt;
	return 1;
}
