#!/bin/sh
# Installs what tegami needs to build, test, benchmark and run, when run as
# root on Debian: the packages of scripts/packages.txt, without their
# Recommends (the list says everything). As a normal user it only says what
# is missing.
cd "$(dirname "$0")/.." || exit 1
LIST=scripts/packages.txt
if [ ! -r "$LIST" ]; then
	echo "install-deps: $LIST is missing" >&2
	exit 1
fi
PKGS=$(sed -e 's/#.*//' "$LIST")
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# As root the daemon drops to _tegami and writes mail as vmail (design.md).
if [ "$(id -u)" -eq 0 ]; then
	getent passwd _tegami >/dev/null || useradd -r -M -d /nonexistent -s /usr/sbin/nologin _tegami
	getent passwd vmail >/dev/null || useradd -r -M -d /var/vmail -s /usr/sbin/nologin vmail
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
# opendkim is here for its test mode (tests/unit/test_dkim_interop.c), not as
# a milter: its service has no business running on a test machine.
case " $missing " in
*" opendkim "*)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now opendkim >/dev/null 2>&1 || true
	fi
	;;
esac
