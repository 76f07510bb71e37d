# Benchmark peer: Postfix from Debian's package, extracted under build/bench and
# run from there with its own config, queue and data directories (sourced by run.sh).
#
# Needs root: master(8) starts as root and drops to mail_owner. The `postfix`
# user and the `postdrop` group are created when missing. Mail is delivered by
# virtual(8) as `nobody`, which owns the Maildir tree under build/bench.
#
# PEER_MODE tls: STARTTLS required and SMTP AUTH through Dovecot's auth
# service (smtpd_sasl_type = dovecot), Dovecot from Debian's dovecot-core
# extracted beside it and run with an auth-only config (bench/dovecot.sh).
# PEER_MODE relay: everything goes to relayhost = smtp-sink.
# PEER_MODE idle: STARTTLS offered, not required; as many smtpd processes
# and connections as the largest idle scenario needs.

PEER_LABEL="Postfix"
PEER_PORT_BASE=2625
POSTFIX_DIRSYNC=0

PF_PKG=$WORK/peers/postfix
PF_LIB=$PF_PKG/usr/lib/postfix

. "$BENCH/dovecot.sh"
[ "$PEER_MODE" = tls ] && PEER_LABEL="Postfix+Dovecot SASL"

# pf PROGRAM ARGS...: one of the package's commands against this instance.
pf()
{
	_prog=$1
	shift
	LD_LIBRARY_PATH=$PF_LIB "$PF_PKG/usr/sbin/$_prog" -c "$PEER_DIR/config" "$@"
}

peer_prepare()
{
	if ! fetch_deb postfix "$PF_PKG"; then
		PEER_WHY="Debian package postfix could not be downloaded"
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		PEER_WHY="needs root: Postfix's master starts as root and drops to the postfix user"
		return 1
	fi
	if ! getent group postdrop >/dev/null; then
		say "creating group postdrop (Postfix's setgid_group)"
		groupadd --system postdrop || { PEER_WHY="groupadd postdrop failed"; return 1; }
	fi
	if ! getent passwd postfix >/dev/null; then
		say "creating user postfix (Postfix's mail_owner)"
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin postfix ||
		    { PEER_WHY="useradd postfix failed"; return 1; }
	fi
	if ! getent passwd nobody >/dev/null; then
		PEER_WHY="no user nobody to own the Maildirs"
		return 1
	fi
	if [ "$PEER_MODE" = tls ] && ! dv_prepare; then
		return 1
	fi
	if [ "$POSTFIX_DIRSYNC" = 1 ]; then
		mkdir -p "$WORK/dirsync-probe"
		if ! chattr +D "$WORK/dirsync-probe" 2>/dev/null; then
			rmdir "$WORK/dirsync-probe"
			PEER_WHY="the filesystem of $WORK has no dirsync attribute (chattr +D)"
			return 1
		fi
		rmdir "$WORK/dirsync-probe"
	fi
	# What a peer built on this one needs beside (pf_extra_prepare).
	if command -v pf_extra_prepare >/dev/null 2>&1 && ! pf_extra_prepare; then
		return 1
	fi
	return 0
}

peer_version()
{
	if [ "$PEER_MODE" = tls ]; then
		echo "$(cat "$PF_PKG/.version" 2>/dev/null), Dovecot $(dv_version)"
	else
		cat "$PF_PKG/.version" 2>/dev/null
	fi
}

# master.cf from the package's, with chroot off (nothing is copied into the
# queue directory) and the smtp listener on loopback at PORT.
pf_master_cf()
{
	awk -v port="$1" '
	/^#/ || /^[ \t]/ || NF < 8 { print; next }
	$1 == "smtp" && $2 == "inet" {
		print "127.0.0.1:" port " inet n - n - - smtpd"
		next
	}
	{ $5 = "n"; print }
	' "$PF_PKG/usr/share/postfix/master.cf.dist"
}

pf_main_cf()
{
	PF_RELAYHOST=""
	[ "$PEER_MODE" = relay ] && PF_RELAYHOST="[127.0.0.1]:$SINK_PORT"
	cat <<EOF
compatibility_level = 3.6
config_directory = $PEER_DIR/config
meta_directory = $PEER_DIR/config
queue_directory = $PEER_DIR/queue
data_directory = $PEER_DIR/data
daemon_directory = $PF_LIB/sbin
command_directory = $PF_PKG/usr/sbin
shlib_directory = $PF_LIB
manpage_directory = $PF_PKG/usr/share/man
sample_directory = $PF_PKG/usr/share/postfix
html_directory = no
readme_directory = no
mail_owner = postfix
setgid_group = postdrop
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
    POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH=$PF_LIB
maillog_file_prefixes = $WORK
maillog_file = $PEER_DIR/maillog

myhostname = bench.test
mydomain = bench.test
myorigin = \$myhostname
mydestination =
relay_domains =
relayhost = $PF_RELAYHOST
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no

# Nothing may leave loopback: no client name lookups, no DNS in the clients.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native

virtual_mailbox_domains = bench.test
virtual_mailbox_base = $PEER_DIR/vmail
virtual_mailbox_maps = texthash:$PEER_DIR/config/vmailbox
virtual_uid_maps = static:$PF_UID
virtual_gid_maps = static:$PF_GID
virtual_mailbox_limit = 0
EOF
	case $PEER_MODE in
	tls)
		cat <<EOF

# Submission: nothing before STARTTLS, AUTH only over TLS, through Dovecot.
smtpd_tls_cert_file = $TLS_CERT
smtpd_tls_key_file = $TLS_KEY
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DV_SOCKET
smtpd_client_restrictions = permit_sasl_authenticated, reject
EOF
		;;
	relay)
		cat <<EOF

# Everything to the smarthost (relayhost above), in clear as tegami's smtp+notls://.
smtp_tls_security_level = none
default_destination_concurrency_limit = 10
EOF
		;;
	idle)
		cat <<EOF

# Idle connections: STARTTLS offered, not required. One smtpd per connection,
# so the default of 100 processes per service is raised past the largest
# scenario (which also keeps Postfix out of stress mode, where smtpd_timeout
# drops from 300 s to 10 s); no limit on connections per client (the default
# of 50 already exempts mynetworks, 127.0.0.0/8).
smtpd_tls_cert_file = $TLS_CERT
smtpd_tls_key_file = $TLS_KEY
smtpd_tls_security_level = may
default_process_limit = $((${BENCH_IDLE_MAX:-0} + 100))
smtpd_client_connection_count_limit = 0
EOF
		;;
	esac
	# What a peer built on this one adds (postfix-opendkim.sh: its milter).
	command -v pf_extra_main >/dev/null 2>&1 && pf_extra_main
	return 0
}

peer_start()
{
	PF_UID=$(id -u nobody) PF_GID=$(id -g nobody)
	# Idle: master, anvil and the like hold a descriptor or two per connection.
	if [ "$PEER_MODE" = idle ] && [ "$(ulimit -Hn)" != unlimited ] &&
	    [ "$(ulimit -Hn)" -lt $((2 * ${BENCH_IDLE_MAX:-0} + 128)) ]; then
		ulimit -n $((2 * BENCH_IDLE_MAX + 128)) 2>/dev/null ||
		    { PEER_WHY="descriptor limit too low (ulimit -n)"; return 1; }
	fi
	# An instance left by an interrupted run would lose its queue under it.
	ours "$(peer_pid)" "$PF_LIB/sbin/master" && peer_stop
	set_aside "$PEER_DIR" && mkdir -p "$PEER_DIR/config" "$PEER_DIR/queue" \
	    "$PEER_DIR/data" "$PEER_DIR/vmail" || return 1
	# meta_directory: the files postfix-script checks, from the package.
	cp "$PF_PKG/etc/postfix/postfix-files" "$PF_PKG/usr/share/postfix/dynamicmaps.cf" \
	    "$PF_PKG/usr/share/postfix/makedefs.out" "$PEER_DIR/config/" &&
	    cp "$PF_PKG/usr/share/postfix/main.cf.dist" "$PEER_DIR/config/main.cf.proto" &&
	    cp "$PF_PKG/usr/share/postfix/master.cf.dist" "$PEER_DIR/config/master.cf.proto" &&
	    mkdir -p "$PEER_DIR/config/dynamicmaps.cf.d" "$PEER_DIR/config/postfix-files.d" ||
	    return 1
	pf_main_cf >"$PEER_DIR/config/main.cf"
	pf_master_cf "$PORT" >"$PEER_DIR/config/master.cf"
	_i=1
	while [ "$_i" -le 50 ]; do
		echo "u$_i@bench.test bench.test/u$_i/Maildir/"
		_i=$((_i + 1))
	done >"$PEER_DIR/config/vmailbox"
	[ "$POSTFIX_DIRSYNC" = 1 ] && chattr +D "$PEER_DIR/vmail"
	chown nobody:"$(id -gn nobody)" "$PEER_DIR/vmail" &&
	    chown postfix "$PEER_DIR/data" || return 1
	if [ "$PEER_MODE" = tls ] && ! dv_start; then
		return 1
	fi
	# A process a peer built on this one runs beside Postfix (pf_extra_start).
	if command -v pf_extra_start >/dev/null 2>&1 && ! pf_extra_start; then
		return 1
	fi
	if ! pf postfix start >"$PEER_DIR/start.log" 2>&1; then
		PEER_WHY="postfix start failed: $(tail -n 1 "$PEER_DIR/start.log")"
		return 1
	fi
	if ! wait_port "$PORT" "" 10; then
		PEER_WHY="Postfix did not listen on port $PORT"
		return 1
	fi
	return 0
}

peer_pid()
{
	tr -d ' ' 2>/dev/null <"$PEER_DIR/queue/pid/master.pid"
}

# With Dovecot (or a milter), both process trees serve: both are counted.
peer_pids()
{
	if [ "$PEER_MODE" = tls ]; then
		echo "$(peer_pid),$(dv_pid)"
	elif command -v pf_extra_pid >/dev/null 2>&1; then
		echo "$(peer_pid),$(pf_extra_pid)"
	else
		peer_pid
	fi
}

# Relay: as many concurrent deliveries to the smarthost as clients.
peer_tune()
{
	[ "$PEER_MODE" = relay ] || return 0
	[ "$(pf postconf -h default_destination_concurrency_limit)" = "$1" ] && return 0
	pf postconf -e "default_destination_concurrency_limit = $1" &&
	    pf postfix reload >>"$PEER_DIR/start.log" 2>&1
	# The reload restarts qmgr: let it settle before the clock starts.
	sleep 1
}

peer_maildir()
{
	echo "$PEER_DIR/vmail/bench.test/%u/Maildir"
}

peer_stop()
{
	_pid=$(peer_pid)
	pf postfix stop >>"$PEER_DIR/start.log" 2>&1
	_n=0
	while alive "$_pid" && [ "$_n" -lt 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	stop_pid "$_pid" 5
	dv_stop
	command -v pf_extra_stop >/dev/null 2>&1 && pf_extra_stop
	return 0
}
