/* Tests for the spool: commit, load, state bytes, scan, torn files, full disks. */
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/log.h"
#include "queue/spool.h"

static char	 tdir[64];

static const char msg[] =
    "From: a@example.org\n"
    "To: b@example.org\n"
    "Subject: test\n"
    "\n"
    "Body line one.\n"
    "TEGAMI-TRAILER v1 1 1\n";	/* must not confuse the trailer check */

static void
mktdir(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/test_spool.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void
rmtree(const char *path)
{
	char	 cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

/* Number of entries (not dot files) in root/sub. */
static int
count(const char *root, const char *sub)
{
	char		 p[256];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
exists(const char *root, const char *sub, const char *id)
{
	char	 p[256];

	snprintf(p, sizeof(p), "%s/%s/%s", root, sub, id);
	return access(p, F_OK) == 0;
}

static void
make_env(struct envelope *e, const char *id, int nrcpt)
{
	struct delivery	 d;
	char		 r[64];
	int		 i;

	envelope_init(e);
	memcpy(e->id, id, 17);
	e->ctime = 1700000000;
	e->sender = strdup("a@example.org");
	e->helo = strdup("client.example");
	e->client_addr = strdup("127.0.0.1");
	for (i = 0; i < nrcpt; i++) {
		memset(&d, 0, sizeof(d));
		snprintf(r, sizeof(r), "rcpt%d@example.org", i);
		d.rcpt = d.dest = r;
		d.method = DELIVER_MAILDIR;
		d.action = "local";
		d.path = "/var/vmail/example.org/b/Maildir";
		envelope_add(e, &d);
	}
}

/* Receives msg into a new queue file, as the SMTP session and queue would. */
static int
receive(struct spool *s, char id[17], const char *body, size_t len, int nrcpt)
{
	struct envelope	 e;
	int		 fd, r;

	spool_new_id(id);
	if ((fd = spool_create(s, id)) == -1)
		return -1;
	if (dio_write(fd, body, len) == -1) {
		int	 saved = errno;

		close(fd);
		spool_abort(s, id);
		errno = saved;
		return -1;
	}
	make_env(&e, id, nrcpt);
	r = spool_commit(s, id, fd, len, &e);
	/* The commit tells where each state byte landed in the file: a 'P' each. */
	for (int i = 0; r == 0 && i < nrcpt; i++) {
		char	 c = 0;

		if (e.deliveries[i].state_offset <= len ||
		    pread(fd, &c, 1, (off_t)e.deliveries[i].state_offset) != 1 ||
		    c != 'P') {
			t_fail(__FILE__, __LINE__, "state offset %zu of delivery %d "
			    "does not hold 'P'", e.deliveries[i].state_offset, i);
			r = -1;
		}
	}
	close(fd);
	envelope_free(&e);
	return r;
}

static void
t_open_dirs(void)
{
	struct spool	 s;
	struct stat	 st;
	const char	*err = NULL;
	char		 root[128], p[160];
	int		 fd;

	snprintf(root, sizeof(root), "%s/open/deep/spool", tdir);
	T_EQ_INT(spool_open(&s, root, &err), 0);
	T_ASSERT(stat(root, &st) == 0 && S_ISDIR(st.st_mode));
	snprintf(p, sizeof(p), "%s/queue", root);
	T_ASSERT(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	T_EQ_INT(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/incoming", root);
	T_ASSERT(stat(p, &st) == 0 && (st.st_mode & 07777) == 0700);
	snprintf(p, sizeof(p), "%s/corrupt", root);
	T_ASSERT(stat(p, &st) == 0 && (st.st_mode & 07777) == 0700);
	spool_close(&s);
	T_ASSERT(s.root == NULL && s.queue_fd == -1);
	/* Opening again finds what is there. */
	T_EQ_INT(spool_open(&s, root, &err), 0);
	spool_close(&s);

	/* A file where the spool should be. */
	snprintf(p, sizeof(p), "%s/notadir", tdir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	err = NULL;
	T_EQ_INT(spool_open(&s, p, &err), -1);
	T_EQ_INT(errno, ENOTDIR);
	T_ASSERT(err != NULL);
}

static void
t_ids(void)
{
	struct spool	 s;
	const char	*err;
	char		 root[128], id[17], prev[17] = "";
	int		 i, fd;

	snprintf(root, sizeof(root), "%s/ids", tdir);
	T_EQ_INT(spool_open(&s, root, &err), 0);
	for (i = 0; i < 1000; i++) {
		spool_new_id(id);
		T_ASSERT(spool_valid_id(id));
		T_EQ_INT(strlen(id), 16);
		T_ASSERT(strcmp(id, prev) != 0);
		memcpy(prev, id, 17);
	}
	T_ASSERT(!spool_valid_id("0123456789ABCDEF"));
	T_ASSERT(!spool_valid_id("0123456789abcde"));
	T_ASSERT(!spool_valid_id("0123456789abcdef0"));
	T_ASSERT(!spool_valid_id("../../etc/passwd"));

	fd = spool_create(&s, id);
	T_ASSERT(fd != -1);
	T_EQ_INT(spool_create(&s, id), -1);
	T_EQ_INT(errno, EEXIST);
	T_EQ_INT(spool_create(&s, "../x"), -1);
	T_EQ_INT(errno, EINVAL);
	close(fd);
	T_ASSERT(exists(root, "incoming", id));
	spool_abort(&s, id);
	T_ASSERT(!exists(root, "incoming", id));
	spool_abort(&s, id);	/* twice is harmless */
	spool_close(&s);
}

static void
t_trailer(void)
{
	char	 t[SPOOL_TRAILER_LEN + 1];
	size_t	 m, e;

	spool_trailer_format(t, 1234, 56);
	t[SPOOL_TRAILER_LEN] = '\0';
	T_EQ_INT(strlen(t), SPOOL_TRAILER_LEN);
	T_ASSERT(strncmp(t, "\nTEGAMI-TRAILER v1 1234 56 ", 27) == 0);
	T_EQ_INT(t[SPOOL_TRAILER_LEN - 1], '\n');
	T_EQ_INT(t[SPOOL_TRAILER_LEN - 2], ' ');
	T_EQ_INT(spool_trailer_parse(t, SPOOL_TRAILER_LEN, &m, &e), 0);
	T_EQ_INT(m, 1234);
	T_EQ_INT(e, 56);

	spool_trailer_format(t, (size_t)-1, (size_t)-1);
	T_EQ_INT(spool_trailer_parse(t, SPOOL_TRAILER_LEN, &m, &e), 0);
	T_ASSERT(m == (size_t)-1 && e == (size_t)-1);

	spool_trailer_format(t, 0, 0);
	T_EQ_INT(spool_trailer_parse(t, SPOOL_TRAILER_LEN, &m, &e), 0);
	T_EQ_INT(spool_trailer_parse(t, SPOOL_TRAILER_LEN - 1, &m, &e), -1);
#define BAD(s)	do { memset(t, ' ', SPOOL_TRAILER_LEN);			\
	memcpy(t, s, sizeof(s) - 1); t[SPOOL_TRAILER_LEN - 1] = '\n';		\
	T_EQ_INT(spool_trailer_parse(t, SPOOL_TRAILER_LEN, &m, &e), -1); } while (0)
	BAD("\nTEGAMI-TRAILER v2 1 1");
	BAD("\nTEGAMI-TRAILER v1 1");
	BAD("\nTEGAMI-TRAILER v1 1  1");
	BAD("\nTEGAMI-TRAILER v1 01 1");
	BAD("\nTEGAMI-TRAILER v1 1 -1");
	BAD("\nTEGAMI-TRAILER v1 1 1x");
	BAD("\nTEGAMI-TRAILER v1 1 1 x");
	BAD("\nTEGAMI-TRAILER v1 99999999999999999999999 1");
	BAD("TEGAMI-TRAILER v1 1 1 ");
#undef BAD
	spool_trailer_format(t, 5, 5);
	t[SPOOL_TRAILER_LEN - 1] = ' ';
	T_EQ_INT(spool_trailer_parse(t, SPOOL_TRAILER_LEN, &m, &e), -1);
}

static void
t_commit_load_state(void)
{
	struct spool	 s;
	struct envelope	 e, want;
	struct buf	 b;
	struct stat	 st;
	const char	*err = NULL;
	char		 root[128], id[17], p[200], *file;
	char		 t[SPOOL_TRAILER_LEN];
	size_t		 mlen = 0;
	int		 fd, fd2;
	ssize_t		 n;

	snprintf(root, sizeof(root), "%s/commit", tdir);
	T_EQ_INT(spool_open(&s, root, &err), 0);
	T_EQ_INT(receive(&s, id, msg, sizeof(msg) - 1, 3), 0);
	T_ASSERT(!exists(root, "incoming", id));
	T_ASSERT(exists(root, "queue", id));

	/* The file is exactly message, envelope text, trailer. */
	make_env(&want, id, 3);
	buf_init(&b, 0);
	T_EQ_INT(buf_add(&b, msg, sizeof(msg) - 1), 0);
	T_EQ_INT(envelope_serialize(&want, &b), 0);
	spool_trailer_format(t, sizeof(msg) - 1, b.len - (sizeof(msg) - 1));
	T_EQ_INT(buf_add(&b, t, sizeof(t)), 0);
	snprintf(p, sizeof(p), "%s/queue/%s", root, id);
	T_ASSERT(stat(p, &st) == 0);
	T_EQ_INT(st.st_size, b.len);
	T_EQ_INT(st.st_mode & 0777, 0600);
	file = malloc(b.len);
	fd = open(p, O_RDONLY);
	n = read(fd, file, b.len);
	close(fd);
	T_EQ_INT(n, b.len);
	T_ASSERT(memcmp(file, b.data, b.len) == 0);
	free(file);

	fd = spool_load(&s, id, &e, &mlen, &err);
	T_ASSERT(fd != -1);
	T_EQ_INT(mlen, sizeof(msg) - 1);
	T_EQ_STR(e.id, id);
	T_EQ_STR(e.sender, "a@example.org");
	T_EQ_INT(e.ndeliveries, 3);
	T_EQ_STR(e.deliveries[2].rcpt, "rcpt2@example.org");
	T_EQ_INT(b.data[e.deliveries[1].state_offset], 'P');

	/* State bytes change in place, and a fresh load sees them. */
	T_EQ_INT(spool_set_state(fd, &e.deliveries[1], DSTATE_DONE), 0);
	T_EQ_INT(e.deliveries[1].state, DSTATE_DONE);
	T_EQ_INT(spool_set_state(fd, &e.deliveries[2], DSTATE_FAILED), 0);
	T_EQ_INT(spool_set_state(fd, &e.deliveries[0], 'Z'), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(e.deliveries[0].state, DSTATE_PENDING);
	close(fd);
	envelope_free(&e);
	fd2 = spool_load(&s, id, &e, &mlen, &err);
	T_ASSERT(fd2 != -1);
	T_EQ_INT(e.deliveries[0].state, DSTATE_PENDING);
	T_EQ_INT(e.deliveries[1].state, DSTATE_DONE);
	T_EQ_INT(e.deliveries[2].state, DSTATE_FAILED);
	/* The message itself is untouched at offset 0. */
	{
		char	 got[sizeof(msg)];

		T_EQ_INT(pread(fd2, got, sizeof(msg) - 1, 0), sizeof(msg) - 1);
		T_ASSERT(memcmp(got, msg, sizeof(msg) - 1) == 0);
	}
	close(fd2);
	envelope_free(&e);

	T_EQ_INT(spool_remove(&s, id), 0);
	T_ASSERT(!exists(root, "queue", id));
	T_EQ_INT(spool_remove(&s, id), -1);
	T_EQ_INT(errno, ENOENT);
	err = NULL;
	T_EQ_INT(spool_load(&s, id, &e, &mlen, &err), -1);
	T_EQ_INT(errno, ENOENT);
	T_ASSERT(err != NULL);
	T_EQ_INT(count(root, "corrupt"), 0);
	T_EQ_INT(spool_load(&s, "nothex", &e, &mlen, &err), -1);
	T_EQ_INT(errno, EINVAL);

	envelope_free(&want);
	buf_free(&b);
	spool_close(&s);
}

static void
t_commit_refuses(void)
{
	struct spool	 s;
	struct envelope	 e;
	const char	*err;
	char		 root[128], id[17], other[17];
	int		 fd;

	snprintf(root, sizeof(root), "%s/refuse", tdir);
	T_EQ_INT(spool_open(&s, root, &err), 0);

	/* A length that does not match what was written. */
	spool_new_id(id);
	fd = spool_create(&s, id);
	T_ASSERT(fd != -1);
	T_EQ_INT(dio_write(fd, msg, sizeof(msg) - 1), 0);
	make_env(&e, id, 1);
	T_EQ_INT(spool_commit(&s, id, fd, sizeof(msg), &e), -1);
	T_EQ_INT(errno, EIO);
	close(fd);
	T_EQ_INT(count(root, "incoming"), 0);
	T_EQ_INT(count(root, "queue"), 0);
	envelope_free(&e);

	/* An envelope naming another message. */
	spool_new_id(id);
	spool_new_id(other);
	fd = spool_create(&s, id);
	make_env(&e, other, 1);
	T_EQ_INT(spool_commit(&s, id, fd, 0, &e), -1);
	T_EQ_INT(errno, EINVAL);
	envelope_free(&e);

	/* An envelope without deliveries cannot be stored. */
	fd = spool_create(&s, id);
	T_ASSERT(fd != -1);
	make_env(&e, id, 0);
	T_EQ_INT(spool_commit(&s, id, fd, 0, &e), -1);
	T_EQ_INT(errno, EINVAL);
	close(fd);
	envelope_free(&e);
	T_EQ_INT(count(root, "incoming"), 0);
	T_EQ_INT(count(root, "queue"), 0);

	/*
	 * Ids are random and not looked up: a new message given the id of one
	 * already queued must fail its commit, not replace the queued one.
	 */
	T_EQ_INT(receive(&s, id, msg, sizeof(msg) - 1, 1), 0);
	fd = spool_create(&s, id);
	T_ASSERT(fd != -1);
	T_EQ_INT(dio_write(fd, "other", 5), 0);
	make_env(&e, id, 1);
	T_EQ_INT(spool_commit(&s, id, fd, 5, &e), -1);
	T_EQ_INT(errno, EEXIST);
	close(fd);
	envelope_free(&e);
	T_EQ_INT(count(root, "incoming"), 0);
	T_EQ_INT(count(root, "queue"), 1);
	{
		struct envelope	 got;
		size_t		 mlen;

		fd = spool_load(&s, id, &got, &mlen, &err);
		T_ASSERT(fd != -1);
		T_EQ_INT(mlen, sizeof(msg) - 1);
		close(fd);
		envelope_free(&got);
	}
	spool_close(&s);
}

/* A file cut or damaged anywhere is quarantined, never handed out. */
static void
t_torn_files(void)
{
	struct spool	 s;
	struct envelope	 e;
	struct stat	 st;
	const char	*err;
	char		 root[128], id[17], p[200], cp[200], *full;
	size_t		 size, k, mlen;
	int		 fd;

	snprintf(root, sizeof(root), "%s/torn", tdir);
	T_EQ_INT(spool_open(&s, root, &err), 0);
	T_EQ_INT(receive(&s, id, msg, sizeof(msg) - 1, 2), 0);
	snprintf(p, sizeof(p), "%s/queue/%s", root, id);
	snprintf(cp, sizeof(cp), "%s/corrupt/%s", root, id);
	T_ASSERT(stat(p, &st) == 0);
	size = (size_t)st.st_size;
	full = malloc(size);
	fd = open(p, O_RDONLY);
	T_EQ_INT(read(fd, full, size), size);
	close(fd);

	for (k = 0; k < size + 2; k++) {
		if (k == size)
			continue;	/* the intact file */
		fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		T_ASSERT(fd != -1);
		if (k < size)
			T_EQ_INT(write(fd, full, k), k);
		else {
			/* One byte too many: a stray append after commit. */
			T_EQ_INT(write(fd, full, size), size);
			T_EQ_INT(write(fd, "x", 1), 1);
		}
		close(fd);
		err = NULL;
		fd = spool_load(&s, id, &e, &mlen, &err);
		if (fd != -1) {
			t_fail(__FILE__, __LINE__, "torn at %zu loaded", k);
			close(fd);
			envelope_free(&e);
			return;
		}
		T_EQ_INT(errno, EBADMSG);
		T_ASSERT(err != NULL);
		T_ASSERT(e.ndeliveries == 0 && e.sender == NULL);
		T_ASSERT(access(p, F_OK) == -1);
		T_ASSERT(access(cp, F_OK) == 0);
	}

	/* Flip each byte of the envelope and trailer in turn. */
	for (k = sizeof(msg) - 1; k < size; k++) {
		char	 c = full[k];
		int	 ok;

		/* Spaces inside the trailer padding are not significant... */
		full[k] = c == ' ' ? 'Q' : c == '\n' ? ' ' : (char)(c ^ 0x40);
		fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		T_EQ_INT(write(fd, full, size), size);
		close(fd);
		full[k] = c;
		fd = spool_load(&s, id, &e, &mlen, &err);
		ok = fd != -1;
		if (ok) {
			/*
			 * ...and a changed state byte or value is still a
			 * well-formed envelope; anything loaded must say so.
			 */
			T_ASSERT(full[k] != '\n' && k < size - SPOOL_TRAILER_LEN);
			close(fd);
			envelope_free(&e);
			unlink(p);
		} else {
			T_EQ_INT(errno, EBADMSG);
			T_ASSERT(access(cp, F_OK) == 0);
		}
	}

	/* Bytes slipped in before an intact trailer. */
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	T_EQ_INT(write(fd, full, size - SPOOL_TRAILER_LEN), size - SPOOL_TRAILER_LEN);
	T_EQ_INT(write(fd, "X", 1), 1);
	T_EQ_INT(write(fd, full + size - SPOOL_TRAILER_LEN, SPOOL_TRAILER_LEN),
	    SPOOL_TRAILER_LEN);
	close(fd);
	T_EQ_INT(spool_load(&s, id, &e, &mlen, &err), -1);
	T_EQ_INT(errno, EBADMSG);
	T_EQ_STR(err, "trailer lengths do not match the file size");

	/* A complete file saved under another name. */
	{
		char	 other[17], op[200];

		spool_new_id(other);
		snprintf(op, sizeof(op), "%s/queue/%s", root, other);
		fd = open(op, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		T_EQ_INT(write(fd, full, size), size);
		close(fd);
		T_EQ_INT(spool_load(&s, other, &e, &mlen, &err), -1);
		T_EQ_INT(errno, EBADMSG);
		T_EQ_STR(err, "envelope id does not match the file name");
	}
	free(full);
	spool_close(&s);
}

struct seen {
	char	 ids[16][17];
	int	 n;
	struct spool *s;
};

static void
scan_cb(const char *id, void *arg)
{
	struct seen	*sn = arg;

	if (sn->n < 16)
		memcpy(sn->ids[sn->n], id, 17);
	sn->n++;
	/* Removing as we go must not hide the others. */
	spool_remove(sn->s, id);
}

static int
seen_has(struct seen *sn, const char *id)
{
	int	 i;

	for (i = 0; i < sn->n && i < 16; i++)
		if (strcmp(sn->ids[i], id) == 0)
			return 1;
	return 0;
}

static void
t_scan(void)
{
	struct spool	 s;
	struct seen	 sn;
	const char	*err;
	char		 root[128], ids[3][17], stale[17], p[200];
	int		 i, fd;

	snprintf(root, sizeof(root), "%s/scan", tdir);
	T_EQ_INT(spool_open(&s, root, &err), 0);
	for (i = 0; i < 3; i++)
		T_EQ_INT(receive(&s, ids[i], msg, sizeof(msg) - 1, 1), 0);
	/* Two receptions that never reached commit. */
	spool_new_id(stale);
	fd = spool_create(&s, stale);
	T_EQ_INT(dio_write(fd, msg, 10), 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/incoming/junk", root);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	/* Things in queue/ that are not queue files. */
	snprintf(p, sizeof(p), "%s/queue/.nfs0001", root);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s/queue/README", root);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof(p), "%s/queue/0123456789ABCDEF", root);
	close(open(p, O_CREAT | O_WRONLY, 0600));

	memset(&sn, 0, sizeof(sn));
	sn.s = &s;
	T_EQ_INT(spool_scan(&s, scan_cb, &sn), 0);
	T_EQ_INT(sn.n, 3);
	for (i = 0; i < 3; i++)
		T_ASSERT(seen_has(&sn, ids[i]));
	T_EQ_INT(count(root, "incoming"), 0);
	T_EQ_INT(count(root, "queue"), 2);	/* README and the upper-case name */

	memset(&sn, 0, sizeof(sn));
	sn.s = &s;
	T_EQ_INT(spool_scan(&s, scan_cb, &sn), 0);
	T_EQ_INT(sn.n, 0);
	spool_close(&s);
}

/* Checks a spool after failures: nothing in incoming/, every queue file loads. */
static int
spool_consistent(struct spool *s, const char *root)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[200];
	int		 bad = 0;

	if (count(root, "incoming") != 0 || count(root, "corrupt") != 0)
		return 0;
	snprintf(p, sizeof(p), "%s/queue", root);
	if ((d = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct envelope	 e;
		const char	*err;
		size_t		 mlen;
		int		 fd;

		if (de->d_name[0] == '.')
			continue;
		if ((fd = spool_load(s, de->d_name, &e, &mlen, &err)) == -1) {
			bad = 1;
			continue;
		}
		close(fd);
		envelope_free(&e);
	}
	closedir(d);
	return !bad;
}

/* A file size limit makes the envelope write fail the way a full disk does. */
static void
t_write_fails(void)
{
	pid_t	 pid;
	int	 st;

	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		struct spool	 s;
		struct rlimit	 rl;
		const char	*err;
		char		 root[128], id[17];

		log_init(1, 0);
		signal(SIGXFSZ, SIG_IGN);
		snprintf(root, sizeof(root), "%s/fsize", tdir);
		if (spool_open(&s, root, &err) == -1)
			_exit(2);
		rl.rlim_cur = rl.rlim_max = sizeof(msg) + 20;
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(3);
		if (receive(&s, id, msg, sizeof(msg) - 1, 1) != -1 ||
		    errno != EFBIG)
			_exit(4);
		if (!spool_consistent(&s, root) || count(root, "queue") != 0)
			_exit(5);
		_exit(0);
	}
	T_ASSERT(waitpid(pid, &st, 0) == pid);
	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
}

/*
 * A real tmpfs that fills up: every failure is ENOSPC, and the spool never
 * holds a partial file. Needs a private mount namespace (root); skipped
 * without one.
 */
static void
t_tmpfs_full(void)
{
	pid_t	 pid;
	int	 st;

	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		struct spool	 s;
		const char	*err;
		char		 mnt[128], id[17], *body;
		int		 i, commit_fails = 0, write_fails = 0;

		log_init(1, 0);
		snprintf(mnt, sizeof(mnt), "%s/tmpfs", tdir);
		if (mkdir(mnt, 0700) == -1 || unshare(CLONE_NEWNS) == -1 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
		    mount("tmpfs", mnt, "tmpfs", 0, "size=192k") == -1)
			_exit(77);
		if (spool_open(&s, mnt, &err) == -1)
			_exit(2);
		body = malloc(20000);
		memset(body, 'm', 20000);
		srandom(42);
		for (i = 0; i < 1000 && commit_fails < 5; i++) {
			struct envelope	 e;
			size_t		 len = 1 + (size_t)random() % 12000;
			int		 fd, r;

			spool_new_id(id);
			if ((fd = spool_create(&s, id)) == -1) {
				if (errno != ENOSPC)
					_exit(3);
				write_fails++;
			} else if (dio_write(fd, body, len) == -1) {
				if (errno != ENOSPC)
					_exit(4);
				close(fd);
				spool_abort(&s, id);
				write_fails++;
			} else {
				make_env(&e, id, 1 + (int)(random() % 60));
				r = spool_commit(&s, id, fd, len, &e);
				envelope_free(&e);
				close(fd);
				if (r == -1) {
					if (errno != ENOSPC)
						_exit(5);
					if (exists(mnt, "incoming", id) ||
					    exists(mnt, "queue", id))
						_exit(6);
					commit_fails++;
				} else if (!exists(mnt, "queue", id))
					_exit(7);
			}
			if (!spool_consistent(&s, mnt))
				_exit(8);
			/* Free some room now and then so commits get further. */
			if (i % 4 == 3 && count(mnt, "queue") > 0) {
				DIR		*d;
				struct dirent	*de;
				char		 q[200];

				snprintf(q, sizeof(q), "%s/queue", mnt);
				d = opendir(q);
				while ((de = readdir(d)) != NULL)
					if (de->d_name[0] != '.')
						break;
				if (de != NULL)
					spool_remove(&s, de->d_name);
				closedir(d);
			}
		}
		fprintf(stderr, "tmpfs_full: %d commit and %d write failures\n",
		    commit_fails, write_fails);
		if (commit_fails == 0)
			_exit(9);
		spool_close(&s);
		umount(mnt);
		_exit(0);
	}
	T_ASSERT(waitpid(pid, &st, 0) == pid);
	T_ASSERT(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		fprintf(stderr, "tmpfs_full: no mount namespace, skipped\n");
		return;
	}
	T_EQ_INT(WEXITSTATUS(st), 0);
}

/*
 * Runs a test whose quarantine and error logs would flood the output: stderr
 * goes to a file and only the harness's FAIL lines are shown afterwards.
 */
static void (*quiet_fn)(void);

static void
quietly(void)
{
	char	 p[128], line[1024];
	FILE	*f;
	int	 saved, fd;

	snprintf(p, sizeof(p), "%s/stderr.log", tdir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	quiet_fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if ((f = fopen(p, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "FAIL ", 5) == 0)
			fputs(line, stderr);
	fclose(f);
}

#define T_RUN_QUIET(name, fn)	(quiet_fn = (fn), t_run((name), quietly))

void
test_main(void)
{
	log_init(1, 0);
	mktdir();
	t_run("open_dirs", t_open_dirs);
	t_run("ids", t_ids);
	t_run("trailer", t_trailer);
	t_run("commit_load_state", t_commit_load_state);
	T_RUN_QUIET("commit_refuses", t_commit_refuses);
	T_RUN_QUIET("torn_files", t_torn_files);
	T_RUN_QUIET("scan", t_scan);
	T_RUN_QUIET("write_fails", t_write_fails);
	T_RUN_QUIET("tmpfs_full", t_tmpfs_full);
	rmtree(tdir);
}
