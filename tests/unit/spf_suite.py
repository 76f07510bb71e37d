#!/usr/bin/python3
# Converts pyspf's RFC 7208 test suite (YAML, as Debian's python3-spf ships
# it) into the line format tests/unit/test_spf_suite.c reads:
#
#   scenario <TAB> description
#   zone <TAB> name <TAB> type <TAB> value... (A, AAAA, PTR, CNAME: one value;
#        MX: preference, exchange; TXT: its strings, maybe none; TIMEOUT: none)
#   test <TAB> name <TAB> helo <TAB> host <TAB> mailfrom <TAB> results <TAB> [=explanation]
#
# Fields escape '\', and octets outside 0x21..0x7e, as \xHH; results are
# comma-separated. Zone entries keep their order, since the suite's TIMEOUT
# applies to the types not listed before it.
#
# The suite's conventions (pyspf's testspf.py): an "SPF" entry also stands
# for a TXT record of the same text unless the name lists TXT entries of its
# own; "TXT: NONE" lists none; TIMEOUT makes the other types time out.
#
# Usage: spf_suite.py [SUITE.yml.gz] OUTPUT
import gzip
import sys

DEFAULT_SUITE = "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz"


def esc(v):
    if isinstance(v, bytes):
        b = v
    else:
        b = str(v).encode("utf-8")
    out = []
    for c in b:
        if c < 0x21 or c > 0x7E or c == 0x5C:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return "".join(out)


def line(*fields):
    return "\t".join(esc(f) for f in fields) + "\n"


def zone_lines(name, entries):
    out = []
    has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
    spf_copies = []
    for e in entries:
        if e == "TIMEOUT":
            out.append(line("zone", name, "TIMEOUT"))
            continue
        if not isinstance(e, dict) or len(e) != 1:
            raise ValueError("%s: unexpected zone entry %r" % (name, e))
        ((t, v),) = e.items()
        if t in ("TXT", "SPF"):
            strings = [v] if isinstance(v, str) else list(v)
            if t == "SPF":
                # The SPF type itself is never asked for (RFC 7208 3.1).
                if not has_txt:
                    spf_copies.append(strings)
                continue
            if strings == ["NONE"]:
                continue
            out.append(line("zone", name, "TXT", *strings))
        elif t == "MX":
            out.append(line("zone", name, "MX", str(v[0]), v[1]))
        elif t in ("A", "AAAA", "PTR", "CNAME"):
            if v == "TIMEOUT":
                raise ValueError("%s: per-type TIMEOUT not supported" % name)
            out.append(line("zone", name, t, v))
        else:
            raise ValueError("%s: unknown record type %s" % (name, t))
    for strings in spf_copies:
        out.append(line("zone", name, "TXT", *strings))
    return out


def main(argv):
    try:
        import yaml
    except ImportError:
        sys.stderr.write("spf_suite.py: the Python yaml module is missing "
                         "(Debian package python3-yaml; run scripts/install-deps.sh as root)\n")
        return 2
    if len(argv) == 2:
        suite, output = DEFAULT_SUITE, argv[1]
    elif len(argv) == 3:
        suite, output = argv[1], argv[2]
    else:
        sys.stderr.write("usage: spf_suite.py [SUITE.yml.gz] OUTPUT\n")
        return 2
    try:
        opener = gzip.open if suite.endswith(".gz") else open
        with opener(suite, "rb") as f:
            docs = list(yaml.safe_load_all(f))
    except OSError as e:
        sys.stderr.write("spf_suite.py: cannot read %s: %s (Debian package "
                         "python3-spf; run scripts/install-deps.sh as root)\n"
                         % (suite, e.strerror or e))
        return 2
    out = []
    ntests = 0
    for doc in docs:
        if not doc:
            continue
        out.append(line("scenario", doc.get("description", "")))
        for name, entries in doc.get("zonedata", {}).items():
            out.extend(zone_lines(name, entries))
        for tname, t in doc["tests"].items():
            results = t["result"]
            if isinstance(results, str):
                results = [results]
            exp = t.get("explanation")
            out.append(line("test", tname, t.get("helo", ""), t["host"],
                            t.get("mailfrom", ""), ",".join(results),
                            "" if exp is None else "=" + exp))
            ntests += 1
    tmp = output + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.writelines(out)
    import os
    os.replace(tmp, output)
    print("spf_suite.py: %d cases from %s" % (ntests, suite))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
