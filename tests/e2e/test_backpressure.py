"""A client that pipelines without reading its replies costs the smtp process a bounded amount (tests/unit/test_conn.c checks the back-pressure itself)."""
import socket
import time

from test_supervision import wait_child

# What one connection may cost the smtp process at most: 256 KiB of unread
# input, 64 KiB of replies (plus one), and the allocator's slack.
BOUND_KIB = 4096
COMMANDS = 100000


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_pipelining_without_reading_stays_within_a_bound(make_tegami):
    # Under ASan, freed memory sits in quarantine and RSS measures churn, not what
    # is held: no quarantine here, so the sanitizer build checks the bound too.
    t = make_tegami(env={"ASAN_OPTIONS": "quarantine_size_mb=0"})
    smtp = wait_child(t, "smtp")
    s = socket.create_connection((t.host, t.port), timeout=10)
    assert s.recv(512).startswith(b"220 ")
    before = rss_kib(smtp)
    line = b"EHLO pipelining.client.example\r\n"
    data = line * COMMANDS
    s.setblocking(False)
    sent, deadline = 0, time.time() + 10
    # Send all it takes, until the server stops reading (the socket fills up) or,
    # past its command limits, ends the session.
    while sent < len(data) and time.time() < deadline:
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
        except (ConnectionResetError, BrokenPipeError):
            break
    time.sleep(1)
    grown = rss_kib(smtp) - before
    assert grown < BOUND_KIB, "smtp grew by %d KiB for %d bytes pipelined" % (grown, sent)
    # The session is bounded besides: past 100 commands that move no mail each one
    # counts as an error (docs/security.md), and the 20th error ends it.
    got = b""
    s.setblocking(True)
    s.settimeout(10)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    # What came back before the end came in order.
    if got:
        assert got.startswith(b"250-") and b"Hello pipelining.client.example" in got
    assert t.proc.poll() is None
    deadline = time.time() + 10
    while time.time() < deadline and "disconnect" not in t.log():
        time.sleep(0.05)
    assert "disconnect" in t.log()
    assert rss_kib(smtp) - before < BOUND_KIB
