"""Shared set-up of the administration tests: instances made by tegamictl init or an importer, SMTP helpers."""
import os
import re
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import time

from tegami import IS_ROOT, Tegami, account_names, bin_path, free_port


def tegamictl(*args, conf=None, input=None, env=None, prog="tegamictl"):
    """Runs tegamictl (or a link to it by prog); returns the CompletedProcess."""
    e = dict(os.environ)
    e.pop("LANG", None)
    e.pop("LC_ALL", None)
    e.pop("LC_MESSAGES", None)
    e.update(env or {})
    argv = [bin_path(prog)]
    if conf is not None and prog == "tegamictl":
        argv += ["-f", conf]
    elif conf is not None:
        e["TEGAMI_CONF"] = conf
    return subprocess.run(argv + list(args), input=input, capture_output=True,
                          text=True, env=e, timeout=60)


class Instance(Tegami):
    """A tegamid on a configuration written by tegamictl (init or import), not by the test."""

    def __init__(self, conf_path, port):
        self.dir = os.path.dirname(conf_path)
        self.conf_path = conf_path
        self.host = "127.0.0.1"
        self.port = port
        self.user, self.account = account_names()
        self.env = dict(os.environ)
        self.proc = None
        self.preexec = None
        self.logf = None
        self.log_path = os.path.join(self.dir, "tegamid.log")
        self.spool = os.path.join(self.dir, "spool")
        self.vmail = os.path.join(self.dir, "vmail")

    def ctl(self, *args, check=True, input=None, env=None):
        r = tegamictl(*args, conf=self.conf_path, input=input, env=env)
        if check and r.returncode != 0:
            raise RuntimeError("tegamictl %s: %s%s" % (args, r.stdout, r.stderr))
        return r


def init_instance(domain="example.test", host="mail.example.test", extra=()):
    """tegamictl init in a new directory, everything under it, on free loopback ports."""
    d = tempfile.mkdtemp(prefix="tegami-admin-")
    os.chmod(d, 0o755)
    conf_dir = os.path.join(d, "etc")
    ports = [free_port() for _ in range(5)]
    r = tegamictl("init", "--domain", domain, "--hostname", host, "--dir", conf_dir,
                  "--self-contained", "--listen", "127.0.0.1",
                  "--ports", ",".join(str(p) for p in ports), *extra)
    assert r.returncode == 0, r.stderr
    t = Instance(os.path.join(conf_dir, "tegami.conf"), ports[0])
    t.ports = ports
    t.init_output = r.stdout
    t.top = d
    return t


def localize(conf_path, ports=None):
    """An imported configuration made runnable by a test: loopback ports, spool and socket beside it."""
    d = os.path.dirname(conf_path)
    with open(conf_path) as f:
        text = f.read()
    text = re.sub(r'(?m)^spool .*$', 'spool "%s/spool"' % d, text)
    text = re.sub(r'(?m)^socket .*$', 'socket "%s/tegami.sock"' % d, text)
    text = re.sub(r'(?m)^user .*$', 'user "%s"' % account_names()[0], text)
    ports = ports or {}
    used = {}

    def listen(m):
        port = int(m.group(1))
        if port not in used:
            used[port] = ports.get(port) or free_port()
        return "listen on 127.0.0.1 port %d" % used[port]
    text = re.sub(r'listen on \S+ port (\d+)', listen, text)
    with open(conf_path, "w") as f:
        f.write(text)
    return used


def starttls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def send(port, rcpts, sender="someone@example.org", subject="admin test", body="hello",
         host="127.0.0.1"):
    msg = ("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\n%s\r\n"
           % (sender, rcpts[0], subject, body)).encode()
    with smtplib.SMTP(host, port, timeout=30) as s:
        return s.sendmail(sender, rcpts, msg)


def login(port, user, password, host="127.0.0.1"):
    """SMTP AUTH on a submission port after STARTTLS: True when accepted."""
    with smtplib.SMTP(host, port, timeout=30) as s:
        s.starttls(context=starttls_context())
        try:
            s.login(user, password)
            return True
        except smtplib.SMTPAuthenticationError:
            return False


def wait_files(path, count, timeout=20):
    deadline = time.time() + timeout
    names = []
    while time.time() < deadline:
        names = sorted(os.listdir(path)) if os.path.isdir(path) else []
        if len(names) >= count:
            return names
        time.sleep(0.05)
    return names


def cleanup(t):
    t.kill()
    shutil.rmtree(getattr(t, "top", t.dir), ignore_errors=True)


__all__ = ["IS_ROOT", "Instance", "init_instance", "localize", "send", "login",
           "tegamictl", "wait_files", "cleanup", "starttls_context"]
