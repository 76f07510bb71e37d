/* Tests for the IMAP engine (src/imap/) over a socketpair: commands after login, two sessions of one user, inotify, APPEND, COPY/MOVE, EXPUNGE. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "harness.h"
#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mailbox/mailbox.h"
#include "store/folder.h"

/* ---- what the mailbox process provides (mailbox_server.c in tegamid) ---- */

static struct event_base	*base;
static struct pool		*pool;

void
mailbox_client_free(struct mailbox_client *mc)
{
	if (mc->fd != -1)
		close(mc->fd);
	free(mc->id);
	free(mc->login);
	free(mc->root);
	free(mc->addr);
	free(mc->tag);
	free(mc);
}

struct pool *
mailbox_pool(void)
{
	return pool;
}

const char *
mailbox_account(void)
{
	return "test";
}

/* ---- a client ---- */

static char	 tdir[64];
static int	 seq;

struct client {
	int		 fd;
	struct buf	 in;	/* everything received and not yet taken */
};

static void
rmtree(const char *path)
{
	char	 cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

/* Where a line starting with prefix begins in c's input, or NULL. */
static const char *
line_at(struct client *c, const char *prefix)
{
	const char	*p;
	size_t		 pl = strlen(prefix);

	if (c->in.len == 0)
		return NULL;
	if (strncmp(c->in.data, prefix, pl) == 0)
		return c->in.data;
	for (p = c->in.data; (p = strstr(p, prefix)) != NULL; p++)
		if (p[-1] == '\n')
			return p;
	return NULL;
}

/* Runs the loop until a line starting with prefix came, or 5 seconds pass. */
static const char *
wait_for(struct client *c, const char *prefix)
{
	struct timespec	 t0, now, d = { 0, 1000 * 1000 };
	const char	*at;
	char		 tmp[65536];
	ssize_t		 n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		while ((n = read(c->fd, tmp, sizeof(tmp))) > 0)
			buf_add(&c->in, tmp, (size_t)n);
		if ((at = line_at(c, prefix)) != NULL && strstr(at, "\r\n") != NULL)
			return at;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 5)
			return NULL;
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		nanosleep(&d, NULL);
	}
}

/* Everything up to and including the line starting with prefix; it leaves the input. */
static char *
take(struct client *c, const char *prefix)
{
	const char	*p, *e;
	char		*out;
	size_t		 len;

	if ((p = wait_for(c, prefix)) == NULL)
		return NULL;
	e = strstr(p, "\r\n");
	len = (size_t)(e + 2 - c->in.data);
	out = xstrndup(c->in.data, len);
	buf_consume(&c->in, len);
	return out;
}

static void
sendf(struct client *c, const char *fmt, ...)
{
	char	 line[8192];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(c->fd, line, (size_t)n) != n)
		perror("write");
}

/* Sends "tag cmd" and returns the whole answer, tagged line included. */
static char *
cmd(struct client *c, const char *tag, const char *fmt, ...)
{
	char	 line[8192], prefix[64];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sendf(c, "%s %s\r\n", tag, line);
	snprintf(prefix, sizeof(prefix), "%s ", tag);
	return take(c, prefix);
}

static struct client *
login(const char *root)
{
	struct mailbox_client	*mc = xcalloc(1, sizeof(*mc));
	struct client		*c = xcalloc(1, sizeof(*c));
	int			 sv[2];
	char			*r;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	mc->base = base;
	mc->fd = sv[0];
	mc->proto = MAILBOX_IMAP;
	mc->id = xstrdup("test");
	mc->login = xstrdup("u@example.org");
	mc->root = xstrdup(root);
	mc->addr = xstrdup("127.0.0.1");
	mc->tag = xstrdup("L1");
	c->fd = sv[1];
	buf_init(&c->in, 0);
	imap_session_start(mc);
	r = take(c, "L1 ");
	if (r == NULL || strstr(r, "L1 OK [CAPABILITY IMAP4rev1") == NULL)
		fprintf(stderr, "login: %s\n", r ? r : "(nothing)");
	free(r);
	return c;
}

static void
logout(struct client *c)
{
	char	*r = cmd(c, "Z", "LOGOUT");

	free(r);
	close(c->fd);
	buf_free(&c->in);
	free(c);
	/* Let the engine see the close. */
	for (int i = 0; i < 20; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void
mkroot(char *root, size_t len, const char *name)
{
	snprintf(root, len, "%s/%s", tdir, name);
}

static void
deliver(const char *dir, const char *sub, const char *flags, const char *subject)
{
	char	 p[1024], body[512], base_[128];
	int	 fd, n;

	n = snprintf(body, sizeof(body), "From: A <a@example.org>\nTo: b@example.org\n"
	    "Subject: %s\nMessage-ID: <%d@example.org>\n\nHello %d\nline two\n",
	    subject, seq, seq);
	snprintf(base_, sizeof(base_), "%d.M%dP1Q%d.host,S=%d", 1700000000 + seq,
	    seq, seq, n);
	seq++;
	snprintf(p, sizeof(p), "%s/tmp/%s", dir, base_);
	if ((fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0600)) == -1 ||
	    write(fd, body, (size_t)n) != n)
		perror(p);
	close(fd);
	{
		char	 q[1200];

		snprintf(q, sizeof(q), "%s/%s/%s%s%s", dir, sub, base_,
		    flags ? ":2," : "", flags ? flags : "");
		if (rename(p, q) == -1)
			perror(q);
	}
}

/* How many files in dir/sub have c among their flags. */
static int
count_flag(const char *dir, const char *sub, char f)
{
	char		 p[1024];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;
	char		*i;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if ((i = strstr(de->d_name, ":2,")) != NULL && strchr(i + 3, f))
			n++;
	closedir(d);
	return n;
}

static int
count_files(const char *dir, const char *sub)
{
	char		 p[1024];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#define HAS(r, s) do { if ((r) == NULL || strstr((r), (s)) == NULL) {	\
	t_fail(__FILE__, __LINE__, "no \"%s\" in: %s", (s), (r) ? (r) : "(null)"); \
	free(r); return; } } while (0)
#define HASNT(r, s) do { if ((r) != NULL && strstr((r), (s)) != NULL) {	\
	t_fail(__FILE__, __LINE__, "\"%s\" in: %s", (s), (r));		\
	free(r); return; } } while (0)

/* ---- tests ---- */

static void
t_basics(void)
{
	char		 root[256];
	struct client	*c;
	char		*r;

	mkroot(root, sizeof(root), "basics");
	c = login(root);
	/* The first login made the folders of a new user. */
	T_EQ_INT(count_files(root, "cur"), 0);
	r = cmd(c, "a", "LIST \"\" \"*\"");
	HAS(r, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n");
	HAS(r, "\"/\" Drafts");
	HAS(r, "\\Sent");
	HAS(r, "a OK");
	free(r);
	r = cmd(c, "b", "CAPABILITY");
	HAS(r, "IDLE");
	HAS(r, "APPENDLIMIT=");
	HASNT(r, "AUTH=");
	free(r);
	r = cmd(c, "c", "SELECT INBOX");
	HAS(r, "* 0 EXISTS");
	HAS(r, "[UIDVALIDITY ");
	HAS(r, "c OK [READ-WRITE]");
	free(r);
	r = cmd(c, "d", "FETCH 1 FLAGS");
	HAS(r, "d BAD");	/* no message 1 */
	free(r);
	r = cmd(c, "e", "NAMESPACE");
	HAS(r, "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	free(r);
	r = cmd(c, "f", "LOGIN a b");
	HAS(r, "f BAD");
	free(r);
	logout(c);
}

static void
t_select_fetch_store(void)
{
	char		 root[256], p[512];
	struct client	*c;
	char		*r;
	const char	*err;

	mkroot(root, sizeof(root), "fetch");
	T_ASSERT(folder_create_defaults(root, &err) == 0);
	deliver(root, "new", NULL, "one");
	deliver(root, "new", NULL, "two");
	deliver(root, "cur", "S", "three");
	c = login(root);
	r = cmd(c, "a", "SELECT INBOX");
	HAS(r, "* 3 EXISTS");
	/* \Recent is about sessions, not \Seen: no session saw any. */
	HAS(r, "* 3 RECENT");
	HAS(r, "[UNSEEN 1]");
	HAS(r, "[UIDNEXT 4]");
	free(r);
	/* SELECT moves new/ to cur/. */
	for (int i = 0; i < 50 && count_files(root, "new") != 0; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(2000);
	}
	T_EQ_INT(count_files(root, "new"), 0);
	r = cmd(c, "b", "FETCH 1:* (UID FLAGS RFC822.SIZE)");
	HAS(r, "* 1 FETCH (UID 1 FLAGS (\\Recent) RFC822.SIZE ");
	HAS(r, "* 3 FETCH (UID 3 FLAGS (\\Seen \\Recent) ");
	HAS(r, "b OK");
	free(r);
	r = cmd(c, "c", "UID FETCH 2 (ENVELOPE BODY.PEEK[HEADER])");
	HAS(r, "* 2 FETCH (UID 2 ENVELOPE (NIL \"two\" ((\"A\" NIL \"a\" \"example.org\"))");
	HAS(r, "BODY[HEADER] {");
	HAS(r, "Subject: two\r\n");
	HAS(r, "c OK");
	free(r);
	/* BODY[] sets \Seen, and says so. */
	r = cmd(c, "d", "FETCH 1 (BODY[TEXT] BODY.PEEK[HEADER])");
	HAS(r, "FLAGS (\\Seen \\Recent)");
	HAS(r, "Subject: one");
	/* Once: the response carried the new flags. */
	T_ASSERT(strstr(strstr(r, "FLAGS (\\Seen") + 1, "FLAGS (") == NULL);
	free(r);
	r = cmd(c, "d2", "FETCH 1 BODY.PEEK[]");
	free(r);
	T_EQ_INT(count_flag(root, "cur", 'S'), 2);
	r = cmd(c, "e", "STORE 2 +FLAGS (\\Flagged $Work)");
	HAS(r, "* 2 FETCH (FLAGS (\\Flagged \\Recent $Work))");
	HAS(r, "e OK");
	free(r);
	T_EQ_INT(count_flag(root, "cur", 'F'), 1);
	T_EQ_INT(count_flag(root, "cur", 'a'), 1);
	snprintf(p, sizeof(p), "%s/dovecot-keywords", root);
	T_ASSERT(access(p, F_OK) == 0);
	r = cmd(c, "f", "UID STORE 1:* FLAGS.SILENT (\\Answered)");
	HASNT(r, "FETCH");
	HAS(r, "f OK");
	free(r);
	T_EQ_INT(count_flag(root, "cur", 'R'), 3);
	T_EQ_INT(count_flag(root, "cur", 'F'), 0);
	r = cmd(c, "g", "FETCH 4 FLAGS");
	HAS(r, "g BAD");
	free(r);
	r = cmd(c, "h", "UID FETCH 4:* FLAGS");
	/* "*" is the highest UID: 3 is in 4:*. */
	HAS(r, "* 3 FETCH (UID 3 FLAGS");
	free(r);
	r = cmd(c, "i", "FETCH 1 (FLAGS MODSEQ)");
	HAS(r, "MODSEQ (");
	free(r);
	logout(c);
}

static void
t_two_sessions(void)
{
	char		 root[256];
	struct client	*a, *b;
	char		*r;
	const char	*err;

	mkroot(root, sizeof(root), "two");
	T_ASSERT(folder_create_defaults(root, &err) == 0);
	deliver(root, "cur", "", "one");
	deliver(root, "cur", "", "two");
	a = login(root);
	b = login(root);
	r = cmd(a, "a1", "SELECT INBOX");
	HAS(r, "* 2 EXISTS");
	free(r);
	r = cmd(b, "b1", "SELECT INBOX");
	HAS(r, "* 2 EXISTS");
	free(r);
	r = cmd(a, "a2", "STORE 1 +FLAGS (\\Seen)");
	HAS(r, "a2 OK");
	free(r);
	/* b learns of a's change at its next command. */
	r = cmd(b, "b2", "NOOP");
	HAS(r, "* 1 FETCH (FLAGS (\\Seen))");
	free(r);
	/* b idles; a delivery by another program shows as EXISTS. */
	sendf(b, "b3 IDLE\r\n");
	r = take(b, "+ idling");
	free(r);
	deliver(root, "new", NULL, "three");
	r = take(b, "* 3 EXISTS");
	HAS(r, "* 3 EXISTS");
	free(r);
	/* a expunges; b, still in IDLE, is told. */
	r = cmd(a, "a3", "STORE 2 +FLAGS.SILENT (\\Deleted)");
	free(r);
	r = take(b, "* 2 FETCH");
	HAS(r, "\\Deleted");
	free(r);
	r = cmd(a, "a4", "EXPUNGE");
	HAS(r, "* 2 EXPUNGE");
	HAS(r, "a4 OK");
	free(r);
	r = take(b, "* 2 EXPUNGE");
	HAS(r, "* 2 EXPUNGE");
	free(r);
	sendf(b, "DONE\r\n");
	r = take(b, "b3 OK");
	free(r);
	T_EQ_INT(count_files(root, "cur") + count_files(root, "new"), 2);
	/* Another program flags the message: both see it. */
	r = cmd(b, "b4", "FETCH 1:* (UID FLAGS)");
	HAS(r, "* 2 FETCH (UID 3 FLAGS");
	free(r);
	logout(a);
	logout(b);
}

static void
t_append_copy_move(void)
{
	char		 root[256], p[512];
	struct client	*c;
	char		*r;
	const char	*err, msg[] = "From: x@y\r\nSubject: appended\r\n\r\nbody\r\n";

	mkroot(root, sizeof(root), "append");
	T_ASSERT(folder_create_defaults(root, &err) == 0);
	c = login(root);
	r = cmd(c, "a", "SELECT INBOX");
	free(r);
	sendf(c, "b APPEND INBOX (\\Seen $Pro) \"02-Jan-2020 03:04:05 +0100\" {%zu}\r\n",
	    sizeof(msg) - 1);
	r = take(c, "+ ");
	free(r);
	sendf(c, "%s\r\n", msg);
	r = take(c, "b OK");
	HAS(r, "* 1 EXISTS");
	HAS(r, "b OK [APPENDUID ");
	HAS(r, " 1] Append completed");
	free(r);
	T_EQ_INT(count_flag(root, "cur", 'S'), 1);
	r = cmd(c, "c", "FETCH 1 (INTERNALDATE FLAGS)");
	HAS(r, "\"02-Jan-2020");
	HAS(r, "$Pro");
	free(r);
	/* LITERAL+ and MULTIAPPEND into another folder. */
	sendf(c, "d APPEND Archive {%zu+}\r\n%s {%zu+}\r\n%s\r\n", sizeof(msg) - 1,
	    msg, sizeof(msg) - 1, msg);
	r = take(c, "d OK");
	HAS(r, "d OK [APPENDUID ");
	HAS(r, " 1:2]");
	free(r);
	snprintf(p, sizeof(p), "%s/.Archive", root);
	T_EQ_INT(count_files(p, "new"), 2);
	r = cmd(c, "e", "APPEND Nope {3}");
	HAS(r, "e NO [TRYCREATE]");
	free(r);
	/* COPY: COPYUID; the source stays. */
	r = cmd(c, "f", "COPY 1 Archive");
	HAS(r, "f OK [COPYUID ");
	HAS(r, " 1 3]");
	free(r);
	T_EQ_INT(count_files(root, "cur"), 1);
	r = cmd(c, "g", "STATUS Archive (MESSAGES UIDNEXT UNSEEN SIZE)");
	HAS(r, "* STATUS Archive (MESSAGES 3 UIDNEXT 4 UNSEEN 2 SIZE ");
	free(r);
	/* MOVE: untagged COPYUID, then EXPUNGE, then OK. */
	r = cmd(c, "h", "MOVE 1 Trash");
	HAS(r, "* OK [COPYUID ");
	HAS(r, "* 1 EXPUNGE");
	HAS(r, "h OK");
	free(r);
	T_EQ_INT(count_files(root, "cur"), 0);
	snprintf(p, sizeof(p), "%s/.Trash", root);
	T_EQ_INT(count_files(p, "cur"), 1);
	r = cmd(c, "i", "COPY 1 Archive");
	HAS(r, "i BAD");
	free(r);
	r = cmd(c, "j", "UID COPY 1 Nope");
	HAS(r, "j NO [TRYCREATE]");	/* the target is checked even for no message */
	free(r);
	logout(c);
}

static void
t_mailboxes(void)
{
	char		 root[256];
	struct client	*c;
	char		*r;

	mkroot(root, sizeof(root), "mbox");
	c = login(root);
	r = cmd(c, "a", "CREATE Projekte/Entw&APw-rfe");
	HAS(r, "a OK");
	free(r);
	r = cmd(c, "b", "LIST \"\" \"Projekte/%%\"");
	HAS(r, "* LIST (\\HasNoChildren) \"/\" Projekte/Entw&APw-rfe");
	free(r);
	r = cmd(c, "c", "LIST \"\" %%");
	HAS(r, "* LIST (\\Noselect \\HasChildren) \"/\" Projekte");
	free(r);
	r = cmd(c, "d", "CREATE Projekte/Entw&APw-rfe");
	HAS(r, "d NO [ALREADYEXISTS]");
	free(r);
	r = cmd(c, "e", "RENAME Projekte/Entw&APw-rfe Alt");
	HAS(r, "e OK");
	free(r);
	r = cmd(c, "f", "SUBSCRIBE Alt");
	HAS(r, "f OK");
	free(r);
	r = cmd(c, "g", "LSUB \"\" *");
	HAS(r, "* LSUB () \"/\" Alt");
	HAS(r, "* LSUB () \"/\" INBOX");
	free(r);
	r = cmd(c, "h", "LIST (SUBSCRIBED) \"\" * RETURN (STATUS (MESSAGES UIDVALIDITY))");
	HAS(r, "* LIST (\\HasNoChildren \\Subscribed) \"/\" Alt");
	HAS(r, "* STATUS Alt (MESSAGES 0 UIDVALIDITY ");
	free(r);
	r = cmd(c, "i", "DELETE Alt");
	HAS(r, "i OK");
	free(r);
	r = cmd(c, "j", "SELECT Alt");
	HAS(r, "j NO [NONEXISTENT]");
	free(r);
	r = cmd(c, "k", "DELETE INBOX");
	HAS(r, "k NO");
	free(r);
	r = cmd(c, "l", "GETQUOTAROOT INBOX");
	HAS(r, "* QUOTAROOT INBOX");
	HAS(r, "l OK");
	free(r);
	r = cmd(c, "m", "ENABLE QRESYNC UTF8=ACCEPT");
	HAS(r, "* ENABLED QRESYNC UTF8=ACCEPT");
	free(r);
	r = cmd(c, "n", "CREATE \"Entwürfe\"");
	HAS(r, "n OK");
	free(r);
	r = cmd(c, "o", "LIST \"\" Entw*");
	HAS(r, "\"/\" \"Entwürfe\"");
	free(r);
	logout(c);
}

static void
t_qresync(void)
{
	char		 root[256];
	struct client	*c;
	char		*r, *p;
	const char	*err;
	unsigned long	 uv, ms;

	mkroot(root, sizeof(root), "qresync");
	T_ASSERT(folder_create_defaults(root, &err) == 0);
	deliver(root, "cur", "", "one");
	deliver(root, "cur", "", "two");
	deliver(root, "cur", "", "three");
	c = login(root);
	r = cmd(c, "a", "ENABLE QRESYNC");
	free(r);
	r = cmd(c, "b", "SELECT INBOX");
	HAS(r, "[HIGHESTMODSEQ ");
	p = strstr(r, "[UIDVALIDITY ");
	uv = strtoul(p + 13, NULL, 10);
	p = strstr(r, "[HIGHESTMODSEQ ");
	ms = strtoul(p + 15, NULL, 10);
	free(r);
	r = cmd(c, "c", "STORE 1 +FLAGS (\\Deleted)");
	HAS(r, "MODSEQ (");
	free(r);
	r = cmd(c, "d", "EXPUNGE");
	HAS(r, "* VANISHED 1");
	free(r);
	r = cmd(c, "e", "STORE 2 +FLAGS (\\Flagged)");
	free(r);
	r = cmd(c, "f", "UNSELECT");
	free(r);
	/* What changed since the MODSEQ the client had. */
	r = cmd(c, "g", "SELECT INBOX (QRESYNC (%lu %lu))", uv, ms);
	HAS(r, "* VANISHED (EARLIER) 1");
	HAS(r, "* 2 FETCH (UID 3 FLAGS (\\Flagged) MODSEQ");
	HASNT(r, "UID 2 ");
	free(r);
	r = cmd(c, "h", "UID FETCH 1:* FLAGS (CHANGEDSINCE %lu VANISHED)", ms);
	HAS(r, "* VANISHED (EARLIER) 1");
	HAS(r, "UID 3 ");
	HASNT(r, "UID 2 ");
	free(r);
	/* UNCHANGEDSINCE: a message changed since is refused, MODIFIED. */
	r = cmd(c, "i", "UID STORE 2:3 (UNCHANGEDSINCE %lu) +FLAGS (\\Seen)", ms);
	HAS(r, "* 1 FETCH (UID 2 FLAGS (\\Seen) MODSEQ");
	HAS(r, "i OK [MODIFIED 3]");
	free(r);
	logout(c);
}

static void
t_index_lost(void)
{
	char		 root[256], p[512], *a, *b;
	struct client	*c;
	char		*r;
	const char	*err;

	mkroot(root, sizeof(root), "lost");
	T_ASSERT(folder_create_defaults(root, &err) == 0);
	deliver(root, "new", NULL, "one");
	deliver(root, "new", NULL, "two");
	c = login(root);
	r = cmd(c, "a", "SELECT INBOX");
	free(r);
	r = cmd(c, "b", "STORE 2 +FLAGS (\\Flagged)");
	free(r);
	a = cmd(c, "c", "UID FETCH 1:* (UID FLAGS)");
	r = cmd(c, "d", "STATUS INBOX (UIDVALIDITY HIGHESTMODSEQ)");
	logout(c);
	/* Give the engine time to let go of the user (its index is closed). */
	for (int i = 0; i < 50; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	snprintf(p, sizeof(p), "%s/tegami-index.sqlite", root);
	T_ASSERT(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/tegami-index.sqlite-wal", root);
	unlink(p);
	c = login(root);
	free(cmd(c, "e", "SELECT INBOX"));
	b = cmd(c, "f", "UID FETCH 1:* (UID FLAGS)");
	/* Same UIDs, same flags. */
	T_ASSERT(strstr(b, "UID 2 FLAGS (\\Flagged") != NULL);
	T_ASSERT(strstr(a, "UID 2 FLAGS (\\Flagged") != NULL);
	free(a);
	free(b);
	b = cmd(c, "g", "STATUS INBOX (UIDVALIDITY HIGHESTMODSEQ)");
	T_ASSERT(strstr(r, "UIDVALIDITY ") != NULL && strstr(b, "UIDVALIDITY ") != NULL);
	T_EQ_INT(strtoul(strstr(b, "UIDVALIDITY ") + 12, NULL, 10),
	    strtoul(strstr(r, "UIDVALIDITY ") + 12, NULL, 10));
	/* UIDVALIDITY kept: MODSEQs go on upwards, a QRESYNC client misses nothing. */
	T_ASSERT(strstr(r, "HIGHESTMODSEQ ") != NULL &&
	    strstr(b, "HIGHESTMODSEQ ") != NULL);
	T_ASSERT(strtoull(strstr(b, "HIGHESTMODSEQ ") + 14, NULL, 10) >
	    strtoull(strstr(r, "HIGHESTMODSEQ ") + 14, NULL, 10));
	free(r);
	free(b);
	logout(c);
}

static void
t_search(void)
{
	char		 root[256];
	struct client	*c;
	char		*r;
	const char	*err;

	mkroot(root, sizeof(root), "search");
	T_ASSERT(folder_create_defaults(root, &err) == 0);
	deliver(root, "cur", "S", "alpha");
	deliver(root, "cur", "", "beta");
	deliver(root, "cur", "", "Re: alpha");
	c = login(root);
	free(cmd(c, "a", "SELECT INBOX"));
	r = cmd(c, "b", "SEARCH UNSEEN");
	HAS(r, "* SEARCH 2 3\r\n");
	HAS(r, "b OK");
	free(r);
	r = cmd(c, "c", "UID SEARCH SUBJECT beta");
	HAS(r, "* SEARCH 2\r\n");
	free(r);
	/* A body search opens the files. */
	r = cmd(c, "d", "SEARCH BODY \"line two\"");
	HAS(r, "* SEARCH 1 2 3\r\n");
	free(r);
	r = cmd(c, "e", "SEARCH RETURN (COUNT MIN) SUBJECT alpha");
	HAS(r, "* ESEARCH (TAG \"e\") MIN 1 COUNT 2");
	free(r);
	r = cmd(c, "f", "SORT (SUBJECT) UTF-8 ALL");
	HAS(r, "* SORT 1 3 2");
	free(r);
	r = cmd(c, "g", "THREAD ORDEREDSUBJECT UTF-8 ALL");
	HAS(r, "* THREAD ");
	free(r);
	/* SEARCHRES: "$" is the saved result. */
	r = cmd(c, "h", "SEARCH RETURN (SAVE) UNSEEN");
	HAS(r, "h OK");
	free(r);
	r = cmd(c, "i", "FETCH $ (UID)");
	HAS(r, "* 2 FETCH (UID 2)");
	HAS(r, "* 3 FETCH (UID 3)");
	HASNT(r, "* 1 FETCH");
	free(r);
	r = cmd(c, "j", "FETCH 2 (BODYSTRUCTURE BODY.PEEK[1] BINARY.SIZE[1])");
	HAS(r, "BODYSTRUCTURE (\"text\" \"plain\"");
	HAS(r, "BODY[1] {");
	HAS(r, "BINARY.SIZE[1] ");
	free(r);
	logout(c);
}

static void
t_pipeline(void)
{
	char		 root[256];
	struct client	*c;
	char		*r;
	const char	*err;

	mkroot(root, sizeof(root), "pipeline");
	T_ASSERT(folder_create_defaults(root, &err) == 0);
	deliver(root, "cur", "", "one");
	deliver(root, "cur", "", "two");
	deliver(root, "new", NULL, "three");
	c = login(root);
	free(cmd(c, "a", "SELECT INBOX"));
	/* Pipelined as mbsync sends them: answered in order, all of them. */
	sendf(c, "6 UID STORE 1 +FLAGS.SILENT (\\Flagged \\Seen)\r\n"
	    "7 UID STORE 2 +FLAGS.SILENT (\\Deleted)\r\n8 CHECK\r\n"
	    "9 UID FETCH 3 (BODY.PEEK[])\r\n");
	r = take(c, "9 ");
	HAS(r, "6 OK");
	HAS(r, "7 OK");
	HAS(r, "8 OK");
	HAS(r, "BODY[] {");
	HAS(r, "9 OK");
	free(r);
	logout(c);
}

void
test_main(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/test_imap_session.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	base = event_base_new();
	pool = pool_new(base, 2);
	if (getenv("ONLY") != NULL) {
		if (strcmp(getenv("ONLY"), "basics") == 0) t_run("basics", t_basics);
		if (strcmp(getenv("ONLY"), "append") == 0) t_run("append", t_append_copy_move);
		if (strcmp(getenv("ONLY"), "mbox") == 0) t_run("mbox", t_mailboxes);
		rmtree(tdir);
		return;
	}
	t_run("basics", t_basics);
	t_run("select_fetch_store", t_select_fetch_store);
	t_run("two_sessions", t_two_sessions);
	t_run("append_copy_move", t_append_copy_move);
	t_run("mailboxes", t_mailboxes);
	t_run("qresync", t_qresync);
	t_run("index_lost", t_index_lost);
	t_run("search", t_search);
	t_run("pipeline", t_pipeline);
	rmtree(tdir);
}
