/* The parent process: binds sockets, starts and supervises the others, reloads the config. */
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/ticket.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "net/tls_conf.h"
#include "parent/parent.h"
#include "parent/parent_priv.h"
#include "smtp/smtp.h"

struct parent	 P;

void
fd_track(int fd)
{
	P.fds = xreallocarray(P.fds, P.nfds + 1, sizeof(*P.fds));
	P.fds[P.nfds++] = fd;
}

void
fd_untrack(int fd)
{
	size_t	 i;

	for (i = 0; i < P.nfds; i++)
		if (P.fds[i] == fd) {
			P.fds[i] = P.fds[--P.nfds];
			return;
		}
}

void
parent_shutdown(int code)
{
	struct child	*c;

	P.stopping = 1;
	for (c = P.children; c; c = c->next)
		kill(c->pid, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	unlink(P.conf->socket);
	log_msg(LOG_INFO, "tegamid stopped");
	exit(code);
}

static void
parent_reap(void)
{
	struct child	**pp, *c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (pp = &P.children; *pp; pp = &(*pp)->next)
			if ((*pp)->pid == pid)
				break;
		if ((c = *pp) == NULL)
			continue;
		*pp = c->next;
		parent_child_died(c, status);
		free(c->account);
		free(c);
	}
}

static void
parent_on_signal(evutil_socket_t sig, short ev, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_msg(LOG_INFO, "received signal %d, stopping", (int)sig);
		parent_shutdown(0);
		break;
	case SIGHUP:
		log_msg(LOG_INFO, "received SIGHUP, reloading");
		parent_reload(NULL, 0);
		break;
	case SIGCHLD:
		parent_reap();
		break;
	}
}

void
parent_run(struct conf *conf, struct bundle *bundle, const char *conf_path,
    int foreground)
{
	struct event	*ev;
	struct buf	 errors;
	int		 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	size_t		 i;

	P.conf = conf;
	P.bundle = bundle;
	P.conf_path = conf_path;
	{
		struct rlimit	 rl;

		/* Sessions cost descriptors: take all the system allows us. */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	P.uid = geteuid();
	P.gid = getegid();
	if (geteuid() == 0) {
		if (proc_account(conf->user, &P.uid, &P.gid, NULL) == -1)
			fatalx("user %s does not exist: create it (useradd -r -s "
			    "/usr/sbin/nologin %s) or set \"user\" in %s", conf->user,
			    conf->user, conf_path);
		if (P.uid == 0)
			fatalx("user %s is root: network processes must not run "
			    "as root", conf->user);
	}
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);

	parent_prepare_spool();
	parent_bind();
	parent_bind_control();
	/* Keys are loaded now, as root; the smtp process inherits them loaded. */
	buf_init(&errors, 0);
	if ((P.tls = tls_conf_load(conf, P.bundle, &errors)) == NULL)
		fatalx("%s", errors.data ? errors.data : "TLS set-up failed");
	buf_free(&errors);

	if ((P.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	/* Before any fork, so that no child's death goes unseen. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(P.base, sigs[i], parent_on_signal, NULL);
		if (ev == NULL || event_add(ev, NULL) == -1)
			fatalx("evsignal_new");
	}
	/* Kept by auth, which issues login tickets, and the mailbox processes. */
	ticket_key_init();
	/* The queue first: the others are given their channel to it. */
	parent_spawn(PROC_QUEUE);
	parent_spawn(PROC_AUTH);
	parent_spawn(PROC_MTA);
	parent_spawn(PROC_SIGNER);
	parent_spawn(PROC_SMTP);
	if (parent_wants_login())
		parent_spawn(PROC_LOGIN);

	log_msg(LOG_INFO, "tegamid started: hostname=%s spool=%s listeners=%zu",
	    conf->hostname, conf->spool, P.nlistens);
	event_base_dispatch(P.base);
	fatalx("parent: event loop ended");
}
