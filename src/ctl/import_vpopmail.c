/* tegamictl import vpopmail ~vpopmail: domains, users with their password hashes and quotas, .qmail aliases and forwards, Maildirs in place or copied. */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/password.h"
#include "conf/table.h"
#include "conf/table_edit.h"
#include "ctl/import.h"
#include "ctl/vpasswd.h"
#include "lib/dio.h"
#include "lib/xalloc.h"
#include "mail/maildir_name.h"

#define DOMAINS_MAX	100000

struct vuser {
	char		*name;		/* local part */
	char		*dir;		/* its directory in the tree being imported */
};

struct vdomain {
	char		*name;
	char		*dir;
	struct vuser	*users;
	size_t		 nusers;
};

static int
is_dir(const char *p)
{
	struct stat	 st;

	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* vpopmail hashes domain directories into one-character buckets when there are many. */
static void
find_domains(const char *root, struct vdomain **out, size_t *n, int depth)
{
	struct dirent	*e;
	DIR		*d;
	char		*p, *vp;

	if ((d = opendir(root)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && *n < DOMAINS_MAX) {
		if (e->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", root, e->d_name);
		vp = xasprintf("%s/vpasswd", p);
		if (is_dir(p) && access(vp, F_OK) == 0) {
			*out = xreallocarray(*out, *n + 1, sizeof(**out));
			memset(&(*out)[*n], 0, sizeof(**out));
			(*out)[*n].name = xstrdup(e->d_name);
			(*out)[(*n)++].dir = p;
			p = NULL;
		} else if (depth == 0 && strlen(e->d_name) <= 2 && is_dir(p))
			find_domains(p, out, n, 1);
		free(vp);
		free(p);
	}
	closedir(d);
}

/*
 * The user's directory in this tree: the vpasswd dir field names the old
 * absolute path (/home/vpopmail/domains/D/U, or D/0/U when vpopmail hashed
 * the users); what follows "/D/" is looked up under the domain's directory
 * here. Nothing outside it is ever taken.
 */
static char *
user_dir(const struct vdomain *vd, const struct vpasswd *vp)
{
	char	 key[300];
	const char *p = NULL, *q;
	char	*dir;

	snprintf(key, sizeof(key), "/%s/", vd->name);
	for (q = vp->dir; (q = strstr(q, key)) != NULL; q++)
		p = q + strlen(key);
	if (p != NULL && *p != '\0' && strstr(p, "..") == NULL && p[0] != '/') {
		dir = xasprintf("%s/%s", vd->dir, p);
		if (is_dir(dir))
			return dir;
		free(dir);
	}
	dir = xasprintf("%s/%s", vd->dir, vp->name);
	if (is_dir(dir))
		return dir;
	free(dir);
	return NULL;
}

/* Copies one regular file, keeping its name and mtime (the IMAP internal date). */
static int
copy_file(int sdir, int ddir, const char *name, uid_t uid, gid_t gid)
{
	struct timespec	 ts[2];
	struct stat	 st;
	char		 buf[65536];
	ssize_t		 n;
	int		 in, out, r = -1;

	if ((in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return -1;
	if (fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(in);
		return -1;
	}
	if ((out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		close(in);
		return errno == EEXIST ? 0 : -1;	/* a second run */
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (dio_write(out, buf, (size_t)n) == -1)
			goto done;
	if (n == -1)
		goto done;
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	(void)futimens(out, ts);
	if (geteuid() == 0 && fchown(out, uid, gid) == -1)
		goto done;
	if (dio_fsync(out) == -1)
		goto done;
	r = 1;
done:
	close(in);
	if (close(out) == -1)
		r = -1;
	if (r == -1)
		unlinkat(ddir, name, 0);
	return r;
}

static int
make_dir(const char *path, uid_t uid, gid_t gid)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return -1;
	if (geteuid() == 0 && chown(path, uid, gid) == -1)
		return -1;
	return 0;
}

/* cur/ and new/ of one folder (tmp/ holds nothing finished). Messages copied, or -1. */
static long
copy_folder(const char *src, const char *dst, uid_t uid, gid_t gid)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	struct maildir_name	 mn;
	struct dirent		*e;
	DIR			*d;
	char			*s, *t;
	long			 count = 0;
	int			 sfd, dfd, r, i;

	if (make_dir(dst, uid, gid) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		t = xasprintf("%s/%s", dst, subs[i]);
		r = make_dir(t, uid, gid);
		if (r == -1 || i == 2) {
			free(t);
			if (r == -1)
				return -1;
			continue;
		}
		s = xasprintf("%s/%s", src, subs[i]);
		d = opendir(s);
		sfd = d ? dirfd(d) : -1;
		dfd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		while (d != NULL && dfd != -1 && (e = readdir(d)) != NULL) {
			if (maildir_name_parse(e->d_name, strlen(e->d_name), &mn) == -1)
				continue;
			if ((r = copy_file(sfd, dfd, e->d_name, uid, gid)) == -1) {
				count = -1;
				break;
			}
			count += r;
		}
		if (dfd != -1) {
			(void)dio_fsync_dirfd(dfd);
			close(dfd);
		}
		if (d)
			closedir(d);
		free(s);
		free(t);
		if (count == -1)
			return -1;
	}
	return count;
}

/* The whole Maildir++ tree: INBOX, the .Folders, subscriptions. Messages copied, or -1. */
static long
copy_maildir(const char *src, const char *dst, uid_t uid, gid_t gid)
{
	static const char *const keep[] = { "subscriptions", "courierimapsubscribed" };
	struct dirent	*e;
	DIR		*d;
	long		 total, n;
	char		*s, *t, *cur;
	size_t		 i;
	int		 sfd, dfd;

	if ((total = copy_folder(src, dst, uid, gid)) == -1)
		return -1;
	if ((d = opendir(src)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 || strchr(e->d_name, '/'))
			continue;
		s = xasprintf("%s/%s", src, e->d_name);
		cur = xasprintf("%s/cur", s);
		if (is_dir(s) && is_dir(cur)) {
			t = xasprintf("%s/%s", dst, e->d_name);
			if ((n = copy_folder(s, t, uid, gid)) == -1)
				total = -1;
			else if (total != -1) {
				char	*mf = xasprintf("%s/maildirfolder", t);
				int	 fd = open(mf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

				if (fd != -1) {
					if (geteuid() == 0)
						(void)fchown(fd, uid, gid);
					close(fd);
				}
				free(mf);
				total += n;
			}
			free(t);
		}
		free(cur);
		free(s);
		if (total == -1)
			break;
	}
	closedir(d);
	sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; total != -1 && sfd != -1 && dfd != -1 && i < 2; i++)
		(void)copy_file(sfd, dfd, keep[i], uid, gid);
	if (dfd != -1) {
		(void)dio_fsync_dirfd(dfd);
		close(dfd);
	}
	if (sfd != -1)
		close(sfd);
	return total;
}

/*
 * The user a path of a .qmail line stands for: ".../D/U/Maildir/" or
 * ".../D/U" (vdelivermail's catch-all), U being a user of this domain.
 */
static const char *
user_of_path(const struct vdomain *vd, const char *path)
{
	char	*p = xstrdup(path), *base;
	size_t	 n, i;
	const char *found = NULL;

	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if (n >= 8 && strcmp(p + n - 8, "/Maildir") == 0)
		p[n - 8] = '\0';
	base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	for (i = 0; i < vd->nusers; i++)
		if (strcasecmp(vd->users[i].name, base) == 0)
			found = vd->users[i].name;
	free(p);
	return found;
}

/*
 * The targets of a .qmail file, as addresses: forwards, and Maildirs of
 * this domain's users. What has no equivalent is reported. *self is set
 * when a line delivers to own_maildir (a user's "./Maildir/").
 */
static char **
qmail_targets(struct import *im, const struct vdomain *vd, const char *file,
    const char *what, int *n, int *self)
{
	struct dotqmail	 dq;
	struct buf	 b;
	const char	*errstr, *u;
	char		**t = NULL;
	size_t		 i;

	*n = 0;
	*self = 0;
	if (imp_read(file, DOTQMAIL_FILE_MAX, &b, &errstr) != 0)
		return NULL;
	if (dotqmail_parse(b.data, b.len, &dq, &errstr) == -1) {
		imp_skip(im, "%s: %s", what, errstr);
		buf_free(&b);
		return NULL;
	}
	buf_free(&b);
	for (i = 0; i < dq.n; i++) {
		const char	*v = dq.v[i].value;

		switch (dq.v[i].kind) {
		case DOTQMAIL_FORWARD:
			t = xreallocarray(t, (size_t)*n + 1, sizeof(*t));
			t[(*n)++] = strchr(v, '@') ? xstrdup(v) :
			    xasprintf("%s@%s", v, vd->name);
			break;
		case DOTQMAIL_MAILDIR:
			if (strcmp(v, "./Maildir/") == 0) {
				*self = 1;
				break;
			}
			if ((u = user_of_path(vd, v)) != NULL) {
				t = xreallocarray(t, (size_t)*n + 1, sizeof(*t));
				t[(*n)++] = xasprintf("%s@%s", u, vd->name);
			} else
				imp_skip(im, tr("%s: delivery into %s"), what, v);
			break;
		case DOTQMAIL_MBOX:
			imp_skip(im, tr("%s: delivery into the mbox %s"), what, v);
			break;
		case DOTQMAIL_PROGRAM:
			imp_skip(im, tr("%s: the program |%s (not run)"), what, v);
			break;
		}
	}
	dotqmail_free(&dq);
	return t;
}

static int
add_alias(struct import *im, struct admin *a, const char *key, char **t, int n)
{
	int	 i;

	if (n == 0)
		return 0;
	{
		char	 list[2048] = "";

		for (i = 0; i < n; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
			    "%s%s", i ? ", " : "", t[i]);
		imp_did(im, tr("alias %s -> %s"), key, list);
	}
	if (im->dry_run)
		return 0;
	return admin_alias_add(a, key, t, n);
}

/* The domain's .qmail-EXT files (aliases) and .qmail-default (vdelivermail's catch-all). */
static void
domain_aliases(struct import *im, struct admin *a, struct vdomain *vd)
{
	struct dirent	*e;
	DIR		*d;
	char		 local[256], key[600], *path, arg[512], **t;
	const char	*u;
	int		 wild, n, self, i;

	if ((d = opendir(vd->dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (dotqmail_ext(e->d_name, ".qmail-", local, sizeof(local), &wild) == -1)
			continue;
		path = xasprintf("%s/%s", vd->dir, e->d_name);
		if (wild && local[0] == '\0') {
			struct dotqmail	 dq;
			struct buf	 b;
			const char	*errstr;

			if (imp_read(path, DOTQMAIL_FILE_MAX, &b, &errstr) == 0 &&
			    dotqmail_parse(b.data, b.len, &dq, &errstr) == 0) {
				for (i = 0; i < (int)dq.n; i++) {
					if (dq.v[i].kind != DOTQMAIL_PROGRAM ||
					    dotqmail_vdelivermail(dq.v[i].value, arg,
					    sizeof(arg)) == -1) {
						imp_skip(im, tr("%s/.qmail-default: %s"),
						    vd->name, dq.v[i].value);
						continue;
					}
					snprintf(key, sizeof(key), "@%s", vd->name);
					if (strcmp(arg, "bounce-no-mailbox") == 0)
						continue;	/* what tegami does anyway */
					if (strcmp(arg, "delete") == 0) {
						imp_skip(im, tr("%s: mail for unknown users "
						    "was deleted; tegami refuses it"), vd->name);
						continue;
					}
					char	*target = strchr(arg, '@') ? xstrdup(arg) :
					    (u = user_of_path(vd, arg)) ? xasprintf("%s@%s",
					    u, vd->name) : NULL;

					if (target == NULL) {
						imp_skip(im, tr("%s: catch-all into %s"),
						    vd->name, arg);
						continue;
					}
					add_alias(im, a, key, &target, 1);
					free(target);
				}
				dotqmail_free(&dq);
			}
			buf_free(&b);
			free(path);
			continue;
		}
		snprintf(key, sizeof(key), "%s@%s", local, vd->name);
		if (wild) {
			imp_skip(im, tr("%s: addresses %s-* (.qmail-%s-default)"),
			    vd->name, local, local);
			free(path);
			continue;
		}
		t = qmail_targets(im, vd, path, key, &n, &self);
		if (add_alias(im, a, key, t, n) != 0)
			imp_skip(im, tr("alias %s"), key);
		for (i = 0; i < n; i++)
			free(t[i]);
		free(t);
		free(path);
	}
	closedir(d);
}

/* One vpasswd entry: the login, the Maildir (kept in place or copied), quota, forwards. */
static void
import_user(struct import *im, struct admin *a, struct vdomain *vd,
    const struct vpasswd *vp)
{
	struct admin_user_spec	 s;
	enum password_scheme	 sch;
	struct stat		 st;
	struct passwd		*pw;
	char			 addr[400], hashbuf[PASSWORD_HASH_MAX + 1];
	char			*dir, *src = NULL, *dst = NULL, *hash = NULL, *acct = NULL;
	char			 rs[PATH_MAX], rd[PATH_MAX], **t = NULL;
	const char		*errstr, *account;
	uint64_t		 qb, qc;
	long			 copied = 0;
	int			 in_place = 0, nt = 0, self = 0, i;

	snprintf(addr, sizeof(addr), "%s@%s", vp->name, vd->name);
	for (i = 0; addr[i]; i++)
		addr[i] = (char)tolower((unsigned char)addr[i]);
	if ((dir = user_dir(vd, vp)) != NULL) {
		vd->users = xreallocarray(vd->users, vd->nusers + 1, sizeof(*vd->users));
		vd->users[vd->nusers].name = xstrdup(vp->name);
		vd->users[vd->nusers++].dir = xstrdup(dir);
		src = xasprintf("%s/Maildir", dir);
	}
	/*
	 * The old hash works as it is (re-hashed at the first login); a clear
	 * one is kept as {PLAIN}.
	 */
	if (vp->crypted[0] != '\0' && password_parse(vp->crypted, &sch, hashbuf,
	    sizeof(hashbuf), &errstr) == 0)
		hash = xstrdup(vp->crypted);
	else if (vp->clear != NULL)
		hash = xasprintf("{PLAIN}%s", vp->clear);
	explicit_bzero(hashbuf, sizeof(hashbuf));
	memset(&s, 0, sizeof(s));
	s.address = addr;
	if (vpasswd_quota(vp->quota, &qb, &qc) == 0 && (qb || qc)) {
		s.quota = qb;
		s.set_quota = 1;
		if (qc)
			imp_skip(im, tr("%s: the limit of %llu messages (only the size "
			    "limit is kept)"), addr, (unsigned long long)qc);
	}
	/* In place when the configuration already points at the vpopmail tree. */
	account = admin_account(a, NULL);
	if (src != NULL && lstat(src, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (pw = getpwuid(st.st_uid)) != NULL && st.st_uid != 0 &&
	    admin_maildir_predict(a, addr, pw->pw_name, &dst) == 0) {
		if (realpath(src, rs) != NULL && (realpath(dst, rd) != NULL ?
		    strcmp(rs, rd) == 0 : strcmp(rs, dst) == 0) && !im->copy_mail) {
			in_place = 1;
			account = pw->pw_name;
		}
	}
	if (!in_place) {
		free(dst);
		dst = NULL;
		if (admin_maildir_predict(a, addr, account, &dst) != 0)
			goto out;
	}
	acct = xstrdup(account);
	s.account = acct;
	s.hash = hash;
	s.no_maildir = src != NULL && is_dir(src);
	if (hash == NULL)
		imp_skip(im, tr("%s: no password this version can check; set one "
		    "with tegamictl user passwd"), addr);
	if (src != NULL && !is_dir(src))
		imp_skip(im, tr("%s: no Maildir at %s"), addr, src);
	if (dir != NULL) {
		char	*q = xasprintf("%s/.qmail", dir);

		t = qmail_targets(im, vd, q, addr, &nt, &self);
		free(q);
	}
	if (in_place)
		imp_did(im, tr("user %s, Maildir kept in place at %s (owned by %s)"),
		    addr, dst, account);
	else if (s.no_maildir)
		imp_did(im, tr("user %s, Maildir copied from %s to %s"), addr, src,
		    dst);
	else
		imp_did(im, tr("user %s, new Maildir %s"), addr, dst);
	if (im->dry_run)
		goto out;
	/* A user without a login still gets mail. */
	s.no_login = hash == NULL;
	if (admin_user_add(a, &s) != 0) {
		imp_skip(im, tr("user %s"), addr);
		goto out;
	}
	if (!in_place && s.no_maildir) {
		pw = getpwnam(account);
		/* The directories above it, owned by the account, then the copy. */
		if (admin_maildir_create(a, dst, account, 0, 0, 0) != 0)
			copied = -1;
		else
			copied = copy_maildir(src, dst, pw ? pw->pw_uid : getuid(),
			    pw ? pw->pw_gid : getgid());
		if (copied == -1)
			imp_skip(im, tr("%s: copying the Maildir failed: %s"), addr,
			    strerror(errno));
		else
			printf(tr("      %ld messages copied, their names (the POP3 "
			    "UIDLs) kept\n"), copied);
		if (s.set_quota)
			(void)admin_maildir_create(a, dst, account, s.quota, 1, 0);
	}
	if (nt > 0) {
		/* The user's .qmail: forwards, and a copy kept for ./Maildir/. */
		char	 val[2048];

		snprintf(val, sizeof(val), "%s", self ? account : "");
		for (i = 0; i < nt; i++)
			snprintf(val + strlen(val), sizeof(val) - strlen(val), "%s%s",
			    val[0] ? ", " : "", t[i]);
		imp_did(im, tr("%s forwards to %s"), addr, val);
		{
			struct table_edit	 *te;

			if ((te = admin_edit_open(a, ADMIN_VIRTUAL)) != NULL) {
				if (table_edit_set(te, addr, val, &errstr) == -1) {
					admin_edit_abort(a, te);
					imp_skip(im, "%s: %s", addr, errstr);
				} else
					(void)admin_edit_commit(a, ADMIN_VIRTUAL, te);
			}
		}
	}
out:
	for (i = 0; i < nt; i++)
		free(t[i]);
	free(t);
	free(dir);
	free(src);
	free(dst);
	free(acct);
	if (hash)
		explicit_bzero(hash, strlen(hash));
	free(hash);
}

static void
import_domain(struct import *im, struct admin *a, struct vdomain *vd)
{
	struct vpasswd	 vp;
	struct buf	 b;
	const char	*errstr, *nl;
	char		 d[256], *path;
	size_t		 off = 0, n, lineno = 0;
	int		 r;

	if (admin_domain(vd->name, d, sizeof(d), &errstr) == -1) {
		imp_skip(im, tr("the directory %s is no domain name"), vd->dir);
		return;
	}
	free(vd->name);
	vd->name = xstrdup(d);
	printf(tr("domain %s (%s):\n"), d, vd->dir);
	if (!admin_has_domain(a, d)) {
		imp_did(im, tr("domain %s"), d);
		if (!im->dry_run && admin_domain_add(a, d) != 0)
			return;
	}
	path = xasprintf("%s/vpasswd", vd->dir);
	r = imp_read(path, VPASSWD_FILE_MAX, &b, &errstr);
	if (r != 0) {
		imp_skip(im, "%s: %s", path, r == 1 ? tr("missing") : errstr);
		free(path);
		return;
	}
	while (off < b.len) {
		nl = memchr(b.data + off, '\n', b.len - off);
		n = nl ? (size_t)(nl - (b.data + off)) : b.len - off;
		lineno++;
		r = vpasswd_parse(b.data + off, n, &vp, &errstr);
		off += n + (nl != NULL);
		if (r == -1)
			imp_skip(im, "%s:%zu: %s", path, lineno, errstr);
		if (r != 1)
			continue;
		import_user(im, a, vd, &vp);
		vpasswd_clear(&vp);
	}
	explicit_bzero(b.data, b.len);
	buf_free(&b);
	free(path);
	domain_aliases(im, a, vd);
	/* Dovecot served POP3 here: its UIDLs are in dovecot-uidlist, not the names. */
	for (n = 0; n < vd->nusers; n++) {
		char	*ul = xasprintf("%s/Maildir/dovecot-uidlist", vd->users[n].dir);
		int	 found = access(ul, F_OK) == 0;

		free(ul);
		if (found) {
			imp_skip(im, tr("%s: POP3 UIDLs Dovecot gave (dovecot-uidlist); "
			    "POP3 clients of this domain may fetch old mail again"), d);
			break;
		}
	}
}

int
import_vpopmail(struct import *im, const char *dir)
{
	struct admin	 a;
	struct vdomain	*doms = NULL;
	size_t		 n = 0, i, j;
	char		*root;

	if (!is_dir(dir))
		return admin_fail(im->prog, tr("%s is not a directory"), dir);
	root = xasprintf("%s/domains", dir);
	find_domains(root, &doms, &n, 0);
	free(root);
	if (n == 0)
		return admin_fail(im->prog, tr("no domains/*/vpasswd under %s: is "
		    "it ~vpopmail?"), dir);
	if (admin_open(&a, im->prog, im->conf_path) != 0)
		return 1;
	a.quiet = 1;
	a.no_daemon = 1;
	if (admin_table(&a, ADMIN_DOMAINS) == NULL || admin_table(&a, ADMIN_VIRTUAL) ==
	    NULL || admin_table(&a, ADMIN_CREDS) == NULL) {
		admin_close(&a);
		return 1;
	}
	/* One write of each table at the end, not one per user. */
	admin_batch_begin(&a);
	for (i = 0; i < n; i++) {
		import_domain(im, &a, &doms[i]);
		for (j = 0; j < doms[i].nusers; j++) {
			free(doms[i].users[j].name);
			free(doms[i].users[j].dir);
		}
		free(doms[i].users);
		free(doms[i].name);
		free(doms[i].dir);
	}
	free(doms);
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
