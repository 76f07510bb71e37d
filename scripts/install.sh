#!/bin/sh
# make install: the programs and their compatibility links, the man pages, the
# systemd unit; as root on the system itself (no DESTDIR), the accounts too.
# Variables (from the Makefile): DESTDIR PREFIX SBINDIR MANDIR UNITDIR
# SYSCONFDIR ACCOUNTS (yes, no, or auto: root and no DESTDIR) COMPAT.
set -eu
cd "$(dirname "$0")/.."
: "${DESTDIR:=}" "${PREFIX:=/usr/local}" "${SBINDIR:=$PREFIX/sbin}"
: "${MANDIR:=$PREFIX/share/man}" "${UNITDIR:=$PREFIX/lib/systemd/system}"
: "${SYSCONFDIR:=/etc}" "${ACCOUNTS:=auto}"
: "${COMPAT:=sendmail mailq newaliases vadddomain vadduser vdeluser vpasswd vuserinfo valias}"

install -d "$DESTDIR$SBINDIR" "$DESTDIR$MANDIR/man5" "$DESTDIR$MANDIR/man8" \
    "$DESTDIR$UNITDIR"
install -m 755 bin/tegamid bin/tegamictl "$DESTDIR$SBINDIR/"
for n in $COMPAT; do
	ln -sf tegamictl "$DESTDIR$SBINDIR/$n"
done
install -m 644 docs/man/tegami.conf.5 "$DESTDIR$MANDIR/man5/"
install -m 644 docs/man/tegamid.8 docs/man/tegamictl.8 "$DESTDIR$MANDIR/man8/"
# Each compatibility name has its page: tegamictl(8), which documents them all.
for n in $COMPAT; do
	printf '.so man8/tegamictl.8\n' > "$DESTDIR$MANDIR/man8/$n.8"
	chmod 644 "$DESTDIR$MANDIR/man8/$n.8"
done
sed -e "s|@SBINDIR@|$SBINDIR|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" \
    etc/tegami.service.in > "$DESTDIR$UNITDIR/tegami.service"
chmod 644 "$DESTDIR$UNITDIR/tegami.service"
install -d -m 755 "$DESTDIR$SYSCONFDIR/tegami"

if [ "$ACCOUNTS" = yes ] || { [ "$ACCOUNTS" = auto ] && [ -z "$DESTDIR" ] &&
    [ "$(id -u)" -eq 0 ]; }; then
	sh scripts/install-accounts.sh
fi
echo "installed under $DESTDIR$PREFIX; next: tegamictl init --domain DOMAIN --hostname HOST"
