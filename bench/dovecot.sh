# Dovecot's auth service alone, for Postfix's SMTP AUTH in the tls family (sourced by peers/postfix.sh).
#
# Debian's dovecot-core is extracted under build/bench/peers, never installed.
# Its master would exec the compiled-in /usr/bin/doveconf to read the config;
# instead the extracted doveconf is run first and hands the settings to the
# master in its environment (DOVECONF_ENV, as the master itself does), and
# every service's executable points into the extracted tree. The config has
# no protocols, no listeners and no SSL: only the auth service, a passwd-file
# passdb with the run's bcrypt hash, and a unix socket for Postfix's smtpd.
# Uses PEER_DIR, WORK, BENCH_USER, TLS_HASH; sets PEER_WHY on failure.

DV_PKG=$WORK/peers/dovecot-core
DV_LIB=$DV_PKG/usr/lib/dovecot
DV_LD=$DV_LIB:$DV_LIB/modules/old-stats
DV_DIR=$PEER_DIR/dovecot
DV_SOCKET=$DV_DIR/auth-client

dv_prepare()
{
	if ! fetch_deb dovecot-core "$DV_PKG"; then
		PEER_WHY="Debian package dovecot-core could not be downloaded"
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

# dv_doveconf ARGS...: the extracted doveconf on this instance's config.
dv_doveconf()
{
	LD_LIBRARY_PATH=$DV_LD "$DV_PKG/usr/bin/doveconf" -c "$DV_DIR/dovecot.conf" "$@"
}

dv_start()
{
	mkdir -p "$DV_DIR/run" "$DV_DIR/state" || return 1
	printf '%s:%s\n' "$BENCH_USER" "$TLS_HASH" >"$DV_DIR/passwd" &&
	    chown nobody "$DV_DIR/passwd" && chmod 600 "$DV_DIR/passwd" || return 1
	dv_conf >"$DV_DIR/dovecot.conf"
	# Every service that has an executable relative to the compiled-in
	# libexec directory gets the extracted one.
	dv_doveconf -a 2>"$DV_DIR/doveconf.log" | awk -v d="$DV_LIB" '
	    /^service / { s = $2 }
	    /^  executable = / && substr($3, 1, 1) != "/" {
		rest = $0
		sub(/^  executable = [^ ]+/, "", rest)
		printf "service %s {\n  executable = %s/%s%s\n}\n", s, d, $3, rest
	    }' >"$DV_DIR/services.conf"
	if [ ! -s "$DV_DIR/services.conf" ]; then
		PEER_WHY="doveconf failed: $(tail -n 1 "$DV_DIR/doveconf.log")"
		return 1
	fi
	DOVECONF_ENV=1 LD_LIBRARY_PATH=$DV_LD "$DV_PKG/usr/bin/doveconf" \
	    -f service=master -c "$DV_DIR/dovecot.conf" -m master \
	    -e "$DV_PKG/usr/sbin/dovecot" -F -c "$DV_DIR/dovecot.conf" \
	    >"$DV_DIR/stdout.log" 2>&1 &
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
