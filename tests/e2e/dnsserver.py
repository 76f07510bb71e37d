"""A real DNS server for the tests: dnsmasq on a loopback port serving MX, A, AAAA, PTR and TXT records, DNS list entries, and zones that never answer."""
import ipaddress
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
    hosts: {"mx1.a.example": ["127.0.0.2", "::1"]} (dnsmasq adds the PTR records)
    null_mx: domains publishing RFC 7505 "0 ."
    ptr:   {"198.18.0.12": "forged.example"}: a PTR record alone, no address behind it
    txt:   {"2.0.18.198.zen.example": "listed for spam"}
    lists: {"zen.example": {"198.18.0.13": "127.0.0.2", "2001:db8::13": "127.0.0.4"},
            "dbl.example": {"spam.example": "127.0.1.2"}}: DNS list entries
           (RFC 5782: the address reversed, or the domain, under the zone)
    dead:  zones whose queries go to a server that never answers
    Reverse names under in-addr.arpa and ip6.arpa that are not given are
    NXDOMAIN, like unknown names under .example.
    ttl:   the TTL of its answers (dnsmasq's --local-ttl; 0, its default, lets no
           resolver keep them)
    zones: further zones it answers alone, e.g. ("home.arpa", "test")
    (with "resolver" lines tegami asks it every name: .test, home.arpa and the reverse
    zones of loopback and private addresses included.)
    """

    def __init__(self, mx=None, hosts=None, null_mx=(), ptr=None, txt=None,
                 lists=None, dead=(), zones=(), ttl=0):
        self.sink = None
        if dead:
            # A UDP socket that reads nothing and answers nothing.
            self.sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sink.bind(("127.0.0.1", 0))
        extra = self._records(ptr or {}, txt or {}, lists or {}, dead)
        extra += ["--local=/%s/" % zone for zone in zones]
        extra.append("--local-ttl=%d" % ttl)
        self.dir = tempfile.mkdtemp(prefix="tegami-dns-")
        self.log_path = os.path.join(self.dir, "dnsmasq.log")
        # A port free for UDP may be taken for TCP (other tests run beside): try again.
        for attempt in range(5):
            self.port = _free_udp_port()
            try:
                self._start(mx, hosts, null_mx, extra)
                return
            except RuntimeError as e:
                if "in use" not in str(e) or attempt == 4:
                    raise

    @staticmethod
    def reverse_name(addr):
        """The name of addr under in-addr.arpa or ip6.arpa, without the suffix."""
        ip = ipaddress.ip_address(addr)
        return ip.reverse_pointer.rsplit(".", 2)[0]

    def _records(self, ptr, txt, lists, dead):
        args = []
        for addr, name in ptr.items():
            args.append("--ptr-record=%s,%s" % (ipaddress.ip_address(addr).reverse_pointer,
                                                name))
        for name, text in txt.items():
            args.append("--txt-record=%s,%s" % (name, text))
        for zone, entries in lists.items():
            for key, answer in entries.items():
                try:
                    label = self.reverse_name(key)
                except ValueError:
                    label = key         # a domain, for a right-hand-side list
                answers = answer if isinstance(answer, (list, tuple)) else [answer]
                # --address answers the name (and below it) without a PTR beside.
                for a in answers:
                    args.append("--address=/%s.%s/%s" % (label, zone, a))
        for zone in dead:
            args.append("--server=/%s/127.0.0.1#%d" % (zone, self.sink.getsockname()[1]))
        return args

    def _start(self, mx, hosts, null_mx, extra=()):
        args = [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--port=%d" % self.port, "--listen-address=127.0.0.1",
                "--bind-interfaces", "--pid-file=", "--local=/example/",
                "--local=/in-addr.arpa/", "--local=/ip6.arpa/",
                "--log-queries", "--log-facility=" + self.log_path,
                "--cache-size=0"] + list(extra)
        if os.geteuid() == 0:
            args.append("--user=root")
        for domain, records in (mx or {}).items():
            for pref, host in records:
                args.append("--mx-host=%s,%s,%d" % (domain, host, pref))
        for name, addrs in (hosts or {}).items():
            args.append("--host-record=%s,%s" % (name, ",".join(addrs)))
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
        if self.sink is not None:
            self.sink.close()
        shutil.rmtree(self.dir, ignore_errors=True)
