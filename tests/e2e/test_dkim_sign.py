"""DKIM signing: mail submitted with a login is signed (RSA-2048, Ed25519, both; relaxed and simple) by the signer process, and dkimpy's dkimverify and OpenDKIM's opendkim-testmsg verify it against key records served by a DNS server of the test; a changed message fails; the smtp process never holds the key; new keys are taken on reload."""
import os
import smtplib
import subprocess
import time

import pytest

from dnsserver import DNSServer, have_dnsmasq
from mailauth_util import (dkimverify, isolated_available, keygen, opendkim_testmsg,
                           DKIMVERIFY, OPENDKIM_TESTMSG)
from tegami import bin_path, IS_ROOT

pytestmark = [
    pytest.mark.skipif(not have_dnsmasq(), reason="dnsmasq missing"),
    pytest.mark.skipif(not isolated_available(),
                       reason="the verifiers' resolver needs root (namespaces)"),
    pytest.mark.skipif(not os.access(DKIMVERIFY, os.X_OK) or
                       not os.access(OPENDKIM_TESTMSG, os.X_OK),
                       reason="dkimverify or opendkim-testmsg missing"),
]

PASSWORD = "correct horse battery"
BODY = ("Hello,\r\n\r\nthe  body   has  odd   spacing \t\r\nand trailing blank lines\r\n"
        "\r\n\r\n")


def message(subject="signed", sender="alice@example.org"):
    return ("From: Alice <%s>\r\nTo: bob@example.org\r\nSubject: %s\r\n"
            "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <%s@example.org>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n%s" %
            (sender, subject, subject.replace(" ", "."), BODY)).encode()


def encrypt(conf_path, password):
    r = subprocess.run([bin_path("tegamictl"), "-f", conf_path, "encrypt", password],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


class Signing:
    """A tegami whose submission listener (port sub) signs for example.org."""

    def __init__(self, make_tegami, tmp_path, keys, canon=None, extra=""):
        self.keydir = tmp_path / "dkim"
        self.keydir.mkdir()
        os.chmod(self.keydir, 0o700)
        self.records = {}
        self.sub = None
        creds = tmp_path / "passwd"
        creds.write_text("")
        # The keys are written first, by tegamictl, then published.
        t = make_tegami(start=False)
        self.t = t
        sign = []
        for selector, kind in keys:
            path = str(self.keydir / ("%s.key" % selector))
            rec = keygen(t.conf_path, "example.org", selector, kind, path)
            self.records["%s._domainkey.example.org" % selector] = rec
            sign.append('selector %s key "%s"' % (selector, path))
        self.dns = DNSServer(txt=self.records)
        from tegami import free_port
        self.sub = free_port()
        filt = "filter sign dkim-sign domain example.org %s%s%s\n" % (
            " ".join(sign), " canonicalization %s" % canon if canon else "", extra)
        globals_ = ("%s\nsmtp auth-cost 4\ntable creds file:%s\n%s" %
                    (self.dns.resolver_line(), creds, filt))
        t.rewrite_conf(lambda text: text.replace(
            "table domains", globals_ + "table domains", 1).replace(
            "listen on 127.0.0.1 port %d\n" % t.port,
            "listen on 127.0.0.1 port %d\nlisten on 127.0.0.1 port %d auth <creds> "
            "filter sign\n" % (t.port, self.sub), 1))
        creds.write_text("alice@example.org:%s\n" % encrypt(t.conf_path, PASSWORD))
        try:
            t.start()
        except Exception:
            # Not yet in the fixture's list: its DNS server would outlive the test.
            self.dns.stop()
            raise

    def submit(self, msg, to="bob@example.org", sender="alice@example.org", login=True):
        with smtplib.SMTP(self.t.host, self.sub if login else self.t.port,
                          timeout=30) as c:
            c.ehlo("client.example.org")
            if login:
                c.login("alice@example.org", PASSWORD)
            c.sendmail(sender, [to], msg)

    def delivered(self, count=1):
        msgs = self.t.wait_messages("bob@example.org", count)
        assert len(msgs) == count, self.t.log()[-3000:]
        return msgs[-1]

    def stop(self):
        self.dns.stop()


@pytest.fixture
def signing(make_tegami, tmp_path):
    made = []

    def factory(keys, canon=None, extra=""):
        s = Signing(make_tegami, tmp_path, keys, canon, extra)
        made.append(s)
        return s

    yield factory
    for s in made:
        s.stop()


def signatures(stored):
    head = stored.split(b"\n\n", 1)[0]
    return [ln for ln in head.split(b"\n") if ln.lower().startswith(b"dkim-signature:")]


@pytest.mark.parametrize("canon", [None, "simple", "relaxed/simple"])
@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_signed_and_verified(signing, kind, canon):
    s = signing([("s1", kind)], canon)
    s.submit(message("one key %s %s" % (kind, canon)))
    stored = s.delivered()
    sigs = signatures(stored)
    assert len(sigs) == 1, stored[:2000]
    head = stored.split(b"\n\n", 1)[0]
    alg = b"rsa-sha256" if kind == "rsa" else b"ed25519-sha256"
    assert b"a=" + alg in head
    want = {None: b"c=relaxed/relaxed", "simple": b"c=simple/simple",
            "relaxed/simple": b"c=relaxed/simple"}[canon]
    assert want in head
    assert b"d=example.org" in head and b"s=s1" in head
    # From and the usual fields are oversigned; l= is never used.
    h = head.split(b"h=", 1)[1].split(b";", 1)[0].replace(b"\n", b"").replace(b"\t", b"")
    assert h.lower().count(b"from") == 2
    assert b"subject:subject" in h.lower().replace(b" ", b"")
    assert b" l=" not in head and b";l=" not in head
    ok = dkimverify(stored, s.records)
    assert ok, "dkimverify failed:\n%s" % stored.decode(errors="replace")
    ok, out = opendkim_testmsg(stored, s.records)
    assert ok, "opendkim-testmsg: %s" % out
    # A message changed in transit fails both.
    changed = stored.replace(b"odd   spacing", b"odd   spacinG", 1)
    assert not dkimverify(changed, s.records)
    assert not opendkim_testmsg(changed, s.records)[0]
    assert "smtp dkim-sign d=example.org s=s1" in s.t.log()


def test_both_keys(signing):
    s = signing([("rsa", "rsa"), ("ed", "ed25519")])
    s.submit(message("two keys"))
    stored = s.delivered()
    sigs = signatures(stored)
    assert len(sigs) == 2
    assert dkimverify(stored, s.records, index=0)
    assert dkimverify(stored, s.records, index=1)
    # A header field added after signing breaks both (From is oversigned).
    extra = stored.replace(b"\nFrom:", b"\nFrom: mallory@evil.example\nFrom:", 1)
    assert not dkimverify(extra, s.records, index=0)
    assert not dkimverify(extra, s.records, index=1)


def test_relayed_copy_verifies(signing):
    """What leaves by relay is what was signed: the P field goes out before the message."""
    pytest.importorskip("dkim")
    s = signing([("s1", "rsa")])
    # Relay to a sink of our own: a second listener of the same tegami would sign again.
    import socket
    import threading
    got = {}
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def sink():
        c, _ = srv.accept()
        f = c.makefile("rwb")
        f.write(b"220 sink\r\n")
        f.flush()
        data = []
        while True:
            line = f.readline()
            if not line:
                break
            cmd = line.strip().upper()
            if cmd.startswith(b"DATA"):
                f.write(b"354 go\r\n")
                f.flush()
                while True:
                    ln = f.readline()
                    if ln == b".\r\n":
                        break
                    data.append(ln[1:] if ln.startswith(b"..") else ln)
                got["msg"] = b"".join(data)
                f.write(b"250 ok\r\n")
            elif cmd.startswith(b"QUIT"):
                f.write(b"221 bye\r\n")
                f.flush()
                break
            elif cmd.startswith(b"EHLO"):
                f.write(b"250 sink\r\n")
            else:
                f.write(b"250 ok\r\n")
            f.flush()
        c.close()

    th = threading.Thread(target=sink, daemon=True)
    th.start()
    s.t.stop()
    s.t.rewrite_conf(lambda text: text.replace(
        'match from any for domain <domains> action "deliver"',
        'action "sink" relay host smtp+notls://127.0.0.1:%d\n'
        'match from any for domain <domains> action "deliver"\n'
        'match auth from any for domain "elsewhere.example" action "sink"' % port))
    s.t.start()
    s.submit(message("relayed"), to="carol@elsewhere.example")
    th.join(30)
    assert "msg" in got, s.t.log()[-3000:]
    assert len(signatures(got["msg"].replace(b"\r\n", b"\n"))) == 1
    assert dkimverify(got["msg"], s.records)
    assert opendkim_testmsg(got["msg"], s.records)[0]
    srv.close()


def test_subdomains(signing):
    s = signing([("s1", "rsa")], extra=" subdomains")
    s.submit(message("from a subdomain", sender="news@lists.example.org"),
             sender="alice@example.org")
    stored = s.delivered()
    head = stored.split(b"\n\n", 1)[0]
    assert b"d=example.org" in head
    assert dkimverify(stored, s.records)


def test_what_is_not_signed(signing):
    """Unauthenticated clients on other listeners, From domains not ours, no From."""
    s = signing([("s1", "ed25519")])
    # Another domain in From: not ours to sign.
    s.submit(message("other domain", sender="alice@example.net"), sender="alice@example.org")
    assert signatures(s.delivered(1)) == []
    # A subdomain without "subdomains".
    s.submit(message("sub", sender="x@sub.example.org"), sender="alice@example.org")
    assert signatures(s.delivered(2)) == []
    # The same From on the port-25 listener, which has no dkim-sign filter.
    s.submit(message("port 25"), login=False)
    assert signatures(s.delivered(3)) == []
    s.submit(message("signed"))
    assert len(signatures(s.delivered(4))) == 1


def test_key_only_in_signer(signing):
    """The private key is read by the parent as root and kept by the signer alone:
    its seed is in the signer's memory and in no network-facing process's."""
    import base64
    s = signing([("s1", "ed25519")])
    s.submit(message("warm up"))
    s.delivered()
    keyfile = str(s.keydir / "s1.key")
    st = os.stat(keyfile)
    assert st.st_mode & 0o777 == 0o600
    with open(keyfile, "rb") as f:
        pem = f.read()
    der = base64.b64decode(b"".join(ln for ln in pem.split(b"\n")
                                    if ln and not ln.startswith(b"-----")))
    # PKCS#8 Ed25519: a 16-octet prefix, then the 32-octet private key.
    assert len(der) == 48
    seed = der[16:]
    names = {}
    for pid in s.t.pids():
        try:
            with open("/proc/%d/comm" % pid) as f:
                names[pid] = f.read().strip()
        except OSError:
            pass
    signer = [p for p, n in names.items() if "signer" in n]
    assert len(signer) == 1, names
    # The check can see a key where there is one.
    assert grep_memory(signer[0], seed)
    for pid, name in names.items():
        if pid == s.t.proc.pid or pid == signer[0]:
            continue
        # smtp faces the network; queue, mta, auth have no use for it either.
        assert not grep_memory(pid, seed), "%s holds the private key" % name
        assert not grep_memory(pid, pem[40:100]), "%s holds the key file's text" % name
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                assert os.readlink("/proc/%d/fd/%s" % (pid, fd)) != keyfile
            except OSError:
                pass
    if IS_ROOT:
        # The signer runs as the unprivileged account, like the others.
        with open("/proc/%d/status" % signer[0]) as f:
            uid = [ln for ln in f if ln.startswith("Uid:")][0].split()[1]
        assert uid != "0"
    # After a reload (the parent sent the key to the signer) an smtp process
    # started afresh inherits nothing of it from the parent either.
    assert "reloaded" in s.t.ctl("reload").stdout
    smtp = [p for p, n in names.items() if n.endswith("smtp")]
    assert len(smtp) == 1, names
    os.kill(smtp[0], 9)
    deadline = time.time() + 10
    fresh = None
    while time.time() < deadline and fresh is None:
        time.sleep(0.1)
        for pid in s.t.pids():
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip().endswith("smtp") and pid != smtp[0]:
                        fresh = pid
            except OSError:
                pass
    assert fresh is not None
    s.submit(message("after the restart"))
    s.delivered(2)
    assert not grep_memory(fresh, seed)
    assert not grep_memory(fresh, pem[40:100])


def grep_memory(pid, needle):
    """Whether the needle is in the writable memory of pid (root reads it through
    /proc). Mappings over 1 GiB are the sanitizers' shadow, skipped."""
    step = 16 << 20
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            if "rw" not in parts[1]:
                continue
            start, end = (int(x, 16) for x in parts[0].split("-"))
            if end - start > (1 << 30):
                continue
            tail = b""
            for off in range(start, end, step):
                try:
                    mem.seek(off)
                    chunk = mem.read(min(step, end - off))
                except (OSError, ValueError, OverflowError):
                    break
                if needle in tail + chunk:
                    return True
                tail = chunk[-(len(needle) - 1):]
    return False


def test_reload_takes_new_keys(signing):
    s = signing([("s1", "rsa")])
    s.submit(message("before"))
    assert b"s=s1" in s.delivered(1).split(b"\n\n", 1)[0]
    # A new key and selector, published, then the configuration reloaded.
    path = str(s.keydir / "s2.key")
    rec = keygen(s.t.conf_path, "example.org", "s2", "ed25519", path)
    s.records["s2._domainkey.example.org"] = rec
    s.t.rewrite_conf(lambda text: text.replace(
        'selector s1 key "%s"' % (s.keydir / "s1.key"), 'selector s2 key "%s"' % path))
    r = s.t.ctl("reload")
    assert "reloaded" in r.stdout + r.stderr, r.stdout + r.stderr
    s.submit(message("after"))
    stored = s.delivered(2)
    head = stored.split(b"\n\n", 1)[0]
    assert b"s=s2" in head and b"a=ed25519-sha256" in head
    assert dkimverify(stored, s.records)
    # A key that cannot sign is refused at reload; the running keys stay.
    bad = s.keydir / "bad.key"
    bad.write_text("not a key\n")
    s.t.rewrite_conf(lambda text: text.replace(path, str(bad)))
    r = s.t.ctl("reload", check=False)
    assert r.returncode != 0
    assert "dkim-sign key" in r.stdout + r.stderr
    s.submit(message("still"))
    assert b"s=s2" in s.delivered(3).split(b"\n\n", 1)[0]


def test_signer_restarted(signing):
    """The signer is supervised: killed, it is started again and signs."""
    s = signing([("s1", "ed25519")])
    s.submit(message("first"))
    s.delivered(1)
    signer = None
    for pid in s.t.pids():
        try:
            with open("/proc/%d/comm" % pid) as f:
                if "signer" in f.read():
                    signer = pid
        except OSError:
            pass
    assert signer is not None
    os.kill(signer, 9)
    deadline = time.time() + 10
    while time.time() < deadline and "signer process" not in s.t.log():
        time.sleep(0.05)
    time.sleep(0.5)
    s.submit(message("second"))
    stored = s.delivered(2)
    assert len(signatures(stored)) == 1
    assert dkimverify(stored, s.records)


def test_unsignable_refused(signing):
    """A message that can never be signed is refused for good, not deferred forever."""
    s = signing([("s1", "ed25519")])
    many = "".join("X-Filler-%d: x\r\n" % i for i in range(1100)).encode()
    with pytest.raises(smtplib.SMTPDataError) as e:
        s.submit(many + message("too many fields"))
    assert e.value.smtp_code == 554
    assert b"cannot be DKIM-signed" in e.value.smtp_error
    assert s.t.messages("bob@example.org") == []
