# Shared helpers for the benchmark harness and its peer files (sourced, not run).

say()
{
	echo "bench: $*" >&2
}

# fetch_deb PKG DIR: Debian's package PKG extracted into DIR, downloaded only
# when DIR is not there yet. Extracting instead of installing keeps a second
# MTA from becoming the system's mailer or starting at boot.
fetch_deb()
{
	_pkg=$1 _dir=$2
	[ -f "$_dir/.extracted" ] && return 0
	command -v apt-get >/dev/null 2>&1 || { say "apt-get not found"; return 1; }
	_dl=$(mktemp -d "${TMPDIR:-/tmp}/bench-deb.XXXXXX") || return 1
	if ! (cd "$_dl" && apt-get download "$_pkg" >/dev/null 2>&1); then
		if [ "$(id -u)" -eq 0 ]; then
			say "apt-get download $_pkg failed; refreshing package lists"
			apt-get update -qq >/dev/null 2>&1
			(cd "$_dl" && apt-get download "$_pkg" >/dev/null 2>&1)
		fi
	fi
	_deb=$(ls "$_dl"/"$_pkg"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$_deb" ]; then
		say "could not download Debian package $_pkg"
		rm -rf "$_dl"
		return 1
	fi
	say "extracting $(basename "$_deb") into $_dir"
	rm -rf "$_dir" && mkdir -p "$_dir" &&
	    dpkg-deb -x "$_deb" "$_dir" &&
	    dpkg-deb -f "$_deb" Version >"$_dir/.version" &&
	    touch "$_dir/.extracted"
	_rc=$?
	rm -rf "$_dl"
	return $_rc
}

# set_aside PATH...: each PATH that exists moved under $WORK/aside, which
# run.sh deletes when every family is done. Deleting a peer's old Maildirs
# and queue just before its rounds would slow them: on this machine's ext4
# (no journal) the inode allocator steps over every inode freed in the last
# minute or more, so each file the servers create pays for the ones deleted.
set_aside()
{
	mkdir -p "$WORK/aside" || return 1
	_to=$(mktemp -d "$WORK/aside/old.XXXXXX") || return 1
	for _p in "$@"; do
		[ -e "$_p" ] || continue
		mv "$_p" "$_to/" || return 1
	done
}

# alive PID: the process exists and is not a zombie waiting to be reaped.
alive()
{
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# ours PID TEXT: PID is alive and its command line contains TEXT, so that a
# stale pid file never makes us signal an unrelated process.
ours()
{
	alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# listening PORT: true when something accepts connections on 127.0.0.1:PORT.
listening()
{
	"$PY" -c 'import socket,sys
s=socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1",int(sys.argv[1])))==0 else 1)' "$1"
}

# pick_port BASE: the first free port of BASE..BASE+49.
pick_port()
{
	_p=$1
	while [ "$_p" -lt $(($1 + 50)) ]; do
		if ! listening "$_p"; then
			echo "$_p"
			return 0
		fi
		_p=$((_p + 1))
	done
	return 1
}

# wait_port PORT PID SECONDS: until PORT accepts connections; fails early when
# PID (if not empty) has exited.
wait_port()
{
	_n=0
	while [ "$_n" -lt $(($3 * 10)) ]; do
		listening "$1" && return 0
		if [ -n "$2" ] && ! alive "$2"; then
			return 1
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS. By pid only.
stop_pid()
{
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	_n=0
	while alive "$1" && [ "$_n" -lt $(($2 * 10)) ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	return 0
}

# tls_material DIR: a self-signed RSA 2048 certificate for bench.test
# (DIR/cert.pem, DIR/key.pem, mode 600) and a bcrypt hash of cost 10 of
# $BENCH_PASSWORD (DIR/hash), made once per run and shared by every server.
# DIR/hash.by says what made the hash: tegamictl encrypt when it is built,
# else python3's crypt module, mkpasswd (whois) or htpasswd (apache2-utils).
tls_material()
{
	_d=$1
	mkdir -p "$_d" || return 1
	if ! openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=bench.test \
	    -addext subjectAltName=DNS:bench.test -keyout "$_d/key.pem" \
	    -out "$_d/cert.pem" >"$_d/openssl.log" 2>&1; then
		say "openssl could not make the test certificate: $(tail -n 1 "$_d/openssl.log")"
		return 1
	fi
	chmod 600 "$_d/key.pem"
	_h="" _by=""
	if [ -x "${TEGAMI_BIN:-$ROOT/bin}/tegamictl" ]; then
		_h=$("${TEGAMI_BIN:-$ROOT/bin}/tegamictl" encrypt "$BENCH_PASSWORD" 2>/dev/null)
		_by="tegamictl encrypt"
	fi
	case $_h in '$2'?'$10$'*) ;; *)
		_h=$("$PY" -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))' \
		    "$BENCH_PASSWORD" 2>/dev/null)
		_by="python3 crypt" ;;
	esac
	case $_h in '$2'?'$10$'*) ;; *)
		_h=$(mkpasswd -m bcrypt -R 10 "$BENCH_PASSWORD" 2>/dev/null)
		_by="mkpasswd -m bcrypt" ;;
	esac
	case $_h in '$2'?'$10$'*) ;; *)
		_h=$(htpasswd -nbBC 10 bench "$BENCH_PASSWORD" 2>/dev/null | cut -d: -f2)
		_by="htpasswd -B" ;;
	esac
	case $_h in '$2'?'$10$'*) ;; *)
		say "nothing here makes bcrypt hashes (tegamictl, python3 crypt, mkpasswd, htpasswd)"
		return 1 ;;
	esac
	printf '%s\n' "$_h" >"$_d/hash" && printf '%s\n' "$_by" >"$_d/hash.by"
}

# sink_start NAME: Postfix's smtp-sink for peer NAME on a free port from 2725,
# counting messages (-c) into $WORK/NAME.sink; sets SINK_PORT.
sink_start()
{
	sink_stop "$1"
	SINK_PORT=$(pick_port 2725) || return 1
	LD_LIBRARY_PATH=$SOURCE_LIB "$WORK/peers/postfix/usr/sbin/smtp-sink" -c -u nobody \
	    -h sink.bench.test "127.0.0.1:$SINK_PORT" 256 >"$WORK/$1.sink" 2>"$WORK/$1.sink.err" &
	echo $! >"$WORK/$1.sinkpid"
	wait_port "$SINK_PORT" "$!" 10
}

sink_stop()
{
	_sp=$(cat "$WORK/$1.sinkpid" 2>/dev/null)
	ours "$_sp" smtp-sink && stop_pid "$_sp" 5
	rm -f "$WORK/$1.sinkpid"
	return 0
}
