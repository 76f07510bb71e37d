#!/bin/sh
# Runs every unit-test binary given and prints one total line.
pass=0; fail=0; rc=0
for t in "$@"; do
	out=$("$t" 2>&1); r=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	p=$(printf '%s' "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	[ -n "$p" ] || p=0
	[ -n "$f" ] || f=1
	[ $r -ne 0 ] && [ "$f" = 0 ] && f=1
	pass=$((pass + p)); fail=$((fail + f))
	[ $r -ne 0 ] && rc=1
done
echo "unit: $pass passed, $fail failed"
exit $rc
