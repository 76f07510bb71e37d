"""The client's name at connect: PTR looked up and confirmed forward (FCrDNS), used by match rules and the Received header."""
import smtplib
import time

import pytest

from dnsserver import DNSServer, have_dnsmasq
from tegami import account_names

pytestmark = pytest.mark.skipif(not have_dnsmasq(), reason="dnsmasq (dnsmasq-base) not installed")

# 127.0.0.2 has a PTR that resolves back; 127.0.0.3 a PTR whose name points
# elsewhere; 127.0.0.4 no PTR at all (its zone is served, so: NXDOMAIN).
HOSTS = {"good.example": ["127.0.0.2"], "liar.example": ["127.0.0.9"]}
PTR = {"127.0.0.3": "liar.example"}

MATCHES = """\
match from rdns "good.example" for domain "named.example" action "deliver"
match from rdns for domain "anyname.example" action "deliver"
match !from rdns for domain "noname.example" action "deliver"
"""


@pytest.fixture
def dns():
    d = DNSServer(hosts=HOSTS, ptr=PTR)
    yield d
    d.stop()


@pytest.fixture
def t(make_tegami, dns):
    account = account_names()[1]
    users = {u + "@" + d: account for u in ("alice",)
             for d in ("example.org", "named.example", "anyname.example",
                       "noname.example")}
    return make_tegami(vusers=users, globals_=dns.resolver_line(), matches=MATCHES)


def rcpt_from(t, source, rcpt):
    with smtplib.SMTP(t.host, t.port, source_address=(source, 0), timeout=20) as s:
        s.ehlo("client.example")
        s.mail("sender@example.com")
        return s.rcpt(rcpt)[0]


def test_match_from_rdns_uses_the_confirmed_name(t, dns):
    # Confirmed good.example: the named rule, the any-name rule; not the no-name one.
    assert rcpt_from(t, "127.0.0.2", "alice@named.example") == 250
    assert rcpt_from(t, "127.0.0.2", "alice@anyname.example") == 250
    assert rcpt_from(t, "127.0.0.2", "alice@noname.example") == 550
    log = t.log()
    assert "rdns address=127.0.0.2 name=good.example fcrdns=confirmed" in log
    # The lookups went to the test's server: the resolver line reaches 127.in-addr.arpa too.
    assert any("2.0.0.127.in-addr.arpa" in q for q in dns.queries())


def test_a_ptr_that_does_not_resolve_back_is_no_name(t):
    # liar.example's address is 127.0.0.9: the PTR of 127.0.0.3 is not confirmed.
    assert rcpt_from(t, "127.0.0.3", "alice@named.example") == 550
    assert rcpt_from(t, "127.0.0.3", "alice@anyname.example") == 550
    assert rcpt_from(t, "127.0.0.3", "alice@noname.example") == 250
    assert "rdns address=127.0.0.3 name=liar.example fcrdns=unconfirmed" in t.log()


def test_no_ptr_at_all(t):
    assert rcpt_from(t, "127.0.0.4", "alice@anyname.example") == 550
    assert rcpt_from(t, "127.0.0.4", "alice@noname.example") == 250
    assert "rdns address=127.0.0.4 name=- fcrdns=none" in t.log()


def send_from(t, source, rcpt):
    with smtplib.SMTP(t.host, t.port, source_address=(source, 0), timeout=20) as s:
        s.ehlo("helo.client.example")
        s.sendmail("sender@example.com", [rcpt], b"Subject: rdns\r\n\r\nbody\r\n")


def received(msg):
    head = msg.split(b"\n\n", 1)[0]
    lines = head.split(b"\n")
    for i, ln in enumerate(lines):
        if ln.startswith(b"Received:"):
            out = [ln]
            for cont in lines[i + 1:]:
                if cont[:1] not in (b" ", b"\t"):
                    break
                out.append(cont)
            return b" ".join(x.strip() for x in out).decode()
    return ""


def test_received_header_carries_the_verified_name(t):
    send_from(t, "127.0.0.2", "alice@example.org")
    send_from(t, "127.0.0.3", "alice@example.org")
    msgs = t.wait_messages("alice@example.org", 2)
    assert len(msgs) == 2
    heads = [received(m) for m in msgs]
    # RFC 5321 4.4: from HELO (verified name [address]); an unconfirmed PTR is unknown.
    assert any("from helo.client.example (good.example [127.0.0.2])" in h for h in heads), heads
    assert any("from helo.client.example (unknown [127.0.0.3])" in h for h in heads), heads
    assert not any("liar.example" in h for h in heads), heads


def rdns_lines(t, addr):
    return [ln for ln in t.log().splitlines() if "smtp rdns address=%s " % addr in ln]


def test_a_result_is_kept_no_longer_than_its_answers_ttl(make_tegami):
    # Answers with a TTL of 3 s: the second and third connections are answered
    # from the smtp process's own keeping, and once the TTL ran out the
    # name is looked up again.
    dns = DNSServer(hosts=HOSTS, ptr=PTR, ttl=3)
    try:
        account = account_names()[1]
        t = make_tegami(vusers={"alice@example.org": account},
                        globals_=dns.resolver_line())
        for _ in range(3):
            send_from(t, "127.0.0.2", "alice@example.org")
        lines = rdns_lines(t, "127.0.0.2")
        assert len(lines) == 3, lines
        assert all("name=good.example fcrdns=confirmed" in ln for ln in lines), lines
        assert "cached" not in lines[0] and all("cached=yes" in ln for ln in lines[1:]), lines
        # What the session does with a kept name is what it does with a looked-up one.
        msgs = t.wait_messages("alice@example.org", 3)
        assert len(msgs) == 3
        for m in msgs:
            assert "(good.example [127.0.0.2])" in received(m), received(m)
        # No PTR at all is kept too; a failure to ask would not be.
        send_from(t, "127.0.0.4", "alice@example.org")
        send_from(t, "127.0.0.4", "alice@example.org")
        lines = rdns_lines(t, "127.0.0.4")
        assert [("cached=yes" in ln) for ln in lines] == [False, True], lines
        assert all("fcrdns=none" in ln for ln in lines), lines
        time.sleep(3.5)
        send_from(t, "127.0.0.2", "alice@example.org")
        lines = rdns_lines(t, "127.0.0.2")
        assert len(lines) == 4 and "cached" not in lines[3], lines
    finally:
        dns.stop()


def test_answers_without_a_ttl_are_looked_up_every_time(t):
    # The fixture's server gives TTL 0 (dnsmasq's default for its own records).
    send_from(t, "127.0.0.2", "alice@example.org")
    send_from(t, "127.0.0.2", "alice@example.org")
    lines = rdns_lines(t, "127.0.0.2")
    assert len(lines) == 2 and not any("cached" in ln for ln in lines), lines
