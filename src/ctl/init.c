/* tegamictl init: a ready config, its tables and a self-signed certificate for a first start. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ctl/ctl.h"
#include "lib/buf.h"

#define INIT_DEFAULT_DIR	"/etc/tegami"

struct init_opts {
	const char	*domain;
	const char	*hostname;
	const char	*dir;
	const char	*listen;
	int		 ports[3];	/* smtp, submission, smtps */
};

static int
usage(void)
{
	fprintf(stderr, "usage: tegamictl init --domain DOMAIN --hostname HOST "
	    "[--dir DIR] [--listen ADDRESS] [--ports SMTP,SUBMISSION,SMTPS]\n");
	return 1;
}

/* A name we are about to put into a config and file names: no quoting games. */
static int
name_ok(const char *s)
{
	size_t	 i;

	if (*s == '\0' || strlen(s) > 253 || *s == '.' || *s == '-')
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/* Creates path exclusively with mode and writes data; never overwrites. */
static int
write_new(const char *path, mode_t mode, const char *data, size_t len)
{
	int	 fd;
	ssize_t	 w;
	size_t	 off = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) == -1) {
		fprintf(stderr, "tegamictl init: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fchmod(fd, mode);
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tegamictl init: %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fprintf(stderr, "tegamictl init: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* A P-256 key and a one-year self-signed certificate for host, SAN included. */
static int
make_cert(const char *host, const char *crt_path, const char *key_path)
{
	EVP_PKEY	*pkey = NULL;
	X509		*x = NULL;
	X509_EXTENSION	*ext = NULL;
	X509V3_CTX	 v3;
	BIO		*mem = NULL;
	BUF_MEM		*bm;
	unsigned char	 serial[16];
	BIGNUM		*bn = NULL;
	char		 san[300];
	int		 ret = -1;

	if ((pkey = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto fail;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	snprintf(san, sizeof(san), "DNS:%s", host);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san)) == NULL ||
	    !X509_add_ext(x, ext, -1))
		goto fail;
	if (X509_sign(x, pkey, EVP_sha256()) == 0)
		goto fail;

	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL))
		goto fail;
	BIO_get_mem_ptr(mem, &bm);
	if (write_new(key_path, 0600, bm->data, bm->length) == -1)
		goto out;
	BIO_free(mem);
	if ((mem = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(mem, x))
		goto fail;
	BIO_get_mem_ptr(mem, &bm);
	if (write_new(crt_path, 0644, bm->data, bm->length) == -1)
		goto out;
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "tegamictl init: cannot make the certificate\n");
out:
	BIO_free(mem);
	BN_free(bn);
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ret;
}

static int
parse_opts(int argc, char **argv, struct init_opts *o)
{
	int	 i, root = geteuid() == 0;

	memset(o, 0, sizeof(*o));
	o->dir = INIT_DEFAULT_DIR;
	o->listen = "any";
	/* Unprivileged ports when not root, so that a first try works as anyone. */
	o->ports[0] = root ? 25 : 2525;
	o->ports[1] = root ? 587 : 2587;
	o->ports[2] = root ? 465 : 2465;
	for (i = 1; i < argc; i++) {
		const char	*v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return -1;
		if (strcmp(argv[i], "--domain") == 0)
			o->domain = v;
		else if (strcmp(argv[i], "--hostname") == 0)
			o->hostname = v;
		else if (strcmp(argv[i], "--dir") == 0)
			o->dir = v;
		else if (strcmp(argv[i], "--listen") == 0)
			o->listen = v;
		else if (strcmp(argv[i], "--ports") == 0) {
			if (sscanf(v, "%d,%d,%d", &o->ports[0], &o->ports[1],
			    &o->ports[2]) != 3)
				return -1;
		} else
			return -1;
		i++;
	}
	if (o->domain == NULL || o->hostname == NULL)
		return -1;
	return 0;
}

static void
write_conf(struct buf *b, const struct init_opts *o, const char *user,
    const char *vmail, const char *spool, const char *sock)
{
	const char	*h = o->hostname, *d = o->dir, *l = o->listen;

	buf_addf(b, "# tegami configuration written by tegamictl init; see tegami.conf(5).\n"
	    "hostname \"%s\"\n"
	    "spool \"%s\"\n"
	    "socket \"%s\"\n"
	    "user \"%s\"\n\n", h, spool, sock, user);
	buf_addf(b, "# A self-signed certificate for a first start. With Let's Encrypt:\n"
	    "#   pki %s cert \"/etc/letsencrypt/live/%s/fullchain.pem\"\n"
	    "#   pki %s key \"/etc/letsencrypt/live/%s/privkey.pem\"\n"
	    "# and `tegamictl reload` after each renewal.\n"
	    "pki %s cert \"%s/%s.crt\"\n"
	    "pki %s key \"%s/%s.key\"\n\n", h, h, h, h, h, d, h, h, d, h);
	buf_addf(b, "table domains file:%s/domains\n"
	    "table vusers file:%s/vusers\n"
	    "table creds file:%s/creds\n"
	    "table senders file:%s/senders\n\n", d, d, d, d);
	buf_addf(b, "# Mail from the world, with STARTTLS offered.\n"
	    "listen on %s port %d tls pki %s\n"
	    "# Submission for your users: TLS and a login first; each user\n"
	    "# sends as the addresses <senders> lists for its login, no other.\n"
	    "listen on %s port %d tls-require pki %s auth <creds> senders <senders>\n"
	    "listen on %s port %d smtps pki %s auth <creds> senders <senders>\n\n",
	    l, o->ports[0], h, l, o->ports[1], h, l, o->ports[2], h);
	buf_addf(b, "action \"deliver\" maildir \"%s/%%{dest.domain:lowercase}/"
	    "%%{dest.user:lowercase}/Maildir\" virtual <vusers>\n"
	    "action \"outbound\" relay\n\n"
	    "match from any for domain <domains> action \"deliver\"\n"
	    "match auth from any for any action \"outbound\"\n", vmail);
}

int
ctl_init(int argc, char **argv)
{
	struct init_opts	 o;
	struct passwd		*pw;
	struct buf		 b;
	char			*paths[7];
	const char		*user, *account;
	char			 vmail[1024], spool[1024], sock[1024];
	int			 i, root = geteuid() == 0, rc = 1;

	if (parse_opts(argc, argv, &o) == -1)
		return usage();
	if (!name_ok(o.domain) || !name_ok(o.hostname)) {
		fprintf(stderr, "tegamictl init: domain and host names may hold "
		    "letters, digits, dots and hyphens only\n");
		return 1;
	}
	if ((pw = getpwuid(getuid())) == NULL) {
		fprintf(stderr, "tegamictl init: who am I?\n");
		return 1;
	}
	user = root ? "_tegami" : pw->pw_name;
	account = root ? "vmail" : pw->pw_name;
	snprintf(vmail, sizeof(vmail), "%s", root ? "/var/vmail" : "");
	if (!root)
		snprintf(vmail, sizeof(vmail), "%s/vmail", o.dir);
	snprintf(spool, sizeof(spool), "%s", root ? "/var/spool/tegami" : "");
	if (!root)
		snprintf(spool, sizeof(spool), "%s/spool", o.dir);
	snprintf(sock, sizeof(sock), "%s", root ? "/run/tegami.sock" : "");
	if (!root)
		snprintf(sock, sizeof(sock), "%s/tegami.sock", o.dir);

	if (mkdir(o.dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "tegamictl init: %s: %s\n", o.dir, strerror(errno));
		return 1;
	}
	if (asprintf(&paths[0], "%s/tegami.conf", o.dir) == -1 ||
	    asprintf(&paths[1], "%s/domains", o.dir) == -1 ||
	    asprintf(&paths[2], "%s/vusers", o.dir) == -1 ||
	    asprintf(&paths[3], "%s/creds", o.dir) == -1 ||
	    asprintf(&paths[4], "%s/%s.crt", o.dir, o.hostname) == -1 ||
	    asprintf(&paths[5], "%s/%s.key", o.dir, o.hostname) == -1 ||
	    asprintf(&paths[6], "%s/senders", o.dir) == -1) {
		fprintf(stderr, "tegamictl init: out of memory\n");
		return 1;
	}
	/* All or nothing: an existing installation is never touched. */
	for (i = 0; i < 7; i++)
		if (access(paths[i], F_OK) == 0) {
			fprintf(stderr, "tegamictl init: %s exists; refusing to "
			    "overwrite anything\n", paths[i]);
			goto out;
		}
	buf_init(&b, 0);
	write_conf(&b, &o, user, vmail, spool, sock);
	if (write_new(paths[0], 0644, b.data, b.len) == -1)
		goto outb;
	buf_reset(&b);
	buf_addf(&b, "%s\n", o.domain);
	if (write_new(paths[1], 0644, b.data, b.len) == -1)
		goto outb;
	buf_reset(&b);
	buf_addf(&b, "# virtual users: address  account-that-owns-the-mail-tree\n"
	    "postmaster@%s\t%s\n", o.domain, account);
	if (write_new(paths[2], 0644, b.data, b.len) == -1)
		goto outb;
	if (write_new(paths[3], 0600, "", 0) == -1)
		goto outb;
	buf_reset(&b);
	buf_addf(&b, "# senders: login  addresses it may send as (user@domain or "
	    "@domain, comma-separated)\n");
	if (write_new(paths[6], 0644, b.data, b.len) == -1)
		goto outb;
	if (make_cert(o.hostname, paths[4], paths[5]) == -1)
		goto outb;
	printf("wrote %s, %s, %s, %s,\n      %s, %s and %s\n\n", paths[0],
	    paths[1], paths[2], paths[3], paths[6], paths[4], paths[5]);
	printf("Next:\n"
	    "  1. add users (login and password for submission, the mailbox,\n"
	    "     and the addresses the login may send as):\n"
	    "       echo \"you@%s:$(tegamictl encrypt)\" >> %s\n"
	    "       printf 'you@%s\\t%s\\n' >> %s\n"
	    "       printf 'you@%s\\tyou@%s\\n' >> %s\n"
	    "  2. check the config:   tegamid -n -f %s\n"
	    "  3. start:              tegamid -f %s\n"
	    "  4. point pki at a real certificate (Let's Encrypt: see the comment "
	    "in the config)\n"
	    "     and publish MX and SPF records for %s.\n"
	    "DKIM keys and the DNS records to publish are not made by this version "
	    "yet (tegamictl dkim keygen comes later).\n",
	    o.domain, paths[3], o.domain, account, paths[2], o.domain, o.domain,
	    paths[6], paths[0], paths[0], o.domain);
	rc = 0;
outb:
	buf_free(&b);
out:
	for (i = 0; i < 7; i++)
		free(paths[i]);
	return rc;
}
