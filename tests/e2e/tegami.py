"""Runs real tegamid instances for the end-to-end tests: config, start, stop, kill, Maildirs."""
import os
import random
import re
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("TEGAMI_BIN", os.path.join(ROOT, "bin"))
IS_ROOT = os.geteuid() == 0


def bin_path(name):
    return os.path.join(BIN, name)


def has_crashpoints():
    """The test build (make SAN=1) has crash points; tell by the binary's strings."""
    try:
        with open(bin_path("tegamid"), "rb") as f:
            return b"TEGAMI_CRASH_AT" in f.read()
    except OSError:
        return False


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def wait_until(fn, timeout=20, step=0.05):
    """Polls fn until it returns something true or timeout seconds pass; returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


_ports_given = set()


def free_port(host="127.0.0.1"):
    """A port free now for a listener that tegamid binds later. Taken below the
    kernel's ephemeral range: a port the kernel hands out (bind to 0) may
    meanwhile become the source port of some client's connection, and
    tegamid's bind then fails."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    low = _ephemeral_low()
    for _ in range(100):
        port = random.randrange(10000, max(low, 10001))
        # Nor one given before in this run: its tegamid may not have bound it yet.
        if port in _ports_given:
            continue
        with socket.socket(family) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            _ports_given.add(port)
            return port
    with socket.socket(family) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def account_names():
    """(daemon user, mail-tree account): the current user unless we are root."""
    if IS_ROOT:
        return "_tegami", "vmail"
    name = pwd.getpwuid(os.getuid()).pw_name
    return name, name


def wait_port(host, port, timeout=10.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("tegamid exited with %s" % proc.returncode)
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listening on %s:%d" % (host, port))


DEFAULT_CONF = """\
hostname "mx.example.org"
spool "{dir}/spool"
socket "{dir}/tegami.sock"
user "{user}"
{globals}
table domains {{ example.org, example.net }}
table vusers file:{dir}/vusers
listen on {host} port {port}
{listeners}
action "deliver" maildir "{dir}/vmail/%{{dest.domain:lowercase}}/%{{dest.user:lowercase}}/Maildir" virtual <vusers>
{actions}
match from any for domain <domains> action "deliver"
{matches}
"""


def _delivery_order(name):
    m = re.match(r"(\d+)\.(?:M(\d+))?", name)
    if m is None:
        return (0, 0, name)
    return (int(m.group(1)), int(m.group(2) or 0), name)


class Tegami:
    """One tegamid in its own directory, listening on a loopback port."""

    def __init__(self, vusers=None, host="127.0.0.1", port=None, conf=None,
                 globals_="", listeners="", actions="", matches="", env=None,
                 spool=None):
        self.dir = tempfile.mkdtemp(prefix="tegami-e2e-")
        os.chmod(self.dir, 0o755)
        self.host = host
        self.port = port or free_port(host)
        self.user, self.account = account_names()
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.preexec = None     # run in the child before exec (e.g. resource limits)
        self.logf = None
        self.log_path = os.path.join(self.dir, "tegamid.log")
        self.vmail = os.path.join(self.dir, "vmail")
        os.makedirs(self.vmail)
        if IS_ROOT:
            pw = pwd.getpwnam(self.account)
            os.chown(self.vmail, pw.pw_uid, pw.pw_gid)
        if spool:
            self.spool = spool
        else:
            self.spool = os.path.join(self.dir, "spool")
        if vusers is None:
            vusers = {"alice@example.org": self.account,
                      "bob@example.org": self.account,
                      "carol@example.net": self.account}
        self.write_table("vusers", vusers)
        text = conf if conf is not None else DEFAULT_CONF
        self.conf_path = os.path.join(self.dir, "tegami.conf")
        with open(self.conf_path, "w") as f:
            f.write(text.format(dir=self.dir, user=self.user, host=host,
                                port=self.port, globals=globals_,
                                listeners=listeners, actions=actions,
                                matches=matches, account=self.account))
        if spool:
            self.rewrite_conf(lambda t: t.replace(
                'spool "%s/spool"' % self.dir, 'spool "%s"' % spool))

    def rewrite_conf(self, fn):
        with open(self.conf_path) as f:
            text = f.read()
        with open(self.conf_path, "w") as f:
            f.write(fn(text))

    def write_table(self, name, mapping):
        path = os.path.join(self.dir, name)
        with open(path + ".tmp", "w") as f:
            if isinstance(mapping, dict):
                for k, v in mapping.items():
                    f.write("%s\t%s\n" % (k, v))
            else:
                f.write(mapping)
        os.rename(path + ".tmp", path)
        return path

    @property
    def socket_path(self):
        return os.path.join(self.dir, "tegami.sock")

    def start(self, wait=True):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [bin_path("tegamid"), "-d", "-v", "-f", self.conf_path],
            stdout=self.logf, stderr=subprocess.STDOUT, env=self.env,
            preexec_fn=self.preexec)
        if wait:
            wait_port(self.host, self.port, proc=self.proc)
            deadline = time.time() + 10
            while not os.path.exists(self.socket_path) and time.time() < deadline:
                time.sleep(0.02)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        if sig == signal.SIGKILL:
            # The children of a killed parent notice its channel closing; wait for them.
            self.wait_children_gone()
        self.proc = None
        self.logf.close()
        return rc

    def kill(self):
        """SIGKILL to the whole process group of tegamid: a crash of everything."""
        if self.proc is None:
            return
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.stop(signal.SIGKILL)

    def pids(self):
        """tegamid and every process it forked (found through /proc parent links)."""
        if self.proc is None:
            return []
        found = [self.proc.pid]
        changed = True
        while changed:
            changed = False
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid in found and int(entry) not in found:
                    found.append(int(entry))
                    changed = True
        return found

    def wait_children_gone(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not os.path.exists(self.socket_path):
                return
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.socket_path)
                s.close()
            except OSError:
                return
            time.sleep(0.05)

    def restart(self):
        self.stop()
        return self.start()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def maildir(self, address, sub="new"):
        local, domain = address.split("@")
        return os.path.join(self.vmail, domain.lower(), local.lower(), "Maildir", sub)

    def messages(self, address):
        """Contents of the messages in new/ (and cur/) of a user's Maildir, oldest first."""
        out = []
        for sub in ("new", "cur"):
            d = self.maildir(address, sub)
            if not os.path.isdir(d):
                continue
            # Delivery order: the seconds and microseconds in the name
            # (TIME.M<usec>P...), not its text, which puts M99999 after M100000.
            names = sorted(os.listdir(d), key=_delivery_order)
            for n in names:
                with open(os.path.join(d, n), "rb") as f:
                    out.append(f.read())
        return out

    def wait_messages(self, address, count, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msgs = self.messages(address)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.02)
        return self.messages(address)

    def queue_files(self):
        q = os.path.join(self.spool, "queue")
        return sorted(os.listdir(q)) if os.path.isdir(q) else []

    def ctl(self, *args, check=True):
        r = subprocess.run([bin_path("tegamictl"), "-f", self.conf_path] + list(args),
                           capture_output=True, text=True, env=self.env, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("tegamictl %s: %s%s" % (args, r.stdout, r.stderr))
        return r

    def wait_queue_empty(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.queue_files():
                return True
            time.sleep(0.02)
        return False

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def body_of(stored):
    """What follows the headers tegami added (Return-Path, Delivered-To, Received)."""
    lines = stored.split(b"\n")
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith(b"Return-Path:") or ln.startswith(b"Delivered-To:"):
            i += 1
            continue
        if ln.startswith(b"Received:"):
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                i += 1
            continue
        break
    return b"\n".join(lines[i:])


def lf(data):
    """The message as Maildir stores it: LF line ends."""
    return data.replace(b"\r\n", b"\n")
