/* The parent's state and the parts of its work, shared by the files of src/parent/. */
#ifndef TEGAMI_PARENT_PRIV_H
#define TEGAMI_PARENT_PRIV_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/msg.h"
#include "net/limits.h"

struct bundle;
struct conf;
struct event_base;
struct ipc;
struct ipc_msg;
struct tls_server;

/* A crash loop: this many deaths of one process within the window stop tegamid. */
#define PARENT_DEATHS_MAX	5
#define PARENT_DEATHS_WINDOW	60

struct child {
	struct child	*next;
	pid_t		 pid;
	enum proc_id	 kind;
	char		*account;	/* mda, mailbox */
	struct ipc	*ipc;		/* the parent's channel to it */
	int		 current;	/* the one process of its kind that serves */
	uint64_t	 conf_gen;	/* a MSG_CONF awaits its answer */
};

struct parent {
	struct event_base	*base;
	struct conf		*conf;
	struct bundle		*bundle;	/* every file conf was made of */
	struct tls_server	*tls;		/* certificates of conf, loaded as root */
	const char		*conf_path;
	uid_t			 uid;		/* the unprivileged account */
	gid_t			 gid;
	struct listen_socket	*listens;	/* listener pointers into conf, updated on reload */
	size_t			 nlistens;
	int			 control_fd;
	struct child		*children;
	struct child		*procs[PROC_COUNT];	/* the current singletons */
	time_t			 deaths[PROC_COUNT][PARENT_DEATHS_MAX];
	int			*fds;		/* every fd a new child must close */
	size_t			 nfds;
	int			 stopping;
	uint64_t		 generation;	/* of the configuration */
};

extern struct parent	 P;

/* parent.c */
void	 fd_track(int);
void	 fd_untrack(int);
_Noreturn void parent_shutdown(int code);

/* parent_bind.c: sockets, bound as root before anything is forked */
void	 parent_bind(void);
void	 parent_bind_control(void);
void	 parent_prepare_spool(void);
/* The listeners of the new config must be the ones already bound. */
int	 parent_listeners_same(const struct conf *, const struct conf *);

/* parent_spawn.c: the process table, forks, channels between children, restarts */
void	 parent_spawn(enum proc_id);
void	 parent_spawn_mda(const char *account);
/* The mailbox process of an account, for the login process (MSG_MAILBOX_SPAWN). */
void	 parent_spawn_mailbox(const char *account);
/* Whether the configuration has IMAP or POP3 listeners: the login process serves them. */
int	 parent_wants_login(void);
/* A child ended: restart it when it was a current one, unless it keeps dying. */
void	 parent_child_died(struct child *, int status);
struct child *parent_child_find(pid_t);
const char *parent_proc_name(enum proc_id);

/* parent_rehash.c: an old hash of a good login made bcrypt (MSG_AUTH_REHASH) */
void	 parent_rehash(uint32_t listener, const char *key, const char *password);

/* parent_reload.c */
/*
 * Loads the configuration again (everything, or table only) and sends it to
 * every running process; req (the queue's request, 0 for SIGHUP) is
 * answered once all of them applied it.
 */
void	 parent_reload(const char *table, uint64_t req);
/* A child's answer to a MSG_CONF. */
void	 parent_conf_applied(struct child *, struct ipc_msg *);
/* A child that owed an answer is gone. */
void	 parent_conf_child_gone(struct child *);
/* Sends the current configuration to a child (one that started before a reload finished). */
int	 parent_send_conf(struct child *);

#endif
