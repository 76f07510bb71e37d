"""Local delivery beyond Maildir: aliases(5) tables with an mbox file target, from the local enqueuer."""
import os
import subprocess

from tegami import IS_ROOT, bin_path

CONF = """\
hostname "mx.example.org"
spool "{dir}/spool"
socket "{dir}/tegami.sock"
user "{user}"
table aliases file:{dir}/aliases
listen on {host} port {port}
action "local_mail" mbox alias <aliases>
match from local for local action "local_mail"
"""


def test_alias_to_an_mbox_file_via_sendmail(make_tegami):
    t = make_tegami(start=False, conf=CONF)
    # aliases(5) file targets are written by the daemon's account (smtpd.conf(5)).
    boxes = os.path.join(t.dir, "boxes")
    os.mkdir(boxes)
    if IS_ROOT:
        import pwd
        pw = pwd.getpwnam(t.user)
        os.chown(boxes, pw.pw_uid, pw.pw_gid)
    box = os.path.join(boxes, "archive.mbox")
    t.write_table("aliases", "# aliases(5)\nroot: archive\narchive: %s\n" % box)
    t.start()
    env = dict(os.environ, TEGAMI_CONF=t.conf_path)
    msg = b"Subject: to root\n\nFrom the start of a line\nsecond line\n"
    r = subprocess.run([bin_path("sendmail"), "-f", "cron@mx.example.org", "root"],
                       input=msg, capture_output=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    assert t.wait_queue_empty()
    with open(box, "rb") as f:
        data = f.read()
    # mboxrd: a From_ line, the added headers, the body with "From " quoted, a blank line after.
    assert data.startswith(b"From cron@mx.example.org ")
    assert b"Return-Path: <cron@mx.example.org>\n" in data
    assert b"\n>From the start of a line\nsecond line\n\n" in data
    assert b"\r\n" not in data
    if IS_ROOT:
        assert os.stat(box).st_uid == pw.pw_uid


def test_system_account_mbox_in_var_mail(make_tegami):
    """root: vmail in aliases(5) lands in /var/mail/vmail, written as vmail (group mail, like mail.local)."""
    import pwd

    import pytest
    if not IS_ROOT or not os.path.isdir("/var/mail"):
        pytest.skip("needs a root start and /var/mail")
    box = "/var/mail/%s" % "vmail"
    saved = None
    if os.path.exists(box):
        with open(box, "rb") as f:
            saved = f.read()
        os.unlink(box)
    try:
        t = make_tegami(start=False, conf=CONF)
        t.write_table("aliases", "root: vmail\n")
        t.start()
        env = dict(os.environ, TEGAMI_CONF=t.conf_path)
        r = subprocess.run([bin_path("sendmail"), "-f", "cron@mx.example.org", "root"],
                           input=b"Subject: daily report\n\nall well\n",
                           capture_output=True, env=env, timeout=30)
        assert r.returncode == 0, r.stderr
        assert t.wait_queue_empty(), t.ctl("show", "queue").stdout
        with open(box, "rb") as f:
            data = f.read()
        assert data.startswith(b"From cron@mx.example.org ")
        assert b"Subject: daily report\n" in data and b"\nall well\n\n" in data
        st = os.stat(box)
        assert st.st_uid == pwd.getpwnam("vmail").pw_uid
        assert not os.path.exists(box + ".lock")
    finally:
        if os.path.exists(box):
            os.unlink(box)
        if saved is not None:
            with open(box, "wb") as f:
                f.write(saved)
