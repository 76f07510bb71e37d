/* tegamictl encrypt: bcrypt hashes for credentials tables, from argv, a prompt or stdin lines. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/password.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"

/* "smtp auth-cost N" from the config, read without loading it (tables may be unreadable). */
static int
conf_auth_cost(const char *conf_path)
{
	FILE	*fp;
	char	 line[4096];
	int	 cost = PASSWORD_COST_DEFAULT;

	if (conf_path == NULL || (fp = fopen(conf_path, "r")) == NULL)
		return cost;
	while (fgets(line, sizeof(line), fp)) {
		char	*p = line, *end;
		long	 n;

		p += strspn(p, " \t");
		if (strncmp(p, "smtp", 4) != 0 || !isspace((unsigned char)p[4]))
			continue;
		p += 4 + strspn(p + 4, " \t");
		if (strncmp(p, "auth-cost", 9) != 0 || !isspace((unsigned char)p[9]))
			continue;
		n = strtol(p + 9, &end, 10);
		if (end != p + 9 && n >= 4 && n <= 31)
			cost = (int)n;
	}
	fclose(fp);
	return cost;
}

static int
print_hash(const char *password, int cost)
{
	char		 hash[PASSWORD_HASH_MAX + 1];
	const char	*errstr;

	if (password_hash(password, cost, hash, sizeof(hash), &errstr) == -1) {
		fprintf(stderr, "tegamictl encrypt: %s\n", errstr);
		return 1;
	}
	printf("%s\n", hash);
	return 0;
}

/* The password without echo, as passwd(1) asks for it. */
static int
prompt(char *buf, size_t len)
{
	struct termios	 old, quiet;
	int		 ok;

	fprintf(stderr, "%s", tr("Password: "));
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	ok = fgets(buf, (int)len, stdin) != NULL;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	if (!ok)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
ctl_encrypt(const char *conf_path, int argc, char **argv)
{
	char	 line[PASSWORD_MAX + 3];
	int	 cost = conf_auth_cost(conf_path), rc = 0;

	if (argc > 2) {
		fprintf(stderr, "%s", tr("usage: tegamictl encrypt [password]\n"));
		return 1;
	}
	if (argc == 2)
		return print_hash(argv[1], cost);
	if (isatty(STDIN_FILENO)) {
		if (prompt(line, sizeof(line)) == -1)
			return 1;
		rc = print_hash(line, cost);
		explicit_bzero(line, sizeof(line));
		return rc;
	}
	/* Like smtpctl encrypt: one hash per line of stdin. */
	while (fgets(line, sizeof(line), stdin) != NULL) {
		size_t	 n = strcspn(line, "\r\n");

		if (line[n] == '\0' && !feof(stdin)) {
			fprintf(stderr, "%s", tr("tegamictl encrypt: password too long\n"));
			explicit_bzero(line, sizeof(line));
			return 1;
		}
		line[n] = '\0';
		if (print_hash(line, cost) != 0)
			rc = 1;
		fflush(stdout);
	}
	explicit_bzero(line, sizeof(line));
	return rc;
}
