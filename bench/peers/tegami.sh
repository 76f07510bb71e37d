# Benchmark peer: tegami's own bin/tegamid, run in the foreground as the
# current user with a config under build/bench (sourced by run.sh). As root,
# the virtual users map to nobody, who owns the Maildir tree.

PEER_LABEL="tegami"
PEER_PORT_BASE=2525
PEER_PROTOCOLS="smtp"
case $PEER_MODE in pop3|imap) PEER_PROTOCOLS="smtp imap pop3" ;; esac
# Where the mail-reading families' Maildirs are (run.sh copies them there).
READ_MAIL=$WORK/readmail/$PEER
TG_BIN=${TEGAMI_BIN:-$ROOT/bin}

peer_prepare()
{
	if [ ! -x "$TG_BIN/tegamid" ]; then
		PEER_WHY="$TG_BIN/tegamid is not built"
		return 1
	fi
	return 0
}

peer_version()
{
	_v=$(git -C "$ROOT" describe --always --dirty 2>/dev/null)
	echo "git ${_v:-unknown}"
}

# The config of each family (PEER_MODE): deliver to Maildirs; the same behind
# a tls-require listener with AUTH; relay everything to smtp-sink; for
# idle connections, deliver with STARTTLS offered and not required; or, for
# reading mail (pop3, imap), plain IMAP and POP3 listeners (loopback counts
# as secure, so passwords go in clear) whose logins route to the Maildirs
# run.sh copied under READ_MAIL (READ_MAIL/DOMAIN/USER/Maildir).
tg_conf()
{
	cat <<EOF
# Written by bench/peers/tegami.sh for one benchmark run ($PEER_MODE).
hostname "bench.test"
spool "$PEER_DIR/spool"
socket "$PEER_DIR/tegami.sock"
EOF
	case $PEER_MODE in
	relay)
		cat <<EOF
table domains { relay.test }
listen on 127.0.0.1 port $PORT
action "out" relay host smtp+notls://127.0.0.1:$SINK_PORT
match from any for domain <domains> action "out"
EOF
		;;
	idle)
		cat <<EOF
pki bench.test cert "$TLS_CERT"
pki bench.test key "$TLS_KEY"
table domains { bench.test }
table vusers file:$PEER_DIR/vusers
listen on 127.0.0.1 port $PORT tls pki bench.test
action "deliver" maildir "$PEER_DIR/vmail/%{dest.domain}/%{dest.user}/Maildir" virtual <vusers>
match from any for domain <domains> action "deliver"
EOF
		;;
	pop3|imap)
		cat <<EOF
table creds file:$PEER_DIR/creds
table domains { bench.test }
table vusers file:$PEER_DIR/vusers
listen on 127.0.0.1 port $PORT
listen on 127.0.0.1 port $PEER_IMAP_PORT imap auth <creds>
listen on 127.0.0.1 port $PEER_POP3_PORT pop3 auth <creds>
action "deliver" maildir "$READ_MAIL/%{dest.domain}/%{dest.user}/Maildir" virtual <vusers>
match from any for domain <domains> action "deliver"
EOF
		;;
	tls)
		cat <<EOF
pki bench.test cert "$TLS_CERT"
pki bench.test key "$TLS_KEY"
table creds file:$PEER_DIR/creds
table domains { bench.test }
table vusers file:$PEER_DIR/vusers
listen on 127.0.0.1 port $PORT tls-require pki bench.test auth <creds>
action "deliver" maildir "$PEER_DIR/vmail/%{dest.domain}/%{dest.user}/Maildir" virtual <vusers>
match auth from any for domain <domains> action "deliver"
EOF
		;;
	*)
		# TG_EXTRA_CONF and TG_LISTEN_OPTS: what a peer built on this one adds
		# (tegami-filters.sh: filters on the listener).
		cat <<EOF
${TG_EXTRA_CONF:-}
table domains { bench.test }
table vusers file:$PEER_DIR/vusers
listen on 127.0.0.1 port $PORT${TG_LISTEN_OPTS:-}
action "deliver" maildir "$PEER_DIR/vmail/%{dest.domain}/%{dest.user}/Maildir" virtual <vusers>
match from any for domain <domains> action "deliver"
EOF
		;;
	esac
}

# The SMTP process allows (descriptor limit - 64) / 2 sessions
# (src/smtp/conn_limit.c), the login process as many IMAP sessions (the
# client's socket and its channel to the mailbox process), and tegamid
# raises its soft limit to the hard one: for the idle scenarios the hard
# limit must let in every connection. In the imap family a lower limit is
# not fatal: the other scenarios run, and the largest idle one reports the
# connections that were refused.
tg_nofile()
{
	_need=$((2 * ${BENCH_IDLE_MAX:-0} + 64 + 64))
	case $PEER_MODE in idle|imap) ;; *) return 0 ;; esac
	_hard=$(ulimit -Hn)
	[ "$_hard" = unlimited ] && return 0
	[ "$_hard" -ge "$_need" ] && return 0
	if ! ulimit -n "$_need" 2>/dev/null; then
		if [ "$PEER_MODE" = imap ]; then
			say "tegami: descriptor limit $_hard, so at most $(((_hard - 64) / 2))" \
			    "IMAP sessions; $_need needed for $BENCH_IDLE_MAX"
			return 0
		fi
		PEER_WHY="descriptor limit $_hard, $_need needed for $BENCH_IDLE_MAX sessions (ulimit -n)"
		return 1
	fi
	return 0
}

peer_start()
{
	tg_start
}

tg_start()
{
	ours "$(peer_pid)" "$PEER_DIR/tegami.conf" && tg_stop
	tg_nofile || return 1
	mkdir -p "$PEER_DIR" || return 1
	for _e in "$PEER_DIR"/* "$PEER_DIR"/.[!.]*; do
		case ${_e##*/} in dns*) continue ;; esac
		[ -e "$_e" ] && { set_aside "$_e" || return 1; }
	done
	mkdir -p "$PEER_DIR/spool" "$PEER_DIR/vmail" || return 1
	# Mail is written as the virtual table's target user. tegami, like
	# Postfix's virtual(8), will not deliver as root: as root both write as nobody.
	_me=$(id -un)
	if [ "$(id -u)" -eq 0 ]; then
		_me=nobody
		chown nobody:"$(id -gn nobody)" "$PEER_DIR/vmail" || return 1
	fi
	case $PEER_MODE in
	pop3|imap)
		if ! PEER_IMAP_PORT=$(pick_port 2775) || ! PEER_POP3_PORT=$(pick_port 2800); then
			PEER_WHY="no free port near 2775 (IMAP) or 2800 (POP3)"
			return 1
		fi
		;;
	esac
	tg_conf >"$PEER_DIR/tegami.conf"
	if [ "$PEER_MODE" = tls ]; then
		printf '%s %s\n' "$BENCH_USER" "$TLS_HASH" >"$PEER_DIR/creds" &&
		    chmod 600 "$PEER_DIR/creds" || return 1
	fi
	_i=1
	while [ "$_i" -le 50 ]; do
		echo "u$_i@bench.test	$_me"
		_i=$((_i + 1))
	done >"$PEER_DIR/vusers"
	case $PEER_MODE in
	pop3|imap)
		# The same logins and hash as Dovecot's passwd-file.
		for _u in $READ_USERS; do
			printf '%s:%s\n' "$_u" "$READ_HASH"
		done >"$PEER_DIR/creds" && chmod 600 "$PEER_DIR/creds" || return 1
		for _u in $READ_USERS; do
			echo "$_u	$_me"
		done >>"$PEER_DIR/vusers"
		;;
	esac
	if ! "$TG_BIN/tegamid" -n -f "$PEER_DIR/tegami.conf" >"$PEER_DIR/check.log" 2>&1; then
		PEER_WHY="tegamid -n rejects the config: $(head -n 1 "$PEER_DIR/check.log")"
		return 1
	fi
	"$TG_BIN/tegamid" -d -f "$PEER_DIR/tegami.conf" >"$PEER_DIR/tegamid.log" 2>&1 &
	echo $! >"$PEER_DIR/tegamid.pid"
	if ! wait_port "$PORT" "$!" 10; then
		PEER_WHY="tegamid did not listen on port $PORT: $(tail -n 1 "$PEER_DIR/tegamid.log")"
		tg_stop
		return 1
	fi
	for _p in ${PEER_IMAP_PORT:-} ${PEER_POP3_PORT:-}; do
		if ! wait_port "$_p" "$(peer_pid)" 10; then
			PEER_WHY="tegamid did not listen on port $_p (IMAP or POP3): $(tail -n 1 \
			    "$PEER_DIR/tegamid.log")"
			tg_stop
			return 1
		fi
	done
	return 0
}

peer_pid()
{
	cat "$PEER_DIR/tegamid.pid" 2>/dev/null
}

peer_maildir()
{
	case $PEER_MODE in
	pop3|imap) echo "$READ_MAIL/bench.test/%u/Maildir" ;;
	*) echo "$PEER_DIR/vmail/bench.test/%u/Maildir" ;;
	esac
}

peer_stop()
{
	tg_stop
}

tg_stop()
{
	stop_pid "$(peer_pid)" 10
	wait "$(peer_pid)" 2>/dev/null
	return 0
}
