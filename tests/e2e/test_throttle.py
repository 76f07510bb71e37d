"""Failed-login throttling: a bounded brute force from one address is slowed then refused, while another address still logs in."""
import base64
import shutil
import smtplib
import ssl
import subprocess
import threading
import time

import pytest

from tegami import bin_path
from tlsutil import CertAuthority, tls_listeners, wait_listening

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI missing")

ATTEMPTS = 50
THREADS = 10


@pytest.fixture
def guarded(make_tegami, tmp_path):
    ca = CertAuthority(str(tmp_path))
    crt, key = ca.leaf("mx.example.org")
    ports, lines = tls_listeners(ca)
    t = make_tegami(start=False, globals_=(
        'pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
        "smtp auth-cost 4\nsmtp auth-throttle 5 within 10m ban 15m\n"
        "table creds file:%s/creds\n" % (crt, key, tmp_path)), listeners=lines)
    r = subprocess.run([bin_path("tegamictl"), "-f", t.conf_path, "encrypt", "s3cret"],
                       capture_output=True, text=True, timeout=30)
    (tmp_path / "creds").write_text("alice@example.org:%s\n" % r.stdout.strip())
    t.start()
    wait_listening(t.host, ports["smtps"])
    t.port_smtps = ports["smtps"]
    t.ctx = ssl.create_default_context(cafile=ca.crt)
    t.ctx.check_hostname = False
    return t


def login(t, password, source="127.0.0.1"):
    """The reply code to one AUTH PLAIN, from a connection bound to source."""
    with smtplib.SMTP_SSL(t.host, t.port_smtps, timeout=30, context=t.ctx,
                          source_address=(source, 0)) as s:
        s.ehlo("client.example.com")
        # One AUTH only (smtplib's login() would try each mechanism in turn).
        ir = base64.b64encode(b"\0alice@example.org\0" + password.encode()).decode()
        code, _ = s.docmd("AUTH", "PLAIN " + ir)
        return code


def test_brute_force_is_throttled_per_address(guarded):
    t = guarded
    codes = []
    lock = threading.Lock()
    deadline = time.time() + 120

    def attacker(n):
        for i in range(ATTEMPTS // THREADS):
            if time.time() > deadline:
                return
            c = login(t, "guess-%d-%d" % (n, i))
            with lock:
                codes.append(c)

    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(THREADS)]
    for th in threads:
        th.start()
    # Meanwhile, from another address, the right password works at once.
    time.sleep(0.5)
    start = time.time()
    assert login(t, "s3cret", source="127.0.0.2") == 235
    other_took = time.time() - start
    for th in threads:
        th.join()
    assert len(codes) == ATTEMPTS
    assert set(codes) <= {535, 454}
    assert codes.count(535) >= 5
    # Refused before any password check once the ban is on: most of the 50.
    assert codes.count(454) >= ATTEMPTS - 20
    # Even the right password is refused from the banned address now ...
    assert login(t, "s3cret") == 454
    # ... and still accepted from another one.
    assert login(t, "s3cret", source="127.0.0.2") == 235
    assert other_took < 5
    log = t.log()
    assert "auth-throttled address=127.0.0.1 failures=" in log
    assert "auth-failed address=127.0.0.1 login=alice@example.org" in log
    assert "guess-" not in log
    assert "auth-ok address=127.0.0.2 login=alice@example.org" in log
    # No message was queued by any of it.
    assert t.queue_files() == []


def test_answers_are_delayed_after_failures(guarded):
    """After 3 failures the answer to the next attempt is held back (a timer in
    the auth process); the delay is measured only as present, not as a speed."""
    t = guarded
    for i in range(3):
        assert login(t, "bad%d" % i) == 535
    start = time.time()
    assert login(t, "bad3") == 535
    assert time.time() - start >= 0.9


def test_attempts_being_hashed_count_toward_the_limit(guarded):
    """100 wrong passwords at once: no more than the limit get a password check,
    the others 454; the right password from the same address is refused after."""
    t = guarded
    barrier = threading.Barrier(100, timeout=60)
    codes = []
    lock = threading.Lock()

    def attacker(n):
        with smtplib.SMTP_SSL(t.host, t.port_smtps, timeout=60, context=t.ctx) as s:
            s.ehlo("client.example.com")
            ir = base64.b64encode(b"\0alice@example.org\0wrong-%d" % n).decode()
            barrier.wait()
            code, _ = s.docmd("AUTH", "PLAIN " + ir)
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(100)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(codes) == 100
    # smtp auth-throttle 5: five failures at most, in flight or finished.
    assert codes.count(535) <= 5, codes
    assert codes.count(454) >= 95, codes
    assert login(t, "s3cret") == 454


def test_many_good_logins_at_once_all_pass(guarded):
    """40 right passwords at once from one address (an office behind NAT, a
    client opening many connections): the ones beyond the limit wait for the
    checks in flight instead of being refused, and every one logs in."""
    t = guarded
    barrier = threading.Barrier(40, timeout=60)
    codes = []
    lock = threading.Lock()

    def user(n):
        with smtplib.SMTP_SSL(t.host, t.port_smtps, timeout=60, context=t.ctx) as s:
            s.ehlo("client.example.com")
            ir = base64.b64encode(b"\0alice@example.org\0s3cret").decode()
            barrier.wait()
            code, _ = s.docmd("AUTH", "PLAIN " + ir)
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(40)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert codes == [235] * 40, codes
