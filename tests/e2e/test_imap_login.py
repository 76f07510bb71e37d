"""IMAP before login, in the login process: greeting, CAPABILITY, STARTTLS, LOGIN and AUTHENTICATE, what is refused."""
import base64
import imaplib
import re
import socket
import ssl
import time

import pytest

from mailread import PASSWORD, reading_tegami
from tegami import free_port


@pytest.fixture
def t(make_tegami, tmp_path):
    return reading_tegami(make_tegami, tmp_path)


class Raw:
    """An IMAP connection read line by line."""

    def __init__(self, t, port, tls):
        sock = socket.create_connection((t.host, port), timeout=30)
        self.s = t.ctx.wrap_socket(sock) if tls else sock
        self.f = self.s.makefile("rb")
        self.greeting = self.f.readline()

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        return self.f.readline()

    def until_tagged(self, tag):
        lines = []
        while True:
            l = self.f.readline()
            assert l, "connection closed; got %r" % lines
            lines.append(l)
            if l.startswith(tag + b" "):
                return lines

    def close(self):
        self.s.close()


def test_greeting_and_capability_on_imaps(t):
    c = Raw(t, t.ports["imaps"], True)
    assert re.match(rb"\* OK \[CAPABILITY IMAP4rev1 [^]]*\] ", c.greeting), c.greeting
    caps = c.greeting.split(b"]")[0].split()[2:]
    assert b"AUTH=PLAIN" in caps and b"SASL-IR" in caps and b"IMAP4rev2" in caps
    assert b"STARTTLS" not in caps and b"LOGINDISABLED" not in caps
    c.send(b"a1 CAPABILITY\r\n")
    lines = c.until_tagged(b"a1")
    assert lines[0].startswith(b"* CAPABILITY IMAP4rev1 ")
    assert lines[-1].startswith(b"a1 OK")
    c.send(b"a2 NOOP\r\na3 ID (\"name\" \"test\")\r\n")
    assert c.until_tagged(b"a2")[-1].startswith(b"a2 OK")
    lines = c.until_tagged(b"a3")
    assert lines[0].startswith(b"* ID (") and lines[-1].startswith(b"a3 OK")
    c.send(b"a4 LOGOUT\r\n")
    lines = c.until_tagged(b"a4")
    assert lines[0].startswith(b"* BYE") and lines[-1].startswith(b"a4 OK")
    assert c.line() == b""
    c.close()


def test_commands_of_later_states_are_refused_before_login(t):
    c = Raw(t, t.ports["imaps"], True)
    for i, cmd in enumerate([b"SELECT INBOX", b"LIST \"\" *", b"FETCH 1 FLAGS",
                             b"ENABLE IMAP4rev2"]):
        tag = b"b%d" % i
        c.send(tag + b" " + cmd + b"\r\n")
        assert c.until_tagged(tag)[-1].startswith(tag + b" BAD"), cmd
    c.send(b"c1 LOGIN\r\n")
    assert c.until_tagged(b"c1")[-1].startswith(b"c1 BAD")
    c.close()


def test_wrong_password_is_authenticationfailed(t):
    m = imaplib.IMAP4_SSL(t.host, t.ports["imaps"], ssl_context=t.ctx)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        m.login("alice@example.org", "not the password")
    m.shutdown()


def test_three_failures_close_the_connection(t):
    c = Raw(t, t.ports["imaps"], True)
    for i in range(3):
        tag = b"f%d" % i
        c.send(tag + b" LOGIN alice@example.org wrong\r\n")
        assert c.until_tagged(tag)[-1].startswith(tag + b" NO [AUTHENTICATIONFAILED]")
    rest = c.f.read()
    assert rest.startswith(b"* BYE"), rest
    c.close()


def test_a_good_login_is_handed_to_the_mailbox_process(t):
    """The password goes to auth, the session to the mailbox process of the account."""
    m = imaplib.IMAP4_SSL(t.host, t.ports["imaps"], ssl_context=t.ctx)
    try:
        m.login("alice@example.org", PASSWORD)
    except imaplib.IMAP4.error:
        pass    # an engine that cannot serve says NO itself
    m.shutdown()
    time.sleep(0.3)
    log = t.log()
    assert "login user=alice@example.org" in log, log[-3000:]
    assert "mailbox open user=alice@example.org" in log, log[-3000:]


def test_login_with_literals_and_authenticate_plain(t):
    c = Raw(t, t.ports["imaps"], True)
    # A synchronizing literal gets its continuation; a wrong password still fails.
    c.send(b"l1 LOGIN {17}\r\n")
    assert c.line().startswith(b"+ ")
    c.send(b"alice@example.org {5+}\r\nwrong\r\n")
    assert c.until_tagged(b"l1")[-1].startswith(b"l1 NO [AUTHENTICATIONFAILED]")
    # AUTHENTICATE PLAIN with a continuation, then cancelled.
    c.send(b"p1 AUTHENTICATE PLAIN\r\n")
    assert c.line() == b"+ \r\n"
    c.send(b"*\r\n")
    assert c.until_tagged(b"p1")[-1].startswith(b"p1 BAD")
    # SASL-IR with a wrong password.
    ir = base64.b64encode(b"\0alice@example.org\0nope")
    c.send(b"p2 AUTHENTICATE PLAIN " + ir + b"\r\n")
    assert c.until_tagged(b"p2")[-1].startswith(b"p2 NO [AUTHENTICATIONFAILED]")
    c.close()


def test_authenticate_login_and_unknown_mechanism(t):
    c = Raw(t, t.ports["imaps"], True)
    c.send(b"x1 AUTHENTICATE CRAM-MD5\r\n")
    assert c.until_tagged(b"x1")[-1].startswith(b"x1 NO")
    c.send(b"x2 AUTHENTICATE LOGIN\r\n")
    assert c.line() == b"+ VXNlcm5hbWU6\r\n"
    c.send(base64.b64encode(b"alice@example.org") + b"\r\n")
    assert c.line() == b"+ UGFzc3dvcmQ6\r\n"
    c.send(base64.b64encode(b"bad password") + b"\r\n")
    assert c.until_tagged(b"x2")[-1].startswith(b"x2 NO [AUTHENTICATIONFAILED]")
    c.send(b"x3 AUTHENTICATE PLAIN\r\n")
    assert c.line() == b"+ \r\n"
    c.send(b"!!notbase64\r\n")
    assert c.until_tagged(b"x3")[-1].startswith(b"x3 BAD")
    c.close()


def test_starttls_on_143_and_logindisabled_on_tls_require(make_tegami, tmp_path):
    port = free_port()
    t = reading_tegami(make_tegami, tmp_path, extra_listeners=(
        "listen on 127.0.0.1 port %d imap tls-require pki mx.example.org auth <creds>\n" % port))
    # Plain 143 with "tls" from loopback: loopback counts as secure (design.md).
    c = Raw(t, t.ports["imap"], False)
    assert b"STARTTLS" in c.greeting and b"AUTH=PLAIN" in c.greeting
    c.close()
    c = Raw(t, port, False)
    assert b"STARTTLS" in c.greeting and b"LOGINDISABLED" in c.greeting
    assert b"AUTH=" not in c.greeting
    c.send(b"a1 LOGIN alice@example.org x\r\n")
    assert c.until_tagged(b"a1")[-1].startswith(b"a1 NO [PRIVACYREQUIRED]")
    # Bytes pipelined after STARTTLS are thrown away, not obeyed after the handshake.
    c.send(b"a2 STARTTLS\r\na3 NOOP\r\n")
    assert c.until_tagged(b"a2")[-1].startswith(b"a2 OK")
    tls = t.ctx.wrap_socket(c.s)
    f = tls.makefile("rb")
    tls.sendall(b"a4 CAPABILITY\r\n")
    first = f.readline()
    assert first.startswith(b"* CAPABILITY"), first
    assert b"AUTH=PLAIN" in first and b"STARTTLS" not in first and b"LOGINDISABLED" not in first
    assert f.readline().startswith(b"a4 OK")
    tls.close()


def test_a_silent_client_is_dropped_before_login(make_tegami, tmp_path):
    """LOGIN_IDLE_SECS is 120: too long for a test; check the command limit instead."""
    t = reading_tegami(make_tegami, tmp_path)
    c = Raw(t, t.ports["imaps"], True)
    for i in range(12):
        c.send(b"z%d BOGUS\r\n" % i)
    rest = c.f.read()
    assert b"* BYE" in rest and b"Too many invalid commands" in rest
    c.close()


def test_an_overlong_line_is_refused(t):
    c = Raw(t, t.ports["imaps"], True)
    c.send(b"q1 LOGIN " + b"a" * 20000 + b" x\r\nq2 NOOP\r\n")
    lines = c.until_tagged(b"q2")
    assert any(l.startswith(b"q1 BAD") or l.startswith(b"* BAD") for l in lines), lines
    assert lines[-1].startswith(b"q2 OK")
    c.close()
