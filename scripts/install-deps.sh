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
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && continue
	# NodeSource's nodejs carries npm and conflicts with Debian's package.
	[ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
	missing="$missing $p"
done
# As root the daemon drops to _tegami and writes mail as vmail (design.md).
if [ "$(id -u)" -eq 0 ]; then
	getent passwd _tegami >/dev/null || useradd -r -M -d /nonexistent -s /usr/sbin/nologin _tegami
	getent passwd vmail >/dev/null || useradd -r -M -d /var/vmail -s /usr/sbin/nologin vmail
fi
# imapflow, for tests/e2e/test_imapflow.py, from npm's registry at the
# versions tests/node/package-lock.json pins.
node_modules()
{
	[ -f tests/node/node_modules/imapflow/package.json ] && return 0
	if ! npm ci --prefix tests/node --no-audit --no-fund --loglevel=error >/dev/null; then
		echo "install-deps: npm ci in tests/node failed" >&2
		return 1
	fi
}
if [ -z "$missing" ]; then
	node_modules
	exit $?
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }; then
	echo "install-deps: apt-get could not install:$missing" >&2
	exit 1
fi
# opendkim is here for its test mode (tests/unit/test_dkim_interop.c), not as
# a milter: its service has no business running on a test machine.
case " $missing " in
*" opendkim "*)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now opendkim >/dev/null 2>&1 || true
	fi
	;;
esac
node_modules
