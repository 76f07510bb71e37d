"""Privilege separation: only the parent is root; network parsing and mail writing run unprivileged."""
import os
import pwd
import smtplib

import pytest

from tegami import IS_ROOT


def proc_info(pid):
    info = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            info[k] = v.strip()
    with open("/proc/%d/comm" % pid) as f:
        info["comm"] = f.read().strip()
    return info


def by_name(t):
    out = {}
    for pid in t.pids():
        try:
            info = proc_info(pid)
        except OSError:
            continue
        out.setdefault(info["comm"], []).append(info)
    return out


def real_uid(info):
    return int(info["Uid"].split()[0]), int(info["Uid"].split()[1])


@pytest.mark.skipif(not IS_ROOT, reason="privilege separation needs a root start")
def test_process_accounts_when_started_as_root(tegami):
    with smtplib.SMTP(tegami.host, tegami.port) as s:
        s.sendmail("s@example.com", ["alice@example.org"], b"Subject: p\r\n\r\nx\r\n")
    assert len(tegami.wait_messages("alice@example.org", 1)) == 1
    procs = by_name(tegami)
    daemon = pwd.getpwnam("_tegami").pw_uid
    vmail = pwd.getpwnam("vmail").pw_uid
    assert real_uid(procs["tegamid"][0]) == (0, 0)
    # SMTP parsing and the queue: the unprivileged daemon account, real and effective.
    for name in ("tegami-smtp", "tegami-queue"):
        assert name in procs, procs.keys()
        for info in procs[name]:
            assert real_uid(info) == (daemon, daemon), (name, info["Uid"])
            assert info["Groups"].split() == [str(pwd.getpwnam("_tegami").pw_gid)]
    # Mail is written as the owner of the mail tree.
    assert [real_uid(i) for i in procs["tegami-mda"]] == [(vmail, vmail)]
    # And it owns what it wrote.
    d = tegami.maildir("alice@example.org")
    name = os.listdir(d)[0]
    assert os.stat(os.path.join(d, name)).st_uid == vmail
    assert os.stat(os.path.dirname(d)).st_uid == vmail
    # The spool belongs to the daemon account, private.
    st = os.stat(os.path.join(tegami.spool, "queue"))
    assert st.st_uid == daemon and (st.st_mode & 0o077) == 0


def test_no_delivery_agent_for_root(make_tegami):
    if not IS_ROOT:
        pytest.skip("needs a root start")
    t = make_tegami(start=False)
    t.write_table("vusers", {"alice@example.org": "root"})
    t.start()
    with smtplib.SMTP(t.host, t.port) as s:
        s.sendmail("s@example.com", ["alice@example.org"], b"Subject: p\r\n\r\nx\r\n")
    # Refused as a delivery account: the message waits in the queue with the reason.
    for _ in range(100):
        out = t.ctl("show", "queue").stdout
        if "refusing to deliver as root" in out:
            break
        import time
        time.sleep(0.05)
    assert "refusing to deliver as root" in out
    assert t.messages("alice@example.org") == []


def test_admin_commands_refused_to_other_users(tegami):
    if not IS_ROOT:
        pytest.skip("needs another account to run as")
    import subprocess
    from tegami import bin_path
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        bin_path("tegamictl"), "-f", tegami.conf_path, "show", "queue"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "permission denied" in r.stdout
