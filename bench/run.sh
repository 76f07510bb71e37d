#!/bin/sh
# make bench: tegami beside its peers (delivery, TLS and AUTH, relay, idle
# connections' memory, reading mail over POP3 and IMAP); writes docs/BENCHMARKS.md.
#
# Environment:
#   BENCH_SCENARIOS  families to run, in this order (default: deliver tls relay idle
#                    filters dkim pop3 imap; make bench BENCH="dkim" sets it):
#                    deliver  durable accept-and-deliver into Maildirs, 1/10/50 clients
#                    tls      STARTTLS handshakes/s and authenticated submissions/s
#                             at 10 clients (bench/tlsload.c)
#                    relay    accept and relay to a smarthost (smtp-sink), 10/50 clients
#                    idle     memory per idle SMTP connection, plain and after
#                             STARTTLS, 1000 of each (bench/idleload.c)
#                    filters  accept-and-deliver at 10 clients with seed 001's
#                             filters and one DNS list (dnsmasq on loopback)
#                             against the same without: the cost of filtering
#                    dkim     DKIM signatures per second (RSA-2048, Ed25519, one
#                             thread, bench/dkimsign.c), and accept-and-deliver at
#                             10 clients of a DKIM-signed 4 KiB message: tegami
#                             signing (RSA-2048, Ed25519) and checking (mail-auth:
#                             SPF, DKIM, DMARC; dnsmasq on loopback) against tegami
#                             plain, Postfix + OpenDKIM's milter signing and
#                             verifying against Postfix plain: CPU per message
#                    pop3     login + UIDL + RETR of 1,000 messages, and login +
#                             UIDL on 100,000, beside Dovecot (bench/readload.c)
#                    imap     LOGIN+SELECT, UID FETCH FLAGS, FETCH ENVELOPE, SEARCH
#                             SUBJECT and BODY on 100,000 messages, with and
#                             without an index; 250-to-EXISTS delay in IDLE; memory
#                             of 1,000 and 10,000 idle connections in IDLE
#   BENCH_PEERS        peers of deliver, files in bench/peers/ (default: tegami postfix postfix-dirsync)
#   BENCH_TLS_PEERS    peers of tls (default: tegami postfix; postfix is Postfix+Dovecot SASL)
#   BENCH_RELAY_PEERS  peers of relay (default: tegami postfix)
#   BENCH_IDLE_PEERS   peers of idle (default: tegami postfix)
#   BENCH_FILTER_PEERS peers of filters (default: tegami tegami-filters)
#   BENCH_DKIM_PEERS   peers of dkim (default: tegami tegami-sign-rsa tegami-sign-ed25519
#                      tegami-mailauth postfix postfix-opendkim-rsa
#                      postfix-opendkim-ed25519 postfix-opendkim-verify)
#   BENCH_POP3_PEERS   peers of pop3 (default: tegami dovecot)
#   BENCH_IMAP_PEERS   peers of imap (default: tegami dovecot)
#   BENCH_SCALE    multiplies the counts: deliver 1000/1000/2000 messages at 1/10/50
#                  clients, tls 2000 handshakes and 150 submissions, relay 600/1200
#                  messages at 10/50, idle 1000 connections (never below 10),
#                  filters and dkim 1000 messages at 10, pop3 and imap Maildirs of
#                  1000 and 100,000 messages (never below 10 and 100) and 1000
#                  and 10,000 idle IMAP connections
#                  (default 1; a fraction such as 0.1 for a quick try)
#   BENCH_FULL=1   also 100 KiB messages (deliver)
#   BENCH_REPEAT   rounds; the report takes the best round of each (default 3)
#   BENCH_IDLE_REPEAT  rounds of the idle family, whose memory hardly varies
#                  (default 1; the report takes the median); also of the imap
#                  family's idle connections
#   BENCH_IMAP_REPEAT  rounds of the imap family (default 2: each reads
#                  100,000 messages several times)
#   BENCH_TIMEOUT  seconds one scenario may take before it is cut off (default 60)
#   BENCH_BUDGET   seconds for all families, shared out 44/15/17/24/10/16/15/45
#                  (deliver, tls, relay, idle, filters, dkim, pop3, imap) among those
#                  that run; a family's remaining scenarios are skipped past its
#                  share (default 1400)
#   BENCH_AUDIT=0  skip the strace audit of each server's sync calls
#   BENCH_DIR      working directory (default build/bench)
#   BENCH_SETTLE   seconds to wait after the last run deleted its files, so
#                  that a run started right after another does not pay for
#                  its deletions (default 360; 0 not to wait)
#   TEGAMI_BIN     where tegamid is (default bin)
#
# Postfix and Dovecot need root (their masters start as root); as another
# user they are reported as not runnable. Only 127.0.0.1 and ports 2525-2874
# are used.
#
# A peer file bench/peers/NAME.sh sets PEER_LABEL and PEER_PORT_BASE and
# defines peer_prepare, peer_version, peer_start, peer_pid, peer_maildir and
# peer_stop (see postfix.sh), optionally peer_pids (every process tree that
# serves, comma-separated) and peer_tune CLIENTS (before each relay scenario),
# and PEER_PROTOCOLS, what the idle, pop3 and imap families may ask of it
# (default smtp), with PEER_IMAP_PORT and PEER_POP3_PORT when it serves
# them; on failure they leave the reason in PEER_WHY. PEER_MODE tells them
# the family.
# All peers of a family run at once and the scenarios take turns between them,
# so that a slow spell of the machine does not fall on one peer only.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
WORK=${BENCH_DIR:-$ROOT/build/bench}
PY=${PYTHON:-/usr/bin/python3}
FAMILIES=${BENCH_SCENARIOS:-deliver tls relay idle filters dkim pop3 imap}
PEERS_deliver=${BENCH_PEERS:-tegami postfix postfix-dirsync}
PEERS_tls=${BENCH_TLS_PEERS:-tegami postfix}
PEERS_relay=${BENCH_RELAY_PEERS:-tegami postfix}
PEERS_idle=${BENCH_IDLE_PEERS:-tegami postfix}
PEERS_filters=${BENCH_FILTER_PEERS:-tegami tegami-filters}
PEERS_dkim=${BENCH_DKIM_PEERS:-tegami tegami-sign-rsa tegami-sign-ed25519 tegami-mailauth postfix postfix-opendkim-rsa postfix-opendkim-ed25519 postfix-opendkim-verify}
PEERS_pop3=${BENCH_POP3_PEERS:-tegami dovecot}
PEERS_imap=${BENCH_IMAP_PEERS:-tegami dovecot}
SCALE=${BENCH_SCALE:-1}
FULL=${BENCH_FULL:-0}
TIMEOUT=${BENCH_TIMEOUT:-60}
AUDIT=${BENCH_AUDIT:-1}
REPEAT=${BENCH_REPEAT:-3}
REPEAT_idle=${BENCH_IDLE_REPEAT:-1}
REPEAT_imap=${BENCH_IMAP_REPEAT:-2}
BUDGET=${BENCH_BUDGET:-1400}
# The one login of the tls family, the same for every server.
BENCH_USER=user@bench.test
BENCH_PASSWORD=bench-password-42
export BENCH_USER BENCH_PASSWORD
# The mailboxes of the pop3 and imap families, one login each: 100,000
# messages (big), 1,000 just delivered (pop1k), and 100 each for the idle
# connections (idle) and the delivery seen in IDLE (notify), times
# BENCH_SCALE.
READ_USERS="big@bench.test pop1k@bench.test idle@bench.test notify@bench.test"
READ_BIG=$(awk -v s="$SCALE" 'BEGIN { n = int(100000 * s); print (n < 100 ? 100 : n) }')
READ_P1K=$(awk -v s="$SCALE" 'BEGIN { n = int(1000 * s); print (n < 10 ? 10 : n) }')
export READ_USERS

. "$BENCH/lib.sh"

mkdir -p "$WORK/peers" || exit 1
WORK=$(cd "$WORK" && pwd)
RESULTS=$WORK/results.jsonl
# The families not run this time keep their last results, so that the
# report still shows them (with the date they were measured).
if [ -f "$RESULTS" ]; then
	"$PY" -c 'import json, sys
run = set(sys.argv[2].split())
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("family", "deliver") not in run:
        sys.stdout.write(line)' "$RESULTS" "$FAMILIES" >"$RESULTS.kept" &&
	    mv "$RESULTS.kept" "$RESULTS"
else
	: >"$RESULTS"
fi

# The load generator is Postfix's smtp-source, from the same package.
if ! fetch_deb postfix "$WORK/peers/postfix"; then
	say "cannot get smtp-source (Debian package postfix): no benchmark"
	exit 1
fi
SOURCE=$WORK/peers/postfix/usr/sbin/smtp-source
SOURCE_LIB=$WORK/peers/postfix/usr/lib/postfix

SIZES=4096
[ "$FULL" = 1 ] && SIZES="4096 102400"

# scaled KIND SIZE CLIENTS:COUNT...: KIND:SIZE:CLIENTS:COUNT words, the
# counts times BENCH_SCALE and never below the number of clients.
scaled()
{
	awk -v k="$1" -v z="$2" -v s="$SCALE" -v list="$3" 'BEGIN {
		n = split(list, sc, " ")
		for (i = 1; i <= n; i++) {
			split(sc[i], f, ":")
			m = int(f[2] * s)
			if (m < f[1]) m = f[1]
			printf "%s%s:%s:%d:%d", (i > 1 ? " " : ""), k, z, f[1], m
		}
	}'
}

# idle_rows KIND N...: KIND:0:M:M words, M being N times BENCH_SCALE and
# never below 10; CLIENTS and COUNT are both the number of connections.
idle_rows()
{
	_k=$1
	shift
	awk -v k="$_k" -v s="$SCALE" -v list="$*" 'BEGIN {
		n = split(list, c, " ")
		for (i = 1; i <= n; i++) {
			m = int(c[i] * s)
			if (m < 10) m = 10
			printf "%s%s:0:%d:%d", (i > 1 ? " " : ""), k, m, m
		}
	}'
}

# scenarios FAMILY: what one round of FAMILY runs, as KIND:SIZE:CLIENTS:COUNT.
# The idle family's KIND is bench/idleload's mode, whose protocol (what comes
# before a "-") a peer must have in PEER_PROTOCOLS; IMAP rows will be
# "idle_rows imap-idle 1000 10000" with a mode of that name in idleload.
scenarios()
{
	case $1 in
	deliver)
		for size in $SIZES; do
			scaled deliver "$size" "1:1000 10:1000 50:2000"
			echo
		done
		;;
	tls)
		scaled handshake 0 "10:2000"
		echo
		scaled submit 4096 "10:150"
		echo
		;;
	relay)
		scaled relay 4096 "10:600 50:1200"
		echo
		;;
	idle)
		idle_rows smtp 1000
		echo
		idle_rows smtp-tls 1000
		echo
		;;
	filters)
		# The target is at 10 clients (docs/filters.md): the same scenario
		# as deliver's, with and without the filters.
		scaled deliver 4096 "10:1000"
		echo
		;;
	dkim)
		# The same, every peer sent the one DKIM-signed message of dkim_setup.
		scaled deliver 4096 "10:1000"
		echo
		;;
	pop3)
		echo "pop3-retr:0:1:$READ_P1K pop3-uidl:0:1:$READ_BIG"
		;;
	imap)
		# The operations on 100,000 messages, the delay to EXISTS, then
		# the idle connections (a fresh server for each, as in idle).
		echo "imap-ops:0:1:$READ_BIG imap-exists:0:1:10"
		idle_rows imap-idle 1000 10000
		echo
		;;
	esac
}

# The family being run, seen by the peer files as PEER_MODE.
FAMILY=deliver

# peer NAME ACTION: ACTION (start, restart, tune or stop) for one peer, in a
# subshell so that peer files cannot see each other's functions. What the
# scenarios need is kept in $WORK/NAME.state.
peer()
(
	PEER=$1
	PEER_DIR=$WORK/$PEER
	PEER_WHY=""
	PEER_MODE=$FAMILY
	SINK_PORT=""
	. "$BENCH/peers/$PEER.sh"
	note()
	{
		"$PY" "$BENCH/load.py" note --out "$RESULTS" --family "$FAMILY" --peer "$PEER" \
		    --label "$PEER_LABEL" --version "$(peer_version)" --status "$1" --why "$2"
	}
	case $2 in
	start)
		rm -f "$WORK/$PEER.state" "$WORK/$PEER.slow" "$WORK/$PEER.na"
		if [ -n "$FAMILY_WHY" ]; then
			PEER_WHY=$FAMILY_WHY
		elif peer_prepare; then
			PEER_WHY=""
		elif [ -z "$PEER_WHY" ]; then
			PEER_WHY="peer_prepare failed"
		fi
		if [ -n "$PEER_WHY" ]; then
			say "$PEER: not runnable: $PEER_WHY"
			note "not runnable" "$PEER_WHY"
			return 1
		fi
		if ! PORT=$(pick_port "$PEER_PORT_BASE"); then
			note "not runnable" "no free port near $PEER_PORT_BASE"
			return 1
		fi
		if [ "$FAMILY" = relay ] && ! sink_start "$PEER"; then
			note "not runnable" "smtp-sink did not start: $(tail -n 1 "$WORK/$PEER.sink.err")"
			sink_stop "$PEER"
			return 1
		fi
		;;
	restart)
		. "$WORK/$PEER.state"
		peer_stop
		;;
	tune)
		. "$WORK/$PEER.state"
		if command -v peer_tune >/dev/null 2>&1; then
			peer_tune "$3"
		fi
		return 0
		;;
	stop)
		. "$WORK/$PEER.state"
		peer_stop
		sink_stop "$PEER"
		note "$3" "$4"
		rm -f "$WORK/$PEER.state"
		return 0
		;;
	esac
	if ! peer_start; then
		say "$PEER: $2 failed: $PEER_WHY"
		peer_stop
		sink_stop "$PEER"
		if [ "$2" = start ]; then
			note "not runnable" "$PEER_WHY"
		else
			note "failed" "a restart failed: $PEER_WHY"
		fi
		rm -f "$WORK/$PEER.state"
		return 1
	fi
	if command -v peer_pids >/dev/null 2>&1; then
		_pids=$(peer_pids)
	else
		_pids=$(peer_pid)
	fi
	printf "PORT=%s\nPID=%s\nMAILDIR=%s\nSINK_PORT=%s\nPROTOCOLS='%s'\nIMAP_PORT=%s\nPOP3_PORT=%s\n" \
	    "$PORT" "$_pids" "$(peer_maildir)" "$SINK_PORT" "${PEER_PROTOCOLS:-smtp}" \
	    "${PEER_IMAP_PORT:-}" "${PEER_POP3_PORT:-}" >"$WORK/$PEER.state"
	return 0
)

RUNNING=""
stop_all()
{
	for p in $RUNNING; do
		[ -f "$WORK/$p.state" ] && peer "$p" stop "$1" "$2"
	done
	RUNNING=""
}
trap 'stop_all interrupted "the benchmark was interrupted"; exit 130' INT TERM

# load ACTION PEER ARGS...: load.py against one running peer.
load()
{
	_act=$1 _p=$2
	shift 2
	. "$WORK/$_p.state"
	case $_act in
	idle|read) set -- --imap-port "${IMAP_PORT:-0}" --pop3-port "${POP3_PORT:-0}" "$@" ;;
	esac
	"$PY" "$BENCH/load.py" "$_act" --out "$RESULTS" --family "$FAMILY" --peer "$_p" \
	    --port "$PORT" --pid "$PID" --maildir "$MAILDIR" --work "$WORK" \
	    --source "$SOURCE" --libdir "$SOURCE_LIB" "$@"
}

# serves PEER KIND: whether PEER speaks the protocol of scenario KIND: the
# part of KIND before any "-" in the idle, pop3 and imap families, SMTP in
# the others.
serves()
(
	_proto=smtp
	case $FAMILY in idle|pop3|imap) _proto=${2%%-*} ;; esac
	. "$WORK/$1.state"
	case " $PROTOCOLS " in *" $_proto "*) return 0 ;; esac
	return 1
)

# one PEER KIND SIZE CLIENTS COUNT ROUND: one timed scenario; 0 when it went
# well, 2 when it timed out or stalled, 1 otherwise.
one()
{
	case $2 in
	deliver)
		if [ "$FAMILY" = dkim ]; then
			load run "$1" --size "$3" --clients "$4" --count "$5" \
			    --timeout "$TIMEOUT" --rep "$6" --message "$DKIM_MSG"
		else
			load run "$1" --size "$3" --clients "$4" --count "$5" \
			    --timeout "$TIMEOUT" --rep "$6"
		fi
		;;
	handshake|submit)
		load tls "$1" --mode "$2" --size "$3" --clients "$4" --count "$5" \
		    --timeout "$TIMEOUT" --rep "$6" --tlsload "$TLSLOAD" \
		    --user "$BENCH_USER" --password "$BENCH_PASSWORD"
		;;
	relay)
		peer "$1" tune "$4"
		load relay "$1" --size "$3" --clients "$4" --count "$5" \
		    --timeout "$TIMEOUT" --rep "$6" --domain relay.test --sink "$WORK/$1.sink" \
		    --sink-pid "$(cat "$WORK/$1.sinkpid" 2>/dev/null || echo 0)"
		;;
	pop3-*|imap-ops|imap-exists)
		# Reading mail (bench/load.py read): each of these reads the
		# whole mailbox, several times for imap-ops, so it gets
		# BENCH_TIMEOUT per 10,000 messages.
		load read "$1" --mode "$2" --count "$5" --rep "$6" --readload "$READLOAD" \
		    --timeout $((TIMEOUT * (1 + $5 / 10000))) --password "$BENCH_PASSWORD" \
		    --master "$WORK/maildirs" --protocols "$(. "$WORK/$1.state"; echo "$PROTOCOLS")"
		;;
	*)
		# The idle family: KIND is idleload's mode (smtp, smtp-tls), and
		# the imap family's idle connections (imap-idle).
		# Postfix starts one smtpd at a time, each after the one before
		# has taken its connection (about 30 a second here): each stage
		# of 1,000 connections gets BENCH_TIMEOUT plus 0.1 s a connection.
		load idle "$1" --mode "$2" --clients "$4" --count "$5" --first $(($5 / 10)) \
		    --addrs $((1 + $5 / 20000)) --timeout $((TIMEOUT + $5 / 10)) --rep "$6" \
		    --idleload "$IDLELOAD" --readload "${READLOAD:-}" \
		    --user idle@bench.test --password "$BENCH_PASSWORD"
		_rc=$?
		# Every measure is of a fresh server, with nothing left from the
		# scenario before (Postfix keeps its smtpd processes for
		# max_idle, malloc the memory it freed), and no server's leftover
		# processes change the shares (PSS) of the other's pages. After
		# a failure run_family restarts it.
		[ "$_rc" = 0 ] && peer "$1" restart
		return $_rc
		;;
	esac
}

# run_family FAMILY DEADLINE: start the family's peers, run its rounds, stop them.
run_family()
{
	FAMILY=$1
	_deadline=$2
	eval "_peers=\$PEERS_$FAMILY"
	for p in $_peers; do
		if [ ! -f "$BENCH/peers/$p.sh" ]; then
			say "no peer file bench/peers/$p.sh"
			continue
		fi
		say "$FAMILY: starting $p"
		peer "$p" start && RUNNING="$RUNNING $p"
	done
	if [ "$FAMILY" = deliver ] && [ "$AUDIT" = 1 ]; then
		for p in $RUNNING; do
			say "auditing the sync calls of $p"
			load audit "$p" --count 20
		done
	fi
	eval "_reps=\${REPEAT_$FAMILY:-\$REPEAT}"
	_rep=1
	while [ "$_rep" -le "$_reps" ]; do
		say "$FAMILY: round $_rep of $_reps"
		# Signatures per second, beside the servers: one thread, each round.
		if [ "$FAMILY" = dkim ] && [ -n "$DKIMSIGN" ]; then
			for _k in rsa ed; do
				"$PY" "$BENCH/load.py" signrate --out "$RESULTS" --family dkim \
				    --peer tegami --dkimsign "$DKIMSIGN" --key "$DKIM_DIR/$_k.key" \
				    --message "$DKIM_MSG" --seconds 3 --rep "$_rep"
			done
		fi
		for sc in $(scenarios "$FAMILY"); do
			kind=${sc%%:*} _r=${sc#*:}
			size=${_r%%:*} _r=${_r#*:}
			clients=${_r%%:*} count=${_r#*:}
			# Idle IMAP connections: as many rounds as the idle family.
			[ "$kind" = imap-idle ] && [ "$_rep" -gt "$REPEAT_idle" ] && continue
			for p in $RUNNING; do
				[ -f "$WORK/$p.state" ] || continue
				serves "$p" "$kind" || continue
				# Not available (an IMAP login answered NO): said once.
				grep -qx "$kind:$size:$clients" "$WORK/$p.na" 2>/dev/null && continue
				why=""
				if grep -qx "$kind:$size:$clients" "$WORK/$p.slow" 2>/dev/null; then
					why="too slow in an earlier round"
				elif [ "$(date +%s)" -ge "$_deadline" ]; then
					why="time budget of the $FAMILY scenarios used up"
				fi
				if [ -n "$why" ]; then
					"$PY" "$BENCH/load.py" skip --out "$RESULTS" --family "$FAMILY" \
					    --scenario "$kind" --peer "$p" --size "$size" \
					    --clients "$clients" --count "$count" --rep "$_rep" --why "$why"
					continue
				fi
				one "$p" "$kind" "$size" "$clients" "$count" "$_rep"
				rc=$?
				# 2: timed out or stalled; later rounds skip it to stay in the budget.
				[ "$rc" = 2 ] && echo "$kind:$size:$clients" >>"$WORK/$p.slow"
				# 3: the server does not offer it (tegami's IMAP before its engine).
				if [ "$rc" = 3 ]; then
					echo "$kind:$size:$clients" >>"$WORK/$p.na"
					continue
				fi
				# A failed scenario may leave messages queued: start afresh.
				[ "$rc" != 0 ] && peer "$p" restart
			done
		done
		_rep=$((_rep + 1))
	done
	stop_all ok ""
}

# What the tls family needs beside the servers: the generator and the
# certificate and hash that every server gets. Without them its peers are
# reported as not runnable, with the reason.
tls_setup()
{
	TLSLOAD=$WORK/tlsload
	if ! ${CC:-cc} -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -pthread \
	    -o "$TLSLOAD" "$BENCH/tlsload.c" -lssl -lcrypto 2>"$WORK/tlsload.log"; then
		FAMILY_WHY="bench/tlsload.c did not compile: $(head -n 1 "$WORK/tlsload.log")"
		return 1
	fi
	if ! tls_material "$WORK/tls"; then
		FAMILY_WHY="no test certificate or bcrypt hash (see bench/lib.sh tls_material)"
		return 1
	fi
	TLS_CERT=$WORK/tls/cert.pem
	TLS_KEY=$WORK/tls/key.pem
	TLS_HASH=$(cat "$WORK/tls/hash")
	export TLS_CERT TLS_KEY TLS_HASH
	"$PY" "$BENCH/load.py" note --out "$RESULTS" --family tls --peer tlsload \
	    --label tlsload --status info --why "" --extra "$("$PY" -c 'import json, sys
print(json.dumps({"hash_by": sys.argv[1], "hash_cost": 10, "cert": "RSA 2048, self-signed"}))' \
	    "$(cat "$WORK/tls/hash.by")")"
	return 0
}

# What the idle family needs beside the servers: the client that holds the
# connections, a certificate for STARTTLS, and a descriptor limit the peers
# raise to for the largest scenario (BENCH_IDLE_MAX connections).
idle_setup()
{
	IDLELOAD=$WORK/idleload
	if ! ${CC:-cc} -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra \
	    -o "$IDLELOAD" "$BENCH/idleload.c" -lssl -lcrypto 2>"$WORK/idleload.log"; then
		FAMILY_WHY="bench/idleload.c did not compile: $(head -n 1 "$WORK/idleload.log")"
		return 1
	fi
	if ! tls_material "$WORK/tls"; then
		FAMILY_WHY="no test certificate (see bench/lib.sh tls_material)"
		return 1
	fi
	TLS_CERT=$WORK/tls/cert.pem
	TLS_KEY=$WORK/tls/key.pem
	BENCH_IDLE_MAX=$(scenarios idle | tr ' ' '\n' | awk -F: '$4 > m { m = $4 } END { print m + 0 }')
	export TLS_CERT TLS_KEY BENCH_IDLE_MAX
	return 0
}

# What the dkim family needs beside the servers: two keys made by tegamictl
# (RSA 2048, Ed25519) and their records, one message of 4 KiB DKIM-signed by
# dkimpy with the RSA key (what the verifying peers check and every peer is
# sent), and bench/dkimsign built against build/libtegami.a.
dkim_setup()
{
	DKIM_DIR=$WORK/dkim
	_ctl=${TEGAMI_BIN:-$ROOT/bin}/tegamictl
	rm -rf "$DKIM_DIR" && mkdir -p "$DKIM_DIR" && chmod 755 "$DKIM_DIR" || return 1
	for _k in rsa ed; do
		_t=rsa
		[ "$_k" = ed ] && _t=ed25519
		if ! "$_ctl" dkim keygen bench.test --selector "$_k" --type "$_t" \
		    --key "$DKIM_DIR/$_k.key" >"$DKIM_DIR/$_k.out" 2>&1; then
			FAMILY_WHY="tegamictl dkim keygen failed: $(tail -n 1 "$DKIM_DIR/$_k.out")"
			return 1
		fi
		# The record: the quoted strings of the TXT line, joined.
		"$PY" -c 'import re, sys
t = open(sys.argv[1]).read().split("TXT", 1)[1].split("and sign", 1)[0]
print("".join(re.findall(r"\"([^\"]*)\"", t)))' "$DKIM_DIR/$_k.out" >"$DKIM_DIR/$_k.rec" ||
		    return 1
	done
	if ! "$PY" -c 'import base64, os, sys
import dkim
body = base64.encodebytes(os.urandom(3072))
msg = (b"From: Sender <sender@bench.test>\nTo: <u1@bench.test>\n"
       b"Subject: benchmark\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
       b"Message-ID: <bench@bench.test>\nMIME-Version: 1.0\n"
       b"Content-Type: text/plain\n\n" + body)
key = open(sys.argv[1], "rb").read()
sig = dkim.sign(msg, b"rsa", b"bench.test", key, canonicalize=(b"relaxed", b"relaxed"),
                include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                linesep=b"\n")
open(sys.argv[2], "wb").write(sig + msg)' "$DKIM_DIR/rsa.key" "$DKIM_DIR/msg.eml" \
	    2>"$DKIM_DIR/sign.log"; then
		FAMILY_WHY="dkimpy could not sign the message: $(tail -n 1 "$DKIM_DIR/sign.log")"
		return 1
	fi
	DKIM_MSG=$DKIM_DIR/msg.eml
	DKIMSIGN=$WORK/dkimsign
	if [ ! -f "$ROOT/build/libtegami.a" ] || ! ${CC:-cc} -O2 -std=c17 -D_GNU_SOURCE \
	    -Wall -Wextra -I"$ROOT/src" -o "$DKIMSIGN" "$BENCH/dkimsign.c" \
	    "$ROOT/build/libtegami.a" $(pkg-config --libs libevent libevent_openssl \
	    libevent_pthreads openssl libunbound sqlite3 libxcrypt libpsl libidn2) \
	    -lpthread 2>"$WORK/dkimsign.log"; then
		say "dkim: bench/dkimsign.c did not build: $(head -n 1 "$WORK/dkimsign.log")"
		DKIMSIGN=""
	fi
	export DKIM_DIR DKIM_MSG
	return 0
}

# What the pop3 and imap families need beside the servers: readload (and
# idleload for imap), the password hash every server checks, and each
# peer's own copy of the Maildirs, made from masters that bench/mkmaildir.py
# writes once (the same bytes for every run of a given size).
read_setup()
{
	READLOAD=$WORK/readload
	if ! ${CC:-cc} -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra \
	    -o "$READLOAD" "$BENCH/readload.c" 2>"$WORK/readload.log"; then
		FAMILY_WHY="bench/readload.c did not compile: $(head -n 1 "$WORK/readload.log")"
		return 1
	fi
	if [ "$1" = imap ]; then
		idle_setup || return 1
		BENCH_IDLE_MAX=$(scenarios imap | tr ' ' '\n' |
		    awk -F: '$1 == "imap-idle" && $4 > m { m = $4 } END { print m + 0 }')
	fi
	if ! read_hash "$WORK/read"; then
		FAMILY_WHY="no bcrypt hash (see bench/run.sh read_hash)"
		return 1
	fi
	READ_HASH=$(cat "$WORK/read/hash")
	if ! "$PY" "$BENCH/mkmaildir.py" --out "$WORK/maildirs/big-$READ_BIG" \
	    --count "$READ_BIG" --seed 1 --to big@bench.test ||
	    ! "$PY" "$BENCH/mkmaildir.py" --out "$WORK/maildirs/pop1k-$READ_P1K" \
	    --count "$READ_P1K" --seed 2 --to pop1k@bench.test --sub new ||
	    ! "$PY" "$BENCH/mkmaildir.py" --out "$WORK/maildirs/small" \
	    --count 100 --seed 3 --to idle@bench.test; then
		FAMILY_WHY="bench/mkmaildir.py failed"
		return 1
	fi
	eval "_peers=\$PEERS_$1"
	for _p in $_peers; do
		read_copy "$_p" || { FAMILY_WHY="cannot copy the Maildirs for $_p"; return 1; }
	done
	"$PY" "$BENCH/load.py" note --out "$RESULTS" --family "$1" --peer readload \
	    --label readload --status info --why "" --extra "$("$PY" -c 'import json, sys
print(json.dumps({"hash_by": sys.argv[1], "hash_cost": 4,
                  "big": json.load(open(sys.argv[2])), "pop1k": json.load(open(sys.argv[3]))}))' \
	    "$(cat "$WORK/read/hash.by")" "$WORK/maildirs/big-$READ_BIG.stamp" \
	    "$WORK/maildirs/pop1k-$READ_P1K.stamp")"
	export READLOAD READ_HASH READ_BIG READ_P1K BENCH_IDLE_MAX
	return 0
}

# read_hash DIR: a bcrypt hash of cost 4 of $BENCH_PASSWORD in DIR/hash (what
# made it in DIR/hash.by). Cost 4 (about a millisecond) rather than the tls
# family's 10 (about 55): here a login is one step of what is measured, and
# both servers check it with crypt(3) on the same hash; the tls family
# measures the password check itself.
read_hash()
{
	mkdir -p "$1" || return 1
	_h="" _by=""
	if [ -x "${TEGAMI_BIN:-$ROOT/bin}/tegamictl" ]; then
		echo "smtp auth-cost 4" >"$1/cost.conf"
		_h=$("${TEGAMI_BIN:-$ROOT/bin}/tegamictl" -f "$1/cost.conf" encrypt \
		    "$BENCH_PASSWORD" 2>/dev/null)
		_by="tegamictl encrypt"
	fi
	case $_h in '$2'?'$04$'*) ;; *)
		_h=$("$PY" -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 4)))' \
		    "$BENCH_PASSWORD" 2>/dev/null)
		_by="python3 crypt" ;;
	esac
	case $_h in '$2'?'$04$'*) ;; *) return 1 ;; esac
	printf '%s\n' "$_h" >"$1/hash" && printf '%s\n' "$_by" >"$1/hash.by"
}

# read_copy PEER: PEER's Maildirs under $WORK/readmail/PEER/bench.test, copied
# (never linked: a server renames files and writes its index beside them)
# from the masters. The 100,000 messages are copied again only when the
# master changed or the copy lost or gained a message; the scenarios remove
# the servers' index files themselves. As root everything belongs to nobody,
# who reads the mail for both servers.
read_copy()
{
	_d=$WORK/readmail/$1/bench.test
	mkdir -p "$_d" || return 1
	_big=$_d/big/Maildir
	if ! cmp -s "$WORK/maildirs/big-$READ_BIG.stamp" "$_d/big.stamp" ||
	    [ "$(ls "$_big/cur" 2>/dev/null | wc -l)" != "$READ_BIG" ] ||
	    [ -n "$(ls -A "$_big/new" 2>/dev/null)" ]; then
		say "copying $READ_BIG messages for $1"
		rm -rf "$_d/big" "$_d/big.stamp" && mkdir -p "$_d/big" &&
		    cp -R --preserve=mode,timestamps "$WORK/maildirs/big-$READ_BIG" "$_big" &&
		    cp "$WORK/maildirs/big-$READ_BIG.stamp" "$_d/big.stamp" || return 1
	fi
	for _u in idle notify; do
		rm -rf "${_d:?}/$_u" && mkdir -p "$_d/$_u" &&
		    cp -R --preserve=mode,timestamps "$WORK/maildirs/small" "$_d/$_u/Maildir" ||
		    return 1
	done
	# pop1k is copied afresh by each scenario (bench/load.py).
	rm -rf "${_d:?}/pop1k"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R nobody:"$(id -gn nobody)" "$WORK/readmail/$1" || return 1
	fi
	return 0
}

# The last run deleted its set-aside files when it ended (below). On ext4
# without a journal, the inode allocator steps over every inode freed in the
# last 60 s, or 360 s while its inode table block is not yet written back,
# and reads each: a run started within that time would create its files
# more slowly than one started on a quiet disk. So it waits, saying so.
SETTLE=${BENCH_SETTLE:-360}
if [ -f "$WORK/.deleted" ] && [ "$SETTLE" -gt 0 ]; then
	_age=$(($(date +%s) - $(stat -c %Y "$WORK/.deleted")))
	if [ "$_age" -ge 0 ] && [ "$_age" -lt "$SETTLE" ]; then
		say "the last run deleted its files $_age s ago: waiting $((SETTLE - _age)) s" \
		    "(BENCH_SETTLE) so that this run does not pay for them"
		sleep $((SETTLE - _age))
	fi
fi

start=$(date +%s)
# Shares of the budget. One round of idle takes 2 to 4.5 minutes, most
# of it Postfix starting an smtpd for each connection, one at a time.
_weight()
{
	case $1 in
	deliver) echo 44 ;; tls) echo 15 ;; relay) echo 17 ;; idle) echo 24 ;;
	filters) echo 10 ;; dkim) echo 16 ;; pop3) echo 15 ;; imap) echo 45 ;; *) echo 0 ;;
	esac
}
_left=0
for f in $FAMILIES; do
	_left=$((_left + $(_weight "$f")))
done
for f in $FAMILIES; do
	case $f in
	deliver|tls|relay|idle|filters|dkim|pop3|imap) ;;
	*) say "unknown scenario family $f (deliver, tls, relay, idle, filters, dkim, pop3, imap)"
		continue ;;
	esac
	# This family's share of the time still left; what a family does not
	# use goes to the ones after it.
	_now=$(date +%s)
	_w=$(_weight "$f")
	_remaining=$((start + BUDGET - _now))
	[ "$_remaining" -lt 0 ] && _remaining=0
	_deadline=$((_now + _remaining * _w / _left))
	_left=$((_left - _w))
	FAMILY_WHY=""
	[ "$f" = tls ] && ! tls_setup && say "tls: $FAMILY_WHY"
	[ "$f" = idle ] && ! idle_setup && say "idle: $FAMILY_WHY"
	[ "$f" = dkim ] && ! dkim_setup && say "dkim: $FAMILY_WHY"
	case $f in pop3|imap) read_setup "$f" || say "$f: $FAMILY_WHY" ;; esac
	say "$f: until $((_deadline - start)) s of $BUDGET s"
	printf '{"kind": "family", "family": "%s", "time": %s}\n' "$f" "$(date +%s)" >>"$RESULTS"
	run_family "$f" "$_deadline"
done
say "all done in $(($(date +%s) - start)) s"
# The delivered messages each round moved aside (load.py, Maildirs.clear).
if [ -d "$WORK/aside" ]; then
	rm -rf "$WORK/aside"
	touch "$WORK/.deleted"
fi

"$PY" "$BENCH/report.py" --results "$RESULTS" --work "$WORK" --root "$ROOT" \
    --scale "$SCALE" --out "$ROOT/docs/BENCHMARKS.md"
