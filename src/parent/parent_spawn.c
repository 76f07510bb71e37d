/* The process table: forking each kind the same way, channels between them, and restarts of the dead. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "conf/bundle.h"
#include "conf/conf.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "lib/proc.h"
#include "lib/ticket.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "login/login.h"
#include "mailbox/mailbox_proc.h"
#include "mda/mda.h"
#include "mta/mta.h"
#include "parent/parent_priv.h"
#include "queue/queue.h"
#include "route/route.h"
#include "signer/signer.h"
#include "smtp/smtp.h"

static void	parent_on_child(struct ipc *, struct ipc_msg *, void *);

/* What each kind of process may keep of the parent's memory, and how it starts. */
static _Noreturn void	run_queue(int parent_fd);
static _Noreturn void	run_smtp(int parent_fd);
static _Noreturn void	run_auth(int parent_fd);
static _Noreturn void	run_mta(int parent_fd);
static _Noreturn void	run_login(int parent_fd);
static _Noreturn void	run_signer(int parent_fd);

static const struct proc_desc {
	enum proc_id	 id;
	const char	*name;
	void		(*run)(int parent_fd);
} procs[] = {
	{ PROC_QUEUE,	"queue",	run_queue },
	{ PROC_AUTH,	"auth",		run_auth },
	{ PROC_MTA,	"mta",		run_mta },
	{ PROC_SMTP,	"smtp",		run_smtp },
	{ PROC_LOGIN,	"login",	run_login },
	{ PROC_SIGNER,	"signer",	run_signer },
};

/* Which processes talk to which: the parent makes the channel and hands each an end. */
static const struct {
	enum proc_id	 a, b;
} links[] = {
	{ PROC_SMTP,	PROC_QUEUE },
	{ PROC_SMTP,	PROC_AUTH },
	{ PROC_QUEUE,	PROC_MTA },
	{ PROC_LOGIN,	PROC_AUTH },
	{ PROC_SMTP,	PROC_SIGNER },
};

const char *
parent_proc_name(enum proc_id id)
{
	size_t	 i;

	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		if (procs[i].id == id)
			return procs[i].name;
	if (id == PROC_MDA)
		return "mda";
	return id == PROC_MAILBOX ? "mailbox" : "process";
}

static const struct proc_desc *
proc_desc(enum proc_id id)
{
	size_t	 i;

	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		if (procs[i].id == id)
			return &procs[i];
	fatalx("no process of kind %d", id);
}

/* In a new child: default signals, none of the parent's descriptors but keep. */
static void
child_prepare(const int *keep, size_t nkeep, const sigset_t *mask)
{
	size_t	 i, k;
	int	 sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGCHLD, SIGUSR1 };

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	/* A SIGTERM sent while it was blocked ends the child now, as it should. */
	sigprocmask(SIG_SETMASK, mask, NULL);
	for (i = 0; i < P.nfds; i++) {
		for (k = 0; k < nkeep; k++)
			if (P.fds[i] == keep[k])
				break;
		if (k == nkeep)
			close(P.fds[i]);
	}
}

/* The server certificates' keys: only the smtp process uses them. */
static void
child_forget_tls(void)
{
	tls_server_free(P.tls);
	P.tls = NULL;
}

/* Forks with a channel to the parent; returns 0 in the child, with *fd its end. */
static pid_t
fork_child(const int *keep, size_t nkeep, int *fd)
{
	int	 sv[2], *all;
	pid_t	 pid;
	sigset_t all_sigs, old;

	if (ipc_pair(sv) == -1)
		fatal("socketpair");
	all = xcalloc(nkeep + 1, sizeof(*all));
	memcpy(all, keep, nkeep * sizeof(*keep));
	all[nkeep] = sv[1];
	fd_track(sv[1]);
	/*
	 * Signals wait until the child has its own handlers: one arriving
	 * between fork and child_prepare would run the parent's handler in
	 * the child, which passes it to the parent's event loop, and a
	 * SIGTERM from a stopping parent would be lost (the child then
	 * outlived it, holding the control socket).
	 */
	sigfillset(&all_sigs);
	sigprocmask(SIG_BLOCK, &all_sigs, &old);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		child_prepare(all, nkeep + 1, &old);
		free(all);
		close(sv[0]);
		*fd = sv[1];
		return 0;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(all);
	fd_untrack(sv[1]);
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

static struct child *
child_add(pid_t pid, enum proc_id kind, const char *account, int fd)
{
	struct child	*c = xcalloc(1, sizeof(*c));

	c->pid = pid;
	c->kind = kind;
	c->account = account ? xstrdup(account) : NULL;
	c->ipc = ipc_new(P.base, fd, parent_proc_name(kind), parent_on_child, c);
	c->next = P.children;
	P.children = c;
	return c;
}

struct child *
parent_child_find(pid_t pid)
{
	struct child	*c;

	for (c = P.children; c; c = c->next)
		if (c->pid == pid)
			return c;
	return NULL;
}

static void
send_link(struct child *to, enum proc_id peer, int fd)
{
	struct ipc_out	 o;

	ipc_begin(&o, MSG_LINK, 0);
	ipc_add_u32(&o, (uint32_t)peer);
	ipc_add_fd(&o, fd);
	ipc_send(to->ipc, &o);
}

/* A channel between the new process and each running peer of its kind. */
static void
link_peers(struct child *c)
{
	struct child	*peer;
	enum proc_id	 other;
	size_t		 i;
	int		 sv[2];

	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (links[i].a == c->kind)
			other = links[i].b;
		else if (links[i].b == c->kind)
			other = links[i].a;
		else
			continue;
		if ((peer = P.procs[other]) == NULL)
			continue;	/* it gets the channel when it starts */
		/*
		 * Its channel to us closed before its death was reaped (the mta
		 * leaves when the queue dies): it is going, and its successor
		 * is linked when it starts.
		 */
		if (peer->ipc == NULL)
			continue;
		if (ipc_pair(sv) == -1)
			fatal("socketpair");
		send_link(c, other, sv[0]);
		send_link(peer, c->kind, sv[1]);
	}
}

void
parent_spawn(enum proc_id kind)
{
	const struct proc_desc	*d = proc_desc(kind);
	struct child		*c;
	int			 keep[1], nkeep = 0, fd;
	pid_t			 pid;

	/*
	 * The queue serves the control socket; the smtp process the SMTP
	 * listeners, the login process the IMAP and POP3 ones.
	 */
	if (kind == PROC_QUEUE)
		keep[nkeep++] = P.control_fd;
	if (kind == PROC_SMTP || kind == PROC_LOGIN) {
		int	*all = xcalloc(P.nlistens + 1, sizeof(*all));
		size_t	 i, n = 0;

		for (i = 0; i < P.nlistens; i++)
			if ((P.listens[i].listener->proto == PROTO_SMTP) ==
			    (kind == PROC_SMTP))
				all[n++] = P.listens[i].fd;
		pid = fork_child(all, n, &fd);
		free(all);
	} else
		pid = fork_child(keep, (size_t)nkeep, &fd);
	if (pid == 0) {
		d->run(fd);
		_exit(1);
	}
	c = child_add(pid, kind, NULL, fd);
	c->current = 1;
	P.procs[kind] = c;
	link_peers(c);
}

/* Every file the configuration was made of, keys and hashes included. */
static void
child_forget_bundle(void)
{
	bundle_free(P.bundle);
	P.bundle = NULL;
}

/* This process's listening sockets of one kind: SMTP, or IMAP and POP3. */
static struct listen_socket *
child_listens(int smtp, size_t *n)
{
	struct listen_socket	*v;
	size_t			 i;

	v = xcalloc(P.nlistens + 1, sizeof(*v));
	for (*n = i = 0; i < P.nlistens; i++)
		if ((P.listens[i].listener->proto == PROTO_SMTP) == smtp)
			v[(*n)++] = P.listens[i];
	return v;
}

static _Noreturn void
run_queue(int parent_fd)
{
	ticket_key_forget();
	child_forget_bundle();
	conf_drop_secrets(P.conf);
	child_forget_tls();
	proc_setup("queue", P.uid, P.gid, PROC_NO_GROUP, NULL);
	queue_main(P.conf, parent_fd, P.control_fd);
}

static _Noreturn void
run_smtp(int parent_fd)
{
	struct listen_socket	*ls;
	size_t			 n;

	ticket_key_forget();
	child_forget_bundle();
	conf_drop_secrets(P.conf);
	ls = child_listens(1, &n);
	proc_setup("smtp", P.uid, P.gid, PROC_NO_GROUP, NULL);
	smtp_main(P.conf, P.tls, ls, n, parent_fd);
}

/* IMAP and POP3 before login: TLS and the clients' first words, no mail, no hashes. */
static _Noreturn void
run_login(int parent_fd)
{
	struct listen_socket	*ls;
	size_t			 n;

	ticket_key_forget();
	child_forget_bundle();
	conf_drop_secrets(P.conf);
	ls = child_listens(0, &n);
	proc_setup("login", P.uid, P.gid, PROC_NO_GROUP, NULL);
	login_main(P.conf, P.tls, ls, n, parent_fd);
}

int
parent_wants_login(void)
{
	size_t	 i;

	for (i = 0; i < P.nlistens; i++)
		if (P.listens[i].listener->proto != PROTO_SMTP)
			return 1;
	return 0;
}

static _Noreturn void
run_auth(int parent_fd)
{
	/* It keeps the ticket key: it vouches for the logins it checked. */
	/* It alone keeps the password hashes of the listeners' auth tables. */
	child_forget_bundle();
	child_forget_tls();
	proc_setup("auth", P.uid, P.gid, PROC_NO_GROUP, NULL);
	auth_main(P.conf, parent_fd);
}

static _Noreturn void
run_mta(int parent_fd)
{
	ticket_key_forget();
	child_forget_tls();
	/* CA files are often readable by root only, like the keys beside them. */
	mta_preload(P.conf, P.bundle);
	bundle_free(P.bundle);
	P.bundle = NULL;
	proc_setup("mta", P.uid, P.gid, PROC_NO_GROUP, NULL);
	mta_main(P.conf, parent_fd);
}

static _Noreturn void
run_signer(int parent_fd)
{
	ticket_key_forget();
	child_forget_tls();
	/* The DKIM keys, read by the parent as root: it alone keeps them. */
	signer_preload(P.conf, P.bundle);
	child_forget_bundle();
	conf_drop_secrets(P.conf);
	proc_setup("signer", P.uid, P.gid, PROC_NO_GROUP, NULL);
	signer_main(P.conf, parent_fd);
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

/*
 * The processes forked per account on a peer's request: delivery agents
 * (for the queue) and mailbox processes (for the login process). Both run
 * as the account, never root, and only for an account the configuration
 * delivers as: a queue or login process that was taken over cannot have
 * mail written or read as anyone else.
 */
static const struct account_proc {
	enum proc_id	 kind;
	enum proc_id	 requester;	/* gets the channel, or the reason why not */
	uint32_t	 ready, unavailable;
	const char	*what;		/* for log lines */
	const char	*not_root;	/* why root is refused, for the requester */
} account_procs[] = {
	{ PROC_MDA, PROC_QUEUE, MSG_MDA_READY, MSG_MDA_UNAVAILABLE,
	    "delivery agent", "refusing to deliver as root" },
	{ PROC_MAILBOX, PROC_LOGIN, MSG_MAILBOX_READY, MSG_MAILBOX_UNAVAILABLE,
	    "mailbox process", "refusing to serve a mailbox as root" },
};

static void
account_unavailable(const struct account_proc *ap, const char *account,
    const char *why)
{
	struct ipc_out	 o;

	log_msg(LOG_WARNING, "parent: no %s for account %s: %s", ap->what,
	    account, why);
	ipc_begin(&o, ap->unavailable, 0);
	ipc_add_str(&o, account);
	ipc_add_str(&o, why);
	ipc_send(P.procs[ap->requester]->ipc, &o);
}

static _Noreturn void
run_account(enum proc_id kind, const char *account, uid_t uid, gid_t gid,
    int peer_fd, int parent_fd)
{
	child_forget_bundle();
	conf_drop_secrets(P.conf);
	child_forget_tls();
	if (kind == PROC_MDA) {
		ticket_key_forget();
		proc_setup("mda", uid, gid, mail_group(), NULL);
		mda_main(P.conf, account, peer_fd, parent_fd);
	}
	/* A mailbox process keeps the ticket key: it checks what the login process says. */
	proc_setup("mailbox", uid, gid, PROC_NO_GROUP, NULL);
	mailbox_main(P.conf, account, peer_fd, parent_fd);
}

static void
spawn_account(enum proc_id kind, const char *account)
{
	const struct account_proc	*ap = NULL;
	struct ipc_out			 o;
	struct child			*c;
	uid_t				 uid = P.uid;
	gid_t				 gid = P.gid;
	size_t				 i;
	int				 sv[2], fd;
	pid_t				 pid;

	for (i = 0; i < sizeof(account_procs) / sizeof(account_procs[0]); i++)
		if (account_procs[i].kind == kind)
			ap = &account_procs[i];
	if (ap == NULL || P.procs[ap->requester] == NULL ||
	    P.procs[ap->requester]->ipc == NULL)
		return;
	if (geteuid() == 0) {
		if (proc_account(account, &uid, &gid, NULL) == -1) {
			account_unavailable(ap, account, "no such system account");
			return;
		}
		if (uid == 0) {
			/* Mail is never written or read as root (qmail's rule too). */
			account_unavailable(ap, account, ap->not_root);
			return;
		}
	}
	if (!route_account_allowed(P.conf, account, uid)) {
		account_unavailable(ap, account, "the configuration delivers as "
		    "no such account");
		return;
	}
	/* Its channel to the requester, inherited; the one to the parent made by fork_child. */
	if (ipc_pair(sv) == -1)
		fatal("socketpair");
	fd_track(sv[1]);
	if ((pid = fork_child(&sv[1], 1, &fd)) == 0) {
		close(sv[0]);
		run_account(kind, account, uid, gid, sv[1], fd);
	}
	fd_untrack(sv[1]);
	close(sv[1]);
	c = child_add(pid, kind, account, fd);
	c->current = 1;
	ipc_begin(&o, ap->ready, 0);
	ipc_add_str(&o, account);
	ipc_add_fd(&o, sv[0]);
	ipc_send(P.procs[ap->requester]->ipc, &o);
}

void
parent_spawn_mda(const char *account)
{
	spawn_account(PROC_MDA, account);
}

void
parent_spawn_mailbox(const char *account)
{
	spawn_account(PROC_MAILBOX, account);
}

/* 1 when kind died PARENT_DEATHS_MAX times within PARENT_DEATHS_WINDOW seconds. */
static int
crash_loop(enum proc_id kind)
{
	time_t	*d = P.deaths[kind], now = time(NULL);
	size_t	 i;

	memmove(d, d + 1, (PARENT_DEATHS_MAX - 1) * sizeof(*d));
	d[PARENT_DEATHS_MAX - 1] = now;
	for (i = 0; i < PARENT_DEATHS_MAX; i++)
		if (d[i] == 0 || now - d[i] > PARENT_DEATHS_WINDOW)
			return 0;
	return 1;
}

static const char *
status_text(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	return buf;
}

void
parent_child_died(struct child *c, int status)
{
	char	 why[64];
	int	 restart;

	status_text(status, why, sizeof(why));
	if (c->ipc != NULL) {
		ipc_free(c->ipc);
		c->ipc = NULL;
	}
	parent_conf_child_gone(c);
	restart = c->current && c->kind != PROC_MDA && c->kind != PROC_MAILBOX &&
	    !P.stopping;
	if (P.procs[c->kind] == c)
		P.procs[c->kind] = NULL;
	if (P.stopping)
		return;
	if (c->kind == PROC_MDA || c->kind == PROC_MAILBOX) {
		/* Started on demand: the next delivery or login starts another. */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_msg(LOG_WARNING, "%s process %d for %s ended (%s)",
			    parent_proc_name(c->kind), (int)c->pid,
			    c->account ? c->account : "?", why);
		return;
	}
	if (!restart)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/* It left in order (its queue went away): not a crash. */
		log_msg(LOG_INFO, "%s process %d ended, restarting",
		    parent_proc_name(c->kind), (int)c->pid);
		parent_spawn(c->kind);
		return;
	}
	if (crash_loop(c->kind)) {
		log_msg(LOG_CRIT, "%s process died %d times within %d seconds "
		    "(last: %s): stopping tegamid", parent_proc_name(c->kind),
		    PARENT_DEATHS_MAX, PARENT_DEATHS_WINDOW, why);
		parent_shutdown(1);
	}
	log_msg(LOG_ERR, "%s process %d died (%s), restarting",
	    parent_proc_name(c->kind), (int)c->pid, why);
	parent_spawn(c->kind);
	/* Started from the current configuration: nothing to send it. */
}

static void
parent_on_child(struct ipc *ch, struct ipc_msg *m, void *arg)
{
	struct child	*c = arg;
	const char	*account, *table;

	if (m == NULL) {
		/* Its death comes through SIGCHLD; only the channel goes here. */
		if (c->ipc == ch) {
			ipc_free(ch);
			c->ipc = NULL;
		}
		return;
	}
	msg_check(m->type, c->kind, PROC_PARENT);
	switch (m->type) {
	case MSG_CONF_APPLIED:
		parent_conf_applied(c, m);
		break;
	case MSG_MDA_SPAWN:
		account = ipc_get_str(m);
		ipc_get_end(m);
		if (account == NULL || *account == '\0')
			fatalx("parent: MDA_SPAWN without account");
		parent_spawn_mda(account);
		break;
	case MSG_AUTH_REHASH: {
		uint32_t	 li = ipc_get_u32(m);
		const char	*key = ipc_get_str(m), *pw = ipc_get_str(m);

		ipc_get_end(m);
		parent_rehash(li, key, pw);
		break;
	}
	case MSG_MAILBOX_SPAWN:
		account = ipc_get_str(m);
		ipc_get_end(m);
		if (account == NULL || *account == '\0')
			fatalx("parent: MAILBOX_SPAWN without account");
		parent_spawn_mailbox(account);
		break;
	case MSG_RELOAD:
		table = ipc_get_str(m);
		ipc_get_end(m);
		parent_reload(table, m->id);
		break;
	default:
		fatalx("parent: unexpected %s from %s", msg_name(m->type),
		    parent_proc_name(c->kind));
	}
}
