/* tegamictl domain add|del|list: the domain table, and the users and aliases of a domain removed with it. */
#include <libgen.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/table.h"
#include "conf/table_edit.h"
#include "ctl/admin.h"
#include "lib/xalloc.h"

#define DOMAIN_USAGE	"tegamictl domain add|del|list [DOMAIN...] [--purge] " \
			"[--table NAME] [--json]"

int
admin_domain_add(struct admin *a, const char *in)
{
	struct table_edit	 *te;
	const char		*errstr;
	char			 d[256];

	if (admin_domain(in, d, sizeof(d), &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", in, errstr);
	if ((te = admin_edit_open(a, ADMIN_DOMAINS)) == NULL)
		return 1;
	if (table_edit_find(te, d) != -1) {
		admin_edit_abort(a, te);
		return admin_fail(a->prog, tr("domain %s is already served here"), d);
	}
	if (table_edit_set(te, d, NULL, &errstr) == -1) {
		admin_edit_abort(a, te);
		return admin_fail(a->prog, "%s: %s", d, errstr);
	}
	if (admin_edit_commit(a, ADMIN_DOMAINS, te) != 0)
		return 1;
	if (!a->quiet)
		printf(tr("added domain %s\n"), d);
	return 0;
}

/* The domain of an address key, or "" for keys without one. */
static const char *
key_domain(const char *key)
{
	const char	*at = strrchr(key, '@');

	return at ? at + 1 : "";
}

/* Removes every entry of domain d from a role's table; the keys removed, NULL-terminated. */
static int
drop_domain_entries(struct admin *a, enum admin_role role, const char *d,
    char ***keys, size_t *n)
{
	struct table_edit	 *te;
	size_t			 i;
	char			*k;

	if ((te = admin_edit_open(a, role)) == NULL)
		return 1;
	for (i = 0; i < te->nlines; i++) {
		if ((k = table_edit_key(te, i)) == NULL)
			continue;
		if (strcasecmp(key_domain(k), d) == 0) {
			*keys = xreallocarray(*keys, *n + 1, sizeof(**keys));
			(*keys)[(*n)++] = xstrdup(k);
			table_edit_del(te, k);
			i--;
		}
		free(k);
	}
	return admin_edit_commit(a, role, te);
}

static int
domain_del(struct admin *a, const char *in, int purge)
{
	struct table_edit	 *te;
	struct table		*virt;
	const char		*errstr, *v;
	char			 d[256], **vkeys = NULL, **ckeys = NULL, **paths = NULL;
	char			*path, *account;
	char			**skeys = NULL;
	size_t			 nv = 0, nc = 0, ns = 0, np = 0, i, users = 0;
	int			 rc = 0, none = 1;

	if (admin_domain(in, d, sizeof(d), &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", in, errstr);
	if ((te = admin_edit_open(a, ADMIN_DOMAINS)) == NULL)
		return 1;
	if (table_edit_del(te, d) == 0) {
		admin_edit_abort(a, te);
		return admin_fail(a->prog, tr("domain %s is not served here"), d);
	}
	if ((virt = admin_table(a, ADMIN_VIRTUAL)) == NULL ||
	    admin_table(a, ADMIN_CREDS) == NULL) {
		admin_edit_abort(a, te);
		return 1;
	}
	/* The Maildirs are found by routing, which needs the entries still there. */
	if (purge) {
		size_t	 it = 0;
		const char *k;

		while (table_iter(virt, &it, &k, &v)) {
			if (strcasecmp(key_domain(k), d) != 0 || !admin_is_account(v))
				continue;
			if (admin_maildir(a, k, &path, &account) != 0)
				continue;
			paths = xreallocarray(paths, np + 1, sizeof(*paths));
			paths[np++] = path;
			free(account);
		}
	}
	if (admin_edit_commit(a, ADMIN_DOMAINS, te) != 0 ||
	    drop_domain_entries(a, ADMIN_VIRTUAL, d, &vkeys, &nv) != 0 ||
	    drop_domain_entries(a, ADMIN_CREDS, d, &ckeys, &nc) != 0)
		rc = 1;
	if (rc == 0 && admin_senders(a, &none) != NULL &&
	    drop_domain_entries(a, ADMIN_SENDERS, d, &skeys, &ns) != 0)
		rc = 1;
	else if (rc == 0 && !none && a->senders == NULL)
		rc = 1;
	for (i = 0; i < np; i++) {
		if (rc == 0 && admin_maildir_remove(a, paths[i]) != 0)
			rc = 1;
		/* .../DOMAIN/USER/Maildir: the domain's directory too, once empty. */
		(void)rmdir(dirname(dirname(paths[i])));
		free(paths[i]);
	}
	free(paths);
	if (rc == 0) {
		users = nc > nv ? nc : nv;
		printf(tr("removed domain %s and its %zu table entries\n"), d,
		    nv + nc);
		if (users && !purge)
			printf("%s", tr("Maildirs are kept; remove them with --purge, "
			    "or by hand\n"));
		if (admin_reload(a, a->domains) != 0 || admin_reload_users(a) != 0)
			rc = 1;
	}
	for (i = 0; i < nv; i++)
		free(vkeys[i]);
	for (i = 0; i < nc; i++)
		free(ckeys[i]);
	for (i = 0; i < ns; i++)
		free(skeys[i]);
	free(vkeys);
	free(ckeys);
	free(skeys);
	return rc;
}

static int
domain_list(struct admin *a)
{
	struct table	*dt, *vt;
	const char	*k, *dk, *v;
	size_t		 it = 0, jt, users, aliases, n = 0;

	if ((dt = admin_table(a, ADMIN_DOMAINS)) == NULL)
		return 1;
	vt = admin_table(a, ADMIN_VIRTUAL);
	if (a->json)
		printf("[");
	while (table_iter(dt, &it, &dk, NULL)) {
		users = aliases = 0;
		for (jt = 0; vt != NULL && table_iter(vt, &jt, &k, &v);) {
			if (strcasecmp(key_domain(k), dk) != 0)
				continue;
			if (admin_is_account(v))
				users++;
			else
				aliases++;
		}
		if (a->json) {
			printf("%s{\"domain\":", n++ ? "," : "");
			admin_json_str(stdout, dk);
			printf(",\"users\":%zu,\"aliases\":%zu}", users, aliases);
		} else
			printf(tr("%-30s %zu users, %zu aliases\n"), dk, users, aliases);
	}
	if (a->json)
		printf("]\n");
	return 0;
}

int
admin_domain_cmd(const char *conf, int argc, char **argv)
{
	struct admin	 a;
	const char	*table = NULL, *prog;
	int		 help = 0, json = 0, purge = 0, n, i, rc = 0;
	const struct admin_opt opts[] = {
		{ "table", 1, &table, NULL },
		{ "json", 0, NULL, &json },
		{ "purge", 0, NULL, &purge },
		{ NULL, 0, NULL, NULL },
	};

	prog = argc > 0 && strcmp(argv[0], "add") == 0 ? "tegamictl domain add" :
	    argc > 0 && strcmp(argv[0], "del") == 0 ? "tegamictl domain del" :
	    argc > 0 && strcmp(argv[0], "list") == 0 ? "tegamictl domain list" :
	    "tegamictl domain";
	if (argc < 1)
		return admin_usage(prog, DOMAIN_USAGE, 0);
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)
		return admin_usage(prog, DOMAIN_USAGE, 1);
	if (admin_getopt(prog, argc - 1, argv + 1, opts, &help, &n) == -1)
		return 1;
	if (help)
		return admin_usage(prog, DOMAIN_USAGE, 1);
	argv++;
	if (strcmp(prog, "tegamictl domain") == 0)
		return admin_fail(prog, tr("unknown command %s (usage: %s)"),
		    argv[-1], DOMAIN_USAGE);
	if (strcmp(prog, "tegamictl domain list") != 0 && n < 1)
		return admin_fail(prog, "%s", tr("which domain?"));
	if (admin_open(&a, prog, conf) != 0)
		return 1;
	a.want_domains = table;
	a.json = json;
	if (strcmp(prog, "tegamictl domain list") == 0)
		rc = domain_list(&a);
	else
		for (i = 0; i < n && rc == 0; i++) {
			if (strcmp(prog, "tegamictl domain add") == 0) {
				if ((rc = admin_domain_add(&a, argv[i])) == 0 &&
				    i == n - 1)
					rc = admin_reload(&a, a.domains);
			} else
				rc = domain_del(&a, argv[i], purge);
		}
	admin_close(&a);
	return rc;
}
