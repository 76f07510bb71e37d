"""Shared set-up of the relay tests: a sending tegamid, receiving tegamids on port 25, DNS."""
import os
import smtplib
import time

from tegami import IS_ROOT, account_names

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
listen on {{host}} port {{port}}
{{listeners}}
action "deliver" maildir "{{dir}}/vmail/%{{{{dest.domain:lowercase}}}}/%{{{{dest.user:lowercase}}}}/Maildir" virtual <vusers>
match from any for domain <domains> action "deliver"
"""

SKIP_NOT_ROOT = "MX delivery needs port 25 on 127.0.0.2/127.0.0.3 (and ::1): run as root"


def receiver(make_tegami, host, name, domains, users, start=True, listeners=""):
    """A tegamid on host:25 accepting mail for domains into Maildirs of users."""
    conf = RECEIVER_CONF.format(name=name, domains=", ".join(domains))
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
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def log_lines(t, needle):
    return [ln for ln in t.log().splitlines() if needle in ln]


def ipv6_loopback():
    return os.path.exists("/proc/net/if_inet6") and any(
        ln.split()[0] == "0" * 31 + "1" for ln in open("/proc/net/if_inet6"))


__all__ = ["IS_ROOT", "SKIP_NOT_ROOT", "receiver", "sender", "send", "wait_for",
           "log_lines", "ipv6_loopback"]
