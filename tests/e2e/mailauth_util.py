"""Helpers of the DKIM, SPF and DMARC end-to-end tests: keys made by tegamictl, their TXT records for dnsmasq, and the independent verifiers (dkimpy's dkimverify, OpenDKIM's opendkim-testmsg) run against a DNS server of the test's own."""
import os
import re
import shutil
import subprocess
import tempfile

from tegami import bin_path

DNSMASQ = "/usr/sbin/dnsmasq"
DKIMVERIFY = "/usr/bin/dkimverify"
OPENDKIM_TESTMSG = "/usr/sbin/opendkim-testmsg"


def keygen(conf_path, domain, selector, kind, path, bits=2048):
    """tegamictl dkim keygen: writes the key at path; returns its TXT record (strings joined)."""
    args = [bin_path("tegamictl"), "-f", conf_path, "dkim", "keygen", domain,
            "--selector", selector, "--type", kind, "--key", path]
    if kind == "rsa":
        args += ["--bits", str(bits)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # One string, or "( "a" "b" )" over several lines: the strings joined.
    text = r.stdout.split("Publish this TXT record:", 1)[1].split("and sign", 1)[0]
    return "".join(re.findall(r'"([^"]*)"', text))


def dnsmasq_txt(record):
    """A record as dnsmasq's --txt-record takes it: strings of 255 octets, separated by commas."""
    assert "," not in record
    return ",".join(record[i:i + 255] for i in range(0, len(record), 255))


def isolated_available():
    return (os.geteuid() == 0 and shutil.which("unshare") is not None and
            shutil.which("ip") is not None and os.access(DNSMASQ, os.X_OK))


def run_isolated(cmd, stdin, txt):
    """Runs cmd (stdin fed) in new network and mount namespaces where
    /etc/resolv.conf names 127.0.0.1 and a dnsmasq started there on port 53
    serves the TXT records txt {name: record}: the verifiers use the system
    resolver, whose port cannot be chosen. Returns (returncode, output)."""
    d = tempfile.mkdtemp(prefix="tegami-verify-")
    try:
        with open(os.path.join(d, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\n")
        with open(os.path.join(d, "msg"), "wb") as f:
            f.write(stdin)
        dns = [DNSMASQ, "--no-resolv", "--no-hosts", "--port=53",
               "--listen-address=127.0.0.1", "--bind-interfaces",
               "--pid-file=%s/pid" % d, "--local=/example/", "--cache-size=0",
               "--user=root"]
        dns += ["--txt-record=%s,%s" % (n, dnsmasq_txt(r)) for n, r in txt.items()]
        r = subprocess.run(
            ["unshare", "-m", "-n", "/usr/bin/python3", "-c", _CHILD, d] + dns + ["--"] + cmd,
            capture_output=True, timeout=60)
        return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")
    finally:
        shutil.rmtree(d, ignore_errors=True)


# The child in the namespaces: loopback up, resolv.conf in place, dnsmasq started,
# the command run on the message, dnsmasq stopped.
_CHILD = r"""
import os, subprocess, sys, time
d = sys.argv[1]
i = sys.argv.index("--")
dns, cmd = sys.argv[2:i], sys.argv[i + 1:]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["mount", "--bind", os.path.join(d, "resolv.conf"), "/etc/resolv.conf"], check=True)
# dnsmasq returns once its sockets are bound (it forks into the background then).
subprocess.run(dns, check=True)
try:
    with open(os.path.join(d, "msg"), "rb") as f:
        r = subprocess.run(cmd, stdin=f, capture_output=True, timeout=30)
    sys.stdout.buffer.write(r.stdout + r.stderr)
    code = r.returncode
finally:
    with open(os.path.join(d, "pid")) as f:
        os.kill(int(f.read().strip()), 15)
sys.exit(code)
"""


def dkimverify(msg, txt, index=0):
    """dkimpy's dkimverify on msg; True when it says the signature is right."""
    rc, out = run_isolated([DKIMVERIFY, "--index", str(index)], msg, txt)
    assert rc in (0, 1), out
    return rc == 0 and "signature ok" in out


def opendkim_testmsg(msg, txt):
    """OpenDKIM's opendkim-testmsg on msg (it verifies when given no key); True when it passes."""
    rc, out = run_isolated([OPENDKIM_TESTMSG], msg, txt)
    return rc == 0 and out.strip() == "", out
