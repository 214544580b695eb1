#!/usr/bin/env python3
"""Prints the ninja targets that the tests of one meson suite run, relative to the build directory,
so that a tree which only serves that suite compiles nothing else:

    ninja -C BUILD $(tools/suite-targets.py BUILD SUITE)

A test's program and the targets its `depends:` names are printed; ninja builds what they link.
With --installed, every target that is installed (the daemon, the libraries and the programs a
package ships) is printed too: they are then compiled in that tree's configuration as well, where
the sanitized trees' unity builds (Makefile) find a name that two sources of one target define.
Run `ninja -C BUILD build.ninja` first when meson.build files may have changed: the list is read
from the last configuration of BUILD (meson introspect).
"""
import json
import os
import subprocess
import sys


def main():
    args = sys.argv[1:]
    installed = "--installed" in args
    args = [a for a in args if a != "--installed"]
    if len(args) != 2:
        sys.exit("usage: suite-targets.py [--installed] BUILD_DIR SUITE")
    build, suite = args
    tests = json.loads(subprocess.check_output(["meson", "introspect", build, "--tests"]))
    targets = json.loads(subprocess.check_output(["meson", "introspect", build, "--targets"]))
    files = {t["id"]: t["filename"] for t in targets}
    wanted = set()
    if installed:
        for t in targets:
            if t.get("installed") and t["type"] in ("executable", "shared library", "static library"):
                wanted.update(t["filename"])
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
