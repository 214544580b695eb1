#!/usr/bin/env python3
"""Reads meson's JUnit logs and prints one closing line: 'N passed, N failed[, N skipped]'.

Each GoogleTest case and each TAP subtest counts once (meson copies them into the JUnit log); a
plain test program counts as one case. The JUnit log alone cannot tell that a TAP or gtest program
crashed or timed out after reporting only successes, so meson's testlog.json beside it is read too:
a test meson judged failed, with no failed case of its own in the JUnit log, counts one more failure.
Exit status 1 when anything failed or when a log is missing.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

FAILED_RESULTS = {"FAIL", "ERROR", "TIMEOUT", "UNEXPECTEDPASS", "INTERRUPT"}


def owns(suite, test):
    """Whether a JUnit testsuite holds the cases of the meson test named test: meson names it
    'PROJECT.TEST' (TAP) or 'PROJECT.TEST.GTESTSUITE' (GoogleTest); a plain test program is a case
    named TEST."""
    return f".{test}." in f".{suite}."


def count(path, prefix):
    passed = failed = skipped = 0
    failures = []
    failed_owners = set()  # suite names and case names of the failed cases
    root = ET.parse(path).getroot()
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            classname = case.get("classname", "")
            name = f"{prefix}{classname}.{case.get('name', '')}"
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                failures.append(name)
                failed_owners.add(suite.get("name", ""))
                failed_owners.add(case.get("name", ""))
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1

    # Tests meson itself judged failed (exit status, crash, timeout) without a failed case above.
    log = os.path.join(os.path.dirname(path), "testlog.json")
    if os.path.exists(log):
        with open(log, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                test = json.loads(line)
                if test.get("result") not in FAILED_RESULTS:
                    continue
                name = test.get("name", "")
                if any(owner == name or owns(owner, name) for owner in failed_owners):
                    continue
                failed += 1
                failures.append(f"{prefix}{name} ({test['result']}, exit status "
                                f"{test.get('returncode')})")
    return passed, failed, skipped, failures


def main(argv):
    total = [0, 0, 0]
    failures = []
    missing = False
    for arg in argv[1:]:
        prefix, _, path = arg.rpartition("=")
        try:
            p, f, s, names = count(path, f"{prefix}:" if prefix else "")
        except (OSError, ET.ParseError, ValueError) as e:
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
