/* The parent process: binds sockets, forks and supervises the others, reloads the config. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth/auth.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/proc.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "mda/mda.h"
#include "mta/mta.h"
#include "parent/parent.h"
#include "queue/queue.h"
#include "smtp/smtp.h"

struct child {
	struct child	*next;
	pid_t		 pid;
	enum proc_id	 kind;
	char		*account;	/* mda */
	int		 current;	/* smtp, auth: the generation that accepts */
};

static struct {
	struct event_base	*base;
	struct conf		*conf;
	struct tls_server	*tls;		/* certificates of conf, loaded as root */
	const char		*conf_path;
	uid_t			 uid;		/* the unprivileged account */
	gid_t			 gid;
	struct smtp_listen	*listens;
	size_t			 nlistens;
	int			 control_fd;
	struct ipc		*queue;
	struct ipc		*smtp;		/* current generation */
	struct child		*children;
	int			*fds;		/* every fd a new child must close */
	size_t			 nfds;
	int			 stopping;
} P;

static void	parent_on_queue(struct ipc *, struct ipc_msg *, void *);
static void	parent_on_smtp(struct ipc *, struct ipc_msg *, void *);

static void
fd_track(int fd)
{
	P.fds = xreallocarray(P.fds, P.nfds + 1, sizeof(*P.fds));
	P.fds[P.nfds++] = fd;
}

static void
fd_untrack(int fd)
{
	size_t	 i;

	for (i = 0; i < P.nfds; i++)
		if (P.fds[i] == fd) {
			P.fds[i] = P.fds[--P.nfds];
			return;
		}
}

/* In a new child: back to default signals, and none of the parent's fds but keep. */
static void
child_prepare(const int *keep, size_t nkeep)
{
	size_t	 i, k;
	int	 sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGCHLD, SIGUSR1 };

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	for (i = 0; i < P.nfds; i++) {
		for (k = 0; k < nkeep; k++)
			if (P.fds[i] == keep[k])
				break;
		if (k == nkeep)
			close(P.fds[i]);
	}
}

static struct child *
child_add(pid_t pid, enum proc_id kind, const char *account)
{
	struct child	*c = xcalloc(1, sizeof(*c));

	c->pid = pid;
	c->kind = kind;
	c->account = account ? xstrdup(account) : NULL;
	c->next = P.children;
	P.children = c;
	return c;
}

static int
bind_inet(const struct sockaddr_storage *ss, const char **errstr)
{
	static char	 err[256];
	socklen_t	 len;
	int		 fd, one = 1;

	len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    listen(fd, 512) == -1)
		goto fail;
	return fd;
fail:
	snprintf(err, sizeof(err), "%s", strerror(errno));
	if (fd != -1)
		close(fd);
	*errstr = err;
	return -1;
}

static void
parent_bind(void)
{
	size_t	 i, j;

	for (i = 0; i < P.conf->nlisteners; i++) {
		struct listener		*l = P.conf->listeners[i];
		struct sockaddr_storage	*addrs;
		size_t			 n;
		const char		*errstr;

		if (l->flags & LF_SOCKET)
			continue;	/* served through the control socket */
		if (l->proto != PROTO_SMTP) {
			log_msg(LOG_WARNING, "%s:%d: %s listeners are not served by "
			    "this version; skipped", l->conf_file, l->conf_line,
			    l->proto == PROTO_IMAP ? "IMAP" : "POP3");
			continue;
		}
		if (conf_listener_addrs(l, &addrs, &n, &errstr) == -1)
			fatalx("%s:%d: listen on %s: %s", l->conf_file, l->conf_line,
			    l->on, errstr);
		for (j = 0; j < n; j++) {
			int	 fd = bind_inet(&addrs[j], &errstr);

			if (fd == -1)
				fatalx("%s:%d: listen on %s port %d: %s",
				    l->conf_file, l->conf_line, l->on, l->port, errstr);
			P.listens = xreallocarray(P.listens, P.nlistens + 1,
			    sizeof(*P.listens));
			P.listens[P.nlistens].listener = l;
			P.listens[P.nlistens].fd = fd;
			P.nlistens++;
			fd_track(fd);
		}
		free(addrs);
	}
}

static void
parent_bind_control(void)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(P.conf->socket) >= sizeof(sun.sun_path))
		fatalx("socket path %s is too long", P.conf->socket);
	strcpy(sun.sun_path, P.conf->socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("control socket");
	/* A socket that answers belongs to a running tegamid: never steal it. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("%s: another tegamid is running", P.conf->socket);
	close(fd);
	unlink(P.conf->socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		fatal("control socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", P.conf->socket);
	/* Everyone may enqueue (sendmail); admin commands check the peer's uid. */
	if (chmod(P.conf->socket, 0666) == -1)
		fatal("chmod %s", P.conf->socket);
	if (listen(fd, 128) == -1)
		fatal("listen %s", P.conf->socket);
	P.control_fd = fd;
	fd_track(fd);
}

static void
parent_prepare_spool(void)
{
	char	*p, *s = xstrdup(P.conf->spool);

	for (p = s + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", s);
		*p = '/';
	}
	if (mkdir(s, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", s);
	if (geteuid() == 0 && chown(s, P.uid, P.gid) == -1)
		fatal("chown %s", s);
	free(s);
}

/* The server certificates' keys: only the smtp process uses them. */
static void
child_forget_tls(void)
{
	tls_server_free(P.tls);
	P.tls = NULL;
}

/* A child that must not keep what only the parent and auth may hold. */
static void
child_forget_secrets(void)
{
	conf_drop_secrets(P.conf);
	child_forget_tls();
}

/* Forks; the child keeps only the descriptors in keep. Returns 0 in the child. */
static pid_t
fork_child(const int *keep, size_t nkeep)
{
	pid_t	 pid;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		child_prepare(keep, nkeep);
	return pid;
}

/*
 * Forks a child with one channel: *mine is the parent's end (-1 in the
 * child), *theirs the child's (-1 in the parent). Returns 0 in the child.
 */
static pid_t
fork_with_channel(int *mine, int *theirs)
{
	int	 sv[2];
	pid_t	 pid;

	if (ipc_pair(sv) == -1)
		fatal("socketpair");
	if ((pid = fork_child(&sv[1], 1)) == 0) {
		close(sv[0]);
		*mine = -1;
		*theirs = sv[1];
		return 0;
	}
	close(sv[1]);
	*mine = sv[0];
	*theirs = -1;
	return pid;
}

/* The auth process of an smtp generation: it alone keeps the credentials. */
static int
spawn_auth(void)
{
	int	 mine, theirs;
	pid_t	 pid;

	if ((pid = fork_with_channel(&mine, &theirs)) == 0) {
		child_forget_tls();
		proc_setup("auth", P.uid, P.gid, PROC_NO_GROUP, NULL);
		auth_main(P.conf, theirs);
	}
	child_add(pid, PROC_AUTH, NULL)->current = 1;
	return mine;
}

static void
spawn_smtp(int queue_end)
{
	int	 pp[2], auth_end;
	pid_t	 pid;
	int	*keep;
	size_t	 i;

	auth_end = spawn_auth();
	fd_track(auth_end);
	if (ipc_pair(pp) == -1)
		fatal("socketpair");
	keep = xcalloc(P.nlistens + 3, sizeof(*keep));
	for (i = 0; i < P.nlistens; i++)
		keep[i] = P.listens[i].fd;
	keep[P.nlistens] = pp[1];
	keep[P.nlistens + 1] = queue_end;
	keep[P.nlistens + 2] = auth_end;
	fd_track(pp[1]);
	if ((pid = fork_child(keep, P.nlistens + 3)) == 0) {
		free(keep);	/* the child never returns here to free it */
		conf_drop_secrets(P.conf);
		proc_setup("smtp", P.uid, P.gid, PROC_NO_GROUP, NULL);
		smtp_main(P.conf, P.tls, P.listens, P.nlistens, queue_end, pp[1],
		    auth_end);
	}
	free(keep);
	fd_untrack(pp[1]);
	close(pp[1]);
	close(queue_end);
	fd_untrack(queue_end);
	fd_untrack(auth_end);
	close(auth_end);
	child_add(pid, PROC_SMTP, NULL)->current = 1;
	P.smtp = ipc_new(P.base, pp[0], "smtp", parent_on_smtp, NULL);
}

/*
 * Delivery agents also get the group "mail", as mail.local(8) is setgid
 * mail: /var/mail is root:mail 2775 on Debian, and mbox delivery must be
 * able to create a user's mailbox and its dot-lock there.
 */
static gid_t
mail_group(void)
{
	struct group	*gr;

	if (geteuid() != 0 || (gr = getgrnam("mail")) == NULL)
		return PROC_NO_GROUP;
	return gr->gr_gid;
}

static void
spawn_mda(const char *account)
{
	struct ipc_out	 o;
	uid_t		 uid = P.uid;
	gid_t		 gid = P.gid;
	int		 mine, theirs;
	pid_t		 pid;

	if (geteuid() == 0) {
		if (proc_account(account, &uid, &gid, NULL) == -1) {
			ipc_begin(&o, MSG_MDA_UNAVAILABLE, 0);
			ipc_add_str(&o, account);
			ipc_add_str(&o, "no such system account");
			ipc_send(P.queue, &o);
			return;
		}
		if (uid == 0) {
			/* Mail is never written as root (qmail's rule too). */
			ipc_begin(&o, MSG_MDA_UNAVAILABLE, 0);
			ipc_add_str(&o, account);
			ipc_add_str(&o, "refusing to deliver as root");
			ipc_send(P.queue, &o);
			return;
		}
	}
	if ((pid = fork_with_channel(&mine, &theirs)) == 0) {
		child_forget_secrets();
		proc_setup("mda", uid, gid, mail_group(), NULL);
		mda_main(P.conf, account, theirs);
	}
	child_add(pid, PROC_MDA, account);
	ipc_begin(&o, MSG_MDA_READY, 0);
	ipc_add_str(&o, account);
	ipc_add_fd(&o, mine);
	ipc_send(P.queue, &o);
}

/*
 * The relay process, as the daemon's account: it parses SMTP replies and
 * DNS answers. It keeps the relay credentials ("auth <secrets>" of relay
 * actions); the queue gets its channel. A new one is forked after a reload
 * and after a crash; the old one ends when the queue closes its channel.
 */
static time_t	 mta_started;

static void
spawn_mta(void)
{
	struct ipc_out	 o;
	int		 mine, theirs;
	pid_t		 pid;

	if ((pid = fork_with_channel(&mine, &theirs)) == 0) {
		child_forget_tls();
		mta_preload(P.conf);
		proc_setup("mta", P.uid, P.gid, PROC_NO_GROUP, NULL);
		mta_main(P.conf, theirs);
	}
	child_add(pid, PROC_MTA, NULL)->current = 1;
	ipc_begin(&o, MSG_MTA_READY, 0);
	ipc_add_fd(&o, mine);
	ipc_send(P.queue, &o);
	mta_started = time(NULL);
}

static void
mta_on_respawn(evutil_socket_t fd, short ev, void *arg)
{
	if (!P.stopping)
		spawn_mta();
}

/* Relaying stops only while no mta runs: the current one is restarted, slowly if it keeps dying. */
static void
mta_died(const struct child *c, int status)
{
	static struct event	*later;
	struct timeval		 tv = { 10, 0 };

	if (!c->current || P.stopping) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_msg(LOG_WARNING, "old mta process %d ended with status "
			    "%d", (int)c->pid, status);
		return;
	}
	log_msg(LOG_ERR, "mta process %d died (status %d), restarting",
	    (int)c->pid, status);
	if (time(NULL) - mta_started >= 10) {
		spawn_mta();
		return;
	}
	if (later == NULL && (later = evtimer_new(P.base, mta_on_respawn,
	    NULL)) == NULL)
		fatalx("evtimer_new");
	evtimer_add(later, &tv);
}

/* Listeners of the new config must be the ones already bound. */
static int
listeners_same(const struct conf *a, const struct conf *b)
{
	size_t	 i;

	if (a->nlisteners != b->nlisteners)
		return 0;
	for (i = 0; i < a->nlisteners; i++) {
		const struct listener	*x = a->listeners[i], *y = b->listeners[i];

		if (x->proto != y->proto || x->port != y->port ||
		    x->family != y->family || (x->flags & LF_SOCKET) !=
		    (y->flags & LF_SOCKET) || strcmp(x->on, y->on) != 0)
			return 0;
	}
	return 1;
}

/* Loads the config again; on success a new smtp process takes over. */
static int
parent_reload(const char *table, struct buf *msg)
{
	struct conf	*nc;
	struct tls_server *ntls;
	struct buf	 errors;
	size_t		 i, j;
	int		 sv[2];
	struct ipc_out	 o;
	struct child	*c;

	buf_init(&errors, 0);
	nc = conf_load(P.conf_path, &errors, NULL);
	if (nc == NULL) {
		log_msg(LOG_ERR, "reload failed, keeping the running config:\n%s",
		    errors.data ? errors.data : "");
		buf_addf(msg, "reload failed: %s", errors.data ? errors.data : "");
		buf_free(&errors);
		return -1;
	}
	if (table && conf_table(nc, table) == NULL) {
		buf_addf(msg, "no table named %s", table);
		buf_free(&errors);
		conf_free(nc);
		return -1;
	}
	if (!listeners_same(P.conf, nc)) {
		buf_addf(msg, "listen directives changed: restart tegamid to apply");
		log_msg(LOG_ERR, "reload refused: listen directives changed, "
		    "restart to apply");
		buf_free(&errors);
		conf_free(nc);
		return -1;
	}
	/* New certificates (an ACME renewal) serve the new generation only. */
	if ((ntls = smtp_tls_load(nc, &errors)) == NULL) {
		log_msg(LOG_ERR, "reload failed, keeping the running config:\n%s",
		    errors.data ? errors.data : "");
		buf_addf(msg, "reload failed: %s", errors.data ? errors.data : "");
		buf_free(&errors);
		conf_free(nc);
		return -1;
	}
	buf_free(&errors);
	for (i = 0; i < P.nlistens; i++)
		for (j = 0; j < P.conf->nlisteners; j++)
			if (P.listens[i].listener == P.conf->listeners[j])
				P.listens[i].listener = nc->listeners[j];
	conf_free(P.conf);
	P.conf = nc;
	tls_server_free(P.tls);
	P.tls = ntls;

	/* The old generation drains its sessions while the new one accepts. */
	for (c = P.children; c; c = c->next) {
		/* The old auth process leaves when its smtp process closes the channel. */
		if (c->kind == PROC_AUTH)
			c->current = 0;
		if (c->kind == PROC_SMTP && c->current) {
			c->current = 0;
			ipc_begin(&o, MSG_SMTP_DRAIN, 0);
			ipc_send(P.smtp, &o);
		}
	}
	/* Its channel stays open until it exits; the ipc is dropped with it. */
	P.smtp = NULL;
	if (ipc_pair(sv) == -1)
		fatal("socketpair");
	fd_track(sv[0]);
	spawn_smtp(sv[1]);
	fd_untrack(sv[0]);
	ipc_begin(&o, MSG_QUEUE_NEW_SMTP, 0);
	ipc_add_fd(&o, sv[0]);
	ipc_send(P.queue, &o);
	/* Relay actions may have changed too: a new mta takes the new requests. */
	for (c = P.children; c; c = c->next)
		if (c->kind == PROC_MTA)
			c->current = 0;
	spawn_mta();
	if (table)
		buf_addf(msg, "table %s reloaded (%zu entries)", table,
		    conf_table(nc, table)->nentries);
	else
		buf_addf(msg, "configuration reloaded");
	log_msg(LOG_INFO, "%s", msg->data);
	return 0;
}

static void
parent_on_queue(struct ipc *c, struct ipc_msg *m, void *arg)
{
	const char	*account, *table;
	struct buf	 text;
	struct ipc_out	 o;
	int		 ok;

	if (m == NULL) {
		if (!P.stopping)
			log_msg(LOG_ERR, "parent: lost the queue process");
		return;
	}
	msg_check(m->type, PROC_QUEUE, PROC_PARENT);
	switch (m->type) {
	case MSG_MDA_SPAWN:
		account = ipc_get_str(m);
		ipc_get_end(m);
		if (account == NULL || *account == '\0')
			fatalx("parent: MDA_SPAWN without account");
		spawn_mda(account);
		break;
	case MSG_RELOAD:
		table = ipc_get_str(m);
		ipc_get_end(m);
		buf_init(&text, 0);
		ok = parent_reload(table, &text) == 0;
		ipc_begin(&o, MSG_RELOAD_RESULT, m->id);
		ipc_add_u32(&o, (uint32_t)ok);
		ipc_add_str(&o, text.data ? text.data : "");
		ipc_send(P.queue, &o);
		buf_free(&text);
		break;
	default:
		fatalx("parent: unexpected %s from queue", msg_name(m->type));
	}
}

static void
parent_on_smtp(struct ipc *c, struct ipc_msg *m, void *arg)
{
	if (m == NULL) {
		/* Its exit is seen through SIGCHLD; only the channel goes here. */
		if (c == P.smtp)
			P.smtp = NULL;
		ipc_free(c);
		return;
	}
	msg_check(m->type, PROC_SMTP, PROC_PARENT);
	fatalx("parent: unexpected %s from smtp", msg_name(m->type));
}

static void
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
parent_on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct child	**pp, *c;
	struct buf	 msg;
	pid_t		 pid;
	int		 status;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_msg(LOG_INFO, "received signal %d, stopping", (int)sig);
		parent_shutdown(0);
		break;
	case SIGHUP:
		log_msg(LOG_INFO, "received SIGHUP, reloading");
		buf_init(&msg, 0);
		parent_reload(NULL, &msg);
		buf_free(&msg);
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (pp = &P.children; *pp; pp = &(*pp)->next)
				if ((*pp)->pid == pid)
					break;
			if ((c = *pp) == NULL)
				continue;
			*pp = c->next;
			if (c->kind == PROC_MTA) {
				mta_died(c, status);
				free(c);
				continue;
			}
			if (c->kind == PROC_MDA || ((c->kind == PROC_SMTP ||
			    c->kind == PROC_AUTH) && !c->current)) {
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					log_msg(LOG_WARNING, "%s process %d ended with "
					    "status %d", c->kind == PROC_MDA ? "mda" :
					    c->kind == PROC_AUTH ? "old auth" : "old smtp",
					    (int)pid, status);
			} else if (!P.stopping) {
				log_msg(LOG_CRIT, "%s process %d died (status %d), "
				    "stopping", c->kind == PROC_QUEUE ? "queue" :
				    c->kind == PROC_AUTH ? "auth" : "smtp",
				    (int)pid, status);
				free(c->account);
				free(c);
				parent_shutdown(1);
			}
			free(c->account);
			free(c);
		}
		break;
	}
}

void
parent_run(struct conf *conf, const char *conf_path, int foreground)
{
	struct event	*ev;
	int		 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	int		 pq[2], sq[2];
	size_t		 i;
	pid_t		 pid;

	P.conf = conf;
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
	{
		struct buf	 errors;

		/* Keys are read now, as root; the children inherit them loaded. */
		buf_init(&errors, 0);
		if ((P.tls = smtp_tls_load(conf, &errors)) == NULL)
			fatalx("%s", errors.data ? errors.data : "TLS set-up failed");
		buf_free(&errors);
	}

	if ((P.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	/* Before any fork, so that no child's death goes unseen. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(P.base, sigs[i], parent_on_signal, NULL);
		if (ev == NULL || event_add(ev, NULL) == -1)
			fatalx("evsignal_new");
	}
	if (ipc_pair(pq) == -1 || ipc_pair(sq) == -1)
		fatal("socketpair");
	fd_track(pq[0]);
	fd_track(pq[1]);
	fd_track(sq[0]);
	fd_track(sq[1]);

	{
		int	 keep[] = { pq[1], sq[1], P.control_fd };

		if ((pid = fork_child(keep, 3)) == 0) {
			child_forget_secrets();
			proc_setup("queue", P.uid, P.gid, PROC_NO_GROUP, NULL);
			queue_main(P.conf, pq[1], sq[1], P.control_fd);
		}
	}
	child_add(pid, PROC_QUEUE, NULL);
	close(pq[1]);
	close(sq[1]);
	fd_untrack(pq[1]);
	fd_untrack(sq[1]);
	close(P.control_fd);
	fd_untrack(P.control_fd);
	P.queue = ipc_new(P.base, pq[0], "queue", parent_on_queue, NULL);

	fd_untrack(sq[0]);	/* spawn_smtp hands it over */
	spawn_smtp(sq[0]);
	spawn_mta();

	log_msg(LOG_INFO, "tegamid started: hostname=%s spool=%s listeners=%zu",
	    conf->hostname, conf->spool, P.nlistens);
	event_base_dispatch(P.base);
	fatalx("parent: event loop ended");
}
