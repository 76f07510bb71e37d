/* tegamid: parse flags, load and check the config, then hand over to the parent process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/tls.h"
#include "net/tls_conf.h"
#include "parent/parent.h"
#include "smtp/smtp.h"

#define TEGAMI_DEFAULT_CONF	"/etc/tegami/tegami.conf"

static void
usage(void)
{
	fprintf(stderr, "usage: tegamid [-dnv] [-f file]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	const char	*path = TEGAMI_DEFAULT_CONF;
	struct buf	 errors, warnings;
	struct bundle	*bundle;
	struct conf	*conf;
	int		 ch, foreground = 0, check = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(1, verbose);
	buf_init(&errors, 0);
	buf_init(&warnings, 0);
	/* Every file read is kept: running processes reload from these bytes. */
	bundle = bundle_new();
	conf = conf_load_recorded(path, bundle, &errors, &warnings);
	if (warnings.len)
		fprintf(stderr, "%s", warnings.data);
	if (conf == NULL) {
		fprintf(stderr, "%s", errors.data ? errors.data : "configuration error\n");
		return 1;
	}
	buf_free(&errors);
	if (check) {
		struct tls_server	*tls;

		/* The certificates and keys must load too, as the daemon will. */
		buf_init(&errors, 0);
		tls = tls_conf_load(conf, bundle, &errors);
		if (tls == NULL)
			fprintf(stderr, "%s", errors.data ? errors.data : "TLS error\n");
		else
			fprintf(stderr, "configuration OK\n");
		tls_server_free(tls);
		buf_free(&errors);
		buf_free(&warnings);
		conf_free(conf);
		bundle_free(bundle);
		return tls == NULL ? 1 : 0;
	}
	if (!foreground) {
		log_init(0, verbose);
		/* The warnings printed above also go to the log a daemon keeps. */
		log_lines(LOG_WARNING, warnings.data);
	}
	buf_free(&warnings);
	parent_run(conf, bundle, path, foreground);
}
