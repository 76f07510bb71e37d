"""Shared set-up of the relay tests: a sending tegamid, receiving tegamids on port 25, DNS."""
import glob
import os
import shutil
import smtplib
import subprocess
import tempfile

from tegami import IS_ROOT, ROOT, account_names, free_port, wait_until
from tlsutil import wait_listening

SENDER_CONF = """\
hostname "out.example"
spool "{dir}/spool"
socket "{dir}/tegami.sock"
user "{user}"
{globals}
table local {{ out.example }}
table vusers file:{dir}/vusers
listen on {host} port {port}
action "deliver" maildir "{dir}/vmail/%{{dest.domain:lowercase}}/%{{dest.user:lowercase}}/Maildir" virtual <vusers>
{actions}
match from any for domain <local> action "deliver"
{matches}
"""

RECEIVER_CONF = """\
hostname "{name}"
spool "{{dir}}/spool"
socket "{{dir}}/tegami.sock"
user "{{user}}"
{{globals}}
table domains {{{{ {domains} }}}}
table vusers file:{{dir}}/vusers
listen on {{host}} port {{port}} {listen_opts}
{{listeners}}
action "deliver" maildir "{{dir}}/vmail/%{{{{dest.domain:lowercase}}}}/%{{{{dest.user:lowercase}}}}/Maildir" virtual <vusers>
match from any for domain <domains> action "deliver"
"""

SKIP_NOT_ROOT = "MX delivery needs port 25 on 127.0.0.2/127.0.0.3 (and ::1): run as root"


def receiver(make_tegami, host, name, domains, users, start=True, listeners="",
             listen_opts="", globals_=""):
    """A tegamid on host:25 accepting mail for domains into Maildirs of users."""
    conf = RECEIVER_CONF.format(name=name, domains=", ".join(domains),
                                listen_opts=listen_opts).replace("{globals}", globals_)
    account = account_names()[1]
    return make_tegami(start=start, host=host, port=25, conf=conf,
                       listeners=listeners, vusers={u: account for u in users})


def sender(make_tegami, dns, actions='action "outbound" relay',
           matches='match from any for any action "outbound"', globals_="",
           start=True, env=None):
    account = account_names()[1]
    return make_tegami(start=start, conf=SENDER_CONF,
                       globals_=(dns.resolver_line() + "\n" + globals_) if dns else globals_,
                       actions=actions, matches=matches, env=env,
                       vusers={"postmaster@out.example": account,
                               "sender@out.example": account})


def send(t, rcpts, body=None, sender_addr="sender@out.example", subject="relay test"):
    if body is None:
        body = ("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nhello over MX\r\n"
                % (sender_addr, rcpts[0], subject)).encode()
    with smtplib.SMTP(t.host, t.port, timeout=30) as s:
        refused = s.sendmail(sender_addr, rcpts, body)
    return refused


def wait_for(fn, timeout=30, step=0.05):
    """wait_until with the longer default a relay through a peer needs."""
    return wait_until(fn, timeout, step)


def log_lines(t, needle):
    return [ln for ln in t.log().splitlines() if needle in ln]


def ipv6_loopback():
    return os.path.exists("/proc/net/if_inet6") and any(
        ln.split()[0] == "0" * 31 + "1" for ln in open("/proc/net/if_inet6"))


POSTFIX = os.path.join(ROOT, "build", "bench", "peers", "postfix")
SINK = os.path.join(POSTFIX, "usr", "sbin", "smtp-sink")


def fetch_postfix():
    """Postfix's binaries from Debian's package, extracted under build/ (never installed)."""
    if os.access(SINK, os.X_OK):
        return True
    tmp = tempfile.mkdtemp(prefix="tegami-postfix-")
    try:
        r = subprocess.run(["apt-get", "download", "postfix"], cwd=tmp,
                           capture_output=True, timeout=300)
        debs = glob.glob(os.path.join(tmp, "postfix_*.deb"))
        if r.returncode != 0 or not debs:
            return False
        os.makedirs(POSTFIX, exist_ok=True)
        r = subprocess.run(["dpkg-deb", "-x", debs[0], POSTFIX], capture_output=True,
                           timeout=300)
        return r.returncode == 0 and os.access(SINK, os.X_OK)
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Sink:
    """smtp-sink on a loopback port, dumping each transaction into a directory."""

    def __init__(self, *opts, host="127.0.0.1", port=None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="tegami-sink-")
        os.chmod(self.dir, 0o777)
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(POSTFIX, "usr", "lib", "postfix"))
        args = [SINK, "-v", "-d", os.path.join(self.dir, "%M.")] + list(opts)
        if os.geteuid() == 0:
            args += ["-u", "nobody"]
        args += ["%s:%d" % (host, self.port), "50"]
        self.log = open(os.path.join(self.dir, "sink.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_listening(host, self.port)

    def dumps(self):
        out = []
        for p in sorted(glob.glob(os.path.join(self.dir, "*.*"))):
            if p.endswith("sink.log"):
                continue
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def conversation(self):
        with open(os.path.join(self.dir, "sink.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


__all__ = ["IS_ROOT", "SKIP_NOT_ROOT", "receiver", "sender", "send", "wait_for",
           "log_lines", "ipv6_loopback", "Sink", "fetch_postfix"]
