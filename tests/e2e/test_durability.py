"""An accepted message is never lost: crash points, SIGKILL under load and full disks, real tegamid."""
import os
import random
import re
import shutil
import smtplib
import subprocess
import tempfile
import threading
import time

import pytest

from tegami import IS_ROOT, body_of, has_crashpoints, lf, wait_until

SENDER = "sender@example.com"
# Seconds the queue may take to drain after a restart (ASan builds are slow).
DRAIN_TIMEOUT = 30


def durable_message(tag, lines=1800):
    """A message large enough that the SMTP process writes it to the spool in several steps."""
    head = (b"From: Sender <sender@example.com>\r\n"
            b"Subject: durability %s\r\n"
            b"Message-ID: <%s@durability.example>\r\n"
            b"\r\n" % (tag.encode(), tag.encode()))
    body = b"".join(b"%06d %s\r\n" % (i, b"d" * 70) for i in range(lines))
    return head + body + b".leading dot, stuffed on the wire\r\nlast line\r\n"


def make_crash_log(t):
    """An empty log every process may append to (they run under two different accounts)."""
    path = os.path.join(t.dir, "crash-%d.log" % time.monotonic_ns())
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o666)
    os.close(fd)
    os.chmod(path, 0o666)
    return path


def read_ops(path):
    """The counted calls as [(process, n, op)], in the order they were logged."""
    ops = []
    with open(path) as f:
        for line in f:
            name, n, op = line.split()
            ops.append((name, int(n), op))
    return ops


def spool_list(t, sub):
    d = os.path.join(t.spool, sub)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def maildir_files(t, address):
    """{path: contents} of the delivered messages (new/ and cur/); tmp/ is invisible to readers."""
    out = {}
    for sub in ("new", "cur"):
        d = t.maildir(address, sub)
        if os.path.isdir(d):
            for n in os.listdir(d):
                with open(os.path.join(d, n), "rb") as f:
                    out[os.path.join(d, n)] = f.read()
    return out


def send(t, rcpts, msg, timeout=10):
    """One transaction: True if the server said 250 at the end of DATA, False for anything else."""
    try:
        with smtplib.SMTP(t.host, t.port, timeout=timeout) as s:
            s.ehlo("client.example.com")
            if s.mail(SENDER)[0] != 250:
                return False
            for r in rcpts:
                if s.rcpt(r)[0] != 250:
                    return False
            code, _ = s.data(msg)
            return code == 250
    except (OSError, smtplib.SMTPException):
        # A process that died mid-dialogue: a disconnect, a 421 or a reply that never came.
        return False


def count_in_log(t, text):
    return t.log().count(text)


def start_and_scan(t):
    """Starts tegamid and waits until the queue has scanned the spool (incoming/ cleaned)."""
    before = count_in_log(t, "queue: ready")
    t.start()
    assert wait_until(lambda: count_in_log(t, "queue: ready") > before, 20), t.log()[-3000:]


def learn_ops(make_tegami, rcpts):
    """Counted operations per process for the receive and delivery of one message."""
    t = make_tegami(start=False)
    log = make_crash_log(t)
    t.env["TEGAMI_CRASH_LOG"] = log
    start_and_scan(t)
    msg = durable_message("learn")
    assert send(t, rcpts, msg)
    for r in rcpts:
        assert len(t.wait_messages(r, 1, timeout=DRAIN_TIMEOUT)) == 1
    assert t.wait_queue_empty(timeout=DRAIN_TIMEOUT)
    t.stop()
    ops = read_ops(log)
    counts = {}
    for name, n, op in ops:
        counts[name] = max(counts.get(name, 0), n)
    # The order docs/queue.md promises: commit before any delivery step, link after fsync.
    queue_ops = [op for name, _, op in ops if name == "queue"]
    assert queue_ops[:4] == ["pwrite", "fsync", "rename", "fsync_dir"], ops
    assert queue_ops[4:] == ["pwrite"] * len(rcpts), ops
    mda_ops = [op for name, _, op in ops if name == "mda"]
    assert sorted(mda_ops) == sorted(["write", "copy", "fsync", "close", "link",
                                      "fsync_dir"] * len(rcpts)), ops
    assert set(op for name, _, op in ops if name == "smtp") == {"write"}, ops
    return counts


def done_ops(ops, crash_proc, crash_n, name, op):
    """How many `op` calls of process `name` were logged, not counting the one that crashed."""
    return sum(1 for p, n, o in ops
               if p == name and o == op and not (p == crash_proc and n == crash_n))


def crash_run(make_tegami, rcpts, proc, n, msg):
    """Sends msg with a crash at proc:n, restarts without it and checks what is in the Maildirs."""
    t = make_tegami(start=False)
    log = make_crash_log(t)
    t.env["TEGAMI_CRASH_LOG"] = log
    t.env["TEGAMI_CRASH_AT"] = "%s:%d" % (proc, n)
    start_and_scan(t)
    accepted = send(t, rcpts, msg)

    def crashed():
        return any(p == proc and k == n for p, k, _ in read_ops(log))

    def settled():
        if t.proc.poll() is not None:
            return True
        if crashed() and proc == "mda":
            # The queue has seen the agent go and every result sent before it.
            return "delivery agent for %s exited" % t.account in t.log()
        if crashed():
            # The parent starts a dead smtp or queue process again; stopping
            # tegamid before the new one is up would race with its start.
            return "%s process" % proc in t.log() and \
                "died (exit status 86), restarting" in t.log() and \
                count_in_log(t, "%s: ready" % proc) >= 2
        return t.wait_queue_empty(timeout=0) and all(
            len(t.messages(r)) >= 1 for r in rcpts)

    assert wait_until(settled, DRAIN_TIMEOUT), "proc=%s n=%d did not settle\n%s" % (
        proc, n, t.log()[-3000:])
    fired = crashed()
    if fired and proc == "mda":
        # The daemon lives on: the message waits for its retry, not stuck in a dead round.
        listing = t.ctl("show", "queue").stdout
        qids = t.queue_files()
        assert len(qids) == 1 and qids[0] in listing, (listing, qids)
        assert 'error="delivery agent exited"' in listing, listing
        assert re.search(r" next=[1-9][0-9]*s ", listing), listing
    t.stop()
    if fired and proc != "mda":
        # A dead smtp or queue process is started again; the daemon lives on.
        assert "%s process" % proc in t.log() and "restarting" in t.log(), t.log()[-2000:]
    ops = read_ops(log)

    del t.env["TEGAMI_CRASH_AT"]
    del t.env["TEGAMI_CRASH_LOG"]
    start_and_scan(t)
    assert spool_list(t, "incoming") == [], "incoming/ not cleaned at start-up"
    assert t.wait_queue_empty(timeout=DRAIN_TIMEOUT), (
        "queue not drained after restart (%s:%d)\n%s" % (proc, n, t.log()[-3000:]))
    t.stop()

    where = "crash at %s:%d, accepted=%s" % (proc, n, accepted)
    committed = done_ops(ops, proc, n, "queue", "rename") > 0
    durable = done_ops(ops, proc, n, "queue", "fsync_dir") > 0
    # 250 only after the file was renamed into queue/ and queue/ was fsync'd.
    if accepted:
        assert committed and durable, where
    links = done_ops(ops, proc, n, "mda", "link")
    marks = max(0, done_ops(ops, proc, n, "queue", "pwrite") - 1)   # the first is the commit
    dup_bound = links - marks
    assert dup_bound >= 0, (where, ops)

    copies = {}
    for r in rcpts:
        files = maildir_files(t, r)
        for path, stored in files.items():
            # Never torn: every visible file is the whole message, headers and all.
            assert body_of(stored) == lf(msg), "%s: partial or wrong message %s" % (where, path)
            assert ("Delivered-To: %s\n" % r).encode() in stored, where
        copies[r] = len(files)
        if committed:
            # Once in queue/ (page cache survives a process crash) it is delivered.
            assert copies[r] >= 1, "%s: message lost for %s" % (where, r)
        else:
            assert copies[r] == 0, "%s: a message never committed was delivered" % where
        assert copies[r] <= 2, (where, copies)
    dups = sum(c - 1 for c in copies.values() if c > 1)
    # A second copy needs a link into new/ that the queue had not yet marked done.
    assert dups <= dup_bound, "%s: %d duplicates, %d links not marked done\n%s" % (
        where, dups, dup_bound, ops)
    if fired and proc == "mda":
        # Nothing else was running: every linked, unmarked delivery was made again.
        assert dups == dup_bound, (where, copies, ops)
    assert spool_list(t, "corrupt") == [], "%s: quarantined a file a process crash cannot tear" % where
    return fired, accepted, dups


@pytest.mark.parametrize("rcpts", [["alice@example.org"],
                                   ["alice@example.org", "bob@example.org"]],
                         ids=["one-rcpt", "two-rcpts"])
def test_every_crash_point_keeps_accepted_mail(make_tegami, rcpts):
    if not has_crashpoints():
        pytest.skip("tegamid built without crash points (build with make SAN=1, "
                    "run with TEGAMI_BIN=build/san/bin)")
    counts = learn_ops(make_tegami, rcpts)
    assert set(counts) == {"smtp", "queue", "mda"}, counts
    msg = durable_message("crash")
    exercised = accepted = dups = 0
    missed = []
    for proc in ("smtp", "queue", "mda"):
        for n in range(1, counts[proc] + 1):
            fired, ok, d = crash_run(make_tegami, rcpts, proc, n, msg)
            if fired:
                exercised += 1
            else:
                missed.append("%s:%d" % (proc, n))
            accepted += ok
            dups += d
    total = sum(counts.values())
    print("\ncrash points (%d rcpt): %d exercised of %d (smtp %d, queue %d, mda %d), "
          "%d accepted, %d duplicates" % (len(rcpts), exercised, total, counts["smtp"],
                                          counts["queue"], counts["mda"], accepted, dups))
    # The number of steps is fixed for a given message; a point not reached is a test bug.
    assert missed == [], "crash points never reached: %s" % missed


def kill_message(thread, i):
    tag = "k%d-%03d" % (thread, i)
    return tag, (b"From: <sender@example.com>\r\n"
                 b"Subject: sigkill %s\r\n"
                 b"Message-ID: <%s@durability.example>\r\n"
                 b"\r\n"
                 b"message %s from client thread %d\r\n"
                 b"%s\r\n" % (tag.encode(), tag.encode(), tag.encode(), thread, b"k" * 200))


def message_tag(stored):
    for line in stored.split(b"\n"):
        if line.startswith(b"Message-ID: <"):
            return line[len(b"Message-ID: <"):].split(b"@")[0].decode()
        if line == b"":
            break
    return None


def test_sigkill_under_concurrent_load_loses_nothing(make_tegami):
    seed = int(os.environ.get("TEGAMI_SEED") or random.SystemRandom().randrange(2 ** 32))
    print("\nsigkill seed %d (set TEGAMI_SEED to repeat)" % seed)
    rng = random.Random(seed)
    nthreads, per_thread, max_attempts = 4, 50, 300
    rcpts = ["alice@example.org", "bob@example.org", "carol@example.net"]
    t = make_tegami()
    sent = {}            # tag -> (rcpt, message)
    accepted = set()
    failed = []
    attempts = [0]
    lock = threading.Lock()

    def client(k, crng):
        for i in range(per_thread):
            tag, msg = kill_message(k, i)
            rcpt = rcpts[(k + i) % len(rcpts)]
            with lock:
                sent[tag] = (rcpt, msg)
            for _ in range(max_attempts):
                with lock:
                    attempts[0] += 1
                if send(t, [rcpt], msg, timeout=5):
                    with lock:
                        accepted.add(tag)
                    break
                time.sleep(0.05)
            else:
                with lock:
                    failed.append(tag)
            time.sleep(crng.uniform(0, 2.4 * span / per_thread))

    # The clients spread their messages over the kill schedule, so kills find them sending.
    intervals = [rng.uniform(0.1, 1.0) for _ in range(rng.randint(5, 8))]
    span = sum(intervals)
    threads = [threading.Thread(target=client, args=(k, random.Random(rng.random())),
                                daemon=True) for k in range(nthreads)]
    for th in threads:
        th.start()
    # Each kill may catch, besides what is in queue/, one transaction per client in the
    # window between commit and the 250 reaching it (RFC 1047): those are sent again.
    kills = kills_sending = 0
    dup_bound = 0
    for interval in intervals:
        time.sleep(interval)
        kills_sending += any(th.is_alive() for th in threads)
        dup_bound += len(t.queue_files()) + nthreads
        t.kill()
        kills += 1
        t.start()
    for th in threads:
        th.join(timeout=120)
        assert not th.is_alive(), "client thread did not finish"
    # The final restart stops the daemon with deliveries possibly in flight too.
    dup_bound += len(t.queue_files())
    t.stop()
    start_and_scan(t)
    assert t.wait_queue_empty(timeout=DRAIN_TIMEOUT * 2), t.log()[-3000:]
    t.stop()

    assert spool_list(t, "incoming") == []
    assert spool_list(t, "corrupt") == []
    copies = {}
    for r in rcpts:
        for path, stored in maildir_files(t, r).items():
            tag = message_tag(stored)
            assert tag in sent, "unknown message in %s" % path
            rcpt, msg = sent[tag]
            assert rcpt == r, "%s delivered to the wrong Maildir %s" % (tag, path)
            assert body_of(stored) == lf(msg), "torn or altered message %s" % path
            copies[tag] = copies.get(tag, 0) + 1
    lost = sorted(tag for tag in accepted if tag not in copies)
    duplicates = sum(c - 1 for c in copies.values())
    print("sigkill: %d accepted, %d delivered, %d duplicates, %d kills "
          "(%d while clients were sending, %d attempts, %d never accepted, "
          "%d delivered without a 250, duplicate bound %d)"
          % (len(accepted), len(copies), duplicates, kills, kills_sending, attempts[0],
             len(failed), len(set(copies) - accepted), dup_bound))
    assert lost == [], "accepted but never delivered: %s" % lost
    assert failed == [], "never accepted after %d attempts: %s" % (max_attempts, failed)
    assert len(accepted) == nthreads * per_thread
    assert duplicates <= dup_bound
    assert kills_sending >= 1, "the clients finished before the first kill"


def mount_tmpfs(path, size, uid=0, gid=0, mode=0o755):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=%o,uid=%d,gid=%d"
                        % (size, mode, uid, gid), "tmpfs", path],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        # Root without CAP_SYS_ADMIN (some containers) cannot mount.
        pytest.skip("cannot mount a tmpfs: %s" % r.stderr.strip())


def umount(path):
    if subprocess.run(["umount", path], timeout=30).returncode != 0:
        subprocess.run(["umount", "-l", path], timeout=30)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path, leave=0):
    """A root-owned file that leaves `leave` bytes free (rounded to pages) on path's file system."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb") as f:
        chunk = b"\0" * 65536
        try:
            while free_bytes(path) > leave:
                f.write(chunk[:min(len(chunk), free_bytes(path) - leave)])
                f.flush()
        except OSError:
            pass
    return filler


def sized_message(tag, size):
    """A message whose stored form (LF line ends) is exactly size bytes."""
    head = b"Subject: %s\r\nMessage-ID: <%s@durability.example>\r\n\r\n" % (tag.encode(), tag.encode())
    left = size - len(lf(head))
    lines = []
    while left > 0:
        n = min(left, 77)
        lines.append(b"f" * (n - 1) + b"\r\n")
        left -= n
    msg = head + b"".join(lines)
    assert len(lf(msg)) == size
    return msg


def data_code(t, rcpt, msg):
    """The reply to the end of DATA (or to DATA itself, if refused there)."""
    with smtplib.SMTP(t.host, t.port, timeout=20) as s:
        s.ehlo("client.example.com")
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt(rcpt)[0] == 250
        try:
            return s.data(msg)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error


def test_full_spool_refuses_with_452_and_keeps_nothing(make_tegami):
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs as the spool needs root")
    spool = tempfile.mkdtemp(prefix="tegami-spool-")
    t = None
    mounted = False
    try:
        mount_tmpfs(spool, "2m", mode=0o700)
        mounted = True
        t = make_tegami(spool=spool)
        rcpt = "alice@example.org"
        # The size of what the spool holds besides the message (the Received header).
        probe = sized_message("probe", 4000)
        assert send(t, [rcpt], probe)
        stored = t.wait_messages(rcpt, 1)[0]
        assert t.wait_queue_empty()
        added = len(b"Return-Path: <%s>\nDelivered-To: %s\n" % (SENDER.encode(), rcpt.encode()))
        received = len(stored) - added - len(lf(probe))
        assert 50 < received < 1000, stored[:1000]

        filler = fill(spool, leave=48 * 1024)
        free = free_bytes(spool)
        assert 0 < free <= 64 * 1024, free

        # Bigger than the free space: the SMTP process's writes fail.
        code, text = data_code(t, rcpt, sized_message("toobig", 256 * 1024))
        assert code == 452 and b"4.3.1" in text, (code, text)
        assert wait_until(lambda: spool_list(t, "incoming") == [], 10), spool_list(t, "incoming")
        assert t.queue_files() == []

        # Exactly the free space: the message fits, the envelope and trailer do not,
        # so the commit's own write fails and the file must go.
        before = count_in_log(t, "commit-failed")
        code, text = data_code(t, rcpt, sized_message("exact", free - received - 50))
        assert code == 452 and b"4.3.1" in text, (code, text)
        assert count_in_log(t, "commit-failed") > before, t.log()[-2000:]
        assert "No space left on device" in t.log()
        assert wait_until(lambda: spool_list(t, "incoming") == [], 10), spool_list(t, "incoming")
        assert t.queue_files() == []
        assert len(t.messages(rcpt)) == 1

        os.unlink(filler)
        # No inode left: the incoming file cannot even be created (452 at DATA).
        st = os.statvfs(spool)
        subprocess.run(["mount", "-o", "remount,nr_inodes=%d" % (st.f_files - st.f_ffree),
                        spool], check=True, timeout=30)
        code, text = data_code(t, rcpt, sized_message("noinode", 1000))
        assert code == 452 and b"4.3.1" in text, (code, text)
        assert spool_list(t, "incoming") == [] and t.queue_files() == []
        subprocess.run(["mount", "-o", "remount,nr_inodes=10000", spool], check=True, timeout=30)

        again = sized_message("again", 256 * 1024)
        assert send(t, [rcpt], again)
        msgs = t.wait_messages(rcpt, 2)
        assert len(msgs) == 2
        assert sorted(body_of(m) for m in msgs) == sorted([lf(probe), lf(again)])
        assert t.wait_queue_empty()
    finally:
        if t is not None:
            t.stop()
        if mounted:
            umount(spool)
        shutil.rmtree(spool, ignore_errors=True)


def test_full_maildir_keeps_message_queued_until_space_returns(make_tegami):
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs as the mail tree needs root")
    t = make_tegami(start=False)
    st = os.stat(t.vmail)
    mount_tmpfs(t.vmail, "1m", uid=st.st_uid, gid=st.st_gid)
    try:
        # Room for the added header, not for the message: the copy fails half-way.
        filler = fill(t.vmail, leave=8 * 1024)
        t.start()
        rcpt = "bob@example.org"
        msg = sized_message("waits", 64 * 1024)
        assert send(t, [rcpt], msg)
        assert wait_until(lambda: "No space left on device" in t.ctl("show", "queue").stdout, 20), (
            t.ctl("show", "queue").stdout, t.log()[-2000:])
        listing = t.ctl("show", "queue").stdout
        print("\nfull Maildir: " + listing.strip())
        assert len(t.queue_files()) == 1
        qid = t.queue_files()[0]
        assert qid in listing and "pending=1/1" in listing, listing
        assert t.messages(rcpt) == []
        tmp = t.maildir(rcpt, "tmp")
        assert not os.path.isdir(tmp) or os.listdir(tmp) == [], "a failed delivery left tmp/ files"

        os.unlink(filler)
        # The next try is a minute away; the admin asks for it now.
        assert "1 message scheduled" in t.ctl("schedule", "all").stdout
        msgs = t.wait_messages(rcpt, 1)
        assert len(msgs) == 1 and body_of(msgs[0]) == lf(msg)
        assert t.wait_queue_empty()
        assert qid not in t.ctl("show", "queue").stdout
    finally:
        t.stop()
        umount(t.vmail)
