#!/bin/sh
# make run: a demo tegami in a temporary directory, on unprivileged loopback ports, in the foreground.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${TEGAMI_DEMO_DIR:-$(mktemp -d /tmp/tegami-demo.XXXXXX)}
mkdir -p "$dir"
chmod 755 "$dir"
port=${TEGAMI_DEMO_PORT:-2525}
sub=$((port + 62))
smtps=$((port + 40))
password=demo-password
if [ "$(id -u)" -eq 0 ]; then
	account=vmail
else
	account=$(id -un)
fi

if [ ! -f "$dir/tegami.conf" ]; then
	# The same first start an admin gets: config, tables, self-signed certificate.
	"$top/bin/tegamictl" init --domain example.test --hostname mail.example.test \
	    --dir "$dir" --listen 127.0.0.1 --ports "$port,$sub,$smtps" >/dev/null
	# As root, init writes the system layout; the demo keeps everything in $dir.
	sed -i -e "s|^spool .*|spool \"$dir/spool\"|" \
	    -e "s|^socket .*|socket \"$dir/tegami.sock\"|" \
	    -e "s|\"/var/vmail/|\"$dir/vmail/|" "$dir/tegami.conf"
	printf 'demo@example.test\t%s\n' "$account" >> "$dir/vusers"
	echo "demo@example.test:$("$top/bin/tegamictl" -f "$dir/tegami.conf" encrypt "$password")" \
	    >> "$dir/creds"
fi
mkdir -p "$dir/vmail"
[ "$(id -u)" -eq 0 ] && chown "$account" "$dir/vmail"
"$top/bin/tegamid" -n -f "$dir/tegami.conf"

cat <<EOT

tegami demo in $dir
  config:      $dir/tegami.conf (written by tegamictl init)
  SMTP:        127.0.0.1 port $port (STARTTLS offered), domain example.test
  submission:  127.0.0.1 port $sub (STARTTLS required) and $smtps (TLS),
               login demo@example.test, password $password
  Maildir:     $dir/vmail/example.test/demo/Maildir

Try, in another terminal:
  swaks --server 127.0.0.1:$port --to demo@example.test
  swaks --server 127.0.0.1:$sub --tls --auth PLAIN --auth-user demo@example.test \\
        --auth-password $password --from demo@example.test --to demo@example.test
  swaks --server 127.0.0.1:$smtps --tlsc --auth LOGIN --auth-user demo@example.test \\
        --auth-password $password --from demo@example.test --to demo@example.test
  printf 'Subject: hi\n\nhello\n' | TEGAMI_CONF=$dir/tegami.conf $top/bin/sendmail demo@example.test
  $top/bin/tegamictl -f $dir/tegami.conf show queue
  ls $dir/vmail/example.test/demo/Maildir/new

Stop with Ctrl-C.

EOT
exec "$top/bin/tegamid" -d -f "$dir/tegami.conf"
