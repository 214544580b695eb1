#!/usr/bin/env python3
"""Reads meson's JUnit logs and prints one closing line: 'N passed, N failed[, N skipped]'.

Each GoogleTest case counts once (meson runs gtest executables with protocol 'gtest' and copies
their cases into the JUnit log); a plain test program counts as one case.
Exit status 1 when anything failed or when a log is missing.
"""
import sys
import xml.etree.ElementTree as ET


def count(path, prefix):
    passed = failed = skipped = 0
    failures = []
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        name = f"{prefix}{case.get('classname', '')}.{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            failures.append(name)
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, failures


def main(argv):
    total = [0, 0, 0]
    failures = []
    missing = False
    for arg in argv[1:]:
        prefix, _, path = arg.rpartition("=")
        try:
            p, f, s, names = count(path, f"{prefix}:" if prefix else "")
        except (OSError, ET.ParseError) as e:
            print(f"test-summary: cannot read {path}: {e}", file=sys.stderr)
            missing = True
            continue
        total[0] += p
        total[1] += f
        total[2] += s
        failures += names
    for name in failures:
        print(f"FAILED: {name}")
    line = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        line += f", {total[2]} skipped"
    print(line)
    return 1 if total[1] or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
