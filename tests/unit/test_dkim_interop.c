/*
 * DKIM against independent implementations, with no DNS: dkimpy (python3-dkim)
 * and OpenDKIM (opendkim's test mode with TestPublicKeys, opendkim-genkey)
 * verify what tegami signs, and tegami verifies what they sign.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim_util.h"
#include "harness.h"
#include "lib/buf.h"
#include "mail/dkim.h"
#include "mail/dkim_tags.h"

#define PYTHON		"/usr/bin/python3"
#define HELPER		"tests/unit/dkim_interop.py"
#define OPENDKIM	"/usr/sbin/opendkim"
#define GENKEY		"/usr/sbin/opendkim-genkey"
#define T_NOW		((time_t)time(NULL))

static char	 dir[64];

static const char message[] =
    "Received: from client.example.org by mx.example.org; Tue, 1 Jan 2030\n"
    "\t00:00:00 +0000\n"
    "From: \"Joe Q. Public\"  <joe@example.org>\n"
    "To: Suzie <suzie@example.net>,\n"
    "  Bob <bob@example.net>\n"
    "Subject:  Lunch \t plans\n"
    "Date: Tue, 1 Jan 2030 00:00:00 +0000\n"
    "Message-ID: <interop-1@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Hi  Suzie,\t\n"
    "\n"
    "  Noon at the usual place?  \n"
    "-- \n"
    "Joe\n"
    "\n"
    "\n";

static int
write_file(const char *name, const char *data, size_t len)
{
	char	 path[128];
	FILE	*f;
	int	 rc;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

/* Runs a shell command; its output (stdout and stderr) into out. Returns the exit status. */
static int
run(struct buf *out, const char *fmt, ...)
{
	char	 cmd[1024], chunk[4096];
	va_list	 ap;
	FILE	*p;
	size_t	 n;
	int	 st;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	buf_reset(out);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		(void)buf_add(out, chunk, n);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	for (; hay != NULL && (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

/* The key files the other implementations read: PEM for RSA, the base64 seed for dkimpy's Ed25519. */
static int
write_key(const char *name, EVP_PKEY *key)
{
	unsigned char	 seed[32];
	char		 b64s[64], path[128];
	size_t		 len = sizeof(seed);
	FILE		*f;
	int		 rc;

	(void)snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	rc = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1 ?
	    0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	if (EVP_PKEY_is_a(key, "ED25519")) {
		if (EVP_PKEY_get_raw_private_key(key, seed, &len) != 1 ||
		    dkim_b64_encode(seed, len, b64s, sizeof(b64s)) == -1)
			rc = -1;
		else {
			(void)snprintf(path, sizeof(path), "%s.seed", name);
			rc |= write_file(path, b64s, strlen(b64s));
		}
		explicit_bzero(seed, sizeof(seed));
		explicit_bzero(b64s, sizeof(b64s));
	}
	return rc;
}

static int
have(const char *path)
{
	if (access(path, X_OK) == 0)
		return 1;
	t_fail(__FILE__, __LINE__, "%s is missing (scripts/install-deps.sh "
	    "installs it)", path);
	return 0;
}

/* ---- the keys, and the messages each side signs ---- */

struct keyset {
	EVP_PKEY	*rsa, *ed;
	char		 recs[4096];	/* "NAME RECORD" lines */
};

static int
keyset_load(struct keyset *k)
{
	memset(k, 0, sizeof(*k));
	if ((k->rsa = t_key("rsa2048.pem")) == NULL ||
	    (k->ed = t_key("ed25519.pem")) == NULL)
		return -1;
	(void)snprintf(k->recs, sizeof(k->recs),
	    "rsa._domainkey.example.org %s\n", t_record(k->rsa));
	(void)snprintf(k->recs + strlen(k->recs), sizeof(k->recs) -
	    strlen(k->recs), "ed._domainkey.example.org %s\n",
	    t_record(k->ed));
	if (write_file("records", k->recs, strlen(k->recs)) == -1 ||
	    write_key("rsa", k->rsa) == -1 || write_key("ed", k->ed) == -1)
		return -1;
	return 0;
}

static void
keyset_free(struct keyset *k)
{
	EVP_PKEY_free(k->rsa);
	EVP_PKEY_free(k->ed);
}

static const struct keymap *
keymap_of(const struct keyset *k)
{
	static char		 r1[1200], r2[200];
	static struct keymap	 km[3];

	(void)snprintf(r1, sizeof(r1), "%s", t_record(k->rsa));
	(void)snprintf(r2, sizeof(r2), "%s", t_record(k->ed));
	km[0] = (struct keymap){ "rsa._domainkey.example.org", r1 };
	km[1] = (struct keymap){ "ed._domainkey.example.org", r2 };
	km[2] = (struct keymap){ NULL, NULL };
	return km;
}

static const char *const canon_name[] = { "simple", "relaxed" };

/*
 * OpenDKIM's test mode hands header fields over as a milter gets them,
 * and rebuilds each as "Name: value": the white space after the colon is
 * lost to simple header canonicalization (it signs, and checks, the
 * rebuilt field). For simple headers it gets a message with exactly one
 * space after every colon; dkimpy and tegami take `message` as it is.
 */
static const char tidy[] =
    "From: \"Joe Q. Public\" <joe@example.org>\n"
    "To: Suzie <suzie@example.net>,\n"
    "  Bob <bob@example.net>\n"
    "Subject: Lunch \t plans \n"
    "Date: Tue, 1 Jan 2030 00:00:00 +0000\n"
    "Message-ID: <interop-2@example.org>\n"
    "\n"
    "Hi  Suzie,\t\n"
    "\n"
    "  Noon at the usual place?  \n"
    "\n";

/*
 * Messages tegami signs: msg-N for N = canon * 4 + form * 2 + tampered,
 * canon = hcanon + 2 * bcanon, form 1 for CRLF; each signed with both
 * keys at once; the tampered ones have a letter of the body changed.
 * simple_base is the message for simple header canonicalization.
 */
#define NSIGNED	16

static int
tegami_sign_all(const struct keyset *k, const char *base,
    const char *simple_base, char *names, size_t namessz)
{
	struct dkim_signer	 s[2];
	char			*sm, *crlf, *t, file[32];
	const char		*src;
	size_t			 len, crlflen, srclen;
	int			 i, c, form, bad;

	s[0] = (struct dkim_signer){ "example.org", "rsa", k->rsa,
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, NULL, DKIM_ALG_UNKNOWN };
	s[1] = (struct dkim_signer){ "example.org", "ed", k->ed,
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, "joe@example.org",
	    T_NOW + 86400, NULL, DKIM_ALG_UNKNOWN };
	names[0] = '\0';
	for (i = 0; i < NSIGNED; i++) {
		c = i / 4;
		form = (i / 2) % 2;
		bad = i % 2;
		src = c % 2 == 0 ? simple_base : base;
		crlf = t_crlf(src, &crlflen);
		srclen = strlen(src);
		s[0].hcanon = s[1].hcanon = (enum dkim_canon)(c % 2);
		s[0].bcanon = s[1].bcanon = (enum dkim_canon)(c / 2);
		sm = t_sign(s, 2, T_NOW, form ? crlf : src, form ? crlflen :
		    srclen, form ? DKIM_SIG_CRLF : 0, &len);
		free(crlf);
		if (sm == NULL)
			return -1;
		if (bad && (t = strstr(sm, "Noon")) != NULL)
			t[0] = 'M';
		(void)snprintf(file, sizeof(file), "msg-%d", i);
		if (write_file(file, sm, len) == -1) {
			free(sm);
			return -1;
		}
		free(sm);
		(void)snprintf(names + strlen(names), namessz - strlen(names),
		    "%s%s/%s", i ? "," : "", dir, file);
	}
	return 0;
}

/* ---- dkimpy ---- */

static void
test_dkimpy_verifies_tegami(void)
{
	struct keyset	 k;
	struct buf	 out;
	char		 names[2048], *p, *line;
	int		 i;

	if (!have(PYTHON))
		return;
	T_EQ_INT(keyset_load(&k), 0);
	buf_init(&out, 0);
	T_EQ_INT(tegami_sign_all(&k, message, message, names, sizeof(names)),
	    0);
	for (p = names; (p = strchr(p, ',')) != NULL;)
		*p = ' ';
	T_EQ_INT(run(&out, PYTHON " " HELPER " verify %s/records %s 2>&1", dir,
	    names), 0);
	for (i = 0, line = out.data; i < NSIGNED; i++) {
		const char	*want = i % 2 ? "fail fail\n" : "pass pass\n";

		if (line == NULL || strncmp(line, want, strlen(want)) != 0) {
			t_fail(__FILE__, __LINE__, "msg-%d (c=%s/%s %s%s): "
			    "dkimpy says: %s", i, canon_name[i / 4 % 2],
			    canon_name[i / 8], i / 2 % 2 ? "CRLF" : "LF",
			    i % 2 ? ", changed" : "", line ? line : "nothing");
			break;
		}
		line = strchr(line, '\n') + 1;
	}
	buf_free(&out);
	keyset_free(&k);
}

static void
test_tegami_verifies_dkimpy(void)
{
	struct keyset		 k;
	struct dkim_verdict	 v[2];
	struct buf		 out;
	char			 name[128], path[192], *m, *t;
	size_t			 len;
	int			 alg, hc, bc, form, l, n = 0;

	if (!have(PYTHON))
		return;
	T_EQ_INT(keyset_load(&k), 0);
	buf_init(&out, 0);
	T_EQ_INT(write_file("plain", message, strlen(message)), 0);
	T_EQ_INT(run(&out, PYTHON " " HELPER " sign %s/plain %s 2>&1", dir,
	    dir), 0);
	for (alg = 0; alg < 2; alg++)
		for (hc = 0; hc < 2; hc++)
			for (bc = 0; bc < 2; bc++)
				for (form = 0; form < 2; form++)
					for (l = 0; l < 2; l++) {
		(void)snprintf(name, sizeof(name), "py-%s-%s-%s-%s-%d",
		    alg ? "ed" : "rsa", canon_name[hc], canon_name[bc],
		    form ? "crlf" : "lf", l);
		(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((m = t_slurp(path, &len)) == NULL) {
			t_fail(__FILE__, __LINE__, "no %s: %s", name, out.data);
			return;
		}
		T_EQ_INT(t_verify(m, len, keymap_of(&k), T_NOW, 7, v, 2), 1);
		if (v[0].result != DKIM_PASS)
			t_fail(__FILE__, __LINE__, "%s: %s", name, v[0].detail);
		T_EQ_INT(v[0].alg, alg ? DKIM_ALG_ED25519_SHA256 :
		    DKIM_ALG_RSA_SHA256);
		/* A changed body fails (l= covers all of it here). */
		T_ASSERT((t = strstr(m, "Noon")) != NULL);
		t[0] = 'M';
		T_EQ_INT(t_verify(m, len, keymap_of(&k), T_NOW, 0, v, 2), 1);
		T_EQ_INT(v[0].reason, DKIM_R_BODY_HASH);
		free(m);
		n++;
	}
	T_EQ_INT(n, 32);
	buf_free(&out);
	keyset_free(&k);
}

/* ---- OpenDKIM ---- */

/*
 * OpenDKIM's test mode on the comma-separated files: with -vv it prints on
 * stdout, file after file, the Authentication-Results it would add, as
 * "### INSHEADER: ... hname='Authentication-Results' hvalue='...'". (Its
 * stderr is buffered differently, so it is left out.)
 */
static int
opendkim_verify(struct buf *out, const char *recs, const char *files)
{
	char	 conf[256];

	(void)snprintf(conf, sizeof(conf), "Mode v\nTestPublicKeys %s/keys\n",
	    dir);
	/* TestPublicKeys lines are "NAME RECORD", as our records file. */
	if (write_file("opendkim.conf", conf, strlen(conf)) == -1 ||
	    write_file("keys", recs, strlen(recs)) == -1)
		return -1;
	return run(out, OPENDKIM " -x %s/opendkim.conf -vv -t %s 2>/dev/null",
	    dir, files);
}

/* The Authentication-Results OpenDKIM printed for the i-th file. */
static char *
report_of(const char *out, int i)
{
	const char	*p = out, *end;

	for (; i >= 0; i--)
		if ((p = strstr(p, "### INSHEADER:")) == NULL)
			return NULL;
		else if (i > 0)
			p++;
	end = strstr(p + 1, "### INSHEADER:");
	return end ? strndup(p, (size_t)(end - p)) : strdup(p);
}

static void
test_opendkim_verifies_tegami(void)
{
	struct keyset	 k;
	struct buf	 out;
	char		 names[2048], *rep;
	int		 i;

	if (!have(OPENDKIM))
		return;
	T_EQ_INT(keyset_load(&k), 0);
	buf_init(&out, 0);
	T_EQ_INT(tegami_sign_all(&k, message, tidy, names, sizeof(names)), 0);
	T_EQ_INT(opendkim_verify(&out, k.recs, names), 0);
	for (i = 0; i < NSIGNED; i++) {
		rep = report_of(out.data, i);
		if (rep == NULL || count(rep, i % 2 ? "dkim=fail" :
		    "dkim=pass") != 2 || count(rep, "header.a=ed25519-sha256") !=
		    1)
			t_fail(__FILE__, __LINE__, "msg-%d (c=%s/%s %s%s): "
			    "OpenDKIM says: %s", i, canon_name[i / 4 % 2],
			    canon_name[i / 8], i / 2 % 2 ? "CRLF" : "LF",
			    i % 2 ? ", changed" : "", rep ? rep : out.data);
		free(rep);
	}
	buf_free(&out);
	keyset_free(&k);
}

/*
 * OpenDKIM signs in its test mode; for each file it prints
 * "opendkim: FILE:" and the DKIM-Signature field it would add. Returns the
 * field (with its line end) for file, or NULL.
 */
static char *
field_of(const char *out, const char *file)
{
	char		 key[192];
	const char	*p, *end;

	(void)snprintf(key, sizeof(key), "opendkim: %s:\n", file);
	if ((p = strstr(out, key)) == NULL)
		return NULL;
	p += strlen(key);
	if (strncmp(p, "DKIM-Signature:", 15) != 0)
		return NULL;
	/* The field ends at the first line that is not a continuation. */
	for (end = p; (end = strchr(end, '\n')) != NULL; end++)
		if (end[1] != '\t' && end[1] != ' ')
			break;
	return end ? strndup(p, (size_t)(end + 1 - p)) : NULL;
}

static void
test_tegami_verifies_opendkim(void)
{
	struct keyset		 k;
	struct dkim_verdict	 v[2];
	struct buf		 out, m;
	char			 conf[512], files[512], path[128], *f, *crlf, *t;
	const char		*src;
	size_t			 crlflen;
	int			 alg, hc, bc, form;

	if (!have(OPENDKIM))
		return;
	T_EQ_INT(keyset_load(&k), 0);
	buf_init(&out, 0);
	buf_init(&m, 0);
	for (alg = 0; alg < 2; alg++)
		for (hc = 0; hc < 2; hc++)
			for (bc = 0; bc < 2; bc++) {
		/*
		 * OpenDKIM 2.11.0~beta2 makes Ed25519 signatures with simple
		 * header canonicalization that it does not verify itself (nor
		 * do dkimpy and tegami); its RSA ones are fine.
		 */
		if (alg == 1 && hc == DKIM_CANON_SIMPLE)
			continue;
		src = hc == DKIM_CANON_SIMPLE ? tidy : message;
		crlf = t_crlf(src, &crlflen);
		T_EQ_INT(write_file("plain-lf", src, strlen(src)), 0);
		T_EQ_INT(write_file("plain-crlf", crlf, crlflen), 0);
		(void)snprintf(conf, sizeof(conf), "Mode s\nDomain example.org\n"
		    "Selector %s\nKeyFile %s/%s.pem\nSignatureAlgorithm %s\n"
		    "Canonicalization %s/%s\nRequireSafeKeys false\n",
		    alg ? "ed" : "rsa", dir, alg ? "ed" : "rsa",
		    alg ? "ed25519-sha256" : "rsa-sha256", canon_name[hc],
		    canon_name[bc]);
		T_EQ_INT(write_file("opendkim.conf", conf, strlen(conf)), 0);
		(void)snprintf(files, sizeof(files), "%s/plain-lf,%s/plain-crlf",
		    dir, dir);
		T_EQ_INT(run(&out, OPENDKIM " -x %s/opendkim.conf -t %s 2>&1",
		    dir, files), 0);
		for (form = 0; form < 2; form++) {
			(void)snprintf(path, sizeof(path), "%s/plain-%s", dir,
			    form ? "crlf" : "lf");
			if ((f = field_of(out.data, path)) == NULL) {
				t_fail(__FILE__, __LINE__, "OpenDKIM: %s",
				    out.data);
				break;
			}
			buf_reset(&m);
			(void)buf_adds(&m, f);
			(void)buf_add(&m, form ? crlf : src, form ? crlflen :
			    strlen(src));
			free(f);
			T_EQ_INT(t_verify(m.data, m.len, keymap_of(&k), T_NOW,
			    3, v, 2), 1);
			if (v[0].result != DKIM_PASS)
				t_fail(__FILE__, __LINE__, "alg %d c=%s/%s "
				    "form %d: %s", alg, canon_name[hc],
				    canon_name[bc], form, v[0].detail);
			T_EQ_INT(v[0].alg, alg ? DKIM_ALG_ED25519_SHA256 :
			    DKIM_ALG_RSA_SHA256);
			/* The control: a changed Subject fails. */
			T_ASSERT((t = strstr(m.data, "Lunch")) != NULL);
			t[0] = 'B';
			T_EQ_INT(t_verify(m.data, m.len, keymap_of(&k), T_NOW,
			    0, v, 2), 1);
			T_EQ_INT(v[0].reason, DKIM_R_SIGNATURE);
		}
		free(crlf);
	}
	buf_free(&out);
	buf_free(&m);
	keyset_free(&k);
}

/* A key and record made by opendkim-genkey: tegami signs with the one and checks with the other, and so do both others. */
static void
test_opendkim_genkey(void)
{
	struct dkim_signer	 s = { "example.org", "gen", NULL,
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, NULL, DKIM_ALG_UNKNOWN };
	struct dkim_verdict	 v[2];
	struct dkim_key		 key;
	struct keymap		 km[2];
	struct keyset		 k;
	struct buf		 out, rec;
	const char		*errstr, *p, *q;
	char			 path[128], *pem, *txt, *sm;
	size_t			 len;

	if (!have(GENKEY) || !have(OPENDKIM) || !have(PYTHON))
		return;
	buf_init(&out, 0);
	buf_init(&rec, 0);
	T_EQ_INT(run(&out, GENKEY " -b 2048 -h sha256 -r -s gen -d example.org "
	    "-D %s 2>&1", dir), 0);
	(void)snprintf(path, sizeof(path), "%s/gen.private", dir);
	T_ASSERT((pem = t_slurp(path, &len)) != NULL);
	T_EQ_INT(dkim_key_load_private(pem, len, &s.key, &errstr), 0);
	explicit_bzero(pem, len);
	free(pem);
	/* The zone file line: the quoted strings joined, as a resolver hands them over. */
	(void)snprintf(path, sizeof(path), "%s/gen.txt", dir);
	T_ASSERT((txt = t_slurp(path, &len)) != NULL);
	for (p = txt; (p = strchr(p, '"')) != NULL; p = q + 1) {
		T_ASSERT((q = strchr(p + 1, '"')) != NULL);
		(void)buf_add(&rec, p + 1, (size_t)(q - p - 1));
	}
	free(txt);
	T_EQ_INT(dkim_key_parse(&key, rec.data, rec.len, &errstr), 0);
	T_EQ_INT(key.bits, 2048);
	T_EQ_INT(key.email, 1);
	T_EQ_INT(key.sha256, 1);
	dkim_key_clear(&key);

	T_ASSERT((sm = t_sign(&s, 1, T_NOW, message, strlen(message), 0,
	    &len)) != NULL);
	km[0] = (struct keymap){ "gen._domainkey.example.org", rec.data };
	km[1] = (struct keymap){ NULL, NULL };
	T_EQ_INT(t_verify(sm, len, km, T_NOW, 0, v, 2), 1);
	T_EQ_INT(v[0].result, DKIM_PASS);
	T_EQ_INT(write_file("msg", sm, len), 0);
	memset(&k, 0, sizeof(k));
	(void)snprintf(k.recs, sizeof(k.recs), "gen._domainkey.example.org %s\n",
	    rec.data);
	T_EQ_INT(write_file("records", k.recs, strlen(k.recs)), 0);
	T_EQ_INT(run(&out, PYTHON " " HELPER " verify %s/records %s/msg 2>&1",
	    dir, dir), 0);
	T_EQ_STR(out.data, "pass\n");
	(void)snprintf(path, sizeof(path), "%s/msg", dir);
	T_EQ_INT(opendkim_verify(&out, k.recs, path), 0);
	T_EQ_INT(count(out.data, "dkim=pass"), 1);
	free(sm);
	EVP_PKEY_free(s.key);
	buf_free(&out);
	buf_free(&rec);
}

static void
cleanup(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(dir);
}

void
test_main(void)
{
	(void)snprintf(dir, sizeof(dir), "/tmp/tegami-dkim.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	t_run("dkimpy_verifies_tegami", test_dkimpy_verifies_tegami);
	t_run("tegami_verifies_dkimpy", test_tegami_verifies_dkimpy);
	t_run("opendkim_verifies_tegami", test_opendkim_verifies_tegami);
	t_run("tegami_verifies_opendkim", test_tegami_verifies_opendkim);
	t_run("opendkim_genkey", test_opendkim_genkey);
	cleanup();
}
