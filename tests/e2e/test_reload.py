"""Reload: tables and config change without a restart, sessions survive, broken configs are refused."""
import os
import re
import signal
import smtplib
import subprocess
import time

from tegami import bin_path


def rcpt_code(t, addr):
    with smtplib.SMTP(t.host, t.port) as s:
        s.ehlo()
        s.mail("s@example.com")
        return s.rcpt(addr)[0]


def test_update_table_adds_a_user_without_restart(tegami):
    assert rcpt_code(tegami, "dave@example.org") == 550
    tegami.write_table("vusers", {"alice@example.org": tegami.account,
                                  "dave@example.org": tegami.account})
    r = tegami.ctl("update", "table", "vusers")
    assert "table vusers reloaded (2 entries)" in r.stdout
    assert rcpt_code(tegami, "dave@example.org") == 250
    # bob was removed from the table: refused now.
    assert rcpt_code(tegami, "bob@example.org") == 550


def test_update_unknown_table_is_an_error(tegami):
    r = tegami.ctl("update", "table", "nosuch", check=False)
    assert r.returncode == 1
    assert "no table named nosuch" in r.stdout


def test_sighup_keeps_open_session_and_applies_new_config(tegami):
    old = smtplib.SMTP(tegami.host, tegami.port)
    old.ehlo()
    old.mail("s@example.com")
    assert old.rcpt("alice@example.org")[0] == 250
    tegami.write_table("vusers", {"alice@example.org": tegami.account,
                                  "erin@example.org": tegami.account})
    tegami.proc.send_signal(signal.SIGHUP)
    # A new connection sees the new table once the new smtp process accepts.
    for _ in range(100):
        if rcpt_code(tegami, "erin@example.org") == 250:
            break
    else:
        raise AssertionError("reload did not take effect")
    # The session opened before the reload goes on to the end.
    code, _ = old.data(b"Subject: across a reload\r\n\r\nstill here\r\n")
    assert code == 250
    old.quit()
    msgs = tegami.wait_messages("alice@example.org", 1)
    assert len(msgs) == 1 and b"still here" in msgs[0]
    # The smtp process took the new configuration in place (no new generation to drain).
    assert re.search(r"smtp\[\d+\]: configuration 1 applied", tegami.log())


def test_broken_config_on_reload_keeps_the_running_one(tegami):
    tegami.rewrite_conf(lambda t: t + "\nmatch from any for domain <nosuchtable> action \"deliver\"\n")
    r = tegami.ctl("reload", check=False)
    assert r.returncode == 1
    assert "nosuchtable" in r.stdout
    assert tegami.proc.poll() is None
    assert rcpt_code(tegami, "alice@example.org") == 250


def test_check_flag_reports_file_and_line(tegami):
    tegami.rewrite_conf(lambda t: t + "\nlisten on 127.0.0.1 port 99999\n")
    r = subprocess.run([bin_path("tegamid"), "-n", "-f", tegami.conf_path],
                       capture_output=True, text=True)
    assert r.returncode == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith(tegami.conf_path + ":")]
    assert lines, r.stderr
    assert "99999" in lines[0] or "port" in lines[0]


def test_update_table_changes_routing_in_place_with_the_same_processes(tegami):
    # Every process up (a delivery agent too) before the change.
    with smtplib.SMTP(tegami.host, tegami.port) as s:
        s.sendmail("s@example.com", ["alice@example.org"], b"Subject: one\r\n\r\nx\r\n")
    assert len(tegami.wait_messages("alice@example.org", 1)) == 1
    before = sorted(tegami.pids())
    assert rcpt_code(tegami, "frank@example.org") == 550
    tegami.write_table("vusers", {"alice@example.org": tegami.account,
                                  "frank@example.org": tegami.account})
    r = tegami.ctl("update", "table", "vusers")
    assert "table vusers reloaded (2 entries)" in r.stdout
    # The answer comes once every process applied it: routing changed at once.
    assert rcpt_code(tegami, "frank@example.org") == 250
    assert rcpt_code(tegami, "bob@example.org") == 550
    assert sorted(tegami.pids()) == before


def test_reload_with_a_shorter_ttl_expires_a_deferred_message(make_tegami):
    t = make_tegami(globals_="queue ttl 1h\nqueue backoff 1h 1h")
    # carol's domain directory is closed to the mail account: the delivery waits.
    blocker = os.path.join(t.vmail, "example.net")
    os.makedirs(blocker)
    os.chmod(blocker, 0o000)
    with smtplib.SMTP(t.host, t.port) as s:
        s.sendmail("alice@example.org", ["carol@example.net"],
                   b"Subject: waits\r\n\r\nbody\r\n")
    deadline = time.time() + 15
    while "delivery deferred" not in t.log() and time.time() < deadline:
        time.sleep(0.05)
    assert "delivery deferred" in t.log()
    t.rewrite_conf(lambda c: c.replace("queue ttl 1h", "queue ttl 3s"))
    r = t.ctl("reload")
    assert "configuration reloaded" in r.stdout
    # The next try was an hour away; the new ttl brings the expiry, and its bounce.
    bounces = t.wait_messages("alice@example.org", 1, timeout=20)
    assert len(bounces) == 1, t.log()[-3000:]
    assert b"Status: 4.4.7" in bounces[0]
    assert "delivery expired" in t.log()
    assert t.wait_queue_empty()
