/* tegamictl alias add|del|list: entries of the virtual table that forward to other addresses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/table.h"
#include "conf/table_edit.h"
#include "ctl/admin.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define ALIAS_USAGE	"tegamictl alias add|del|list ADDRESS [TARGET...] " \
			"[--table NAME] [--json]"

/* "user@domain" or a catch-all "@domain", lowercased. */
static int
alias_key(struct admin *a, const char *in, char *dst, size_t dstlen)
{
	const char	*errstr;
	const char	*d;

	if (in[0] == '@') {
		if (admin_domain(in + 1, dst + 1, dstlen - 1, &errstr) == -1)
			return admin_fail(a->prog, "%s: %s", in, errstr);
		dst[0] = '@';
	} else if (admin_address(in, dst, dstlen, &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", in, errstr);
	d = strrchr(dst, '@') + 1;
	if (!admin_has_domain(a, d))
		return admin_fail(a->prog, tr("domain %s is not served here (add "
		    "it first: tegamictl domain add %s)"), d, d);
	return 0;
}

/* A target: an address (lowercased) or an account name. */
static int
alias_target(struct admin *a, const char *in, char *dst, size_t dstlen)
{
	const char	*errstr;

	if (strchr(in, '@') == NULL && admin_is_account(in) && strlen(in) < dstlen) {
		snprintf(dst, dstlen, "%s", in);
		return 0;
	}
	if (admin_address(in, dst, dstlen, &errstr) == -1)
		return admin_fail(a->prog, "%s: %s", in, errstr);
	return 0;
}

static char *
join(char **v, int n)
{
	struct buf	 b;
	int		 i;

	buf_init(&b, 0);
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", v[i]);
	return buf_release(&b);
}

static int
has_target(char **v, int n, const char *t)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], t) == 0)
			return 1;
	return 0;
}

int
admin_alias_add(struct admin *a, const char *address, char **targets, int ntargets)
{
	struct table_edit	 *te;
	const char		*errstr;
	char			 key[300], t[300], **cur = NULL, *old = NULL, *v;
	long			 i;
	int			 n = 0, j, rc;

	if (ntargets < 1)
		return admin_fail(a->prog, "%s", tr("an alias needs at least one "
		    "target"));
	if (alias_key(a, address, key, sizeof(key)) != 0)
		return 1;
	if ((te = admin_edit_open(a, ADMIN_VIRTUAL)) == NULL)
		return 1;
	if ((i = table_edit_find(te, key)) != -1) {
		old = table_edit_value(te, (size_t)i);
		if (old == NULL || admin_is_account(old)) {
			admin_edit_abort(a, te);
			free(old);
			return admin_fail(a->prog, tr("%s is a user, not an alias"),
			    key);
		}
		cur = admin_targets(old, &n);
	}
	/* More targets join the ones there, as vpopmail's valias -i does. */
	for (j = 0; j < ntargets; j++) {
		if (alias_target(a, targets[j], t, sizeof(t)) != 0) {
			admin_edit_abort(a, te);
			admin_targets_free(cur, n);
			free(old);
			return 1;
		}
		if (strcasecmp(t, key) == 0) {
			admin_edit_abort(a, te);
			admin_targets_free(cur, n);
			free(old);
			return admin_fail(a->prog, tr("%s cannot point at itself"), key);
		}
		if (has_target(cur, n, t))
			continue;
		cur = xreallocarray(cur, (size_t)n + 1, sizeof(*cur));
		cur[n++] = xstrdup(t);
	}
	v = join(cur, n);
	rc = table_edit_set(te, key, v, &errstr);
	if (rc == -1) {
		admin_edit_abort(a, te);
		rc = admin_fail(a->prog, "%s: %s", key, errstr);
	} else if ((rc = admin_edit_commit(a, ADMIN_VIRTUAL, te)) == 0 && !a->quiet)
		printf(tr("alias %s -> %s\n"), key, v);
	free(v);
	free(old);
	admin_targets_free(cur, n);
	return rc;
}

int
admin_alias_del(struct admin *a, const char *address, char **targets, int ntargets)
{
	struct table_edit	 *te;
	const char		*errstr;
	char			 key[300], t[300], **cur = NULL, *old = NULL, *v;
	long			 i;
	int			 n = 0, j, k, rc = 0;

	if (alias_key(a, address, key, sizeof(key)) != 0)
		return 1;
	if ((te = admin_edit_open(a, ADMIN_VIRTUAL)) == NULL)
		return 1;
	if ((i = table_edit_find(te, key)) == -1 ||
	    (old = table_edit_value(te, (size_t)i)) == NULL ||
	    admin_is_account(old)) {
		admin_edit_abort(a, te);
		free(old);
		return admin_fail(a->prog, tr("no alias %s"), key);
	}
	cur = admin_targets(old, &n);
	for (j = 0; j < ntargets; j++) {
		if (alias_target(a, targets[j], t, sizeof(t)) != 0) {
			rc = 1;
			goto out;
		}
		for (k = 0; k < n && strcasecmp(cur[k], t) != 0; k++)
			;
		if (k == n) {
			rc = admin_fail(a->prog, tr("alias %s does not point at %s"),
			    key, t);
			goto out;
		}
		free(cur[k]);
		memmove(cur + k, cur + k + 1, (size_t)(n - k - 1) * sizeof(*cur));
		n--;
	}
	if (ntargets == 0 || n == 0) {
		table_edit_del(te, key);
		if ((rc = admin_edit_commit(a, ADMIN_VIRTUAL, te)) == 0)
			printf(tr("removed alias %s\n"), key);
	} else {
		v = join(cur, n);
		if (table_edit_set(te, key, v, &errstr) == -1) {
			admin_edit_abort(a, te);
			rc = admin_fail(a->prog, "%s: %s", key, errstr);
		} else if ((rc = admin_edit_commit(a, ADMIN_VIRTUAL, te)) == 0)
			printf(tr("alias %s -> %s\n"), key, v);
		free(v);
	}
	admin_targets_free(cur, n);
	free(old);
	return rc;
out:
	admin_edit_abort(a, te);
	admin_targets_free(cur, n);
	free(old);
	return rc;
}

/* Every alias of a domain, or one alias, or all of them (NULL). */
int
admin_alias_show(struct admin *a, const char *what)
{
	struct table	*vt;
	const char	*k, *v, *at;
	char		**t;
	size_t		 it = 0, shown = 0;
	int		 n, i;

	if ((vt = admin_table(a, ADMIN_VIRTUAL)) == NULL)
		return 1;
	if (a->json)
		printf("[");
	while (table_iter(vt, &it, &k, &v)) {
		if (v == NULL || admin_is_account(v))
			continue;
		at = strrchr(k, '@');
		if (what != NULL && strcasecmp(k, what) != 0 &&
		    (strchr(what, '@') != NULL || at == NULL ||
		    strcasecmp(at + 1, what) != 0))
			continue;
		if (a->json) {
			printf("%s{\"alias\":", shown ? "," : "");
			admin_json_str(stdout, k);
			printf(",\"targets\":[");
			t = admin_targets(v, &n);
			for (i = 0; i < n; i++) {
				printf("%s", i ? "," : "");
				admin_json_str(stdout, t[i]);
			}
			admin_targets_free(t, n);
			printf("]}");
		} else
			printf("%s -> %s\n", k, v);
		shown++;
	}
	if (a->json)
		printf("]\n");
	if (shown == 0 && what != NULL && strchr(what, '@') != NULL && !a->json)
		return admin_fail(a->prog, tr("no alias %s"), what);
	return 0;
}

int
admin_alias_cmd(const char *conf, int argc, char **argv)
{
	struct admin	 a;
	const char	*table = NULL, *sub;
	char		 prog[64];
	int		 help = 0, json = 0, n, rc;
	const struct admin_opt opts[] = {
		{ "table", 1, &table, NULL },
		{ "json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL },
	};

	sub = argc > 0 && (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "del") == 0 ||
	    strcmp(argv[0], "list") == 0) ? argv[0] : NULL;
	snprintf(prog, sizeof(prog), "tegamictl alias%s%s", sub ? " " : "",
	    sub ? sub : "");
	if (argc < 1)
		return admin_usage(prog, ALIAS_USAGE, 0);
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)
		return admin_usage(prog, ALIAS_USAGE, 1);
	if (admin_getopt(prog, argc - 1, argv + 1, opts, &help, &n) == -1)
		return 1;
	if (help)
		return admin_usage(prog, ALIAS_USAGE, 1);
	if (sub == NULL)
		return admin_fail(prog, tr("unknown command %s (usage: %s)"),
		    argv[0], ALIAS_USAGE);
	argv++;
	if (strcmp(sub, "list") != 0 && n < 1)
		return admin_fail(prog, "%s", tr("which address?"));
	if (strcmp(sub, "list") == 0 && n > 1)
		return admin_fail(prog, tr("one domain or address at a time (%s is "
		    "too much)"), argv[1]);
	if (admin_open(&a, prog, conf) != 0)
		return 1;
	a.want_virtual = table;
	a.json = json;
	if (strcmp(sub, "add") == 0) {
		if ((rc = admin_alias_add(&a, argv[0], argv + 1, n - 1)) == 0)
			rc = admin_reload(&a, a.virtual);
	} else if (strcmp(sub, "del") == 0) {
		if ((rc = admin_alias_del(&a, argv[0], argv + 1, n - 1)) == 0)
			rc = admin_reload(&a, a.virtual);
	} else
		rc = admin_alias_show(&a, n ? argv[0] : NULL);
	admin_close(&a);
	return rc;
}
