#!/usr/bin/env python3
"""tools/test-summary.py on JUnit and testlog.json files shaped as meson 1.0 writes them.

Each failing test program counts once per failed case, never again for its exit status; a program
meson judged failed without any failed case (a crash after only passing cases) counts once.
TAP on stdout.
    test-summary-test.py TEST-SUMMARY.PY
"""
import json
import os
import subprocess
import sys
import tempfile

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites tests="0" errors="0" failures="0">
  <!-- GoogleTest program test_changer: meson prefixes gtest's suite name -->
  <testsuite name="ntms.test_changer.Changer" tests="2">
    <testcase name="Retries" classname="Changer"/>
    <testcase name="Chunks" classname="Changer"><failure message="boom"/></testcase>
  </testsuite>
  <!-- GoogleTest program test_crash: every reported case passed, then it crashed -->
  <testsuite name="ntms.test_crash.Crash" tests="1">
    <testcase name="First" classname="Crash"/>
  </testsuite>
  <!-- TAP program ntmsctl (a name with a dot too) -->
  <testsuite name="ntms.man-examples-libntms.3" tests="2">
    <testcase name="1 compiles" classname="ntms.man-examples-libntms.3"/>
    <testcase name="2 runs" classname="ntms.man-examples-libntms.3"><failure/></testcase>
  </testsuite>
  <!-- plain programs -->
  <testsuite name="ntms" tests="3">
    <testcase name="lint-system-files" classname="ntms"><failure/></testcase>
    <testcase name="dbus-man-page" classname="ntms"/>
    <testcase name="vm-system" classname="ntms"><skipped/></testcase>
  </testsuite>
</testsuites>
"""

RESULTS = {
    "test_changer": ("FAIL", 1),
    "test_crash": ("FAIL", -11),
    "man-examples-libntms.3": ("FAIL", 1),
    "lint-system-files": ("FAIL", 1),
    "dbus-man-page": ("OK", 0),
    "vm-system": ("SKIP", 77),
}


def main():
    summary = sys.argv[1]
    checks = []
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "testlog.junit.xml"), "w", encoding="utf-8") as f:
            f.write(JUNIT)
        with open(os.path.join(d, "testlog.json"), "w", encoding="utf-8") as f:
            for name, (result, rc) in RESULTS.items():
                f.write(json.dumps({"name": name, "result": result, "returncode": rc}) + "\n")
        run = subprocess.run([sys.executable, summary, os.path.join(d, "testlog.junit.xml")],
                             capture_output=True, text=True, check=False)
        lines = run.stdout.splitlines()
        last = lines[-1] if lines else ""
        failed = [l for l in lines if l.startswith("FAILED: ")]
        checks.append(("closing line counts each failure once: 4 passed, 4 failed, 1 skipped",
                       last == "4 passed, 4 failed, 1 skipped", last))
        checks.append(("the gtest program's failed case is listed, its exit status is not",
                       "FAILED: Changer.Chunks" in lines
                       and not any("test_changer (FAIL" in l for l in lines), "\n".join(failed)))
        checks.append(("a program that crashed after passing cases is one failure",
                       any(l.startswith("FAILED: test_crash (FAIL, exit status -11)") for l in lines),
                       "\n".join(failed)))
        checks.append(("exit status 1 when something failed", run.returncode == 1,
                       f"exit status {run.returncode}"))
        missing = subprocess.run([sys.executable, summary, os.path.join(d, "absent.xml")],
                                 capture_output=True, text=True, check=False)
        checks.append(("a missing log is an error", missing.returncode == 1,
                       f"exit status {missing.returncode}"))

    print(f"1..{len(checks)}")
    for n, (what, ok, detail) in enumerate(checks, 1):
        print(f"{'ok' if ok else 'not ok'} {n} - {what}")
        if not ok:
            for line in str(detail).splitlines():
                print(f"# {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
