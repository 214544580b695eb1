#!/usr/bin/env python3
"""The documents that repeat the vocabulary of common/ntms_vocabulary.h, checked against it both
ways: a code, state or action the table has and a document lacks fails, and so does one a document
has and the table lacks, or a value, name or text that differs.

    check-vocabulary.py --dump DUMP_PROGRAM --api NTMSAPI_H... --error-page NTMSERRORSTRING_3
                        --dbus-page ORG_NTMS_NTMS1_5 [--docs FILE...] [--self-test]

DUMP_PROGRAM prints the table as the C compiler reads it (dump-vocabulary.c). Checked:
  - NTMSAPI_H, <ntmsapi.h> and the headers it includes, read as one (installed on their own,
    so they keep literal values): a #define for every error code
    and none the table lacks; the NTMS_LM_* job states, NTMS_INJECT_* actions and NTMS_OPREQ_* /
    NTMS_OPSTATE_* values of its enums equal to the table's, and every value of those enums in
    the table; each operation kind of the table with RSM's code;
  - NTMSERRORSTRING_3: a .TP entry "CONSTANT (code)" per error, its quoted text the table's, and
    org.ntms.Ntms1.Error.<Name> named in it exactly when the code travels on the bus;
  - ORG_NTMS_NTMS1_5: in ERRORS a .TP entry "org.ntms.Ntms1.Error.Name (code, CONSTANT)" per bus
    error and no other; in CONSTANTS a .TP entry "CONSTANT (value)" per job state, inject action,
    operator request type and state, and no other;
  - every FILE of --docs (README, interface XML, other man pages, the journal catalog): each
    org.ntms.Ntms1.Error.<Name> it mentions is in the table (or is Failed), each ERROR_* constant
    too.
--self-test then doctors copies of every input (an entry added to the table, one removed from
each document, a value changed, ...) and fails unless the check reports each. TAP output.
"""
import argparse
import re
import subprocess
import sys

LISTS = ("job-state", "operation", "inject-action", "eject-action", "opreq-type", "opreq-state")
# The enums of ntmsapi.h that must hold exactly the values of a list (operation kinds are a
# subset of NtmsLmOperation: only those ntmsd runs).
ENUM_OF_LIST = {"job-state": "NtmsLmState", "inject-action": "NtmsInjectOperation",
                "eject-action": "NtmsEjectOperation",
                "opreq-type": "NtmsOpreqCommand", "opreq-state": "NtmsOpreqState"}
ERROR_CONSTANT = r"(?:ERROR_[A-Z0-9_]+|RPC_S_[A-Z0-9_]+)"


class Table:
    def __init__(self, prefix, errors, terms):
        self.prefix = prefix
        self.errors = errors  # [(constant, code, Name, on_bus, text)]
        self.terms = terms    # {list: [(constant, value, Name, name)]}

    def bus_errors(self):
        return [e for e in self.errors if e[3]]


def parse_dump(text):
    prefix, errors, terms = None, [], {k: [] for k in LISTS}
    for line in text.splitlines():
        f = line.split("\t")
        if f[0] == "prefix" and len(f) == 2:
            prefix = f[1]
        elif f[0] == "error" and len(f) == 6:
            errors.append((f[1], int(f[2]), f[3], f[4] == "bus", f[5]))
        elif f[0] in LISTS and len(f) == 5:
            terms[f[0]].append((f[1], int(f[2]), f[3], f[4]))
        else:
            raise SystemExit(f"dump: cannot read line {line!r}")
    if prefix is None or not errors or not all(terms.values()):
        raise SystemExit("dump: a list is missing")
    return Table(prefix, errors, terms)


def format_dump(t):
    lines = [f"prefix\t{t.prefix}"]
    lines += [f"error\t{c}\t{n}\t{name}\t{'bus' if b else 'local'}\t{text}"
              for c, n, name, b, text in t.errors]
    for k in LISTS:
        lines += [f"{k}\t{c}\t{v}\t{n}\t{s}" for c, v, n, s in t.terms[k]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# roff: .TP entries as (tag, body), the escapes the pages use undone

def unescape(s):
    s = re.sub(r"\\f(\[[A-Za-z]*\]|[A-Za-z])", "", s)
    for a, b in ((r"\(dq", '"'), (r"\(aq", "'"), (r"\-", "-"), (r"\&", ""), (r"\%", ""),
                 (r"\e", "\\")):
        s = s.replace(a, b)
    return s


def text_of(line):
    """The text of one roff line: macro arguments joined as the macro would print them."""
    m = re.match(r"\.(B|I|BR|RB|BI|IB|IR|RI)\s+(.*)", line)
    if not m:
        return unescape(line) if not line.startswith(".") else ""
    args = re.findall(r'"((?:[^"]|"")*)"|(\S+)', m.group(2))
    words = [a or b for a, b in args]
    return unescape(("" if len(m.group(1)) == 2 else " ").join(words))


def entries(page, section=None):
    """[(tag, body)] of the .TP entries, of one .SH section when given."""
    out, current, lines, in_section = [], None, [], section is None
    for raw in page.split("\n"):
        if raw.startswith(".SH"):
            if current is not None:
                out.append((current, " ".join(lines)))
                current = None
            in_section = section is None or text_of(raw[3:].strip()) == section or \
                raw[3:].strip().strip('"') == section
            continue
        if not in_section:
            continue
        if raw.startswith((".TP", ".TQ", ".PP", ".SS", ".IP")):
            if current is not None:
                out.append((current, " ".join(lines)))
            current, lines = ("" if raw.startswith((".TP", ".TQ")) else None), []
            continue
        if current == "":
            current = text_of(raw)
        elif current is not None:
            lines.append(text_of(raw))
    if current is not None:
        out.append((current, " ".join(lines)))
    return out


# ---------------------------------------------------------------------------------------------
# The checks

def strip_c_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def check_api(t, api):
    problems = []
    text = strip_c_comments(api)
    defined = {m.group(1): int(m.group(2)) for m in
               re.finditer(r"^\s*#\s*define\s+(" + ERROR_CONSTANT + r")\s+(\d+)[uUlL]*\s*$", text,
                           re.M)}
    table = {c: n for c, n, *_ in t.errors}
    for c, n in table.items():
        if c not in defined:
            problems.append(f"ntmsapi.h: no #define {c} {n}")
        elif defined[c] != n:
            problems.append(f"ntmsapi.h: {c} is {defined[c]}, the table says {n}")
    for c, n in defined.items():
        if c not in table:
            problems.append(f"ntmsapi.h: {c} ({n}) is not in the table")
    value = r"(\w+)\s*=\s*(0[xX][0-9a-fA-F]+|\d+)"  # decimal or hexadecimal
    enums = {m.group(1): dict((a, int(b, 0)) for a, b in re.findall(value, m.group(2)))
             for m in re.finditer(r"enum\s+(\w+)\s*\{(.*?)\}", text, re.S)}
    everything = {k: v for e in enums.values() for k, v in e.items()}
    for k in LISTS:
        for c, v, *_ in t.terms[k]:
            if c not in everything:
                problems.append(f"ntmsapi.h: no enumerator {c} = {v}")
            elif everything[c] != v:
                problems.append(f"ntmsapi.h: {c} is {everything[c]}, the table says {v}")
    for k, enum in ENUM_OF_LIST.items():
        values = {v for _, v, *_ in t.terms[k]}
        for c, v in enums.get(enum, {}).items():
            if v not in values:  # an alias such as NTMS_LM_DEFFERED shares a listed value
                problems.append(f"ntmsapi.h: {enum} has {c} = {v}, the table's {k} list not")
        if enum not in enums:
            problems.append(f"ntmsapi.h: enum {enum} not found")
    return problems


def check_error_page(t, page):
    problems = []
    shown = {}
    for tag, body in entries(page):
        m = re.match(r"(" + ERROR_CONSTANT + r")\s*\((\d+)\)$", tag.strip())
        if m:
            shown[m.group(1)] = (int(m.group(2)), body)
    for c, n, name, on_bus, text in t.errors:
        if c not in shown:
            problems.append(f"NtmsErrorString(3): no entry '{c} ({n})'")
            continue
        code, body = shown[c]
        if code != n:
            problems.append(f"NtmsErrorString(3): {c} is ({code}), the table says {n}")
        quoted = re.match(r'\s*"([^"]*)"', body)
        if not quoted or quoted.group(1) != text:
            problems.append(f"NtmsErrorString(3): the text of {c} should be \"{text}\", the page "
                            f"says {quoted.group(0).strip() if quoted else 'none'}")
        names = re.findall(re.escape(t.prefix) + r"(\w+)", body)
        if on_bus and names != [name]:
            problems.append(f"NtmsErrorString(3): {c} should name {t.prefix}{name}, it names "
                            f"{names or 'none'}")
        if not on_bus and names:
            problems.append(f"NtmsErrorString(3): {c} does not travel on the bus, the page "
                            f"names {names}")
    table = {e[0] for e in t.errors}
    for c in shown:
        if c not in table:
            problems.append(f"NtmsErrorString(3): {c} is not in the table")
    return problems


def check_dbus_page(t, page):
    problems = []
    shown = {}
    for tag, _ in entries(page, "ERRORS"):
        m = re.match(re.escape(t.prefix) + r"(\w+)\s*(?:\((\d+),\s*(\w+)\))?", tag.strip())
        if m:
            shown[m.group(1)] = (m.group(2), m.group(3))
    for c, n, name, *_ in t.bus_errors():
        if name not in shown:
            problems.append(f"org.ntms.Ntms1(5): ERRORS has no entry '{t.prefix}{name} ({n}, {c})'")
        elif shown[name] != (str(n), c):
            problems.append(f"org.ntms.Ntms1(5): {t.prefix}{name} is ({', '.join(shown[name])}),"
                            f" the table says ({n}, {c})")
    bus = {e[2] for e in t.bus_errors()}
    for name, what in shown.items():
        if name not in bus and not (name == "Failed" and what == (None, None)):
            problems.append(f"org.ntms.Ntms1(5): ERRORS has {t.prefix}{name}, which is not a bus "
                            f"error of the table")
    want = {c: v for k in LISTS if k != "operation" for c, v, *_ in t.terms[k]}
    constants = {}
    for tag, _ in entries(page, "CONSTANTS"):
        m = re.match(r"(NTMS_\w+)\s*\((\d+)\)$", tag.strip())
        if m:
            constants[m.group(1)] = int(m.group(2))
    for c, v in want.items():
        if c not in constants:
            problems.append(f"org.ntms.Ntms1(5): CONSTANTS has no entry '{c} ({v})'")
        elif constants[c] != v:
            problems.append(f"org.ntms.Ntms1(5): {c} is ({constants[c]}), the table says {v}")
    for c, v in constants.items():
        if c not in want:
            problems.append(f"org.ntms.Ntms1(5): CONSTANTS has {c} ({v}), which the table lacks")
    return problems


def check_docs(t, docs):
    problems = []
    bus = {e[2] for e in t.bus_errors()} | {"Failed"}
    constants = {e[0] for e in t.errors}
    for path, text in docs.items():
        for name in sorted(set(re.findall(re.escape(t.prefix) + r"(\w+)", text))):
            if name not in bus:
                problems.append(f"{path}: {t.prefix}{name} is not a bus error of the table")
        text = text.replace(r"\_", "_")
        for c in sorted(set(re.findall(r"(?<![\w@])" + ERROR_CONSTANT + r"\b", text))):
            if c not in constants:
                problems.append(f"{path}: {c} is not in the table")
    return problems


def check(t, api, error_page, dbus_page, docs):
    return (check_api(t, api) + check_error_page(t, error_page) + check_dbus_page(t, dbus_page) +
            check_docs(t, docs))


# ---------------------------------------------------------------------------------------------
# The self-test: each doctored input must be reported

def without_entry(page, tag_start):
    """The page without the .TP entry whose tag starts with tag_start (tag line and body)."""
    lines = page.split("\n")
    for i in range(len(lines) - 1):
        if lines[i].startswith((".TP", ".TQ")) and text_of(lines[i + 1]).startswith(tag_start):
            j = i + 2
            while j < len(lines) and not lines[j].startswith((".TP", ".TQ", ".PP", ".SH", ".SS")):
                j += 1
            return "\n".join(lines[:i] + lines[j:])
    raise SystemExit(f"self-test: no entry {tag_start!r} to remove")


def doctored(t, api, error_page, dbus_page, docs):
    """(what was changed, inputs) for every change the check must report."""
    def table(errors=None, **lists):
        terms = {k: lists.get(k.replace("-", "_"), v) for k, v in t.terms.items()}
        return Table(t.prefix, t.errors if errors is None else errors, terms)

    bus = t.bus_errors()[0]
    local = [e for e in t.errors if not e[3]][-1]
    yield ("a bus error added to the table",
           (table(t.errors + [("ERROR_VOCABULARY_TEST", 4399, "VocabularyTest", True, "test")]),
            api, error_page, dbus_page, docs))
    yield ("a local error added to the table",
           (table(t.errors + [("ERROR_VOCABULARY_TEST", 4399, "VocabularyTest", False, "test")]),
            api, error_page, dbus_page, docs))
    for e in (bus, local):
        yield (f"{e[0]} removed from the table",
               (table([x for x in t.errors if x != e]), api, error_page, dbus_page, docs))
        yield (f"{e[0]} given another code in the table",
               (table([(x[0], x[1] + 1000, *x[2:]) if x == e else x for x in t.errors]),
                api, error_page, dbus_page, docs))
        yield (f"{e[0]} given another text in the table",
               (table([(*x[:4], x[4] + "!") if x == e else x for x in t.errors]),
                api, error_page, dbus_page, docs))
    yield (f"{bus[0]} moved off the bus in the table",
           (table([(*x[:3], False, x[4]) if x == bus else x for x in t.errors]),
            api, error_page, dbus_page, docs))
    for k in LISTS:
        c, v, n, s = t.terms[k][0]
        yield (f"an entry added to the {k} list of the table",
               (table(**{k.replace("-", "_"): t.terms[k] + [(c + "X", v + 40, n + "X", s + "x")]}),
                api, error_page, dbus_page, docs))
        yield (f"{c} given another value in the table",
               (table(**{k.replace("-", "_"): [(c, v + 40, n, s)] + t.terms[k][1:]}),
                api, error_page, dbus_page, docs))
    for e in (bus, local):
        yield (f"#define {e[0]} removed from ntmsapi.h",
               (t, re.sub(r"(?m)^#define " + e[0] + r"\b.*\n", "", api), error_page, dbus_page,
                docs))
        yield (f"#define {e[0]} changed in ntmsapi.h",
               (t, re.sub(r"(?m)^(#define " + e[0] + r"\s+)(\d+)", r"\g<1>1\2", api), error_page,
                dbus_page, docs))
    yield ("a #define ERROR_ added to ntmsapi.h",
           (t, api.replace("#define ERROR_SUCCESS 0\n",
                           "#define ERROR_SUCCESS 0\n#define ERROR_VOCABULARY_TEST 4399\n"),
            error_page, dbus_page, docs))
    yield ("an enumerator added to NtmsLmState in ntmsapi.h",
           (t, api.replace("NTMS_LM_STOPPED = 8", "NTMS_LM_STOPPED = 8,\n    NTMS_LM_TEST = 9"),
            error_page, dbus_page, docs))
    for e in t.errors:
        yield (f"{e[0]} removed from NtmsErrorString(3)",
               (t, api, without_entry(error_page, e[0] + " "), dbus_page, docs))
    yield (f"the text of {bus[0]} changed in NtmsErrorString(3)",
           (t, api, error_page.replace(f'"{bus[4]}"', f'"{bus[4]}!"', 1), dbus_page, docs))
    yield (f"the D-Bus name of {bus[0]} removed from NtmsErrorString(3)",
           (t, api, error_page.replace(f".BR {t.prefix}{bus[2]}", ".BR removed", 1), dbus_page,
            docs))
    yield ("an entry added to NtmsErrorString(3)",
           (t, api, error_page.replace(".PP\nAny other code",
                                       '.TP\n.BR ERROR_VOCABULARY_TEST " (4399)"\n"test".\n'
                                       ".PP\nAny other code", 1), dbus_page, docs))
    for e in t.bus_errors():
        yield (f"{t.prefix}{e[2]} removed from org.ntms.Ntms1(5)",
               (t, api, error_page, without_entry(dbus_page, t.prefix + e[2] + " "), docs))
    yield (f"the code of {t.prefix}{bus[2]} changed in org.ntms.Ntms1(5)",
           (t, api, error_page,
            dbus_page.replace(f'{t.prefix}{bus[2]} " ({bus[1]},', f'{t.prefix}{bus[2]} " (1{bus[1]},',
                              1), docs))
    yield ("an error added to org.ntms.Ntms1(5)",
           (t, api, error_page,
            dbus_page.replace(".SH ERRORS\n", ".SH ERRORS\n.TP\n.BR " + t.prefix +
                              'VocabularyTest " (4399, ERROR_VOCABULARY_TEST)"\nx\n', 1), docs))
    for k in LISTS:
        if k == "operation":
            continue
        for c, *_ in t.terms[k]:
            yield (f"{c} removed from org.ntms.Ntms1(5)",
                   (t, api, error_page, without_entry(dbus_page, c + " "), docs))
    yield ("a constant added to org.ntms.Ntms1(5)",
           (t, api, error_page, dbus_page.replace(".SS Job states\n", ".SS Job states\n.TP\n"
                                                  ".B NTMS_LM_TEST (9)\nx\n", 1), docs))
    if docs:
        path = sorted(docs)[0]
        yield (f"an unknown error name in {path}",
               (t, api, error_page, dbus_page,
                dict(docs, **{path: docs[path] + f"\n{t.prefix}VocabularyTest\n"})))
        yield (f"an unknown ERROR_ constant in {path}",
               (t, api, error_page, dbus_page,
                dict(docs, **{path: docs[path] + "\nERROR_VOCABULARY_TEST\n"})))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dump", required=True)
    ap.add_argument("--api", required=True, nargs="+")
    ap.add_argument("--error-page", required=True)
    ap.add_argument("--dbus-page", required=True)
    ap.add_argument("--docs", nargs="*", default=[])
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()

    dump = subprocess.run([a.dump], check=True, capture_output=True, text=True).stdout
    t = parse_dump(dump)
    if parse_dump(format_dump(t)).__dict__ != t.__dict__:
        raise SystemExit("dump: format_dump does not read back")
    read = lambda p: open(p, encoding="utf-8").read()
    inputs = (t, "\n".join(read(p) for p in a.api), read(a.error_page), read(a.dbus_page),
              {p: read(p) for p in a.docs})

    results = [("the documents say what the table says", check(*inputs))]
    if a.self_test and not results[0][1]:  # doctoring documents that are wrong proves nothing
        for what, changed in doctored(*inputs):
            found = check(*changed)
            results.append((f"self-test: reported: {what}",
                            [] if found else ["the check found nothing"]))
    print(f"1..{len(results)}")
    failed = 0
    for n, (what, problems) in enumerate(results, 1):
        print(f"{'not ok' if problems else 'ok'} {n} - {what}")
        for p in problems:
            print(f"# {p}")
        failed += bool(problems)
    print(f"# {len(t.errors)} errors ({len(t.bus_errors())} on the bus), " +
          ", ".join(f"{len(t.terms[k])} {k}s" for k in LISTS))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
