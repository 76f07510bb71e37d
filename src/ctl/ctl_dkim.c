/* tegamictl dkim keygen: a signing key (RSA or Ed25519) written once, and the TXT record to publish. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ctl/admin.h"
#include "ctl/ctl.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "mail/dkim_key.h"

#define DKIM_USAGE	"tegamictl dkim keygen DOMAIN [--selector S] " \
			"[--type rsa|ed25519] [--bits N] [--key FILE]"

/* Writes data to a new file of mode 0600: never over an existing key. */
static int
write_key(const char *path, const char *data, size_t len, const char **errstr)
{
	size_t	 off = 0;
	ssize_t	 w;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		*errstr = strerror(errno);
		return -1;
	}
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			*errstr = strerror(errno);
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		*errstr = strerror(errno);
		unlink(path);
		return -1;
	}
	return 0;
}

int
ctl_dkim_generate(const char *path, const char *type, int bits, struct buf *rec,
    const char **errstr)
{
	EVP_PKEY	*key = NULL;
	BIO		*mem = NULL;
	BUF_MEM		*bm;
	char		*copy, *dir;
	int		 r = -1;

	if (strcmp(type, "ed25519") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(type, "rsa") == 0) {
		if (bits < DKIM_RSA_MIN_BITS || bits > DKIM_RSA_SIGN_MAX_BITS) {
			*errstr = tr("RSA keys have 1024 to 4096 bits");
			return -1;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else {
		*errstr = tr("the key type is rsa or ed25519");
		return -1;
	}
	if (key == NULL) {
		*errstr = tr("cannot generate the key");
		return -1;
	}
	if (dkim_key_record(rec, key, errstr) == -1)
		goto out;
	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)) {
		*errstr = tr("cannot encode the key");
		goto out;
	}
	BIO_get_mem_ptr(mem, &bm);
	copy = xstrdup(path);
	dir = dirname(copy);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		*errstr = strerror(errno);
		free(copy);
		goto out;
	}
	free(copy);
	r = write_key(path, bm->data, bm->length, errstr);
	explicit_bzero(bm->data, bm->length);
out:
	BIO_free(mem);
	EVP_PKEY_free(key);
	return r;
}

void
ctl_dkim_print_txt(FILE *f, const char *name, const char *value)
{
	size_t	 len = strlen(value), off, n;

	/* One TXT string holds 255 octets; longer records are several strings. */
	if (len <= 255) {
		fprintf(f, "%s. IN TXT \"%s\"\n", name, value);
		return;
	}
	fprintf(f, "%s. IN TXT (", name);
	for (off = 0; off < len; off += n) {
		n = len - off > 255 ? 255 : len - off;
		fprintf(f, "\n    \"%.*s\"", (int)n, value + off);
	}
	fprintf(f, " )\n");
}

int
ctl_dkim(const char *conf, int argc, char **argv)
{
	const char	*prog = "tegamictl dkim keygen", *selector = "s1";
	const char	*type = "rsa", *bits_s = NULL, *key = NULL, *errstr;
	struct buf	 rec;
	char		 domain[256], *path, *copy, name[600];
	long		 bits = 2048;
	int		 help = 0, n;
	const struct admin_opt opts[] = {
		{ "selector", 1, &selector, NULL },
		{ "type", 1, &type, NULL },
		{ "bits", 1, &bits_s, NULL },
		{ "key", 1, &key, NULL },
		{ NULL, 0, NULL, NULL },
	};

	if (argc < 2 || strcmp(argv[1], "keygen") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0))
			return admin_usage(prog, DKIM_USAGE, 1);
		return admin_usage("tegamictl dkim", DKIM_USAGE, 0);
	}
	if (admin_getopt(prog, argc - 2, argv + 2, opts, &help, &n) == -1)
		return 1;
	if (help)
		return admin_usage(prog, DKIM_USAGE, 1);
	if (n != 1)
		return admin_fail(prog, "%s", tr("which domain?"));
	if (admin_domain(argv[2], domain, sizeof(domain), &errstr) == -1)
		return admin_fail(prog, "%s: %s", argv[2], errstr);
	if (bits_s != NULL) {
		char	*end;

		bits = strtol(bits_s, &end, 10);
		if (*end != '\0' || end == bits_s)
			return admin_fail(prog, tr("%s is no number of bits"), bits_s);
	}
	if (bits_s != NULL && strcmp(type, "ed25519") == 0)
		return admin_fail(prog, "%s", tr("an Ed25519 key has no number of "
		    "bits to choose (--bits is for RSA)"));
	if (strspn(selector, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
	    strlen(selector) || *selector == '\0' || strlen(selector) > 63)
		return admin_fail(prog, tr("a selector holds lowercase letters, "
		    "digits, '-' and '.' (not %s)"), selector);
	if (key != NULL)
		path = xstrdup(key);
	else {
		copy = xstrdup(conf);
		path = xasprintf("%s/dkim/%s.%s.key", dirname(copy), domain, selector);
		free(copy);
	}
	buf_init(&rec, 0);
	if (ctl_dkim_generate(path, type, (int)bits, &rec, &errstr) == -1) {
		buf_free(&rec);
		n = admin_fail(prog, tr("cannot write %s: %s"), path, errstr);
		free(path);
		return n;
	}
	printf(tr("wrote the private key %s (mode 600)\n\n"), path);
	printf("%s", tr("Publish this TXT record:\n"));
	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	ctl_dkim_print_txt(stdout, name, rec.data);
	printf("%s", tr("\nand sign outgoing mail with it (tegami.conf, then "
	    "tegamictl reload):\n"));
	printf("  filter \"dkim-%s\" dkim-sign domain %s selector %s key \"%s\"\n",
	    domain, domain, selector, path);
	printf(tr("  and on the submission listeners: filter \"dkim-%s\"\n"),
	    domain);
	buf_free(&rec);
	free(path);
	return 0;
}
