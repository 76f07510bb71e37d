"""Node's imapflow (a client library many web mail and automation tools use) doing what the imaplib test does: login over TLS, LIST, SELECT, FETCH, STORE, COPY, MOVE, APPEND, EXPUNGE and IDLE seeing a delivery made through SMTP; each result checked against the Maildir."""
import json
import os
import subprocess

from mailread import PASSWORD, reading_tegami, send

import pytest

ALICE = "alice@example.org"
NODE_DIR = os.path.join(os.path.dirname(__file__), "..", "node")


@pytest.fixture
def t(make_tegami, tmp_path):
    return reading_tegami(make_tegami, tmp_path)


def folder_files(t, folder):
    root = os.path.dirname(t.maildir(ALICE, "new"))
    d = os.path.join(root, folder) if folder else root
    return {sub: sorted(os.listdir(os.path.join(d, sub))) for sub in ("new", "cur")}


def test_imapflow_does_what_imaplib_does(t):
    assert os.path.exists(os.path.join(NODE_DIR, "node_modules", "imapflow")), \
        "imapflow is not installed: run make deps (scripts/install-deps.sh runs npm ci in tests/node)"
    sent = []
    for i in range(3):
        sent.append(send(t, ALICE, subject="for imapflow %d" % i))
        t.wait_messages(ALICE, i + 1)
    p = subprocess.Popen(["node", os.path.join(NODE_DIR, "imapflow_check.mjs"), t.host,
                          str(t.ports["imaps"]), ALICE, PASSWORD, t.ca.crt],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=NODE_DIR)
    steps = {}
    try:
        for line in p.stdout:
            step = json.loads(line)
            steps[step["step"]] = step
            if step["step"] == "idle":
                send(t, ALICE, subject="announced by IDLE")
            if step["step"] in ("logout", "timeout"):
                break
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, (p.stderr.read(), steps.keys())

    assert "IDLE" in steps["login"]["capabilities"] and "MOVE" in steps["login"]["capabilities"]
    special = {f["path"]: f["specialUse"] for f in steps["list"]["folders"]}
    for path, use in (("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"),
                      ("Junk", "\\Junk"), ("Archive", "\\Archive")):
        assert special.get(path) == use, special

    # What was delivered over SMTP, byte for byte (with the headers tegami added).
    msgs = steps["fetch"]["messages"]
    assert steps["select"]["exists"] == 3 and len(msgs) == 3
    assert [m["subject"] for m in msgs] == ["for imapflow %d" % i for i in range(3)]
    for m, body in zip(msgs, sent):
        assert m["source"].replace("\r\n", "\n").endswith(
            body.decode("latin1").replace("\r\n", "\n").split("\n\n", 1)[1])

    # STORE: the flags are in the file name.
    assert set(steps["store"]["flags"]) >= {"\\Seen", "\\Flagged"}
    # COPY to Archive and MOVE to Trash: UIDPLUS maps, files where they belong.
    assert len(steps["copy"]["uidMap"]) == 1 and len(steps["move"]["uidMap"]) == 1
    archive, trash = folder_files(t, ".Archive"), folder_files(t, ".Trash")
    assert len(archive["new"] + archive["cur"]) == 1
    assert len(trash["new"] + trash["cur"]) == 1
    # APPEND to Drafts with \Draft: the D flag in the name.
    drafts = folder_files(t, ".Drafts")
    assert len(drafts["cur"]) == 1 and drafts["cur"][0].split(":2,")[1] == "D", drafts
    # EXPUNGE of the copied message: INBOX keeps the first one and the one IDLE saw.
    assert steps["expunge"]["exists"] == 1
    assert steps["exists"]["subject"] == "announced by IDLE"
    inbox = folder_files(t, "")
    names = inbox["new"] + inbox["cur"]
    assert len(names) == 2, inbox
    assert any(n.endswith(":2,FS") for n in inbox["cur"]), inbox
