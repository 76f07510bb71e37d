#!/usr/bin/python3
"""TLS handshakes/s and authenticated submissions/s at N clients: tegami beside OpenSMTPD, both on implicit TLS (RSA 2048 certificate) with AUTH PLAIN over a bcrypt (cost 10) passwd file.

Usage: bench/tls_auth.py [--clients 10] [--seconds 10] [--rounds 2] [--out FILE]

Run as root on a disposable machine: OpenSMTPD comes from Debian's package,
extracted (bench/lib.sh fetch_deb), its helpers are copied to the compiled-in
/usr/libexec/opensmtpd and its accounts are created, as its package would do;
it never becomes the system's mailer. Only 127.0.0.1 is used.
"""
import argparse
import base64
import multiprocessing
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("TEGAMI_BIN", os.path.join(ROOT, "bin"))
WORK = os.path.join(ROOT, "build", "bench", "tls")
PEERS = os.path.join(ROOT, "build", "bench", "peers")
PASSWORD = "bench-password-42"
BODY = (b"From: <alice@example.org>\r\nTo: <bob@example.org>\r\nSubject: bench\r\n\r\n" +
        (b"x" * 76 + b"\r\n") * 52)  # about 4 KiB


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, **kw)


def make_cert(d):
    key, crt = os.path.join(d, "mx.key"), os.path.join(d, "mx.crt")
    # RSA 2048: OpenSMTPD 6.8's privilege-separated signing fails with ECDSA keys on OpenSSL 3.
    r = run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=mx.example.org",
            "-addext", "subjectAltName=DNS:mx.example.org", "-keyout", key, "-out", crt)
    if r.returncode != 0:
        sys.exit("openssl: " + r.stderr)
    os.chmod(key, 0o600)
    return crt, key


def start_tegami(d, crt, key, hash_):
    port = free_port()
    root = os.geteuid() == 0
    user = "_tegami" if root else pwd.getpwuid(os.getuid()).pw_name
    account = "vmail" if root else user
    vmail = os.path.join(d, "vmail")
    os.makedirs(vmail, exist_ok=True)
    if root:
        shutil.chown(vmail, account)
    with open(os.path.join(d, "creds"), "w") as f:
        f.write("alice@example.org:%s\n" % hash_)
    os.chmod(os.path.join(d, "creds"), 0o600)
    with open(os.path.join(d, "vusers"), "w") as f:
        f.write("bob@example.org\t%s\n" % account)
    conf = os.path.join(d, "tegami.conf")
    with open(conf, "w") as f:
        f.write('hostname "mx.example.org"\nspool "%s/spool"\nsocket "%s/tegami.sock"\n'
                'user "%s"\npki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
                "table creds file:%s/creds\ntable vusers file:%s/vusers\n"
                "listen on 127.0.0.1 port %d smtps pki mx.example.org auth <creds>\n"
                'action "deliver" maildir "%s/%%{dest.user}/Maildir" virtual <vusers>\n'
                'match auth from any for domain example.org action "deliver"\n'
                % (d, d, user, crt, key, d, d, port, vmail))
    log = open(os.path.join(d, "tegamid.log"), "wb")
    p = subprocess.Popen([os.path.join(BIN, "tegamid"), "-d", "-f", conf], stdout=log,
                         stderr=subprocess.STDOUT)
    if not wait_port(port):
        p.kill()
        return None, None, "tegamid did not start (see %s/tegamid.log)" % d
    return p, port, None


def start_opensmtpd(d, crt, key, hash_):
    if os.geteuid() != 0:
        return None, None, "needs root"
    top = os.path.join(PEERS, "opensmtpd")
    r = subprocess.run(["sh", "-c", '. "%s/bench/lib.sh"; fetch_deb opensmtpd "%s"' % (ROOT, top)],
                       capture_output=True, text=True)
    smtpd = os.path.join(top, "usr/sbin/smtpd")
    if not os.path.exists(smtpd):
        return None, None, "cannot get Debian's opensmtpd package: " + r.stdout + r.stderr
    # What the package's postinst would do: accounts, chroot, helpers at their compiled path.
    for u in ("opensmtpd", "opensmtpq"):
        if subprocess.run(["getent", "passwd", u], capture_output=True).returncode != 0:
            run("useradd", "--system", "--user-group", "--no-create-home",
                "--home-dir", "/var/lib/opensmtpd/empty", "--shell", "/usr/sbin/nologin", u)
    os.makedirs("/var/lib/opensmtpd/empty", exist_ok=True)
    if not os.path.isdir("/usr/libexec/opensmtpd"):
        shutil.copytree(os.path.join(top, "usr/libexec/opensmtpd"), "/usr/libexec/opensmtpd")
    port = free_port()
    vmail = os.path.join(d, "vmail")
    os.makedirs(vmail, exist_ok=True)
    shutil.chown(vmail, "nobody")
    with open(os.path.join(d, "creds"), "w") as f:
        f.write("alice@example.org %s\n" % hash_)
    os.chmod(os.path.join(d, "creds"), 0o600)
    conf = os.path.join(d, "smtpd.conf")
    with open(conf, "w") as f:
        f.write('pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
                "table creds file:%s/creds\n"
                'table vusers { "bob@example.org" = nobody }\n'
                "listen on 127.0.0.1 port %d smtps pki mx.example.org "
                'hostname "mx.example.org" auth <creds>\n'
                'action "deliver" maildir "%s/%%{dest.user}/Maildir" virtual <vusers>\n'
                'match auth from any for domain "example.org" action "deliver"\n'
                % (crt, key, d, port, vmail))
    log = open(os.path.join(d, "smtpd.log"), "wb")
    p = subprocess.Popen([smtpd, "-d", "-f", conf], stdout=log, stderr=subprocess.STDOUT)
    if not wait_port(port):
        p.kill()
        return None, None, "smtpd did not start (see %s/smtpd.log)" % d
    try:
        one_handshake(client_ctx(), port)
    except Exception as e:
        p.kill()
        return None, None, ("its TLS handshake fails on this machine (%s; smtpd.log: %s)"
                            % (e.__class__.__name__, last_line(os.path.join(d, "smtpd.log"))))
    return p, port, None


def last_line(path):
    try:
        with open(path, errors="replace") as f:
            lines = [ln.strip() for ln in f if "reason=" in ln]
        return lines[-1] if lines else "nothing"
    except OSError:
        return "nothing"


def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def expect(f, code):
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    if not line.startswith(code):
        raise RuntimeError("wanted %s, got %r" % (code, line))


def one_handshake(ctx, port):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="mx.example.org") as s:
            f = s.makefile("rb")
            expect(f, b"220")
            s.sendall(b"QUIT\r\n")
            expect(f, b"221")


def one_submission(ctx, port):
    ir = base64.b64encode(b"\0alice@example.org\0" + PASSWORD.encode())
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="mx.example.org") as s:
            f = s.makefile("rb")
            expect(f, b"220")
            s.sendall(b"EHLO bench.example.com\r\n")
            expect(f, b"250")
            s.sendall(b"AUTH PLAIN " + ir + b"\r\n")
            expect(f, b"235")
            s.sendall(b"MAIL FROM:<alice@example.org>\r\n")
            expect(f, b"250")
            s.sendall(b"RCPT TO:<bob@example.org>\r\n")
            expect(f, b"250")
            s.sendall(b"DATA\r\n")
            expect(f, b"354")
            s.sendall(BODY + b".\r\n")
            expect(f, b"250")
            s.sendall(b"QUIT\r\n")
            expect(f, b"221")


def worker(args):
    kind, port, seconds = args
    ctx = client_ctx()
    fn = one_handshake if kind == "handshake" else one_submission
    done = errors = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            fn(ctx, port)
            done += 1
        except Exception:
            errors += 1
    return done, errors


def measure(kind, port, clients, seconds):
    with multiprocessing.Pool(clients) as pool:
        start = time.time()
        res = pool.map(worker, [(kind, port, seconds)] * clients)
        took = time.time() - start
    done = sum(r[0] for r in res)
    errors = sum(r[1] for r in res)
    return done / took, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out")
    a = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    base = tempfile.mkdtemp(prefix="tls-", dir=WORK)
    os.chmod(base, 0o755)
    crt, key = make_cert(base)
    hash_ = run(os.path.join(BIN, "tegamictl"), "encrypt", PASSWORD).stdout.strip()
    peers = {}
    for name, start in (("tegami", start_tegami), ("OpenSMTPD", start_opensmtpd)):
        d = os.path.join(base, name)
        os.makedirs(d)
        os.chmod(d, 0o755)
        p, port, why = start(d, crt, key, hash_)
        peers[name] = (p, port, why)
        if why:
            print("bench: %s not runnable: %s" % (name, why), file=sys.stderr)
    best = {}
    try:
        for rnd in range(a.rounds):
            for kind in ("handshake", "submission"):
                for name, (p, port, why) in peers.items():
                    if why:
                        continue
                    rate, errors = measure(kind, port, a.clients, a.seconds)
                    print("bench: round %d %s %s: %.1f/s (%d errors)" % (
                        rnd + 1, name, kind, rate, errors), file=sys.stderr)
                    if errors == 0:
                        best[(name, kind)] = max(best.get((name, kind), 0), rate)
    finally:
        for p, _, _ in peers.values():
            if p is not None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
    lines = ["| at %d clients, implicit TLS, AUTH PLAIN (bcrypt cost 10) | tegami | OpenSMTPD | ratio |"
             % a.clients, "|---|---|---|---|"]
    for kind, label in (("handshake", "TLS handshakes/s (connect, TLS, 220, QUIT)"),
                        ("submission", "authenticated 4 KiB submissions/s")):
        t, o = best.get(("tegami", kind)), best.get(("OpenSMTPD", kind))
        lines.append("| %s | %s | %s | %s |" % (
            label, "%.1f" % t if t else "n/a", "%.1f" % o if o else
            "n/a (%s)" % (peers["OpenSMTPD"][2] or "errors"),
            "%.2f" % (t / o) if t and o else "n/a"))
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
