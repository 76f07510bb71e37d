"""make install: programs, links, man pages and the systemd unit (systemd-analyze verify), and the accounts."""
import os
import shutil
import stat
import subprocess
import tempfile

import pytest

from tegami import ROOT

COMPAT = ["sendmail", "mailq", "newaliases", "vadddomain", "vadduser", "vdeluser",
          "vpasswd", "vuserinfo", "valias"]


@pytest.fixture
def tmp():
    d = tempfile.mkdtemp(prefix="tegami-install-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def make_install(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(["make", "-s", "-C", ROOT, "install"] + list(args), env=e,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def stubs(d):
    """getent that knows nobody and useradd and install that only log what they are asked."""
    log = os.path.join(d, "calls")
    for name, body in (("getent", "exit 2"), ("useradd", 'echo "useradd $*" >> %s' % log),
                       ("install", 'echo "install $*" >> %s' % log)):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write("#!/bin/sh\n%s\n" % body)
        os.chmod(p, 0o755)
    return log


def test_destdir_layout(tmp):
    dest = os.path.join(tmp, "dest")
    log = stubs(tmp)
    # As root too, a DESTDIR install never touches the system's accounts.
    make_install("DESTDIR=" + dest, env={"GETENT": os.path.join(tmp, "getent"),
                                         "USERADD": os.path.join(tmp, "useradd")})
    assert not os.path.exists(log)
    sbin = os.path.join(dest, "usr", "local", "sbin")
    for p in ("tegamid", "tegamictl"):
        st = os.stat(os.path.join(sbin, p))
        assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o111
    for n in COMPAT:
        assert os.readlink(os.path.join(sbin, n)) == "tegamictl"
    man = os.path.join(dest, "usr", "local", "share", "man")
    pages = ["man5/tegami.conf.5", "man8/tegamid.8", "man8/tegamictl.8"] + \
            ["man8/%s.8" % n for n in COMPAT]
    for p in pages:
        path = os.path.join(man, p)
        assert os.path.isfile(path), p
        # Each renders without a warning (a .so page through the page it names).
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", path], cwd=man,
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr == "" and len(r.stdout) > 200, (p, r.stderr)
    r = subprocess.run(["man", "--warnings", "-l", os.path.join(man, "man8/vadduser.8")],
                       cwd=man, capture_output=True, text=True)
    assert "vadduser" in r.stdout and "vpopmail" in r.stdout
    unit = open(os.path.join(dest, "usr", "local", "lib", "systemd", "system",
                             "tegami.service")).read()
    assert "ExecStart=/usr/local/sbin/tegamid -d -f /etc/tegami/tegami.conf" in unit
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
    assert "@" not in unit.replace("$MAINPID", "")
    assert os.path.isdir(os.path.join(dest, "etc", "tegami"))


def test_systemd_analyze_verify(tmp):
    prefix = os.path.join(tmp, "prefix")
    make_install("PREFIX=" + prefix, "ACCOUNTS=no")
    unit = os.path.join(prefix, "lib", "systemd", "system", "tegami.service")
    # The unit names programs and man pages where this PREFIX put them.
    env = dict(os.environ, MANPATH=os.path.join(prefix, "share", "man") + ":")
    r = subprocess.run(["systemd-analyze", "verify", unit], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "tegami.service" not in r.stderr, r.stderr
    assert "ExecStart=%s/sbin/tegamid -d" % prefix in open(unit).read()


def test_accounts_made_when_missing(tmp):
    log = stubs(tmp)
    env = dict(os.environ, GETENT=os.path.join(tmp, "getent"),
               USERADD=os.path.join(tmp, "useradd"), INSTALL=os.path.join(tmp, "install"),
               VMAIL=os.path.join(tmp, "vmail"))
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "install-accounts.sh")],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    calls = open(log).read().splitlines()
    assert any(c.startswith("useradd --system") and c.endswith(" _tegami") for c in calls)
    vm = [c for c in calls if c.startswith("useradd") and c.endswith(" vmail")]
    assert vm and "--home-dir %s" % os.path.join(tmp, "vmail") in vm[0]
    assert "install -d -o vmail -g vmail -m 755 %s" % os.path.join(tmp, "vmail") in calls
    # Accounts that exist are left alone.
    with open(os.path.join(tmp, "getent"), "w") as f:
        f.write("#!/bin/sh\necho \"$2:x:1:1::/:/bin/false\"\n")
    os.remove(log)
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "install-accounts.sh")],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0
    assert not any(c.startswith("useradd") for c in open(log).read().splitlines())
