"""Supervision: a child that dies is started again, accepted mail is untouched; only a crash loop stops tegamid."""
import os
import pwd
import signal
import smtplib
import time

import pytest


def children(t, name):
    """Pids of the tegamid processes named tegami-NAME."""
    found = []
    for pid in t.pids():
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == "tegami-" + name:
                    found.append(pid)
        except OSError:
            pass
    return found


def wait_child(t, name, other_than=(), timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = [p for p in children(t, name) if p not in other_than]
        if pids:
            return pids[0]
        time.sleep(0.05)
    raise AssertionError("no %s process: %s" % (name, t.log()[-2000:]))


def send(t, i, timeout=10):
    with smtplib.SMTP(t.host, t.port, timeout=timeout) as s:
        s.sendmail("s@example.com", ["alice@example.org"],
                   b"Subject: n%d\r\n\r\nmessage %d\r\n" % (i, i))


def test_smtp_killed_comes_back_and_nothing_accepted_is_lost(tegami):
    t = tegami
    for i in range(5):
        send(t, i)
    old = wait_child(t, "smtp")
    os.kill(old, signal.SIGKILL)
    killed = time.time()
    # A new connection is served within seconds, by a new smtp process.
    while True:
        try:
            send(t, 5, timeout=2)
            break
        except (OSError, smtplib.SMTPException):
            assert time.time() - killed < 10, t.log()[-3000:]
            time.sleep(0.1)
    assert time.time() - killed < 10
    assert t.proc.poll() is None
    new = wait_child(t, "smtp")
    assert new != old
    msgs = t.wait_messages("alice@example.org", 6)
    bodies = b"".join(msgs)
    for i in range(6):
        assert b"message %d\n" % i in bodies
    assert "smtp process %d died (killed by signal 9), restarting" % old in t.log()


def test_queue_killed_comes_back_and_delivers_what_it_had(make_tegami):
    t = make_tegami(globals_="queue backoff 1s 2s")
    # A message that cannot be delivered yet waits in the queue: its domain's
    # directory is closed to the mail account.
    blocker = os.path.join(t.vmail, "example.net")
    os.makedirs(blocker)
    os.chmod(blocker, 0o000)
    with smtplib.SMTP(t.host, t.port, timeout=10) as s:
        s.sendmail("s@example.com", ["carol@example.net"], b"Subject: w\r\n\r\nwaiting\r\n")
    deadline = time.time() + 15
    while not t.queue_files() and time.time() < deadline:
        time.sleep(0.05)
    assert t.queue_files()
    old = wait_child(t, "queue")
    os.kill(old, signal.SIGKILL)
    new = wait_child(t, "queue", other_than=(old,))
    assert new != old and t.proc.poll() is None
    # Mail is taken again once the new queue is there, and what it found is delivered.
    deadline = time.time() + 15
    while True:
        try:
            send(t, 1, timeout=3)
            break
        except (OSError, smtplib.SMTPException):
            assert time.time() < deadline, t.log()[-3000:]
            time.sleep(0.2)
    assert len(t.wait_messages("alice@example.org", 1)) == 1
    os.chmod(blocker, 0o755)
    if os.geteuid() == 0:
        pw = pwd.getpwnam(t.account)
        os.chown(blocker, pw.pw_uid, pw.pw_gid)
    assert len(t.wait_messages("carol@example.net", 1, timeout=20)) == 1, t.log()[-3000:]
    assert t.wait_queue_empty()


@pytest.mark.parametrize("name", ["auth", "mta"])
def test_other_children_come_back(tegami, name):
    old = wait_child(tegami, name)
    os.kill(old, signal.SIGKILL)
    new = wait_child(tegami, name, other_than=(old,))
    assert new != old and tegami.proc.poll() is None
    send(tegami, 1)
    assert len(tegami.wait_messages("alice@example.org", 1)) == 1


def test_a_crash_loop_stops_tegamid(tegami):
    t = tegami
    seen = []
    for _ in range(5):
        pid = wait_child(t, "smtp", other_than=seen)
        seen.append(pid)
        os.kill(pid, signal.SIGKILL)
        if t.proc.poll() is not None:
            break
        # The next one must be up before it can be killed.
        deadline = time.time() + 10
        while t.proc.poll() is None and time.time() < deadline and \
                not [p for p in children(t, "smtp") if p not in seen]:
            time.sleep(0.02)
    deadline = time.time() + 15
    while t.proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert t.proc.poll() == 1, t.log()[-2000:]
    assert "smtp process died 5 times within 60 seconds" in t.log()
    assert "stopping tegamid" in t.log()


@pytest.mark.parametrize("name", ["queue", "smtp"])
def test_stop_while_a_child_restarts_leaves_no_process(make_tegami, name):
    # A stop that lands while a dead child is being started again must stop
    # that new child too: left running, it kept the control socket and the
    # next start said "another tegamid is running". The delays put the stop
    # before, during and after the parent's fork of the new child.
    for delay in (0, 0.001, 0.002, 0.005, 0.02):
        t = make_tegami()
        old = wait_child(t, name)
        everyone = set(t.pids())
        os.kill(old, signal.SIGKILL)
        time.sleep(delay)
        everyone |= set(t.pids())
        started = time.time()
        assert t.stop() == 0, t.log()[-2000:]
        assert time.time() - started < 10, t.log()[-2000:]
        left = [p for p in everyone if os.path.exists("/proc/%d" % p)]
        assert left == [], t.log()[-2000:]
        t.start()
        assert t.proc.poll() is None, t.log()[-2000:]
        assert "another tegamid" not in t.log()
