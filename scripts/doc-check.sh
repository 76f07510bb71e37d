#!/bin/sh
# Checks that tegami.conf(5) documents every keyword the parser accepts: the
# keyword table of src/conf/lex.c (between BEGIN KEYWORDS and END KEYWORDS)
# against the words of docs/man/tegami.conf.5. Prints "doc-check: N passed, N failed".

cd "$(dirname "$0")/.." || exit 1
SRC=src/conf/lex.c
MAN=docs/man/tegami.conf.5
pass=0
fail=0

if [ ! -f "$MAN" ]; then
	echo "doc-check: $MAN is missing" >&2
	echo "doc-check: 0 passed, 1 failed"
	exit 1
fi
keywords=$(sed -n '/BEGIN KEYWORDS/,/END KEYWORDS/s/^[[:space:]]*"\([^"]*\)",.*/\1/p' "$SRC")
if [ -z "$keywords" ]; then
	echo "doc-check: no keyword table found in $SRC" >&2
	echo "doc-check: 0 passed, 1 failed"
	exit 1
fi
# The page without its comments; a keyword must stand as a word of its own.
text=$(grep -v '^\.\\"' "$MAN")
for k in $keywords; do
	if printf '%s\n' "$text" | grep -Eq "(^|[^A-Za-z0-9_-])$k([^A-Za-z0-9_-]|\$)"; then
		pass=$((pass + 1))
	else
		echo "doc-check: \"$k\" is accepted by the parser but not in $MAN" >&2
		fail=$((fail + 1))
	fi
done
echo "doc-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
