#!/bin/sh
# Checks configs with `tegamid -n`: etc/*.conf and the seed fixtures must load;
# each tests/data/conf/broken/*.conf must fail with the error its first line
# names ("# expect: LINE: message" for the file itself, "# expect: FILE:LINE:
# message" for a file beside it). Prints "conf-check: N passed, N failed".

cd "$(dirname "$0")/.." || exit 1
TEGAMID=${TEGAMID:-bin/tegamid}
pass=0
fail=0

if [ ! -x "$TEGAMID" ]; then
	echo "conf-check: $TEGAMID is not built (run make)" >&2
	echo "conf-check: 0 passed, 1 failed"
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# git keeps no file modes but +x, and a key readable by others is refused.
chmod 600 tests/data/conf/*/*.key 2>/dev/null

# tegamid -n loads the certificates and DKIM keys too. The examples name the
# paths of a real installation, so they are checked in a copy whose pki and
# dkim-sign lines point at a throwaway certificate and key (the tables beside
# them come along).
if ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=conf-check \
    -keyout "$tmp/check.key" -out "$tmp/check.crt" >/dev/null 2>&1; then
	echo "conf-check: openssl cannot make a test certificate" >&2
	fail=$((fail + 1))
fi
chmod 600 "$tmp/check.key" 2>/dev/null
# And the key of a dkim-sign filter: it must load and be able to sign.
if ! openssl genpkey -algorithm ed25519 -out "$tmp/dkim.key" >/dev/null 2>&1; then
	echo "conf-check: openssl cannot make a test DKIM key" >&2
	fail=$((fail + 1))
fi
chmod 600 "$tmp/dkim.key" 2>/dev/null
cp -R etc "$tmp/etc"

check_ok() {	# name shown, file to check
	if out=$("$TEGAMID" -n -f "$2" 2>&1); then
		pass=$((pass + 1))
	else
		echo "conf-check: $1: should load, but:" >&2
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		fail=$((fail + 1))
	fi
}

for f in etc/*.conf; do
	[ -f "$f" ] || continue
	copy="$tmp/$f"
	sed -e "/^[[:space:]]*pki[[:space:]]/s|cert[[:space:]]*\"[^\"]*\"|cert \"$tmp/check.crt\"|" \
	    -e "/^[[:space:]]*pki[[:space:]]/s|key[[:space:]]*\"[^\"]*\"|key \"$tmp/check.key\"|" \
	    -e "/dkim-sign/s|key[[:space:]]*\"[^\"]*\"|key \"$tmp/dkim.key\"|g" \
	    -e "/^[[:space:]]*key[[:space:]]*\"/s|key[[:space:]]*\"[^\"]*\"|key \"$tmp/dkim.key\"|" \
	    "$f" > "$copy"
	check_ok "$f" "$copy"
done
for f in tests/data/conf/seed*.conf; do
	[ -f "$f" ] || continue
	check_ok "$f" "$f"
done

for f in tests/data/conf/broken/*.conf; do
	[ -f "$f" ] || continue
	expect=$(sed -n '1s/^# expect: //p' "$f")
	if [ -z "$expect" ]; then
		echo "conf-check: $f: no \"# expect:\" on the first line" >&2
		fail=$((fail + 1))
		continue
	fi
	case "${expect%%:*}" in
	''|*[!0-9]*) want="$(dirname "$f")/$expect" ;;
	*) want="$f:$expect" ;;
	esac
	err=$("$TEGAMID" -n -f "$f" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 1 ] && printf '%s\n' "$err" | grep -qxF -- "$want"; then
		pass=$((pass + 1))
	else
		echo "conf-check: $f: exit $rc, want 1 and: $want" >&2
		printf '%s\n' "$err" | sed 's/^/    /' >&2
		fail=$((fail + 1))
	fi
done

echo "conf-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
