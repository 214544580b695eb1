#!/usr/bin/env python3
"""Writes the C examples of a man page to files, as a reader would copy them from the page.

usage: extract-examples.py PAGE OUTDIR

An example is a block between .EX and .EE in the EXAMPLES section, right after a comment line
naming it:

    .\\" example: inject.c
    .EX
    ...
    .EE

Every .EX block of EXAMPLES must be named so (shell snippets there use .nf/.fi), and no name may
appear twice. The roff escapes of the block are turned back into C; a minus written '-' rather
than '\\-' or an apostrophe written ' rather than '\\(aq' is refused, because groff may print
them as a hyphen and a closing quote that no compiler takes. Prints the names written, one per
line; exits 1 with a message naming the page and line for anything it cannot take.
"""
import os
import re
import sys

MARKER = re.compile(r'^\.\\"\s*example:\s*(\S+)\s*$')
NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*\.c$')
ESCAPES = {
    'e': '\\', '-': '-', '&': '', '(aq': "'", '(dq': '"', '(rs': '\\', '(ti': '~',
    '(ha': '^', '(ga': '`',
}


class PageError(Exception):
    pass


def unescape(line, where):
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if c == '\\':
            for esc, text in ESCAPES.items():
                if line.startswith(esc, i + 1):
                    out.append(text)
                    i += 1 + len(esc)
                    break
            else:
                raise PageError(f'{where}: unknown escape {line[i:i + 4]!r} in an example')
            continue
        if c == '-':
            raise PageError(f"{where}: write \\- for a minus in an example, not -")
        if c == "'":
            raise PageError(f"{where}: write \\(aq for an apostrophe in an example, not '")
        out.append(c)
        i += 1
    return ''.join(out)


def examples(path):
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    found = {}
    in_examples = False
    pending = None  # (name, line number) of a marker waiting for its .EX
    i = 0
    while i < len(lines):
        line = lines[i]
        where = f'{path}:{i + 1}'
        if line.startswith('.SH'):
            in_examples = line.split(None, 1)[1:] == ['EXAMPLES']
        marker = MARKER.match(line)
        if marker:
            if not in_examples:
                raise PageError(f'{where}: example marker outside the EXAMPLES section')
            name = marker.group(1)
            if not NAME.match(name):
                raise PageError(f'{where}: example name {name!r} is not a C file name')
            if name in found:
                raise PageError(f'{where}: a second example named {name}')
            pending = (name, i + 1)
            i += 1
            continue
        if line.strip() == '.EX':
            if not in_examples:
                i += 1
                continue
            if pending is None or pending[1] != i:
                raise PageError(f'{where}: .EX without an example: NAME comment right above it')
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != '.EE':
                text = lines[i]
                if text.startswith(('.', "'")):
                    raise PageError(f'{path}:{i + 1}: roff request inside an example; '
                                    'start the line with \\& if it is C')
                body.append(unescape(text, f'{path}:{i + 1}'))
                i += 1
            if i == len(lines):
                raise PageError(f'{where}: .EX without .EE')
            found[pending[0]] = '\n'.join(body) + '\n'
            pending = None
        elif pending is not None and pending[1] != i:
            raise PageError(f'{path}:{pending[1]}: example {pending[0]} is not followed by .EX')
        i += 1
    if pending is not None:
        raise PageError(f'{path}:{pending[1]}: example {pending[0]} is not followed by .EX')
    return found


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().split('\n')[2], file=sys.stderr)
        return 2
    page, outdir = sys.argv[1], sys.argv[2]
    try:
        found = examples(page)
    except (PageError, OSError, UnicodeDecodeError) as e:
        print(f'extract-examples: {e}', file=sys.stderr)
        return 1
    for name, text in found.items():
        with open(os.path.join(outdir, name), 'w', encoding='utf-8') as f:
            f.write(text)
        print(name)
    return 0


if __name__ == '__main__':
    sys.exit(main())
