#!/usr/bin/python3
# How transcript.ref beside this script was made (make check does not run
# it): Dovecot from Debian's packages, extracted with dpkg-deb under
# build/dovecot (never installed), serves a Maildir built from msgs/ and
# mailbox (internal dates as file times, in file order so UIDs are 1..n),
# pre-authenticated on a pipe, TZ=Asia/Tokyo, with a fresh index (so MODSEQs
# are kept). Each line of `commands` is
# sent alone and answered before the next is sent; transcript.ref keeps
# "C: " and the command, then the server's lines byte for byte, the timings
# of tagged lines cut ("(0.001 + 0.000 secs)").
#
# Usage, as root from the top of the tree:
#   /usr/bin/python3 tests/data/imapsearch/make-refs.py [DIR]
# (DIR: this directory, or tests/data/imapsection, which has the same files.)
# Dovecot refuses to run as root, so it runs as nobody (setpriv).
import calendar, os, re, shutil, subprocess, sys, time

top = os.getcwd()
data = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.dirname(os.path.abspath(__file__)))
work = os.path.join(top, 'build', 'dovecot')
root = os.path.join(work, 'root')
os.makedirs(work, exist_ok=True)
if not os.path.exists(os.path.join(root, 'usr/lib/dovecot/imap')):
    subprocess.check_call(['apt-get', 'download', 'dovecot-core', 'dovecot-imapd'], cwd=work)
    for f in os.listdir(work):
        if f.endswith('.deb'):
            subprocess.check_call(['dpkg-deb', '-x', f, 'root'], cwd=work)
conf = os.path.join(work, 'dovecot.conf')
with open(conf, 'w') as f:
    f.write('base_dir = %s/run\nstate_dir = %s/run\nssl = no\nlog_path = %s/dovecot.log\n'
            'mail_location = maildir:%s/mail/Maildir:INDEX=%s/mail/index\nmail_home = %s/mail\n'
            'protocols = imap\nimap_capability = +SORT=DISPLAY\n' % ((work,) * 6))
for d in ('run', 'mail'):
    shutil.rmtree(os.path.join(work, d), ignore_errors=True)
md = os.path.join(work, 'mail', 'Maildir')
for d in ('cur', 'new', 'tmp'):
    os.makedirs(os.path.join(md, d))
os.makedirs(os.path.join(work, 'run'))
# mailbox: "NAME.eml YYYY-MM-DD HH:MM:SS +HHMM" (the internal date)
n = 0
for line in open(os.path.join(data, 'mailbox')):
    line = line.split('#')[0].split()
    if not line:
        continue
    n += 1
    name, day, clock, zone = line
    t = calendar.timegm(time.strptime(day + ' ' + clock, '%Y-%m-%d %H:%M:%S'))
    off = (int(zone[1:3]) * 60 + int(zone[3:5])) * 60
    t -= off if zone[0] == '+' else -off
    dst = os.path.join(md, 'cur', '%d.M%dP1.tegami:2,' % (1600000000 + n, n))
    shutil.copyfile(os.path.join(data, 'msgs', name), dst)
    os.utime(dst, (t, t))
open(os.path.join(work, 'dovecot.log'), 'a').close()
subprocess.check_call(['chown', '-R', '65534:65534', os.path.join(work, 'run'),
                       os.path.join(work, 'mail'), os.path.join(work, 'dovecot.log')])
env = dict(LD_LIBRARY_PATH=os.path.join(root, 'usr/lib/dovecot'), USER='nobody',
           HOME=os.path.join(work, 'mail'), TZ='Asia/Tokyo', PATH='/usr/bin:/bin')
p = subprocess.Popen(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
                      os.path.join(root, 'usr/bin/doveconf'), '-c', conf, '-m', 'imap', '-e',
                      os.path.join(root, 'usr/lib/dovecot/imap')],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(os.path.join(work, 'dovecot.log'), 'ab'), env=env)


def response():
    """One line, with the literals it announces."""
    out = b''
    while True:
        line = p.stdout.readline()
        if not line:
            raise SystemExit('dovecot closed the connection')
        out += line
        m = re.search(rb'\{(\d+)\}\r\n$', line)
        if not m:
            return out
        out += p.stdout.read(int(m.group(1)))


greeting = response()
out = open(os.path.join(data, 'transcript.ref'), 'wb')
for line in open(os.path.join(data, 'commands'), 'rb'):
    cmd = line.rstrip(b'\r\n')
    if not cmd or cmd.startswith(b'#'):
        continue
    tag = cmd.split(b' ', 1)[0]
    p.stdin.write(cmd + b'\r\n')
    p.stdin.flush()
    out.write(b'C: ' + cmd + b'\r\n')
    while True:
        r = response()
        if r.startswith(tag + b' '):
            r = re.sub(rb' \(\d+\.\d+ \+ \d+\.\d+( \+ \d+\.\d+)? secs\)\.', b'', r)
            out.write(r)
            break
        out.write(r)
p.stdin.close()
p.wait()
out.close()
print('transcript.ref: %d octets' % os.path.getsize(os.path.join(data, 'transcript.ref')))
