/* tegamictl internals: the control-socket client and the commands built on it. */
#ifndef TEGAMI_CTL_H
#define TEGAMI_CTL_H

#include <stdio.h>

/*
 * The control socket of a config: the value of its "socket" directive, read
 * without loading the config's tables (which a normal user may not read),
 * else the default. Returns a static string.
 */
const char	*ctl_socket_path(const char *conf_path);
/* The config's hostname directive, else the host's name. Static string. */
const char	*ctl_hostname(const char *conf_path);
/* The config to use: -f/-C value, else $TEGAMI_CONF, else the default. */
const char	*ctl_conf_path(const char *given);

/* Connects to the control socket; -1 with a message on stderr. */
int		 ctl_connect(const char *sock);
/* Sends one command line and copies the answer to out; exit status. */
int		 ctl_command(const char *sock, const char *line, FILE *out);

/* tegamictl encrypt [PASSWORD]: bcrypt hashes (encrypt.c). Exit status. */
int		 ctl_encrypt(const char *conf_path, int argc, char **argv);
/* tegamictl init --domain D --hostname H [--dir DIR] (init.c). Exit status. */
int		 ctl_init(int argc, char **argv);

/* sendmail(8) compatibility: returns the exit status (sysexits). */
int		 sendmail_main(int argc, char **argv);

#endif
