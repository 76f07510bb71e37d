"""With "resolver" lines every name goes to the admin's servers: internal zones under home.arpa and .test too."""
import pytest

from dnsserver import DNSServer, have_dnsmasq
from relaytest import IS_ROOT, SKIP_NOT_ROOT, log_lines, receiver, send, sender

pytestmark = [
    pytest.mark.skipif(not IS_ROOT, reason=SKIP_NOT_ROOT),
    pytest.mark.skipif(not have_dnsmasq(), reason="dnsmasq (dnsmasq-base) not installed"),
]


@pytest.fixture
def dns():
    # RFC 8375 and RFC 6761 names that libunbound would otherwise answer itself.
    d = DNSServer(mx={"corp.home.arpa": [(10, "mx.corp.home.arpa")],
                      "lab.test": [(10, "mx.lab.test")]},
                  hosts={"mx.corp.home.arpa": ["127.0.0.2"], "mx.lab.test": ["127.0.0.2"]},
                  zones=("home.arpa", "test"))
    yield d
    d.stop()


def test_relay_through_an_mx_under_home_arpa_and_test(make_tegami, dns):
    mx = receiver(make_tegami, "127.0.0.2", "mx.corp.home.arpa",
                  ["corp.home.arpa", "lab.test"], ["alice@corp.home.arpa", "bob@lab.test"])
    out = sender(make_tegami, dns)
    send(out, ["alice@corp.home.arpa", "bob@lab.test"])
    assert len(mx.wait_messages("alice@corp.home.arpa", 1, timeout=30)) == 1, out.log()[-3000:]
    assert len(mx.wait_messages("bob@lab.test", 1, timeout=30)) == 1, out.log()[-3000:]
    assert out.wait_queue_empty(timeout=15)
    queries = "".join(dns.queries())
    assert "query[MX] corp.home.arpa" in queries and "query[MX] lab.test" in queries
    ok = log_lines(out, "delivery ok")
    assert any("mx.corp.home.arpa[127.0.0.2]" in ln for ln in ok), ok
