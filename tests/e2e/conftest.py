"""Fixtures for the end-to-end suite: a running tegamid per test, cleaned up afterwards."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tegami import Tegami  # noqa: E402


@pytest.fixture
def make_tegami():
    """Factory: make_tegami(**kwargs) -> a started Tegami; all are stopped at the end."""
    made = []

    def factory(start=True, **kwargs):
        t = Tegami(**kwargs)
        made.append(t)
        if start:
            t.start()
        return t

    yield factory
    for t in made:
        log = t.log()
        t.cleanup()
        # ASan and UBSan reports in any process fail the test that caused them.
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            assert marker not in log, "sanitizer report in tegamid log:\n" + log[-4000:]


@pytest.fixture
def tegami(make_tegami):
    return make_tegami()
