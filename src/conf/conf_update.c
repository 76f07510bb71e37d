/* MSG_CONF in a running process: the bundle read from its sealed file, the configuration rebuilt, the answer. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "conf/conf_update.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/xalloc.h"

void
conf_update_read(struct ipc_msg *m, const char *path, struct conf_update *u)
{
	const char	*errstr;

	memset(u, 0, sizeof(*u));
	u->errors = xcalloc(1, sizeof(*u->errors));
	buf_init(u->errors, 64 * 1024);
	u->gen = ipc_get_u64(m);
	ipc_get_end(m);
	if (m->fd == -1)
		fatalx("CONF without its bundle");
	u->bundle = bundle_from_fd(m->fd, &errstr);
	close(m->fd);
	m->fd = -1;
	if (u->bundle == NULL) {
		buf_addf(u->errors, "bundle: %s", errstr);
		return;
	}
	u->conf = conf_load_bundle(path, u->bundle, u->errors, NULL);
}

void
conf_update_done(struct ipc *parent, struct conf_update *u, int ok,
    const char *error)
{
	struct ipc_out	 o;

	if (!ok && error == NULL)
		error = u->errors->data ? u->errors->data : "failed";
	ipc_begin(&o, MSG_CONF_APPLIED, 0);
	ipc_add_u64(&o, u->gen);
	ipc_add_u32(&o, (uint32_t)(ok != 0));
	ipc_add_str(&o, ok ? NULL : error);
	ipc_send(parent, &o);
	if (ok)
		log_msg(LOG_INFO, "configuration %llu applied",
		    (unsigned long long)u->gen);
	else
		log_msg(LOG_ERR, "configuration %llu not applied: %s",
		    (unsigned long long)u->gen, error);
	bundle_free(u->bundle);
	u->bundle = NULL;
	buf_free(u->errors);
	free(u->errors);
	u->errors = NULL;
	u->conf = NULL;
}
