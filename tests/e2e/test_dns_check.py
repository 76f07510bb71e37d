"""tegamictl dns DOMAIN --check against dnsmasq: one correct, one missing and one wrong record of each type."""
import base64
import os
import subprocess

import pytest

from admintest import cleanup, init_instance
from dnsserver import DNSMASQ, DNSServer, have_dnsmasq

# This server's public address in each setup; 198.18.0.0/15 has no local zone in libunbound.
GOOD, MISSING, WRONG = "198.18.0.2", "198.18.0.3", "198.18.0.4"


class ZoneServer(DNSServer):
    """dnsmasq with TXT and PTR records too, answering NXDOMAIN for the rest of .example and 198.18/16."""

    def __init__(self, mx=None, hosts=None, txt=None, ptr=None):
        self.txt = txt or {}
        self.ptr = ptr or {}
        super().__init__(mx=mx, hosts=hosts)

    def _start(self, mx, hosts, null_mx, extra=()):
        args = [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--port=%d" % self.port, "--listen-address=127.0.0.1",
                "--bind-interfaces", "--pid-file=", "--local=/example/",
                "--local=/18.198.in-addr.arpa/", "--log-queries",
                "--log-facility=" + self.log_path, "--cache-size=0"] + list(extra)
        if os.geteuid() == 0:
            args.append("--user=root")
        for domain, records in (mx or {}).items():
            for pref, host in records:
                args.append("--mx-host=%s,%s,%d" % (domain, host, pref))
        for name, addrs in (hosts or {}).items():
            args.append("--host-record=%s,%s" % (name, ",".join(addrs)))
        for name, records in self.txt.items():
            for rec in records:
                # One TXT record in strings of at most 255 octets, commas between
                # them (these records hold no comma); dnsmasq keeps quotes as text.
                chunks = [rec[i:i + 255] for i in range(0, len(rec), 255)]
                args.append("--txt-record=%s,%s" % (name, ",".join(chunks)))
        for name, target in self.ptr.items():
            args.append("--ptr-record=%s,%s" % (name, target))
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self._wait()


def dkim_record(t, domain, selector="s1"):
    """The record of the key init made, computed from the key file with openssl."""
    key = os.path.join(t.dir, "dkim", "%s.%s.key" % (domain, selector))
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def setups():
    if not have_dnsmasq():
        pytest.skip("no dnsmasq")
    good = init_instance(domain="good.example", host="mail.good.example")
    missing = init_instance(domain="missing.example", host="mail.missing.example")
    wrong = init_instance(domain="wrong.example", host="mail.wrong.example")
    dns = ZoneServer(
        mx={"good.example": [(10, "mail.good.example")],
            "wrong.example": [(10, "mx.other.example")]},
        hosts={"mail.good.example": [GOOD], "mail.wrong.example": ["198.18.0.99"]},
        txt={"good.example": ["v=spf1 mx -all"],
             "s1._domainkey.good.example": [dkim_record(good, "good.example")],
             "_dmarc.good.example": ["v=DMARC1; p=none; rua=mailto:dmarc@good.example"],
             "wrong.example": ["v=spf1 ip4:192.0.2.1 -all"],
             # Another domain's key: a record that parses, with the wrong key.
             "s1._domainkey.wrong.example": [dkim_record(good, "good.example")],
             "_dmarc.wrong.example": ["v=DMARC1; p=bogus"]},
        ptr={"4.0.18.198.in-addr.arpa": "mx.other.example"})
    for t in (good, missing, wrong):
        with open(t.conf_path, "a") as f:
            f.write(dns.resolver_line() + "\n")
    yield {"good": good, "missing": missing, "wrong": wrong}
    dns.stop()
    for t in (good, missing, wrong):
        cleanup(t)


def check(t, domain, address):
    r = t.ctl("dns", domain, "--check", "--address", address, check=False)
    verdicts = {}
    for line in r.stdout.splitlines():
        w = line.split()
        if len(w) >= 3 and w[0] in ("MX", "A", "AAAA", "SPF", "DKIM", "DMARC", "PTR"):
            verdicts[w[0]] = w[2]
    return r, verdicts


def test_correct_records(setups):
    r, v = check(setups["good"], "good.example", GOOD)
    assert v == {"MX": "OK", "A": "OK", "SPF": "OK", "DKIM": "OK", "DMARC": "OK",
                 "PTR": "OK"}, r.stdout
    assert r.returncode == 0 and "every record is in place" in r.stdout


def test_missing_records(setups):
    r, v = check(setups["missing"], "missing.example", MISSING)
    assert v == {"MX": "missing", "A": "missing", "SPF": "missing", "DKIM": "missing",
                 "DMARC": "missing", "PTR": "missing"}, r.stdout
    assert r.returncode == 1
    # Each missing record comes with the exact line to publish.
    out = r.stdout
    assert "publish: missing.example. IN MX 10 mail.missing.example." in out
    assert "publish: mail.missing.example. IN A %s" % MISSING in out
    assert 'publish: missing.example. IN TXT "v=spf1 mx -all"' in out
    assert "publish: s1._domainkey.missing.example. IN TXT ( \"v=DKIM1; k=rsa; p=" in out
    assert ('publish: _dmarc.missing.example. IN TXT "v=DMARC1; p=quarantine; '
            'rua=mailto:postmaster@missing.example"') in out
    assert "publish: 3.0.18.198.in-addr.arpa. IN PTR mail.missing.example." in out


def test_wrong_records(setups):
    t = setups["wrong"]
    r, v = check(t, "wrong.example", WRONG)
    assert v == {"MX": "wrong", "A": "wrong", "SPF": "wrong", "DKIM": "wrong",
                 "DMARC": "wrong", "PTR": "wrong"}, r.stdout
    out = r.stdout
    # What is there, what is wrong with it, and the fix.
    assert "found:   10" not in out     # names only, no preferences
    assert "mx.other.example" in out and "no MX names this server" in out
    assert "found:   198.18.0.99" in out
    assert "publish: mail.wrong.example. IN A %s" % WRONG in out
    assert "SPF gives fail for %s" % WRONG in out
    assert 'publish: wrong.example. IN TXT "v=spf1 ip4:%s ip4:192.0.2.1 -all"' % WRONG in out
    assert "the published key is not the signing key" in out
    assert dkim_record(t, "wrong.example")[:60] in out
    assert "the DMARC record is not valid" in out
    assert "the address's name is not this server's" in out
    assert "publish: 4.0.18.198.in-addr.arpa. IN PTR mail.wrong.example." in out


def test_records_to_publish_without_check(setups):
    t = setups["good"]
    r = t.ctl("dns", "good.example")
    out = r.stdout
    assert "good.example. IN MX 10 mail.good.example." in out
    assert 'good.example. IN TXT "v=spf1 mx -all"' in out
    assert "s1._domainkey.good.example. IN TXT" in out
    assert "_dmarc.good.example. IN TXT" in out


def test_japanese_verdicts(setups):
    r = setups["missing"].ctl("dns", "missing.example", "--check", "--address", MISSING,
                              check=False, env={"LANG": "ja_JP.UTF-8"})
    assert "なし" in r.stdout and "登録内容:" in r.stdout
