#!/bin/sh
# Builds each libFuzzer target given (default fuzz/fuzz_*.c) against the library
# sources with ASan+UBSan, and runs it for FUZZ_SECONDS (default 20; 0 runs the
# seed corpus only) on a copy of fuzz/corpus/<target>/.
# Prints "fuzz: N passed, N failed"; exits non-zero if a target fails to build
# or finds a crash. Crash inputs are kept as build/fuzz/<target>-crash-*.
#
# The library is compiled once into build/fuzz/libtegami-fuzz.a and each
# target links against it, so a target pulls in only the modules it uses.

CLANG=${CLANG:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
PKGS="libevent libevent_openssl libevent_pthreads openssl libunbound sqlite3 libxcrypt libpsl libidn2"
OUT=build/fuzz
SAN="address,undefined"
CFLAGS="-std=c17 -D_GNU_SOURCE -Isrc -g -O1 -Wall -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- fuzz/fuzz_*.c

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: $CLANG not found (apt-get install clang libclang-rt-14-dev)" >&2
	echo "fuzz: 0 passed, $# failed"
	exit 1
fi
case "$FUZZ_SECONDS" in
''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a number of seconds" >&2; exit 1 ;;
esac

PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null)
PKG_LIBS=$(pkg-config --libs $PKGS 2>/dev/null)
mkdir -p "$OUT/obj" || exit 1

# Library objects, rebuilt when the source or any header is newer.
lib_ok=1
newest_h=$(ls -t src/*/*.h 2>/dev/null | head -n 1)
objs=""
jobs=$(nproc 2>/dev/null || echo 2)
tobuild="$OUT/tobuild.txt"
: > "$tobuild"
for src in src/*/*.c; do
	[ -f "$src" ] || continue
	case "$src" in *_main.c) continue ;; esac
	obj="$OUT/obj/$(printf '%s' "${src%.c}" | tr '/' '_').o"
	objs="$objs $obj"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
	    { [ -n "$newest_h" ] && [ "$newest_h" -nt "$obj" ]; }; then
		printf '%s %s\n' "$src" "$obj" >> "$tobuild"
	fi
done
if [ -s "$tobuild" ]; then
	export CLANG CFLAGS PKG_CFLAGS SAN
	# shellcheck disable=SC2016
	if ! xargs -P "$jobs" -n 2 sh -c '
		if ! $CLANG $CFLAGS -fsanitize=fuzzer-no-link,$SAN $PKG_CFLAGS \
		    -c "$1" -o "$2.tmp" 2>"$2.err"; then
			echo "fuzz: cannot compile $1:" >&2
			cat "$2.err" >&2
			rm -f "$2.tmp"
			exit 1
		fi
		mv "$2.tmp" "$2"' sh < "$tobuild"; then
		lib_ok=0
	fi
fi
rm -f "$tobuild"
lib="$OUT/libtegami-fuzz.a"
if [ "$lib_ok" = 1 ]; then
	rm -f "$lib"
	# shellcheck disable=SC2086
	[ -z "$objs" ] || ar rcs "$lib" $objs || lib_ok=0
fi

pass=0
fail=0
for t in "$@"; do
	name=$(basename "$t" .c)
	if [ "$lib_ok" != 1 ]; then
		echo "fuzz: $name: library did not build"
		fail=$((fail + 1))
		continue
	fi
	# shellcheck disable=SC2086
	if ! $CLANG $CFLAGS -fsanitize=fuzzer,$SAN $PKG_CFLAGS "$t" \
	    $( [ -f "$lib" ] && echo "$lib" ) $PKG_LIBS -lpthread \
	    -o "$OUT/$name" 2>"$OUT/$name.build.log"; then
		echo "fuzz: $name: build failed"
		sed -n '1,40p' "$OUT/$name.build.log"
		fail=$((fail + 1))
		continue
	fi
	seeds="fuzz/corpus/$name"
	work="$OUT/corpus-$name"
	mkdir -p "$seeds"
	rm -rf "$work"
	mkdir -p "$work"
	cp -R "$seeds/." "$work/" 2>/dev/null
	rm -f "$OUT/$name"-crash-* "$OUT/$name"-leak-* "$OUT/$name"-timeout-* \
	    "$OUT/$name"-oom-*
	if [ "$FUZZ_SECONDS" -eq 0 ]; then
		limit=-runs=0
	else
		limit=-max_total_time=$FUZZ_SECONDS
	fi
	if "$OUT/$name" "$limit" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$OUT/$name-" \
	    "$work" >"$OUT/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$OUT/$name.log" | tail -n 1)
		echo "fuzz: $name: ok (${runs:-?} runs)"
		pass=$((pass + 1))
	else
		echo "fuzz: $name: FAILED (log $OUT/$name.log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
		    "$OUT/$name.log" | head -n 20
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
