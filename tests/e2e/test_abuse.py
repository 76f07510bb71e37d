"""Abuse resistance: many connections from one address, connection rates, clients talking before the banner, slowloris clients.

The per-address limits exempt loopback (as Postfix exempts mynetworks), so
the scenarios that need them run in a private network namespace
(tests/e2e/netns.py) with addresses of their own.
"""
import resource
import select
import socket
import smtplib
import time

import pytest

import netns
from dnsserver import DNSServer, have_dnsmasq
from tegami import Tegami

SERVER, FLOOD, OTHER = "198.18.0.1", "198.18.0.20", "198.18.0.21"
PER_ADDR = 20
FLOOD_N = 500


def first_lines(socks, timeout=30):
    """The first line each socket receives ("" when it closes without one)."""
    pending = {s.fileno(): s for s in socks}
    got = {s.fileno(): b"" for s in socks}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        r, _, _ = select.select(list(pending), [], [], 1.0)
        for fd in r:
            try:
                chunk = pending[fd].recv(4096)
            except OSError:
                chunk = b""
            got[fd] += chunk
            if not chunk or b"\r\n" in got[fd]:
                del pending[fd]
    return [got[s.fileno()].split(b"\r\n")[0].decode() for s in socks]


def connect_from(src, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(30)
    s.connect((SERVER, port))
    return s


def scenario_flood(_arg):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    dns = DNSServer()
    t = Tegami(host=SERVER, port=25, globals_="%s\nsmtp limit max-sessions-per-address %d\n"
               % (dns.resolver_line(), PER_ADDR))
    out = {}
    socks = []
    try:
        t.start()
        t0 = time.monotonic()
        for _ in range(FLOOD_N):
            socks.append(connect_from(FLOOD, 25))
        lines = first_lines(socks)
        out["flood_seconds"] = time.monotonic() - t0
        out["flood_220"] = sum(1 for ln in lines if ln.startswith("220 "))
        out["flood_421"] = sum(1 for ln in lines if ln.startswith("421 4.7.0 ") and
                               "Too many connections from your address" in ln)
        out["flood_other"] = [ln for ln in lines if not ln.startswith(("220 ", "421 "))][:5]
        # The flood holds its sessions open; another address is served meanwhile.
        t1 = time.monotonic()
        with smtplib.SMTP(SERVER, 25, timeout=15, source_address=(OTHER, 0)) as s:
            s.ehlo("other.example.com")
            s.sendmail("x@other.example.com", ["alice@example.org"], b"Subject: x\r\n\r\nok\r\n")
        out["other_seconds"] = time.monotonic() - t1
        out["other_delivered"] = len(t.wait_messages("alice@example.org", 1))
        out["refused_logged"] = t.log().count("reason=\"Too many connections from your address")
    finally:
        for s in socks:
            s.close()
        out["sanitizer"] = netns.sanitizer_reports(t.log())
        t.cleanup()
        dns.stop()
    return out


def scenario_rate(_arg):
    dns = DNSServer()
    t = Tegami(host=SERVER, port=25, globals_="%s\nsmtp limit max-connection-rate 5/60s\n"
               % dns.resolver_line())
    out = {"flood": [], "other": []}
    try:
        t.start()
        # One at a time, each closed at once: only the rate can say no.
        for _ in range(8):
            s = connect_from(FLOOD, 25)
            out["flood"].append(first_lines([s])[0][:3])
            s.close()
        s = connect_from(OTHER, 25)
        out["other"].append(first_lines([s])[0][:3])
        s.close()
        out["log"] = t.log()
    finally:
        out["sanitizer"] = netns.sanitizer_reports(t.log())
        t.cleanup()
        dns.stop()
    return out


@pytest.fixture(scope="module")
def in_netns():
    if not netns.available():
        pytest.skip("needs root, unshare and ip for a private network namespace")
    if not have_dnsmasq():
        pytest.skip("dnsmasq not installed")


def test_500_connections_from_one_address(in_netns):
    r = netns.run(__file__, "scenario_flood", [SERVER, FLOOD, OTHER])
    assert r["sanitizer"] == []
    # The limit held: as many sessions as allowed, a clean 421 for every other one.
    assert r["flood_220"] == PER_ADDR, r
    assert r["flood_421"] == FLOOD_N - PER_ADDR, r
    assert r["flood_other"] == []
    assert r["refused_logged"] == FLOOD_N - PER_ADDR
    # Another address is served at once while the flood holds its sessions.
    assert r["other_delivered"] == 1
    assert r["other_seconds"] < 5, r


def test_connection_rate_per_address(in_netns):
    r = netns.run(__file__, "scenario_rate", [SERVER, FLOOD, OTHER])
    assert r["sanitizer"] == []
    assert r["flood"] == ["220"] * 5 + ["421"] * 3, r["flood"]
    assert r["other"] == ["220"]
    assert "reason=rate limit=5/60s" in r["log"]


def test_pipelining_before_the_banner_is_dropped(make_tegami):
    t = make_tegami()
    s = socket.create_connection((t.host, t.port), timeout=10)
    # Everything at once, without waiting for the greeting (a spam engine's way).
    s.sendall(b"EHLO spam.example\r\nMAIL FROM:<a@spam.example>\r\n"
              b"RCPT TO:<alice@example.org>\r\nDATA\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data == b"554 5.5.1 mx.example.org Protocol error: talking before the greeting\r\n"
    assert "early-talker address=127.0.0.1" in t.log()
    # A client that waits is served as ever.
    with smtplib.SMTP(t.host, t.port, timeout=10) as c:
        assert c.ehlo("client.example.com")[0] == 250


def test_slowloris_dropped_at_the_command_deadline(make_tegami):
    t = make_tegami(globals_="smtp timeout command 2s\n")
    s = socket.create_connection((t.host, t.port), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220 ")
    # A byte every half second: never idle, never a whole command.
    t0 = time.monotonic()
    got = b""
    for c in b"EHLO slow.example.com":
        try:
            s.sendall(bytes([c]))
        except OSError:
            break
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            got = f.readline()
            break
    elapsed = time.monotonic() - t0
    s.close()
    assert got.startswith(b"421 4.4.2 ") and b"Timeout" in got, got
    assert 1.5 <= elapsed <= 4, elapsed
    # Commands that each come whole in time are served however long the session is.
    with smtplib.SMTP(t.host, t.port, timeout=10) as c:
        c.ehlo("client.example.com")
        for _ in range(3):
            time.sleep(1)
            assert c.noop()[0] == 250


def test_session_deadline(make_tegami):
    t = make_tegami(globals_="smtp timeout session 2s\n")
    with smtplib.SMTP(t.host, t.port, timeout=10) as c:
        c.ehlo("client.example.com")
        t0 = time.monotonic()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            for _ in range(20):
                c.noop()
                time.sleep(0.25)
        assert time.monotonic() - t0 <= 3
    assert "smtp timeout address=127.0.0.1" in t.log()
