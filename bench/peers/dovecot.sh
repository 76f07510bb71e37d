# Benchmark peer: Dovecot's IMAP and POP3 from Debian's packages (dovecot-core,
# dovecot-imapd, dovecot-pop3d), extracted under build/bench and run with a
# config of its own (bench/dovecot.sh, DV_READ=1), on its own copy of the
# Maildirs that run.sh generates (sourced by run.sh; the pop3 and imap
# families). PORT is its IMAP port; POP3 listens on the next free port from
# 2850. Needs root: the master starts as root, and mail is read as nobody,
# who owns the copies.

PEER_LABEL="Dovecot"
PEER_PORT_BASE=2825
PEER_PROTOCOLS="imap pop3"
READ_MAIL=$WORK/readmail/$PEER
DV_READ=1

. "$BENCH/dovecot.sh"

peer_prepare()
{
	if [ "$(id -u)" -ne 0 ]; then
		PEER_WHY="needs root: Dovecot's master starts as root and reads mail as nobody"
		return 1
	fi
	if ! getent passwd nobody >/dev/null; then
		PEER_WHY="no user nobody to own the Maildirs"
		return 1
	fi
	command -v unshare >/dev/null 2>&1 ||
	    { PEER_WHY="unshare (util-linux) not found"; return 1; }
	dv_prepare
}

peer_version()
{
	dv_version
}

peer_start()
{
	# Its imap processes, and their log pipes, one per connection.
	if [ "$(ulimit -Hn)" != unlimited ] &&
	    [ "$(ulimit -Hn)" -lt $((${BENCH_IDLE_MAX:-0} + 1000)) ]; then
		PEER_WHY="descriptor limit $(ulimit -Hn) too low for $BENCH_IDLE_MAX connections"
		return 1
	fi
	ulimit -n "$(ulimit -Hn)" 2>/dev/null
	ours "$(peer_pid)" "$DV_PKG/usr/sbin/dovecot" && peer_stop
	rm -rf "$PEER_DIR" && mkdir -p "$PEER_DIR" || return 1
	if ! PEER_POP3_PORT=$(pick_port 2850); then
		PEER_WHY="no free port near 2850 for POP3"
		return 1
	fi
	DV_MAIL=$READ_MAIL
	DV_USERS=$READ_USERS
	DV_HASH=$READ_HASH
	DV_IMAP_PORT=$PORT
	DV_POP3_PORT=$PEER_POP3_PORT
	DV_CONNS=${BENCH_IDLE_MAX:-0}
	PEER_IMAP_PORT=$PORT
	dv_start || return 1
	for _p in "$PORT" "$PEER_POP3_PORT"; do
		if ! wait_port "$_p" "$(peer_pid)" 10; then
			PEER_WHY="Dovecot did not listen on port $_p: $(tail -n 1 "$DV_DIR/dovecot.log")"
			return 1
		fi
	done
	return 0
}

peer_pid()
{
	dv_pid
}

peer_maildir()
{
	echo "$READ_MAIL/bench.test/%u/Maildir"
}

peer_stop()
{
	dv_stop
}
