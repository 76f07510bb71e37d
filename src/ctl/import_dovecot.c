/* tegamictl import dovecot-passwd FILE: the logins of a Dovecot passwd-file (seed 001 shares one with OpenSMTPD), with their hashes and quotas. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/password.h"
#include "conf/table.h"
#include "conf/table_edit.h"
#include "ctl/import.h"
#include "lib/xalloc.h"

#define PASSWD_FILE_MAX	((size_t)64 * 1024 * 1024)
#define PASSWD_LINE_MAX	4096

/* userdb_quota_rule=*:storage=1G (or quota_rule=) among the extra fields: the size. */
static int
quota_of(const char *extra, uint64_t *bytes)
{
	const char	*p, *v;
	char		 size[64];
	size_t		 n;

	for (p = extra; p && *p; p += strcspn(p, " \t"), p += strspn(p, " \t")) {
		if (strncmp(p, "userdb_", 7) == 0)
			p += 7;
		if (strncmp(p, "quota_rule=*:storage=", 21) != 0)
			continue;
		v = p + 21;
		n = strcspn(v, " \t");
		if (n == 0 || n >= sizeof(size))
			return -1;
		memcpy(size, v, n);
		size[n] = '\0';
		/* Dovecot's units: B, k, M, G, T (and %, which has no meaning here). */
		if (size[n - 1] == 'B')
			size[n - 1] = '\0';
		return admin_parse_size(size, bytes);
	}
	return 1;
}

static void
import_line(struct import *im, struct admin *a, char *line, size_t lineno,
    const char *file)
{
	struct admin_user_spec	 s;
	enum password_scheme	 sch;
	char			*f[8], *p, addr[400], dom[256], hashbuf[PASSWORD_HASH_MAX + 1];
	const char		*errstr, *at;
	size_t			 n = 0;
	uint64_t		 q;
	int			 in_v, i;

	/* user:password:uid:gid:gecos:home:shell:extra fields (which may hold ':'). */
	for (p = line; n < 7;) {
		f[n++] = p;
		if ((p = strchr(p, ':')) == NULL)
			break;
		*p++ = '\0';
	}
	if (p != NULL && n == 7)
		f[n++] = p;
	if (n < 2) {
		imp_skip(im, tr("%s:%zu: no user:password"), file, lineno);
		return;
	}
	if ((at = strrchr(f[0], '@')) == NULL) {
		imp_skip(im, tr("%s:%zu: %s has no domain (Dovecot added it with "
		    "%%d); add it by hand"), file, lineno, f[0]);
		return;
	}
	if (admin_address(f[0], addr, sizeof(addr), &errstr) == -1 ||
	    admin_domain(at + 1, dom, sizeof(dom), &errstr) == -1) {
		imp_skip(im, "%s:%zu: %s", file, lineno, errstr);
		return;
	}
	/* What tegami reads: {SCHEME}hash (or a crypt(3) hash without one). */
	if (password_parse(f[1], &sch, hashbuf, sizeof(hashbuf), &errstr) == -1) {
		explicit_bzero(hashbuf, sizeof(hashbuf));
		imp_skip(im, tr("%s: its password (%s)"), addr, errstr);
		return;
	}
	explicit_bzero(hashbuf, sizeof(hashbuf));
	if (!admin_has_domain(a, dom)) {
		imp_did(im, tr("domain %s"), dom);
		if (!im->dry_run && admin_domain_add(a, dom) != 0)
			return;
	}
	memset(&s, 0, sizeof(s));
	s.address = addr;
	s.hash = f[1];
	if (n == 8 && (i = quota_of(f[7], &q)) != 1) {
		if (i == -1)
			imp_skip(im, tr("%s: the quota rule in %s"), addr, f[7]);
		else {
			s.quota = q;
			s.set_quota = 1;
		}
	}
	in_v = a->virtual && table_get_fold(a->virtual, addr) != NULL;
	if (in_v) {
		/* A user already (the virtual table came first): the login is added. */
		struct table_edit	 *te;

		imp_did(im, tr("login %s"), addr);
		if (im->dry_run)
			return;
		if ((te = admin_edit_open(a, ADMIN_CREDS)) == NULL)
			return;
		if (table_edit_set(te, addr, f[1], &errstr) == -1) {
			admin_edit_abort(a, te);
			imp_skip(im, "%s: %s", addr, errstr);
			return;
		}
		(void)admin_edit_commit(a, ADMIN_CREDS, te);
		return;
	}
	imp_did(im, tr("user %s"), addr);
	if (!im->dry_run && admin_user_add(a, &s) != 0)
		imp_skip(im, tr("user %s"), addr);
}

int
import_dovecot(struct import *im, const char *file)
{
	struct admin	 a;
	struct buf	 b;
	const char	*errstr, *nl;
	char		*line;
	size_t		 off = 0, n, lineno = 0;
	int		 r;

	if ((r = imp_read(file, PASSWD_FILE_MAX, &b, &errstr)) != 0)
		return admin_fail(im->prog, "%s: %s", file, r == 1 ? tr("missing") :
		    errstr);
	if (admin_open(&a, im->prog, im->conf_path) != 0) {
		buf_free(&b);
		return 1;
	}
	a.quiet = 1;
	a.no_daemon = 1;
	if (admin_table(&a, ADMIN_DOMAINS) == NULL || admin_table(&a, ADMIN_VIRTUAL) ==
	    NULL || admin_table(&a, ADMIN_CREDS) == NULL) {
		buf_free(&b);
		admin_close(&a);
		return 1;
	}
	/* One write of each table at the end, not one per user. */
	admin_batch_begin(&a);
	while (off < b.len) {
		nl = memchr(b.data + off, '\n', b.len - off);
		n = nl ? (size_t)(nl - (b.data + off)) : b.len - off;
		lineno++;
		line = xstrndup(b.data + off, n);
		off += n + (nl != NULL);
		line[strcspn(line, "\r")] = '\0';
		if (n > PASSWD_LINE_MAX)
			imp_skip(im, tr("%s:%zu: line too long"), file, lineno);
		else if (line[0] != '\0' && line[0] != '#' &&
		    !isspace((unsigned char)line[0]))
			import_line(im, &a, line, lineno, file);
		explicit_bzero(line, strlen(line));
		free(line);
	}
	explicit_bzero(b.data, b.len);
	buf_free(&b);
	if (admin_batch_end(&a) != 0)
		imp_skip(im, "%s", tr("the tables could not be written"));
	else if (!im->dry_run) {
		a.no_daemon = 0;
		a.quiet = 0;
		(void)(admin_reload(&a, a.domains) || admin_reload_users(&a));
	}
	admin_close(&a);
	return imp_summary(im);
}
