"""A tegami with IMAP and POP3 listeners (143/993/110/995 styles), users with passwords, and mail sent to them over SMTP."""
import os
import smtplib
import ssl
import subprocess

from tegami import IS_ROOT, account_names, bin_path, free_port
from tlsutil import CertAuthority, wait_listening

PASSWORD = "pw for reading mail"
USERS = ("alice@example.org", "bob@example.org", "carol@example.net")


def encrypt(conf_path, password):
    r = subprocess.run([bin_path("tegamictl"), "-f", conf_path, "encrypt", password],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def mail_listeners(host="127.0.0.1"):
    """{"imap", "imaps", "pop3", "pop3s"} ports and their listen lines."""
    ports = {k: free_port(host) for k in ("imap", "imaps", "pop3", "pop3s")}
    lines = "".join(
        "listen on %s port %d %s pki mx.example.org auth <creds>\n" % (host, ports[k], kind)
        for k, kind in (("imap", "imap tls"), ("imaps", "imaps"),
                        ("pop3", "pop3 tls"), ("pop3s", "pop3s")))
    return ports, lines


def reading_tegami(make_tegami, tmp_path, extra_listeners="", globals_="", users=USERS,
                   start=True):
    """Started tegami; .ports, .ca (CertAuthority), .ctx (an SSL context trusting it)."""
    ca = CertAuthority(str(tmp_path))
    # Clients that check the name (curl, fetchmail, getmail) are given the address.
    crt, key = ca.leaf("mx.example.org", ips=("127.0.0.1",))
    creds = tmp_path / "creds"
    creds.write_text("")
    ports, lines = mail_listeners()
    t = make_tegami(start=False, listeners=lines + extra_listeners,
                    globals_=('pki mx.example.org cert "%s"\npki mx.example.org key "%s"\n'
                              "smtp auth-cost 4\ntable creds file:%s\n%s"
                              % (crt, key, creds, globals_)))
    hashed = encrypt(t.conf_path, PASSWORD)
    creds.write_text("".join("%s:%s\n" % (u, hashed) for u in users))
    t.ports = ports
    t.ca = ca
    t.ctx = ssl.create_default_context(cafile=ca.crt)
    t.ctx.check_hostname = False
    t.creds = str(creds)
    if start:
        t.start()
        for p in ports.values():
            wait_listening(t.host, p)
    return t


def send(t, rcpt, subject="hello", body="a message for reading\r\n", sender="s@example.com",
         extra_headers=""):
    """Sends one message over SMTP (port 25 style) and returns its bytes as sent."""
    msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n%s\r\n%s"
           % (sender, rcpt, subject, extra_headers, body)).encode()
    with smtplib.SMTP(t.host, t.port, timeout=30) as s:
        s.sendmail(sender, [rcpt], msg)
    return msg


def maildir_files(t, address, sub):
    d = t.maildir(address, sub)
    try:
        return sorted(os.listdir(d))
    except FileNotFoundError:
        return []


def give_to_mail_account(maildir_root):
    """A Maildir made by the test belongs to the account that delivers and reads mail (as root)."""
    if not IS_ROOT:
        return
    import pwd
    pw = pwd.getpwnam(account_names()[1])
    top = os.path.dirname(os.path.dirname(maildir_root))
    for d, _, files in os.walk(top):
        os.chown(d, pw.pw_uid, pw.pw_gid)
        for fn in files:
            os.chown(os.path.join(d, fn), pw.pw_uid, pw.pw_gid)
