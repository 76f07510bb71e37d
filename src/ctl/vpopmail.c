/* vpopmail's command names with vpopmail's argument order: vadddomain, vadduser, vdeluser, vpasswd, vuserinfo, valias. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/password.h"
#include "ctl/admin.h"

static const struct {
	const char	*name;
	const char	*usage;
} cmds[] = {
	{ "vadddomain", "vadddomain [-q QUOTA] [-e HASH] [--password-stdin] "
	    "DOMAIN [PASSWORD]" },
	{ "vadduser", "vadduser [-q QUOTA] [-e HASH] [--password-stdin] "
	    "ADDRESS [PASSWORD]" },
	{ "vdeluser", "vdeluser [--purge] ADDRESS" },
	{ "vpasswd", "vpasswd [-e HASH] [--password-stdin] ADDRESS [PASSWORD]" },
	{ "vuserinfo", "vuserinfo ADDRESS" },
	{ "valias", "valias [-s | -d | -i TARGET] ADDRESS|DOMAIN" },
};

int
vpopmail_is_command(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return 1;
	return 0;
}

/* The password argument, --password-stdin, or a prompt, as vpopmail asks when none is given. */
static int
get_password(const char *prog, int npos, char **argv, int pstdin, char *dst,
    size_t dstlen)
{
	if (npos >= 2) {
		if (strlen(argv[1]) >= dstlen)
			return admin_fail(prog, "%s", tr("password too long"));
		snprintf(dst, dstlen, "%s", argv[1]);
		/* A password on the command line is seen by ps: vpopmail allows it, so do we. */
		explicit_bzero(argv[1], strlen(argv[1]));
		return 0;
	}
	return admin_password(prog, pstdin, dst, dstlen);
}

int
vpopmail_main(const char *name, const char *conf, int argc, char **argv)
{
	struct admin		 a;
	struct admin_user_spec	 s;
	const char		*usage = NULL, *quota = NULL, *hash = NULL;
	const char		*insert = NULL;
	char			 password[PASSWORD_MAX + 2], pm[300];
	int			 help = 0, pstdin = 0, purge = 0, show = 0, del = 0;
	int			 n, rc, maxpos = 1;
	size_t			 i;
	const struct admin_opt opts[] = {
		{ "q", 1, &quota, NULL },
		{ "e", 1, &hash, NULL },
		{ "password-stdin", 0, NULL, &pstdin },
		{ "purge", 0, NULL, &purge },
		{ "s", 0, NULL, &show },
		{ "d", 0, NULL, &del },
		{ "i", 1, &insert, NULL },
		{ NULL, 0, NULL, NULL },
	};

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			usage = cmds[i].usage;
	if (usage == NULL)
		return admin_fail("tegamictl", tr("unknown command %s"), name);
	if (admin_getopt(name, argc - 1, argv + 1, opts, &help, &n) == -1)
		return 1;
	if (help)
		return admin_usage(name, usage, 1);
	argv++;
	if (strcmp(name, "vadddomain") == 0 || strcmp(name, "vadduser") == 0 ||
	    strcmp(name, "vpasswd") == 0)
		maxpos = 2;
	if (n < 1 || n > maxpos)
		return admin_usage(name, usage, 0);
	password[0] = '\0';
	memset(&s, 0, sizeof(s));
	if (quota != NULL) {
		if (admin_parse_size(quota, &s.quota) == -1)
			return admin_fail(name, tr("%s is no size (try 500M, 2G or "
			    "none)"), quota);
		s.set_quota = 1;
	}
	if (maxpos == 2 && hash == NULL &&
	    get_password(name, n, argv, pstdin, password, sizeof(password)) != 0)
		return 1;
	if (admin_open(&a, name, conf) != 0)
		return 1;
	s.password = password;
	s.hash = hash;
	if (strcmp(name, "vadddomain") == 0) {
		/* vadddomain makes the domain and its postmaster. */
		snprintf(pm, sizeof(pm), "postmaster@%s", argv[0]);
		s.address = pm;
		rc = admin_domain_add(&a, argv[0]);
		if (rc == 0)
			rc = admin_user_add(&a, &s);
		if (rc == 0)
			rc = admin_reload(&a, a.domains) || admin_reload_users(&a);
	} else if (strcmp(name, "vadduser") == 0) {
		s.address = argv[0];
		rc = admin_user_add(&a, &s);
		if (rc == 0)
			rc = admin_reload_users(&a);
	} else if (strcmp(name, "vdeluser") == 0)
		rc = admin_user_del(&a, argv[0], purge);
	else if (strcmp(name, "vpasswd") == 0)
		rc = admin_user_passwd(&a, argv[0], password, hash);
	else if (strcmp(name, "vuserinfo") == 0)
		rc = admin_user_show(&a, argv[0]);
	else if (del) {
		if ((rc = admin_alias_del(&a, argv[0], NULL, 0)) == 0)
			rc = admin_reload(&a, a.virtual);
	} else if (insert != NULL) {
		/* vpopmail writes forwards as "&address" lines of a .qmail file. */
		char	*t = (char *)(insert[0] == '&' ? insert + 1 : insert);

		if ((rc = admin_alias_add(&a, argv[0], &t, 1)) == 0)
			rc = admin_reload(&a, a.virtual);
	} else
		rc = admin_alias_show(&a, argv[0]);
	explicit_bzero(password, sizeof(password));
	admin_close(&a);
	(void)show;
	return rc;
}
