#!/bin/sh
# Documents how the .ref files beside this script were made (make check does not
# run it): Dovecot from Debian's packages, extracted under build/ (never
# installed), runs its imap binary in pre-authenticated mode on a Maildir that
# holds one NAME.eml, and answers
#   FETCH 1 (RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY)
# and one FETCH 1 (BODY.PEEK[section]) for each section listed in `sections`.
# NAME.ref keeps the untagged FETCH responses byte for byte (the tagged OK lines
# carry timings, so they are left out).
#
# Usage, as root from the top of the tree: sh tests/data/mime/make-refs.sh [NAME...]
# Dovecot refuses to run as root, so it runs as nobody. One run at a time:
# every run uses build/dovecot/mail and build/dovecot/run.
set -eu
top=$(pwd)
data=$top/tests/data/mime
work=$top/build/dovecot
mkdir -p "$work"
cd "$work"
if [ ! -x root/usr/lib/dovecot/imap ]; then
	apt-get download dovecot-core dovecot-imapd
	for f in dovecot-core_*.deb dovecot-imapd_*.deb; do dpkg-deb -x "$f" root; done
fi
ver=$(dpkg-deb -f dovecot-core_*.deb Version)
echo "dovecot $ver"
cat > dovecot.conf <<CONF
base_dir = $work/run
state_dir = $work/run
ssl = no
log_path = $work/dovecot.log
mail_location = maildir:$work/mail/Maildir:INDEX=MEMORY
mail_home = $work/mail
protocols = imap
CONF
touch dovecot.log

[ $# -gt 0 ] || set -- $(cd "$data" && ls *.eml | sed 's/\.eml$//')
for name in "$@"; do
	rm -rf run mail
	mkdir -p run mail/Maildir/cur mail/Maildir/new mail/Maildir/tmp
	cp "$data/$name.eml" "mail/Maildir/cur/1.ref:2,"
	chown -R 65534:65534 run mail dovecot.log
	/usr/bin/python3 - "$data/sections" "$name" > cmds <<'PY'
import sys
secs = []
for line in open(sys.argv[1]):
    if line.startswith(sys.argv[2] + ':'):
        rest, cur, depth = line.split(':', 1)[1].strip(), '', 0
        for k, ch in enumerate(rest):
            if ch == ' ' and depth == 0 and rest[k + 1:k + 2] != '(':
                if cur: secs.append(cur)
                cur = ''
                continue
            depth += ch == '('
            depth -= ch == ')'
            cur += ch
        if cur: secs.append(cur)
out = ['a SELECT INBOX', 'b FETCH 1 (RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY)']
for i, s in enumerate(secs):
    if s == '<>':
        out.append('s%d FETCH 1 (BODY.PEEK[])' % i)
    elif s.startswith('<'):
        out.append('s%d FETCH 1 (BODY.PEEK[]%s)' % (i, s))
    elif '<' in s:
        j = s.index('<')
        out.append('s%d FETCH 1 (BODY.PEEK[%s]%s)' % (i, s[:j], s[j:]))
    else:
        out.append('s%d FETCH 1 (BODY.PEEK[%s])' % (i, s))
out.append('z LOGOUT')
sys.stdout.write(''.join(l + '\r\n' for l in out))
PY
	cat cmds | setpriv --reuid=65534 --regid=65534 --clear-groups env \
	    LD_LIBRARY_PATH="$work/root/usr/lib/dovecot" USER=nobody \
	    HOME="$work/mail" timeout 20 root/usr/bin/doveconf -c "$work/dovecot.conf" \
	    -m imap -e "$work/root/usr/lib/dovecot/imap" 2>>dovecot.log | cat > transcript
	/usr/bin/python3 - transcript "$data/$name.ref" <<'PY'
import re, sys
t = open(sys.argv[1], 'rb').read()
out, i = b'', 0
while i < len(t):
    # One response: lines joined through {n} literals.
    start = i
    while True:
        e = t.index(b'\r\n', i)
        m = re.search(rb'\{(\d+)\}$', t[i:e])
        if m:
            i = e + 2 + int(m.group(1))
            continue
        i = e + 2
        break
    resp = t[start:i]
    if resp.startswith(b'* 1 FETCH '):
        out += resp
open(sys.argv[2], 'wb').write(out)
PY
	echo "$name: $(wc -c < "$data/$name.ref") bytes"
done
