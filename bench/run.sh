#!/bin/sh
# make bench: durable SMTP accept-and-deliver, tegami beside its peers; writes docs/BENCHMARKS.md.
#
# Environment:
#   BENCH_PEERS    peers to run, files in bench/peers/ (default: tegami postfix postfix-dirsync)
#   BENCH_SCALE    multiplies the message counts 300/1000/2000 at 1/10/50 clients
#                  (default 1; a fraction such as 0.1 for a quick try)
#   BENCH_FULL=1   also 100 KiB messages
#   BENCH_REPEAT   rounds; the report takes the best round of each (default 3)
#   BENCH_TIMEOUT  seconds one scenario may take before it is cut off (default 60)
#   BENCH_BUDGET   seconds after which the remaining scenarios are skipped (default 420)
#   BENCH_AUDIT=0  skip the strace audit of each server's sync calls
#   BENCH_DIR      working directory (default build/bench)
#   TEGAMI_BIN     where tegamid is (default bin)
#
# Postfix needs root (its master starts as root); as another user it is
# reported as not runnable. Only 127.0.0.1 and ports 2525-2724 are used.
#
# A peer file bench/peers/NAME.sh sets PEER_LABEL and PEER_PORT_BASE and
# defines peer_prepare, peer_version, peer_start, peer_pid, peer_maildir and
# peer_stop (see postfix.sh); on failure they leave the reason in PEER_WHY.
# All peers run at once and the scenarios take turns between them, so that a
# slow spell of the machine does not fall on one peer only.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
WORK=${BENCH_DIR:-$ROOT/build/bench}
PY=${PYTHON:-/usr/bin/python3}
PEERS=${BENCH_PEERS:-tegami postfix postfix-dirsync}
SCALE=${BENCH_SCALE:-1}
FULL=${BENCH_FULL:-0}
TIMEOUT=${BENCH_TIMEOUT:-60}
AUDIT=${BENCH_AUDIT:-1}
REPEAT=${BENCH_REPEAT:-3}
BUDGET=${BENCH_BUDGET:-420}

. "$BENCH/lib.sh"

mkdir -p "$WORK/peers" || exit 1
WORK=$(cd "$WORK" && pwd)
RESULTS=$WORK/results.jsonl
: >"$RESULTS"

# The load generator is Postfix's smtp-source, from the same package.
if ! fetch_deb postfix "$WORK/peers/postfix"; then
	say "cannot get smtp-source (Debian package postfix): no benchmark"
	exit 1
fi
SOURCE=$WORK/peers/postfix/usr/sbin/smtp-source
SOURCE_LIB=$WORK/peers/postfix/usr/lib/postfix

SIZES=4096
[ "$FULL" = 1 ] && SIZES="4096 102400"
# clients:messages
SCENARIOS=$(awk -v s="$SCALE" 'BEGIN {
	n = split("1:300 10:1000 50:2000", sc, " ")
	for (i = 1; i <= n; i++) {
		split(sc[i], f, ":")
		m = int(f[2] * s)
		if (m < f[1]) m = f[1]
		printf "%s%d:%d", (i > 1 ? " " : ""), f[1], m
	}
}')

# peer NAME ACTION: ACTION (start, restart or stop) for one peer, in a
# subshell so that peer files cannot see each other's functions. What the
# scenarios need is kept in $WORK/NAME.state.
peer()
(
	PEER=$1
	PEER_DIR=$WORK/$PEER
	PEER_WHY=""
	. "$BENCH/peers/$PEER.sh"
	note()
	{
		"$PY" "$BENCH/load.py" note --out "$RESULTS" --peer "$PEER" \
		    --label "$PEER_LABEL" --version "$(peer_version)" --status "$1" --why "$2"
	}
	case $2 in
	start)
		rm -f "$WORK/$PEER.state" "$WORK/$PEER.slow"
		if ! peer_prepare; then
			say "$PEER: not runnable: $PEER_WHY"
			note "not runnable" "$PEER_WHY"
			return 1
		fi
		if ! PORT=$(pick_port "$PEER_PORT_BASE"); then
			note "not runnable" "no free port near $PEER_PORT_BASE"
			return 1
		fi
		;;
	restart)
		. "$WORK/$PEER.state"
		peer_stop
		;;
	stop)
		. "$WORK/$PEER.state"
		peer_stop
		note "$3" "$4"
		rm -f "$WORK/$PEER.state"
		return 0
		;;
	esac
	if ! peer_start; then
		say "$PEER: $2 failed: $PEER_WHY"
		peer_stop
		if [ "$2" = start ]; then
			note "not runnable" "$PEER_WHY"
		else
			note "failed" "a restart failed: $PEER_WHY"
		fi
		rm -f "$WORK/$PEER.state"
		return 1
	fi
	printf 'PORT=%s\nPID=%s\nMAILDIR=%s\n' "$PORT" "$(peer_pid)" "$(peer_maildir)" \
	    >"$WORK/$PEER.state"
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
	"$PY" "$BENCH/load.py" "$_act" --out "$RESULTS" --peer "$_p" --port "$PORT" \
	    --pid "$PID" --maildir "$MAILDIR" --work "$WORK" \
	    --source "$SOURCE" --libdir "$SOURCE_LIB" "$@"
}

start=$(date +%s)
DEADLINE=$((start + BUDGET))
for p in $PEERS; do
	if [ ! -f "$BENCH/peers/$p.sh" ]; then
		say "no peer file bench/peers/$p.sh"
		continue
	fi
	say "starting $p"
	peer "$p" start && RUNNING="$RUNNING $p"
done

if [ "$AUDIT" = 1 ]; then
	for p in $RUNNING; do
		say "auditing the sync calls of $p"
		load audit "$p" --count 20
	done
fi

rep=1
while [ "$rep" -le "$REPEAT" ]; do
	say "round $rep of $REPEAT"
	for size in $SIZES; do
		for sc in $SCENARIOS; do
			clients=${sc%%:*} count=${sc#*:}
			for p in $RUNNING; do
				[ -f "$WORK/$p.state" ] || continue
				why=""
				if grep -qx "$size:$clients" "$WORK/$p.slow" 2>/dev/null; then
					why="too slow in an earlier round"
				elif [ "$(date +%s)" -ge "$DEADLINE" ]; then
					why="time budget of ${BUDGET} s used up"
				fi
				if [ -n "$why" ]; then
					"$PY" "$BENCH/load.py" skip --out "$RESULTS" --peer "$p" \
					    --size "$size" --clients "$clients" --count "$count" \
					    --rep "$rep" --why "$why"
					continue
				fi
				load run "$p" --size "$size" --clients "$clients" \
				    --count "$count" --timeout "$TIMEOUT" --rep "$rep"
				rc=$?
				# 2: timed out or stalled; later rounds skip it to stay in the budget.
				[ "$rc" = 2 ] && echo "$size:$clients" >>"$WORK/$p.slow"
				# A failed scenario may leave messages queued: start afresh.
				[ "$rc" != 0 ] && peer "$p" restart
			done
		done
	done
	rep=$((rep + 1))
done
stop_all ok ""
say "all peers done in $(($(date +%s) - start)) s"

"$PY" "$BENCH/report.py" --results "$RESULTS" --work "$WORK" --root "$ROOT" \
    --scale "$SCALE" --out "$ROOT/docs/BENCHMARKS.md"
