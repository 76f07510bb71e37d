#!/usr/bin/python3
"""Drives one benchmark scenario against a running peer; appends the result as JSON."""
# Scenarios: run (accept-and-deliver into Maildirs), relay (accept and relay to
# smtp-sink), tls (STARTTLS handshakes, or authenticated submissions into
# Maildirs, from bench/tlsload), idle (the memory of idle connections held by
# bench/idleload), read (POP3 and IMAP sessions timed by bench/readload, and
# the delay from a delivery to EXISTS in IDLE), plus audit, skip and note
# records.

import argparse
import json
import os
import re
import select
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL = 0.05          # seconds between counts of delivered files
SINK_POLL = 0.02     # seconds between reads of smtp-sink's counters
STALL = 15.0         # give up when nothing is delivered for this long after the clients exit
SETTLE = 0.5         # let the server finish its bookkeeping before reading its CPU time
LOAD_PIDS = []       # processes of the load beside this driver's children (smtp-sink)


def proc_table():
    """pid -> (ppid, own ticks, ticks of reaped children, command name) for
    every process now alive; ticks are user and system, in that order."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.find("(") + 1:stat.rfind(")")]
        rest = stat[stat.rfind(")") + 2:].split()
        ppid = int(rest[1])
        utime, stime, cutime, cstime = (int(x) for x in rest[11:15])
        table[int(name)] = (ppid, (utime, stime), (cutime, cstime), comm)
    return table


def descendants(table, root):
    kids = {}
    for pid, v in table.items():
        kids.setdefault(v[0], []).append(pid)
    out, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in out or (pid not in table and pid != root):
            continue
        out.add(pid)
        todo.extend(kids.get(pid, ()))
    return out


class CpuSnap:
    """CPU time at one instant: of the server's process tree, of the kernel
    threads, and of this driver with its clients, each with the children they
    reaped (a child's time reaches its parent's cutime/cstime when it is
    reaped, so the difference of two sums counts the children that came and
    went in between); and of every other process, its own time only."""

    def __init__(self, servers):
        table = proc_table()
        self.server_alive = all(p in table for p in servers)
        self.groups = {}
        mine = set()
        for g, roots in (("server", servers), ("kthreads", [2]),
                         ("driver", [os.getpid()] + LOAD_PIDS)):
            pids = set()
            for root in roots:
                if root in table:
                    pids |= descendants(table, root)
            pids -= mine
            mine |= pids
            u = sum(table[p][1][0] + table[p][2][0] for p in pids)
            s = sum(table[p][1][1] + table[p][2][1] for p in pids)
            self.groups[g] = (u / CLK_TCK, s / CLK_TCK)
        self.others = {p: (sum(v[1]), v[3]) for p, v in table.items() if p not in mine}
        self.machine = machine_cpu()

    def delta(self, before):
        """(user, sys) seconds per group between before and self, and the
        three other commands that used the most of their own time."""
        out = {g: (u - before.groups[g][0], s - before.groups[g][1])
               for g, (u, s) in self.groups.items()}
        others = {}
        for pid, (t, comm) in self.others.items():
            t0 = before.others.get(pid, (0, comm))[0]
            others[comm] = others.get(comm, 0.0) + (t - t0) / CLK_TCK
        top = sorted(others.items(), key=lambda kv: -kv[1])[:3]
        return out, [kv for kv in top if kv[1] > 0]


def machine_cpu():
    """Machine-wide seconds from /proc/stat: user, system (irq and softirq
    included), iowait, idle."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return {
        "user": (user + nice) / CLK_TCK,
        "system": (system + irq + softirq) / CLK_TCK,
        "iowait": iowait / CLK_TCK,
        "idle": idle / CLK_TCK,
        "steal": steal / CLK_TCK,
    }


class Maildirs:
    """The new/ directories of users u1..uN under a peer's Maildir template."""

    def __init__(self, template, users, work):
        self.dirs = [os.path.join(template.replace("%u", f"u{i}"), "new")
                     for i in range(1, users + 1)]
        self.work = os.path.realpath(work)

    def count(self):
        n = 0
        for d in self.dirs:
            try:
                with os.scandir(d) as it:
                    n += sum(1 for e in it if not e.name.startswith("."))
            except FileNotFoundError:
                pass
        return n

    def last_change(self):
        """When a file was last linked into one of the new/ directories."""
        t = 0.0
        for d in self.dirs:
            try:
                t = max(t, os.stat(d).st_mtime)
            except FileNotFoundError:
                pass
        return t

    def clear(self):
        """Empties the new/ directories by moving their files under
        WORK/aside/ (run.sh deletes it when every family is done). Deleting
        them here would slow the round that follows: on this machine's ext4
        (no journal) the allocator steps over inodes freed in the last minute
        or more, reading each one's inode, so every file either server
        created next would pay for the files removed just before."""
        root = os.path.join(self.work, "aside")
        os.makedirs(root, exist_ok=True)
        aside = tempfile.mkdtemp(prefix="round-", dir=root)
        for d in self.dirs:
            real = os.path.realpath(d)
            if not real.startswith(self.work + os.sep):
                sys.exit(f"load.py: refusing to empty {real}: not under {self.work}")
            to = tempfile.mkdtemp(dir=aside)
            try:
                with os.scandir(real) as it:
                    for e in it:
                        if not e.name.startswith("."):
                            os.rename(e.path, os.path.join(to, e.name))
            except FileNotFoundError:
                pass


class Sink:
    """smtp-sink's running counters (its -c option writes "sess=N quit=N
    mesg=N" and a carriage return each time a session ends or a message's
    final dot arrives) in the file its standard output goes to."""

    MESG = re.compile(rb"mesg=(\d+)\r")
    poll = SINK_POLL

    def __init__(self, path):
        self.path = path

    def count(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 256))
                found = self.MESG.findall(f.read())
        except FileNotFoundError:
            return 0
        return int(found[-1]) if found else 0

    def last_change(self):
        return None

    def clear(self):
        pass


def start_clients(a, clients, count, errlog):
    """One smtp-source per client, client i sending to u<i>, so that the
    messages are spread over as many Maildirs as there are clients."""
    env = dict(os.environ, LD_LIBRARY_PATH=a.libdir)
    procs = []
    for i in range(clients):
        n = count // clients + (1 if i < count % clients else 0)
        if n == 0:
            continue
        cmd = [a.source, "-s", "1", "-m", str(n), "-l", str(a.size),
               "-M", "client.bench.test", "-f", "sender@bench.test",
               "-t", f"u{i + 1}@{a.domain}", f"127.0.0.1:{a.port}"]
        if getattr(a, "message", None):
            # A message of our own (the dkim family's signed one), as it is.
            i = cmd.index("-l")
            cmd[i:i + 2] = ["-F", a.message]
        procs.append(subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=errlog))
    return procs


def stop_clients(procs, grace):
    """Waits up to grace seconds for the clients to finish (they may still be
    saying QUIT when the last message lands), then terminates the rest.
    Returns how many were terminated."""
    end = time.time() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.0, end - time.time()))
        except subprocess.TimeoutExpired:
            pass
    cut = 0
    for p in procs:
        if p.poll() is None:
            cut += 1
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return cut


def deliver(a, md, clients, count, timeout, start=start_clients):
    """Sends count messages and waits until the counter md (new/ files or
    smtp-sink's messages) has gone up by count. Returns a dict with the
    times, relative to the start, and the status."""
    base = md.count()
    want = base + count
    errlog = tempfile.TemporaryFile(mode="w+")
    t0 = time.time()
    procs = start(a, clients, count, errlog)
    deadline = t0 + timeout
    accepted_at = None
    last_n, last_progress = base, t0
    status, why = "ok", ""
    while True:
        time.sleep(getattr(md, "poll", POLL))
        now = time.time()
        if accepted_at is None and all(p.poll() is not None for p in procs):
            accepted_at = now
        n = md.count()
        if n != last_n:
            last_n, last_progress = n, now
        if n >= want:
            break
        if now > deadline:
            status, why = "timeout", f"{n - base} of {count} delivered after {timeout:.0f} s"
            break
        stall = min(STALL, timeout)
        if accepted_at is not None and now - last_progress > stall:
            status, why = "stalled", f"{n - base} of {count} delivered, none for {stall:.0f} s"
            break
    done_at = time.time()
    if status == "ok" and md.last_change() is not None:
        # The directory's mtime is when the last file was linked: closer
        # than the polling interval.
        done_at = min(done_at, max(md.last_change(), t0))
    cut = stop_clients(procs, 10.0 if status == "ok" else 0.0)
    if accepted_at is None and not cut:
        accepted_at = time.time()
    failed = sum(1 for p in procs if p.returncode not in (0, None)) - cut
    errlog.seek(0)
    errors = [line.strip() for line in errlog.read().splitlines() if line.strip()]
    errlog.close()
    gen = {}
    for p in procs:
        if getattr(p, "report", None) is not None:
            p.report.seek(0)
            gen = parse_tlsload(p.report.read())
            p.report.close()
            if gen.get("error"):
                errors.insert(0, gen["error"])
    if (failed or cut) and status == "ok":
        status = "client errors"
    if cut:
        why = (why + "; " if why else "") + f"{cut} clients still running, stopped"
    if failed:
        why = (why + "; " if why else "") + f"{failed} clients failed: " + \
            (errors[0] if errors else "no message")
    out = {
        "delivered": md.count() - base,
        "elapsed": done_at - t0,
        "accept_elapsed": (accepted_at - t0) if accepted_at else None,
        "status": status,
        "why": why,
    }
    if gen:
        out["generator"] = gen
    return out


def append(out, rec):
    with open(out, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


def cpu_fields(rec, snap0, snap1, n, window):
    """CPU milliseconds per operation between two snapshots, into rec."""
    ms = 1000.0 / n
    groups, top = snap1.delta(snap0)
    rec["other_top"] = [[comm, sec * ms] for comm, sec in top]
    if snap1.server_alive:
        rec["server_user_ms"] = groups.get("server", (0, 0))[0] * ms
        rec["server_sys_ms"] = groups.get("server", (0, 0))[1] * ms
    for g in ("kthreads", "driver"):
        rec[f"{g}_ms"] = sum(groups.get(g, (0, 0))) * ms
    m0, m1 = snap0.machine, snap1.machine
    for k in ("user", "system", "iowait", "idle", "steal"):
        rec[f"machine_{k}_ms"] = (m1[k] - m0[k]) * ms
    busy = (m1["user"] - m0["user"]) + (m1["system"] - m0["system"])
    rec["machine_busy_ms"] = busy * ms
    # Everything the machine did beside the server, the kernel threads and
    # the load: other people's work on a shared machine.
    ours = sum(sum(groups.get(g, (0, 0))) for g in ("server", "kthreads", "driver"))
    rec["other_ms"] = max(0.0, busy - ours) * ms
    rec["other_cpus"] = max(0.0, busy - ours) / window


def new_record(a, scenario):
    return {"kind": "run", "family": a.family, "scenario": scenario, "peer": a.peer,
            "clients": a.clients, "count": a.count, "size": a.size, "rep": a.rep}


def server_running(a, rec):
    if not a.pids or min(a.pids) <= 0 or not CpuSnap(a.pids).server_alive:
        rec.update(status="error", why=f"server pid {a.pid} is not running")
        append(a.out, rec)
        return False
    return True


def say_result(a, rec, unit):
    st = rec["status"]
    print(f"bench: {a.peer:16} {rec['scenario']:9} {a.size // 1024:4} KiB {a.clients:3} clients: "
          + (f"{rec['rate']:8.1f} {unit}/s" if "rate" in rec else f"       - {unit}/s")
          + (f", server {rec['server_user_ms']:.2f} ms user + {rec['server_sys_ms']:.2f} ms sys"
             f" per {unit}" if "server_user_ms" in rec else "")
          + ("" if st == "ok" else f" [{st}: {rec.get('why', '')}]"),
          file=sys.stderr)


def timed(a, rec, md, start=start_clients, unit="msg"):
    """Warm-up, then count messages from the first connection until md has
    all of them, with the CPU time of everything meanwhile."""
    if not server_running(a, rec):
        return 1
    # Warm-up: every client once or twice, so that the server has its
    # processes, connections and Maildirs before the clock starts.
    warm = deliver(a, md, a.clients, 2 * a.clients, min(30.0, a.timeout), start)
    if warm["status"] != "ok":
        rec.update(status="warm-up " + warm["status"], why=warm["why"],
                   delivered=warm["delivered"])
        append(a.out, rec)
        print(f"bench: {a.peer}: warm-up {warm['status']}: {warm['why']}", file=sys.stderr)
        return 2 if warm["status"] in ("timeout", "stalled") else 1
    time.sleep(SETTLE)
    md.clear()
    snap0 = CpuSnap(a.pids)
    res = deliver(a, md, a.clients, a.count, a.timeout, start)
    time.sleep(SETTLE)
    snap1 = CpuSnap(a.pids)
    rec.update(res)
    n = res["delivered"]
    if n > 0 and res["elapsed"] > 0:
        rec["rate"] = n / res["elapsed"]
    if res["accept_elapsed"]:
        rec["accept_rate"] = a.count / res["accept_elapsed"]
    if n > 0:
        cpu_fields(rec, snap0, snap1, n, res["elapsed"] + SETTLE)
    rec["window"] = res["elapsed"] + SETTLE
    append(a.out, rec)
    say_result(a, rec, unit)
    if res["status"] in ("timeout", "stalled"):
        return 2
    return 0 if res["status"] == "ok" else 1


def cmd_run(a):
    return timed(a, new_record(a, "deliver"), Maildirs(a.maildir, a.clients, a.work))


def cmd_relay(a):
    return timed(a, new_record(a, "relay"), Sink(a.sink))


def parse_tlsload(text):
    """tlsload's one line: key=value words, error= last and free text."""
    out = {}
    line = text.strip().splitlines()[-1] if text.strip() else ""
    head, _, err = line.partition(" error=")
    for word in head.split():
        k, _, v = word.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            pass
    out["error"] = err.strip()
    return out


def tlsload_cmd(a, mode, clients, count, seconds):
    return [a.tlsload, "-m", mode, "-p", str(a.port), "-c", str(clients),
            "-n", str(count), "-t", f"{seconds:.0f}", "-s", str(a.size),
            "-u", a.user, "-w", a.password, "-d", a.domain, "-S", "bench.test"]


def start_tlsload(a, clients, count, errlog):
    """One tlsload process with a thread per client; its report line goes to
    a file that deliver() reads back."""
    report = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(tlsload_cmd(a, "submit", clients, count, a.timeout),
                         stdin=subprocess.DEVNULL, stdout=report, stderr=errlog)
    p.report = report
    return [p]


def handshakes(a, count, timeout):
    """tlsload in handshake mode: (its report, status, why)."""
    try:
        r = subprocess.run(tlsload_cmd(a, "handshake", a.clients, count, timeout),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        return {}, "timeout", f"tlsload still running after {timeout + 30:.0f} s"
    gen = parse_tlsload(r.stdout)
    if "done" not in gen:
        return gen, "client errors", "tlsload: " + (r.stderr.strip() or "no report")
    done, errors = int(gen["done"]), int(gen.get("errors", 0))
    if done < count:
        why = f"{done} of {count} handshakes"
        if errors:
            why += f", {errors} failed: {gen.get('error', '')}"
        return gen, ("timeout" if errors == 0 else "client errors"), why
    return gen, "ok", ""


def cmd_tls(a):
    rec = new_record(a, a.mode)
    if a.mode == "submit":
        rec["auth"] = "PLAIN"
        return timed(a, rec, Maildirs(a.maildir, a.clients, a.work), start_tlsload, "msg")
    if not server_running(a, rec):
        return 1
    gen, status, why = handshakes(a, 5 * a.clients, min(30.0, a.timeout))
    if status != "ok":
        rec.update(status="warm-up " + status, why=why)
        append(a.out, rec)
        print(f"bench: {a.peer}: warm-up {status}: {why}", file=sys.stderr)
        return 2 if status == "timeout" else 1
    time.sleep(SETTLE)
    snap0 = CpuSnap(a.pids)
    gen, status, why = handshakes(a, a.count, a.timeout)
    time.sleep(SETTLE)
    snap1 = CpuSnap(a.pids)
    n = int(gen.get("done", 0))
    elapsed = gen.get("elapsed", 0.0)
    rec.update(status=status, why=why, delivered=n, elapsed=elapsed, generator=gen)
    if n > 0 and elapsed > 0:
        rec["rate"] = n / elapsed
        cpu_fields(rec, snap0, snap1, n, elapsed + SETTLE)
    rec["window"] = elapsed + SETTLE
    append(a.out, rec)
    say_result(a, rec, "handshake")
    if status == "timeout":
        return 2
    return 0 if status == "ok" else 1


MEM_KEYS = ("rss", "pss", "private", "pte")


def tree_memory(roots):
    """KiB over every process of the trees rooted at roots: Rss, Pss and
    Private_Clean + Private_Dirty from /proc/PID/smaps_rollup, the page
    tables (VmPTE) from /proc/PID/status; how many processes there are, and
    how many of each name."""
    table = proc_table()
    pids = set()
    for root in roots:
        if root in table:
            pids |= descendants(table, root)
    tot = dict.fromkeys(MEM_KEYS, 0)
    tot["procs"] = 0
    tot["names"] = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                rollup = f.read()
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue            # gone meanwhile
        fields = {}
        for line in (rollup + status).splitlines():
            k, _, v = line.partition(":")
            v = v.split()
            if len(v) == 2 and v[1] == "kB":
                fields[k] = int(v[0])
        if "Rss" not in fields:
            continue            # a zombie, or a kernel thread
        tot["rss"] += fields["Rss"]
        tot["pss"] += fields.get("Pss", 0)
        tot["private"] += fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        tot["pte"] += fields.get("VmPTE", 0)
        tot["procs"] += 1
        comm = table[pid][3]
        tot["names"][comm] = tot["names"].get(comm, 0) + 1
    return tot


class Lines:
    """Lines from a child's stdout, each waited for at most a given time."""

    def __init__(self, f):
        self.fd = f.fileno()
        self.buf = b""

    def get(self, timeout):
        end = time.time() + timeout
        while b"\n" not in self.buf:
            left = end - time.time()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode(errors="replace")


def parse_words(line):
    """idleload's lines: a word, then key=value words, error= last and free text."""
    out = {}
    head, _, err = (line or "").partition(" error=")
    for word in head.split()[1:]:
        k, _, v = word.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            pass
    out["error"] = err.strip()
    return out


def per_conn(m1, m0, n):
    return {f"{k}_kib": (m1[k] - m0[k]) / n for k in MEM_KEYS}


def cmd_idle(a):
    """The memory of a.count idle connections: the server's tree before any
    connection, after the first a.first (for the step) and after all of
    them, each a.idle_wait seconds after the last became idle."""
    rec = new_record(a, a.mode)
    rec["first"] = a.first
    if not server_running(a, rec):
        return 1
    port = a.port
    if a.mode.startswith("imap"):
        port = a.imap_port
        # One login first: a server that answers NO (tegami before its
        # IMAP engine) is not available, and 10,000 refused logins say no more.
        steps, rc, err = readload(a, "imap", port, a.user, ["connect", "login", "logout"],
                                  a.timeout)
        if rc == 3 and unavailable(steps):
            return not_available(a, rec, steps)
        if rc != 0:
            rec.update(status="error", why="a first login failed: " + step_error(steps, err))
            append(a.out, rec)
            return 1
    time.sleep(a.settle)
    m0 = tree_memory(a.pids)
    cmd = [a.idleload, "-m", a.mode, "-p", str(port), "-n", str(a.count),
           "-k", str(a.first), "-a", str(a.addrs), "-t", f"{a.timeout:.0f}"]
    if a.mode.startswith("imap"):
        cmd += ["-u", a.user, "-w", a.password]
    errlog = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=errlog)
    out = Lines(p.stdout)
    wait = a.timeout + 30
    status, why = "ok", ""
    m1 = s1 = s2 = None
    m2 = m0
    if a.first:
        s1 = parse_words(out.get(wait))
        if s1.get("idle") == a.first:
            time.sleep(a.idle_wait)
            m1 = tree_memory(a.pids)
        p.stdin.write(b"go\n")
        p.stdin.flush()
    s2 = parse_words(out.get(wait))
    if "idle" in s2:
        time.sleep(a.idle_wait)
        m2 = tree_memory(a.pids)
    try:
        p.stdin.write(b"stop\n")
        p.stdin.close()
    except BrokenPipeError:
        pass
    done = parse_words(out.get(30))
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    errlog.seek(0)
    err = errlog.read().strip()
    errlog.close()
    n = int(s2.get("idle", 0))
    if "idle" not in s2:
        status, why = "timeout", "idleload: " + (err or "no report")
    elif n < a.count:
        status = "client errors"
        why = f"{n} of {a.count} connections idle, {int(s2.get('failed', 0))} failed"
    elif "closed" not in done:
        status, why = "client errors", "idleload: " + (err or "no final report")
    elif done["closed"] > s2.get("closed", 0):
        status = "closed"
        why = f"the server closed {int(done['closed'] - s2.get('closed', 0))} idle connections"
    if status != "ok" and done.get("error"):
        why += ": " + done["error"]
    rec.update(status=status, why=why, connections=n, generator=done,
               elapsed=s2.get("elapsed"), mem_before=m0, mem_after=m2)
    if n > 0:
        rec.update(per_conn(m2, m0, n))
    if m1 is not None and s1 and n > s1["idle"]:
        rec["mem_first"] = m1
        rec["step"] = per_conn(m2, m1, n - int(s1["idle"]))
    append(a.out, rec)
    print(f"bench: {a.peer:16} {a.mode:9} {a.count:6} idle connections: "
          + (f"{rec['rss_kib']:7.1f} KiB RSS, {rec['pss_kib']:7.1f} KiB PSS per connection"
             f" ({m0['procs']} -> {m2['procs']} processes)" if n > 0 else "     -")
          + ("" if status == "ok" else f" [{status}: {why}]"), file=sys.stderr)
    if status == "timeout":
        return 2
    return 0 if status == "ok" else 1


SYNC_RE = re.compile(r"^(\d+)\s+(fsync|fdatasync|syncfs|sync_file_range2?)\((\d+)<([^>]*)>")


def cmd_audit(a):
    """Traces the server's sync calls while it accepts and delivers a few
    messages, and sorts them into files and directories, Maildir and queue."""
    rec = {"kind": "audit", "family": a.family, "peer": a.peer, "count": a.count}
    strace = shutil.which("strace")
    if not strace:
        rec.update(status="skipped", why="strace not found")
        append(a.out, rec)
        return 0
    table = proc_table()
    tree = sorted(set().union(*(descendants(table, p) for p in a.pids)))
    trace = tempfile.NamedTemporaryFile(prefix="bench-strace.", delete=False)
    trace.close()
    cmd = [strace, "-f", "-qq", "-y", "-o", trace.name,
           "-e", "trace=fsync,fdatasync,syncfs,sync_file_range"]
    for pid in tree:
        cmd += ["-p", str(pid)]
    st = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    md = Maildirs(a.maildir, 1, a.work)
    res = deliver(a, md, 1, a.count, 60.0)
    time.sleep(1.0)
    st.send_signal(signal.SIGINT)
    try:
        st.wait(timeout=10)
    except subprocess.TimeoutExpired:
        st.kill()
        st.wait()
    maildir_root = os.path.realpath(a.maildir.split("%u")[0])
    counts = {}
    with open(trace.name, errors="replace") as f:
        for line in f:
            m = SYNC_RE.match(line)
            if not m:
                continue
            path = m.group(4)
            kind = "dir" if os.path.isdir(path) else "file"
            where = "maildir" if os.path.realpath(path).startswith(maildir_root) else "queue"
            key = f"{m.group(2)} {where} {kind}"
            counts[key] = counts.get(key, 0) + 1
    os.unlink(trace.name)
    n = res["delivered"]
    rec.update(status=res["status"], why=res["why"], delivered=n,
               per_message={k: v / n for k, v in counts.items()} if n else {})
    append(a.out, rec)
    return 0


def cmd_signrate(a):
    """bench/dkimsign: tegami's DKIM signatures per second on one thread."""
    rec = {"kind": "signrate", "family": a.family, "peer": a.peer, "rep": a.rep,
           "key": os.path.basename(a.key)}
    r = subprocess.run([a.dkimsign, a.key, a.message, str(a.seconds)],
                       capture_output=True, text=True, timeout=a.seconds * 4 + 30)
    if r.returncode != 0:
        rec.update(status="error", why=(r.stderr or r.stdout).strip()[-200:])
    else:
        rec["status"] = "ok"
        for word in r.stdout.split():
            k, _, v = word.partition("=")
            try:
                rec[k] = float(v) if k != "alg" else v
            except ValueError:
                rec[k] = v
        print(f"bench: dkimsign {rec.get('alg')}: {rec.get('digest_per_s', 0):.0f} "
              f"signatures/s, {rec.get('message_per_s', 0):.0f} messages/s",
              file=sys.stderr)
    append(a.out, rec)
    return 0
# ---- reading mail: POP3 and IMAP sessions (bench/readload) ----

# What a server keeps beside a Maildir as its index: removed for a cold start.
# tegami: its SQLite index (src/imap/imap_index.h); Dovecot: its index, cache,
# transaction logs and UID list. Both servers lose the same things.
INDEX_PREFIXES = ("tegami-index.sqlite", "dovecot.index", "dovecot.list.index",
                  "dovecot-uidlist", "dovecot-uidvalidity", "dovecot-keywords")
EXISTS_RE = re.compile(rb"^\* (\d+) EXISTS\r?$")
TAGGED_NO_RE = re.compile(rb"^[a-z] (NO|BAD) ")


def mailbox_path(a, user):
    """A user's Maildir under the peer's template, refused outside the bench directory."""
    path = os.path.realpath(a.maildir.replace("%u", user))
    if not path.startswith(os.path.realpath(a.work) + os.sep):
        sys.exit(f"load.py: refusing to touch {path}: not under {a.work}")
    return path


def drop_index(path):
    """Removes the servers' index files from a Maildir root; returns their names."""
    gone = []
    for name in os.listdir(path):
        if name.startswith(INDEX_PREFIXES):
            os.unlink(os.path.join(path, name))
            gone.append(name)
    return gone


def chown_like(path, ref):
    """Gives path, and everything under it, the owner of ref (nobody, as root)."""
    st = os.stat(ref)
    if os.geteuid() != 0:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, st.st_uid, st.st_gid)
        for n in files:
            os.chown(os.path.join(root, n), st.st_uid, st.st_gid)


def parse_step(line):
    """One of readload's step lines: name, numbers, status and text."""
    head, _, text = line.partition(" text=")
    out = {"text": text.strip()}
    for word in head.split()[1:]:
        k, _, v = word.partition("=")
        if k in ("name", "status"):
            out[k] = v
        else:
            try:
                out[k] = float(v)
            except ValueError:
                pass
    return out


def readload(a, proto, port, user, steps, timeout):
    """Runs one readload session: (its steps, exit code, stderr)."""
    cmd = [a.readload, "-P", proto, "-p", str(port), "-u", user, "-w", a.password,
           "-t", f"{timeout:.0f}"] + steps
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout * len(steps) + 30)
    except subprocess.TimeoutExpired:
        return [], 2, f"readload still running after {timeout * len(steps) + 30:.0f} s"
    out = [parse_step(x) for x in r.stdout.splitlines() if x.startswith("step ")]
    return out, r.returncode, r.stderr.strip()


def step_error(steps, err):
    bad = [s for s in steps if s.get("status") != "ok"]
    if bad:
        return f"{bad[0].get('name')}: {bad[0].get('status')}: {bad[0].get('text', '')}"
    return err or "readload failed"


def unavailable(steps):
    """A login refused because the server does not offer the service (RFC
    5530's UNAVAILABLE: tegami's IMAP before its engine), not for the password."""
    return any(s.get("status") == "no" and "[UNAVAILABLE]" in s.get("text", "") for s in steps)


def not_available(a, rec, steps):
    """The server answered the login with NO: the scenario is not offered."""
    bad = [s for s in steps if s.get("status") == "no"]
    rec.update(status="not available",
               why="the login was answered: " + (bad[0].get("text", "") if bad else "NO"))
    append(a.out, rec)
    print(f"bench: {a.peer:16} {rec['scenario']:14} not available: {rec['why']}",
          file=sys.stderr)
    return 3


def server_tree(pids):
    table = proc_table()
    return set().union(*(descendants(table, p) for p in pids if p in table))


def settle_tree(pids, before, limit=5.0):
    """Waits until the processes the session started are gone or stay (up to
    limit seconds): a process that has exited reaches its parent's cutime
    only once reaped (Dovecot's imap process ends after LOGOUT), one that
    stays (tegami's mailbox process) is counted where it is."""
    end = time.time() + limit
    last, same = None, 0
    while time.time() < end:
        new = server_tree(pids) - before
        zombies = False
        for pid in new:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    zombies |= f.read().rsplit(")", 1)[1].split()[0] == "Z"
            except OSError:
                zombies = True
        same = same + 1 if new == last and not zombies else 0
        if same >= 3:
            return
        last = new
        time.sleep(0.1)


def session(a, scenario, proto, port, user, steps, checks):
    """One timed session: a record with each step's seconds and what it
    counted, the server's CPU time meanwhile, and a status; checks maps a
    step name to (field, wanted value). Returns (record, readload's code)."""
    rec = new_record(a, scenario)
    before = server_tree(a.pids)
    snap0 = CpuSnap(a.pids)
    t0 = time.time()
    res, rc, err = readload(a, proto, port, user, steps, a.timeout)
    settle_tree(a.pids, before)
    snap1 = CpuSnap(a.pids)
    rec["steps"] = {s["name"]: s.get("seconds") for s in res if "name" in s}
    rec["counts"] = {s["name"]: {k: s.get(k) for k in ("responses", "octets", "result")}
                     for s in res if "name" in s}
    rec["elapsed"] = sum(v for v in rec["steps"].values() if v is not None)
    # CPU milliseconds of the whole session (one operation), and what other
    # work took meanwhile, as for the other families.
    cpu_fields(rec, snap0, snap1, 1, max(0.001, time.time() - t0))
    if "server_user_ms" in rec:
        rec["server_ms"] = rec["server_user_ms"] + rec["server_sys_ms"]
    if rc == 3:
        rec["refused"] = res
        return rec, 3
    if rc != 0 or len(res) != len(steps):
        rec.update(status="error", why=step_error(res, err))
        return rec, rc or 1
    wrong = []
    for name, (field, want) in checks.items():
        got = rec["counts"].get(name, {}).get(field)
        if got is not None and want is not None and int(got) != int(want):
            wrong.append(f"{name}: {field} {int(got)}, {int(want)} expected")
    rec.update(status="ok" if not wrong else "wrong answers", why="; ".join(wrong))
    return rec, 0


def say_session(a, rec):
    print(f"bench: {a.peer:16} {rec['scenario']:16} "
          + (f"{rec['elapsed']:8.3f} s" if rec.get("status") == "ok" else "       -  ")
          + (f", server {rec['server_ms']:.0f} ms CPU" if "server_ms" in rec else "")
          + ("" if rec.get("status") == "ok" else f" [{rec['status']}: {rec.get('why', '')}]"),
          file=sys.stderr)


def stamp_of(a, name):
    with open(os.path.join(a.master, name + ".stamp")) as f:
        return json.load(f)


def cmd_read(a):
    """One scenario of the pop3 or imap family (see run.sh)."""
    probe = new_record(a, a.mode)
    if not server_running(a, probe):
        return 1
    if a.mode == "imap-exists":
        return read_exists(a)
    runs = []           # (scenario, proto, user, steps, checks, prepare)
    if a.mode == "pop3-retr":
        # A fresh copy of the just-delivered messages (all in new/): the
        # first session moves them to cur/ (and Dovecot builds its index),
        # marks them seen at QUIT; the second finds them there.
        path = mailbox_path(a, "pop1k")
        master = os.path.join(a.master, f"pop1k-{a.count}")

        def fresh():
            if os.path.exists(path):
                shutil.rmtree(path)
            shutil.copytree(master, path, copy_function=shutil.copy2)
            chown_like(path, os.path.dirname(os.path.dirname(path)))
        steps = ["connect", "login", "uidl", "retr-all", "quit"]
        checks = {"uidl": ("responses", a.count), "retr-all": ("responses", a.count)}
        runs = [("pop3-retr-first", "pop3", "pop1k", steps, checks, fresh),
                ("pop3-retr", "pop3", "pop1k", steps, checks, None)]
    elif a.mode == "pop3-uidl":
        path = mailbox_path(a, "big")
        steps = ["connect", "login", "uidl", "quit"]
        checks = {"uidl": ("responses", a.count)}
        runs = [("pop3-uidl-cold", "pop3", "big", steps, checks, lambda: drop_index(path)),
                ("pop3-uidl", "pop3", "big", steps, checks, None)]
    elif a.mode == "imap-ops":
        path = mailbox_path(a, "big")
        st = stamp_of(a, f"big-{a.count}")
        steps = ["connect", "login", "select", "flags", "envelope",
                 "search-subject=" + st["subject_word"], "search-body=" + st["body_word"],
                 "logout"]
        checks = {"select": ("result", a.count), "flags": ("responses", a.count),
                  "envelope": ("responses", a.count),
                  steps[5]: ("result", st["subject_hits"]), steps[6]: ("result", st["body_hits"])}
        runs = [("imap-cold", "imap", "big", steps, checks, lambda: drop_index(path)),
                ("imap-warm", "imap", "big", steps, checks, None)]
    else:
        sys.exit(f"load.py: unknown read mode {a.mode}")
    rc_all = 0
    for scenario, proto, user, steps, checks, prepare in runs:
        if prepare is not None:
            prepare()
        time.sleep(SETTLE)
        port = a.pop3_port if proto == "pop3" else a.imap_port
        rec, rc = session(a, scenario, proto, port, user + "@bench.test", steps, checks)
        if rc == 3 and unavailable(rec.get("refused", [])):
            # Said for every session of the scenario, so that each row shows it.
            refused = rec.pop("refused")
            for other in runs:
                if other[0] != scenario:
                    not_available(a, new_record(a, other[0]), refused)
            return not_available(a, rec, refused)
        if rc == 3:
            rec.update(status="error", why=step_error(rec.pop("refused"), ""))
        append(a.out, rec)
        say_session(a, rec)
        if rec["status"] != "ok":
            rc_all = 1
            break
    return rc_all


def imap_lines(sock, buf, deadline):
    """The next line from sock (without CRLF) and what is left, or None at the deadline."""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None, buf
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the IMAP server closed the connection")
        buf += chunk
    line, _, buf = buf.partition(b"\n")
    return line.rstrip(b"\r"), buf


def imap_wait(sock, buf, prefix, deadline):
    """Reads lines until one starting with prefix; (line, rest) or (None, rest)."""
    while True:
        line, buf = imap_lines(sock, buf, deadline)
        if line is None or line.startswith(prefix) or TAGGED_NO_RE.match(line):
            return line, buf


def deliver_smtp(a, n):
    """One message to notify@bench.test over SMTP; the time of the 250 after DATA."""
    msg = (f"From: <sender@bench.test>\r\nTo: <notify@bench.test>\r\n"
           f"Subject: delivery {n} of the IDLE scenario\r\nMessage-ID: <exists.{n}."
           f"{time.time():.6f}@bench.test>\r\n\r\nA message for the client in IDLE.\r\n")
    s = smtplib.SMTP("127.0.0.1", a.port, timeout=30)
    s.ehlo("client.bench.test")
    s.sendmail("sender@bench.test", ["notify@bench.test"], msg.encode())
    t0 = time.monotonic()
    return t0, s


def deliver_maildir(a, n, path):
    """One message written into the Maildir as a delivery agent does: the file
    in tmp/, fsync, linked into new/, new/ fsync'd; the time after that."""
    body = (f"From: <sender@bench.test>\nTo: <notify@bench.test>\n"
            f"Subject: delivery {n} of the IDLE scenario\n\n"
            f"A message for the client in IDLE.\n").encode()
    name = "%d.M%dP%dQ%d.bench.test,S=%d,W=%d" % (time.time(), n, os.getpid(), n,
                                                    len(body), len(body) + body.count(b"\n"))
    tmp = os.path.join(path, "tmp", name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, body)
    os.fsync(fd)
    os.close(fd)
    ref = os.stat(os.path.join(path, "new"))
    if os.geteuid() == 0:
        os.chown(tmp, ref.st_uid, ref.st_gid)
    os.link(tmp, os.path.join(path, "new", name))
    dfd = os.open(os.path.join(path, "new"), os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(dfd)
    os.close(dfd)
    t0 = time.monotonic()
    os.unlink(tmp)
    return t0, None


def read_exists(a):
    """The delay from a delivery to the IDLE client's EXISTS, a.count times:
    over SMTP (from the 250 after DATA) for a server that takes mail, or
    written into new/ as a delivery agent does for one that only reads it."""
    rec = new_record(a, "imap-exists")
    path = mailbox_path(a, "notify")
    by_smtp = "smtp" in a.protocols.split()
    rec["delivered_by"] = "SMTP" if by_smtp else "new/"
    steps, rc, err = readload(a, "imap", a.imap_port, "notify@bench.test",
                              ["connect", "login", "logout"], a.timeout)
    if rc == 3 and unavailable(steps):
        return not_available(a, rec, steps)
    delays, status, why = [], "ok", ""
    sock = socket.create_connection(("127.0.0.1", a.imap_port), timeout=30)
    buf = b""
    try:
        deadline = time.monotonic() + 30
        line, buf = imap_wait(sock, buf, b"* OK [", deadline)
        sock.sendall(b'a LOGIN "notify@bench.test" "%s"\r\n' % a.password.encode())
        line, buf = imap_wait(sock, buf, b"a ", deadline)
        if line is None or not line.startswith(b"a OK"):
            raise ConnectionError(f"LOGIN: {line!r}")
        sock.sendall(b"b SELECT INBOX\r\n")
        line, buf = imap_wait(sock, buf, b"b ", deadline)
        if line is None or not line.startswith(b"b OK"):
            raise ConnectionError(f"SELECT: {line!r}")
        sock.sendall(b"c IDLE\r\n")
        line, buf = imap_wait(sock, buf, b"+", deadline)
        if line is None:
            raise ConnectionError("no continuation after IDLE")
        for n in range(1, a.count + 1):
            t0, smtp = deliver_smtp(a, n) if by_smtp else deliver_maildir(a, n, path)
            line, buf = None, buf
            limit = t0 + 10.0
            while True:
                line, buf = imap_lines(sock, buf, limit)
                if line is None or EXISTS_RE.match(line):
                    break
            t1 = time.monotonic()
            if smtp is not None:
                smtp.quit()
            if line is None:
                status, why = "timeout", f"delivery {n}: no EXISTS within 10 s"
                break
            delays.append((t1 - t0) * 1000.0)
            time.sleep(0.3)
        sock.sendall(b"DONE\r\n")
        imap_wait(sock, buf, b"c ", time.monotonic() + 10)
        sock.sendall(b"d LOGOUT\r\n")
    except (OSError, ConnectionError, smtplib.SMTPException) as e:
        status, why = "error", str(e)
    finally:
        sock.close()
    rec.update(status=status, why=why, delays_ms=delays)
    if delays:
        rec["median_ms"] = statistics.median(delays)
        rec["max_ms"] = max(delays)
    append(a.out, rec)
    print(f"bench: {a.peer:16} imap-exists      "
          + (f"median {rec['median_ms']:.0f} ms, max {rec['max_ms']:.0f} ms"
             f" ({len(delays)} deliveries by {rec['delivered_by']})" if delays else "-")
          + ("" if status == "ok" else f" [{status}: {why}]"), file=sys.stderr)
    return 0 if status == "ok" else (2 if status == "timeout" else 1)


def cmd_skip(a):
    append(a.out, {"kind": "run", "family": a.family, "scenario": a.scenario, "peer": a.peer,
                   "clients": a.clients, "count": a.count, "size": a.size, "rep": a.rep,
                   "status": "skipped", "why": a.why})
    return 0


def cmd_note(a):
    rec = {"kind": "peer", "family": a.family, "peer": a.peer, "label": a.label,
           "version": a.version, "status": a.status, "why": a.why}
    if a.extra:
        rec.update(json.loads(a.extra))
    append(a.out, rec)
    return 0


def pid_list(text):
    """One server pid, or several separated by commas (Postfix and Dovecot)."""
    return [int(x) for x in text.split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("run", "relay", "tls", "audit", "idle", "read"):
        p = sub.add_parser(name)
        p.add_argument("--family", default="deliver")
        p.add_argument("--peer", required=True)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--pid", required=True, help="server pid(s), comma-separated")
        if name in ("idle", "read"):
            p.add_argument("--imap-port", type=int, default=0)
            p.add_argument("--pop3-port", type=int, default=0)
            p.add_argument("--readload", default="", help="bench/readload.c, compiled")
            p.add_argument("--password", default="")
        if name == "read":
            p.add_argument("--mode", required=True,
                           choices=("pop3-retr", "pop3-uidl", "imap-ops", "imap-exists"))
            p.add_argument("--count", type=int, required=True)
            p.add_argument("--master", required=True, help="the master Maildirs (mkmaildir.py)")
            p.add_argument("--protocols", default="", help="what the peer serves")
            p.add_argument("--rep", type=int, default=1)
            p.add_argument("--timeout", type=float, default=60.0)
            p.add_argument("--out", required=True)
            p.add_argument("--maildir", required=True)
            p.add_argument("--work", required=True)
            p.add_argument("--source", default="")
            p.add_argument("--libdir", default="")
            p.add_argument("--clients", type=int, default=1)
            p.add_argument("--size", type=int, default=0)
            continue
        if name == "idle":
            p.add_argument("--user", default="")
            p.add_argument("--mode", required=True, help="idleload's mode (smtp, smtp-tls)")
            p.add_argument("--idleload", required=True, help="bench/idleload.c, compiled")
            p.add_argument("--first", type=int, default=0,
                           help="measure also after this many connections")
            p.add_argument("--addrs", type=int, default=1,
                           help="source addresses 127.0.0.1 to 127.0.0.N")
            p.add_argument("--settle", type=float, default=2.0,
                           help="seconds before the measure without connections")
            p.add_argument("--idle-wait", type=float, default=3.0,
                           help="seconds idle before each measure")
            p.add_argument("--count", type=int, required=True)
            p.add_argument("--clients", type=int, default=0)
            p.add_argument("--size", type=int, default=0)
            p.add_argument("--rep", type=int, default=1)
            p.add_argument("--timeout", type=float, default=60.0)
            p.add_argument("--out", required=True)
            p.add_argument("--maildir", default="")
            p.add_argument("--work", default="")
            p.add_argument("--source", default="")
            p.add_argument("--libdir", default="")
            continue
        p.add_argument("--maildir", required=True, help="Maildir path, %%u for the user")
        p.add_argument("--work", required=True, help="bench directory; nothing outside is emptied")
        p.add_argument("--source", required=True, help="smtp-source binary")
        p.add_argument("--libdir", required=True, help="LD_LIBRARY_PATH for smtp-source")
        p.add_argument("--size", type=int, default=4096)
        p.add_argument("--count", type=int, required=True)
        p.add_argument("--domain", default="bench.test", help="the recipients' domain")
        p.add_argument("--out", required=True)
        if name != "audit":
            p.add_argument("--clients", type=int, required=True)
            p.add_argument("--rep", type=int, default=1)
            p.add_argument("--timeout", type=float, default=60.0)
        if name == "relay":
            p.add_argument("--sink", required=True, help="smtp-sink's counter output file")
            p.add_argument("--sink-pid", type=int, default=0,
                           help="smtp-sink's pid: its CPU time counts as the load's")
        if name == "run":
            p.add_argument("--message", default="",
                           help="send this file (smtp-source -F) instead of a made-up message")
        if name == "tls":
            p.add_argument("--mode", choices=("handshake", "submit"), required=True)
            p.add_argument("--tlsload", required=True, help="bench/tlsload.c, compiled")
            p.add_argument("--user", required=True)
            p.add_argument("--password", required=True)
    p = sub.add_parser("signrate")
    p.add_argument("--family", default="dkim")
    p.add_argument("--peer", default="tegami")
    p.add_argument("--dkimsign", required=True, help="bench/dkimsign.c, compiled")
    p.add_argument("--key", required=True)
    p.add_argument("--message", required=True)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--rep", type=int, default=1)
    p.add_argument("--out", required=True)
    p = sub.add_parser("skip")
    for opt in ("--peer", "--out", "--why", "--family", "--scenario"):
        p.add_argument(opt, required=True)
    for opt in ("--size", "--clients", "--count", "--rep"):
        p.add_argument(opt, type=int, required=True)
    p = sub.add_parser("note")
    p.add_argument("--family", default="deliver")
    p.add_argument("--peer", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--version", default="")
    p.add_argument("--status", required=True)
    p.add_argument("--why", default="")
    p.add_argument("--extra", default="", help="more fields, as a JSON object")
    p.add_argument("--out", required=True)
    a = ap.parse_args()
    if hasattr(a, "pid"):
        a.pids = pid_list(a.pid)
    if getattr(a, "sink_pid", 0) > 0:
        LOAD_PIDS.append(a.sink_pid)
    return {"run": cmd_run, "relay": cmd_relay, "tls": cmd_tls, "audit": cmd_audit,
            "idle": cmd_idle, "read": cmd_read, "skip": cmd_skip, "note": cmd_note,
            "signrate": cmd_signrate}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
