"""Builtin filters of smtpd.conf(5): rDNS, FCrDNS, DNS lists and HELO hygiene against a real DNS server, and every decision in its phase.

The DNS scenarios run in a private network namespace (tests/e2e/netns.py):
there the clients have ordinary addresses (198.18.0.0/15, 2001:2::/48, the
benchmarking ranges) whose PTR records dnsmasq serves, which libunbound
would answer itself for 127.0.0.0/8. The other tests use loopback.
"""
import os
import smtplib
import socket
import time

import pytest

import netns
from dnsserver import DNSServer, have_dnsmasq
from tegami import Tegami, body_of, free_port, lf, wait_port

SERVER4, SERVER6 = "198.18.0.1", "2001:2::1"
GOOD, NO_PTR, FORGED, LISTED = "198.18.0.10", "198.18.0.11", "198.18.0.12", "198.18.0.13"
GOOD6, LISTED6 = "2001:2::10", "2001:2::13"
UNKNOWN = "198.18.0.14"     # its PTR lookup never answers
DNSBL_BOUND = 2

# Seed 001's filter lines, verbatim (docs/filters.md), and the lists of design.md.
FILTER_CONF = """\
hostname "mx.example.org"
spool "{dir}/spool"
socket "{dir}/tegami.sock"
user "{user}"
{globals}
table domains {{ example.org }}
table vusers file:{dir}/vusers
filter check_rdns phase connect match !rdns disconnect "550 no rDNS."
filter check_fcrdns phase connect match !fcrdns disconnect "550 no FCrDNS."
filter rbl phase connect match dnsbl "zen.example" disconnect "554 5.7.1 listed"
filter rbl_codes phase connect match dnsbl "codes.example=127.0.0.[2..3]" disconnect "554 5.7.1 listed with a code"
filter rhs phase mail-from match rhsbl "dbl.example" reject "554 5.7.1 sender domain listed"
filter dead phase connect match dnsbl "dead.example" disconnect "554 5.7.1 a dead list said listed"
filter self phase ehlo match helo-self reject "550 5.7.1 you are not me"
table loopback {{ 127.0.0.0/8, ::1 }}
filter tcprules phase connect match !src <loopback> disconnect "554 5.7.1 No SMTP service here"
listen on {host} port {port} filter {{ check_rdns, check_fcrdns }}
listen on {host} port 2526 filter {{ rbl, rbl_codes, rhs }}
listen on 2001:2::1 port 2526 filter {{ rbl, rbl_codes, rhs }}
listen on {host} port 2527 filter dead
listen on {host} port 2528 filter self
listen on {host} port 2529 filter tcprules
listen on 127.0.0.1 port 2529 filter tcprules
action "deliver" maildir "{dir}/vmail/%{{dest.domain:lowercase}}/%{{dest.user:lowercase}}/Maildir" virtual <vusers>
match from any for domain <domains> action "deliver"
"""


def greet(host, port, src, timeout=15):
    """Connects from src; returns (first reply line, seconds to it, closed after it)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    t0 = time.monotonic()
    s.connect((host, port))
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    elapsed = time.monotonic() - t0
    line = data.split(b"\r\n")[0].decode()
    closed = False
    if line.startswith("220"):
        s.sendall(b"QUIT\r\n")
    else:
        s.settimeout(5)
        try:
            closed = s.recv(4096) == b""
        except OSError:
            closed = True
    s.close()
    return line, elapsed, closed


def mail_from(host, port, src, sender):
    with smtplib.SMTP(host, port, timeout=15, source_address=(src, 0)) as s:
        s.ehlo("good.client.example")
        code, text = s.mail(sender)
        return code, text.decode()


def scenario_dns(_arg):
    """Every client against the filters, inside the namespace; returns what each got."""
    dns = DNSServer(
        hosts={"good.client.example": [GOOD], "listed.client.example": [LISTED],
               "good6.client.example": [GOOD6], "listed6.client.example": [LISTED6]},
        ptr={FORGED: "forged.client.example"},
        lists={"zen.example": {LISTED: "127.0.0.2", LISTED6: "127.0.0.4",
                               # answers that are no listing: Spamhaus's "refused"
                               GOOD6: "127.255.255.254"},
               "codes.example": {GOOD: "127.0.0.9"},
               "dbl.example": {"spam.example": "127.0.1.2"}},
        txt={DNSServer.reverse_name(LISTED) + ".zen.example": "listed for tests"},
        dead=["dead.example", DNSServer.reverse_name(UNKNOWN) + ".in-addr.arpa"])
    t = Tegami(host=SERVER4, port=25, conf=FILTER_CONF, globals_=(
        "%s\nsmtp timeout dnsbl %ds\n" % (dns.resolver_line(), DNSBL_BOUND)))
    out = {}
    try:
        t.start()
        for name, src in (("good", GOOD), ("no_ptr", NO_PTR), ("forged", FORGED),
                          ("listed", LISTED)):
            out["seed_" + name] = greet(SERVER4, 25, src)
        out["rbl_good"] = greet(SERVER4, 2526, GOOD)
        out["rbl_listed"] = greet(SERVER4, 2526, LISTED)
        out["rbl_good6"] = greet(SERVER6, 2526, GOOD6)
        out["rbl_listed6"] = greet(SERVER6, 2526, LISTED6)
        out["rhs_spam"] = mail_from(SERVER4, 2526, GOOD, "someone@spam.example")
        out["rhs_clean"] = mail_from(SERVER4, 2526, GOOD, "someone@clean.example")
        out["rhs_null"] = mail_from(SERVER4, 2526, GOOD, "")
        out["dead"] = greet(SERVER4, 2527, GOOD)
        out["seed_unknown"] = greet(SERVER4, 25, UNKNOWN)
        out["tcprules_outside"] = greet(SERVER4, 2529, GOOD)
        out["tcprules_loopback"] = greet("127.0.0.1", 2529, "127.0.0.1")
        with smtplib.SMTP(SERVER4, 2528, timeout=15, source_address=(GOOD, 0)) as s:
            out["self"] = [s.docmd("EHLO", h)[0] for h in (
                "mx.example.org", "MX.Example.Org.", "[%s]" % SERVER4, "[198.18.0.99]",
                "good.client.example")]
        # A whole message through the seed's filters from a client they let in.
        with smtplib.SMTP(SERVER4, 25, timeout=15, source_address=(GOOD, 0)) as s:
            s.ehlo("good.client.example")
            s.sendmail("x@good.client.example", ["alice@example.org"],
                       b"Subject: through\r\n\r\nfiltered and kept\r\n")
        msgs = t.wait_messages("alice@example.org", 1)
        out["delivered"] = [body_of(m).decode() for m in msgs]
        out["queries"] = [q.split("query[", 1)[1].strip() for q in dns.queries()]
        out["log"] = t.log()
    finally:
        out["sanitizer"] = netns.sanitizer_reports(t.log())
        t.cleanup()
        dns.stop()
    return out


@pytest.fixture(scope="module")
def dns_results():
    if not netns.available():
        pytest.skip("needs root, unshare and ip for a private network namespace")
    if not have_dnsmasq():
        pytest.skip("dnsmasq not installed")
    return netns.run(__file__, "scenario_dns", [SERVER4, GOOD, NO_PTR, FORGED, LISTED,
                                                UNKNOWN, SERVER6, GOOD6, LISTED6])


def test_seed_001_rdns_filters_as_written(dns_results):
    r = dns_results
    assert r["sanitizer"] == [], r["log"][-4000:]
    assert r["seed_good"][0].startswith("220 mx.example.org"), r["seed_good"]
    # No PTR: !rdns; a PTR whose name has no address: !fcrdns. Both then closed.
    assert r["seed_no_ptr"][0] == "550 5.7.1 no rDNS." and r["seed_no_ptr"][2]
    assert r["seed_forged"][0] == "550 5.7.1 no FCrDNS." and r["seed_forged"][2]
    # rDNS and FCrDNS are fine for a listed client: these filters do not ask lists.
    assert r["seed_listed"][0].startswith("220 "), r["seed_listed"]
    assert r["delivered"] == ["Subject: through\n\nfiltered and kept\n"]
    assert "filter=check_rdns phase=connect decision=disconnect" in r["log"]
    assert "filter=check_fcrdns phase=connect decision=disconnect" in r["log"]


def test_rdns_lookup_failure_refuses_temporarily(dns_results):
    # The name could not be looked up (no answer in 5 s): 4xx, as Postfix's 450, not 550.
    line, elapsed, closed = dns_results["seed_unknown"]
    assert line == "450 4.7.1 no rDNS." and closed, line
    assert 4 <= elapsed <= 8, elapsed
    assert "decision=disconnect dns=tempfail" in dns_results["log"]


def test_dnsbl_ipv4_and_ipv6(dns_results):
    r = dns_results
    assert r["rbl_good"][0].startswith("220 "), r["rbl_good"]
    assert r["rbl_listed"][0] == "554 5.7.1 listed" and r["rbl_listed"][2]
    assert r["rbl_good6"][0].startswith("220 "), r["rbl_good6"]
    assert r["rbl_listed6"][0] == "554 5.7.1 listed" and r["rbl_listed6"][2]
    # RFC 5782 names: the octets, the nibbles, reversed under the zone.
    q = r["queries"]
    assert "A] 13.0.18.198.zen.example from 127.0.0.1" in q
    assert ("A] 3.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.2.zen.example "
            "from 127.0.0.1") in q
    # The listing's reason is asked and logged.
    assert 'dnsbl=zen.example listed=127.0.0.2 reason="listed for tests"' in r["log"]


def test_dnsbl_answer_codes_and_list_errors(dns_results):
    r = dns_results
    # codes.example answers 127.0.0.9 for GOOD: outside [2..3], no listing.
    assert r["rbl_good"][0].startswith("220 ")
    assert "A] 10.0.18.198.codes.example" in " ".join(r["queries"])
    # No listing, no reason asked.
    assert "TXT] 10.0.18.198.codes.example" not in " ".join(r["queries"])
    # 127.255.255.254 is the list refusing to answer, not a listing: said in the log.
    assert r["rbl_good6"][0].startswith("220 ")
    assert "answer=127.255.255.254: not a listing" in r["log"]


def test_rhsbl_sender_domain_at_mail_from(dns_results):
    r = dns_results
    assert r["rhs_spam"] == [554, "5.7.1 sender domain listed"]
    assert r["rhs_clean"][0] == 250
    assert r["rhs_null"][0] == 250      # the null sender has no domain to ask about
    assert "A] spam.example.dbl.example" in " ".join(r["queries"])


def test_tcprules_translation(dns_results):
    # 127.:allow and :deny (docs/filters.md), as a connect-phase filter.
    line, _, closed = dns_results["tcprules_outside"]
    assert line == "554 5.7.1 No SMTP service here" and closed
    assert dns_results["tcprules_loopback"][0].startswith("220 ")


def test_helo_naming_us_from_outside(dns_results):
    # Our name in any case, our address as a literal: refused; another literal, a name: not.
    assert dns_results["self"] == [550, 550, 550, 250, 250]


def test_dead_dnsbl_delays_at_most_the_bound(dns_results):
    line, elapsed, _ = dns_results["dead"]
    assert line.startswith("220 "), line
    # The list never answers: the banner waits for the bound, not longer.
    assert DNSBL_BOUND - 0.5 <= elapsed <= DNSBL_BOUND + 1.5, elapsed
    assert "dnsbl zone=dead.example" in dns_results["log"]
    assert "timeout=%ds: skipped" % DNSBL_BOUND in dns_results["log"]


# ---- decisions and conditions without DNS: loopback ----

DECISIONS = """\
table trusted { 127.0.0.2 }
table bad_senders { "@spam.example" }
table helo_re { "^bad[0-9]+\\\\.example$" }
filter allow phase connect match src <trusted> bypass
filter deny phase connect match src { 127.0.0.3 } reject "554 5.7.1 not from there"
filter hello phase helo match helo regex <helo_re> reject "550 5.7.1 go away"
filter hello2 phase ehlo match helo regex <helo_re> disconnect "421 4.7.0 bye"
filter valid phase ehlo match !helo-valid reject "501 5.5.2 invalid HELO"
filter fqdn phase ehlo match !helo-fqdn reject "550 5.7.1 HELO not fully qualified"
filter self phase ehlo match helo-self reject "550 5.7.1 you are not me"
filter renamed phase ehlo match helo "rename.example" rewrite "renamed.example"
filter senders phase mail-from match mail-from <bad_senders> reject "554 5.7.1 sender refused"
filter masq phase mail-from match mail-from "old@example.com" rewrite "<new@example.com>"
filter redirect phase rcpt-to match rcpt-to "alias@example.org" rewrite "bob@example.org"
filter junkit phase rcpt-to match rcpt-to regex "^carol@" junk
filter late phase data match mail-from "late@example.com" reject "451 4.7.1 not now"
filter body phase commit match mail-from "commit@example.com" reject "550 5.7.1 refused at commit"
filter bye phase commit match mail-from "bye@example.com" disconnect "421 4.7.1 refused and closed"
filter trusted_helo phase ehlo match src <trusted> bypass
"""

CHAIN = ("allow, deny, hello, hello2, trusted_helo, valid, fqdn, self, renamed, senders, "
         "masq, redirect, junkit, late, body, bye")


@pytest.fixture
def filtered(make_tegami):
    t = make_tegami(start=False, globals_=DECISIONS,
                    listeners="listen on 127.0.0.1 port %d filter { %s }\n" % (0, CHAIN))
    # The listener of the template carries the chain: one port, one filter.
    t.rewrite_conf(lambda c: c.replace(
        "listen on 127.0.0.1 port %d\n" % t.port, "").replace(
        "port 0 filter", "port %d filter" % t.port))
    t.rewrite_conf(lambda c: c.replace(
        'virtual <vusers>', 'junk virtual <vusers>'))
    t.start()
    return t


def client(t, src="127.0.0.1"):
    return smtplib.SMTP(t.host, t.port, timeout=10, source_address=(src, 0))


def test_helo_hygiene_and_regex(filtered):
    with client(filtered) as s:
        assert s.docmd("HELO", "bad7.example") == (550, b"5.7.1 go away")
        assert s.docmd("EHLO", "ex!ample") == (501, b"5.5.2 invalid HELO")
        assert s.docmd("EHLO", "pc123") == (550, b"5.7.1 HELO not fully qualified")
        assert s.docmd("EHLO", "192.0.2.1") == (501, b"5.5.2 invalid HELO")
        # A refused EHLO leaves the session without one: MAIL is out of sequence.
        assert s.docmd("MAIL", "FROM:<a@b.example>")[0] == 503
        # From loopback our own name is no forgery (the admin's own tools).
        assert s.ehlo("mx.example.org")[0] == 250
        assert s.ehlo("[127.0.0.1]")[0] == 250
        assert s.ehlo("client.example.com")[0] == 250
    with client(filtered) as s:
        assert s.docmd("EHLO", "bad1.example") == (421, b"4.7.0 bye")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.noop()
    # A trusted source bypasses the rest of the ehlo filters.
    with client(filtered, "127.0.0.2") as s:
        assert s.ehlo("pc123")[0] == 250
    log = filtered.log()
    assert "filter=hello phase=helo decision=reject" in log
    assert "filter=trusted_helo phase=ehlo decision=bypass" in log


def test_connect_reject_waits_for_quit(filtered):
    s = socket.create_connection((filtered.host, filtered.port), timeout=10,
                                 source_address=("127.0.0.3", 0))
    f = s.makefile("rb")
    assert f.readline() == b"554 5.7.1 not from there\r\n"
    # RFC 5321 3.1: after a 554 greeting only QUIT is served.
    s.sendall(b"EHLO client.example.com\r\n")
    assert f.readline() == b"503 5.5.1 No SMTP service here, only QUIT\r\n"
    s.sendall(b"MAIL FROM:<a@b.example>\r\n")
    assert f.readline().startswith(b"503 ")
    s.sendall(b"QUIT\r\n")
    assert f.readline().startswith(b"221 ")
    s.close()


def test_rewrite_mail_from_rcpt_to_and_helo(filtered):
    with client(filtered) as s:
        s.ehlo("rename.example")
        assert s.mail("old@example.com")[0] == 250
        assert s.rcpt("alias@example.org")[0] == 250
        assert s.data(b"Subject: rewritten\r\n\r\nx\r\n")[0] == 250
    msg = filtered.wait_messages("bob@example.org", 1)[0]
    assert msg.startswith(b"Return-Path: <new@example.com>\nDelivered-To: bob@example.org\n"
                          b"Received: from renamed.example ")
    assert filtered.messages("alias@example.org") == []


def test_reject_at_mail_data_and_commit(filtered):
    with client(filtered) as s:
        s.ehlo("client.example.com")
        assert s.mail("x@spam.example") == (554, b"5.7.1 sender refused")
        # The refused MAIL began nothing: RCPT is out of sequence.
        assert s.rcpt("alice@example.org")[0] == 503
        assert s.mail("late@example.com")[0] == 250
        assert s.rcpt("alice@example.org")[0] == 250
        assert s.docmd("DATA") == (451, b"4.7.1 not now")
        s.rset()
        assert s.mail("commit@example.com")[0] == 250
        assert s.rcpt("alice@example.org")[0] == 250
        code, text = s.data(b"Subject: refused\r\n\r\nbody\r\n")
        assert (code, text) == (550, b"5.7.1 refused at commit")
        # The session goes on, and the next message is taken.
        assert s.mail("ok@example.com")[0] == 250
        assert s.rcpt("alice@example.org")[0] == 250
        assert s.data(b"Subject: kept\r\n\r\nbody\r\n")[0] == 250
    msgs = filtered.wait_messages("alice@example.org", 1)
    time.sleep(0.5)
    assert [body_of(m) for m in filtered.messages("alice@example.org")] == [
        b"Subject: kept\n\nbody\n"]
    with client(filtered) as s:
        s.ehlo("client.example.com")
        s.mail("bye@example.com")
        s.rcpt("alice@example.org")
        code, text = s.data(b"Subject: bye\r\n\r\nbody\r\n")
        assert (code, text) == (421, b"4.7.1 refused and closed")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.noop()
    assert "message-refused" in filtered.log()
    assert filtered.wait_queue_empty()


def test_reject_at_data_phase_with_bdat(filtered):
    s = socket.create_connection((filtered.host, filtered.port), timeout=10)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"EHLO client.example.com\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    s.sendall(b"MAIL FROM:<late@example.com>\r\nRCPT TO:<alice@example.org>\r\n"
              b"BDAT 10\r\n0123456789BDAT 5 LAST\r\nabcdeNOOP\r\n")
    replies = [f.readline() for _ in range(5)]
    s.close()
    # The chunks are swallowed and each answered with the filter's refusal.
    assert replies == [b"250 2.1.0 Ok\r\n", b"250 2.1.5 Ok\r\n", b"451 4.7.1 not now\r\n",
                       b"451 4.7.1 not now\r\n", b"250 2.0.0 Ok\r\n"], replies


def test_junk_goes_to_the_junk_folder(filtered):
    with client(filtered) as s:
        s.ehlo("client.example.com")
        s.sendmail("x@example.com", ["carol@example.net"], b"Subject: spam\r\n\r\nbuy\r\n")
        s.sendmail("x@example.com", ["alice@example.org"], b"Subject: ham\r\n\r\nhi\r\n")
    junk = os.path.join(os.path.dirname(filtered.maildir("carol@example.net")), ".Junk", "new")
    deadline = time.time() + 15
    while time.time() < deadline and not (os.path.isdir(junk) and os.listdir(junk)):
        time.sleep(0.05)
    names = os.listdir(junk)
    assert len(names) == 1
    with open(os.path.join(junk, names[0]), "rb") as f:
        stored = f.read()
    assert b"\nX-Spam: yes\n" in stored
    assert body_of(stored).endswith(b"Subject: spam\n\nbuy\n")
    assert filtered.messages("carol@example.net") == []
    ham = filtered.wait_messages("alice@example.org", 1)
    assert len(ham) == 1 and b"X-Spam" not in ham[0]


def test_match_from_src_reject(make_tegami):
    """The access list of match rules: refused at RCPT, before the rule that delivers."""
    t = make_tegami(start=False)
    t.rewrite_conf(lambda c: c.replace(
        'match from any for domain <domains> action "deliver"',
        'match from src { 127.0.0.3 } for any reject\n'
        'match from any for domain <domains> action "deliver"'))
    t.start()
    with client(t, "127.0.0.3") as s:
        s.ehlo("client.example.com")
        s.mail("a@example.com")
        code, text = s.rcpt("alice@example.org")
        assert code == 550 and b"5.7.1" in text, text
    with client(t) as s:
        s.ehlo("client.example.com")
        s.mail("a@example.com")
        assert s.rcpt("alice@example.org")[0] == 250


def test_auth_after_helo(make_tegami, tmp_path):
    t = make_tegami(start=False, globals_="table creds file:%s/creds\nsmtp auth-cost 4\n"
                    % tmp_path, listeners="listen on 127.0.0.1 port {port2} auth <creds>\n")
    port2 = free_port()
    t.rewrite_conf(lambda c: c.replace("{port2}", str(port2)))
    h = t.ctl("encrypt", "pw").stdout.strip()
    (tmp_path / "creds").write_text("alice@example.org:%s\n" % h)
    t.start()
    wait_port(t.host, port2)
    with smtplib.SMTP(t.host, port2, timeout=10) as s:
        assert s.docmd("HELO", "client.example.com")[0] == 250
        # PLAIN of alice@example.org / pw, after HELO: Postfix takes it, so do we.
        assert s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHB3")[0] == 235
        assert s.mail("alice@example.org")[0] == 250
        assert s.rcpt("bob@example.org")[0] == 250


def test_leniency_brackets(make_tegami):
    """Seed 002's telnet session: MAIL FROM and RCPT TO without angle brackets."""
    t = make_tegami()
    s = socket.create_connection((t.host, t.port), timeout=10)
    f = s.makefile("rb")
    f.readline()
    for line, want in ((b"HELO me", b"250 "), (b"MAIL FROM: noel@example.gr.jp", b"250 "),
                       (b"RCPT TO: alice@example.org", b"250 "), (b"DATA", b"354 ")):
        s.sendall(line + b"\r\n")
        assert f.readline().startswith(want), line
    s.sendall(b"Subject: test mail from me\r\n\r\nhello\r\n.\r\nQUIT\r\n")
    assert f.readline().startswith(b"250 ")
    s.close()
    assert body_of(t.wait_messages("alice@example.org", 1)[0]) == lf(
        b"Subject: test mail from me\r\n\r\nhello\r\n")
