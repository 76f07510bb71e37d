"""Certificates for the TLS tests (a test CA and leaf certificates, made with the openssl CLI) and TLS client helpers."""
import os
import socket
import ssl
import subprocess
import time

from tegami import free_port


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


class CertAuthority:
    """A CA in directory d that signs leaf certificates for host names."""

    def __init__(self, d, name="tegami test CA"):
        self.dir = d
        self.crt = os.path.join(d, "ca.crt")
        self.key = os.path.join(d, "ca.key")
        r = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                "-subj", "/CN=%s" % name, "-keyout", self.key, "-out", self.crt)
        assert r.returncode == 0, r.stderr

    def leaf(self, host, prefix=None, client=False, ips=()):
        """(cert path, key path) for host (and the addresses ips), signed by this CA;
        the key is mode 600."""
        prefix = os.path.join(self.dir, prefix or host)
        key, csr, crt, ext = (prefix + ".key", prefix + ".csr", prefix + ".crt",
                              prefix + ".ext")
        r = run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=%s" % host, "-keyout", key, "-out", csr)
        assert r.returncode == 0, r.stderr
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:%s%s\n" % (host, "".join(",IP:" + a for a in ips)))
            f.write("extendedKeyUsage=%s\n" % ("clientAuth" if client else "serverAuth"))
        r = run("openssl", "x509", "-req", "-in", csr, "-CA", self.crt, "-CAkey", self.key,
                "-CAcreateserial", "-days", "30", "-extfile", ext, "-out", crt)
        assert r.returncode == 0, r.stderr
        os.chmod(key, 0o600)
        return crt, key


def fingerprint_of_file(crt):
    r = run("openssl", "x509", "-in", crt, "-noout", "-fingerprint", "-sha256")
    return r.stdout.strip().split("=", 1)[1]


def client_context(ca):
    ctx = ssl.create_default_context(cafile=ca.crt)
    return ctx


def peer_fingerprint(host, port, servername=None, starttls=True, timeout=10):
    """SHA-256 fingerprint of the certificate the server shows, as openssl prints it."""
    args = ["openssl", "s_client", "-connect", "%s:%d" % (host, port)]
    if starttls:
        args += ["-starttls", "smtp"]
    if servername:
        args += ["-servername", servername]
    r = subprocess.run(args, input="QUIT\n", capture_output=True, text=True, timeout=timeout)
    pem = r.stdout[r.stdout.find("-----BEGIN CERTIFICATE-----"):
                   r.stdout.find("-----END CERTIFICATE-----") + 25]
    assert pem.startswith("-----BEGIN"), r.stdout + r.stderr
    r2 = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
                        input=pem, capture_output=True, text=True, timeout=10)
    return r2.stdout.strip().split("=", 1)[1]


def tls_listeners(ca, host="127.0.0.1", pki="mx.example.org", creds="creds",
                  extra_smtp="", extra_sub=""):
    """Ports and config lines: a port-25 style listener (tls), a 587 style one
    (tls-require auth) and a 465 style one (smtps auth)."""
    ports = {"smtp": free_port(host), "submission": free_port(host), "smtps": free_port(host)}
    lines = ("listen on {h} port {smtp} tls pki {pki} {xs}\n"
             "listen on {h} port {submission} tls-require pki {pki} auth <{c}> {xu}\n"
             "listen on {h} port {smtps} smtps pki {pki} auth <{c}> {xu}\n").format(
        h=host, pki=pki, c=creds, xs=extra_smtp, xu=extra_sub, **ports)
    return ports, lines


def wait_listening(host, port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing on %s:%d" % (host, port))
