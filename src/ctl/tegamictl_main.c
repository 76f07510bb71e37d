/* tegamictl: control and administration; also sendmail, mailq, newaliases and the vpopmail names by argv[0]. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/admin.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"

static const struct {
	const char	*name;
	const char	*usage;
	const char	*what;
} cmds[] = {
	{ "init", "init --domain D --hostname H [--dir DIR]",
	    TR_MARK("write a complete first configuration") },
	{ "domain", "domain add|del|list [DOMAIN...]",
	    TR_MARK("domains served here") },
	{ "user", "user add|del|passwd|quota|list|show ADDRESS",
	    TR_MARK("users: logins and Maildirs") },
	{ "alias", "alias add|del|list ADDRESS [TARGET...]",
	    TR_MARK("forwarding addresses") },
	{ "dkim", "dkim keygen DOMAIN [--selector S]",
	    TR_MARK("a DKIM key and its DNS record") },
	{ "dns", "dns DOMAIN [--check]",
	    TR_MARK("the DNS records to publish, checked") },
	{ "import", "import vpopmail|qmail|postfix|dovecot-passwd PATH [--dry-run]",
	    TR_MARK("take over another server's setup") },
	{ "encrypt", "encrypt [PASSWORD]",
	    TR_MARK("a bcrypt hash for a credentials table") },
	{ "show", "show queue [--json] | show stats",
	    TR_MARK("the queue and counters") },
	{ "schedule", "schedule ID|all", TR_MARK("try delivery now") },
	{ "remove", "remove ID|all", TR_MARK("delete from the queue") },
	{ "update", "update table NAME", TR_MARK("reload one table") },
	{ "reload", "reload", TR_MARK("reload the configuration") },
	{ "vadddomain", "vadddomain DOMAIN [PASSWORD]",
	    TR_MARK("vpopmail spellings (also as program names)") },
	{ "vadduser", "vadduser ADDRESS [PASSWORD]", NULL },
	{ "vdeluser", "vdeluser ADDRESS", NULL },
	{ "vpasswd", "vpasswd ADDRESS [PASSWORD]", NULL },
	{ "vuserinfo", "vuserinfo ADDRESS", NULL },
	{ "valias", "valias [-s|-d|-i TARGET] ADDRESS", NULL },
};

static int
usage(int help)
{
	FILE	*f = help ? stdout : stderr;
	size_t	 i;

	if (!help) {
		fprintf(f, "%s", tr("tegamictl: which command? (tegamictl -h "
		    "lists them)\n"));
		return 1;
	}
	fprintf(f, "%s", tr("usage: tegamictl [-f file] command [args]; "
	    "command -h says more\n"));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-46s %s\n", cmds[i].usage,
		    cmds[i].what ? tr(cmds[i].what) : "");
	return 0;
}

static const char *
cmd_usage(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return cmds[i].usage;
	return NULL;
}

static int
wants_help(int argc, char **argv)
{
	int	 i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

/* One control command from the words given; exit status of the answer. */
static int
ctl_run(const char *conf, const char *line)
{
	return ctl_command(ctl_socket_path(conf), line, stdout);
}

/* The queue and reload commands, sent to the control socket. */
static int
control(const char *conf, int argc, char **argv)
{
	char	 line[1100];

	if (strcmp(argv[0], "show") == 0 && argc >= 2) {
		if (strcmp(argv[1], "queue") == 0 && (argc == 2 || (argc == 3 &&
		    strcmp(argv[2], "--json") == 0)))
			return ctl_run(conf, argc == 3 ? "SHOW QUEUE JSON" :
			    "SHOW QUEUE");
		if (strcmp(argv[1], "stats") == 0 && argc == 2)
			return ctl_run(conf, "SHOW STATS");
	}
	if ((strcmp(argv[0], "schedule") == 0 || strcmp(argv[0], "remove") == 0) &&
	    argc == 2 && strlen(argv[1]) < 64) {
		snprintf(line, sizeof(line), "%s %s", strcmp(argv[0], "schedule") == 0 ?
		    "SCHEDULE" : "REMOVE", argv[1]);
		return ctl_run(conf, line);
	}
	if (strcmp(argv[0], "update") == 0 && argc == 3 &&
	    strcmp(argv[1], "table") == 0 && strlen(argv[2]) < 256) {
		snprintf(line, sizeof(line), "UPDATE TABLE %s", argv[2]);
		return ctl_run(conf, line);
	}
	if (strcmp(argv[0], "reload") == 0 && argc == 1)
		return ctl_run(conf, "RELOAD");
	fprintf(stderr, tr("tegamictl %s: wrong arguments (usage: tegamictl %s)\n"),
	    argv[0], cmd_usage(argv[0]));
	return 1;
}

int
main(int argc, char **argv)
{
	char		*name = basename(argv[0]);
	const char	*conf = NULL, *u;
	int		 ch;

	i18n_set(i18n_from_env());
	if (strcmp(name, "sendmail") == 0)
		return sendmail_main(argc, argv);
	if ((strcmp(name, "mailq") == 0 || strcmp(name, "newaliases") == 0) &&
	    wants_help(argc, argv)) {
		printf(tr("usage: %s\n"), name);
		return 0;
	}
	if (strcmp(name, "mailq") == 0)
		return ctl_run(ctl_conf_path(NULL), "SHOW QUEUE");
	if (strcmp(name, "newaliases") == 0)
		return ctl_run(ctl_conf_path(NULL), "RELOAD");
	if (vpopmail_is_command(name))
		return vpopmail_main(name, ctl_conf_path(NULL), argc, argv);

	/* --help among the options before the command, like -h. */
	for (ch = 1; ch < argc && argv[ch][0] == '-'; ch++) {
		if (strcmp(argv[ch], "--help") == 0)
			return usage(1);
		if (strcmp(argv[ch], "-f") == 0)
			ch++;
	}
	opterr = 0;
	while ((ch = getopt(argc, argv, "+f:h")) != -1) {
		switch (ch) {
		case 'f':
			conf = optarg;
			break;
		case 'h':
			return usage(1);
		default:
			fprintf(stderr, tr("tegamictl: unknown option -%c (tegamictl -h "
			    "lists the commands)\n"), optopt);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	conf = ctl_conf_path(conf);
	if (argc < 1)
		return usage(0);

	if (strcmp(argv[0], "domain") == 0)
		return admin_domain_cmd(conf, argc - 1, argv + 1);
	if (strcmp(argv[0], "user") == 0)
		return admin_user_cmd(conf, argc - 1, argv + 1);
	if (strcmp(argv[0], "alias") == 0)
		return admin_alias_cmd(conf, argc - 1, argv + 1);
	if (vpopmail_is_command(argv[0]))
		return vpopmail_main(argv[0], conf, argc, argv);
	if (strcmp(argv[0], "dkim") == 0)
		return ctl_dkim(conf, argc, argv);
	if (strcmp(argv[0], "dns") == 0)
		return ctl_dns(conf, argc, argv);
	if (strcmp(argv[0], "import") == 0)
		return ctl_import(conf, argc, argv);
	if (strcmp(argv[0], "init") == 0)
		return ctl_init(argc, argv);
	if (strcmp(argv[0], "sendmail") == 0)
		return sendmail_main(argc, argv);
	if ((u = cmd_usage(argv[0])) != NULL && wants_help(argc, argv)) {
		printf(tr("usage: tegamictl %s\n"), u);
		return 0;
	}
	if (strcmp(argv[0], "encrypt") == 0)
		return ctl_encrypt(conf, argc, argv);
	if (u != NULL)
		return control(conf, argc, argv);
	fprintf(stderr, tr("tegamictl: unknown command %s (tegamictl -h lists "
	    "them)\n"), argv[0]);
	return 1;
}
