"""After login without TLS the client's socket itself goes to the mailbox process (as Dovecot hands it on); TLS sessions stay relayed by the login process."""
import os
import re
import resource
import socket
import time

import pytest

from mailread import PASSWORD, give_to_mail_account, reading_tegami, send


@pytest.fixture
def t(make_tegami, tmp_path):
    return reading_tegami(make_tegami, tmp_path)


def plain(t, kind):
    s = socket.create_connection((t.host, t.ports[kind]), timeout=30)
    f = s.makefile("rb")
    greeting = f.readline()
    assert greeting.startswith(b"+OK" if kind == "pop3" else b"* OK"), greeting
    return s, f


def read_until(f, end):
    lines = []
    while True:
        line = f.readline()
        assert line, b"".join(lines)
        lines.append(line)
        if line.startswith(end):
            return lines


def socket_inode(server_port, client_port):
    """The inode of the server's side of a loopback TCP connection."""
    want_local = "0100007F:%04X" % server_port
    want_remote = "0100007F:%04X" % client_port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[1] == want_local and parts[2] == want_remote:
                return parts[9]
    return None


def holders(t, inode):
    """Names of tegami's processes that hold the socket (by /proc/PID/fd)."""
    names = set()
    for pid in t.pids():
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
            with open("/proc/%d/status" % pid) as f:
                name = f.readline().split(":", 1)[1].strip()
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "socket:[%s]" % inode:
                    names.add(name)
            except OSError:
                pass
    return names


def test_plain_pop3_pipelined_after_pass_gets_every_answer(t):
    """Commands sent with PASS in one write were read by the login process: the engine answers them."""
    send(t, "alice@example.org")
    send(t, "alice@example.org", subject="second")
    t.wait_messages("alice@example.org", 2)
    s, f = plain(t, "pop3")
    s.sendall(b"USER alice@example.org\r\n")
    assert f.readline().startswith(b"+OK")
    s.sendall(("PASS %s\r\nSTAT\r\nUIDL 2\r\nRETR 1\r\nQUIT\r\n" % PASSWORD).encode())
    assert f.readline().startswith(b"+OK Logged in, 2 messages")
    assert f.readline().startswith(b"+OK 2 ")
    assert f.readline().startswith(b"+OK 2 ")
    retr = read_until(f, b".\r\n")
    assert retr[0].startswith(b"+OK") and any(l.startswith(b"Subject: ") for l in retr)
    assert f.readline().startswith(b"+OK Logging out")
    assert f.readline() == b""
    s.close()
    # The whole exchange in one write, USER included.
    s, f = plain(t, "pop3")
    s.sendall(("USER alice@example.org\r\nPASS %s\r\nSTAT\r\nQUIT\r\n" % PASSWORD).encode())
    assert f.readline().startswith(b"+OK")
    assert f.readline().startswith(b"+OK Logged in")
    assert f.readline().startswith(b"+OK 2 ")
    assert f.readline().startswith(b"+OK Logging out")
    s.close()


def test_plain_imap_pipelined_after_login_gets_every_answer(t):
    send(t, "alice@example.org")
    t.wait_messages("alice@example.org", 1)
    s, f = plain(t, "imap")
    s.sendall(("a LOGIN alice@example.org \"%s\"\r\nb SELECT INBOX\r\nc NOOP\r\nd LOGOUT\r\n"
               % PASSWORD).encode())
    assert read_until(f, b"a ")[-1].startswith(b"a OK")
    sel = read_until(f, b"b ")
    assert sel[-1].startswith(b"b OK") and b"* 1 EXISTS\r\n" in sel, sel
    assert read_until(f, b"c ")[-1].startswith(b"c OK")
    assert read_until(f, b"d ")[-1].startswith(b"d OK")
    s.close()


@pytest.mark.parametrize("kind", ["pop3", "imap"])
def test_a_plain_session_is_held_by_the_mailbox_process_and_a_tls_one_relayed(t, kind):
    """Without TLS the login process keeps no copy of the client's socket: one hop less per command."""
    def login(s, f):
        if kind == "pop3":
            s.sendall(("USER alice@example.org\r\nPASS %s\r\n" % PASSWORD).encode())
            assert f.readline().startswith(b"+OK")
            assert f.readline().startswith(b"+OK Logged in")
        else:
            s.sendall(("a LOGIN alice@example.org \"%s\"\r\n" % PASSWORD).encode())
            assert read_until(f, b"a ")[-1].startswith(b"a OK")

    s, f = plain(t, kind)
    login(s, f)
    inode = socket_inode(t.ports[kind], s.getsockname()[1])
    assert inode is not None
    assert holders(t, inode) == {"tegami-mailbox"}
    s.close()
    # After STARTTLS/STLS the login process has the TLS state and relays.
    s, f = plain(t, kind)
    s.sendall(b"STLS\r\n" if kind == "pop3" else b"t STARTTLS\r\n")
    assert f.readline().startswith(b"+OK" if kind == "pop3" else b"t OK")
    port = s.getsockname()[1]
    s = t.ctx.wrap_socket(s)
    f = s.makefile("rb")
    login(s, f)
    inode = socket_inode(t.ports[kind], port)
    assert holders(t, inode) == {"tegami-login"}
    s.close()
    time.sleep(0.3)
    log = t.log()
    assert re.search(r"login user=alice@example.org address=127.0.0.1 account=\S+ "
                     r"handed=socket", log), log[-3000:]


def test_handed_sessions_count_against_the_login_limit_until_they_end(make_tegami, tmp_path):
    """The login process holds no socket of a handed session, yet the session keeps its place."""
    t = reading_tegami(make_tegami, tmp_path, start=False)
    # 88 descriptors: (88 - 64) / 2 = 12 sessions in the login process.
    t.preexec = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (88, 88))
    t.start()
    deadline = time.time() + 10
    while "login: at most" not in t.log() and time.time() < deadline:
        time.sleep(0.05)
    m = re.search(r"login: at most (\d+) sessions", t.log())
    assert m, t.log()[-3000:]
    limit = int(m.group(1))
    assert 2 <= limit <= 20
    sessions = []
    for i in range(limit):
        s, f = plain(t, "imap")
        s.sendall(("a LOGIN alice@example.org \"%s\"\r\n" % PASSWORD).encode())
        assert read_until(f, b"a ")[-1].startswith(b"a OK"), i
        sessions.append((s, f))
    # One more is refused: the logged-in sessions still count.
    s = socket.create_connection((t.host, t.ports["imap"]), timeout=30)
    assert s.makefile("rb").readline().startswith(b"* BYE [UNAVAILABLE]")
    s.close()
    # A logout gives the place back.
    s, f = sessions.pop()
    s.sendall(b"z LOGOUT\r\n")
    assert read_until(f, b"z ")[-1].startswith(b"z OK")
    s.close()
    deadline = time.time() + 10
    while True:
        s = socket.create_connection((t.host, t.ports["imap"]), timeout=30)
        line = s.makefile("rb").readline()
        s.close()
        if line.startswith(b"* OK") or time.time() > deadline:
            break
        time.sleep(0.1)
    assert line.startswith(b"* OK"), line
    for s, f in sessions:
        s.close()
    log = t.log()
    assert "imap disconnect address=127.0.0.1 user=alice@example.org" in log, log[-3000:]


def test_large_messages_and_listings_come_whole_on_a_handed_socket(t):
    """Messages beyond one read and listings beyond the output bound, through the engine's back-pressure."""
    root = os.path.dirname(t.maildir("bob@example.org", "new"))
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    # 300 KiB with lines that need dot-stuffing and CRLF; then 3000 small ones.
    big = b"Subject: big\n\n" + b"".join(b".line %06d of a long message\n" % i for i in range(10000))
    names = ["1700000000.M%06dP1.test,S=%d:2," % (i, 100) for i in range(3001)]
    with open(os.path.join(root, "cur", names[0]), "wb") as f:
        f.write(big)
    for n in names[1:]:
        with open(os.path.join(root, "cur", n), "wb") as f:
            f.write(b"Subject: small\n\nx\n")
    give_to_mail_account(root)
    s, f = plain(t, "pop3")
    s.sendall(("USER bob@example.org\r\nPASS %s\r\n" % PASSWORD).encode())
    assert f.readline().startswith(b"+OK")
    assert f.readline().startswith(b"+OK Logged in, 3001 messages")
    # The client reads nothing for a while: the output bound holds the rest back.
    s.sendall(b"UIDL\r\nRETR 1\r\nTOP 1 3\r\n")
    time.sleep(0.5)
    uidl = read_until(f, b".\r\n")
    assert uidl[0].startswith(b"+OK") and len(uidl) == 3003
    assert sorted(l.split()[1].decode() for l in uidl[1:-1]) == sorted(n.split(":")[0] for n in names)
    retr = read_until(f, b".\r\n")
    assert retr[0].startswith(b"+OK")
    body = b"".join(retr[1:-1])
    want = big.replace(b"\n", b"\r\n").replace(b"\r\n.", b"\r\n..")
    assert body == want
    top = read_until(f, b".\r\n")
    assert top[1:-1] == [b"Subject: big\r\n", b"\r\n", b"..line 000000 of a long message\r\n",
                         b"..line 000001 of a long message\r\n", b"..line 000002 of a long message\r\n"]
    s.sendall(b"QUIT\r\n")
    assert f.readline().startswith(b"+OK Logging out")
    s.close()


def imap_login(t):
    s, f = plain(t, "imap")
    s.sendall(("a LOGIN alice@example.org \"%s\"\r\n" % PASSWORD).encode())
    assert read_until(f, b"a ")[-1].startswith(b"a OK")
    return s, f


def test_handed_sessions_go_on_across_a_reload_and_hear_the_shutdown(t):
    s, f = imap_login(t)
    p, pf = plain(t, "pop3")
    p.sendall(("USER bob@example.org\r\nPASS %s\r\n" % PASSWORD).encode())
    assert pf.readline().startswith(b"+OK")
    assert pf.readline().startswith(b"+OK Logged in")
    r = t.ctl("reload")
    assert r.returncode == 0, r.stdout + r.stderr
    s.sendall(b"b NOOP\r\n")
    assert read_until(f, b"b ")[-1].startswith(b"b OK")
    p.sendall(b"STAT\r\n")
    assert pf.readline().startswith(b"+OK 0 ")
    # A new login after the reload is handed over too.
    s2, f2 = imap_login(t)
    s2.sendall(b"c LOGOUT\r\n")
    assert read_until(f2, b"c ")[-1].startswith(b"c OK")
    s2.close()
    t.stop()
    assert f.readline().startswith(b"* BYE"), "the IMAP session heard no goodbye"
    assert pf.readline().startswith(b"-ERR [SYS/TEMP] Server shutting down")
    s.close()
    p.close()


def test_a_mailbox_process_that_dies_frees_its_sessions_in_login(t):
    s, f = imap_login(t)
    time.sleep(0.2)
    pid = next(p for p in t.pids() if open("/proc/%d/status" % p).readline().split()[1]
               == "tegami-mailbox")
    os.kill(pid, 9)
    # The client's connection closes with the process that held it...
    assert f.read() == b""
    s.close()
    # ...and the login process logs the end of the session.
    deadline = time.time() + 10
    while "imap disconnect address=127.0.0.1 user=alice@example.org" not in t.log():
        assert time.time() < deadline, t.log()[-3000:]
        time.sleep(0.05)
    s, f = imap_login(t)
    s.close()


def test_idle_on_a_handed_imap_session_hears_a_delivery(t):
    s, f = imap_login(t)
    s.sendall(b"b SELECT INBOX\r\n")
    assert read_until(f, b"b ")[-1].startswith(b"b OK")
    s.sendall(b"c IDLE\r\n")
    assert f.readline().startswith(b"+ ")
    send(t, "alice@example.org", subject="while idle")
    s.settimeout(10)
    assert f.readline() == b"* 1 EXISTS\r\n"
    s.sendall(b"DONE\r\n")
    assert read_until(f, b"c ")[-1].startswith(b"c OK")
    s.close()
