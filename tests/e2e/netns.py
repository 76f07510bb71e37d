"""Runs a scenario of a test file in a private network namespace, where the test owns addresses beside loopback.

Loopback clients are special to tegami (exempt from the per-address limits,
secure for passwords) and to libunbound (127.0.0.0/8 and the documentation
ranges are answered locally, never asked of the test's DNS server). A
scenario that needs clients with ordinary addresses runs in a namespace of
its own (`unshare -n`), made of lo with the addresses given; nothing there
can reach outside. The scenario is a function of the test module: it runs in
a child Python, and what it returns (JSON) comes back to the test.
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = "NETNS-RESULT "


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


def sanitizer_reports(log):
    """The sanitizer markers in a tegamid log (the make_tegami fixture checks the same)."""
    return [m for m in SANITIZER_MARKERS if m in log]


def available():
    return (os.geteuid() == 0 and shutil.which("unshare") is not None and
            shutil.which("ip") is not None)


def run(module_file, func, addrs, timeout=180, arg=None):
    """Calls func(arg) of module_file in a new network namespace with addrs on lo."""
    setup = ["ip link set lo up"]
    for a in addrs:
        if ":" in a:
            setup.append("ip -6 addr add %s/128 dev lo nodad" % a)
        else:
            setup.append("ip addr add %s/32 dev lo" % a)
    script = " && ".join(setup) + ' && exec /usr/bin/python3 -W ignore "$0" "$1" "$2" "$3"'
    r = subprocess.run(["unshare", "-n", "sh", "-c", script, os.path.abspath(__file__),
                        os.path.abspath(module_file), func, json.dumps(arg)],
                       capture_output=True, text=True, timeout=timeout)
    for line in r.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise AssertionError("scenario %s failed (exit %d):\n%s\n%s" %
                         (func, r.returncode, r.stdout[-4000:], r.stderr[-6000:]))


def _child(module_file, func, arg):
    import importlib.util
    sys.path.insert(0, HERE)
    spec = importlib.util.spec_from_file_location("scenario_module", module_file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    result = getattr(mod, func)(json.loads(arg))
    sys.stdout.write(MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], sys.argv[3])
