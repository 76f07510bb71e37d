"""IMAP with the clients people run: mbsync (isync) both ways with nothing spurious, curl imaps://, fetchmail over IMAP, neomutt reading a message."""
import os
import pty
import select
import shutil
import signal
import subprocess
import time

import pytest

from mailread import PASSWORD, reading_tegami, send

ALICE = "alice@example.org"


@pytest.fixture
def t(make_tegami, tmp_path):
    return reading_tegami(make_tegami, tmp_path)


def deliver(t, n, subject="message"):
    have = len(t.messages(ALICE))
    for i in range(n):
        send(t, ALICE, subject="%s %d" % (subject, i))
        t.wait_messages(ALICE, have + i + 1)


def root(t):
    return os.path.dirname(t.maildir(ALICE, "new"))


def tree(d):
    """{folder-relative path: sorted file names of new/ and cur/} under a Maildir."""
    out = {}
    for dirpath, dirnames, files in os.walk(d):
        if os.path.basename(dirpath) in ("new", "cur"):
            out[os.path.relpath(dirpath, d)] = sorted(files)
    return out


def server_tree(t):
    return tree(root(t))


# ---- mbsync ----

def mbsyncrc(t, tmp_path):
    local = tmp_path / "local"
    local.mkdir(exist_ok=True)
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        "IMAPAccount srv\n"
        "Host 127.0.0.1\n"
        "Port %d\n"
        "User %s\n"
        "Pass \"%s\"\n"
        "SSLType IMAPS\n"
        # mbsync matches names, not addresses: the server's own certificate is trusted as is.
        "CertificateFile %s\n"
        "\n"
        "IMAPStore remote\n"
        "Account srv\n"
        "\n"
        "MaildirStore local\n"
        "Path %s/\n"
        "Inbox %s/INBOX\n"
        "SubFolders Verbatim\n"
        "\n"
        "Channel all\n"
        "Far :remote:\n"
        "Near :local:\n"
        "Patterns *\n"
        "Create Both\n"
        "Expunge Both\n"
        "SyncState *\n"
        "Sync All\n" % (t.ports["imaps"], ALICE, PASSWORD,
                         os.path.join(os.path.dirname(t.ca.crt), "mx.example.org.crt"),
                         local, local))
    return rc, local


def mbsync(rc, tmp_path, t=None):
    env = dict(os.environ, HOME=str(tmp_path))
    r = subprocess.run(["mbsync"] + os.environ.get("MBSYNC_FLAGS", "").split() + ["-c", str(rc), "-a"], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 0, r.stdout + r.stderr + (t.log()[-3000:] if t else "")
    return r.stdout + r.stderr


def local_flags(local, folder="INBOX"):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(local, folder, sub)
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            out.append(n.split(":2,")[1] if ":2," in n else "")
    return sorted(out)


def test_mbsync_both_ways_twice_with_no_spurious_changes(t, tmp_path):
    if shutil.which("mbsync") is None:
        pytest.skip("mbsync (isync) not installed")
    deliver(t, 3)
    rc, local = mbsyncrc(t, tmp_path)
    mbsync(rc, tmp_path, t)
    # Everything came down: INBOX and the special folders.
    assert len(os.listdir(local / "INBOX" / "cur")) + len(os.listdir(local / "INBOX" / "new")) == 3
    for f in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert (local / f).is_dir(), os.listdir(local)

    # Local changes: one message read and flagged, one deleted, one written.
    cur = local / "INBOX" / "cur"
    new = local / "INBOX" / "new"
    files = sorted(os.listdir(cur)) + sorted(os.listdir(new))
    src = [cur / f if (cur / f).exists() else new / f for f in files]
    os.rename(src[0], cur / (files[0].split(":2,")[0] + ":2,FS"))
    os.unlink(src[1])
    with open(local / "Drafts" / "cur" / "1700000000.local1.host:2,DS", "wb") as f:
        f.write(b"From: alice@example.org\r\nSubject: a draft\r\n\r\nwritten offline\r\n")
    # A server change at the same time: a new delivery.
    deliver(t, 1, subject="server side")
    mbsync(rc, tmp_path, t)
    s = server_tree(t)
    inbox = s["new"] + s["cur"]
    assert len(inbox) == 3, s       # 3 - 1 deleted + 1 delivered
    assert sum(1 for n in inbox if n.endswith(":2,FS")) == 1, inbox
    assert len(s[".Drafts/cur"]) == 1 and s[".Drafts/cur"][0].endswith(":2,DS"), s
    assert local_flags(local) == sorted(["FS", "", ""]) or len(local_flags(local)) == 3

    # Twice more: nothing changes on either side.
    before_s, before_l = server_tree(t), tree(str(local))
    mbsync(rc, tmp_path, t)
    mbsync(rc, tmp_path, t)
    assert server_tree(t) == before_s
    assert tree(str(local)) == before_l


# ---- curl ----

def test_curl_lists_and_fetches_over_imaps(t):
    deliver(t, 2)
    base = ["curl", "-s", "--cacert", t.ca.crt, "--user", "%s:%s" % (ALICE, PASSWORD)]
    url = "imaps://127.0.0.1:%d/" % t.ports["imaps"]
    r = subprocess.run(base + [url], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert b'"/" INBOX' in r.stdout and b"\\Sent" in r.stdout, r.stdout
    r = subprocess.run(base + [url + "INBOX/;UID=2"], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert b"Subject: message 1" in r.stdout and b"a message for reading" in r.stdout
    r = subprocess.run(base + [url + "INBOX?ALL"], capture_output=True, timeout=30)
    assert r.returncode == 0 and b"SEARCH 1 2" in r.stdout, r.stdout


# ---- fetchmail ----

def test_fetchmail_over_imap_retrieves_and_removes(t, tmp_path):
    if shutil.which("fetchmail") is None:
        pytest.skip("fetchmail not installed")
    deliver(t, 2)
    rc = tmp_path / "fetchmailrc"
    out = tmp_path / "fetched.mbox"
    rc.write_text(
        'poll mx.example.org via 127.0.0.1 with proto IMAP service %d\n'
        '  user "%s" there with password "%s"\n'
        '  ssl sslcertck sslcertfile "%s" sslcommonname "mx.example.org"\n'
        '  mda "/bin/sh -c \'cat >> %s\'"\n'
        '  fetchall\n' % (t.ports["imaps"], ALICE, PASSWORD, t.ca.crt, out))
    rc.chmod(0o600)
    env = dict(os.environ, HOME=str(tmp_path), FETCHMAILHOME=str(tmp_path))
    r = subprocess.run(["fetchmail", "-f", str(rc), "--nosyslog", "-v"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    got = out.read_bytes()
    assert got.count(b"Subject: message") == 2, got
    # fetchmail flags what it took \Deleted and expunges it: gone from the Maildir.
    s = server_tree(t)
    assert s["new"] == [] and s["cur"] == [], s


# ---- neomutt ----

def test_neomutt_reads_a_message(t, tmp_path):
    deliver(t, 1, subject="for neomutt")
    shown = tmp_path / "shown.txt"
    rc = tmp_path / "neomuttrc"
    rc.write_text(
        'set folder="imaps://%s@127.0.0.1:%d/"\n'
        'set spoolfile="+INBOX"\n'
        'set imap_pass="%s"\n'
        'set ssl_ca_certificates_file="%s"\n'
        'set ssl_verify_host=no\n'
        'set imap_check_subscribed=no\n'
        'set header_cache=""\n'
        'set message_cachedir=""\n'
        'set wait_key=no\n'
        'set pager="sh -c \'cat \\"$0\\" > %s\'"\n'
        'set confirmappend=no\n' % (ALICE.replace("@", "%40"), t.ports["imaps"], PASSWORD,
                                     t.ca.crt, shown))
    env = dict(os.environ, HOME=str(tmp_path), TERM="xterm", COLUMNS="100", LINES="30")
    # Driven on a terminal the way a person does: wait for the index, Enter shows the
    # message (the pager writes it to a file), then q and y quit.
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("neomutt", ["neomutt", "-n", "-F", str(rc)], env)
    screen = b""

    def wait_for(what, seconds=20):
        nonlocal screen
        deadline = time.time() + seconds
        while time.time() < deadline:
            if what(screen):
                return True
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    break
        return what(screen)

    try:
        assert wait_for(lambda sc: b"for neomutt 0" in sc), screen[-2000:]
        os.write(fd, b"\r")
        assert wait_for(lambda sc: shown.exists() and shown.stat().st_size > 0), screen[-2000:]
        # Quitting writes \\Seen back (neomutt peeks, then stores the flag it set).
        for _ in range(40):
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                pid = 0
                break
            os.write(fd, b"y" if b"yes/no" in screen[-300:] else b"q")
            screen = b""
            wait_for(lambda sc: False, seconds=0.5)
    finally:
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
        os.close(fd)
    text = shown.read_text(errors="replace")
    assert "for neomutt 0" in text and "a message for reading" in text, text
    # Reading it set \Seen on the server, in the file name.
    s = server_tree(t)
    assert len(s["cur"]) == 1 and s["cur"][0].endswith("S"), s
