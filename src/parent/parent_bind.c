/* The parent's sockets, bound as root before anything is forked: listeners, the control socket, the spool root. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/limits.h"
#include "parent/parent_priv.h"

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

void
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

void
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

void
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

int
parent_listeners_same(const struct conf *a, const struct conf *b)
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

