/* The signer process: DKIM digests from the smtp process signed on worker threads with keys no other process holds. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "conf/conf.h"
#include "conf/conf_update.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mail/dkim.h"
#include "signer/signer.h"

#define SIGNER_THREADS_MAX	8
#define SIGNER_PENDING_MAX	4096	/* signatures in flight; then refused */

/* The smtp process, or one that died with answers still owed to it. */
struct peer {
	struct peer	*next;
	struct ipc	*ipc;
	unsigned	 pending;
	int		 gone;
};

struct job {
	struct peer	*peer;
	uint64_t	 id;
	EVP_PKEY	*key;		/* a reference: a reload may drop the key meanwhile */
	unsigned char	 md[32];
	unsigned char	 sig[DKIM_SIG_B_MAX];
	size_t		 siglen;
	int		 ok;
};

static struct {
	struct event_base	*base;
	struct conf		*conf;
	struct signer_keys	*keys;
	struct ipc		*parent;
	struct peer		*peers;
	struct pool		*pool;
	unsigned		 pending;
	unsigned long long	 signed_count;
} S;

/* Set by signer_preload in the child, before privileges go. */
static struct signer_keys	*preloaded;

void
signer_preload(const struct conf *c, const struct bundle *b)
{
	struct buf	 errors;

	buf_init(&errors, 0);
	if ((preloaded = signer_keys_load(c, b, &errors)) == NULL)
		fatalx("signer: %s", errors.data ? errors.data : "keys do not load");
	buf_free(&errors);
}

static void
peer_free(struct peer *p)
{
	struct peer	**pp;

	for (pp = &S.peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	ipc_free(p->ipc);
	free(p);
}

static void
answer(struct peer *p, uint64_t id, int ok, const unsigned char *sig,
    size_t siglen, const char *error)
{
	struct ipc_out	 o;

	if (p->gone)
		return;
	ipc_begin(&o, MSG_SIGNER_RESULT, id);
	ipc_add_u32(&o, (uint32_t)(ok != 0));
	ipc_add_data(&o, sig, ok ? siglen : 0);
	ipc_add_str(&o, ok ? NULL : error);
	ipc_send(p->ipc, &o);
}

/* On a worker thread: the private-key operation, the one slow part. */
static void
job_work(void *arg)
{
	struct job	*j = arg;

	j->siglen = sizeof(j->sig);
	j->ok = dkim_sign_hash(j->key, j->md, j->sig, &j->siglen) == 0;
}

static void
job_done(void *arg)
{
	struct job	*j = arg;
	struct peer	*p = j->peer;

	if (j->ok)
		S.signed_count++;
	else
		log_msg(LOG_ERR, "signer: the crypto library failed to sign");
	answer(p, j->id, j->ok, j->sig, j->siglen, "signing failed");
	EVP_PKEY_free(j->key);
	explicit_bzero(j, sizeof(*j));
	free(j);
	S.pending--;
	if (--p->pending == 0 && p->gone)
		peer_free(p);
}

static void
sign_request(struct peer *p, struct ipc_msg *m)
{
	struct job		*j;
	const char		*domain, *selector, *errstr;
	const void		*md;
	size_t			 mdlen;
	uint32_t		 alg;
	EVP_PKEY		*key;

	domain = ipc_get_str(m);
	selector = ipc_get_str(m);
	alg = ipc_get_u32(m);
	md = ipc_get_data(m, &mdlen);
	ipc_get_end(m);
	if (domain == NULL || selector == NULL || mdlen != 32)
		fatalx("signer: malformed SIGNER_SIGN");
	/* Only what the configuration signs: a taken-over smtp gets no other name signed. */
	if ((key = signer_keys_find(S.keys, S.conf, domain, selector,
	    (enum dkim_alg)alg, &errstr)) == NULL) {
		log_msg(LOG_WARNING, "signer: refused d=%s s=%s: %s", domain,
		    selector, errstr);
		answer(p, m->id, 0, NULL, 0, errstr);
		return;
	}
	if (S.pending >= SIGNER_PENDING_MAX) {
		answer(p, m->id, 0, NULL, 0, "too many signatures in flight");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->peer = p;
	j->id = m->id;
	EVP_PKEY_up_ref(key);
	j->key = key;
	memcpy(j->md, md, 32);
	p->pending++;
	S.pending++;
	pool_run(S.pool, job_work, job_done, j);
}

static void
on_peer(struct ipc *ch, struct ipc_msg *m, void *arg)
{
	struct peer	*p = arg;

	if (m == NULL) {
		/* It died or was replaced: what it waits for goes nowhere. */
		p->gone = 1;
		if (p->pending == 0)
			peer_free(p);
		return;
	}
	msg_check(m->type, PROC_SMTP, PROC_SIGNER);
	switch (m->type) {
	case MSG_SIGNER_SIGN:
		sign_request(p, m);
		break;
	default:
		fatalx("signer: unexpected message %s", msg_name(m->type));
	}
}

/* New keys in place; signatures under way finish with theirs. */
static void
signer_conf(struct ipc_msg *m)
{
	struct conf_update	 u;
	struct signer_keys	*keys;

	conf_update_read(m, S.conf->file, &u);
	if (u.conf == NULL) {
		conf_update_done(S.parent, &u, 0, NULL);
		return;
	}
	if ((keys = signer_keys_load(u.conf, u.bundle, u.errors)) == NULL) {
		conf_free(u.conf);
		conf_update_done(S.parent, &u, 0, NULL);
		return;
	}
	signer_keys_free(S.keys);
	S.keys = keys;
	conf_free(S.conf);
	S.conf = u.conf;
	log_msg(LOG_INFO, "signer: %zu keys", signer_keys_count(S.keys));
	conf_update_done(S.parent, &u, 1, NULL);
}

static void
on_parent(struct ipc *ch, struct ipc_msg *m, void *arg)
{
	struct peer	*p;
	uint32_t	 peer;

	if (m == NULL) {
		log_msg(LOG_ERR, "signer: lost the parent process, exiting");
		exit(1);
	}
	msg_check(m->type, PROC_PARENT, PROC_SIGNER);
	switch (m->type) {
	case MSG_LINK:
		peer = ipc_get_u32(m);
		ipc_get_end(m);
		if (m->fd == -1 || peer != PROC_SMTP)
			fatalx("signer: LINK to process %u", peer);
		p = xcalloc(1, sizeof(*p));
		p->ipc = ipc_new(S.base, m->fd, "smtp", on_peer, p);
		p->next = S.peers;
		S.peers = p;
		break;
	case MSG_CONF:
		signer_conf(m);
		break;
	default:
		fatalx("signer: unexpected message %s from parent",
		    msg_name(m->type));
	}
}

void
signer_main(struct conf *conf, int parent_fd)
{
	long	 ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	signal(SIGPIPE, SIG_IGN);
	memset(&S, 0, sizeof(S));
	S.conf = conf;
	S.keys = preloaded;
	preloaded = NULL;
	if (S.keys == NULL)
		fatalx("signer: started without its keys");
	if ((S.base = event_base_new()) == NULL)
		fatalx("signer: event_base_new");
	/* RSA signing is CPU work: a thread per processor, no more. */
	S.pool = pool_new(S.base, ncpu < 1 ? 1 : ncpu > SIGNER_THREADS_MAX ?
	    SIGNER_THREADS_MAX : (int)ncpu);
	S.parent = ipc_new(S.base, parent_fd, "parent", on_parent, NULL);
	log_msg(LOG_INFO, "signer: %zu keys", signer_keys_count(S.keys));
	event_base_dispatch(S.base);
	fatalx("signer: event loop ended");
}
