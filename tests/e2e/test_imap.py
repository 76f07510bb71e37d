"""IMAP after login with Python's imaplib over TLS: folders, messages, flags in Maildir file names, two sessions, IDLE seeing a delivery made through SMTP, a lost index, a crash."""
import datetime
import os
import re
import signal
import time
import imaplib

import pytest

from mailread import PASSWORD, maildir_files, reading_tegami, send

ALICE = "alice@example.org"


@pytest.fixture
def t(make_tegami, tmp_path):
    return reading_tegami(make_tegami, tmp_path)


def connect(t, port="imaps"):
    if port == "imaps":
        m = imaplib.IMAP4_SSL(t.host, t.ports["imaps"], ssl_context=t.ctx)
    else:
        m = imaplib.IMAP4(t.host, t.ports["imap"])
        m.starttls(ssl_context=t.ctx)
    typ, data = m.login(ALICE, PASSWORD)
    assert typ == "OK", data
    return m


def deliver(t, n, subject="hello"):
    """n messages, one after the other: UIDs follow the order they reach the Maildir."""
    have = len(t.messages(ALICE))
    for i in range(n):
        send(t, ALICE, subject="%s %d" % (subject, i))
        t.wait_messages(ALICE, have + i + 1)


def root(t):
    return os.path.dirname(t.maildir(ALICE, "new"))


def names(t, folder=""):
    d = os.path.join(root(t), folder) if folder else root(t)
    out = []
    for sub in ("new", "cur"):
        p = os.path.join(d, sub)
        out += sorted(os.listdir(p)) if os.path.isdir(p) else []
    return out


def flags_of(t, folder=""):
    """The Maildir flags of each message file, in base-name order."""
    return sorted((n.split(":2,")[1] if ":2," in n else None) for n in names(t, folder))


def fetch_map(m, what="(UID FLAGS)"):
    typ, data = m.uid("FETCH", "1:*", what)
    assert typ == "OK", data
    out = {}
    for d in data:
        line = d if isinstance(d, bytes) else d[0]
        mo = re.search(rb"UID (\d+)", line)
        if mo:
            out[int(mo.group(1))] = line
    return out


def mailbox_pid(t):
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/status" % pid) as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
        except OSError:
            continue
        if st.get("PPid", "").strip() == str(t.proc.pid) and \
                st.get("Name", "").strip() == "tegami-mailbox":
            return int(pid)
    return None


def test_list_select_fetch(t):
    deliver(t, 3)
    m = connect(t)
    typ, folders = m.list()
    names_ = [f.decode() for f in folders]
    assert any(n.endswith('"/" INBOX') for n in names_), names_
    # A new user's first login made the special folders.
    for special, name in (("\\Sent", "Sent"), ("\\Drafts", "Drafts"), ("\\Trash", "Trash"),
                          ("\\Junk", "Junk"), ("\\Archive", "Archive")):
        assert any(special in n and n.endswith(name) for n in names_), names_
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"3"]
    typ, data = m.fetch("1:*", "(UID FLAGS ENVELOPE)")
    assert typ == "OK"
    subjects = [re.search(rb'ENVELOPE \((?:NIL|"[^"]*") "([^"]*)"',
                          d if isinstance(d, bytes) else d[0]).group(1) for d in data]
    # UIDs in the order of delivery.
    assert subjects == [b"hello 0", b"hello 1", b"hello 2"], data
    typ, data = m.fetch("2", "(BODY[] RFC822.SIZE)")
    body = data[0][1]
    assert b"Subject: hello 1\r\n" in body and b"a message for reading" in body
    size = int(re.search(rb"RFC822.SIZE (\d+)", data[0][0]).group(1))
    assert size == len(body)
    # SELECT moved the messages to cur/; BODY[] set \Seen in the file name.
    assert maildir_files(t, ALICE, "new") == []
    assert flags_of(t) == ["", "", "S"]
    m.logout()


def test_starttls_on_143(t):
    deliver(t, 1)
    m = connect(t, "imap")
    typ, data = m.select("INBOX", readonly=True)
    assert typ == "OK" and data == [b"1"]
    # EXAMINE moves nothing: new/ stays new/.
    assert len(maildir_files(t, ALICE, "new")) == 1
    m.logout()


def test_flags_live_in_file_names(t):
    deliver(t, 2)
    m = connect(t)
    m.select("INBOX")
    typ, data = m.store("1", "+FLAGS", "(\\Seen \\Flagged)")
    assert typ == "OK" and b"\\Seen" in data[0] and b"\\Flagged" in data[0]
    assert flags_of(t) == ["", "FS"]
    m.store("1", "-FLAGS", "(\\Flagged)")
    m.store("2", "+FLAGS", "(\\Answered \\Draft $Label1)")
    assert flags_of(t) == ["DRa", "S"]
    # The keyword's letter is named where Dovecot and mutt look for it.
    with open(os.path.join(root(t), "dovecot-keywords")) as f:
        assert f.read() == "0 $Label1\n"
    fm = fetch_map(m)
    assert b"$Label1" in fm[2] and b"\\Draft" in fm[2]
    m.logout()


def test_append_copy_move_expunge(t):
    deliver(t, 3)
    m = connect(t)
    m.select("INBOX")
    msg = b"From: me@example.org\r\nSubject: draft\r\n\r\nnot sent yet\r\n"
    typ, data = m.append("Drafts", "(\\Draft \\Seen)", imaplib.Time2Internaldate(1577836800), msg)
    assert typ == "OK" and b"APPENDUID" in data[0], data
    assert flags_of(t, ".Drafts") == ["DS"]
    # The internal date is the file's mtime.
    d = os.path.join(root(t), ".Drafts", "cur")
    assert os.stat(os.path.join(d, os.listdir(d)[0])).st_mtime == 1577836800
    with open(os.path.join(d, os.listdir(d)[0]), "rb") as f:
        assert f.read() == msg
    typ, data = m.copy("1", "Archive")
    assert typ == "OK" and b"COPYUID" in data[0], data
    assert len(names(t, ".Archive")) == 1 and len(names(t)) == 3
    typ, data = m.uid("MOVE", "2", "Trash")
    assert typ == "OK", data
    assert len(names(t, ".Trash")) == 1 and len(names(t)) == 2
    # MOVE answered "* 2 EXPUNGE"; imaplib keeps it with the next ones.
    assert m.untagged_responses.pop("EXPUNGE") == [b"2"]
    m.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = m.expunge()
    assert typ == "OK" and data == [b"1"], data
    # Gone from the Maildir, not just hidden.
    assert len(names(t)) == 1
    typ, data = m.select("INBOX")
    assert data == [b"1"]
    typ, data = m.copy("1", "NoSuchFolder")
    assert typ == "NO" and b"TRYCREATE" in data[0]
    typ, data = m.status("Archive", "(MESSAGES UIDNEXT UNSEEN)")
    assert b"MESSAGES 1" in data[0] and b"UIDNEXT 2" in data[0]
    m.logout()


def idle_until(m, pattern, timeout):
    """Sends IDLE, waits for a line matching pattern; returns (line, seconds)."""
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    assert m.readline().startswith(b"+")
    m.sock.settimeout(timeout)
    t0 = time.time()
    try:
        while True:
            line = m.readline()
            if re.search(pattern, line):
                return line, time.time() - t0, tag
    finally:
        m.sock.settimeout(None)


def end_idle(m, tag):
    m.send(b"DONE\r\n")
    while True:
        line = m.readline()
        if line.startswith(tag):
            assert b" OK" in line
            return


def test_idle_sees_a_delivery_made_through_smtp(t):
    deliver(t, 1)
    m = connect(t)
    m.select("INBOX")
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    assert m.readline().startswith(b"+")
    t0 = time.time()
    send(t, ALICE, subject="while idling")
    m.sock.settimeout(10)
    line = m.readline()
    delay = time.time() - t0
    m.sock.settimeout(None)
    assert line == b"* 2 EXISTS\r\n", line
    # The SMTP 250 came back before t0 + delay: the delivery reached the client within a second.
    assert delay < 2.0, delay
    end_idle(m, tag)
    typ, data = m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"while idling" in data[0][1]
    m.logout()


def test_two_sessions_see_each_other(t):
    deliver(t, 3)
    a = connect(t)
    b = connect(t)
    a.select("INBOX")
    b.select("INBOX")
    a.store("1", "+FLAGS", "(\\Flagged)")
    typ, data = b.noop()
    fetches = [x for x in b.untagged_responses.get("FETCH", [])]
    assert any(b"\\Flagged" in x for x in fetches), b.untagged_responses
    b.untagged_responses.clear()
    a.store("2", "+FLAGS", "(\\Deleted)")
    a.expunge()
    b.noop()
    assert b.untagged_responses.get("EXPUNGE") == [b"2"], b.untagged_responses
    # A message appended by a shows up in b.
    a.append("INBOX", None, None, b"Subject: from a\r\n\r\nx\r\n")
    b.untagged_responses.clear()
    b.noop()
    assert b.untagged_responses.get("EXISTS") == [b"3"], b.untagged_responses
    a.logout()
    b.logout()


def test_deleting_the_index_keeps_uids_and_flags(t):
    deliver(t, 4)
    m = connect(t)
    m.select("INBOX")
    m.store("2", "+FLAGS", "(\\Seen $Work)")
    m.store("3", "+FLAGS", "(\\Deleted)")
    m.expunge()
    before = fetch_map(m)
    typ, data = m.status("INBOX", "(UIDVALIDITY UIDNEXT)")
    status_before = data[0]
    m.logout()
    time.sleep(0.5)
    for sfx in ("", "-wal", "-shm"):
        p = os.path.join(root(t), "tegami-index.sqlite" + sfx)
        if os.path.exists(p):
            os.unlink(p)
    m = connect(t)
    m.select("INBOX")
    after = fetch_map(m)
    assert sorted(after) == sorted(before) == [1, 2, 4]
    assert b"\\Seen" in after[2] and b"$Work" in after[2]
    typ, data = m.status("INBOX", "(UIDVALIDITY UIDNEXT)")
    assert data[0] == status_before, (data, status_before)
    # A new message still gets a UID never used before.
    m.append("INBOX", None, None, b"Subject: new\r\n\r\nx\r\n")
    assert sorted(fetch_map(m)) == [1, 2, 4, 5]
    m.logout()


def internal_dates(m):
    """UID -> INTERNALDATE as seconds since the epoch."""
    out = {}
    for uid, line in fetch_map(m, "(UID INTERNALDATE)").items():
        mo = re.search(rb'INTERNALDATE "([^"]+)"', line)
        out[uid] = int(datetime.datetime.strptime(mo.group(1).decode(),
                                                  "%d-%b-%Y %H:%M:%S %z").timestamp())
    return out


def test_internal_dates_of_a_first_index_are_the_files_mtimes(t):
    # A folder's first index stats no file (docs/imap.md): the dates are
    # found when a command first needs them, whichever command that is.
    deliver(t, 3)
    when = [1583064000, 1623758400, 1664539200]   # 2020-03-01, 2021-06-15, 2022-09-30 12:00 UTC
    files = maildir_files(t, ALICE, "new")
    assert len(files) == 3, files
    # UIDs follow arrival ("hello 0" first), which name order need not be:
    # two deliveries in one second may sort M100000 before M99999.
    for f in files:
        p = os.path.join(t.maildir(ALICE, "new"), f)
        with open(p, "rb") as fh:
            i = int(re.search(rb"Subject: hello (\d)", fh.read()).group(1))
        os.utime(p, (when[i], when[i]))

    def fresh_session():
        for sfx in ("", "-wal", "-shm"):
            p = os.path.join(root(t), "tegami-index.sqlite" + sfx)
            if os.path.exists(p):
                os.unlink(p)
        m = connect(t)
        typ, data = m.select("INBOX")
        assert typ == "OK" and data == [b"3"], data
        return m

    m = fresh_session()
    # SEARCH by date first: dates found for it.
    typ, data = m.uid("SEARCH", "SINCE", "1-Jan-2021", "BEFORE", "1-Jan-2022")
    assert typ == "OK" and data == [b"2"], (data, t.log()[-3000:])
    typ, data = m.search(None, "OR", "BEFORE", "1-Jan-2021", "SINCE", "1-Jan-2022")
    assert data == [b"1 3"], data
    assert internal_dates(m) == {1: when[0], 2: when[1], 3: when[2]}
    m.logout()
    time.sleep(0.3)

    m = fresh_session()
    # FETCH first; then SORT by arrival (the internal date), newest first.
    assert internal_dates(m) == {1: when[0], 2: when[1], 3: when[2]}
    typ, data = m.uid("SORT", "(REVERSE ARRIVAL)", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"3 2 1"], data
    m.logout()
    time.sleep(0.3)

    m = fresh_session()
    # COPY first: the copy keeps the date.
    typ, data = m.uid("COPY", "2", "Archive")
    assert typ == "OK", data
    m.select("Archive")
    assert list(internal_dates(m).values()) == [when[1]]
    m.logout()


def test_changes_made_with_no_session_open_show_at_the_next_select(t):
    # The mailbox process keeps a folder's view a while after its last
    # session (docs/imap.md); what other programs do meanwhile must show.
    deliver(t, 3)
    m = connect(t)
    m.select("INBOX")
    first = fetch_map(m)
    assert sorted(first) == [1, 2, 3]
    m.logout()
    time.sleep(0.3)
    cur = os.path.join(root(t), "cur")
    # In UID order, which is arrival order: names of one second sort by
    # text otherwise ("M99999" after "M100000"). dovecot-uidlist says.
    with open(os.path.join(root(t), "dovecot-uidlist")) as f:
        uid_of = {l.split(":", 1)[1].strip(): int(l.split()[0]) for l in f.readlines()[1:]}
    files = sorted(os.listdir(cur), key=lambda n: uid_of[n.split(":2,")[0]])
    assert len(files) == 3, files
    # mutt marks the first read, a cleanup removes the second, SMTP brings one.
    base = files[0].split(":2,")[0]
    os.rename(os.path.join(cur, files[0]), os.path.join(cur, base + ":2,S"))
    os.unlink(os.path.join(cur, files[1]))
    deliver(t, 1, subject="later")
    m = connect(t)
    typ, data = m.select("INBOX")
    assert typ == "OK" and data[0] == b"3", data
    after = fetch_map(m)
    assert sorted(after) == [1, 3, 4], after
    assert b"\\Seen" in after[1] and b"\\Seen" not in after[3]
    m.logout()


def test_a_rename_by_another_program_keeps_the_uid_in_an_open_session(t):
    # mutt marking a message read renames its file; the IMAP session sees a
    # flag change on the same UID, not an expunge and a new message.
    deliver(t, 3)
    m = connect(t)
    m.select("INBOX")
    assert sorted(fetch_map(m)) == [1, 2, 3]
    cur = os.path.join(root(t), "cur")
    deadline = time.time() + 10
    while len(os.listdir(cur)) < 3 and time.time() < deadline:
        time.sleep(0.05)
    files = sorted(os.listdir(cur))
    base = files[0].split(":2,")[0]
    os.rename(os.path.join(cur, files[0]), os.path.join(cur, base + ":2,S"))
    deadline = time.time() + 10
    while time.time() < deadline:
        m.noop()
        after = fetch_map(m)
        if any(b"\\Seen" in line for line in after.values()):
            break
        time.sleep(0.05)
    assert sorted(after) == [1, 2, 3], after
    assert sum(b"\\Seen" in line for line in after.values()) == 1
    m.logout()


def test_a_flag_change_that_got_ok_survives_a_crash(t):
    deliver(t, 2)
    m = connect(t)
    m.select("INBOX")
    typ, data = m.store("2", "+FLAGS", "(\\Answered)")
    assert typ == "OK"
    pid = mailbox_pid(t)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    # It is in the file name, whatever happens to the process.
    assert flags_of(t) == ["", "R"]
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            m2 = connect(t)
            break
        except (imaplib.IMAP4.error, OSError):
            time.sleep(0.2)
    m2.select("INBOX")
    fm = fetch_map(m2)
    assert b"\\Answered" in fm[2] and b"\\Answered" not in fm[1]
    m2.logout()


def test_search_finds_an_iso_2022_jp_subject_by_its_utf8_text(t):
    send(t, ALICE, subject="=?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=")
    t.wait_messages(ALICE, 1)
    send(t, ALICE, subject="plain one")
    t.wait_messages(ALICE, 2)
    m = connect(t)
    m.select("INBOX")
    typ, data = m.search("UTF-8", "SUBJECT", '"plain"')
    assert data == [b"2"]
    m.literal = "件名".encode()
    typ, data = m.search("UTF-8", "SUBJECT")
    assert data == [b"1"], data
    typ, data = m.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")
    assert typ == "OK"
    m.logout()


def test_capabilities_after_login(t):
    m = connect(t)
    typ, data = m.capability()
    caps = data[0].split()
    for c in (b"IMAP4rev2", b"IDLE", b"UIDPLUS", b"MOVE", b"CONDSTORE", b"QRESYNC", b"ESEARCH",
              b"SORT", b"THREAD=REFERENCES", b"SPECIAL-USE", b"LIST-STATUS", b"BINARY",
              b"UTF8=ACCEPT", b"QUOTA", b"STATUS=SIZE", b"MULTIAPPEND", b"LITERAL+"):
        assert c in caps, (c, caps)
    assert any(c.startswith(b"APPENDLIMIT=") for c in caps)
    m.logout()
