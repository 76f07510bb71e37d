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
imaps=$((port + 468))
pop3s=$((port + 470))
password=demo-password
ctl="$top/bin/tegamictl -f $dir/tegami.conf"

if [ ! -f "$dir/tegami.conf" ]; then
	# The same first start an admin gets: config, tables, certificate, DKIM key,
	# with the spool, socket and mail kept in $dir even as root.
	"$top/bin/tegamictl" init --domain example.test --hostname mail.example.test \
	    --dir "$dir" --self-contained --listen 127.0.0.1 \
	    --ports "$port,$sub,$smtps,$imaps,$pop3s" >/dev/null
	echo "$password" | $ctl user add demo@example.test --password-stdin >/dev/null
fi
"$top/bin/tegamid" -n -f "$dir/tegami.conf"
# The ports init wrote, should the directory come from an earlier run.
port_of() {
	sed -n "s/^listen on [^ ]* port \([0-9]*\) $1.*/\1/p" "$dir/tegami.conf" | head -n 1
}
port=$(port_of tls)
sub=$(port_of tls-require)
smtps=$(port_of smtps)
imaps=$(port_of imaps)
pop3s=$(port_of pop3s)

cat <<EOT

tegami demo in $dir
  config:      $dir/tegami.conf (written by tegamictl init)
  SMTP:        127.0.0.1 port $port (STARTTLS offered), domain example.test
  submission:  127.0.0.1 port $sub (STARTTLS required) and $smtps (TLS),
               login demo@example.test, password $password
  IMAP:        127.0.0.1 port $imaps (TLS), login demo@example.test, password $password
  POP3:        127.0.0.1 port $pop3s (TLS), the same login
  Maildir:     $dir/vmail/example.test/demo/Maildir

Try, in another terminal:
  swaks --server 127.0.0.1:$port --to demo@example.test
  swaks --server 127.0.0.1:$sub --tls --auth PLAIN --auth-user demo@example.test \\
        --auth-password $password --from demo@example.test --to demo@example.test
  swaks --server 127.0.0.1:$smtps --tlsc --auth LOGIN --auth-user demo@example.test \\
        --auth-password $password --from demo@example.test --to demo@example.test
  printf 'Subject: hi\n\nhello\n' | TEGAMI_CONF=$dir/tegami.conf $top/bin/sendmail demo@example.test
  curl -k --user demo@example.test:$password imaps://127.0.0.1:$imaps/INBOX -X 'FETCH 1:* (FLAGS ENVELOPE)'
  curl -k --user demo@example.test:$password pop3s://127.0.0.1:$pop3s/1
  $ctl user show demo@example.test
  $ctl user add you@example.test
  $ctl show queue
  ls $dir/vmail/example.test/demo/Maildir/new
(IMAP and POP3 answer once tegamid serves them; until then the Maildir shows the mail.)

Stop with Ctrl-C.

EOT
exec "$top/bin/tegamid" -d -f "$dir/tegami.conf"
