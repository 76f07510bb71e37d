/* The configuration the qmail and Postfix importers write: tegami.conf, its tables and a certificate, never over existing files. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/import.h"
#include "lib/xalloc.h"

void
gen_init(struct gen *g)
{
	memset(g, 0, sizeof(*g));
	g->listen = xstrdup("any");
	g->local_maildir = 1;
	buf_init(&g->globals, 0);
	buf_init(&g->filters, 0);
	buf_init(&g->actions, 0);
	buf_init(&g->matches, 0);
}

void
gen_free(struct gen *g)
{
	size_t	 i;

	free(g->hostname);
	free(g->listen);
	free(g->cert);
	free(g->key);
	free(g->inbound_filter);
	buf_free(&g->globals);
	buf_free(&g->filters);
	buf_free(&g->actions);
	buf_free(&g->matches);
	for (i = 0; i < g->ntables; i++) {
		free(g->tables[i].name);
		buf_free(&g->tables[i].text);
	}
	memset(g, 0, sizeof(*g));
}

struct buf *
gen_table(struct gen *g, const char *name, mode_t mode)
{
	size_t	 i;

	for (i = 0; i < g->ntables; i++)
		if (strcmp(g->tables[i].name, name) == 0)
			return &g->tables[i].text;
	if (g->ntables == GEN_TABLES_MAX)
		return NULL;
	g->tables[g->ntables].name = xstrdup(name);
	g->tables[g->ntables].mode = mode;
	buf_init(&g->tables[g->ntables].text, 0);
	return &g->tables[g->ntables++].text;
}

static int
put(struct import *im, const char *path, mode_t mode, const struct buf *b)
{
	size_t	 off = 0;
	ssize_t	 w;
	int	 fd;

	if (im->dry_run) {
		printf(tr("---- %s (would be written)\n"), path);
		fwrite(b->data ? b->data : "", 1, b->len, stdout);
		return 0;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) == -1)
		return admin_fail(im->prog, tr("cannot write %s: %s"), path,
		    strerror(errno));
	while (off < b->len) {
		if ((w = write(fd, b->data + off, b->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return admin_fail(im->prog, tr("cannot write %s: %s"), path,
			    strerror(errno));
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1)
		return admin_fail(im->prog, tr("cannot write %s: %s"), path,
		    strerror(errno));
	return 0;
}

int
gen_write(struct gen *g, struct import *im)
{
	struct buf	 conf;
	struct passwd	*pw = getpwuid(getuid());
	const char	*dir = im->out_dir, *h = g->hostname, *l = g->listen;
	char		*path, *crt = NULL, *key = NULL;
	int		 root = geteuid() == 0, rc = 1;
	size_t		 i;

	if (!im->dry_run && mkdir(dir, 0755) == -1 && errno != EEXIST)
		return admin_fail(im->prog, "%s: %s", dir, strerror(errno));
	path = xasprintf("%s/tegami.conf", dir);
	if (access(path, F_OK) == 0) {
		admin_fail(im->prog, tr("%s exists; refusing to overwrite anything "
		    "(give another --dir)"), path);
		free(path);
		return 1;
	}
	if (g->cert == NULL) {
		crt = xasprintf("%s/%s.crt", dir, h);
		key = xasprintf("%s/%s.key", dir, h);
	}
	buf_init(&conf, 0);
	buf_addf(&conf, "# tegami configuration written by %s; see tegami.conf(5) "
	    "and docs/migrating.md.\n# Check it with: tegamid -n -f %s\n\n"
	    "hostname \"%s\"\n", im->prog, path, h);
	if (root)
		buf_addf(&conf, "spool \"/var/spool/tegami\"\nsocket "
		    "\"/run/tegami.sock\"\nuser \"_tegami\"\n");
	else
		buf_addf(&conf, "spool \"%s/spool\"\nsocket \"%s/tegami.sock\"\n"
		    "user \"%s\"\n", dir, dir, pw ? pw->pw_name : "nobody");
	if (g->globals.len)
		buf_add(&conf, g->globals.data, g->globals.len);
	buf_addf(&conf, "\npki %s cert \"%s\"\npki %s key \"%s\"\n\n", h,
	    g->cert ? g->cert : crt, h, g->key ? g->key : key);
	for (i = 0; i < g->ntables; i++)
		buf_addf(&conf, "table %s file:%s/%s\n", g->tables[i].name, dir,
		    g->tables[i].name);
	buf_addf(&conf, "table creds file:%s/creds\ntable senders file:%s/senders\n\n",
	    dir, dir);
	if (g->filters.len)
		buf_addf(&conf, "%s\n", g->filters.data);
	buf_addf(&conf, "listen on %s port 25 tls pki %s", l, h);
	if (g->inbound_filter)
		buf_addf(&conf, " filter \"%s\"", g->inbound_filter);
	buf_addc(&conf, '\n');
	if (g->submission)
		buf_addf(&conf, "listen on %s port 587 %s pki %s auth <creds> senders "
		    "<senders>\n", l, g->submission_tls_require ? "tls-require" :
		    "tls", h);
	if (g->smtps)
		buf_addf(&conf, "listen on %s port 465 smtps pki %s auth <creds> "
		    "senders <senders>\n", l, h);
	buf_addf(&conf, "listen on %s port 993 imaps pki %s auth <creds>\n"
	    "listen on %s port 995 pop3s pki %s auth <creds>\n\n", l, h, l, h);
	if (g->actions.len)
		buf_addf(&conf, "%s\n", g->actions.data);
	if (g->matches.len)
		buf_add(&conf, g->matches.data, g->matches.len);
	if (put(im, path, 0644, &conf) != 0)
		goto out;
	for (i = 0; i < g->ntables; i++) {
		char	*tp = xasprintf("%s/%s", dir, g->tables[i].name);
		int	 r = put(im, tp, g->tables[i].mode, &g->tables[i].text);

		free(tp);
		if (r != 0)
			goto out;
	}
	{
		struct buf	 empty, sh;
		char		*cp = xasprintf("%s/creds", dir);
		char		*sp = xasprintf("%s/senders", dir);
		int		 r;

		buf_init(&empty, 0);
		buf_init(&sh, 0);
		buf_adds(&sh, "# login  addresses it may send as (user@domain or "
		    "@domain)\n");
		r = put(im, cp, 0600, &empty) || put(im, sp, 0644, &sh);
		free(cp);
		free(sp);
		buf_free(&sh);
		if (r)
			goto out;
	}
	if (crt != NULL && !im->dry_run && init_make_cert(h, crt, key) == -1)
		goto out;
	if (!im->dry_run) {
		printf(tr("wrote %s and its tables; next: tegamid -n -f %s\n"), path,
		    path);
		printf(tr("  users: tegamictl -f %s import vpopmail|dovecot-passwd "
		    "..., or user add\n"), path);
	}
	rc = 0;
out:
	buf_free(&conf);
	free(path);
	free(crt);
	free(key);
	return rc;
}
