/* The spool on disk: ids, durable commit of queue files, load with trailer check, scan. */
#include <sys/types.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "queue/spool.h"

#define TRAILER_MAGIC	"\nTEGAMI-TRAILER v1 "
#define ENVELOPE_MAX	(16 * 1024 * 1024)	/* the parser's own limit */

static int
open_subdir(const char *root, const char *name, const char **errstr)
{
	char	*path;
	int	 fd = -1;

	path = xasprintf("%s/%s", root, name);
	if (dio_mkdirs(path, 0700) == -1) {
		*errstr = "cannot create spool directory";
		goto fail;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		*errstr = "cannot open spool directory";
fail:
	free(path);
	return fd;
}

int
spool_open(struct spool *s, const char *root, const char **errstr)
{
	s->root = xstrdup(root);
	s->incoming_fd = s->queue_fd = s->corrupt_fd = -1;
	if ((s->incoming_fd = open_subdir(root, "incoming", errstr)) == -1 ||
	    (s->queue_fd = open_subdir(root, "queue", errstr)) == -1 ||
	    (s->corrupt_fd = open_subdir(root, "corrupt", errstr)) == -1)
		goto fail;
	return 0;
fail:
	spool_close(s);
	return -1;
}

void
spool_close(struct spool *s)
{
	int	 saved = errno;

	if (s->incoming_fd != -1)
		close(s->incoming_fd);
	if (s->queue_fd != -1)
		close(s->queue_fd);
	if (s->corrupt_fd != -1)
		close(s->corrupt_fd);
	s->incoming_fd = s->queue_fd = s->corrupt_fd = -1;
	x_free(&s->root);
	errno = saved;
}

int
spool_valid_id(const char *id)
{
	size_t	 i;

	for (i = 0; i < 16; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[16] == '\0';
}

/*
 * 64 random bits: with a million files in the spool, the chance that a new id
 * is taken is about 5 in 10^14. Nothing is looked up to rule it out; instead
 * nothing can be overwritten: spool_create opens with O_EXCL and the commit
 * renames without replacing, so a clash costs the client a 451, never a message.
 */
void
spool_new_id(char id[17])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 r[8];
	size_t			 i, got;
	ssize_t			 n;

	for (got = 0; got < sizeof(r); got += (size_t)n) {
		n = getrandom(r + got, sizeof(r) - got, 0);
		if (n == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			fatal("getrandom");
		}
	}
	for (i = 0; i < sizeof(r); i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 0xf];
	}
	id[16] = '\0';
}

int
spool_create(struct spool *s, const char *id)
{
	if (!spool_valid_id(id)) {
		errno = EINVAL;
		return -1;
	}
	return openat(s->incoming_fd, id,
	    O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
}

void
spool_abort(struct spool *s, const char *id)
{
	int	 saved = errno;

	if (spool_valid_id(id) && unlinkat(s->incoming_fd, id, 0) == -1 &&
	    errno != ENOENT)
		log_msg(LOG_WARNING, "%s spool=abort error=\"%s\"", id,
		    strerror(errno));
	errno = saved;
}

void
spool_trailer_format(char out[SPOOL_TRAILER_LEN], size_t msglen, size_t envlen)
{
	int	 n;

	n = snprintf(out, SPOOL_TRAILER_LEN, TRAILER_MAGIC "%zu %zu", msglen,
	    envlen);
	/* Two 20-digit numbers still leave room: the magic is 19 bytes. */
	if (n < 0 || n >= SPOOL_TRAILER_LEN - 1)
		fatalx("spool trailer overflow");
	memset(out + n, ' ', SPOOL_TRAILER_LEN - 1 - (size_t)n);
	out[SPOOL_TRAILER_LEN - 1] = '\n';
}

/* Reads a decimal size_t without sign, leading zeros or overflow; advances *pp. */
static int
parse_size(const char **pp, const char *end, size_t *out)
{
	const char	*p = *pp;
	size_t		 v = 0;

	if (p == end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < end &&
	    p[1] >= '0' && p[1] <= '9'))
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (SIZE_MAX - (size_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (size_t)(*p - '0');
	}
	*pp = p;
	*out = v;
	return 0;
}

int
spool_trailer_parse(const char *t, size_t len, size_t *msglen, size_t *envlen)
{
	const char	*p = t, *end = t + len;

	if (len != SPOOL_TRAILER_LEN || t[len - 1] != '\n' ||
	    memcmp(t, TRAILER_MAGIC, sizeof(TRAILER_MAGIC) - 1) != 0)
		return -1;
	p += sizeof(TRAILER_MAGIC) - 1;
	end--;
	if (parse_size(&p, end, msglen) == -1 || p == end || *p++ != ' ' ||
	    parse_size(&p, end, envlen) == -1)
		return -1;
	for (; p < end; p++)
		if (*p != ' ')
			return -1;
	return 0;
}

int
spool_commit(struct spool *s, const char *id, int fd, size_t msglen,
    struct envelope *e)
{
	struct buf	 b;
	struct stat	 st;
	char		 trailer[SPOOL_TRAILER_LEN];
	size_t		 envlen;
	int		 saved, renamed = 0;

	buf_init(&b, ENVELOPE_MAX + SPOOL_TRAILER_LEN);
	if (!spool_valid_id(id) || strcmp(e->id, id) != 0) {
		errno = EINVAL;
		goto fail;
	}
	/* The trailer's lengths must describe the file exactly. */
	if (fstat(fd, &st) == -1)
		goto fail;
	if ((uintmax_t)st.st_size != (uintmax_t)msglen) {
		log_msg(LOG_ERR, "%s spool=commit error=\"message is %jd bytes, "
		    "expected %zu\"", id, (intmax_t)st.st_size, msglen);
		errno = EIO;
		goto fail;
	}
	if (envelope_serialize(e, &b) == -1) {
		log_msg(LOG_ERR, "%s spool=commit error=\"envelope cannot be "
		    "stored\"", id);
		errno = EINVAL;
		goto fail;
	}
	envlen = b.len;
	/* The caller marks deliveries done in place: it needs their offsets in this file. */
	envelope_set_offsets(e, b.data, envlen, msglen);
	spool_trailer_format(trailer, msglen, envlen);
	if (buf_add(&b, trailer, sizeof(trailer)) == -1) {
		errno = EINVAL;
		goto fail;
	}
	if (msglen > (size_t)INTMAX_MAX) {
		errno = EFBIG;
		goto fail;
	}
	if (dio_pwrite(fd, b.data, b.len, (off_t)msglen) == -1 ||
	    dio_fsync(fd) == -1)
		goto fail;
	if (dio_renameat_new(s->incoming_fd, id, s->queue_fd, id) == -1)
		goto fail;
	renamed = 1;
	if (dio_fsync_dirfd(s->queue_fd) == -1)
		goto fail;
	buf_free(&b);
	return 0;
fail:
	saved = errno;
	/*
	 * The client will hear 4xx and send again; a queue file left behind
	 * would be delivered too, so it goes whichever directory it is in.
	 */
	if (spool_valid_id(id)) {
		if (renamed)
			unlinkat(s->queue_fd, id, 0);
		else
			unlinkat(s->incoming_fd, id, 0);
	}
	log_msg(LOG_WARNING, "%s spool=commit error=\"%s\"", id,
	    strerror(saved));
	buf_free(&b);
	errno = saved;
	return -1;
}

static void
quarantine(struct spool *s, const char *id, const char *why)
{
	if (renameat(s->queue_fd, id, s->corrupt_fd, id) == -1)
		log_msg(LOG_ERR, "%s spool=quarantine reason=\"%s\" "
		    "error=\"%s\"", id, why, strerror(errno));
	else
		log_msg(LOG_ERR, "%s spool=quarantine reason=\"%s\" "
		    "moved=corrupt/%s", id, why, id);
}

int
spool_load(struct spool *s, const char *id, struct envelope *e,
    size_t *msglen, const char **errstr)
{
	struct stat	 st;
	char		 trailer[SPOOL_TRAILER_LEN];
	char		*text = NULL;
	size_t		 size, mlen, elen;
	int		 fd = -1, saved, bad = 0;

	envelope_init(e);
	if (!spool_valid_id(id)) {
		*errstr = "bad queue id";
		errno = EINVAL;
		return -1;
	}
	if ((fd = openat(s->queue_fd, id, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		*errstr = "cannot open queue file";
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		*errstr = "cannot stat queue file";
		goto fail;
	}
	/* From here on, a mismatch is the file's fault; a failed read is not. */
	bad = 1;
	size = (size_t)st.st_size;
	if (!S_ISREG(st.st_mode)) {
		*errstr = "queue file is not a regular file";
		goto fail;
	}
	if (size < SPOOL_TRAILER_LEN) {
		*errstr = "queue file shorter than its trailer";
		goto fail;
	}
	if (dio_pread(fd, trailer, sizeof(trailer),
	    (off_t)(size - SPOOL_TRAILER_LEN)) == -1) {
		*errstr = "cannot read queue file";
		bad = 0;
		goto fail;
	}
	if (spool_trailer_parse(trailer, sizeof(trailer), &mlen, &elen) == -1) {
		*errstr = "missing or malformed trailer";
		goto fail;
	}
	if (mlen > size || elen > size - mlen ||
	    size - mlen - elen != SPOOL_TRAILER_LEN) {
		*errstr = "trailer lengths do not match the file size";
		goto fail;
	}
	if (elen > ENVELOPE_MAX) {
		*errstr = "envelope too large";
		goto fail;
	}
	text = xmalloc(elen + 1);
	if (dio_pread(fd, text, elen, (off_t)mlen) == -1) {
		*errstr = "cannot read queue file";
		bad = 0;
		goto fail;
	}
	if (envelope_parse(e, text, elen, mlen, errstr) == -1)
		goto fail;
	if (strcmp(e->id, id) != 0) {
		*errstr = "envelope id does not match the file name";
		envelope_free(e);
		goto fail;
	}
	free(text);
	*msglen = mlen;
	return fd;
fail:
	saved = errno;
	if (bad) {
		quarantine(s, id, *errstr);
		saved = EBADMSG;
	}
	free(text);
	close(fd);
	errno = saved;
	return -1;
}

int
spool_set_state(int fd, struct delivery *d, enum delivery_state state)
{
	char	 c = (char)state;

	if ((state != DSTATE_PENDING && state != DSTATE_DONE &&
	    state != DSTATE_FAILED) || d->state_offset == 0 ||
	    d->state_offset > (size_t)INTMAX_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (dio_pwrite(fd, &c, 1, (off_t)d->state_offset) == -1)
		return -1;
	d->state = state;
	return 0;
}

int
spool_remove(struct spool *s, const char *id)
{
	if (!spool_valid_id(id)) {
		errno = EINVAL;
		return -1;
	}
	return unlinkat(s->queue_fd, id, 0);
}

/* Opens a fresh stream on a directory fd without disturbing the fd itself. */
static DIR *
open_dir(int dirfd)
{
	DIR	*d;
	int	 fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

int
spool_scan(struct spool *s, void (*fn)(const char *, void *), void *arg)
{
	struct dirent	 *de;
	DIR		 *d;
	char		(*ids)[17] = NULL;
	size_t		  n = 0, cap = 0, i;
	int		  saved;

	/* Never acknowledged, so never owed: the client was not told 250. */
	if ((d = open_dir(s->incoming_fd)) == NULL)
		return -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(s->incoming_fd, de->d_name, 0) == -1)
			log_msg(LOG_WARNING, "%s spool=scan incoming=stale "
			    "error=\"%s\"", de->d_name, strerror(errno));
		else
			log_msg(LOG_INFO, "%s spool=scan incoming=removed",
			    de->d_name);
	}
	closedir(d);

	/*
	 * Ids are gathered first: fn may deliver and remove files, and a
	 * directory changed under readdir may skip or repeat entries.
	 */
	if ((d = open_dir(s->queue_fd)) == NULL)
		return -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!spool_valid_id(de->d_name)) {
			log_msg(LOG_WARNING, "spool=scan ignored=queue/%.64s",
			    de->d_name);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		memcpy(ids[n++], de->d_name, 17);
	}
	if (errno != 0) {
		saved = errno;
		closedir(d);
		free(ids);
		errno = saved;
		return -1;
	}
	closedir(d);
	for (i = 0; i < n; i++)
		fn(ids[i], arg);
	free(ids);
	return 0;
}
