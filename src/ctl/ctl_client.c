/* Control-socket client: finds the socket from the config and exchanges one command. */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/i18n.h"

#define CTL_DEFAULT_CONF	"/etc/tegami/tegami.conf"
#define CTL_DEFAULT_SOCKET	"/run/tegami.sock"

const char *
ctl_conf_path(const char *given)
{
	const char	*env;

	if (given)
		return given;
	if ((env = getenv("TEGAMI_CONF")) != NULL && *env)
		return env;
	return CTL_DEFAULT_CONF;
}

/*
 * Finds `keyword "value"` at the start of a line. Only these two top-level
 * directives are needed and both take one quoted or bare word.
 */
static int
conf_scan(const char *conf_path, const char *keyword, char *dst, size_t dstlen)
{
	FILE	*fp;
	char	 line[4096];
	size_t	 klen = strlen(keyword);
	int	 found = 0;

	if ((fp = fopen(conf_path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp)) {
		char	*p = line, *end;

		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, keyword, klen) != 0 || !isspace((unsigned char)p[klen]))
			continue;
		p += klen;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '"') {
			p++;
			end = strchr(p, '"');
		} else
			end = p + strcspn(p, " \t\r\n#");
		if (end == NULL || end == p || (size_t)(end - p) >= dstlen)
			continue;
		memcpy(dst, p, (size_t)(end - p));
		dst[end - p] = '\0';
		found = 1;
	}
	fclose(fp);
	return found;
}

const char *
ctl_socket_path(const char *conf_path)
{
	static char	 path[1024];

	if (!conf_scan(conf_path, "socket", path, sizeof(path)))
		snprintf(path, sizeof(path), "%s", CTL_DEFAULT_SOCKET);
	return path;
}

const char *
ctl_hostname(const char *conf_path)
{
	static char	 name[256];

	if (conf_scan(conf_path, "hostname", name, sizeof(name)))
		return name;
	if (gethostname(name, sizeof(name)) == -1)
		snprintf(name, sizeof(name), "localhost");
	name[sizeof(name) - 1] = '\0';
	return name;
}

int
ctl_connect(const char *sock)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, tr("tegamictl: socket path too long: %s\n"), sock);
		return -1;
	}
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, tr("tegamictl: cannot connect to %s: %s (is tegamid "
		    "running?)\n"), sock, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

int
ctl_command(const char *sock, const char *line, FILE *out)
{
	char	 buf[8192];
	ssize_t	 n;
	int	 fd, status = 0, at_line_start = 1;

	if ((fd = ctl_connect(sock)) == -1)
		return 1;
	if (dprintf(fd, "%s\n", line) < 0) {
		fprintf(stderr, "tegamictl: write: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t	 i;

		/* An answer line starting "error:" makes the exit status 1. */
		for (i = 0; i < n; i++) {
			if (at_line_start && n - i >= 6 && strncmp(buf + i, "error:", 6) == 0)
				status = 1;
			at_line_start = buf[i] == '\n';
		}
		fwrite(buf, 1, (size_t)n, out);
	}
	close(fd);
	return status;
}
