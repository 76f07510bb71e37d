"""Administration: tegamictl init, domain/user/alias, the vpopmail names, -h everywhere, Japanese, dkim keygen, make run.

A user added by tegamictl reads the mail SMTP delivered over IMAPS and POP3S
with the password that was set; the Maildir is checked beside.
"""
import imaplib
import json
import os
import poplib
import pwd
import signal
import smtplib
import subprocess
import tempfile
import time

import pytest

from admintest import (IS_ROOT, cleanup, init_instance, login, send, starttls_context,
                       tegamictl, wait_files)
from tegami import BIN, ROOT, bin_path

COMPAT = ["vadddomain", "vadduser", "vdeluser", "vpasswd", "vuserinfo", "valias"]


@pytest.fixture
def inst():
    t = init_instance()
    yield t
    cleanup(t)


def maildir_of(t, address, sub="new"):
    local, domain = address.split("@")
    root = os.path.join(t.vmail, domain, local, "Maildir")
    return os.path.join(root, sub) if sub else root


def test_init_writes_a_working_configuration(inst):
    t = inst
    text = open(t.conf_path).read()
    # The listeners of the issue: 25 with STARTTLS and the rDNS filters, 587, 465, 993, 995.
    p = t.ports
    assert 'listen on 127.0.0.1 port %d tls pki mail.example.test filter "inbound"' % p[0] in text
    assert "port %d tls-require pki mail.example.test auth <creds> senders <senders>" % p[1] in text
    assert "port %d smtps pki mail.example.test auth <creds> senders <senders>" % p[2] in text
    assert "port %d imaps pki mail.example.test auth <creds>" % p[3] in text
    assert "port %d pop3s pki mail.example.test auth <creds>" % p[4] in text
    assert "match !rdns disconnect" in text and "match !fcrdns disconnect" in text
    assert 'dkim-sign domain example.test selector s1 key' in text
    assert 'virtual <vusers>' in text and 'match auth from any for any action "outbound"' in text
    r = subprocess.run([bin_path("tegamid"), "-n", "-f", t.conf_path], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    # The checklist: records to publish, ports to open, Let's Encrypt.
    out = t.init_output
    assert "example.test. IN MX 10 mail.example.test." in out
    assert 'example.test. IN TXT "v=spf1 mx -all"' in out
    assert "s1._domainkey.example.test. IN TXT" in out and "v=DKIM1; k=rsa; p=" in out
    assert '_dmarc.example.test. IN TXT "v=DMARC1; p=quarantine;' in out
    assert "PTR" in out
    for port in p:
        assert str(port) in out
    assert "certbot certonly" in out and "letsencrypt" in out
    # The DKIM key it printed is the one on disk, readable by nobody else.
    key = os.path.join(t.dir, "dkim", "example.test.s1.key")
    assert os.stat(key).st_mode & 0o777 == 0o600
    pub = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    import base64
    p64 = base64.b64encode(pub).decode()
    assert p64 in out.replace('"\n    "', "").replace('" "', "")
    # Nothing is overwritten by a second init.
    r = tegamictl("init", "--domain", "example.test", "--hostname", "mail.example.test",
                  "--dir", t.dir, "--self-contained")
    assert r.returncode == 1 and "refusing to overwrite" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_user_add_then_mail_without_restart(inst):
    t = inst
    t.start()
    pid = t.proc.pid
    r = t.ctl("user", "add", "alice@Example.test", "--password-stdin", input="s3cret\n")
    assert "added user alice@example.test" in r.stdout
    assert "tegamid reloaded table vusers" in r.stdout
    # The Maildir exists at once, with the default folders, owned by the mail account.
    root = maildir_of(t, "alice@example.test", "")
    for f in ("cur", "new", "tmp", ".Drafts", ".Sent", ".Trash", ".Junk", ".Archive"):
        assert os.path.isdir(os.path.join(root, f)), f
    assert pwd.getpwuid(os.stat(root).st_uid).pw_name == t.account
    assert os.stat(root).st_mode & 0o777 == 0o700
    # Mail over SMTP reaches the user, who reads it over IMAPS and POP3S with
    # the password just set (init's ports 993 and 995 style).
    send(t.port, ["alice@example.test"], subject="first")
    names = wait_files(maildir_of(t, "alice@example.test"), 1)
    assert len(names) == 1
    with open(os.path.join(maildir_of(t, "alice@example.test"), names[0]), "rb") as f:
        delivered = f.read()
    assert b"Subject: first" in delivered
    m = imaplib.IMAP4_SSL("127.0.0.1", t.ports[3], ssl_context=starttls_context())
    with pytest.raises(imaplib.IMAP4.error):
        m.login("alice@example.test", "wrong")
    m = imaplib.IMAP4_SSL("127.0.0.1", t.ports[3], ssl_context=starttls_context())
    assert m.login("alice@example.test", "s3cret")[0] == "OK"
    assert m.select("INBOX")[1] == [b"1"]
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert typ == "OK" and data[0][1].replace(b"\r\n", b"\n") == delivered.replace(b"\r\n", b"\n")
    m.logout()
    p = poplib.POP3_SSL("127.0.0.1", t.ports[4], context=starttls_context())
    p.user("alice@example.test")
    p.pass_("s3cret")
    assert p.uidl()[1] == [b"1 " + names[0].split(":")[0].encode()]
    p.quit()
    # The password works for submission, and the user may send as itself only.
    assert login(t.ports[1], "alice@example.test", "s3cret")
    assert not login(t.ports[1], "alice@example.test", "wrong")
    with smtplib.SMTP("127.0.0.1", t.ports[1], timeout=30) as s:
        s.starttls(context=starttls_context())
        s.login("alice@example.test", "s3cret")
        s.sendmail("alice@example.test", ["alice@example.test"], b"Subject: self\r\n\r\nx\r\n")
        with pytest.raises(smtplib.SMTPSenderRefused):
            s.sendmail("bob@example.test", ["alice@example.test"], b"Subject: no\r\n\r\nx\r\n")
    # The first one is in cur/ now (IMAP's SELECT and POP3 took it from new/).
    assert len(wait_files(maildir_of(t, "alice@example.test"), 1)) == 1
    assert len(os.listdir(os.path.join(root, "cur"))) == 1
    # user show: address, Maildir, quota and usage.
    info = json.loads(t.ctl("user", "show", "alice@example.test", "--json").stdout)
    assert info["maildir"] == root and info["messages"] == 2 and info["login"]
    assert info["password"] == "bcrypt"
    # Never restarted.
    assert t.proc.pid == pid and t.proc.poll() is None


def test_vpopmail_names(inst):
    t = inst
    t.start()
    conf = t.conf_path
    r = tegamictl("other.test", "pm-pass", conf=conf, prog="vadddomain")
    assert r.returncode == 0, r.stderr
    assert "added domain other.test" in r.stdout
    assert "added user postmaster@other.test" in r.stdout
    r = tegamictl("bob@other.test", "bob-pass", conf=conf, prog="vadduser")
    assert r.returncode == 0, r.stderr
    send(t.port, ["bob@other.test"], subject="to bob")
    assert len(wait_files(maildir_of(t, "bob@other.test"), 1)) == 1
    assert login(t.ports[1], "bob@other.test", "bob-pass")
    assert login(t.ports[1], "postmaster@other.test", "pm-pass")
    # bob reads it over POP3S, as vpopmail's users did.
    p = poplib.POP3_SSL("127.0.0.1", t.ports[4], context=starttls_context())
    p.user("bob@other.test")
    p.pass_("bob-pass")
    assert b"Subject: to bob" in b"\n".join(p.retr(1)[1])
    p.quit()
    r = tegamictl("bob@other.test", "new-pass", conf=conf, prog="vpasswd")
    assert r.returncode == 0, r.stderr
    assert login(t.ports[1], "bob@other.test", "new-pass")
    assert not login(t.ports[1], "bob@other.test", "bob-pass")
    # And over IMAPS with the new password only.
    m = imaplib.IMAP4_SSL("127.0.0.1", t.ports[3], ssl_context=starttls_context())
    with pytest.raises(imaplib.IMAP4.error):
        m.login("bob@other.test", "bob-pass")
    m = imaplib.IMAP4_SSL("127.0.0.1", t.ports[3], ssl_context=starttls_context())
    assert m.login("bob@other.test", "new-pass")[0] == "OK"
    assert m.select("INBOX")[1] == [b"1"]
    m.logout()
    r = tegamictl("bob@other.test", conf=conf, prog="vuserinfo")
    assert "bob@other.test" in r.stdout and maildir_of(t, "bob@other.test", "") in r.stdout
    # valias -i adds a forward ("&address" as vpopmail writes it), -s shows, -d deletes.
    r = tegamictl("-i", "&bob@other.test", "sales@other.test", conf=conf, prog="valias")
    assert r.returncode == 0, r.stderr
    assert "sales@other.test -> bob@other.test" in tegamictl("-s", "other.test", conf=conf,
                                                            prog="valias").stdout
    send(t.port, ["sales@other.test"], subject="to sales")
    # The first is in cur/ since bob read it; the one to sales is new.
    assert len(wait_files(maildir_of(t, "bob@other.test"), 1)) == 1
    assert len(os.listdir(maildir_of(t, "bob@other.test", "cur"))) == 1
    assert tegamictl("-d", "sales@other.test", conf=conf, prog="valias").returncode == 0
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(t.port, ["sales@other.test"])
    # vdeluser keeps the Maildir (tegami's rule: only --purge removes mail).
    r = tegamictl("bob@other.test", conf=conf, prog="vdeluser")
    assert r.returncode == 0 and "kept the Maildir" in r.stdout
    assert os.path.isdir(maildir_of(t, "bob@other.test"))
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(t.port, ["bob@other.test"])
    assert not login(t.ports[1], "bob@other.test", "new-pass")
    # The same names as tegamictl subcommands.
    r = t.ctl("vadduser", "carol@other.test", "c-pass")
    assert "added user carol@other.test" in r.stdout


def test_aliases_domains_and_removal(inst):
    t = inst
    t.start()
    t.ctl("user", "add", "alice@example.test", "--password-stdin", input="pw\n")
    t.ctl("alias", "add", "abuse@example.test", "alice@example.test")
    t.ctl("alias", "add", "abuse@example.test", "postmaster@example.test")
    r = t.ctl("alias", "list", "--json")
    assert json.loads(r.stdout) == [{"alias": "abuse@example.test",
                                     "targets": ["alice@example.test",
                                                 "postmaster@example.test"]}]
    info = json.loads(t.ctl("user", "show", "alice@example.test", "--json").stdout)
    assert info["aliases"] == ["abuse@example.test"]
    send(t.port, ["abuse@example.test"])
    assert len(wait_files(maildir_of(t, "alice@example.test"), 1)) == 1
    assert len(wait_files(maildir_of(t, "postmaster@example.test"), 1)) == 1
    t.ctl("alias", "del", "abuse@example.test", "postmaster@example.test")
    assert "abuse@example.test -> alice@example.test" in t.ctl("alias", "list").stdout
    # An alias of a domain not served here, a user as an alias, a loop: refused in one line.
    for args, words in ((("alias", "add", "x@nowhere.test", "alice@example.test"), "not served"),
                        (("alias", "add", "alice@example.test", "x@example.test"), "is a user"),
                        (("alias", "add", "me@example.test", "me@example.test"), "itself")):
        r = t.ctl(*args, check=False)
        assert r.returncode == 1 and words in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
    # A second domain, listed with its counts; deleting it takes its users along.
    t.ctl("domain", "add", "second.test")
    t.ctl("user", "add", "u@second.test", "--password-stdin", input="pw\n")
    lines = t.ctl("domain", "list").stdout.splitlines()
    assert any(ln.startswith("second.test") and "1 users" in ln for ln in lines)
    r = t.ctl("domain", "del", "second.test", "--purge")
    assert "removed domain second.test" in r.stdout
    assert not os.path.exists(maildir_of(t, "u@second.test", ""))
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(t.port, ["u@second.test"])
    # user del --purge removes the Maildir; without it the Maildir stays.
    r = t.ctl("user", "del", "alice@example.test")
    assert "kept the Maildir" in r.stdout and "abuse@example.test still points at" in r.stdout
    t.ctl("user", "add", "alice@example.test", "--password-stdin", input="pw2\n")
    t.ctl("user", "del", "alice@example.test", "--purge")
    assert not os.path.exists(maildir_of(t, "alice@example.test", ""))


def test_changes_without_a_daemon(inst):
    t = inst
    r = t.ctl("user", "add", "dave@example.test", "--password-stdin", input="pw\n")
    assert r.returncode == 0
    assert "tegamid is not running" in r.stdout
    t.start()
    send(t.port, ["dave@example.test"])
    assert len(wait_files(maildir_of(t, "dave@example.test"), 1)) == 1


def test_help_everywhere_and_one_line_errors(inst):
    t = inst
    progs = [["tegamictl"]] + [[n] for n in COMPAT]
    subs = [["init"], ["domain"], ["domain", "add"], ["user"], ["user", "add"],
            ["user", "show"], ["alias"], ["alias", "add"], ["dkim", "keygen"], ["dns"],
            ["import"], ["import", "vpopmail"], ["encrypt"], ["show"], ["schedule"],
            ["remove"], ["update"], ["reload"]] + [[n] for n in COMPAT]
    for argv in progs:
        for h in ("-h", "--help"):
            r = tegamictl(h, conf=t.conf_path, prog=argv[0])
            assert r.returncode == 0 and "usage" in r.stdout.lower(), (argv, h, r)
    for argv in subs:
        r = tegamictl(*argv, "-h", conf=t.conf_path)
        assert r.returncode == 0 and "usage" in r.stdout.lower(), (argv, r)
    # Wrong use: a non-zero exit with one line that says what is wrong.
    bad = [["frobnicate"], ["user"], ["user", "add"], ["user", "add", "not-an-address"],
           ["user", "add", "a@unknown.test", "--password-stdin"], ["user", "del", "x@example.test"],
           ["user", "add", "a@example.test", "--bogus"], ["domain", "add"],
           ["domain", "add", "bad..domain"], ["alias", "add", "x@example.test"],
           ["dkim", "keygen"], ["dns"], ["import", "vpopmail", "/nonexistent"],
           ["init", "--domain", "x.test"], ["show", "nothing"]]
    for argv in bad:
        r = tegamictl(*argv, conf=t.conf_path, input="pw\n")
        assert r.returncode != 0, argv
        err = r.stderr.strip()
        assert err and len(err.splitlines()) == 1, (argv, err)
    for name in COMPAT:
        r = tegamictl(conf=t.conf_path, prog=name)
        assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, (name, r)


def test_japanese_output(inst):
    t = inst
    ja = {"LANG": "ja_JP.UTF-8"}
    r = t.ctl("user", "add", "kenji@example.test", "--password-stdin", input="pw\n", env=ja)
    assert "ユーザー kenji@example.test を追加しました" in r.stdout, r.stdout
    assert "tegamid は動いていません" in r.stdout
    r = t.ctl("user", "add", "kenji@example.test", "--password-stdin", input="pw\n", env=ja,
              check=False)
    assert r.returncode == 1 and "すでにあります" in r.stderr
    r = tegamictl("-h", env=ja)
    assert "使い方" in r.stdout
    # English otherwise, and for a codeset that cannot show it.
    r = t.ctl("user", "show", "kenji@example.test", env={"LANG": "ja_JP.eucJP"})
    assert "address:" in r.stdout
    r = t.ctl("user", "show", "kenji@example.test", env=ja)
    assert "アドレス:" in r.stdout


def test_dkim_keygen(inst):
    t = inst
    r = t.ctl("dkim", "keygen", "example.test", "--selector", "2026a", "--type", "ed25519")
    key = os.path.join(t.dir, "dkim", "example.test.2026a.key")
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert "2026a._domainkey.example.test. IN TXT" in r.stdout
    assert "k=ed25519" in r.stdout
    assert 'dkim-sign domain example.test selector 2026a key "%s"' % key in r.stdout
    r = t.ctl("dkim", "keygen", "example.test", "--selector", "2026a", check=False)
    assert r.returncode == 1 and "File exists" in r.stderr
    r = t.ctl("dkim", "keygen", "example.test", "--bits", "512", "--selector", "x",
              check=False)
    assert r.returncode == 1 and "1024" in r.stderr


def test_make_run_says_how_to_read_the_demo(tmp_path):
    d = tempfile.mkdtemp(prefix="tegami-demo-")
    os.chmod(d, 0o755)
    env = dict(os.environ, TEGAMI_DEMO_DIR=os.path.join(d, "demo"),
               TEGAMI_DEMO_PORT=str(20000 + os.getpid() % 20000))
    p = subprocess.Popen(["sh", os.path.join(ROOT, "scripts", "run-demo.sh")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            out.append(line)
            if "Stop with Ctrl-C" in line:
                break
        text = "".join(out)
        conf = open(os.path.join(d, "demo", "tegami.conf")).read()
        imaps = [ln.split()[4] for ln in conf.splitlines() if " imaps " in ln]
        pop3s = [ln.split()[4] for ln in conf.splitlines() if " pop3s " in ln]
        assert imaps and pop3s
        assert "IMAP" in text and "POP3" in text, text
        assert "127.0.0.1 port %s" % imaps[0] in text and "127.0.0.1 port %s" % pop3s[0] in text
        assert "demo@example.test" in text
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
        subprocess.run(["rm", "-rf", d])
