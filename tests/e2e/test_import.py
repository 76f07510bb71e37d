"""Importers: a synthetic vpopmail tree and /var/qmail, seeds 002's and 003's Postfix, a Dovecot passwd-file.

Reading mail checks the Maildirs directly: IMAP and POP3 come later. When they
land, "mail is there" becomes an IMAP FETCH and "UIDLs equal the old names" a
POP3 UIDL (see the notes at each assertion).
"""
import imaplib
import json
import os
import poplib
import pwd
import shutil
import subprocess
import tempfile
import time
import warnings

import pytest

from admintest import (IS_ROOT, Instance, cleanup, init_instance, localize, login,
                       send, starttls_context, tegamictl, wait_files)
from relaytest import Sink, fetch_postfix, wait_for
from tegami import ROOT, account_names, bin_path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

MAILBOX_OWNER = account_names()[1]   # stands for the vpopmail account

# Base names as qmail-local and vpopmail wrote them: the POP3 UIDLs clients know.
ALICE_NEW = ["1316097371.86674.mail.example.jp,S=120"]
ALICE_CUR = ["1316000000.11111.mail.example.jp,S=118:2,S"]
BOB_NEW = ["1316415584.12000.mail.example.jp"]


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def maildir(root, new=(), cur=(), folders=()):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for name in new:
        write(os.path.join(root, "new", name), "Subject: old %s\n\nold mail\n" % name)
    for name in cur:
        write(os.path.join(root, "cur", name), "Subject: read %s\n\nread\n" % name)
    for f in folders:
        maildir(os.path.join(root, "." + f), cur=["1316000001.2.mail.example.jp:2,S"])
        write(os.path.join(root, "." + f, "maildirfolder"), "")


def chown_tree(top, account):
    if not IS_ROOT:
        return
    pw = pwd.getpwnam(account)
    for d, dirs, files in os.walk(top):
        os.chown(d, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(d, f), pw.pw_uid, pw.pw_gid)


def vpopmail_tree(top):
    """~vpopmail with one domain: $1$, clear and DES passwords, aliases, forwards, a catch-all."""
    vp = os.path.join(top, "vpopmail")
    dom = os.path.join(vp, "domains", "example.jp")
    alice_hash = crypt.crypt("alice-old", "$1$abcdefgh$")
    carol_hash = crypt.crypt("carol-old", "ab")          # DES
    write(os.path.join(dom, "vpasswd"),
          "alice:%s:1:0:Alice:/home/vpopmail/domains/example.jp/alice:NOQUOTA:alice-old\n"
          "bob::1:0:Bob:/home/vpopmail/domains/example.jp/bob:52428800S:bob-clear\n"
          "carol:%s:1:0:Carol:/home/vpopmail/domains/example.jp/carol:NOQUOTA\n"
          "dave:%s:1:0:Dave:/home/vpopmail/domains/example.jp/dave:NOQUOTA:dave-old\n"
          % (alice_hash, carol_hash, crypt.crypt("dave-old", "$1$zyxwvuts$")), 0o600)
    maildir(os.path.join(dom, "alice", "Maildir"), ALICE_NEW, ALICE_CUR, ["Sent"])
    maildir(os.path.join(dom, "bob", "Maildir"), BOB_NEW)
    maildir(os.path.join(dom, "carol", "Maildir"))
    maildir(os.path.join(dom, "dave", "Maildir"))
    # bob forwards only; dave forwards and keeps a copy.
    write(os.path.join(dom, "bob", ".qmail"), "&alice@example.jp\n")
    write(os.path.join(dom, "dave", ".qmail"), "&alice@example.jp\n./Maildir/\n")
    write(os.path.join(dom, ".qmail-sales"), "&alice@example.jp\n")
    write(os.path.join(dom, ".qmail-info:desk"),
          "/home/vpopmail/domains/example.jp/dave/Maildir/\n")
    write(os.path.join(dom, ".qmail-robot"), "|/usr/local/bin/autorespond\n")
    write(os.path.join(dom, ".qmail-default"),
          "| /home/vpopmail/bin/vdelivermail '' bounce-no-mailbox\n")
    chown_tree(vp, MAILBOX_OWNER)
    return vp


def qmail_tree(top, vp):
    q = os.path.join(top, "qmail")
    write(os.path.join(q, "control", "me"), "mail.example.jp\n")
    write(os.path.join(q, "control", "rcpthosts"), "example.jp\nbackup.example.net\n")
    write(os.path.join(q, "control", "virtualdomains"), "example.jp:example.jp\n")
    write(os.path.join(q, "control", "databytes"), "5000000\n")
    write(os.path.join(q, "control", "defaultdomain"), "example.jp\n")
    write(os.path.join(q, "users", "assign"),
          "+example.jp-:vpopmail:89:89:%s/domains/example.jp:-::\n.\n" % vp)
    return q


@pytest.fixture
def tmp_dir():
    """A directory the daemon's accounts can enter (pytest's tmp_path is private to root)."""
    d = tempfile.mkdtemp(prefix="tegami-import-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def trees():
    top = tempfile.mkdtemp(prefix="tegami-import-")
    os.chmod(top, 0o755)
    vp = vpopmail_tree(top)
    q = qmail_tree(top, vp)
    yield top, vp, q
    shutil.rmtree(top, ignore_errors=True)


def creds_of(conf_dir, address):
    with open(os.path.join(conf_dir, "creds")) as f:
        for line in f:
            if line.lower().startswith(address + ":") or line.lower().startswith(address + "\t"):
                return line.split(":", 1)[1].strip() if ":" in line else line.split()[1]
    return None


def test_qmail_then_vpopmail_in_place(trees):
    top, vp, q = trees
    out = os.path.join(top, "tegami")
    r = tegamictl("import", "qmail", q, "--dir", out, conf=os.path.join(out, "tegami.conf"))
    assert r.returncode == 0, r.stdout + r.stderr
    conf = os.path.join(out, "tegami.conf")
    with open(conf) as f:
        text = f.read()
    # qmail's control files as directives and tables.
    assert 'hostname "mail.example.jp"' in text
    assert "smtp max-message-size 5000000" in text
    assert '"%s/domains/%%{dest.domain:lowercase}/%%{dest.user:lowercase}/Maildir"' % vp in text
    with open(os.path.join(out, "relaydomains")) as f:
        assert f.read().split() == ["backup.example.net"]
    assert "defaultdomain" in r.stdout and "not carried over" in r.stdout
    assert subprocess.run([bin_path("tegamid"), "-n", "-f", conf]).returncode == 0

    ports = localize(conf)
    t = Instance(conf, ports[25])
    try:
        # A dry run writes nothing.
        before = open(os.path.join(out, "vusers")).read()
        r = t.ctl("import", "vpopmail", vp, "--dry-run")
        assert "dry run" in r.stdout and "alice@example.jp" in r.stdout
        assert open(os.path.join(out, "vusers")).read() == before

        r = t.ctl("import", "vpopmail", vp)
        report = r.stdout
        assert "Maildir kept in place" in report, report
        # What has no equivalent is said: the program. A DES hash is kept (it checks).
        assert "autorespond" in report and "not carried over" in report
        assert "carol@example.jp: no password" not in report
        assert len(creds_of(out, "carol@example.jp")) == 13
        # vpopmail's quota becomes the Maildir++ limit.
        with open(os.path.join(vp, "domains", "example.jp", "bob", "Maildir",
                               "maildirsize")) as f:
            assert f.readline().strip() == "52428800S"

        t.start()
        sub = ports[587]
        # Old passwords: $1$ as it was, a clear one kept as {PLAIN}.
        assert login(sub, "alice@example.jp", "alice-old")
        assert login(sub, "bob@example.jp", "bob-clear")
        assert not login(sub, "alice@example.jp", "wrong")

        # The mail is where it was, under the names POP3 clients know as UIDLs.
        home = os.path.join(vp, "domains", "example.jp")
        assert sorted(os.listdir(os.path.join(home, "alice", "Maildir", "new"))) == ALICE_NEW
        assert sorted(os.listdir(os.path.join(home, "alice", "Maildir", "cur"))) == ALICE_CUR
        info = json.loads(t.ctl("user", "show", "alice@example.jp", "--json").stdout)
        assert info["maildir"] == os.path.join(home, "alice", "Maildir")
        assert info["messages"] == 3

        # Aliases and forwards deliver; a user's Maildir named in .qmail-EXT is that user.
        alice_new = os.path.join(home, "alice", "Maildir", "new")
        send(t.port, ["sales@example.jp"], subject="to sales")
        send(t.port, ["bob@example.jp"], subject="to bob")
        send(t.port, ["dave@example.jp"], subject="to dave")
        send(t.port, ["info.desk@example.jp"], subject="to info.desk")
        # dave's Maildir named in .qmail-info:desk is imported as dave's
        # address (the dry run says "alias info.desk -> dave"), so dave's
        # forward to alice applies to it too: alice gets sales, bob, dave and
        # info.desk; dave his own copy and info.desk.
        dave_new = os.path.join(home, "dave", "Maildir", "new")
        assert len(wait_files(dave_new, 2)) == 2
        assert len(wait_files(alice_new, len(ALICE_NEW) + 4)) == len(ALICE_NEW) + 4
        time.sleep(0.5)     # nothing more arrives
        assert len(os.listdir(alice_new)) == len(ALICE_NEW) + 4
        assert len(os.listdir(dave_new)) == 2
        assert sorted(os.listdir(os.path.join(home, "bob", "Maildir", "new"))) == BOB_NEW
        # vdelivermail's bounce-no-mailbox: unknown users are refused.
        with pytest.raises(Exception):
            send(t.port, ["nobody@example.jp"])

        # Read with the old passwords: over POP3S the UIDLs are the base names
        # vpopmail's clients already have (nothing downloaded twice); over
        # IMAPS dave finds what was delivered to his Maildir.
        p = poplib.POP3_SSL("127.0.0.1", ports[995], context=starttls_context())
        p.user("alice@example.jp")
        p.pass_("alice-old")
        uidls = {line.split()[1].decode() for line in p.uidl()[1]}
        assert {n.split(":")[0] for n in ALICE_NEW + ALICE_CUR} <= uidls, uidls
        p.quit()
        m = imaplib.IMAP4_SSL("127.0.0.1", ports[993], ssl_context=starttls_context())
        assert m.login("dave@example.jp", "dave-old")[0] == "OK"
        assert m.select("INBOX")[1] == [b"2"]
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects = sorted(d[1].strip() for d in data if isinstance(d, tuple))
        assert subjects == [b"Subject: to dave", b"Subject: to info.desk"], subjects
        m.logout()
    finally:
        cleanup(t)


def test_old_hash_is_bcrypt_after_one_login(trees):
    top, vp, q = trees
    out = os.path.join(top, "tegami")
    conf = os.path.join(out, "tegami.conf")
    assert tegamictl("import", "qmail", q, "--dir", out, conf=conf).returncode == 0
    ports = localize(conf)
    t = Instance(conf, ports[25])
    try:
        t.ctl("import", "vpopmail", vp)
        assert creds_of(out, "alice@example.jp").startswith("$1$")
        assert creds_of(out, "bob@example.jp").startswith("{PLAIN}")
        t.start()
        assert login(ports[587], "alice@example.jp", "alice-old")
        assert login(ports[587], "bob@example.jp", "bob-clear")
        assert wait_for(lambda: creds_of(out, "alice@example.jp").startswith("$2b$"), 10)
        assert wait_for(lambda: "$2b$" in creds_of(out, "bob@example.jp"), 10)
        # The new hash takes the same password.
        t.ctl("reload")
        assert login(ports[587], "alice@example.jp", "alice-old")
    finally:
        cleanup(t)


def test_des_password_keeps_working(trees):
    top, vp, q = trees
    t = init_instance(domain="example.jp", host="mail.example.jp")
    try:
        t.ctl("import", "vpopmail", vp)
        t.start()
        assert login(t.ports[1], "carol@example.jp", "carol-old")
    finally:
        cleanup(t)


def test_vpopmail_copied_into_the_tegami_layout(trees):
    top, vp, q = trees
    t = init_instance(domain="example.jp", host="mail.example.jp")
    try:
        r = t.ctl("import", "vpopmail", vp)
        assert "copied from" in r.stdout, r.stdout
        dest = os.path.join(t.dir, "vmail", "example.jp", "alice", "Maildir")
        # Copied under the same names (POP3 UIDLs), folders included, owned by the mail account.
        assert sorted(os.listdir(os.path.join(dest, "new"))) == ALICE_NEW
        assert sorted(os.listdir(os.path.join(dest, "cur"))) == ALICE_CUR
        assert os.listdir(os.path.join(dest, ".Sent", "cur")) == ["1316000001.2.mail.example.jp:2,S"]
        st = os.stat(os.path.join(dest, "new", ALICE_NEW[0]))
        src = os.stat(os.path.join(vp, "domains", "example.jp", "alice", "Maildir", "new",
                                   ALICE_NEW[0]))
        assert int(st.st_mtime) == int(src.st_mtime)
        assert pwd.getpwuid(st.st_uid).pw_name == t.account
        # The source is left as it was.
        assert sorted(os.listdir(os.path.join(vp, "domains", "example.jp", "alice", "Maildir",
                                              "new"))) == ALICE_NEW
        t.start()
        assert login(t.ports[1], "alice@example.jp", "alice-old")
        send(t.port, ["sales@example.jp"])
        assert len(wait_files(os.path.join(dest, "new"), 2)) == 2
        # Importing again changes nothing and says why.
        r = t.ctl("import", "vpopmail", vp, check=False)
        assert "exists already" in r.stdout + r.stderr
    finally:
        cleanup(t)


def test_dovecot_passwd(tmp_dir):
    t = init_instance(domain="mtkn.example", host="mail.mtkn.example")
    try:
        pw = os.path.join(tmp_dir, "passwd")
        bhash = tegamictl("encrypt", "new-secret").stdout.strip()
        sha = crypt.crypt("sha-secret", "$6$saltsalt$")
        write(pw, "user@mtkn.example:%s:5000:5000::/var/vmail/mtkn.example/user::"
                      "userdb_quota_rule=*:storage=1G\n"
                      "other@second.example:{SHA512-CRYPT}%s\n"
                      "bare:{PLAIN}x\n" % (bhash, sha))
        r = t.ctl("import", "dovecot-passwd", pw, "--dry-run")
        assert "user@mtkn.example" in r.stdout and "dry run" in r.stdout
        r = t.ctl("import", "dovecot-passwd", pw)
        assert "bare has no domain" in r.stdout
        assert "domain second.example" in r.stdout
        info = json.loads(t.ctl("user", "show", "user@mtkn.example", "--json").stdout)
        assert info["quota_bytes"] == 1 << 30
        t.start()
        assert login(t.ports[1], "user@mtkn.example", "new-secret")
        assert login(t.ports[1], "other@second.example", "sha-secret")
    finally:
        cleanup(t)


@pytest.fixture(scope="module")
def postfix_sink():
    if not fetch_postfix():
        pytest.skip("Postfix's smtp-sink could not be fetched (apt-get download postfix)")


def postfix_dir(top, seed, extra_main=""):
    """A seed's Postfix directory from tests/data/import, its paths pointing here."""
    src = os.path.join(ROOT, "tests", "data", "import", seed)
    d = os.path.join(top, seed)
    shutil.copytree(src, d)
    for name in os.listdir(d):
        p = os.path.join(d, name)
        with open(p) as f:
            text = f.read()
        with open(p, "w") as f:
            f.write(text.replace("@DIR@", d))
    if extra_main:
        with open(os.path.join(d, "main.cf"), "a") as f:
            f.write(extra_main)
    return d


def test_postfix_seed002(tmp_dir, postfix_sink):
    """Seed 002: Postfix in front of qmail; mail for the vpopmail domains went to 127.0.0.1:10025."""
    sink = Sink()
    try:
        d = postfix_dir(tmp_dir, "seed002")
        # The qmail behind Postfix is a sink here: its port, not 10025.
        with open(os.path.join(d, "transport")) as f:
            text = f.read().replace("10025", str(sink.port))
        with open(os.path.join(d, "transport"), "w") as f:
            f.write(text)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "1", "-subj", "/CN=mail.example.gr.jp", "-keyout",
                        os.path.join(d, "dovecot.key"), "-out", os.path.join(d, "dovecot.pem")],
                       capture_output=True, check=True)
        os.chmod(os.path.join(d, "dovecot.key"), 0o600)
        out = os.path.join(tmp_dir, "tegami")
        conf = os.path.join(out, "tegami.conf")
        r = tegamictl("import", "postfix", d, "--dir", out, conf=conf)
        assert r.returncode == 0, r.stdout + r.stderr
        # The RBLs became filters, what has no equivalent is reported.
        assert "bl.spamcop.net" in open(conf).read()
        assert "reject_rhsbl_client rhsbl.ahbl.org" in r.stdout
        assert "check_client_access" in r.stdout
        assert subprocess.run([bin_path("tegamid"), "-n", "-f", conf],
                              capture_output=True).returncode == 0
        ports = localize(conf)
        t = Instance(conf, ports[25])
        try:
            t.start()
            # A vpopmail user behind Postfix: relayed to the backend, as transport_maps said.
            send(t.port, ["test@mailtest.example.jp"], subject="to the backend")
            send(t.port, ["x@sub.example.gr.jp"], subject="to a subdomain")
            # smtp-sink writes a dump as the transaction goes: wait for both
            # whole messages, not for two files (the second may still be empty).
            def both():
                text = b"".join(sink.dumps())
                return b"to the backend" in text and b"to a subdomain" in text
            assert wait_for(both, 30), (t.log()[-3000:], sink.dumps())
            # 127.0.0.1 is not in seed 002's mynetworks: no relaying for it, as Postfix.
            with pytest.raises(Exception):
                send(t.port, ["someone@elsewhere.example"])
        finally:
            cleanup(t)
    finally:
        sink.stop()


def test_postfix_seed003(tmp_dir, postfix_sink):
    """Seed 003: Ubuntu's Postfix; a virtual user added for the test, the Internet a relayhost sink."""
    sink = Sink()
    vbase = os.path.join(tmp_dir, "vmail")
    os.makedirs(vbase)
    if IS_ROOT:
        pw = pwd.getpwnam(account_names()[1])
        os.chown(vbase, pw.pw_uid, pw.pw_gid)
        uid = pw.pw_uid
    else:
        uid = os.getuid()
    try:
        d = postfix_dir(tmp_dir, "seed003",
                        "virtual_mailbox_domains = virtual.example\n"
                        "virtual_mailbox_base = %s\n"
                        "virtual_mailbox_maps = hash:@DIR@/vmailbox\n"
                        "virtual_uid_maps = static:%d\n"
                        "relayhost = [127.0.0.1]:%d\n" % (vbase, uid, sink.port))
        with open(os.path.join(d, "main.cf")) as f:
            text = f.read().replace("@DIR@", d)
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write(text)
        with open(os.path.join(d, "vmailbox"), "w") as f:
            f.write("info@virtual.example virtual.example/info/\n")
        out = os.path.join(tmp_dir, "tegami")
        conf = os.path.join(out, "tegami.conf")
        r = tegamictl("import", "postfix", d, "--dir", out, conf=conf)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "opendkim" in r.stdout and "opendmarc" in r.stdout
        assert "smtp max-message-size 10485760" in open(conf).read()
        assert subprocess.run([bin_path("tegamid"), "-n", "-f", conf],
                              capture_output=True).returncode == 0
        ports = localize(conf)
        t = Instance(conf, ports[25])
        try:
            t.start()
            send(t.port, ["info@virtual.example"], subject="to the virtual user")
            new = os.path.join(vbase, "virtual.example", "info", "new")
            assert len(wait_files(new, 1)) == 1, t.log()[-3000:]
            # 127.0.0.1 is in mynetworks: relayed through relayhost.
            send(t.port, ["someone@elsewhere.example"], subject="relayed")
            dumps = wait_for(lambda: sink.dumps(), 30)
            assert dumps and b"relayed" in b"".join(dumps), t.log()[-3000:]
            # message_size_limit holds.
            with pytest.raises(Exception):
                send(t.port, ["info@virtual.example"], body="x" * 11000000)
        finally:
            cleanup(t)
    finally:
        sink.stop()
