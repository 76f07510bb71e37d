"""SMTP AUTH with real clients (swaks, smtplib, curl, msmtp) through a 587-style (tls-require) and a 465-style (smtps) listener."""
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from tegami import bin_path
from tlsutil import CertAuthority, tls_listeners, wait_listening

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI missing")

PASSWORD = "correct horse battery"
MESSAGE = (b"From: <alice@example.org>\r\nTo: <bob@example.org>\r\n"
           b"Subject: submitted\r\n\r\nsent with a login\r\n")
KINDS = ["submission", "smtps"]


def encrypt(conf_path, password):
    r = subprocess.run([bin_path("tegamictl"), "-f", conf_path, "encrypt", password],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def sub(make_tegami, tmp_path):
    """A tegami with port-25, 587 and 465 style listeners and a passwd file in
    the seed 001 format: user@domain:$(tegamictl encrypt)."""
    ca = CertAuthority(str(tmp_path))
    crt, key = ca.leaf("mx.example.org")
    creds = tmp_path / "passwd"
    creds.write_text("")
    ports, lines = tls_listeners(ca, extra_sub="received-auth")
    globals_ = ('pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
                "smtp auth-cost 4\ntable creds file:%s\n" % (crt, key, creds))
    t = make_tegami(start=False, globals_=globals_, listeners=lines,
                    actions='action "relay" relay\n',
                    matches='match auth from any for any action "relay"\n')
    # Exactly as seed 001 says: echo user@domain:$(smtpctl encrypt) >> passwd
    creds.write_text("alice@example.org:%s\n" % encrypt(t.conf_path, PASSWORD))
    t.start()
    wait_listening(t.host, ports["smtps"])
    t.ports = ports
    t.ca = ca
    return t


def assert_delivered(t, count=1):
    msgs = t.wait_messages("bob@example.org", count)
    assert len(msgs) == count
    head = msgs[-1].split(b"\n\n", 1)[0]
    assert b"with ESMTPSA" in head
    assert b"(authenticated as alice@example.org)" in head
    return msgs


def assert_nothing_queued(t):
    assert t.messages("bob@example.org") == []
    assert t.queue_files() == []


def tls_flag(kind):
    return "--tls" if kind == "submission" else "--tlsc"


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("kind", KINDS)
def test_swaks(sub, kind, mech):
    if shutil.which("swaks") is None:
        pytest.skip("swaks not installed")
    base = ["swaks", "--server", sub.host, "--port", str(sub.ports[kind]), tls_flag(kind),
            "--auth", mech, "--auth-user", "alice@example.org",
            "--from", "alice@example.org", "--to", "bob@example.org"]
    r = subprocess.run(base + ["--auth-password", PASSWORD], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "235 2.7.0 Authentication successful" in r.stdout
    assert_delivered(sub)
    r = subprocess.run(base + ["--auth-password", "wrong"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert "535 5.7.8 Authentication credentials invalid" in r.stdout
    assert len(sub.messages("bob@example.org")) == 1
    assert sub.queue_files() == []
    assert "auth-failed address=127.0.0.1 login=alice@example.org" in sub.log()
    assert "wrong" not in sub.log().replace("wrong password", "")


def smtplib_client(sub, kind):
    ctx = ssl.create_default_context(cafile=sub.ca.crt)
    ctx.check_hostname = False
    if kind == "submission":
        s = smtplib.SMTP(sub.host, sub.ports[kind], timeout=10)
        s.ehlo("client.example.com")
        assert not s.has_extn("auth")
        s.starttls(context=ctx)
        s.ehlo("client.example.com")
    else:
        s = smtplib.SMTP_SSL(sub.host, sub.ports[kind], timeout=10, context=ctx)
        s.ehlo("client.example.com")
    assert s.has_extn("auth")
    assert "PLAIN" in s.esmtp_features["auth"] and "LOGIN" in s.esmtp_features["auth"]
    return s


@pytest.mark.parametrize("kind", KINDS)
def test_smtplib(sub, kind):
    s = smtplib_client(sub, kind)
    # Mail before the login: required on these listeners.
    assert s.mail("alice@example.org")[0] == 530
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        s.login("alice@example.org", "not it")
    assert e.value.smtp_code == 535
    code, _ = s.login("alice@example.org", PASSWORD)
    assert code == 235
    # A second AUTH after success is a sequence error.
    assert s.docmd("AUTH", "PLAIN")[0] == 503
    s.sendmail("alice@example.org", ["bob@example.org"], MESSAGE)
    # Authenticated users relay: the remote recipient is accepted.
    s.mail("alice@example.org")
    code, _ = s.rcpt("someone@remote.example.com")
    assert code == 250
    s.rset()
    s.quit()
    assert_delivered(sub)


def test_unauthenticated_relay_refused(sub):
    with smtplib.SMTP(sub.host, sub.ports["smtp"], timeout=10) as s:
        s.ehlo("client.example.com")
        s.mail("alice@example.org")
        code, msg = s.rcpt("someone@remote.example.com")
        assert code == 550, msg
        assert s.rcpt("bob@example.org")[0] == 250


@pytest.mark.parametrize("kind", KINDS)
def test_curl(sub, kind, tmp_path):
    if shutil.which("curl") is None:
        pytest.skip("curl not installed")
    f = tmp_path / "m.eml"
    f.write_bytes(MESSAGE)
    port = sub.ports[kind]
    url = "%s://mx.example.org:%d" % ("smtp" if kind == "submission" else "smtps", port)

    def run(password):
        return subprocess.run(["curl", "-sS", "-v", "--ssl-reqd", url,
                               "--resolve", "mx.example.org:%d:127.0.0.1" % port,
                               "--cacert", sub.ca.crt,
                               "--user", "alice@example.org:" + password,
                               "--mail-from", "alice@example.org",
                               "--mail-rcpt", "bob@example.org", "-T", str(f)],
                              capture_output=True, text=True, timeout=30)
    r = run("wrong")
    assert r.returncode != 0
    assert "535 5.7.8" in r.stderr
    assert_nothing_queued(sub)
    r = run(PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "235 2.7.0" in r.stderr
    assert_delivered(sub)


@pytest.mark.parametrize("kind", KINDS)
def test_msmtp(sub, kind, tmp_path):
    if shutil.which("msmtp") is None:
        pytest.skip("msmtp not installed")
    rc = tmp_path / "msmtprc"

    def run(password):
        rc.write_text("account default\nhost 127.0.0.1\nport %d\ntls on\n"
                      "tls_starttls %s\ntls_trust_file %s\ntls_host_override mx.example.org\n"
                      "auth on\nuser alice@example.org\npassword %s\n"
                      "from alice@example.org\n" % (
                          sub.ports[kind], "on" if kind == "submission" else "off",
                          sub.ca.crt, password))
        os.chmod(rc, 0o600)
        return subprocess.run(["msmtp", "-C", str(rc), "bob@example.org"], input=MESSAGE,
                              capture_output=True, timeout=30)
    r = run("wrong")
    assert r.returncode != 0
    assert b"535 5.7.8" in r.stderr + r.stdout
    assert_nothing_queued(sub)
    r = run(PASSWORD)
    assert r.returncode == 0, r.stderr
    assert_delivered(sub)


def raw_session(t, port, lines, ca):
    ctx = ssl.create_default_context(cafile=ca.crt)
    ctx.check_hostname = False
    s = ctx.wrap_socket(socket.create_connection((t.host, port), timeout=10))
    f = s.makefile("rb")
    out = [f.readline()]
    for ln in lines:
        s.sendall(ln + b"\r\n")
        r = f.readline()
        while r[3:4] == b"-":
            r = f.readline()
        out.append(r)
    s.close()
    return out


def test_sasl_details(sub):
    import base64
    plain = base64.b64encode(b"\0alice@EXAMPLE.ORG\0" + PASSWORD.encode())
    out = raw_session(sub, sub.ports["smtps"], [
        b"AUTH PLAIN", b"EHLO c.example.com",
        b"AUTH CRAM-MD5",
        b"AUTH PLAIN", b"*",                       # cancelled
        b"AUTH PLAIN", b"not base64!",             # malformed
        b"AUTH PLAIN AGFsaWNl",                    # no password part
        b"AUTH LOGIN", base64.b64encode(b"alice@example.org"), b"*",
        b"AUTH PLAIN =",                           # empty initial response
        b"AUTH PLAIN " + plain,                    # domain case-insensitive
        b"AUTH LOGIN",
    ], sub.ca)
    codes = [ln[:3] for ln in out]
    assert codes == [b"220", b"503", b"250", b"504", b"334", b"501", b"334", b"501",
                     b"501", b"334", b"334", b"501", b"501", b"235", b"503"], out
    assert out[5].startswith(b"501 5.0.0")
    assert b"UGFzc3dvcmQ6" in out[10]


def test_senders_table(make_tegami, tmp_path):
    ca = CertAuthority(str(tmp_path))
    crt, key = ca.leaf("mx.example.org")
    ports, lines = tls_listeners(ca, extra_sub="senders <senders>")
    t = make_tegami(start=False, globals_=(
        'pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
        "smtp auth-cost 4\ntable creds file:%s/creds\n"
        'table senders { alice@example.org = "alice@example.org, @example.net" }\n'
        % (crt, key, tmp_path)), listeners=lines)
    (tmp_path / "creds").write_text("alice@example.org %s\n" % encrypt(t.conf_path, "pw"))
    t.start()
    wait_listening(t.host, ports["smtps"])
    ctx = ssl.create_default_context(cafile=ca.crt)
    ctx.check_hostname = False
    with smtplib.SMTP_SSL(t.host, ports["smtps"], timeout=10, context=ctx) as s:
        s.login("alice@example.org", "pw")
        code, msg = s.mail("bob@example.org")
        assert code == 553, msg
        assert b"5.7.1 Sender address rejected: not owned by user" in msg
        assert s.mail("alice@example.org")[0] == 250
        s.rset()
        assert s.mail("anyone@EXAMPLE.net")[0] == 250
        s.rset()
        assert s.mail("alice@example.net.evil")[0] == 553


def test_senders_masquerade_rewrites_from(make_tegami, tmp_path):
    ca = CertAuthority(str(tmp_path))
    crt, key = ca.leaf("mx.example.org")
    ports, lines = tls_listeners(ca, extra_sub="senders <senders> masquerade")
    t = make_tegami(start=False, globals_=(
        'pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
        "smtp auth-cost 4\ntable creds file:%s/creds\n"
        'table senders { alice@example.org = "alice@example.org, @example.net" }\n'
        % (crt, key, tmp_path)), listeners=lines)
    (tmp_path / "creds").write_text("alice@example.org %s\n" % encrypt(t.conf_path, "pw"))
    t.start()
    wait_listening(t.host, ports["smtps"])
    ctx = ssl.create_default_context(cafile=ca.crt)
    ctx.check_hostname = False
    body = (b"From: \"Alice Liddell\" <someone@elsewhere.example>\r\nTo: bob@example.org\r\n"
            b"Subject: masq\r\n\r\nFrom: a body line stays\r\n")
    with smtplib.SMTP_SSL(t.host, ports["smtps"], timeout=10, context=ctx) as s:
        s.login("alice@example.org", "pw")
        s.sendmail("shop@example.net", ["bob@example.org"], body)
    msg = t.wait_messages("bob@example.org", 1)[0]
    assert b'\nFrom: "Alice Liddell" <shop@example.net>\n' in msg
    assert b"someone@elsewhere.example" not in msg
    assert msg.endswith(b"\n\nFrom: a body line stays\n")


def test_passwd_formats(make_tegami, tmp_path):
    """Dovecot passwd-file lines and scheme prefixes, vpopmail clear passwords.
    Credentials lookups fold the login to lower case (tegami.conf(5)), as
    Dovecot's default auth_username_format %Lu does: Dave logs in as dave."""
    ca = CertAuthority(str(tmp_path))
    crt, key = ca.leaf("mx.example.org")
    ports, lines = tls_listeners(ca)
    sha512 = subprocess.run(["openssl", "passwd", "-6", "-salt", "saltsalt", "pw6"],
                            capture_output=True, text=True).stdout.strip()
    (tmp_path / "creds").write_text(
        "bob@example.org:{SHA512-CRYPT}%s:1000:1000::/home/bob::\n"
        "dave@example.org\t{PLAIN}pwd\n" % sha512)
    t = make_tegami(globals_=('pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
                              "table creds file:%s/creds\n" % (crt, key, tmp_path)),
                    listeners=lines)
    wait_listening(t.host, ports["smtps"])
    ctx = ssl.create_default_context(cafile=ca.crt)
    ctx.check_hostname = False
    for user, pw, ok in [("bob@example.org", "pw6", True), ("bob@example.org", "pw", False),
                         ("dave@example.org", "pwd", True), ("Dave@example.org", "pwd", True),
                         ("Dave@example.org", "pwD", False),
                         ("nobody@example.org", "pwd", False)]:
        with smtplib.SMTP_SSL(t.host, ports["smtps"], timeout=10, context=ctx) as s:
            if ok:
                assert s.login(user, pw)[0] == 235
            else:
                with pytest.raises(smtplib.SMTPAuthenticationError):
                    s.login(user, pw)


def test_tegamictl_encrypt_lines_and_init(tmp_path):
    # stdin lines, one hash per line, like smtpctl encrypt
    r = subprocess.run([bin_path("tegamictl"), "-f", str(tmp_path / "none.conf"), "encrypt"],
                       input="first\nsecond\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    hashes = r.stdout.split()
    assert len(hashes) == 2 and all(h.startswith("$2b$10$") for h in hashes)
    import crypt  # noqa: deprecated but present in Debian's python3.11; libxcrypt underneath
    assert crypt.crypt("first", hashes[0]) == hashes[0]
    assert crypt.crypt("second", hashes[1]) == hashes[1]

    d = tmp_path / "etc"
    args = [bin_path("tegamictl"), "init", "--domain", "example.test",
            "--hostname", "mail.example.test", "--dir", str(d)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # The checklist names the command that adds a login and the DKIM key to publish.
    assert "user add you@example.test" in r.stdout and "DKIM" in r.stdout
    for name, mode in [("tegami.conf", 0o644), ("domains", 0o644), ("vusers", 0o644),
                       ("creds", 0o600), ("mail.example.test.crt", 0o644),
                       ("mail.example.test.key", 0o600)]:
        assert (os.stat(d / name).st_mode & 0o777) == mode, name
    text = subprocess.run(["openssl", "x509", "-in", str(d / "mail.example.test.crt"),
                           "-noout", "-text"], capture_output=True, text=True).stdout
    assert "DNS:mail.example.test" in text
    conf = (d / "tegami.conf").read_text()
    assert "tls-require pki mail.example.test auth <creds>" in conf
    assert "smtps pki mail.example.test auth <creds>" in conf
    r = subprocess.run([bin_path("tegamid"), "-n", "-f", str(d / "tegami.conf")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    # Never over an existing installation.
    before = (d / "tegami.conf").read_bytes()
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "exists" in r.stderr
    assert (d / "tegami.conf").read_bytes() == before


def process_names(t):
    names = []
    for pid in t.pids():
        try:
            with open("/proc/%d/comm" % pid) as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return names


def wait_auth_processes(t, n):
    """Children are named after proc_setup(), which a sanitizer build reaches late."""
    deadline = time.time() + 15
    while time.time() < deadline and process_names(t).count("tegami-auth") != n:
        time.sleep(0.1)
    assert process_names(t).count("tegami-auth") == n


def test_reload_brings_new_credentials(sub, tmp_path):
    """A password change takes effect with `tegamictl update table`, through a new
    smtp generation and its own auth process; the old auth process goes away."""
    ctx = ssl.create_default_context(cafile=sub.ca.crt)
    ctx.check_hostname = False
    wait_auth_processes(sub, 1)
    creds = [ln for ln in open(sub.conf_path) if ln.startswith("table creds file:")][0]
    path = creds.split("file:", 1)[1].strip()
    with open(path + ".new", "w") as f:
        f.write("alice@example.org:%s\n" % encrypt(sub.conf_path, "new password"))
    os.rename(path + ".new", path)
    r = sub.ctl("update", "table", "creds")
    assert "reloaded" in r.stdout
    with smtplib.SMTP_SSL(sub.host, sub.ports["smtps"], timeout=10, context=ctx) as s:
        assert s.login("alice@example.org", "new password")[0] == 235
    with smtplib.SMTP_SSL(sub.host, sub.ports["smtps"], timeout=10, context=ctx) as s:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            s.login("alice@example.org", PASSWORD)
    wait_auth_processes(sub, 1)


def test_auth_optional(make_tegami, tmp_path):
    ca = CertAuthority(str(tmp_path))
    crt, key = ca.leaf("mx.example.org")
    ports, lines = tls_listeners(ca)
    lines = lines.replace("tls-require pki mx.example.org auth <creds>",
                          "tls pki mx.example.org auth-optional <creds>")
    t = make_tegami(start=False, globals_=(
        'pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
        "smtp auth-cost 4\ntable creds file:%s/creds\n" % (crt, key, tmp_path)),
        listeners=lines, actions='action "relay" relay\n',
        matches='match auth from any for any action "relay"\n')
    (tmp_path / "creds").write_text("alice@example.org:%s\n" % encrypt(t.conf_path, "pw"))
    t.start()
    wait_listening(t.host, ports["submission"])
    with smtplib.SMTP(t.host, ports["submission"], timeout=10) as s:
        s.ehlo("c.example.com")
        # Loopback counts as secure: AUTH is offered before TLS on a plain tls listener.
        assert s.has_extn("auth") and s.has_extn("starttls")
        assert s.mail("someone@example.com")[0] == 250
        assert s.rcpt("bob@example.org")[0] == 250
        assert s.rcpt("x@remote.example.com")[0] == 550
        s.rset()
        assert s.login("alice@example.org", "pw")[0] == 235
        s.mail("alice@example.org")
        assert s.rcpt("x@remote.example.com")[0] == 250


CHILD_538 = r'''
import smtplib, ssl, subprocess, sys
sys.path.insert(0, sys.argv[1])
from tegami import Tegami, bin_path
from tlsutil import CertAuthority
ca = CertAuthority(sys.argv[2])
crt, key = ca.leaf("mx.example.org")
t = Tegami(host="192.0.2.1", port=2525, globals_=(
    'pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
    "smtp auth-cost 4\ntable creds file:%s/creds\n" % (crt, key, sys.argv[2])),
    listeners="listen on 192.0.2.1 port 2587 tls pki mx.example.org auth <creds>\n")
h = subprocess.run([bin_path("tegamictl"), "-f", t.conf_path, "encrypt", "pw"],
                   capture_output=True, text=True).stdout.strip()
open(sys.argv[2] + "/creds", "w").write("alice@example.org:%s\n" % h)
t.start()
try:
    s = smtplib.SMTP("192.0.2.1", 2587, timeout=10)
    s.ehlo("c.example.com")
    print("auth-offered-plain", s.has_extn("auth"))
    print("auth-plain", s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHB3"))
    print("mail-plain", s.mail("alice@example.org")[0])
    ctx = ssl.create_default_context(cafile=ca.crt)
    ctx.check_hostname = False
    s.starttls(context=ctx)
    s.ehlo("c.example.com")
    print("auth-offered-tls", s.has_extn("auth"))
    print("auth-tls", s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHB3")[0])
    s.quit()
finally:
    t.cleanup()
'''


def test_plain_text_password_from_the_network_gets_538(tmp_path):
    """Outside loopback, a password over a plain connection is refused (RFC 4954 4).
    The non-loopback address lives on lo in a network namespace made for the test."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs root, unshare and ip for a private network namespace")
    child = tmp_path / "child.py"
    child.write_text(CHILD_538)
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run(["unshare", "-n", "sh", "-c",
                        "ip link set lo up && ip addr add 192.0.2.1/32 dev lo && "
                        "exec /usr/bin/python3 -W ignore \"$0\" \"$1\" \"$2\"",
                        str(child), here, str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    assert "auth-offered-plain False" in out
    assert "auth-plain (538, b'5.7.11 Encryption required for requested authentication mechanism')" in out
    assert "mail-plain 530" in out
    assert "auth-offered-tls True" in out
    assert "auth-tls 235" in out
