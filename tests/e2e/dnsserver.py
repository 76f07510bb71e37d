"""A real DNS server for the tests: dnsmasq on a loopback port serving MX, A and AAAA records."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

DNSMASQ = "/usr/sbin/dnsmasq"


def have_dnsmasq():
    return os.access(DNSMASQ, os.X_OK)


def _free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DNSServer:
    """dnsmasq answering for names under .example only (NXDOMAIN for the rest of it).

    mx:    {"a.example": [(10, "mx1.a.example"), ...]}
    hosts: {"mx1.a.example": ["127.0.0.2", "::1"]}
    null_mx: domains publishing RFC 7505 "0 ."
    ptr:   {"3.0.0.127.in-addr.arpa": "name.example"} PTR records alone
    zones: further zones served locally, e.g. ("127.in-addr.arpa", "home.arpa")
    (with "resolver" lines tegami asks it every name, .test and home.arpa included.)
    """

    def __init__(self, mx=None, hosts=None, null_mx=(), ptr=None, zones=()):
        self.dir = tempfile.mkdtemp(prefix="tegami-dns-")
        self.log_path = os.path.join(self.dir, "dnsmasq.log")
        # A port free for UDP may be taken for TCP (other tests run beside): try again.
        for attempt in range(5):
            self.port = _free_udp_port()
            try:
                self._start(mx, hosts, null_mx, ptr or {}, zones)
                return
            except RuntimeError as e:
                if "in use" not in str(e) or attempt == 4:
                    raise

    def _start(self, mx, hosts, null_mx, ptr, zones):
        args = [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--port=%d" % self.port, "--listen-address=127.0.0.1",
                "--bind-interfaces", "--pid-file=", "--local=/example/",
                "--log-queries", "--log-facility=" + self.log_path,
                "--cache-size=0"]
        if os.geteuid() == 0:
            args.append("--user=root")
        for domain, records in (mx or {}).items():
            for pref, host in records:
                args.append("--mx-host=%s,%s,%d" % (domain, host, pref))
        for name, addrs in (hosts or {}).items():
            args.append("--host-record=%s,%s" % (name, ",".join(addrs)))
        # Zones it answers alone (NXDOMAIN for what it does not know), beside .example.
        for zone in zones:
            args.append("--local=/%s/" % zone)
        # host-record makes the PTR of each address too; these are PTRs alone.
        for name, target in ptr.items():
            args.append("--ptr-record=%s,%s" % (name, target))
        for domain in null_mx:
            # preference 0, exchange the root: rdata 00 00 00
            args.append("--dns-rr=%s,15,000000" % domain)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self._wait()

    def _wait(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dnsmasq exited: %s" % self.proc.stderr.read())
            try:
                with open(self.log_path) as f:
                    if "started" in f.read():
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("dnsmasq did not start")

    def queries(self):
        try:
            with open(self.log_path) as f:
                return [ln for ln in f if "query[" in ln]
        except OSError:
            return []

    def resolver_line(self):
        return "resolver 127.0.0.1 port %d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
