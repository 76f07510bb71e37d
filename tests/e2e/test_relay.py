"""Outbound delivery through MX: DNS from a real dnsmasq, receiving tegamids on port 25."""
import email
import time

import pytest

from dnsserver import DNSServer, have_dnsmasq
from relaytest import (IS_ROOT, SKIP_NOT_ROOT, Sink, fetch_postfix, ipv6_loopback,
                       log_lines, receiver, send, sender, wait_for)
from tegami import body_of

pytestmark = [
    pytest.mark.skipif(not IS_ROOT, reason=SKIP_NOT_ROOT),
    pytest.mark.skipif(not have_dnsmasq(), reason="dnsmasq (dnsmasq-base) not installed"),
]

MX = {"a.example": [(10, "mx1.a.example"), (20, "mx2.a.example")]}
HOSTS = {"mx1.a.example": ["127.0.0.2"], "mx2.a.example": ["127.0.0.3"]}


@pytest.fixture
def dns():
    d = DNSServer(mx=MX, hosts=HOSTS)
    yield d
    d.stop()


def queue_text(t):
    return t.ctl("show", "queue").stdout


def test_mail_reaches_the_first_mx(make_tegami, dns):
    mx1 = receiver(make_tegami, "127.0.0.2", "mx1.a.example", ["a.example"],
                   ["alice@a.example"])
    mx2 = receiver(make_tegami, "127.0.0.3", "mx2.a.example", ["a.example"],
                   ["alice@a.example"])
    out = sender(make_tegami, dns)
    body = (b"From: sender@out.example\r\nTo: alice@a.example\r\nSubject: mx\r\n\r\n"
            b"line one\r\n.leading dot\r\n..two dots\r\nlast\r\n")
    send(out, ["alice@a.example"], body)
    msgs = mx1.wait_messages("alice@a.example", 1, timeout=30)
    assert len(msgs) == 1, out.log()[-3000:]
    # CRLF and dot-stuffing on the wire gave back exactly the stored message.
    assert body_of(msgs[0]).endswith(b"line one\n.leading dot\n..two dots\nlast\n")
    assert mx2.messages("alice@a.example") == []
    assert out.wait_queue_empty(timeout=15)
    ok = log_lines(out, "delivery ok")
    assert ok and "method=relay" in ok[0] and "mx1.a.example[127.0.0.2]" in ok[0], ok
    # The sender's MX lookup went to the test's DNS server.
    assert any("query[MX] a.example" in q for q in dns.queries())


def test_second_mx_when_the_first_is_down(make_tegami, dns):
    mx2 = receiver(make_tegami, "127.0.0.3", "mx2.a.example", ["a.example"],
                   ["alice@a.example"])
    out = sender(make_tegami, dns)
    send(out, ["alice@a.example"])
    assert len(mx2.wait_messages("alice@a.example", 1, timeout=30)) == 1, out.log()[-3000:]
    assert out.wait_queue_empty(timeout=15)
    ok = log_lines(out, "delivery ok")
    assert ok and "mx2.a.example[127.0.0.3]" in ok[0], ok
    # The first MX was tried first, and refused the connection.
    assert log_lines(out, "mx1.a.example[127.0.0.2]: connect: Connection refused")


def test_every_mx_down_then_schedule(make_tegami, dns):
    out = sender(make_tegami, dns)
    send(out, ["alice@a.example"])
    assert wait_for(lambda: log_lines(out, "delivery deferred"), timeout=30), out.log()[-3000:]
    assert len(out.queue_files()) == 1
    shown = queue_text(out)
    # The queue shows why: each MX refused.
    assert "no MX host of a.example took the message" in shown, shown
    assert "Connection refused" in shown, shown
    mx1 = receiver(make_tegami, "127.0.0.2", "mx1.a.example", ["a.example"],
                   ["alice@a.example"])
    out.ctl("schedule", "all")
    assert len(mx1.wait_messages("alice@a.example", 1, timeout=30)) == 1, out.log()[-3000:]
    assert out.wait_queue_empty(timeout=15)


def sender_messages(out):
    return out.messages("sender@out.example")


def test_550_from_the_far_side_fails_at_once(make_tegami, dns):
    receiver(make_tegami, "127.0.0.2", "mx1.a.example", ["a.example"],
             ["alice@a.example"])
    out = sender(make_tegami, dns)
    send(out, ["nobody@a.example", "alice@a.example"])
    assert out.wait_queue_empty(timeout=30), out.log()[-3000:]
    failed = log_lines(out, "delivery failed")
    assert len(failed) == 1 and "to=<nobody@a.example>" in failed[0], failed
    # The remote reply and the host it came from are in the reason.
    assert "550" in failed[0] and "mx1.a.example[127.0.0.2]" in failed[0], failed
    assert len(log_lines(out, "delivery ok from=<sender@out.example> "
                         "to=<alice@a.example>")) == 1
    assert not log_lines(out, "delivery deferred")
    # The DSN reaches the sender at once, with the remote reply and host.
    bounces = wait_for(lambda: sender_messages(out), timeout=15)
    assert len(bounces) == 1, out.log()[-3000:]
    msg = email.message_from_bytes(bounces[0])
    assert msg.get_content_type() == "multipart/report"
    status = [p for p in msg.walk() if p.get_content_type() == "message/delivery-status"][0]
    fields = {}
    for block in status.get_payload():
        for k, v in block.items():
            fields[k.lower()] = " ".join(v.split())
    assert fields["final-recipient"] == "rfc822; nobody@a.example", fields
    assert fields["status"] == "5.1.1", fields
    assert fields["action"] == "failed", fields
    assert "mx1.a.example[127.0.0.2]" in fields["remote-mta"], fields
    assert fields["diagnostic-code"].startswith("smtp; 550 5.1.1"), fields


def test_null_sender_failure_is_dropped(make_tegami, dns):
    receiver(make_tegami, "127.0.0.2", "mx1.a.example", ["a.example"],
             ["alice@a.example"])
    out = sender(make_tegami, dns)
    send(out, ["nobody@a.example"], sender_addr="")
    assert out.wait_queue_empty(timeout=30), out.log()[-3000:]
    failed = log_lines(out, "delivery failed")
    assert len(failed) == 1 and "from=<>" in failed[0], failed
    time.sleep(1)
    assert sender_messages(out) == []
    assert out.queue_files() == []


def test_null_mx_and_nxdomain_fail_without_connecting(make_tegami):
    d = DNSServer(mx=MX, hosts=HOSTS, null_mx=["null.example"])
    try:
        out = sender(make_tegami, d)
        send(out, ["x@null.example", "y@nx.example"])
        assert out.wait_queue_empty(timeout=30), out.log()[-3000:]
        failed = log_lines(out, "delivery failed")
        assert len(failed) == 2, failed
        null = [ln for ln in failed if "x@null.example" in ln][0]
        assert "556 5.1.10" in null and "null MX" in null, null
        nx = [ln for ln in failed if "y@nx.example" in ln][0]
        assert "5.1.2" in nx and "NXDOMAIN" in nx, nx
        assert not log_lines(out, "connected")
    finally:
        d.stop()


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1)")
def test_ipv6_only_mx(make_tegami):
    d = DNSServer(mx={"six.example": [(10, "mx6.six.example")]},
                  hosts={"mx6.six.example": ["::1"]})
    try:
        mx6 = receiver(make_tegami, "::1", "mx6.six.example", ["six.example"],
                       ["bob@six.example"])
        out = sender(make_tegami, d)
        send(out, ["bob@six.example"])
        assert len(mx6.wait_messages("bob@six.example", 1, timeout=30)) == 1, out.log()[-3000:]
        ok = log_lines(out, "delivery ok")
        assert ok and "mx6.six.example[::1]" in ok[0], ok
    finally:
        d.stop()


def test_100_recipients_at_3_domains_grouped(make_tegami):
    domains = ["a.example", "b.example", "c.example"]
    d = DNSServer(mx={dom: [(10, "mx.%s" % dom)] for dom in domains},
                  hosts={"mx.%s" % dom: ["127.0.0.2"] for dom in domains})
    try:
        rcpts = ["u%02d@%s" % (i, domains[i % 3]) for i in range(100)]
        mx = receiver(make_tegami, "127.0.0.2", "mx.a.example", domains, rcpts)
        out = sender(make_tegami, d)
        # The harness's start-up probe: logged once the server has accepted it.
        assert wait_for(lambda: len(log_lines(mx, "smtp connect")) >= 1, timeout=10)
        before = len(log_lines(mx, "smtp connect"))
        assert send(out, rcpts) == {}
        assert wait_for(lambda: all(mx.messages(r) for r in rcpts), timeout=60), out.log()[-3000:]
        assert out.wait_queue_empty(timeout=15)
        # One message per recipient, none twice.
        assert all(len(mx.messages(r)) == 1 for r in rcpts)
        # One connection per domain: each carried one transaction with its recipients.
        connects = log_lines(mx, "smtp connect")[before:]
        assert len(connects) == 3, connects
        assert len(log_lines(out, "delivery ok")) == 100
    finally:
        d.stop()


def test_crash_during_outbound_delivery(make_tegami, dns):
    out = sender(make_tegami, dns)
    n = 200
    # Queued while the MX is down, so that the kill falls among deliveries in flight.
    for i in range(n):
        body = ("From: sender@out.example\r\nTo: alice@a.example\r\n"
                "Message-ID: <crash-%d@out.example>\r\nSubject: crash %d\r\n\r\nbody %d\r\n"
                % (i, i, i)).encode()
        send(out, ["alice@a.example"], body)
    assert wait_for(lambda: len(log_lines(out, "delivery deferred")) >= n, timeout=60)
    mx1 = receiver(make_tegami, "127.0.0.2", "mx1.a.example", ["a.example"],
                   ["alice@a.example"])
    out.ctl("schedule", "all")
    wait_for(lambda: mx1.messages("alice@a.example"), timeout=30, step=0.002)
    out.kill()
    left = len(out.queue_files())
    assert 0 < left, "every message was delivered before the kill: nothing was tested"
    out.start()
    got = wait_for(lambda: len(mx1.messages("alice@a.example")) >= n and
                   out.wait_queue_empty(timeout=0.1), timeout=120)
    msgs = mx1.messages("alice@a.example")
    assert got, (len(msgs), out.log()[-3000:])
    counts = {}
    for m in msgs:
        mid = email.message_from_bytes(m)["Message-ID"]
        counts[mid] = counts.get(mid, 0) + 1
    # Nothing lost, nothing more than twice (delivered, then killed before marked done).
    assert sorted(counts) == sorted("<crash-%d@out.example>" % i for i in range(n))
    assert max(counts.values()) <= 2, counts


def test_helo_and_source_address_options(make_tegami, dns):
    mx1 = receiver(make_tegami, "127.0.0.2", "mx1.a.example", ["a.example"],
                   ["alice@a.example"])
    out = sender(make_tegami, dns,
                 actions='action "outbound" relay helo "custom.helo.example" src 127.0.0.9')
    send(out, ["alice@a.example"])
    msgs = mx1.wait_messages("alice@a.example", 1, timeout=30)
    assert len(msgs) == 1, out.log()[-3000:]
    assert b"from custom.helo.example" in msgs[0].split(b"\n\n")[0], msgs[0][:600]
    assert log_lines(mx1, "smtp connect address=127.0.0.9")


def test_backup_mx_relays_only_to_better_mx(make_tegami, dns):
    # We are mx2.a.example (preference 20): only mx1 (10) may take the mail, and it is down.
    mx2 = receiver(make_tegami, "127.0.0.3", "mx2.a.example", ["a.example"],
                   ["alice@a.example"])
    out = sender(make_tegami, dns, actions='action "outbound" relay backup mx mx2.a.example')
    send(out, ["alice@a.example"])
    assert wait_for(lambda: log_lines(out, "delivery deferred"), timeout=30), out.log()[-3000:]
    assert "mx1.a.example[127.0.0.2]" in queue_text(out)
    time.sleep(0.5)
    assert mx2.messages("alice@a.example") == []
    assert not log_lines(out, "127.0.0.3")


@pytest.fixture
def postfix():
    if not fetch_postfix():
        pytest.skip("Postfix's smtp-sink could not be fetched (apt-get download postfix)")


def test_4xx_greeting_moves_to_the_next_mx(make_tegami, dns, postfix):
    sink = Sink("-r", "CONNECT", host="127.0.0.2", port=25)
    try:
        mx2 = receiver(make_tegami, "127.0.0.3", "mx2.a.example", ["a.example"],
                       ["alice@a.example"])
        out = sender(make_tegami, dns)
        send(out, ["alice@a.example"])
        assert len(mx2.wait_messages("alice@a.example", 1, timeout=30)) == 1, out.log()[-3000:]
        assert log_lines(out, "mx1.a.example[127.0.0.2]: 450")
        assert log_lines(out, "(in reply to the greeting)")
    finally:
        sink.stop()


def test_421_mid_transaction_is_retried_later(make_tegami, dns, postfix):
    sink = Sink("-Q", "RCPT", host="127.0.0.2", port=25)
    try:
        mx2 = receiver(make_tegami, "127.0.0.3", "mx2.a.example", ["a.example"],
                       ["alice@a.example"])
        out = sender(make_tegami, dns)
        send(out, ["alice@a.example"])
        assert wait_for(lambda: log_lines(out, "delivery deferred"), timeout=30), out.log()[-3000:]
        shown = queue_text(out)
        assert "421" in shown and "mx1.a.example[127.0.0.2]" in shown, shown
        assert not log_lines(out, "delivery failed")
        # Lost in the middle of a transaction: not tried elsewhere in the same round.
        assert mx2.messages("alice@a.example") == []
    finally:
        sink.stop()


def test_source_table_and_helo_by_source(make_tegami, dns, tmp_path):
    mx1 = receiver(make_tegami, "127.0.0.2", "mx1.a.example", ["a.example"],
                   ["alice@a.example"])
    out = sender(make_tegami, dns,
                 globals_="table srcs { 127.0.0.7 }\n"
                          "table helos { 127.0.0.7 = \"seven.out.example\" }",
                 actions='action "outbound" relay src <srcs> helo-src <helos>')
    send(out, ["alice@a.example"])
    msgs = mx1.wait_messages("alice@a.example", 1, timeout=30)
    assert len(msgs) == 1, out.log()[-3000:]
    assert b"from seven.out.example" in msgs[0].split(b"\n\n")[0], msgs[0][:600]
    assert log_lines(mx1, "smtp connect address=127.0.0.7")


def test_starttls_with_the_mx_is_used_when_offered(make_tegami, dns, tmp_path):
    from tlsutil import CertAuthority
    ca = CertAuthority(str(tmp_path))
    crt, key = ca.leaf("mx1.a.example")
    mx1 = receiver(make_tegami, "127.0.0.2", "mx1.a.example", ["a.example"],
                   ["alice@a.example"], listen_opts="tls pki mx1.a.example",
                   globals_='pki mx1.a.example cert "%s"\npki mx1.a.example key "%s"'
                            % (crt, key))
    out = sender(make_tegami, dns)
    send(out, ["alice@a.example"])
    msgs = mx1.wait_messages("alice@a.example", 1, timeout=30)
    assert len(msgs) == 1, out.log()[-3000:]
    # Opportunistic: encrypted although the certificate's CA is unknown to the sender.
    assert b"with ESMTPS" in msgs[0].split(b"\n\n")[0], msgs[0][:600]
    assert log_lines(out, "mx1.a.example[127.0.0.2] tls TLSv1.")


def test_expired_relay_delivery_bounces_with_the_last_error(make_tegami, dns):
    out = sender(make_tegami, dns, actions='action "outbound" relay ttl 2s')
    send(out, ["alice@a.example"])
    assert wait_for(lambda: log_lines(out, "delivery deferred"), timeout=30), out.log()[-3000:]
    time.sleep(2.5)
    out.ctl("schedule", "all")
    bounces = wait_for(lambda: sender_messages(out), timeout=30)
    assert len(bounces) == 1, out.log()[-3000:]
    msg = email.message_from_bytes(bounces[0])
    assert msg.get_content_type() == "multipart/report"
    raw = bounces[0].decode("utf-8", "replace")
    assert "Status: 4.4.7" in raw, raw
    assert "Final-Recipient: rfc822; alice@a.example" in raw, raw
    # Why it never went: the last attempt's reason.
    assert "Connection refused" in " ".join(raw.split()), raw
    assert out.wait_queue_empty(timeout=15)
