# Dovecot from Debian's packages, extracted: the auth service alone, for
# Postfix's SMTP AUTH in the tls family (sourced by peers/postfix.sh), or
# IMAP and POP3 on the Maildirs of the mail-reading families (DV_READ=1,
# sourced by peers/dovecot.sh).
#
# Debian's dovecot-core (and, for reading, dovecot-imapd and dovecot-pop3d)
# is extracted under build/bench/peers, never installed. Its master would
# exec the compiled-in /usr/bin/doveconf to read the config; instead the
# extracted doveconf is run first and hands the settings to the master in
# its environment (DOVECONF_ENV, as the master itself does), and every
# service's executable points into the extracted trees. The auth-only
# config has no protocols, no listeners and no SSL: only the auth service,
# a passwd-file passdb with the run's bcrypt hash, and a unix socket for
# Postfix's smtpd. The reading config (dv_conf_read) adds plain IMAP and
# POP3 on loopback.
# Uses PEER_DIR, WORK, BENCH_USER, TLS_HASH (or DV_USERS and DV_HASH);
# sets PEER_WHY on failure.

DV_PKG=$WORK/peers/dovecot-core
DV_LIB=$DV_PKG/usr/lib/dovecot
DV_LD=$DV_LIB:$DV_LIB/modules/old-stats
DV_IMAPD=$WORK/peers/dovecot-imapd
DV_POP3D=$WORK/peers/dovecot-pop3d
DV_DIR=$PEER_DIR/dovecot
DV_SOCKET=$DV_DIR/auth-client
DV_READ=${DV_READ:-0}

dv_prepare()
{
	if ! fetch_deb dovecot-core "$DV_PKG"; then
		PEER_WHY="Debian package dovecot-core could not be downloaded"
		return 1
	fi
	[ "$DV_READ" = 1 ] || return 0
	if ! fetch_deb dovecot-imapd "$DV_IMAPD"; then
		PEER_WHY="Debian package dovecot-imapd could not be downloaded"
		return 1
	fi
	if ! fetch_deb dovecot-pop3d "$DV_POP3D"; then
		PEER_WHY="Debian package dovecot-pop3d could not be downloaded"
		return 1
	fi
	return 0
}

dv_version()
{
	cat "$DV_PKG/.version" 2>/dev/null
}

dv_conf()
{
	if [ "$DV_READ" = 1 ]; then
		dv_conf_read
		return
	fi
	cat <<EOF
# Written by bench/dovecot.sh: the auth service only.
base_dir = $DV_DIR/run
state_dir = $DV_DIR/state
instance_name = bench-dovecot
log_path = $DV_DIR/dovecot.log
protocols =
ssl = no
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
import_environment = TZ LD_LIBRARY_PATH=$DV_LD
auth_mechanisms = plain login
# crypt(3) checks the \$2b\$ hash the other servers get; Dovecot 2.3's own
# BLF-CRYPT verifier refuses the \$2b\$ prefix.
passdb {
  driver = passwd-file
  args = scheme=CRYPT $DV_DIR/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $DV_SOCKET {
    mode = 0666
  }
}
!include_try $DV_DIR/services.conf
EOF
}

# IMAP and POP3 in clear on loopback (the numbers compare the servers, not
# OpenSSL), for the logins of DV_USERS, on the Maildirs under DV_MAIL
# (DV_MAIL/DOMAIN/USER/Maildir, as tegami's maildir action has them), read
# and written as nobody; DV_IMAP_PORT and DV_POP3_PORT. DV_CONNS is the most
# IMAP connections at once (the idle scenarios): Dovecot runs one imap
# process per connection, so its process and connection limits grow with it.
# Everything else is Dovecot's default.
dv_conf_read()
{
	_limit=$((${DV_CONNS:-0} + 100))
	[ "$_limit" -lt 1000 ] && _limit=1000
	cat <<EOF
# Written by bench/dovecot.sh: IMAP and POP3 for the mail-reading benchmarks.
base_dir = $DV_DIR/run
state_dir = $DV_DIR/state
instance_name = bench-dovecot-read
log_path = $DV_DIR/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
# No TLS here, and passwords in clear (loopback only).
disable_plaintext_auth = no
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
import_environment = TZ LD_LIBRARY_PATH=$DV_LD
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=CRYPT $DV_DIR/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$DV_MAIL/%d/%n
}
mail_location = maildir:~/Maildir
# Plugins from the extracted tree (none is loaded; the login processes
# read their directory, which Debian leaves empty, so it is made here).
mail_plugin_dir = $DV_LIB/modules
login_plugin_dir = $DV_DIR/login-modules
# The UIDL is the Maildir base name, as qmail-pop3d and vpopmail gave it
# and as tegami gives it (Dovecot's setting for users moved from them).
pop3_uidl_format = %f
default_client_limit = $((_limit + 1000))
protocol imap {
  mail_max_userip_connections = $_limit
}
service imap {
  process_limit = $_limit
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DV_IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DV_POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
service auth {
  unix_listener $DV_SOCKET {
    mode = 0666
  }
}
!include_try $DV_DIR/services.conf
EOF
}

# dv_doveconf ARGS...: the extracted doveconf on this instance's config.
dv_doveconf()
{
	LD_LIBRARY_PATH=$DV_LD "$DV_PKG/usr/bin/doveconf" -c "$DV_DIR/dovecot.conf" "$@"
}

dv_start()
{
	mkdir -p "$DV_DIR/run" "$DV_DIR/state" "$DV_DIR/login-modules" || return 1
	for _u in ${DV_USERS:-$BENCH_USER}; do
		printf '%s:%s\n' "$_u" "${DV_HASH:-$TLS_HASH}"
	done >"$DV_DIR/passwd" &&
	    chown nobody "$DV_DIR/passwd" && chmod 600 "$DV_DIR/passwd" || return 1
	rm -f "$DV_DIR/services.conf"
	dv_conf >"$DV_DIR/dovecot.conf"
	# Every service that has an executable relative to the compiled-in
	# libexec directory gets the extracted one, from the package that has it.
	dv_doveconf -a 2>"$DV_DIR/doveconf.log" | awk -v d="$DV_LIB" \
	    -v i="$DV_IMAPD/usr/lib/dovecot" -v p="$DV_POP3D/usr/lib/dovecot" '
	    /^service / { s = $2 }
	    /^  executable = / && substr($3, 1, 1) != "/" {
		rest = $0
		sub(/^  executable = [^ ]+/, "", rest)
		dir = d
		if (system("test -e \"" d "/" $3 "\"") != 0) {
			if (system("test -e \"" i "/" $3 "\"") == 0)
				dir = i
			else if (system("test -e \"" p "/" $3 "\"") == 0)
				dir = p
		}
		printf "service %s {\n  executable = %s/%s%s\n}\n", s, dir, $3, rest
	    }' >"$DV_DIR/services.conf"
	if [ ! -s "$DV_DIR/services.conf" ]; then
		PEER_WHY="doveconf failed: $(tail -n 1 "$DV_DIR/doveconf.log")"
		return 1
	fi
	if [ "$DV_READ" = 1 ]; then
		# The login processes load the SSL module from the compiled-in
		# /usr/lib/dovecot/modules before they read any setting (and die
		# when it is missing), so the master runs in a mount namespace of
		# its own where /usr/lib has the extracted tree as dovecot/ (an
		# overlay, seen by nothing else; it goes with the last process).
		mkdir -p "$DV_DIR/usrlib" && ln -sfn "$DV_LIB" "$DV_DIR/usrlib/dovecot" || return 1
		DOVECONF_ENV=1 LD_LIBRARY_PATH=$DV_LD unshare -m --propagation private sh -c '
		    mount -t overlay bench-dovecot -o lowerdir="$1":/usr/lib /usr/lib || exit 1
		    shift
		    exec "$@"' sh "$DV_DIR/usrlib" "$DV_PKG/usr/bin/doveconf" \
		    -f service=master -c "$DV_DIR/dovecot.conf" -m master \
		    -e "$DV_PKG/usr/sbin/dovecot" -F -c "$DV_DIR/dovecot.conf" \
		    >"$DV_DIR/stdout.log" 2>&1 &
	else
		DOVECONF_ENV=1 LD_LIBRARY_PATH=$DV_LD "$DV_PKG/usr/bin/doveconf" \
		    -f service=master -c "$DV_DIR/dovecot.conf" -m master \
		    -e "$DV_PKG/usr/sbin/dovecot" -F -c "$DV_DIR/dovecot.conf" \
		    >"$DV_DIR/stdout.log" 2>&1 &
	fi
	echo $! >"$DV_DIR/master.pid.ours"
	_n=0
	while [ ! -S "$DV_SOCKET" ] && [ "$_n" -lt 100 ]; do
		if ! alive "$!"; then
			break
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	if [ ! -S "$DV_SOCKET" ]; then
		PEER_WHY="Dovecot did not make its auth socket: $(tail -n 1 "$DV_DIR/dovecot.log" \
		    2>/dev/null || tail -n 1 "$DV_DIR/stdout.log")"
		return 1
	fi
	return 0
}

dv_pid()
{
	cat "$DV_DIR/master.pid.ours" 2>/dev/null
}

dv_stop()
{
	_dp=$(dv_pid)
	ours "$_dp" "$DV_PKG/usr/sbin/dovecot" && stop_pid "$_dp" 10
	rm -f "$DV_DIR/master.pid.ours"
	return 0
}
