"""Inbound checks of filter mail-auth: SPF pass/fail/softfail, DKIM signatures made by dkimpy with good, bad and missing keys, DMARC p=none/quarantine/reject, with and without enforce (reject: 550 and nothing stored; quarantine: .Junk), forged Authentication-Results removed, RFC 5322 3.6, authenticated sessions not checked. DNS is a dnsmasq the test starts."""
import os
import smtplib
import socket
import subprocess
import time

import pytest

from dnsserver import DNSServer, have_dnsmasq
from mailauth_util import keygen
from tegami import bin_path, free_port

dkim = pytest.importorskip("dkim")

pytestmark = pytest.mark.skipif(not have_dnsmasq(), reason="dnsmasq missing")

PASSWORD = "correct horse battery"
LOCAL = "ip4:127.0.0.1"

# Domains and what they publish. The client is 127.0.0.1.
SPF = {
    "pass.example": "v=spf1 %s -all" % LOCAL,
    "fail.example": "v=spf1 ip4:192.0.2.1 -all",
    "soft.example": "v=spf1 ip4:192.0.2.1 ~all",
    "reject.example": "v=spf1 ip4:192.0.2.1 -all",
    "quarantine.example": "v=spf1 ip4:192.0.2.1 -all",
    "none.example": "v=spf1 ip4:192.0.2.1 -all",
    "signed.example": "v=spf1 ip4:192.0.2.1 -all",
    "helo.example": "v=spf1 %s -all" % LOCAL,
}
DMARC = {
    "pass.example": "v=DMARC1; p=reject",
    "reject.example": "v=DMARC1; p=reject",
    "quarantine.example": "v=DMARC1; p=quarantine",
    "none.example": "v=DMARC1; p=none; rua=mailto:dmarc@none.example",
    "signed.example": "v=DMARC1; p=reject; adkim=s",
}


def encrypt(conf_path, password):
    r = subprocess.run([bin_path("tegamictl"), "-f", conf_path, "encrypt", password],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


class Inbound:
    def __init__(self, make_tegami, tmp_path, admd=None):
        t = make_tegami(start=False)
        self.t = t
        keydir = tmp_path / "keys"
        keydir.mkdir()
        self.keys = {}
        txt = {}
        for name, rec in SPF.items():
            txt[name] = rec
        for name, rec in DMARC.items():
            txt["_dmarc." + name] = rec
        # good: the record of the key that signs; bad: another key's record; missing: none.
        for sel in ("good", "bad", "missing", "ed"):
            path = str(keydir / ("%s.pem" % sel))
            rec = keygen(t.conf_path, "signed.example", sel,
                         "ed25519" if sel == "ed" else "rsa", path, bits=1024)
            with open(path, "rb") as f:
                self.keys[sel] = f.read()
            self.keys[sel + ".rec"] = rec
        txt["good._domainkey.signed.example"] = self.keys["good.rec"]
        txt["bad._domainkey.signed.example"] = self.keys["good.rec"]
        txt["ed._domainkey.signed.example"] = self.keys["ed.rec"]
        self.dns = DNSServer(txt=txt)
        self.strict = free_port()
        self.sub = free_port()
        creds = tmp_path / "passwd"
        creds.write_text("")
        globals_ = ("%s\n%s"
                    "smtp auth-cost 4\ntable creds file:%s\n"
                    "filter check mail-auth\n"
                    "filter strict check mail-auth enforce\n" %
                    (self.dns.resolver_line(), 'admd "%s"\n' % admd if admd else "",
                     creds))
        listeners = ("listen on 127.0.0.1 port {p} filter check\n"
                     "listen on 127.0.0.1 port {s} filter strict\n"
                     "listen on 127.0.0.1 port {u} auth <creds> filter strict\n")
        t.rewrite_conf(lambda text: text.replace(
            "table domains", globals_ + "table domains", 1).replace(
            "listen on 127.0.0.1 port %d\n" % t.port,
            listeners.format(p=t.port, s=self.strict, u=self.sub), 1).replace(
            "virtual <vusers>", "junk virtual <vusers>", 1))
        creds.write_text("alice@example.org:%s\n" % encrypt(t.conf_path, PASSWORD))
        t.start()

    def send(self, msg, sender, port=None, helo="helo.example", to="bob@example.org",
             login=False):
        with smtplib.SMTP(self.t.host, port or self.t.port, timeout=60) as c:
            c.ehlo(helo)
            if login:
                c.login("alice@example.org", PASSWORD)
            c.sendmail(sender, [to], msg)

    def junk(self, address="bob@example.org"):
        d = os.path.join(os.path.dirname(self.t.maildir(address)), ".Junk", "new")
        out = []
        if os.path.isdir(d):
            for n in sorted(os.listdir(d)):
                with open(os.path.join(d, n), "rb") as f:
                    out.append(f.read())
        return out


@pytest.fixture
def inbound(make_tegami, tmp_path):
    i = Inbound(make_tegami, tmp_path)
    yield i
    i.dns.stop()


def message(frm, subject="test", extra=""):
    return ("From: <%s>\r\nTo: <bob@example.org>\r\nSubject: %s\r\n"
            "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <%s@x>\r\n%s\r\n"
            "Body of %s.\r\n" % (frm, subject, subject.replace(" ", "."), extra,
                                 subject)).encode()


def signed(msg, selector, key):
    if selector == "ed":
        # dkimpy takes an Ed25519 key as the base64 of its 32-octet seed.
        import base64
        der = base64.b64decode(b"".join(ln for ln in key.split(b"\n")
                                        if ln and not ln.startswith(b"-----")))
        key = base64.b64encode(der[16:])
        alg = b"ed25519-sha256"
    else:
        alg = b"rsa-sha256"
    sig = dkim.sign(msg, selector.encode(), b"signed.example", key,
                    canonicalize=(b"relaxed", b"relaxed"), signature_algorithm=alg,
                    include_headers=[b"from", b"to", b"subject", b"date", b"from"])
    return sig + msg


def authres(stored):
    """Our Authentication-Results field, unfolded, or None."""
    head = stored.split(b"\n\n", 1)[0].decode()
    lines = head.split("\n")
    for i, ln in enumerate(lines):
        if ln.startswith("Authentication-Results:"):
            val = ln
            for cont in lines[i + 1:]:
                if cont[:1] not in (" ", "\t"):
                    break
                val += " " + cont.strip()
            return val
    return None


def last(i, count):
    msgs = i.t.wait_messages("bob@example.org", count)
    assert len(msgs) == count, i.t.log()[-3000:]
    return msgs[-1]


@pytest.mark.parametrize("domain,want", [("pass.example", "pass"), ("fail.example", "fail"),
                                         ("soft.example", "softfail"),
                                         ("nothing.example", "none")])
def test_spf_results(inbound, domain, want):
    inbound.send(message("a@" + domain), "a@" + domain)
    ar = authres(last(inbound, 1))
    assert ar is not None
    assert ar.startswith("Authentication-Results: mx.example.org;")
    assert "spf=%s smtp.mailfrom=%s" % (want, domain) in ar
    # HELO is checked too, on its own (RFC 7208 2.3).
    assert "spf=pass smtp.helo=helo.example" in ar
    assert "dkim=none" in ar


def test_spf_null_sender_checks_helo(inbound):
    inbound.send(message("postmaster@fail.example"), "", helo="fail.example")
    ar = authres(last(inbound, 1))
    assert "spf=fail smtp.mailfrom=fail.example" in ar
    assert "smtp.helo=" not in ar


@pytest.mark.parametrize("selector,want", [("good", "dkim=pass"), ("ed", "dkim=pass"),
                                           ("bad", "dkim=fail"),
                                           ("missing", "dkim=permerror")])
def test_dkim_results(inbound, selector, want):
    # "bad" signs with its own key under a selector publishing another key's record.
    key = inbound.keys[selector]
    inbound.send(signed(message("a@signed.example", "dkim " + selector), selector, key),
                 "a@signed.example")
    ar = authres(last(inbound, 1))
    assert want in ar, ar
    assert "header.d=signed.example header.s=%s" % selector in ar
    if selector in ("good", "ed"):
        # An aligned signature passes DMARC though SPF fails.
        assert "spf=fail" in ar
        assert "dmarc=pass" in ar
    else:
        assert "dmarc=fail (p=reject dis=reject) header.from=signed.example" in ar


def test_changed_message_fails(inbound):
    m = signed(message("a@signed.example", "changed"), "good", inbound.keys["good"])
    inbound.send(m.replace(b"Body of", b"B0dy of"), "a@signed.example")
    ar = authres(last(inbound, 1))
    assert 'dkim=fail reason="body hash mismatch"' in ar


@pytest.mark.parametrize("domain,policy", [("none.example", "none"),
                                           ("quarantine.example", "quarantine"),
                                           ("reject.example", "reject")])
def test_dmarc_results_without_enforce(inbound, domain, policy):
    inbound.send(message("a@" + domain), "a@" + domain)
    stored = last(inbound, 1)
    ar = authres(stored)
    assert "dmarc=fail (p=%s dis=%s) header.from=%s" % (policy, policy, domain) in ar
    # Only reported: every message reaches the inbox.
    assert inbound.junk() == []
    assert b"X-Spam: yes" not in stored.split(b"\n\n", 1)[0]


def test_dmarc_pass(inbound):
    inbound.send(message("a@pass.example"), "a@pass.example")
    ar = authres(last(inbound, 1))
    assert "dmarc=pass (p=reject dis=none) header.from=pass.example" in ar


def test_enforce_reject(inbound):
    with pytest.raises(smtplib.SMTPDataError) as e:
        inbound.send(message("a@reject.example"), "a@reject.example", port=inbound.strict)
    assert e.value.smtp_code == 550
    assert b"5.7.1" in e.value.smtp_error and b"DMARC" in e.value.smtp_error
    # Nothing stored: no queue file, no Maildir file.
    time.sleep(0.5)
    assert inbound.t.messages("bob@example.org") == []
    assert inbound.t.queue_files() == []
    assert inbound.junk() == []
    assert "smtp mail-auth" in inbound.t.log() and "action=reject" in inbound.t.log()


def test_enforce_quarantine(inbound):
    inbound.send(message("a@quarantine.example"), "a@quarantine.example",
                 port=inbound.strict)
    deadline = time.time() + 15
    while time.time() < deadline and not inbound.junk():
        time.sleep(0.05)
    junk = inbound.junk()
    assert len(junk) == 1, inbound.t.log()[-2000:]
    assert inbound.t.messages("bob@example.org") == []
    head = junk[0].split(b"\n\n", 1)[0]
    assert b"X-Spam: yes" in head
    assert "dmarc=fail (p=quarantine dis=quarantine)" in authres(junk[0])


def test_enforce_passes_the_rest(inbound):
    inbound.send(message("a@none.example"), "a@none.example", port=inbound.strict)
    inbound.send(message("a@pass.example"), "a@pass.example", port=inbound.strict)
    m = signed(message("a@signed.example", "aligned"), "good", inbound.keys["good"])
    inbound.send(m, "a@fail.example", port=inbound.strict)
    last(inbound, 3)
    assert inbound.junk() == []


def test_forged_results_removed(inbound):
    forged = ("Authentication-Results: mx.example.org; dmarc=pass header.from=reject.example\r\n"
              "Authentication-Results: (comment)\r\n MX.EXAMPLE.ORG; dkim=pass\r\n"
              "Authentication-Results: other.example; spf=pass\r\n")
    inbound.send(forged.encode() + message("a@pass.example"), "a@pass.example")
    stored = last(inbound, 1)
    head = stored.split(b"\n\n", 1)[0]
    assert head.count(b"Authentication-Results:") == 2
    assert b"other.example; spf=pass" in head
    assert b"dmarc=pass header.from=reject.example" not in head
    assert "removed=2" in inbound.t.log()


def test_required_headers(inbound):
    two_from = message("a@pass.example", "two from", "From: <b@pass.example>\r\n")
    no_date = message("a@pass.example", "no date").replace(
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n", b"")
    for msg, why in ((two_from, b"2 From header fields"), (no_date, b"no Date header field")):
        with pytest.raises(smtplib.SMTPDataError) as e:
            inbound.send(msg, "a@pass.example", port=inbound.strict)
        assert e.value.smtp_code == 550
        assert why in e.value.smtp_error, e.value.smtp_error
    # Without enforce they are reported, not refused.
    inbound.send(two_from, "a@pass.example")
    ar = authres(last(inbound, 1))
    assert 'dmarc=permerror reason="several From fields"' in ar


def test_authenticated_not_checked(inbound):
    """A login's mail is not checked, but forged results of ours go all the same."""
    forged = b"Authentication-Results: mx.example.org; dmarc=pass\r\n"
    inbound.send(forged + message("a@reject.example"), "alice@example.org",
                 port=inbound.sub, login=True)
    stored = last(inbound, 1)
    assert authres(stored) is None
    assert b"dmarc=pass" not in stored


def test_bdat_chunks(inbound):
    """CHUNKING: the body hashed across chunks split anywhere."""
    m = signed(message("a@signed.example", "chunked"), "good", inbound.keys["good"])
    s = socket.create_connection((inbound.t.host, inbound.t.port), timeout=30)
    f = s.makefile("rwb")

    def cmd(line):
        f.write(line)
        f.flush()
        while True:
            r = f.readline()
            if r[3:4] != b"-":
                return r

    assert f.readline().startswith(b"220")
    assert cmd(b"EHLO helo.example\r\n").startswith(b"250")
    assert cmd(b"MAIL FROM:<a@fail.example>\r\n").startswith(b"250")
    assert cmd(b"RCPT TO:<bob@example.org>\r\n").startswith(b"250")
    cuts = [0, 7, 100, 101, len(m) - 3, len(m)]
    for a, b in zip(cuts, cuts[1:]):
        last_ = b" LAST" if b == len(m) else b""
        r = cmd(b"BDAT %d%s\r\n" % (b - a, last_) + m[a:b])
        assert r.startswith(b"250"), r
    cmd(b"QUIT\r\n")
    s.close()
    ar = authres(last(inbound, 1))
    assert "dkim=pass" in ar and "dmarc=pass" in ar


def test_admd_names_the_results(make_tegami, tmp_path):
    i = Inbound(make_tegami, tmp_path, admd="example.org")
    try:
        forged = b"Authentication-Results: example.org; dmarc=pass\r\n"
        i.send(forged + message("a@pass.example"), "a@pass.example")
        stored = last(i, 1)
        ar = authres(stored)
        assert ar.startswith("Authentication-Results: example.org;")
        assert stored.count(b"Authentication-Results:") == 1
    finally:
        i.dns.stop()


def test_unreadable_header(inbound):
    """More header fields than are read: not "dkim=none", and refused with enforce."""
    many = "".join("X-Filler-%d: x\r\n" % i for i in range(1100)).encode()
    m = signed(message("a@signed.example", "many fields"), "good", inbound.keys["good"])
    inbound.send(many + m, "a@signed.example")
    ar = authres(last(inbound, 1))
    assert 'dkim=permerror reason="too many header fields"' in ar, ar
    with pytest.raises(smtplib.SMTPDataError) as e:
        inbound.send(many + m, "a@signed.example", port=inbound.strict)
    assert e.value.smtp_code == 550
    assert b"cannot be read" in e.value.smtp_error


def test_header_too_large(inbound):
    """A header section over 256 KiB cannot have its forged fields removed: refused."""
    big = "".join("X-Filler-%d: %s\r\n" % (i, "y" * 900) for i in range(300)).encode()
    with pytest.raises(smtplib.SMTPDataError) as e:
        inbound.send(big + message("a@pass.example", "big"), "a@pass.example")
    assert e.value.smtp_code == 552
    time.sleep(0.3)
    assert inbound.t.messages("bob@example.org") == []
