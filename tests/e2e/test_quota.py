"""Maildir++ quota at delivery: a user over quota gets 552 5.2.2 (a bounce) or 452 4.2.2 (deferred), as the action says.

The usage is read from `tegamictl user show` and the maildirsize file, and
IMAP's GETQUOTAROOT INBOX reports the same STORAGE usage and limit (in KiB)
to the user logged in.
"""
import imaplib
import json
import os
import time

import pytest

from admintest import cleanup, init_instance, send, starttls_context, wait_files


def with_action_options(t, opts):
    with open(t.conf_path) as f:
        text = f.read()
    text = text.replace("virtual <vusers>\n", "virtual <vusers> %s\n" % opts, 1)
    with open(t.conf_path, "w") as f:
        f.write(text)


def maildir(t, address, sub=""):
    local, domain = address.split("@")
    root = os.path.join(t.vmail, domain, local, "Maildir")
    return os.path.join(root, sub) if sub else root


def maildirsize(t, address):
    """(limit line, bytes, count) as the file sums them."""
    with open(os.path.join(maildir(t, address), "maildirsize")) as f:
        lines = f.read().splitlines()
    b = c = 0
    for ln in lines[1:]:
        x, y = ln.split()
        b += int(x)
        c += int(y)
    return lines[0], b, c


def show(t, address):
    return json.loads(t.ctl("user", "show", address, "--json").stdout)


def wait_log(t, needle, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if needle in t.log():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def bounce():
    t = init_instance()
    with_action_options(t, "quota 3K")
    yield t
    cleanup(t)


@pytest.fixture
def defer():
    t = init_instance()
    with_action_options(t, "over-quota defer")
    yield t
    cleanup(t)


def size_of(name):
    return int(name.split(",S=")[1].split(":")[0].split(",")[0])


def test_over_quota_bounces_with_552(bounce):
    t = bounce
    t.ctl("user", "add", "alice@example.test", "--password-stdin", "--quota", "1M",
          input="pw\n")
    # The action's quota is what a new user starts with.
    t.ctl("user", "add", "bob@example.test", "--password-stdin", input="pw\n")
    assert maildirsize(t, "bob@example.test")[0] == "3072S"
    assert maildirsize(t, "alice@example.test")[0] == "1048576S"
    t.start()
    body = "x" * 600
    send(t.port, ["alice@example.test"], sender="postmaster@example.test", body=body,
         subject="one")
    first = wait_files(maildir(t, "alice@example.test", "new"), 1)
    assert len(first) == 1
    # Room for two such messages, not three.
    size = size_of(first[0])
    t.ctl("user", "quota", "alice@example.test", str(size * 2 + size // 2))
    # Each delivery is recorded: the file's sum is the Maildir's size.
    limit, used, count = maildirsize(t, "alice@example.test")
    info = show(t, "alice@example.test")
    assert (info["bytes"], info["messages"]) == (used, count) == (size, 1)
    assert info["quota_bytes"] == size * 2 + size // 2
    send(t.port, ["alice@example.test"], sender="postmaster@example.test", body=body,
         subject="two")
    assert len(wait_files(maildir(t, "alice@example.test", "new"), 2)) == 2
    # The third does not fit: 552 5.2.2, a bounce to the sender, nothing left queued.
    send(t.port, ["alice@example.test"], sender="postmaster@example.test", body=body,
         subject="three")
    assert wait_log(t, "552 5.2.2"), t.log()[-3000:]
    assert t.wait_queue_empty(20)
    dsn = wait_files(maildir(t, "postmaster@example.test", "new"), 1)
    assert len(dsn) == 1
    with open(os.path.join(maildir(t, "postmaster@example.test", "new"), dsn[0]), "rb") as f:
        report = f.read()
    assert b"Status: 5.2.2" in report and b"Final-Recipient: rfc822; alice@example.test" in report
    assert len(os.listdir(maildir(t, "alice@example.test", "new"))) == 2
    info = show(t, "alice@example.test")
    assert info["messages"] == 2 and info["bytes"] == maildirsize(t, "alice@example.test")[1]
    # A higher quota takes effect at the next delivery, without a reload.
    t.ctl("user", "quota", "alice@example.test", "10K")
    send(t.port, ["alice@example.test"], body=body, subject="four")
    assert len(wait_files(maildir(t, "alice@example.test", "new"), 3)) == 3
    assert show(t, "alice@example.test")["quota_bytes"] == 10240
    # Over IMAP: the same usage (in KiB, rounded up) and limit.
    used = maildirsize(t, "alice@example.test")[1]
    m = imaplib.IMAP4_SSL("127.0.0.1", t.ports[3], ssl_context=starttls_context())
    m.login("alice@example.test", "pw")
    typ, data = m.getquotaroot("INBOX")
    assert typ == "OK", data
    assert data[0] == [b'INBOX ""'], data
    assert data[1] == [b'"" (STORAGE %d 10)' % ((used + 1023) // 1024)], data
    m.logout()


def test_over_quota_defers_with_452(defer):
    t = defer
    t.ctl("user", "add", "carol@example.test", "--password-stdin", input="pw\n")
    t.start()
    send(t.port, ["carol@example.test"], body="y" * 500, subject="fits")
    first = wait_files(maildir(t, "carol@example.test", "new"), 1)
    assert len(first) == 1
    t.ctl("user", "quota", "carol@example.test", str(size_of(first[0]) + 100))
    send(t.port, ["carol@example.test"], body="y" * 500, subject="waits")
    assert wait_log(t, "452 4.2.2"), t.log()[-3000:]
    # Deferred: still in the queue, no bounce, not delivered.
    q = t.ctl("show", "queue").stdout
    assert "4.2.2" in q and "carol@example.test" in q
    assert len(os.listdir(maildir(t, "carol@example.test", "new"))) == 1
    # Room made (the quota lifted): the retry delivers it.
    t.ctl("user", "quota", "carol@example.test", "none")
    assert show(t, "carol@example.test")["quota_bytes"] == 0
    t.ctl("schedule", "all")
    assert len(wait_files(maildir(t, "carol@example.test", "new"), 2)) == 2
    assert t.wait_queue_empty(20)
