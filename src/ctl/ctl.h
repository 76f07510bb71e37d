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

/* tegamictl dkim keygen DOMAIN ... (ctl_dkim.c). Exit status. */
int		 ctl_dkim(const char *conf_path, int argc, char **argv);
/*
 * A new DKIM key of type "rsa" (bits) or "ed25519" written to path (mode
 * 0600, never over an existing file; its directory made 0700 if missing),
 * its record ("v=DKIM1; k=...; p=...") appended to rec. 0 or -1 with errstr.
 */
struct buf;
int		 ctl_dkim_generate(const char *path, const char *type, int bits,
		    struct buf *rec, const char **errstr);
/* "NAME. IN TXT ..." with the value in strings of at most 255 octets. */
void		 ctl_dkim_print_txt(FILE *, const char *name, const char *value);
/* tegamictl dns DOMAIN [--check] (ctl_dns.c). Exit status. */
int		 ctl_dns(const char *conf_path, int argc, char **argv);
/* tegamictl import vpopmail|qmail|postfix|dovecot-passwd ... (import.c). Exit status. */
int		 ctl_import(const char *conf_path, int argc, char **argv);

/* sendmail(8) compatibility: returns the exit status (sysexits). */
int		 sendmail_main(int argc, char **argv);

#endif
