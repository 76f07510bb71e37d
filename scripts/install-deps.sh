#!/bin/sh
# Installs what tegami needs to build and test, when run as root on Debian.
# As a normal user it only says what is missing.
PKGS="build-essential pkg-config libevent-dev libssl-dev libunbound-dev libsqlite3-dev
libcrypt-dev libpsl-dev libidn2-dev python3-pytest python3-dkim swaks curl dnsmasq-base
clang libclang-rt-14-dev libfuzzer-14-dev msmtp openssl opendkim opendkim-tools"
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
apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
