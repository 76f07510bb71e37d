#!/usr/bin/python3
"""Writes docs/BENCHMARKS.md from bench/run.sh's results, keeping the hand-written method section."""

import argparse
import datetime
import json
import os
import ssl
import statistics
import sys

MARK = "<!-- Written by hand from here on: bench/report.py keeps this section. -->"

DEFAULT_METHOD = MARK + """

## Method

(The method section has not been written yet.)
"""


def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def mount_of(path):
    """(mount point, fstype, source, options) of the filesystem holding path."""
    path = os.path.realpath(path)
    best = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            lf, rf = left.split(), right.split()
            mnt = lf[4].replace("\\040", " ")
            if path == mnt or path.startswith(mnt.rstrip("/") + "/") or mnt == "/":
                if best is None or len(mnt) >= len(best[0]):
                    opts = lf[5].split(",") + (rf[2].split(",") if len(rf) > 2 else [])
                    best = (mnt, rf[0], rf[1], ",".join(dict.fromkeys(opts)))
    return best


def machine(work):
    info = {}
    info["nproc"] = str(len(os.sched_getaffinity(0)))
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    info["kernel"] = os.uname().release
    try:
        with open("/etc/debian_version") as f:
            info["os"] = "Debian " + f.read().strip()
    except OSError:
        info["os"] = os.uname().sysname
    m = mount_of(work)
    if m:
        info["fs"] = f"{m[1]} on {m[2]} mounted at {m[0]} ({m[3]})"
    return info


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ms(x):
    return "–" if x is None else f"{x:.2f}"


class Results:
    def __init__(self, recs):
        self.peers = []        # in the order they ran
        self.label = {}
        self.version = {}
        self.status = {}       # peer -> (status, why) of its worst round
        self.runs = {}         # (peer, size, clients) -> [records]
        self.audit = {}
        for r in recs:
            p = r["peer"]
            if r.get("status") == "info":
                continue
            if p not in self.peers:
                self.peers.append(p)
            if r["kind"] == "peer":
                self.label[p] = r["label"]
                if r.get("version"):
                    self.version[p] = r["version"]
                if r["status"] != "ok" or p not in self.status:
                    self.status[p] = (r["status"], r.get("why", ""))
            elif r["kind"] == "run":
                self.runs.setdefault((p, r["size"], r["clients"]), []).append(r)
            elif r["kind"] == "audit":
                self.audit[p] = r
        self.sizes = sorted({k[1] for k in self.runs})
        self.clients = sorted({k[2] for k in self.runs})

    def name(self, p):
        return self.label.get(p, p)

    def ok(self, p, size, clients):
        return [r for r in self.runs.get((p, size, clients), [])
                if r["status"] == "ok" and "rate" in r]

    def median(self, p, size, clients, key):
        vals = [r[key] for r in self.ok(p, size, clients) if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    def best(self, p, size, clients):
        """The highest msg/s of the good rounds: on a shared machine other
        work only ever slows a round down."""
        vals = [r["rate"] for r in self.ok(p, size, clients)]
        return max(vals) if vals else None

    def cell(self, p, size, clients):
        """The msg/s cell: the best of the good rounds, or why there is none."""
        good = self.ok(p, size, clients)
        allr = self.runs.get((p, size, clients), [])
        if good:
            s = fmt_rate(self.best(p, size, clients))
            if len(good) < len(allr):
                s += f" ({len(good)} of {len(allr)} rounds)"
            return s
        st = self.status.get(p, ("", ""))
        if st[0] == "not runnable":
            return "not runnable"
        real = [r for r in allr if r["status"] != "skipped"]
        if real or allr:
            return (real or allr)[0]["status"]
        return "–"


def table_rates(res, size, out, unit="msg/s", what="messages"):
    peers = res.peers
    base = "tegami" if "tegami" in peers else None
    others = [p for p in peers if p != base]
    head = ["clients", what] + [f"{res.name(p)} {unit}" for p in peers]
    if base:
        head += [f"tegami / {res.name(p)}" for p in others]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join(["---:"] * len(head)) + "|")
    for c in res.clients:
        counts = {r["count"] for p in peers for r in res.runs.get((p, size, c), [])}
        row = [str(c), "/".join(str(n) for n in sorted(counts)) or "–"]
        row += [res.cell(p, size, c) for p in peers]
        if base:
            t = res.best(base, size, c)
            for p in others:
                o = res.best(p, size, c)
                row.append(f"{t / o:.2f}" if t and o else "–")
        out.append("| " + " | ".join(row) + " |")


def gen_ms(r):
    """tlsload's own CPU milliseconds (user + system) per operation."""
    g = r.get("generator") or {}
    n = r.get("delivered") or g.get("done")
    if not n or "user" not in g:
        return None
    return (g["user"] + g.get("sys", 0.0)) * 1000.0 / n


def table_cpu(res, size, out, load="smtp-source", accepted=True, tlsload=False):
    head = ["server", "clients", "server user", "server sys", "kernel threads", load]
    if tlsload:
        head.append("of which tlsload")
    head += ["everything else", "machine user", "machine sys"]
    if accepted:
        head.append("accepted msg/s")
    out.append("| " + " | ".join(head) + " |")
    out.append("|---|" + "---:|" * (len(head) - 1))
    for p in res.peers:
        for c in res.clients:
            if not res.ok(p, size, c):
                continue

            def m(k):
                return fmt_ms(res.median(p, size, c, k))
            row = [res.name(p), str(c), m("server_user_ms"), m("server_sys_ms"),
                   m("kthreads_ms"), m("driver_ms")]
            if tlsload:
                vals = [v for v in (gen_ms(r) for r in res.ok(p, size, c)) if v is not None]
                row.append(fmt_ms(statistics.median(vals)) if vals else "–")
            row += [m("other_ms"), m("machine_user_ms"), m("machine_system_ms")]
            if accepted:
                acc = res.median(p, size, c, "accept_rate")
                row.append(fmt_rate(acc) if acc else "–")
            out.append("| " + " | ".join(row) + " |")


def table_audit(res, out):
    keys = [("fsync", "queue", "file"), ("fsync", "queue", "dir"),
            ("fsync", "maildir", "file"), ("fsync", "maildir", "dir")]
    out.append("| server | messages | queue file | queue directory | Maildir file"
               " | Maildir directory | other sync calls |")
    out.append("|---|---:|---:|---:|---:|---:|---|")
    for p in res.peers:
        a = res.audit.get(p)
        if not a:
            continue
        if a["status"] != "ok":
            out.append(f"| {res.name(p)} | – | {a['status']}: {a.get('why', '')} | | | | |")
            continue
        pm = dict(a.get("per_message", {}))
        cells = []
        for k in keys:
            cells.append(f"{pm.pop(' '.join(k), 0):.2f}")
        rest = ", ".join(f"{k} {v:.2f}" for k, v in sorted(pm.items())) or "none"
        out.append(f"| {res.name(p)} | {a['delivered']} | " + " | ".join(cells) + f" | {rest} |")


def table_rounds(sections, out):
    out.append("| server | scenario | size | clients | per second in each round"
               " | CPUs used by other processes | busiest other processes, ms per operation"
               " | status |")
    out.append("|---|---|---:|---:|---|---|---|---|")
    for title, res in sections:
        for p in res.peers:
            for size in res.sizes:
                for c in res.clients:
                    rs = res.runs.get((p, size, c), [])
                    if not rs:
                        continue
                    rates = ", ".join(fmt_rate(r["rate"]) if "rate" in r else "–" for r in rs)
                    other = ", ".join(f"{r['other_cpus']:.2f}" if r.get("other_cpus") is not None
                                      else "–" for r in rs)
                    top = {}
                    for r in rs:
                        for comm, ms in r.get("other_top", []):
                            top[comm] = top.get(comm, 0.0) + ms / len(rs)
                    tops = ", ".join(f"{comm} {ms:.2f}" for comm, ms in
                                     sorted(top.items(), key=lambda kv: -kv[1])[:3]) or "–"
                    st = "; ".join(sorted({r["status"] + (": " + r["why"] if r.get("why") else "")
                                           for r in rs}))
                    sz = f"{size // 1024} KiB" if size else "–"
                    out.append(f"| {res.name(p)} | {title} | {sz} | {c} | {rates} | {other}"
                               f" | {tops} | {st} |")


def busy_note(res, size, info, out):
    """A warning when other processes took a good part of the machine."""
    busy = [r["other_cpus"] for p in res.peers for c in res.clients
            for r in res.ok(p, size, c) if r.get("other_cpus") is not None]
    if busy and statistics.mean(busy) > 0.25:
        out.append(f"The machine was not quiet: during these rounds other processes kept"
                   f" {statistics.mean(busy):.2f} of its {info.get('nproc', '?')} CPUs"
                   f" busy on average ({min(busy):.2f} to {max(busy):.2f}; see"
                   " [Every round](#every-round)). Absolute rates are lower than on an"
                   " idle machine, for every server; the ratios are the result.")
        out.append("")


def family_of(r):
    return r.get("family", "deliver")


# The idle family's scenarios (bench/idleload's modes): how the table names
# them, and the targets for tegami in KiB of PSS per connection.
IDLE_KINDS = {"smtp": "SMTP, plain", "smtp-tls": "SMTP, TLS", "imap-idle": "IMAP, IDLE"}
IDLE_TARGETS = {"smtp": 10, "smtp-tls": 16, "imap-idle": 20}


def fmt_kib(x):
    return "–" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")


def idle_rows(recs):
    """(scenario, connections) -> peer -> its records, in the order they ran."""
    rows = {}
    for r in recs:
        if r["kind"] == "run":
            rows.setdefault((r["scenario"], r["clients"]), {}).setdefault(
                r["peer"], []).append(r)
    return rows


def idle_median(rs, key):
    vals = [r[key] for r in rs if r["status"] == "ok" and r.get(key) is not None]
    return statistics.median(vals) if vals else None


def idle_section(recs, res, out):
    rows = idle_rows(recs)
    out.append("| server | kind | connections | RSS KiB per connection"
               " | PSS KiB per connection | private KiB per connection"
               " | tegami / this, RSS | tegami / this, PSS"
               " | processes before → after | PSS KiB per connection, last 90% |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---|---:|")
    met, pte = [], {}
    for (scen, n), peers in rows.items():
        t_rss = idle_median(peers.get("tegami", []), "rss_kib")
        t_pss = idle_median(peers.get("tegami", []), "pss_kib")
        for p in res.peers:
            rs = peers.get(p)
            if not rs:
                continue
            rss, pss = idle_median(rs, "rss_kib"), idle_median(rs, "pss_kib")
            good = [r for r in rs if r["status"] == "ok"]
            if not good:
                real = [r for r in rs if r["status"] != "skipped"] or rs
                st = real[0]["status"]
                out.append(f"| {res.name(p)} | {IDLE_KINDS.get(scen, scen)} | {n:,} | {st}"
                           " | | | | | | |")
                continue
            step = [r["step"]["pss_kib"] for r in good if r.get("step")]
            procs = statistics.median(r["mem_before"]["procs"] for r in good), \
                statistics.median(r["mem_after"]["procs"] for r in good)
            ratio = (p != "tegami" and t_rss and rss)
            out.append(f"| {res.name(p)} | {IDLE_KINDS.get(scen, scen)} | {n:,}"
                       f" | {fmt_kib(rss)} | {fmt_kib(pss)}"
                       f" | {fmt_kib(idle_median(rs, 'private_kib'))}"
                       f" | {f'{t_rss / rss:.2g}' if ratio else '–'}"
                       f" | {f'{t_pss / pss:.2g}' if ratio and t_pss and pss else '–'}"
                       f" | {procs[0]:.0f} → {procs[1]:.0f}"
                       f" | {fmt_kib(statistics.median(step)) if step else '–'} |")
            pt = idle_median(rs, "pte_kib")
            if pt is not None:
                pte.setdefault(res.name(p), []).append(
                    f"{fmt_kib(pt)} ({IDLE_KINDS.get(scen, scen)}, {n:,})")
        if t_pss is not None and scen in IDLE_TARGETS:
            goal = IDLE_TARGETS[scen]
            met.append(f"{IDLE_KINDS.get(scen, scen)}, {n:,}: {fmt_kib(t_pss)} KiB of at most"
                       f" {goal} ({'met' if t_pss <= goal else 'not met'})")
    out.append("")
    if met:
        out.append("tegami against its targets, in PSS per connection: " + "; ".join(met) + ".")
        out.append("")
    if pte:
        out.append("Not in RSS or PSS: the page tables of the server's processes (VmPTE), KiB"
                   " per connection: " + "; ".join(f"{name} " + ", ".join(v)
                                                   for name, v in pte.items())
                   + "; nor the kernel's own memory for each process and socket.")
        out.append("")
    if all(len(rs) == 1 and rs[0]["status"] == "ok"
           for peers in rows.values() for rs in peers.values()):
        return
    out.append("Every round (KiB per connection, PSS / RSS):")
    out.append("")
    out.append("| server | kind | connections | each round | status |")
    out.append("|---|---|---:|---|---|")
    for (scen, n), peers in rows.items():
        for p in res.peers:
            rs = peers.get(p)
            if not rs:
                continue
            each = ", ".join(f"{fmt_kib(r['pss_kib'])} / {fmt_kib(r['rss_kib'])}"
                             if r.get("pss_kib") is not None else "–" for r in rs)
            st = "; ".join(sorted({r["status"] + (": " + r["why"] if r.get("why") else "")
                                   for r in rs}))
            out.append(f"| {res.name(p)} | {IDLE_KINDS.get(scen, scen)} | {n:,} | {each}"
                       f" | {st} |")


# ---- the mail-reading families (pop3, imap) ----

def fmt_s(x):
    """Seconds: milliseconds below one second."""
    if x is None:
        return "–"
    if x < 1:
        return f"{x * 1000:.1f} ms" if x < 0.1 else f"{x * 1000:.0f} ms"
    return f"{x:.2f} s"


def read_recs(recs, family):
    return [r for r in recs if family_of(r) == family and r["kind"] == "run"]


def op_seconds(r, steps):
    """The seconds of some steps of a session record, or None if one is missing."""
    vals = [r.get("steps", {}).get(x) for x in steps]
    return None if any(v is None for v in vals) else sum(vals)


def best_op(rs, steps):
    """The least time over the good rounds (other work only slows a round down)."""
    vals = [op_seconds(r, steps) for r in rs if r["status"] == "ok"]
    vals = [v for v in vals if v is not None]
    return min(vals) if vals else None


def read_cell(rs, steps):
    """A time, or why there is none."""
    if not rs:
        return "–", None
    t = best_op(rs, steps)
    if t is not None:
        good = sum(1 for r in rs if r["status"] == "ok")
        return fmt_s(t) + (f" ({good} of {len(rs)} rounds)" if good < len(rs) else ""), t
    real = [r for r in rs if r["status"] != "skipped"] or rs
    return real[0]["status"], None


def by_peer(rs):
    out = {}
    for r in rs:
        out.setdefault(r["peer"], []).append(r)
    return out


def ratio(t, o):
    return f"{t / o:.2f}" if t is not None and o else "–"


def read_versus(res, rows, recs, out, what="messages"):
    """One table: a row per (label, scenario, steps, count), a column per
    peer with its best time, and tegami's time over each other peer's."""
    peers = res.peers
    others = [p for p in peers if p != "tegami"]
    head = ["session", what] + [res.name(p) for p in peers] + \
        [f"tegami / {res.name(p)}" for p in others if "tegami" in peers]
    out.append("| " + " | ".join(head) + " |")
    out.append("|---|" + "---:|" * (len(head) - 1))
    for label, scen, steps in rows:
        rs = by_peer([r for r in recs if r["scenario"] == scen])
        counts = sorted({r["count"] for r in recs if r["scenario"] == scen})
        cells, times = [], {}
        for p in peers:
            c, t = read_cell(rs.get(p, []), steps)
            cells.append(c)
            times[p] = t
        row = [label, "/".join(f"{n:,}" for n in counts) or "–"] + cells
        if "tegami" in peers:
            row += [ratio(times.get("tegami"), times.get(p)) for p in others]
        out.append("| " + " | ".join(row) + " |")


def read_rounds(res, recs, out, steps_of):
    """Every session: its time in each round, the CPUs other work took, and its status."""
    out.append("| server | session | seconds in each round | server CPU ms in each round"
               " | CPUs used by other processes | status |")
    out.append("|---|---|---|---|---|---|")
    for scen in dict.fromkeys(r["scenario"] for r in recs):
        for p in res.peers:
            rs = [r for r in recs if r["scenario"] == scen and r["peer"] == p]
            if not rs:
                continue
            secs = ", ".join(f"{op_seconds(r, steps_of(r)):.3f}"
                             if r["status"] == "ok" and op_seconds(r, steps_of(r)) is not None
                             else "–" for r in rs)
            cpu = ", ".join(f"{r['server_ms']:.0f}" if r.get("server_ms") is not None else "–"
                            for r in rs)
            other = ", ".join(f"{r['other_cpus']:.2f}" if r.get("other_cpus") is not None
                              else "–" for r in rs)
            st = "; ".join(sorted({r["status"] + (": " + r["why"] if r.get("why") else "")
                                   for r in rs}))
            out.append(f"| {res.name(p)} | {scen} | {secs} | {cpu} | {other} | {st} |")


def read_busy(recs, info, out):
    busy = [r["other_cpus"] for r in recs if r.get("other_cpus") is not None
            and r["status"] == "ok"]
    if busy and statistics.mean(busy) > 0.25:
        out.append(f"The machine was not quiet: during these sessions other processes kept"
                   f" {statistics.mean(busy):.2f} of its {info.get('nproc', '?')} CPUs busy"
                   f" on average ({min(busy):.2f} to {max(busy):.2f}). Absolute times are"
                   " longer than on an idle machine, for every server; the ratios are the"
                   " result.")
        out.append("")


def targets_note(res, recs, rows, out, goal="at most Dovecot's time"):
    """tegami against 'at most the other's time', row by row."""
    if "tegami" not in res.peers:
        return
    lines = []
    for label, scen, steps in rows:
        rs = by_peer([r for r in recs if r["scenario"] == scen])
        t = best_op(rs.get("tegami", []), steps)
        for p in res.peers:
            if p == "tegami":
                continue
            o = best_op(rs.get(p, []), steps)
            if t is None or o is None:
                continue
            lines.append(f"{label}: {'met' if t <= o else 'not met'} ({t / o:.2f})")
    if lines:
        out.append(f"tegami against its target ({goal}): " + "; ".join(lines) + ".")
        out.append("")


def not_available_note(res, recs, out):
    seen = set()
    for r in recs:
        if r["status"] == "not available" and r["peer"] not in seen:
            seen.add(r["peer"])
            out.append(f"- **{res.name(r['peer'])}: not available**: {r.get('why', '')}")
    if seen:
        out.append("")


POP3_STEPS = ["connect", "login", "uidl", "retr-all", "quit"]


def pop3_section(recs, res, info, out):
    rs = read_recs(recs, "pop3")
    rows = [("login + UIDL + RETR of each + QUIT, first session (new/ to cur/, no index)",
             "pop3-retr-first", POP3_STEPS),
            ("the same again (in cur/, index built)", "pop3-retr", POP3_STEPS),
            ("login + UIDL + QUIT, no index", "pop3-uidl-cold",
             ["connect", "login", "uidl", "quit"]),
            ("the same again (index built)", "pop3-uidl", ["connect", "login", "uidl", "quit"])]
    out.append("One POP3 session at a time over plain POP3 on loopback (no TLS: the numbers"
               " compare the servers, not OpenSSL), one command at a time, by"
               " bench/readload.c; from the connection until the reply to QUIT. The best"
               " of the rounds; tegami / Dovecot is tegami's time over Dovecot's (the"
               " target is at most 1).")
    out.append("")
    not_available_note(res, rs, out)
    read_versus(res, rows, rs, out, "messages")
    out.append("")
    targets_note(res, rs, rows, out)
    read_busy(rs, info, out)
    out.append("Each step (medians of the good rounds):")
    out.append("")
    out.append("| server | session | connect | USER + PASS | UIDL | RETR each | QUIT"
               " | server CPU ms |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, scen, steps in rows:
        for p in res.peers:
            good = [r for r in rs if r["scenario"] == scen and r["peer"] == p
                    and r["status"] == "ok"]
            if not good:
                continue

            def med(step):
                v = [r["steps"].get(step) for r in good if r["steps"].get(step) is not None]
                return fmt_s(statistics.median(v)) if v else "–"
            cpu = [r["server_ms"] for r in good if r.get("server_ms") is not None]
            out.append(f"| {res.name(p)} | {scen} | {med('connect')} | {med('login')}"
                       f" | {med('uidl')} | {med('retr-all')} | {med('quit')}"
                       f" | {statistics.median(cpu):.0f} |" if cpu else
                       f"| {res.name(p)} | {scen} | {med('connect')} | {med('login')}"
                       f" | {med('uidl')} | {med('retr-all')} | {med('quit')} | – |")
    out.append("")
    out.append("Every round:")
    out.append("")
    read_rounds(res, rs, out, lambda r: list(r.get("steps", {}).keys()))
    out.append("")


IMAP_OPS = [("LOGIN + SELECT (from the connection)", ["connect", "login", "select"]),
            ("UID FETCH 1:* (FLAGS)", ["flags"]),
            ("FETCH 1:* (ENVELOPE)", ["envelope"]),
            ("SEARCH SUBJECT", ["search-subject"]),
            ("SEARCH BODY", ["search-body"])]


def imap_steps(r, steps):
    """Step names as readload printed them: search-subject=WORD."""
    names = list(r.get("steps", {}).keys())
    out = []
    for s in steps:
        m = [n for n in names if n == s or n.startswith(s + "=")]
        out.append(m[0] if m else s)
    return out


def imap_best(rs, steps):
    vals = [op_seconds(r, imap_steps(r, steps)) for r in rs if r["status"] == "ok"]
    vals = [v for v in vals if v is not None]
    return min(vals) if vals else None


def imap_cell(rs, steps):
    if not rs:
        return "–", None
    t = imap_best(rs, steps)
    if t is not None:
        return fmt_s(t), t
    real = [r for r in rs if r["status"] != "skipped"] or rs
    return real[0]["status"], None


def imap_section(recs, res, info, out):
    rs = read_recs(recs, "imap")
    ops = [r for r in rs if r["scenario"] in ("imap-cold", "imap-warm")]
    peers = res.peers
    others = [p for p in peers if p != "tegami"]
    counts = sorted({r["count"] for r in ops})
    out.append("### Operations on a large mailbox")
    out.append("")
    out.append(f"One IMAP session over plain IMAP on loopback (no TLS), on an INBOX of"
               f" {'/'.join(f'{n:,}' for n in counts) or '–'} messages, each command"
               " timed by bench/readload.c from its first byte sent to the last byte of its"
               " tagged reply. No index: the servers' index files were removed just before"
               " (tegami's SQLite index; Dovecot's index, cache, logs and dovecot-uidlist),"
               " so SELECT builds them and FETCH ENVELOPE parses every message's header;"
               " index built: the same session again right after. The messages are in the"
               " page cache either way. The best of the rounds.")
    out.append("")
    not_available_note(res, rs, out)
    head = ["operation"]
    for kind in ("index built", "no index"):
        head += [f"{res.name(p)}, {kind}" for p in peers]
        if "tegami" in peers:
            head += [f"tegami / {res.name(p)}, {kind}" for p in others]
    out.append("| " + " | ".join(head) + " |")
    out.append("|---|" + "---:|" * (len(head) - 1))
    lines = []
    for label, steps in IMAP_OPS:
        row = [label]
        for scen in ("imap-warm", "imap-cold"):
            bp = by_peer([r for r in ops if r["scenario"] == scen])
            times = {}
            for p in peers:
                c, t = imap_cell(bp.get(p, []), steps)
                row.append(c)
                times[p] = t
            if "tegami" in peers:
                for p in others:
                    row.append(ratio(times.get("tegami"), times.get(p)))
                    if times.get("tegami") is not None and times.get(p):
                        ok = times["tegami"] <= times[p]
                        lines.append(f"{label}, {'index built' if scen == 'imap-warm' else 'no index'}:"
                                     f" {'met' if ok else 'not met'}"
                                     f" ({times['tegami'] / times[p]:.2f})")
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    if lines:
        out.append("tegami against its target (at most Dovecot's time): " + "; ".join(lines) + ".")
        out.append("")
    # What the searches found: every server must find the same messages.
    found = []
    for p in peers:
        for r in ops:
            if r["peer"] != p or r["status"] not in ("ok", "wrong answers"):
                continue
            for name, c in r.get("counts", {}).items():
                if name.startswith("search-"):
                    found.append((name, p, int(c.get("result") or 0)))
    if found:
        parts = []
        for name in dict.fromkeys(n for n, _, _ in found):
            per = {}
            for n, p, v in found:
                if n == name:
                    per.setdefault(p, set()).add(v)
            kind, _, word = name.partition("=")
            parts.append(f"{kind.replace('search-', 'SEARCH ').upper()} {word}: "
                         + ", ".join(f"{res.name(p)} {'/'.join(str(x) for x in sorted(v))}"
                                     for p, v in per.items()))
        want = next((r.get("big", {}) for r in reversed(recs) if r.get("status") == "info"
                     and r.get("peer") == "readload" and family_of(r) == "imap"), {})
        if want and want.get("count") in counts:
            parts.append(f"mkmaildir.py put {want.get('subject_word')} in"
                         f" {want.get('subject_hits')} subjects and {want.get('body_word')}"
                         f" in {want.get('body_hits')} text parts")
        out.append("Messages found: " + "; ".join(parts) + ".")
        out.append("")
    wrong = [r for r in ops if r["status"] == "wrong answers"]
    for r in wrong:
        out.append(f"- **{res.name(r['peer'])}, {r['scenario']}: wrong answers**: {r.get('why', '')}")
    if wrong:
        out.append("")
    read_busy(ops, info, out)
    out.append("Every round (the whole session, with LOGOUT):")
    out.append("")
    read_rounds(res, ops, out, lambda r: list(r.get("steps", {}).keys()))
    out.append("")

    ex = [r for r in rs if r["scenario"] == "imap-exists"]
    if ex:
        out.append("### From delivery to EXISTS in IDLE")
        out.append("")
        out.append("One client in IDLE on a small INBOX; a message is delivered, and the time"
                   " is taken from the delivery to the untagged EXISTS that announces it:"
                   " for tegami from the 250 reply to the message's DATA over SMTP (so its"
                   " queue, delivery and IMAP notification are all in it), for Dovecot from"
                   " the moment the message is in new/, written there as a delivery agent"
                   " does (the file in tmp/, fsync, a link into new/, new/ fsync'd). Each"
                   " round delivers one message at a time, 0.3 s apart. The target is one"
                   " second.")
        out.append("")
        out.append("| server | deliveries | delivered by | median | max | target (1 s) |")
        out.append("|---|---:|---|---:|---:|---|")
        for p in peers:
            prs = [r for r in ex if r["peer"] == p]
            if not prs:
                continue
            good = [r for r in prs if r["status"] == "ok" and r.get("delays_ms")]
            if not good:
                real = [r for r in prs if r["status"] != "skipped"] or prs
                out.append(f"| {res.name(p)} | – | – | {real[0]['status']} | | |")
                continue
            d = [x for r in good for x in r["delays_ms"]]
            ok = "met" if max(d) <= 1000 else "not met"
            out.append(f"| {res.name(p)} | {len(d)} | {good[0].get('delivered_by', '?')}"
                       f" | {statistics.median(d):.0f} ms | {max(d):.0f} ms"
                       f" | {ok if p == 'tegami' else '–'} |")
        out.append("")

    idle = [r for r in recs if family_of(r) == "imap" and r["kind"] == "run"
            and r["scenario"] == "imap-idle"]
    if idle:
        out.append("### Idle connections in IDLE")
        out.append("")
        out.append("As in [Idle connections](#idle-connections): bench/idleload holds the"
                   " connections, each through LOGIN (in clear), SELECT INBOX (100 messages,"
                   " one login for all) and IDLE, then nothing more; the memory of every"
                   " process of the server's tree, less the same on the freshly started"
                   " server, per connection. The target for tegami is 20 KiB of PSS per"
                   " connection.")
        out.append("")
        idle_section(idle, res, out)
        if out[-1]:
            out.append("")


def split(recs):
    """Results per section: accept-and-deliver, handshakes, submissions, relay."""
    def pick(fam, scen):
        return Results([r for r in recs if family_of(r) == fam and r["kind"] != "family" and
                        (r["kind"] != "run" or r.get("scenario", "deliver") == scen)])
    return {"deliver": pick("deliver", "deliver"), "handshake": pick("tls", "handshake"),
            "submit": pick("tls", "submit"), "relay": pick("relay", "relay"),
            "idle": Results([r for r in recs if family_of(r) == "idle" and
                             r["kind"] != "family"]),
            "filters": pick("filters", "deliver"), "dkim": pick("dkim", "deliver"),
            "pop3": Results([r for r in recs if family_of(r) == "pop3" and
                             r["kind"] != "family" and r.get("peer") != "readload"]),
            "imap": Results([r for r in recs if family_of(r) == "imap" and
                             r["kind"] != "family" and r.get("peer") != "readload"])}


def measured(recs, family, out):
    """When a family was last run: a partial run keeps the others' results."""
    t = [r["time"] for r in recs if r["kind"] == "family" and r["family"] == family]
    if t:
        when = datetime.datetime.fromtimestamp(max(t), datetime.timezone.utc)
        out.append(f"Measured {when:%Y-%m-%d %H:%M} UTC.")
        out.append("")


def ran(res):
    return bool(res.runs) or any(s[0] != "ok" for s in res.status.values())


def not_runnable(res, family, out):
    lines = []
    for p in res.peers:
        st, why = res.status.get(p, ("", ""))
        if st and st != "ok":
            lines.append(f"- **{res.name(p)}: {st}**: {why}")
    if lines:
        out.extend(lines)
        out.append("")


def generate(recs, info, args):
    sec = split(recs)
    tls_info = next((r for r in recs if r.get("status") == "info" and
                     family_of(r) == "tls"), {})
    out = []
    now = datetime.datetime.now(datetime.timezone.utc)
    rounds = max((r.get("rep", 1) for r in recs if r["kind"] == "run"), default=1)
    out.append("# Benchmarks")
    out.append("")
    out.append(f"Written by `make bench` (bench/run.sh, bench/report.py) on "
               f"{now:%Y-%m-%d %H:%M} UTC. Everything above the method section is"
               " rewritten by the next run.")
    out.append("")
    out.append("## Machine and versions")
    out.append("")
    out.append("| | |")
    out.append("|---|---|")
    out.append(f"| date | {now:%Y-%m-%d} |")
    out.append(f"| nproc | {info.get('nproc', '?')} |")
    out.append(f"| memory | {info.get('memory', '?')} |")
    out.append(f"| CPU | {info.get('cpu', '?')} |")
    out.append(f"| kernel | {info.get('kernel', '?')} |")
    out.append(f"| system | {info.get('os', '?')} |")
    out.append(f"| filesystem of the bench directory | {info.get('fs', '?')} |")
    versions = {}
    for res in sec.values():
        for p in res.peers:
            vs = versions.setdefault(res.name(p), [])
            if res.version.get(p, "?") not in vs:
                vs.append(res.version.get(p, "?"))
    for name, vs in versions.items():
        # Other people commit while the benchmark runs: say so.
        out.append(f"| {name} | {' then '.join(vs)} |")
    pf = next((sec[k].version["postfix"] for k in ("deliver", "relay", "idle")
               if sec[k].version.get("postfix")), "")
    out.append(f"| load generators | smtp-source from Debian's postfix {pf}; bench/tlsload.c"
               f" (threads) and bench/idleload.c (one thread, epoll), {ssl.OPENSSL_VERSION};"
               " bench/readload.c (one POP3 or IMAP session, one command at a time) |")
    read_info = next((r for r in reversed(recs) if r.get("status") == "info" and
                      r.get("peer") == "readload"), {})
    if read_info:
        big = read_info.get("big", {})
        out.append(f"| POP3 and IMAP | plain, on loopback; one bcrypt hash, cost"
                   f" {read_info.get('hash_cost', '?')}, made by {read_info.get('hash_by', '?')},"
                   f" for both servers; Maildirs by bench/mkmaildir.py (version"
                   f" {big.get('version', '?')}): {big.get('count', 0):,} messages,"
                   f" {big.get('bytes', 0) / 1048576:,.0f} MiB |")
    if tls_info:
        out.append(f"| TLS and AUTH | {tls_info.get('cert', '')} certificate; one bcrypt hash,"
                   f" cost {tls_info.get('hash_cost', '?')}, made by"
                   f" {tls_info.get('hash_by', '?')}, for every server |")
    out.append(f"| scale | BENCH_SCALE={args.scale}; {rounds} round(s) |")
    out.append("")

    res = sec["deliver"]
    if ran(res):
        not_runnable(res, "deliver", out)
    for size in res.sizes:
        out.append(f"## Durable SMTP accept-and-deliver, {size // 1024} KiB messages")
        out.append("")
        measured(recs, "deliver", out)
        out.append("Messages per second from the first connection until the last message"
                   " is in its Maildir's new/: the best of the rounds (all of them are"
                   " under [Every round](#every-round)).")
        out.append("")
        table_rates(res, size, out)
        out.append("")
        busy_note(res, size, info, out)
        out.append(f"CPU milliseconds per message, {size // 1024} KiB (medians). Server: its"
                   " processes, user and system; kernel threads: jbd2, kworkers and the"
                   " like; smtp-source: the load generator and the driver; everything else:"
                   " what other processes on the machine used meanwhile; machine: all of it,"
                   " from /proc/stat (system includes irq and softirq).")
        out.append("")
        table_cpu(res, size, out)
        out.append("")
    if res.audit:
        out.append("## Sync calls per message")
        out.append("")
        out.append("From `strace -f -y` on the server's processes while one client sends"
                   " 20 messages of 4 KiB (a separate run, not timed).")
        out.append("")
        table_audit(res, out)
        out.append("")

    hs, sub = sec["handshake"], sec["submit"]
    if ran(hs) or ran(sub):
        out.append("## TLS handshakes and authenticated submissions")
        out.append("")
        measured(recs, "tls", out)
        out.append("STARTTLS on a listener that requires it, TLS 1.3 full handshakes"
                   " (the client never resumes a session), RSA 2048 certificate;"
                   " bench/tlsload.c with one thread per client. Postfix checks passwords"
                   " through Dovecot's auth service (smtpd_sasl_type = dovecot).")
        out.append("")
        not_runnable(hs if hs.status else sub, "tls", out)
        for title, r, unit, what, text in (
                ("STARTTLS handshakes", hs, "handshakes/s", "handshakes",
                 "Connect, banner, EHLO, STARTTLS, handshake, QUIT over TLS: per second,"
                 " from the start of the generator until the last QUIT's reply."),
                ("Authenticated submissions", sub, "msg/s", "messages",
                 "A fresh connection per message: STARTTLS, EHLO, AUTH PLAIN (bcrypt"
                 " cost 10), MAIL, RCPT, DATA of 4 KiB, QUIT; per second from the first"
                 " connection until the last message is in its Maildir's new/.")):
            if not r.sizes:
                continue
            out.append(f"### {title}")
            out.append("")
            out.append(text)
            out.append("")
            for size in r.sizes:
                table_rates(r, size, out, unit, what)
                out.append("")
                busy_note(r, size, info, out)
                out.append(f"CPU milliseconds per {what[:-1]} (medians); the load column is"
                           " tlsload and the driver, and tlsload's own share of it.")
                out.append("")
                table_cpu(r, size, out, "load", accepted=(r is sub), tlsload=True)
                out.append("")

    res = sec["relay"]
    if ran(res):
        out.append("## Relay to a smarthost")
        out.append("")
        measured(recs, "relay", out)
        out.append("smtp-source sends 4 KiB messages for relay.test; the server queues"
                   " them (durably, as for delivery) and relays every one to Postfix's"
                   " smtp-sink on loopback. Messages per second from the first"
                   " connection until smtp-sink has received the last one.")
        out.append("")
        not_runnable(res, "relay", out)
        for size in res.sizes:
            table_rates(res, size, out)
            out.append("")
            busy_note(res, size, info, out)
            out.append("CPU milliseconds per message (medians), as for delivery; the load"
                       " is smtp-source, smtp-sink and the driver.")
            out.append("")
            table_cpu(res, size, out, "load")
            out.append("")

    res = sec["idle"]
    if ran(res):
        rounds_idle = max((r.get("rep", 1) for r in recs
                           if r["kind"] == "run" and family_of(r) == "idle"), default=1)
        out.append("## Idle connections")
        out.append("")
        measured(recs, "idle", out)
        out.append("Memory of idle SMTP connections held open by bench/idleload (one thread,"
                   " epoll): plain (banner, EHLO) or TLS (banner, EHLO, STARTTLS, TLS 1.3"
                   " handshake, EHLO over TLS), then nothing more. Per connection: the sum"
                   " over every process of the server (tegami: tegamid and its children;"
                   " Postfix: master and its children, an smtpd per connection) once the"
                   " connections have been idle 3 s, less the same sum on the freshly"
                   " started server before any connection, divided by the connections."
                   " PSS (from /proc/PID/smaps_rollup) shares each shared page among the"
                   " processes mapping it; RSS counts it in each; private is the pages no"
                   " other process maps, which other work on the machine cannot shift as"
                   " it shifts the shares of PSS. The last column is the"
                   " same from the first 10% of the connections to all of them, without"
                   " what the first connections start. "
                   + ("One round" if rounds_idle == 1 else f"Medians of {rounds_idle} rounds")
                   + "; tegami's targets are in PSS.")
        out.append("")
        not_runnable(res, "idle", out)
        idle_section([r for r in recs if family_of(r) == "idle"], res, out)
        if out[-1]:
            out.append("")

    res = sec["filters"]
    if ran(res):
        out.append("## Inbound filters")
        out.append("")
        measured(recs, "filters", out)
        out.append("The cost of filtering: accept-and-deliver of 4 KiB messages as above,"
                   " by tegami without filters and by tegami with seed 001's filters"
                   " (`!rdns` and `!fcrdns` disconnect at connect) and one DNS list"
                   " (`dnsbl` at connect), the list served by dnsmasq on loopback without"
                   " a cache. Each connection asks the client's name (PTR, then its"
                   " address) and the list; the client passes, so every message is"
                   " delivered. The target is a cost under 10% at 10 clients.")
        out.append("")
        not_runnable(res, "filters", out)
        filt = next((p for p in res.peers if p != "tegami"), None)
        for size in res.sizes:
            table_rates(res, size, out)
            out.append("")
            for c in res.clients:
                base, f = res.best("tegami", size, c), res.best(filt, size, c) if filt else None
                if base and f:
                    out.append(f"At {c} clients the filters cost {(1 - f / base) * 100:.1f}%"
                               f" of the throughput ({fmt_rate(f)} against"
                               f" {fmt_rate(base)} msg/s).")
                    out.append("")
            busy_note(res, size, info, out)
            out.append("CPU milliseconds per message (medians), as for delivery.")
            out.append("")
            table_cpu(res, size, out)
            out.append("")

    res = sec["dkim"]
    signs = [r for r in recs if r["kind"] == "signrate" and family_of(r) == "dkim"]
    if ran(res) or signs:
        dkim_section(recs, res, signs, info, out)

    res = sec["pop3"]
    if ran(res):
        out.append("## Reading mail: POP3")
        out.append("")
        measured(recs, "pop3", out)
        not_runnable(res, "pop3", out)
        pop3_section(recs, res, info, out)

    res = sec["imap"]
    if ran(res):
        out.append("## Reading mail: IMAP")
        out.append("")
        measured(recs, "imap", out)
        not_runnable(res, "imap", out)
        imap_section(recs, res, info, out)

    out.append("## Every round")
    out.append("")
    table_rounds([("deliver", sec["deliver"]), ("handshake", hs), ("submit", sub),
                  ("relay", sec["relay"]), ("filters", sec["filters"]),
                  ("dkim", sec["dkim"])], out)
    out.append("")
    return "\n".join(out)


# The dkim family's peers, each with the plain server it is measured against.
DKIM_BASE = {"tegami-sign-rsa": "tegami", "tegami-sign-ed25519": "tegami",
             "tegami-mailauth": "tegami", "postfix-opendkim-rsa": "postfix",
             "postfix-opendkim-ed25519": "postfix", "postfix-opendkim-verify": "postfix"}
# What is compared with what: tegami's cost beside OpenDKIM's.
DKIM_PAIRS = [("signing, RSA-2048", "tegami-sign-rsa", "postfix-opendkim-rsa"),
              ("signing, Ed25519", "tegami-sign-ed25519", "postfix-opendkim-ed25519"),
              ("checking (tegami: SPF, DKIM and DMARC; OpenDKIM: DKIM)",
               "tegami-mailauth", "postfix-opendkim-verify")]


def server_ms(res, p, size, c):
    u = res.median(p, size, c, "server_user_ms")
    s_ = res.median(p, size, c, "server_sys_ms")
    return None if u is None or s_ is None else u + s_


def dkim_section(recs, res, signs, info, out):
    out.append("## DKIM signing and mail-auth")
    out.append("")
    measured(recs, "dkim", out)
    if signs:
        out.append("### Signatures per second")
        out.append("")
        out.append("tegami's own code on one thread (bench/dkimsign.c, linked with"
                   " build/libtegami.a), for 3 seconds in each round, the best round:"
                   " a signature is what the signer process does for each (the"
                   " private-key operation on a 32-octet hash, RFC 6376 3.7; RFC 8463"
                   " for Ed25519); a message is all of it for one message of about"
                   " 4 KiB (body hash, header hash, signature, the field written),"
                   " as a process holding the key would do alone. CPU is that of the"
                   " thread, median of the rounds.")
        out.append("")
        out.append("| algorithm | signatures/s | CPU ms per signature"
                   " | messages/s | CPU ms per message |")
        out.append("|---|---:|---:|---:|---:|")
        by = {}
        for r in signs:
            if r.get("status") == "ok":
                by.setdefault(r.get("alg", "?"), []).append(r)
        for alg, rs in sorted(by.items()):
            bits = int(rs[0].get("bits", 0))
            name = f"{alg} ({bits} bits)" if alg.startswith("rsa") else alg
            out.append(f"| {name} | {fmt_rate(max(r['digest_per_s'] for r in rs))}"
                       f" | {statistics.median(r['digest_cpu_ms'] for r in rs):.3f}"
                       f" | {fmt_rate(max(r['message_per_s'] for r in rs))}"
                       f" | {statistics.median(r['message_cpu_ms'] for r in rs):.3f} |")
        bad = [r for r in signs if r.get("status") != "ok"]
        if bad:
            out.append("")
            out.append(f"bench/dkimsign failed: {bad[0].get('why', '')}")
        out.append("")
    if not ran(res):
        return
    out.append("### Accept-and-deliver with signing and checking")
    out.append("")
    out.append("smtp-source sends, at 10 clients, one 4 KiB message DKIM-signed by"
               " dkimpy (RSA-2048, d=bench.test), for Maildirs as in the deliver family."
               " tegami signs on its listener (`dkim-sign`: the client, 127.0.0.1, is"
               " local) with RSA-2048 or Ed25519, or checks (`mail-auth`: SPF of MAIL"
               " FROM and HELO, the DKIM signature, DMARC p=reject; dnsmasq on loopback"
               " without a cache); Postfix passes every message to Debian's OpenDKIM"
               " as a milter (seed 003's set-up) signing (Mode s, relaxed/relaxed,"
               " OversignHeaders From) or verifying (Mode v, its keys asked of the same"
               " kind of dnsmasq through its libunbound). Server CPU counts the"
               " milter's. Each is set against its plain server of the same run.")
    out.append("")
    not_runnable(res, "dkim", out)
    for size in res.sizes:
        for c in res.clients:
            out.append("| server | msg/s | server CPU ms per message | more than the plain"
                       " server, ms | more, % |")
            out.append("|---|---:|---:|---:|---:|")
            for p in res.peers:
                ms = server_ms(res, p, size, c)
                base = DKIM_BASE.get(p)
                bms = server_ms(res, base, size, c) if base else None
                more = f"{ms - bms:.2f}" if ms is not None and bms is not None else "–"
                pct = (f"{(ms - bms) / bms * 100:.0f}%" if ms is not None and bms else "–")
                out.append(f"| {res.name(p)} | {res.cell(p, size, c)}"
                           f" | {fmt_ms(ms)} | {more if base else ''} | {pct if base else ''} |")
            out.append("")
            for what, t, o in DKIM_PAIRS:
                tb, ob = DKIM_BASE[t], DKIM_BASE[o]
                vals = [server_ms(res, x, size, c) for x in (t, tb, o, ob)]
                if None in vals:
                    continue
                tc, oc = vals[0] - vals[1], vals[2] - vals[3]
                verdict = ("tegami's costs less" if tc < oc else "OpenDKIM's costs less")
                out.append(f"- {what}: {tc:.2f} ms of CPU per message for tegami,"
                           f" {oc:.2f} ms for Postfix with OpenDKIM's milter: {verdict}"
                           + (f" ({oc / tc:.1f} times)" if tc > 0 and oc > 0 else "") + ".")
            out.append("")
        busy_note(res, size, info, out)
        out.append("CPU milliseconds per message (medians), as for delivery.")
        out.append("")
        table_cpu(res, size, out)
        out.append("")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--scale", default="1")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    body = generate(load(args.results), machine(args.work), args)
    method = DEFAULT_METHOD
    try:
        with open(args.out) as f:
            old = f.read()
        i = old.find(MARK)
        if i >= 0:
            method = old[i:]
    except FileNotFoundError:
        pass
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(body + "\n" + method.rstrip("\n") + "\n")
    os.replace(tmp, args.out)
    print(f"bench: wrote {os.path.relpath(args.out, args.root)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
