#!/usr/bin/python3
"""Writes a Maildir of N generated messages for the mail-reading benchmarks (the same bytes for a given seed)."""
# The messages look like a mailbox read for years: varied senders and
# subjects (about 8% of them ISO-2022-JP encoded words, 4% UTF-8 ones),
# replies with In-Reply-To and References, dates over ten years (the file's
# mtime is the Date, so INTERNALDATE agrees), plain text (some of it
# ISO-2022-JP), multipart/alternative with an HTML part, and multipart/mixed
# with a base64 attachment; sizes from 1 to 20 KiB, spread evenly on a log
# scale (the median is about 4.5 KiB). File names carry S= and W= (the size
# with CRLF line ends), as tegami's and Dovecot's deliveries write them, so
# that neither server has to read a file for its size.
#
# Two rare words let SEARCH find something: SUBJECT_WORD is in about 1% of
# the subjects and BODY_WORD in about 1% of the text parts (never only in
# HTML or base64, so every server finds the same messages); the counts
# written go to DIR.stamp with the rest of the description.

import argparse
import base64
import json
import math
import os
import random
import sys
import time

VERSION = 1                 # of the generator: a new one makes the Maildirs again
SUBJECT_WORD = "zanzibarite"
BODY_WORD = "xylographic"

WORDS = """
about account action after again agenda agreement answer april archive
attached august backup balance before benchmark billing board branch budget
build calendar change check client closing comment committee contract copy
cost customer daily data deadline december delivery design details draft
estimate event expense february feedback figures final finance follow
forecast friday holiday invoice issue january july june kickoff launch
lunch march meeting memo migration minutes monday monthly notes november
october offer office order outage packet payment plan policy presentation
price project proposal quarter question quote receipt release reminder
renewal report request review revision roadmap saturday schedule security
september server service shipment slides status summary sunday support
survey team thursday ticket timeline today tomorrow travel tuesday update
upgrade vendor version visit wednesday weekly workshop year server mailbox
network storage replica cluster window printer license laptop training
""".split()

FIRST = """
Aiko Akira Alice Amelia Ana Ben Carlos Chen Chloe Daniel David Elena Emma
Eric Fatima Felix Grace Hana Haruto Hiroshi Ines Isabel Ivan Jack James
Jana Jun Kaito Kenji Laura Leo Liam Lina Lucas Maria Mei Mika Noah Nora Olga
Omar Paul Pedro Rina Ryo Sakura Sara Sofia Sota Takeshi Tom Yuki Yuto Zoe
""".split()

LAST = """
Abe Alvarez Becker Brown Costa Dubois Endo Fischer Garcia Goto Hayashi Ikeda
Ito Jensen Kato Kimura Kobayashi Lee Lopez Martin Matsumoto Meyer Mori Muller
Nakamura Nguyen Novak Ogawa Okada Perez Rossi Saito Sasaki Schmidt Silva
Smith Suzuki Takahashi Tanaka Wang Watanabe Yamada Yamamoto Yoshida
""".split()

DOMAINS = """
example.com example.net example.org corp.example mail.example.jp
shop.example partner.example.co.jp lists.example.org
""".split()

JA_SUBJECTS = [
    "会議の議事録について", "来週の打ち合わせの件", "見積書を送付します",
    "請求書のご確認のお願い", "サーバー移行のお知らせ", "年末年始の休業について",
    "資料を添付しました", "出張の日程調整", "新しいプロジェクトの提案",
    "システム障害の報告", "契約更新のご案内", "月次報告書",
    "ご注文ありがとうございます", "パスワード変更のお願い", "研修のご案内",
]

JA_LINES = [
    "お世話になっております。", "先日の件についてご連絡いたします。",
    "添付の資料をご確認ください。", "ご不明な点がございましたらお知らせください。",
    "よろしくお願いいたします。", "来週の会議は十時からです。",
    "見積もりの金額に変更はありません。", "サーバーの移行は週末に行います。",
]


def encoded_word(text, charset):
    """RFC 2047 B-encoded words, each under 75 characters."""
    if charset == "ISO-2022-JP":
        # Each word must end in ASCII: split between characters and encode each part.
        parts, cur = [], ""
        for ch in text:
            if len((cur + ch).encode("iso2022_jp")) > 40:
                parts.append(cur)
                cur = ""
            cur += ch
        parts.append(cur)
        return " ".join("=?ISO-2022-JP?B?%s?=" % base64.b64encode(p.encode("iso2022_jp"))
                        .decode() for p in parts)
    return "=?UTF-8?B?%s?=" % base64.b64encode(text.encode()).decode()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        r = self.r
        # A pool of text lines: bodies are made of lines picked from it,
        # which is what keeps 100,000 messages to seconds of Python.
        self.lines = []
        for _ in range(20000):
            words, n = [], 0
            while n < 66:
                w = r.choice(WORDS)
                words.append(w)
                n += len(w) + 1
            line = " ".join(words)
            self.lines.append(line[0].upper() + line[1:] + ".")
        self.token_lines = ["Please keep the %s notes for the next %s." %
                            (BODY_WORD, r.choice(WORDS)) for _ in range(50)]
        blob = bytes(r.getrandbits(8) for _ in range(300000))
        self.b64 = base64.encodebytes(blob).decode()      # 76-character lines
        self.people = ["%s %s <%s.%s@%s>" % (f, l, f.lower(), l.lower(), r.choice(DOMAINS))
                       for f in FIRST for l in LAST[:12]]

    def text(self, nbytes, token):
        r = self.r
        k = max(1, nbytes // 72)
        lines = r.choices(self.lines, k=k)
        if token:
            lines[r.randrange(k)] = r.choice(self.token_lines)
        return "\n".join(lines) + "\n"

    def ja_text(self, nbytes, token):
        r = self.r
        k = max(1, nbytes // 40)
        lines = r.choices(JA_LINES, k=k)
        if token:
            lines[r.randrange(k)] = "%s の件をご確認ください。" % BODY_WORD
        return "\n".join(lines) + "\n"

    def message(self, i, to, when):
        r = self.r
        size = int(math.exp(r.uniform(math.log(1024), math.log(20480))))
        subj_token = r.random() < 0.01
        body_token = r.random() < 0.01
        sender = r.choice(self.people)
        kind = r.random()
        jp = r.random()
        if jp < 0.08:
            subject = encoded_word(r.choice(JA_SUBJECTS), "ISO-2022-JP")
            if subj_token:
                subject += " " + SUBJECT_WORD
        elif jp < 0.12:
            subject = encoded_word("Résumé: " + " ".join(r.choices(WORDS, k=3)), "UTF-8")
            if subj_token:
                subject += " " + SUBJECT_WORD
        else:
            words = r.choices(WORDS, k=r.randint(2, 7))
            if subj_token:
                words.insert(r.randrange(len(words) + 1), SUBJECT_WORD)
            subject = " ".join(words)
            subject = subject[0].upper() + subject[1:]
        reply = r.random() < 0.3
        if reply:
            subject = ("Re: " if r.random() < 0.85 else "Fwd: ") + subject
        h = []
        h.append("Return-Path: <%s>" % sender.split("<")[1].rstrip(">"))
        h.append("Received: from mx%d.example.net (mx%d.example.net [192.0.2.%d])\n"
                 "\tby bench.test with ESMTPS id %08X\n\tfor <%s>; %s"
                 % (i % 7, i % 7, 1 + i % 250, i, to, self.date(when)))
        h.append("Message-ID: <%d.%08x@%s>" % (i, r.getrandbits(32), r.choice(DOMAINS)))
        h.append("Date: %s" % self.date(when - r.randint(1, 600)))
        if jp < 0.08 and r.random() < 0.5:
            first = r.choice(["田中 太郎", "鈴木 花子", "佐藤 健", "山本 美咲"])
            h.append("From: %s <%s>" % (encoded_word(first, "ISO-2022-JP"),
                                         sender.split("<")[1].rstrip(">")))
        else:
            h.append("From: %s" % sender)
        h.append("To: %s" % to)
        if r.random() < 0.25:
            h.append("Cc: %s" % ", ".join(r.sample(self.people, r.randint(1, 3))))
        h.append("Subject: %s" % subject)
        if reply:
            ref = "<%d.%08x@%s>" % (r.randrange(1, i + 2), r.getrandbits(32), r.choice(DOMAINS))
            h.append("In-Reply-To: %s" % ref)
            h.append("References: %s" % ref)
        h.append("MIME-Version: 1.0")
        left = max(300, size - sum(len(x) + 1 for x in h) - 200)
        if kind < 0.70:
            if jp < 0.08:
                h.append("Content-Type: text/plain; charset=ISO-2022-JP")
                h.append("Content-Transfer-Encoding: 7bit")
                body = self.ja_text(left // 2, body_token).encode("iso2022_jp").decode("ascii")
            else:
                h.append("Content-Type: text/plain; charset=us-ascii")
                h.append("Content-Transfer-Encoding: 7bit")
                body = self.text(left, body_token)
        elif kind < 0.85:
            b = "=_alt_%08x" % r.getrandbits(32)
            h.append('Content-Type: multipart/alternative; boundary="%s"' % b)
            t = self.text(left // 2, body_token)
            html = "<html><body>\n" + "".join("<p>%s</p>\n" % x for x in
                                             self.text(left // 2, False).splitlines()) \
                + "</body></html>\n"
            body = ("This is a multi-part message in MIME format.\n\n"
                    "--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
                    "--%s\nContent-Type: text/html; charset=us-ascii\n\n%s\n--%s--\n"
                    % (b, t, b, html, b))
        else:
            b = "=_mix_%08x" % r.getrandbits(32)
            h.append('Content-Type: multipart/mixed; boundary="%s"' % b)
            t = self.text(min(left // 3, 2000), body_token)
            n = max(76, left - len(t))
            start = r.randrange(0, len(self.b64) - n - 100) // 77 * 77
            att = self.b64[start:start + n // 77 * 77 + 77]
            name = "%s-%d.pdf" % (r.choice(WORDS), r.randint(1, 99))
            body = ("--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
                    "--%s\nContent-Type: application/pdf; name=\"%s\"\n"
                    "Content-Disposition: attachment; filename=\"%s\"\n"
                    "Content-Transfer-Encoding: base64\n\n%s\n--%s--\n"
                    % (b, t, b, name, name, att, b))
        data = ("\n".join(h) + "\n\n" + body).encode()
        return data, subj_token, body_token

    @staticmethod
    def date(t):
        return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))

    def flags(self):
        x = self.r.random()
        if x < 0.02:
            return ""
        if x < 0.06:
            return "FS"
        if x < 0.10:
            return "RS"
        return "S"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, help="the Maildir to write (made afresh)")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--to", default="user@bench.test")
    ap.add_argument("--sub", choices=("cur", "new"), default="cur",
                    help="cur: read mail with flags; new: just delivered")
    a = ap.parse_args()
    if not 1 <= a.count <= 1000000:
        sys.exit("mkmaildir: --count must be 1 to 1,000,000")
    desc = {"version": VERSION, "count": a.count, "seed": a.seed, "to": a.to, "sub": a.sub}
    stamp = a.out.rstrip("/") + ".stamp"
    try:
        with open(stamp) as f:
            old = json.load(f)
        if {k: old.get(k) for k in desc} == desc and os.path.isdir(os.path.join(a.out, a.sub)):
            print(f"mkmaildir: {a.out} is up to date", file=sys.stderr)
            return 0
    except (OSError, ValueError):
        pass
    if os.path.exists(stamp):
        os.unlink(stamp)
    if os.path.exists(a.out):
        import shutil
        shutil.rmtree(a.out)
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(a.out, d))
    g = Gen(a.seed)
    t0 = time.time()
    # Ten years of mail up to 2026-01-01, one message every so often.
    end = 1767225600
    step = 10 * 365 * 86400 // a.count
    total = subj = body = 0
    for i in range(a.count):
        when = end - (a.count - i) * step + g.r.randrange(max(1, step))
        data, s, b = g.message(i, a.to, when)
        subj += s
        body += b
        vsize = len(data) + data.count(b"\n")
        base = "%d.M%dP%dQ%d.bench.test,S=%d,W=%d" % (when, i % 1000000, 40000 + a.seed,
                                                       i + 1, len(data), vsize)
        name = base + (":2," + g.flags() if a.sub == "cur" else "")
        path = os.path.join(a.out, a.sub, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.close(fd)
        os.utime(path, (when, when))
        total += len(data)
    desc.update(bytes=total, subject_word=SUBJECT_WORD, subject_hits=subj,
                body_word=BODY_WORD, body_hits=body, seconds=round(time.time() - t0, 1))
    with open(stamp + ".tmp", "w") as f:
        json.dump(desc, f)
    os.rename(stamp + ".tmp", stamp)
    print(f"mkmaildir: {a.count} messages, {total / 1048576:.0f} MiB in {a.out}"
          f" ({time.time() - t0:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
