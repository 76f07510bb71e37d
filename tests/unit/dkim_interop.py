#!/usr/bin/python3
"""dkimpy (Debian's python3-dkim) on the other side of tegami's DKIM tests.

  dkim_interop.py verify RECORDS MSG...
      one line per MSG: the result of each of its DKIM-Signature fields,
      "pass" or "fail", separated by spaces
  dkim_interop.py sign PLAIN DIR
      signs PLAIN (LF line ends) with DIR/rsa.pem (rsa-sha256, selector rsa)
      and DIR/ed.seed (ed25519-sha256, selector ed) for d=example.org, in
      every canonicalization, as LF and as CRLF, without and with l=:
      DIR/py-ALG-HCANON-BCANON-FORM-L, e.g. DIR/py-ed-relaxed-simple-crlf-1

RECORDS is a file of "NAME RECORD" lines; it stands in for DNS, so nothing
is looked up. ed.seed is the base64 of the 32-octet Ed25519 seed, the form
dkimpy takes. One process does all the work: starting Python is the slow
part of these tests.
"""
import os
import sys

import dkim

CANONS = (b'relaxed', b'simple')
SIGNED = [b'from', b'to', b'subject', b'date', b'message-id', b'from']


def records(path):
    table = {}
    with open(path, 'rb') as f:
        for line in f:
            name, _, rec = line.rstrip(b'\r\n').partition(b' ')
            table[name.lower().rstrip(b'.')] = rec
    return table


def verify(rec_path, paths):
    table = records(rec_path)

    def dnsfunc(name, timeout=5):
        return table.get(name.lower().rstrip(b'.'))

    for path in paths:
        with open(path, 'rb') as f:
            d = dkim.DKIM(f.read(), minkey=1024)
        n = sum(1 for h in d.headers if h[0].lower() == b'dkim-signature')
        out = []
        for i in range(n):
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc)
            except dkim.DKIMException:
                ok = False
            out.append('pass' if ok else 'fail')
        print(' '.join(out))


def sign(plain, outdir):
    with open(plain, 'rb') as f:
        lf = f.read()
    keys = {}
    with open(os.path.join(outdir, 'rsa.pem'), 'rb') as f:
        keys['rsa'] = (f.read(), b'rsa-sha256')
    with open(os.path.join(outdir, 'ed.seed'), 'rb') as f:
        keys['ed'] = (f.read().strip(), b'ed25519-sha256')
    for name, (key, alg) in keys.items():
        for hc in CANONS:
            for bc in CANONS:
                for form in ('lf', 'crlf'):
                    msg = lf if form == 'lf' else lf.replace(b'\n', b'\r\n')
                    eol = b'\n' if form == 'lf' else b'\r\n'
                    for length in (0, 1):
                        sig = dkim.sign(msg, name.encode(), b'example.org',
                                        key, canonicalize=(hc, bc),
                                        signature_algorithm=alg,
                                        include_headers=SIGNED,
                                        length=bool(length), linesep=eol)
                        out = 'py-%s-%s-%s-%s-%d' % (
                            name, hc.decode(), bc.decode(), form, length)
                        with open(os.path.join(outdir, out), 'wb') as f:
                            f.write(sig + msg)


def main(argv):
    if len(argv) >= 4 and argv[1] == 'verify':
        verify(argv[2], argv[3:])
    elif len(argv) == 4 and argv[1] == 'sign':
        sign(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
