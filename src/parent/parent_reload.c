/* Reload: a new configuration (or one table) read by the parent, sent to every running process, answered once all applied it. */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/readfile.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "net/tls_conf.h"
#include "parent/parent_priv.h"
#include "smtp/smtp.h"

/* A reload some client waits for (tegamictl reload, update table). */
struct reload_wait {
	struct reload_wait	*next;
	uint64_t		 req;		/* the queue's request id */
	uint64_t		 gen;
	unsigned		 waiting;	/* answers still owed */
	int			 failed;
	struct buf		 msg;
};

static struct reload_wait	*waits;

/* The credentials tables: only the process that uses them may have their bytes. */
static int
is_credentials(const struct conf *c, const char *path, int relay)
{
	size_t	 i;

	if (!relay) {
		for (i = 0; i < c->nlisteners; i++)
			if (c->listeners[i]->auth != NULL &&
			    c->listeners[i]->auth->path != NULL &&
			    strcmp(c->listeners[i]->auth->path, path) == 0)
				return 1;
		return 0;
	}
	for (i = 0; i < c->nactions; i++)
		if (c->actions[i]->relay_auth != NULL &&
		    c->actions[i]->relay_auth->path != NULL &&
		    strcmp(c->actions[i]->relay_auth->path, path) == 0)
			return 1;
	return 0;
}

static int
is_ca(const struct conf *c, const char *path)
{
	size_t	 i;

	for (i = 0; i < c->ncas; i++)
		if (strcmp(c->cas[i]->cert, path) == 0)
			return 1;
	return 0;
}

/* What a process of kind may receive of a bundle (the rest travels withheld). */
static int
keep_for(const struct bundle_file *f, void *arg)
{
	enum proc_id	 kind = *(enum proc_id *)arg;

	switch (f->kind) {
	case BUNDLE_CONF:
	case BUNDLE_META:
		return 1;
	case BUNDLE_TABLE:
		if (is_credentials(P.conf, f->path, 0))
			return kind == PROC_AUTH;
		if (is_credentials(P.conf, f->path, 1))
			return kind == PROC_MTA;
		return 1;
	case BUNDLE_PEM:
		/* DKIM keys to the signer alone. */
		if (conf_dkim_is_key(P.conf, f->path))
			return kind == PROC_SIGNER;
		/* Server keys to the processes that terminate TLS; CA files to the relay client too. */
		return kind == PROC_SMTP || kind == PROC_LOGIN ||
		    (kind == PROC_MTA && is_ca(P.conf, f->path));
	}
	return 0;
}

int
parent_send_conf(struct child *c)
{
	struct ipc_out	 o;
	enum proc_id	 kind = c->kind;
	int		 fd;

	if (c->ipc == NULL)
		return -1;
	if ((fd = bundle_to_fd(P.bundle, keep_for, &kind)) == -1) {
		log_msg(LOG_ERR, "parent: cannot pass the configuration to %s: %s",
		    parent_proc_name(kind), strerror(errno));
		return -1;
	}
	ipc_begin(&o, MSG_CONF, 0);
	ipc_add_u64(&o, P.generation);
	ipc_add_fd(&o, fd);
	ipc_send(c->ipc, &o);
	c->conf_gen = P.generation;
	return 0;
}

static void
wait_answer(struct reload_wait *w)
{
	struct ipc_out	 o;
	struct reload_wait **pp;

	log_lines(w->failed ? LOG_ERR : LOG_INFO, w->msg.data);
	if (w->req != 0 && P.procs[PROC_QUEUE] != NULL &&
	    P.procs[PROC_QUEUE]->ipc != NULL) {
		ipc_begin(&o, MSG_RELOAD_RESULT, w->req);
		ipc_add_u32(&o, (uint32_t)!w->failed);
		ipc_add_str(&o, w->msg.data ? w->msg.data : "");
		ipc_send(P.procs[PROC_QUEUE]->ipc, &o);
	}
	for (pp = &waits; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	buf_free(&w->msg);
	free(w);
}

static void
wait_done_one(uint64_t gen, int ok, const char *error, const char *who)
{
	struct reload_wait	*w;

	for (w = waits; w; w = w->next)
		if (w->gen == gen)
			break;
	if (w == NULL)
		return;
	if (!ok) {
		w->failed = 1;
		buf_addf(&w->msg, "; %s: %s", who, error ? error : "failed");
	}
	if (--w->waiting == 0)
		wait_answer(w);
}

void
parent_conf_applied(struct child *c, struct ipc_msg *m)
{
	const char	*error;
	uint64_t	 gen;
	uint32_t	 ok;

	gen = ipc_get_u64(m);
	ok = ipc_get_u32(m);
	error = ipc_get_str(m);
	ipc_get_end(m);
	if (!ok)
		log_msg(LOG_ERR, "%s process %d could not apply the configuration: %s",
		    parent_proc_name(c->kind), (int)c->pid, error ? error : "?");
	if (c->conf_gen == gen) {
		c->conf_gen = 0;
		wait_done_one(gen, (int)ok, error, parent_proc_name(c->kind));
	}
}

void
parent_conf_child_gone(struct child *c)
{
	/* A restarted process starts from the new configuration: nothing is owed. */
	if (c->conf_gen != 0) {
		wait_done_one(c->conf_gen, 1, NULL, NULL);
		c->conf_gen = 0;
	}
}

static void
reload_failed(uint64_t req, const char *text)
{
	struct reload_wait	*w = xcalloc(1, sizeof(*w));

	buf_init(&w->msg, 0);
	buf_addf(&w->msg, "reload failed, keeping the running config: %s", text);
	w->failed = 1;
	w->req = req;
	w->next = waits;
	waits = w;
	wait_answer(w);
}

/* The new configuration of one table: the old bundle with that file read again. */
static struct conf *
load_table(const char *name, struct bundle **nb, struct buf *errors)
{
	struct table	*t = conf_table(P.conf, name);
	char		*data;
	size_t		 len;
	struct conf	*nc;

	if (t == NULL) {
		buf_addf(errors, "no table named %s", name);
		return NULL;
	}
	if (t->backend != TABLE_FILE || t->path == NULL) {
		buf_addf(errors, "table %s is not a file table", name);
		return NULL;
	}
	if (readfile(t->path, TABLE_FILE_MAX, &data, &len) == -1) {
		buf_addf(errors, "%s: %s", t->path, strerror(errno));
		return NULL;
	}
	*nb = bundle_copy(P.bundle);
	bundle_put(*nb, BUNDLE_TABLE, t->path, data, len);
	explicit_bzero(data, len);
	free(data);
	/* The rest of the configuration as it was: a half-edited file is not read. */
	if ((nc = conf_load_bundle(P.conf->file, *nb, errors, NULL)) == NULL) {
		bundle_free(*nb);
		*nb = NULL;
	}
	return nc;
}

void
parent_reload(const char *table, uint64_t req)
{
	struct reload_wait	*w;
	struct conf		*nc;
	struct bundle		*nb = NULL;
	struct tls_server	*ntls;
	struct child		*c;
	struct buf		 errors, warnings;
	size_t			 i, j;

	buf_init(&errors, 0);
	buf_init(&warnings, 0);
	if (table != NULL)
		nc = load_table(table, &nb, &errors);
	else {
		nb = bundle_new();
		if ((nc = conf_load_recorded(P.conf_path, nb, &errors,
		    &warnings)) == NULL) {
			bundle_free(nb);
			nb = NULL;
		}
	}
	/* What the new configuration parses but does not do, as at start. */
	log_lines(LOG_WARNING, warnings.data);
	buf_free(&warnings);
	if (nc == NULL) {
		reload_failed(req, errors.data ? errors.data : "");
		buf_free(&errors);
		return;
	}
	if (!parent_listeners_same(P.conf, nc)) {
		reload_failed(req, "listen directives changed: restart tegamid to "
		    "apply");
		goto fail;
	}
	/* New certificates (an ACME renewal) serve new connections at once. */
	if ((ntls = tls_conf_load(nc, nb, &errors)) == NULL) {
		reload_failed(req, errors.data ? errors.data : "TLS");
		goto fail;
	}
	buf_free(&errors);
	for (i = 0; i < P.nlistens; i++)
		for (j = 0; j < P.conf->nlisteners; j++)
			if (P.listens[i].listener == P.conf->listeners[j])
				P.listens[i].listener = nc->listeners[j];
	conf_free(P.conf);
	P.conf = nc;
	bundle_free(P.bundle);
	P.bundle = nb;
	tls_server_free(P.tls);
	P.tls = ntls;
	P.generation++;

	w = xcalloc(1, sizeof(*w));
	buf_init(&w->msg, 0);
	w->req = req;
	w->gen = P.generation;
	if (table != NULL)
		buf_addf(&w->msg, "table %s reloaded (%zu entries)", table,
		    conf_table(nc, table)->nentries);
	else
		buf_addf(&w->msg, "configuration reloaded");
	w->next = waits;
	waits = w;
	/* Every running process, delivery agents included, takes it in place. */
	for (c = P.children; c; c = c->next)
		if (c->ipc != NULL && parent_send_conf(c) == 0)
			w->waiting++;
	if (w->waiting == 0)
		wait_answer(w);
	return;
fail:
	buf_free(&errors);
	conf_free(nc);
	bundle_free(nb);
}
