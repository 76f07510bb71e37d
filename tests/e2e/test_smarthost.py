"""Relaying through a smarthost: Postfix's smtp-sink, and a tegamid with STARTTLS, smtps and AUTH."""
import subprocess
import time

import pytest

from relaytest import Sink, fetch_postfix, log_lines, send, sender, wait_for
from tegami import free_port
from tlsutil import CertAuthority, wait_listening

@pytest.fixture(scope="module")
def postfix():
    if not fetch_postfix():
        pytest.skip("Postfix's smtp-sink could not be fetched (apt-get download postfix)")


@pytest.fixture
def sink_factory(postfix):
    made = []

    def factory(*opts):
        s = Sink(*opts)
        made.append(s)
        return s

    yield factory
    for s in made:
        s.stop()


def relay_to(host_url, extra=""):
    return 'action "outbound" relay host %s %s' % (host_url, extra)


def test_smarthost_smtp_sink_with_dsn_parameters(make_tegami, sink_factory):
    sink = sink_factory()
    out = sender(make_tegami, None, actions=relay_to("smtp://127.0.0.1:%d" % sink.port))
    import smtplib
    with smtplib.SMTP(out.host, out.port) as s:
        s.ehlo()
        s.sendmail("sender@out.example", ["x@one.example", "y@two.example"],
                   b"Subject: via smarthost\r\n\r\n.dot line\r\nbody\r\n",
                   mail_options=["RET=HDRS", "ENVID=env+2B1"],
                   rcpt_options=["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;orig@one.example"])
    assert out.wait_queue_empty(timeout=30), out.log()[-3000:]
    dumps = wait_for(lambda: sink.dumps(), timeout=10)
    # Two recipient domains, one smarthost: one destination, recipients per domain request.
    text = b"".join(dumps).decode()
    assert "X-Rcpt-Args: <x@one.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;orig@one.example" in text
    assert "X-Rcpt-Args: <y@two.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;orig@one.example" in text
    # ENVID travels xtext-encoded, as it came ("env+2B1" is "env+1").
    assert "ENVID=env+2B1" in text, text
    assert "\n.dot line\n" in text.replace("\r\n", "\n")
    assert len(log_lines(out, "delivery ok")) == 2


def test_connections_are_reused_for_later_messages(make_tegami, sink_factory):
    sink = sink_factory()
    out = sender(make_tegami, None, actions=relay_to("smtp://127.0.0.1:%d" % sink.port))
    for i in range(5):
        send(out, ["x%d@one.example" % i])
        assert wait_for(lambda: len(log_lines(out, "delivery ok")) == i + 1, timeout=30)
    assert out.wait_queue_empty(timeout=15)
    # Each message came while the previous connection idled: one connection, RSET between.
    assert len(log_lines(out, "] connected")) == 1, log_lines(out, "connected")
    assert sink.conversation().upper().count("RSET") >= 4
    assert len(sink.dumps()) == 5


def test_8bit_message_to_a_server_without_8bitmime_fails(make_tegami, sink_factory):
    sink = sink_factory("-8")
    out = sender(make_tegami, None, actions=relay_to("smtp://127.0.0.1:%d" % sink.port))
    import smtplib
    with smtplib.SMTP(out.host, out.port) as s:
        s.ehlo()
        s.sendmail("sender@out.example", ["x@one.example"],
                   "Subject: caf\u00e9\r\n\r\nd\u00e9j\u00e0 vu\r\n".encode("utf-8"),
                   mail_options=["BODY=8BITMIME"])
    assert out.wait_queue_empty(timeout=30), out.log()[-3000:]
    failed = log_lines(out, "delivery failed")
    assert failed and "5.6.3" in failed[0] and "8BITMIME" in failed[0], failed
    assert sink.dumps() == []


def test_auth_is_never_sent_in_clear(make_tegami, sink_factory, tmp_path):
    sink = sink_factory()	# offers AUTH PLAIN LOGIN, and no STARTTLS
    secrets = tmp_path / "secrets"
    secrets.write_text("bob username:password\n")
    out = sender(make_tegami, None,
                 globals_="table secrets file:%s" % secrets,
                 actions=relay_to("smtp+notls://bob@127.0.0.1:%d" % sink.port,
                                  "auth <secrets>"))
    send(out, ["x@one.example"])
    assert wait_for(lambda: log_lines(out, "delivery deferred"), timeout=30), out.log()[-3000:]
    assert "refusing to authenticate without TLS" in out.ctl("show", "queue").stdout
    assert "AUTH" not in sink.conversation().upper().replace("AUTH PLAIN LOGIN", "")
    assert sink.dumps() == []


def test_mandatory_tls_without_starttls_defers(make_tegami, sink_factory):
    sink = sink_factory()
    out = sender(make_tegami, None,
                 actions=relay_to("smtp+tls://127.0.0.1:%d" % sink.port))
    send(out, ["x@one.example"])
    assert wait_for(lambda: log_lines(out, "delivery deferred"), timeout=30), out.log()[-3000:]
    assert "STARTTLS is not offered" in out.ctl("show", "queue").stdout
    assert sink.dumps() == []


def test_lmtp_relay_host(make_tegami, sink_factory):
    sink = sink_factory("-L")
    out = sender(make_tegami, None, actions=relay_to("lmtp://127.0.0.1:%d" % sink.port))
    send(out, ["x@one.example", "y@one.example"])
    assert out.wait_queue_empty(timeout=30), out.log()[-3000:]
    assert len(log_lines(out, "delivery ok")) == 2
    assert "LHLO" in sink.conversation().upper()
    text = b"".join(sink.dumps()).decode()
    assert "<x@one.example>" in text and "<y@one.example>" in text


# ---- a tegamid smarthost: STARTTLS and smtps with AUTH ----

def encrypt(conf_path, password):
    from tegami import bin_path
    r = subprocess.run([bin_path("tegamictl"), "-f", conf_path, "encrypt", password],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def smarthost(make_tegami, tmp_path):
    """A tegamid for example.org on loopback: STARTTLS submission and smtps, both with
    AUTH, a certificate for "localhost" from a test CA."""
    ca = CertAuthority(str(tmp_path))
    crt, key = ca.leaf("localhost")
    creds = tmp_path / "passwd"
    creds.write_text("")
    sub, smtps = free_port(), free_port()
    t = make_tegami(start=False,
                    globals_='pki localhost cert "%s"\npki localhost key "%s"\n'
                             "table creds file:%s\n" % (crt, key, creds),
                    listeners="listen on 127.0.0.1 port %d tls-require pki localhost "
                              "auth <creds> received-auth\nlisten on 127.0.0.1 port %d "
                              "smtps pki localhost auth <creds> received-auth\n"
                              % (sub, smtps))
    creds.write_text("alice@example.org:%s\n" % encrypt(t.conf_path, "s3cret pass"))
    t.start()
    wait_listening("127.0.0.1", smtps)
    t.sub, t.smtps, t.ca = sub, smtps, ca
    return t


def smarthost_sender(make_tegami, tmp_path, url, extra="", globals_=""):
    # smtpd.conf(5)'s first example: a secrets table "bob username:password".
    secrets = tmp_path / "secrets"
    secrets.write_text("bob alice@example.org:s3cret pass\n")
    return sender(make_tegami, None,
                  globals_="table secrets file:%s\n%s" % (secrets, globals_),
                  actions=relay_to(url, "auth <secrets> " + extra))


def assert_relayed(sh, out):
    msgs = sh.wait_messages("bob@example.org", 1, timeout=30)
    assert len(msgs) == 1, out.log()[-3000:]
    head = msgs[0].split(b"\n\n", 1)[0]
    assert b"with ESMTPSA" in head and b"authenticated as alice@example.org" in head, head
    assert out.wait_queue_empty(timeout=15)


def test_starttls_auth_no_verify(make_tegami, smarthost, tmp_path):
    out = smarthost_sender(make_tegami, tmp_path,
                           "smtp+tls://bob@127.0.0.1:%d" % smarthost.sub, "tls no-verify")
    send(out, ["bob@example.org"])
    assert_relayed(smarthost, out)


def test_smtps_auth_verified_with_ca(make_tegami, smarthost, tmp_path):
    out = smarthost_sender(make_tegami, tmp_path,
                           "smtps://bob@localhost:%d" % smarthost.smtps,
                           "ca testca", globals_='ca testca cert "%s"' % smarthost.ca.crt)
    send(out, ["bob@example.org"])
    assert_relayed(smarthost, out)
    assert log_lines(out, "verified")


def test_certificate_not_trusted_defers(make_tegami, smarthost, tmp_path):
    out = smarthost_sender(make_tegami, tmp_path,
                           "smtp+tls://bob@localhost:%d" % smarthost.sub)
    send(out, ["bob@example.org"])
    assert wait_for(lambda: log_lines(out, "delivery deferred"), timeout=30), out.log()[-3000:]
    assert "certificate verification failed" in out.ctl("show", "queue").stdout
    time.sleep(0.5)
    assert smarthost.messages("bob@example.org") == []


def test_wrong_password_defers(make_tegami, smarthost, tmp_path):
    out = smarthost_sender(make_tegami, tmp_path,
                           "smtp+tls://bob@127.0.0.1:%d" % smarthost.sub, "tls no-verify")
    (tmp_path / "secrets").write_text("bob alice@example.org:wrong\n")
    out.ctl("update", "table", "secrets")
    send(out, ["bob@example.org"])
    assert wait_for(lambda: log_lines(out, "delivery deferred"), timeout=60), out.log()[-3000:]
    shown = out.ctl("show", "queue").stdout
    assert "535" in shown and "AUTH" in shown, shown


def test_message_over_the_servers_size_fails_locally(make_tegami):
    far = make_tegami(globals_="smtp max-message-size 2k")
    out = sender(make_tegami, None, actions=relay_to("smtp://127.0.0.1:%d" % far.port))
    body = b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n"
    send(out, ["bob@example.org"], body * 60)
    assert out.wait_queue_empty(timeout=30), out.log()[-3000:]
    failed = log_lines(out, "delivery failed")
    assert failed and "552 5.3.4" in failed[0] and "2048" in failed[0], failed
    # Refused before MAIL: the far side saw no transaction.
    assert not log_lines(far, "smtp accepted")


class BrokenTLSServer:
    """An SMTP server whose STARTTLS is answered with plain text (a broken TLS stack or a
    middlebox): the client must come back without TLS. It records what it receives."""

    def __init__(self):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.sessions = []
        self.messages = []
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        import socket
        self.sock.settimeout(0.2)
        while not self.stopping and len(self.sessions) < 5:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            with c:
                c.settimeout(10)
                self.session(c.makefile("rwb"))

    def session(self, f):
        log = []
        self.sessions.append(log)

        def say(line):
            f.write(line + b"\r\n")
            f.flush()
        say(b"220 broken.example ESMTP")
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.strip().upper()
            log.append(cmd)
            if cmd.startswith(b"EHLO"):
                say(b"250-broken.example")
                say(b"250 STARTTLS")
            elif cmd == b"STARTTLS":
                say(b"220 go ahead")
                say(b"this is not a TLS record")
                return
            elif cmd.startswith(b"MAIL") or cmd.startswith(b"RCPT") or cmd == b"RSET":
                say(b"250 ok")
            elif cmd == b"DATA":
                say(b"354 go")
                data = b""
                while True:
                    ln = f.readline()
                    if not ln or ln == b".\r\n":
                        break
                    data += ln
                self.messages.append(data)
                say(b"250 2.0.0 queued")
            elif cmd == b"QUIT":
                say(b"221 bye")
                return
            else:
                say(b"500 what")

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()


def test_failed_opportunistic_tls_falls_back_to_clear(make_tegami):
    srv = BrokenTLSServer()
    try:
        out = sender(make_tegami, None, actions=relay_to("smtp://127.0.0.1:%d" % srv.port))
        send(out, ["x@one.example"])
        assert out.wait_queue_empty(timeout=30), out.log()[-3000:]
        assert len(srv.messages) == 1
        assert b"STARTTLS" in srv.sessions[0]
        # The same host again, in clear, without asking for TLS.
        assert b"STARTTLS" not in srv.sessions[1] and any(
            c.startswith(b"MAIL FROM") for c in srv.sessions[1])
        assert log_lines(out, "retrying without TLS")
    finally:
        srv.stop()
