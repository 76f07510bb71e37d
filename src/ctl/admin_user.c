/* tegamictl user add|del|passwd|quota|list|show: credentials and virtual tables, Maildirs and their quota. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/password.h"
#include "conf/conf.h"
#include "conf/table.h"
#include "conf/table_edit.h"
#include "ctl/admin.h"
#include "lib/xalloc.h"

#define USER_USAGE	"tegamictl user add|del|passwd|quota|list|show ADDRESS " \
			"[--password-stdin] [--hash HASH] [--quota SIZE] " \
			"[--account NAME] [--purge] [--json]"

static int
user_exists(struct admin *a, const char *addr, int *in_virtual, int *in_creds)
{
	struct table	*vt = admin_table(a, ADMIN_VIRTUAL);
	struct table	*ct = admin_table(a, ADMIN_CREDS);

	if (vt == NULL || ct == NULL)
		return -1;
	*in_virtual = table_get_fold(vt, addr) != NULL;
	*in_creds = table_get_fold(ct, addr) != NULL;
	return *in_virtual || *in_creds;
}

static int
domain_served(struct admin *a, const char *addr)
{
	const char	*d = strrchr(addr, '@') + 1;

	if (!admin_has_domain(a, d))
		return admin_fail(a->prog, tr("domain %s is not served here (add "
		    "it first: tegamictl domain add %s)"), d, d);
	return 0;
}

/*
 * The new value of a credentials entry: the hash, keeping the passwd-file
 * fields after the old one and a Dovecot scheme prefix as {BLF-CRYPT}.
 */
static char *
creds_value(const char *old, const char *hash)
{
	const char	*rest;
	int		 prefixed;

	if (old == NULL)
		return xstrdup(hash);
	if (hash[0] == '{')		/* a stored hash given with its own scheme */
		prefixed = 0;
	else
		prefixed = old[0] == '{';
	rest = old;
	if (old[0] == '{' && (rest = strchr(old, '}')) == NULL)
		rest = old;
	rest = strchr(rest, ':');
	return xasprintf("%s%s%s", prefixed ? "{BLF-CRYPT}" : "", hash,
	    rest ? rest : "");
}

/* Sets the credentials entry of addr to hash; 1 after a message. */
static int
set_creds(struct admin *a, const char *addr, const char *hash)
{
	struct table_edit	 *te;
	const char		*errstr;
	char			*old = NULL, *v;
	long			 i;
	int			 r;

	if ((te = admin_edit_open(a, ADMIN_CREDS)) == NULL)
		return 1;
	if ((i = table_edit_find(te, addr)) != -1)
		old = table_edit_value(te, (size_t)i);
	v = creds_value(old, hash);
	r = table_edit_set(te, addr, v, &errstr);
	free(old);
	free(v);
	if (r == -1) {
		admin_edit_abort(a, te);
		return admin_fail(a->prog, "%s: %s", addr, errstr);
	}
	return admin_edit_commit(a, ADMIN_CREDS, te);
}

static int
set_virtual(struct admin *a, const char *addr, const char *value)
{
	struct table_edit	 *te;
	const char		*errstr;

	if ((te = admin_edit_open(a, ADMIN_VIRTUAL)) == NULL)
		return 1;
	if (value == NULL)
		table_edit_del(te, addr);
	else if (table_edit_set(te, addr, value, &errstr) == -1) {
		admin_edit_abort(a, te);
		return admin_fail(a->prog, "%s: %s", addr, errstr);
	}
	return admin_edit_commit(a, ADMIN_VIRTUAL, te);
}

/* The senders entry of addr (each user may send as itself), when a listener has senders <T>. */
static int
set_senders(struct admin *a, const char *addr, const char *value)
{
	struct table_edit	 *te;
	const char		*errstr;
	int			 none;

	if (admin_senders(a, &none) == NULL)
		return none ? 0 : 1;
	if ((te = admin_edit_open(a, ADMIN_SENDERS)) == NULL)
		return 1;
	if (value == NULL)
		table_edit_del(te, addr);
	else if (table_edit_find(te, addr) == -1 &&
	    table_edit_set(te, addr, value, &errstr) == -1) {
		admin_edit_abort(a, te);
		return admin_fail(a->prog, "%s: %s", addr, errstr);
	}
	return admin_edit_commit(a, ADMIN_SENDERS, te);
}

int
admin_reload_users(struct admin *a)
{
	if (admin_reload(a, a->virtual) != 0 || admin_reload(a, a->creds) != 0)
		return 1;
	if (a->senders != NULL && admin_reload(a, a->senders) != 0)
		return 1;
	return 0;
}

/* A stored hash given on the command line or by an importer: one this version can check. */
static int
check_hash(struct admin *a, const char *hash)
{
	enum password_scheme	 scheme;
	char			 out[PASSWORD_HASH_MAX + 1];
	const char		*errstr;

	if (password_parse(hash, &scheme, out, sizeof(out), &errstr) == -1)
		return admin_fail(a->prog, tr("unusable password hash: %s"), errstr);
	explicit_bzero(out, sizeof(out));
	return 0;
}

int
admin_user_add(struct admin *a, const struct admin_user_spec *s)
{
	char		 addr[300], hash[PASSWORD_HASH_MAX + 1];
	const char	*errstr, *account;
	char		*path = NULL, *acct = NULL;
	uint64_t	 quota;
	int		 in_v, in_c, set_quota;

	if (admin_address(s->address, addr, sizeof(addr), &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", s->address, errstr);
	if (domain_served(a, addr) != 0)
		return 1;
	switch (user_exists(a, addr, &in_v, &in_c)) {
	case -1:
		return 1;
	case 1:
		return admin_fail(a->prog, tr("%s exists already (%s)"), addr,
		    in_v && admin_is_account(table_get_fold(a->virtual, addr)) ?
		    tr("a user") : in_v ? tr("an alias") : tr("a login"));
	}
	if (s->no_login)
		hash[0] = '\0';
	else if (s->hash != NULL) {
		if (check_hash(a, s->hash) != 0)
			return 1;
		snprintf(hash, sizeof(hash), "%s", s->hash);
	} else if (admin_hash(a, s->password, hash, sizeof(hash)) != 0)
		return 1;
	account = admin_account(a, s->account);
	if (set_virtual(a, addr, account) != 0)
		return 1;
	if (admin_maildir(a, addr, &path, &acct) != 0)
		goto undo;
	set_quota = s->set_quota;
	quota = s->quota;
	if (!set_quota && a->action != NULL && a->action->quota) {
		/* The action's quota is the limit a new user starts with. */
		set_quota = 1;
		quota = a->action->quota;
	}
	if ((!s->no_maildir || set_quota) && admin_maildir_create(a, path, acct,
	    quota, set_quota, !s->no_maildir) != 0)
		goto undo;
	if (!s->no_login && (set_creds(a, addr, hash) != 0 ||
	    set_senders(a, addr, addr) != 0))
		goto undo;
	explicit_bzero(hash, sizeof(hash));
	if (!a->quiet)
		printf(tr("added user %s (Maildir %s, owned by %s)\n"), addr, path,
		    acct);
	free(path);
	free(acct);
	return 0;
undo:
	explicit_bzero(hash, sizeof(hash));
	(void)set_virtual(a, addr, NULL);
	free(path);
	free(acct);
	return 1;
}

/* Aliases of the virtual table whose targets include addr. */
static char **
aliases_of(struct admin *a, const char *addr, int *count)
{
	struct table	*vt = a->virtual;
	const char	*k, *v;
	char		**out = NULL, **t;
	size_t		 it = 0;
	int		 n, i;

	*count = 0;
	while (vt != NULL && table_iter(vt, &it, &k, &v)) {
		if (v == NULL || admin_is_account(v))
			continue;
		t = admin_targets(v, &n);
		for (i = 0; i < n; i++)
			if (strcasecmp(t[i], addr) == 0) {
				out = xreallocarray(out, (size_t)*count + 1,
				    sizeof(*out));
				out[(*count)++] = xstrdup(k);
				break;
			}
		admin_targets_free(t, n);
	}
	return out;
}

int
admin_user_del(struct admin *a, const char *address, int purge)
{
	struct table_edit	 *te;
	const char		*errstr;
	char			 addr[300], *path = NULL, *acct = NULL, **al;
	int			 in_v, in_c, nal, i, rc = 0;

	if (admin_address(address, addr, sizeof(addr), &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", address, errstr);
	switch (user_exists(a, addr, &in_v, &in_c)) {
	case -1:
		return 1;
	case 0:
		return admin_fail(a->prog, tr("no user %s"), addr);
	}
	if (in_v && !admin_is_account(table_get_fold(a->virtual, addr)))
		return admin_fail(a->prog, tr("%s is an alias: use tegamictl alias "
		    "del"), addr);
	if (in_v && admin_maildir(a, addr, &path, &acct) != 0)
		path = NULL;
	if (in_c) {
		if ((te = admin_edit_open(a, ADMIN_CREDS)) == NULL)
			goto out;
		table_edit_del(te, addr);
		if (admin_edit_commit(a, ADMIN_CREDS, te) != 0)
			goto out;
	}
	if (in_v && set_virtual(a, addr, NULL) != 0)
		goto out;
	if (set_senders(a, addr, NULL) != 0)
		goto out;
	printf(tr("removed user %s\n"), addr);
	if (path != NULL && purge) {
		if (admin_maildir_remove(a, path) != 0)
			rc = 1;
		else
			printf(tr("removed the Maildir %s\n"), path);
	} else if (path != NULL)
		printf(tr("kept the Maildir %s (remove it with --purge)\n"), path);
	al = aliases_of(a, addr, &nal);
	for (i = 0; i < nal; i++) {
		printf(tr("alias %s still points at %s\n"), al[i], addr);
		free(al[i]);
	}
	free(al);
	if (admin_reload_users(a) != 0)
		rc = 1;
	free(path);
	free(acct);
	return rc;
out:
	free(path);
	free(acct);
	return 1;
}

int
admin_user_passwd(struct admin *a, const char *address, const char *password,
    const char *given_hash)
{
	const char	*errstr;
	char		 addr[300], hash[PASSWORD_HASH_MAX + 1];
	int		 in_v, in_c;

	if (admin_address(address, addr, sizeof(addr), &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", address, errstr);
	if (user_exists(a, addr, &in_v, &in_c) == -1)
		return 1;
	/* A user of the virtual table without a login (postmaster) gets one. */
	if (!in_c && !(in_v && admin_is_account(table_get_fold(a->virtual, addr))))
		return admin_fail(a->prog, tr("no user %s"), addr);
	if (given_hash != NULL) {
		if (check_hash(a, given_hash) != 0)
			return 1;
		snprintf(hash, sizeof(hash), "%s", given_hash);
	} else if (admin_hash(a, password, hash, sizeof(hash)) != 0)
		return 1;
	if (set_creds(a, addr, hash) != 0)
		return 1;
	explicit_bzero(hash, sizeof(hash));
	if (!in_c && set_senders(a, addr, addr) != 0)
		return 1;
	printf(tr("changed the password of %s\n"), addr);
	return admin_reload(a, a->creds) || (a->senders != NULL &&
	    admin_reload(a, a->senders));
}

static int
user_quota(struct admin *a, const char *address, const char *size)
{
	const char	*errstr;
	char		 addr[300], *path, *acct, num[64];
	uint64_t	 q;
	int		 in_v, in_c, rc;

	if (admin_address(address, addr, sizeof(addr), &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", address, errstr);
	if (admin_parse_size(size, &q) == -1)
		return admin_fail(a->prog, tr("%s is no size (try 500M, 2G or "
		    "none)"), size);
	if (user_exists(a, addr, &in_v, &in_c) == -1)
		return 1;
	if (!in_v)
		return admin_fail(a->prog, tr("no user %s"), addr);
	if (admin_maildir(a, addr, &path, &acct) != 0)
		return 1;
	rc = admin_maildir_create(a, path, acct, q, 1, 0);
	if (rc == 0) {
		admin_format_size(q, num, sizeof(num));
		if (q)
			printf(tr("quota of %s is now %s\n"), addr, num);
		else
			printf(tr("%s has no quota now\n"), addr);
	}
	free(path);
	free(acct);
	return rc;
}

/* The scheme of a stored hash, for user show (rehashing shows here). */
static const char *
hash_scheme(const char *v)
{
	const char	*h = v;

	if (v == NULL)
		return "-";
	if (strncmp(v, "{PLAIN}", 7) == 0)
		return "plain";
	if (v[0] == '{' && (h = strchr(v, '}')) != NULL)
		h++;
	else
		h = v;
	if (strncmp(h, "$2", 2) == 0)
		return "bcrypt";
	if (strncmp(h, "$6$", 3) == 0)
		return "sha512-crypt";
	if (strncmp(h, "$5$", 3) == 0)
		return "sha256-crypt";
	if (strncmp(h, "$y$", 3) == 0)
		return "yescrypt";
	if (strncmp(h, "$1$", 3) == 0)
		return "md5-crypt";
	return "des-crypt";
}

int
admin_user_show(struct admin *a, const char *address)
{
	struct admin_usage	 u;
	const char		*errstr, *v, *c;
	char			 addr[300], *path = NULL, *acct = NULL, **al;
	char			 used[64], lim[64];
	int			 in_v, in_c, nal, i;

	if (admin_address(address, addr, sizeof(addr), &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", address, errstr);
	if (user_exists(a, addr, &in_v, &in_c) == -1)
		return 1;
	v = in_v ? table_get_fold(a->virtual, addr) : NULL;
	if (!in_v && !in_c)
		return admin_fail(a->prog, tr("no user %s"), addr);
	if (v != NULL && !admin_is_account(v))
		return admin_fail(a->prog, tr("%s is an alias of %s"), addr, v);
	c = in_c ? table_get_fold(a->creds, addr) : NULL;
	memset(&u, 0, sizeof(u));
	if (in_v && admin_maildir(a, addr, &path, &acct) == 0)
		admin_maildir_usage(a, path, &u);
	al = aliases_of(a, addr, &nal);
	admin_format_size(u.bytes, used, sizeof(used));
	admin_format_size(u.limit_bytes, lim, sizeof(lim));
	if (a->json) {
		printf("{\"address\":");
		admin_json_str(stdout, addr);
		printf(",\"login\":%s,\"password\":", in_c ? "true" : "false");
		admin_json_str(stdout, hash_scheme(c));
		printf(",\"maildir\":");
		if (path)
			admin_json_str(stdout, path);
		else
			printf("null");
		printf(",\"account\":");
		admin_json_str(stdout, acct ? acct : "");
		printf(",\"bytes\":%llu,\"messages\":%llu,\"quota_bytes\":%llu,"
		    "\"quota_messages\":%llu,\"aliases\":[",
		    (unsigned long long)u.bytes, (unsigned long long)u.count,
		    (unsigned long long)u.limit_bytes,
		    (unsigned long long)u.limit_count);
		for (i = 0; i < nal; i++) {
			printf("%s", i ? "," : "");
			admin_json_str(stdout, al[i]);
		}
		printf("]}\n");
	} else {
		printf(tr("address:   %s\n"), addr);
		printf(tr("login:     %s (password %s)\n"), in_c ? tr("yes") :
		    tr("no"), hash_scheme(c));
		if (path) {
			printf(tr("Maildir:   %s (owned by %s)%s\n"), path, acct,
			    u.has_maildir ? "" : tr(", not created yet"));
			printf(tr("usage:     %s in %llu messages\n"), used,
			    (unsigned long long)u.count);
			if (u.limit_bytes || u.limit_count)
				printf(tr("quota:     %s, %llu messages (%.0f%% used)\n"),
				    u.limit_bytes ? lim : tr("no size limit"),
				    (unsigned long long)u.limit_count,
				    u.limit_bytes ? 100.0 * (double)u.bytes /
				    (double)u.limit_bytes : 0.0);
			else
				printf("%s", tr("quota:     none\n"));
		}
		for (i = 0; i < nal; i++)
			printf(tr("alias:     %s\n"), al[i]);
	}
	for (i = 0; i < nal; i++)
		free(al[i]);
	free(al);
	free(path);
	free(acct);
	return 0;
}

static int
user_list(struct admin *a, const char *domain)
{
	struct table	*vt, *ct;
	const char	*k, *v, *at;
	size_t		 it = 0, n = 0;

	if ((vt = admin_table(a, ADMIN_VIRTUAL)) == NULL ||
	    (ct = admin_table(a, ADMIN_CREDS)) == NULL)
		return 1;
	if (a->json)
		printf("[");
	while (table_iter(vt, &it, &k, &v)) {
		if (!admin_is_account(v) || (at = strrchr(k, '@')) == NULL)
			continue;
		if (domain != NULL && strcasecmp(at + 1, domain) != 0)
			continue;
		if (a->json) {
			printf("%s{\"address\":", n++ ? "," : "");
			admin_json_str(stdout, k);
			printf(",\"login\":%s}", table_get_fold(ct, k) ? "true" :
			    "false");
		} else
			printf("%s%s\n", k, table_get_fold(ct, k) ? "" :
			    tr(" (no login)"));
	}
	if (a->json)
		printf("]\n");
	return 0;
}

int
admin_user_cmd(const char *conf, int argc, char **argv)
{
	static const char *const subs[] = {
		"add", "del", "passwd", "quota", "list", "show", NULL,
	};
	struct admin		 a;
	struct admin_user_spec	 s;
	const char		*hash = NULL, *quota = NULL, *account = NULL;
	const char		*vtable = NULL, *ctable = NULL, *dtable = NULL;
	char			 prog[64], password[PASSWORD_MAX + 2];
	int			 help = 0, json = 0, pstdin = 0, purge = 0, n, i, rc;
	const struct admin_opt opts[] = {
		{ "password-stdin", 0, NULL, &pstdin },
		{ "hash", 1, &hash, NULL },
		{ "quota", 1, &quota, NULL },
		{ "account", 1, &account, NULL },
		{ "purge", 0, NULL, &purge },
		{ "json", 0, NULL, &json },
		{ "virtual-table", 1, &vtable, NULL },
		{ "creds-table", 1, &ctable, NULL },
		{ "domain-table", 1, &dtable, NULL },
		{ NULL, 0, NULL, NULL },
	};
	const char		*sub;

	for (i = 0; argc > 0 && subs[i] && strcmp(subs[i], argv[0]) != 0; i++)
		;
	sub = argc > 0 && subs[i] ? subs[i] : NULL;
	snprintf(prog, sizeof(prog), "tegamictl user%s%s", sub ? " " : "",
	    sub ? sub : "");
	if (argc < 1)
		return admin_usage(prog, USER_USAGE, 0);
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)
		return admin_usage(prog, USER_USAGE, 1);
	if (admin_getopt(prog, argc - 1, argv + 1, opts, &help, &n) == -1)
		return 1;
	if (help)
		return admin_usage(prog, USER_USAGE, 1);
	if (sub == NULL)
		return admin_fail(prog, tr("unknown command %s (usage: %s)"),
		    argv[0], USER_USAGE);
	argv++;
	if (strcmp(sub, "list") != 0 && n < 1)
		return admin_fail(prog, "%s", tr("which address?"));
	if (n > (strcmp(sub, "quota") == 0 ? 2 : 1))
		return admin_fail(prog, tr("one address at a time (%s is too much)"),
		    argv[n - 1]);
	if (strcmp(sub, "quota") == 0 && n < 2)
		return admin_fail(prog, "%s", tr("which size? (500M, 2G or none)"));
	if (hash != NULL && pstdin)
		return admin_fail(prog, "%s", tr("--hash and --password-stdin "
		    "exclude each other"));
	memset(&s, 0, sizeof(s));
	if (quota != NULL) {
		if (admin_parse_size(quota, &s.quota) == -1)
			return admin_fail(prog, tr("%s is no size (try 500M, 2G or "
			    "none)"), quota);
		s.set_quota = 1;
	}
	/* Ask for the password before anything is read or written. */
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) &&
	    hash == NULL && admin_password(prog, pstdin, password,
	    sizeof(password)) != 0)
		return 1;
	if (admin_open(&a, prog, conf) != 0) {
		explicit_bzero(password, sizeof(password));
		return 1;
	}
	a.want_virtual = vtable;
	a.want_creds = ctable;
	a.want_domains = dtable;
	a.json = json;
	if (strcmp(sub, "add") == 0) {
		s.address = argv[0];
		s.password = password;
		s.hash = hash;
		s.account = account;
		rc = admin_user_add(&a, &s);
		if (rc == 0)
			rc = admin_reload_users(&a);
	} else if (strcmp(sub, "del") == 0)
		rc = admin_user_del(&a, argv[0], purge);
	else if (strcmp(sub, "passwd") == 0) {
		rc = admin_user_passwd(&a, argv[0], password, hash);
	} else if (strcmp(sub, "quota") == 0)
		rc = user_quota(&a, argv[0], argv[1]);
	else if (strcmp(sub, "show") == 0)
		rc = admin_user_show(&a, argv[0]);
	else
		rc = user_list(&a, n > 0 ? argv[0] : NULL);
	explicit_bzero(password, sizeof(password));
	admin_close(&a);
	return rc;
}
