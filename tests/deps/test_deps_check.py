#!/usr/bin/python3
"""Self-test of scripts/deps-check.py (run by make deps-check).

The scanners on snippets, the package closure on a made-up dpkg status file,
and the whole check on fixture trees against this machine's packages: a tree
that is right passes, and it fails for a test that runs a program the
manifest does not list, for a program that is not installed, and for a module
whose package a listed package only Recommends (swaks and Net::SSLeay, the
mistake that broke make check on a fresh machine). The last part needs what
scripts/packages.txt installs (make deps)."""
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKER = os.path.join(ROOT, "scripts", "deps-check.py")

_spec = importlib.util.spec_from_file_location("deps_check", CHECKER)
dc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dc)


def shell_uses(text, other_scripts=()):
    """(kind, name, line) of what the shell scanner finds in text."""
    scan = dc.Scan("/nonexistent")
    for t in list(other_scripts) + [text]:
        dc.scan_shell(scan, t, "x.sh", collect_only=True)
    dc.scan_shell(scan, text, "x.sh")
    return sorted((u.kind, u.name, u.line) for u in scan.uses
                  if not (u.kind == "program" and u.name in scan.sh_functions))


def python_uses(text, local=()):
    d = tempfile.mkdtemp(prefix="deps-check-test-")
    try:
        for name in local:
            open(os.path.join(d, name + ".py"), "w").close()
        with open(os.path.join(d, "t.py"), "w") as f:
            f.write(text)
        scan = dc.Scan(d)
        dc.scan_python_file(scan, "t.py")
        return sorted((u.kind, u.name, u.line) for u in scan.uses)
    finally:
        for e in os.listdir(d):
            os.unlink(os.path.join(d, e))
        os.rmdir(d)


class ShellScanner(unittest.TestCase):
    def test_commands_not_words(self):
        text = textwrap.dedent("""\
            #!/bin/sh
            # curl in a comment
            CC=${CC:-cc}
            helper()
            {
            \tgrep -q x "$1" 2>/dev/null >"$out" && echo found
            }
            for w in alpha beta; do
            \thelper "$w"
            done
            case $1 in
            start|stop) msmtp -a "$1" ;;
            *) [ -n "$x" ] || exit 1 ;;
            esac
            cat <<EOF
            swaks --to x
            EOF
            n=$(nproc) v="$(sed -n 1p f)"
            $CC -o t t.c
            command -v strace >/dev/null
            trap 'rm -f "$tmp"' EXIT
            xargs -n 1 sh -c 'openssl version'
            """)
        self.assertEqual(shell_uses(text), [
            ("program", "cat", 15),
            ("program", "cc", 19),
            ("program", "grep", 6),
            ("program", "msmtp", 12),
            ("program", "nproc", 18),
            ("program", "openssl", 22),
            ("program", "rm", 21),
            ("program", "sed", 18),
            ("program", "strace", 20),
            ("program", "xargs", 22),
        ])

    def test_download_functions_and_python_c(self):
        lib = textwrap.dedent("""\
            fetch()
            {
            \t(cd "$2" && apt-get download "$1")
            }
            """)
        text = textwrap.dedent("""\
            fetch postfix "$dir"
            "$PY" -c 'import json, dkim' x
            PY=/usr/bin/python3
            """)
        self.assertEqual(shell_uses(text, [lib]), [
            ("download", "postfix", 1),
            ("program", "/usr/bin/python3", 2),
            ("python", "dkim", 2),
            ("python", "json", 2),
        ])


class PythonScanner(unittest.TestCase):
    def test_argument_lists(self):
        text = textwrap.dedent("""\
            import os, shutil, subprocess
            import pytest
            from helper import thing
            DNSMASQ = "/usr/sbin/dnsmasq"

            def run(*args):
                return subprocess.run(list(args), capture_output=True)

            def cmd(port):
                return ["swaks", "--port", str(port)]

            def test_x(tmp):
                if shutil.which("curl") is None:
                    pytest.skip("no curl")
                args = ["openssl", "s_client"]
                subprocess.run(args + ["-starttls", "smtp"])
                subprocess.Popen([DNSMASQ, "-k"])
                subprocess.run(cmd(25))
                run("msmtp", "-C", tmp)
                subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up && exec true"])
                subprocess.run([os.path.join(tmp, "bin"), "x"])
                pytest.importorskip("dkim")
            """)
        self.assertEqual(python_uses(text, local=["helper"]), [
            ("program", "/usr/sbin/dnsmasq", 4),
            ("program", "/usr/sbin/dnsmasq", 17),
            ("program", "curl", 13),
            ("program", "ip", 20),
            ("program", "msmtp", 19),
            ("program", "openssl", 15),
            ("program", "swaks", 10),
            ("program", "unshare", 20),
            ("python", "dkim", 22),
            ("python", "os", 1),
            ("python", "pytest", 2),
            ("python", "shutil", 1),
            ("python", "subprocess", 1),
        ])


STATUS = """\
Package: a
Status: install ok installed
Priority: optional
Depends: b (>= 1) | c, v, libx:any
Pre-Depends: d
Recommends: e
Suggests: f

Package: b
Status: install ok installed
Priority: optional

Package: c
Status: install ok installed
Priority: optional

Package: d
Status: install ok installed
Priority: optional
Depends: m | libx

Package: e
Status: install ok installed
Priority: optional

Package: f
Status: install ok installed
Priority: optional

Package: p
Status: install ok installed
Priority: optional
Provides: v (= 2)

Package: libx
Status: install ok installed
Priority: optional

Package: ess
Status: install ok installed
Essential: yes
Priority: required
Depends: r

Package: r
Status: install ok installed
Priority: required
Depends: q

Package: q
Status: install ok installed
Priority: optional

Package: gone
Status: deinstall ok config-files
Priority: optional
"""


class Closure(unittest.TestCase):
    def setUp(self):
        fd, self.path = tempfile.mkstemp(prefix="deps-check-status-")
        with os.fdopen(fd, "w") as f:
            f.write(STATUS)
        self.dpkg = dc.Dpkg(self.path)

    def tearDown(self):
        os.unlink(self.path)

    def test_depends_not_recommends(self):
        # b: the first alternative of `b | c`; p: provides the virtual v;
        # d: Pre-Depends, whose `m | libx` is met (m is not installed); not c
        # (second alternative), e (Recommends), f (Suggests).
        self.assertEqual(self.dpkg.closure({"a"}), {"a", "b", "d", "p", "libx"})

    def test_alternative_met_already(self):
        # With c in the set, `b | c` is met and b stays out.
        self.assertEqual(self.dpkg.closure({"a", "c"}), {"a", "c", "d", "p", "libx"})

    def test_base(self):
        self.assertEqual(self.dpkg.base(), {"ess", "r"})
        self.assertEqual(self.dpkg.closure(self.dpkg.base()), {"ess", "r", "q"})
        self.assertFalse(self.dpkg.installed("gone"))


class Fixture(unittest.TestCase):
    """The whole check on a small tree, against this machine's packages."""

    NEEDED = ["swaks", "libnet-ssleay-perl", "python3-pytest", "curl"]

    @classmethod
    def setUpClass(cls):
        missing = [p for p in cls.NEEDED if subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
            text=True).stdout != "install ok installed"]
        if missing:
            raise AssertionError("the fixtures need %s installed: run make deps as root"
                                 % " ".join(missing))

    def tree(self, test_py, packages, needs):
        d = tempfile.mkdtemp(prefix="deps-check-fixture-")
        self.addCleanup(shutil.rmtree, d, True)
        os.makedirs(os.path.join(d, "tests", "e2e"))
        os.makedirs(os.path.join(d, "scripts"))
        with open(os.path.join(d, "tests", "e2e", "test_fixture.py"), "w") as f:
            f.write(textwrap.dedent(test_py))
        with open(os.path.join(d, "scripts", "packages.txt"), "w") as f:
            f.write(textwrap.dedent(packages))
        with open(os.path.join(d, "scripts", "test-needs.txt"), "w") as f:
            f.write(textwrap.dedent(needs))
        return d

    def check(self, root):
        c = dc.Check(root, "/var/lib/dpkg/status")
        c.run()
        return c.failures

    def good(self, extra_test="", packages=None):
        test_py = """\
            import subprocess
            import pytest

            def test_swaks():
                subprocess.run(["swaks", "--tls", "--server", "127.0.0.1"])
            """ + extra_test
        if packages is None:
            packages = """\
                python3-pytest
                swaks
                libnet-ssleay-perl   # swaks --tls
                """
        needs = """\
            program swaks
            perl Net::SSLeay          # swaks --tls
            python pytest
            without swaks libio-socket-inet6-perl  # loopback IPv4 only
            without swaks libnet-dns-perl          # --server given
            without python3-pytest python3-pygments  # colours only
            """
        return self.tree(test_py, packages, needs)

    def test_right_tree_passes(self):
        self.assertEqual(self.check(self.good()), [])

    def test_unlisted_missing_and_undecided(self):
        root = self.good(extra_test="""\

            def test_more():
                subprocess.run(["curl", "smtp://127.0.0.1"])
                subprocess.run(["tegami-no-such-program", "-x"])
            """)
        path = os.path.join(root, "scripts", "test-needs.txt")
        with open(path) as f:
            lines = [ln for ln in f if "libnet-dns-perl" not in ln]
        with open(path, "w") as f:
            f.writelines(lines)
        fails = self.check(root)
        self.assertEqual(len(fails), 3, fails)
        # A program the manifest does not list, with its package.
        self.assertTrue(fails[0].startswith(
            "tests/e2e/test_fixture.py:8: runs curl (/usr/bin/curl, package curl), which "
            "scripts/test-needs.txt does not list: add `program curl"), fails[0])
        self.assertIn("and curl to scripts/packages.txt", fails[0])
        # A program that is nowhere.
        self.assertTrue(fails[1].startswith(
            "tests/e2e/test_fixture.py:9: runs tegami-no-such-program, which is not "
            "installed"), fails[1])
        # A Recommends of a needed package left out without a word.
        self.assertIn("scripts/test-needs.txt:1: swaks (package of program swaks) Recommends "
                      "libnet-dns-perl", fails[2])
        self.assertIn("`without swaks libnet-dns-perl  # why`", fails[2])

    def test_module_of_a_package_only_recommended(self):
        # The install list without libnet-ssleay-perl, which this machine has:
        # swaks only Recommends it, so a fresh machine would not.
        root = self.good(packages="""\
            python3-pytest
            swaks
            """)
        r = subprocess.run([sys.executable, CHECKER, "--root", root], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        fails = r.stderr.splitlines()
        self.assertEqual(len(fails), 2, r.stderr)
        self.assertTrue(fails[0].startswith(
            "deps-check: scripts/test-needs.txt:2: Perl module Net::SSLeay (swaks --tls) is "
            "/usr/lib/x86_64-linux-gnu/perl5/5.36/Net/SSLeay.pm from libnet-ssleay-perl, which "
            "scripts/packages.txt does not install (swaks only Recommends it"), fails[0])
        self.assertTrue(fails[0].endswith("add libnet-ssleay-perl to scripts/packages.txt"),
                        fails[0])
        self.assertTrue(fails[1].startswith(
            "deps-check: scripts/test-needs.txt:1: swaks (package of program swaks) Recommends "
            "libnet-ssleay-perl"), fails[1])
        self.assertIn("deps-check: 8 passed, 2 failed", r.stdout)


if __name__ == "__main__":
    out = io.StringIO()
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    r = unittest.TextTestRunner(stream=out, verbosity=0).run(suite)
    if not r.wasSuccessful():
        sys.stderr.write(out.getvalue())
    print("deps-check self-test: %d passed, %d failed"
          % (r.testsRun - len(r.failures) - len(r.errors), len(r.failures) + len(r.errors)))
    sys.exit(0 if r.wasSuccessful() else 1)
