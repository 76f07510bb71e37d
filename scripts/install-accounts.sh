#!/bin/sh
# The accounts tegami runs as, made when missing: _tegami for the processes
# that talk to the network, vmail for the mail tree (/var/vmail).
# GETENT, USERADD, INSTALL and VMAIL may name other commands and places (tests).
set -eu
: "${GETENT:=getent}" "${USERADD:=useradd}" "${INSTALL:=install}" "${VMAIL:=/var/vmail}"
NOLOGIN=/usr/sbin/nologin
[ -x "$NOLOGIN" ] || NOLOGIN=/sbin/nologin

if ! $GETENT passwd _tegami >/dev/null 2>&1; then
	$USERADD --system --user-group --no-create-home --home-dir /nonexistent \
	    --shell "$NOLOGIN" --comment "tegami mail server" _tegami
	echo "created the account _tegami"
fi
if ! $GETENT passwd vmail >/dev/null 2>&1; then
	$USERADD --system --user-group --no-create-home --home-dir "$VMAIL" \
	    --shell "$NOLOGIN" --comment "tegami mail tree" vmail
	echo "created the account vmail"
fi
$INSTALL -d -o vmail -g vmail -m 755 "$VMAIL"
