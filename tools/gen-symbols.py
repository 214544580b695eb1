#!/usr/bin/env python3
"""Writes debian/libntms1.symbols from libntms/libntms.sym, the version script of libntms.so.1.

    tools/gen-symbols.py [--check]

Every global name of each version node becomes NAME@NODE, plus the node itself (NODE@NODE), as
dpkg-gensymbols lists them. A symbol already in the symbols file keeps the version it has there;
a new one gets the upstream version of the newest debian/changelog entry, the first version that
exports it. Symbols gone from the script are dropped (which breaks the ABI: the SONAME must change).
--check: exit 1, saying what differs, when the file is not what this would write.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
SCRIPT = os.path.join(SRC, "libntms", "libntms.sym")
SYMBOLS = os.path.join(SRC, "debian", "libntms1.symbols")
CHANGELOG = os.path.join(SRC, "debian", "changelog")
HEADER = "libntms.so.1 libntms1 #MINVER#\n* Build-Depends-Package: libntms-dev\n"


def exported(script):
    text = re.sub(r"/\*.*?\*/", "", open(script, encoding="utf-8").read(), flags=re.S)
    names = []
    for node, body in re.findall(r"(\w+)\s*\{(.*?)\}[^;]*;", text, flags=re.S):
        names.append(f"{node}@{node}")
        glob = re.search(r"global:(.*?)(local:|$)", body, flags=re.S)
        for name in re.findall(r"([A-Za-z_]\w*)\s*;", glob.group(1) if glob else ""):
            names.append(f"{name}@{node}")
    return names


def current_version():
    first = open(CHANGELOG, encoding="utf-8").readline()
    m = re.match(r"\S+ \(([^)]+)\)", first)
    if not m:
        sys.exit(f"gen-symbols: no version in the first line of {CHANGELOG}")
    version = m.group(1).split(":", 1)[-1]
    return version.rsplit("-", 1)[0] if "-" in version else version


def known_versions():
    known = {}
    if os.path.exists(SYMBOLS):
        for line in open(SYMBOLS, encoding="utf-8"):
            if line.startswith(" "):
                parts = line.split()
                known[parts[0]] = parts[1]
    return known


def render():
    known = known_versions()
    version = current_version()
    lines = [f" {name} {known.get(name, version)}\n" for name in sorted(exported(SCRIPT))]
    return HEADER + "".join(lines)


def main(argv):
    text = render()
    if "--check" in argv:
        have = open(SYMBOLS, encoding="utf-8").read() if os.path.exists(SYMBOLS) else ""
        if have != text:
            want, got = set(text.splitlines()), set(have.splitlines())
            for line in sorted(want - got):
                print(f"gen-symbols: missing from debian/libntms1.symbols: {line.strip()}")
            for line in sorted(got - want):
                print(f"gen-symbols: not exported by libntms.sym: {line.strip()}")
            print("gen-symbols: run tools/gen-symbols.py and commit debian/libntms1.symbols")
            return 1
        print(f"gen-symbols: debian/libntms1.symbols lists the {len(want_lines(text))} "
              "symbols of libntms.sym")
        return 0
    with open(SYMBOLS, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


def want_lines(text):
    return [l for l in text.splitlines() if l.startswith(" ")]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
