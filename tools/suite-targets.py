#!/usr/bin/env python3
"""Prints the ninja targets that the tests of one meson suite run, relative to the build directory,
so that a tree which only serves that suite compiles nothing else:

    ninja -C BUILD $(tools/suite-targets.py BUILD SUITE)

A test's program and the targets its `depends:` names are printed; ninja builds what they link.
Run `ninja -C BUILD build.ninja` first when meson.build files may have changed: the list is read
from the last configuration of BUILD (meson introspect).
"""
import json
import os
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: suite-targets.py BUILD_DIR SUITE")
    build, suite = sys.argv[1], sys.argv[2]
    tests = json.loads(subprocess.check_output(["meson", "introspect", build, "--tests"]))
    targets = json.loads(subprocess.check_output(["meson", "introspect", build, "--targets"]))
    files = {t["id"]: t["filename"] for t in targets}
    wanted = set()
    for test in tests:
        if not any(s == suite or s.endswith(":" + suite) for s in test["suite"]):
            continue
        for dep in test.get("depends", []):
            wanted.update(files.get(dep, []))
        program = test["cmd"][0]
        if os.path.abspath(program).startswith(os.path.abspath(build) + os.sep):
            wanted.add(program)
    if not wanted:
        sys.exit(f"suite-targets.py: no test of suite '{suite}' in {build}")
    print(" ".join(sorted(os.path.relpath(f, build) for f in wanted)))


if __name__ == "__main__":
    main()
