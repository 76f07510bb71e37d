"""Bounces and delivery status notifications (RFC 3464, RFC 3461): failures, expiry, delay warnings, queue control."""
import email
import json
import os
import smtplib
import time

from tegami import wait_until

SENDER = "alice@example.org"
MSG = (b"Subject: lunch\r\nMessage-ID: <m1@example.org>\r\nFrom: Alice <alice@example.org>\r\n"
       b"\r\nShall we meet at noon?\r\n")


def broken_mailbox(t, address="carol@example.net"):
    """The user's mail directory is a regular file: Maildir creation fails with ENOTDIR, for good."""
    local, domain = address.split("@")
    os.makedirs(os.path.join(t.vmail, domain), exist_ok=True)
    with open(os.path.join(t.vmail, domain, local), "w") as f:
        f.write("not a directory\n")


def blocked_domain(t, domain="example.net"):
    """The domain's directory cannot be written: every delivery there fails temporarily."""
    path = os.path.join(t.vmail, domain)
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o555)


def send(t, rcpts, msg=MSG, sender=SENDER, mail_options=(), rcpt_options=()):
    with smtplib.SMTP(t.host, t.port) as s:
        s.ehlo()
        s.sendmail(sender, rcpts, msg, mail_options=list(mail_options),
                   rcpt_options=list(rcpt_options))


def report(stored):
    """The DSN as Python's email parser reads it: (message, per-message fields, [per-recipient fields])."""
    m = email.message_from_bytes(stored)
    assert m.get_content_type() == "multipart/report", m.get_content_type()
    assert m.get_param("report-type") == "delivery-status"
    parts = m.get_payload()
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "message/delivery-status"
    blocks = parts[1].get_payload()
    return m, blocks[0], blocks[1:]


def test_permanent_failure_bounces_to_the_local_sender(make_tegami):
    t = make_tegami(start=False)
    broken_mailbox(t)
    t.start()
    send(t, ["carol@example.net"], mail_options=["ENVID=QQ314159"],
         rcpt_options=["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;Carol+2Bx@example.net"])
    msgs = t.wait_messages(SENDER, 1)
    assert len(msgs) == 1, t.log()[-3000:]
    m, per_msg, per_rcpt = report(msgs[0])
    assert m["From"] == "Mail Delivery System <MAILER-DAEMON@mx.example.org>"
    assert m["To"] == "<alice@example.org>"
    assert m["Subject"] == "Undelivered Mail Returned to Sender"
    assert m["Auto-Submitted"] == "auto-replied"
    assert m["Message-ID"] and m["Date"]
    assert msgs[0].startswith(b"Return-Path: <>\n")
    assert per_msg["Reporting-MTA"] == "dns; mx.example.org"
    assert per_msg["Original-Envelope-Id"] == "QQ314159"
    assert per_msg["Arrival-Date"]
    assert len(per_rcpt) == 1
    r = per_rcpt[0]
    assert r["Final-Recipient"] == "rfc822; carol@example.net"
    assert r["Original-Recipient"] == "rfc822; Carol+x@example.net"
    assert r["Action"] == "failed"
    assert r["Status"] == "5.0.0"
    assert r["Last-Attempt-Date"]
    assert "Not a directory" in m.get_payload()[0].get_payload()
    # RET not given: the header only (RFC 3461 4.3).
    third = m.get_payload()[2]
    assert third.get_content_type() == "text/rfc822-headers"
    text = third.get_payload()
    assert "Subject: lunch" in text and "Shall we meet" not in text
    assert t.wait_queue_empty()
    log = t.log()
    assert "delivery failed from=<alice@example.org> to=<carol@example.net>" in log
    assert "bounce=none" not in log


def test_ret_full_returns_the_whole_message(make_tegami):
    t = make_tegami(start=False)
    broken_mailbox(t)
    t.start()
    send(t, ["carol@example.net"], mail_options=["RET=FULL"])
    msgs = t.wait_messages(SENDER, 1)
    assert len(msgs) == 1, t.log()[-3000:]
    m, _, per_rcpt = report(msgs[0])
    assert per_rcpt[0]["Final-Recipient"] == "rfc822; carol@example.net"
    assert "Original-Recipient" not in per_rcpt[0]
    third = m.get_payload()[2]
    assert third.get_content_type() == "message/rfc822"
    inner = third.get_payload()[0]
    assert inner["Subject"] == "lunch"
    assert inner.get_payload() == "Shall we meet at noon?\n"


def test_notify_never_gets_no_report(make_tegami):
    t = make_tegami(start=False)
    broken_mailbox(t)
    t.start()
    send(t, ["carol@example.net"], rcpt_options=["NOTIFY=NEVER"])
    assert t.wait_queue_empty()
    assert wait_until(lambda: "bounce=none (NOTIFY=NEVER)" in t.log()), t.log()[-2000:]
    time.sleep(0.5)
    assert t.messages(SENDER) == []


def test_notify_success_gets_a_delivered_report(make_tegami):
    t = make_tegami()
    send(t, ["bob@example.org"], rcpt_options=["NOTIFY=SUCCESS"])
    assert len(t.wait_messages("bob@example.org", 1)) == 1
    msgs = t.wait_messages(SENDER, 1)
    assert len(msgs) == 1, t.log()[-3000:]
    m, _, per_rcpt = report(msgs[0])
    assert m["Subject"] == "Successful Mail Delivery Report"
    assert per_rcpt[0]["Action"] == "delivered"
    assert per_rcpt[0]["Status"] == "2.0.0"
    assert per_rcpt[0]["Final-Recipient"] == "rfc822; bob@example.org"
    # Without NOTIFY nobody is told of a success.
    send(t, ["bob@example.org"])
    assert len(t.wait_messages("bob@example.org", 2)) == 2
    assert t.wait_queue_empty()
    time.sleep(0.5)
    assert len(t.messages(SENDER)) == 1


def test_null_sender_failure_is_dropped_and_logged(make_tegami):
    t = make_tegami(start=False)
    broken_mailbox(t)
    t.start()
    send(t, ["carol@example.net"], sender="")
    assert t.wait_queue_empty()
    assert wait_until(lambda: "bounce=none (null sender)" in t.log()), t.log()[-2000:]
    line = [ln for ln in t.log().splitlines() if "bounce=none (null sender)" in ln][0]
    assert "delivery failed from=<> to=<carol@example.net>" in line
    time.sleep(0.5)
    assert not [d for d in os.listdir(t.vmail) if d != "example.net"]


def test_undeliverable_bounce_is_dropped_not_looped(make_tegami):
    t = make_tegami(start=False)
    broken_mailbox(t)
    # The sender's own mailbox is broken too: its bounce fails and, having the null sender, stops there.
    broken_mailbox(t, "bob@example.org")
    t.start()
    send(t, ["carol@example.net"], sender="bob@example.org")
    assert wait_until(lambda: "bounce=none (null sender)" in t.log())
    assert t.wait_queue_empty()
    log = t.log()
    assert log.count("report-for=") == 1, log[-3000:]
    # A sender no rule can route: logged and dropped.
    send(t, ["carol@example.net"], sender="nobody@example.org")
    assert wait_until(lambda: "bounce=none (sender unroutable" in t.log()), t.log()[-2000:]
    assert t.wait_queue_empty()


def test_expired_message_bounces_with_4_4_7(make_tegami):
    t = make_tegami(start=False, globals_="queue ttl 2s")
    blocked_domain(t)
    t.start()
    send(t, ["carol@example.net"])
    assert wait_until(lambda: "carol@example.net" in t.ctl("show", "queue").stdout)
    time.sleep(2.2)
    t.ctl("schedule", "all")
    msgs = t.wait_messages(SENDER, 1)
    assert len(msgs) == 1, t.log()[-3000:]
    m, _, per_rcpt = report(msgs[0])
    assert per_rcpt[0]["Action"] == "failed"
    assert per_rcpt[0]["Status"] == "4.4.7"
    assert per_rcpt[0]["Final-Recipient"] == "rfc822; carol@example.net"
    text = m.get_payload()[0].get_payload()
    assert "Message expired after" in text and "Permission denied" in text
    assert t.wait_queue_empty()
    assert "delivery expired" in t.log()


def test_action_ttl_expires_before_the_queue_ttl(make_tegami):
    t = make_tegami(start=False)
    t.rewrite_conf(lambda s: s.replace("virtual <vusers>\n", "virtual <vusers> ttl 1s\n", 1))
    blocked_domain(t)
    t.start()
    send(t, ["carol@example.net"])
    # The next round is due when the delivery expires: no schedule needed.
    msgs = t.wait_messages(SENDER, 1, timeout=20)
    assert len(msgs) == 1, t.log()[-3000:]
    _, _, per_rcpt = report(msgs[0])
    assert per_rcpt[0]["Status"] == "4.4.7"
    assert t.wait_queue_empty()


def test_delay_warning_once_per_interval(make_tegami):
    t = make_tegami(start=False, globals_="bounce warn-interval 1s")
    blocked_domain(t)
    t.start()
    send(t, ["carol@example.net", "bob@example.org"])
    assert len(t.wait_messages("bob@example.org", 1)) == 1
    time.sleep(1.2)
    t.ctl("schedule", "all")
    msgs = t.wait_messages(SENDER, 1)
    assert len(msgs) == 1, t.log()[-3000:]
    m, _, per_rcpt = report(msgs[0])
    assert m["Subject"] == "Delayed Mail (still being retried)"
    assert len(per_rcpt) == 1
    r = per_rcpt[0]
    assert r["Action"] == "delayed"
    assert r["Final-Recipient"] == "rfc822; carol@example.net"
    assert r["Status"].startswith("4.")
    assert r["Will-Retry-Until"]
    assert m.get_payload()[2].get_content_type() == "text/rfc822-headers"
    # Still queued; another round sends no second warning for the same interval.
    assert len(t.queue_files()) == 1
    t.ctl("schedule", "all")
    time.sleep(1.0)
    assert len(t.messages(SENDER)) == 1
    # NOTIFY without DELAY: no warning at all.
    send(t, ["carol@example.net"], rcpt_options=["NOTIFY=FAILURE"])
    time.sleep(1.2)
    t.ctl("schedule", "all")
    time.sleep(1.0)
    assert len(t.messages(SENDER)) == 1


def test_show_queue_lists_recipients_errors_and_json(make_tegami):
    t = make_tegami(start=False)
    blocked_domain(t)
    t.start()
    send(t, ["carol@example.net"])
    out = wait_until(lambda: (lambda o: o if "Permission denied" in o else None)(
        t.ctl("show", "queue").stdout))
    assert out, t.ctl("show", "queue").stdout
    qid = t.queue_files()[0]
    first = out.splitlines()[0]
    assert first.startswith(qid + " ")
    assert "<alice@example.org>" in first and "pending=1/1" in first
    assert "carol@example.net" in out and "next=" in out
    r = t.ctl("show", "queue", "--json")
    data = json.loads(r.stdout)
    assert len(data) == 1
    q = data[0]
    assert q["id"] == qid and q["sender"] == SENDER and q["size"] > 0 and q["age"] >= 0
    assert q["pending"] == 1 and q["next_try"] >= 0
    assert q["recipients"] == [{"rcpt": "carol@example.net", "dest": "carol@example.net",
                                "error": q["recipients"][0]["error"]}]
    assert "Permission denied" in q["recipients"][0]["error"]
    # mailq prints what show queue prints.
    mq = os.path.join(os.path.dirname(t.ctl("show", "queue").args[0]), "mailq")
    import subprocess
    r2 = subprocess.run([mq], capture_output=True, text=True, timeout=30,
                        env=dict(t.env, TEGAMI_CONF=t.conf_path))
    assert r2.stdout.splitlines()[0].split()[0] == qid
    stats = t.ctl("show", "stats").stdout
    assert "deferred=" in stats and "bounces=" in stats and "expired=" in stats


def test_dsn_offered_and_refused_on_no_dsn_listeners(make_tegami):
    from tegami import free_port
    port2 = free_port()
    t = make_tegami(listeners="listen on 127.0.0.1 port %d no-dsn" % port2)
    with smtplib.SMTP(t.host, t.port) as s:
        s.ehlo()
        assert s.has_extn("dsn")
        assert s.mail(SENDER, ["RET=HDRS", "ENVID=abc"])[0] == 250
        assert s.rcpt("bob@example.org", ["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;bob@example.org"])[0] == 250
    with smtplib.SMTP(t.host, port2) as s:
        s.ehlo()
        assert not s.has_extn("dsn")
        code, text = s.mail(SENDER, ["RET=FULL"])
        assert code == 555 and b"5.5.4" in text
        assert s.mail(SENDER)[0] == 250
        code, text = s.rcpt("bob@example.org", ["NOTIFY=NEVER"])
        assert code == 555 and b"5.5.4" in text
        assert s.rcpt("bob@example.org")[0] == 250
    # HELO sessions get no parameters at all.
    with smtplib.SMTP(t.host, t.port) as s:
        s.helo()
        code, _ = s.docmd("MAIL FROM:<alice@example.org> ENVID=x")
        assert code == 555


def test_remote_550_bounces_at_once_with_the_servers_reply(make_tegami):
    from test_srs import REMOTE_CONF
    remote = make_tegami(start=False, conf=REMOTE_CONF)
    remote.write_table("vusers", {"friend@remote.test": remote.account})
    remote.start()
    t = make_tegami(actions='action "out" relay host smtp://127.0.0.1:%d' % remote.port,
                    matches='match from any for domain "remote.test" action "out"')
    send(t, ["nobody@remote.test"], rcpt_options=["ORCPT=rfc822;nobody@remote.test"])
    msgs = t.wait_messages(SENDER, 1, timeout=30)
    assert len(msgs) == 1, t.log()[-3000:]
    m, _, per_rcpt = report(msgs[0])
    r = per_rcpt[0]
    assert r["Action"] == "failed"
    assert r["Status"] == "5.1.1"
    assert r["Final-Recipient"] == "rfc822; nobody@remote.test"
    assert r["Remote-MTA"].startswith("dns; ")
    assert r["Diagnostic-Code"].startswith("smtp; 550")
    assert t.wait_queue_empty()


def test_a_crash_around_the_bounce_commit_never_loses_the_bounce(make_tegami):
    """docs/queue.md: a failure is marked F only after its bounce is committed, so a crash sends it twice at worst."""
    import pytest
    from tegami import has_crashpoints
    from test_durability import make_crash_log, read_ops
    if not has_crashpoints():
        pytest.skip("needs the crash-point build (make SAN=1)")
    t = make_tegami(start=False)
    broken_mailbox(t)
    log = make_crash_log(t)
    t.env["TEGAMI_CRASH_LOG"] = log
    t.start()
    send(t, ["carol@example.net"])
    assert len(t.wait_messages(SENDER, 1)) == 1
    assert t.wait_queue_empty()
    t.stop()
    ops = [(n, op) for name, n, op in read_ops(log) if name == "queue"]
    # The original's commit, the bounce's commit, then the F, then the bounce's own D.
    assert [op for _, op in ops] == ["pwrite", "fsync", "rename", "fsync_dir",
                                     "write", "pwrite", "fsync", "rename", "fsync_dir",
                                     "pwrite", "pwrite"], ops
    for n, op in ops[4:10]:
        t = make_tegami(start=False)
        broken_mailbox(t)
        t.env["TEGAMI_CRASH_LOG"] = make_crash_log(t)
        t.env["TEGAMI_CRASH_AT"] = "queue:%d" % n
        t.start()
        send(t, ["carol@example.net"])
        # The dead queue process is started again (its successor crashes no more).
        assert wait_until(lambda: "queue process" in t.log() and
                          "died (exit status 86), restarting" in t.log()), (n, op, t.log()[-2000:])
        t.stop()
        del t.env["TEGAMI_CRASH_AT"]
        t.start()
        msgs = t.wait_messages(SENDER, 1)
        assert t.wait_queue_empty(), (n, op, t.log()[-2000:])
        msgs = t.messages(SENDER)
        assert 1 <= len(msgs) <= 2, (n, op, len(msgs))
        for m in msgs:
            _, _, per_rcpt = report(m)
            assert per_rcpt[0]["Final-Recipient"] == "rfc822; carol@example.net"
        t.stop()
