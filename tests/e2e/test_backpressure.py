"""Output back-pressure: a client that pipelines without reading is stopped being read, so the smtp process stays small."""
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


def unread_by_server(server_port, client_port):
    """Bytes the kernel holds for the server's socket that it has not read (/proc/net/tcp)."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, remote, queues = fields[1], fields[2], fields[4]
            if int(local.split(":")[1], 16) == server_port and \
                    int(remote.split(":")[1], 16) == client_port:
                return int(queues.split(":")[1], 16)
    raise AssertionError("no such connection")


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
    # Send all it takes; the server soon stops reading, and so the socket fills up.
    while sent < len(data) and time.time() < deadline:
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
    time.sleep(1)
    grown = rss_kib(smtp) - before
    assert grown < BOUND_KIB, "smtp grew by %d KiB for %d bytes pipelined" % (grown, sent)
    # It stopped reading: what the client sent waits in the kernel, not in tegami.
    assert unread_by_server(t.port, s.getsockname()[1]) > 0
    # Reading the replies lets it go on: the first commands are answered in order.
    s.setblocking(True)
    s.settimeout(10)
    got = b""
    while got.count(b"250 HELP\r\n") < 1000:
        chunk = s.recv(65536)
        assert chunk, "connection closed"
        got += chunk
    first = got.split(b"250 HELP\r\n", 1)[0]
    assert first.startswith(b"250-") and b"Hello pipelining.client.example" in first
    s.close()
    assert t.proc.poll() is None
    # The session went away cleanly: nothing kept for it.
    deadline = time.time() + 10
    while time.time() < deadline and "disconnect" not in t.log():
        time.sleep(0.05)
    assert "disconnect" in t.log()
