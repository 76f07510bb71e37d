/* inotify for the engine: one descriptor per process, watches on new/ and cur/ of each open view. */
#include <sys/inotify.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "imap/imap_priv.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/xalloc.h"
#include "store/scan.h"

/*
 * Deliveries (a link into new/), other programs' flag changes and
 * expunges (renames and unlinks in cur/) reach the views of this process
 * as events naming the file: the index looks at those files only, never
 * reading a directory of 100,000 names again. When the kernel's queue
 * overflowed, every view reads its folder once.
 */
#define WATCH_MASK	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

static int		 ifd = -1;
static struct event	*iev;
static struct map	*watches;	/* "wd" -> view */

static void
key(char *k, size_t len, int wd)
{
	snprintf(k, len, "%d", wd);
}

static void
overflow_all(void)
{
	size_t			 it = 0;
	const char		*k;
	void			*val;

	while (map_iter(watches, &it, &k, &val))
		imap_view_overflow(val);
}

/* Views that got events in this poll, flushed once all are read (no view is freed meanwhile). */
static struct imap_view	**touched;
static size_t		 ntouched, touchedcap;

static void
dispatch(const struct inotify_event *e)
{
	struct imap_view	*v;
	char			 k[16];
	int			 sub;

	if (e->mask & IN_Q_OVERFLOW) {
		overflow_all();
		return;
	}
	key(k, sizeof(k), e->wd);
	if ((v = map_get(watches, k)) == NULL)
		return;
	if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* The folder went: a rescan finds it gone and tells the sessions. */
		imap_view_overflow(v);
		return;
	}
	if (e->len == 0 || e->name[0] == '\0')
		return;
	sub = e->wd == v->wd_cur ? SCAN_CUR : SCAN_NEW;
	if (!v->touched) {
		if (ntouched == touchedcap) {
			touchedcap = touchedcap ? touchedcap * 2 : 16;
			touched = xreallocarray(touched, touchedcap,
			    sizeof(*touched));
		}
		touched[ntouched++] = v;
		v->touched = 1;
	}
	if (e->mask & (IN_CREATE | IN_MOVED_TO))
		imap_view_event(v, e->name, sub, 0);
	else if (e->mask & (IN_DELETE | IN_MOVED_FROM))
		imap_view_event(v, e->name, sub, 1);
}

void
imap_notify_poll(void)
{
	char			 buf[64 * 1024]
				    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	ssize_t			 n;
	char			*p;
	size_t			 it;

	if (ifd == -1)
		return;
	for (;;) {
		if ((n = read(ifd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_msg(LOG_WARNING, "imap inotify: %s",
				    strerror(errno));
			break;
		}
		if (n <= 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)p;
			dispatch(e);
		}
	}
	/* Every event read, both halves of each rename among them: now the jobs. */
	for (it = 0; it < ntouched; it++) {
		touched[it]->touched = 0;
		imap_view_flush(touched[it]);
	}
	ntouched = 0;
}

static void
on_inotify(evutil_socket_t fd, short what, void *arg)
{
	imap_notify_poll();
}

static int
watch(struct imap_view *v, const char *path, const char *sub)
{
	char	*p = xasprintf("%s/%s", path, sub), k[16];
	int	 wd;

	wd = inotify_add_watch(ifd, p, WATCH_MASK);
	free(p);
	if (wd == -1)
		return -1;
	key(k, sizeof(k), wd);
	map_set(watches, k, v);
	return wd;
}

int
imap_notify_add(struct imap_view *v, const char *path)
{
	if (ifd == -1) {
		if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
			return -1;
		watches = map_new();
		iev = event_new(imap_base(), ifd, EV_READ | EV_PERSIST,
		    on_inotify, NULL);
		if (iev == NULL || event_add(iev, NULL) == -1) {
			close(ifd);
			ifd = -1;
			return -1;
		}
	}
	if ((v->wd_new = watch(v, path, "new")) == -1 ||
	    (v->wd_cur = watch(v, path, "cur")) == -1) {
		imap_notify_remove(v);
		return -1;
	}
	return 0;
}

void
imap_notify_remove(struct imap_view *v)
{
	char	 k[16];
	int	*wds[2] = { &v->wd_new, &v->wd_cur }, i;

	for (i = 0; i < 2; i++) {
		if (*wds[i] == -1)
			continue;
		/* Events still queued for the watch find no view (wds are not reused soon). */
		key(k, sizeof(k), *wds[i]);
		if (map_get(watches, k) == v)
			map_del(watches, k);
		(void)inotify_rm_watch(ifd, *wds[i]);
		*wds[i] = -1;
	}
}
