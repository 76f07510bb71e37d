"""SRS: mail forwarded from a local address to a remote one leaves with an SRS0 sender; bounces to it come back."""
import base64
import hashlib
import hmac
import os
import smtplib
import time

import pytest

from tegami import free_port

KEY = "test-secret"

CONF = """\
hostname "mx.example.org"
spool "{dir}/spool"
socket "{dir}/tegami.sock"
user "{user}"
srs key "@KEY@"
table domains {{ example.org, example.net }}
table remote {{ remote.test }}
table vusers file:{dir}/vusers
listen on {host} port {port}
action "deliver" maildir "{dir}/vmail/%{{dest.domain:lowercase}}/%{{dest.user:lowercase}}/Maildir" virtual <vusers>
action "out" relay host smtp://127.0.0.1:@PORT@ srs
match from any for domain <domains> action "deliver"
match from any for domain <remote> action "out"
"""


def srs_hash(key, tt, domain, local):
    """What SRS0's hash is, computed here apart from the server's code."""
    mac = hmac.new(key.encode(), (tt + domain + local).lower().encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:12]


def today_stamp():
    a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    d = int(time.time()) // 86400 % 1024
    return a[(d >> 5) & 31] + a[d & 31]


def envelope_lines(t):
    """The D lines of the queue files (message, envelope text, 64-byte trailer)."""
    out = []
    for qid in t.queue_files():
        with open(os.path.join(t.spool, "queue", qid), "rb") as f:
            data = f.read()
        trailer = data[-64:].decode().split()
        msglen, envlen = int(trailer[2]), int(trailer[3])
        env = data[msglen:msglen + envlen].decode()
        out += [ln for ln in env.splitlines() if ln.startswith("D ")]
    return out


@pytest.fixture
def srs_tegami(make_tegami):
    closed = free_port()     # nothing listens there: the forward waits in the queue
    return make_tegami(start=False, conf=CONF.replace("@KEY@", KEY).replace("@PORT@", str(closed)),
                       vusers={"alice@example.org": "friend@remote.test"})


def start(t):
    t.write_table("vusers", {"alice@example.org": "friend@remote.test",
                             "carol@example.net": t.account})
    t.start()


def test_forward_gets_an_srs_sender_and_the_bounce_comes_back(srs_tegami):
    t = srs_tegami
    start(t)
    with smtplib.SMTP(t.host, t.port) as s:
        s.sendmail("carol@example.net", ["alice@example.org"], b"Subject: fwd\r\n\r\nhello\r\n")
    lines = []
    deadline = time.time() + 15
    while time.time() < deadline and not lines:
        lines = envelope_lines(t)
        time.sleep(0.05)
    assert len(lines) == 1, lines
    fields = lines[0].split(" ")
    assert fields[2] == "relay" and fields[4] == "friend@remote.test"
    assert len(fields) == 11, fields
    srs = fields[10]
    tt = today_stamp()
    expect = "SRS0=%s=%s=example.net=carol@example.org" % (
        srs_hash(KEY, tt, "example.net", "carol"), tt)
    assert srs == expect

    # The remote side bounces to the SRS address: it is reversed and reaches carol.
    with smtplib.SMTP(t.host, t.port) as s:
        s.sendmail("", [srs], b"Subject: bounce\r\n\r\nreturned\r\n")
    msgs = t.wait_messages("carol@example.net", 1)
    assert len(msgs) == 1, t.log()[-2000:]
    assert b"Subject: bounce" in msgs[0]
    assert b"Delivered-To: carol@example.net" in msgs[0]
    assert "srs-reversed" in t.log()


def test_tampered_or_foreign_srs_addresses_are_refused(srs_tegami):
    t = srs_tegami
    start(t)
    tt = today_stamp()
    good = "SRS0=%s=%s=example.net=carol@example.org" % (srs_hash(KEY, tt, "example.net", "carol"), tt)
    bad_hash = "SRS0=%s=%s=example.net=carol@example.org" % (srs_hash("other", tt, "example.net", "carol"), tt)
    changed = good.replace("=carol@", "=carl@")
    # Two sessions: the third bad SRS recipient of a session ends it (test_hardening.py).
    for addrs in ((bad_hash, changed), ("SRS0=xxxx=AA=example.net=carol@example.org",
                                        "SRS0=junk@example.org")):
        with smtplib.SMTP(t.host, t.port) as s:
            s.ehlo()
            s.mail("")
            for addr in addrs:
                code, text = s.rcpt(addr)
                assert code == 550 and b"5.1.1" in text, (addr, code, text)
            code, _ = s.rcpt(good)
            assert code == 250


REMOTE_CONF = """\
hostname "mx.remote.test"
spool "{dir}/spool"
socket "{dir}/tegami.sock"
user "{user}"
table domains {{ remote.test }}
table vusers file:{dir}/vusers
listen on {host} port {port}
action "deliver" maildir "{dir}/vmail/%{{dest.domain:lowercase}}/%{{dest.user:lowercase}}/Maildir" virtual <vusers>
match from any for domain <domains> action "deliver"
"""


def test_forward_leaves_with_the_srs_sender_on_the_wire(make_tegami):
    remote = make_tegami(start=False, conf=REMOTE_CONF)
    remote.write_table("vusers", {"friend@remote.test": remote.account})
    remote.start()
    t = make_tegami(start=False, conf=CONF.replace("@KEY@", KEY).replace("@PORT@", str(remote.port)),
                    vusers={"alice@example.org": "friend@remote.test"})
    start(t)
    with smtplib.SMTP(t.host, t.port) as s:
        s.sendmail("carol@example.net", ["alice@example.org"], b"Subject: fwd\r\n\r\nhello\r\n")
    msgs = remote.wait_messages("friend@remote.test", 1, timeout=30)
    assert len(msgs) == 1, (t.log()[-2000:], remote.log()[-2000:])
    tt = today_stamp()
    srs = "SRS0=%s=%s=example.net=carol@example.org" % (srs_hash(KEY, tt, "example.net", "carol"), tt)
    assert msgs[0].startswith(("Return-Path: <%s>\n" % srs).encode()), msgs[0][:200]
    assert t.wait_queue_empty()
