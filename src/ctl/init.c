/* tegamictl init: a complete first configuration, its tables, a certificate and a DKIM key, and the checklist of what to do outside. */
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

#include "ctl/admin.h"
#include "ctl/ctl.h"
#include "ctl/dnsrec.h"
#include "ctl/import.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define INIT_DEFAULT_DIR	"/etc/tegami"

struct init_opts {
	const char	*domain;
	const char	*hostname;
	const char	*dir;
	const char	*listen;
	const char	*selector;
	const char	*address;	/* this server's public address, for the checklist */
	int		 self_contained;	/* spool, socket and mail under dir */
	int		 ports[5];	/* smtp, submission, smtps, imaps, pop3s */
};

#define INIT_USAGE	"tegamictl init --domain DOMAIN --hostname HOST [--dir DIR] " \
			"[--listen ADDRESS] [--ports SMTP,SUBMISSION,SMTPS[,IMAPS,POP3S]] " \
			"[--self-contained] [--selector S] [--address IP]"

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
int
init_make_cert(const char *host, const char *crt_path, const char *key_path)
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
	fprintf(stderr, "%s", tr("tegamictl init: cannot make the certificate\n"));
out:
	BIO_free(mem);
	BN_free(bn);
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ret;
}


static int
parse_opts(int argc, char **argv, struct init_opts *o, int *help)
{
	const char	*ports = NULL;
	int		 i, n, root = geteuid() == 0;
	const struct admin_opt opts[] = {
		{ "domain", 1, &o->domain, NULL },
		{ "hostname", 1, &o->hostname, NULL },
		{ "dir", 1, &o->dir, NULL },
		{ "listen", 1, &o->listen, NULL },
		{ "ports", 1, &ports, NULL },
		{ "selector", 1, &o->selector, NULL },
		{ "address", 1, &o->address, NULL },
		{ "self-contained", 0, NULL, &o->self_contained },
		{ NULL, 0, NULL, NULL },
	};


	memset(o, 0, sizeof(*o));
	o->dir = INIT_DEFAULT_DIR;
	o->listen = "any";
	o->selector = "s1";
	/* Unprivileged ports when not root, so that a first try works as anyone. */
	o->ports[0] = root ? 25 : 2525;
	o->ports[1] = root ? 587 : 2587;
	o->ports[2] = root ? 465 : 2465;
	o->ports[3] = root ? 993 : 2993;
	o->ports[4] = root ? 995 : 2995;
	if (admin_getopt("tegamictl init", argc - 1, argv + 1, opts, help, &n) == -1)
		return -1;
	if (*help)
		return 0;
	if (n > 0) {
		admin_fail("tegamictl init", tr("unexpected argument %s (usage: %s)"),
		    argv[1], INIT_USAGE);
		return -1;
	}
	if (ports != NULL) {
		n = sscanf(ports, "%d,%d,%d,%d,%d", &o->ports[0], &o->ports[1],
		    &o->ports[2], &o->ports[3], &o->ports[4]);
		for (i = 0; i < n; i++)
			if (o->ports[i] < 1 || o->ports[i] > 65535)
				n = 0;
		if (n != 3 && n != 5) {
			admin_fail("tegamictl init", tr("--ports takes 3 or 5 port "
			    "numbers separated by commas, not %s"), ports);
			return -1;
		}
	}
	if (o->domain == NULL || o->hostname == NULL) {
		admin_fail("tegamictl init", tr("--domain and --hostname are needed "
		    "(usage: %s)"), INIT_USAGE);
		return -1;
	}
	return 0;
}

struct init_paths {
	char	*conf, *domains, *vusers, *creds, *senders, *crt, *key, *dkim;
	char	*vmail, *spool, *sock;
};

static void
write_conf(struct buf *b, const struct init_opts *o, const struct init_paths *p,
    const char *user)
{
	const char	*h = o->hostname, *d = o->dir, *l = o->listen;

	buf_addf(b, "# tegami configuration written by tegamictl init; see "
	    "tegami.conf(5).\n"
	    "# Check it with: tegamid -n -f %s\n\n"
	    "hostname \"%s\"\n"
	    "spool \"%s\"\n"
	    "socket \"%s\"\n"
	    "user \"%s\"\n\n", p->conf, h, p->spool, p->sock, user);
	buf_addf(b, "# A self-signed certificate for a first start. With Let's "
	    "Encrypt (certbot):\n"
	    "#   pki %s cert \"/etc/letsencrypt/live/%s/fullchain.pem\"\n"
	    "#   pki %s key \"/etc/letsencrypt/live/%s/privkey.pem\"\n"
	    "# and `tegamictl reload` after each renewal (certbot's --deploy-hook).\n"
	    "pki %s cert \"%s\"\n"
	    "pki %s key \"%s\"\n\n", h, h, h, h, h, p->crt, h, p->key);
	buf_addf(b, "# Domains served here, their users (address -> the account "
	    "owning the mail),\n"
	    "# logins (tegamictl user add edits all of them) and what each login "
	    "may send as.\n"
	    "table domains file:%s\n"
	    "table vusers file:%s\n"
	    "table creds file:%s\n"
	    "table senders file:%s\n\n", p->domains, p->vusers, p->creds,
	    p->senders);
	buf_addf(b, "# Mail from the world: refused from addresses without a "
	    "name that leads back\n"
	    "# to them; SPF, DKIM and DMARC are checked and written into "
	    "Authentication-Results.\n"
	    "filter \"check-rdns\" phase connect match !rdns disconnect "
	    "\"550 5.7.1 no rDNS\"\n"
	    "filter \"check-fcrdns\" phase connect match !fcrdns disconnect "
	    "\"550 5.7.1 no FCrDNS\"\n"
	    "filter \"mail-auth\" check mail-auth\n"
	    "filter \"inbound\" chain { \"check-rdns\", \"check-fcrdns\", "
	    "\"mail-auth\" }\n"
	    "# Mail of your users is signed (the key: tegamictl dkim keygen).\n"
	    "filter \"dkim-%s\" dkim-sign domain %s selector %s key \"%s\"\n\n",
	    o->domain, o->domain, o->selector, p->dkim);
	buf_addf(b, "listen on %s port %d tls pki %s filter \"inbound\"\n"
	    "# Submission: TLS and a login first.\n"
	    "listen on %s port %d tls-require pki %s auth <creds> senders <senders> "
	    "filter \"dkim-%s\"\n"
	    "listen on %s port %d smtps pki %s auth <creds> senders <senders> "
	    "filter \"dkim-%s\"\n"
	    "# Reading mail.\n"
	    "listen on %s port %d imaps pki %s auth <creds>\n"
	    "listen on %s port %d pop3s pki %s auth <creds>\n\n",
	    l, o->ports[0], h, l, o->ports[1], h, o->domain, l, o->ports[2], h,
	    o->domain, l, o->ports[3], h, l, o->ports[4], h);
	buf_addf(b, "action \"deliver\" maildir \"%s/%%{dest.domain:lowercase}/"
	    "%%{dest.user:lowercase}/Maildir\" virtual <vusers>\n"
	    "action \"outbound\" relay\n\n"
	    "match from any for domain <domains> action \"deliver\"\n"
	    "match auth from any for any action \"outbound\"\n", p->vmail);
	(void)d;
}

/* The mail tree, made and given to its account: delivery agents write there as it. */
static int
make_vmail(const char *path, const char *account)
{
	struct passwd	*pw;

	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		admin_fail("tegamictl init", "%s: %s", path, strerror(errno));
		return -1;
	}
	if (geteuid() == 0 && (pw = getpwnam(account)) != NULL &&
	    chown(path, pw->pw_uid, pw->pw_gid) == -1) {
		admin_fail("tegamictl init", "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
checklist(const struct init_opts *o, const struct init_paths *p,
    const char *dkim_record, const char *account)
{
	char	 name[600], dm[400];
	const char *addr = o->address ? o->address : tr("<this server's address>");

	printf(tr("wrote %s\n  and the tables, the certificate %s\n  and the "
	    "DKIM key %s\n\n"), p->conf, p->crt, p->dkim);
	printf("%s", tr("1. Publish these DNS records (tegamictl dns DOMAIN --check "
	    "compares them with DNS):\n"));
	printf("  %s. IN MX 10 %s.\n", o->domain, o->hostname);
	printf("  %s. IN %s %s\n", o->hostname, o->address &&
	    strchr(o->address, ':') ? "AAAA" : "A", addr);
	printf("  %s. IN TXT \"%s\"\n", o->domain, DNSREC_SPF);
	snprintf(name, sizeof(name), "  %s._domainkey.%s", o->selector, o->domain);
	ctl_dkim_print_txt(stdout, name, dkim_record);
	dnsrec_dmarc_record(o->domain, dm, sizeof(dm));
	printf("  _dmarc.%s. IN TXT \"%s\"\n", o->domain, dm);
	printf(tr("  and ask whoever gave you the address (your hosting provider) "
	    "for its PTR record: %s -> %s\n\n"), addr, o->hostname);
	printf("%s", tr("2. Open these TCP ports to this server:\n"));
	printf(tr("  %d (mail from other servers), %d and %d (your users sending), "
	    "%d (IMAP), %d (POP3),\n  80 if Let's Encrypt's http-01 challenge "
	    "runs here; and out: 25 (to other servers), 53 (DNS)\n\n"),
	    o->ports[0], o->ports[1], o->ports[2], o->ports[3], o->ports[4]);
	printf("%s", tr("3. Add your users (the Maildir is made at once, owned by "
	    "the mail account):\n"));
	printf("  tegamictl -f %s user add you@%s\n", p->conf, o->domain);
	printf(tr("  tegamictl -f %s user passwd postmaster@%s   (postmaster@%s "
	    "gets mail already, as %s; this gives it a login)\n\n"), p->conf,
	    o->domain, o->domain, account);
	printf("%s", tr("4. Replace the self-signed certificate with Let's "
	    "Encrypt's:\n"));
	printf("  certbot certonly --standalone -d %s --deploy-hook \"tegamictl -f "
	    "%s reload\"\n", o->hostname, p->conf);
	printf("%s", tr("  then point the two pki lines of the configuration at "
	    "/etc/letsencrypt/live/HOST/\n\n"));
	/* As root the daemon runs as _tegami and mail is written as vmail. */
	if (geteuid() == 0 && (getpwnam("_tegami") == NULL ||
	    getpwnam(account) == NULL))
		printf(tr("  The accounts _tegami and %s are needed: make install "
		    "creates them (or useradd --system).\n"), account);
	printf("%s", tr("5. Check and start:\n"));
	printf("  tegamid -n -f %s\n", p->conf);
	printf(tr("  systemctl enable --now tegami   (or: tegamid -f %s)\n"),
	    p->conf);
}

int
ctl_init(int argc, char **argv)
{
	struct init_opts	 o;
	struct init_paths	 p;
	struct passwd		*pw;
	struct buf		 b, rec;
	char			**all[8];
	const char		*user, *account, *errstr;
	int			 i, help = 0, root = geteuid() == 0, rc = 1;
	int			 local;

	if (parse_opts(argc, argv, &o, &help) == -1)
		return 1;
	if (help)
		return admin_usage("tegamictl init", INIT_USAGE, 1);
	if (!name_ok(o.domain) || !name_ok(o.hostname)) {
		admin_fail("tegamictl init", "%s", tr("domain and host names may hold "
		    "letters, digits, dots and hyphens only"));
		return 1;
	}
	if (!name_ok(o.selector)) {
		admin_fail("tegamictl init", tr("a selector holds letters, digits, "
		    "'-' and '.' (not %s)"), o.selector);
		return 1;
	}
	if ((pw = getpwuid(getuid())) == NULL) {
		admin_fail("tegamictl init", "%s", tr("who am I? (no passwd entry)"));
		return 1;
	}
	/* As root, the system layout; otherwise (or asked) everything under dir. */
	local = !root || o.self_contained;
	user = root ? "_tegami" : pw->pw_name;
	account = root ? "vmail" : pw->pw_name;
	memset(&p, 0, sizeof(p));
	p.conf = xasprintf("%s/tegami.conf", o.dir);
	p.domains = xasprintf("%s/domains", o.dir);
	p.vusers = xasprintf("%s/vusers", o.dir);
	p.creds = xasprintf("%s/creds", o.dir);
	p.senders = xasprintf("%s/senders", o.dir);
	p.crt = xasprintf("%s/%s.crt", o.dir, o.hostname);
	p.key = xasprintf("%s/%s.key", o.dir, o.hostname);
	p.dkim = xasprintf("%s/dkim/%s.%s.key", o.dir, o.domain, o.selector);
	p.vmail = local ? xasprintf("%s/vmail", o.dir) : xstrdup("/var/vmail");
	p.spool = local ? xasprintf("%s/spool", o.dir) : xstrdup("/var/spool/tegami");
	p.sock = local ? xasprintf("%s/tegami.sock", o.dir) : xstrdup("/run/tegami.sock");
	all[0] = &p.conf; all[1] = &p.domains; all[2] = &p.vusers;
	all[3] = &p.creds; all[4] = &p.senders; all[5] = &p.crt;
	all[6] = &p.key; all[7] = &p.dkim;

	buf_init(&b, 0);
	buf_init(&rec, 0);
	if (mkdir(o.dir, 0755) == -1 && errno != EEXIST) {
		admin_fail("tegamictl init", "%s: %s", o.dir, strerror(errno));
		goto out;
	}
	/* All or nothing: an existing installation is never touched. */
	for (i = 0; i < 8; i++)
		if (access(*all[i], F_OK) == 0) {
			admin_fail("tegamictl init", tr("%s exists; refusing to "
			    "overwrite anything"), *all[i]);
			goto out;
		}
	write_conf(&b, &o, &p, user);
	if (write_new(p.conf, 0644, b.data, b.len) == -1)
		goto out;
	buf_reset(&b);
	buf_addf(&b, "%s\n", o.domain);
	if (write_new(p.domains, 0644, b.data, b.len) == -1)
		goto out;
	buf_reset(&b);
	buf_addf(&b, "# address  account-that-owns-the-mail (or: address  "
	    "other@address, ...)\npostmaster@%s\t%s\n", o.domain, account);
	if (write_new(p.vusers, 0644, b.data, b.len) == -1)
		goto out;
	if (write_new(p.creds, 0600, "", 0) == -1)
		goto out;
	buf_reset(&b);
	buf_adds(&b, "# login  addresses it may send as (user@domain or "
	    "@domain)\n");
	if (write_new(p.senders, 0644, b.data, b.len) == -1)
		goto out;
	if (init_make_cert(o.hostname, p.crt, p.key) == -1)
		goto out;
	if (ctl_dkim_generate(p.dkim, "rsa", 2048, &rec, &errstr) == -1) {
		admin_fail("tegamictl init", tr("cannot write %s: %s"), p.dkim, errstr);
		goto out;
	}
	if ((local || root) && make_vmail(p.vmail, account) == -1)
		goto out;
	checklist(&o, &p, rec.data, account);
	rc = 0;
out:
	buf_free(&b);
	buf_free(&rec);
	for (i = 0; i < 8; i++)
		free(*all[i]);
	free(p.vmail);
	free(p.spool);
	free(p.sock);
	return rc;
}
