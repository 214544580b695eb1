#!/usr/bin/env python3
"""README.md's walkthrough, run as written, so that it cannot drift from the programs.

    readme-test.py SOURCE-DIR BUILD-DIR

The sh blocks of README's sections "ntmsd by hand" and "D-Bus" (the busctl inject) run in a
scratch directory where build/, tests/ and systemd/ are the build tree and the source's, and
/tmp/ is replaced by a scratch directory of its own. The first block runs line by line; its last
command, private-bus.sh ... -- bash, gets the later blocks on standard input, as a person would
type them into that shell. Each command is one TAP result: it must succeed, and where README
follows it with "#-> TEXT", its output must contain TEXT. Comment lines are only comments.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile


def section(text, title):
    """The text of the section with this heading, up to the next heading of any level (a "#"
    line inside a code block is a comment, not a heading)."""
    lines, inside, fenced = [], False, False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#+ ", line):
            if inside:
                break
            inside = line.rstrip("\n") == f"{line.split(' ')[0]} {title}"
            continue
        if inside:
            lines.append(line)
    if not lines:
        sys.exit(f"readme-test: README.md has no section '{title}'")
    return "".join(lines)


def blocks(text):
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def commands(block):
    """(command, [expected...]) for each logical line; continuation lines joined."""
    out = []
    pending = ""
    for line in block.splitlines():
        if pending:
            line = pending + "\n" + line
            pending = ""
        if line.endswith("\\"):
            pending = line
            continue
        stripped = line.strip()
        if stripped.startswith("#->"):
            if out:
                out[-1][1].append(stripped[3:].strip())
            continue
        if not stripped or stripped.startswith("#"):
            continue
        out.append((line, []))
    return out


def step(command, expected, shown):
    """Shell text that runs one README command in the current shell and reports it in TAP
    under the name shown (the command as README writes it)."""
    title = " ".join(shown.split())
    title = title if len(title) <= 100 else title[:97] + "..."
    checks = "".join(
        f"  case \"$__out\" in *{shlex.quote(e)}*) ;; *) __rc=100; "
        f"echo \"# expected in the output: \"{shlex.quote(e)} ;; esac\n" for e in expected)
    # Assignments must stay in this shell: the command runs here, its output goes to a file.
    return (f"{command} >\"$__dir/out\" 2>&1\n"
            f"__rc=$?\n"
            f"__out=$(cat \"$__dir/out\")\n"
            f"{checks}"
            f"__n=$((__n + 1)); echo \"$__n\" >\"$__dir/count\"\n"
            f"if [ $__rc = 0 ]; then echo \"ok $__n - README: \"{shlex.quote(title)}; else "
            f"echo \"not ok $__n - README: \"{shlex.quote(title)}\" (exit status $__rc)\"; "
            f"sed 's/^/# /' \"$__dir/out\"; fi\n")


def main():
    src, build = (os.path.abspath(a) for a in sys.argv[1:3])
    readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
    by_hand = blocks(section(readme, "ntmsd by hand"))
    dbus = [b for b in blocks(section(readme, "D-Bus")) if "InjectMedia" in b]
    if len(by_hand) < 2 or not dbus:
        print("1..1\nnot ok 1 - README.md has the blocks of 'ntmsd by hand' and the busctl inject")
        return 0

    with tempfile.TemporaryDirectory() as work:
        scratch = os.path.join(work, "tmp")
        os.mkdir(scratch)
        for name, target in (("build", build), ("tests", os.path.join(src, "tests")),
                             ("systemd", os.path.join(src, "systemd")),
                             ("man", os.path.join(src, "man"))):
            os.symlink(target, os.path.join(work, name))

        def local(text):
            return text.replace("/tmp/", scratch + "/")

        def steps(block_list):
            return "".join(step(c, e, shown) for b in block_list
                           for (c, e), (shown, _) in zip(commands(local(b)), commands(b)))

        setup = commands(by_hand[0])
        shell_cmd = local(setup.pop()[0])
        if not shell_cmd.rstrip().endswith("-- bash"):
            print("1..1\nnot ok 1 - the first block of 'ntmsd by hand' ends with private-bus.sh ... -- bash")
            return 0
        inner = "set -o pipefail\n" + steps(by_hand[1:] + dbus)
        with open(os.path.join(work, "inner.sh"), "w", encoding="utf-8") as f:
            f.write(inner)
        outer = (f"set -o pipefail\ncd {shlex.quote(work)}\n__dir={shlex.quote(scratch)}\n__n=0\n"
                 "export __dir __n\n"
                 + steps(["\n".join(c for c, _ in setup)])
                 + f"__n=$__n {shell_cmd.strip()} <{shlex.quote(os.path.join(work, 'inner.sh'))} "
                 f">\"$__dir/shell\" 2>&1\n"
                 "__rc=$?\n"
                 "grep -E '^(not )?ok |^# ' \"$__dir/shell\"\n"
                 "__n=$(cat \"$__dir/count\")\n"
                 "__n=$((__n + 1))\n"
                 "if [ $__rc = 0 ]; then echo \"ok $__n - README: the shell of private-bus.sh ends well\"; "
                 "else echo \"not ok $__n - README: the shell of private-bus.sh ends well (exit status $__rc)\"; "
                 "grep -vE '^(not )?ok |^# ' \"$__dir/shell\" | tail -n 20 | sed 's/^/# /'; fi\n"
                 "echo \"1..$__n\"\n")
        run = subprocess.run(["bash", "-c", outer], capture_output=True, text=True, check=False)
        sys.stdout.write(run.stdout)
        if run.returncode != 0 or not run.stdout.rstrip().splitlines()[-1:][0].startswith("1.."):
            sys.stdout.write("".join(f"# {l}\n" for l in run.stderr.splitlines()[-20:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
