#!/bin/sh
# make run: a demo tegami in a temporary directory, on unprivileged loopback ports, in the foreground.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${TEGAMI_DEMO_DIR:-$(mktemp -d /tmp/tegami-demo.XXXXXX)}
chmod 755 "$dir"
port=${TEGAMI_DEMO_PORT:-2525}
if [ "$(id -u)" -eq 0 ]; then
	user=_tegami; account=vmail
else
	user=$(id -un); account=$user
fi
mkdir -p "$dir/vmail"
[ "$(id -u)" -eq 0 ] && chown "$account" "$dir/vmail"

# A self-signed certificate for the TLS listeners of later versions.
if [ ! -f "$dir/demo.crt" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=mail.example.test" \
	    -keyout "$dir/demo.key" -out "$dir/demo.crt" >/dev/null 2>&1
	chmod 600 "$dir/demo.key"
fi
cat > "$dir/vusers" <<EOT
demo@example.test	$account
postmaster@example.test	demo@example.test
EOT
cat > "$dir/tegami.conf" <<EOT
# tegami demo configuration (written by make run)
hostname "mail.example.test"
spool "$dir/spool"
socket "$dir/tegami.sock"
user "$user"

pki mail.example.test cert "$dir/demo.crt"
pki mail.example.test key "$dir/demo.key"

table domains { example.test }
table vusers file:$dir/vusers

listen on 127.0.0.1 port $port

action "deliver" maildir "$dir/vmail/%{dest.domain:lowercase}/%{dest.user:lowercase}/Maildir" virtual <vusers>

match from any for domain <domains> action "deliver"
EOT
cat <<EOT

tegami demo in $dir
  config:   $dir/tegami.conf
  SMTP:     127.0.0.1 port $port, domain example.test, user demo@example.test
  Maildir:  $dir/vmail/example.test/demo/Maildir

Try, in another terminal:
  swaks --server 127.0.0.1:$port --to demo@example.test
  printf 'Subject: hi\n\nhello\n' | TEGAMI_CONF=$dir/tegami.conf $top/bin/sendmail demo@example.test
  $top/bin/tegamictl -f $dir/tegami.conf show queue
  ls $dir/vmail/example.test/demo/Maildir/new

Stop with Ctrl-C.

EOT
exec "$top/bin/tegamid" -d -f "$dir/tegami.conf"
