/* tegamictl: control and administration; also sendmail, mailq and newaliases by argv[0]. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "lib/buf.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tegamictl [-f file] command [args]\n"
	    "  show queue [--json]     messages in the queue\n"
	    "  show stats              counters since start\n"
	    "  schedule ID|all         try delivery now\n"
	    "  remove ID|all           delete from the queue\n"
	    "  update table NAME       reload one table\n"
	    "  reload                  reload the configuration\n"
	    "  encrypt [PASSWORD]      bcrypt hash for a credentials table\n"
	    "  init --domain D --hostname H [--dir DIR]\n"
	    "                          write a first config, tables and certificate\n");
	exit(1);
}

/* One control command from the words given; exit status of the answer. */
static int
ctl_run(const char *conf, const char *line)
{
	return ctl_command(ctl_socket_path(conf), line, stdout);
}

int
main(int argc, char **argv)
{
	char		*name = basename(argv[0]);
	const char	*conf = NULL;
	char		 line[1100];
	int		 ch;

	if (strcmp(name, "sendmail") == 0)
		return sendmail_main(argc, argv);
	if (strcmp(name, "mailq") == 0)
		return ctl_run(ctl_conf_path(NULL), "SHOW QUEUE");
	if (strcmp(name, "newaliases") == 0)
		return ctl_run(ctl_conf_path(NULL), "RELOAD");

	while ((ch = getopt(argc, argv, "+f:")) != -1) {
		switch (ch) {
		case 'f':
			conf = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	conf = ctl_conf_path(conf);
	if (argc < 1)
		usage();

	if (strcmp(argv[0], "show") == 0 && argc >= 2) {
		if (strcmp(argv[1], "queue") == 0)
			return ctl_run(conf, argc > 2 && strcmp(argv[2], "--json") == 0 ?
			    "SHOW QUEUE JSON" : "SHOW QUEUE");
		if (strcmp(argv[1], "stats") == 0)
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
	if (strcmp(argv[0], "encrypt") == 0)
		return ctl_encrypt(conf, argc, argv);
	if (strcmp(argv[0], "init") == 0)
		return ctl_init(argc, argv);
	if (strcmp(argv[0], "sendmail") == 0)
		return sendmail_main(argc, argv);
	usage();
}
