/* Bundles of configuration files: kept by the parent, sent to children as sealed memory files. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/bundle.h"
#include "lib/buf.h"
#include "lib/dio.h"
#include "lib/xalloc.h"

#define BUNDLE_MAGIC	"TEGAMI-BUNDLE 1\n"
#define BUNDLE_PATH_MAX	4096

struct bundle *
bundle_new(void)
{
	return xcalloc(1, sizeof(struct bundle));
}

static void
file_clear(struct bundle_file *f)
{
	if (f->data != NULL) {
		explicit_bzero(f->data, f->len);
		free(f->data);
	}
	free(f->path);
}

void
bundle_free(struct bundle *b)
{
	size_t	 i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nfiles; i++)
		file_clear(&b->files[i]);
	free(b->files);
	free(b);
}

static struct bundle_file *
find(const struct bundle *b, const char *path)
{
	size_t	 i;

	for (i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i].path, path) == 0)
			return &b->files[i];
	return NULL;
}

const struct bundle_file *
bundle_get(const struct bundle *b, const char *path)
{
	return find(b, path);
}

static void
put(struct bundle *b, enum bundle_kind kind, const char *path, const char *data,
    size_t len, int withheld)
{
	struct bundle_file	*f;

	if ((f = find(b, path)) != NULL)
		file_clear(f);
	else {
		b->files = xreallocarray(b->files, b->nfiles + 1, sizeof(*b->files));
		f = &b->files[b->nfiles++];
	}
	f->kind = kind;
	f->path = xstrdup(path);
	f->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	f->withheld = withheld;
}

void
bundle_put(struct bundle *b, enum bundle_kind kind, const char *path,
    const char *data, size_t len)
{
	put(b, kind, path, data, len, 0);
}

struct bundle *
bundle_copy(const struct bundle *b)
{
	struct bundle	*c = bundle_new();
	size_t		 i;

	for (i = 0; i < b->nfiles; i++)
		put(c, b->files[i].kind, b->files[i].path, b->files[i].data,
		    b->files[i].len, b->files[i].withheld);
	return c;
}

/* Little-endian fixed-width numbers: a bundle never leaves the machine, but be exact. */
static void
add_u64(struct buf *out, uint64_t v)
{
	unsigned char	 b[8];
	int		 i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	buf_add(out, b, 8);
}

static int
get_u64(const unsigned char *p, size_t len, size_t *off, uint64_t *v)
{
	int	 i;

	if (len - *off < 8)
		return -1;
	*v = 0;
	for (i = 0; i < 8; i++)
		*v |= (uint64_t)p[*off + (size_t)i] << (8 * i);
	*off += 8;
	return 0;
}

int
bundle_to_fd(const struct bundle *b, int (*keep)(const struct bundle_file *, void *),
    void *arg)
{
	struct buf	 out;
	size_t		 i;
	int		 fd = -1, saved;

	buf_init(&out, BUNDLE_SIZE_MAX);
	/*
	 * One allocation of the whole size: growing by reallocation would
	 * leave copies of keys and password hashes in freed memory, which the
	 * parent's next children inherit.
	 */
	{
		size_t	 total = sizeof(BUNDLE_MAGIC) + 8;

		for (i = 0; i < b->nfiles; i++)
			total += 32 + strlen(b->files[i].path) + b->files[i].len;
		if (total <= BUNDLE_SIZE_MAX) {
			out.data = xmalloc(total + 1);
			out.cap = total + 1;
			out.data[0] = '\0';
		}
	}
	buf_adds(&out, BUNDLE_MAGIC);
	add_u64(&out, b->nfiles);
	for (i = 0; i < b->nfiles; i++) {
		const struct bundle_file	*f = &b->files[i];
		int				 withheld = f->withheld ||
						    (keep != NULL && !keep(f, arg));
		size_t				 plen = strlen(f->path);

		add_u64(&out, (uint64_t)f->kind);
		add_u64(&out, (uint64_t)withheld);
		add_u64(&out, plen);
		add_u64(&out, withheld ? 0 : f->len);
		buf_add(&out, f->path, plen);
		if (!withheld && buf_add(&out, f->data, f->len) == -1) {
			buf_free(&out);
			errno = EFBIG;
			return -1;
		}
	}
	if ((fd = memfd_create("tegami-conf", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		goto fail;
	if (dio_write(fd, out.data, out.len) == -1)
		goto fail;
	/* The receiver reads what was sent, and nobody changes it meanwhile. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
	    F_SEAL_SEAL) == -1)
		goto fail;
	explicit_bzero(out.data, out.len);
	buf_free(&out);
	return fd;
fail:
	saved = errno;
	if (out.data)
		explicit_bzero(out.data, out.len);
	buf_free(&out);
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

struct bundle *
bundle_from_buffer(const char *data, size_t len, const char **errstr)
{
	const unsigned char	*p = (const unsigned char *)data;
	struct bundle		*b;
	uint64_t		 n, kind, withheld, plen, dlen, i;
	size_t			 off = sizeof(BUNDLE_MAGIC) - 1;
	char			*path;

	if (len < off || memcmp(data, BUNDLE_MAGIC, off) != 0) {
		*errstr = "not a configuration bundle";
		return NULL;
	}
	if (get_u64(p, len, &off, &n) == -1 || n > BUNDLE_FILES_MAX) {
		*errstr = "bad file count";
		return NULL;
	}
	b = bundle_new();
	for (i = 0; i < n; i++) {
		if (get_u64(p, len, &off, &kind) == -1 || kind > BUNDLE_META ||
		    get_u64(p, len, &off, &withheld) == -1 || withheld > 1 ||
		    get_u64(p, len, &off, &plen) == -1 || plen == 0 ||
		    plen > BUNDLE_PATH_MAX || get_u64(p, len, &off, &dlen) == -1 ||
		    plen > len - off || dlen > len - off - plen) {
			*errstr = "truncated or malformed file entry";
			bundle_free(b);
			return NULL;
		}
		path = xstrndup(data + off, (size_t)plen);
		if (strlen(path) != plen) {
			*errstr = "NUL in a path";
			free(path);
			bundle_free(b);
			return NULL;
		}
		off += (size_t)plen;
		put(b, (enum bundle_kind)kind, path, data + off, (size_t)dlen,
		    (int)withheld);
		off += (size_t)dlen;
		free(path);
	}
	if (off != len) {
		*errstr = "bytes after the last file";
		bundle_free(b);
		return NULL;
	}
	return b;
}

struct bundle *
bundle_from_fd(int fd, const char **errstr)
{
	struct stat	 st;
	struct bundle	*b;
	void		*m;

	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    (uint64_t)st.st_size > BUNDLE_SIZE_MAX) {
		*errstr = "cannot read the configuration bundle";
		return NULL;
	}
	if ((m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		*errstr = "cannot map the configuration bundle";
		return NULL;
	}
	b = bundle_from_buffer(m, (size_t)st.st_size, errstr);
	munmap(m, (size_t)st.st_size);
	return b;
}
