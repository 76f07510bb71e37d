"""TLS: STARTTLS and implicit TLS with real clients, the RFC 3207 injection rule, TLS 1.2+, SNI, reload of certificates, key file modes."""
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from tegami import bin_path, free_port
from tlsutil import CertAuthority, fingerprint_of_file, peer_fingerprint, tls_listeners, wait_listening

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI missing")

CREDS = "table creds { nobody@example.org = \"{PLAIN}x\" }\n"
MESSAGE = (b"From: <sender@example.com>\r\nTo: <alice@example.org>\r\n"
           b"Subject: over TLS\r\n\r\nprivate words\r\n")


@pytest.fixture
def ca(tmp_path):
    return CertAuthority(str(tmp_path))


def pki_lines(ca, *hosts):
    out = ""
    for h in hosts:
        crt, key = ca.leaf(h)
        out += 'pki %s cert "%s"\npki %s key "%s"\n' % (h, crt, h, key)
    return out


@pytest.fixture
def tls_tegami(make_tegami, ca):
    ports, lines = tls_listeners(ca)
    t = make_tegami(globals_=pki_lines(ca, "mx.example.org") + CREDS,
                    listeners=lines)
    t.ports = ports
    wait_listening(t.host, ports["smtps"])
    return t


def test_starttls_smtplib_delivers_with_esmtps(tls_tegami, ca):
    t = tls_tegami
    with smtplib.SMTP(t.host, t.ports["smtp"], timeout=10) as s:
        s.ehlo("client.example.com")
        assert s.has_extn("starttls")
        s.starttls(context=ssl.create_default_context(cafile=ca.crt),
                   server_hostname="mx.example.org") if False else \
            s.starttls(context=_ctx(ca))
        code, _ = s.ehlo("client.example.com")
        assert code == 250
        # STARTTLS is offered once only.
        assert not s.has_extn("starttls")
        s.sendmail("sender@example.com", ["alice@example.org"], MESSAGE)
    msgs = t.wait_messages("alice@example.org", 1)
    assert len(msgs) == 1
    received = msgs[0].split(b"\n\n", 1)[0]
    assert b"with ESMTPS" in received
    assert b"TLSv1.3" in received or b"TLSv1.2" in received


def _ctx(ca):
    ctx = ssl.create_default_context(cafile=ca.crt)
    ctx.check_hostname = False
    return ctx


def test_smtps_swaks(tls_tegami):
    if shutil.which("swaks") is None:
        pytest.skip("swaks not installed")
    t = tls_tegami
    r = subprocess.run(["swaks", "--server", t.host, "--port", str(t.ports["smtp"]),
                        "--tls", "--from", "s@example.com", "--to", "bob@example.org"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "250 2.0.0 Ok: queued as" in r.stdout
    assert len(t.wait_messages("bob@example.org", 1)) == 1


def test_starttls_discards_pipelined_plaintext(tls_tegami, ca):
    """RFC 3207 5 / CVE-2011-0411: commands sent after STARTTLS in the same
    packet must not be executed, and the state starts over after TLS."""
    t = tls_tegami
    raw = socket.create_connection((t.host, t.ports["smtp"]), timeout=10)
    f = raw.makefile("rb")
    assert f.readline().startswith(b"220 ")
    raw.sendall(b"EHLO client.example.com\r\n")
    while True:
        line = f.readline()
        if line.startswith(b"250 "):
            break
    raw.sendall(b"STARTTLS\r\nRSET\r\nMAIL FROM:<x@y>\r\n")
    assert f.readline().startswith(b"220 2.0.0")
    tls = _ctx(ca).wrap_socket(raw, server_hostname="mx.example.org")
    # Anything the server said now would be an answer to the injected RSET/MAIL.
    tls.settimeout(1.0)
    with pytest.raises(socket.timeout):
        tls.recv(1024)
    tls.settimeout(10)
    tf = tls.makefile("rb")
    # The session was reset: MAIL before a new EHLO is a sequence error.
    tls.sendall(b"MAIL FROM:<a@example.com>\r\n")
    assert tf.readline().startswith(b"503 ")
    tls.sendall(b"EHLO client.example.com\r\n")
    lines = []
    while True:
        line = tf.readline()
        lines.append(line)
        if line.startswith(b"250 "):
            break
    assert not any(b"STARTTLS" in ln for ln in lines)
    tls.sendall(b"QUIT\r\n")
    assert tf.readline().startswith(b"221 ")
    tls.close()
    assert "starttls-pipelined" in t.log()


@pytest.mark.parametrize("version,ok", [("-tls1_1", False), ("-tls1_2", True),
                                        ("-tls1_3", True)])
@pytest.mark.parametrize("kind", ["smtp", "smtps"])
def test_protocol_versions(tls_tegami, version, ok, kind):
    t = tls_tegami
    args = ["openssl", "s_client", "-connect", "%s:%d" % (t.host, t.ports[kind]), version]
    if kind == "smtp":
        args += ["-starttls", "smtp"]
    if version == "-tls1_1":
        # OpenSSL 3 refuses TLS 1.1 at its default security level on the client side too.
        args += ["-cipher", "DEFAULT:@SECLEVEL=0"]
    r = subprocess.run(args, input="QUIT\n", capture_output=True, text=True, timeout=20)
    out = r.stdout + r.stderr
    if ok:
        assert r.returncode == 0, out
        assert ("Protocol  : " + ("TLSv1.2" if version == "-tls1_2" else "TLSv1.3")) in out \
            or ("New, " + ("TLSv1.2" if version == "-tls1_2" else "TLSv1.3")) in out, out
    else:
        assert r.returncode != 0, out
        assert "Cipher is (NONE)" in out or "alert" in out or "no protocols" in out, out


def test_sni_picks_certificate(make_tegami, ca):
    ports, lines = tls_listeners(ca)
    globals_ = pki_lines(ca, "mx.example.org", "mail.example.net") + CREDS
    t = make_tegami(globals_=globals_, listeners=lines)
    wait_listening(t.host, ports["smtps"])
    mx = fingerprint_of_file(os.path.join(ca.dir, "mx.example.org.crt"))
    other = fingerprint_of_file(os.path.join(ca.dir, "mail.example.net.crt"))
    assert mx != other
    for kind, starttls in (("smtp", True), ("smtps", False)):
        p = ports[kind]
        assert peer_fingerprint(t.host, p, "mail.example.net", starttls) == other
        assert peer_fingerprint(t.host, p, "mx.example.org", starttls) == mx
        # Unknown names and no SNI at all: the listener's own pki.
        assert peer_fingerprint(t.host, p, "unknown.example.com", starttls) == mx
        assert peer_fingerprint(t.host, p, None, starttls) == mx


def test_sighup_new_certificate_new_connections_only(tls_tegami, ca):
    t = tls_tegami
    crt = os.path.join(ca.dir, "mx.example.org.crt")
    old = fingerprint_of_file(crt)
    assert peer_fingerprint(t.host, t.ports["smtp"]) == old
    # A session that starts before the renewal ...
    s = smtplib.SMTP(t.host, t.ports["smtp"], timeout=10)
    s.ehlo("client.example.com")
    s.starttls(context=_ctx(ca))
    s.ehlo("client.example.com")
    s.mail("sender@example.com")
    # ... then the certificate is replaced as an ACME client does, and the daemon reloaded.
    ca.leaf("mx.example.org", prefix="renewed")
    shutil.copy(os.path.join(ca.dir, "renewed.crt"), crt + ".new")
    shutil.copy(os.path.join(ca.dir, "renewed.key"), crt[:-4] + ".key.new")
    os.chmod(crt[:-4] + ".key.new", 0o600)
    os.rename(crt + ".new", crt)
    os.rename(crt[:-4] + ".key.new", crt[:-4] + ".key")
    new = fingerprint_of_file(crt)
    assert new != old
    os.kill(t.proc.pid, signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and "configuration reloaded" not in t.log():
        time.sleep(0.05)
    assert "configuration reloaded" in t.log()
    assert peer_fingerprint(t.host, t.ports["smtp"]) == new
    assert peer_fingerprint(t.host, t.ports["smtps"], starttls=False) == new
    # The old session goes on to its 250 on the old certificate.
    code, _ = s.rcpt("alice@example.org")
    assert code == 250
    code, _ = s.data(MESSAGE)
    assert code == 250
    s.quit()
    assert len(t.wait_messages("alice@example.org", 1)) == 1


def test_tls_require_refuses_before_starttls(tls_tegami):
    t = tls_tegami
    with smtplib.SMTP(t.host, t.ports["submission"], timeout=10) as s:
        s.ehlo("client.example.com")
        assert s.has_extn("starttls")
        assert not s.has_extn("auth")
        assert s.mail("a@example.org")[0] == 530
        assert s.rcpt("alice@example.org")[0] == 530
        code, msg = s.docmd("AUTH", "PLAIN AGFAYgBj")
        assert code == 530, msg
        assert b"5.7.0 Must issue a STARTTLS command first" in msg
        assert s.docmd("DATA")[0] == 530


def test_tls_require_verify_client_certificate(make_tegami, ca, tmp_path):
    ports, _ = tls_listeners(ca)
    p = ports["submission"]
    lines = ('ca testca cert "%s"\n' % ca.crt +
             "listen on 127.0.0.1 port %d tls-require verify pki mx.example.org ca testca\n" % p)
    t = make_tegami(globals_=pki_lines(ca, "mx.example.org"), listeners=lines)
    wait_listening(t.host, p)
    ccrt, ckey = ca.leaf("client.example.com", client=True)
    base = ["openssl", "s_client", "-connect", "%s:%d" % (t.host, p), "-starttls", "smtp",
            "-ign_eof"]
    r = subprocess.run(base + ["-cert", ccrt, "-key", ckey], input="EHLO x\nQUIT\n",
                       capture_output=True, text=True, timeout=20)
    assert "221 2.0.0" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(base, input="EHLO x\nQUIT\n", capture_output=True, text=True,
                       timeout=20)
    assert "221 2.0.0" not in r.stdout
    assert "tls-failed" in t.log()


def test_key_readable_by_others_is_refused(make_tegami, ca):
    crt, key = ca.leaf("mx.example.org")
    os.chmod(key, 0o644)
    t = make_tegami(start=False, globals_='pki mx.example.org cert "%s"\n'
                    'pki mx.example.org key "%s"\n' % (crt, key),
                    listeners="listen on 127.0.0.1 port %d tls\n" % free_port())
    r = subprocess.run([bin_path("tegamid"), "-n", "-f", t.conf_path], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 1
    with open(t.conf_path) as f:
        line = [i for i, ln in enumerate(f.read().split("\n"), 1) if " key " in ln][0]
    assert "%s:%d: key file %s is readable by others; chmod 600 it" % (
        t.conf_path, line, key) in r.stderr
    os.chmod(key, 0o600)
    r = subprocess.run([bin_path("tegamid"), "-n", "-f", t.conf_path], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 0, r.stderr


def test_smtp_ciphers_honoured_for_tls12(make_tegami, ca):
    p = free_port()
    t = make_tegami(globals_=pki_lines(ca, "mx.example.org") +
                    'smtp ciphers "ECDHE-ECDSA-AES256-GCM-SHA384"\n',
                    listeners="listen on 127.0.0.1 port %d smtps pki mx.example.org\n" % p)
    wait_listening(t.host, p)

    def handshake(cipher):
        return subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % p,
                               "-tls1_2", "-cipher", cipher], input="QUIT\n",
                              capture_output=True, text=True, timeout=20)
    r = handshake("ECDHE-ECDSA-AES256-GCM-SHA384")
    assert r.returncode == 0 and "ECDHE-ECDSA-AES256-GCM-SHA384" in r.stdout, r.stderr
    r = handshake("ECDHE-ECDSA-AES128-GCM-SHA256")
    assert r.returncode != 0
    assert "ECDHE-ECDSA-AES128-GCM-SHA256" not in r.stdout.split("Cipher is")[-1]
