"""POP3 (RFC 1939, 2449, 5034, 2595) with Python's poplib, fetchmail, getmail and curl: what vpopmail's users' clients do."""
import base64
import os
import poplib
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from mailread import PASSWORD, give_to_mail_account, maildir_files, reading_tegami, send
from tegami import IS_ROOT, account_names


@pytest.fixture
def t(make_tegami, tmp_path):
    return reading_tegami(make_tegami, tmp_path)


def pop3s(t, user="alice@example.org", password=PASSWORD):
    p = poplib.POP3_SSL(t.host, t.ports["pop3s"], context=t.ctx, timeout=30)
    p.user(user)
    p.pass_(password)
    return p


def deliver(t, rcpt, n):
    for i in range(n):
        send(t, rcpt, subject="message %d" % i, body="line one\r\n.dotted line\r\nend %d\r\n" % i)
    return t.wait_messages(rcpt, n)


def cur_names(t, user="alice@example.org"):
    return maildir_files(t, user, "cur")


def test_retr_equals_the_delivered_file(t):
    stored = deliver(t, "alice@example.org", 1)[0]
    p = pop3s(t)
    count, size = p.stat()
    assert count == 1
    resp, lines, octets = p.retr(1)
    assert resp.startswith(b"+OK")
    got = b"\n".join(lines) + b"\n"
    # poplib undoes the dot-stuffing; the line ends were CRLF on the wire.
    assert got == stored
    assert b".dotted line" in got
    assert size == len(stored.replace(b"\n", b"\r\n"))
    p.quit()


def test_login_goes_through_the_login_and_mailbox_processes(t):
    deliver(t, "alice@example.org", 1)
    p = pop3s(t)
    p.stat()
    p.quit()
    time.sleep(0.3)
    log = t.log()
    assert "login user=alice@example.org" in log, log[-3000:]
    assert "mailbox open user=alice@example.org" in log, log[-3000:]
    if IS_ROOT:
        # The login process parses clients as the daemon's user; the mail is read as its owner.
        import pwd
        owners = {}
        for pid in os.listdir("/proc"):
            try:
                with open("/proc/%s/status" % pid) as f:
                    st = dict(l.split(":", 1) for l in f if ":" in l)
            except OSError:
                continue
            if st.get("PPid", "").strip() == str(t.proc.pid):
                owners[st["Name"].strip()] = pwd.getpwuid(int(st["Uid"].split()[0])).pw_name
        daemon_user, mail_account = account_names()
        assert owners.get("tegami-mailbox") == mail_account, owners
        assert owners.get("tegami-login") == daemon_user, owners


def test_uidl_is_the_maildir_base_name_and_list_the_wire_size(t):
    stored = deliver(t, "alice@example.org", 3)
    p = pop3s(t)
    resp, uidls, _ = p.uidl()
    got = [l.split()[1].decode() for l in uidls]
    bases = sorted(n.split(":")[0] for n in cur_names(t))
    assert sorted(got) == bases
    assert len(set(got)) == 3
    # One message asked for alone gives the same answer as the listing.
    assert p.uidl(2).split()[2].decode() == got[1]
    resp, sizes, _ = p.list()
    assert [int(l.split()[1]) for l in sizes] == [len(m.replace(b"\n", b"\r\n")) for m in stored]
    p.quit()


def test_new_mail_moves_to_cur_and_retr_marks_it_seen(t):
    deliver(t, "alice@example.org", 2)
    assert len(maildir_files(t, "alice@example.org", "new")) == 2
    p = pop3s(t)
    assert maildir_files(t, "alice@example.org", "new") == []
    assert len(cur_names(t)) == 2
    p.retr(2)
    p.quit()
    names = cur_names(t)
    seen = [n for n in names if n.endswith(":2,S")]
    assert len(seen) == 1, names


def test_top_sends_the_header_and_n_body_lines(t):
    deliver(t, "alice@example.org", 1)
    p = pop3s(t)
    resp, lines, _ = p.top(1, 0)
    assert lines[-1] == b"" and b"Subject: message 0" in lines
    assert b"line one" not in lines
    resp, lines, _ = p.top(1, 2)
    body = lines[lines.index(b"") + 1:]
    assert body == [b"line one", b".dotted line"]
    p.quit()


def test_dele_then_quit_removes_and_rset_restores(t):
    deliver(t, "alice@example.org", 3)
    p = pop3s(t)
    p.dele(1)
    with pytest.raises(poplib.error_proto, match="deleted"):
        p.retr(1)
    assert p.stat()[0] == 2
    p.rset()
    assert p.stat()[0] == 3
    p.dele(2)
    p.dele(3)
    p.quit()
    assert len(cur_names(t)) == 1
    p = pop3s(t)
    assert p.stat()[0] == 1
    p.quit()


def test_a_dropped_connection_removes_nothing(t):
    deliver(t, "alice@example.org", 2)
    p = pop3s(t)
    p.dele(1)
    p.dele(2)
    p.close()               # no QUIT: RFC 1939 6, no UPDATE state
    time.sleep(0.5)
    assert len(cur_names(t)) == 2
    p = pop3s(t)
    assert p.stat()[0] == 2
    p.quit()


def test_a_second_session_gets_in_use(t):
    deliver(t, "alice@example.org", 1)
    first = pop3s(t)
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        pop3s(t)
    # Another user is not held up.
    deliver(t, "bob@example.org", 1)
    other = pop3s(t, "bob@example.org")
    assert other.stat()[0] == 1
    other.quit()
    first.quit()
    again = pop3s(t)
    assert again.stat()[0] == 1
    again.quit()


def test_wrong_password_and_unknown_user_get_auth_code(t):
    for user, pw in (("alice@example.org", "wrong"), ("nobody@example.org", PASSWORD)):
        p = poplib.POP3_SSL(t.host, t.ports["pop3s"], context=t.ctx, timeout=30)
        p.user(user)
        with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
            p.pass_(pw)
        p.close()


def test_login_is_case_insensitive(t):
    deliver(t, "alice@example.org", 1)
    p = pop3s(t, "Alice@Example.ORG")
    assert p.stat()[0] == 1
    p.quit()


def test_stls_then_login(t):
    deliver(t, "alice@example.org", 1)
    p = poplib.POP3(t.host, t.ports["pop3"], timeout=30)
    assert "STLS" in p.capa()
    p.stls(context=t.ctx)
    caps = p.capa()
    assert "STLS" not in caps and "USER" in caps and "SASL" in caps
    p.user("alice@example.org")
    p.pass_(PASSWORD)
    assert p.stat()[0] == 1
    p.quit()


def test_passwords_refused_before_tls_on_tls_require(make_tegami, tmp_path):
    from tegami import free_port
    port = free_port()
    t = reading_tegami(make_tegami, tmp_path, extra_listeners=(
        "listen on 127.0.0.1 port %d pop3 tls-require pki mx.example.org auth <creds>\n" % port))
    p = poplib.POP3(t.host, port, timeout=30)
    caps = p.capa()
    assert "USER" not in caps and "SASL" not in caps and "STLS" in caps
    with pytest.raises(poplib.error_proto, match="TLS"):
        p.user("alice@example.org")
    p.stls(context=t.ctx)
    p.user("alice@example.org")
    p.pass_(PASSWORD)
    p.quit()


def raw(t, port=None):
    """A raw POP3S socket, greeting read."""
    s = t.ctx.wrap_socket(socket.create_connection((t.host, port or t.ports["pop3s"]),
                                                   timeout=30))
    f = s.makefile("rb")
    assert f.readline().startswith(b"+OK")
    return s, f


def test_auth_plain_with_initial_response_and_login_exchange(t):
    deliver(t, "alice@example.org", 1)
    s, f = raw(t)
    ir = base64.b64encode(b"\0alice@example.org\0" + PASSWORD.encode())
    s.sendall(b"AUTH PLAIN " + ir + b"\r\n")
    assert f.readline().startswith(b"+OK"), "AUTH PLAIN"
    s.sendall(b"STAT\r\nQUIT\r\n")
    assert f.readline().startswith(b"+OK 1 ")
    s.close()
    s, f = raw(t)
    s.sendall(b"AUTH LOGIN\r\n")
    assert f.readline() == b"+ VXNlcm5hbWU6\r\n"
    s.sendall(base64.b64encode(b"alice@example.org") + b"\r\n")
    assert f.readline() == b"+ UGFzc3dvcmQ6\r\n"
    s.sendall(base64.b64encode(PASSWORD.encode()) + b"\r\n")
    assert f.readline().startswith(b"+OK")
    s.close()


def test_pipelined_commands_are_answered_in_order(t):
    deliver(t, "alice@example.org", 2)
    s, f = raw(t)
    s.sendall(("USER alice@example.org\r\nPASS %s\r\nSTAT\r\nUIDL 1\r\nLIST\r\nNOOP\r\nQUIT\r\n"
               % PASSWORD).encode())
    lines = []
    while True:
        line = f.readline()
        if not line:
            break
        lines.append(line)
    text = b"".join(lines)
    assert lines[0].startswith(b"+OK") and lines[1].startswith(b"+OK Logged in")
    assert lines[2].startswith(b"+OK 2 ")
    assert lines[3].startswith(b"+OK 1 ")
    assert b"\r\n.\r\n+OK\r\n+OK Logging out" in text, text
    s.close()


def test_bad_commands_are_errors_and_too_many_close(t):
    s, f = raw(t)
    s.sendall(b"USER alice@example.org\r\nPASS " + PASSWORD.encode() + b"\r\n")
    f.readline()
    assert f.readline().startswith(b"+OK")
    for cmd in (b"RETR 99", b"RETR x", b"DELE 0", b"TOP 1", b"XYZZY", b"LIST 1 2",
                b"A" * 300):
        s.sendall(cmd + b"\r\n")
        assert f.readline().startswith(b"-ERR"), cmd
    for i in range(10):
        s.sendall(b"BOGUS\r\n")
    rest = f.read()
    assert b"Too many invalid commands" in rest
    s.close()


def test_a_vpopmail_maildir_keeps_its_uidls(t):
    """Maildirs copied from vpopmail: qmail's names, some already in cur/ with :2,S."""
    names_new = ["1316097371.86674.mail.example.jp", "1316097390.86701.mail.example.jp"]
    names_cur = ["1316000000.11111.mail.example.jp:2,S", "1316000100.11112.mail.example.jp:2,"]
    root = os.path.dirname(t.maildir("carol@example.net", "new"))
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for sub, names in (("new", names_new), ("cur", names_cur)):
        for n in names:
            with open(os.path.join(root, sub, n), "wb") as f:
                f.write(b"Return-Path: <x@example.com>\nSubject: %s\n\nold mail\n" % n.encode())
    give_to_mail_account(root)
    p = pop3s(t, "carol@example.net")
    got = sorted(l.split()[1].decode() for l in p.uidl()[1])
    assert got == sorted([n.split(":")[0] for n in names_new + names_cur])
    p.quit()


def test_curl_lists_and_retrieves(t):
    stored = deliver(t, "alice@example.org", 2)
    base = ["curl", "-s", "--cacert", t.ca.crt, "--user", "alice@example.org:" + PASSWORD]
    url = "pop3s://127.0.0.1:%d/" % t.ports["pop3s"]
    r = subprocess.run(base + [url], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(b"\r\n") == 2
    r = subprocess.run(base + [url + "2"], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.replace(b"\r\n", b"\n") == stored[1]


def write_fetchmailrc(t, tmp_path, proto_opts):
    rc = tmp_path / "fetchmailrc"
    out = tmp_path / "fetched.mbox"
    rc.write_text(
        'poll mx.example.org via 127.0.0.1 with proto POP3 service %d\n'
        '  user "alice@example.org" there with password "%s"\n'
        '  %s sslcertck sslcertfile "%s" sslcommonname "mx.example.org"\n'
        '  mda "/bin/sh -c \'cat >> %s\'"\n'
        '  fetchall\n' % (proto_opts[0], PASSWORD, proto_opts[1], t.ca.crt, out))
    rc.chmod(0o600)
    return rc, out


@pytest.mark.parametrize("kind", ["pop3s", "stls"])
def test_fetchmail_retrieves_and_removes(t, tmp_path, kind):
    if shutil.which("fetchmail") is None:
        pytest.skip("fetchmail not installed")
    deliver(t, "alice@example.org", 2)
    opts = (t.ports["pop3s"], "ssl") if kind == "pop3s" else (t.ports["pop3"], "sslproto tls1.2+")
    rc, out = write_fetchmailrc(t, tmp_path, opts)
    env = dict(os.environ, HOME=str(tmp_path), FETCHMAILHOME=str(tmp_path))
    r = subprocess.run(["fetchmail", "-f", str(rc), "--nosyslog", "-v"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    got = out.read_bytes()
    assert got.count(b"Subject: message") == 2
    # fetchmail deletes what it fetched (no "keep").
    assert cur_names(t) == [] and maildir_files(t, "alice@example.org", "new") == []


def test_getmail_retrieves_into_a_maildir(t, tmp_path):
    if shutil.which("getmail") is None:
        pytest.skip("getmail not installed")
    deliver(t, "alice@example.org", 2)
    # In the instance's directory (mode 755): getmail will not write a
    # Maildir as root, so as root it writes as the test's mail account.
    import pathlib
    dest = pathlib.Path(t.dir) / "getmail-dest"
    for sub in ("cur", "new", "tmp"):
        (dest / sub).mkdir(parents=True)
    user = ""
    if IS_ROOT:
        import pwd
        pw = pwd.getpwnam(account_names()[1])
        for d in (dest, dest / "cur", dest / "new", dest / "tmp"):
            os.chown(d, pw.pw_uid, pw.pw_gid)
        user = "user = %s\n" % pw.pw_name
    rc = tmp_path / "getmailrc"
    rc.write_text(
        "[retriever]\ntype = SimplePOP3SSLRetriever\nserver = 127.0.0.1\nport = %d\n"
        "username = alice@example.org\npassword = %s\nca_certs = %s\n\n"
        "[destination]\ntype = Maildir\npath = %s/\n%s\n"
        "[options]\nread_all = false\ndelete = false\nverbose = 0\n"
        % (t.ports["pop3s"], PASSWORD, t.ca.crt, dest, user))
    r = subprocess.run(["getmail", "--getmaildir", str(tmp_path), "--rcfile", str(rc)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(os.listdir(dest / "new")) == 2
    # It remembers the UIDLs: a second run fetches nothing again.
    r = subprocess.run(["getmail", "--getmaildir", str(tmp_path), "--rcfile", str(rc)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(os.listdir(dest / "new")) == 2
